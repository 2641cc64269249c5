"""smooth-activations: Sigmoid and Tanh beyond 1.1.0 (thesis L1306, L1332-1335, L1482, Figs 3.19, C.3-C.7, C.19)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from twolayer import data, train
from twolayer.experiments import smooth_activations as sa
from twolayer.experiments.base import THESIS_LOSS, balanced_net
from twolayer.net import Net
from twolayer.optim import GD


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_switched_labels_are_the_original_run_with_negated_output_weights(act):
    """h(x; -a, W) = -h(x; a, W), so GD on 1.1.1 = (-y) from (a, W) is GD on 1.1.0 from (-a, W), step by step:
    the reason why switching the labels cannot change anything (L1306)."""
    X0, y0 = data.thesis("1.1.0")
    X1, y1 = data.thesis("1.1.1")
    assert np.allclose(X0, X1) and np.allclose(y1, -y0)
    net = balanced_net(2, 12, act, 1e-2, 3)
    flipped = Net(-net.a, net.W.copy(), None, net.activation, net.scaling, net.slope)
    t1 = train(net, X1, y1, **THESIS_LOSS, optimizer=GD(1e-2), steps=3000, record_every=100, quiet=True,
               engine="numpy")
    t0 = train(flipped, X0, y0, **THESIS_LOSS, optimizer=GD(1e-2), steps=3000, record_every=100, quiet=True,
               engine="numpy")
    assert t0.train_loss[-1] < 0.5 * t0.train_loss[0]
    np.testing.assert_allclose(t1.train_loss, t0.train_loss, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(t1.final.a, -t0.final.a, rtol=1e-10, atol=1e-14)


def test_same_profile_flips():
    assert sa.same_profile([1, 1], [1, 1], [100, 110], [105, 300], 1.25) is True      # ranges overlap
    assert sa.same_profile([1, 1], [1, 2], [100, 110], [100, 110], 1.25) is False     # a count differs
    assert sa.same_profile([1, 1], [1, 1], [100, 110], [200, 210], 1.25) is False     # 2x slower
    assert sa.same_profile([None, 1], [1, 1], [None, 110], [100, 120], 1.25) is True  # flagged seed left out
    assert sa.same_profile([None], [1], [None], [100], 1.25) is None
    c = sa.compare_pairs([("a", True), ("b", False), ("c", None)])
    assert c == {"compared": 2, "same": 1, "different": ["b"], "flagged": ["c"]}
    assert "no difference in any" in sa.compare_sentence("x", {**c, "same": 2, "different": []})
    assert "a difference in some" in sa.compare_sentence("x", c)


def test_lazy_check_and_sentence_flip():
    scales = [1e-6, 1.0]
    args = dict(initial_112={1e-6: [0.0, 0.0], 1.0: [0.0, 0.0]}, fit_112={1e-6: [80, 80], 1.0: [90, 100]},
                feat_112={1e-6: [0.01, 0.02], 1.0: [0.05, 0.04]}, initial_110_rich=[0.7, 0.7], scales=scales)
    c = sa.lazy_check(**args)
    assert c["lazy"] == c["compared"] == 2 and c["rich_110"] == 2
    assert sa.lazy_sentence(c, [0.05, 0.04]).startswith("Sigmoid on 1.1.2 is lazy in every seed")
    slow = sa.lazy_check(**{**args, "fit_112": {1e-6: [2000, 80], 1.0: [90, 100]}})   # fit grows as lambda falls
    assert slow["lazy"] == 1 and "1 of 2 seeds only" in sa.lazy_sentence(slow, [0.05, 0.04])
    moved = sa.lazy_check(**{**args, "feat_112": {1e-6: [0.5, 0.6], 1.0: [0.05, 0.04]}})  # features move
    assert moved["lazy"] == 0 and moved["loss_lazy"] == 2
    assert "is lazy in no seed" in sa.lazy_sentence(moved, [0.5, 0.6])


def test_trends_and_transition_flip():
    assert sa.trend_count([[3, 2, 1], [3, None, 1]], increasing=False) == {"compared": 2, "holds": 2, "seeds": 2,
                                                                          "flagged": 1}
    assert sa.trend_count([[3, 4, 1]], increasing=False)["holds"] == 0
    assert "in every seed" in sa.trend_sentence("x", {"compared": 2, "holds": 2}, "falls")
    assert "in no seed" in sa.trend_sentence("x", {"compared": 2, "holds": 0}, "falls")
    share = {"rich": [0.8], 0.02: [0.1], "lazy": [0.0]}
    move = {"rich": [1e5], 0.02: [5.0], "lazy": [0.05]}
    scatter = {"rich": [1.0], 0.02: [10.0], "lazy": [90.0]}
    good = sa.transition_check(share, move, scatter)
    assert good["between"] == 1 and good["convex_first"] == good["pairs"] == 1
    assert "1 of 1 (seed, lambda) pairs (as the thesis says" in sa.transition_sentence("tanh", good)
    late = sa.transition_check({**share, 0.02: [0.75]}, move, {**scatter, 0.02: [80.0]})  # neurons disorder first
    assert late["convex_first"] == 0 and "not always" in sa.transition_sentence("tanh", late)
    assert sa.transition_check(share, {**move, 0.02: [1e6]}, scatter)["between"] == 0


def test_neuron_measures_against_constructions():
    rng = np.random.default_rng(0)
    r = np.linspace(-2, 2, 40)
    on_curve = np.column_stack([r, np.tanh(2 * r)])                  # an S-curve through the origin
    cloud = rng.standard_normal((40, 2))
    assert sa.local_thickness(on_curve) < 0.05 < 0.3 < sa.local_thickness(cloud)
    line = np.column_stack([r, 0.5 * r])
    assert sa.curve_scatter(line[r > 0], np.ones((r > 0).sum())) < 1e-6           # one ray: on the curve
    assert sa.curve_scatter(line, np.sign(r)) < 1.0                                 # only the crossing at 0 counts
    assert sa.curve_scatter(cloud, np.sign(rng.standard_normal(40))) > 30
    X, _ = data.thesis("1.1.0")
    W = rng.standard_normal((5, 2))
    assert sa.feature_movement(X, W, W, "sigmoid") == 0.0
    assert sa.feature_movement(X, 1e-6 * W, 2e-6 * W, "tanh") == pytest.approx(1.0, rel=1e-6)  # tanh ~ linear
    assert sa.movement(W, 3 * W) == pytest.approx(2.0)
    signs = np.array([1.0, -1.0])
    a = np.array([[0.1, -0.1], [0.2, 0.05]])                         # neuron 2 changes sign
    assert sa.a_sign_kept(a, signs) == 0.5
    wn = np.array([[0.1, 0.1], [0.2, 0.05]])
    assert sa.balance_rel(a, wn, signs) == pytest.approx(0.1 / 0.2)   # |0.05 - (-0.05)| / 0.2


def _set_all(m: dict, good: bool) -> dict:
    """The quick metrics with every number a row reads set so that its claim holds (good) or fails."""
    m = copy.deepcopy(m)
    for c in m["label_compare"].values():
        c["same"] = c["compared"] if good else 0
    lz = m["sigmoid_1_1_2_lazy"]
    lz.update(lazy=lz["compared"] if good else 0, rich_110=lz["compared"])
    for act in ("sigmoid", "tanh"):
        q = m["quasi_compare"][act]
        q.update(same=q["compared"] if good else 0, always_different=[] if good else ["1.2+10"])
        cv = m["curve"][act]
        for key in ("width_trend", "scale_trend"):
            cv[key]["holds"] = cv[key]["compared"] if good else 0
        t = m["transition"][act]["check"]
        t.update(between=t["compared"] if good else 0, convex_first=t["pairs"] if good else 0)
    n = len(m["seeds"])
    for act in ("relu", "sigmoid", "tanh"):
        m["c3_sign_kept_seeds"][act] = [1.0 if good else 0.9] * n
        m["c3_balance_rel_seeds"][act] = [1e-4] * n
    return m


def test_quick_run_and_finding_rows(quick_results):
    folder, m = quick_results("smooth-activations")
    rows = sa.finding_rows(m)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == 15
    assert all(r["verdict"] in ("reproduced", "differs", "thesis contradicted") for r in rows)
    # the symmetry makes the switched-label rows hold whatever the seeds (L1306)
    assert {r["id"]: r["verdict"] for r in rows}["SA-switch-sigmoid"] == "reproduced"
    # Tanh on 1.1.0 and 1.1.2 at the same lambda fits in the same time in every seed (L1335)
    lab = m["labels_seeds"]["tanh"]
    for lam, v in lab["1.1.0"].items():
        assert sa.same_profile(v["count"], lab["1.1.2"][lam]["count"], v["fit"], lab["1.1.2"][lam]["fit"], 1.25)
    good = {r["id"]: r["verdict"] for r in sa.finding_rows(_set_all(m, True))}
    bad = {r["id"]: r["verdict"] for r in sa.finding_rows(_set_all(m, False))}
    assert set(good.values()) == {"reproduced"}
    assert "reproduced" not in bad.values()
    assert bad["SA-quasi-tanh"] == bad["SA-quasi-sigmoid"] == "thesis contradicted"
    assert (folder / "figures" / "fig_C_3.png").exists() and (folder / "figures" / "transition_tanh.png").exists()


def test_bad_settings_exit_with_the_parameter_named():
    from twolayer.errors import InvalidParameter
    from twolayer.experiments import get_experiment

    exp = get_experiment("smooth-activations")
    with pytest.raises(InvalidParameter, match="scale_delta"):
        sa.check(exp.make_config(quick=True, overrides={"scale_delta": "1e-3"}))
    with pytest.raises(InvalidParameter, match="transition_tanh"):
        sa.check(exp.make_config(quick=True, overrides={"transition_tanh": "5"}))

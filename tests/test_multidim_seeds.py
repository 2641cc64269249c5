"""multidim over seeds: the neuron groups the gradient-flow rates predict on orthogonal inputs, the
check that the measured third component is the predicted group, the sentences computed from the
numbers (each fed numbers both ways), the batching of stored units, and the quick run's metrics."""

import numpy as np
import pytest

from twolayer import data
from twolayer.experiments import multidim as md

X5, Y5 = data.thesis("3.4.1")


def test_group_rates_are_pythagorean_sums_on_the_printed_orthogonal_set():
    """For orthogonal inputs ||sum_{k in A} y_k x_k||^2 = sum_{k in A} y_k^2 ||x_k||^2 (computed here
    independently); the leader of each sign covers all its points, and the only other group within
    lambda^(1 - ratio) >= 1e-2 of its leader at lambda = 1e-22 is the negative group on x5 alone."""
    rates = md.group_rates(X5, Y5, 1e-22)
    sq = (Y5 * np.linalg.norm(X5, axis=1)) ** 2
    for g in rates:
        idx = [k - 1 for k in g["points"]]
        assert g["rate"] == pytest.approx(np.sqrt(sq[idx].sum()), rel=1e-6)
    assert len(rates) == (2 ** 3 - 1) + (2 ** 2 - 1)        # three positive labels, two negative
    leaders, others = md.predicted_groups(rates, 1e-2)
    assert sorted((g["sign"], tuple(g["points"])) for g in leaders) == [(-1, (3, 5)), (1, (1, 2, 4))]
    assert [(g["sign"], g["points"]) for g in others] == [(-1, [5])]
    ratio = np.sqrt(sq[4] / (sq[2] + sq[4]))
    assert others[0]["ratio"] == pytest.approx(ratio, rel=1e-6)
    assert others[0]["size"] == pytest.approx(1e-22 ** (1 - ratio), rel=1e-6)


def test_predicted_groups_flip_with_the_initialisation_scale():
    """Labels (1, -1, -2) on the unit vectors: the negative runner-up {x3} has ratio 2/sqrt(5) and
    reaches lambda^(1 - 0.894) of the leader {x2, x3}: 4.6e-3 at lambda = 1e-22 (below 1e-2, not a
    group), 0.23 at lambda = 1e-6 (a group); {x2} (ratio 1/sqrt(5)) stays below 1e-2 at both."""
    X, y = np.eye(3), np.array([1.0, -1.0, -2.0])
    r = 2 / np.sqrt(5)
    _, small = md.predicted_groups(md.group_rates(X, y, 1e-22), 1e-2)
    _, large = md.predicted_groups(md.group_rates(X, y, 1e-6), 1e-2)
    assert small == []
    assert [(g["sign"], g["points"]) for g in large] == [(-1, [3])]
    assert large[0]["size"] == pytest.approx(1e-6 ** (1 - r))


def test_neuron_groups_follow_the_sign_and_the_initial_activation_pattern():
    X, y = np.eye(3), np.array([1.0, 2.0, -1.0])
    W0 = np.array([[1.0, 1.0, 1.0], [1.0, -1.0, 1.0], [-1.0, 1.0, 1.0], [1.0, 1.0, -1.0]])
    a0 = np.array([1.0, 1.0, -1.0, -1.0])
    assert md.neuron_groups(W0, a0, X, y) == [(1, (1, 2)), (1, (1,)), (-1, (3,)), (-1, ())]


def _config(extra: bool, extra_dir=None):
    """Final neurons on unit vectors e1..e4 (labels 1, 1, -1, -2): 10 neurons of the positive leader
    {1, 2} along its fit direction, 10 of the negative leader {3, 4}, 10 of the group {4} along
    ``extra_dir`` (e4 by default) when ``extra``, and 10 that stay at the origin; norms vary in each
    group. Returns (W0, a0, W)."""
    X, y = np.eye(4), np.array([1.0, 1.0, -1.0, -2.0])
    rng = np.random.default_rng(0)
    patterns = [((1, 1, -1, -1), 1.0), ((-1, -1, 1, 1), -1.0), ((-1, -1, -1, 1), -1.0), ((-1, -1, -1, -1), 1.0)]
    dirs = [md.fit_direction(X, y, [1, 2]), md.fit_direction(X, y, [3, 4]),
            np.eye(4)[3] if extra_dir is None else extra_dir, np.zeros(4)]
    W0, a0, W = [], [], []
    for g, ((pat, sign), d) in enumerate(zip(patterns, dirs)):
        for _ in range(10):
            W0.append(np.array(pat, float) * rng.uniform(0.5, 1.5, 4))
            a0.append(sign)
            W.append(d * rng.uniform(0.5, 1.5) * (1 if extra or g != 2 else 1e-12))
    return np.array(W0), np.array(a0), np.array(W)


def test_third_group_check_finds_the_predicted_group_and_rejects_another():
    X, y = np.eye(4), np.array([1.0, 1.0, -1.0, -2.0])
    leaders, others = md.predicted_groups(md.group_rates(X, y, 1e-6), 0.05)   # only {x4} beyond the leaders
    assert [(g["sign"], g["points"]) for g in others] == [(-1, [4])]
    W0, a0, W = _config(extra=True)
    c = md.third_group_check(W0, a0, W, X, y, leaders, others)
    evr2 = float(md.analysis.neuron_pca(W)[2][:2].sum())
    assert evr2 < 0.999 and c["evr3"] > 1e-3                  # three directions, not two
    assert c["evr2_without"] == pytest.approx(1.0, abs=1e-12) and c["pc3_in_span"] == pytest.approx(1.0)
    assert c["counts"] == [10] and 0.3 < c["sizes"][0] < 3
    assert md.third_group_matches(c, evr2)
    # the same neurons on a direction outside the predicted span (e1 - e2): not the predicted group
    W0, a0, W = _config(extra=True, extra_dir=np.array([1.0, -1.0, 0.0, 0.0]) / np.sqrt(2))
    c = md.third_group_check(W0, a0, W, X, y, leaders, others)
    assert c["pc3_in_span"] < 0.9
    assert not md.third_group_matches(c, float(md.analysis.neuron_pca(W)[2][:2].sum()))
    # no third group at all: two directions, EVR2 = 1
    W0, a0, W = _config(extra=False)
    assert md.analysis.neuron_pca(W)[2][:2].sum() == pytest.approx(1.0, abs=1e-12)


def test_third_group_matches_needs_the_group_to_carry_the_third_component():
    c = {"evr2_without": 1 - 1e-9, "pc3_in_span": 1.0}
    assert md.third_group_matches(c, 0.9965)
    assert not md.third_group_matches({**c, "evr2_without": 0.999}, 0.9965)     # removes only 71%
    assert not md.third_group_matches({**c, "pc3_in_span": 0.5}, 0.9965)


def _spread(values):
    return md.analysis.spread(values)


def test_third_group_sentence_follows_the_numbers():
    leaders, others = md.predicted_groups(md.group_rates(X5, Y5, 1e-22), 1e-2)
    ev = _spread([0.9965, 0.9973])
    yes = md.third_group_sentence(ev, others, leaders, [True, True])
    assert "negative neurons active on x5" in yes and "ratio 0.99967" in yes
    assert yes.endswith("the 'two directions' reading is contradicted, as the rates predict.")
    assert md.third_group_sentence(ev, others, leaders, [False, False]).endswith("the prediction does not match.")
    assert "in 1 of 2 seeds only" in md.third_group_sentence(ev, others, leaders, [True, False])
    assert md.third_group_sentence(_spread([1.0, 1 - 1e-9]), [], leaders, [True, True]).endswith(
        "as measured: two directions.")
    assert "a third component remains that the rates do not explain" in md.third_group_sentence(ev, [], leaders, [])
    assert md.third_group_sentence(_spread([None]), others, leaders, []).startswith("No ReLU run")


def test_nonorth_sentence_follows_the_numbers():
    s = _spread([0.87, 0.95, 0.99])
    assert md.nonorth_sentence(s, 3, 0.9965).endswith("as the thesis says.")
    assert "3 of 3 lie below" in md.nonorth_sentence(s, 3, 0.9965)
    assert md.nonorth_sentence(_spread([0.9999, 1.0]), 0, 0.9965).endswith("which contradicts the thesis's claim.")
    assert md.nonorth_sentence(s, 1, 0.9965).endswith("depends on the data set.")
    assert md.nonorth_sentence(_spread([None]), 0, 0.9965).startswith("No relu run")
    assert "nothing is concluded" in md.nonorth_sentence(s, 0, float("nan"))


from twolayer.experiments.base import Context  # noqa: E402


class _FakeCtx:
    """A context whose store is a dict keyed by the settings (what RunStore does, without files)."""

    engine, quiet = "auto", True

    def __init__(self):
        self.store, self.computed = {}, 0

    run_many = Context.run_many          # the store logic under test, over this dict store

    def has(self, name, **settings):
        return (name, tuple(sorted(settings.items()))) in self.store

    def run(self, name, compute, **settings):
        key = (name, tuple(sorted(settings.items())))
        if key not in self.store:
            self.store[key] = compute()
            self.computed += 1
        return self.store[key]


def test_train_units_trains_only_the_missing_units_and_stores_each():
    from twolayer.experiments.base import balanced_net

    X, y = data.thesis("1.1.0")
    made = []
    cfg = md.Config(width=4, lr=1e-2, records=5)

    def unit(s):
        def spec():
            made.append(s)
            return md.make_spec(cfg, _FakeCtx(), X, y, "relu", 0.5, 20, s, False)
        return {"seed": s}, spec

    ctx = _FakeCtx()
    first = md.train_units(ctx, [unit(0), unit(1)])
    assert made == [0, 1] and ctx.computed == 2
    again = md.train_units(ctx, [unit(0), unit(1), unit(2)])
    assert made == [0, 1, 2] and ctx.computed == 3                   # seeds 0 and 1 came from the store
    assert again[0] is first[0] and again[1] is first[1]
    # each unit is the run of its own seed, as if trained alone
    from twolayer import train
    from twolayer.optim import GD

    for s, t in zip((0, 1, 2), again):
        alone = train(balanced_net(2, 4, "relu", 0.5, s), X, y, loss="square", reduction="mean", optimizer=GD(1e-2),
                      steps=20, record_every=4, snapshots=False, quiet=True)
        np.testing.assert_allclose(t.final.W, alone.final.W, rtol=1e-12, atol=1e-15)
        assert t.W is None


def test_quick_run_reports_both_claims_over_seeds(quick_results):
    """The quick run: every fitted orthogonal ReLU seed shows the third group the rates predict (the
    variance outside two components leaves with it), the spreads are those of the per-seed lists, the
    drawn run's keys are the first seed's, and every flagged run is excluded with its reason."""
    folder, m = quick_results("multidim")
    for key in ("orth", "nonorth"):
        seeds = m[f"evr2_{key}_relu_seeds"]
        assert len(seeds) == len(m["seeds"] if key == "orth" else m["data_seeds"]) >= 2
        assert m[f"evr2_{key}_relu_spread"]["n"] == sum(v is not None for v in seeds)
        assert [v is None for v in seeds] == [st != "ok" for st in m["health_seeds"][f"{key}_relu"]]
        if seeds[0] is not None:
            assert seeds[0] == m[f"evr2_{key}_relu"]
    assert m["third_group_predicted"][0]["points"] == [5] and m["third_group_predicted"][0]["sign"] == -1
    fitted = [c for c in m["third_group_seeds"] if c is not None]
    assert fitted and m["third_group_matches"] is True
    for c, e2 in zip(fitted, [v for v in m["evr2_orth_relu_seeds"] if v is not None]):
        assert 1 - c["evr2_without"] < 1e-2 * (1 - e2)
    lo = m["evr2_orth_relu_spread"]["lo"]
    assert m["nonorth_below_orth_relu"] == sum(v < lo - md.EVR_TOL for v in m["evr2_nonorth_relu_seeds"]
                                                if v is not None)
    n_flagged = sum(st != "ok" for sts in m["health_seeds"].values() for st in sts)
    assert len(m["excluded"]) == n_flagged
    for name in ("pca_orth", "pca_nonorth", "third_group", "evr2_seeds"):
        assert (folder / "figures" / f"{name}.png").exists()

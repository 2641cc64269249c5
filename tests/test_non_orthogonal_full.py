"""non-orthogonal-full: the thesis's stopping rule, the measures the findings read, and the computed
sentences and findings-table verdicts (each tested both ways)."""

import copy

import numpy as np
import pytest

from twolayer import data
from twolayer.experiments import non_orthogonal_full as nf
from twolayer.experiments.base import THESIS_LOSS, balanced_net
from twolayer.experiments.thesis_findings import VERDICTS
from twolayer.net import Net
from twolayer.optim import GD
from twolayer.sweep import train_many


def _cfg(**kw):
    cfg = nf.Config()
    for k, v in {"segment": 300, "long_cap": 1200, "short_cap": 300, "points": 60, **kw}.items():
        setattr(cfg, k, v)
    return cfg


# -- the stopping rule --------------------------------------------------------------------------------------
def test_segment_outcome_is_the_thesis_rule():
    assert nf.segment_outcome(1.0, 0.5, True, False, 10, 100, 0.01) == "converged"
    assert nf.segment_outcome(1.0, 0.995, False, False, 10, 100, 0.01) == "stalled"      # fell by 0.5% < 1%
    assert nf.segment_outcome(1.0, 0.9, False, False, 10, 100, 0.01) is None             # decreasing: go on
    assert nf.segment_outcome(1.0, 0.9, False, False, 100, 100, 0.01) == "capped"
    assert nf.segment_outcome(1.0, float("nan"), False, True, 10, 100, 0.01) == "diverged"
    assert nf.segment_outcome(1.0, 1.2, False, False, 10, 100, 0.01) == "stalled"        # a rise is no decrease


def test_segmented_training_gives_the_same_curve_as_one_long_run():
    X, y = data.thesis("1.3.3")
    cfg = _cfg(goal_n5=1e-30)                          # never reached: runs go to the cap
    net = balanced_net(2, 8, "tanh", 0.5, 3)
    seg = nf.train_until_converged([net], X, y, [1200], 1e-30, cfg, quiet=True)[0]
    assert seg["outcome"] == "capped" and seg["epochs"] == 1200 and len(seg["segment_losses"]) == 5
    at = seg["steps"]
    one = train_many([net], X, y, **THESIS_LOSS, optimizer=GD(cfg.lr), steps=1200, record_at=at, snapshots=False,
                     quiet=True)[0]
    assert np.array_equal(one.steps, at)
    np.testing.assert_allclose(seg["loss"], one.train_loss, rtol=1e-12, atol=0)
    np.testing.assert_allclose(seg["final"].theta, one.final.theta, rtol=1e-12, atol=0)


def test_a_dead_relu_network_stalls_after_one_segment_and_a_fitting_one_converges():
    X, y = data.thesis("1.3.3")
    dead = Net(np.array([0.5, -0.5]), np.array([[0.0, -1.0], [0.0, -1.0]]), None, "relu", "none")  # w.x = -1 < 0
    fits = balanced_net(2, 20, "relu", 1.0, 0)
    cfg = _cfg(segment=20_000, long_cap=200_000)
    d, f = nf.train_until_converged([dead, fits], X, y, [200_000, 200_000], 1e-3, cfg, quiet=True)
    assert d["outcome"] == "stalled" and d["epochs"] == 20_000
    assert d["segment_losses"][0] == pytest.approx(np.mean(y ** 2)) and d["segment_losses"][1] == d["segment_losses"][0]
    assert f["outcome"] == "converged" and f["loss"][-1] < 1e-3 and f["epochs"] % 20_000 == 0


def test_a_cap_below_the_segment_ends_that_run_there_while_the_others_go_on():
    X, y = data.thesis("1.3.3")
    cfg = _cfg(segment=500)
    nets = [balanced_net(2, 8, "tanh", 0.5, s) for s in (1, 2)]
    short, full = nf.train_until_converged(nets, X, y, [200, 1000], 1e-30, cfg, quiet=True)
    assert (short["epochs"], short["outcome"], full["epochs"], full["outcome"]) == (200, "capped", 1000, "capped")
    assert short["steps"][-1] == 200 and full["steps"][-1] == 1000


def test_caps_follow_the_stated_choice():
    cfg = nf.Config()
    assert nf.caps_of("lambda-1.3.3", "sigmoid", "balanced", 60, cfg) == cfg.long_cap
    assert nf.caps_of("rich-1.3.2", "relu", "balanced", 60, cfg) == cfg.long_cap
    assert nf.caps_of("rich-1.3.2", "relu", "normal", 60, cfg) == cfg.short_cap
    assert nf.caps_of("rich-1.3.1", "tanh", "balanced", 60, cfg) == cfg.short_cap
    assert nf.caps_of("width-1.3.2", "relu", "balanced", 1000, cfg) == cfg.short_cap
    assert nf.caps_of("width-1.3.2", "relu", "balanced", 10, cfg) == cfg.long_cap
    assert nf.caps_of("wide-1.3.1", "tanh", "balanced", 1000, cfg) == cfg.wide_cap
    assert nf.goal_of("1.3.3", cfg) == 1e-3 and nf.goal_of("1.3.2", cfg) == 1e-5


# -- measures ------------------------------------------------------------------------------------------------
def test_bend_total_and_linear_gap_of_the_absolute_value():
    absx = Net(np.array([1.0, 1.0]), np.array([[1.0, 0.0], [-1.0, 0.0]]), None, "relu", "none")    # h(x) = |x|
    x = np.array([-1.0, 0.0, 1.0])
    assert nf.bend_total(absx, x) == pytest.approx(2.0, rel=1e-3)          # the slope jumps from -1 to 1
    assert nf.linear_gap(absx, x, np.abs(x)) == pytest.approx(0.0, abs=1e-12)
    assert nf.linear_gap(absx, x, np.array([1.0, 0.5, 1.0])) == pytest.approx(0.5)


def test_coherent_turns_measures_a_group_turning_together():
    T = 20
    turn = np.radians(np.linspace(30, 40, T))                               # the group turns from 30 to 40 deg
    W = np.zeros((T, 3, 2))
    for j, off in enumerate((0.0, 0.2)):
        W[:, j] = np.stack([np.cos(turn + np.radians(off)), np.sin(turn + np.radians(off))], axis=1)
    W[:, 2] = [np.cos(np.radians(150)), np.sin(np.radians(150))]            # a lone neuron: not a group
    W[:5, 1] = [np.cos(np.radians(80)), np.sin(np.radians(80))]             # joins the group at index 5
    a = np.ones((T, 3))
    (g,) = nf.coherent_turns(a, W)
    assert g["size"] == 2 and g["since"] == 5
    assert g["turn"] == pytest.approx(40 - (30 + 10 * 5 / 19) + 0.0, abs=0.11)


# -- findings and sentences flip with the numbers --------------------------------------------------------------
def _row(**kw):
    base = {"part": "lambda-1.3.3", "dataset": "1.3.3", "seed": 0, "act": "relu", "init": "balanced", "scale": 1e-6,
            "width": 60, "cap": 3_000_000, "outcome": "converged", "epochs": 2_000_000, "final_loss": 1e-4,
            "fit": 1_500_000, "status": "ok", "reason": "", "t01": 1000, "plateaus": 3, "intermediate": 2,
            "first_drop": 0.5, "residuals": [0.0] * 5, "linear_gap": 0.01, "bend_total": 10.0}
    return {**base, **kw}


def test_fig328_finding_and_sentence_follow_the_runs():
    good = [_row(seed=s) for s in (0, 1)]
    f = nf.fig328_finding(good, 1e-6)
    assert f["holds"] == 2 and "in every seed" in nf.fig328_sentence(f)
    bad = [good[0], _row(seed=1, outcome="stalled", status="not fitted", final_loss=0.2, residuals=[0, 0, -1.0, 0, 0],
                         linear_gap=None, plateaus=None)]
    f = nf.fig328_finding(bad, 1e-6)
    assert f["holds"] == 1 and f["stalled"] == 1 and f["runs"][1]["unfitted_points"] == [2]
    assert "1 of 2 seeds, 1 stalled" in nf.fig328_sentence(f)


def test_lambda_findings_flip():
    rows = [_row(scale=s, plateaus=p, bend_total=b) for s, p, b in ((1.0, 0, 30.0), (0.1, 1, 20.0), (1e-6, 2, 12.0))]
    assert nf.lambda_finding(rows, "relu", "plateaus")["holds"] == 1
    assert nf.lambda_finding(rows, "relu", "bend_total")["holds"] == 1
    flipped = [_row(scale=s, plateaus=p, bend_total=b) for s, p, b in ((1.0, 2, 12.0), (0.1, 1, 20.0), (1e-6, 0, 30.0))]
    assert nf.lambda_finding(flipped, "relu", "plateaus")["holds"] == 0
    assert nf.lambda_finding(flipped, "relu", "bend_total")["holds"] == 0
    assert "in 0 of 1 seeds" in nf.lambda_sentence(nf.lambda_finding(flipped, "relu", "plateaus"))


def _rich(act, scale, t01, inter, seed=0, **kw):
    return _row(part="rich-1.3.2", dataset="1.3.2", act=act, scale=scale, t01=t01, intermediate=inter, seed=seed, **kw)


def test_ln_lambda_and_plateau_vanish_flip():
    rows = [_rich(a, s, t, i) for a in ("relu", "tanh") for s, t, i in ((1e-6, 9000, 1), (1e-4, 6000, 1), (1e-2, 3000, 0))]
    f = nf.ln_lambda_finding(rows)
    assert f["relu"]["growing"] == 1 and f["relu"]["slopes"][0] == pytest.approx(3000 / np.log(100))
    assert nf.plateau_vanish_finding(rows)["holds"] == 1
    rows = [_rich(a, s, t, i) for a in ("relu", "tanh") for s, t, i in ((1e-6, 3000, 1), (1e-4, 6000, 1), (1e-2, 9000, 1))]
    assert nf.ln_lambda_finding(rows)["relu"]["growing"] == 0
    assert nf.plateau_vanish_finding(rows)["holds"] == 0
    assert "in 0 of 1 seeds" in nf.plateau_vanish_sentence(nf.plateau_vanish_finding(rows))


def test_footnote12_balance_groups_width_and_stopping_flip():
    flat = [_rich("sigmoid", 1e-6, None, None, first_drop=1e-4, outcome="stalled")]
    assert nf.footnote12_finding(flat, 1e-6, 0.01)["holds"] == 1
    moving = [_rich("sigmoid", 1e-6, None, None, first_drop=0.3, outcome="capped")]
    assert nf.footnote12_finding(moving, 1e-6, 0.01)["holds"] == 0
    assert "in 0 of 1 seeds" in nf.footnote12_sentence(nf.footnote12_finding(moving, 1e-6, 0.01))
    bal = [_rich(a, 1e-4, 1, 0, balance_rel_inf=e, sign_changes=0) for a, e in (("relu", 1e-4), ("sigmoid", 0.2), ("tanh", 0.1))]
    assert nf.balance_finding(bal, 1e-4)["holds"]
    bal[0]["balance_rel_inf"] = 0.5
    assert not nf.balance_finding(bal, 1e-4)["holds"] and "ReLU below 0.01 in 0 of 1" in nf.balance_sentence(nf.balance_finding(bal, 1e-4))
    g = [_rich("relu", 1e-6, 1, 1, turn_max=12.0, groups=3)]
    assert nf.groups_finding(g, "rich-1.3.2", 1e-6, 5.0)["holds"] == 1
    g[0]["turn_max"] = 1.0
    assert nf.groups_finding(g, "rich-1.3.2", 1e-6, 5.0)["holds"] == 0
    w = [_row(part="width-1.3.2", width=m, t01=t) for m, t in ((2, None), (10, 900), (60, 500), (1000, 400))]
    f = nf.width_finding(w)
    assert (f["pairs"], f["slower_when_narrower"], f["never"]["0"]) == (2, 2, [2])
    w[1]["t01"] = 100
    assert nf.width_finding(w)["slower_when_narrower"] == 1
    st = [_row(act="sigmoid", outcome="stalled", scale=1e-6), _row(act="relu", outcome="converged"),
          _row(act="tanh", outcome="converged")]
    assert nf.stopping_finding(st)["holds"]
    st[0]["act"], st[2]["act"] = "tanh", "sigmoid"
    assert not nf.stopping_finding(st)["holds"] and "tanh's" in nf.stopping_sentence(nf.stopping_finding(st))


def test_finding_rows_verdicts_flip_with_the_numbers(quick_results):
    _, metrics = quick_results("non-orthogonal-full")
    rows = nf.finding_rows(metrics)
    assert rows and all(r["verdict"] in VERDICTS for r in rows)
    assert {r["id"] for r in rows} >= {"NO1", "NO6", "NO9", "NO12"}
    m = copy.deepcopy(metrics)
    f = m["findings"]
    for key in ("fig328", "footnote12"):
        f[key]["holds"] = f[key]["seeds"]
    f["balance"]["holds"] = True
    good = {r["id"]: r["verdict"] for r in nf.finding_rows(m)}
    assert good["NO1"] == good["NO6"] == good["NO9"] == "reproduced"
    for key in ("fig328", "footnote12"):
        f[key]["holds"] = f[key]["seeds"] - 1
    f["balance"]["holds"] = False
    f["stopping"]["holds"] = not f["stopping"]["holds"]
    bad = {r["id"]: r["verdict"] for r in nf.finding_rows(m)}
    assert bad["NO1"] == bad["NO6"] == bad["NO9"] == "differs"
    assert bad["NO12"] != {r["id"]: r["verdict"] for r in rows}["NO12"]


def test_quick_run_obeys_its_stopping_rule(quick_results):
    _, metrics = quick_results("non-orthogonal-full")
    for r in metrics["runs"]:
        assert r["epochs"] <= r["cap"]
        if r["outcome"] == "capped":
            assert r["epochs"] == r["cap"]
        if r["outcome"] == "converged":
            assert r["fit"] is not None
        if r["status"] == "ok":
            assert r["outcome"] == "converged"

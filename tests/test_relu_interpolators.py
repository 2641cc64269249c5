"""relu-interpolators (thesis Fig 2.9, Fig 3.16, Figs 3.25-3.26): the slowdown rule on synthetic loss
curves with known speeds, the shape numbers of final interpolators against independent computations,
health flags, computed sentences and finding rows that flip with the numbers, and the quick run."""

import copy

import numpy as np
import pytest

from twolayer import analysis, data
from twolayer.experiments import relu_interpolators as ri
from twolayer.net import Net
from twolayer.trajectory import Trajectory


# -- synthetic loss curves -------------------------------------------------------------------------
def _curve(knots, step: int = 50):
    """A piecewise-linear loss through ``knots`` [(epoch, loss), ...], recorded every ``step`` epochs."""
    t = np.arange(0, knots[-1][0] + 1, step, dtype=float)
    return t, np.interp(t, *zip(*knots))


# 1 -> 0.5 -> 0 with fast descents at speed 2e-4 per epoch: the profile of data set 1.1.0
TWO_PLATEAUS = [(0, 1.0), (8000, 1.0), (10500, 0.5), (17500, 0.5), (20000, 0.0), (24000, 0.0)]
# the same with a shoulder in the first descent: 0.85 -> 0.79 at 6e-5 per epoch (0.3 of 2e-4), faster
# than the plateau rule's threshold L(0)/T (about 4.8e-5 for T of about 20,600): only the rate rule sees it
SHOULDER = [(0, 1.0), (8000, 1.0), (8750, 0.85), (9750, 0.79), (11200, 0.5), (18200, 0.5), (20700, 0.0),
            (24000, 0.0)]
# an extra flat stretch at 0.62 between the initial and the intermediate plateau
EXTRA_PLATEAU = [(0, 1.0), (8000, 1.0), (9900, 0.62), (11900, 0.62), (12500, 0.5), (19500, 0.5), (22000, 0.0),
                 (26000, 0.0)]
LEVELS = [0.5, 0.5]     # labels -1, 1: one label fitted leaves (1/2) * 1


def test_two_plateau_curve_has_the_orthogonal_profile_and_no_slowdown():
    t, L = _curve(TWO_PLATEAUS)
    p = ri.loss_profile(t, L, LEVELS)
    assert p["count"] == 2 and p["initial"] and p["intermediate"] == 1
    assert [round(q["level"], 3) for q in p["plateaus"]] == [1.0, 0.5]
    assert p["shoulders"] == [] and p["between"] == 0 and p["elsewhere"] == 0 and p["orthogonal"]
    assert p["dip"] == pytest.approx(1.0)               # one bump: the speed never falls between two peaks
    assert p["fit_time"] == pytest.approx(19950.0)      # 0.5 - 2e-4 (t - 17500) < 0.01 from t = 19950 on
    assert p["rise"] == 0.0


def test_a_shoulder_the_plateau_rule_misses_is_a_slowdown_with_its_exact_depth():
    t, L = _curve(SHOULDER)
    plats = analysis.fit_plateaus(t, L)
    assert len(plats) == 2                              # the thesis's rule alone sees no change of profile
    p = ri.loss_profile(t, L, LEVELS)
    assert len(p["shoulders"]) == 1 and p["between"] == 1 and not p["orthogonal"]
    s = p["shoulders"][0]
    assert s["after"] == 0 and s["depth"] == pytest.approx(6e-5 / 2e-4)      # the speeds of the pieces
    assert 8750 <= s["at"] <= 9750 and 0.79 <= s["level"] <= 0.85
    assert p["dip"] == pytest.approx(0.3)
    # a shallower dip (speed 1.2e-4, ratio 0.6) is no slowdown at ratio 0.5, and is one at 0.7
    mild = [(0, 1.0), (8000, 1.0), (8750, 0.85), (9250, 0.79), (10700, 0.5), (17700, 0.5), (20200, 0.0),
            (24000, 0.0)]
    t2, L2 = _curve(mild)
    assert ri.loss_profile(t2, L2, LEVELS)["between"] == 0
    assert ri.loss_profile(t2, L2, LEVELS, ratio=0.7)["between"] == 1


def test_an_extra_plateau_between_initial_and_intermediate_counts_as_a_slowdown():
    t, L = _curve(EXTRA_PLATEAU)
    p = ri.loss_profile(t, L, LEVELS)
    assert [round(q["level"], 2) for q in p["plateaus"]] == [1.0, 0.62, 0.5]
    assert p["intermediate"] == 2 and p["between"] == 1 and p["elsewhere"] == 0 and not p["orthogonal"]


def test_a_curve_that_never_fits_has_no_profile_and_a_one_plateau_curve_no_intermediate():
    t, L = _curve([(0, 1.0), (5000, 1.0), (8000, 0.5), (20000, 0.5)])
    assert ri.loss_profile(t, L, LEVELS) is None
    t, L = _curve([(0, 1.0), (8000, 1.0), (13000, 0.0), (16000, 0.0)])     # both labels at once (1.1.2-like)
    p = ri.loss_profile(t, L, LEVELS)
    assert p["count"] == 1 and p["intermediate"] is None and p["between"] is None and not p["orthogonal"]


def test_window_indices_follow_the_profile():
    t, L = _curve(SHOULDER)
    p = ri.loss_profile(t, L, LEVELS)
    idx = ri.window_indices(t, L, p)
    assert idx[0] == 0 and idx[-1] == len(t) - 1 and len(idx) <= ri.MOST_WINDOWS and idx == sorted(idx)
    epochs = t[idx]
    assert p["plateaus"][0]["end"] in epochs                                # the end of the initial plateau
    assert p["shoulders"][0]["at"] in epochs                                # the slowdown
    mid = 0.5 * (p["plateaus"][1]["start"] + p["plateaus"][1]["end"])
    assert np.any(np.abs(epochs - mid) <= 50)                               # the middle of the intermediate one
    t, L = _curve([(0, 1.0), (8000, 1.0), (13000, 0.0), (16000, 0.0)])
    idx = ri.window_indices(t, L, ri.loss_profile(t, L, LEVELS))
    assert int(np.argmax(L < 0.5)) in idx                                   # no later plateau: the half-way point


def test_record_steps_are_dense_then_sparse():
    s = ri.record_steps(1000, 10, 300)
    assert s[0] == 0 and s[-1] == 1000 and np.all(np.diff(s[s <= 300]) == 10) and np.all(np.diff(s[s >= 300]) == 100)


# -- data and classification ---------------------------------------------------------------------
def test_delta_cases_classify_the_sign_of_the_first_input():
    assert ri.delta_case(-1, 100.0) == {"delta": 100.0, "sign": -1, "x11": -50.5, "kind": "opposite", "thesis": True}
    assert ri.delta_case(1, 1.0)["kind"] == "zero"          # x_1 = (0, 1)
    assert ri.delta_case(1, 10.0)["kind"] == "same" and ri.delta_case(1, 10.0)["thesis"]     # Fig 3.26
    assert ri.delta_case(1, 3.0) == {"delta": 3.0, "sign": 1, "x11": 1.0, "kind": "same", "thesis": False}
    assert ri.delta_case(1, 1e-2)["kind"] == "opposite"


def test_one_label_levels_and_the_scaled_data():
    X, y = ri.scaled_data(2, 5.0)
    assert y.tolist() == [1.0, 5.0] and X.tolist() == data.thesis("1.1.2")[0].tolist()
    assert ri.scaled_data(1, 5.0)[1].tolist() == [5.0, 1.0]
    assert ri.one_label_levels(y) == [12.5, 0.5]            # (1 + 25 - y_k^2) / 2
    assert ri.one_label_levels(data.thesis("1.2", delta=1.0, sign=-1)[1]) == [0.5, 0.5]


# -- shape numbers -----------------------------------------------------------------------------------
def test_the_minimum_norm_interpolator_of_1_1_0_is_the_linear_interpolation():
    X, y = data.thesis("1.1.0")
    assert ri.orthogonal(X) and not ri.orthogonal(data.thesis("1.3.3")[0])
    closed = ri.min_norm(X, y)
    assert closed == pytest.approx(analysis.min_norm_relu_2d(X, y)[0], rel=1e-7)    # the LP, independently
    net = analysis.min_norm_relu_orthogonal(X, y)[1]
    s = ri.shape_numbers(net, X, y, closed)
    assert s["kinks"] == 2 and s["norm_ratio"] == pytest.approx(1.0) and s["interp_gap"] < 1e-12
    assert s["max_slope"] == pytest.approx(0.8)                 # (1 - (-1)) / (2 - (-0.5)) between the points


def test_max_slope_and_gap_against_a_dense_grid():
    rng = np.random.default_rng(3)
    net = Net(rng.normal(size=12), rng.normal(size=(12, 2)), None, "relu", "none")
    X, y = data.thesis("1.1.0")
    g = np.linspace(-1.75, 3.25, 400_001)
    h = net(np.c_[g, np.ones_like(g)])
    assert ri.max_slope(net, -1.75, 3.25) == pytest.approx(np.max(np.abs(np.diff(h) / np.diff(g))), rel=1e-4)
    inside = (g >= -0.5) & (g <= 2.0)
    dense = np.max(np.abs(h[inside] - np.interp(g[inside], [-0.5, 2.0], [-1.0, 1.0]))) / 2.0
    assert ri.interp_gap(net, X, y) == pytest.approx(dense, rel=1e-6)


def test_simple_and_complexity_summaries_and_their_sentence_flip():
    keys = ["2.5", "1", "1e-06"]
    spread = lambda v: analysis.spread(v)            # noqa: E731
    small = ri.simple_summary([2, 2, None], [1.0, 1.0000001, None], [1e-7, 0.0, None], 2)
    assert small == {"kept": 2, "runs": 3, "simple": 2}
    comp = ri.complexity_summary([2.5, 1.0, 1e-6], [[20, 19, None], [9, 8, 9], [1, 1, 1]],
                                 [[35, 44, None], [38, 36, 40], [2, 2, 2]])
    assert comp == {"compared": 2, "seeds": 3, "norm_grows": 2, "more_kinks": 2, "kinks_ordered": 1, "big": 2}
    ratios = {k: spread(v) for k, v in zip(keys, ([20, 19], [9, 8, 9], [1, 1, 1]))}
    kinks = {k: spread(v) for k, v in zip(keys, ([35, 44], [38, 36, 40], [2, 2, 2]))}
    text = ri.interpolators_sentence([2.5, 1.0, 1e-6], small, comp, ratios, kinks, "1.1.0")
    assert "At lambda = 1e-06 every fitted run (2) ends at the simple interpolator" in text and "in 2 of 2 seeds" in text
    assert "saturates" in text
    bad = ri.simple_summary([5, 2], [1.3, 1.0], [0.2, 0.0], 2)
    assert bad["simple"] == 1
    text = ri.interpolators_sentence([2.5, 1.0, 1e-6], bad, comp, ratios, kinks, "1.1.0")
    assert "only 1 of 2 fitted runs end at the simple interpolator" in text
    assert "not judged" in ri.interpolators_sentence([2.5, 1.0], None, comp, ratios, kinks, "1.1.0")
    flat = ri.complexity_summary([2.5, 1.0, 1e-6], [[5, 5], [6, 6], [1, 1]], [[2, 2], [2, 2], [2, 2]])
    assert flat["norm_grows"] == 0 and flat["more_kinks"] == 0
    # two scales at the minimum norm: their order is rounding, not complexity
    tie = ri.complexity_summary([2.5, 1.0, 1e-6, 1e-10], [[20], [9], [1.0], [1.0 + 1e-15]], [[40], [39], [2], [2]])
    assert tie["norm_grows"] == 1 and tie["more_kinks"] == 1 and tie["kinks_ordered"] == 1


# -- the delta claims: summaries, verdicts and sentences flip ------------------------------------
CASES = {ri.delta_key(s, d): ri.delta_case(s, d) for s in (-1, 1) for d in (1e-2, 3.0, 10.0, 100.0)}


def test_opposite_summary_verdict_and_sentence_flip():
    good = {k: [True, True, None] for k in CASES}
    s = ri.opposite_summary(CASES, good)
    assert s["runs"] == 8 and s["unchanged"] == 8 and s["extra_runs"] == 2          # -3 is beyond the thesis
    assert ri.opposite_verdict(s) == "reproduced" and "as the thesis says" in ri.opposite_sentence(s)
    some = {**good, "-10": [True, False, None]}
    s = ri.opposite_summary(CASES, some)
    assert ri.opposite_verdict(s) == "differs" and "not in every seed" in ri.opposite_sentence(s)
    broken = {**good, "-100": [False, False, None]}
    s = ri.opposite_summary(CASES, broken)
    assert s["failing"] == ["-100"] and ri.opposite_verdict(s) == "thesis contradicted"
    assert "changes in every seed for -100, against the thesis" in ri.opposite_sentence(s)
    assert ri.opposite_verdict(ri.opposite_summary(CASES, {k: [None] for k in CASES})) == "not run"


def test_length_sentence_says_whether_the_timing_moves():
    lengths = {k: [8000.0, 8200.0] for k in CASES}
    r = ri.length_range(CASES, lengths)
    assert "about as long at every such delta" in ri.length_sentence(r)
    r = ri.length_range(CASES, {**lengths, "-100": [350.0, None]})
    assert r["shortest"] == ["-100", 350.0] and r["longest"][1] == 8100.0
    assert "lasts 8100 epochs at delta" in ri.length_sentence(r) and "but 350 at delta -100" in ri.length_sentence(r)
    assert ri.length_sentence(ri.length_range(CASES, {k: [None] for k in CASES})) == ""


def test_same_sign_summary_verdict_and_sentence_flip():
    base = {k: [0, 0] for k in CASES}
    s = ri.same_summary(CASES, {**base, "+10": [1, 1], "+100": [2, 1], "+3": [0, 0]})
    assert (s["runs"], s["with"], s["extra_runs"], s["extra_with"]) == (4, 4, 2, 0)
    assert ri.same_verdict(s) == "reproduced" and "the new slowdown the thesis describes" in ri.same_sentence(s)
    s = ri.same_summary(CASES, {**base, "+10": [1, 1], "+100": [0, 0]})
    assert ri.same_verdict(s) == "differs" and s["without"] == ["+100"] and "none in +100" in ri.same_sentence(s)
    s = ri.same_summary(CASES, base)
    assert ri.same_verdict(s) == "thesis contradicted" and "does not appear" in ri.same_sentence(s)
    fitted = {k: [True, True] for k in CASES}            # a fitted run without the two plateaus has no such slowdown
    s = ri.same_summary(CASES, {**base, "+10": [1, None], "+100": [1, 1]}, fitted)
    assert (s["runs"], s["with"], s["unstructured"]) == (4, 3, 1) and ri.same_verdict(s) == "differs"
    assert "1 without those two plateaus" in ri.same_sentence(s)
    s = ri.same_summary(CASES, {**base, "+10": [1, None], "+100": [1, 1]}, {**fitted, "+10": [True, False]})
    assert (s["runs"], s["with"], s["unstructured"]) == (3, 3, 0) and ri.same_verdict(s) == "reproduced"   # flagged


def test_scaled_sentence_flips():
    assert "two directions in every fitted seed, as the thesis says" in ri.scaled_sentence({"y_2 x 5": [2, 2, None]})
    assert "never two directions" in ri.scaled_sentence({"y_2 x 5": [1, 1]})
    assert "some seeds only" in ri.scaled_sentence({"y_2 x 5": [2, 3]})
    assert "no fitted seed" in ri.scaled_sentence({"y_2 x 5": [None]})


def test_a_flagged_run_gets_no_profile():
    t, L = _curve(TWO_PLATEAUS)
    net = Net([1.0], [[1.0, 0.0]], None, "relu", "none")
    cfg = ri.Config()
    fine = {"run": Trajectory(t.astype(int), t * 1e-3, L, L, np.zeros_like(L), net)}
    h, p = ri.profile_of(fine, [-1.0, 1.0], cfg)
    assert h["status"] == "ok" and p["orthogonal"]
    stuck = np.where(t < 12000, L, 0.5)
    h, p = ri.profile_of({"run": Trajectory(t.astype(int), t * 1e-3, stuck, stuck, np.zeros_like(L), net)},
                         [-1.0, 1.0], cfg)
    assert h["status"] == "not fitted" and p is None
    blown = L.copy()
    blown[5] = 500.0
    h, p = ri.profile_of({"run": Trajectory(t.astype(int), t * 1e-3, blown, blown, np.zeros_like(L), net)},
                         [-1.0, 1.0], cfg)
    assert h["status"] == "nearly diverged" and p is None


# -- the quick run -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def quick(quick_results):
    return quick_results("relu-interpolators")


def test_quick_run_small_scale_ends_at_the_minimum_norm_and_orthogonal_like_runs_plateau_at_1_and_half(quick):
    folder, m = quick
    assert len(m["seeds"]) >= 2
    small = f"{min(m['interp_scales']):g}"
    ratios = m["interp_norm_ratio_seeds"]["1.1.0"][small]
    assert all(r is not None and abs(r - 1) < 1e-6 for r in ratios)        # [5]: the minimum-norm interpolator
    # [5]: sqrt(2 (sqrt(S+) + sqrt(S-))) with S+ = 1 / ||x_2||^2 = 1/5 and S- = 1 / ||x_1||^2 = 1/1.25
    assert m["interp_min_norm"]["1.1.0"] == pytest.approx(np.sqrt(2 * (np.sqrt(1 / 5) + np.sqrt(1 / 1.25))))
    for key, c in m["delta_cases"].items():
        if c["kind"] == "opposite" and c["delta"] <= 1e-2:                  # (nearly) orthogonal inputs
            assert m["delta_plateau_levels"][key] == pytest.approx([1.0, 0.5], abs=1e-3)
    assert all(len(v) <= ri.MOST_WINDOWS for v in m["window_steps"].values())
    size = sum(p.stat().st_size for p in (folder / "store").glob("*.h5"))
    assert size < 20e6


def test_finding_rows_read_the_quick_run_and_flip(quick):
    _, m = quick
    rows = {r["id"]: r for r in ri.finding_rows(m)}
    assert set(rows) == {"F2.9a", "F2.9b", "F3.16", "F3.25", "F3.26"}
    assert all(r["verdict"] in ("reproduced", "differs", "thesis contradicted") for r in rows.values())

    def verdict(rid, change):
        mm = copy.deepcopy(m)
        change(mm)
        return {r["id"]: r for r in ri.finding_rows(mm)}[rid]["verdict"]

    small = f"{min(m['interp_scales']):g}"
    n = len(m["seeds"])
    ok = lambda mm: mm["interp_simple"]["1.1.0"].update(kept=n, runs=n, simple=n)   # noqa: E731
    assert verdict("F2.9a", ok) == "reproduced"
    assert verdict("F2.9a", lambda mm: mm["interp_simple"]["1.1.0"].update(kept=n, runs=n, simple=0)) \
        == "thesis contradicted"
    assert verdict("F2.9a", lambda mm: mm["interp_simple"]["1.1.0"].update(kept=n, runs=n, simple=n - 1)) == "differs"
    assert verdict("F2.9a", lambda mm: mm["interp_simple"].update({"1.1.0": None})) == "not run"
    assert verdict("F2.9b", lambda mm: mm["interp_complexity"]["1.1.0"].update(big=0)) == "not run"
    good = dict(compared=n, seeds=n, norm_grows=n, more_kinks=n)
    assert verdict("F2.9b", lambda mm: mm["interp_complexity"]["1.1.0"].update(**good)) == "reproduced"
    assert verdict("F2.9b", lambda mm: mm["interp_complexity"]["1.1.0"].update(**{**good, "more_kinks": n - 1})) \
        == "differs"
    assert verdict("F2.9b", lambda mm: mm["interp_complexity"]["1.1.0"].update(**{**good, "more_kinks": 0,
                                                                                  "norm_grows": 0})) \
        == "thesis contradicted"
    two = lambda mm: mm.update(scaled_groups_seeds={k: [2] * n for k in mm["scaled_groups_seeds"]})   # noqa: E731
    assert verdict("F3.16", two) == "reproduced"
    assert verdict("F3.16", lambda mm: mm.update(scaled_groups_seeds={k: [1] * n for k in mm["scaled_groups_seeds"]})) \
        == "thesis contradicted"
    assert verdict("F3.16", lambda mm: mm.update(scaled_groups_seeds={k: [2] * (n - 1) + [3]
                                                                       for k in mm["scaled_groups_seeds"]})) == "differs"
    base = {"runs": 10, "unchanged": 10, "failing": [], "extra_runs": 0, "extra_unchanged": 0}
    assert verdict("F3.25", lambda mm: mm.update(opposite_profile=base)) == "reproduced"
    assert verdict("F3.25", lambda mm: mm.update(opposite_profile={**base, "unchanged": 8})) == "differs"
    assert verdict("F3.25", lambda mm: mm.update(opposite_profile={**base, "unchanged": 8, "failing": ["-100"]})) \
        == "thesis contradicted"
    same = {"runs": 4, "with": 4, "without": [], "unstructured": 0, "extra_runs": 0, "extra_with": 0}
    assert verdict("F3.26", lambda mm: mm.update(same_sign_slowdown=same)) == "reproduced"
    assert verdict("F3.26", lambda mm: mm.update(same_sign_slowdown={**same, "with": 2, "without": ["+100"]})) \
        == "differs"
    assert verdict("F3.26", lambda mm: mm.update(same_sign_slowdown={**same, "with": 0})) == "thesis contradicted"
    assert small in m["interp_kinks_seeds"]["1.1.0"]
    rows = {r["id"]: r for r in ri.finding_rows({})}
    assert all(r["verdict"] == "not run" for r in rows.values())

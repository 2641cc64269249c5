"""label-geometry and non-orthogonal-1d over several seeds: per-seed health flags, the over-seed
numbers with their spread, and captions computed from them (each tested both ways)."""

import numpy as np
import pytest

from twolayer.analysis import spread
from twolayer.experiments import label_geometry as lg
from twolayer.experiments import non_orthogonal_1d as no
from twolayer.net import Net
from twolayer.trajectory import Trajectory


def _traj(loss, final=None):
    """A recorded run with the loss curve ``loss`` (times = steps / 1000) and a small final ReLU net."""
    loss = np.asarray(loss, dtype=float)
    steps = np.arange(len(loss)) * 1000
    final = final or Net([1.0, -1.0], [[1.0, 0.5], [-1.0, 0.5]], None, "relu", "none")
    return Trajectory(steps, steps / 1000.0, loss, loss, np.zeros_like(loss), final)


# -- label-geometry: pure helpers against independent computations ------------------------------
def test_predicted_kinks_are_the_kinks_of_the_two_alignment_directions():
    # x_1 = (-0.5 - delta/2, 1) with delta = 1: x_1,1 = -1, so D- puts its kink at -1/x_1,1 = 1; D+ = x_2 = (2, 1)
    # puts it at -1/2. With the + sign and delta = 1 the first input sits at x = 0: no opposite signs.
    assert lg.predicted_kinks(-1, 1.0) == [-0.5, 1.0]
    assert lg.predicted_kinks(1, 1.0) is None and lg.predicted_kinks(1, 10.0) is None
    assert lg.predicted_kinks(1, 0.5) == pytest.approx([-0.5, 4.0])       # x_1,1 = -0.25
    assert lg.kink_deviation([-0.5, 1.001], [-0.5, 1.0]) == pytest.approx(1e-3)
    assert lg.kink_deviation([-0.5], [-0.5, 1.0]) is None                  # not two bends: not compared
    assert lg.kink_deviation([-0.5, 1.0], None) is None


def test_neuron_directions_groups_by_angle_and_weights_by_contribution():
    # three neurons along 90 deg (|a| ||w|| = 1, 4, 4), two along (2, 1) at 26.57 deg (5, 1.25), one tiny at 0 deg
    W = np.array([[0, 1], [0, 2], [0, 2], [2, 1], [1, 0.5], [1e-4, 0]]) * 1.0
    a = np.linalg.norm(W, axis=1)
    groups = lg.neuron_directions(Net(a, W, None, "relu", "none"))
    total = (a * np.linalg.norm(W, axis=1)).sum()
    assert [round(g["angle"], 2) for g in groups] == [90.0, 26.57]         # the tiny one carries < 0.1%
    assert groups[0]["share"] == pytest.approx(9 / total) and groups[1]["share"] == pytest.approx(6.25 / total)
    refs = lg.reference_directions(*__import__("twolayer").data.thesis("1.1.2"))
    assert refs["x_2"] == pytest.approx(np.degrees(np.arctan2(1, 2)))
    assert lg.nearest_reference(26.6, refs) == "x_2" and lg.nearest_reference(70.0, refs) == "elsewhere"


def test_a_nearly_diverged_or_unfitted_label_run_is_flagged_and_gets_no_count():
    runs = {"1.1.0": _traj([1.0, 1.0, 0.5, 0.5, 1e-5, 1e-9]),        # fitted
            "1.1.1": _traj([1.0, 5e2, 1e3, 1e-3, 1e-9, 1e-9]),        # rose 1000x above its start
            "1.1.2": _traj([1.0, 1.0, 1.0, 0.9, 0.8, 0.5])}           # never below the fit level 0.01
    s = lg.label_summary(runs, 0.01)
    assert [s[n]["health"]["status"] for n in lg.LABEL_SETS] == ["ok", "nearly diverged", "not fitted"]
    assert s["1.1.0"]["count"] is not None and s["1.1.1"]["count"] is None and s["1.1.2"]["count"] is None
    counts = {"1.1.0": [2, 2], "1.1.1": [None, 2], "1.1.2": [1, 1]}     # seed 0's 1.1.1 flagged
    assert lg.labels_pattern(counts) == {"compared": 1, "seeds": 2, "switch_same": 1, "same_fewer": 1, "agree": 1}
    assert spread(counts["1.1.1"])["n"] == 1                            # the flagged seed is left out


# -- label-geometry: sentences flip with the numbers ---------------------------------------------
def test_labels_seeds_sentence_follows_the_counts():
    good = {"1.1.0": [2, 2, 2], "1.1.1": [2, 2, 2], "1.1.2": [1, 1, 1]}
    assert lg.labels_seeds_sentence(good).endswith("the thesis's label pattern holds in every seed.")
    bad = {"1.1.0": [2, 2, 2], "1.1.1": [3, 3, 3], "1.1.2": [2, 2, 2]}
    text = lg.labels_seeds_sentence(bad)
    assert "keeps the count in 0 of 3" in text and "lose a plateau in 0 of 3" in text
    assert text.endswith("no seed shows the thesis's label pattern.")
    mixed = {"1.1.0": [2, 2, 2], "1.1.1": [2, 2, 2], "1.1.2": [1, 2, None]}
    text = lg.labels_seeds_sentence(mixed)
    assert "2 with all three runs fitted" in text and text.endswith("the pattern depends on the seed.")
    assert "not compared" in lg.labels_seeds_sentence({"1.1.0": [None], "1.1.1": [2], "1.1.2": [1]})


def test_alignment_seeds_sentence_follows_the_deviations():
    text = lg.alignment_seeds_sentence([1e-9, 2e-9, None], [1e-2, 3e-3])
    assert "-delta the largest deviation from -1/x_k,1 is 1.5e-09" in text and "over 2 seeds" in text
    assert "within 1e-06 in every seed (aligned with D+ and D-)" in text
    assert "within 1e-06 in none (the bends leave -1/x_k,1)" in text
    text = lg.alignment_seeds_sentence([1e-3, 1e-9], [])
    assert "within 1e-06 in 1 of 2 seeds only" in text and "+delta no seed has a fitted run" in text


def test_quasi_orthogonal_sentences_follow_the_numbers():
    assert "as the thesis's Fig 3.26 describes" in lg.both_positive_sentence(3, 3)
    assert "unlike the thesis's Fig 3.26" in lg.both_positive_sentence(0, 3)
    assert "not in every run" in lg.both_positive_sentence(2, 3)
    assert "No fitted run" in lg.both_positive_sentence(0, 0)
    assert "as the thesis says" in lg.delta_plateaus_sentence([2, 2, 2], [2])
    assert "not always the orthogonal profile" in lg.delta_plateaus_sentence([2, 3, 2], [])


def test_weights_sentence_follows_the_measured_directions():
    refs = {"D+": 53.1, "x_1": 116.6, "x_2": 26.6, "(0, 1)": 90.0}
    two = [[{"angle": 90.3}, {"angle": 26.56}], [{"angle": 91.0}, {"angle": 26.57}]]
    text = lg.weights_sentence((54.0, 90.3), two, refs)
    assert "turns by 36.3 deg as it grows (from 54.0 deg (D+) to 90.3 deg ((0, 1)))" in text
    assert "2 group(s) in 2" in text and "the second along x_2 in 2" in text and "second, unexpected" in text
    text = lg.weights_sentence((53.0, 54.0), [[{"angle": 53.5}]], refs)
    assert "keeps its direction" in text and "1 group(s) in 1" in text and "direction: in 0 of 1 seeds" in text
    assert "No seed's 1.1.2 run fitted" in lg.weights_sentence(None, [None], refs)


def test_label_geometry_quick_over_seeds(quick_results):
    """Over the quick seeds: the thesis's label pattern and the D+/D- kinks (within 1e-6) hold in every
    seed; for +delta with x_1,1 < 0 the kinks leave the prediction by more than 1e-6 (acute angle: the
    D+ neuron is active on x_1 too); the drawn seed's numbers are the first entries."""
    _, m = quick_results("label-geometry")
    assert len(m["seeds"]) == 3 and m["seeds"][0] == 0
    assert m["plateaus_1_1_0_seeds"][0] == m["plateaus_1_1_0"] and m["kink_deviation_minus_seeds"][0] == \
        m["kink_deviation_minus"]
    assert m["labels_pattern"]["agree"] == m["labels_pattern"]["compared"] == 3
    assert m["plateaus_1_1_2_agree"] == 3 and m["plateaus_1_1_2_spread"]["mean"] == 1
    assert all(d < 1e-6 for d in m["kink_deviation_minus_seeds"])
    assert all(d > 1e-6 for d in m["kink_deviation_plus_seeds"])
    flagged = sum(st != "ok" for sts in [*m["health_labels_seeds"].values(), *m["health_delta_seeds"].values()]
                  for st in sts)
    assert len(m["excluded_seeds"]) == flagged
    assert all(len(g) >= 1 and abs(g[0] - 90) < 2 for g in m["directions_1_1_2_seeds"])   # largest: along (0, 1)


# -- non-orthogonal-1d ---------------------------------------------------------------------------
def test_non_orthogonal_seed_summary_flags_runs_and_keeps_them_out_of_the_gaps():
    from twolayer import data

    X, _ = data.thesis("1.3.3")
    big = Net([3.0, 3.0], [[0.0, 3.0], [3.0, 0.0]], None, "relu", "none")        # norm sqrt(36) = 6
    small = Net([1.0, 1.0], [[0.0, 1.0], [1.0, 0.0]], None, "relu", "none")      # norm 2, but not fitted
    cfg = no.Config(scales=(1e-3, 1e-2, 1.0), rich_below=1e-2, lazy_from=0.5, fit_level=1e-3)
    trajs = [_traj([1.0, 0.5, 1e-2], small), _traj([1.0, 1e-2, 1e-6], big), _traj([1.0, 2e3, 1e-6], big)]
    s = no.seed_summary(X, trajs, 5.0, cfg)
    assert [h["status"] for h in s["health"]] == ["not fitted", "ok", "nearly diverged"]
    assert s["plateaus"][0] is None and s["plateaus"][2] is None
    assert s["rich_gap"] == pytest.approx(0.2)        # only the fitted lambda = 1e-2 run: (6 - 5) / 5
    assert s["lazy_gap"] is None                      # the lazy run is flagged
    assert no.shown_index(["not fitted", "ok", "ok"], cfg.scales, 1e-2) == 1
    assert no.shown_index(["not fitted", "not fitted", "ok"], cfg.scales, 1e-2) == 2
    # relu(x) + relu(-x) - 2 relu(x - 1) + relu(x - 0.5): bends at 0 and 1 (data abscissas) and 0.5 (not one)
    net = Net([1.0, 1.0, -2.0, 1.0], [[1.0, 0.0], [-1.0, 0.0], [1.0, -1.0], [1.0, -0.5]], None, "relu", "none")
    assert no.bends_at_data(net, np.array([-2.0, -1.0, 0.0, 1.0, 2.0])) == [2, 3]


def test_non_orthogonal_sentences_follow_the_numbers():
    text = no.norms_seeds_sentence({"1.3.3": [0.02, 0.03]}, {"1.3.3": [1.5, 1.7]}, 1e-2, 0.5)
    assert "within 10% of the minimum in every seed" in text and "above the rich norm in every seed" in text
    assert "no fitted rich run)" not in text
    text = no.norms_seeds_sentence({"1.3.1": [None, 0.05]}, {"1.3.1": [0.8, 0.9]}, 1e-2, 0.5)
    assert "(1 of 2 seeds have no fitted rich run)" in text
    text = no.norms_seeds_sentence({"1.3.3": [0.02, 0.3]}, {"1.3.3": [0.01, 1.7]}, 1e-2, 0.5)
    assert "within 10% in 1 of 2 seeds" in text and "above the rich norm in 1 of 2 seeds only" in text
    assert "no fitted rich run (lambda <= 0.01) in any seed" in no.norms_seeds_sentence({"1.3.1": [None]},
                                                                                       {"1.3.1": [2.0]}, 1e-2, 0.5)
    assert "saddle to saddle in every fitted seed" in no.plateaus_seeds_sentence({"a": [4, 3, None]}, 1e-3)
    assert "fewer than two plateaus in every fitted seed" in no.plateaus_seeds_sentence({"a": [0, 1]}, 1e-3)
    assert ">= 2 plateaus in 1 of 2" in no.plateaus_seeds_sentence({"a": [0, 2]}, 1e-3)
    assert "(bends only at the data)" in no.bends_sentence({"a": [[3, 3], None]})
    assert "(some bends away from the data)" in no.bends_sentence({"a": [[3, 4]]})
    assert "(rich regime)" in no.rows_sentence({"a": (1e-3, "ok")}, 1e-2)
    assert "no rich run fitted" in no.rows_sentence({"a": (1.0, "ok")}, 1e-2)


def test_non_orthogonal_quick_over_seeds(quick_results):
    """Over the quick seeds: no fitted run beats the LP minimum (a theorem), flagged runs have no norm,
    no plateau count and no part in the gaps, and the drawn seed's numbers are the first entries."""
    _, m = quick_results("non-orthogonal-1d")
    assert len(m["seeds"]) == 3
    for name in ("1.3.1", "1.3.2", "1.3.3"):
        for i in range(len(m["scales"])):
            for norm, count, st in zip(m["theta_norm_seeds"][name][i], m["plateau_count_seeds"][name][i],
                                       m["health_seeds"][name][i]):
                assert (norm is None) == (count is None) == (st != "ok")
                assert norm is None or norm >= m["min_norm"][name] * (1 - 1e-6)
        assert m["rich_norm_gap_seeds"][name][0] == m["rich_norm_gap"][name]
        assert all(g is None or g >= -1e-6 for g in m["rich_norm_gap_seeds"][name] + m["lazy_norm_gap_seeds"][name])
    assert m["rich_norm_gap_spread"]["1.3.3"]["n"] == 3 and m["rich_norm_gap_spread"]["1.3.3"]["hi"] < 0.1
    assert m["lazy_norm_gap_spread"]["1.3.3"]["lo"] > m["rich_norm_gap_spread"]["1.3.3"]["hi"]
    flagged = sum(st != "ok" for rows in m["health_seeds"].values() for sts in rows for st in sts)
    assert len(m["excluded_seeds"]) == flagged

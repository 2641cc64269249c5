"""The thesis's findings table: each verdict follows the numbers it reads."""

import copy

import pytest

from twolayer.experiments import thesis_findings as tf


def by_id(rows):
    return {r["id"]: r for r in rows}


ACT = {"relative_balance_error_seeds": {"relu": [3e-9, 5e-9], "sigmoid": [0.1, 0.2], "tanh": [0.02, 0.03]},
       "fit_times_1_1_4_seeds": {"positive (x = 10)": [1400, 1400], "negative (x = -0.1)": [13600, 13800]},
       "fit_time_ratio_1_1_4_seeds": [9.7, 9.9],
       "fit_time_ratio_predicted": {"||y_k x_k||": 10.0, "thesis's |y_k x_k,1|": 100.0},
       "sigmoid_spike_peak_seeds": [21000.0, 22000.0], "sigmoid_spike_epoch_seeds": [24, 25],
       "sigmoid_spike_final_loss_seeds": [1e-10, 2e-10]}


def test_r10b_says_the_thesis_is_contradicted_when_the_ratio_is_the_norms_and_not_its_hundred():
    rows = by_id(tf.findings({"activation-dynamics": ACT}))
    assert rows["R10a"]["verdict"] == "reproduced"
    assert rows["R10b"]["verdict"] == "thesis contradicted" and "predict 10" in rows["R10b"]["measured"]
    m = copy.deepcopy(ACT)
    m["fit_time_ratio_1_1_4_seeds"] = [95.0, 110.0]
    assert by_id(tf.findings({"activation-dynamics": m}))["R10b"]["verdict"] == "reproduced"
    m["fit_time_ratio_1_1_4_seeds"] = [30.0, 40.0]
    assert by_id(tf.findings({"activation-dynamics": m}))["R10b"]["verdict"] == "differs"


def test_r3_and_r9_need_every_seed():
    assert by_id(tf.findings({"activation-dynamics": ACT}))["R3"]["verdict"] == "reproduced"
    m = copy.deepcopy(ACT)
    m["relative_balance_error_seeds"]["relu"] = [3e-9, None]            # a flagged seed: no verdict from it
    assert by_id(tf.findings({"activation-dynamics": m}))["R3"]["verdict"] == "differs"
    m = copy.deepcopy(ACT)
    m["sigmoid_spike_peak_seeds"] = [21000.0, 60000.0]                  # one peak 3x the thesis's
    assert by_id(tf.findings({"activation-dynamics": m}))["R9"]["verdict"] == "differs"


MD = {"evr2_orth_relu_spread": {"mean": 0.9967, "sd": 4e-4, "lo": 0.9963, "hi": 0.9973, "n": 2},
      "evr2_orth_relu_seeds": [0.9963, 0.9973], "third_group_matches_seeds": [True, True],
      "third_group_predicted": [{"points": [5], "size": 0.98}], "nonorth_below_orth_relu": 1,
      "evr2_nonorth_relu_spread": {"n": 2}, "evr2_nonorth_relu_seeds": [0.87, 0.999], "data_seeds": [0, 1]}


def test_r12a_contradicts_the_two_directions_only_when_the_predicted_third_group_is_measured():
    assert by_id(tf.findings({"multidim": MD}))["R12a"]["verdict"] == "thesis contradicted"
    m = copy.deepcopy(MD)
    m["third_group_matches_seeds"] = [True, False]
    assert by_id(tf.findings({"multidim": m}))["R12a"]["verdict"] == "differs"
    m["evr2_orth_relu_spread"]["lo"] = 0.9995
    assert by_id(tf.findings({"multidim": m}))["R12a"]["verdict"] == "reproduced"
    assert by_id(tf.findings({"multidim": MD}))["R12b"]["verdict"] == "differs"   # 1 of 2 generator seeds
    m["nonorth_below_orth_relu"] = 2
    assert by_id(tf.findings({"multidim": m}))["R12b"]["verdict"] == "reproduced"


GRID = {"epochs": 300000, "findings": {
    "relu_rich": {"runs": 4, "both_plateaus": 4, "not_fitted": 0, "holds": True},
    "growth": {"relu": {"series": 3, "growing": 3}},
    "stability": {"tanh": {"runs": 10, "unstable": 0, "diverged": 0, "examples": []}},
    "width": {"relu": {"widths": [10, 60], "fits": [200, 190], "slower_when_narrower": 1, "pairs": 1,
                       "spread_m": 1.05, "spread_lambda": 2.0}},
    "init": {"relu": {"settings": 4, "agree": 4, "factor": 1.25, "largest_ratio": 1.1, "only_one_fits": 0}},
    "relu_fitted_at_100": {"runs": 4, "fitted": 0},
    "sigmoid_low_lr": {"lr_max": 1e-3, "runs": 4, "one_plateau": 4, "not_fitted": 0, "examples": "-"}}}


def test_the_grid_rows_follow_their_counts():
    rows = by_id(tf.findings({"thesis-grids": GRID}))
    assert all(rows[i]["verdict"] == "reproduced" for i in ("C9a", "C9b", "C9c", "C10", "C12", "W", "I"))
    g = copy.deepcopy(GRID)
    g["findings"]["stability"]["tanh"] = {"runs": 10, "unstable": 2, "diverged": 2,
                                          "examples": ["1.1.0 m=60 balanced lambda=1 alpha=0.1 (diverged)"]}
    g["findings"]["relu_fitted_at_100"]["fitted"] = 1
    g["findings"]["init"]["relu"]["agree"] = 3
    rows = by_id(tf.findings({"thesis-grids": g}))
    assert rows["C12"]["verdict"] == "thesis contradicted" and "2 of 10 unstable" in rows["C12"]["measured"]
    assert rows["C9c"]["verdict"] == "differs" and rows["I"]["verdict"] == "differs"


def test_a_part_that_was_not_run_gives_not_run_rows_and_every_verdict_is_known():
    rows = tf.findings({})
    assert {r["verdict"] for r in rows} == {"not run"}
    assert tf.summary_sentence(rows).endswith(f"{len(rows)} not run yet.")
    with pytest.raises(ValueError):
        tf.row("X", "-", "-", "-", "-", "maybe")
    assert "\\|" in tf.table([tf.row("X", "a|b", "-", "-", "-", "differs")])

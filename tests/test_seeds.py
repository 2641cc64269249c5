"""Run health, spread over seeds and the band of the best setting."""

import math

import numpy as np
import pytest

from twolayer.analysis import band_of_best, run_health, spread


def test_run_health_flags_each_failure_with_its_reason():
    assert run_health([1.0, 0.5, 1e-4], fit_level=1e-3)["status"] == "ok"
    assert run_health([1.0, 0.5, 1e-2], fit_level=1e-3)["status"] == "not fitted"
    climbed = run_health([536.0, 1e4, 9e7], fit_level=None)     # seed 004's sigma = 2 run
    assert climbed["status"] == "nearly diverged" and climbed["peak_ratio"] == pytest.approx(9e7 / 536)
    assert "1.68e+05x" in climbed["reason"]
    assert run_health([1.0, np.inf])["status"] == "diverged"
    assert run_health([1.0, 0.5], diverged=True)["status"] == "diverged"
    assert run_health([1.0, 50.0])["status"] == "ok"                           # below the blow-up factor


def test_spread_skips_missing_values():
    s = spread([1.0, 3.0, None, np.nan])
    assert (s["mean"], s["sd"], s["lo"], s["hi"], s["n"]) == (2.0, pytest.approx(math.sqrt(2)), 1.0, 3.0, 2)
    assert spread([5.0])["sd"] == 0.0 and spread([None])["n"] == 0


def test_band_of_best_holds_the_settings_whose_seed_ranges_overlap_the_best():
    v = [[1.0, 1.2, 1.1],      # best mean
         [1.15, 1.5, 1.3],     # overlaps [1.0, 1.2]
         [2.0, 2.1, np.nan]]   # does not
    assert band_of_best(v) == (0, [0, 1])
    assert band_of_best(v, lower_is_better=False) == (2, [2])
    v[1] = [1.25, 1.5, 1.3]    # now above the best's max: distinguishable
    assert band_of_best(v) == (0, [0])

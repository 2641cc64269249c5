"""init-scale-transition over seeds: health flags, spreads, the C.1.4 plateau rule, computed captions."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from twolayer import analysis, runstore
from twolayer.experiments import init_scale_transition as ist

LR = 1e-3


def _curve(fits: bool):
    """A loss curve with a plateau at 1 (t in [0, 5]), a drop to 1/2, a plateau at 1/2 (t in [6, 12]),
    then (``fits``) a fast fall to 1e-10, or (not ``fits``) the 1/2 plateau to the end (t = 30)."""
    steps = np.arange(0, 30_001, 100)
    t = steps * LR
    loss = np.where(t < 5, 1.0, np.where(t < 6, np.exp(-np.log(2) * (t - 5)), 0.5))
    if fits:
        loss = np.where(t > 12, np.maximum(0.5 * np.exp(-5 * (t - 12)), 1e-10), loss)
    return SimpleNamespace(steps=steps, times=t, train_loss=loss)


def test_phase_summary_measures_the_plateaus_of_a_run_that_fits():
    ph = ist.phase_summary(_curve(True), LR, 0.01)
    assert ph["count"] == 2 and ph["levels"] == pytest.approx([1.0, 0.5], abs=1e-3)
    # the two plateaus last 5 and 6 time units = 5000 and 6000 epochs, to the recording step (100)
    assert abs(ph["initial"] - 5000) <= 200 and abs(ph["intermediate"] - 6000) <= 200
    assert ph["fit"] == pytest.approx(12_000 + 1000 * np.log(50) / 5, abs=100)       # 0.5 e^{-5 dt} < 0.01


def test_phase_summary_reports_no_plateaus_for_a_run_that_never_fits():
    """Thesis C.1.4: 'if there is no convergence to zero loss, we do not attempt to detect plateaus'. The
    detector alone would report the 1/2 stretch as a plateau of 24,000 epochs."""
    never = _curve(False)
    raw = analysis.plateaus(never.times, never.train_loss)
    assert len(raw) == 2 and raw[1]["end"] - raw[1]["start"] > 20
    ph = ist.phase_summary(never, LR, 0.01)
    assert ph["fit"] is None and ph["count"] is None and ph["initial"] is None and ph["intermediate"] is None
    assert ph["levels"] == [] and ph["plateaus"] == []


def _ph(fit, count=0, levels=()):
    return {"fit": fit, "count": count, "levels": list(levels)}


def test_loss_sentence_counts_the_seeds_and_leaves_out_flagged_runs():
    scales = [1e-6, 1e-3, 10.0]
    grows = [_ph(900, 2, [1.0, 0.5]), _ph(500, 1, [1.0]), _ph(100)]
    flat = [_ph(100, 1, [1.0]), _ph(500, 1, [1.0]), _ph(100, 1)]
    text = ist.loss_sentence(scales, {"relu": [grows, grows, [None, *grows[1:]]]}, 1e-2)
    assert "grows as lambda falls for relu (2 of 3 seeds)" in text           # the flagged run's seed does not count
    assert "has plateau at loss 1/2 in 2 of 3 seeds" in text and "lazy regime" in text
    text = ist.loss_sentence(scales, {"relu": [flat, flat]}, 1e-2)
    assert "does not grow steadily" in text and "has no plateau at loss 1/2 in any of 2 seeds" in text
    assert "relu 1 (lambda = 10, 2 seeds)" in text and "lazy regime" not in text
    # a flagged run at the largest scale: the counts come from the largest scale fitted in some seed
    text = ist.loss_sentence(scales, {"tanh": [grows[:2] + [None], flat]}, 1e-2)
    assert "tanh 1 (lambda = 10, 1 seeds)" in text and "for tanh (1 of 2 seeds)" in text


def test_fit_slope_and_transition_are_the_measured_ones():
    scales = [1e-10, 1e-6, 1e-2, 1.0]
    fits = [100 - 700 * np.log(s) for s in scales]                 # 700 epochs per unit of -ln(lambda)
    assert ist.fit_slope(scales, fits, 1e-2) == pytest.approx(700)
    assert ist.fit_slope(scales, [None, None, fits[2], fits[3]], 1e-2) is None     # one rich point left
    assert ist.transition(scales, [1e-12, 0.01, 0.2, 7.0]) == 1e-2
    assert ist.transition(scales, [1e-12, 0.01, None, 7.0]) == 1.0                  # a flagged run is skipped
    assert ist.transition(scales, [0.0, 0.01, 0.02, 0.04]) is None


def test_complexity_sentence_follows_the_numbers():
    rich = ist.complexity_sentence({"relu": [890.0, 900.0, 910.0]}, [0.1, 0.1, 0.1], [1e-14, 2e-14, 3e-14], 1e-10)
    assert "grows with -ln(lambda) in 3 of 3 seeds (slope 900 +- 10 epochs per unit)" in rich
    assert "at lambda = 0.1 in all 3 seeds" in rich
    assert "equals the minimum norm within 3.0e-14 (relative) in all 3 seeds" in rich
    other = ist.complexity_sentence({"relu": [-5.0, -7.0, None]}, [0.035, 1.0, None], [1e-14, 0.3, None], 1e-10)
    assert "does not grow with -ln(lambda) in any of 2 seeds" in other and "1 seed(s) without a slope" in other
    assert "between lambda = 0.035 and 1 over 2 seeds (never in 1)" in other
    assert "within 5% of the minimum norm in only 1 of 2 seeds (largest gap 0.3)" in other
    assert "stays within 5%" in ist.complexity_sentence({"relu": [1.0]}, [None, None], [0.0], 1e-10)


def test_windows_sentence_follows_the_numbers():
    small = {"scale": 1e-10, "kinks": [2, 2], "gap": [1e-14, 2e-14], "move": [1e9, 1.2e9]}
    lazy = {"scale": 1.0, "kinks": [20, 22], "gap": [7.0, 8.0], "move": [0.1, 0.01]}
    text = ist.windows_sentence(small, lazy)
    assert "at lambda = 1e-10 the final model has 2 kinks" in text and "20 to 22 kinks" in text
    assert "more kinks than at 1e-10 in 2 of 2 seeds" in text and "moved less, relative to their start, in 2 of 2" in text
    same = {"scale": 1.0, "kinks": [2, None], "gap": [0.0, None], "move": [5e9, None]}
    text = ist.windows_sentence(small, same)
    assert "no more kinks than at 1e-10 in any of 1 seeds" in text and "no less, relative to their start, in any of 1" in text
    assert "kinks" in ist.windows_sentence(small, None) and "more kinks" not in ist.windows_sentence(small, None)


@pytest.fixture(scope="module")
def quick(quick_results):
    return quick_results("init-scale-transition")


def test_quick_run_has_every_number_over_seeds_with_flagged_runs_left_out(quick):
    folder, m = quick
    S, seeds = len(m["scales"]), m["seeds"]
    assert seeds == [0, 1, 2]
    flagged = {(f["activation"], f["scale"], f["seed"]) for f in m["flagged"]}
    for act in ist.ACTIVATIONS:
        for key in ("theta_norm", "time_to_fit", "plateau_count", "initial_plateau", "intermediate_plateau"):
            tab = m[f"{key}_{act}_seeds"]
            assert len(tab) == len(seeds) and all(len(row) == S for row in tab)
            for k, seed in enumerate(seeds):
                for i, s in enumerate(m["scales"]):
                    if (act, s, seed) in flagged:
                        assert tab[k][i] is None
            for i in range(S):                     # the spread is over the runs kept, computed independently
                kept = [row[i] for row in tab if row[i] is not None]
                sp = m[f"{key}_{act}_spread"][i]
                assert sp["n"] == len(kept)
                if kept:
                    assert sp["mean"] == pytest.approx(np.mean(kept)) and sp["hi"] == max(kept)
        # C.1.4: no plateau numbers for a run that never fitted, in the drawn seed and over seeds
        for fit, count, init in zip(m[f"time_to_fit_{act}"], m[f"plateau_count_{act}"], m[f"initial_plateau_{act}"]):
            assert (fit is None) <= (count is None and init is None)
        slopes = m[f"fit_time_slope_{act}_seeds"]
        assert slopes[0] == m[f"fit_time_slope_{act}"]
        assert m[f"fit_time_slope_{act}_spread"]["n"] == sum(v is not None for v in slopes)
    # the runs flagged are the ones whose stored loss says so, and the report names each of them
    report = (folder / "report.md").read_text()
    for f in m["flagged"]:
        assert f["status"] != "ok" and f"{f['activation']} lambda = {f['scale']:g} seed {f['seed']}" in report


def test_quick_run_small_scale_ends_at_the_minimum_norm_in_every_seed(quick):
    """[5] Theorem 6: from lambda -> 0 ReLU GD on orthogonal data ends at the minimum-norm interpolator,
    whose norm is in closed form; the lazy end (lambda = 1) is far above it and has more kinks."""
    _, m = quick
    i0, i1 = m["scales"].index(1e-10), m["scales"].index(1.0)
    for k in range(len(m["seeds"])):
        assert m["theta_norm_relu_seeds"][k][i0] == pytest.approx(m["min_norm"], rel=1e-6)
        assert m["theta_norm_relu_seeds"][k][i1] > 2 * m["min_norm"]
        assert m["kinks_relu_seeds"][k][i1] > m["kinks_relu_seeds"][k][i0]
        assert 1e-2 < m["transition_scale_seeds"][k] <= 1.0
    assert m["transition_scale_seeds"][0] == m["transition_scale"]


def test_quick_run_stores_snapshots_only_for_the_drawn_seeds_relu_runs(quick):
    folder, m = quick
    units = [runstore.load(p) for p in sorted((folder / "store").glob("*.h5"))]
    assert len(units) == 3 * len(m["seeds"])
    for value, meta in units:
        settings = json.loads(meta["settings_json"])
        assert len(value) == len(m["scales"])
        drawn_relu = settings == {"activation": "relu", "seed": m["seeds"][0]}
        assert all(t.has_snapshots == drawn_relu for t in value)
    assert sum(p.stat().st_size for p in (folder / "store").glob("*.h5")) < 20e6

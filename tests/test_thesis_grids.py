"""thesis-grids: appendix C.1.4's grids, read by the thesis's rule."""

import numpy as np
import pytest

from twolayer.experiments import thesis_grids as tg


def test_training_in_segments_until_fit_gives_the_curve_of_one_long_run():
    """GD is deterministic: stopping a run after the segment in which it fits and continuing the
    others from their final networks records the same losses as one uninterrupted run."""
    from twolayer.experiments.base import THESIS_LOSS
    from twolayer.optim import GD
    from twolayer.sweep import train_many

    X, y = tg.dataset("1.1.0")
    at = tg.record_steps(12_000, 300)
    nets = [tg.start(X, y, 10, "relu", "balanced", s, 0, True) for s in (1e-6, 1e-2)]
    runs = tg.train_until_fit(nets, X, y, [1e-3, 1e-3], 12_000, 0.01, at, quiet=True)
    whole = train_many(nets, X, y, **THESIS_LOSS, optimizer=GD(1e-3), steps=12_000, record_at=at, snapshots=False,
                       quiet=True)
    for r, w in zip(runs, whole):
        k = len(r["steps"])
        assert np.array_equal(r["steps"], w.steps[:k])
        np.testing.assert_allclose(r["loss"], w.train_loss[:k], rtol=1e-12, atol=0)
    # lambda = 1e-2 fits (loss < 0.01) within 10,000 epochs, so it stopped at that segment's end
    assert 3_000 < runs[1]["steps"][-1] <= 10_000 and runs[1]["loss"].min() < 0.01
    assert runs[0]["steps"][-1] == 12_000


def test_the_forced_assumption_5_holds_for_relu_starts():
    from twolayer.init import both_signs_sets

    X, y = tg.dataset("1.1.0")
    for seed in range(20):
        net = tg.start(X, y, 2, "relu", "normal", 1e-6, seed, True)
        s_plus, s_minus = both_signs_sets(net.a, net.W, net.c, X, y)
        assert len(s_plus) and len(s_minus)


def test_quasi_orthogonal_names_give_the_section_3_2_inputs():
    X, y = tg.dataset("1.2-0.01")
    assert float(X[0] @ X[1]) == pytest.approx(-0.01)
    X, y = tg.dataset("1.2+100")
    assert float(X[0] @ X[1]) == pytest.approx(100.0)


def test_read_run_follows_the_thesis_rule_and_flags_failures():
    t = np.arange(0, 5001, 10, dtype=float)
    stairs = np.interp(t, [0, 1000, 1200, 3000, 3400, 5000], [1.0, 1.0, 0.5, 0.5, 1e-3, 1e-3])
    r = tg.read_run(t, stairs, "", "", 0.01)
    assert r["status"] == "ok" and r["plateaus"] == 2 and r["fit"] <= 3400
    assert r["initial"] == pytest.approx(1000, abs=50) and r["intermediate"] == pytest.approx(1800, abs=100)
    never = tg.read_run(t, 0.5 + 0 * t, "", "", 0.01)
    assert never["status"] == "not fitted" and never["plateaus"] is None and never["initial"] is None
    dead = tg.read_run(t, 0.5 + 0 * t, "", "all 2 ReLU units inactive on the training data from step 40", 0.01)
    assert "inactive" in dead["reason"]
    spike = np.interp(t, [0, 50, 400, 1000], [1.0, 500.0, 0.3, 1e-3])
    s = tg.read_run(t, spike, "", "", 0.01)
    assert s["status"] == "nearly diverged" and s["recovered"]
    gone = tg.read_run(t[:10], np.r_[1.0, 10.0, 1e3, 1e8, 1e20, 1e50, 1e100, 1e200, 1e300, np.inf], "non-finite", "", 0.01)
    assert gone["status"] == "diverged"


def _row(**kw):
    base = {"dataset": "1.1.0", "activation": "relu", "init": "balanced", "width": 60, "seed": 0, "scale": 1e-6,
            "lr": 1e-3, "fit": 100, "plateaus": 2, "initial": 10, "intermediate": 5, "status": "ok"}
    return {**base, **kw}


def test_the_relu_sentence_flips_when_a_rich_run_lacks_the_intermediate_plateau():
    rows = [_row(scale=s) for s in (1e-8, 1e-6, 1e-4)] + [_row(scale=1.0, intermediate=0)]
    f = tg.relu_rich_finding(rows)
    assert f["holds"] and "3 of 3" in tg.relu_sentence(f) and "holds" in tg.relu_sentence(f)
    rows[1]["intermediate"] = 0
    f = tg.relu_rich_finding(rows)
    assert not f["holds"] and "does not hold everywhere" in tg.relu_sentence(f)


def test_the_stability_sentence_names_unstable_runs():
    rows = [_row(activation="tanh", scale=s) for s in (1e-6, 1.0)]
    assert "all 2 runs stayed stable" in tg.stability_sentence("tanh", tg.stability_finding(rows, "tanh"))
    rows[1]["status"] = "diverged"
    text = tg.stability_sentence("tanh", tg.stability_finding(rows, "tanh"))
    assert "1 of 2 runs were unstable (1 diverged)" in text and "lambda=1 alpha=0.001" in text


def test_the_growth_sentence_counts_series_where_fit_time_grows_as_lambda_falls():
    rows = [_row(scale=s, fit=f) for s, f in ((1e-8, 300), (1e-6, 200), (1e-4, 100))]
    assert "in every series (1 of 1" in tg.growth_sentence("relu", tg.growth_finding(rows, "relu"))
    rows[0]["fit"] = 50
    assert "in only some series (0 of 1" in tg.growth_sentence("relu", tg.growth_finding(rows, "relu"))


def test_the_init_sentence_counts_settings_where_balanced_and_normal_agree():
    rows = [_row(init=i, fit=f, scale=s) for s, (fb, fn) in ((1e-6, (100, 110)), (1.0, (50, 52)))
            for i, f in (("balanced", fb), ("normal", fn))]
    f = tg.init_finding(rows)
    assert (f["settings"], f["agree"]) == (2, 2) and "2 of 2 settings agree" in tg.init_sentence(f)
    rows[1]["fit"] = 300                                              # normal 3x slower at lambda = 1e-6
    f = tg.init_finding(rows)
    assert f["agree"] == 1 and f["largest_ratio"] == 3.0 and "largest fit-time ratio is 3" in tg.init_sentence(f)


def test_the_width_sentence_compares_the_effect_of_m_with_that_of_lambda():
    rows = [_row(width=m, scale=s, fit=f) for m, fits in ((10, (400, 300, 200)), (60, (380, 290, 190)))
            for s, f in zip((1e-8, 1e-6, 1e-4), fits)]
    f = tg.width_finding(rows, "1.1.0", "relu", "balanced", 1e-8, 1e-3)
    assert f["fits"] == [400, 380] and f["spread_m"] == pytest.approx(400 / 380)
    assert f["spread_lambda"] == pytest.approx(np.median([2.0, 2.0]))
    assert "smaller than the scale's" in tg.width_sentence(f) and "in 1 of 1" in tg.width_sentence(f)
    rows[3]["fit"] = 4000                                             # m = 60 at 1e-8 now 20x slower
    rows[5]["fit"] = 3000
    f = tg.width_finding(rows, "1.1.0", "relu", "balanced", 1e-8, 1e-3)
    assert "not smaller than the scale's" in tg.width_sentence(f) and "in 0 of 1" in tg.width_sentence(f)


def test_the_grid_figure_keeps_its_layout_when_no_run_diverged(tmp_path):
    """An empty unclipped 'diverged' marker line has an infinite extent and made the layout engine
    give up ("constrained_layout not applied"), leaving labels over neighbouring panels."""
    import warnings

    from twolayer.plots.style import save_figure

    cfg = tg.Config(datasets=("1.1.0",), widths=(10, 60), activations=("relu",), lrs=(1e-3,),
                    scales=(1e-4, 1.0))
    rows = [{"dataset": "1.1.0", "activation": "relu", "width": m, "lr": 1e-3, "init": init, "seed": cfg.seed,
             "scale": s, "status": "fitted", "fit": 100.0 / s ** 0.1, "initial": 10.0, "intermediate": 5.0}
            for m in cfg.widths for init in cfg.inits for s in cfg.scales]
    fig = tg.grid_figure(cfg, rows, "1.1.0", "relu")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        save_figure(fig, tmp_path, "grid")
    assert (tmp_path / "grid.png").stat().st_size > 0

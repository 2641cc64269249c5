"""Seed 000: data generators, laziness measures, plots, and the three experiments at quick size."""

import json

import numpy as np
import pytest
from PIL import Image

import twolayer as tl
from twolayer.analysis import band_of_best, relative_weight_change, signal_fraction
from twolayer.cli import main
from twolayer.experiments import EXPERIMENTS
from twolayer.experiments import init_scale as ex
from twolayer.experiments import overparam as op
from twolayer.plots import animate_particles, function_map, new_figure, particles


def test_teacher_data_are_reproducible_and_depend_on_the_signal_plane_only():
    a = tl.data.teacher(30, 10, relevant=2, seed=4)
    b = tl.data.teacher(30, 10, relevant=2, seed=4)
    for u, v in zip(a[:4], b[:4]):
        np.testing.assert_array_equal(u, v)
    X, y, _, _, f_star = a
    Z = X.copy()
    Z[:, 2:] = np.random.default_rng(0).standard_normal((30, 8))  # change only the hidden coordinates
    np.testing.assert_array_equal(f_star(Z[:, :2]), y)
    np.testing.assert_allclose(np.linalg.norm(f_star.W, axis=1), 1.0)  # teacher drawn at alpha = 1


def test_a_student_equal_to_the_teacher_has_zero_loss_and_gradient():
    X, y, _, _, f_star = tl.data.teacher(40, 2, seed=1)
    obj = tl.Objective(f_star, X, y, "square", "mean")
    loss, g = obj.value_and_grad(f_star.theta)
    assert loss == 0.0 and np.all(g == 0.0)


def test_triangle_wave_is_five_relu_neurons_with_bias():
    # f(x) = 4 relu(x+1) - 8 relu(x+0.75) + 8 relu(x+0.25) - 8 relu(x-0.25) + 8 relu(x-0.75) on [-1, 1]
    net = tl.Net(np.array([4.0, -8, 8, -8, 8]), np.ones((5, 1)), np.array([1.0, 0.75, 0.25, -0.25, -0.75]),
                 "relu", "none")
    x = np.linspace(-1, 1, 2001)
    np.testing.assert_allclose(net(x[:, None]), tl.data.triangle_wave(x), atol=1e-12)
    X, y = tl.data.triangle_data(100, seed=3)
    assert X.shape == (100, 1) and np.all(np.abs(X) <= 1) and np.all(np.abs(y) <= 1)


def test_laziness_and_signal_fraction_closed_forms():
    W = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 5.0]])
    assert signal_fraction(W) == pytest.approx(25 / 50)
    X, y, _, _, _ = tl.data.teacher(20, 2, seed=0)
    net = tl.init_net(2, 10, "relu", "mean-field", init="sphere", scale=0.5, seed=0)
    run = tl.train(net, X, y, optimizer=tl.GD(5.0), steps=50)
    expected = np.linalg.norm(run.final.theta - net.theta) / np.linalg.norm(net.theta)
    assert relative_weight_change(run) == pytest.approx(expected, rel=1e-14)


def test_particle_plot_draws_the_points_abs_a_times_w():
    net = tl.Net(np.array([2.0, -0.5]), np.array([[1.0, 0.0], [0.0, 4.0]]), None, "relu", "mean-field")
    fig, ax = new_figure()
    P = particles(ax[0, 0], net)
    np.testing.assert_array_equal(P, [[2.0, 0.0], [0.0, 2.0]])
    red, blue = ax[0, 0].collections[:2]
    np.testing.assert_array_equal(red.get_offsets(), [[2.0, 0.0]])   # a > 0
    np.testing.assert_array_equal(blue.get_offsets(), [[0.0, 2.0]])  # a < 0


def test_function_map_shows_the_function_values():
    fig, ax = new_figure()
    im = function_map(ax[0, 0], lambda P: P[:, 0] - 2 * P[:, 1], extent=(-1, 1, -1, 1), resolution=5)
    xx, yy = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 5))
    np.testing.assert_allclose(im.get_array(), xx - 2 * yy)


def test_particle_animation_writes_one_frame_per_snapshot(tmp_path):
    X, y, _, _, teacher = tl.data.teacher(20, 2, seed=0)
    net = tl.init_net(2, 12, "relu", "mean-field", init="sphere", scale=0.3, seed=0)
    run = tl.train(net, X, y, optimizer=tl.GD(3.0), steps=100, record_every=10)
    path = animate_particles(run, tmp_path / "p.gif", teacher=teacher)
    with Image.open(path) as gif:
        assert gif.n_frames == len(run)


def nan(values):
    """A metrics list (None for a run left out) as a float array with NaN."""
    return np.array([[np.nan if v is None else v for v in row] for row in values], dtype=float)


# -- the numbers behind the claims ----------------------------------------------------------------
def test_error_at_the_fit_level_is_read_where_the_training_loss_crosses_it():
    train = np.array([1.0, 1e-2, 1e-4, 1e-6])
    test = 3.0 * train                                    # a power law: log-log interpolation is exact
    assert ex.error_at_level(train, test, 1e-3) == pytest.approx(3e-3, rel=1e-12)
    assert ex.error_at_level(train, 2 * np.sqrt(train), 1e-5) == pytest.approx(2 * np.sqrt(1e-5), rel=1e-12)
    assert ex.error_at_level(train, test, 1e-2) == pytest.approx(3e-2)  # on a recorded point
    assert np.isnan(ex.error_at_level(train, test, 1e-7))                # never reached: no value
    assert ex.error_at_level(train, test, 2.0) == 3.0                    # reached at the start


def test_mass_near_the_teacher_counts_same_sign_neurons_within_the_angle():
    ta, tW = np.array([1.0, -1.0]), np.array([[1.0, 0.0], [0.0, 2.0]])

    def rot(deg):
        return [np.cos(np.radians(deg)), np.sin(np.radians(deg))]

    a = np.array([2.0, -1.0, 1.0, -1.0])
    W = np.array([rot(5), [0.0, 1.0], rot(30), rot(0)])   # masses 2, 1, 1, 1
    # near: neuron 0 (5 degrees from b*_0, same sign) and neuron 1 (on b*_1, same sign); neuron 2 is
    # 30 degrees away, neuron 3 points along b*_0 with the wrong sign
    assert ex.mass_near_teacher(a, W, ta, tW, 10) == pytest.approx(3 / 5)
    assert ex.mass_near_teacher(a, W, ta, tW, 2) == pytest.approx(1 / 5)
    assert ex.mass_near_teacher(a, W, ta, tW, 45) == pytest.approx(4 / 5)


def test_robust_axes_ignore_a_few_far_neurons_and_count_them():
    P = np.random.default_rng(0).uniform(-1, 1, (200, 2))
    P[:3] = [[50.0, 0.0], [0.0, -40.0], [30.0, 30.0]]
    lim, outside = ex.robust_limit(P)
    assert 1.0 < lim < 1.3 and outside == 3
    assert ex.robust_limit(P[3:])[1] == 0


# -- sentences computed from the numbers: each flips when the numbers do -------------------------------
ALPHAS = np.array([0.01, 0.1, 1.0, 10.0])


def test_best_alpha_sentence_names_the_band_and_the_lazy_ratio():
    apart = np.array([[1.0, 1.1], [2.0, 2.1], [3.0, 3.1], [100.0, 110.0]])
    text = ex.best_alpha_sentence(ALPHAS, apart, 1e-5, 3)
    assert "smallest at alpha = 0.01" in text and "no other alpha's seed range overlaps it" in text
    assert "100 times the best" in text                       # 105 / 1.05
    close = np.array([[1.0, 2.0], [1.5, 2.5], [3.0, 3.1], [1.8, 2.2]])
    text = ex.best_alpha_sentence(ALPHAS, close, 1e-5, 3)
    assert band_of_best(close) == (0, [0, 1, 3])
    assert "alphas 0.01, 0.1, 10 are indistinguishable" in text and "the lazy regime does not generalise worse" in text
    left_out = apart.copy()
    left_out[3] = np.nan
    assert "No run at alpha = sqrt(m) = 10 reached the fit level" in ex.best_alpha_sentence(ALPHAS, left_out, 1e-5, 3)
    assert "no alpha can be called best" in ex.best_alpha_sentence(ALPHAS, np.full((4, 2), np.nan), 1e-5, 3)
    flipped = apart[::-1].copy()
    assert "smallest at alpha = 10" in ex.best_alpha_sentence(ALPHAS, flipped, 1e-5, 0)


def test_left_out_sentence_lists_the_runs_and_their_reasons():
    assert "none is left out" in ex.excluded_sentence([], 18)
    flags = [{"alpha": 10.0, "seed": 1, "status": "not fitted", "reason": "final loss 2e-05 above the fit level 1e-05"}]
    text = ex.excluded_sentence(flags, 18)
    assert text.startswith("1 of 18 run is left out") and "seed 1: not fitted (final loss 2e-05" in text
    five = ex.excluded_sentence(flags * 5, 18)
    assert five.startswith("5 of 18 runs are left out") and "and 1 more (metrics.json lists them)" in five


def test_gather_sentence_follows_the_measured_share():
    start = [0.15, 0.16]
    assert "most of the mass gathers" in ex.gather_sentence(0.01, [0.7, 0.8], start, 10)
    assert "part of the mass moves" in ex.gather_sentence(0.01, [0.45, 0.49], start, 10)
    assert "stay about as spread" in ex.gather_sentence(0.01, [0.14, 0.2], start, 10)
    assert "45% of the output mass" not in ex.gather_sentence(0.01, [0.7, 0.8], start, 10)
    assert "75% of the output mass" in ex.gather_sentence(0.01, [0.7, 0.8], start, 10)


def test_baseline_sentence_says_which_alphas_beat_predicting_the_mean():
    base = 0.05
    v = np.array([[0.001, 0.002], [0.01, 0.02], [0.04, 0.06], [10.0, 12.0]])
    text = ex.baseline_sentence(10, ALPHAS, v, base)
    assert "alphas 0.01 to 0.1 beat predicting the mean in every seed, by factors 3.33 to 33.3" in text
    assert "alpha = 10 do worse than predicting the mean in every seed, up to 220 times" in text
    assert "alpha = 1 are on either side of it" in text
    assert "do worse" not in ex.baseline_sentence(10, ALPHAS, v / 1000, base)


def test_dimension_is_blamed_only_beyond_the_seed_spread():
    assert "raise the test error" in ex.dimension_sentence("alpha = 10", [0.001, 0.002], [10.0, 12.0])
    assert "do not change the test error" in ex.dimension_sentence("alpha = 10", [0.001, 0.02], [0.01, 0.03])
    assert "lower the test error" in ex.dimension_sentence("alpha = 10", [10.0, 12.0], [0.001, 0.002])


def test_initial_function_sentence_compares_with_the_baseline():
    worse = ex.initial_function_sentence(10, [12.0, 14.0], [100.0, 200.0], 0.05)
    assert "does worse than predicting the mean" in worse and "260 times the baseline" in worse
    assert "initial function alone has mean square 150" in worse and "0.087 of that" in worse
    better = ex.initial_function_sentence(2, [0.003, 0.004], [0.0, 0.0], 0.05)
    assert "beats predicting the mean" in better and "initial function is small" in better


def test_signal_sentence_tells_concentrated_from_isotropic():
    frac = np.array([[0.8, 0.85], [0.5, 0.5], [0.21, 0.2], [0.2, 0.19]])
    text = ex.signal_sentence(ALPHAS, frac, 10, 3)
    assert "at alpha = 0.01 (concentrated on (x1, x2))" in text and "at alpha = 10 (close to isotropic)" in text
    assert "(concentrated" not in ex.signal_sentence(ALPHAS, frac[::-1], 10, 3).split(";")[0]


def test_convergence_sentence_and_stalls():
    steps = np.array([0, 10, 100, 1000, 10000])
    assert op.stalled(steps, [1.0, 0.5, 0.31, 0.3, 0.29], 2.0)          # flat second half: stuck
    assert not op.stalled(steps, [1.0, 0.5, 0.1, 1e-2, 1e-4], 2.0)      # still falling: slow
    stuck = op.convergence_sentence([5, 100], [6, 6], [0, 6], [6, 0], 1e-3, 2.0)
    assert "Every restart of the widest network (m = 100) converges" in stuck and "stuck rather than slow" in stuck
    slow = op.convergence_sentence([5, 100], [6, 6], [0, 3], [2, 0], 1e-3, 2.0)
    assert "Even at m = 100 some restarts do not converge" in slow and "may only be slow" in slow
    assert "Every restart converges at every width" in op.convergence_sentence([5, 100], [6, 6], [6, 6], [0, 0], 1e-3, 2)


def test_particle_sentence_ties_missed_directions_to_plateaus():
    steps = np.array([0, 10, 100, 1000, 10000])
    assert op.loss_state(steps, [1.0, 0.1, 0.04, 0.033, 0.033], 1e-3, 2.0) == "on a plateau"
    assert op.loss_state(steps, [1.0, 0.1, 0.04, 0.02, 0.002], 1e-3, 2.0) == "still falling"
    assert op.loss_state(steps, [1.0, 0.1, 1e-9, 1e-12, 1e-12], 1e-3, 2.0) == "converged"   # flat, but at ~0
    text = op.particle_sentence([5, 100], [0.03, 1e-12], ["on a plateau", "converged"], [2, 4], 4)
    assert "m = 5: final loss 0.03 (on a plateau), 2/4 teacher directions covered" in text
    assert "(m = 5) end on a plateau" in text
    text = op.particle_sentence([5, 100], [0.03, 1e-12], ["still falling", "converged"], [2, 4], 4)
    assert "(m = 5) end still falling" in text
    assert "Every student covers" in op.particle_sentence([5, 100], [1e-9, 1e-12], ["converged"] * 2, [4, 4], 4)


# -- initialisation, stream, settings ----------------------------------------------------------------------
def test_symmetric_option_starts_from_the_zero_function():
    cfg = EXPERIMENTS["hidden-structure"].make_config(True, {"symmetric": "true"})
    X = np.random.default_rng(0).standard_normal((100, 10))
    for net in ex.students(cfg, 10, 0, [0.01, 14.1]):
        np.testing.assert_allclose(net(X), 0.0, atol=1e-9)
    sheet = EXPERIMENTS["hidden-structure"].make_config(True)
    assert np.mean(ex.students(sheet, 10, 0, [14.1])[0](X) ** 2) > 10      # the sheet's start is far from 0


def test_one_pass_sgd_by_segments_uses_each_sample_of_the_stream_once_in_order():
    cfg = EXPERIMENTS["overparam-convergence"].make_config(True, {"restarts": "2", "steps_1d": "300",
                                                                  "records_1d": "2"})
    B = cfg.batch
    X, y = tl.data.triangle_data(300 * B, seed=0)
    xt = np.linspace(-1, 1, 11)[:, None]

    class Ctx:
        engine, quiet = "numpy", True

    unit = op.restarts_1d(cfg, 5, (X, y, xt, tl.data.triangle_wave(xt[:, 0])), Ctx)
    np.testing.assert_array_equal(unit["steps"], [0, 1, 300])      # two segments: step 1, then 299 steps
    # the same by hand: SGD on the first B samples for one step, then on the remaining ones
    net = tl.init_net(1, 5, "relu", "mean-field", bias=True, init="sphere", scale=1.0, seed=cfg.seed + 1)
    sgd = tl.SGD(cfg.lr_1d * 5, B)
    first = tl.train(net, X[:B], y[:B], loss="square", reduction="mean", optimizer=sgd,
                     seed=op.segment_seed(cfg.seed + 1, 0), steps=1, engine="numpy")
    rest = tl.train(first.final, X[B:], y[B:], loss="square", reduction="mean", optimizer=sgd,
                    seed=op.segment_seed(cfg.seed + 1, 1), steps=299, engine="numpy")
    np.testing.assert_allclose(unit["final"][0].theta, rest.final.theta, rtol=1e-12)
    # the loss on each segment before training on it: fresh samples the network has not seen
    np.testing.assert_allclose(unit["fresh_loss"][0], [first.train_loss[0], rest.train_loss[0]], rtol=1e-12)


def test_store_limit_refuses_a_sweep_too_large_to_keep():
    cfg = EXPERIMENTS["hidden-structure"].make_config(False, {"width": "5000", "seeds": "15"})
    with pytest.raises(tl.errors.InvalidParameter, match="width"):
        ex.check(cfg, 10)
    ex.check(EXPERIMENTS["hidden-structure"].make_config(False), 10)       # the full settings fit


# -- the experiments at quick settings -------------------------------------------------------------------
def test_init_scale_2d_claims_come_from_several_seeds_at_equal_training_loss(quick_results):
    folder, m = quick_results("init-scale-2d")
    alphas, runs = np.array(m["alphas"]), nan(m["test_error_runs"])
    assert len(alphas) >= 8 and alphas[-1] == pytest.approx(np.sqrt(200)) and runs.shape == (9, 2)
    best, band = band_of_best(runs)
    assert m["best_alpha"] == alphas[best] and m["band_alphas"] == [alphas[i] for i in band]
    assert m["best_alpha"] < np.sqrt(200)
    assert m["test_error_at_sqrt_m"] > 10 * m["test_error_best"]       # lazy interpolation generalises worse
    assert m["relative_weight_change"][0] > 10 > 0.1 > m["relative_weight_change"][-1]
    report = (folder / "report.md").read_text()
    assert ex.best_alpha_sentence(alphas, runs, m["fit_level"], 8) in report
    assert ex.excluded_sentence(m["flagged"], m["runs"]) in report
    # every run that is not flagged has its number; no flagged run has one
    flagged = {(f["alpha"], f["seed"]) for f in m["flagged"]}
    for i, a in enumerate(alphas):
        for s in range(2):
            assert np.isfinite(runs[i, s]) == ((a, s) not in flagged)


def test_init_scale_2d_neuron_caption_is_the_measured_share(quick_results):
    folder, m = quick_results("init-scale-2d")
    alphas = np.array(m["alphas"])
    end, start = nan(m["mass_near_teacher_runs"]), nan(m["mass_near_teacher_start_runs"])
    assert end[0].min() > 2 * start[0].max()                # the rich regime moves mass onto the teacher
    assert abs(end[-1].mean() - start[-1].mean()) < 0.05     # the lazy one leaves it where it started
    report = (folder / "report.md").read_text()
    for a in m["neuron_panels_alphas"]:
        i = int(np.argmin(np.abs(alphas - a)))
        assert ex.gather_sentence(a, end[i], start[i], m["near_degrees"]) in report
    assert f"{', '.join(map(str, m['neurons_outside_axes']))} of 200 neurons fall outside" in report


def test_runs_that_miss_the_fit_level_are_flagged_and_left_out(tmp_path):
    out = tmp_path / "flags"
    assert main(["run", "init-scale-2d", "--quick", "--quiet", "--set", "width=50", "--set", "steps=3000",
                 "--set", "fit_level=1e-4", "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())
    runs = nan(m["test_error_runs"])
    assert 0 < m["runs_left_out"] == len(m["flagged"]) == np.isnan(runs).sum() < runs.size
    for f in m["flagged"]:
        assert f["status"] == "not fitted" and "above the fit level 0.0001" in f["reason"]
        assert np.isnan(runs[m["alphas"].index(f["alpha"]), f["seed"]])
    report = (out / "report.md").read_text()
    assert ex.excluded_sentence(m["flagged"], 18) in report and f"{m['runs_left_out']} of 18 run" in report
    best, _ = band_of_best(runs)
    assert m["best_alpha"] == m["alphas"][best]             # the claim uses only the runs kept


def test_hidden_structure_draws_the_trivial_predictors_and_computes_its_caption(quick_results):
    folder, h = quick_results("hidden-structure")
    cfg = EXPERIMENTS["hidden-structure"].make_config(True)
    base = {}
    for d in (2, 10):
        _, y, _, yt, _ = tl.data.teacher(cfg.n_train, d, n_test=cfg.n_test, relevant=2, seed=cfg.seed)
        assert h[f"baseline_predict_zero_d{d}"] == pytest.approx(np.mean(yt ** 2), rel=1e-12)
        base[d] = h[f"baseline_predict_mean_d{d}"]
        assert base[d] == pytest.approx(np.mean((yt - y.mean()) ** 2), rel=1e-12)
    alphas = np.array(h["alphas"])
    d10, d2 = nan(h["test_error_d10_runs"]), nan(h["test_error_d2_runs"])
    assert np.nanmax(d10[0]) < base[10] < np.nanmin(d10[-1])   # rich beats predicting the mean, lazy (d = 10) not
    assert np.nanmax(d2[-1]) < base[2]                          # in d = 2 even the lazy network beats it
    f0 = np.array(h["initial_function_mean_square_d10"])
    assert f0.min() > 100 * base[10]                            # the lazy start is a large random function
    report = (folder / "report.md").read_text()
    for d, v in ((2, d2), (10, d10)):
        assert ex.baseline_sentence(d, alphas, v, base[d]) in report
    assert ex.initial_function_sentence(10, d10[-1], f0, base[10]) in report
    assert ex.dimension_sentence(f"alpha = sqrt(m) = {alphas[-1]:.3g}", d2[-1], d10[-1]) in report
    frac = h["weight_fraction_in_signal_plane"]
    assert frac[0] > 0.6 and frac[-1] == pytest.approx(0.2, abs=0.03)  # rich concentrates, lazy stays isotropic
    assert ex.signal_sentence(alphas, nan(h["weight_fraction_in_signal_plane_runs"]), 10, 8) in report


def test_meeting_alpha_is_where_the_gap_stays_below_the_tolerance():
    gaps = np.array([[0.5, 0.6], [0.05, 0.3], [0.04, 0.06], [0.02, 0.01]])   # means 0.55, 0.175, 0.05, 0.015
    assert ex.meeting_index(gaps, 0.1) == 2 and ex.meeting_index(gaps, 0.2) == 1 and ex.meeting_index(gaps, 0.01) is None
    assert ex.meeting_index(np.vstack([gaps[:3], [[0.3, 0.5]]]), 0.1) is None        # apart again at the top
    with_nan = gaps.copy()
    with_nan[3] = np.nan                                                        # the largest alpha is not compared
    assert ex.meeting_index(with_nan, 0.1) == 2
    assert np.allclose(ex.relative_gap([[2.0, 1.0]], [[1.0, 2.0]]), [[1.0, 0.5]])


def test_lazy_meeting_sentence_flips_with_the_gaps():
    alphas = np.array([0.01, 0.1, 1.0, 10.0])
    meet = ex.lazy_meeting_sentence(alphas, [[0.5, 0.6], [0.3, 0.2], [0.04, 0.06], [0.02, 0.01]], 0.1)
    assert "comes within 10% of its lazy twin's from alpha = 1 on" in meet and "at alpha = 0.1 the gap is 0.25" in meet
    every = ex.lazy_meeting_sentence(alphas, [[0.05, 0.06], [0.03, 0.02], [0.04, 0.06], [0.02, 0.01]], 0.1)
    assert "at every alpha compared, 0.01 to 10" in every
    apart = ex.lazy_meeting_sentence(alphas, [[0.5, 0.6], [0.05, 0.02], [0.3, 0.2], [0.4, 0.5]], 0.1,
                                     rwc=np.array([10.0, 1.0, 0.05, 0.045]))
    assert "does not settle within 10%" in apart and "0.45 (range 0.4-0.5 over 2 seeds)" in apart
    assert "below 10% only at alpha = 0.1" in apart and "has stopped falling" in apart
    assert "stopped falling" not in ex.lazy_meeting_sentence(alphas, [[0.5, 0.6], [0.05, 0.02], [0.3, 0.2], [0.4, 0.5]],
                                                             0.1, rwc=np.array([10.0, 1.0, 0.5, 0.05]))
    assert "nothing to compare" in ex.lazy_meeting_sentence(alphas, np.full((4, 2), np.nan), 0.1)


def test_init_scale_2d_sets_the_network_against_its_lazy_twin(quick_results):
    folder, m = quick_results("init-scale-2d")
    alphas, tol = np.array(m["alphas"]), m["lazy_tolerance"]
    net, twin = nan(m["test_error_runs"]), nan(m["lazy_twin_test_error_seeds"])
    gaps = nan(m["lazy_gap_seeds"])
    assert np.allclose(gaps, ex.relative_gap(net, twin), equal_nan=True)
    assert np.isfinite(twin).sum() == twin.size - len(m["lazy_twin_flagged"])   # a twin left out has no number
    meet = ex.meeting_index(gaps, tol)
    assert m["lazy_meet_alpha"] == (None if meet is None else alphas[meet])
    rwc = np.array(m["relative_weight_change"])
    sentence = ex.lazy_meeting_sentence(alphas, gaps, tol, rwc)
    assert m["lazy_meeting"] == sentence and sentence in (folder / "report.md").read_text()
    assert (folder / "figures" / "lazy_twin.png").exists()
    # where the network is lazy (alpha >= 1: it moves by less than half its norm) the twin's weights move
    # as much as the network's; from a small alpha the linear model must travel much further
    twin_rwc = np.array(m["lazy_twin_weight_change"])
    lazy = alphas >= 1
    assert np.allclose(twin_rwc[lazy], rwc[lazy], rtol=0.3) and rwc[lazy].max() < 0.5
    assert twin_rwc[0] > 10 * rwc[0]
    # the twin's and the network's predictors at the end differ far more in the rich regime than where the
    # network is lazy (middle alphas), relative to the labels' RMS
    dist = nan(m["lazy_distance_seeds"])
    assert dist[0].min() > 5 * dist[5].max()


def test_hidden_structure_network_beats_its_lazy_twin_only_at_small_alpha_in_d10(quick_results):
    folder, h = quick_results("hidden-structure")
    alphas, tol = np.array(h["alphas"]), h["lazy_tolerance"]
    report = (folder / "report.md").read_text()
    for d in (2, 10):
        gaps = nan(h[f"lazy_gap_d{d}_seeds"])
        assert np.allclose(gaps, ex.relative_gap(nan(h[f"test_error_d{d}_runs"]), nan(h[f"lazy_twin_test_error_d{d}_seeds"])),
                           equal_nan=True)
        assert h[f"lazy_meeting_d{d}"] in report
        meet = ex.meeting_index(gaps, tol)
        assert h[f"lazy_meet_alpha_d{d}"] == (None if meet is None else alphas[meet])
    # d = 10: feature learning at small alpha beats the kernel model in every seed; at the largest alphas the
    # network is its twin
    net, twin = nan(h["test_error_d10_runs"]), nan(h["lazy_twin_test_error_d10_seeds"])
    first = int(np.argmax(np.isfinite(twin).all(axis=1)))
    assert np.nanmax(net[first]) < 0.5 * np.nanmin(twin[first])
    assert h["lazy_meet_alpha_d10"] is not None and h["lazy_meet_alpha_d10"] <= alphas[-1]
    for f in h["lazy_twin_flagged_d10"]:
        assert f["status"] == "not fitted" and f["reason"].startswith("lazy twin:")


def test_overparam_narrow_restarts_stall_and_wide_ones_converge(quick_results):
    folder, o = quick_results("overparam-convergence")
    assert o["fraction_converged"][0] < 0.5 and o["fraction_converged"][-1] == 1.0
    failed = o["restarts_ok"][0] - o["restarts_converged"][0]
    assert o["restarts_stalled"][0] == failed > 0             # m = 5 fails by stalling, not by slowness
    assert o["particle_final_loss"][0] > 1e-3 > 1e-8 > o["particle_final_loss"][-1]
    assert o["particle_state"][0] == "on a plateau" and o["particle_state"][-1] == "converged"
    assert o["teacher_directions_covered"][0] < 4 == o["teacher_directions_covered"][-1]
    report = (folder / "report.md").read_text()
    cfg = EXPERIMENTS["overparam-convergence"].make_config(True)
    assert op.convergence_sentence(o["widths"], o["restarts_ok"], o["restarts_converged"], o["restarts_stalled"],
                                   cfg.converged_below, cfg.stall_factor) in report
    assert op.particle_sentence(o["widths_2d"], o["particle_final_loss"], o["particle_state"],
                                o["teacher_directions_covered"], 4) in report
    assert (folder / "figures" / "particles.gif").stat().st_size > 10_000


@pytest.mark.slow
def test_seed000_claims_at_full_settings(tmp_path):
    """About ten minutes: the sheet's observations at full width, seeds and restarts."""
    root = tmp_path / "full"
    for name in ("init-scale-2d", "overparam-convergence"):
        assert main(["run", name, "--quiet", "--out", str(root / name)]) == 0
    m = json.loads((root / "init-scale-2d" / "metrics.json").read_text())
    assert m["alphas"][-1] == pytest.approx(np.sqrt(1000)) and len(m["test_error_runs"][0]) == 5
    assert m["test_error_at_sqrt_m"] > 100 * m["test_error_best"] and m["best_alpha"] < 1.0
    assert len(m["band_alphas"]) >= 2 and max(m["band_alphas"]) < 1.0   # several rich alphas tie
    o = json.loads((root / "overparam-convergence" / "metrics.json").read_text())
    assert o["fraction_converged"][0] <= 0.2 and o["fraction_converged"][-1] == 1.0

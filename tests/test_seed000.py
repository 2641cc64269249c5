"""Seed 000: data generators, laziness measures, plots, and the three experiments at quick size."""

import json

import numpy as np
import pytest
from PIL import Image

import twolayer as tl
from twolayer.analysis import relative_weight_change, signal_fraction
from twolayer.cli import main
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


def test_seed000_experiments_show_what_the_sheet_asks(tmp_path):
    root = tmp_path / "r"
    for name in ("init-scale-2d", "hidden-structure", "overparam-convergence"):
        assert main(["run", name, "--quick", "--quiet", "--out", str(root / name)]) == 0
    m = json.loads((root / "init-scale-2d" / "metrics.json").read_text())
    assert len(m["alphas"]) >= 8 and m["alphas"][-1] == pytest.approx(np.sqrt(200))
    assert m["best_alpha"] < np.sqrt(200)
    assert m["test_error_at_sqrt_m"] > 10 * m["test_error_best"]       # lazy interpolation generalises worse
    assert m["relative_weight_change"][0] > 10 > 0.1 > m["relative_weight_change"][-1]
    assert m["train_loss_ratio_max"] < 1e-4                            # training losses flattened
    h = json.loads((root / "hidden-structure" / "metrics.json").read_text())
    frac = h["weight_fraction_in_signal_plane"]
    assert frac[0] > 0.6 and frac[-1] == pytest.approx(0.2, abs=0.03)  # rich concentrates, lazy stays isotropic
    assert h["test_error_d10"][0] < h["test_error_d10"][-1]
    o = json.loads((root / "overparam-convergence" / "metrics.json").read_text())
    assert o["fraction_converged"][0] < 0.5 and o["fraction_converged"][-1] == 1.0
    assert o["particle_final_loss"][0] > 1e-3 > 1e-8 > o["particle_final_loss"][-1]
    assert (root / "overparam-convergence" / "figures" / "particles.gif").stat().st_size > 10_000


@pytest.mark.slow
def test_seed000_claims_at_full_settings(tmp_path):
    """About eight minutes: the sheet's observations at full width, seeds and restarts."""
    root = tmp_path / "full"
    for name in ("init-scale-2d", "overparam-convergence"):
        assert main(["run", name, "--quiet", "--out", str(root / name)]) == 0
    m = json.loads((root / "init-scale-2d" / "metrics.json").read_text())
    assert m["alphas"][-1] == pytest.approx(np.sqrt(1000))
    assert m["test_error_at_sqrt_m"] > 100 * m["test_error_best"] and m["best_alpha"] < 1.0
    o = json.loads((root / "overparam-convergence" / "metrics.json").read_text())
    assert o["fraction_converged"][0] <= 0.2 and o["fraction_converged"][-1] == 1.0

"""online-teacher-student: the compiled online SGD against the ODE, the computed sentences both ways,
and the quick run's numbers against what the theory gives."""

import numpy as np
import pytest

from twolayer.experiments import online_teacher_student as ots
from twolayer.theory import online_ode, online_sgd


def test_the_student_starts_with_exactly_the_prescribed_overlaps():
    rng = np.random.default_rng(0)
    Q0, R0 = ots.initial(3, 2, 0.25, 0.2)
    Wt = online_sgd.teacher(2, 300, rng)
    W = online_sgd.student_with_overlaps(Q0, R0, Wt, rng)
    Q, R, T = online_ode.order_parameters(W, Wt)
    assert np.allclose(T, np.eye(2), atol=1e-12) and np.allclose(Q, Q0, atol=1e-12) and np.allclose(R, R0, atol=1e-12)


def test_a_zero_learning_rate_leaves_the_overlaps_and_the_compiled_loop_follows_the_ode_at_large_d():
    rng = np.random.default_rng(1)
    Q0, R0 = ots.initial(2, 2, 0.25, 0.2)
    Wt = online_sgd.teacher(2, 2000, rng)
    W0 = online_sgd.student_with_overlaps(Q0, R0, Wt, rng)
    alphas = np.linspace(0, 8, 9)
    still = online_sgd.simulate(W0, np.ones(2), Wt, np.ones(2), alphas, lr=0.0, seed=3)
    assert np.allclose(still["Q"], Q0, atol=1e-12) and np.allclose(still["R"], R0, atol=1e-12)
    sim = online_sgd.simulate(W0, np.ones(2), Wt, np.ones(2), alphas, lr=1.0, lr_v=0.5, seed=3)
    ode = online_ode.integrate(Q0, R0, np.eye(2), np.ones(2), np.ones(2), sim["alpha"], lr=1.0, lr_v=0.5)
    moved = np.abs(ode["Q"][-1] - Q0).max()
    assert moved > 0.1                                          # the overlaps move by O(1) ...
    assert np.abs(sim["Q"] - ode["Q"]).max() < 0.05 and np.abs(sim["R"] - ode["R"]).max() < 0.05  # ... as the ODE says
    assert np.abs(sim["v"] - ode["v"]).max() < 0.05


def test_a_diverged_simulation_is_flagged():
    run = {"eps": np.array([0.3, 0.2, np.nan]), "Q": np.array([[[1.0]], [[1.0]], [[np.nan]]])}
    assert ots.health(run)["status"] == "diverged"
    assert ots.health({"eps": np.array([0.3, 0.1]), "Q": np.ones((2, 1, 1))})["status"] == "ok"


def test_the_sentences_follow_the_numbers():
    good = {"mean": -0.5, "sd": 0.05, "n": 5}
    bad = {"mean": -0.1, "sd": 0.05, "n": 5}
    assert "consistent" in ots.convergence_sentence(good, [250, 8000], [0.04, 0.007])
    assert "shallower" in ots.convergence_sentence(bad, [250, 8000], [0.04, 0.03])
    assert "does not decrease" in ots.convergence_sentence(bad, [250, 8000], [0.04, 0.05])
    assert "agrees with" in ots.plateau_sentence(17.0, 16.9)
    assert "differs from" in ots.plateau_sentence(12.0, 16.9)
    assert "This is Goldt" in ots.overparam_sentence([2, 4, 6], [1e-3, 2e-3, 3e-3], [1e-3, 8e-4, 6e-4])
    assert "is not Goldt" in ots.overparam_sentence([2, 4, 6], [1e-3, 9e-4, 8e-4], [1e-3, 8e-4, 6e-4])
    assert "is not Goldt" in ots.overparam_sentence([2, 4, 6], [1e-3, 2e-3, 3e-3], [1e-3, 2e-3, 3e-3])
    assert "no plateau" in ots.published_sentence(None, None)
    assert "leaves it" in ots.published_sentence(0.0219, 6590.0)


def test_the_plateau_reading_finds_a_synthetic_plateau_and_its_exit():
    a = np.linspace(0, 200, 2001)
    eps = 0.3 * np.exp(-a) + 0.02 / (1 + np.exp((a - 120) / 3)) + 1e-6
    r = ots.plateau_reading(a, eps)
    assert r["level"] == pytest.approx(0.02, rel=0.02) and r["exit"] == pytest.approx(120, abs=2)
    assert ots.plateau_reading(a, 0.3 * np.exp(-a / 50) + 0.02)["exit"] is None


def test_the_quick_run_matches_the_theory(quick_results):
    _, m = quick_results("online-teacher-student")
    # plateau length ~ ln(1/r0) / lambda, lambda from the Jacobian at the symmetric fixed point (an independent computation)
    assert m["plateau_exit_slope"] == pytest.approx(m["plateau_exit_slope_theory"], rel=0.1)
    # the symmetric fixed point's error is the plateau the K = M = 2 curves sit on
    assert m["K2_ode_plateau_eps"] == pytest.approx(m["symmetric_plateau_eps"], rel=0.1)
    # the simulations follow the ODE: overlaps within a few 1/sqrt(d), exits within 15% of the ODE's
    for d, dev in zip(m["dims"], m["deviation_mean"]):
        assert dev < 2 / np.sqrt(d)
    assert m["K2_sim_exit_alpha_spread"]["mean"] == pytest.approx(m["K2_ode_exit_alpha"], rel=0.15)
    assert m["saad_solla_exit_alpha"] is not None and 0.015 < m["saad_solla_plateau_eps"] < 0.03
    assert len(m["deviation_slope_seeds"]) == len(m["seeds"]) and not m["sweep_flagged"]


def test_the_exit_of_a_simulated_curve_is_read_at_half_the_odes_plateau():
    a = np.arange(5.0)
    assert ots.exit_alpha(a, [0.3, 0.02, 0.019, 0.009, 0.001], 0.02) == 3.0
    assert ots.exit_alpha(a, [0.3, 0.02, 0.019, 0.015, 0.011], 0.02) is None
    assert ots.exit_alpha(a, [0.3] * 5, None) is None

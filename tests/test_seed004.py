"""Seed 004 building blocks: p-orthogonality, max-margin and minimum-norm solutions, stable rank."""

import numpy as np
import pytest

import twolayer as tl
from twolayer.analysis import max_margin, min_norm_interpolator, p_orthogonality, stable_rank


def test_p_orthogonality_closed_forms():
    assert p_orthogonality(np.eye(4)) == np.inf
    # rows (1, 0), (e, 1): R_min^2 = 1, R^2 = 1 + e^2, n = 2, max |<x_i, x_j>| = e
    e = 0.1
    assert p_orthogonality(np.array([[1.0, 0.0], [e, 1.0]])) == pytest.approx(1.0 / ((1 + e * e) * 2 * e))
    with pytest.raises(tl.InvalidParameter, match="R_min"):
        p_orthogonality(np.array([[0.0, 0.0], [1.0, 0.0]]))


def kkt_residual(X, y, w, s):
    """Largest violation of the KKT conditions of the max-margin program."""
    margins = y * (X @ w)
    return max(np.abs(w - X.T @ (s * y)).max(), max(0.0, 1.0 - margins.min()), np.abs(s * (margins - 1.0)).max(),
               max(0.0, -s.min()))


@pytest.mark.parametrize("n,d", [(8, 40), (40, 3)])
def test_max_margin_satisfies_kkt(n, d):
    rng = np.random.default_rng(n)
    X = rng.standard_normal((n, d))
    y = np.sign(X @ rng.standard_normal(d))
    w, s = max_margin(X, y)
    assert kkt_residual(X, y, w, s) < 1e-6 * max(1.0, np.abs(w).max())


def test_max_margin_equals_min_norm_for_p_orthogonal_data_but_not_always():
    rng = np.random.default_rng(0)
    n, d = 6, 60
    Q, _ = np.linalg.qr(rng.standard_normal((d, n)))
    X = Q.T * rng.uniform(1.0, 1.2, (n, 1)) + 0.002 * rng.standard_normal((n, d))
    y = np.sign(rng.standard_normal(n))
    assert p_orthogonality(X) >= 3
    w_mm, s = max_margin(X, y)
    w_mni = min_norm_interpolator(X, y)
    assert np.linalg.norm(w_mm - w_mni) <= 1e-10 * np.linalg.norm(w_mm)
    assert s.min() > 0
    # part 3: x1 = (1, 0), x2 = (3, 1), y = (1, 1): w_MNI = (1, -2) but w_MM = (1, 0)
    X, y = np.array([[1.0, 0.0], [3.0, 1.0]]), np.array([1.0, 1.0])
    np.testing.assert_allclose(min_norm_interpolator(X, y), [1.0, -2.0], atol=1e-12)
    np.testing.assert_allclose(max_margin(X, y)[0], [1.0, 0.0], atol=1e-10)


def test_non_separable_data_is_an_error():
    X, y = np.array([[1.0, 0.0], [2.0, 0.0]]), np.array([1.0, -1.0])
    with pytest.raises(tl.InvalidParameter, match="separable"):
        max_margin(X, y)


def test_stable_rank_examples_of_the_sheet():
    d = 7
    for eps in (0.0, 0.3, 1.0):
        assert stable_rank(np.diag([1.0] * (d - 1) + [eps])) == pytest.approx(d - 1 + eps ** 2)
    assert stable_rank(np.diag([1.0] + [np.exp(-d)] * (d - 1))) == pytest.approx(1 + (d - 1) * np.exp(-2 * d))
    assert stable_rank(np.zeros((3, 2))) == 0.0
    # a Gaussian matrix: order min(m, d) (Problem 3.1)
    G = np.random.default_rng(1).standard_normal((300, 200))
    assert 0.25 * 200 < stable_rank(G) <= 200


def test_stable_rank_one_step_experiment(tmp_path):
    import json

    from twolayer.cli import main

    out = tmp_path / "sr"
    assert main(["run", "stable-rank-one-step", "--quick", "--quiet", "--out", str(out), "--set", "ms=40,160",
                 "--set", "ds=1000,4000", "--set", "sigmas=1e-7,1e-2"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    sr0 = np.array(m["stable_rank_w0"])
    assert sr0[-1, -1] > 0.3 * 160                  # Gaussian W_0: order min(m, d)
    assert m["max_stable_rank_w1"] < 2.0             # one step: a constant, whatever m and d
    by0, by1 = m["stable_rank_w0_by_sigma"], m["stable_rank_w1_by_sigma"]
    assert by1[0] < 2.0 and by1[-1] > 0.9 * by0[-1]  # the collapse needs a small initialisation


def test_separable_data_has_the_promised_margin():
    X, y, v = tl.data.separable(50, 7, margin=0.2, seed=3)
    assert np.linalg.norm(X, axis=1).max() <= 1.0
    assert (y * (X @ v)).min() >= 1.0
    with pytest.raises(tl.InvalidParameter, match="margin"):
        tl.data.separable(5, 3, margin=1.5)


def leaky_net(seed=1, m=12, d=6, gamma=0.3):
    return tl.init_net(d, m, "leaky_relu", "none", init="fixed_outer", scale=0.5, slope=gamma, seed=seed)


def test_perceptron_direction_certifies_every_W():
    """Part 2: ||V||_F = 1 and y_i <grad f(x_i; W), V> >= c = gamma / ||v||, the directional derivative
    measured by a central difference of f along V, for many random W."""
    from twolayer.analysis import perceptron_direction

    X, y, v = tl.data.separable(30, 6, margin=0.2, seed=0)
    V, c = perceptron_direction(leaky_net(), v)
    assert np.linalg.norm(V) == pytest.approx(1.0)
    assert c == pytest.approx(0.3 / np.linalg.norm(v))
    worst = np.inf
    for seed in range(20):
        net = leaky_net(seed)
        h = 1e-7
        up = tl.Net(net.a, net.W + h * V, None, "leaky_relu", "none", 0.3)
        down = tl.Net(net.a, net.W - h * V, None, "leaky_relu", "none", 0.3)
        worst = min(worst, (y * (up(X) - down(X)) / (2 * h)).min())
    assert worst >= c * (1 - 1e-6)
    with pytest.raises(tl.InvalidParameter, match="leaky-ReLU"):
        perceptron_direction(tl.init_net(6, 4, "relu", "none"), v)


def test_gradient_jump_across_a_kink_matches_its_closed_form():
    from twolayer.analysis import gradient_jump
    from twolayer.objective import Objective

    X, y, _ = tl.data.separable(20, 6, margin=0.2, seed=0)
    net = leaky_net()
    obj = Objective(net, X, y, loss="logistic", reduction="mean", trainable=("W",))
    r = gradient_jump(obj, net.theta, neuron=2, sample=5, eps=[1e-3, 1e-6, 1e-9])
    assert r["across"][-1] * 1e-9 == pytest.approx(r["jump"], rel=1e-5)   # grows like jump / eps
    assert r["inside"].max() < 2 * r["inside"].min()                      # bounded inside a region


def test_perceptron_convergence_inequalities_hold_at_every_step(tmp_path):
    import json

    from twolayer.cli import main

    out = tmp_path / "pc"
    assert main(["run", "perceptron-convergence", "--quick", "--quiet", "--out", str(out), "--set", "steps=1500"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert min(m["min_slack_H"]) >= 0 and min(m["min_ratio_H"]) >= 1.0
    assert min(m["min_slack_F"]) >= 0
    assert all(a > b for a, b in zip(m["final_loss"], m["final_loss"][1:]))   # larger steps, lower loss
    assert m["steps_to_G_below_1e-3"][-1] is not None
    assert m["smoothness_ratio_max"] > 1e6


def test_p_orthogonality_guarantee_holds_and_has_the_right_rate():
    from twolayer.analysis import p_orthogonality_guarantee

    n, d, delta = 5, 3000, 0.2
    p_lb = p_orthogonality_guarantee(n, d, delta)
    rng = np.random.default_rng(0)
    ps = np.array([p_orthogonality(rng.standard_normal((n, d))) for _ in range(300)])
    assert np.mean(ps >= p_lb) >= 1 - delta
    # large d: sqrt(d) / (n sqrt(2 log(2 n (n - 1) / delta)))
    d = 10 ** 14
    assert p_orthogonality_guarantee(n, d, delta) == pytest.approx(
        np.sqrt(d) / (n * np.sqrt(2 * np.log(2 * n * (n - 1) / delta))), rel=1e-5)


def test_dual_ratio_bound_is_exact_for_orthogonal_data_and_holds_otherwise():
    from twolayer.analysis import dual_ratio_bound

    X = np.diag([1.0, 2.0, 1.5])                     # orthogonal: s_i = 1 / ||x_i||^2, ratio R^2 = 4
    y = np.array([1.0, -1.0, 1.0])
    s = max_margin(X, y)[1]
    np.testing.assert_allclose(s, [1.0, 0.25, 1 / 2.25], rtol=1e-10)
    assert dual_ratio_bound(X) == pytest.approx(4.0)
    rng = np.random.default_rng(2)
    for _ in range(30):
        X = rng.standard_normal((6, 400)) * rng.uniform(0.8, 1.2, (6, 1))
        y = rng.choice([-1.0, 1.0], 6)
        s = max_margin(X, y)[1]
        bound = dual_ratio_bound(X)
        if np.isfinite(bound):
            assert s.max() / s.min() <= bound


def test_max_margin_vs_mni_experiment(tmp_path):
    import json

    from twolayer.cli import main

    out = tmp_path / "mm"
    assert main(["run", "max-margin-vs-mni", "--quick", "--quiet", "--out", str(out), "--set", "trials=20",
                 "--set", "counter_steps=20000"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["max_rel_diff_p_ge_3"] < 1e-10
    assert m["prob_p_ge_3"][0] == 0.0 and m["prob_p_ge_3"][-1] == 1.0
    assert m["counterexample_rel_diff"] == pytest.approx(2.0)
    assert m["max_ratio_over_bound"] <= 1.0
    gd = m["gd_one_minus_cos_to_w_mm"]
    assert gd["Gaussian, square"] < 1e-12 and gd["part 3, square"] == pytest.approx(1 - 1 / np.sqrt(5))

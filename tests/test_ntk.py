"""Neural tangent kernels: the limit against Monte Carlo, closed forms, and the finite network."""

import numpy as np
import pytest

import twolayer as tl
from twolayer.activations import get_activation
from twolayer.ntk import analytic_ntk, angles, empirical_ntk, kernel_regression, linearised_predictor

ACTS = ["relu", "leaky_relu", "sigmoid", "tanh", "identity"]


@pytest.fixture(scope="module")
def monte_carlo():
    """A million neurons w ~ N(0, I_3), b ~ N(0, 0.5^2), shared by the Monte Carlo tests."""
    rng = np.random.default_rng(2024)
    X = rng.standard_normal((5, 3))
    X *= rng.uniform(0.5, 1.5, (5, 1)) / np.linalg.norm(X, axis=1, keepdims=True)
    return X, rng.standard_normal((1_000_000, 3)), rng.standard_normal(1_000_000)


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("bias_std", [0.0, 0.5])
def test_analytic_ntk_matches_a_million_neuron_monte_carlo(monte_carlo, activation, bias_std):
    X, W, g = monte_carlo
    act = get_activation(activation)
    U = X @ W.T + bias_std * g  # (n, N) pre-activations; a_j^2 = 1
    F, D = act.f(U, 0.1), act.df(U, 0.1)
    N = U.shape[1]
    pairs = {"outer": np.einsum("in,jn->ijn", F, F), "inner_raw": np.einsum("in,jn->ijn", D, D)}
    factor = X @ X.T + (1.0 if bias_std > 0 else 0.0)
    for layers in ("outer", "inner", "both"):
        if layers == "outer":
            samples = pairs["outer"]
        elif layers == "inner":
            samples = factor[:, :, None] * pairs["inner_raw"]
        else:
            samples = pairs["outer"] + factor[:, :, None] * pairs["inner_raw"]
        mc, se = samples.mean(axis=2), samples.std(axis=2) / np.sqrt(N)
        K = analytic_ntk(X, activation=activation, layers=layers, bias_std=bias_std, slope=0.1)
        assert np.all(np.abs(K - mc) <= 5 * se + 1e-12), (layers, np.max(np.abs(K - mc) / (se + 1e-300)))


def test_relu_first_layer_kernel_is_formula_2_of_the_sheet(rng):
    X = rng.standard_normal((6, 4))
    norms = np.linalg.norm(X, axis=1)
    cos = np.clip(X @ X.T / np.outer(norms, norms), -1, 1)
    formula = (X @ X.T) * (0.5 - np.arccos(cos) / (2 * np.pi))  # (2) with the <x, x'> of its first line
    K = analytic_ntk(X, layers="inner")
    far = np.abs(cos) < 0.9  # where a plain arccos is accurate (on the diagonal it is off by ~1e-8)
    np.testing.assert_allclose(K[far], formula[far], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.diag(K), norms ** 2 / 2, rtol=1e-15)


@pytest.mark.parametrize("activation", ACTS)
def test_kernels_are_symmetric_and_positive_semidefinite(rng, activation):
    X = rng.standard_normal((12, 3)) / np.sqrt(3)
    for layers in ("outer", "inner", "both"):
        K = analytic_ntk(X, activation=activation, layers=layers, bias_std=0.3)
        tol = 1e-12 if activation in ("relu", "leaky_relu", "identity") else 1e-8  # quadrature accuracy
        np.testing.assert_allclose(K, K.T, rtol=tol, atol=tol)
        assert np.linalg.eigvalsh(K).min() > -1e-10 * np.abs(K).max()


def test_relu_diagonal_is_the_squared_norm_exactly_and_angles_are_stable(rng):
    X = rng.standard_normal((8, 5)) * 3.0
    np.testing.assert_allclose(np.diag(analytic_ntk(X)), np.sum(X * X, axis=1), rtol=1e-12)
    # near-parallel inputs: a plain arccos of the cosine gets a 1e-8 angle wrong by ~50%
    eps = 1e-8
    u, v = np.array([[1.0, 0.0]]), np.array([[np.cos(eps), np.sin(eps)]]) * 2.0
    assert angles(u, v)[0, 0] == pytest.approx(eps, rel=1e-8)
    # the closed form at the exact angle: sqrt(q q')/(2 pi) (sin e + (pi - e) cos e) + <u, v> (pi - e)/(2 pi)
    expected = 2.0 / (2 * np.pi) * (np.sin(eps) + (np.pi - eps) * np.cos(eps)) + 2.0 * np.cos(eps) * (np.pi - eps) / (2 * np.pi)
    assert analytic_ntk(u, v)[0, 0] == pytest.approx(expected, rel=1e-14)


def jacobian(net, X, eps=1e-6):
    theta = net.theta
    J = np.zeros((len(X), theta.size))
    for k in range(theta.size):
        e = np.zeros_like(theta)
        e[k] = eps
        J[:, k] = (net.with_theta(theta + e)(X) - net.with_theta(theta - e)(X)) / (2 * eps)
    return J


@pytest.mark.parametrize("activation, scaling, bias", [("tanh", "ntk", True), ("sigmoid", "mean-field", False),
                                                        ("relu", "none", True)])
def test_empirical_ntk_equals_the_jacobian_gram_matrix(rng, activation, scaling, bias):
    net = tl.init_net(3, 7, activation, scaling, bias=bias, init="gaussian", seed=3)
    X1, X2 = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    if activation == "relu":
        assert np.min(np.abs(net.preactivations(np.vstack([X1, X2])))) > 1e-4
    J1, J2 = jacobian(net, X1), jacobian(net, X2)
    mask = net.layout.mask(["a"])
    np.testing.assert_allclose(empirical_ntk(net, X1, X2, "outer"), J1[:, mask] @ J2[:, mask].T, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(empirical_ntk(net, X1, X2, "inner"), J1[:, ~mask] @ J2[:, ~mask].T, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(empirical_ntk(net, X1, X2), J1 @ J2.T, rtol=1e-6, atol=1e-9)


def test_wide_ntk_network_approaches_the_limit(rng):
    X = rng.standard_normal((5, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    net = tl.init_net(3, 200_000, "relu", "ntk", bias=True, init="gaussian", scale=1.0, seed=1)
    K_hat = empirical_ntk(net, X)
    K = analytic_ntk(X, bias_std=1.0)
    assert np.linalg.norm(K_hat - K) / np.linalg.norm(K) < 0.02


def test_kernel_regression_and_linearised_predictor(rng):
    X, y = rng.standard_normal((8, 3)), rng.standard_normal(8)
    Xs = rng.standard_normal((4, 3))
    K, Ks = analytic_ntk(X), analytic_ntk(Xs, X)
    np.testing.assert_allclose(kernel_regression(K, y), y, atol=1e-9)  # ridgeless interpolates
    np.testing.assert_allclose(kernel_regression(K, y, Ks, ridge=0.5), Ks @ np.linalg.solve(K + 0.5 * np.eye(8), y))
    f0, f0s = rng.standard_normal(8), rng.standard_normal(4)
    np.testing.assert_allclose(linearised_predictor(K, Ks, y, f0, f0s, 0.0), f0s)
    np.testing.assert_allclose(linearised_predictor(K, Ks, y, f0, f0s, 1e9),
                               f0s + Ks @ np.linalg.solve(K, y - f0), rtol=1e-8)


def test_linearised_predictor_is_exact_when_only_the_outer_layer_trains(rng):
    """With W frozen the network is linear in a, so gradient flow on (1/(2n)) sum (f - y)^2 follows
    the linearised predictor built from the outer-layer NTK exactly."""
    X, y = rng.standard_normal((10, 2)), rng.standard_normal(10)
    Xs = rng.standard_normal((5, 2))
    net = tl.init_net(2, 40, "tanh", "ntk", init="gaussian", seed=0)
    run = tl.train(net, X, y, trainable=("a",), optimizer=tl.Flow(rtol=1e-11, atol=1e-13), t_max=3.0,
                   record_at=[3.0])
    pred = linearised_predictor(empirical_ntk(net, X, layers="outer"), empirical_ntk(net, Xs, X, layers="outer"),
                                y, net(X), net(Xs), 3.0)
    np.testing.assert_allclose(run.final(Xs), pred, rtol=1e-8, atol=1e-10)


def test_ntk_errors(rng):
    X = rng.standard_normal((3, 2))
    with pytest.raises(tl.InvalidParameter, match="layers='all'"):
        analytic_ntk(X, layers="all")
    with pytest.raises(tl.InvalidParameter, match="X2=.*\\(n, 2\\)"):
        analytic_ntk(X, np.zeros((2, 3)))
    with pytest.raises(tl.InvalidParameter, match="quadrature_points=400"):
        analytic_ntk(X, activation="tanh", quadrature_points=400)
    with pytest.raises(tl.InvalidParameter, match="positive definite"):
        linearised_predictor(np.zeros((2, 2)), np.zeros((1, 2)), np.zeros(2), np.zeros(2), np.zeros(1), 1.0)


def test_ntk_concentration_experiment(quick_results):
    from twolayer.experiments.ntk_concentration import hoeffding_bound, sphere_points

    out, m = quick_results("ntk-concentration")
    assert m["widths"] == [2 ** k for k in range(4, 11)]
    assert m["slope"] == pytest.approx(-0.5, abs=0.06)            # p^(-1/2) concentration, mean over seeds
    assert m["slope_spread"]["n"] == 20 and 0 < m["slope_spread"]["sd"] < 0.1
    assert m["lambda_min_mean"][-1] == pytest.approx(m["lambda_min_limit"], rel=0.1)
    assert m["lambda_min_limit"] > 0
    # the bound of part (b), relative to ||K||_F, lies above the measured mean error at every width
    K_norm = np.linalg.norm(analytic_ntk(sphere_points(40, 5, 0), layers="inner"))
    assert all(e < hoeffding_bound(40, p, 0.05) / K_norm for e, p in zip(m["rel_error_mean"], m["widths"]))
    assert (out / "figures" / "concentration.png").exists()


def test_hessian_scaling_experiment(quick_results):
    from twolayer.activations import get_activation

    _, m = quick_results("hessian-scaling")
    assert m["outer"] == "uniform"                                       # the sheet's a ~ Unif([-1, 1])
    assert m["hessian_norm_slope"] == pytest.approx(-0.5, abs=0.06)       # ||H_W f|| ~ p^(-1/2)
    assert m["hessian_norm_all_slope"] == pytest.approx(-0.5, abs=0.06)
    g2, phi, hess = (np.array(m[k]) for k in ("grad_norm_sq_mean", "phi_term_norm", "hessian_term_norm"))
    # ||grad_W f||^2 -> E[a^2] E[sigma'(z)^2], z ~ N(0, 1) (unit input): 1/3 x E[sech^4 z] for Unif([-1, 1])
    z, w = np.polynomial.hermite_e.hermegauss(80)
    limit = float(w @ get_activation("tanh").df(z, 0.0) ** 2 / np.sqrt(2 * np.pi)) / 3.0
    assert g2[-1] == pytest.approx(limit, rel=0.05)
    assert phi[-1] == pytest.approx(2 * limit, rel=0.05)                 # order 1: g = f^2 does not linearise
    assert hess[-1] < hess[0] / 3
    assert m["weight_change_slope"] == pytest.approx(-0.5, abs=0.15)
    assert m["linearisation_gap"][-1] < m["linearisation_gap"][0] / 5

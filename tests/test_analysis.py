"""Analysis functions against closed forms and independent computations."""

import numpy as np
import pytest
from scipy.optimize import minimize

import twolayer as tl
from twolayer.objective import Objective
from twolayer.analysis import first_below, hessian_matrix, min_norm_relu_orthogonal, plateaus, top_eigenvalue


def test_min_norm_closed_form_interpolates_and_matches_the_formula():
    X, y = tl.data.thesis("1.1.0")
    norm, net = min_norm_relu_orthogonal(X, y)
    np.testing.assert_allclose(net(X), y, rtol=1e-14)
    assert norm == pytest.approx(np.sqrt(2 * (np.sqrt(1 / 5) + np.sqrt(1 / 1.25))), rel=1e-14)
    assert net.norm == pytest.approx(norm, rel=1e-14)


def test_min_norm_matches_a_numerical_constrained_minimisation():
    """Independent check: minimise ||theta||^2 over 4-neuron ReLU nets subject to interpolation
    (SLSQP from several starts); the best value equals the closed form."""
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((3, 3)))[0]
    X = Q * np.array([1.0, 2.0, 0.5])[:, None]  # orthogonal rows of different norms
    y = np.array([1.0, -2.0, 0.7])
    norm, _ = min_norm_relu_orthogonal(X, y)
    m = 4

    def unpack(th):
        return th[:m], th[m:].reshape(m, 3)

    def residual(th):
        a, W = unpack(th)
        return np.maximum(X @ W.T, 0) @ a - y

    best = np.inf
    rng = np.random.default_rng(1)
    for _ in range(12):
        res = minimize(lambda th: th @ th, rng.standard_normal(4 * m), jac=lambda th: 2 * th, method="SLSQP",
                       constraints={"type": "eq", "fun": residual}, options={"maxiter": 500, "ftol": 1e-12})
        if res.success and np.max(np.abs(residual(res.x))) < 1e-8:
            best = min(best, np.sqrt(res.fun))
    assert best == pytest.approx(norm, rel=1e-4)


def test_min_norm_rejects_non_orthogonal_inputs():
    with pytest.raises(tl.InvalidParameter, match="orthogonal"):
        min_norm_relu_orthogonal(np.array([[1.0, 1.0], [1.0, 0.0]]), np.array([1.0, -1.0]))


def test_hessian_of_a_linear_model_has_the_kronecker_closed_form(rng):
    X, y = rng.standard_normal((9, 3)), rng.standard_normal(9)
    net = tl.init_net(3, 4, "identity", "none", init="gaussian", seed=2)
    obj = tl.Objective(net, X, y, "square", "mean", trainable=("W",))
    H = hessian_matrix(obj, net.theta)
    expected = np.kron(np.outer(net.a, net.a), 2 * X.T @ X / 9)  # d^2/dW^2 of (1/n)||X W^T a - y||^2
    np.testing.assert_allclose(H, expected, rtol=1e-6, atol=1e-8)
    lam = 2 * np.dot(net.a, net.a) * np.linalg.eigvalsh(X.T @ X / 9)[-1]
    assert top_eigenvalue(obj, net.theta) == pytest.approx(lam, rel=1e-6)


def test_top_eigenvalue_lanczos_path_agrees_with_dense(rng):
    X, y = rng.standard_normal((30, 20)), rng.standard_normal(30)
    net = tl.init_net(20, 25, "tanh", "ntk", init="gaussian", seed=0)
    obj = tl.Objective(net, X, y, "square", "half_mean")
    assert obj.mask.sum() > 400  # exercises the Lanczos branch
    dense = np.linalg.eigvalsh(hessian_matrix(obj, net.theta))[-1]
    assert top_eigenvalue(obj, net.theta) == pytest.approx(dense, rel=1e-5)


def test_plateaus_and_first_below_on_a_synthetic_curve():
    t = np.linspace(0, 30, 3001)
    # loss 1 until t=5, decays to 0.5 by t=7, flat until 12, then decays exponentially
    L = np.where(t < 5, 1.0, np.where(t < 7, 1 - 0.25 * (t - 5), np.where(t < 12, 0.5, 0.5 * np.exp(-(t - 12)))))
    found = plateaus(t, L)
    assert len(found) == 2
    assert found[0]["level"] == pytest.approx(1.0) and found[1]["level"] == pytest.approx(0.5)
    assert found[0]["end"] == pytest.approx(5.0, abs=0.02) and found[1]["start"] == pytest.approx(7.0, abs=0.02)
    assert first_below(t, L, 0.55) == pytest.approx(6.8, abs=0.011)
    assert first_below(t, L, 1e-300) is None


@pytest.mark.parametrize("trainable", [("W",), ("a", "W"), ("a", "W", "c")])
def test_output_hvp_matches_finite_differences_of_the_output_gradient(rng, trainable):
    from twolayer.analysis import output_hvp

    net = tl.init_net(3, 6, "tanh", "ntk", bias=True, init="gaussian", seed=2)
    x, v = rng.standard_normal(3), rng.standard_normal(net.layout.size)
    mask = net.layout.mask(trainable)

    def grad(theta):
        g = net.with_theta(theta).gradients(x[None, :], np.ones(1), trainable)
        out = np.zeros(net.layout.size)
        for name, value in g.items():
            out[net.layout.slices[name]] = value.ravel()
        return out

    e = 1e-6
    vm = np.where(mask, v, 0.0)
    fd = (grad(net.theta + e * vm) - grad(net.theta - e * vm)) / (2 * e)
    np.testing.assert_allclose(output_hvp(net, x, v, trainable), fd, rtol=1e-6, atol=1e-9)


def test_output_hessian_norm_in_w_has_the_block_closed_form(rng):
    """With a fixed the Hessian in W is block-diagonal: s a_j sigma''(w_j . x) x x^T, so its norm is
    s max_j |a_j sigma''(w_j . x)| ||x||^2."""
    from twolayer.activations import get_activation
    from twolayer.analysis import output_hessian_norm

    net = tl.init_net(4, 50, "tanh", "ntk", init="gaussian", seed=1)
    x = rng.standard_normal(4)
    d2 = get_activation("tanh").d2f(net.W @ x, 0.0)
    expected = net.scale * np.max(np.abs(net.a * d2)) * (x @ x)
    assert output_hessian_norm(net, x, ("W",), tol=1e-10) == pytest.approx(expected, rel=1e-7)


def test_alignment_directions_and_cosines():
    from twolayer.analysis import alignment_directions, neuron_cosines

    X, y = tl.data.thesis("1.1.0")
    d_plus, d_minus = alignment_directions(X, y)
    np.testing.assert_allclose(d_plus, [1.0, 0.5])    # (1/2) * 1 * (2, 1)
    np.testing.assert_allclose(d_minus, [0.25, -0.5])  # (1/2) * (-1) * (-0.5, 1)
    W = np.array([[2.0, 1.0], [-1.0, 2.0], [0.0, 0.0]])
    np.testing.assert_allclose(neuron_cosines(W, d_plus), [1.0, 0.0, 0.0], atol=1e-15)


def test_balance_errors_and_pl_ratio_on_the_saddle_run():
    """Balanced ReLU GD keeps |a_j - s_j ||w_j||| at rounding level (thesis Figure 3.10); the PL
    ratio vanishes on the plateaus and is large in the fast phases."""
    from twolayer.analysis import balance_errors, pl_ratio

    X, y = tl.data.thesis("1.1.0")
    net = tl.init_net(2, 20, scaling="none", init="balanced", scale=1e-4, seed=0)
    run = tl.train(net, X, y, reduction="mean", optimizer=tl.GD(1e-3), steps=15_000, record_every=100)
    l1, linf = balance_errors(run.a, run.W, signs=np.sign(run.a[0]))
    assert l1.shape == (len(run),) and linf.max() < 1e-5 * np.abs(run.a).max()  # GD drifts by O(step)
    np.testing.assert_allclose(balance_errors(np.array([1.0, -2.0]), np.array([[3.0, 4.0], [0.0, 1.0]])),
                               ([2.5, 4.0]))  # |1 - 5| = 4 and |-2 + 1| = 1
    ratio = pl_ratio(run.grad_norm, run.train_loss)
    assert ratio[0] < 1e-6 < ratio.max()


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "sigmoid", "tanh", "identity"])
@pytest.mark.parametrize("loss,K", [("square", 1), ("logistic", 1), ("exponential", 1), ("cross_entropy", 3), ("square", 2)])
def test_exact_hvp_matches_finite_differences(activation, loss, K):
    rng = np.random.default_rng(3)
    net = tl.init_net(3, 7, activation, "ntk", bias=True, outputs=K, init="gaussian", seed=1)
    X = rng.standard_normal((11, 3))
    y = (rng.integers(0, K, 11) if loss == "cross_entropy"
         else np.sign(rng.standard_normal(11)) if K == 1 else rng.standard_normal((11, K)))
    for trainable in (("a", "W", "c"), ("W",), ("a",), ("c",)):
        obj = Objective(net, X, y, loss, "mean", weight_decay=0.1, trainable=trainable)
        v = np.where(obj.mask, rng.standard_normal(net.theta.size), 0.0)
        exact, fd = obj.hvp(net.theta, v), obj.hvp_fd(net.theta, v, eps=1e-6)
        np.testing.assert_allclose(exact, fd, rtol=0, atol=1e-7 * np.abs(fd).max())
        assert np.all(exact[~obj.mask] == 0.0)


def test_top_eigenvalue_methods_agree_and_are_not_fooled_by_kinks():
    # many samples near the kinks of many neurons: a finite-difference Hessian crosses kinks there
    X, y, _, _ = tl.data.relu_1d()
    net = tl.init_net(1, 100, "relu", "mean-field", bias=True, init="gaussian", scale=1.0, scale_as="variance", seed=1)
    obj = Objective(net, X, y)
    lams = [tl.analysis.top_eigenvalue(obj, net.theta, method=m) for m in ("dense", "lanczos", "power")]
    np.testing.assert_allclose(lams, lams[0], rtol=1e-6)
    # an indefinite case: power iteration must return the largest algebraic eigenvalue, not the largest in modulus
    H = np.diag([-5.0, 1.0, 2.0])

    class Quadratic:
        mask = np.ones(3, bool)

        def hvp(self, theta, v):
            return H @ v

    assert tl.analysis.top_eigenvalue(Quadratic(), np.zeros(3), method="power", tol=1e-12) == pytest.approx(2.0, rel=1e-8)
    assert tl.analysis.top_eigenvalue(Quadratic(), np.zeros(3), method="lanczos") == pytest.approx(2.0, rel=1e-8)

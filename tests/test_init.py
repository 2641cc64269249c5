"""Initialisation schemes: each draws what its formula says."""

import numpy as np
import pytest

import twolayer as tl
from twolayer.init import both_signs_sets


def test_sphere_radius_and_signs():
    net = tl.init_net(3, 500, init="sphere", scale=0.3, outer_scale=2.0, seed=1)
    np.testing.assert_allclose(np.linalg.norm(net.W, axis=1), 0.3, rtol=1e-14)
    assert set(np.unique(net.a)) == {-2.0, 2.0}
    net_b = tl.init_net(3, 50, init="sphere", bias=True, scale=0.3, seed=1)
    np.testing.assert_allclose(np.hypot(np.linalg.norm(net_b.W, axis=1), net_b.c), 0.3, rtol=1e-14)
    np.testing.assert_array_equal(np.abs(net_b.a), 0.3)  # outer defaults to the inner scale


def test_gaussian_std_and_variance_form():
    net = tl.init_net(4, 20_000, init="gaussian", bias=True, scale=0.5, outer_scale=2.0, seed=0)
    assert np.std(net.W) == pytest.approx(0.5, rel=0.02)
    assert np.std(net.c) == pytest.approx(0.5, rel=0.03)
    assert np.std(net.a) == pytest.approx(2.0, rel=0.03)
    var = tl.init_net(4, 20_000, init="gaussian", scale=0.25, outer_scale=4.0, scale_as="variance", seed=0)
    np.testing.assert_allclose(var.W, net.W)  # same draws: std sqrt(0.25) = 0.5
    np.testing.assert_allclose(var.a, net.a)


def test_balanced_and_normal():
    net = tl.init_net(2, 100, init="balanced", bias=True, scale=1e-3, seed=0)
    np.testing.assert_allclose(np.abs(net.a), np.sqrt(np.sum(net.W ** 2, axis=1) + net.c ** 2), rtol=1e-14)
    assert np.any(net.a > 0) and np.any(net.a < 0)
    normal = tl.init_net(2, 20_000, init="normal", scale=1e-3, seed=0)
    assert np.std(normal.a) == pytest.approx(1e-3, rel=0.03)
    assert np.std(normal.W) == pytest.approx(1e-3, rel=0.03)


def test_fixed_outer_and_zero():
    net = tl.init_net(5, 10, init="fixed_outer", scale=1.0, seed=0)
    np.testing.assert_array_equal(net.a, np.r_[np.full(5, 1 / np.sqrt(10)), np.full(5, -1 / np.sqrt(10))])
    zero = tl.init_net(5, 10, init="zero", bias=True)
    assert np.all(zero.theta == 0)


@pytest.mark.parametrize("init", ["sphere", "gaussian", "normal", "balanced"])
def test_symmetric_init_gives_zero_output(init, rng):
    net = tl.init_net(3, 40, "tanh", init=init, bias=True, scale=2.0, symmetric=True, seed=3)
    X = rng.standard_normal((7, 3))
    np.testing.assert_allclose(net(X), 0.0, atol=1e-14)
    assert np.linalg.norm(net.W) > 1.0


def test_require_both_signs_makes_the_sets_non_empty():
    X, y = tl.data.thesis("1.1.0")
    found = 0
    for seed in range(30):
        plain = tl.init_net(2, 2, init="balanced", scaling="none", scale=1.0, seed=seed)
        found += all(len(s) for s in both_signs_sets(plain.a, plain.W, plain.c, X, y))
    assert found < 30  # with 2 neurons the assumption often fails ...
    for seed in range(30):  # ... and the option always enforces it
        net = tl.init_net(2, 2, init="balanced", scaling="none", scale=1.0, seed=seed, require_both_signs=(X, y))
        s_plus, s_minus = both_signs_sets(net.a, net.W, net.c, X, y)
        assert len(s_plus) and len(s_minus)
        j = s_plus[0]
        assert net.a[j] > 0 and net.W[j] @ X[1] >= 0  # x_2 carries the positive label


def test_same_seed_same_network_and_different_seed_different_network():
    a = tl.init_net(3, 10, init="gaussian", seed=5)
    b = tl.init_net(3, 10, init="gaussian", seed=5)
    c = tl.init_net(3, 10, init="gaussian", seed=6)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert not np.allclose(a.theta, c.theta)


def test_thesis_data_sets_are_as_printed():
    X, y = tl.data.thesis("1.1.0")
    np.testing.assert_array_equal(X, [[-0.5, 1], [2, 1]])
    np.testing.assert_array_equal(y, [-1, 1])
    X, y = tl.data.thesis("1.1.4", c=75)
    assert X[0] @ X[1] == 0 and np.array_equal(y, [-75, 75])  # orthogonal: -0.1 * 10 + 1 * 1 = 0
    X1, y1 = tl.data.thesis("1.3.1")
    X2, y2 = tl.data.thesis("1.3.2")
    np.testing.assert_array_equal(X1, X2)                                  # same abscissas
    np.testing.assert_array_equal(y1, np.sign(X1[:, 0]))                   # 1.3.1: labels are the signs
    assert X1.shape == (10, 2) and X1[5, 0] == -1.69267688 and np.sum(y2) == 0
    X, y = tl.data.thesis("1.3.3")
    np.testing.assert_array_equal(X[:, 0], [-2, -1, 0, 1, 2])
    for delta in (1e-4, 1.0, 10.0):
        for sign in (1, -1):
            X, _ = tl.data.thesis("1.2", delta=delta, sign=sign)
            assert abs(X[0] @ X[1]) == pytest.approx(delta)
    X, y = tl.data.thesis("3.4.1")
    G = X @ X.T
    off = G - np.diag(np.diag(G))
    assert np.abs(off).max() < 1e-6 * np.diag(G).max() and np.all(X[:, -1] == 1)  # printed to 8 digits
    with pytest.raises(tl.InvalidParameter, match="name='9.9'"):
        tl.data.thesis("9.9")


def test_thesis_generators():
    X, y = tl.data.thesis_orthogonal(6, seed=3)
    G = X @ X.T
    np.testing.assert_allclose(G - np.diag(np.diag(G)), 0.0, atol=1e-10 * np.diag(G).max())
    assert np.all(X[:, -1] == 1.0) and y.shape == (6,)
    np.testing.assert_array_equal(tl.data.thesis_orthogonal(6, seed=3)[1], y)   # reproducible
    norm, net = tl.analysis.min_norm_relu_orthogonal(X, np.where(y == 0, 1e-3, y))
    assert norm > 0
    Xn, yn = tl.data.thesis_nonorthogonal(5, 4, seed=1)
    assert Xn.shape == (5, 4) and np.all(Xn[:, -1] == 1.0) and np.abs(Xn @ Xn.T - np.diag(np.diag(Xn @ Xn.T))).max() > 0.1

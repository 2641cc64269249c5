"""The float32 BLAS path (engines/blas.py): its gradients against the reference objective and finite
differences, its SGD step against the reference engine's, reproducibility, and errors."""

import numpy as np
import pytest

import twolayer as tl
from twolayer.engines.blas import Classifier, loss_and_grad, train_sgd
from twolayer.objective import Objective


def problem(n=40, d=7, m=9, K=4, seed=0, dtype=np.float64, std=0.7):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(dtype)
    labels = rng.integers(0, K, n)
    return Classifier.init(d, m, K, std, slope=0.2, seed=seed + 1, dtype=dtype), X, labels


def as_net(net: Classifier) -> tl.Net:
    """The same network without the output bias, in twolayer's Net (scaling "none", K outputs)."""
    return tl.Net(net.A, net.W, net.c, "leaky_relu", "none", net.slope)


def test_gradients_equal_the_reference_objective_and_finite_differences():
    net, X, labels = problem()
    net.b[:] = 0.0
    loss, (dW, dc, dA, db) = loss_and_grad(net, X, labels)
    ref = as_net(net)
    obj = Objective(ref, X, labels, loss="cross_entropy", reduction="mean")
    value, g = obj.value_and_grad(ref.theta)
    ga, gW, gc = obj.layout.unpack(g)
    assert loss == pytest.approx(value, rel=1e-13)
    np.testing.assert_allclose(dW, gW, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dc, gc, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dA, ga, rtol=1e-12, atol=1e-14)
    # the output bias, which Net does not have: central differences
    h = 1e-6
    for k in range(len(net.b)):
        up, down = net.copy(), net.copy()
        up.b[k] += h
        down.b[k] -= h
        fd = (loss_and_grad(up, X, labels)[0] - loss_and_grad(down, X, labels)[0]) / (2 * h)
        assert db[k] == pytest.approx(fd, rel=1e-7, abs=1e-10)
    np.testing.assert_allclose(db.sum(), 0.0, atol=1e-14)   # softmax rows sum to one


def test_one_sgd_step_equals_the_reference_engine():
    net, X, labels = problem()
    net.b[:] = 0.0
    ours = train_sgd(net, X, labels, lr=0.3, steps=1, batch_size=8, seed=5, quiet=True).final
    ref = tl.train(as_net(net), X, labels, loss="cross_entropy", optimizer=tl.SGD(0.3, batch_size=8), steps=1,
                   seed=5, engine="numpy", quiet=True).final
    np.testing.assert_allclose(ours.W, ref.W, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(ours.c, ref.c, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(ours.A, ref.a, rtol=1e-13, atol=1e-15)


def test_reproducible_and_float32_tracks_float64():
    net64, X64, labels = problem()
    net32, X32, _ = problem(dtype=np.float32)
    kw = dict(lr=0.2, steps=60, batch_size=10, seed=3, record_at=[0, 30, 60], quiet=True)
    a, b = train_sgd(net32, X32, labels, **kw), train_sgd(net32, X32, labels, **kw)
    for t in (0, 30, 60):
        np.testing.assert_array_equal(a.W[t], b.W[t])
    c = train_sgd(net64, X64, labels, **kw)
    assert a.W[60].dtype == np.float32
    np.testing.assert_allclose(a.W[60], c.W[60], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(a.losses, c.losses, rtol=1e-4)


def test_stops_at_the_target_error():
    net, X, labels = problem(n=60, K=3)
    r = train_sgd(net, X, labels, lr=0.5, steps=5000, batch_size=60, check_every=10, stop_below=0.2, quiet=True)
    assert r.checks[-1][1] < 0.2 and r.steps == r.checks[-1][0] < 5000
    assert r.final.error(X, labels) == r.checks[-1][1]


def test_bad_input_and_divergence_are_clear_errors():
    net, X, labels = problem(std=3.0)
    with pytest.raises(tl.DivergenceError, match="lr=1e\\+06"):
        train_sgd(net, X, labels, lr=1e6, steps=200, batch_size=10, quiet=True)
    with pytest.raises(tl.InvalidParameter, match="labels"):
        train_sgd(net, X, labels + 10, lr=0.1, steps=1, quiet=True)
    with pytest.raises(tl.InvalidParameter, match="dtype"):
        train_sgd(net, X.astype(np.float32), labels, lr=0.1, steps=1, quiet=True)
    with pytest.raises(tl.InvalidParameter, match="batch_size"):
        train_sgd(net, X, labels, lr=0.1, steps=1, batch_size=1000, quiet=True)
    with pytest.raises(tl.InvalidParameter, match="slope"):
        Classifier.init(3, 4, 2, 0.1, slope=0.0)

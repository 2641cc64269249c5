"""Conservation laws and closed-form dynamics."""

import numpy as np
import pytest
from scipy.linalg import expm

import twolayer as tl
from twolayer.analysis import balance_drift, balance_gaps


def test_flow_conserves_balance_for_relu():
    """Seed 003, Lemma 5: a_j^2 - ||w_j||^2 is constant along gradient flow (unbalanced start)."""
    X, y = tl.data.thesis("1.1.0")
    net = tl.init_net(2, 20, "relu", "none", init="normal", scale=0.5, seed=2)
    run = tl.train(net, X, y, optimizer=tl.Flow(rtol=1e-10, atol=1e-12), t_max=10.0, record_at=np.linspace(0, 10, 21))
    gaps = balance_gaps(run.a, run.W, run.c)
    assert np.ptp(gaps[0]) > 0.1  # not trivially balanced
    assert balance_drift(run) < 1e-9
    assert run.train_loss[-1] < 1e-10


def test_flow_reports_a_stall_instead_of_hanging(rng):
    """A ReLU neuron sliding along a kink makes adaptive steps collapse: a clear error, not a hang."""
    X, y = rng.standard_normal((8, 3)), rng.standard_normal(8)
    net = tl.init_net(3, 20, "relu", "none", bias=True, init="gaussian", scale=0.7, outer_scale=1.3, seed=2)
    with pytest.raises(tl.FlowStalled, match="stalled.*max_evals") as err:
        tl.train(net, X, y, optimizer=tl.Flow(rtol=1e-10, atol=1e-12, max_evals=5000), t_max=5.0)
    assert 0 < err.value.time < 5.0
    assert len(err.value.trajectory) >= 1


def test_gd_balance_drift_shrinks_with_the_step(rng):
    X, y = rng.standard_normal((8, 3)), rng.standard_normal(8)
    net = tl.init_net(3, 20, "relu", "none", init="gaussian", scale=0.5, seed=4)
    drifts = []
    for lr in (0.02, 0.01, 0.005):
        run = tl.train(net, X, y, optimizer=tl.GD(lr), steps=int(round(2.0 / lr)), record_every=10)
        drifts.append(balance_drift(run))
    # drift per unit time is O(lr): halving the step about halves it
    assert drifts[1] / drifts[0] == pytest.approx(0.5, abs=0.15)
    assert drifts[2] / drifts[1] == pytest.approx(0.5, abs=0.15)


@pytest.mark.parametrize("bias", [False, True])
def test_zero_init_is_a_fixed_point(bias, rng):
    """Seed 001, Q4: with a = 0 and W = c = 0 every ReLU gradient is exactly 0."""
    X, y = rng.standard_normal((10, 1)), rng.standard_normal(10)
    net = tl.init_net(1, 16, "relu", "mean-field", bias=bias, init="zero")
    obj = tl.Objective(net, X, y, "square", "half_mean")
    assert np.all(obj.grad(net.theta) == 0.0)
    for opt in (tl.GD(0.5), tl.SGD(0.5, batch_size=3)):
        run = tl.train(net, X, y, optimizer=opt, steps=50)
        assert np.all(run.final.theta == 0.0)
        assert np.all(run.W == 0.0)


def test_flow_matches_the_matrix_exponential_on_random_features(rng):
    """Training only a: L = 1/(2n) ||s H a - y||^2 is quadratic, so
    a(t) = a* + expm(-t A)(a0 - a*) with A = s^2 H^T H / n, a* its minimiser."""
    X, y = rng.standard_normal((12, 2)), rng.standard_normal(12)
    net = tl.init_net(2, 6, "tanh", "ntk", bias=True, init="gaussian", seed=5)
    s = net.scale
    H = np.tanh(X @ net.W.T + net.c)
    A, b = s * s * H.T @ H / 12, s * H.T @ y / 12
    a_star = np.linalg.solve(A, b)
    times = np.array([0.0, 0.5, 2.0, 7.0])
    run = tl.train(net, X, y, trainable=("a",), optimizer=tl.Flow(rtol=1e-11, atol=1e-13), t_max=7.0, record_at=times)
    for t, a_t in zip(run.times, run.a):
        np.testing.assert_allclose(a_t, a_star + expm(-t * A) @ (net.a - a_star), rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(run.W[-1], net.W)


def test_gd_matches_flow_time_for_a_small_step(rng):
    X, y = tl.data.thesis("1.1.0")
    net = tl.init_net(2, 10, "relu", "none", init="balanced", scale=0.3, seed=0)
    gd = tl.train(net, X, y, reduction="mean", optimizer=tl.GD(1e-4), steps=20000, record_every=20000)
    fl = tl.train(net, X, y, reduction="mean", optimizer=tl.Flow(), t_max=2.0, record_at=[0.0, 2.0])
    assert gd.times[-1] == pytest.approx(2.0)
    np.testing.assert_allclose(gd.final.theta, fl.final.theta, rtol=2e-3, atol=1e-4)


def test_momentum_and_adam_follow_their_textbook_recursions(rng):
    X, y = rng.standard_normal((5, 2)), rng.standard_normal(5)
    net = tl.init_net(2, 4, "sigmoid", "none", init="gaussian", seed=1)
    obj = tl.Objective(net, X, y, "square", "half_mean", 0.1)
    for opt in (tl.GD(0.05, momentum=0.9), tl.Adam(0.01)):
        run = tl.train(net, X, y, optimizer=opt, steps=30, weight_decay=0.1, record_every=30)
        theta, v, m1, m2 = net.theta, 0.0, 0.0, 0.0
        for t in range(30):
            g = obj.grad(theta)
            if isinstance(opt, tl.Adam):
                m1 = 0.9 * m1 + 0.1 * g
                m2 = 0.999 * m2 + 0.001 * g * g
                theta = theta - 0.01 * (m1 / (1 - 0.9 ** (t + 1))) / (np.sqrt(m2 / (1 - 0.999 ** (t + 1))) + 1e-8)
            else:
                v = 0.9 * v + g
                theta = theta - 0.05 * v
        np.testing.assert_allclose(run.final.theta, theta, rtol=1e-12, atol=1e-14)


def test_sgd_visits_every_sample_once_per_epoch_and_full_batch_sgd_is_gd(rng):
    from twolayer.optim import epoch_orders, minibatches

    order = epoch_orders(7, 10, 3)
    batches = list(minibatches(order, 4, 9))  # 3 batches per epoch: 4, 4, 2
    assert [len(b) for b in batches] == [4, 4, 2] * 3
    for e in range(3):
        assert sorted(np.concatenate(batches[3 * e:3 * e + 3])) == list(range(10))
    X, y = rng.standard_normal((10, 2)), rng.standard_normal(10)
    net = tl.init_net(2, 8, "tanh", "mean-field", init="gaussian", seed=0)
    a = tl.train(net, X, y, optimizer=tl.SGD(0.3, batch_size=10), steps=40)
    b = tl.train(net, X, y, optimizer=tl.GD(0.3), steps=40)
    np.testing.assert_allclose(a.final.theta, b.final.theta, rtol=1e-12)

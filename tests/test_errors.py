"""Every error path: the right exception, naming the parameter, the value and a fix."""

import numpy as np
import pytest

import twolayer as tl


@pytest.fixture
def problem(rng):
    return tl.init_net(2, 4, seed=0), rng.standard_normal((5, 2)), rng.standard_normal(5)


@pytest.mark.parametrize("kwargs, match", [
    (dict(activation="relu6"), "activation='relu6'.*'relu'"),
    (dict(scaling="xavier"), "scaling='xavier'.*'mean-field'"),
    (dict(init="he"), "init='he'.*'sphere'"),
    (dict(width=0), "width=0.*integer >= 1"),
    (dict(width=2.5), "width=2.5"),
    (dict(scale=-1.0), "scale=-1.0.*>= 0"),
    (dict(scale=float("nan")), "scale=nan"),
    (dict(width=3, symmetric=True), "width=3.*even"),
    (dict(init="balanced", outer_scale=1.0), "outer_scale=1.0.*does not use"),
    (dict(scale_as="log"), "scale_as='log'"),
])
def test_init_net_rejects_bad_arguments(kwargs, match):
    args = dict(d=2, width=4) | kwargs
    with pytest.raises(tl.InvalidParameter, match=match):
        tl.init_net(**args)


def test_net_rejects_bad_shapes_and_values():
    with pytest.raises(tl.InvalidParameter, match="a=.*expected shape \\(3,\\)"):
        tl.Net(np.zeros(2), np.zeros((3, 2)))
    with pytest.raises(tl.InvalidParameter, match="c=.*expected shape \\(3,\\)"):
        tl.Net(np.zeros(3), np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(tl.InvalidParameter, match="W=.*NaN/inf"):
        tl.Net(np.zeros(3), np.array([[0, 1], [np.inf, 0], [0, 0]]))
    net = tl.init_net(2, 3)
    with pytest.raises(tl.InvalidParameter, match="X=.*expected shape \\(n, 2\\)"):
        net(np.zeros((4, 3)))


@pytest.mark.parametrize("kwargs, match", [
    (dict(loss="hinge"), "loss='hinge'"),
    (dict(reduction="median"), "reduction='median'"),
    (dict(loss="logistic", reduction="half_mean"), "half_mean.*square"),
    (dict(weight_decay=-0.1), "weight_decay=-0.1"),
    (dict(trainable=("b",)), "trainable=.*'a', 'W', 'c'"),
    (dict(trainable=("c",)), "'c' is trainable only for a network with bias=True"),
    (dict(optimizer="sgd"), "optimizer='sgd'.*tl.GD"),
    (dict(steps=-1), "steps=-1"),
    (dict(engine="gpu"), "engine='gpu'"),
    (dict(optimizer=tl.SGD(0.1, batch_size=50)), "batch_size=50.*n=5"),
    (dict(optimizer=tl.Flow()), "t_max.*horizon"),
    (dict(optimizer=tl.Flow(), t_max=1.0, steps=10), "steps=10.*t_max"),
    (dict(t_max=1.0), "t_max=1.0.*tl.Flow"),
    (dict(record_at=[0, 5000]), "record_at=.*\\[0, steps=1000\\]"),
    (dict(record_every=0), "record_every=0"),
    (dict(X_test=np.zeros((3, 2))), "X_test.*together"),
])
def test_train_rejects_bad_arguments(problem, kwargs, match):
    net, X, y = problem
    with pytest.raises(tl.InvalidParameter, match=match):
        tl.train(net, X, y, **kwargs)


def test_train_rejects_bad_data(problem):
    net, X, y = problem
    with pytest.raises(tl.InvalidParameter, match="X=.*NaN/inf"):
        tl.train(net, np.where(X > 1, np.nan, X), y)
    with pytest.raises(tl.InvalidParameter, match="y=.*shape \\(4,\\)"):
        tl.train(net, X, y[:4])
    with pytest.raises(tl.InvalidParameter, match="y=.*NaN/inf"):
        tl.train(net, X, np.r_[y[:4], np.inf])
    with pytest.raises(tl.InvalidParameter, match="labels in \\{-1, \\+1\\}"):
        tl.train(net, X, y, loss="logistic")
    with pytest.raises(tl.InvalidParameter, match="outputs >= 2"):
        tl.train(net, X, np.zeros(5, int), loss="cross_entropy")
    with pytest.raises(tl.InvalidParameter, match="net=.*tl.init_net"):
        tl.train("net", X, y)


@pytest.mark.parametrize("bad", [dict(lr=0.0), dict(lr=-1.0), dict(lr=0.1, momentum=1.0)])
def test_optimizers_validate(bad):
    with pytest.raises(tl.InvalidParameter):
        tl.GD(**bad)


def test_divergence_stops_with_step_loss_hint_and_partial_trajectory(rng):
    """A linear model f = (sum_j a_j w_j) . x with only W trainable is a quadratic with Hessian
    (1/n)(a a^T) kron (X^T X): GD diverges exactly when lr > 2/lambda_max."""
    X, y = rng.standard_normal((20, 3)), rng.standard_normal(20)
    net = tl.init_net(3, 4, "identity", "none", init="gaussian", seed=0)
    lam = np.dot(net.a, net.a) * np.linalg.eigvalsh(X.T @ X / 20)[-1]  # half_mean loss
    ok = tl.train(net, X, y, trainable=("W",), optimizer=tl.GD(0.95 * 2 / lam), steps=400)
    assert np.isfinite(ok.train_loss[-1])
    with pytest.raises(tl.DivergenceError) as err:
        tl.train(net, X, y, trainable=("W",), optimizer=tl.GD(1.5 * 2 / lam), steps=100_000, record_every=1)
    e = err.value
    assert 100 < e.step < 5000
    assert np.isfinite(e.last_loss) and e.last_loss > 1e100
    assert f"{2 / lam:.4g}" in e.hint  # the bound 2/lambda_max, computed at the last finite point
    assert "lr <" in str(e) and f"step {e.step}" in str(e)
    assert len(e.trajectory) == e.step and np.all(np.isfinite(e.trajectory.train_loss))


def test_a_loss_that_rises_and_comes_back_is_not_an_error(rng):
    """Oscillating GD (lr between 1/lambda and 2/lambda on a quadratic): the loss spikes but
    converges, and no error is raised."""
    X, y = rng.standard_normal((20, 3)), rng.standard_normal(20)
    net = tl.init_net(3, 4, "identity", "none", init="gaussian", seed=0)
    lam = np.dot(net.a, net.a) * np.linalg.eigvalsh(X.T @ X / 20)[-1]
    run = tl.train(net, X, y, trainable=("W",), optimizer=tl.GD(1.9 / lam), steps=3000, record_every=1)
    assert np.any(np.diff(run.train_loss) > 0)
    assert run.train_loss[-1] < run.train_loss[0]


def test_design_default_trainable_works_without_bias(problem):
    net, X, y = problem
    run = tl.train(net, X, y, trainable=("a", "W", "c"), steps=3)
    assert run.config["trainable"] == ["a", "W"]

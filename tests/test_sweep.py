"""train_many: the same numbers as one train() per run, whichever path it takes."""

import numpy as np
import pytest

import twolayer as tl


@pytest.fixture
def data(rng):
    return rng.standard_normal((10, 3)), rng.standard_normal(10)


def test_batched_runs_equal_sequential_runs(data):
    X, y = data
    nets = [tl.init_net(3, 12, "tanh", "ntk", bias=True, init="gaussian", scale=s, seed=i)
            for i, s in enumerate([0.1, 0.5, 1.0, 2.0, 0.3])]
    opts = [tl.SGD(lr, batch_size=4, momentum=0.5) for lr in (0.01, 0.02, 0.05, 0.1, 0.2)]
    wds, seeds = [0.0, 1e-3, 1e-2, 0.0, 0.1], [0, 1, 2, 3, 4]
    many = tl.train_many(nets, X, y, optimizer=opts, weight_decay=wds, seed=seeds, steps=200, record_every=20,
                         engine="numba")
    for net, o, w, s, run in zip(nets, opts, wds, seeds, many):
        one = tl.train(net, X, y, optimizer=o, weight_decay=w, seed=s, steps=200, record_every=20, engine="numba")
        assert run.info["batched"]
        np.testing.assert_array_equal(run.final.theta, one.final.theta)
        np.testing.assert_array_equal(run.train_loss, one.train_loss)
        np.testing.assert_array_equal(run.W, one.W)


def test_different_shapes_use_the_process_pool_with_the_same_numbers(data):
    X, y = data
    nets = [tl.init_net(3, m, "relu", "mean-field", init="gaussian", seed=m) for m in (4, 7)]
    many = tl.train_many(nets, X, y, optimizer=tl.GD(0.5), steps=50, engine="numpy")
    for net, run in zip(nets, many):
        one = tl.train(net, X, y, optimizer=tl.GD(0.5), steps=50, engine="numpy")
        assert "batched" not in run.info
        np.testing.assert_array_equal(run.final.theta, one.final.theta)


def test_divergence_in_a_sweep_raises_or_is_kept(data):
    X, y = data
    net = tl.init_net(3, 4, "identity", "none", init="gaussian", seed=0)
    lam = np.dot(net.a, net.a) * np.linalg.eigvalsh(X.T @ X / 10)[-1]
    opts = [tl.GD(0.5 / lam), tl.GD(3.0 / lam)]
    kw = dict(trainable=("W",), steps=3000, engine="numba")
    with pytest.raises(tl.DivergenceError) as err:
        tl.train_many([net, net], X, y, optimizer=opts, **kw)
    assert err.value.run == 1
    runs = tl.train_many([net, net], X, y, optimizer=opts, on_divergence="keep", **kw)
    assert "diverged" not in runs[0].info and np.isfinite(runs[0].train_loss[-1])
    assert runs[1].info["diverged"]["step"] == err.value.step
    with pytest.raises(tl.DivergenceError) as single:
        tl.train(net, X, y, optimizer=opts[1], **kw)
    assert single.value.step == err.value.step


def test_train_many_validates(data):
    X, y = data
    net = tl.init_net(3, 4, seed=0)
    with pytest.raises(tl.InvalidParameter, match="optimizer=.*one value per run \\(2 runs\\)"):
        tl.train_many([net, net], X, y, optimizer=[tl.GD(0.1)])
    with pytest.raises(tl.InvalidParameter, match="nets="):
        tl.train_many([], X, y)
    with pytest.raises(tl.InvalidParameter, match="on_divergence="):
        tl.train_many([net], X, y, on_divergence="ignore")

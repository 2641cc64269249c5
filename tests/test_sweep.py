"""train_many: the same numbers as one train() per run, whichever path it takes."""

import numpy as np
import pytest

import twolayer as tl


@pytest.fixture
def data(rng):
    return rng.standard_normal((10, 3)), rng.standard_normal(10)


def test_threaded_runs_equal_sequential_runs(data):
    X, y = data
    nets = [tl.init_net(3, 12, "tanh", "ntk", bias=True, init="gaussian", scale=s, seed=i)
            for i, s in enumerate([0.1, 0.5, 1.0, 2.0, 0.3])]
    opts = [tl.SGD(lr, batch_size=4, momentum=0.5) for lr in (0.01, 0.02, 0.05, 0.1, 0.2)]
    wds, seeds = [0.0, 1e-3, 1e-2, 0.0, 0.1], [0, 1, 2, 3, 4]
    many = tl.train_many(nets, X, y, optimizer=opts, weight_decay=wds, seed=seeds, steps=200, record_every=20,
                         engine="numba")
    for net, o, w, s, run in zip(nets, opts, wds, seeds, many):
        one = tl.train(net, X, y, optimizer=o, weight_decay=w, seed=s, steps=200, record_every=20, engine="numba")
        assert run.info["threads"] >= 1
        np.testing.assert_array_equal(run.final.theta, one.final.theta)
        np.testing.assert_array_equal(run.train_loss, one.train_loss)
        np.testing.assert_array_equal(run.W, one.W)


def test_reference_runs_use_the_process_pool_with_the_same_numbers(data):
    X, y = data
    nets = [tl.init_net(3, m, "relu", "mean-field", init="gaussian", seed=m) for m in (4, 7)]
    many = tl.train_many(nets, X, y, optimizer=tl.GD(0.5), steps=50, engine="numpy")
    for net, run in zip(nets, many):
        one = tl.train(net, X, y, optimizer=tl.GD(0.5), steps=50, engine="numpy")
        assert "threads" not in run.info
        np.testing.assert_array_equal(run.final.theta, one.final.theta)


def test_threads_take_runs_of_every_kind_with_the_same_numbers(data):
    """Widths, the narrow GD loop, SGD and gradient flow, each sweep on two threads."""
    X, y = data
    X2 = X[:, :2]
    nets = [tl.init_net(2, m, "tanh", "none", init="gaussian", scale=0.3, seed=m) for m in (3, 5, 8)]
    cases = [dict(optimizer=[tl.GD(0.05), tl.SGD(0.05, batch_size=3), tl.GD(0.02, momentum=0.5)], steps=100,
                  record_every=10),
             dict(optimizer=tl.Flow(), t_max=2.0, record_at=[0.0, 1.0, 2.0])]
    for kw in cases:
        many = tl.train_many(nets, X2, y, engine="numba", quiet=True, **kw)
        opts = kw["optimizer"] if isinstance(kw["optimizer"], list) else [kw["optimizer"]] * 3
        for net, o, run in zip(nets, opts, many):
            one = tl.train(net, X2, y, engine="numba", quiet=True, **{**kw, "optimizer": o})
            assert run.info["threads"] == 2
            np.testing.assert_array_equal(run.final.theta, one.final.theta)
            np.testing.assert_array_equal(run.train_loss, one.train_loss)


def test_a_set_stop_flag_interrupts_every_threaded_run(data):
    """What Ctrl-C does to a threaded sweep: every run stops after its chunk, the sweep raises
    Interrupted, and the flag is cleared for the next sweep."""
    from twolayer.engines import compiled
    from twolayer.errors import Interrupted

    X, y = data
    nets = [tl.init_net(3, 6, "tanh", "ntk", seed=i) for i in range(3)]
    compiled.STOP.set()
    with pytest.raises(Interrupted):
        tl.train_many(nets, X, y, optimizer=tl.GD(0.01), steps=10**8, engine="numba", quiet=True)
    assert not compiled.STOP.is_set()
    runs = tl.train_many(nets, X, y, optimizer=tl.GD(0.01), steps=10, engine="numba", quiet=True)
    assert [len(r.train_loss) for r in runs] == [len(runs[0].train_loss)] * 3


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


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_blas_runs_on_one_thread_while_runs_fill_the_cores():
    """Runs in threads (or worker processes) hold BLAS to one thread, and give it back after."""
    from concurrent.futures import ProcessPoolExecutor

    import scipy.linalg  # noqa: F401 -- loads the BLAS that the compiled matrix products call
    from threadpoolctl import threadpool_limits

    from twolayer.progress import Progress
    from twolayer.sweep import _one_blas_thread_worker, run_in_threads

    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        with Progress(3, "runs", True) as bar:
            inside = run_in_threads([_blas_threads, _blas_threads], [1, 1], bar, threads=2)
            alone = run_in_threads([_blas_threads], [1], bar, threads=1)
        after = _blas_threads()
    assert before and set(before) == {2}
    assert inside == [[1] * len(before)] * 2
    assert alone == [before] and after == before
    with ProcessPoolExecutor(1, initializer=_one_blas_thread_worker) as pool:
        assert set(pool.submit(_blas_threads).result()) == {1}


def test_only_sweeps_on_the_matrix_product_path_touch_blas_threads():
    """Limiting BLAS costs ~1 ms a sweep, so sweeps whose runs never call it leave it alone: the
    matrix-product path is taken from (samples per step) m d >= 1e6 with d >= 4."""
    from twolayer.sweep import calls_blas
    from twolayer.train import prepare

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((256, 16)), rng.standard_normal(256)
    wide, narrow = tl.init_net(16, 256, "relu", seed=0), tl.init_net(16, 200, "relu", seed=0)
    assert calls_blas([prepare(narrow, X, y, engine="numba"), prepare(wide, X, y, engine="numba")])
    assert not calls_blas([prepare(narrow, X, y, engine="numba")])                  # 256 x 200 x 16 < 1e6
    assert not calls_blas([prepare(wide, X, y, optimizer=tl.SGD(0.1, 128), engine="numba")])  # 128 rows a step

"""Reproducibility and the HDF5 round trip."""

import numpy as np

import twolayer as tl


def test_same_seed_same_numbers_and_exact_save_load(tmp_path, rng):
    X, y = rng.standard_normal((12, 2)), rng.standard_normal(12)
    Xt, yt = rng.standard_normal((30, 2)), rng.standard_normal(30)
    net = tl.init_net(2, 8, "tanh", "ntk", bias=True, init="gaussian", seed=11)
    runs = [tl.train(net, X, y, optimizer=tl.SGD(0.1, batch_size=5), steps=60, seed=3, X_test=Xt, y_test=yt,
                     weight_decay=1e-3) for _ in range(2)]
    other = tl.train(net, X, y, optimizer=tl.SGD(0.1, batch_size=5), steps=60, seed=4)
    np.testing.assert_array_equal(runs[0].final.theta, runs[1].final.theta)
    np.testing.assert_array_equal(runs[0].train_loss, runs[1].train_loss)
    assert not np.array_equal(runs[0].final.theta, other.final.theta)

    path = runs[0].save(tmp_path / "t.h5")
    back = tl.Trajectory.load(path)
    for name in ("steps", "times", "train_loss", "objective", "grad_norm", "test_loss", "a", "W", "c"):
        np.testing.assert_array_equal(getattr(back, name), getattr(runs[0], name))
    np.testing.assert_array_equal(back.final.theta, runs[0].final.theta)
    assert back.final.scaling == "ntk" and back.final.activation == "tanh"
    assert back.config == runs[0].config
    np.testing.assert_array_equal(back.net_at(3)(X), runs[0].net_at(3)(X))


def test_recording_schedule_and_net_at(rng):
    X, y = rng.standard_normal((6, 2)), rng.standard_normal(6)
    net = tl.init_net(2, 5, seed=0)
    run = tl.train(net, X, y, optimizer=tl.GD(0.1), steps=100, record_every=30)
    np.testing.assert_array_equal(run.steps, [0, 30, 60, 90, 100])
    np.testing.assert_allclose(run.times, 0.1 * run.steps)
    np.testing.assert_array_equal(run.net_at(0).theta, net.theta)
    np.testing.assert_array_equal(run.net_at(-1).theta, run.final.theta)
    assert np.isclose(run.train_loss[2], 0.5 * np.mean((run.net_at(2)(X) - y) ** 2), rtol=1e-14)
    logs = tl.log_steps(10_000, 50)
    assert logs[0] == 0 and logs[-1] == 10_000 and np.all(np.diff(logs) > 0)
    run2 = tl.train(net, X, y, optimizer=tl.GD(0.1), steps=10_000, record_at=logs, snapshots=False)
    np.testing.assert_array_equal(run2.steps, logs)
    assert run2.W is None

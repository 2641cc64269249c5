"""twolayer.segments.train_in_segments: segmented GD is one long run; the rule and the caps stop runs."""

import numpy as np
import pytest

import twolayer as tl
from twolayer.errors import InvalidParameter
from twolayer.segments import train_in_segments


@pytest.fixture(scope="module")
def problem():
    X, y = tl.data.thesis("1.1.0")
    nets = [tl.init_net(2, m, act, "none", scale=0.1, seed=m) for m, act in ((6, "relu"), (9, "tanh"))]
    return X, y, nets


def test_segments_give_the_numbers_of_one_long_run(problem):
    X, y, nets = problem
    at = np.array([1, 5, 50, 99, 100, 101, 400, 1000])
    runs = train_in_segments(nets, X, y, optimizers=tl.GD(0.05), ends=[100, 300, 1000], record_at=at,
                             go_on=lambda *a: True, snapshots=True)
    for net, run in zip(nets, runs):
        whole = tl.train(net, X, y, optimizer=tl.GD(0.05), steps=1000, record_at=np.r_[0, at], engine="numba",
                         quiet=True)
        steps, loss = run.curve()
        assert np.array_equal(steps, np.r_[0, at]) and run.epochs == 1000
        np.testing.assert_array_equal(loss, whole.train_loss)
        np.testing.assert_array_equal(run.final.theta, whole.final.theta)
        assert run.snapshots()[1].shape == (len(at) + 1, net.m, 2)


def test_the_rule_and_the_caps_stop_runs_at_segment_ends(problem):
    X, y, nets = problem
    seen = []

    def go_on(i, run, t, start, end):
        seen.append((i, start, end))
        return i == 1                      # run 0 stops after its first segment

    runs = train_in_segments(nets, X, y, optimizers=[tl.GD(0.05)] * 2, ends=[100, 200, 300], caps=[300, 250],
                             record_at=[10, 150], record_ends=True, go_on=go_on)
    assert [r.epochs for r in runs] == [100, 250]
    assert sorted(seen) == [(0, 0, 100), (1, 0, 100), (1, 100, 200), (1, 200, 250)]
    assert list(runs[1].curve()[0]) == [0, 10, 100, 150, 200, 250]      # record_at plus every segment end


def test_one_optimiser_per_run_or_one_for_all(problem):
    X, y, nets = problem
    with pytest.raises(InvalidParameter, match="optimizers"):
        train_in_segments(nets, X, y, optimizers=[tl.GD(0.1)] * 3, ends=[10], record_at=[5], go_on=lambda *a: True)


def test_reference_engine_trains_in_lockstep_with_the_same_numbers(problem):
    """engine="numpy" takes the lockstep path (train_many per segment, worker processes); the compiled
    engine runs each run through its segments alone: same stops, same losses to rounding."""
    X, y, nets = problem

    def stop_below(i, run, t, start, end):
        return t.train_loss[-1] > 0.05

    out = {}
    for engine in ("numpy", "numba"):
        out[engine] = train_in_segments(nets, X, y, optimizers=[tl.GD(0.05), tl.GD(0.02)], ends=[50, 100, 400, 2000],
                                        record_at=[10, 60, 700], go_on=stop_below, engine=engine)
    for a, b in zip(out["numpy"], out["numba"]):
        assert a.epochs == b.epochs < 2000
        np.testing.assert_array_equal(a.curve()[0], b.curve()[0])
        np.testing.assert_allclose(a.curve()[1], b.curve()[1], rtol=1e-10)

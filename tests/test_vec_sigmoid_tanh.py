"""The compiled engine's branch-free sigmoid and tanh (kernels.vsigmoid, kernels.vtanh) against
SciPy's expit and NumPy's tanh, in units in the last place, over the whole double range."""

import numpy as np
import pytest
from numba import njit
from scipy.special import expit

from twolayer.engines import kernels as K


@njit(cache=False)
def _apply(f_code, v):
    out = np.empty_like(v)
    for j in range(v.size):
        out[j] = K.vsigmoid(v[j]) if f_code == 0 else K.vtanh(v[j])
    return out


def _arguments():
    rng = np.random.default_rng(0)
    mags = np.logspace(-320, 3, 40_000)
    return np.concatenate([mags, -mags, rng.normal(size=20_000) * 10, rng.normal(size=20_000) * 1e-8,
                           [0.0, -0.0, 0.5 * np.log(2), -0.5 * np.log(2), 700.0, -700.0, 708.0, -708.0]])


def _ulps(got, want):
    return np.abs(got - want) / np.spacing(np.abs(want))


@pytest.mark.parametrize("code, reference", [(0, expit), (1, np.tanh)], ids=["sigmoid", "tanh"])
def test_within_four_ulps_of_the_libraries_wherever_the_value_is_a_normal_number(code, reference):
    v = _arguments()
    want, got = reference(v), _apply(code, v)
    normal = np.abs(want) >= np.finfo(float).tiny
    assert np.max(_ulps(got[normal], want[normal])) <= 4


def test_tiny_arguments_keep_full_relative_accuracy():
    v = np.array([1e-300, 1e-100, 1e-16, 1e-10, -1e-10, 3e-9])
    assert np.array_equal(_apply(1, v), v)                  # tanh(v) = v (1 - v^2/3), exact to the last place
    assert np.max(_ulps(_apply(0, v), 0.5 + v / 4)) <= 2      # sigmoid(v) = 1/2 + v/4 - v^3/48


def test_saturated_and_non_finite_arguments():
    v = np.array([np.inf, -np.inf, 1e308, -1e308, 800.0, -800.0, np.nan])
    s, t = _apply(0, v), _apply(1, v)
    assert s[0] == s[2] == s[4] == 1.0 and t[0] == t[2] == t[4] == 1.0
    assert t[1] == t[3] == t[5] == -1.0
    assert s[1] == s[3] == s[5] and _ulps(s[1], np.exp(-708.0)) <= 4     # held at exp(-708), a normal number
    assert np.isnan(s[6]) and np.isnan(t[6])


def test_the_neuron_loops_give_the_reference_engines_numbers():
    import twolayer as tl
    X, y = tl.data.thesis("1.1.0")
    for act in ("sigmoid", "tanh"):
        net = tl.init_net(2, 50, act, "none", scale=0.5, seed=3)
        runs = [tl.train(net, X, y, optimizer=tl.GD(0.05), steps=200, engine=e, quiet=True) for e in ("numpy", "numba")]
        assert runs[0].train_loss[-1] < 1e-10 * runs[0].train_loss[0]       # trained to near zero loss
        assert np.allclose(runs[0].train_loss, runs[1].train_loss, rtol=0, atol=1e-13 * runs[0].train_loss[0])
        assert np.allclose(runs[0].final.W, runs[1].final.W, rtol=1e-12, atol=0)


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_the_same_run_gives_the_same_bits_wherever_its_arrays_lie(act):
    """A strided view of X and its contiguous copy (and copies made for threads) sit at different
    addresses; LLVM's vectorised loops choose between their vector and scalar versions by address,
    so only loops whose result does not depend on that choice keep runs bit-identical."""
    import twolayer as tl
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3))[:, :2], rng.normal(size=20)
    for m in (5, 8, 40):
        net = tl.init_net(2, m, act, "none", init="gaussian", scale=0.3, seed=m)
        for opt in (tl.GD(0.05), tl.SGD(0.05, batch_size=3), tl.GD(0.02, momentum=0.5)):
            kw = dict(engine="numba", quiet=True, optimizer=opt, steps=100)
            one = tl.train(net, X, y, **kw).final.theta
            assert np.array_equal(one, tl.train(net, np.ascontiguousarray(X), y, **kw).final.theta)
            for run in tl.train_many([net] * 3, X, y, **kw):
                assert np.array_equal(one, run.final.theta)

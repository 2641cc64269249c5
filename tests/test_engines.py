"""The compiled engine against the reference engine: same trajectories to rounding, same
divergence step, and compiled gradient flow against scipy and closed forms."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import twolayer as tl
from twolayer.engines import compiled

ACTS = ["relu", "leaky_relu", "sigmoid", "tanh", "identity"]
LOSSES = ["square", "logistic", "exponential", "cross_entropy"]
TRAINABLES = [("a",), ("W",), ("c",), ("a", "W"), ("W", "c"), ("a", "W", "c")]


def random_problem(act, scaling, bias, loss, seed, n, d, m, K):
    rng = np.random.default_rng(seed)
    outputs = max(2, K) if loss == "cross_entropy" else (K if loss == "square" else 1)
    net = tl.init_net(d, m, act, scaling, bias=bias, outputs=outputs, init="gaussian", scale=0.8, seed=seed, slope=0.1)
    X = rng.standard_normal((n, d))
    Xt = rng.standard_normal((7, d))
    if loss == "square":
        shape = (n,) if outputs == 1 else (n, outputs)
        y, yt = rng.standard_normal(shape), rng.standard_normal((7,) + shape[1:])
    elif loss == "cross_entropy":
        y, yt = rng.integers(0, outputs, n), rng.integers(0, outputs, 7)
    else:
        y, yt = rng.choice([-1.0, 1.0], n), rng.choice([-1.0, 1.0], 7)
    return net, X, y, Xt, yt


def assert_same_run(a, b, rtol=1e-10):
    scale = max(1.0, np.abs(a.final.theta).max())
    np.testing.assert_array_equal(a.steps, b.steps)
    np.testing.assert_allclose(a.times, b.times, rtol=1e-15)
    for name in ("train_loss", "objective", "grad_norm", "test_loss"):
        x, y = getattr(a, name), getattr(b, name)
        if x is None:
            assert y is None
            continue
        np.testing.assert_allclose(x, y, rtol=rtol, atol=1e-14)
    for name in ("a", "W", "c"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None)
        if x is not None:
            np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(a.final.theta, b.final.theta, rtol=rtol, atol=rtol * scale)


@settings(max_examples=160, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(act=st.sampled_from(ACTS), scaling=st.sampled_from(["mean-field", "ntk", "none"]), bias=st.booleans(),
       loss=st.sampled_from(LOSSES), trainable=st.sampled_from(TRAINABLES), seed=st.integers(0, 10_000),
       n=st.integers(1, 9), d=st.integers(1, 4), m=st.integers(1, 9), K=st.integers(1, 3),
       wd=st.sampled_from([0.0, 0.05]), reduction=st.sampled_from(["mean", "half_mean", "sum"]),
       opt=st.sampled_from(["gd", "momentum", "sgd", "sgd-momentum", "adam", "adam-sgd"]), blocked=st.booleans())
def test_compiled_equals_reference(act, scaling, bias, loss, trainable, seed, n, d, m, K, wd, reduction, opt, blocked):
    """Every feature combination, on the per-sample path and (``blocked``, forced for these small
    shapes) on the matrix-product path of wide problems."""
    saved = compiled.BLOCKED_WORK, compiled.BLOCKED_MIN_D
    if blocked:
        compiled.BLOCKED_WORK, compiled.BLOCKED_MIN_D = 0, 1
    try:
        _compare_engines(act, scaling, bias, loss, trainable, seed, n, d, m, K, wd, reduction, opt)
    finally:
        compiled.BLOCKED_WORK, compiled.BLOCKED_MIN_D = saved


def _compare_engines(act, scaling, bias, loss, trainable, seed, n, d, m, K, wd, reduction, opt):
    assume(bias or "c" not in trainable)
    assume(reduction != "half_mean" or loss == "square")
    net, X, y, Xt, yt = random_problem(act, scaling, bias, loss, seed, n, d, m, K)
    batch = max(1, n // 2)
    optimizer = {"gd": tl.GD(0.05), "momentum": tl.GD(0.05, momentum=0.8), "sgd": tl.SGD(0.05, batch),
                 "sgd-momentum": tl.SGD(0.05, batch, momentum=0.5), "adam": tl.Adam(0.01),
                 "adam-sgd": tl.Adam(0.01, batch_size=batch)}[opt]
    kw = dict(loss=loss, reduction=reduction, weight_decay=wd, trainable=trainable, optimizer=optimizer,
              steps=40, record_every=7, seed=seed, X_test=Xt, y_test=yt)
    try:
        ref = tl.train(net, X, y, engine="numpy", **kw)
    except tl.DivergenceError as err:  # then the compiled engine diverges at the same step
        with pytest.raises(tl.DivergenceError) as com_err:
            tl.train(net, X, y, engine="numba", **kw)
        assert com_err.value.step == err.step
        assert_same_run(err.trajectory, com_err.value.trajectory)
        return
    com = tl.train(net, X, y, engine="numba", **kw)
    assert ref.info["engine"] == "numpy" and com.info["engine"] == "numba"
    assert_same_run(ref, com, rtol=max(1e-10, 1e-2 * rounding_growth(net, X, y, ref, kw)))


def rounding_growth(net, X, y, ref, kw, eps=1e-13) -> float:
    """How far a relative change of ``eps`` in the initial parameters moves the run's recorded
    losses (relative): engines that round differently can differ by this much times the rounding
    per step. Most runs damp it (~eps); an oscillating run at the edge of stability amplifies it."""
    rng = np.random.default_rng(0)
    bumped = net.with_theta(net.theta * (1.0 + eps * rng.choice([-1.0, 1.0], net.theta.size)))
    other = tl.train(bumped, X, y, engine="numpy", **kw)
    return max(float(np.max(np.abs(getattr(ref, k) - getattr(other, k)) / np.maximum(np.abs(getattr(ref, k)), 1e-300)))
               for k in ("train_loss", "grad_norm"))


def test_wide_problems_take_the_matrix_product_path():
    assert compiled.use_blocked(500, 1000, 10) and not compiled.use_blocked(10, 1000, 2)
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((300, 16)), rng.standard_normal(300)
    net = tl.init_net(16, 256, "relu", "ntk", bias=True, seed=3)
    assert compiled.use_blocked(300, 256, 16)
    kw = dict(optimizer=tl.GD(0.2), steps=50, record_every=10)
    assert_same_run(tl.train(net, X, y, engine="numpy", **kw), tl.train(net, X, y, engine="numba", **kw))


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("loss", ["square", "logistic"])
def test_narrow_inputs_beyond_the_inlined_path(act, loss):
    """d <= 2 with (samples per step) x m above NARROW_WORK: the fused forward pass inside loss_grad
    (small shapes take the inlined objective and are covered by the property test)."""
    from twolayer.engines.kernels import NARROW_WORK

    for d, bias, trainable, opt in ((1, True, ("a", "W", "c"), tl.GD(0.05)), (2, False, ("W",), tl.SGD(0.05, 16))):
        net, X, y, Xt, yt = random_problem(act, "ntk", bias, loss, 11, 40, d, 30, 1)
        assert 40 * 30 > NARROW_WORK
        kw = dict(loss=loss, trainable=trainable, optimizer=opt, steps=40, record_every=8, X_test=Xt, y_test=yt)
        assert_same_run(tl.train(net, X, y, engine="numpy", **kw), tl.train(net, X, y, engine="numba", **kw))


def test_long_run_agreement_on_the_thesis_problem():
    X, y = tl.data.thesis("1.1.0")
    net = tl.init_net(2, 60, scaling="none", init="balanced", scale=1e-6 / np.sqrt(60), seed=0)
    kw = dict(reduction="mean", optimizer=tl.GD(1e-3), steps=30_000, record_every=100)
    ref, com = tl.train(net, X, y, engine="numpy", **kw), tl.train(net, X, y, engine="numba", **kw)
    # through both saddles and down to loss 1e-13: the two engines stay together
    keep = ref.train_loss > 1e-12
    np.testing.assert_allclose(com.train_loss[keep], ref.train_loss[keep], rtol=1e-8)
    np.testing.assert_allclose(com.final.theta, ref.final.theta, rtol=1e-9, atol=1e-12)


def test_auto_picks_the_compiled_engine_for_small_runs():
    X, y = tl.data.thesis("1.1.0")
    run = tl.train(tl.init_net(2, 8, scaling="none", seed=0), X, y, steps=5)
    assert run.info["engine"] == "numba" and run.config["engine"] == "numba"


@pytest.mark.parametrize("d", [3, 2])   # d = 2: the full-batch narrow loop (run_gd_narrow)
def test_divergence_fires_at_the_same_step_on_both_engines(rng, d):
    X, y = rng.standard_normal((20, d)), rng.standard_normal(20)
    net = tl.init_net(d, 4, "identity", "none", init="gaussian", seed=0)
    lam = np.dot(net.a, net.a) * np.linalg.eigvalsh(X.T @ X / 20)[-1]
    errors = []
    for engine in ("numpy", "numba"):
        with pytest.raises(tl.DivergenceError) as err:
            tl.train(net, X, y, trainable=("W",), optimizer=tl.GD(1.5 * 2 / lam), steps=100_000, record_every=50,
                     engine=engine)
        errors.append(err.value)
    assert errors[0].step == errors[1].step
    assert errors[0].last_loss == pytest.approx(errors[1].last_loss, rel=1e-6)
    assert errors[0].hint == errors[1].hint or f"{2 / lam:.4g}" in errors[1].hint
    assert len(errors[0].trajectory) == len(errors[1].trajectory)


def test_compiled_flow_takes_scipy_rk45_steps_and_matches_the_closed_form(rng):
    X, y = rng.standard_normal((12, 2)), rng.standard_normal(12)
    net = tl.init_net(2, 6, "tanh", "ntk", bias=True, init="gaussian", seed=5)
    times = np.linspace(0, 7, 15)
    kw = dict(trainable=("a",), optimizer=tl.Flow(rtol=1e-9, atol=1e-12, method="RK45"), t_max=7.0, record_at=times)
    ref, com = tl.train(net, X, y, engine="numpy", **kw), tl.train(net, X, y, engine="numba", **kw)
    # the same Dormand-Prince pair and step-size controller as scipy's RK45: same evaluations
    assert ref.info["gradient_evaluations"] == com.info["gradient_evaluations"]
    np.testing.assert_allclose(com.a, ref.a, rtol=1e-10, atol=1e-12)
    from scipy.linalg import expm

    s = net.scale
    H = np.tanh(X @ net.W.T + net.c)
    A, b = s * s * H.T @ H / 12, s * H.T @ y / 12
    a_star = np.linalg.solve(A, b)
    for t, a_t in zip(com.times, com.a):
        np.testing.assert_allclose(a_t, a_star + expm(-t * A) @ (net.a - a_star), rtol=1e-7, atol=1e-9)


def test_compiled_flow_beats_gd_evaluations_on_the_thesis_problem():
    """Issue 3: loss 1e-8 x initial with >= 10x fewer gradient evaluations than GD at step 1e-3,
    at the same continuous time within 1%."""
    X, y = tl.data.thesis("1.1.0")
    net = tl.init_net(2, 60, scaling="none", init="balanced", scale=1e-6 / np.sqrt(60), seed=0)
    gd = tl.train(net, X, y, reduction="mean", optimizer=tl.GD(1e-3), steps=30_000, record_every=1, snapshots=False)
    k = np.flatnonzero(gd.train_loss < 1e-8 * gd.train_loss[0])[0]
    fl = tl.train(net, X, y, reduction="mean", optimizer=tl.Flow(rtol=1e-6, atol=1e-12), t_max=30.0,
                  record_at=np.linspace(0, 30, 30_001), snapshots=False, engine="numba")
    j = np.flatnonzero(fl.train_loss < 1e-8 * fl.train_loss[0])[0]
    assert fl.steps[j] * 10 <= gd.steps[k]
    assert fl.times[j] == pytest.approx(gd.times[k], rel=0.01)
    assert fl.final.norm == pytest.approx(tl.analysis.min_norm_relu_orthogonal(X, y)[0], rel=1e-4)


def test_compiled_flow_conserves_balance_and_reports_stalls(rng):
    X, y = tl.data.thesis("1.1.0")
    net = tl.init_net(2, 20, "relu", "none", init="normal", scale=0.5, seed=2)
    run = tl.train(net, X, y, optimizer=tl.Flow(rtol=1e-10, atol=1e-12), t_max=10.0, engine="numba",
                   record_at=np.linspace(0, 10, 21))
    assert tl.analysis.balance_drift(run) < 1e-9
    Xr, yr = rng.standard_normal((8, 3)), rng.standard_normal(8)
    bad = tl.init_net(3, 20, "relu", "none", bias=True, init="gaussian", scale=0.7, outer_scale=1.3, seed=2)
    with pytest.raises(tl.FlowStalled):
        tl.train(bad, Xr, yr, optimizer=tl.Flow(rtol=1e-10, atol=1e-12, max_evals=5000), t_max=5.0, engine="numba")


def test_compiled_flow_shrinks_the_step_when_a_stage_overflows():
    """A first step so long that its stages overflow (exponential loss, a large start): the step
    is rejected and shrunk, as a failed step is, and the run goes on. (It used to retry the same
    step until max_evals and report a stall at t = 0.) The solution keeps gradient flow's
    invariants a_j^2 - |w_j|^2, and matches a run held to steps short enough to take another path."""
    X, y = np.eye(2), np.array([1.0, -1.0])
    net = tl.init_net(2, 4, "relu", "none", seed=0, scale=10.0)
    kw = dict(t_max=50.0, loss="exponential", quiet=True, engine="numba", record_at=np.linspace(0, 50, 11))
    run = tl.train(net, X, y, optimizer=tl.Flow(rtol=1e-10, max_evals=20_000), **kw)
    short = tl.train(net, X, y, optimizer=tl.Flow(rtol=1e-10, max_step=0.01, max_evals=50_000), **kw)
    assert run.times[-1] == 50.0 and np.all(np.diff(run.train_loss) < 0)
    assert tl.analysis.balance_drift(run) < 1e-6
    assert run.train_loss[-1] == pytest.approx(short.train_loss[-1], rel=1e-6)


CUT_RUNS = {"flow": dict(optimizer=tl.Flow(rtol=1e-10, max_evals=20_000), t_max=50.0, loss="exponential",
                         record_at=np.linspace(0, 50, 11)),
            "narrow GD": dict(optimizer=tl.GD(0.05), steps=400, record_every=7),
            "SGD with momentum": dict(optimizer=tl.SGD(0.05, 3, momentum=0.9), steps=400, record_every=7),
            "Adam": dict(optimizer=tl.Adam(0.01), steps=400, record_every=7)}


@pytest.mark.parametrize("name", CUT_RUNS)
def test_a_run_cut_into_many_compiled_calls_equals_one_call(monkeypatch, rng, name):
    """The compiled engine cuts a run into calls (for Ctrl-C and the progress bar), each resuming
    where the last stopped: a flow run stops only after an accepted step, with t and h in its state.
    Calls of one step (or eight evaluations) give the numbers of one call, bit for bit. The flow
    run is the one whose first steps overflow and are rejected (see above): a call that stopped
    right after a rejection would resume without the no-growth rule, and take other steps."""
    from twolayer.engines import kernels

    if name == "flow":
        X, y = np.eye(2), np.array([1.0, -1.0])
        net = tl.init_net(2, 4, "relu", "none", seed=0, scale=10.0)
    else:
        X, y = rng.standard_normal((9, 2)), rng.standard_normal(9)
        net = tl.init_net(2, 7, "tanh", "ntk", bias=True, init="gaussian", seed=3)
    kw = dict(X_test=X[:4] + 0.5, y_test=y[:4], engine="numba", quiet=True, **CUT_RUNS[name])
    entry = "run_flow" if name == "flow" else ("run_gd_narrow" if name == "narrow GD" else "run_discrete")
    calls = []
    real = getattr(kernels, entry)
    monkeypatch.setattr(compiled.K, entry, lambda *a: calls.append(1) or real(*a))
    monkeypatch.setattr(compiled, "first_chunk", lambda *a: 10**9)
    whole = tl.train(net, X, y, **kw)
    assert len(calls) == 1
    monkeypatch.setattr(compiled, "first_chunk", lambda *a: 1)
    monkeypatch.setattr(compiled, "CHUNK_SECONDS", 1e-12)    # every later call as short as it can be
    cut = tl.train(net, X, y, **kw)
    assert len(calls) > 20
    assert whole.info["gradient_evaluations"] == cut.info["gradient_evaluations"]
    np.testing.assert_array_equal(whole.times, cut.times)
    np.testing.assert_array_equal(whole.steps, cut.steps)
    for field in ("train_loss", "objective", "grad_norm", "test_loss", "a", "W", "c"):
        np.testing.assert_array_equal(getattr(whole, field), getattr(cut, field))
    np.testing.assert_array_equal(whole.final.theta, cut.final.theta)


def test_a_short_run_takes_one_compiled_call_and_a_huge_step_a_call_of_its_own(monkeypatch):
    """The first call's length comes from the cost model (~CHUNK_SECONDS / 8 of work): a 20,000-step
    tiny GD run (~0.27 us a step by the model) is one call, whatever this machine's speed; a step
    the model puts at seconds (60,000 samples, m = 1000, d = 784) is a call by itself."""
    from twolayer.engines import kernels

    X, y = tl.data.thesis("1.1.0")
    calls = []
    real = kernels.run_gd_narrow
    monkeypatch.setattr(compiled.K, "run_gd_narrow", lambda *a: calls.append(1) or real(*a))
    tl.train(tl.init_net(2, 60, "relu", "none", seed=0), X, y, optimizer=tl.GD(1e-3), steps=20_000, engine="numba",
             quiet=True, snapshots=False)
    assert len(calls) == 1
    assert compiled.first_chunk(2, 60, 2) == int(compiled.CHUNK_SECONDS / 8 / (0.15e-6 + 0.25e-9 * 2 * 60 * 4))
    assert compiled.first_chunk(60_000, 1000, 784) == 1


def test_engine_errors():
    X, y = tl.data.thesis("1.1.0")
    net = tl.init_net(2, 4, seed=0)
    with pytest.raises(tl.InvalidParameter, match="method='DOP853'.*RK45"):
        tl.train(net, X, y, optimizer=tl.Flow(method="DOP853"), t_max=1.0, engine="numba")
    run = tl.train(net, X, y, optimizer=tl.Flow(method="DOP853"), t_max=1.0)  # auto falls back
    assert run.info["engine"] == "numpy"


def test_auto_judges_the_work_of_one_step():
    """Full-batch GD on a big set goes to BLAS (reference engine); SGD on the same set touches
    only its minibatch per step and stays compiled."""
    from twolayer.train import BLAS_THRESHOLD, prepare

    X = np.zeros((200_000, 1))
    y = np.zeros(200_000)
    net = tl.init_net(1, 300, bias=True, seed=0)
    assert 200_000 * 300 > BLAS_THRESHOLD
    assert prepare(net, X, y, optimizer=tl.GD(0.1), steps=1).engine == "numpy"
    assert prepare(net, X, y, optimizer=tl.SGD(0.1, 16), steps=1).engine == "numba"

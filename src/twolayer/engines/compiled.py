"""The compiled engine: prepares arrays for the Numba kernels (:mod:`.kernels`), runs them, and
hands the recorded points back. Same interface as :mod:`.reference`."""

from __future__ import annotations

import threading
import time

import numpy as np

from ..optim import Adam
from . import compile_log  # noqa: F401 -- the notice when a kernel compiles
from . import kernels as K
from .costs import compiled_step
from .reference import Interrupted, NonFinite, Stalled

CHUNK_SECONDS = 0.1   # each compiled call lasts about this long, so that Ctrl-C and the progress bar get a turn
STOP = threading.Event()   # set: runs in other threads stop after their current chunk (Ctrl-C in a sweep)
OWN_LIMIT = 1 << 18        # elements: arrays up to 2 MiB are copied per run (see :func:`own`)


def own(A):
    """A private copy of a small array. Numba counts references to an array atomically; runs in
    threads that share one fight over its count on every step (5x slower on two threads than on
    one). Large arrays are shared: there a step's work dwarfs the count."""
    A = np.ascontiguousarray(A)
    return A.copy() if A.size <= OWN_LIMIT else A


def _check_stop():
    if STOP.is_set():
        raise KeyboardInterrupt


class Chunks:
    """Adaptive chunk lengths (steps or time) for a compiled run loop.

    Each call of a kernel holds the interpreter until it returns, so a run is cut into calls of
    about ``CHUNK_SECONDS``: a length grows by at most 8x per call and shrinks to what the last
    call's speed says (the first call, which may include compilation, only shrinks it)."""

    def __init__(self, first, smallest):
        self.size, self.smallest = max(first, smallest), smallest
        self._start = 0.0

    def __enter__(self):
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        elapsed = time.perf_counter() - self._start
        factor = 8.0 if elapsed <= 0 else min(8.0, CHUNK_SECONDS / elapsed)
        size = self.size * factor
        self.size = max(self.smallest, int(size) if isinstance(self.smallest, int) else size)
        return False


def first_chunk(samples: int, m: int, d: int) -> int:
    """Steps (or gradient evaluations) of a run's first compiled call: about CHUNK_SECONDS / 8 by the
    cost model (:func:`.costs.compiled_step`, ``samples`` per step), at least 1 (the callers' own
    floors apply on top: :class:`Chunks`). A short run takes one call, a long one reaches calls of
    CHUNK_SECONDS after one or two. Each call ends in Python work that holds the interpreter: in a
    threaded sweep of short runs, the calls' number limits how well the threads overlap (a flow run
    of ~1 ms cut into five calls ran 1.6x faster on two threads, in one call 1.75x)."""
    return max(1, int(CHUNK_SECONDS / 8 / compiled_step(samples, m, d)))


def problem(obj):
    """(shared arrays and codes, weight decay) of objective ``obj``, as the kernels take them."""
    lay = obj.layout
    n = obj.n
    if obj.loss_name == "cross_entropy":
        yr, yc = np.zeros((1, 1)), own(np.asarray(obj.y, dtype=np.int64))
    else:
        yr, yc = own(np.reshape(obj.y, (n, lay.outputs)).astype(np.float64, copy=False)), np.zeros(1, np.int64)
    mask = K.to_internal(lay, obj.mask.astype(np.float64)) > 0.5
    shared = (own(obj.X), yr, yc, int(lay.outputs), int(lay.m), int(lay.d), bool(lay.bias),
              int(K.ACT[obj.activation]), float(obj.slope), float(obj.scale), int(K.LOSS[obj.loss_name]),
              int(K.RED[obj.reduction]), "a" in obj.trainable, "W" in obj.trainable, "c" in obj.trainable, mask)
    return shared, float(obj.weight_decay)


BLOCKED_WORK = 1e6  # (samples per step) m d from which steps go through matrix products
BLOCKED_MIN_D = 4    # ... when the inputs are wide enough for a product to beat the neuron loops


def use_blocked(rows_per_step: int, m: int, d: int) -> bool:
    """Whether steps take the matrix-product path :func:`kernels.loss_grad_blocked`."""
    return d >= BLOCKED_MIN_D and rows_per_step * m * d >= BLOCKED_WORK


def with_scratch(shared, wd, rows_per_step: int = 0):
    """The kernels' problem tuple: ``shared``, the weight decay, and scratch arrays (those of the
    matrix-product path empty unless :func:`use_blocked`)."""
    m, Kout, d = shared[4], shared[3], shared[5]
    gb = K.GB if use_blocked(rows_per_step, m, d) else 0
    return shared + (wd, np.zeros(m), np.zeros((K.SB, m)), np.zeros((K.SB, m)), np.zeros((K.SB, m)),
                     np.zeros(Kout), np.zeros((K.SB, Kout)), np.zeros((gb, d)), np.zeros((gb, m)),
                     np.zeros((gb, m)), np.zeros((d if gb else 0, m)))


def test_tuple(obj, test, P):
    """The kernels' test arguments (Xt, yrt, yct, trows, gt, has_test of :func:`kernels.run_discrete`):
    the test data in the layout of the problem tuple ``P``'s first three items, the test rows
    0..nt-1, a scratch gradient and True; or without a test set (P's data, no rows, the scratch,
    False)."""
    if test is None:
        return (P[0], P[1], P[2], np.arange(0), np.zeros(obj.layout.size), False)
    Xt, yt = test
    if obj.loss_name == "cross_entropy":
        yr, yc = np.zeros((1, 1)), own(np.asarray(yt, dtype=np.int64))
    else:
        yr, yc = own(np.reshape(yt, (len(yt), obj.layout.outputs)).astype(np.float64, copy=False)), np.zeros(1, np.int64)
    return own(Xt), yr, yc, np.arange(len(Xt)), np.zeros(obj.layout.size), True


def path_markers(entry: str, obj, rows_per_step: int) -> tuple:
    """The path marker arguments (:func:`kernels.markers`) of ``entry`` for objective ``obj``."""
    lay = obj.layout
    blocked = use_blocked(rows_per_step, lay.m, lay.d)
    return K.markers(entry, K.path_of(entry, lay.outputs, lay.d, obj.activation, blocked))


def record_buffers(npoints, size, snapshots):
    """Arrays the kernels write recorded points into (:func:`kernels._record`): rows step, time,
    loss, objective, grad norm and test loss of a (6, npoints) array (steps as floats: exact below
    2^53), and the snapshots (npoints, size), or (0, size) without them."""
    return np.zeros((6, npoints)), np.zeros(((npoints if snapshots else 0), size))


def deliver(recorder, obj, bufs, count):
    """Pass the first ``count`` recorded points to the recorder (snapshots back in reference layout)."""
    rec, snaps = bufs
    steps, times, loss, objective, gn, test = rec[:, :count]
    a = W = c = None
    if recorder.snapshots:
        a, W, c = K.from_internal(obj.layout, snaps[:count])
    recorder.extend(steps.astype(np.int64), times, loss, objective, gn, test if recorder.test is not None else None,
                    a, W, c)


def optimizer_codes(opt):
    if isinstance(opt, Adam):
        return 1, 0.0, float(opt.beta1), float(opt.beta2), float(opt.eps)
    return 0, float(opt.momentum), 0.9, 0.999, 1e-8


def run_discrete(obj, theta, opt, steps, record_steps, order, recorder, progress):
    """GD / SGD / Adam on the compiled kernels; same contract as :func:`.reference.run_discrete`."""
    shared, wd = problem(obj)
    batch = 0 if opt.batch_size is None else int(opt.batch_size)
    P = with_scratch(shared, wd, batch or obj.n)
    th = K.to_internal(obj.layout, theta)
    code, mom, b1, b2, eps = optimizer_codes(opt)
    order = np.zeros((1, 1), np.int64) if order is None else np.ascontiguousarray(order, dtype=np.int64)
    record_at = np.ascontiguousarray(record_steps, dtype=np.int64)
    bufs = record_buffers(len(record_at), th.size, recorder.snapshots)
    s1, s2, prev = np.zeros_like(th), np.zeros_like(th), th.copy()
    state = np.array([np.nan, 0.0, 0.0, 0.0])
    status = K.OK
    narrow_gd = code == 0 and mom == 0.0 and batch == 0 and K.narrow_full_batch(obj.layout.outputs, obj.layout.d,
                                                                                obj.n, obj.layout.m)
    marks = path_markers("run_gd_narrow" if narrow_gd else "run_discrete", obj, batch or obj.n)
    T = test_tuple(obj, recorder.test, P)
    chunks, t0 = Chunks(first_chunk(batch or obj.n, obj.layout.m, obj.layout.d), 1), 0
    try:
        while True:
            t1 = min(int(steps), t0 + chunks.size)
            with chunks:
                if narrow_gd:
                    status = K.run_gd_narrow(th, P, *T, float(opt.lr), t0, t1, int(steps), record_at, prev, state,
                                             *bufs, *marks)
                else:
                    status = K.run_discrete(th, P, *T, code, float(opt.lr), mom, b1, b2, eps, batch, order, t0, t1,
                                            int(steps), record_at, s1, s2, prev, state, *bufs, *marks)
            progress.advance(t1)
            if status != K.OK or t1 >= steps:
                break
            _check_stop()
            t0 = t1
    except KeyboardInterrupt:
        deliver(recorder, obj, bufs, int(state[1]))
        raise Interrupted(t1 if status == K.OK else t0, _reference_theta(obj, th)) from None
    deliver(recorder, obj, bufs, int(state[1]))
    if status != K.OK:
        step = int(state[3])
        last = prev if step > 0 else th
        raise NonFinite(step, opt.lr * step, _reference_theta(obj, last), float(state[0]))
    return _reference_theta(obj, th)


def _reference_theta(obj, th):
    a, W, c = K.from_internal(obj.layout, th)
    return obj.layout.pack(a, W, c)


def run_flow(obj, theta, flow, t_max, record_times, recorder, progress):
    """Gradient flow by compiled Dormand-Prince 5(4); same contract as :func:`.reference.run_flow`."""
    shared, wd = problem(obj)
    P = with_scratch(shared, wd, obj.n)
    T = test_tuple(obj, recorder.test, P)
    marks = path_markers("run_flow", obj, obj.n)
    th = K.to_internal(obj.layout, theta)
    record_at = np.ascontiguousarray(record_times, dtype=np.float64)
    bufs = record_buffers(len(record_at), th.size, recorder.snapshots)
    prev = th.copy()
    state = np.array([np.nan, 0.0, 0.0, 0.0, 0.0, 0.0])
    status = K.OK
    chunks = Chunks(first_chunk(obj.n, obj.layout.m, obj.layout.d), 8)    # in gradient evaluations
    try:
        while True:
            with chunks:
                status = K.run_flow(th, P, *T, float(t_max), float(flow.rtol), float(flow.atol), float(flow.max_step),
                                    int(flow.max_evals), record_at, prev, state, *bufs, int(state[3]) + chunks.size,
                                    *marks)
            progress.advance(float(state[4]))
            if status != K.OK or state[4] >= t_max:
                break
            _check_stop()
    except KeyboardInterrupt:
        deliver(recorder, obj, bufs, int(state[1]))
        raise Interrupted(int(state[3]), _reference_theta(obj, th), time=float(state[4])) from None
    deliver(recorder, obj, bufs, int(state[1]))
    if status == K.STALLED:
        raise Stalled(float(state[4]), int(state[3]), _reference_theta(obj, th))
    if status != K.OK:
        raise NonFinite(int(state[3]), float(state[4]), _reference_theta(obj, prev), float(state[0]),
                        reason=f"the step size collapsed at t={state[4]:.6g} (non-finite gradients ahead).")
    return _reference_theta(obj, th), int(state[3])

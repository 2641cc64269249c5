"""Numba kernels of the compiled engine: the same mathematics as :mod:`.reference`, as whole-run Numba loops.

Internal layout: one flat vector ``theta = [a^T (K, m), W^T (d, m), c (m)]`` -- weights stored
transposed so that every inner loop runs over neurons, contiguous and branch-free. A step walks
the (mini)batch in blocks of samples: ``z = W^T x + c``, ``h = sigma(z)``, ``f = s a^T h``, then the
loss derivative G and the gradient contributions ``s G h`` (a), ``x (s a G * sigma'(z))`` (W, c).
Four paths do this (see :func:`_objective`): piecewise-linear activations with one output and
d <= 2 (:func:`_pl_grad`), the fused narrow pass for the others, BLAS products for wide inputs
(:func:`loss_grad_blocked`), and the general per-sample kernel (:func:`loss_grad`). Recording,
weight decay, frozen layers, momentum and Adam all happen inside the compiled loop.

The functions here take plain arrays, integer codes and the problem tuple ``P`` (data, sizes,
codes, masks and scratch, in the order of :func:`.compiled.problem` and
:func:`.compiled.with_scratch`); :mod:`.compiled` prepares them. Every function but the four entry
points is compiled with :func:`helper` (no Python wrappers). Compile time is kept down by few
levels of calls between a step loop and the loss kernels, and few copies of ``P`` (see
:func:`_record`, :func:`run_flow` and the README's performance section).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

ACT = {"relu": 0, "leaky_relu": 1, "sigmoid": 2, "tanh": 3, "identity": 4}
LOSS = {"square": 0, "logistic": 1, "exponential": 2, "cross_entropy": 3}
RED = {"mean": 0, "half_mean": 1, "sum": 2}
DIVERGED, STALLED, OK = 1, 2, 0

# The paths a step loop compiles, one per kind of run (see :func:`_objective`): each entry point
# takes one marker argument per path, True for the run's path and None for the others.
PATHS = {"run_discrete": ("pl", "blocked", "general"), "run_flow": ("pl", "blocked", "general"),
         "run_gd_narrow": ("pl", "smooth")}
PIECEWISE_LINEAR = ("relu", "leaky_relu", "identity")


def path_of(entry: str, outputs: int, d: int, activation: str, blocked: bool) -> str:
    """The path of entry point ``entry`` for a run with ``outputs`` outputs, ``d`` inputs and
    ``activation``; ``blocked``: whether steps take the matrix products (:func:`.compiled.use_blocked`)."""
    narrow_pl = outputs == 1 and d <= 2 and activation in PIECEWISE_LINEAR
    if entry == "run_gd_narrow":
        return "pl" if narrow_pl else "smooth"
    return "blocked" if blocked else ("pl" if narrow_pl else "general")


def markers(entry: str, path: str) -> tuple:
    """The marker arguments of ``entry`` for ``path``: True for it, None for the other paths."""
    return tuple(True if p == path else None for p in PATHS[entry])


def kind_name(entry: str, path: str) -> str:
    """A kind of run, as compile notices, the cost model and ``twolayer warmup`` name it:
    ``"run_discrete[general]"``. A test set is a run-time argument, not a kind of its own."""
    return f"{entry}[{path}]"


def kind_of_signature(entry: str, sig) -> str:
    """The kind (:func:`kind_name`) an argument type signature of entry point ``entry`` compiles."""
    flags = [str(t) != "none" for t in sig[-len(PATHS[entry]):]]
    path = PATHS[entry][flags.index(True)] if flags.count(True) == 1 else "?"
    return kind_name(entry, path)


# Reassociation lets LLVM vectorise the reductions over neurons (sum_j a_j h_j, norms) and
# contraction lets it use FMA: results change at rounding level only. No "nnan"/"ninf": the
# divergence checks rely on NaN and inf propagating.
FAST = {"reassoc", "contract", "nsz"}


def helper(**options):
    """``njit`` for the functions that only compiled code calls: cached, and without the CPython and
    C wrappers that make a function callable from Python (each wrapper unboxes every argument, and
    Numba optimises and compiles it to machine code in every kernel that links the function in:
    about a third of a kind's compile time went into wrappers that nothing called).

    Fast-math flags and the error model are always explicit (default: none, and NumPy's model as
    in :func:`entry`): a Numba function that leaves them unset inherits them from whichever caller
    compiles it first, and the disk cache then hands that version to every other caller. The
    gradient-norm records of gradient-flow runs came out 1 ulp apart depending on whether a GD kind
    or a flow kind had compiled :func:`_record` first. (An ``inline="always"`` function's body takes
    its caller's flags, whatever it declares.)"""
    options.setdefault("fastmath", False)
    options.setdefault("error_model", "numpy")
    return njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True, **options)


def entry(**options):
    """``njit`` for the entry points that Python calls: cached, releasing the GIL, with the CPython
    wrapper but without the C wrapper (nothing takes their address).

    NumPy's error model: a float division by zero gives inf or nan, which the runs' finiteness check
    catches, instead of raising. The raise paths of Python's model kept Numba's reference-count
    pruning from removing the NRT_incref/decref pairs (atomic operations) that the inlined
    functions execute on every step."""
    return njit(cache=True, nogil=True, no_cfunc_wrapper=True, error_model="numpy", **options)


# -- layout ------------------------------------------------------------------------------------
def to_internal(layout, theta):
    """Reference layout [a (m,K), W (m,d), c] -> internal [a^T, W^T, c]."""
    a, W, c = layout.unpack(theta)
    aT = a.reshape(layout.m, layout.outputs).T
    parts = [aT.ravel(), W.T.ravel()] + ([c] if layout.bias else [])
    return np.ascontiguousarray(np.concatenate(parts))


def from_internal(layout, theta_int):
    """Internal -> reference layout; works on (P,) or stacked (T, P)."""
    m, d, K = layout.m, layout.d, layout.outputs
    lead = theta_int.shape[:-1]
    aT = theta_int[..., :K * m].reshape(lead + (K, m))
    WT = theta_int[..., K * m:K * m + d * m].reshape(lead + (d, m))
    a = np.swapaxes(aT, -1, -2)
    if K == 1:
        a = a[..., 0]
    W = np.swapaxes(WT, -1, -2)
    c = theta_int[..., K * m + d * m:] if layout.bias else None
    return a, W, c


# -- sigmoid and tanh that vectorise -----------------------------------------------------------
# Sigmoid and tanh for the compiled engine's loops over neurons, written so that LLVM vectorises them.
#
# ``math.exp`` and ``math.tanh`` are calls into the C library, one element at a time: a loop over
# neurons that calls them runs at about 5 ns (sigmoid) and 10 ns (tanh) per element on this
# project's machines, where a ReLU loop takes a fraction of a nanosecond. The functions here compute
# the same values from one branch-free exponential (Cody-Waite range reduction and a Taylor
# polynomial; the power of two is built from its bits), which the loop vectoriser turns into SIMD code
# once they are inlined into a loop: about 1 ns per element for either.
#
# Accuracy (tested in ``tests/test_vec_sigmoid_tanh.py`` against SciPy's ``expit`` and NumPy's ``tanh``): within
# 4 units in the last place over the whole double range; NaN stays NaN. Arguments below -708 are
# treated as -708 inside the exponential, so exp(-|v|) is never subnormal: sigmoid(v) for v < -708
# is about 3e-308 instead of a smaller subnormal number or 0.
#
# The functions carry their own fast-math flags (only FMA contraction: reassociation would undo the
# two-part reduction r = (x - k ln2_hi) - k ln2_lo), and LLVM keeps per-instruction flags when it
# inlines them into a caller compiled with looser flags; they are therefore not inlined at the Numba
# IR level (``inline="always"`` would give them the caller's flags).
# They live in this file because Numba's disk cache of a kernel is keyed on its own source file
# only: a helper in another module could change without invalidating the kernels that inline it.
LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01    # ln 2 split so that k * LN2_HI is exact for |k| < 2^20
LN2_LO = 1.90821492927058770002e-10
EXP_MIN = -708.0                        # exp(EXP_MIN) ~ 3.3e-308, still a normal number
# Taylor coefficients 1/k!, k = 2..13, of expm1(r) = r + r^2 (1/2! + r (1/3! + ...)); on
# |r| <= ln(2)/2 the first omitted term is below 2e-17 relative
_C = tuple(1.0 / math.factorial(k) for k in range(2, 14))
C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13 = _C
FLAGS = {"contract"}


@intrinsic
def _bits_as_double(typingctx, bits):
    """The float64 whose IEEE-754 bit pattern is the int64 ``bits``."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@helper(fastmath=FLAGS, error_model="numpy")
def expm1_parts(x):
    """For x in [EXP_MIN, 0] (or NaN): (p, t) with expm1(x) = t p + (t - 1) and exp(x) = t (1 + p),
    where t = 2^k, k = round(x / ln 2), and p = expm1(x - k ln 2)."""
    k = math.floor(x * LOG2E + 0.5)
    r = (x - k * LN2_HI) - k * LN2_LO
    q = C13
    q = q * r + C12
    q = q * r + C11
    q = q * r + C10
    q = q * r + C9
    q = q * r + C8
    q = q * r + C7
    q = q * r + C6
    q = q * r + C5
    q = q * r + C4
    q = q * r + C3
    q = q * r + C2
    p = r + r * r * q
    t = _bits_as_double((np.int64(k) + 1023) << 52)
    return p, t


@helper(fastmath=FLAGS, error_model="numpy")
def vsigmoid(v):
    """1 / (1 + exp(-v)), from e = exp(-|v|): 1 / (1 + e) for v >= 0 and e / (1 + e) below."""
    u = -abs(v)
    u = EXP_MIN if u < EXP_MIN else u     # written so that NaN passes through
    p, t = expm1_parts(u)
    e = t * (1.0 + p)
    num = 1.0 if v >= 0.0 else e
    return num / (1.0 + e)


@helper(fastmath=FLAGS, error_model="numpy")
def vtanh(v):
    """tanh(v) = sign(v) (-m / (2 + m)) with m = expm1(-2 |v|) (no cancellation for small |v|)."""
    u = -2.0 * abs(v)
    u = EXP_MIN if u < EXP_MIN else u
    p, t = expm1_parts(u)
    m = p if t == 1.0 else t * p + (t - 1.0)
    a = -m / (2.0 + m)
    return a if v >= 0.0 else -a


# -- one evaluation of the loss and its gradient -------------------------------------------------
@helper(inline="always")
def _expit(v):
    if v >= 0.0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


SB = 4  # samples per block in the backward pass
GB = 64  # samples per block of the matrix-product path (:func:`loss_grad_blocked`)
NARROW_WORK = 300  # n m up to which full-batch GD of a narrow problem runs in run_gd_narrow (crossover ~400)


@helper(fastmath=FAST)   # as the loss kernels that call it
def _activate(z, H, DH, s, m, act, slope):
    """H[s] = sigma(z), DH[s] = sigma'(z); the switch on ``act`` stays outside the loops so that
    each loop vectorises."""
    if act == 0:
        for j in range(m):
            v = z[j]
            H[s, j] = v if v > 0.0 else 0.0
            DH[s, j] = 1.0 if v > 0.0 else 0.0
    elif act == 1:
        for j in range(m):
            v = z[j]
            H[s, j] = v if v > 0.0 else slope * v
            DH[s, j] = 1.0 if v > 0.0 else slope
    elif act == 2:
        for j in range(m):
            sj = vsigmoid(z[j])
            H[s, j] = sj
            DH[s, j] = sj * (1.0 - sj)
    elif act == 3:
        for j in range(m):
            t = vtanh(z[j])
            H[s, j] = t
            DH[s, j] = 1.0 - t * t
    else:
        for j in range(m):
            H[s, j] = z[j]
            DH[s, j] = 1.0


@helper(fastmath=FAST, inline="always")
def _preactivation(z, WT, c, X, i, m, d, has_c):
    """z = W^T x_i + c in as few passes over the neurons as possible: the first pass starts from c
    (or 0) and adds up to two coordinates, later passes add up to four."""
    x0 = X[i, 0]
    if d == 1:
        for j in range(m):
            z[j] = (c[0, j] if has_c else 0.0) + x0 * WT[0, j]
        return
    x1 = X[i, 1]
    for j in range(m):
        z[j] = (c[0, j] if has_c else 0.0) + x0 * WT[0, j] + x1 * WT[1, j]
    k = 2
    while k < d:
        cnt = min(4, d - k)
        if cnt == 4:
            y0, y1, y2, y3 = X[i, k], X[i, k + 1], X[i, k + 2], X[i, k + 3]
            for j in range(m):
                z[j] += y0 * WT[k, j] + y1 * WT[k + 1, j] + y2 * WT[k + 2, j] + y3 * WT[k + 3, j]
        elif cnt == 3:
            y0, y1, y2 = X[i, k], X[i, k + 1], X[i, k + 2]
            for j in range(m):
                z[j] += y0 * WT[k, j] + y1 * WT[k + 1, j] + y2 * WT[k + 2, j]
        elif cnt == 2:
            y0, y1 = X[i, k], X[i, k + 1]
            for j in range(m):
                z[j] += y0 * WT[k, j] + y1 * WT[k + 1, j]
        else:
            y0 = X[i, k]
            for j in range(m):
                z[j] += y0 * WT[k, j]
        k += cnt


@helper(fastmath=FAST, inline="always")
def _forward_narrow(WT, c, X, i, m, d, has_c, act, H, DH, s, aT):
    """For d <= 2, one output and a smooth activation (sigmoid if ``act`` is ACT["sigmoid"], else
    tanh: piecewise-linear activations take :func:`_pl_grad` on narrow problems): z_j = c_j + W_j . x_i,
    H[s, j] = sigma(z_j), DH[s, j] = sigma'(z_j) in one pass over the neurons; returns
    sum_j a_j sigma(z_j), summed in a pass of its own. (For d = 1 the second term reads row 0
    times x1 = 0.) Two activations, not five: each is a loop the compiler vectorises, and every
    kind of run that inlines this compiles them all.

    The sum stays out of the storing pass because LLVM vectorises a loop that stores only after a
    run-time check on the arrays' addresses, falling back to the scalar loop when they lie close
    together: a sum in that loop would then be added up in an order that depends on where the
    arrays were allocated, and the same run would not give the same bits twice."""
    x0 = X[i, 0]
    x1 = X[i, 1] if d > 1 else 0.0
    r1 = 1 if d > 1 else 0
    if act == 2:
        for j in range(m):
            h = vsigmoid((c[0, j] if has_c else 0.0) + x0 * WT[0, j] + x1 * WT[r1, j])
            H[s, j] = h
            DH[s, j] = h * (1.0 - h)
    else:
        for j in range(m):
            h = vtanh((c[0, j] if has_c else 0.0) + x0 * WT[0, j] + x1 * WT[r1, j])
            H[s, j] = h
            DH[s, j] = 1.0 - h * h
    acc = 0.0
    for j in range(m):
        acc += aT[0, j] * H[s, j]
    return acc


@helper(fastmath=FAST)
def _accumulate(dst, row, src, w0, w1, w2, w3, sb, m):
    """dst[row, j] += sum_{s < sb} w_s src[s, j]: one load and store of dst for up to 4 samples."""
    if sb == 4:
        for j in range(m):
            dst[row, j] += w0 * src[0, j] + w1 * src[1, j] + w2 * src[2, j] + w3 * src[3, j]
    elif sb == 3:
        for j in range(m):
            dst[row, j] += w0 * src[0, j] + w1 * src[1, j] + w2 * src[2, j]
    elif sb == 2:
        for j in range(m):
            dst[row, j] += w0 * src[0, j] + w1 * src[1, j]
    else:
        for j in range(m):
            dst[row, j] += w0 * src[0, j]


@helper()
def views(theta, K, m, d):
    """(a^T (K, m), W^T (d, m), c (1, m) or (1, 0)) as views into a flat parameter-shaped vector.

    Made once per buffer and kernel call: creating a view costs an atomic reference count, more
    than a whole step of a small network.
    """
    oW = K * m
    oc = oW + d * m
    return (theta[0:oW].reshape((K, m)), theta[oW:oc].reshape((d, m)),
            theta[oc:].reshape((1, theta.shape[0] - oc)))


@helper(inline="always")
def _reduction(red, nrows):
    """The factor r of r * sum_i ell_i: 1/n ("mean"), 1/(2n) ("half_mean") or 1 ("sum")."""
    return 1.0 / nrows if red == 0 else (0.5 / nrows if red == 1 else 1.0)


@helper(fastmath=FAST, inline="always")
def _loss_scalar(o, yv, loss):
    """(ell(o, y), d ell / d o) for one output o and label y: square, logistic or exponential loss
    (cross-entropy with a single class is 0 with derivative 0)."""
    if loss == 0:
        res = o - yv
        return res * res, 2.0 * res
    if loss == 1:
        v = -yv * o
        return max(v, 0.0) + math.log1p(math.exp(-abs(v))), -yv * _expit(v)
    if loss == 2:
        e = math.exp(-yv * o)
        return e, -yv * e
    return 0.0, 0.0


@helper(fastmath=FAST, inline="always")
def _loss_row(out, yr, yc, i, K, loss, G, s):
    """ell(f(x_i), y_i) for the outputs ``out`` (K,), writing d ell / d f into G[s, :]."""
    if loss != 3:
        ell = 0.0
        for kk in range(K):  # K > 1 only with the square loss
            e, G[s, kk] = _loss_scalar(out[kk], yr[i, kk], loss)
            ell += e
        return ell
    mx = out[0]
    for kk in range(1, K):
        mx = max(mx, out[kk])
    acc = 0.0
    for kk in range(K):
        acc += math.exp(out[kk] - mx)
    lse = mx + math.log(acc)
    for kk in range(K):
        G[s, kk] = math.exp(out[kk] - lse) - (1.0 if kk == yc[i] else 0.0)
    return lse - out[yc[i]]


@helper(inline="always")
def _piecewise_linear(act):
    """ReLU, leaky ReLU or the identity: sigma(v) = sigma'(v) v."""
    return act == 0 or act == 1 or act == 4


@helper(inline="always")
def _pl_low_slope(act, slope):
    """sigma'(v) for v <= 0 of a piecewise-linear activation: 0 (ReLU), slope (leaky ReLU), 1 (identity)."""
    return 0.0 if act == 0 else (slope if act == 1 else 1.0)


@helper(fastmath=FAST, inline="always")
def _lane_block(total, cnt, f0, f1, f2, f3, y0, y1, y2, y3, loss, scale, r):
    """For a block of ``cnt`` <= 4 samples with sums f_s = sum_j a_j sigma(z_sj) and labels y_s:
    total + the block's losses, and the output gradients g_s = r scale ell'(scale f_s, y_s)
    (0 for the padding lanes s >= cnt).

    A loop over the lanes, so that the loss code is compiled once rather than four times: this
    function is inlined into the step loops (see :func:`_pl_grad`), and Numba's inlining costs
    compilation time in proportion to the code it copies (four copies cost ~1.7 s per kind)."""
    g0 = g1 = g2 = g3 = 0.0
    for s in range(cnt):
        f = f0 if s == 0 else (f1 if s == 1 else (f2 if s == 2 else f3))
        y = y0 if s == 0 else (y1 if s == 1 else (y2 if s == 2 else y3))
        ell, dl = _loss_scalar(scale * f, y, loss)
        total += ell
        gs = dl * r * scale
        if s == 0:
            g0 = gs
        elif s == 1:
            g1 = gs
        elif s == 2:
            g2 = gs
        else:
            g3 = gs
    return total, g0, g1, g2, g3


@helper(fastmath=FAST)
def _lane_losses(total, cnt, f0, f1, f2, f3, y0, y1, y2, y3, loss, scale, r):
    """:func:`_lane_block` as a function of its own, for :func:`_pl_rows` in the blocked kernel (its
    BLAS calls have error-status paths of their own, so inlining would add compilation only)."""
    return _lane_block(total, cnt, f0, f1, f2, f3, y0, y1, y2, y3, loss, scale, r)


@helper(fastmath=FAST, inline="always")
def _lane_slopes(v0, v1, v2, v3, g0, g1, g2, g3, lo):
    """sigma'(v_s) of a piecewise-linear activation (1 for v > 0, lo otherwise) for four lanes, and
    the lanes' contribution sum_s g_s sigma(v_s) to d a_j (sigma(v) = sigma'(v) v)."""
    d0 = 1.0 if v0 > 0.0 else lo
    d1 = 1.0 if v1 > 0.0 else lo
    d2 = 1.0 if v2 > 0.0 else lo
    d3 = 1.0 if v3 > 0.0 else lo
    return d0, d1, d2, d3, g0 * (d0 * v0) + g1 * (d1 * v1) + g2 * (d2 * v2) + g3 * (d3 * v3)


@helper(fastmath=FAST, inline="always")
def _pl_grad_pair(aT, WT, c, gaT, gWT, gc, m, d, r1, has_c, lo, p0, p1, q0, q1, g0, g1, tr_a, tr_W, tr_c):
    """The gradient pass of :func:`_pl_grad` for a block of two samples (unconditional stores, as
    there)."""
    fa, fw = 1.0 if tr_a else 0.0, 1.0 if tr_W else 0.0
    fq = fw if d > 1 else 0.0
    for j in range(m):
        cj = c[0, j] if has_c else 0.0
        w0, w1, aj = WT[0, j], WT[r1, j], aT[0, j]
        v0, v1 = cj + p0 * w0 + q0 * w1, cj + p1 * w0 + q1 * w1
        d0 = 1.0 if v0 > 0.0 else lo
        d1 = 1.0 if v1 > 0.0 else lo
        b0, b1 = g0 * aj * d0, g1 * aj * d1
        gaT[0, j] += (g0 * (d0 * v0) + g1 * (d1 * v1)) * fa
        gWT[0, j] += (p0 * b0 + p1 * b1) * fw
        gWT[r1, j] += (q0 * b0 + q1 * b1) * fq
    if tr_c:
        for j in range(m):
            cj, w0, w1, aj = c[0, j], WT[0, j], WT[r1, j], aT[0, j]
            v0, v1 = cj + p0 * w0 + q0 * w1, cj + p1 * w0 + q1 * w1
            gc[0, j] += g0 * aj * (1.0 if v0 > 0.0 else lo) + g1 * aj * (1.0 if v1 > 0.0 else lo)


@helper(fastmath=FAST, inline="always")
def _pl_grad(V, GV, X, yr, rows, r0, nrows, m, d, has_c, lo, scale, loss, r, tr_a, tr_W, tr_c):
    """Loss r sum_i ell_i over ``rows[r0:r0+nrows]`` with its gradient added into the views GV, for
    one output, d <= 2 and a piecewise-linear activation sigma(v) = v (v > 0), lo v (v <= 0).

    Four samples at a time in two passes over the neurons: the outputs, then the gradient with
    sigma and sigma' recomputed from v (cheaper than storing them). Each pass reads a neuron's
    weights once for the four samples and writes its gradient once; a block of fewer samples is
    padded with copies of its first one given zero weight.

    The block losses are inlined (:func:`_lane_block`) rather than called: a call's error-status
    path keeps Numba's reference-count pruning from removing the NRT_incref/decref pairs of the
    arrays bound here (inlined into a step loop) or of the arguments (in :func:`loss_grad_pl`), nine
    atomic pairs per evaluation, half of a tiny network's GD step.
    """
    aT, WT, c = V
    gaT, gWT, gc = GV
    r1 = 1 if d > 1 else 0
    fa, fw = 1.0 if tr_a else 0.0, 1.0 if tr_W else 0.0
    fq = fw if d > 1 else 0.0      # with d = 1 the second row is the first, and gets + 0
    total = 0.0
    for i0 in range(0, nrows, 4):
        nb = min(4, nrows - i0)
        i_0 = rows[r0 + i0]
        i_1 = rows[r0 + i0 + (1 if nb > 1 else 0)]
        i_2 = rows[r0 + i0 + (2 if nb > 2 else 0)]
        i_3 = rows[r0 + i0 + (3 if nb > 3 else 0)]
        p0, p1, p2, p3 = X[i_0, 0], X[i_1, 0], X[i_2, 0], X[i_3, 0]
        q0, q1, q2, q3 = X[i_0, r1] * r1, X[i_1, r1] * r1, X[i_2, r1] * r1, X[i_3, r1] * r1
        f0 = f1 = f2 = f3 = 0.0
        if nb > 2:
            for j in range(m):
                cj = c[0, j] if has_c else 0.0
                w0, w1, aj = WT[0, j], WT[r1, j], aT[0, j]
                v0, v1 = cj + p0 * w0 + q0 * w1, cj + p1 * w0 + q1 * w1
                v2, v3 = cj + p2 * w0 + q2 * w1, cj + p3 * w0 + q3 * w1
                f0 += aj * (v0 if v0 > 0.0 else lo * v0)
                f1 += aj * (v1 if v1 > 0.0 else lo * v1)
                f2 += aj * (v2 if v2 > 0.0 else lo * v2)
                f3 += aj * (v3 if v3 > 0.0 else lo * v3)
        else:
            for j in range(m):
                cj = c[0, j] if has_c else 0.0
                w0, w1, aj = WT[0, j], WT[r1, j], aT[0, j]
                v0, v1 = cj + p0 * w0 + q0 * w1, cj + p1 * w0 + q1 * w1
                f0 += aj * (v0 if v0 > 0.0 else lo * v0)
                f1 += aj * (v1 if v1 > 0.0 else lo * v1)
        y0, y1, y2, y3 = yr[i_0, 0], yr[i_1, 0], yr[i_2, 0], yr[i_3, 0]
        total, g0, g1, g2, g3 = _lane_block(total, nb, f0, f1, f2, f3, y0, y1, y2, y3, loss, scale, r)
        if nb <= 2:
            _pl_grad_pair(aT, WT, c, gaT, gWT, gc, m, d, r1, has_c, lo, p0, p1, q0, q1, g0, g1, tr_a, tr_W, tr_c)
            continue
        for j in range(m):
            cj = c[0, j] if has_c else 0.0
            w0, w1, aj = WT[0, j], WT[r1, j], aT[0, j]
            v0, v1 = cj + p0 * w0 + q0 * w1, cj + p1 * w0 + q1 * w1
            v2, v3 = cj + p2 * w0 + q2 * w1, cj + p3 * w0 + q3 * w1
            d0, d1, d2, d3, da = _lane_slopes(v0, v1, v2, v3, g0, g1, g2, g3, lo)
            b0, b1, b2, b3 = g0 * aj * d0, g1 * aj * d1, g2 * aj * d2, g3 * aj * d3
            # unconditional stores, the frozen layers' times 0: a store under a flag becomes an
            # AVX-512 masked store, and loads behind masked stores stalled the loop (up to 12x)
            gaT[0, j] += da * fa
            gWT[0, j] += (p0 * b0 + p1 * b1 + p2 * b2 + p3 * b3) * fw
            gWT[r1, j] += (q0 * b0 + q1 * b1 + q2 * b2 + q3 * b3) * fq
        if tr_c:
            _pl_grad_c(aT, WT, c, gc, m, r1, lo, p0, p1, p2, p3, q0, q1, q2, q3, g0, g1, g2, g3)
    return r * total


@helper(fastmath=FAST)
def _pl_grad_c(aT, WT, c, gc, m, r1, lo, p0, p1, p2, p3, q0, q1, q2, q3, g0, g1, g2, g3):
    """The bias part of :func:`_pl_grad`'s four-lane gradient pass, in a loop of its own."""
    for j in range(m):
        cj, w0, w1, aj = c[0, j], WT[0, j], WT[r1, j], aT[0, j]
        v0, v1 = cj + p0 * w0 + q0 * w1, cj + p1 * w0 + q1 * w1
        v2, v3 = cj + p2 * w0 + q2 * w1, cj + p3 * w0 + q3 * w1
        d0, d1, d2, d3, _ = _lane_slopes(v0, v1, v2, v3, g0, g1, g2, g3, lo)
        gc[0, j] += g0 * aj * d0 + g1 * aj * d1 + g2 * aj * d2 + g3 * aj * d3


@helper(fastmath=FAST)
def loss_grad_pl(V, GV, P, rows, r0, nrows):
    """:func:`_pl_grad` for the problem tuple ``P``, as a function of its own (for the step loops
    that do not inline it)."""
    X, yr = P[0], P[1]
    m, d, has_c, act, slope, scale, loss, red, tr_a, tr_W, tr_c = P[4:15]
    return _pl_grad(V, GV, X, yr, rows, r0, nrows, m, d, has_c, _pl_low_slope(act, slope), scale, loss,
                    _reduction(red, nrows), tr_a, tr_W, tr_c)


@helper(fastmath=FAST)
def loss_grad(V, GV, P, rows, r0, nrows):
    """Data loss r * sum_i ell_i over the samples ``rows[r0:r0+nrows]``; adds its gradient into the
    views ``GV`` (the caller zeroes them; frozen layers add 0).

    V = (a^T, W^T, c) and GV = (d a^T, d W^T, d c) come from :func:`views`. P is the problem tuple
    (:func:`.compiled.problem` and :func:`.compiled.with_scratch`: data, sizes, codes, masks, and
    the scratch z (m,), H, DH, B (SB, m), out (K,), G (SB, K)), taken whole so that each call site
    passes six arguments rather than twenty-six; each kernel takes out only the fields it uses (each
    array taken out of a tuple is reference-counted, atomically, at every call). Samples are
    processed in blocks of SB: forward and loss per sample, then each gradient row is updated once
    per block.
    """
    X, yr, yc = P[0], P[1], P[2]
    K, m, d, has_c, act, slope, scale, loss, red, tr_a, tr_W, tr_c = P[3:15]
    z, H, DH, B, out, G = P[17:23]
    aT, WT, c = V
    gaT, gWT, gc = GV
    r = _reduction(red, nrows)
    total = 0.0
    for i0 in range(0, nrows, SB):
        sb = min(SB, nrows - i0)
        for s in range(sb):
            i = rows[r0 + i0 + s]
            if K == 1 and d <= 2 and not _piecewise_linear(act):
                out[0] = scale * _forward_narrow(WT, c, X, i, m, d, has_c, act, H, DH, s, aT)
            else:
                _preactivation(z, WT, c, X, i, m, d, has_c)
                _activate(z, H, DH, s, m, act, slope)
                for kk in range(K):  # f = s a^T h
                    acc = 0.0
                    for j in range(m):
                        acc += aT[kk, j] * H[s, j]
                    out[kk] = scale * acc
            ell = _loss_row(out, yr, yc, i, K, loss, G, s)
            total += ell
            for kk in range(K):
                G[s, kk] *= r * scale
            if tr_W or tr_c:  # B[s, j] = (sum_k G_k a_jk) sigma'(z_j)
                g0 = G[s, 0]
                if K == 1:
                    for j in range(m):
                        B[s, j] = g0 * aT[0, j] * DH[s, j]
                else:
                    for j in range(m):
                        B[s, j] = g0 * aT[0, j]
                    for kk in range(1, K):
                        gk = G[s, kk]
                        for j in range(m):
                            B[s, j] += gk * aT[kk, j]
                    for j in range(m):
                        B[s, j] *= DH[s, j]
        i_0 = rows[r0 + i0]
        i_1 = rows[r0 + i0 + min(1, sb - 1)]
        i_2 = rows[r0 + i0 + min(2, sb - 1)]
        i_3 = rows[r0 + i0 + min(3, sb - 1)]
        if tr_a:
            for kk in range(K):
                _accumulate(gaT, kk, H, G[0, kk], G[min(1, sb - 1), kk], G[min(2, sb - 1), kk],
                            G[min(3, sb - 1), kk], sb, m)
        if tr_W:
            for k in range(d):
                _accumulate(gWT, k, B, X[i_0, k], X[i_1, k], X[i_2, k], X[i_3, k], sb, m)
        if tr_c:
            _accumulate(gc, np.int64(0), B, 1.0, 1.0, 1.0, 1.0, sb, m)  # not the literal 0: a second compilation
    return r * total


@helper(fastmath=FAST, inline="always")
def _pl_rows(aT, c, gaT, gc, Zb, Bb, yr, rows, start, nb, m, has_c, lo, scale, loss, r, tr_a, tr_c):
    """The per-sample part of :func:`loss_grad_blocked` for one output and a piecewise-linear
    activation: from the pre-activations Zb (without c), the loss of rows[start:start+nb], d a and
    d c, and Bb[s, j] = g_s a_j sigma'(z_sj). Two passes over four rows at a time (a block of fewer
    rows is padded with its first row at zero weight; its B rows are not written), sigma recomputed."""
    fa = 1.0 if tr_a else 0.0
    gcs = gc if tr_c else np.zeros((1, m))
    total = 0.0
    for s0 in range(0, nb, 4):
        cnt = min(4, nb - s0)
        s1, s2, s3 = s0 + (1 if cnt > 1 else 0), s0 + (2 if cnt > 2 else 0), s0 + (3 if cnt > 3 else 0)
        z0, z1, z2, z3 = Zb[s0], Zb[s1], Zb[s2], Zb[s3]
        f0 = f1 = f2 = f3 = 0.0
        for j in range(m):
            cj = c[0, j] if has_c else 0.0
            aj = aT[0, j]
            v0, v1, v2, v3 = z0[j] + cj, z1[j] + cj, z2[j] + cj, z3[j] + cj
            f0 += aj * (v0 if v0 > 0.0 else lo * v0)
            f1 += aj * (v1 if v1 > 0.0 else lo * v1)
            f2 += aj * (v2 if v2 > 0.0 else lo * v2)
            f3 += aj * (v3 if v3 > 0.0 else lo * v3)
        total, g0, g1, g2, g3 = _lane_losses(total, cnt, f0, f1, f2, f3, yr[rows[start + s0], 0],
                                             yr[rows[start + s1], 0], yr[rows[start + s2], 0],
                                             yr[rows[start + s3], 0], loss, scale, r)
        b0, b1, b2, b3 = Bb[s0], Bb[s1], Bb[s2], Bb[s3]
        for j in range(m):      # unconditional stores (see _pl_grad); gcs is gc or a scratch row
            cj = c[0, j] if has_c else 0.0
            aj = aT[0, j]
            v0, v1, v2, v3 = z0[j] + cj, z1[j] + cj, z2[j] + cj, z3[j] + cj
            d0, d1, d2, d3, da = _lane_slopes(v0, v1, v2, v3, g0, g1, g2, g3, lo)
            gaT[0, j] += da * fa
            e0, e1, e2, e3 = g0 * aj * d0, g1 * aj * d1, g2 * aj * d2, g3 * aj * d3
            b3[j] = e3                   # padded rows alias row s0: write it last
            b2[j] = e2
            b1[j] = e1
            b0[j] = e0
            gcs[0, j] += e0 + e1 + e2 + e3
    return total


@helper(fastmath=FAST, inline="always")
def _rows(aT, c, gaT, gc, Zb, Bb, yr, yc, rows, start, nb, K, m, has_c, act, slope, scale, loss, r, tr_a, tr_c,
          H, DH, out, G):
    """The per-sample part of :func:`loss_grad_blocked` for any activation and K outputs: from the
    pre-activations Zb (without c; c is added in place), the loss of rows[start:start+nb], d a, d c
    and Bb[s, j] = (sum_k G_sk a_jk) sigma'(z_sj)."""
    total = 0.0
    for s in range(nb):
        i = rows[start + s]
        zrow = Zb[s]
        if has_c:
            for j in range(m):
                zrow[j] += c[0, j]
        _activate(zrow, H, DH, 0, m, act, slope)
        for kk in range(K):
            acc = 0.0
            for j in range(m):
                acc += aT[kk, j] * H[0, j]
            out[kk] = scale * acc
        total += _loss_row(out, yr, yc, i, K, loss, G, 0)
        for kk in range(K):
            G[0, kk] *= r * scale
        if K == 1:  # one fused pass: d a += g h, B = g a sigma'(z)
            g0 = G[0, 0]
            if tr_a:
                for j in range(m):
                    gaT[0, j] += g0 * H[0, j]
                    Bb[s, j] = g0 * aT[0, j] * DH[0, j]
            else:
                for j in range(m):
                    Bb[s, j] = g0 * aT[0, j] * DH[0, j]
        else:
            for j in range(m):
                Bb[s, j] = 0.0
            for kk in range(K):
                gk = G[0, kk]
                if tr_a:
                    for j in range(m):
                        gaT[kk, j] += gk * H[0, j]
                for j in range(m):
                    Bb[s, j] += gk * aT[kk, j]
            for j in range(m):
                Bb[s, j] *= DH[0, j]
        if tr_c:
            for j in range(m):
                gc[0, j] += Bb[s, j]
    return total


@helper(fastmath=FAST)
def loss_grad_blocked(V, GV, P, rows, r0, nrows):
    """:func:`loss_grad` (with the gradient) for wide inputs: blocks of GB samples go through two
    matrix products, Z = X_b W^T and d W^T += X_b^T B_b (BLAS), and the rest per sample as there.

    Scratch: Xg (GB, d) the gathered rows, Zg and Bg (GB, m), GWs (d, m); H, DH, out, G as in
    :func:`loss_grad` (only their first row is used). Same sums in another order: results agree
    with :func:`loss_grad` to rounding.
    """
    X, yr, yc = P[0], P[1], P[2]
    K, m, d, has_c, act, slope, scale, loss, red, tr_a, tr_W, tr_c = P[3:15]
    H, DH, out, G, Xg, Zg, Bg, GWs = P[18], P[19], P[21], P[22], P[23], P[24], P[25], P[26]
    aT, WT, c = V
    gaT, gWT, gc = GV
    r = _reduction(red, nrows)
    total = 0.0
    for i0 in range(0, nrows, GB):
        nb = min(GB, nrows - i0)
        for s in range(nb):
            i = rows[r0 + i0 + s]
            for k in range(d):
                Xg[s, k] = X[i, k]
        Xb, Zb, Bb = Xg[:nb], Zg[:nb], Bg[:nb]
        np.dot(Xb, WT, Zb)
        if K == 1 and _piecewise_linear(act):
            total += _pl_rows(aT, c, gaT, gc, Zb, Bb, yr, rows, r0 + i0, nb, m, has_c, _pl_low_slope(act, slope),
                              scale, loss, r, tr_a, tr_c)
        else:
            total += _rows(aT, c, gaT, gc, Zb, Bb, yr, yc, rows, r0 + i0, nb, K, m, has_c, act, slope, scale, loss,
                           r, tr_a, tr_c, H, DH, out, G)
        if tr_W:
            np.dot(Xb.T, Bb, GWs)
            for k in range(d):
                for j in range(m):
                    gWT[k, j] += GWs[k, j]
    return r * total


@helper(fastmath=FAST, inline="always")
def _finite(loss, g):
    """loss and every g[p] finite: x * 0 is 0 for finite x and NaN for NaN or inf."""
    s = loss * 0.0
    for p in range(g.shape[0]):
        s += g[p] * 0.0
    return s == 0.0


@helper(fastmath=FAST, inline="always")
def _penalty(theta, mask, wd):
    if wd == 0.0:
        return 0.0
    s = 0.0
    for p in range(theta.shape[0]):
        if mask[p]:
            s += theta[p] * theta[p]
    return 0.5 * wd * s


@helper(fastmath=FAST, inline="always")
def _norm(g):
    s = 0.0
    for p in range(g.shape[0]):
        s += g[p] * g[p]
    return math.sqrt(s)


@helper(inline="always")
def _objective(theta, g, V, GV, P, rows, r0, nrows, pl, blocked, general):
    """Training loss on rows and the gradient g of the full objective (weight decay added);
    V and GV are the views of theta and g.

    The path markers ``pl``, ``blocked``, ``general`` (see :data:`PATHS`) are True for the path the
    run takes and None for the others: Numba drops a branch on a None argument before compiling, so
    a kind of run compiles its own path only. Inlined at the test-loss sites of :func:`run_discrete`
    and :func:`run_flow` (a call of its own would be one more level of linked code, see
    :func:`_record`). Their training sites write it out instead: inlined, it binds its ~23 array
    arguments, and the loss kernel's call (whose error-status path keeps Numba's reference-count
    pruning away) left that many atomic NRT_incref/decref pairs in every evaluation, ~30% of a tiny
    network's gradient-flow evaluation."""
    for p in range(g.shape[0]):
        g[p] = 0.0
    val = np.nan
    if pl is not None:
        val = loss_grad_pl(V, GV, P, rows, r0, nrows)
    if blocked is not None:
        val = loss_grad_blocked(V, GV, P, rows, r0, nrows)
    if general is not None:
        val = loss_grad(V, GV, P, rows, r0, nrows)
    if P[16] != 0.0:    # weight decay P[16] on the trainable coordinates P[15]
        _add_decay(g, theta, P[15], P[16])
    return val


@helper(fastmath=FAST)
def _add_decay(g, theta, mask, wd):
    """g += wd theta on the trainable coordinates (a call of its own keeps it out of inlined loops)."""
    for p in range(theta.shape[0]):
        if mask[p]:
            g[p] += wd * theta[p]


@helper(fastmath=FAST)
def _smooth_narrow(V, GV, X, yr, rows, r0, nrows, m, d, has_c, act, scale, loss, r, tr_a, tr_W, tr_c, H, DH):
    """Loss and gradient (added into GV) for one output, d <= 2 and a smooth activation: per sample one
    fused forward pass storing sigma and sigma' in H[0], DH[0], then one gradient pass."""
    aT, WT, c = V
    gaT, gWT, gc = GV
    r1, f1 = (1, 1.0) if d > 1 else (0, 0.0)    # with d = 1 the second row is the first, and gets + 0
    total = 0.0
    for q in range(nrows):
        i = rows[r0 + q]
        ell, dl = _loss_scalar(scale * _forward_narrow(WT, c, X, i, m, d, has_c, act, H, DH, 0, aT),
                               yr[i, 0], loss)
        total += ell
        g0 = dl * r * scale
        x0 = X[i, 0]
        x1 = X[i, 1] if d > 1 else 0.0
        if tr_a:
            for j in range(m):
                gaT[0, j] += g0 * H[0, j]
        if tr_W:         # unconditional stores inside the loop (see _pl_grad)
            for j in range(m):
                bj = g0 * aT[0, j] * DH[0, j]
                gWT[0, j] += x0 * bj
                gWT[r1, j] += x1 * bj * f1
        if tr_c:
            for j in range(m):
                gc[0, j] += g0 * aT[0, j] * DH[0, j]
    return r * total


@helper(fastmath=FAST)
def _loss_narrow(V, X, yr, rows, nrows, m, d, has_c, act, scale, loss, red, H, DH):
    """Data loss alone (no gradient) for one output, d <= 2 and a smooth activation, by the fused
    forward pass."""
    aT, WT, c = V
    total = 0.0
    for q in range(nrows):
        i = rows[q]
        ell, dl = _loss_scalar(scale * _forward_narrow(WT, c, X, i, m, d, has_c, act, H, DH, 0, aT),
                               yr[i, 0], loss)
        total += ell
    return _reduction(red, nrows) * total


@helper(fastmath=FAST)
def _pl_loss(V, X, yr, nrows, m, d, has_c, lo, scale, loss, r):
    """Data loss alone over samples 0..nrows-1 for one output, d <= 2 and a piecewise-linear
    activation (see :func:`_pl_grad`)."""
    aT, WT, c = V
    r1 = 1 if d > 1 else 0
    total = 0.0
    for i in range(nrows):
        p, q = X[i, 0], X[i, r1] * r1
        f = 0.0
        for j in range(m):
            v = (c[0, j] if has_c else 0.0) + p * WT[0, j] + q * WT[r1, j]
            f += aT[0, j] * (v if v > 0.0 else lo * v)
        total += _loss_scalar(scale * f, yr[i, 0], loss)[0]
    return r * total


@helper(fastmath=FAST)   # as the narrow loop that calls it
def _test_loss_narrow(V, PT, trows, lo, pl, smooth):
    """The test loss of the narrow step loop (PT, trows as in :func:`run_discrete`), by a loss-only
    pass: :func:`_pl_loss` for piecewise-linear activations (``lo`` the slope for v <= 0), else
    :func:`_loss_narrow`; pl, smooth: the path markers of :func:`run_gd_narrow`. Not inlined: Numba
    drops a branch on a None argument of the function it compiles, before inlining."""
    Xt, yr = PT[0], PT[1]
    m, d, has_c, act = PT[4:8]
    scale, loss, red = PT[9:12]
    H, DH = PT[18], PT[19]
    nt = trows.shape[0]
    val = np.nan
    if pl is not None:
        val = _pl_loss(V, Xt, yr, nt, m, d, has_c, lo, scale, loss, _reduction(red, nt))
    if smooth is not None:
        val = _loss_narrow(V, Xt, yr, trows, nt, m, d, has_c, act, scale, loss, red, H, DH)
    return val


@helper(fastmath=FAST)
def _record(i, step, time, theta, loss, test, g, mask, wd, rec, snaps):
    """Record point i in column i of ``rec`` (6, points): step, time, loss, objective, gradient norm
    and the test loss ``test`` (NaN without a test set); and a snapshot in row i of ``snaps``. One
    array rather than six: each array argument of an entry point costs its CPython wrapper an
    unboxing and every exit a release, compiled in every kind.

    The callers evaluate the test loss themselves (:func:`_test_loss_narrow` in the narrow loop):
    every compiled function that calls another links the callee's code in, and LLVM optimises and
    compiles the linked whole again, so a record that called the objective cost one more pass over
    the objective's code (1-2 s of each kind's compilation)."""
    rec[0, i] = step
    rec[1, i] = time
    rec[2, i] = loss
    rec[3, i] = loss + _penalty(theta, mask, wd)
    rec[4, i] = _norm(g)
    rec[5, i] = test
    if snaps.shape[0] > 0:
        for p in range(theta.shape[0]):    # a loop, not snaps[i, :] = theta, whose shape-mismatch
            snaps[i, p] = theta[p]          # error message costs ~1.5 s of compilation


@entry(fastmath=FAST)  # FAST: the inlined objectives take the caller's flags
def run_discrete(theta, P, Xt, yrt, yct, trows, gt, has_test, opt, lr, mom, b1, b2, eps, batch, order, t0, t1,
                 steps, record_at, s1, s2, prev, state, rec, snaps, pl, blocked, general):
    """Steps t0 .. t1-1 of a run of ``steps`` updates (and the final record when t1 == steps).

    opt: 0 heavy ball (GD/SGD, momentum ``mom``), 1 Adam. batch: 0 for full batch, else the
    minibatch size over the (epochs, n) sample ``order``. ``state`` = [last finite loss,
    next record index, status, step]; returns the status (OK or DIVERGED at state[3]).
    Xt, yrt, yct, trows, gt, has_test: the test inputs, real and class labels (as P[0:3]), the test
    rows 0..nt-1, a scratch gradient, and whether there is a test set (:func:`.compiled.test_tuple`;
    without one, the training data and no rows). The kernel makes the test problem tuple
    PT = (Xt, yrt, yct) + P[3:] itself: passed whole, its 27 items took ~700 of the CPython
    wrapper's ~1,700 unboxing instructions, compiled in every kind. Separate arguments rather than
    one tuple that each kernel would unpack: every copy of a tuple of arrays is reference-counted,
    array by array, and costs compilation. pl, blocked, general: the path markers of
    :func:`_objective`.
    """
    PT = (Xt, yrt, yct) + P[3:]
    X = P[0]
    n = X.shape[0]
    allrows = np.arange(n)
    oflat = order.reshape(-1)  # flat, so that a minibatch is an offset rather than a view
    g = np.zeros_like(theta)
    V, GV = views(theta, P[3], P[4], P[5]), views(g, P[3], P[4], P[5])
    GT = views(gt, P[3], P[4], P[5])
    k = int(state[1])
    per_epoch = (n + batch - 1) // batch if batch > 0 else 1
    loss = np.nan
    status = OK    # one return, at the end (see run_flow)
    for t in range(t0, t1 + 1):
        if t == t1 and t1 < steps:
            break
        recorded = k < record_at.shape[0] and record_at[k] == t
        # phase 0: the full-batch evaluation a record needs; phase 1: the step's own (reusing
        # phase 0's for full-batch steps). One call site keeps the compiled loop small.
        for phase in range(2):
            if phase == 0 and not recorded:
                continue
            if phase == 1 and (t == steps or (batch == 0 and recorded)):
                break
            rows, r0, nrows = allrows, 0, n
            if phase == 1 and batch > 0:
                e = t // per_epoch
                start = (t - e * per_epoch) * batch
                rows, r0, nrows = oflat, e * order.shape[1] + start, min(start + batch, n) - start
            # _objective written out: inlined, it would bind its ~23 array arguments on every step
            # (atomic reference-count pairs that the loss kernel's call keeps Numba from pruning)
            for p in range(g.shape[0]):
                g[p] = 0.0
            if pl is not None:
                loss = loss_grad_pl(V, GV, P, rows, r0, nrows)
            if blocked is not None:
                loss = loss_grad_blocked(V, GV, P, rows, r0, nrows)
            if general is not None:
                loss = loss_grad(V, GV, P, rows, r0, nrows)
            if P[16] != 0.0:
                _add_decay(g, theta, P[15], P[16])
            if not _finite(loss, g):
                state[2], state[3] = DIVERGED, t
                status = DIVERGED
                break
            if phase == 0:
                test = np.nan
                if has_test:
                    test = _objective(theta, gt, V, GT, PT, trows, np.int64(0), trows.shape[0], pl, blocked,
                                      general)
                _record(k, t, lr * t, theta, loss, test, g, P[15], P[16], rec, snaps)
                k += 1
                state[1] = k
        if status != OK or t == steps:
            break
        state[0] = loss
        if opt == 0:
            if mom == 0.0:
                for p in range(theta.shape[0]):
                    prev[p] = theta[p]
                    theta[p] += -lr * g[p]
            else:
                for p in range(theta.shape[0]):
                    prev[p] = theta[p]
                    s1[p] = mom * s1[p] + g[p]
                    theta[p] += -lr * s1[p]
        else:
            c1 = 1.0 - b1 ** (t + 1)
            c2 = 1.0 - b2 ** (t + 1)
            for p in range(theta.shape[0]):
                prev[p] = theta[p]
                s1[p] = b1 * s1[p] + (1.0 - b1) * g[p]
                s2[p] = b2 * s2[p] + (1.0 - b2) * g[p] * g[p]
                theta[p] += -lr * (s1[p] / c1) / (math.sqrt(s2[p] / c2) + eps)
    return status


@entry()
def narrow_full_batch(K, d, n, m):
    """Whether full-batch GD runs in :func:`run_gd_narrow`: one output, d <= 2, n m <= NARROW_WORK."""
    return K == 1 and d <= 2 and n * m <= NARROW_WORK


@entry(fastmath=FAST)  # FAST: the inlined objectives take the caller's flags
def run_gd_narrow(theta, P, Xt, yrt, yct, trows, gt, has_test, lr, t0, t1, steps, record_at, prev, state,
                  rec, snaps, pl, smooth):
    """:func:`run_discrete` for full-batch GD without momentum on a narrow problem (one output,
    d <= 2, n m <= NARROW_WORK): the same steps and records in a loop small enough for the compiler
    to keep a tiny network's step in registers. Xt, yrt, yct, trows, gt, has_test: the test problem, as in
    :func:`run_discrete` (a run-time argument: the loop with and without a test set is one kind;
    gt is unused, the test loss is a loss-only pass). pl, smooth: the path markers, True for the run's
    path and None for the other: :func:`_pl_grad` for piecewise-linear activations (inlined), else
    one fused forward pass and one gradient pass per sample (:func:`_smooth_narrow`)."""
    (X, yr, yc, K, m, d, has_c, act, slope, scale, lossc, red, tr_a, tr_W, tr_c, mask, wd,
     z, H, DH, b, out, G, Xg, Zg, Bg, GWs) = P
    PT = (Xt, yrt, yct) + P[3:]
    n = X.shape[0]
    allrows = np.arange(n)
    lo, r = _pl_low_slope(act, slope), _reduction(red, n)
    g = np.zeros_like(theta)
    V, GV = views(theta, 1, m, d), views(g, 1, m, d)
    k = int(state[1])
    nrec = record_at.shape[0]
    for t in range(t0, t1 + 1):
        if t == t1 and t1 < steps:
            break
        # The path is chosen here, on this function's own marker arguments, so that Numba prunes the
        # other one before it inlines _pl_grad (inlining it into the smooth kinds and pruning it
        # afterwards cost ~4 s of their compilation). g is zero here (the update pass zeroes it).
        loss = np.nan
        if pl is not None:     # inlined, so that a tiny network's step stays in registers
            loss = _pl_grad(V, GV, X, yr, allrows, 0, n, m, d, has_c, lo, scale, lossc, r, tr_a, tr_W, tr_c)
        if smooth is not None:
            loss = _smooth_narrow(V, GV, X, yr, allrows, 0, n, m, d, has_c, act, scale, lossc, r, tr_a, tr_W,
                                  tr_c, H, DH)
        if wd != 0.0:
            _add_decay(g, theta, mask, wd)
        if not _finite(loss, g):
            state[2], state[3] = DIVERGED, t
            return DIVERGED
        if k < nrec and record_at[k] == t:
            test = _test_loss_narrow(V, PT, trows, lo, pl, smooth) if has_test else np.nan
            _record(k, t, lr * t, theta, loss, test, g, mask, wd, rec, snaps)
            k += 1
            state[1] = k
        if t == steps:
            break
        state[0] = loss
        for p in range(theta.shape[0]):
            prev[p] = theta[p]
            theta[p] -= lr * g[p]
            g[p] = 0.0
    return OK


# -- gradient flow: Dormand-Prince 5(4) with dense output ----------------------------------------
# (the stage times c_i are not needed: gradient flow is autonomous)
_B = np.array([35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84])
# rows 1-5: the stages; row 6 = _B: the seventh stage is the new point (first same as last)
_A = np.array([[0, 0, 0, 0, 0, 0],
               [1 / 5, 0, 0, 0, 0, 0],
               [3 / 40, 9 / 40, 0, 0, 0, 0],
               [44 / 45, -56 / 15, 32 / 9, 0, 0, 0],
               [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729, 0, 0],
               [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656, 0],
               list(_B)])
_E = np.array([-71 / 57600, 0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40])
_P = np.array([
    [1, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
    [0, 0, 0, 0],
    [0, 131558114200 / 32700410799, -68118460800 / 10900136933, 87487479700 / 32700410799],
    [0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
    [0, 127303824393 / 49829197408, -318862633887 / 49829197408, 701980252875 / 199316789632],
    [0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
    [0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423]])


@helper()
def _rms_scaled(v, y0, y1, rtol, atol):
    s = 0.0
    for p in range(v.shape[0]):
        sc = atol + rtol * max(abs(y0[p]), abs(y1[p]))
        q = v[p] / sc
        s += q * q
    return math.sqrt(s / max(v.shape[0], 1))


# The phases of :func:`run_flow`'s integrator: what the point just evaluated was for.
_START, _FIRST_STEP, _STAGE, _DENSE = 0, 1, 2, 3


@helper(fastmath=FAST, inline="always")
def _stage_point(tmp, theta, Ks, h, s):
    """tmp = theta + h sum_{q < s} A[s, q] K_q: the point of Runge-Kutta stage s."""
    for p in range(theta.shape[0]):
        acc = 0.0
        for q in range(s):
            acc += _A[s, q] * Ks[q, p]
        tmp[p] = theta[p] + h * acc


@helper(fastmath=FAST, inline="always")
def _dense_point(tmp, theta, Ks, h, x):
    """tmp = theta + h sum_q K_q b_q(x): the quartic dense output at the fraction x of the step."""
    for p in range(theta.shape[0]):
        acc = 0.0
        for q in range(7):
            acc += Ks[q, p] * (_P[q, 0] * x + _P[q, 1] * x * x + _P[q, 2] * x ** 3 + _P[q, 3] * x ** 4)
        tmp[p] = theta[p] + h * acc


@entry()
def run_flow(theta, P, Xt, yrt, yct, trows, gt, has_test, t_max, rtol, atol, max_step, max_evals, record_at, prev,
             state, rec, snaps, evals_stop, pl, blocked, general):
    """Integrate d theta/dt = -grad L from the time in state[4] to t_max by the Dormand-Prince 5(4)
    pair with its quartic dense output (as scipy's RK45), returning early after the first accepted
    step that brings the evaluation count to ``evals_stop`` (one call of a run cut into several:
    the steps, and so the numbers, do not depend on where it is cut).
    Xt, yrt, yct, trows, gt, has_test (the test problem) and the path markers pl, blocked, general: as
    in :func:`run_discrete`.

    state = [last loss, next record index, status, evaluations, time, step size]. Records at
    ``record_at`` from the dense output. Status: OK, DIVERGED (non-finite gradient) or STALLED
    (more than ``max_evals`` evaluations).

    The integrator is a loop around one evaluation of the objective at ``tmp``, followed by what
    that point was for (``phase``: the start, the initial step size's probe, a stage, or a dense
    output point to record). One call site lets the objective be inlined once, with no function of
    its own between this loop and the loss kernel: each such level has LLVM optimise and compile
    the loss kernel once more (about 1 s of a flow kind's compilation).
    """
    PT = (Xt, yrt, yct) + P[3:]
    X = P[0]
    n = X.shape[0]
    rows = np.arange(n)
    r0 = np.int64(0)    # not the literal 0: that would compile the objectives once more
    N = theta.shape[0]
    Ks = np.zeros((7, N))
    g = np.zeros(N)
    ynew = np.zeros(N)
    tmp = np.zeros(N)
    err = np.zeros(N)
    Kout, m, d = P[3], P[4], P[5]
    Vtmp, Gg = views(tmp, Kout, m, d), views(g, Kout, m, d)
    GT, nt = views(gt, Kout, m, d), trows.shape[0]
    nrec = record_at.shape[0]
    k = int(state[1])
    evals = int(state[3])
    t = state[4]
    h = state[5]
    # One return, at the end: Numba releases every array the function holds at each return, and
    # each early return cost ~500 instructions of compiled code.
    status = OK
    loss = lnew = en = h0 = d1 = np.nan
    s = 0
    rejected = accepted = False
    phase = _START
    for p in range(N):
        tmp[p] = theta[p]
    while True:
        # _objective written out (see run_discrete)
        for p in range(N):
            g[p] = 0.0
        val = np.nan
        if pl is not None:
            val = loss_grad_pl(Vtmp, Gg, P, rows, r0, n)
        if blocked is not None:
            val = loss_grad_blocked(Vtmp, Gg, P, rows, r0, n)
        if general is not None:
            val = loss_grad(Vtmp, Gg, P, rows, r0, n)
        if P[16] != 0.0:
            _add_decay(g, tmp, P[15], P[16])
        test = np.nan
        if has_test and (phase == _DENSE or (phase == _START and k < nrec and record_at[k] <= t)):
            test = _objective(tmp, gt, Vtmp, GT, PT, trows, r0, nt, pl, blocked, general)
        if phase == _FIRST_STEP or phase == _STAGE or (phase == _START and t == 0.0):
            evals += 1    # a resumed run re-evaluates its last accepted point, and records are free
        if phase == _START:
            loss = val
            if not _finite(val, g):
                status = DIVERGED
                break
            for p in range(N):
                Ks[0, p] = -g[p]
            while k < nrec and record_at[k] <= t:
                _record(k, evals, record_at[k], theta, loss, test, g, P[15], P[16], rec, snaps)
                k += 1
            if h <= 0.0:  # initial step as in Hairer, Norsett and Wanner (scipy's select_initial_step)
                d0 = _rms_scaled(theta, theta, theta, rtol, atol)
                d1 = _rms_scaled(Ks[0], theta, theta, rtol, atol)
                h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
                for p in range(N):
                    tmp[p] = theta[p] + h0 * Ks[0, p]
                phase = _FIRST_STEP
                continue
        elif phase == _FIRST_STEP:    # d1 from the start
            for p in range(N):
                err[p] = (-g[p] - Ks[0, p]) / h0
            d2 = _rms_scaled(err, theta, theta, rtol, atol)
            if d1 <= 1e-15 and d2 <= 1e-15:
                h1 = max(1e-6, h0 * 1e-3)
            else:
                h1 = (0.01 / max(d1, d2)) ** 0.2
            h = min(100 * h0, h1)
        elif phase == _STAGE:
            if not _finite(val, g):    # a failed step: shrink h; a genuine blow-up ends here
                h *= 0.25
                rejected = True
                if h < 1e-14 * max(1.0, abs(t)):
                    status = DIVERGED
                    break
            else:
                lnew = val
                for p in range(N):
                    Ks[s, p] = -g[p]
                if s < 6:    # stages 1-5; stage 6 is the new point
                    s += 1
                    _stage_point(tmp, theta, Ks, h, s)
                    continue
                for p in range(N):
                    ynew[p] = tmp[p]
                for p in range(N):
                    acc = 0.0
                    for q in range(7):
                        acc += _E[q] * Ks[q, p]
                    err[p] = h * acc
                en = _rms_scaled(err, theta, ynew, rtol, atol)
                accepted = en < 1.0
                if not accepted:
                    h *= max(0.2, 0.9 * en ** -0.2)
                    rejected = True
        else:    # _DENSE: record the requested time at tmp
            _record(k, evals, record_at[k], tmp, val, test, g, P[15], P[16], rec, snaps)
            k += 1
        if accepted:
            if k < nrec and record_at[k] <= t + h:    # the requested times inside (t, t + h]
                _dense_point(tmp, theta, Ks, h, (record_at[k] - t) / h)
                phase = _DENSE
                continue
            for p in range(N):
                prev[p] = theta[p]
                theta[p] = ynew[p]
            state[0] = loss
            loss = lnew
            t = t + h
            for p in range(N):
                Ks[0, p] = Ks[6, p]
            grow = 10.0 if en == 0.0 else min(10.0, 0.9 * en ** -0.2)
            h *= min(1.0, grow) if rejected else grow  # no growth right after a rejection
            rejected = accepted = False
        # the next step, from theta at time t
        if t >= t_max:
            break
        if evals >= evals_stop and not rejected and t > 0.0:  # state holds all a resumed call needs
            break
        if evals > max_evals:
            status = STALLED
            break
        h = min(h, max_step, t_max - t)
        s = 1
        _stage_point(tmp, theta, Ks, h, s)
        phase = _STAGE
    if status == OK:
        state[0] = loss
    state[1], state[2], state[3], state[4], state[5] = k, status, evals, t, h
    return status

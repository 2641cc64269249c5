"""Numba kernels of the compiled engine: the same mathematics as :mod:`.reference`, as whole-run Numba loops.

Internal layout: one flat vector ``theta = [a^T (K, m), W^T (d, m), c (m)]`` -- weights stored
transposed so that every inner loop runs over neurons, contiguous and branch-free. A step walks
the (mini)batch sample by sample: ``z = W^T x + c``, ``h = sigma(z)``, ``f = s a^T h``, then the
loss derivative G and the gradient contributions ``s G h`` (a), ``x (s a G * sigma'(z))`` (W, c).
Recording, weight decay, frozen layers, momentum and Adam all happen inside the compiled loop.

The functions here take plain arrays and integer codes; :mod:`.compiled` prepares them.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

ACT = {"relu": 0, "leaky_relu": 1, "sigmoid": 2, "tanh": 3, "identity": 4}
LOSS = {"square": 0, "logistic": 1, "exponential": 2, "cross_entropy": 3}
RED = {"mean": 0, "half_mean": 1, "sum": 2}
DIVERGED, STALLED, OK = 1, 2, 0


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


# -- one evaluation of the loss and its gradient -------------------------------------------------
@njit(cache=True, inline="always")
def _expit(v):
    if v >= 0.0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


@njit(cache=True, inline="always")
def _activate(z, h, dh, act, slope):
    m = z.shape[0]
    if act == 0:
        for j in range(m):
            v = z[j]
            h[j] = v if v > 0.0 else 0.0
            dh[j] = 1.0 if v > 0.0 else 0.0
    elif act == 1:
        for j in range(m):
            v = z[j]
            h[j] = v if v > 0.0 else slope * v
            dh[j] = 1.0 if v > 0.0 else slope
    elif act == 2:
        for j in range(m):
            s = _expit(z[j])
            h[j] = s
            dh[j] = s * (1.0 - s)
    elif act == 3:
        for j in range(m):
            t = math.tanh(z[j])
            h[j] = t
            dh[j] = 1.0 - t * t
    else:
        for j in range(m):
            h[j] = z[j]
            dh[j] = 1.0


@njit(cache=True)
def loss_grad(theta, g, X, yr, yc, rows, nrows, K, m, d, has_c, act, slope, scale, loss, red,
              tr_a, tr_W, tr_c, want_grad, z, h, dh, b, out, G):
    """Data loss r * sum_i ell_i on ``rows[:nrows]``; with ``want_grad`` also its gradient into g
    (g is zeroed first; frozen layers stay 0)."""
    na, nw = K * m, d * m
    aT = theta[0:na].reshape((K, m))
    WT = theta[na:na + nw].reshape((d, m))
    if want_grad:
        g[:] = 0.0
    gaT = g[0:na].reshape((K, m))
    gWT = g[na:na + nw].reshape((d, m))
    r = 1.0 / nrows if red == 0 else (0.5 / nrows if red == 1 else 1.0)
    total = 0.0
    for ii in range(nrows):
        i = rows[ii]
        if has_c:
            for j in range(m):
                z[j] = theta[na + nw + j]
        else:
            z[:] = 0.0
        for k in range(d):
            xik = X[i, k]
            for j in range(m):
                z[j] += xik * WT[k, j]
        _activate(z, h, dh, act, slope)
        for kk in range(K):
            s = 0.0
            for j in range(m):
                s += aT[kk, j] * h[j]
            out[kk] = scale * s
        ell = 0.0
        if loss == 0:
            for kk in range(K):
                res = out[kk] - yr[i, kk]
                ell += res * res
                G[kk] = 2.0 * res
        elif loss == 1:
            yv = yr[i, 0]
            v = -yv * out[0]
            ell = max(v, 0.0) + math.log1p(math.exp(-abs(v)))
            G[0] = -yv * _expit(v)
        elif loss == 2:
            yv = yr[i, 0]
            e = math.exp(-yv * out[0])
            ell = e
            G[0] = -yv * e
        else:
            mx = out[0]
            for kk in range(1, K):
                mx = max(mx, out[kk])
            s = 0.0
            for kk in range(K):
                s += math.exp(out[kk] - mx)
            lse = mx + math.log(s)
            ell = lse - out[yc[i]]
            for kk in range(K):
                G[kk] = math.exp(out[kk] - lse) - (1.0 if kk == yc[i] else 0.0)
        total += ell
        if not want_grad:
            continue
        for kk in range(K):
            G[kk] *= r * scale
        if tr_a:
            for kk in range(K):
                gk = G[kk]
                for j in range(m):
                    gaT[kk, j] += gk * h[j]
        if tr_W or tr_c:
            b[:] = 0.0
            for kk in range(K):
                gk = G[kk]
                for j in range(m):
                    b[j] += gk * aT[kk, j]
            for j in range(m):
                b[j] *= dh[j]
            if tr_W:
                for k in range(d):
                    xik = X[i, k]
                    for j in range(m):
                        gWT[k, j] += xik * b[j]
            if tr_c:
                for j in range(m):
                    g[na + nw + j] += b[j]
    return r * total


@njit(cache=True)
def _finite(loss, g):
    if not math.isfinite(loss):
        return False
    for p in range(g.shape[0]):
        if not math.isfinite(g[p]):
            return False
    return True


@njit(cache=True)
def _penalty(theta, mask, wd):
    if wd == 0.0:
        return 0.0
    s = 0.0
    for p in range(theta.shape[0]):
        if mask[p]:
            s += theta[p] * theta[p]
    return 0.5 * wd * s


@njit(cache=True)
def _norm(g):
    s = 0.0
    for p in range(g.shape[0]):
        s += g[p] * g[p]
    return math.sqrt(s)


@njit(cache=True)
def _objective(theta, g, P, rows, nrows):
    """Training loss on rows and the gradient of the full objective (weight decay added)."""
    (X, yr, yc, K, m, d, has_c, act, slope, scale, loss, red, tr_a, tr_W, tr_c, mask, wd,
     z, h, dh, b, out, G) = P
    val = loss_grad(theta, g, X, yr, yc, rows, nrows, K, m, d, has_c, act, slope, scale, loss, red,
                    tr_a, tr_W, tr_c, True, z, h, dh, b, out, G)
    if wd != 0.0:
        for p in range(theta.shape[0]):
            if mask[p]:
                g[p] += wd * theta[p]
    return val


@njit(cache=True)
def _record(i, step, time, theta, loss, g, P, T, rec_steps, rec_times, rec_loss, rec_obj, rec_gn, rec_test, snaps):
    (Xt, ytr, ytc, has_test) = T
    (X, yr, yc, K, m, d, has_c, act, slope, scale, lossc, red, tr_a, tr_W, tr_c, mask, wd,
     z, h, dh, b, out, G) = P
    rec_steps[i] = step
    rec_times[i] = time
    rec_loss[i] = loss
    rec_obj[i] = loss + _penalty(theta, mask, wd)
    rec_gn[i] = _norm(g)
    if has_test:
        nt = Xt.shape[0]
        rec_test[i] = loss_grad(theta, g, Xt, ytr, ytc, np.arange(nt), nt, K, m, d, has_c, act, slope,
                                scale, lossc, red, tr_a, tr_W, tr_c, False, z, h, dh, b, out, G)
    if snaps.shape[0] > 0:
        snaps[i, :] = theta


@njit(cache=True)
def run_discrete(theta, P, T, opt, lr, mom, b1, b2, eps, batch, order, t0, t1, steps, record_at,
                 s1, s2, prev, state, rec_steps, rec_times, rec_loss, rec_obj, rec_gn, rec_test, snaps):
    """Steps t0 .. t1-1 of a run of ``steps`` updates (and the final record when t1 == steps).

    opt: 0 heavy ball (GD/SGD, momentum ``mom``), 1 Adam. batch: 0 for full batch, else the
    minibatch size over the (epochs, n) sample ``order``. ``state`` = [last finite loss,
    next record index, status, step]; returns the status (OK or DIVERGED at state[3]).
    """
    X = P[0]
    n = X.shape[0]
    allrows = np.arange(n)
    g = np.zeros_like(theta)
    k = int(state[1])
    per_epoch = (n + batch - 1) // batch if batch > 0 else 1
    for t in range(t0, t1 + 1):
        if t == t1 and t1 < steps:
            break
        recorded = False
        if k < record_at.shape[0] and record_at[k] == t:
            loss = _objective(theta, g, P, allrows, n)
            if not _finite(loss, g):
                state[2], state[3] = DIVERGED, t
                return DIVERGED
            _record(k, t, lr * t, theta, loss, g, P, T, rec_steps, rec_times, rec_loss, rec_obj, rec_gn, rec_test, snaps)
            k += 1
            state[1] = k
            recorded = True
        if t == steps:
            break
        if batch == 0:
            if not recorded:
                loss = _objective(theta, g, P, allrows, n)
                if not _finite(loss, g):
                    state[2], state[3] = DIVERGED, t
                    return DIVERGED
        else:
            e = t // per_epoch
            start = (t - e * per_epoch) * batch
            stop = min(start + batch, n)
            loss = _objective(theta, g, P, order[e, start:stop], stop - start)
            if not _finite(loss, g):
                state[2], state[3] = DIVERGED, t
                return DIVERGED
        state[0] = loss
        prev[:] = theta
        if opt == 0:
            if mom == 0.0:
                for p in range(theta.shape[0]):
                    theta[p] += -lr * g[p]
            else:
                for p in range(theta.shape[0]):
                    s1[p] = mom * s1[p] + g[p]
                    theta[p] += -lr * s1[p]
        else:
            c1 = 1.0 - b1 ** (t + 1)
            c2 = 1.0 - b2 ** (t + 1)
            for p in range(theta.shape[0]):
                s1[p] = b1 * s1[p] + (1.0 - b1) * g[p]
                s2[p] = b2 * s2[p] + (1.0 - b2) * g[p] * g[p]
                theta[p] += -lr * (s1[p] / c1) / (math.sqrt(s2[p] / c2) + eps)
    return OK


# -- gradient flow: Dormand-Prince 5(4) with dense output ----------------------------------------
_C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0])
_A = np.array([[0, 0, 0, 0, 0],
               [1 / 5, 0, 0, 0, 0],
               [3 / 40, 9 / 40, 0, 0, 0],
               [44 / 45, -56 / 15, 32 / 9, 0, 0],
               [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729, 0],
               [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656]])
_B = np.array([35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84])
_E = np.array([-71 / 57600, 0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40])
_P = np.array([
    [1, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
    [0, 0, 0, 0],
    [0, 131558114200 / 32700410799, -68118460800 / 10900136933, 87487479700 / 32700410799],
    [0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
    [0, 127303824393 / 49829197408, -318862633887 / 49829197408, 701980252875 / 199316789632],
    [0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
    [0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423]])


@njit(cache=True)
def _rms_scaled(v, y0, y1, rtol, atol):
    s = 0.0
    for p in range(v.shape[0]):
        sc = atol + rtol * max(abs(y0[p]), abs(y1[p]))
        q = v[p] / sc
        s += q * q
    return math.sqrt(s / max(v.shape[0], 1))


@njit(cache=True)
def run_flow(theta, P, T, t_max, rtol, atol, max_step, max_evals, record_at, prev, state,
             rec_steps, rec_times, rec_loss, rec_obj, rec_gn, rec_test, snaps, t_stop):
    """Integrate d theta/dt = -grad L from the time in state[4] to min(t_stop, t_max).

    state = [last loss, next record index, status, evaluations, time, step size]. Records at
    ``record_at`` from the dense output. Status: OK, DIVERGED (non-finite gradient) or STALLED
    (more than ``max_evals`` evaluations).
    """
    X = P[0]
    n = X.shape[0]
    rows = np.arange(n)
    N = theta.shape[0]
    Ks = np.zeros((7, N))
    g = np.zeros(N)
    ynew = np.zeros(N)
    tmp = np.zeros(N)
    err = np.zeros(N)
    k = int(state[1])
    evals = int(state[3])
    t = state[4]
    loss = _objective(theta, g, P, rows, n)
    if t == 0.0:  # a resumed run re-evaluates the last accepted point: not a new evaluation
        evals += 1
    if not _finite(loss, g):
        state[2], state[3] = DIVERGED, evals
        return DIVERGED
    for p in range(N):
        Ks[0, p] = -g[p]
    while k < record_at.shape[0] and record_at[k] <= t:
        _record(k, evals, record_at[k], theta, loss, g, P, T, rec_steps, rec_times, rec_loss, rec_obj, rec_gn, rec_test, snaps)
        k += 1
    h = state[5]
    if h <= 0.0:  # initial step as in Hairer, Norsett and Wanner (scipy's select_initial_step)
        d0 = _rms_scaled(theta, theta, theta, rtol, atol)
        d1 = _rms_scaled(Ks[0], theta, theta, rtol, atol)
        h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
        for p in range(N):
            tmp[p] = theta[p] + h0 * Ks[0, p]
        _objective(tmp, g, P, rows, n)
        evals += 1
        for p in range(N):
            err[p] = (-g[p] - Ks[0, p]) / h0
        d2 = _rms_scaled(err, theta, theta, rtol, atol)
        if d1 <= 1e-15 and d2 <= 1e-15:
            h1 = max(1e-6, h0 * 1e-3)
        else:
            h1 = (0.01 / max(d1, d2)) ** 0.2
        h = min(100 * h0, h1)
    end = min(t_stop, t_max)
    rejected = False
    while t < end:
        if evals > max_evals:
            state[1], state[3], state[4], state[5] = k, evals, t, h
            state[2] = STALLED
            return STALLED
        h = min(h, max_step, t_max - t)
        stages_ok = True
        for s in range(1, 6):
            for p in range(N):
                acc = 0.0
                for q in range(s):
                    acc += _A[s, q] * Ks[q, p]
                tmp[p] = theta[p] + h * acc
            val = _objective(tmp, g, P, rows, n)
            evals += 1
            if not _finite(val, g):
                stages_ok = False  # a failed step: shrink h; a genuine blow-up ends below
                break
            for p in range(N):
                Ks[s, p] = -g[p]
        if stages_ok:
            for p in range(N):
                acc = 0.0
                for q in range(6):
                    acc += _B[q] * Ks[q, p]
                ynew[p] = theta[p] + h * acc
            lnew = _objective(ynew, g, P, rows, n)
            evals += 1
            if _finite(lnew, g):
                for p in range(N):
                    Ks[6, p] = -g[p]
                for p in range(N):
                    acc = 0.0
                    for q in range(7):
                        acc += _E[q] * Ks[q, p]
                    err[p] = h * acc
                en = _rms_scaled(err, theta, ynew, rtol, atol)
                if en < 1.0:
                    # record the requested times inside (t, t + h] from the quartic dense output
                    while k < record_at.shape[0] and record_at[k] <= t + h:
                        x = (record_at[k] - t) / h
                        for p in range(N):
                            acc = 0.0
                            for q in range(7):
                                qk = Ks[q, p]
                                acc += qk * (_P[q, 0] * x + _P[q, 1] * x * x + _P[q, 2] * x ** 3 + _P[q, 3] * x ** 4)
                            tmp[p] = theta[p] + h * acc
                        lk = _objective(tmp, err, P, rows, n)
                        _record(k, evals, record_at[k], tmp, lk, err, P, T, rec_steps, rec_times, rec_loss,
                                rec_obj, rec_gn, rec_test, snaps)
                        k += 1
                    prev[:] = theta
                    state[0] = loss
                    theta[:] = ynew
                    loss = lnew
                    t = t + h
                    for p in range(N):
                        Ks[0, p] = Ks[6, p]
                    grow = 10.0 if en == 0.0 else min(10.0, 0.9 * en ** -0.2)
                    h *= min(1.0, grow) if rejected else grow  # no growth right after a rejection
                    rejected = False
                else:
                    h *= max(0.2, 0.9 * en ** -0.2)
                    rejected = True
                continue
            h *= 0.25
            rejected = True
        if h < 1e-14 * max(1.0, abs(t)):
            state[1], state[3], state[4], state[5] = k, evals, t, h
            state[2] = DIVERGED
            return DIVERGED
    state[0] = loss
    state[1], state[3], state[4], state[5] = k, evals, t, h
    return OK


@njit(cache=True, parallel=True)
def run_discrete_many(thetas, D, T, wds, lrs, opt, mom, b1, b2, eps, batch, orders, steps, record_at,
                      s1, s2, prevs, states, rec_steps, rec_times, rec_loss, rec_obj, rec_gn, rec_test, snaps):
    """``run_discrete`` for R independent runs (rows of ``thetas``), one run per thread.

    D = (X, yr, yc, K, m, d, has_c, act, slope, scale, loss, red, tr_a, tr_W, tr_c, mask) is shared;
    weight decays ``wds`` and step sizes ``lrs`` are per run; each thread has its own scratch.
    """
    (X, yr, yc, K, m, d, has_c, act, slope, scale, loss, red, tr_a, tr_W, tr_c, mask) = D
    R = thetas.shape[0]
    for r in prange(R):
        P = (X, yr, yc, K, m, d, has_c, act, slope, scale, loss, red, tr_a, tr_W, tr_c, mask, wds[r],
             np.zeros(m), np.zeros(m), np.zeros(m), np.zeros(m), np.zeros(K), np.zeros(K))
        run_discrete(thetas[r], P, T, opt, lrs[r], mom, b1, b2, eps, batch, orders[r], 0, steps, steps,
                     record_at, s1[r], s2[r], prevs[r], states[r], rec_steps[r], rec_times[r], rec_loss[r],
                     rec_obj[r], rec_gn[r], rec_test[r], snaps[r])

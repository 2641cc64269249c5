"""Online SGD in the teacher-student setup, compiled: one fresh Gaussian input per step, O((K + M) d) per step.

The update and scaling are those of :mod:`twolayer.theory.online_ode` (Goldt et al. 2019): first layer
w_k -= (eta / sqrt(d)) v_k g'(lambda_k) Delta x, second layer v_k -= (eta_v / d) g(lambda_k) Delta, with
lambda_k = w_k . x / sqrt(d), Delta = phi(x) - phi*(x) - sigma z, and time alpha = steps / d.
The overlaps Q, R and v are recorded at given steps.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

from .online_ode import order_parameters

CODES = {"erf": 0, "relu": 1, "leaky_relu": 2, "tanh": 3, "sigmoid": 4, "identity": 5}


@njit(cache=True, nogil=True)
def _g(code, z, slope):
    if code == 0:
        return math.erf(z / math.sqrt(2.0))
    if code == 1:
        return z if z > 0 else 0.0
    if code == 2:
        return z if z > 0 else slope * z
    if code == 3:
        return math.tanh(z)
    if code == 4:
        return 1.0 / (1.0 + math.exp(-z))
    return z


@njit(cache=True, nogil=True)
def _dg(code, z, slope):
    if code == 0:
        return math.sqrt(2.0 / math.pi) * math.exp(-0.5 * z * z)
    if code == 1:
        return 1.0 if z > 0 else 0.0
    if code == 2:
        return 1.0 if z > 0 else slope
    if code == 3:
        t = math.tanh(z)
        return 1.0 - t * t
    if code == 4:
        s = 1.0 / (1.0 + math.exp(-z))
        return s * (1.0 - s)
    return 1.0


@njit(cache=True, nogil=True)
def _online_sgd(W, v, Wt, vt, code, slope, lr, lr_v, sigma, record_steps, seed, Qs, Rs, vs):
    """Run to record_steps[-1] steps in place on W (K, d), v (K,); write the overlaps at the record steps."""
    np.random.seed(seed)
    K, d = W.shape
    M = Wt.shape[0]
    x = np.empty(d)
    lam = np.empty(K)
    nu = np.empty(M)
    coef = np.empty(K)
    inv_sqrt_d = 1.0 / math.sqrt(d)
    r = 0
    step = 0
    n_rec = record_steps.shape[0]
    while r < n_rec:
        if step == record_steps[r]:
            for i in range(K):
                for k in range(K):
                    acc = 0.0
                    for j in range(d):
                        acc += W[i, j] * W[k, j]
                    Qs[r, i, k] = acc / d
                for n in range(M):
                    acc = 0.0
                    for j in range(d):
                        acc += W[i, j] * Wt[n, j]
                    Rs[r, i, n] = acc / d
                vs[r, i] = v[i]
            r += 1
            if r == n_rec:
                break
        for j in range(d):
            x[j] = np.random.standard_normal()
        for i in range(K):
            acc = 0.0
            for j in range(d):
                acc += W[i, j] * x[j]
            lam[i] = acc * inv_sqrt_d
        for n in range(M):
            acc = 0.0
            for j in range(d):
                acc += Wt[n, j] * x[j]
            nu[n] = acc * inv_sqrt_d
        delta = 0.0
        for i in range(K):
            delta += v[i] * _g(code, lam[i], slope)
        for n in range(M):
            delta -= vt[n] * _g(code, nu[n], slope)
        if sigma > 0:
            delta -= sigma * np.random.standard_normal()
        for i in range(K):
            coef[i] = lr * inv_sqrt_d * v[i] * _dg(code, lam[i], slope) * delta
        for i in range(K):
            c = coef[i]
            for j in range(d):
                W[i, j] -= c * x[j]
        if lr_v != 0.0:
            for i in range(K):
                v[i] -= lr_v / d * _g(code, lam[i], slope) * delta
        step += 1


def teacher(M: int, d: int, rng) -> np.ndarray:
    """M orthogonal teacher vectors of squared norm d (T = I exactly), (M, d)."""
    q, _ = np.linalg.qr(rng.standard_normal((d, M)))
    return np.sqrt(d) * q.T


def student_with_overlaps(Q0, R0, Wt, rng) -> np.ndarray:
    """Student weights W (K, d) with W W^T / d = Q0 and W Wt^T / d = R0 exactly (for Wt with T = I):
    W = R0 Wt + B, the rows of B orthogonal to the teacher's span with Gram d (Q0 - R0 R0^T)."""
    Q0, R0 = np.asarray(Q0, float), np.asarray(R0, float)
    K, d = R0.shape[0], Wt.shape[1]
    T = Wt @ Wt.T / d
    if not np.allclose(T, np.eye(len(T)), atol=1e-10):
        raise ValueError("student_with_overlaps needs an orthonormal teacher (T = I)")
    G = Q0 - R0 @ R0.T
    Z = rng.standard_normal((K, d))
    Z -= (Z @ Wt.T / d) @ Wt                       # out of the teacher's span
    qz, _ = np.linalg.qr(Z.T)                       # (d, K) orthonormal
    lam, V = np.linalg.eigh(G)
    if lam.min() < -1e-12:
        raise ValueError("Q0 - R0 R0^T must be positive semi-definite")
    root = (V * np.sqrt(np.maximum(lam, 0))) @ V.T
    return R0 @ Wt + np.sqrt(d) * root @ qz.T


def simulate(W0, v0, Wt, vt, alphas, activation="erf", lr=0.5, lr_v=0.0, sigma=0.0, slope=0.01, seed=0) -> dict:
    """Online SGD from (W0, v0) on fresh samples, recorded at alpha = steps / d in ``alphas``.

    Returns dict ``alpha`` (n,) (the recorded steps / d), ``Q`` (n, K, K), ``R`` (n, K, M), ``v`` (n, K).
    """
    W, v = np.array(W0, dtype=float), np.array(v0, dtype=float)
    d = W.shape[1]
    steps = np.unique(np.round(np.asarray(alphas, float) * d).astype(np.int64))
    n, K, M = len(steps), W.shape[0], Wt.shape[0]
    Qs, Rs, vs = np.zeros((n, K, K)), np.zeros((n, K, M)), np.zeros((n, K))
    _online_sgd(W, v, np.ascontiguousarray(Wt, dtype=float), np.asarray(vt, float), CODES[activation], float(slope),
                float(lr), float(lr_v), float(sigma), steps, int(seed), Qs, Rs, vs)
    return {"alpha": steps / d, "Q": Qs, "R": Rs, "v": vs}


def simulate_many(jobs: list[dict], threads: int = 2) -> list[dict]:
    """:func:`simulate` for each keyword dict of ``jobs``, on ``threads`` threads (the loop releases the GIL)."""
    if threads <= 1 or len(jobs) <= 1:
        return [simulate(**j) for j in jobs]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda j: simulate(**j), jobs))


__all__ = ["simulate", "simulate_many", "teacher", "student_with_overlaps", "order_parameters", "CODES"]

"""Hessian of the training objective: Hessian-vector products, top eigenvalue, stable step size."""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh

from ..errors import check_choice
from ..objective import Objective


def hessian_matrix(obj: Objective, theta: np.ndarray) -> np.ndarray:
    """Dense Hessian restricted to the trainable coordinates, (P_T, P_T), symmetrised.

    Built column by column from :meth:`Objective.hvp`; for small networks and tests.
    """
    matvec, p = _restricted(lambda v: obj.hvp(theta, v), obj.mask)
    H = np.column_stack([matvec(e) for e in np.eye(p)])
    return 0.5 * (H + H.T)


def _restricted(hvp, mask: np.ndarray):
    """(matvec, P_T): ``hvp`` (full flat vector -> full flat vector) seen on the coordinates where
    ``mask`` is True only."""
    idx = np.flatnonzero(mask)
    full = np.zeros(mask.shape[0])

    def matvec(v):
        full[idx] = np.ravel(v)
        return hvp(full)[idx]

    return matvec, len(idx)


def _power(matvec, v, shift: float, tol: float, max_iter: int) -> float:
    """Dominant eigenvalue of (H - shift I) by power iteration (Rayleigh quotients)."""
    v = v / np.linalg.norm(v)
    lam = np.inf
    for _ in range(max_iter):
        w = matvec(v) - shift * v
        new = float(v @ w)
        nw = np.linalg.norm(w)
        if nw == 0.0:
            return 0.0
        v = w / nw
        if abs(new - lam) <= tol * abs(new):
            return new
        lam = new
    return lam


def top_eigenvalue(obj: Objective, theta: np.ndarray, *, method: str = "auto", tol: float = 1e-6,
                   seed: int = 0, max_iter: int = 10_000) -> float:
    """Largest (algebraic) eigenvalue lambda_max of the Hessian over the trainable coordinates.

    method : "dense" (``eigvalsh`` of :func:`hessian_matrix`), "lanczos" (scipy ``eigsh`` on
        Hessian-vector products), "power" (power iteration on Hessian-vector products; when the
        dominant eigenvalue mu is negative, a second run on H - mu I finds lambda_max), or "auto"
        (dense up to 400 trainable parameters, Lanczos above).
    tol : relative tolerance of the iterative methods.
    """
    check_choice("method", method, ("auto", "dense", "lanczos", "power"))
    matvec, p = _restricted(lambda v: obj.hvp(theta, v), obj.mask)
    if method == "dense" or (method == "auto" and p <= 400):
        return float(np.linalg.eigvalsh(hessian_matrix(obj, theta))[-1])
    v0 = np.random.default_rng(seed).standard_normal(p)
    if method == "power":
        mu = _power(matvec, v0, 0.0, tol, max_iter)
        return mu if mu >= 0 else _power(matvec, v0, mu, tol, max_iter) + mu
    op = LinearOperator((p, p), matvec=matvec, dtype=np.float64)
    return float(eigsh(op, k=1, which="LA", tol=tol, v0=v0, return_eigenvectors=False)[0])


def stable_lr(obj: Objective, theta: np.ndarray, *, method: str = "auto") -> float:
    """2 / lambda_max: the largest GD step for which the quadratic model at theta is stable."""
    lam = top_eigenvalue(obj, theta, method=method)
    return 2.0 / lam if lam > 0 else np.inf


def output_hvp(net, x, v, trainable=("a", "W", "c")) -> np.ndarray:
    """Exact Hessian-vector product of the output f(x; theta) of a scalar network at one input x.

    The Hessian is block-diagonal over neurons. With z_j = w_j . x + c_j, s the width scaling and
    t_j = v_wj . x + v_cj the change of z_j along v:

    - (Hv)_aj = s sigma'(z_j) t_j
    - (Hv)_wj = s (sigma'(z_j) v_aj + a_j sigma''(z_j) t_j) x
    - (Hv)_cj = s (sigma'(z_j) v_aj + a_j sigma''(z_j) t_j)

    ``v`` and the result are flat parameter vectors (``net.layout``); frozen layers are 0 in both.
    """
    from ..activations import get_activation

    lay = net.layout
    mask = lay.mask([t for t in trainable if t != "c" or net.bias])
    v = np.where(mask, np.asarray(v, dtype=np.float64), 0.0)
    va, vW, vc = lay.unpack(v)
    x = np.asarray(x, dtype=np.float64)
    act = get_activation(net.activation)
    z = net.W @ x + (net.c if net.bias else 0.0)
    d1, d2 = act.df(z, net.slope), act.d2f(z, net.slope)
    t = vW @ x + (vc if net.bias else 0.0)
    s = net.scale
    common = s * (d1 * va + net.a * d2 * t)
    out = lay.pack(s * d1 * t, common[:, None] * x[None, :], common if net.bias else None)
    return np.where(mask, out, 0.0)


def output_hessian_norm(net, x, trainable=("a", "W", "c"), *, seed: int = 0, tol: float = 1e-4) -> float:
    """Operator norm (largest |eigenvalue|) of the Hessian of f(x; theta) over the trainable
    layers, by Lanczos iteration (scipy ``eigsh``) on :func:`output_hvp`; no dense matrix.

    ``tol`` is eigsh's relative tolerance. The top of this spectrum is one eigenvalue per neuron,
    tightly clustered for wide networks, so tight tolerances get slow: at p = 16384, tol = 1e-4
    takes 2 s for a relative error of 1e-5, tol = 1e-6 takes 4 minutes.
    """
    mask = net.layout.mask([t for t in trainable if t != "c" or net.bias])
    matvec, p = _restricted(lambda v: output_hvp(net, x, v, trainable), mask)
    if p <= 2:
        dense = np.column_stack([matvec(e) for e in np.eye(p)])
        return float(np.abs(np.linalg.eigvalsh(0.5 * (dense + dense.T))).max())
    op = LinearOperator((p, p), matvec=matvec, dtype=np.float64)
    v0 = np.random.default_rng(seed).standard_normal(p)
    return float(np.abs(eigsh(op, k=1, which="LM", tol=tol, v0=v0, return_eigenvectors=False)).max())

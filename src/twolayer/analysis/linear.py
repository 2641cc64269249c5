"""Linear predictors on a data set (seed 004, Problem 2): the l2 max-margin solution, the minimum-norm
interpolator, p-orthogonality; and the stable rank of a matrix (Problem 3)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize, nnls

from ..errors import InvalidParameter, check_finite


def _xy(X, y):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise InvalidParameter("X, y", f"{X.shape}, {y.shape}", "expected X of shape (n, d) and y of shape (n,)")
    check_finite("X", X)
    check_finite("y", y)
    return X, y


def p_orthogonality(X) -> float:
    """The largest p for which the rows of X are p-orthogonal:
    p = R_min^2 / (R^2 n max_{i != j} |<x_i, x_j>|), R^2 = R_max^2 / R_min^2 (inf when orthogonal)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 2:
        raise InvalidParameter("X", f"shape {X.shape}", "expected (n, d) with n >= 2")
    G = X @ X.T
    sq = np.diag(G).copy()
    if sq.min() <= 0:
        raise InvalidParameter("X", "a zero row", "p-orthogonality needs R_min > 0")
    np.fill_diagonal(G, 0.0)
    off = np.abs(G).max()
    R2 = sq.max() / sq.min()
    return np.inf if off == 0 else float(sq.min() / (R2 * X.shape[0] * off))


def min_norm_interpolator(X, y) -> np.ndarray:
    """w_MNI = argmin ||w|| subject to X w = y, i.e. X^+ y (shape (d,)); raises when X w = y has no solution."""
    X, y = _xy(X, y)
    w = np.linalg.lstsq(X, y, rcond=None)[0]
    if np.abs(X @ w - y).max() > 1e-8 * max(1.0, np.abs(y).max()):
        raise InvalidParameter("X", f"rank {np.linalg.matrix_rank(X)}", "X w = y has no solution (fewer independent rows than samples)")
    return w


def max_margin(X, y) -> tuple[np.ndarray, np.ndarray]:
    """The l2 max-margin solution w_MM = argmin ||w||^2 s.t. y_i <w, x_i> >= 1, and its dual
    coefficients s >= 0 with w_MM = sum_i s_i y_i x_i. Shapes (d,), (n,).

    The dual, min_s 1/2 s^T Q s - 1^T s over s >= 0 with Q = (y y^T) * (X X^T), is solved exactly as
    a non-negative least-squares problem when Q is positive definite (Q = L L^T gives
    1/2 ||L^T s - L^{-1} 1||^2 + const); otherwise the primal goes to SLSQP. Raises when the data
    are not linearly separable through the origin.
    """
    X, y = _xy(X, y)
    A = y[:, None] * X
    Q = A @ A.T
    if np.linalg.cond(Q) < 1e12:
        L = np.linalg.cholesky(Q)
        s = nnls(L.T, np.linalg.solve(L, np.ones(len(y))), maxiter=50 * len(y))[0]
        w = A.T @ s
    else:
        w, s = _max_margin_primal(A)
    if (A @ w).min() < 1.0 - 1e-6:
        raise InvalidParameter("X, y", "not separable", "no w satisfies y_i <w, x_i> >= 1 for all i (not linearly separable)")
    return w, s


def _max_margin_primal(A):
    """min ||w||^2 s.t. A w >= 1 by SLSQP; the dual coefficients from the active constraints."""
    w0 = np.linalg.lstsq(A, np.ones(A.shape[0]), rcond=None)[0]
    w = minimize(lambda w: w @ w, w0, jac=lambda w: 2 * w, method="SLSQP",
                 constraints={"type": "ineq", "fun": lambda w: A @ w - 1.0, "jac": lambda w: A},
                 options={"ftol": 1e-14, "maxiter": 1000}).x
    active = A @ w - 1.0 < 1e-7
    s = np.zeros(A.shape[0])
    s[active] = nnls(A[active].T, w)[0]
    return w, s


def stable_rank(M) -> float:
    """StableRank(M) = ||M||_F^2 / ||M||_2^2, between 1 and rank(M) (0 for M = 0)."""
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2:
        raise InvalidParameter("M", f"shape {M.shape}", "expected a matrix")
    G = M @ M.T if M.shape[0] <= M.shape[1] else M.T @ M   # the smaller Gram matrix: ||M||_2^2 = lambda_max(G)
    top = np.linalg.eigvalsh(G)[-1] if G.size else 0.0
    return 0.0 if top <= 0 else float(np.trace(G) / top)


def p_orthogonality_guarantee(n: int, d: int, delta: float) -> float:
    """A p such that n i.i.d. points x_i ~ N(0, I_d) are p-orthogonal with probability >= 1 - delta.

    With t = log(4n / delta), Laurent-Massart gives d - 2 sqrt(d t) <= ||x_i||^2 <= d + 2 sqrt(d t) + 2t
    for all i except with probability delta/2; given x_j, <x_i, x_j> ~ N(0, ||x_j||^2), so
    |<x_i, x_j>| <= R_max sqrt(2 log(2 n (n - 1) / delta)) for all pairs except with probability delta/2.
    On both events p >= R_min^4 / (R_max^2 n max |<x_i, x_j>|), which is returned (0 when the bounds
    are vacuous). For large d it behaves like sqrt(d) / (n sqrt(2 log(2 n^2 / delta))), so
    d >~ 2 p^2 n^2 log(2 n^2 / delta) suffices.
    """
    if n < 2:
        return np.inf
    if not 0 < delta < 1:
        raise InvalidParameter("delta", delta, "expected a probability in (0, 1)")
    t = np.log(4 * n / delta)
    lo, hi = d - 2 * np.sqrt(d * t), d + 2 * np.sqrt(d * t) + 2 * t
    if lo <= 0:
        return 0.0
    inner = np.sqrt(hi) * np.sqrt(2 * np.log(2 * n * (n - 1) / delta))
    return float(lo * lo / (hi * n * inner))


def dual_ratio_bound(X) -> float:
    """Upper bound R^2 (1 + 2 / (p R^2 - 2)) on max_{i,j} s_i / s_j for the max-margin dual coefficients
    of p-orthogonal data (inf when p R^2 <= 2), with p = :func:`p_orthogonality` and R^2 = R_max^2 / R_min^2.

    From s_i ||x_i||^2 = 1 - y_i sum_{j != i} <x_i, x_j> y_j s_j and eps n <= R_min^2 / (p R^2)
    (eps = max |<x_i, x_j>|): s_max <= 1 / (R_min^2 - eps n) and s_min >= (1 - eps n s_max) / R_max^2.
    """
    X = np.asarray(X, dtype=np.float64)
    sq = np.einsum("ij,ij->i", X, X)
    R2 = sq.max() / sq.min()
    pR2 = p_orthogonality(X) * R2
    if np.isinf(pR2):
        return float(R2)
    return float(R2 * pR2 / (pR2 - 2)) if pR2 > 2 else np.inf

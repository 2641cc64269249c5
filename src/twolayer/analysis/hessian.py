"""Hessian of the training objective: Hessian-vector products, top eigenvalue, stable step size."""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh

from ..objective import Objective


def hessian_matrix(obj: Objective, theta: np.ndarray) -> np.ndarray:
    """Dense Hessian restricted to the trainable coordinates, (P_T, P_T), symmetrised.

    Built column by column from :meth:`Objective.hvp`; for small networks and tests.
    """
    idx = np.flatnonzero(obj.mask)
    H = np.empty((len(idx), len(idx)))
    e = np.zeros_like(theta)
    for k, i in enumerate(idx):
        e[i] = 1.0
        H[:, k] = obj.hvp(theta, e)[idx]
        e[i] = 0.0
    return 0.5 * (H + H.T)


def top_eigenvalue(obj: Objective, theta: np.ndarray, *, tol: float = 1e-6, seed: int = 0) -> float:
    """Largest (algebraic) eigenvalue lambda_max of the Hessian over the trainable coordinates.

    Small problems (<= 400 trainable parameters) use the dense Hessian; larger ones use Lanczos
    iteration (scipy ``eigsh``) on Hessian-vector products.
    """
    idx = np.flatnonzero(obj.mask)
    if len(idx) <= 400:
        return float(np.linalg.eigvalsh(hessian_matrix(obj, theta))[-1])
    full = np.zeros_like(theta)

    def matvec(v):
        full[idx] = np.ravel(v)
        return obj.hvp(theta, full)[idx]

    op = LinearOperator((len(idx), len(idx)), matvec=matvec, dtype=np.float64)
    v0 = np.random.default_rng(seed).standard_normal(len(idx))
    return float(eigsh(op, k=1, which="LA", tol=tol, v0=v0, return_eigenvectors=False)[0])


def stable_lr(obj: Objective, theta: np.ndarray) -> float:
    """2 / lambda_max: the largest GD step for which the quadratic model at theta is stable."""
    lam = top_eigenvalue(obj, theta)
    return 2.0 / lam if lam > 0 else np.inf

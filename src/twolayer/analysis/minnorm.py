"""Minimum-norm interpolators."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidParameter
from ..net import Net


def min_norm_relu_orthogonal(X, y, *, tol: float = 1e-10):
    """The minimum-norm interpolator of a ReLU network ``sum_j a_j relu(w_j . x)`` (no scaling,
    no bias) on pairwise orthogonal inputs, and its norm.

    With ``S+ = sum_{y_k>0} y_k^2 / ||x_k||^2`` and ``S- = sum_{y_k<0} y_k^2 / ||x_k||^2``, one
    neuron per label sign suffices: ``a_+ = S+^(1/4)``, ``w_+ = sum_{y_k>0} y_k x_k / (a_+ ||x_k||^2)``
    (and likewise with ``a_- = -S-^(1/4)``), which interpolates because ``w_+ . x_k = 0`` on the
    other points. A neuron fitting labels of one sign with output a and input weight w costs
    ``a^2 + S/a^2 >= 2 sqrt(S)``, so

        ``||theta*|| = sqrt(2 (sqrt(S+) + sqrt(S-)))``

    (Boursier, Pillaud-Vivien and Flammarion 2022, the paper [5] of seed 003).

    Parameters
    ----------
    X : (n, d) pairwise orthogonal inputs.   y : (n,) non-zero labels.

    Returns
    -------
    (norm, net) -- the norm and the interpolating :class:`Net` (one or two neurons).
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise InvalidParameter("X", f"array of shape {X.shape} with y of shape {y.shape}", "expected X (n, d) and y (n,)")
    if np.any(y == 0):
        raise InvalidParameter("y", "labels containing 0", "the construction needs non-zero labels")
    norms = np.linalg.norm(X, axis=1)
    G = X @ X.T
    off = np.abs(G - np.diag(np.diag(G))) / np.outer(norms, norms)
    if np.any(norms == 0) or off.max(initial=0.0) > tol:
        raise InvalidParameter("X", f"inputs with max |cos| = {off.max(initial=0.0):.3g}",
                               "the closed form needs non-zero, pairwise orthogonal inputs")
    a, W = [], []
    for sign in (1.0, -1.0):
        k = np.flatnonzero(np.sign(y) == sign)
        if len(k) == 0:
            continue
        S = np.sum(y[k] ** 2 / norms[k] ** 2)
        a_s = sign * S ** 0.25
        a.append(a_s)
        W.append(np.sum((y[k] / (a_s * norms[k] ** 2))[:, None] * X[k], axis=0))
    net = Net(np.array(a), np.array(W), None, activation="relu", scaling="none")
    return net.norm, net


def _dual_sup(X, lam):
    """sup over unit u of |sum_k lam_k relu(u . x_k)| and the angles attaining it, exactly: between
    consecutive activation boundaries (u . x_k = 0) the pattern is fixed and the function is
    <v, u> with v = sum_{k active} lam_k x_k, whose extremes on the arc are at its ends or at +-v."""
    own = np.arctan2(X[:, 1], X[:, 0])
    cuts = np.unique(np.mod(np.concatenate([own + np.pi / 2, own - np.pi / 2]), 2 * np.pi))
    cuts = np.append(cuts, cuts[0] + 2 * np.pi)
    best, where = 0.0, []
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        mid = 0.5 * (lo + hi)
        active = X @ np.array([np.cos(mid), np.sin(mid)]) > 0
        v = lam[active] @ X[active] if active.any() else np.zeros(2)
        candidates = [lo, hi]
        for w in (v, -v):
            t = np.mod(np.arctan2(w[1], w[0]) - lo, 2 * np.pi) + lo
            if lo < t < hi:
                candidates.append(t)
        for t in candidates:
            value = abs(v @ np.array([np.cos(t), np.sin(t)]))
            if value > best * (1 + 1e-12):
                best, where = value, [t]
            elif value >= best * (1 - 1e-12):
                where.append(t)
    return best, np.mod(np.array(where), 2 * np.pi)


def min_norm_relu_2d(X, y, *, directions: int = 512, tol: float = 1e-9, rounds: int = 100):
    """The minimum-norm interpolator of ``sum_j a_j relu(w_j . x)`` (no scaling, no bias) for inputs
    in the plane, e.g. 1-D data with the thesis's bias coordinate x = (x, 1); returns (norm, net).

    By 1-homogeneity a neuron costs a_j^2 + ||w_j||^2 >= 2 |a_j| ||w_j|| = 2 |c_j| with equality when
    balanced, and contributes c_j relu(u_j . x) with u_j = w_j / ||w_j||. So

        min ||theta||^2 = 2 min { sum_j |c_j| : sum_j c_j relu(u_j . x_k) = y_k for every k },

    an l1 problem over directions u on the unit circle. It is solved as a linear program (HiGHS) over
    ``directions`` equally spaced angles, the directions of every x_k and both normals to every x_k
    (the activation boundaries), then by column generation: the LP's dual lambda certifies
    optimality over *all* directions when sup_u |sum_k lambda_k relu(u . x_k)| <= 1, a supremum
    computed exactly cell by cell (:func:`_dual_sup`); otherwise the maximising directions join the
    LP and it is solved again, until the certified gap is below ``tol`` (relative). The returned
    network has one balanced neuron per direction used: a_j = sign(c_j) sqrt|c_j|, w_j = sqrt|c_j| u_j.
    """
    from scipy.optimize import linprog

    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (X.shape[0],):
        raise InvalidParameter("X", f"array of shape {X.shape} with y of shape {y.shape}",
                               "expected inputs in the plane: X (n, 2) and y (n,)")
    if directions < 8:
        raise InvalidParameter("directions", directions, "expected at least 8 grid directions")
    own = np.arctan2(X[:, 1], X[:, 0])
    angles = np.unique(np.mod(np.concatenate([np.linspace(0.0, 2 * np.pi, directions, endpoint=False), own,
                                              own + np.pi / 2, own - np.pi / 2]), 2 * np.pi))
    for _ in range(rounds):
        U = np.stack([np.cos(angles), np.sin(angles)], axis=1)
        F = np.maximum(X @ U.T, 0.0)                                   # (n, M) features relu(u . x_k)
        M = F.shape[1]
        res = linprog(np.ones(2 * M), A_eq=np.hstack([F, -F]), b_eq=y, bounds=(0, None), method="highs",
                      options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
        if res.status != 0:
            raise InvalidParameter("X, y", res.message, "no ReLU combination of directions interpolates the data "
                                                         "(e.g. a non-zero label at x = 0)")
        lam = res.eqlin.marginals
        sup, worst = _dual_sup(X, lam)
        if sup <= 1 + tol:
            break
        angles = np.unique(np.append(angles, worst))
    else:
        raise InvalidParameter("rounds", rounds, f"column generation did not certify the optimum (dual sup {sup:.9f}); "
                                                 "allow more rounds")
    c = res.x[:M] - res.x[M:]
    keep = np.abs(c) > tol * np.abs(c).max()
    c, U = c[keep], U[keep]
    net = Net(np.sign(c) * np.sqrt(np.abs(c)), np.sqrt(np.abs(c))[:, None] * U, None, activation="relu",
              scaling="none")
    return float(np.sqrt(2 * np.abs(c).sum())), net

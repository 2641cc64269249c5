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

"""Neuron alignment diagnostics of seed 003: the directions D+ and D-, cosines, balancedness errors."""

from __future__ import annotations

import numpy as np


def alignment_directions(X, y):
    """D+ = (1/n) sum_{y_k > 0} y_k x_k and D- = (1/n) sum_{y_k < 0} y_k x_k (thesis eqs. 2.48-2.49):
    the directions small neurons align with during the first phase. Returns (D+, D-), each (d,)."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = len(y)
    return (y * (y > 0)) @ X / n, (y * (y < 0)) @ X / n


def neuron_cosines(W, D) -> np.ndarray:
    """cos(w_j, D) for every neuron, shape (m,) (0 for zero vectors)."""
    W, D = np.asarray(W, dtype=np.float64), np.asarray(D, dtype=np.float64)
    norms = np.linalg.norm(W, axis=-1) * np.linalg.norm(D)
    return np.divide(W @ D, norms, out=np.zeros(W.shape[:-1]), where=norms > 0)


def balance_errors(a, W, signs=None):
    """(l1-average, l-inf) of |a_j - s_j ||w_j|||, the balancedness errors of thesis Figure 3.10,
    with s_j the initial signs (default: the current signs of a_j). Snapshots (T, m) give (T,) arrays."""
    a, W = np.asarray(a, dtype=np.float64), np.asarray(W, dtype=np.float64)
    s = np.sign(a) if signs is None else np.asarray(signs, dtype=np.float64)
    err = np.abs(a - s * np.linalg.norm(W, axis=-1))
    return err.mean(axis=-1), err.max(axis=-1)


def pl_ratio(grad_norm, loss):
    """The empirical Polyak-Lojasiewicz ratio ||grad L||^2 / (2 L) along a run (chapter 4 of
    seed 003): bounded below by mu > 0 exactly where a PL inequality with constant mu holds."""
    grad_norm, loss = np.asarray(grad_norm, dtype=np.float64), np.asarray(loss, dtype=np.float64)
    return np.divide(grad_norm ** 2, 2 * loss, out=np.full(loss.shape, np.inf), where=loss > 0)


def neuron_pca(W):
    """PCA of the neurons (rows of W, shape (m, d)), centred as usual: returns (mean (d,), components
    (d, d) as rows, explained variance ratios (d,) summing to 1). Project snapshots with
    ``(W_t - mean) @ components[:2].T`` (thesis section 3.4)."""
    W = np.asarray(W, dtype=np.float64)
    mean = W.mean(axis=0)
    _, s, Vt = np.linalg.svd(W - mean, full_matrices=True)
    var = np.zeros(W.shape[1])
    var[:len(s)] = s ** 2
    total = var.sum()
    return mean, Vt, (var / total if total > 0 else var)


def neuron_directions(net, share: float = 1e-3, tol_deg: float = 1.0) -> list[dict]:
    """Directions of the neuron groups that carry the model.

    Neurons are sorted by the angle of w_j in the (w_j1, w_j2) plane (degrees) and split where two
    neighbours differ by more than ``tol_deg``; a group's weight is its share of sum_j |a_j| ||w_j||.

    Returns
    -------
    list of dict
        ``angle`` (weighted mean, degrees) and ``share`` of each group with share >= ``share``,
        largest share first.
    """
    W, a = np.asarray(net.W, dtype=float), np.asarray(net.a, dtype=float)
    weight = np.abs(a) * np.linalg.norm(W, axis=1)
    if not weight.sum() > 0:
        return []
    ang = np.degrees(np.arctan2(W[:, 1], W[:, 0]))
    order = np.argsort(ang)
    cuts = np.flatnonzero(np.diff(ang[order]) > tol_deg) + 1
    groups = []
    for idx in np.split(order, cuts):
        w = weight[idx]
        if w.sum() >= share * weight.sum():
            groups.append({"angle": float(np.average(ang[idx], weights=w)), "share": float(w.sum() / weight.sum())})
    return sorted(groups, key=lambda g: -g["share"])

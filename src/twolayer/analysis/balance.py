"""Balancedness: for positively homogeneous activations (ReLU, leaky ReLU, identity) gradient flow
conserves ``a_j^2 - ||w_j||^2 - c_j^2`` for every neuron (seed 003, Lemma 5)."""

from __future__ import annotations

import numpy as np


def balance_gaps(a, W, c=None) -> np.ndarray:
    """``||a_j||^2 - ||w_j||^2 - c_j^2`` per neuron.

    Shapes: a (..., m) or (..., m, K); W (..., m, d); c (..., m) or None -> result (..., m).
    A leading axis of recorded points is allowed (snapshots of a Trajectory).
    """
    a, W = np.asarray(a), np.asarray(W)
    a2 = a * a if a.ndim == W.ndim - 1 else np.sum(a * a, axis=-1)
    gap = a2 - np.sum(W * W, axis=-1)
    if c is not None:
        gap = gap - np.asarray(c) ** 2
    return gap


def balance_drift(traj) -> float:
    """max over neurons and recorded points of |gap_j(t) - gap_j(0)| (needs snapshots)."""
    gaps = balance_gaps(traj.a, traj.W, traj.c)
    return float(np.max(np.abs(gaps - gaps[0])))

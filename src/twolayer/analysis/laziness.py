"""How far training moved the parameters, and where the first layer put its weight."""

from __future__ import annotations

import numpy as np


def relative_weight_change(traj) -> float:
    """||theta_T - theta_0|| / ||theta_0||: near 0 in the lazy regime, order 1 or more in the rich one.

    Needs the first snapshot (record step 0); ``traj.final`` is theta_T.
    """
    theta0 = traj.theta_at(0)
    return float(np.linalg.norm(traj.final.theta - theta0) / max(np.linalg.norm(theta0), 1e-300))


def signal_fraction(W, k: int = 2) -> float:
    """Share of the first layer's squared weight norm in the first k input coordinates,
    sum_j ||w_j[:k]||^2 / sum_j ||w_j||^2 (k/d for isotropic weights)."""
    W = np.asarray(W, dtype=np.float64)
    total = float(np.sum(W * W))
    return float(np.sum(W[:, :k] ** 2) / total) if total > 0 else float("nan")

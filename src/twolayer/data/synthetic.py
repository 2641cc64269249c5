"""Synthetic data sets."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidParameter, check_int
from ..init import init_net


def teacher(n: int = 200, d: int = 2, *, width: int = 5, n_test: int = 2000, relevant: int | None = None,
            seed: int = 0):
    """Gaussian inputs labelled by a random two-layer ReLU teacher (seed 000).

    X_i ~ N(0, I_d); Y_i = f*(X_i) where f*(x) = (1/width) sum_j a_j relu(b_j . x_rel) with b_j uniform
    on the unit sphere, a_j uniform on {-1, +1}, acting on the first ``relevant`` coordinates
    (default: all d). Returns (X, y, X_test, y_test, teacher_net).
    """
    n, d = check_int("n", n, minimum=1), check_int("d", d, minimum=1)
    n_test = check_int("n_test", n_test, minimum=0)
    relevant = d if relevant is None else check_int("relevant", relevant, minimum=1)
    f_star = init_net(relevant, width, "relu", "mean-field", init="sphere", scale=1.0, seed=seed)
    rng = np.random.default_rng(seed + 1)
    X, Xt = rng.standard_normal((n, d)), rng.standard_normal((n_test, d))
    return X, f_star(X[:, :relevant]), Xt, f_star(Xt[:, :relevant]), f_star


def triangle_wave(x) -> np.ndarray:
    """y = 4 |x + 0.75 - floor(x + 0.75) - 1/2| - 1: period 1, values in [-1, 1], kinks at
    x = +-0.25, +-0.75 on [-1, 1], so 5 ReLU neurons with bias represent it exactly."""
    x = np.asarray(x, dtype=np.float64)
    u = x + 0.75
    return 4.0 * np.abs(u - np.floor(u) - 0.5) - 1.0


def triangle_data(n: int, *, seed: int = 0):
    """n inputs x ~ U[-1, 1] as an (n, 1) array and their triangle-wave labels (n,)."""
    n = check_int("n", n, minimum=1)
    x = np.random.default_rng(seed).uniform(-1.0, 1.0, (n, 1))
    return x, triangle_wave(x[:, 0])


def separable(n: int, d: int, *, margin: float = 0.1, seed: int = 0):
    """Linearly separable points in the unit ball with a known margin vector (seed 004, Problem 1).

    x_i is uniform in the unit ball of R^d conditioned on |<u, x_i>| >= margin for a uniform unit
    vector u; y_i = sign(<u, x_i>). Returns (X (n, d), y (n,), v (d,)) with v = u / margin, so that
    ||x_i|| <= 1 and y_i <v, x_i> >= 1 for every i.
    """
    n, d = check_int("n", n, minimum=1), check_int("d", d, minimum=1)
    if not (isinstance(margin, (int, float)) and 0 < margin < 1):
        raise InvalidParameter("margin", margin, "expected a number in (0, 1): the points lie in the unit ball")
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    rows: list[np.ndarray] = []
    for _ in range(1000):
        Z = rng.standard_normal((4 * n, d))
        Z *= (rng.uniform(0.0, 1.0, (4 * n, 1)) ** (1.0 / d)) / np.linalg.norm(Z, axis=1, keepdims=True)
        rows.extend(Z[np.abs(Z @ u) >= margin])
        if len(rows) >= n:
            break
    else:
        raise InvalidParameter("margin", margin, f"too few points of the unit ball in R^{d} have this margin; lower it")
    X = np.array(rows[:n])
    return X, np.sign(X @ u), u / margin


def gaussian_points(n: int, d: int, *, std: float = 1.0, seed: int = 0):
    """x_i ~ N(0, std^2 I_d) i.i.d. and labels uniform on {-1, +1}. Returns (X (n, d), y (n,))."""
    n, d = check_int("n", n, minimum=1), check_int("d", d, minimum=1)
    rng = np.random.default_rng(seed)
    return std * rng.standard_normal((n, d)), rng.choice([-1.0, 1.0], n)

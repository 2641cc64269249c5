"""Reading a loss curve: first times below a level, plateaus."""

from __future__ import annotations

import numpy as np


def first_below(steps, loss, level: float):
    """The first recorded step (or time) where ``loss < level``, or None if it never is."""
    hit = np.flatnonzero(np.asarray(loss) < level)
    return None if len(hit) == 0 else np.asarray(steps)[hit[0]].item()


def plateaus(times, loss, *, rate: float = 0.02, min_duration: float = 1.0, floor: float = 1e-6):
    """Plateaus of a loss curve: maximal runs where the loss decays slowly.

    An interval between recorded points is *slow* when ``-d log L / dt < rate`` (continuous time,
    so the threshold does not depend on the step size). A run of slow intervals lasting at least
    ``min_duration`` is a plateau, unless its loss is below ``floor * L(0)`` (the curve has then
    converged to rounding level). Returns a list of dicts ``{start, end, level}`` (level: median
    loss over the run).
    """
    t, L = np.asarray(times, dtype=float), np.asarray(loss, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = -np.diff(np.log(np.maximum(L, 1e-300))) / np.diff(t)
    slow = speed < rate
    out, i = [], 0
    while i < len(slow):
        if not slow[i]:
            i += 1
            continue
        j = i
        while j < len(slow) and slow[j]:
            j += 1
        level = float(np.median(L[i:j + 1]))
        if t[j] - t[i] >= min_duration and level >= floor * L[0]:
            out.append({"start": float(t[i]), "end": float(t[j]), "level": level})
        i = j
    return out


def sample_fit_steps(traj, X, y, rel_tol: float = 0.1) -> list:
    """For every sample k, the first recorded step from which |h(x_k) - y_k| <= rel_tol |y_k| holds at
    every later recorded point (None if it never settles): when each label gets fitted."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    out = np.array([traj.net_at(i)(X) for i in range(len(traj))])           # (T, n)
    ok = np.abs(out - y) <= rel_tol * np.abs(y)
    settled = np.flip(np.logical_and.accumulate(np.flip(ok, axis=0), axis=0), axis=0)
    steps = np.asarray(traj.steps)
    return [int(steps[np.argmax(settled[:, k])]) if settled[:, k].any() else None for k in range(len(y))]


def loss_fraction_indices(loss, fractions=(0.99, 0.9, 0.6, 0.3, 0.1, 0.01)) -> list[int]:
    """Recorded indices where the loss first falls below each fraction of its initial value (those it
    reaches), with 0 and the last index: snapshots that follow the progress of a fit."""
    L = np.asarray(loss, dtype=float)
    hits = [int(np.argmax(L < f * L[0])) for f in fractions if np.any(L < f * L[0])]
    return sorted(set([0, *hits, len(L) - 1]))

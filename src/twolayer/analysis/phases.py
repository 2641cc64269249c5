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
    out = []
    for i, j in true_runs(speed < rate):
        level = float(np.median(L[i:j + 1]))
        if t[j] - t[i] >= min_duration and level >= floor * L[0]:
            out.append({"start": float(t[i]), "end": float(t[j]), "level": level})
    return out


def true_runs(mask):
    """(i, j) for every maximal run mask[i:j] of True values, in order."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def fit_plateaus(times, loss, *, fit_level: float = 0.01, drop: float = 0.01, window: float = 0.01):
    """Plateaus of a loss curve by the rule of seed 003, appendix C.1.4, or None if it never fits.

    Let T be the first recorded time with ``loss < fit_level`` (no plateau is looked for in a run
    that never gets there: None). A recorded point t <= T is *slow* when the loss changed by less
    than ``drop * L(0)`` over the window ``dt = window * T`` before it, i.e. when its mean speed over
    ``[t - h, t]`` (``h = max(dt, spacing of the records)``) is below ``drop * L(0) / dt``
    (``= L(0) / T`` by default: slower than a constant descent from L(0) to 0 in the time to fit).
    Adjacent slow points make a plateau when they last at least ``dt`` and fast points follow them
    before T ("two plateaus are separated by fast epochs"); points within ``drop * L(0)`` of the fit
    level take part in neither, so the last approach to the fit level is not a plateau.

    The thesis prints the window as min{1, T/100} epochs with an absolute drop of 0.01; a window of
    at most one epoch makes every epoch of its runs slow (at lambda = 1e-2 on data set 1.1.0 the
    steepest descent is 7e-4 per epoch), so it is read here as T/100, and the drop as 0.01 L(0)
    (the same for its labels +-1 and small scales, where L(0) = 1).

    Parameters
    ----------
    times : (T_rec,) array
        Recorded steps or times, increasing, first at the start.
    loss : (T_rec,) array
        Recorded training loss.
    fit_level : float
        The loss that counts as fitted (the thesis: 0.01).
    drop : float
        Loss drop, relative to L(0), below which a window is slow (the thesis: 0.01).
    window : float
        Window length as a fraction of the time to fit (the thesis: 1/100).

    Returns
    -------
    list of dict or None
        ``{start, end, level}`` per plateau in the units of ``times`` (``level``: median loss over
        it), in time order; None when the loss never falls below ``fit_level``.
    """
    t, L = np.asarray(times, dtype=float), np.asarray(loss, dtype=float)
    hit = np.flatnonzero(L < fit_level)
    if not len(hit) or hit[0] == 0:
        return None if not len(hit) else []
    k = int(hit[0])
    ts, Ls, L0 = t[:k + 1], L[:k + 1], float(L[0])
    dt = window * (ts[-1] - ts[0])
    h = np.maximum(dt, np.diff(ts))                                  # the span each speed is measured over
    speed = np.abs(np.interp(ts[1:] - h, t, L) - Ls[1:]) / h       # a rising loss is not slow either
    room = Ls[1:] - fit_level > drop * L0                            # not yet in the last approach
    slow, fast = room & (speed < drop * L0 / dt), room & (speed >= drop * L0 / dt)
    out = []
    for i, j in true_runs(slow):                                     # slow[i:j]: records i + 1 ... j
        start, end = max(ts[i + 1] - h[i], ts[0]), ts[j]
        if end - start >= dt and j < len(fast) and fast[j]:
            out.append({"start": float(start), "end": float(end), "level": float(np.median(Ls[i:j + 1]))})
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

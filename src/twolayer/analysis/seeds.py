"""Claims over several seeds: the health of each run, the spread of a number, and which settings
lie within the seed band of the best.

A conclusion drawn from a figure rests on the runs that trained properly: :func:`run_health` flags a
run that diverged, nearly diverged (its loss rose far above where it started) or never reached its
fit level, with the reason in words, and :func:`spread` / :func:`band_of_best` then summarise the
runs that remain.
"""

from __future__ import annotations

import math

import numpy as np

STATUSES = ("ok", "diverged", "nearly diverged", "not fitted")


def run_health(loss, *, fit_level: float | None = None, diverged: bool = False, blowup: float = 100.0) -> dict:
    """The status of one run from its recorded loss curve.

    Parameters
    ----------
    loss : (T,) array
        The recorded training loss, first point at the start.
    fit_level : float, optional
        The loss the run must reach to count as fitted (its last recorded loss <= fit_level).
    diverged : bool
        The run stopped because it diverged (e.g. ``"diverged" in traj.info``).
    blowup : float
        "Nearly diverged": the loss rose above ``blowup`` times its initial value at some point.

    Returns
    -------
    dict
        ``status`` (one of :data:`STATUSES`), ``reason`` (a phrase, empty when ok), ``peak_ratio``
        (max loss / initial loss) and ``final`` (last finite loss, NaN if none).
    """
    v = np.asarray(loss, dtype=float)
    finite = v[np.isfinite(v)]
    first = float(v[0]) if len(v) and np.isfinite(v[0]) else float("nan")
    final = float(finite[-1]) if len(finite) else float("nan")
    peak = float(finite.max() / first) if len(finite) and first > 0 else float("nan")
    if diverged or len(finite) < len(v):
        return {"status": "diverged", "reason": "the loss became non-finite (diverged)", "peak_ratio": peak,
                "final": final}
    if peak > blowup:
        return {"status": "nearly diverged", "reason": f"the loss rose to {peak:.3g}x its initial value",
                "peak_ratio": peak, "final": final}
    if fit_level is not None and not final <= fit_level:
        return {"status": "not fitted", "reason": f"final loss {final:.3g} above the fit level {fit_level:g}",
                "peak_ratio": peak, "final": final}
    return {"status": "ok", "reason": "", "peak_ratio": peak, "final": final}


def spread(values) -> dict:
    """Mean, standard deviation (ddof=1; 0 for one value), min, max and count of the finite
    ``values`` (None entries are skipped); NaN statistics when none is finite."""
    v = np.array([np.nan if x is None else x for x in np.ravel(np.asarray(values, dtype=object))], dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return {"mean": math.nan, "sd": math.nan, "lo": math.nan, "hi": math.nan, "n": 0}
    return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
            "lo": float(v.min()), "hi": float(v.max()), "n": int(len(v))}


def band_of_best(values, *, lower_is_better: bool = True) -> tuple[int, list[int]]:
    """The best setting and every setting indistinguishable from it over seeds.

    Parameters
    ----------
    values : (S, R) array-like
        ``values[s, r]``: the number of setting ``s`` in seed ``r`` (NaN for an excluded run).
    lower_is_better : bool
        Whether smaller is better (a loss or error).

    Returns
    -------
    best : int
        The setting with the best mean over its finite seeds.
    band : list of int
        The settings whose seed range [min, max] overlaps the best's: the data cannot order them
        against the best (with R seeds per setting).
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 2:
        raise ValueError("values must be (settings, seeds)")
    means = np.array([np.nanmean(row) if np.isfinite(row).any() else np.nan for row in v])
    if not np.isfinite(means).any():
        raise ValueError("no setting has a finite value")
    best = int(np.nanargmin(means) if lower_is_better else np.nanargmax(means))
    lo = np.array([np.nanmin(row) if np.isfinite(row).any() else np.nan for row in v])
    hi = np.array([np.nanmax(row) if np.isfinite(row).any() else np.nan for row in v])
    band = [s for s in range(len(v)) if np.isfinite(means[s]) and lo[s] <= hi[best] and hi[s] >= lo[best]]
    return best, band


__all__ = ["STATUSES", "run_health", "spread", "band_of_best"]

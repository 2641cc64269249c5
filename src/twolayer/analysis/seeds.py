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


def spread_or_none(values) -> dict:
    """:func:`spread` with None in place of its NaN statistics (no finite value), so that metrics
    holding it compare equal to themselves (a redraw checks that it reproduces them)."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in spread(values).items()}


def kept(values) -> list:
    """The values of the seeds that were not flagged (None marks a flagged run)."""
    return [v for v in values if v is not None]


def spread_text(values, fmt: str = ".3g") -> str:
    """'mean +- sd (lo to hi, n = k)' of the finite, unflagged ``values``; '-' when there are none."""
    return describe_spread(spread(values), fmt)


def describe_spread(s: dict | None, fmt: str = ".3g") -> str:
    """'mean +- sd (lo to hi, n = k)' of a :func:`spread` result; '-' when it holds no value."""
    if not s or not s.get("n"):
        return "-"
    return f"{s['mean']:{fmt}} +- {s['sd']:{fmt}} ({s['lo']:{fmt}} to {s['hi']:{fmt}}, n = {s['n']})"


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


def traj_health(traj, fit_level: float) -> dict:
    """:func:`run_health` of a recorded run, the epoch of a divergence in the reason."""
    h = run_health(traj.train_loss, fit_level=fit_level, diverged="diverged" in traj.info)
    if "diverged" in traj.info:
        h["reason"] = f"diverged: the loss became non-finite at epoch {traj.info['diverged']['step']}"
    return h


def flagged_sentence(runs: dict) -> str:
    """'Flagged, left out of the conclusions: NAME (reason); ...' for the runs of ``runs`` ({name:
    run_health dict}) whose status is not ok; '' when every run is ok."""
    bad = [f"{name} ({h['reason']})" for name, h in runs.items() if h["status"] != "ok"]
    return ("Flagged, left out of the conclusions: " + "; ".join(bad) + ".") if bad else ""


def status_tag(h: dict) -> str:
    """' (STATUS)' for a flagged run, '' for one that is ok: appended to its legend or panel title."""
    return "" if h["status"] == "ok" else f" ({h['status']})"


def per_seed_slopes(x, values) -> np.ndarray:
    """The log-log slope of each seed's curve, (R,), from ``values`` (S settings x R seeds) against
    ``x`` (S,): one least-squares fit of log(values[:, r]) on log(x) per seed, over its finite positive
    entries (NaN when fewer than two)."""
    x, v = np.asarray(x, dtype=float), np.asarray(values, dtype=float)
    out = np.full(v.shape[1], np.nan)
    for r in range(v.shape[1]):
        ok = np.isfinite(v[:, r]) & (v[:, r] > 0)
        if ok.sum() >= 2 and len(set(x[ok])) >= 2:
            out[r] = np.polyfit(np.log(x[ok]), np.log(v[ok, r]), 1)[0]
    return out


def slope_sentence(s: dict, theory: float = -0.5) -> str:
    """A fitted slope's spread (``spread`` dict) against the theory: consistent when the mean lies
    within two standard deviations of the seeds' slopes, else shallower or steeper by how much."""
    text = f"{s['mean']:.3f} +- {s['sd']:.3f} (mean +- sd over {s['n']} seeds)"
    gap = s["mean"] - theory
    if s["n"] < 2:
        return f"{s['mean']:.3f} (one seed: no spread to compare with the theory's {theory:g} by)"
    if abs(gap) <= 2 * s["sd"]:
        return f"{text}, consistent with the theory's {theory:g}"
    return (f"{text}, {'shallower' if gap > 0 else 'steeper'} than the theory's {theory:g} by {abs(gap):.3f} "
            f"({abs(gap) / s['sd']:.1f} sd)")


__all__ = ["STATUSES", "run_health", "spread", "band_of_best", "traj_health", "flagged_sentence", "status_tag",
           "per_seed_slopes", "slope_sentence"]

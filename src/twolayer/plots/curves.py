"""Loss curves."""

from __future__ import annotations

import numpy as np

from .style import series_colour


def loss_curve(ax, x, losses: dict, *, xlabel: str = "epoch", marks=None, plateaus=None,
               title: str | None = None, logx: bool = False):
    """Losses on a log scale against ``x`` (epochs or time).

    losses : {label: array}, each the length of ``x``.
    marks : optional {label: x position} drawn as vertical dotted lines.
    plateaus : optional list of {start, end, level} (from ``analysis.plateaus``), shaded;
        their ``start``/``end`` must be in the units of ``x``.
    """
    for label, values in losses.items():
        v = np.asarray(values, dtype=float)
        ax.plot(x, np.where(v > 0, v, np.nan), label=label, lw=1.6)
    ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    for i, p in enumerate(plateaus or []):
        ax.axvspan(p["start"], p["end"], color="tab:red", alpha=0.12, lw=0,
                   label="plateau" if i == 0 else None)
    for label, pos in (marks or {}).items():
        ax.axvline(pos, color="0.4", ls=":", lw=1)
        ax.annotate(label, (pos, 0.98), xycoords=("data", "axes fraction"), rotation=90,
                    va="top", ha="right", fontsize=7, color="0.3")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    if title:
        ax.set_title(title)
    ax.legend(loc="best")
    return ax


def train_test_curves(ax, curves: dict, *, xlabel: str = "epoch", title: str | None = None, logx: bool = True):
    """Training (solid) and test (dashed, same colour) losses on a log scale; the colours match
    :func:`twolayer.plots.predictor_1d` for the same order of labels.

    curves : {label: (x, train_loss, test_loss)}; test_loss may be None.
    """
    for i, (name, (x, train, test)) in enumerate(curves.items()):
        colour = series_colour(i)
        ax.plot(x, np.where(np.asarray(train) > 0, train, np.nan), color=colour, lw=1.5, label=name)
        if test is not None:
            ax.plot(x, np.where(np.asarray(test) > 0, test, np.nan), color=colour, lw=1.2, ls="--")
    ax.set_yscale("log")
    if logx:
        ax.set_xscale("symlog", linthresh=1.0)
    ax.plot([], [], color="0.3", ls="--", label="(dashed: test)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=7)
    return ax


def mean_band(ax, x, values, *, label: str | None = None, colour=None, band: str = "range", marker: str = "o"):
    """The mean over seeds against ``x`` with its spread as a shaded band.

    x : (S,) settings.
    values : (S, R) -- ``values[s, r]`` for setting s and seed r; NaN for an excluded run (the mean
        and band use the finite ones; a setting with none is left out).
    band : "range" shades [min, max] over seeds, "sd" shades mean +- one standard deviation.
    """
    v = np.asarray(values, dtype=float)
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(v).any(axis=1)
    vv = v[ok]
    mean = np.array([np.nanmean(r) for r in vv])
    if band == "range":
        lo, hi = np.array([np.nanmin(r) for r in vv]), np.array([np.nanmax(r) for r in vv])
    elif band == "sd":
        sd = np.array([np.nanstd(r, ddof=1) if np.isfinite(r).sum() > 1 else 0.0 for r in vv])
        lo, hi = mean - sd, mean + sd
    else:
        raise ValueError("band must be 'range' or 'sd'")
    (line,) = ax.plot(x[ok], mean, marker=marker, ms=4, lw=1.5, color=colour, label=label)
    ax.fill_between(x[ok], lo, hi, color=line.get_color(), alpha=0.2, lw=0)
    return ax

"""A study's metric against a setting: mean over seeds with its spread, by hue and column."""

from __future__ import annotations

import numpy as np

from .style import label, new_figure, series_colour


def seed_summary_figure(summary, x: str, y: str, *, hue: str | None = None, col: str | None = None,
                        logx: bool = False, logy: bool = False, title: str = ""):
    """One panel per value of ``col``, one line per value of ``hue``: the mean of ``y`` over seeds
    against ``x``, a band from the smallest to the largest seed's value, and error bars of one
    standard deviation.

    Parameters
    ----------
    summary : DataFrame
        From :func:`twolayer.study.tables.over_seeds` (columns ``col``, ``hue``, ``x``, mean, std,
        min, max, n).
    x, y : str
        The setting on the x axis and the metric.
    hue, col : str, optional
        Settings that split lines and panels.
    logx, logy : bool
        Logarithmic axes.
    title : str
        The figure's title.
    """
    panels = [None] if col is None else list(dict.fromkeys(summary[col]))
    fig, axes = new_figure(len(panels), 1, width=4.6, height=3.6)
    for ax, panel in zip(axes[0], panels):
        part = summary if panel is None else summary[summary[col] == panel]
        lines = [None] if hue is None else list(dict.fromkeys(part[hue]))
        for i, line in enumerate(lines):
            rows = part if line is None else part[part[hue] == line]
            xs = rows[x].to_numpy()
            colour = series_colour(i)
            n = rows["n"].to_numpy()
            name = f"{hue} = {line}" if line is not None else "mean"
            ax.errorbar(xs, rows["mean"], yerr=rows["std"], color=colour, marker="o", ms=4, capsize=2,
                        label=f"{name} (n = {n.min()}-{n.max()})" if n.min() != n.max() else f"{name} (n = {n.min()})")
            ax.fill_between(xs, rows["min"], rows["max"], color=colour, alpha=0.15, lw=0)
        if logx:
            ax.set_xscale("log")
        if logy and np.all(part["min"] > 0):
            ax.set_yscale("log")
        label(ax, x, y, None if panel is None else f"{col} = {panel}", legend=True)
    if title:
        fig.suptitle(title)
    return fig


__all__ = ["seed_summary_figure"]

"""Predictors of scalar-input networks over their data, with the neurons' kinks marked."""

from __future__ import annotations

import numpy as np

from ..analysis.univariate import kinks
from .style import series_colour


def predictor_1d(ax, nets: dict, X, y, X_test=None, y_test=None, *, title: str | None = None,
                 show_kinks: bool = True, resolution: int = 600, legend: bool = True):
    """Train points (red), test points (small, blue), each network of ``nets`` = {label: Net} as a
    curve over the data range, and its kinks (:func:`twolayer.analysis.kinks`) as dots on the curve."""
    x = np.asarray(X, dtype=float).reshape(-1)
    lo, hi = x.min(), x.max()
    if X_test is not None:
        xt = np.asarray(X_test, dtype=float).reshape(-1)
        lo, hi = min(lo, xt.min()), max(hi, xt.max())
        ax.scatter(xt, y_test, s=5, color="tab:blue", alpha=0.35, lw=0, label="test", zorder=1)
    ax.scatter(x, y, s=16, color="tab:red", zorder=3, label="train")
    grid = np.linspace(lo, hi, resolution)
    for i, (name, net) in enumerate(nets.items()):
        colour = series_colour(i)
        ax.plot(grid, net(grid[:, None]), color=colour, lw=1.4, label=name, zorder=2)
        if show_kinks:
            k = kinks(net, (lo, hi))
            ax.plot(k, net(k[:, None]) if k.size else k, "o", ms=3.5, mfc="white", mec=colour, zorder=4)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(loc="best", fontsize=7)
    return ax

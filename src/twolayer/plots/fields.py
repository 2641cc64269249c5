"""Colour maps of a function of two inputs."""

from __future__ import annotations

import numpy as np


def grid(extent=(-3.0, 3.0, -3.0, 3.0), resolution: int = 151):
    """Points of a regular grid: returns (xx, yy, P) with P of shape (resolution^2, 2)."""
    x0, x1, y0, y1 = extent
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def function_map(ax, fn, *, extent=(-3.0, 3.0, -3.0, 3.0), resolution: int = 151, vmin=None, vmax=None,
                 cmap="RdBu_r", title: str | None = None, points=None, kinks=None, embed=None):
    """Colour plot of ``fn`` (maps (N, 2) inputs to (N,)) on ``extent``; returns the image.

    points : optional (n, 2) inputs drawn as small black dots (the training data).
    kinks : optional (k, 2) directions b_j; the lines b_j . x = 0 (where relu(b_j . x) bends) are
        drawn dashed.
    embed : optional function lifting the (N, 2) grid to the network's inputs (e.g. padding the
        hidden coordinates with zeros).
    """
    xx, yy, P = grid(extent, resolution)
    values = np.asarray(fn(P if embed is None else embed(P))).reshape(xx.shape)
    im = ax.imshow(values, extent=extent, origin="lower", cmap=cmap, vmin=vmin, vmax=vmax, aspect="equal",
                   interpolation="bilinear")
    if kinks is not None:
        t = np.linspace(-10, 10, 3)
        for b in np.asarray(kinks):
            ax.plot(-b[1] * t, b[0] * t, "k--", lw=0.8, alpha=0.7)
    if points is not None:
        pts = np.asarray(points)
        ax.plot(pts[:, 0], pts[:, 1], ".", color="k", ms=2.5, alpha=0.6)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.grid(False)
    if title:
        ax.set_title(title)
    return im

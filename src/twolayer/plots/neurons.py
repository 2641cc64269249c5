"""Neurons of a network on 1-D inputs with the bias as second coordinate (x, 1)."""

from __future__ import annotations

import numpy as np

from ..data import with_bias


def orientation_plane(ax, net, x, y, *, xlim=None, title: str | None = None, signs=None, legend: bool = True):
    """The orientation / signed-norm plane of seed 003 with the model overlaid.

    Each neuron j (inputs (x, 1), so w_j = (w_j1, w_j2)) is drawn at ``(-w_j2 / w_j1, s_j ||w_j||)``:
    its abscissa is the kink of ``relu(w_j1 x + w_j2)``, so it shares the input axis with the
    model ``h(x)``, drawn on a second y axis together with the data (x_k, y_k).

    ``signs`` are the s_j (default: the signs of a_j). Neurons whose kink lies outside ``xlim``
    are drawn at the edge with an open marker.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xlim is None:
        span = x.max() - x.min()
        xlim = (x.min() - 0.5 * span, x.max() + 0.5 * span)
    W = net.W
    s = np.sign(net.a) if signs is None else np.asarray(signs)
    with np.errstate(divide="ignore", invalid="ignore"):
        kink = -W[:, 1] / W[:, 0]
    signed_norm = s * np.linalg.norm(W, axis=1)
    inside = np.isfinite(kink) & (kink >= xlim[0]) & (kink <= xlim[1])
    ax.plot(kink[inside], signed_norm[inside], "*", color="tab:blue", ms=7, label="neurons")
    clipped = np.clip(np.nan_to_num(kink, nan=xlim[1], posinf=xlim[1], neginf=xlim[0]), *xlim)
    if np.any(~inside):
        ax.plot(clipped[~inside], signed_norm[~inside], "*", mfc="none", color="tab:blue", ms=7,
                label="neurons (kink off-axis)")
    ax.set_xlim(*xlim)
    ax.set_xlabel(r"orientation $-w_{j,2}/w_{j,1}$  (= input $x$)")
    ax.set_ylabel(r"signed norm $s_j\|w_j\|$", color="tab:blue")
    ax.axhline(0, color="0.6", lw=0.8)
    ax2 = ax.twinx()
    grid = np.linspace(*xlim, 400)
    ax2.plot(grid, net(with_bias(grid)), color="tab:green", lw=1.8, label=r"model $h_\theta(x)$")
    ax2.plot(x, y, "o", color="tab:red", ms=7, label="data")
    ax2.set_ylabel(r"$h_\theta(x)$", color="tab:green")
    lo = min(y.min(), 0) - 0.4 * np.ptp(np.append(y, 0)) - 0.1
    hi = max(y.max(), 0) + 0.4 * np.ptp(np.append(y, 0)) + 0.1
    ax2.set_ylim(lo, hi)
    ax2.grid(False)
    if title:
        ax.set_title(title)
    if legend:
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="lower right", fontsize=7, framealpha=0.8)
    return ax

"""Neurons of a network on 1-D inputs with the bias as second coordinate (x, 1)."""

from __future__ import annotations

import numpy as np

from ..data import with_bias


def osn_points(ax, W, signs, xlim, *, colour: str = "tab:blue", label: str = "neurons", ms: float = 7):
    """Neurons at (-w_j2 / w_j1, s_j ||w_j||); those whose kink lies outside ``xlim`` are drawn at the
    edge with an open marker."""
    W = np.asarray(W, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        kink = -W[:, 1] / W[:, 0]
    signed_norm = np.asarray(signs) * np.linalg.norm(W, axis=1)
    inside = np.isfinite(kink) & (kink >= xlim[0]) & (kink <= xlim[1])
    ax.plot(kink[inside], signed_norm[inside], "*", color=colour, ms=ms, ls="none", label=label)
    clipped = np.clip(np.nan_to_num(kink, nan=xlim[1], posinf=xlim[1], neginf=xlim[0]), *xlim)
    if np.any(~inside):
        ax.plot(clipped[~inside], signed_norm[~inside], "*", mfc="none", color=colour, ms=ms, ls="none",
                label=f"{label} (kink off-axis)")
    return ax


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
    osn_points(ax, net.W, np.sign(net.a) if signs is None else signs, xlim)
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


def weight_plane(ax, W, *, X=None, y=None, a=None, colour=None, label=None, directions: bool = True,
                 show_data: bool = False, title: str | None = None, marker: str = "*"):
    """Neurons at (w_j1, w_j2) (thesis Figure 3.9).

    With ``a``, ``X`` and ``y`` and no ``colour``, neurons in S+,1 are magenta, those in S-,1 aqua and
    the others blue; with ``directions`` the alignment directions D+ and D- are drawn as red dashed
    lines through the origin (scaled to the neurons), and with ``show_data`` the inputs x_k as red dots.
    """
    from ..analysis import alignment_directions
    from ..init import both_signs_sets

    W = np.asarray(W, dtype=float)
    if colour is None and a is not None and X is not None:
        s_plus, s_minus = both_signs_sets(np.asarray(a), W, None, X, y)
        colours = np.full(len(W), "tab:blue", dtype=object)
        colours[s_plus], colours[s_minus] = "magenta", "darkturquoise"
        for c, name in (("tab:blue", "other"), ("magenta", "S+,1"), ("darkturquoise", "S-,1")):
            pick = colours == c
            if pick.any():
                ax.plot(W[pick, 0], W[pick, 1], marker, color=c, ms=7, ls="none", label=name)
    else:
        ax.plot(W[:, 0], W[:, 1], marker, color=colour or "tab:blue", ms=6, ls="none", label=label)
    if directions and X is not None:
        r = 1.1 * max(np.abs(W).max(), 1e-300)
        for D, name in zip(alignment_directions(X, y), ("D+", "D-")):
            if not np.linalg.norm(D) > 0:      # no label of that sign
                continue
            u = D / np.linalg.norm(D)
            ax.plot([-r * u[0], r * u[0]], [-r * u[1], r * u[1]], "r--", lw=1)
            ax.annotate(name, (r * u[0], r * u[1]), color="r", fontsize=8)
    if show_data and X is not None:
        ax.plot(X[:, 0], X[:, 1], "o", color="tab:red", ms=6, label="data x_k")
    ax.set_xlabel(r"$w_{j,1}$")
    ax.set_ylabel(r"$w_{j,2}$")
    if title:
        ax.set_title(title)
    return ax

"""Neurons as particles: the points |a_j| w_j in the input plane, coloured by the sign of a_j."""

from __future__ import annotations

import numpy as np

POS, NEG = "tab:red", "tab:blue"


def particle_positions(a, W) -> np.ndarray:
    """|a_j| w_j for each neuron (first two input coordinates): (m, 2), or (T, m, 2) for snapshots."""
    a, W = np.asarray(a), np.asarray(W)
    return np.abs(a)[..., None] * W[..., :2]


def _teacher_rays(ax, teacher, scale):
    if teacher is None:
        return
    for aj, bj in zip(teacher.a, teacher.W):
        v = bj[:2] / max(np.linalg.norm(bj[:2]), 1e-300) * scale
        ax.plot([0, v[0]], [0, v[1]], "-", color=POS if aj > 0 else NEG, lw=1.0, alpha=0.5)
        ax.plot([v[0]], [v[1]], "*", color=POS if aj > 0 else NEG, ms=10, mec="k", mew=0.5)


def particles(ax, net, *, teacher=None, title: str | None = None, lim=None):
    """Scatter the particles |a_j| w_j of ``net`` (red: a_j > 0, blue: a_j < 0); teacher
    directions (if given) as rays ending in stars. Returns the (m, 2) positions drawn."""
    P = particle_positions(net.a, net.W)
    pos = net.a > 0
    ax.scatter(P[pos, 0], P[pos, 1], s=6, color=POS, label="$a_j > 0$", alpha=0.7, lw=0)
    ax.scatter(P[~pos, 0], P[~pos, 1], s=6, color=NEG, label="$a_j < 0$", alpha=0.7, lw=0)
    r = lim or 1.1 * max(np.abs(P).max(), 1e-12)
    _teacher_rays(ax, teacher, 0.9 * r)
    _square(ax, r, title)
    return P


def particle_paths(ax, traj, *, teacher=None, title: str | None = None, max_paths: int = 300):
    """Trajectories of the particles over the recorded snapshots of ``traj`` (thin lines) and
    their final positions (dots)."""
    P = particle_positions(traj.a, traj.W)  # (T, m, 2)
    sign = traj.a[-1] > 0
    idx = np.arange(P.shape[1])[: max_paths]
    for j in idx:
        ax.plot(P[:, j, 0], P[:, j, 1], "-", color=POS if sign[j] else NEG, lw=0.5, alpha=0.5)
    ax.scatter(P[-1, sign, 0], P[-1, sign, 1], s=8, color=POS, label="$a_j > 0$", zorder=3, lw=0)
    ax.scatter(P[-1, ~sign, 0], P[-1, ~sign, 1], s=8, color=NEG, label="$a_j < 0$", zorder=3, lw=0)
    r = 1.1 * max(np.abs(P).max(), 1e-12)
    _teacher_rays(ax, teacher, 0.9 * r)
    _square(ax, r, title)
    return P


def _square(ax, r, title):
    ax.set_xlim(-r, r)
    ax.set_ylim(-r, r)
    ax.set_aspect("equal")
    ax.axhline(0, color="0.8", lw=0.6)
    ax.axvline(0, color="0.8", lw=0.6)
    ax.set_xlabel(r"$|a_j|\,w_{j,1}$")
    ax.set_ylabel(r"$|a_j|\,w_{j,2}$")
    if title:
        ax.set_title(title)


def animate_particles(traj, path, *, teacher=None, fps: int = 12, title: str = "", max_frames: int = 120):
    """Write an animated GIF of the particles moving over the recorded snapshots (Pillow writer).
    Returns the path."""
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    P = particle_positions(traj.a, traj.W)
    frames = np.unique(np.linspace(0, len(P) - 1, min(max_frames, len(P))).astype(int))
    sign = traj.a[-1] > 0
    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=90)
    r = 1.1 * max(np.abs(P).max(), 1e-12)
    _teacher_rays(ax, teacher, 0.9 * r)
    _square(ax, r, None)
    pos = ax.scatter(P[0, sign, 0], P[0, sign, 1], s=8, color=POS, lw=0)
    neg = ax.scatter(P[0, ~sign, 0], P[0, ~sign, 1], s=8, color=NEG, lw=0)
    label = ax.set_title("")

    def draw(k):
        pos.set_offsets(P[k, sign])
        neg.set_offsets(P[k, ~sign])
        label.set_text(f"{title}  t = {traj.times[k]:.3g}")
        return pos, neg, label

    anim = FuncAnimation(fig, draw, frames=frames, blit=False)
    anim.save(str(path), writer=PillowWriter(fps=fps))
    plt.close(fig)
    return path

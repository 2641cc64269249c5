"""Seed 004, Problem 3 parts 1-2: one gradient step collapses the stable rank of the first layer.

f(x; W) = sum_j a_j phi(<w_j, x>), phi(t) = max(t, gamma t), a_j = +-1/sqrt(m) fixed, logistic loss,
W_0 with i.i.d. N(0, sigma^2) entries, W_1 = W_0 - alpha grad L(W_0) on nearly orthogonal data
(n points x_i ~ N(0, I_d / d), so ||x_i|| is about 1, with random labels).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis import p_orthogonality, stable_rank
from ..data import gaussian_points
from ..init import init_net
from ..optim import GD
from ..plots import label, new_figure
from ..errors import InvalidParameter
from ..train import train
from . import Experiment, register
from .base import param
from .budget import SEED_MAX

MAX_ENTRIES = 50_000_000   # m x d of the largest W; a one-step run holds about 9 copies of W (3.4 GB at this size)


@dataclass
class Config:
    ms: tuple[int, ...] = param((50, 100, 200, 400, 800), "Widths m of the first layer W (m x d) on the grid.",
                                ge=1, le=3000)
    ds: tuple[int, ...] = param((1000, 2000, 4000, 8000, 16000), "Input dimensions d on the grid.", ge=1, le=60_000)
    n: int = param(10, "Number of training points x_i ~ N(0, I_d / d) with random labels.", ge=1, le=2000)
    gamma: float = param(0.5, "Leaky ReLU slope: phi(t) = max(t, gamma t).", gt=0, le=1)
    sigma: float = param(1e-6, "Standard deviation of the entries of W_0 on the (m, d) grid.", gt=0, le=10)
    alpha: float = param(1.0, "Size of the one GD step W_1 = W_0 - alpha grad L(W_0).", gt=0, le=1e4)
    sigmas: tuple[float, ...] = param((1e-7, 1e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 1e-2), "Standard deviations of W_0 "
                                      "swept at the middle width and the largest d.", gt=0, le=10)
    seed: int = param(0, "Random seed of the data and of W_0.", ge=0, le=SEED_MAX)


QUICK = {"ms": (50, 200, 800), "ds": (1000, 4000, 16000), "sigmas": (1e-7, 1e-5, 1e-4, 1e-3, 1e-2)}


def one_step(m, d, sigma, cfg, ctx, X, y):
    """(StableRank(W_0), StableRank(W_1))."""
    net = init_net(d, m, "leaky_relu", "none", init="fixed_outer", scale=sigma, slope=cfg.gamma, seed=cfg.seed + 1)
    run = train(net, X, y, loss="logistic", trainable=("W",), optimizer=GD(cfg.alpha), steps=1, record_at=[0, 1],
                engine=ctx.engine, quiet=True)
    return stable_rank(run.W[0]), stable_rank(run.W[1])


def check(cfg: Config) -> None:
    """The largest first layer, max(ms) x max(ds), must fit in memory (each W is held about ten times)."""
    m, d = max(cfg.ms), max(cfg.ds)
    if m * d > MAX_ENTRIES:
        raise InvalidParameter("ms", cfg.ms, f"max(ms) x max(ds) = {m} x {d} = {m * d:.3g} weights is more than "
                               f"{MAX_ENTRIES:.0e}; use max(ms) <= {MAX_ENTRIES // d} with max(ds) = {d}, or smaller ds")
    if cfg.n * d > MAX_ENTRIES:
        raise InvalidParameter("n", cfg.n, f"n x max(ds) = {cfg.n * d:.3g} data entries is more than {MAX_ENTRIES:.0e}; "
                               f"use n <= {MAX_ENTRIES // d}")


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    sr0 = np.zeros((len(cfg.ms), len(cfg.ds)))
    sr1 = np.zeros_like(sr0)
    p = []
    for k, d in enumerate(cfg.ds):
        X, y = gaussian_points(cfg.n, d, std=1 / np.sqrt(d), seed=cfg.seed)
        p.append(p_orthogonality(X))
        for i, m in enumerate(cfg.ms):
            sr0[i, k], sr1[i, k] = one_step(m, d, cfg.sigma, cfg, ctx, X, y)
    m_mid, d_big = cfg.ms[len(cfg.ms) // 2], cfg.ds[-1]
    X, y = gaussian_points(cfg.n, d_big, std=1 / np.sqrt(d_big), seed=cfg.seed)
    by_sigma = np.array([one_step(m_mid, d_big, s, cfg, ctx, X, y) for s in cfg.sigmas])

    fig, axes = new_figure(3, 1, width=4.3, height=3.5)
    ax = axes[0, 0]
    for k, d in enumerate(cfg.ds):
        ax.plot(cfg.ms, sr0[:, k], "o--", color=f"C{k}", lw=1, ms=3)
        ax.plot(cfg.ms, sr1[:, k], "s-", color=f"C{k}", label=f"d = {d} (p = {p[k]:.2g})")
    ax.plot(cfg.ms, [min(m, cfg.ds[0]) for m in cfg.ms], "k:", lw=1, label="min(m, d_min)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(ax, "width m", "stable rank", "W_0 (dashed) and W_1 (solid)", legend=True, fontsize=6)
    ax = axes[0, 1]
    im = ax.imshow(sr1, origin="lower", cmap="magma")
    for i in range(len(cfg.ms)):
        for k in range(len(cfg.ds)):
            ax.text(k, i, f"{sr1[i, k]:.2f}", ha="center", va="center", fontsize=7, color="w")
    ax.set_xticks(range(len(cfg.ds)), [str(d) for d in cfg.ds], rotation=30)
    ax.set_yticks(range(len(cfg.ms)), [str(m) for m in cfg.ms])
    ax.figure.colorbar(im, ax=ax, shrink=0.8)
    label(ax, "d", "m", "StableRank(W_1)")
    ax = axes[0, 2]
    ax.plot(cfg.sigmas, by_sigma[:, 0], "o--", label="W_0")
    ax.plot(cfg.sigmas, by_sigma[:, 1], "s-", label="W_1")
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(ax, "initial scale sigma", "stable rank", f"m = {m_mid}, d = {d_big}", legend=True)
    ctx.figure(fig, "stable_rank", "One GD step collapses the stable rank",
               f"Leaky ReLU (gamma = {cfg.gamma:g}), a_j = +-1/sqrt(m) fixed, logistic loss on n = {cfg.n} Gaussian points "
               f"x_i ~ N(0, I/d) with random labels (p-orthogonality p listed per d), W_0 ~ N(0, sigma^2), "
               f"sigma = {cfg.sigma:g}, one GD step of size alpha = {cfg.alpha:g}. StableRank(W_0) grows like min(m, d) "
               f"(up to {sr0.max():.0f}); StableRank(W_1) stays between {sr1.min():.2f} and {sr1.max():.2f} over the whole "
               f"grid. Right: the collapse needs a small initialisation; once sigma ||W_0|| competes with the step, W_1 "
               f"keeps the rank of W_0.")
    return {"ms": list(cfg.ms), "ds": list(cfg.ds), "p_orthogonality": p, "stable_rank_w0": sr0.tolist(),
            "stable_rank_w1": sr1.tolist(), "max_stable_rank_w1": float(sr1.max()),
            "sigmas": list(cfg.sigmas), "stable_rank_w0_by_sigma": by_sigma[:, 0].tolist(),
            "stable_rank_w1_by_sigma": by_sigma[:, 1].tolist()}


register(Experiment(
    name="stable-rank-one-step", seed_file="004_dc5170f39b81d439.txt",
    description="Seed 004 Problem 3.1-3.2: StableRank(W_0) ~ min(m, d) for Gaussian W_0, but after one GD step on "
                "nearly orthogonal data StableRank(W_1) stays bounded by a constant.",
    config=Config, run=run, quick=QUICK, source="sheet 004, problem 3, parts 1-2"))

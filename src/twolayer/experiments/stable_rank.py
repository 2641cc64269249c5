"""Seed 004, Problem 3 parts 1-2: one gradient step collapses the stable rank of the first layer.

f(x; W) = sum_j a_j phi(<w_j, x>), phi(t) = max(t, gamma t), a_j = +-1/sqrt(m) fixed, logistic loss,
W_0 with i.i.d. N(0, sigma^2) entries, W_1 = W_0 - alpha grad L(W_0) on nearly orthogonal data
(n points x_i ~ N(0, I_d / d), so ||x_i|| is about 1, with random labels).

Part 2 assumes p-orthogonal data with p large: every (seed, d) records the p of its draw, and a
draw with p < ``p_min`` is flagged and left out of the conclusions (the default dimensions are
chosen so that the draws satisfy p >= 3). The step is computed in closed form from Gram matrices
(:func:`one_step_stable_ranks`), so one draw of W_0 serves every width (its first m rows) and every
sigma (W_0 = sigma Z).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from matplotlib.colors import LogNorm
from matplotlib.ticker import NullLocator

from ..analysis import p_orthogonality, spread
from ..data import gaussian_points
from ..errors import InvalidParameter
from ..plots import label, mean_band, new_figure
from . import Experiment, register
from .base import param
from .budget import SEED_MAX

MAX_ENTRIES = 50_000_000   # m x d of the largest W_0 draw (400 MB in float64; the step itself works on m x m Grams)
CONSTANT_WITHIN = 1.5      # StableRank(W_1) "does not depend on m" when its means over the m grid differ by <= this factor
COLLAPSED, KEPT = 0.1, 0.5  # StableRank(W_1) / StableRank(W_0): collapsed at most COLLAPSED, kept at least KEPT


@dataclass
class Config:
    ms: tuple[int, ...] = param((50, 100, 200, 400, 800), "Widths m of the first layer W (m x d) on the grid.",
                                ge=1, le=3000)
    ds: tuple[int, ...] = param((16000, 24000, 32000, 45000, 60000), "Input dimensions d on the grid (n = 10 "
                                "Gaussian points are p-orthogonal with p >= 3 from about d = 16000).", ge=1, le=60_000)
    n: int = param(10, "Number of training points x_i ~ N(0, I_d / d) with random labels.", ge=2, le=2000)
    gamma: float = param(0.5, "Leaky ReLU slope: phi(t) = max(t, gamma t).", gt=0, le=1)
    sigma: float = param(1e-6, "Standard deviation of the entries of W_0 on the (m, d) grid.", gt=0, le=10)
    alpha: float = param(1.0, "Size of the one GD step W_1 = W_0 - alpha grad L(W_0).", gt=0, le=1e4)
    sigmas: tuple[float, ...] = param((1e-7, 1e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 1e-2), "Standard deviations of W_0 "
                                      "swept at the middle width and the largest d.", gt=0, le=10)
    p_min: float = param(3.0, "Hypothesis of part 2: the data are p-orthogonal with p >= p_min (Problem 2 asks p >= 3); "
                         "a (seed, d) whose draw falls short is flagged and left out of the conclusions.", gt=0, le=1000)
    seeds: int = param(5, "Seeds: seed + k (k < seeds) draws the data (seed + k) and W_0 (seed + k + 1).", ge=1, le=100)
    seed: int = param(0, "First random seed of the data and of W_0.", ge=0, le=SEED_MAX)


QUICK = {"ms": (25, 100, 400), "ds": (16000, 32000), "sigmas": (1e-7, 1e-5, 1e-4, 1e-3, 1e-2), "seeds": 3}


def outer_weights(m: int) -> np.ndarray:
    """a_j = +1/sqrt(m) for the first ceil(m/2) neurons, -1/sqrt(m) for the rest (init "fixed_outer")."""
    return np.where(np.arange(m) < (m + 1) // 2, 1.0, -1.0) / np.sqrt(m)


def gram_stable_rank(G) -> float:
    """StableRank(M) = trace(G) / lambda_max(G) from the Gram matrix G = M M^T (m x m); only the top
    eigenvalue is computed (LAPACK syevr)."""
    m = len(G)
    top = scipy.linalg.eigh(G, eigvals_only=True, subset_by_index=[m - 1, m - 1], driver="evr")[0]
    return 0.0 if top <= 0 else float(np.trace(G) / top)


def step_gram(ZZ, ZX, K, y, sigma: float, alpha: float, gamma: float) -> np.ndarray:
    """G_1 = W_1 W_1^T for W_0 = sigma Z and one GD step on the mean logistic loss.

    With P = W_0 X^T = sigma Z X^T (m x n), f_i = sum_j a_j phi(P_ji) and
    g_i = dL/df_i = -(y_i / n) / (1 + exp(y_i f_i)), the gradient is grad L = B X with
    B_ji = a_j phi'(P_ji) g_i, so W_1 = sigma Z - alpha B X and
    G_1 = sigma^2 Z Z^T - alpha sigma (Z X^T B^T + B X Z^T) + alpha^2 B (X X^T) B^T.

    Parameters
    ----------
    ZZ : (m, m) Z Z^T;  ZX : (m, n) Z X^T;  K : (n, n) X X^T;  y : (n,) labels +-1.
    """
    m, n = ZX.shape
    a = outer_weights(m)
    f = sigma * (a @ np.where(ZX > 0, ZX, gamma * ZX))
    g = -y / n / (1.0 + np.exp(np.clip(y * f, -700, 700)))
    B = a[:, None] * np.where(ZX > 0, 1.0, gamma) * g[None, :]
    cross = ZX @ B.T
    return sigma ** 2 * ZZ - alpha * sigma * (cross + cross.T) + alpha ** 2 * (B @ K @ B.T)


def one_step_stable_ranks(ZZ, ZX, K, y, sigma: float, alpha: float, gamma: float, sr0: float | None = None):
    """(StableRank(W_0), StableRank(W_1)) for W_0 = sigma Z (see :func:`step_gram`); StableRank(W_0)
    does not depend on sigma and may be passed as ``sr0``."""
    sr0 = gram_stable_rank(ZZ) if sr0 is None else sr0
    return sr0, gram_stable_rank(step_gram(ZZ, ZX, K, y, sigma, alpha, gamma))


def one_draw(cfg: Config, seed: int, d: int) -> dict:
    """One data set (seed) and one W_0 draw (seed + 1) in dimension d: its p-orthogonality, the stable
    ranks of W_0 and W_1 for every width (the first m rows of the draw) at sigma = cfg.sigma, and at the
    largest d the same at the middle width for every sigma of cfg.sigmas."""
    X, y = gaussian_points(cfg.n, d, std=1 / np.sqrt(d), seed=seed)
    Z = np.random.default_rng(seed + 1).standard_normal((max(cfg.ms), d))   # init_net's draw of W_0 / sigma
    ZZ, ZX, K = Z @ Z.T, Z @ X.T, X @ X.T
    del Z
    ranks = np.array([one_step_stable_ranks(ZZ[:m, :m], ZX[:m], K, y, cfg.sigma, cfg.alpha, cfg.gamma)
                      for m in cfg.ms])
    out = {"p": float(p_orthogonality(X)), "sr0": ranks[:, 0], "sr1": ranks[:, 1]}
    if d == max(cfg.ds):
        m = middle_width(cfg)
        sr0 = float(ranks[list(cfg.ms).index(m), 0])
        out["by_sigma"] = np.array([one_step_stable_ranks(ZZ[:m, :m], ZX[:m], K, y, s, cfg.alpha, cfg.gamma, sr0)
                                    for s in cfg.sigmas])
    return out


def middle_width(cfg: Config) -> int:
    return cfg.ms[len(cfg.ms) // 2]


def check(cfg: Config) -> None:
    """The largest draw of W_0, max(ms) x max(ds), and the data, n x max(ds), must fit in memory."""
    m, d = max(cfg.ms), max(cfg.ds)
    if m * d > MAX_ENTRIES:
        raise InvalidParameter("ms", cfg.ms, f"max(ms) x max(ds) = {m} x {d} = {m * d:.3g} weights is more than "
                               f"{MAX_ENTRIES:.0e}; use max(ms) <= {MAX_ENTRIES // d} with max(ds) = {d}, or smaller ds")
    if cfg.n * d > MAX_ENTRIES:
        raise InvalidParameter("n", cfg.n, f"n x max(ds) = {cfg.n * d:.3g} data entries is more than {MAX_ENTRIES:.0e}; "
                               f"use n <= {MAX_ENTRIES // d}")


# -- conclusions, computed from the numbers --------------------------------------------------
def excluded_points(ds, p, p_min: float, seeds) -> list[dict]:
    """The (seed, d) draws outside the hypothesis p >= p_min, with the reason."""
    return [{"seed": int(seeds[k]), "d": int(d), "p": float(p[k, j]),
             "reason": f"data only {p[k, j]:.3g}-orthogonal, below the hypothesis p >= {p_min:g}"}
            for k in range(len(seeds)) for j, d in enumerate(ds) if not p[k, j] >= p_min]


def collapse_sentence(ms, ds, sr0, sr1, p, p_min: float, seeds) -> str:
    """What the (m, d) grid shows about part 2, from the draws that satisfy its hypothesis.

    sr0, sr1 : (S, M, D) stable ranks of W_0 and W_1 per seed, width and dimension.
    p : (S, D) p-orthogonality of each seed's data in each dimension.
    """
    sr0, sr1, p = np.asarray(sr0, float), np.asarray(sr1, float), np.asarray(p, float)
    keep = p >= p_min
    left = excluded_points(ds, p, p_min, seeds)
    tail = "" if not left else (" Left out: " + "; ".join(f"seed {e['seed']}, d = {e['d']} ({e['reason']})"
                                                           for e in left) + ".")
    if not keep.any():
        return f"No draw satisfies the hypothesis p >= {p_min:g}: no conclusion is drawn from the grid." + tail
    mask = np.broadcast_to(keep[:, None, :], sr1.shape)
    per_m1 = np.array([sr1[:, i, :][keep].mean() for i in range(len(ms))])
    per_m0 = np.array([sr0[:, i, :][keep].mean() for i in range(len(ms))])
    s1, growth = spread(sr1[mask]), float(per_m1.max() / per_m1.min())
    head = (f"Over the {s1['n']} (seed, m, d) points whose data satisfy p >= {p_min:g}, StableRank(W_1) = "
            f"{s1['mean']:.3g} +- {s1['sd']:.2g} (range {s1['lo']:.3g}-{s1['hi']:.3g}) while StableRank(W_0) goes from "
            f"{per_m0.min():.3g} to {per_m0.max():.3g} across m = {min(ms)}-{max(ms)}")
    if growth <= CONSTANT_WITHIN:
        return (head + f"; the mean of StableRank(W_1) changes by a factor {growth:.3g} across m: one step brings the "
                "stable rank from order min(m, d) to a constant independent of m and d." + tail)
    return (head + f"; the mean of StableRank(W_1) changes by a factor {growth:.3g} across m (more than "
            f"{CONSTANT_WITHIN:g}): on this grid it is not bounded by a constant independent of m." + tail)


def sigma_sentence(sigmas, ratio, m: int, d: int) -> str:
    """What the sigma sweep shows: where StableRank(W_1) / StableRank(W_0) collapses and where it stays.

    ratio : (S, len(sigmas)) per retained seed (NaN rows or entries are left out).
    """
    r = np.asarray(ratio, float)
    if not np.isfinite(r).any():
        return f"At m = {m}, d = {d} no seed's data satisfy the hypothesis: no conclusion on sigma."
    stats = [spread(r[:, i]) for i in range(len(sigmas))]
    listed = ", ".join(f"{st['mean']:.3g} +- {st['sd']:.2g} (sigma = {s:g})" for s, st in zip(sigmas, stats))
    low = [s for s, st in zip(sigmas, stats) if st["n"] and st["mean"] <= COLLAPSED]
    high = [s for s, st in zip(sigmas, stats) if st["n"] and st["mean"] >= KEPT]
    text = f"At m = {m}, d = {d}, StableRank(W_1) / StableRank(W_0) over seeds is {listed}. "
    if not low:
        return text + f"No sigma swept collapses the rank (ratio <= {COLLAPSED:g})."
    text += f"The rank collapses (ratio <= {COLLAPSED:g}) for sigma in {{{', '.join(f'{s:g}' for s in low)}}}"
    if not high:
        return text + f"; no sigma swept keeps {KEPT:g} of W_0's rank."
    text += f" and W_1 keeps at least half of it (ratio >= {KEPT:g}) for sigma in {{{', '.join(f'{s:g}' for s in high)}}}"
    if max(low) < min(high):
        return text + ": the collapse needs a small initialisation."
    return text + ": the collapse does not follow sigma monotonically."


def colour_range(sr0_mean) -> tuple[float, float]:
    """The heat map's fixed colour scale: from 1 (the least stable rank of a nonzero matrix) to the
    largest mean StableRank(W_0) on the grid (where the matrices start), whatever StableRank(W_1) is."""
    v = np.asarray(sr0_mean, float)
    top = float(np.nanmax(v)) if np.isfinite(v).any() else 10.0
    return 1.0, max(top, 10.0)


def heatmap(ax, ms, ds, mean1, sd1, scale: tuple[float, float], p_min: float):
    """StableRank(W_1) over the (m, d) grid, mean +- sd written in each cell, on the fixed log colour
    scale ``scale`` (:func:`colour_range`); a cell with no draw inside the hypothesis is left blank
    and marked. Returns the image."""
    im = ax.imshow(mean1, origin="lower", cmap="viridis", norm=LogNorm(vmin=scale[0], vmax=scale[1]))
    for i in range(len(ms)):
        for k in range(len(ds)):
            text = f"p < {p_min:g}" if not np.isfinite(mean1[i][k]) else f"{mean1[i][k]:.3f}\n+-{sd1[i][k]:.3f}"
            ax.text(k, i, text, ha="center", va="center", fontsize=6, color="w")
    ax.set_xticks(range(len(ds)), [str(d) for d in ds], rotation=30)
    ax.set_yticks(range(len(ms)), [str(m) for m in ms])
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label="fixed log scale, 1 to max SR(W_0)")
    return im


# -- run ---------------------------------------------------------------------------------------
def run(cfg: Config, ctx) -> dict:
    check(cfg)
    seeds = [cfg.seed + k for k in range(cfg.seeds)]
    draws = {(s, d): ctx.run("one_step", lambda s=s, d=d: one_draw(cfg, s, d), seed=s, d=d)
             for s in seeds for d in cfg.ds}
    S, M, D = len(seeds), len(cfg.ms), len(cfg.ds)
    p = np.array([[draws[s, d]["p"] for d in cfg.ds] for s in seeds])                       # (S, D)
    sr0 = np.array([[draws[s, d]["sr0"] for d in cfg.ds] for s in seeds]).transpose(0, 2, 1)  # (S, M, D)
    sr1 = np.array([[draws[s, d]["sr1"] for d in cfg.ds] for s in seeds]).transpose(0, 2, 1)
    keep = p >= cfg.p_min
    kept1 = np.where(keep[:, None, :], sr1, np.nan)
    kept0 = np.where(keep[:, None, :], sr0, np.nan)
    with warnings.catch_warnings():      # a cell whose every draw is left out is NaN on purpose
        warnings.simplefilter("ignore", RuntimeWarning)
        mean0, mean1 = np.nanmean(kept0, axis=0), np.nanmean(kept1, axis=0)            # (M, D)
        sd1 = np.nanstd(kept1, axis=0, ddof=1) if S > 1 else np.zeros((M, D))
    d_big, m_mid = max(cfg.ds), middle_width(cfg)
    j_big = list(cfg.ds).index(d_big)
    by_sigma = np.array([draws[s, d_big]["by_sigma"] for s in seeds])                       # (S, sigmas, 2)
    ratio = np.where(keep[:, j_big, None], by_sigma[:, :, 1] / by_sigma[:, :, 0], np.nan)   # (S, sigmas)
    left = excluded_points(cfg.ds, p, cfg.p_min, seeds)
    grid_text = collapse_sentence(cfg.ms, cfg.ds, sr0, sr1, p, cfg.p_min, seeds)
    sigma_text = sigma_sentence(cfg.sigmas, ratio, m_mid, d_big)
    vmin, vmax = colour_range(mean0)

    fig, axes = new_figure(3, 1, width=4.3, height=3.5)
    ax = axes[0, 0]
    for j, d in enumerate(cfg.ds):
        pj = spread(p[:, j])
        mean_band(ax, cfg.ms, kept0[:, :, j].T, colour=f"C{j}", marker="o")
        ax.lines[-1].set_linestyle("--")
        mean_band(ax, cfg.ms, kept1[:, :, j].T, colour=f"C{j}", marker="s",
                  label=f"d = {d} (p = {pj['lo']:.2g}-{pj['hi']:.2g})" + ("" if keep[:, j].all() else
                                                                          f", {int((~keep[:, j]).sum())} left out"))
    ax.plot(cfg.ms, [min(m, min(cfg.ds)) for m in cfg.ms], "k:", lw=1, label="min(m, d_min)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(cfg.ms, [str(m) for m in cfg.ms])
    ax.xaxis.set_minor_locator(NullLocator())
    label(ax, "width m", "stable rank", f"W_0 (dashed) and W_1 (solid), {S} seeds", legend=True, fontsize=6)
    ax = axes[0, 1]
    heatmap(ax, cfg.ms, cfg.ds, mean1, sd1, (vmin, vmax), cfg.p_min)
    label(ax, "d", "m", "StableRank(W_1), mean +- sd")
    ax = axes[0, 2]
    good = keep[:, j_big]
    mean_band(ax, cfg.sigmas, np.where(good[:, None], by_sigma[:, :, 0], np.nan).T, label="W_0", marker="o")
    ax.lines[-1].set_linestyle("--")
    mean_band(ax, cfg.sigmas, np.where(good[:, None], by_sigma[:, :, 1], np.nan).T, label="W_1", marker="s")
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(ax, "initial scale sigma", "stable rank", f"m = {m_mid}, d = {d_big}, {int(good.sum())} seeds", legend=True)
    ctx.figure(fig, "stable_rank", "One GD step collapses the stable rank",
               f"Leaky ReLU (gamma = {cfg.gamma:g}), a_j = +-1/sqrt(m) fixed, logistic loss on n = {cfg.n} Gaussian points "
               f"x_i ~ N(0, I/d) with random labels, W_0 ~ N(0, sigma^2) (the first m rows of one draw per seed and d), "
               f"sigma = {cfg.sigma:g}, one GD step of size alpha = {cfg.alpha:g}, seeds {seeds[0]}-{seeds[-1]}: lines "
               f"are means over seeds, bands their range. The hypothesis of part 2 is p-orthogonal data with p >= "
               f"{cfg.p_min:g}; each d's range of p over seeds is in the legend, and a draw below it is left out. "
               f"Middle: the colour scale is fixed (log) from 1, the least possible stable rank, to "
               f"{vmax:.3g}, the largest mean StableRank(W_0), so only a change comparable to the collapse shows as "
               f"colour. {grid_text} Right: {sigma_text}")
    ctx.note(grid_text)
    ctx.note(sigma_text)
    finite = kept1[np.isfinite(kept1)]
    return {"ms": list(cfg.ms), "ds": list(cfg.ds), "seeds": seeds, "p_min": cfg.p_min,
            "p_orthogonality": p.tolist(), "hypothesis_holds": keep.tolist(), "left_out": left,
            "stable_rank_w0": mean0.tolist(), "stable_rank_w1": mean1.tolist(), "stable_rank_w1_sd": sd1.tolist(),
            "stable_rank_w0_by_seed": sr0.tolist(), "stable_rank_w1_by_seed": sr1.tolist(),
            "max_stable_rank_w1": float(finite.max()) if finite.size else None,
            "heatmap_colour_range": [vmin, vmax],
            "sigmas": list(cfg.sigmas), "sigma_sweep_m": m_mid, "sigma_sweep_d": d_big,
            "stable_rank_w0_by_sigma": _nanmean(np.where(good[:, None], by_sigma[:, :, 0], np.nan)),
            "stable_rank_w1_by_sigma": _nanmean(np.where(good[:, None], by_sigma[:, :, 1], np.nan)),
            "ratio_by_sigma_by_seed": ratio.tolist(),
            "conclusion_grid": grid_text, "conclusion_sigma": sigma_text}


def _nanmean(v) -> list:
    """Column means over the finite entries (NaN where a column has none)."""
    v = np.asarray(v, float)
    return [float(np.mean(c[np.isfinite(c)])) if np.isfinite(c).any() else float("nan") for c in v.T]


register(Experiment(
    name="stable-rank-one-step", seed_file="004_dc5170f39b81d439.txt",
    description="Seed 004 Problem 3.1-3.2: StableRank(W_0) ~ min(m, d) for Gaussian W_0, but after one GD step on "
                "p-orthogonal data StableRank(W_1) stays bounded by a constant (several seeds, draws outside the "
                "hypothesis flagged).",
    config=Config, run=run, quick=QUICK, source="sheet 004, problem 3, parts 1-2"))

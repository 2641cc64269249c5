"""Seed 002, exercise 1: the empirical first-layer NTK of a ReLU network concentrates around its
infinite-width limit like p^(-1/2), and its smallest eigenvalue converges to the limit's.

The Monte Carlo kernels of one width over all seeds are one stored unit (``ctx.run("kernels", ...,
p=p, index=i)``); the slope is fitted per seed and reported as mean +- sd over seeds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis import spread
from ..errors import InvalidParameter
from ..init import init_net
from ..ntk import analytic_ntk, empirical_ntk
from ..plots import label, mean_band, new_figure
from ..analysis.seeds import per_seed_slopes, slope_sentence
from . import Experiment, register
from .base import param
from .budget import SEED_MAX

MAX_PREACTIVATIONS = 100_000_000   # n x p entries of the (n, p) pre-activations at the largest width (800 MB each)


@dataclass
class Config:
    n: int = param(40, "Number of input points on the unit sphere (the kernels are n x n).", ge=1, le=1000)
    d: int = param(5, "Input dimension (points on the unit sphere of R^d).", ge=1, le=1000)
    log2_widths: tuple[int, ...] = param(tuple(range(4, 15)), "Widths p = 2^k of the network, as the exponents k "
                                         "(at least two different ones for the fitted slope).", ge=0, le=20)
    seeds: int = param(20, "Independent initialisations per width.", ge=1, le=1000)
    delta: float = param(0.05, "Failure probability of the Hoeffding bound (it holds with probability 1 - delta).",
                         gt=0, le=0.999)
    seed: int = param(0, "Random seed of the points and of the networks.", ge=0, le=SEED_MAX)


QUICK = {"log2_widths": tuple(range(4, 11)), "seeds": 20}


def sphere_points(n, d, seed):
    X = np.random.default_rng(seed).standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def hoeffding_bound(n, p, delta):
    """||K_hat - K||_F <= n sqrt(log(2 n^2 / delta) / (2 p)) with probability >= 1 - delta: each
    entry averages p i.i.d. terms <x_i, x_j> sigma'(.) sigma'(.) in an interval of length
    |<x_i, x_j>| <= 1 (inputs on the unit sphere); Hoeffding plus a union bound over n^2 entries."""
    return n * np.sqrt(np.log(2 * n * n / delta) / (2 * np.asarray(p, dtype=float)))


def check(cfg: Config) -> None:
    """Two widths at least (for the slope), and the (n, p) pre-activations of the largest width in memory."""
    if len(set(cfg.log2_widths)) < 2:
        raise InvalidParameter("log2_widths", cfg.log2_widths, "expected at least two different widths for the "
                               "fitted slope, e.g. log2_widths=4,6,8,10")
    p = 2 ** max(cfg.log2_widths)
    if cfg.n * p > MAX_PREACTIVATIONS:
        raise InvalidParameter("log2_widths", cfg.log2_widths, f"n x p = {cfg.n} x 2^{max(cfg.log2_widths)} is more than "
                               f"{MAX_PREACTIVATIONS:.0e} pre-activations; lower the largest exponent or n")


def hoeffding_sentence(above: int, total: int, delta: float) -> str:
    """How the bound of part (b), meant to hold with probability 1 - delta per draw, fared."""
    if above == 0:
        return f"the Hoeffding bound of part (b) holds in all {total} draws (it ignores the averaging over entries)"
    return (f"the Hoeffding bound of part (b) fails in {above} of {total} draws ({100 * above / total:.1f}%, against "
            f"the {100 * delta:g}% it allows)")


def lambda_sentence(lam: dict, limit: float, positive: int, p: int) -> str:
    """Part (c) from lambda_min(K_hat) over the seeds at the largest width p: its spread, its distance
    to lambda_min(K), and how many draws have it positive."""
    rel = abs(lam["mean"] - limit) / abs(limit)
    tail = (f"all {lam['n']} draws have lambda_min > 0, so for wide networks the kernel is invertible with high "
            "probability (part (c))" if positive == lam["n"] else
            f"only {positive} of {lam['n']} draws have lambda_min > 0: these widths do not yet show part (c)")
    return (f"at p = {p}, lambda_min(K_hat) = {lam['mean']:.4g} +- {lam['sd']:.2g}, {100 * rel:.1f}% from "
            f"lambda_min(K) = {limit:.4g}; {tail}")


def kernels_at(cfg: Config, X, K, p: int, i: int) -> dict:
    """Relative Frobenius errors ||K_hat - K||_F / ||K||_F and lambda_min(K_hat), (seeds,) each, of the
    empirical first-layer NTK of ``cfg.seeds`` independent networks of width p (index i of the sweep)."""
    err, lam = np.zeros(cfg.seeds), np.zeros(cfg.seeds)
    for s in range(cfg.seeds):
        # a_j = +-1 (only a_j^2 = 1 enters the first-layer kernel), w_j ~ N(0, I_d), scale p^(-1/2)
        net = init_net(cfg.d, int(p), "relu", "ntk", init="fixed_outer", scale=1.0, outer_scale=1.0,
                       seed=cfg.seed + 1 + 1000 * s + i)
        K_hat = empirical_ntk(net, X, layers="inner")
        err[s] = np.linalg.norm(K_hat - K) / np.linalg.norm(K)
        lam[s] = np.linalg.eigvalsh(K_hat)[0]
    return {"err": err, "lam": lam}


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    X = sphere_points(cfg.n, cfg.d, cfg.seed)
    K = analytic_ntk(X, activation="relu", layers="inner")
    lam_limit = float(np.linalg.eigvalsh(K)[0])
    widths = np.array([2 ** k for k in cfg.log2_widths])
    units = [ctx.run("kernels", lambda p=p, i=i: kernels_at(cfg, X, K, p, i), p=int(p), index=i)
             for i, p in enumerate(widths)]
    err = np.array([u["err"] for u in units])          # (widths, seeds)
    lam = np.array([u["lam"] for u in units])
    mean = err.mean(axis=1)
    slope = spread(per_seed_slopes(widths, err))
    intercept = float(np.mean(np.log(mean) - slope["mean"] * np.log(widths)))
    bound = hoeffding_bound(cfg.n, widths, cfg.delta) / np.linalg.norm(K)
    above = int((err > bound[:, None]).sum())
    lam_last = spread(lam[-1])
    hoeffding_text = hoeffding_sentence(above, err.size, cfg.delta)
    lambda_text = lambda_sentence(lam_last, lam_limit, int((lam[-1] > 0).sum()), int(widths[-1]))

    fig, axes = new_figure(2, 1, width=4.6, height=3.8)
    ax = axes[0, 0]
    ax.plot(np.repeat(widths, cfg.seeds), err.ravel(), ".", color="tab:blue", alpha=0.25, ms=3)
    mean_band(ax, widths, err, band="sd", colour="tab:blue", label="mean +- sd over seeds")
    ax.plot(widths, np.exp(intercept) * widths ** slope["mean"], "k--", lw=1,
            label=f"slope {slope['mean']:.3f} +- {slope['sd']:.3f}")
    ax.plot(widths, bound, ":", color="tab:red", label=f"Hoeffding bound (prob. {1 - cfg.delta:g})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(ax, "width p", r"$\|\hat K - K\|_F / \|K\|_F$", "Concentration of the first-layer NTK", legend=True,
          fontsize=8)
    ax = axes[0, 1]
    ax.plot(np.repeat(widths, cfg.seeds), lam.ravel(), ".", color="tab:green", alpha=0.25, ms=3)
    mean_band(ax, widths, lam, band="sd", colour="tab:green", label=r"$\lambda_{min}(\hat K)$, mean +- sd")
    ax.axhline(lam_limit, color="k", ls="--", lw=1, label=rf"$\lambda_{{min}}(K)$ = {lam_limit:.4f}")
    ax.set_xscale("log")
    label(ax, "width p", "smallest eigenvalue", "Smallest eigenvalue against width", legend=True, fontsize=8)
    ctx.figure(fig, "concentration", "Concentration with width",
               f"Left: relative Frobenius error of the empirical first-layer NTK (ReLU, a_j = +-1, w_j ~ N(0, "
               f"I_{cfg.d})) on "
               f"n = {cfg.n} points of the unit sphere, {cfg.seeds} seeds per width (dots), their mean and +- one sd "
               f"(band). The log-log slope fitted to each seed's curve is {slope_sentence(slope)}; "
               f"{hoeffding_text}. Right: lambda_min of the empirical kernel, mean +- sd: {lambda_text}.")
    ctx.note("Seed 002, exercise 1. The kernel is (4) of the sheet, K_hat_ij = <x_i, x_j>/p sum_j a_j^2 "
             "sigma'(<w_j, x_i>) sigma'(<w_j, x_j>), against its limit <x, x'> (1/2 - theta/(2 pi)) (formula (2) as "
             "printed leaves out the factor <x, x'>), computed by tl.ntk.empirical_ntk and tl.ntk.analytic_ntk.")
    return {"widths": widths.tolist(), "rel_error_mean": mean.tolist(), "rel_error_sd": err.std(axis=1, ddof=1).tolist()
            if cfg.seeds > 1 else [0.0] * len(widths), "slope": slope["mean"], "slope_spread": slope,
            "hoeffding_violations": above, "draws": int(err.size),
            "lambda_min_limit": lam_limit, "lambda_min_mean": lam.mean(axis=1).tolist(),
            "lambda_min_largest_width": lam_last, "lambda_min_positive_largest_width": int((lam[-1] > 0).sum())}


register(Experiment(
    name="ntk-concentration", seed_file="002_6aa158f5cc0cafd1.txt",
    description="Seed 002 ex. 1: the empirical NTK concentrates around its infinite-width limit like "
                "p^(-1/2); its smallest eigenvalue converges to a positive limit.",
    config=Config, run=run, quick=QUICK, source="sheet 002, exercise 1"))

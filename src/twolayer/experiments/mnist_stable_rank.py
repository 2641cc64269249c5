"""Seed 004, Problem 3.3: the stable rank of the first layer of a leaky-ReLU network trained on MNIST,
as a function of the initialisation scale sigma.

Leaky ReLU (gamma = 0.05), m = 150, biases in both layers, 10 outputs, cross-entropy, every parameter
N(0, sigma^2), both layers trained by minibatch SGD on the float32 BLAS path
(:mod:`twolayer.engines.blas`). A step size is picked by short probe runs; training at sigma = 0.02
runs until the training error is below 5% (T steps); then every sigma of the sweep trains for the same
T steps with the same step size, minibatches and initial Gaussian draw.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..analysis import stable_rank
from ..data import mnist
from ..engines.blas import Classifier, train_sgd
from ..errors import DivergenceError, InvalidParameter
from ..plots import label, new_figure
from . import Experiment, register
from .base import param
from .budget import SEED_MAX

STYLES = (("C0", "-", "o"), ("C1", "--", "s"), ("C2", "-.", "^"), ("C3", ":", "D"), ("k", "-", "v"))


@dataclass
class Config:
    m: int = param(150, "Number of hidden leaky-ReLU neurons.", ge=1, le=10_000)
    gamma: float = param(0.05, "Leaky ReLU slope: phi(t) = max(t, gamma t).", gt=0, le=1)
    sigma: float = param(0.02, "Initial standard deviation that sets the step count T (must be one of sigmas).", gt=0,
                         le=100)
    sigmas: tuple[float, ...] = param((2e-4, 2e-3, 2e-2, 0.2, 2.0), "Initial standard deviations of the sweep.", gt=0,
                                      le=100)
    batch_size: int = param(100, "SGD minibatch size (MNIST has 60000 training images).", ge=1, le=60_000)
    lr_grid: tuple[float, ...] = param((0.01, 0.03, 0.1, 0.3, 1.0, 3.0), "Candidate SGD step sizes of the probe runs.",
                                       gt=0, le=100)
    probe_steps: int = param(200, "SGD steps of each probe run.", ge=1, le=100_000)
    target_error: float = param(0.05, "Training error (fraction misclassified) that ends the run at sigma.", gt=0,
                                le=1)
    max_steps: int = param(30000, "Most SGD steps of the run at sigma before giving up on target_error.", ge=1,
                           le=3_000_000)
    check_every: int = param(100, "SGD steps between two evaluations of the training error.", ge=1, le=1_000_000)
    second_lr_factor: float = param(0.1, "Also sweep at the chosen step times this factor (0: no second sweep).",
                                    ge=0, le=100)
    dtype: str = param("float32", "Floating-point type of the data and the BLAS training path.",
                       choices=("float32", "float64"))
    data_dir: str | None = param(None, "Folder holding the MNIST files (free text; none: TWOLAYER_DATA_DIR, then "
                                 "~/.cache/twolayer, downloading there).")
    seed: int = param(0, "Random seed of the initial draw and of the minibatches.", ge=0, le=SEED_MAX)


QUICK = {"lr_grid": (0.1, 0.3, 1.0), "probe_steps": 100}


def choose_lr(X, y, cfg: Config, quiet: bool) -> tuple[float, dict]:
    """The grid step size with the lowest mean minibatch loss over the second half of a probe run at
    sigma = cfg.sigma, among those whose probes stay finite at every sigma of the sweep.
    Returns (lr, {lr: probe loss or None when some probe diverged})."""
    scores = {}
    for lr in cfg.lr_grid:
        try:
            for s in sorted(set(cfg.sigmas) - {cfg.sigma}):
                train_sgd(init(X, cfg, s), X, y, lr, cfg.probe_steps, batch_size=cfg.batch_size, seed=cfg.seed,
                          quiet=True)
            run = train_sgd(init(X, cfg, cfg.sigma), X, y, lr, cfg.probe_steps, batch_size=cfg.batch_size,
                            seed=cfg.seed, quiet=True)
            scores[lr] = float(run.losses[cfg.probe_steps // 2:].mean())
        except DivergenceError:
            scores[lr] = None
    finite = {lr: v for lr, v in scores.items() if v is not None}
    if not finite:
        raise InvalidParameter("lr_grid", cfg.lr_grid, "every step size diverged in the probe runs; add smaller ones")
    return min(finite, key=finite.get), scores


def init(X, cfg: Config, sigma: float) -> Classifier:
    return Classifier.init(X.shape[1], cfg.m, 10, sigma, slope=cfg.gamma, seed=cfg.seed, dtype=X.dtype)


def times_of(T: int) -> list[int]:
    """The sheet's t in {1, T/10, T/5, T/2, T}."""
    return [1, max(1, T // 10), max(1, T // 5), max(1, T // 2), T]


def sweep(X, y, Xt, yt, cfg: Config, lr: float, T: int, ctx) -> dict:
    """Train every sigma of the sweep for T steps at step size lr; relative stable ranks at times_of(T)
    (lists over sigma, NaN where a run diverged), training and test errors, spectra of W_T, error curves."""
    ts = times_of(T)
    out = {"rel": {t: [] for t in ts}, "errors": [], "test_errors": [], "spectra": [], "curves": [], "diverged": [],
           "moved": []}
    for s in cfg.sigmas:
        try:
            r = train_sgd(init(X, cfg, s), X, y, lr, T, batch_size=cfg.batch_size, seed=cfg.seed, record_at=[0, *ts],
                          check_every=max(1, T // 10), quiet=ctx.quiet)
        except DivergenceError as err:
            out["diverged"].append(s)
            ctx.note(f"sigma = {s:g} diverged with lr = {lr:g}: {err}")
            for t in ts:
                out["rel"][t].append(float("nan"))
            for key in ("errors", "test_errors", "moved"):
                out[key].append(float("nan"))
            out["spectra"].append(None)
            out["curves"].append(None)
            continue
        sr0 = stable_rank(r.W[0])
        for t in ts:
            out["rel"][t].append(stable_rank(r.W[t]) / sr0)
        out["errors"].append(r.checks[-1][1])
        W0, WT = r.W[0].astype(np.float64), r.W[T].astype(np.float64)
        out["moved"].append(float(np.linalg.norm(WT - W0) / np.linalg.norm(W0)))
        out["test_errors"].append(r.final.error(Xt, yt))
        out["spectra"].append(np.linalg.svd(r.W[T].astype(np.float64), compute_uv=False))
        out["curves"].append(r.checks)
    return out


def relative_rank_panel(ax, sigmas, rel: dict, title: str) -> None:
    """The sheet's plot: one curve per t of StableRank(W_t) / StableRank(W_0) against sigma (log axes)."""
    for (col, ls, mk), (t, values) in zip(STYLES, rel.items()):
        ax.plot(sigmas, values, color=col, ls=ls, marker=mk, label=f"t = {t}")
    ax.axhline(1.0, color="0.5", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(ax, "initialisation scale sigma", "StableRank(W_t) / StableRank(W_0)", title, legend=True, fontsize=7)


def describe(sigmas, result: dict, ts, lr: float) -> str:
    """One sentence with the measured numbers: the ratio at t = 1, and at t = T with the relative weight
    change ||W_T - W_0|| / ||W_0|| per sigma."""
    first, last = np.array(result["rel"][ts[0]]), result["rel"][ts[-1]]
    per_sigma = ", ".join(f"{v:.3g} (sigma = {s:g}, moved {w:.3g})" for s, v, w in zip(sigmas, last, result["moved"]))
    return (f"At lr = {lr:g}: after one step the ratio is {np.nanmin(first):.3f}-{np.nanmax(first):.3f} for every "
            f"sigma; at t = T it is {per_sigma}.")


def check(cfg: Config) -> None:
    """sigma, whose run sets T, must be one of the sweep's sigmas."""
    if cfg.sigma not in cfg.sigmas:
        raise InvalidParameter("sigma", cfg.sigma, f"expected one of sigmas = {cfg.sigmas}")


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    X, y = mnist("train", cfg.data_dir, dtype=np.dtype(cfg.dtype))
    Xt, yt = mnist("test", cfg.data_dir, dtype=np.dtype(cfg.dtype))
    start = time.perf_counter()
    lr, probes = choose_lr(X, y, cfg, ctx.quiet)
    first = train_sgd(init(X, cfg, cfg.sigma), X, y, lr, cfg.max_steps, batch_size=cfg.batch_size, seed=cfg.seed,
                      check_every=cfg.check_every, stop_below=cfg.target_error, quiet=ctx.quiet)
    seconds_to_target = time.perf_counter() - start
    T, reached = first.steps, first.checks[-1][1] < cfg.target_error
    ts = times_of(T)

    sweep_start = time.perf_counter()
    main = sweep(X, y, Xt, yt, cfg, lr, T, ctx)
    seconds_sweep = time.perf_counter() - sweep_start
    slow = sweep(X, y, Xt, yt, cfg, lr * cfg.second_lr_factor, T, ctx) if cfg.second_lr_factor else None
    k0 = list(cfg.sigmas).index(cfg.sigma)

    fig, axes = new_figure(2, 2, width=4.6, height=3.6)
    relative_rank_panel(axes[0, 0], cfg.sigmas, main["rel"], f"lr = {lr:g} (chosen), T = {T}")
    if slow is not None:
        relative_rank_panel(axes[0, 1], cfg.sigmas, slow["rel"], f"same T, lr = {lr * cfg.second_lr_factor:g}")
    ax = axes[1, 0]
    for k, (sg, c) in enumerate(zip(cfg.sigmas, main["curves"])):
        if c is not None:
            ax.plot(*zip(*c), color=STYLES[k][0], ls=STYLES[k][1], marker=STYLES[k][2], ms=3, label=f"sigma = {sg:g}")
    ax.axhline(cfg.target_error, color="r", lw=0.8, label=f"{cfg.target_error:.0%}")
    ax.set_yscale("log")
    label(ax, "SGD step", "training error", f"lr = {lr:g}, batch {cfg.batch_size}", legend=True, fontsize=7)
    ax = axes[1, 1]
    for k, (sg, sv) in enumerate(zip(cfg.sigmas, main["spectra"])):
        if sv is not None:
            ax.semilogy(np.arange(1, len(sv) + 1), sv / sv[0], color=STYLES[k][0], ls=STYLES[k][1], label=f"sigma = {sg:g}")
    label(ax, "index i", "s_i(W_T) / s_1(W_T)", f"singular values of W_T (lr = {lr:g})", legend=True, fontsize=7)
    finding = describe(cfg.sigmas, main, ts, lr)
    if slow is not None:
        finding += " " + describe(cfg.sigmas, slow, ts, lr * cfg.second_lr_factor)
    finding += (" The stable rank falls wherever W moves far from its random start, and the update SGD adds is "
                "low-rank; it stays put where W barely moves (large sigma at a small step: lazy training).")
    ctx.figure(fig, "stable_rank_mnist", "Stable rank of the first layer on MNIST against the initial scale",
               f"Leaky ReLU (gamma = {cfg.gamma:g}), m = {cfg.m}, biases in both layers, cross-entropy, all parameters "
               f"N(0, sigma^2) from one Gaussian draw, minibatch SGD (batch {cfg.batch_size}) for T = {T} steps, the "
               f"number that brought sigma = {cfg.sigma:g} below {cfg.target_error:.0%} training error with the step "
               f"size lr = {lr:g} chosen by probe runs. Top: StableRank(W_t) / StableRank(W_0) for t in "
               f"{{1, T/10, T/5, T/2, T}} against sigma, at the chosen lr (left) and at lr x {cfg.second_lr_factor:g} "
               f"(right). Bottom: training error during the sweep, and the normalised singular values of W_T. "
               + finding)
    ctx.note(finding)
    if not reached:
        ctx.note(f"sigma = {cfg.sigma:g} did not reach {cfg.target_error:.0%} training error in max_steps = {cfg.max_steps}.")
    return {"lr": lr, "lr_probe_loss": {str(k): v for k, v in probes.items()}, "T": T, "reached_target": reached,
            "train_error": main["errors"][k0], "test_error": main["test_errors"][k0], "sigmas": list(cfg.sigmas),
            "relative_stable_rank": {str(t): v for t, v in main["rel"].items()},
            "train_error_by_sigma": main["errors"], "test_error_by_sigma": main["test_errors"],
            "diverged_sigmas": main["diverged"], "second_lr": lr * cfg.second_lr_factor,
            "relative_stable_rank_second_lr": None if slow is None else {str(t): v for t, v in slow["rel"].items()},
            "train_error_by_sigma_second_lr": None if slow is None else slow["errors"],
            "relative_weight_change": main["moved"],
            "relative_weight_change_second_lr": None if slow is None else slow["moved"],
            "seconds_to_5pct": seconds_to_target, "seconds_training_only": first.seconds, "seconds_sweep": seconds_sweep, "dtype": cfg.dtype}


register(Experiment(
    name="mnist-stable-rank", seed_file="004_dc5170f39b81d439.txt",
    description="Seed 004 Problem 3.3: a leaky-ReLU network with biases trained on MNIST to < 5% training error; "
                "StableRank(W_t) / StableRank(W_0) against the initial scale sigma for t in {1, T/10, T/5, T/2, T}.",
    config=Config, run=run, quick=QUICK, source="sheet 004, problem 3, part 3"))

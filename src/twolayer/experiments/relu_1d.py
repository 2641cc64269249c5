"""Seed 001: a two-layer ReLU network on a 1D data set, the six directions (a-f) of the sheet.

Model f(x) = (1/m) sum_j a_j relu(b_j x + c_j), loss L = 1/(2n) sum (f(x_i) - y_i)^2, optional
weight decay (lambda/2) ||w||^2, a_j ~ N(0, alpha_outer), b_j, c_j ~ N(0, alpha_inner) (variances).
Step sizes follow the mean-field convention lr = eta * m, so that widths compare at equal time;
every run's step is also capped at half of 2/lambda_max of the loss Hessian at its initialisation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .. import data
from ..analysis import kinks, stable_lr, top_eigenvalue
from ..errors import DivergenceError
from ..init import init_net
from ..objective import Objective
from ..optim import GD, SGD
from ..plots import figure_sheet, label, new_figure, predictor_1d, train_test_curves
from ..sweep import train_many
from ..train import train
from ..trajectory import log_steps
from . import Experiment, register
from .base import param
from .budget import SEED_MAX


@dataclass
class Config:
    width: int = param(100, "Number of hidden neurons m of directions (a), (b), (e) and (f).", ge=1, le=10_000)
    eta: float = param(0.02, "Per-neuron step: lr = eta * m (capped at half of 2/lambda_max at initialisation).",
                       gt=0, le=100)
    epochs: int = param(200_000, "Epochs of directions (a), (b), (c) and (f) (GD steps; SGD runs n/batch steps "
                        "per epoch).", ge=1, le=2_000_000)
    alpha_inner: float = param(1.0, "Variance of the inner weights b_j and biases c_j at initialisation.", gt=0,
                               le=1e4)
    alpha_outer: float = param(1.0, "Variance of the outer weights a_j at initialisation.", gt=0, le=1e4)
    batch_sizes: tuple[int, ...] = param((1, 5, 15), "SGD minibatch sizes of direction (a) (the data set has 30 "
                                         "training points).", ge=1, le=30)
    scales: tuple[float, ...] = param((1e-4, 1e-2, 1.0, 1e2), "Initial variances of the alpha_inner x alpha_outer "
                                      "grid of direction (b).", gt=0, le=1e4)
    rf_width: int = param(1000, "Width of the frozen-inner-layer comparison, direction (c).", ge=1, le=100_000)
    widths: tuple[int, ...] = param((5, 20, 100, 1000, 10_000), "Widths m of direction (d).", ge=1, le=100_000)
    width_epochs: int = param(50_000, "GD steps of direction (d).", ge=1, le=5_000_000)
    lr_factors: tuple[float, ...] = param((0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0), "Step sizes of "
                                          "direction (e), in units of 2/lambda_max at initialisation.", gt=0, le=1e4)
    lr_steps: int = param(20_000, "GD steps of each run of direction (e).", ge=1, le=2_000_000)
    bisections: int = param(10, "Bisection steps for the largest stable step of direction (e) (0: none).", ge=0,
                            le=100)
    weight_decays: tuple[float, ...] = param((0.0, 1e-6, 1e-5, 1e-4, 1e-3), "Weight decay coefficients lambda of "
                                             "direction (f) (penalty (lambda/2) ||w||^2).", ge=0, le=100)
    seed: int = param(0, "Random seed of the initialisation and of the minibatches.", ge=0, le=SEED_MAX)


QUICK = {"epochs": 20_000, "scales": (1e-4, 1.0, 1e2), "rf_width": 300, "widths": (5, 20, 100, 1000),
         "width_epochs": 10_000, "lr_steps": 5_000, "bisections": 5, "lr_factors": (0.03, 0.3, 3.0, 30.0, 100.0),
         "weight_decays": (0.0, 1e-5, 1e-4, 1e-3)}


@dataclass
class Direction:
    """One direction of the sheet: its panels (functions drawing on an Axes), caption and metrics."""

    name: str
    title: str
    caption: str
    draws: list[Callable] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)


def network(cfg, m=None, inner=None, outer=None):
    return init_net(1, m or cfg.width, "relu", "mean-field", bias=True, init="gaussian",
                    scale=cfg.alpha_inner if inner is None else inner,
                    outer_scale=cfg.alpha_outer if outer is None else outer, scale_as="variance", seed=cfg.seed)


def safe_lr(cfg, net, X, y, trainable=("a", "W", "c")) -> float:
    """eta * m, capped at half of 2/lambda_max at initialisation."""
    bound = stable_lr(Objective(net, X, y, trainable=trainable), net.theta, method="power")
    return min(cfg.eta * net.m, 0.5 * bound)


def curves(runs: dict, per_epoch: dict | None = None) -> dict:
    """{label: (epochs, train, test)} for :func:`train_test_curves`."""
    per_epoch = per_epoch or {}
    return {k: (r.steps / per_epoch.get(k, 1), r.train_loss, r.test_loss) for k, r in runs.items()}


def finals(runs: dict):
    return ([float(r.train_loss[-1]) for r in runs.values()], [float(r.test_loss[-1]) for r in runs.values()])


def count_kinks(net, X) -> int:
    return int(len(kinks(net, (float(X.min()), float(X.max())))))


def gd_vs_sgd(cfg, ctx, D) -> Direction:
    X, y, Xt, yt = D
    net = network(cfg)
    lr = safe_lr(cfg, net, X, y)
    rec = log_steps(cfg.epochs, 150)
    runs, per_epoch = {}, {}
    runs["GD"] = train(net, X, y, optimizer=GD(lr), steps=cfg.epochs, record_at=rec, X_test=Xt, y_test=yt,
                       snapshots=False, engine=ctx.engine, quiet=ctx.quiet)
    for B in cfg.batch_sizes:
        k = f"SGD, batch {B}"
        per_epoch[k] = math.ceil(len(y) / B)
        runs[k] = train(net, X, y, optimizer=SGD(lr, B), steps=cfg.epochs * per_epoch[k], record_at=rec * per_epoch[k],
                        X_test=Xt, y_test=yt, seed=cfg.seed, snapshots=False, engine=ctx.engine, quiet=ctx.quiet)
    tr, te = finals(runs)
    nets = {k: r.final for k, r in runs.items()}
    return Direction(
        "a_gd_vs_sgd", "(a) GD vs SGD",
        f"GD and SGD (batch sizes {', '.join(map(str, cfg.batch_sizes))}) from the same initialisation (m = {cfg.width}, "
        f"alpha = {cfg.alpha_inner:g}, {cfg.alpha_outer:g}), step {lr:.3g}, {cfg.epochs} epochs each. Final train/test: "
        + "; ".join(f"{k} {a:.3g}/{b:.3g}" for k, a, b in zip(runs, tr, te))
        + ". Small batches follow GD's curve on average but keep fluctuating: at a fixed step the noise does not "
          "vanish where the network cannot interpolate, so SGD ends at a higher, noisier training loss.",
        [lambda ax: train_test_curves(ax, curves(runs, per_epoch), title="loss (solid train, dashed test)"),
         lambda ax: predictor_1d(ax, nets, X, y, Xt, yt, title="learned predictors (dots: kinks)")],
        {"gd_vs_sgd_labels": list(runs), "gd_vs_sgd_train_loss": tr, "gd_vs_sgd_test_loss": te, "gd_vs_sgd_lr": lr})


def init_scales(cfg, ctx, D) -> Direction:
    X, y, Xt, yt = D
    S = list(cfg.scales)
    pairs = [(i, o) for i in S for o in S]
    nets = [network(cfg, inner=i, outer=o) for i, o in pairs]
    lrs = [safe_lr(cfg, n, X, y) for n in nets]
    runs = train_many(nets, X, y, optimizer=[GD(lr) for lr in lrs], steps=cfg.epochs, record_at=log_steps(cfg.epochs, 150),
                      X_test=Xt, y_test=yt, snapshots=False, engine=ctx.engine, quiet=ctx.quiet, on_divergence="keep")
    k = len(S)
    test = np.array([r.test_loss[-1] for r in runs]).reshape(k, k)
    train_l = np.array([r.train_loss[-1] for r in runs]).reshape(k, k)
    nk = np.array([count_kinks(r.final, X) for r in runs]).reshape(k, k)
    show = {f"alpha = {S[i]:g}": i * k + i for i in sorted({0, k // 2, k - 1})}  # diagonal: inner = outer

    def heat(ax):
        im = ax.imshow(np.log10(test), origin="lower", cmap="viridis")
        for r in range(k):
            for c in range(k):
                ax.text(c, r, f"{test[r, c]:.2g}\n{nk[r, c]} kinks", ha="center", va="center", fontsize=6,
                        color="w" if np.log10(test[r, c]) < np.log10(test).mean() else "k")
        ax.set_xticks(range(k), [f"{s:g}" for s in S])
        ax.set_yticks(range(k), [f"{s:g}" for s in S])
        ax.figure.colorbar(im, ax=ax, label="log10 final test loss", shrink=0.8)
        label(ax, "alpha_outer", "alpha_inner", "final test loss and kinks")

    return Direction(
        "b_init_scale", "(b) initialisation scales",
        f"GD from a grid of initial variances alpha_inner x alpha_outer in {{{', '.join(f'{s:g}' for s in S)}}} "
        f"(m = {cfg.width}, {cfg.epochs} epochs, step eta m capped at half 2/lambda_max of the initial Hessian). "
        f"Small scales: the network leaves 0 slowly, then learns a few kinks that sit at data points (rich regime, "
        f"{nk[0, 0]} kinks at the smallest scale). Large scales: the kinks barely move from their random initial "
        f"positions and the fit is a wiggly interpolant ({nk[-1, -1]} kinks at the largest scale).",
        [heat,
         lambda ax: predictor_1d(ax, {k_: runs[i].final for k_, i in show.items()}, X, y, Xt, yt, title="predictors (alpha_inner = alpha_outer)"),
         lambda ax: train_test_curves(ax, {k_: (runs[i].steps, runs[i].train_loss, runs[i].test_loss) for k_, i in show.items()},
                                      title="loss (solid train, dashed test)")],
        {"scales": S, "init_scale_test_loss": test.tolist(), "init_scale_train_loss": train_l.tolist(),
         "n_kinks": nk.tolist(), "init_scale_lr": np.reshape(lrs, (k, k)).tolist()})


def frozen_inner(cfg, ctx, D) -> Direction:
    X, y, Xt, yt = D
    net = network(cfg, m=cfg.rf_width)
    lr = safe_lr(cfg, net, X, y)
    runs = {}
    for name, trainable in (("both layers", ("a", "W", "c")), ("outer layer only", ("a",))):
        runs[name] = train(net, X, y, trainable=trainable, optimizer=GD(lr), steps=cfg.epochs, record_at=log_steps(cfg.epochs, 150),
                           X_test=Xt, y_test=yt, snapshots=False, engine=ctx.engine, quiet=ctx.quiet)
    tr, te = finals(runs)
    nk = [count_kinks(r.final, X) for r in runs.values()]
    return Direction(
        "c_frozen_inner", "(c) freezing the inner layer",
        f"Both layers trained vs the outer layer only (random features), m = {cfg.rf_width}, the same initialisation and "
        f"step {lr:.3g}, {cfg.epochs} epochs. Final train/test: "
        + "; ".join(f"{k} {a:.3g}/{b:.3g}" for k, a, b in zip(runs, tr, te))
        + f"; kinks {nk[0]} vs {nk[1]}. With the inner layer frozen the kinks stay where initialisation put them and "
          "the problem is a linear least-squares fit in a (convex): a kernel method with a fixed feature map, which "
          "converges along the kernel's eigen-directions, fast in the top ones and slowly in the rest.",
        [lambda ax: train_test_curves(ax, curves(runs), title="loss (solid train, dashed test)"),
         lambda ax: predictor_1d(ax, {k: r.final for k, r in runs.items()}, X, y, Xt, yt, title="learned predictors (dots: kinks)")],
        {"features_labels": list(runs), "features_train_loss": tr, "features_test_loss": te, "features_n_kinks": nk,
         "features_lr": lr})


def widths(cfg, ctx, D) -> Direction:
    X, y, Xt, yt = D
    nets = [network(cfg, m=m) for m in cfg.widths]
    lrs = [safe_lr(cfg, n, X, y) for n in nets]
    rs = train_many(nets, X, y, optimizer=[GD(lr) for lr in lrs], steps=cfg.width_epochs,
                    record_at=log_steps(cfg.width_epochs, 120), X_test=Xt, y_test=yt, snapshots=False,
                    engine=ctx.engine, quiet=ctx.quiet)
    runs = {f"m = {m}": r for m, r in zip(cfg.widths, rs)}
    tr, te = finals(runs)
    nk = [count_kinks(r.final, X) for r in rs]
    return Direction(
        "d_width", "(d) width",
        f"Widths m = {', '.join(map(str, cfg.widths))} at the same initial variances, step eta m with eta = {cfg.eta:g} "
        f"(the mean-field time, so curves compare at equal time), {cfg.width_epochs} epochs. Final train/test: "
        + "; ".join(f"{k} {a:.3g}/{b:.3g}" for k, a, b in zip(runs, tr, te))
        + ". Kinks: " + ", ".join(f"{k}: {n}" for k, n in zip(runs, nk))
        + ". Narrow networks lack kinks to fit the data; beyond a few tens of neurons the loss curves and the "
          "predictors converge to a width-independent limit (the mean-field limit of the 1/m scaling).",
        [lambda ax: train_test_curves(ax, curves(runs), title="loss (solid train, dashed test)"),
         lambda ax: predictor_1d(ax, {k: r.final for k, r in runs.items()}, X, y, Xt, yt, title="learned predictors (dots: kinks)")],
        {"widths": list(cfg.widths), "width_train_loss": tr, "width_test_loss": te, "width_n_kinks": nk, "width_lr": lrs})


def diverges(net, X, y, lr, cfg, ctx) -> bool:
    try:
        train(net, X, y, optimizer=GD(lr), steps=cfg.lr_steps, record_at=[0, cfg.lr_steps], snapshots=False,
              engine=ctx.engine, quiet=True)
    except DivergenceError:
        return True
    return False


def step_sizes(cfg, ctx, D) -> Direction:
    X, y, Xt, yt = D
    net = network(cfg)
    bound = stable_lr(Objective(net, X, y), net.theta, method="power")
    lrs = [f * bound for f in cfg.lr_factors]
    rs = train_many([net] * len(lrs), X, y, optimizer=[GD(lr) for lr in lrs], steps=cfg.lr_steps,
                    record_at=log_steps(cfg.lr_steps, 100), X_test=Xt, y_test=yt, snapshots=False,
                    engine=ctx.engine, quiet=ctx.quiet, on_divergence="keep")
    diverged = ["diverged" in r.info for r in rs]
    final = [None if d else float(r.train_loss[-1]) for d, r in zip(diverged, rs)]
    sharp = [None if d else top_eigenvalue(Objective(net, X, y), r.final.theta, method="power") for d, r in zip(diverged, rs)]
    largest = None
    if any(diverged) and not all(diverged):
        hi = min(lr for lr, d in zip(lrs, diverged) if d)
        lo = max(lr for lr, d in zip(lrs, diverged) if not d and lr < hi)
        for _ in range(cfg.bisections):
            mid = math.sqrt(lo * hi)
            lo, hi = (lo, mid) if diverges(net, X, y, mid, cfg, ctx) else (mid, hi)
        largest = lo
    found = ("every step in the grid diverged" if all(diverged) else "no step in the grid diverged" if largest is None
             else f"the largest step that stays finite, by bisection, is {largest:.3g} = {largest / bound:.3g} x 2/lambda_max")
    names = [f"{f:g} x 2/lambda" + (" (diverged)" if d else "") for f, d in zip(cfg.lr_factors, diverged)]

    def losses(ax):
        train_test_curves(ax, {k: (r.steps, r.train_loss, r.test_loss) for k, r in zip(names, rs)}, xlabel="GD step",
                          title="loss per step size (solid train, dashed test)")
        finite = [r.train_loss.min() for r, d in zip(rs, diverged) if not d] or [rs[0].train_loss[0]]
        ax.set_ylim(0.5 * min(finite), 100 * rs[0].train_loss[0])  # diverging runs leave the plot upwards

    def finals_plot(ax):
        ok = [not d for d in diverged]
        ax.plot(np.array(lrs)[ok], np.array(final, dtype=float)[ok], "o-", color="C0", label="final training loss")
        top = np.nanmax(np.array(final, dtype=float)) * 3 if any(ok) else 1.0
        if any(diverged):
            ax.plot(np.array(lrs)[~np.array(ok)], [top] * sum(diverged), "x", color="C3", ms=8, label="diverged (inf)")
        ax.axvline(bound, color="k", ls="--", label=f"2/lambda_max at init = {bound:.3g}")
        if largest is not None:
            ax.axvline(largest, color="C3", ls=":", label=f"largest finite step = {largest:.3g}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        label(ax, "step size (lr)", f"training loss after {cfg.lr_steps} steps", "where GD breaks down", legend=True, fontsize=6)

    return Direction(
        "e_step_size", "(e) step size",
        f"GD for {cfg.lr_steps} steps (m = {cfg.width}) with steps from {cfg.lr_factors[0]:g} to {cfg.lr_factors[-1]:g} times "
        f"2/lambda_max = {bound:.3g}, lambda_max = {2 / bound:.4g} being the top eigenvalue of the loss Hessian at "
        f"initialisation (power iteration on exact Hessian-vector products); {found}. "
        f"Sharpness grows during training (lambda_max at the end / at init: "
        + ", ".join(f"{f:g}x: {v * bound / 2:.3g}" for f, v in zip(cfg.lr_factors, sharp) if v is not None)
        + "), so steps well below 2/lambda_max(init) already stop converging; above it GD does not blow up at first: "
        "it is thrown out of the sharp region (a catapult), ReLUs die, and the loss settles near that of f = 0; "
        "only far beyond does the loss become infinite.",
        [finals_plot, losses,
         lambda ax: predictor_1d(ax, {k: r.final for k, r, d in zip(names, rs, diverged) if not d}, X, y, Xt, yt,
                                 title="predictors of the finite runs (dots: kinks)")],
        {"lr_factors": list(cfg.lr_factors), "lrs": lrs, "lr_final_train_loss": final, "lr_diverged": diverged,
         "lr_sharpness_final": sharp,
         "lambda_max_init": 2.0 / bound, "lr_bound_from_hessian": bound, "largest_stable_lr_measured": largest})


def weight_decay(cfg, ctx, D) -> Direction:
    X, y, Xt, yt = D
    net = network(cfg)
    lr = safe_lr(cfg, net, X, y)
    lams = list(cfg.weight_decays)
    rs = train_many([net] * len(lams), X, y, optimizer=GD(lr), weight_decay=lams, steps=cfg.epochs,
                    record_at=log_steps(cfg.epochs, 150), X_test=Xt, y_test=yt, snapshots=False,
                    engine=ctx.engine, quiet=ctx.quiet)
    runs = {f"lambda = {lam:g}": r for lam, r in zip(lams, rs)}
    tr, te = finals(runs)
    nk = [count_kinks(r.final, X) for r in rs]
    norms = [float(np.linalg.norm(r.final.theta)) for r in rs]

    def summary(ax):
        xs = np.arange(len(lams))
        ax.plot(xs, nk, "o-", color="C0", label="active kinks")
        ax.set_xticks(xs, [f"{lam:g}" for lam in lams])
        label(ax, "weight decay lambda", "active kinks", "kinks and parameter norm")
        ax2 = ax.twinx()
        ax2.plot(xs, norms, "s--", color="C1", label="||w||")
        ax2.set_ylabel("parameter norm ||w||")
        ax2.grid(False)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize=6, loc="best")

    return Direction(
        "f_weight_decay", "(f) weight decay",
        f"GD with weight decay lambda in {{{', '.join(f'{lam:g}' for lam in lams)}}} (m = {cfg.width}, step {lr:.3g}, "
        f"{cfg.epochs} epochs). Final train/test: " + "; ".join(f"{k} {a:.3g}/{b:.3g}" for k, a, b in zip(runs, tr, te))
        + ". Kinks: " + ", ".join(map(str, nk)) + "; ||w||: " + ", ".join(f"{v:.3g}" for v in norms)
        + ". The penalty on ||w||^2 is, at balance, a penalty on sum_j |a_j| ||(b_j, c_j)||: it prunes neurons, so the "
          "predictor keeps fewer kinks and becomes smoother until, for large lambda, it underfits.",
        [lambda ax: predictor_1d(ax, {k: r.final for k, r in runs.items()}, X, y, Xt, yt, title="learned predictors (dots: kinks)"),
         summary,
         lambda ax: train_test_curves(ax, curves(runs), title="loss (solid train, dashed test)")],
        {"weight_decays": lams, "wd_train_loss": tr, "wd_test_loss": te, "wd_n_kinks": nk, "wd_param_norm": norms})


DIRECTIONS = (gd_vs_sgd, init_scales, frozen_inner, widths, step_sizes, weight_decay)


def run(cfg: Config, ctx) -> dict:
    D = data.relu_1d()
    metrics, done = {}, []
    for direction in DIRECTIONS:
        d = direction(cfg, ctx, D)
        fig, axes = new_figure(len(d.draws), 1, width=4.4, height=3.5)
        for ax, draw in zip(axes[0], d.draws):
            draw(ax)
        ctx.figure(fig, d.name, d.title, d.caption)
        metrics.update(d.metrics)
        done.append(d)
    figure_sheet(ctx.folder / "figures.pdf", [[(d.draws, f"{d.title}. {d.caption}") for d in done[:3]],
                                              [(d.draws, f"{d.title}. {d.caption}") for d in done[3:]]],
                 title="twolayer relu-1d: a two-layer ReLU network on a 1D data set (seed 001)")
    ctx.note("Model f(x) = (1/m) sum_j a_j relu(b_j x + c_j), loss 1/(2n) sum (f - y)^2, a_j ~ N(0, alpha_outer), "
             "b_j, c_j ~ N(0, alpha_inner); data: `tl.data.relu_1d()` (30 noisy training samples of "
             "sin(3x) + 0.3x, noise std 0.15, so the best possible test loss is about 0.011). Steps: lr = eta m, capped at "
             "half of 2/lambda_max at initialisation. relu'(0) = 0 (a subgradient; any value in [0, 1] is one). Kinks: "
             "x = -c_j/b_j, merged within 1% of the data range, counted when their slope change exceeds 1% of the largest. "
             "The two A4 pages [figures.pdf](figures.pdf) hold every figure with its caption.")
    return metrics


register(Experiment(
    name="relu-1d", seed_file="001_844f0b730112be6a.txt",
    description="Seed 001: a two-layer ReLU network on 1D data: GD vs SGD, initialisation scales, frozen inner "
                "layer, width, step size (with 2/lambda_max), weight decay; a two-page figure sheet.",
    config=Config, run=run, quick=QUICK, source="sheet 001, experiments a-f (the whole sheet)"))

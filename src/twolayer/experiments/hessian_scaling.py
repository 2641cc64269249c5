"""Seed 002, exercises 2 and 3: the Hessian of a wide network's output vanishes like p^(-1/2), yet
g = phi(f) does not linearise; and trained wide networks stay close to their linearisation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis import output_hessian_norm
from ..errors import InvalidParameter
from ..init import init_net
from ..ntk import empirical_ntk, linearised_predictor
from ..optim import Flow
from ..plots import label, new_figure
from ..train import train
from . import Experiment, register
from .base import param
from .budget import SEED_MAX
from .ntk_concentration import sphere_points

SMOOTH_ACTIVATIONS = ("tanh", "sigmoid")
MAX_PREACTIVATIONS = 100_000_000   # (n_test, p) pre-activations of the kernel at the largest trained width (800 MB)


@dataclass
class Config:
    d: int = param(5, "Input dimension (inputs on the unit sphere of R^d).", ge=1, le=1000)
    activation: str = param("tanh", "Hidden activation; a smooth one, since ReLU has sigma'' = 0 and no Hessian to "
                            "measure.", choices=SMOOTH_ACTIVATIONS)
    log2_widths: tuple[int, ...] = param(tuple(range(4, 15)), "Widths p = 2^k at initialisation, as the exponents k.",
                                         ge=0, le=20)
    seeds: int = param(10, "Independent initialisations per width at initialisation.", ge=1, le=1000)
    log2_train_widths: tuple[int, ...] = param(tuple(range(6, 13)), "Widths p = 2^k trained by gradient flow, as the "
                                               "exponents k.", ge=0, le=15)
    train_seeds: int = param(3, "Independent initialisations per trained width.", ge=1, le=100)
    n_train: int = param(10, "Number of training points on the unit sphere.", ge=1, le=1000)
    n_test: int = param(100, "Number of test points for the gap to the linearised predictor.", ge=1, le=10_000)
    t_train: float = param(100.0, "Gradient-flow time of training (GD steps x step size).", gt=0, le=10_000)
    seed: int = param(0, "Random seed of the points and of the networks.", ge=0, le=SEED_MAX)


QUICK = {"log2_widths": tuple(range(4, 11)), "log2_train_widths": tuple(range(6, 11)), "seeds": 5, "train_seeds": 2}


def slope(x, y) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def network(cfg, p, seed):
    """a_j = +-1, w_j ~ N(0, I_d), f = p^(-1/2) sum_j a_j sigma(w_j . x): the sheet's model."""
    return init_net(cfg.d, int(p), cfg.activation, "ntk", init="fixed_outer", scale=1.0, outer_scale=1.0, seed=seed)


def at_initialisation(cfg):
    x = sphere_points(1, cfg.d, cfg.seed)[0]
    widths = np.array([2 ** k for k in cfg.log2_widths])
    shape = (len(widths), cfg.seeds)
    hW, hall, g2, f = (np.zeros(shape) for _ in range(4))
    for i, p in enumerate(widths):
        for s in range(cfg.seeds):
            net = network(cfg, p, cfg.seed + 1 + 1000 * s + i)
            hW[i, s] = output_hessian_norm(net, x, ("W",))
            hall[i, s] = output_hessian_norm(net, x, ("a", "W"))
            g2[i, s] = float(np.sum(net.gradients(x[None, :], np.ones(1), ("W",))["W"] ** 2))
            f[i, s] = float(net(x[None, :])[0])
    return widths, hW, hall, g2, f


def training_view(cfg, ctx):
    """Gradient flow on (1/(2n)) sum (f - y)^2 against the linearised predictor at the same time."""
    X = sphere_points(cfg.n_train, cfg.d, cfg.seed + 1)
    Xs = sphere_points(cfg.n_test, cfg.d, cfg.seed + 2)
    target = lambda Z: np.sin(2 * Z[:, 0]) + Z[:, 1] * Z[:, 2]  # noqa: E731  (a smooth regression task)
    y = target(X)
    widths = np.array([2 ** k for k in cfg.log2_train_widths])
    change, gap = np.zeros((len(widths), cfg.train_seeds)), np.zeros((len(widths), cfg.train_seeds))
    for i, p in enumerate(widths):
        for s in range(cfg.train_seeds):
            net = network(cfg, p, cfg.seed + 7 + 1000 * s + i)
            run = train(net, X, y, loss="square", reduction="half_mean", optimizer=Flow(rtol=1e-8, atol=1e-10),
                        t_max=cfg.t_train, record_at=[0.0, cfg.t_train], engine=ctx.engine, quiet=ctx.quiet)
            change[i, s] = np.linalg.norm(run.final.theta - net.theta) / np.linalg.norm(net.theta)
            lin = linearised_predictor(empirical_ntk(net, X), empirical_ntk(net, Xs, X), y, net(X), net(Xs), cfg.t_train)
            gap[i, s] = np.sqrt(np.mean((run.final(Xs) - lin) ** 2))
    return widths, change, gap


def check(cfg: Config) -> None:
    """Two widths at least in each sweep (for the slopes), and the test kernel of the largest trained width in memory."""
    for key in ("log2_widths", "log2_train_widths"):
        if len(set(getattr(cfg, key))) < 2:
            raise InvalidParameter(key, getattr(cfg, key), "expected at least two different widths for the fitted "
                                   "slope, e.g. 6,8,10")
    rows = max(cfg.n_test, cfg.n_train) * 2 ** max(cfg.log2_train_widths)
    if rows > MAX_PREACTIVATIONS:
        raise InvalidParameter("n_test", cfg.n_test, f"n_test x p = {rows:.3g} pre-activations at the largest trained "
                               f"width is more than {MAX_PREACTIVATIONS:.0e}; lower n_test or log2_train_widths")


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    widths, hW, hall, g2, f = at_initialisation(cfg)
    term_phi = 2.0 * g2                   # phi(u) = u^2: phi''(f) grad f grad f^T has norm 2 ||grad_W f||^2
    term_hess = 2.0 * np.abs(f) * hW      # phi'(f) H_f has norm 2 |f| ||H_W||
    s_W, s_all = slope(widths, hW.mean(axis=1)), slope(widths, hall.mean(axis=1))

    fig, axes = new_figure(2, 1, width=4.6, height=3.8)
    ax = axes[0, 0]
    ax.loglog(widths, hW.mean(axis=1), "o-", label=f"$\\|H_W f\\|$ (a fixed), slope {s_W:.3f}")
    ax.loglog(widths, hall.mean(axis=1), "s-", label=f"$\\|H f\\|$ (a and W), slope {s_all:.3f}")
    ax.loglog(widths, g2.mean(axis=1), "^-", label=r"$\|\nabla_W f\|^2$")
    label(ax, "width p", title=f"Output Hessian and gradient at initialisation ({cfg.activation})", legend=True,
          fontsize=8)
    ax = axes[0, 1]
    ax.loglog(widths, term_phi.mean(axis=1), "o-", color="tab:red", label=r"$\|\phi''(f)\,\nabla f \nabla f^T\|$")
    ax.loglog(widths, term_hess.mean(axis=1), "s-", color="tab:purple", label=r"$\|\phi'(f)\,H_f\|$")
    label(ax, "width p", title=r"The two terms of (6) for $\phi(u) = u^2$", legend=True, fontsize=8)
    ctx.figure(fig, "hessian", "Hessian scaling at initialisation",
               f"Left: operator norms (Lanczos on exact Hessian-vector products, mean over {cfg.seeds} seeds) of the "
               f"Hessian of f(x; theta) at a unit input: slope {s_W:.3f} in W alone and {s_all:.3f} with a trainable "
               f"(theory: -1/2), while ||grad_W f||^2 stays of order 1 ({g2.mean(axis=1)[-1]:.3f} at p = {widths[-1]}). "
               f"Right: for g = f^2 the curvature term phi'(f) H_f vanishes but phi''(f) grad f grad f^T does not, so g "
               f"does not linearise (exercise 2(c)). ReLU would give H_W = 0 almost everywhere (sigma'' = 0), hence tanh.")

    tw, change, gap = training_view(cfg, ctx)
    s_change = slope(tw, change.mean(axis=1))
    fig, axes = new_figure(2, 1, width=4.4, height=3.6)
    axes[0, 0].loglog(tw, change.mean(axis=1), "o-", label=f"slope {s_change:.3f}")
    label(axes[0, 0], "width p", r"$\|\theta_T - \theta_0\| / \|\theta_0\|$", "Relative weight change after training",
          legend=True)
    axes[0, 1].loglog(tw, gap.mean(axis=1), "o-", color="tab:orange", label=f"slope {slope(tw, gap.mean(axis=1)):.3f}")
    label(axes[0, 1], "width p", "RMS gap on test inputs", "Trained network vs linearised predictor", legend=True)
    ctx.figure(fig, "training", "Training view: laziness with width",
               f"Gradient flow to t = {cfg.t_train:g} on n = {cfg.n_train} points (loss 1/(2n), target sin(2 x1) + x2 x3), "
               f"{cfg.train_seeds} seeds per width. Left: the weights move less and less (slope {s_change:.3f}); right: "
               f"the trained network approaches the linearised predictor f_0 + K K^-1 (I - exp(-t K/n))(y - f_0) built "
               f"from the NTK at initialisation.")
    ctx.note("Seed 002, exercises 2 and 3: f(x; theta) = p^(-1/2) sum_j a_j sigma(<w_j, x>), a_j = +-1, w_j ~ N(0, I_5), "
             f"sigma = {cfg.activation}. Hessian norms come from tl.analysis.output_hessian_norm (Lanczos on exact "
             "Hessian-vector products; no p x p matrix is formed).")
    return {"widths": widths.tolist(), "hessian_norm_slope": s_W, "hessian_norm_all_slope": s_all,
            "grad_norm_sq_mean": g2.mean(axis=1).tolist(), "phi_term_norm": term_phi.mean(axis=1).tolist(),
            "hessian_term_norm": term_hess.mean(axis=1).tolist(), "train_widths": tw.tolist(),
            "weight_change_slope": s_change, "linearisation_gap": gap.mean(axis=1).tolist()}


register(Experiment(
    name="hessian-scaling", seed_file="002_6aa158f5cc0cafd1.txt",
    description="Seed 002 ex. 2-3: the output Hessian vanishes like p^(-1/2) while phi(f) keeps an order-1 "
                "curvature; wide trained networks stay near their linearisation.",
    config=Config, run=run, quick=QUICK, source="sheet 002, exercises 2 and 3"))

"""Seed 004, Problem 1: GD on a leaky-ReLU network with the logistic loss converges although the loss
is not smooth, by the Perceptron-style argument.

f(x; W) = sum_j a_j phi(<w_j, x>), phi(t) = max(t, gamma t), a_j = +-1/sqrt(m) fixed, only W trained,
on separable data with ||x_i|| <= 1 and y_i <v, x_i> >= 1. Every step is checked against the two
inequalities of the proof (see :mod:`twolayer.analysis.perceptron`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis import gradient_jump, min_g_bound, perceptron_direction, perceptron_quantities
from ..data import separable
from ..init import init_net
from ..objective import Objective
from ..optim import GD
from ..plots import label, new_figure
from ..plots.style import series_colour
from ..train import train
from ..trajectory import log_steps
from . import Experiment, register
from .base import param
from .budget import SEED_MAX, check_budget, snapshot_bytes


@dataclass
class Config:
    n: int = param(40, "Number of separable training points in the unit ball.", ge=1, le=10_000)
    d: int = param(10, "Input dimension.", ge=1, le=300)
    margin: float = param(0.1, "Margin: y_i <u, x_i> >= margin for a unit u, so v = u / margin.", gt=0, le=0.99)
    m: int = param(20, "Number of hidden leaky-ReLU neurons (a_j = +-1/sqrt(m) fixed).", ge=1, le=300)
    gamma: float = param(0.2, "Leaky ReLU slope: phi(t) = max(t, gamma t).", gt=0, le=1)
    init_std: float = param(0.1, "Standard deviation of the entries of W_0.", gt=0, le=100)
    step_sizes: tuple[float, ...] = param((0.1, 1.0, 10.0, 100.0), "GD step sizes alpha, one run each.", gt=0, le=1e4)
    steps: int = param(30000, "Number of GD steps per run (every step is recorded and checked).", ge=1, le=300_000)
    eps: tuple[float, ...] = param(tuple(10.0 ** -k for k in range(1, 11)), "Distances ||W - W'|| of the "
                                   "non-smoothness check.", gt=0, le=1)
    seed: int = param(0, "Random seed of the data and of W_0.", ge=0, le=SEED_MAX)


QUICK = {"steps": 3000}


def slacks(Q: dict, c: float, lr: float) -> dict:
    """Per step: H_{t+1} - H_t - c' alpha G(W_t) and F_t^2 + 2 alpha + alpha^2 - F_{t+1}^2 (both >= 0 in theory)."""
    return {"H": Q["dH"] - c * lr * Q["G"][:-1], "F": 2 * lr + lr ** 2 - Q["dF2"],
            "H_ratio": Q["dH"] / (c * lr * Q["G"][:-1])}


def check(cfg: Config) -> None:
    """A run records W (m x d) at every step: steps x m x d must fit in memory."""
    check_budget("steps", cfg.steps, snapshot_bytes(cfg.steps + 2, cfg.m * cfg.d),
                 "every step is recorded: lower steps, m or d")


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    X, y, v = separable(cfg.n, cfg.d, margin=cfg.margin, seed=cfg.seed)
    net = init_net(cfg.d, cfg.m, "leaky_relu", "none", init="fixed_outer", scale=cfg.init_std, slope=cfg.gamma,
                   seed=cfg.seed + 1)
    V, c = perceptron_direction(net, v)
    shown = log_steps(cfg.steps, 300)
    fig, axes = new_figure(3, 2, width=4.2, height=3.3)
    out = {"step_sizes": list(cfg.step_sizes), "c_prime": c, "final_loss": [], "min_slack_H": [], "min_slack_F": [],
           "min_ratio_H": [], "steps_to_G_below_1e-3": []}
    for k, lr in enumerate(cfg.step_sizes):
        traj = train(net, X, y, loss="logistic", trainable=("W",), optimizer=GD(lr), steps=cfg.steps, record_every=1,
                     engine=ctx.engine, quiet=ctx.quiet)
        Q = perceptron_quantities(net, traj.W, X, y, V)
        S = slacks(Q, c, lr)
        below = np.flatnonzero(Q["G"] < 1e-3)
        out["final_loss"].append(float(traj.train_loss[-1]))
        out["min_slack_H"].append(float(S["H"].min()))
        out["min_slack_F"].append(float(S["F"].min()))
        out["min_ratio_H"].append(float(S["H_ratio"].min()))
        out["steps_to_G_below_1e-3"].append(int(below[0]) if below.size else None)
        col, t = series_colour(k), shown[1:]
        axes[0, 0].loglog(t, Q["L"][t], color=col, label=f"alpha = {lr:g}")
        axes[0, 0].loglog(t, Q["G"][t], color=col, ls="--")
        axes[0, 1].loglog(t, np.minimum.accumulate(Q["G"])[t - 1], color=col, label=f"alpha = {lr:g}")
        axes[0, 1].loglog(t, min_g_bound(t, Q["F"][0], Q["H"][0], c, lr), color=col, ls=":")
        axes[0, 2].loglog(t, Q["F"][t], color=col, label=f"F_t, alpha = {lr:g}")
        axes[0, 2].loglog(t, np.maximum(Q["H"][t], 1e-3), color=col, ls="--")
        axes[0, 2].loglog(t, np.sqrt(Q["F"][0] ** 2 + t * (2 * lr + lr ** 2)), color=col, ls=":", lw=1)
        axes[1, 0].semilogx(t, S["H_ratio"][t - 1], color=col, label=f"alpha = {lr:g}")
        axes[1, 1].semilogx(t, S["F"][t - 1] / (2 * lr + lr ** 2), color=col, label=f"alpha = {lr:g}")
    axes[1, 0].axhline(1.0, color="r", lw=1, label="bound (ratio 1)")
    axes[1, 0].set_ylim(bottom=0)
    axes[1, 1].set_ylim(-0.05, 1.05)
    axes[1, 1].axhline(0.0, color="r", lw=1)
    label(axes[0, 0], "step t", "value", "loss L (solid) and G (dashed)", legend=True)
    label(axes[0, 1], "step t", "min_{s<t} G(W_s)", "min G (solid), proof's bound (dotted)", legend=True)
    label(axes[0, 2], "step t", "value", "F_t (solid), H_t (dashed), F bound (dotted)",
          legend=True, fontsize=6)
    label(axes[1, 0], "step t", "(H_{t+1} - H_t) / (c' alpha G_t)", f"part 3 (c' = gamma/||v|| = {c:.3g}): >= 1",
          legend=True)
    label(axes[1, 1], "step t", "slack / (2 alpha + alpha^2)", "part 4: F_t^2 + 2a + a^2 - F_{t+1}^2 >= 0 (red)", legend=True)

    obj = Objective(net, X, y, loss="logistic", reduction="mean", trainable=("W",))
    jump = gradient_jump(obj, net.theta, neuron=0, sample=0, eps=np.array(cfg.eps))
    ax = axes[1, 2]
    ax.loglog(jump["eps"], jump["across"], "o-", color="C3", label="across the kink <w_1, x_1> = 0")
    ax.loglog(jump["eps"], jump["inside"], "s-", color="C0", label="along w_1 (no pattern changes)")
    ax.loglog(jump["eps"], jump["jump"] / jump["eps"], "k:", label="closed-form jump / eps")
    label(ax, "||W - W'||", "||grad L(W) - grad L(W')|| / ||W - W'||", "part 1: L is not smooth (at W_0)", legend=True,
          fontsize=7)
    ctx.figure(fig, "perceptron", "Perceptron-style convergence of GD on a leaky-ReLU network",
               f"n = {cfg.n} separable points in the unit ball of R^{cfg.d} with margin vector ||v|| = {1 / cfg.margin:g}, "
               f"m = {cfg.m}, gamma = {cfg.gamma:g}, a_j = +-1/sqrt(m) fixed, W_0 ~ N(0, {cfg.init_std:g}^2), logistic "
               f"loss, full-batch GD for {cfg.steps} steps. Top: loss and G, the proof's guarantee on min G, and the "
               f"growth of F_t and H_t. Bottom: the two inequalities checked at every step (the smallest ratio in part 3 "
               f"is {min(out['min_ratio_H']):.2f} >= 1; the smallest slack in part 4 is {min(out['min_slack_F']):.3g} >= 0), "
               f"and the ratio of gradient differences, which grows like 1/eps across an activation boundary "
               f"(jump {jump['jump']:.3g}) but stays bounded ({jump['inside'].max():.3g}) inside a region. No step-size "
               f"condition is needed: alpha = {cfg.step_sizes[-1]:g} converges fastest.")
    ctx.note(f"Part 6: the argument needs no bound on alpha (only alpha > 0); the measured runs reach G < 1e-3 after "
             f"{out['steps_to_G_below_1e-3']} steps for alpha = {list(cfg.step_sizes)}. Once G <= 1/(2n), every "
             f"margin is positive and L <= 2 G.")
    out["smoothness_ratio_max"] = float(jump["across"].max())
    out["smoothness_eps"] = jump["eps"].tolist()
    out["smoothness_ratio_across"] = jump["across"].tolist()
    out["smoothness_ratio_inside"] = jump["inside"].tolist()
    out["gradient_jump_closed_form"] = jump["jump"]
    return out


register(Experiment(
    name="perceptron-convergence", seed_file="004_dc5170f39b81d439.txt",
    description="Seed 004 Problem 1: GD on a leaky-ReLU network with logistic loss; the loss L, G, H_t = <W_t, V> and "
                "F_t = ||W_t||, the proof's two inequalities checked at every step, and the non-smoothness of L.",
    config=Config, run=run, quick=QUICK, source="sheet 004, problem 1 (parts 1-6)"))

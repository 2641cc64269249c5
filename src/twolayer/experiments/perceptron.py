"""Seed 004, Problem 1: GD on a leaky-ReLU network with the logistic loss converges although the loss
is not smooth, by the Perceptron-style argument.

f(x; W) = sum_j a_j phi(<w_j, x>), phi(t) = max(t, gamma t), a_j = +-1/sqrt(m) fixed, only W trained,
on separable data with ||x_i|| <= 1 and y_i <v, x_i> >= 1. Every step is checked against the two
inequalities of the proof (see :mod:`twolayer.analysis.perceptron`), for several seeds (data set and
W_0); each run's per-step quantities are stored, and the conclusions (:func:`inequality_sentence`,
:func:`speed_sentence`) are computed from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis import (band_of_best, gradient_jump, min_g_bound, perceptron_direction, perceptron_quantities,
                        run_health, spread)
from ..data import separable
from ..init import init_net
from ..objective import Objective
from ..optim import GD
from ..plots import label, mean_band, new_figure
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
    step_sizes: tuple[float, ...] = param((0.1, 1.0, 10.0, 100.0), "GD step sizes alpha, one run per seed each.",
                                          gt=0, le=1e4)
    steps: int = param(30000, "Number of GD steps per run (every step is recorded and checked).", ge=1, le=300_000)
    eps: tuple[float, ...] = param(tuple(10.0 ** -k for k in range(1, 11)), "Distances ||W - W'|| of the "
                                   "non-smoothness check.", gt=0, le=1)
    g_level: float = param(1e-3, "Level of G(W) = mean -ell'(y_i f_i) that counts as converged.", gt=0, le=1)
    seeds: int = param(5, "Seeds: seed + k (k < seeds) draws the data (seed + k) and W_0 (seed + k + 1).", ge=1,
                       le=100)
    seed: int = param(0, "First random seed of the data and of W_0.", ge=0, le=SEED_MAX)


QUICK = {"steps": 3000, "seeds": 3}
BLOWUP = 100.0   # run_health: a loss above 100x its start flags the run


def slacks(Q: dict, c: float, lr: float) -> dict:
    """Per step: H_{t+1} - H_t - c' alpha G(W_t) and F_t^2 + 2 alpha + alpha^2 - F_{t+1}^2 (both >= 0 in theory)."""
    return {"H": Q["dH"] - c * lr * Q["G"][:-1], "F": 2 * lr + lr ** 2 - Q["dF2"],
            "H_ratio": Q["dH"] / (c * lr * Q["G"][:-1])}


def check(cfg: Config) -> None:
    """A run records W (m x d) at every step: steps x m x d must fit in memory."""
    check_budget("steps", cfg.steps, snapshot_bytes(cfg.steps + 2, cfg.m * cfg.d),
                 "every step is recorded: lower steps, m or d")


def problem(cfg: Config, seed: int):
    """(X, y, v, net, V, c) of one seed: the data (seed), W_0 (seed + 1), and the proof's V and c'."""
    X, y, v = separable(cfg.n, cfg.d, margin=cfg.margin, seed=seed)
    net = init_net(cfg.d, cfg.m, "leaky_relu", "none", init="fixed_outer", scale=cfg.init_std, slope=cfg.gamma,
                   seed=seed + 1)
    V, c = perceptron_direction(net, v)
    return X, y, v, net, V, c


def one_run(cfg: Config, lr: float, seed: int, engine: str, quiet: bool) -> dict:
    """GD at step size lr on one seed's problem, every step recorded: the proof's quantities L, G, H, F
    (steps + 1,) and dH, dF2 (steps,) of :func:`perceptron_quantities`, c' and the final loss."""
    X, y, _, net, V, c = problem(cfg, seed)
    traj = train(net, X, y, loss="logistic", trainable=("W",), optimizer=GD(lr), steps=cfg.steps, record_every=1,
                 engine=engine, quiet=quiet)
    return {**perceptron_quantities(net, traj.W, X, y, V), "c": float(c), "final_loss": float(traj.train_loss[-1])}


def smoothness(cfg: Config) -> dict:
    """Part 1 at seed cfg.seed's W_0: the gradient-difference ratios across and inside a kink."""
    X, y, _, net, _, _ = problem(cfg, cfg.seed)
    obj = Objective(net, X, y, loss="logistic", reduction="mean", trainable=("W",))
    jump = gradient_jump(obj, net.theta, neuron=0, sample=0, eps=np.array(cfg.eps))
    return {k: (float(v) if np.ndim(v) == 0 else np.asarray(v, float)) for k, v in jump.items()}


# -- conclusions, computed from the numbers --------------------------------------------------
def inequality_sentence(min_ratio_H, min_slack_F) -> str:
    """Whether parts 3 and 4 hold at every step of every run, from the smallest ratio
    (H_{t+1} - H_t) / (c' alpha G_t) and the smallest slack F_t^2 + 2 alpha + alpha^2 - F_{t+1}^2."""
    r, f = float(np.min(min_ratio_H)), float(np.min(min_slack_F))
    n = int(np.size(min_ratio_H))
    part3 = (f"the smallest ratio in part 3 is {r:.3g} >= 1 (the inequality holds at every step)" if r >= 1 else
             f"the smallest ratio in part 3 is {r:.3g} < 1: the inequality fails at some step")
    part4 = (f"the smallest slack in part 4 is {f:.3g} >= 0" if f >= 0 else
             f"the smallest slack in part 4 is {f:.3g} < 0: the bound on F fails at some step")
    return f"Over all {n} runs (step sizes x seeds), {part3}; {part4}."


def speed_sentence(step_sizes, final_loss, steps_to, steps: int, g_level: float, keep=None) -> str:
    """Which step sizes converge and which ends lowest, over seeds.

    final_loss : (A, R) final loss per step size and seed;  steps_to : (A, R) first step with
    G < g_level (None or NaN: not reached);  keep : (A, R) retained runs (default all).
    """
    loss = np.asarray(final_loss, float)
    reach = np.array([[np.nan if v is None else v for v in row] for row in steps_to], dtype=float)
    keep = np.ones(loss.shape, bool) if keep is None else np.asarray(keep, bool)
    missed = [(a, int((~np.isfinite(reach[i]) & keep[i]).sum())) for i, a in enumerate(step_sizes)]
    missed = [(a, k) for a, k in missed if k]
    if missed:
        conv = ("not every step size converges within the budget: " + ", ".join(
            f"alpha = {a:g} missed G < {g_level:g} in {k} of {int(keep[list(step_sizes).index(a)].sum())} seeds "
            f"after {steps} steps" for a, k in missed))
    else:
        conv = (f"every retained run reaches G < {g_level:g} (first step, range over seeds: " + ", ".join(
            f"{spread(reach[i][keep[i]])['lo']:.0f}-{spread(reach[i][keep[i]])['hi']:.0f} at alpha = {a:g}"
            for i, a in enumerate(step_sizes)) + "), so no step-size condition shows up")
    best, band = band_of_best(np.where(keep, loss, np.nan))
    st = spread(loss[best][keep[best]])
    low = (f"alpha = {step_sizes[best]:g} ends lowest (final loss {st['mean']:.3g}, range {st['lo']:.3g}-{st['hi']:.3g} "
           f"over {st['n']} seeds)")
    others = [step_sizes[i] for i in band if i != best]
    low += ("; its seed range lies below every other step size's" if not others else
            f"; alpha in {{{', '.join(f'{a:g}' for a in others)}}} overlap its seed range")
    largest = int(np.argmax(step_sizes))
    tail = (": the largest step converges fastest." if best == largest and not others else ".")
    return f"{conv[0].upper()}{conv[1:]}; {low}{tail}"


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    seeds = [cfg.seed + k for k in range(cfg.seeds)]
    runs = [[ctx.run("gd", lambda lr=lr, s=s: one_run(cfg, lr, s, ctx.engine, ctx.quiet), lr=lr, seed=s)
             for s in seeds] for lr in cfg.step_sizes]
    jump = ctx.run("smoothness", lambda: smoothness(cfg))
    c_by_seed = [runs[0][k]["c"] for k in range(len(seeds))]
    shown = log_steps(cfg.steps, 300)
    t = shown[1:]
    A, R = len(cfg.step_sizes), len(seeds)
    S = [[slacks(r, r["c"], lr) for r in row] for lr, row in zip(cfg.step_sizes, runs)]
    health = [[run_health(r["L"], blowup=BLOWUP) for r in row] for row in runs]
    keep = np.array([[h["status"] == "ok" for h in row] for row in health])
    below = [[np.flatnonzero(r["G"] < cfg.g_level) for r in row] for row in runs]
    steps_to = [[int(b[0]) if b.size else None for b in row] for row in below]
    final = np.array([[r["final_loss"] for r in row] for row in runs])
    min_slack_H = np.array([[float(s["H"].min()) for s in row] for row in S])
    min_slack_F = np.array([[float(s["F"].min()) for s in row] for row in S])
    min_ratio_H = np.array([[float(s["H_ratio"].min()) for s in row] for row in S])
    ineq = inequality_sentence(min_ratio_H, min_slack_F)
    speed = speed_sentence(cfg.step_sizes, final, steps_to, cfg.steps, cfg.g_level, keep)

    fig, axes = new_figure(3, 2, width=4.2, height=3.3)
    for k, (lr, row, srow) in enumerate(zip(cfg.step_sizes, runs, S)):
        col = series_colour(k)
        stack = {key: np.array([r[key] for r in row]) for key in ("L", "G", "F", "H")}   # (R, steps + 1)
        ratio = np.array([s["H_ratio"] for s in srow])
        fslack = np.array([s["F"] for s in srow]) / (2 * lr + lr ** 2)
        mean_band(axes[0, 0], t, stack["L"][:, t].T, label=f"alpha = {lr:g}", colour=col, marker="")
        mean_band(axes[0, 0], t, stack["G"][:, t].T, colour=col, marker="")
        axes[0, 0].lines[-1].set_linestyle("--")
        mean_band(axes[0, 1], t, np.minimum.accumulate(stack["G"], axis=1)[:, t - 1].T, label=f"alpha = {lr:g}",
                  colour=col, marker="")
        bound = np.array([min_g_bound(t, r["F"][0], r["H"][0], r["c"], lr) for r in row])
        mean_band(axes[0, 1], t, bound.T, colour=col, marker="")
        axes[0, 1].lines[-1].set_linestyle(":")
        mean_band(axes[0, 2], t, stack["F"][:, t].T, label=f"F_t, alpha = {lr:g}", colour=col, marker="")
        mean_band(axes[0, 2], t, np.maximum(stack["H"][:, t], 1e-3).T, colour=col, marker="")
        axes[0, 2].lines[-1].set_linestyle("--")
        axes[0, 2].loglog(t, np.sqrt(np.mean(stack["F"][:, 0] ** 2) + t * (2 * lr + lr ** 2)), color=col, ls=":", lw=1)
        mean_band(axes[1, 0], t, ratio[:, t - 1].T, label=f"alpha = {lr:g}", colour=col, marker="")
        mean_band(axes[1, 1], t, fslack[:, t - 1].T, label=f"alpha = {lr:g}", colour=col, marker="")
    for ax in axes[0]:
        ax.set_xscale("log")
        ax.set_yscale("log")
    axes[1, 0].set_xscale("log")
    axes[1, 1].set_xscale("log")
    axes[1, 0].axhline(1.0, color="r", lw=1, label="bound (ratio 1)")
    axes[1, 0].set_ylim(bottom=0)
    axes[1, 1].set_ylim(-0.05, 1.05)
    axes[1, 1].axhline(0.0, color="r", lw=1)
    label(axes[0, 0], "step t", "value", "loss L (solid) and G (dashed)", legend=True)
    label(axes[0, 1], "step t", "min_{s<t} G(W_s)", "min G (solid), proof's bound (dotted)", legend=True)
    label(axes[0, 2], "step t", "value", "F_t (solid), H_t (dashed), F bound (dotted)",
          legend=True, fontsize=6)
    c_text = f"{min(c_by_seed):.3g}" + ("" if np.isclose(min(c_by_seed), max(c_by_seed)) else f"-{max(c_by_seed):.3g}")
    label(axes[1, 0], "step t", "(H_{t+1} - H_t) / (c' alpha G_t)", f"part 3 (c' = gamma/||v|| = {c_text}): >= 1",
          legend=True)
    label(axes[1, 1], "step t", "slack / (2 alpha + alpha^2)", "part 4: F_t^2 + 2a + a^2 - F_{t+1}^2 >= 0 (red)", legend=True)

    ax = axes[1, 2]
    ax.loglog(jump["eps"], jump["across"], "o-", color="C3", label="across the kink <w_1, x_1> = 0")
    ax.loglog(jump["eps"], jump["inside"], "s-", color="C0", label="along w_1 (no pattern changes)")
    ax.loglog(jump["eps"], jump["jump"] / jump["eps"], "k:", label="closed-form jump / eps")
    label(ax, "||W - W'||", "||grad L(W) - grad L(W')|| / ||W - W'||", "part 1: L is not smooth (at W_0)", legend=True,
          fontsize=7)
    flagged = [{"alpha": lr, "seed": s, **h} for lr, row in zip(cfg.step_sizes, health) for s, h in zip(seeds, row)
               if h["status"] != "ok"]
    health_text = ("Every run's loss stayed below 100x its start." if not flagged else
                   "Flagged and left out of the speed comparison: " + "; ".join(
                       f"alpha = {f['alpha']:g}, seed {f['seed']} ({f['reason']})" for f in flagged) + ".")
    ctx.figure(fig, "perceptron", "Perceptron-style convergence of GD on a leaky-ReLU network",
               f"n = {cfg.n} separable points in the unit ball of R^{cfg.d} with margin vector ||v|| = {1 / cfg.margin:g}, "
               f"m = {cfg.m}, gamma = {cfg.gamma:g}, a_j = +-1/sqrt(m) fixed, W_0 ~ N(0, {cfg.init_std:g}^2), logistic "
               f"loss, full-batch GD for {cfg.steps} steps, seeds {seeds[0]}-{seeds[-1]} (each its own data set and "
               f"W_0): lines are means over seeds, bands their range. Top: loss and G, the proof's guarantee on min G, "
               f"and the growth of F_t and H_t. Bottom: the two inequalities checked at every step, and the ratio of "
               f"gradient differences (seed {cfg.seed}'s W_0), which grows like 1/eps across an activation boundary "
               f"(jump {jump['jump']:.3g}) but stays bounded ({jump['inside'].max():.3g}) inside a region. {ineq} "
               f"{speed} {health_text}")
    ctx.note(f"Part 6: the argument needs no bound on alpha (only alpha > 0). {speed} Once G <= 1/(2n), every "
             f"margin is positive and L <= 2 G.")
    return {"step_sizes": list(cfg.step_sizes), "seeds": seeds, "c_prime": c_by_seed[0], "c_prime_by_seed": c_by_seed,
            "final_loss": [spread(final[i][keep[i]])["mean"] for i in range(A)],
            "final_loss_sd": [spread(final[i][keep[i]])["sd"] for i in range(A)],
            "final_loss_by_seed": final.tolist(),
            "min_slack_H": min_slack_H.min(axis=1).tolist(), "min_slack_F": min_slack_F.min(axis=1).tolist(),
            "min_ratio_H": min_ratio_H.min(axis=1).tolist(),
            "steps_to_G_below_level": steps_to, "g_level": cfg.g_level,
            "run_status": [[h["status"] for h in row] for row in health], "flagged_runs": flagged,
            "conclusion_inequalities": ineq, "conclusion_speed": speed,
            "smoothness_ratio_max": float(jump["across"].max()), "smoothness_eps": jump["eps"].tolist(),
            "smoothness_ratio_across": jump["across"].tolist(), "smoothness_ratio_inside": jump["inside"].tolist(),
            "gradient_jump_closed_form": jump["jump"], "runs": A * R}


register(Experiment(
    name="perceptron-convergence", seed_file="004_dc5170f39b81d439.txt",
    description="Seed 004 Problem 1: GD on a leaky-ReLU network with logistic loss; the loss L, G, H_t = <W_t, V> and "
                "F_t = ||W_t||, the proof's two inequalities checked at every step over several seeds, and the "
                "non-smoothness of L.",
    config=Config, run=run, quick=QUICK, source="sheet 004, problem 1 (parts 1-6)"))

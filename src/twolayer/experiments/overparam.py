"""Seed 000, exercise 3: why width makes gradient descent converge (the figures at the end of the
blog post "gradient-descent-neural-networks-global-convergence" that the sheet cites)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import data
from ..errors import InvalidParameter
from ..init import init_net
from ..net import Net
from ..optim import GD, SGD
from ..plots import animate_particles, loss_curve, new_figure, particle_paths
from ..sweep import train_many
from ..train import train
from ..trajectory import log_steps
from . import Experiment, register
from .base import param
from .budget import SEED_MAX

MAX_STREAM = 10_000_000   # samples of the 1-D one-pass stream (steps_1d x batch), each record evaluates them all


@dataclass
class Config:
    widths_1d: tuple[int, ...] = param((5, 20, 100), "Widths m of the 1-D students (triangle wave).", ge=1, le=10_000)
    restarts: int = param(20, "Random restarts per 1-D width.", ge=1, le=1000)
    steps_1d: int = param(60_000, "One-pass SGD steps of each 1-D run (each sees steps_1d x batch fresh samples).",
                          ge=1, le=600_000)
    batch: int = param(16, "SGD minibatch size in 1-D.", ge=1, le=160)
    lr_1d: float = param(0.03, "Per-neuron SGD step in 1-D: SGD runs with lr_1d * m (mean-field convention).", gt=0,
                         le=100)
    widths_2d: tuple[int, ...] = param((5, 10, 100, 1000), "Widths m of the 2-D students (particles).", ge=1,
                                       le=10_000)
    n_2d: int = param(400, "Number of Gaussian training inputs in 2-D.", ge=1, le=20_000)
    steps_2d: int = param(20_000, "Full-batch GD steps of each 2-D run.", ge=1, le=2_000_000)
    lr_2d: float = param(0.5, "Per-neuron GD step in 2-D: GD runs with lr_2d * m.", gt=0, le=100)
    scale_2d: float = param(0.1, "Initialisation scale of the 2-D students (small: particles start near 0).", gt=0,
                            le=100)
    converged_below: float = param(1e-3, "Test error below which a 1-D restart counts as converged.", gt=0, le=10)
    gif_width: int = param(100, "Width of the 2-D student in the animation (the widest when not in widths_2d).", ge=1,
                           le=10_000)
    seed: int = param(0, "Random seed of the data, the teacher and the students.", ge=0, le=SEED_MAX)


QUICK = {"restarts": 6, "steps_2d": 8_000, "n_2d": 200}


def one_dimensional(cfg, ctx):
    """Triangle wave, one-pass SGD: every restart sees fresh minibatches of the target."""
    B = cfg.batch
    X, y = data.triangle_data(cfg.steps_1d * B, seed=cfg.seed)  # one pass: each sample used once
    xt = np.linspace(-1, 1, 1001)[:, None]
    yt = data.triangle_wave(xt[:, 0])
    record = log_steps(cfg.steps_1d, 25)  # each record evaluates the loss on the whole stream
    results = {}
    for m in cfg.widths_1d:
        seeds = [cfg.seed + 1 + r for r in range(cfg.restarts)]
        nets = [init_net(1, m, "relu", "mean-field", bias=True, init="sphere", scale=1.0, seed=s) for s in seeds]
        results[m] = train_many(nets, X, y, loss="square", reduction="mean", optimizer=SGD(cfg.lr_1d * m, B),
                                seed=seeds, steps=cfg.steps_1d, record_at=record, X_test=xt, y_test=yt,
                                snapshots=False, engine=ctx.engine, quiet=ctx.quiet)
    fig, axes = new_figure(len(cfg.widths_1d), 2, width=3.6, height=3.0)
    final = {}
    for col, m in enumerate(cfg.widths_1d):
        ax = axes[0, col]
        for run in results[m]:
            ax.plot(xt[:, 0], run.final(xt), lw=0.8, alpha=0.6)
        ax.plot(xt[:, 0], yt, "k--", lw=1.5, label="target")
        ax.set_title(f"m = {m}: {cfg.restarts} restarts")
        ax.set_xlabel("x")
        ax.set_ylim(-1.6, 1.6)
        ax.legend(loc="lower right", fontsize=7)
        ax = axes[1, col]
        for run in results[m]:
            ax.plot(run.steps[1:], np.log10(np.maximum(run.test_loss[1:], 1e-16)), lw=0.8, alpha=0.7)
        ax.axhline(np.log10(cfg.converged_below), color="0.3", ls=":")
        ax.set_xscale("log")
        ax.set_xlabel("SGD iteration")
        ax.set_ylabel("log10 test error")
        final[m] = np.array([run.test_loss[-1] for run in results[m]])
    frac = {m: float(np.mean(final[m] < cfg.converged_below)) for m in cfg.widths_1d}
    ctx.figure(fig, "triangle_wave", "1D: learned predictors and test error (triangle wave)",
               f"Top: the target (dashed, exactly 5 ReLU neurons with bias) and the predictors of {cfg.restarts} random "
               f"restarts per width after {cfg.steps_1d} one-pass SGD steps (fresh minibatches of {B}). Bottom: log10 test "
               f"error against iterations. Share of restarts below {cfg.converged_below:g}: "
               + ", ".join(f"m = {m}: {frac[m]:.0%}" for m in cfg.widths_1d)
               + ". Narrow networks get stuck in bad local minima; wide ones always converge.")
    return frac, {m: float(np.median(final[m])) for m in cfg.widths_1d}


def square_teacher(seed: int) -> Net:
    """4 unit neurons a quarter turn apart (random common rotation), output signs +, -, +, -;
    f*(x) = (1/4) sum_j a_j relu(b_j . x)."""
    theta = np.random.default_rng(seed).uniform(0, np.pi / 2) + np.arange(4) * np.pi / 2
    W = np.column_stack([np.cos(theta), np.sin(theta)])
    return Net(np.array([1.0, -1.0, 1.0, -1.0]), W, None, "relu", "mean-field")


def two_dimensional(cfg, ctx):
    """Teacher with 4 unit neurons in the plane, students of growing width, full-batch GD."""
    teacher = square_teacher(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    X = rng.standard_normal((cfg.n_2d, 2))
    y = teacher(X)
    record = log_steps(cfg.steps_2d, 60)
    runs = {}
    for m in cfg.widths_2d:
        net = init_net(2, m, "relu", "mean-field", init="sphere", scale=cfg.scale_2d, seed=cfg.seed + 1)
        runs[m] = train(net, X, y, loss="square", reduction="mean", optimizer=GD(cfg.lr_2d * m), steps=cfg.steps_2d,
                        record_at=record, engine=ctx.engine, quiet=ctx.quiet)
    fig, axes = new_figure(len(cfg.widths_2d), 1, width=3.3, height=3.3)
    for ax, m in zip(axes[0], cfg.widths_2d):
        particle_paths(ax, runs[m], teacher=teacher, title=f"m = {m}", max_paths=200)
    axes[0, 0].legend(loc="lower left", fontsize=7)
    ctx.figure(fig, "particles", "2D: particle trajectories",
               f"Paths of the particles |a_j| b_j from their small start (scale {cfg.scale_2d:g}) to the end of "
               f"{cfg.steps_2d} GD steps (dots), for each width; stars: the 4 teacher neurons (unit norm). With many "
               "particles every teacher direction is reached; with few, some teacher neurons stay uncovered. Teacher: "
               "4 unit neurons a quarter turn apart with output signs +, -, +, -.")
    fig, ax = new_figure(1, 1, width=5.5, height=3.8)
    per_neuron_time = cfg.lr_2d * record  # every run records at the same steps
    loss_curve(ax[0, 0], per_neuron_time, {f"m = {m}": runs[m].train_loss for m in cfg.widths_2d},
               xlabel="time (per-neuron step x iterations)", logx=True, title="2D: training loss")
    finals = {m: float(runs[m].train_loss[-1]) for m in cfg.widths_2d}
    ctx.figure(fig, "particle_losses", "2D: training loss against time",
               "Loss curves of the four students: " + ", ".join(f"m = {m}: {finals[m]:.2g}" for m in cfg.widths_2d)
               + " at the end. A student that misses a teacher direction stalls on a plateau; wide ones keep "
                 "decreasing towards 0.")
    gif = ctx.folder / "figures" / "particles.gif"
    m_gif = cfg.gif_width if cfg.gif_width in runs else cfg.widths_2d[-1]
    animate_particles(runs[m_gif], gif, teacher=teacher, title=f"m = {m_gif}")
    ctx.note(f"Animated particles of the m = {m_gif} student: [figures/particles.gif](figures/particles.gif).")
    return finals


def check(cfg: Config) -> None:
    """The one-pass stream of the 1-D runs (steps_1d x batch samples) must stay a sane size."""
    if cfg.steps_1d * cfg.batch > MAX_STREAM:
        raise InvalidParameter("steps_1d", cfg.steps_1d, f"steps_1d x batch = {cfg.steps_1d * cfg.batch:.3g} fresh "
                               f"samples is more than {MAX_STREAM:.0e}; use steps_1d <= {MAX_STREAM // cfg.batch}")


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    frac, median = one_dimensional(cfg, ctx)
    finals = two_dimensional(cfg, ctx)
    ctx.note("Model: f(x) = (1/m) sum_j a_j relu(b_j . x + c_j) (bias in 1D, none in 2D), sphere initialisation "
             "((b_j, c_j) on the unit circle, a_j = +-1, times the scale), square loss (1/n). Mean-field step "
             f"convention: the per-neuron steps {cfg.lr_1d:g} (1D, SGD) and {cfg.lr_2d:g} (2D, GD) are multiplied by m.")
    return {"widths": list(cfg.widths_1d), "fraction_converged": [frac[m] for m in cfg.widths_1d],
            "median_final_test_error": [median[m] for m in cfg.widths_1d],
            "widths_2d": list(cfg.widths_2d), "particle_final_loss": [finals[m] for m in cfg.widths_2d]}


register(Experiment(
    name="overparam-convergence", seed_file="000_a9745a3daa3e7512.txt",
    description="Seed 000 ex. 3: narrow ReLU networks get stuck, wide ones converge (1D triangle wave with "
                "random restarts; 2D particles following a 4-neuron teacher).",
    config=Config, run=run, quick=QUICK,
    source="sheet 000, exercise 3 (the figures of the blog post it cites)"))

"""Seed 003, sections 3.1.1 (iv), 3.1.3 and appendix C.1 (Figures 3.10, 3.17, 3.18, C.11): how ReLU,
Sigmoid and Tanh networks train from a small balanced initialisation on two orthogonal points.

Loss curves on 1.1.0 and 1.1.4 (c = 1), balancedness |a_j - s_j ||w_j||| over training, the neuron
S-curves (w_j1, w_j2) and bells (-w_j2/w_j1, s_j ||w_j||) of Sigmoid and Tanh on 1.1.4 with c = 75,
and the Sigmoid run with step 1e-2 and m = 600 whose loss spikes before it converges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import analysis, data
from ..data import with_bias
from ..ntk import empirical_ntk
from ..plots import label, new_figure, orientation_plane, weight_plane
from ..plots.neurons import osn_points
from ..plots.style import series_colour
from ..trajectory import log_steps
from . import Experiment, register
from .base import param, thesis_gd
from .budget import SEED_MAX, check_budget, check_recording, snapshot_bytes

ACTIVATIONS = ("relu", "sigmoid", "tanh")


@dataclass
class Config:
    width: int = param(60, "Number of hidden neurons m of the runs on 1.1.0 and 1.1.4 (c = 1).", ge=1, le=5000)
    scale: float = param(1e-6, "Balanced initialisation scale lambda of every run.", gt=0, le=100)
    lr: float = param(1e-3, "GD step size of the runs on 1.1.0, 1.1.4 and of Fig 3.18.", gt=0, le=10)
    epochs: int = param(300_000, "Number of GD steps (full-batch epochs) of the runs on 1.1.0 and 1.1.4.", ge=1,
                        le=3_000_000)
    record_every: int = param(300, "Record the loss and all parameters every this many GD steps (runs on 1.1.0 and "
                              "1.1.4).", ge=1, le=3_000_000)
    c_large: float = param(75.0, "Label factor c of data set 1.1.4 (labels -c, c) for the S-curves of Fig 3.18.",
                           gt=0, le=1000)
    width_large: int = param(100, "Number of hidden neurons of the Fig 3.18 runs.", ge=1, le=10_000)
    epochs_large: int = param(300_000, "Number of GD steps of the Fig 3.18 runs.", ge=1, le=3_000_000)
    spike_width: int = param(600, "Number of hidden neurons of the Sigmoid spike run (Fig C.11).", ge=1, le=1500)
    spike_lr: float = param(1e-2, "GD step size of the Sigmoid spike run.", gt=0, le=10)
    spike_epochs: int = param(20_000, "Number of GD steps of the Sigmoid spike run (recorded at every step).", ge=1,
                              le=50_000)
    seed: int = param(0, "Random seed of the initial directions g_j and signs s_j.", ge=0, le=SEED_MAX)


QUICK = {"epochs": 60_000, "epochs_large": 60_000, "record_every": 200, "spike_epochs": 5000}


def run_one(X, y, act, width, cfg: Config, ctx, *, lr=None, steps=None, record_every=None, record_at=None):
    record = {"record_at": record_at} if record_at is not None else {"record_every": record_every or cfg.record_every}
    return thesis_gd(X, y, act, width, cfg.scale, lr or cfg.lr, steps or cfg.epochs, ctx, cfg.seed, **record)


def check(cfg: Config) -> None:
    """The snapshots of the six main runs, and of the spike run (recorded at every step), must fit in memory."""
    check_recording("record_every", cfg.record_every, cfg.epochs, cfg.record_every, 3 * cfg.width, runs=6,
                    also="epochs or a smaller width")
    check_budget("spike_epochs", cfg.spike_epochs, snapshot_bytes(cfg.spike_epochs + 2, 3 * cfg.spike_width),
                 "the spike run records every step: lower spike_epochs or spike_width")


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    X0, y0 = data.thesis("1.1.0")
    X4, y4 = data.thesis("1.1.4", c=1.0)
    runs0 = {act: run_one(X0, y0, act, cfg.width, cfg, ctx) for act in ACTIVATIONS}
    runs4 = {act: run_one(X4, y4, act, cfg.width, cfg, ctx) for act in ACTIVATIONS}

    fig, axes = new_figure(2, 1, width=4.6, height=3.6)
    for ax, (name, runs) in zip(axes[0], (("1.1.0", runs0), ("1.1.4, c = 1", runs4))):
        for k, (act, t) in enumerate(runs.items()):
            ax.plot(t.steps, np.where(t.train_loss > 0, t.train_loss, np.nan), color=series_colour(k), label=act)
        ax.set_yscale("log")
        ax.set_ylim(bottom=1e-8)
        label(ax, "epoch", "training loss (1/n)", f"data set {name}, lambda = {cfg.scale:g}", legend=True)
    fit4 = analysis.sample_fit_steps(runs4["relu"], X4, y4)
    ctx.figure(fig, "loss", "Loss curves of the three activations (thesis Figs 3.1, 3.17)",
               f"m = {cfg.width}, balanced initialisation lambda = {cfg.scale:g}, GD step {cfg.lr:g}. ReLU has an "
               f"intermediate plateau (one label fitted, then the other); Sigmoid fits both labels at once. On 1.1.4 "
               f"the ReLU network fits the positive label (x = 10) at epoch {fit4[1]} and the negative one (x = -0.1) "
               f"at epoch {fit4[0]}: the speeds scale with |y_k| ||x_k||.")

    fig, axes = new_figure(3, 2, width=4.0, height=3.0)
    balance = {}
    for col, (act, t) in enumerate(runs0.items()):
        signs = np.sign(t.a[0])
        l1, linf = analysis.balance_errors(t.a, t.W, signs)
        norms = np.linalg.norm(t.W, axis=-1)
        balance[act] = (float(linf.max()), float(linf.max() / norms.max()))
        for row, (err, name) in enumerate(((l1, "l1-average"), (linf, "l-inf"))):
            ax = axes[row, col]
            ax.semilogy(t.steps, np.where(err > 0, err, np.nan), color="tab:blue", label=f"{name} error")
            ax.semilogy(t.steps, np.abs(t.a).mean(axis=1), color="tab:red", label="mean |a_j|")
            ax.semilogy(t.steps, norms.mean(axis=1), color="tab:green", ls="--", label="mean ||w_j||")
            label(ax, "epoch", "|a_j - s_j ||w_j|||", f"{act}: {name}", legend=col == 0, fontsize=7)
    ctx.figure(fig, "balancedness", "Balancedness over training (thesis Fig 3.10)",
               "Data set 1.1.0. Blue: the l1-average (top) and l-inf (bottom) of |a_j - s_j ||w_j||| with s_j the "
               "initial signs; red and green give the scale of the weights. Gradient flow conserves a_j^2 - ||w_j||^2 "
               "for the 1-homogeneous ReLU, so a balanced start stays balanced up to O(step) (largest error "
               + ", ".join(f"{a} {v[0]:.2g} = {v[1]:.2g} x max ||w_j||" for a, v in balance.items())
               + "); Sigmoid and Tanh are not homogeneous, and their a_j and ||w_j|| drift apart.")

    fig, axes = new_figure(4, 3, width=3.4, height=3.0)
    for row, (act, t) in enumerate(runs0.items()):
        signs = np.sign(t.a[0])
        picks = analysis.loss_fraction_indices(t.train_loss, (0.9, 0.5, 0.01))
        for col, i in enumerate([picks[1], picks[len(picks) // 2], picks[-1]]):
            orientation_plane(axes[row, col], t.net_at(i), X0[:, 0], y0, xlim=(-1.5, 3.0), signs=signs,
                              title=f"{act}, epoch {int(t.steps[i])}", legend=False)
        weight_plane(axes[row, 3], t.W[-1], X=X0, y=y0, a=t.a[-1], title=f"{act}: final (w_j1, w_j2)")
    axes[0, 3].legend(fontsize=6)
    ctx.figure(fig, "neurons_1_1_0", "Neurons of the three activations on 1.1.0 (thesis Figs 3.7-3.9, C.1-C.2)",
               f"m = {cfg.width}, lambda = {cfg.scale:g}: orientation / signed-norm windows where the loss first falls "
               "below 90, 50 and 1% of its start (model in green, data in red), and the final neurons in the (w_j1, "
               "w_j2) plane (magenta S+,1, aqua S-,1, red dashed D+ and D-). ReLU neurons sit on D+ and D-; Sigmoid "
               "and Tanh neurons spread along a curve.")

    fig, axes = new_figure(3, 2, width=4.0, height=3.0)
    pl_slack = {}
    for col, (act, t) in enumerate(runs0.items()):
        axes[0, col].plot(t.steps, t.a, lw=0.6)
        axes[0, col].set_yscale("symlog", linthresh=1e-6)
        label(axes[0, col], "epoch", "a_j", f"{act}: every a_j (thesis Fig C.3)")
        pl = analysis.pl_ratio(t.grad_norm, t.train_loss)
        eig = np.array([np.linalg.eigvalsh(empirical_ntk(t.net_at(i), X0)) for i in range(len(t))])
        bound = 2.0 * eig[:, 0] / len(y0)
        # both sides carry rounding errors of order eps lambda_max (near-singular J J^T near the saddles),
        # and residuals below ~1e-6 lose their digits (h ~ 1): compare in units of (2/n) lambda_max where L > 1e-12
        accurate = t.train_loss > 1e-12
        pl_slack[act] = float(np.min(((pl - bound) / (2.0 * eig[:, -1] / len(y0)))[accurate]))
        ax = axes[1, col]
        ax.semilogy(t.steps, pl, color="k", label="||grad L||^2 / (2 L)")
        ax.semilogy(t.steps, np.where(bound > 0, bound, np.nan), color="C1", ls="--", label="(2/n) lambda_min(J J^T)")
        label(ax, "epoch", "PL ratio", f"{act}: PL ratio and its NTK bound", legend=col == 0, fontsize=7)
    ctx.figure(fig, "outer_weights_and_pl", "Outer weights and the PL ratio along training (thesis Fig C.3, chapter 4)",
               "Data set 1.1.0. Top: every a_j over time (symmetric log scale). Bottom: the empirical PL ratio "
               "||grad L||^2 / (2 L) and its lower bound (2/n) lambda_min(J J^T) for L = (1/n) ||h - y||^2 (J: the "
               "Jacobian of the outputs, J J^T the empirical NTK); both are tiny near the saddles (PL fails there, "
               "chapter 4) and the bound holds at every recorded point.")

    Xc, yc = data.thesis("1.1.4", c=cfg.c_large)
    fig, axes = new_figure(3, 2, width=4.2, height=3.6)
    for row, act in enumerate(("sigmoid", "tanh")):
        t = run_one(Xc, yc, act, cfg.width_large, cfg, ctx, steps=cfg.epochs_large,
                    record_at=log_steps(cfg.epochs_large, 1000))
        signs = np.sign(t.a[0])
        picks = analysis.loss_fraction_indices(t.train_loss)
        xlim = (-3.0, 12.0)
        for k, i in enumerate(picks):
            col = f"C{k % 10}"
            weight_plane(axes[row, 0], t.W[i], colour=col, label=f"epoch {int(t.steps[i])}", directions=False)
            osn_points(axes[row, 1], t.W[i], signs, xlim, colour=col, label=f"epoch {int(t.steps[i])}", ms=5)
        axes[row, 1].set_xlim(*xlim)
        label(axes[row, 0], None, None, f"{act}: (w_j1, w_j2)", legend=True, fontsize=6)
        label(axes[row, 1], "-w_j2 / w_j1", "s_j ||w_j||", f"{act}: orientation / signed norm")
        grid = np.linspace(-1.0, 11.0, 400)
        axes[row, 2].plot(grid, t.final(with_bias(grid)), color="tab:green", label="h(x) at the end")
        axes[row, 2].plot(Xc[:, 0], yc, "o", color="tab:red", label="data")
        label(axes[row, 2], "x", "h(x)", f"{act}: final interpolator", legend=True)
    ctx.figure(fig, "s_curves", "S-curves and bells of Sigmoid and Tanh neurons (thesis Fig 3.18)",
               f"Data set 1.1.4 with c = {cfg.c_large:g}, m = {cfg.width_large}, lambda = {cfg.scale:g}: snapshots "
               "superimposed where the loss first falls below 99, 90, 60, 30, 10 and 1% of its start, and at the end. "
               "Sigmoid: the neurons of every epoch lie on one S-curve through the origin in the (w_j1, w_j2) plane, "
               "a bell lying on its side in the orientation / signed-norm plane. Tanh: the neurons first grow along "
               "an S-curve, then turn sharply once the positive label is fitted (the thesis's Conjecture 2).")

    spike = run_one(X0, y0, "sigmoid", cfg.spike_width, cfg, ctx, lr=cfg.spike_lr, steps=cfg.spike_epochs,
                    record_every=1)
    peak = int(np.argmax(spike.train_loss))
    fig, axes = new_figure(1, 1, width=5.0, height=3.6)
    axes[0, 0].semilogy(spike.steps, spike.train_loss, color="k")
    axes[0, 0].set_xscale("symlog", linthresh=100)
    label(axes[0, 0], "epoch", "training loss (1/n)", f"Sigmoid, m = {cfg.spike_width}, step {cfg.spike_lr:g}")
    ctx.figure(fig, "sigmoid_spike", "A loss spike that converges (thesis Fig C.11)",
               f"Data set 1.1.0, lambda = {cfg.scale:g}. All m = {cfg.spike_width} outer weights receive the same "
               f"gradient (sigma(0) = 1/2), so the effective step in that direction is about m times larger: the loss "
               f"jumps from {spike.train_loss[0]:.4f} to {spike.train_loss[peak]:.1f} at epoch {peak} (the thesis: "
               f"19462.8 at epoch 26) and then converges to {spike.train_loss[-1]:.2g}.")
    ctx.note("Loss (1/n) sum (h - y)^2 as in the thesis's runs; balanced initialisation w_j = lambda g_j, "
             "a_j = s_j ||w_j|| (eqs 2.41-2.42); h(x) = sum_j a_j sigma(w_j . x) with x = (x, 1).")
    return {"max_balance_error_relu": balance["relu"][0], "max_balance_error_sigmoid": balance["sigmoid"][0],
            "max_balance_error_tanh": balance["tanh"][0],
            "relative_balance_error": {a: v[1] for a, v in balance.items()},
            "fit_times_1_1_4": {"negative (x = -0.1)": fit4[0], "positive (x = 10)": fit4[1]},
            "final_loss_1_1_0": {a: float(t.train_loss[-1]) for a, t in runs0.items()},
            "final_loss_1_1_4": {a: float(t.train_loss[-1]) for a, t in runs4.items()},
            "pl_bound_min_slack": pl_slack,
            "sigmoid_spike_peak": float(spike.train_loss[peak]), "sigmoid_spike_epoch": peak,
            "sigmoid_spike_final_loss": float(spike.train_loss[-1])}


register(Experiment(
    name="activation-dynamics", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis 3.1.1 (iv), 3.1.3, C.1: ReLU, Sigmoid and Tanh from a small balanced start: loss curves, "
                "balancedness, the S-curves and bells of Sigmoid/Tanh neurons, and a Sigmoid loss spike that converges.",
    config=Config, run=run, quick=QUICK,
    source="thesis, sections 3.1.1 (iv), 3.1.3 and appendix C.1, Figs 3.1, 3.7-3.10, 3.17-3.18, C.1-C.3, C.11"))

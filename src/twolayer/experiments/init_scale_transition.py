"""Seed 003, section 3.1.1 (Figures 3.1-3.6, 3.11-3.13, C.4-C.9): the initialisation scale lambda moves
a network on data set 1.1.0 from the rich regime (saddle-to-saddle, minimum-norm interpolator) to the
lazy regime (convex-looking loss, larger norm), for ReLU, Sigmoid and Tanh.

h(x) = sum_j a_j sigma(w_j . x) on x = (x, 1), m = 60, balanced initialisation w_j = lambda g_j,
a_j = s_j ||w_j|| (eqs 2.41-2.42), loss (1/n) sum (h - y)^2, GD with step 1e-3 for 3e5 epochs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import analysis, data
from ..errors import InvalidParameter
from ..optim import GD
from ..plots import label, loss_curve, new_figure, orientation_plane
from ..plots.style import series_colour
from ..sweep import train_many
from . import Experiment, register
from .base import THESIS_LOSS, balanced_net, param
from .budget import SEED_MAX, check_recording
from .saddle_to_saddle import ORTHOGONAL_SETS

ACTIVATIONS = ("relu", "sigmoid", "tanh")


@dataclass
class Config:
    dataset: str = param("1.1.0", "Thesis data set: two orthogonal inputs (x, 1) with labels +-1 (1.1.4 with c = 1).",
                         choices=ORTHOGONAL_SETS)
    width: int = param(60, "Number of hidden neurons m.", ge=1, le=1000)
    scales: tuple[float, ...] = param((1e-10, 1e-8, 1e-6, 1e-4, 1e-2, 2e-2, 2.5e-2, 3.5e-2, 6e-2, 7.5e-2, 0.1, 0.25, 0.5,
                                       1.0, 10.0, 100.0), "Balanced initialisation scales lambda to sweep (each for "
                                      "ReLU, Sigmoid and Tanh).", gt=0, le=1000)
    window_scales: tuple[float, ...] = param((1e-10, 1e-2, 3.5e-2, 7.5e-2, 1.0), "Scales whose ReLU neurons Figs "
                                             "3.4-3.6 show (those not in scales are skipped).", gt=0, le=1000)
    lr: float = param(1e-3, "GD step size.", gt=0, le=10)
    epochs: int = param(300_000, "Number of GD steps (full-batch epochs) per run.", ge=1, le=3_000_000)
    record_every: int = param(300, "Record the loss and all parameters every this many GD steps.", ge=1,
                              le=3_000_000)
    fit_level: float = param(0.01, "Training loss (1/n) below which a run counts as fitted.", gt=0, le=1)
    rich_below: float = param(1e-2, "Largest scale used for the fit-time slope against -ln(lambda) (rich regime).",
                              gt=0, le=1000)
    seed: int = param(0, "Random seed of the initial directions g_j and signs s_j.", ge=0, le=SEED_MAX)


QUICK = {"scales": (1e-10, 1e-6, 1e-2, 3.5e-2, 0.1, 1.0, 100.0), "window_scales": (1e-10, 3.5e-2, 1.0),
         "epochs": 100_000, "record_every": 200}


def phase_summary(traj, lr: float, fit_level: float) -> dict:
    """Epochs to loss < fit_level, the plateaus (count, levels), the initial and first intermediate
    plateau lengths in epochs (0 when absent), from a recorded loss curve."""
    fit = analysis.first_below(traj.steps, traj.train_loss, fit_level)
    plats = analysis.plateaus(traj.times, traj.train_loss)
    initial = [p for p in plats if p["start"] <= traj.times[1]]
    later = [p for p in plats if p["start"] > traj.times[1] and (fit is None or p["start"] < fit * lr)]
    return {"fit": fit, "count": len(plats), "levels": [p["level"] for p in plats], "plateaus": plats,
            "initial": round((initial[0]["end"] - initial[0]["start"]) / lr) if initial else 0,
            "intermediate": round((later[0]["end"] - later[0]["start"]) / lr) if later else 0}


def loss_sentence(scales, phases: dict, rich_below: float) -> str:
    """What the loss curves show, from the measured phases ({activation: [phase_summary per scale]}):
    whether the time to fit grows as lambda falls in the rich regime (scales <= ``rich_below``), whether
    ReLU's smallest scale has an intermediate plateau at loss 1/2, and how many plateaus remain at the
    largest scale."""
    rich = [i for i, s in enumerate(scales) if s <= rich_below]
    grows = [a for a, ph in phases.items()
             if len(rich) >= 2 and all(ph[i]["fit"] is not None for i in rich)
             and all(ph[i]["fit"] > ph[j]["fit"] for i, j in zip(rich, rich[1:]))]
    parts = [("the time to fit grows as lambda falls for " + ", ".join(grows)) if grows else
             "the time to fit does not grow steadily as lambda falls for any activation"]
    relu = phases.get("relu")
    if relu is not None:
        half = any(abs(level - 0.5) < 0.02 for level in relu[0]["levels"])
        parts.append(f"ReLU at lambda = {scales[0]:g} {'has' if half else 'has no'} plateau at loss 1/2")
    fitted = {a: [i for i, p in enumerate(ph) if p["fit"] is not None] for a, ph in phases.items()}
    last = {a: (scales[ix[-1]], phases[a][ix[-1]]["count"]) for a, ix in fitted.items() if ix}
    parts.append("at the largest scale each activation fits, the plateau counts are "
                 + ", ".join(f"{a} {c} (lambda = {s:g})" for a, (s, c) in last.items())
                 + (" (no plateau: the lazy regime)" if last and not any(c for _, c in last.values()) else ""))
    return "Measured: " + "; ".join(parts) + "."


def check(cfg: Config) -> None:
    """The snapshots of all 3 x len(scales) runs must fit in memory; one window scale at least is swept."""
    check_recording("record_every", cfg.record_every, cfg.epochs, cfg.record_every, 3 * cfg.width,
                    runs=len(ACTIVATIONS) * len(cfg.scales), also="epochs, scales or a smaller width")
    if not any(s in cfg.scales for s in cfg.window_scales):
        raise InvalidParameter("window_scales", cfg.window_scales, f"expected at least one of scales = {cfg.scales}")


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    X, y = data.thesis(cfg.dataset)
    min_norm, _ = analysis.min_norm_relu_orthogonal(X, y)
    runs = {}
    for act in ACTIVATIONS:
        nets = [balanced_net(X.shape[1], cfg.width, act, s, cfg.seed) for s in cfg.scales]
        runs[act] = ctx.run("train", lambda: train_many(nets, X, y, **THESIS_LOSS, optimizer=GD(cfg.lr), steps=cfg.epochs,
                                                        record_every=cfg.record_every, engine=ctx.engine,
                                                        on_divergence="keep", quiet=ctx.quiet), activation=act)
    norms, phases, diverged = {}, {}, {}
    for act, trajs in runs.items():
        norms[act] = [float("nan") if "diverged" in t.info else t.final.norm for t in trajs]
        phases[act] = [phase_summary(t, cfg.lr, cfg.fit_level) for t in trajs]
        diverged[act] = [s for s, t in zip(cfg.scales, trajs) if "diverged" in t.info]
    scales = np.array(cfg.scales)

    fig, axes = new_figure(4, 1, width=4.4, height=3.6)
    for ax, act in zip(axes[0], ACTIVATIONS):
        for k, (s, t) in enumerate(zip(cfg.scales, runs[act])):
            ax.plot(t.steps + 1, np.where(t.train_loss > 0, t.train_loss, np.nan), color=f"C{k % 10}",
                    ls="-" if k < 10 else "--", lw=1.2, label=f"lambda = {s:g}")
        ax.set_yscale("log")
        ax.set_xscale("log")
        ax.set_ylim(bottom=1e-8)
        label(ax, "epoch + 1", "training loss (1/n)", f"{act}, m = {cfg.width}", legend=act == "relu", fontsize=6,
              ncol=2)
    small = runs["relu"][0]
    plats = [{**p, "start": p["start"] / cfg.lr, "end": p["end"] / cfg.lr} for p in phases["relu"][0]["plateaus"]]
    loss_curve(axes[0, 3], small.steps, {f"ReLU, lambda = {cfg.scales[0]:g}": small.train_loss}, plateaus=plats,
               title="detected plateaus")
    axes[0, 3].set_ylim(bottom=1e-8)
    ctx.figure(fig, "loss_by_scale", "Loss curves against the initialisation scale (thesis Figs 3.1-3.2)",
               f"Data set {cfg.dataset}, balanced initialisation of scale lambda, GD with step {cfg.lr:g}. "
               + loss_sentence(cfg.scales, phases, cfg.rich_below) + f" Diverged runs end early: {diverged}. Right: the smallest scale's ReLU curve with its automatically detected plateaus "
               f"(-d log L/dt < 0.02 for at least one time unit) shaded.")

    fig, axes = new_figure(3, 1, width=4.4, height=3.6)
    ax = axes[0, 0]
    for k, act in enumerate(ACTIVATIONS):
        ax.plot(scales, norms[act], "o-", color=series_colour(k), label=act)
    ax.axhline(min_norm, color="r", ls="--", lw=1, label=f"ReLU minimum norm {min_norm:.4f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(ax, "initialisation scale lambda", "final ||theta||", "model complexity (thesis Fig 3.11)", legend=True,
          fontsize=7)
    rich = scales <= cfg.rich_below
    ax = axes[0, 1]
    slopes = {}
    for k, act in enumerate(ACTIVATIONS):
        fit = np.array([np.nan if p["fit"] is None else p["fit"] for p in phases[act]], dtype=float)
        ok = rich & np.isfinite(fit)
        ax.plot(-np.log(scales), fit, "o-", color=series_colour(k), label=act)
        slopes[act] = float(np.polyfit(-np.log(scales[ok]), fit[ok], 1)[0]) if ok.sum() >= 2 else None
    label(ax, "-ln(lambda)", f"epochs to loss < {cfg.fit_level:g}", "time to fit", legend=True)
    ax = axes[0, 2]
    for key, ls in (("initial", "-"), ("intermediate", "--")):
        ax.plot(-np.log(scales), [p[key] for p in phases["relu"]], "o" + ls, color="k" if key == "initial" else "C2",
                label=f"{key} plateau")
    label(ax, "-ln(lambda)", "length (epochs)", "ReLU plateau lengths (thesis Fig C.9)", legend=True)
    ctx.figure(fig, "complexity", "Model complexity, fit time and plateau lengths against lambda",
               f"Left: the final parameter norm per activation, with the minimum-norm interpolator's norm for ReLU "
               f"(closed form for orthogonal inputs). Middle: epochs to loss {cfg.fit_level:g}, linear in -ln(lambda) "
               f"in the rich regime (fitted slopes for lambda <= {cfg.rich_below:g}: "
               + ", ".join(f"{a} {v:.0f}" if v is not None else f"{a} -" for a, v in slopes.items())
               + " epochs per unit). Right: the automatically detected plateaus of the ReLU runs (-d log L/dt < 0.02 "
               "for at least one time unit).")

    windows = [s for s in cfg.window_scales if s in cfg.scales]
    fig, axes = new_figure(4, len(windows), width=3.2, height=2.9)
    signs = None
    for row, s in enumerate(windows):
        traj = runs["relu"][list(cfg.scales).index(s)]
        fit = phases["relu"][list(cfg.scales).index(s)]["fit"] or int(traj.steps[-1])
        picks = [0, max(1, fit // 3), max(1, 2 * fit // 3), int(traj.steps[-1])]
        signs = np.sign(traj.a[0])
        for col, e in enumerate(picks):
            i = int(np.argmin(np.abs(traj.steps - e)))
            orientation_plane(axes[row, col], traj.net_at(i), X[:, 0], y, xlim=(-1.5, 3.0), signs=signs,
                              title=f"lambda = {s:g}, epoch {int(traj.steps[i])}", legend=False)
    ctx.figure(fig, "osn_windows", "Neurons in the orientation / signed-norm plane (thesis Figs 3.4-3.6, 3.12-3.13)",
               "ReLU, one row per lambda, columns at epoch 0, one and two thirds of the time to fit, and the end. Each "
               "star is a neuron at (-w_j2/w_j1, s_j ||w_j||), the green line the model, red dots the data. Small "
               "lambda: neurons align on two directions and grow in groups, the model is the piecewise-linear "
               "interpolant; in the transition (3.5e-2, 7.5e-2) alignment is partial; at lambda = 1 neurons barely "
               "move from their random start and the model has more kinks.")

    relu_gap = np.abs(np.array(norms["relu"]) - min_norm) / min_norm
    leaving = [s for s, g in zip(cfg.scales, relu_gap) if np.isfinite(g) and g > 0.05]
    ctx.note(f"Data set {cfg.dataset}: X = {X.tolist()}, y = {y.tolist()}; m = {cfg.width}; balanced initialisation "
             f"w_j = lambda g_j, a_j = s_j ||w_j||; loss (1/n) sum (h - y)^2; GD step {cfg.lr:g}, {cfg.epochs} epochs, "
             f"the scales of all three activations in one compiled sweep each.")
    return {"scales": list(cfg.scales), "theta_norm_relu": norms["relu"], "theta_norm_sigmoid": norms["sigmoid"],
            "theta_norm_tanh": norms["tanh"], "min_norm": min_norm,
            "time_to_fit_relu": [p["fit"] for p in phases["relu"]],
            "time_to_fit_sigmoid": [p["fit"] for p in phases["sigmoid"]],
            "time_to_fit_tanh": [p["fit"] for p in phases["tanh"]],
            "plateau_count_relu": [p["count"] for p in phases["relu"]],
            "initial_plateau_relu": [p["initial"] for p in phases["relu"]],
            "intermediate_plateau_relu": [p["intermediate"] for p in phases["relu"]],
            "fit_time_slope_relu": slopes["relu"], "fit_time_slope_sigmoid": slopes["sigmoid"],
            "fit_time_slope_tanh": slopes["tanh"],
            "transition_scale": leaving[0] if leaving else None, "diverged": diverged,
            "kinks_relu": [None if "diverged" in t.info else
                           len(analysis.kinks(analysis.bias_input_as_bias(t.final), (-1.5, 3.0)))
                           for t in runs["relu"]]}


register(Experiment(
    name="init-scale-transition", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis 3.1.1: on data set 1.1.0 the initialisation scale moves ReLU, Sigmoid and Tanh networks from "
                "the rich regime (plateaus, minimum-norm interpolator) to the lazy one (convex loss, larger norm).",
    config=Config, run=run, quick=QUICK,
    source="thesis, section 3.1.1, Figs 3.1-3.6, 3.11-3.13 and C.4-C.9"))

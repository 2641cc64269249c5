"""Seed 003, section 3.3 and appendix C.3 (Figures 3.27-3.31): ReLU networks on non-orthogonal 1-D data
(inputs (x, 1)): neuron groups that grow one after another, and the final norm against the exact
minimum-norm interpolator (a linear program over neuron directions, :func:`min_norm_relu_2d`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .. import analysis, data
from ..optim import GD
from ..plots import label, new_figure, orientation_plane
from ..plots.style import series_colour
from ..sweep import train_many
from ..analysis.seeds import flagged_sentence, status_tag, traj_health as health
from . import Experiment, register
from .base import THESIS_LOSS, balanced_net, param
from .budget import SEED_MAX, check_recording

ONE_D_SETS = tuple(data.THESIS_SETS) + ("1.2",)   # inputs (x, 1); 3.4.1 is five-dimensional


@dataclass
class Config:
    datasets: tuple[str, ...] = param(("1.3.1", "1.3.2", "1.3.3"), "Thesis data sets of 1-D inputs (x, 1) to train on.",
                                      choices=ONE_D_SETS)
    width: int = param(60, "Number of hidden ReLU neurons m.", ge=1, le=1000)
    scales: tuple[float, ...] = param((1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 0.5, 1.0), "Balanced initialisation scales "
                                      "lambda to sweep on each data set.", gt=0, le=100)
    lr: float = param(1e-3, "GD step size.", gt=0, le=10)
    epochs: int = param(1_000_000, "Number of GD steps (full-batch epochs) per run.", ge=1, le=10_000_000)
    record_every: int = param(1000, "Record the loss and all parameters every this many GD steps.", ge=1,
                              le=10_000_000)
    fit_level: float = param(1e-3, "Training loss (1/n) below which a run counts as fitted; a run that does not, "
                             "or diverges, is flagged and left out of the conclusions.", gt=0, le=1)
    rich_below: float = param(1e-2, "Largest scale counted as the rich regime (its norm compared with the minimum).",
                              gt=0, le=100)
    seed: int = param(0, "Random seed of the initial directions g_j and signs s_j.", ge=0, le=SEED_MAX)


QUICK = {"scales": (1e-3, 1e-1, 1.0), "epochs": 200_000, "record_every": 500}


def check(cfg: Config) -> None:
    """The snapshots of the len(datasets) x len(scales) runs, all kept until the figures, must fit in memory."""
    check_recording("record_every", cfg.record_every, cfg.epochs, cfg.record_every, 3 * cfg.width,
                    runs=len(cfg.datasets) * len(cfg.scales), also="epochs, scales or a smaller width")


def train_set(X, y, cfg: Config, ctx) -> list:
    """One balanced ReLU run per scale of ``cfg.scales``, in one sweep; a diverged run is kept, with
    ``info["diverged"]``."""
    nets = [balanced_net(2, cfg.width, "relu", s, cfg.seed) for s in cfg.scales]
    return train_many(nets, X, y, **THESIS_LOSS, optimizer=GD(cfg.lr), steps=cfg.epochs,
                      record_every=cfg.record_every, engine=ctx.engine, on_divergence="keep", quiet=ctx.quiet)


def rich_norm_sentence(gaps: dict, rich_below: float, tol: float = 0.1) -> str:
    """What the rich-regime norms say ({data set: (smallest fitted norm - minimum) / minimum over the
    ok runs with lambda <= rich_below, or None when none is ok}): within ``tol`` of the minimum or not,
    and which data sets have no such run."""
    have = {n: g for n, g in gaps.items() if g is not None}
    none = [n for n, g in gaps.items() if g is None]
    if not have:
        return f"No run with lambda <= {rich_below:g} fitted, so the rich regime's norm is not compared."
    close = [n for n, g in have.items() if g < tol]
    far = [n for n, g in have.items() if g >= tol]
    text = "Smallest fitted norm with lambda <= " + f"{rich_below:g}: " + ", ".join(
        f"{n} +{100 * g:.1f}%" for n, g in have.items()) + " above the minimum"
    if close:
        text += f"; within {100 * tol:g}% for " + ", ".join(close)
    if far:
        text += f"; more than {100 * tol:g}% above for " + ", ".join(far)
    if none:
        text += "; no fitted rich run for " + ", ".join(none)
    return text + "."


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    out = {"scales": list(cfg.scales), "theta_norm": {}, "min_norm": {}, "final_loss": {}, "fitted": {},
           "plateau_count": {}, "rich_norm_gap": {}, "health": {}}
    runs, flags = {}, {}
    for name in cfg.datasets:
        X, y = data.thesis(name)
        trajs = ctx.run("train", partial(train_set, X, y, cfg, ctx), dataset=name)
        runs[name] = (X, y, trajs)
        min_norm = ctx.run("min_norm", partial(min_norm_of, X, y), dataset=name)
        flags[name] = [health(t, cfg.fit_level) for t in trajs]
        ok = [h["status"] == "ok" for h in flags[name]]
        out["theta_norm"][name] = [t.final.norm for t in trajs]
        out["min_norm"][name] = min_norm
        out["final_loss"][name] = [float(t.train_loss[-1]) for t in trajs]
        out["fitted"][name] = [bool(t.train_loss[-1] < cfg.fit_level) and "diverged" not in t.info for t in trajs]
        out["health"][name] = [h["status"] for h in flags[name]]
        out["plateau_count"][name] = [len(analysis.plateaus(t.times, t.train_loss)) if good else None
                                      for t, good in zip(trajs, ok)]
        rich = [t.final.norm for t, good, s in zip(trajs, ok, cfg.scales) if good and s <= cfg.rich_below]
        out["rich_norm_gap"][name] = (min(rich) - min_norm) / min_norm if rich else None
    every = {f"{name}, lambda = {s:g}": h for name in cfg.datasets for s, h in zip(cfg.scales, flags[name])}
    out["excluded"] = {k: h["reason"] for k, h in every.items() if h["status"] != "ok"}

    fig, axes = new_figure(len(cfg.datasets) + 1, 1, width=4.2, height=3.5)
    ax = axes[0, 0]
    for k, name in enumerate(cfg.datasets):
        col, norms = series_colour(k), np.array(out["theta_norm"][name])
        ok = np.array([h == "ok" for h in out["health"][name]])
        ax.plot(cfg.scales, norms, "-", color=col, label=name)
        ax.plot(np.array(cfg.scales)[ok], norms[ok], "o", color=col)
        ax.plot(np.array(cfg.scales)[~ok], norms[~ok], "o", mfc="none", color=col)
        ax.axhline(out["min_norm"][name], color=col, ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(ax, "initialisation scale lambda", "final ||theta||", "norm vs minimum norm (dotted)", legend=True, fontsize=7)
    for ax, name in zip(axes[0, 1:], cfg.datasets):
        for k, (s, t, h) in enumerate(zip(cfg.scales, runs[name][2], flags[name])):
            ax.plot(t.steps + 1, np.where(t.train_loss > 0, t.train_loss, np.nan), color=f"C{k % 10}",
                    ls="-" if h["status"] == "ok" else "--", label=f"lambda = {s:g}{status_tag(h)}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(bottom=1e-8)
        label(ax, "epoch + 1", "training loss (1/n)", f"data set {name}", legend=True, fontsize=6)
    ctx.figure(fig, "norms_and_losses", "Non-orthogonal 1-D data: model complexity and loss (thesis Figs 3.27, 3.30)",
               f"ReLU, m = {cfg.width}, balanced initialisation, GD step {cfg.lr:g} for {cfg.epochs} epochs. Left: the "
               "final parameter norm per scale (open markers: flagged runs, e.g. loss still above "
               f"{cfg.fit_level:g} with dead or stalled neurons), dotted: the minimum-norm interpolator's norm from "
               "the linear program over neuron directions. " + rich_norm_sentence(out["rich_norm_gap"], cfg.rich_below)
               + " Right: loss curves (dashed: flagged runs); the fitted small-scale runs pass several plateaus "
               "(saddle to saddle). " + flagged_sentence(every))

    fig, axes = new_figure(5, len(cfg.datasets), width=3.2, height=2.9)
    shown = {}
    for row, name in enumerate(cfg.datasets):
        X, y, trajs = runs[name]
        k = next((i for i, h in enumerate(flags[name]) if h["status"] == "ok"), 0)
        t, h = trajs[k], flags[name][k]
        shown[name] = (cfg.scales[k], h)
        picks = analysis.loss_fraction_indices(t.train_loss, (0.9, 0.5, 0.2, 0.05))
        picks = sorted({picks[int(round(j))] for j in np.linspace(0, len(picks) - 1, 5)})
        for col in range(5):
            if col >= len(picks):
                axes[row, col].axis("off")
                continue
            i = picks[col]
            orientation_plane(axes[row, col], t.net_at(i), X[:, 0], y, xlim=(-2.5, 2.5), signs=np.sign(t.a[0]),
                              title=f"{name}, lambda {cfg.scales[k]:g}, ep. {int(t.steps[i])}{status_tag(h)}",
                              legend=False)
    unfit = {f"{n} (lambda = {s:g}, shown as no run fitted)": h for n, (s, h) in shown.items()}
    ctx.figure(fig, "neuron_groups", "Neuron groups grow one after another (thesis Figs 3.28, 3.31)",
               "For each data set, the smallest scale that fits, at epochs where the loss first falls below 90, 50, 20 "
               "and 5% of its start and at the end: neurons align on a few directions (kinks at the data abscissas), "
               "then groups grow in turn, each fitting some points; some groups change direction together as they "
               "grow. " + flagged_sentence(unfit))
    return out


def min_norm_of(X, y) -> float:
    """The exact minimum norm of a ReLU network (no output bias) interpolating (X, y), inputs (x, 1)."""
    return float(analysis.min_norm_relu_2d(X, y)[0])


register(Experiment(
    name="non-orthogonal-1d", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis 3.3: ReLU networks on non-orthogonal 1-D data sets 1.3.1-1.3.3: sequential growth of neuron "
                "groups, and the final norm against the exact minimum-norm interpolator (LP over directions).",
    config=Config, run=run, quick=QUICK,
    source="thesis, section 3.3 and appendix C.3, Figs 3.27-3.31"))

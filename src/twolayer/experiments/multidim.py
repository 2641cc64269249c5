"""Seed 003, section 3.4 (Figures 3.33-3.39): five-dimensional data. On orthogonal inputs the trained
first layer reduces to two directions (the explained variance of the first two principal components of
the neurons is 1); on non-orthogonal inputs it does not.

h(x) = sum_j a_j sigma(w_j . x), m = 200, balanced initialisation, loss (1/n) sum (h - y)^2, GD step
1e-3; scales as in the thesis (ReLU 1e-22, Sigmoid 1e-6, Tanh 1e-10 on the orthogonal set, 1e-12 on the
non-orthogonal one).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .. import analysis, data
from ..errors import InvalidParameter
from ..optim import GD
from ..plots import label, new_figure
from ..sweep import train_many
from ..analysis.seeds import flagged_sentence, status_tag, traj_health as health
from . import Experiment, register
from .base import THESIS_LOSS, balanced_net, param
from .budget import SEED_MAX, check_budget, recorded_points, snapshot_bytes

ACTIVATIONS = ("relu", "sigmoid", "tanh")


@dataclass
class Config:
    width: int = param(200, "Number of hidden neurons m.", ge=1, le=10_000)
    activations: tuple[str, ...] = param(ACTIVATIONS, "Activations to train (one run each per data set).",
                                         choices=ACTIVATIONS)
    scales_orth: tuple[float, ...] = param((1e-22, 1e-6, 1e-10), "Balanced initialisation scales on the orthogonal "
                                           "set, one each for relu, sigmoid, tanh (in this order).", gt=0, le=100)
    scale_nonorth: float = param(1e-12, "Balanced initialisation scale on the non-orthogonal set (every activation).",
                                 gt=0, le=100)
    lr: float = param(1e-3, "GD step size.", gt=0, le=10)
    epochs_orth: int = param(1_500_000, "Number of GD steps on the orthogonal set.", ge=1, le=15_000_000)
    epochs_nonorth: int = param(300_000, "Number of GD steps on the non-orthogonal set.", ge=1, le=3_000_000)
    records: int = param(400, "About how many points of each run are recorded.", ge=1, le=10_000)
    fit_level: float = param(1e-3, "Training loss (1/n) a run must end below to count as fitted; a run that does "
                             "not, or diverges, is flagged and left out of the conclusions.", gt=0, le=1)
    nonorth_seed: int = param(0, "Random seed of the non-orthogonal data set.", ge=0, le=SEED_MAX)
    seed: int = param(0, "Random seed of the initial directions g_j and signs s_j.", ge=0, le=SEED_MAX)


QUICK = {"activations": ("relu",), "epochs_orth": 1_000_000, "epochs_nonorth": 100_000, "records": 200}


def two_directions_sentence(evr2: float, gap: float, min_norm: float, status: str, reason: str = "") -> str:
    """What the ReLU run on the orthogonal set says about the two directions of [5]: the share of the
    first two principal components ``evr2`` and the relative norm gap ``gap`` to the minimum-norm
    interpolator's norm ``min_norm``; nothing is concluded from a flagged run (``status`` not ok)."""
    if status != "ok":
        return (f"The ReLU run on the orthogonal set is flagged ({reason}), so nothing is concluded about its "
                "directions or its norm.")
    head = (f"ReLU on the orthogonal set: the first two principal components explain {evr2:.5f} of the variance of "
            f"the final neurons and the norm is {100 * gap:.3f}% above the minimum-norm interpolator's "
            f"{min_norm:.6f}")
    if evr2 > 0.999 and gap < 1e-3:
        return head + ": the two directions of [5]."
    if evr2 > 0.99:
        return head + (": close to, not exactly, the two directions of [5]; a third group of neurons keeps a small "
                       "share (the thesis read 'fully explained' off its bar chart).")
    return head + ": not the two directions of [5]."


def pca_panels(axes, traj, title: str):
    """Loss curve, explained variance ratios of the final neurons, and neurons projected on the first
    two principal components at snapshots along the fit. Returns the ratios."""
    mean, comps, evr = analysis.neuron_pca(traj.final.W)
    ax = axes[0]
    ax.semilogy(traj.steps, traj.train_loss, color="k")
    label(ax, "epoch", "training loss (1/n)", title)
    ax = axes[1]
    ax.bar(np.arange(1, len(evr) + 1), evr, color="C0")
    ax.set_yscale("log")
    ax.set_ylim(bottom=max(1e-18, evr[evr > 0].min() / 10) if np.any(evr > 0) else 1e-18)
    label(ax, "principal component", "explained variance ratio", f"first two: {evr[:2].sum():.6f}")
    ax = axes[2]
    for k, i in enumerate(analysis.loss_fraction_indices(traj.train_loss, (0.9, 0.5, 0.1, 0.01))):
        P = (traj.W[i] - mean) @ comps[:2].T
        ax.plot(P[:, 0], P[:, 1], "*", color=f"C{k % 10}", ms=5, label=f"epoch {int(traj.steps[i])}")
    label(ax, "PC 1", "PC 2", "neurons projected (PCA of the final W)", legend=True, fontsize=6)
    return evr


def train_set(X, y, acts, scales, epochs: int, cfg: Config, ctx) -> list:
    """One balanced run per activation (scale ``scales[i]`` for ``acts[i]``), in one sweep; a diverged run
    is kept, with ``info["diverged"]``."""
    nets = [balanced_net(X.shape[1], cfg.width, act, s, cfg.seed) for act, s in zip(acts, scales)]
    return train_many(nets, X, y, **THESIS_LOSS, optimizer=GD(cfg.lr), steps=epochs,
                      record_every=max(1, epochs // cfg.records), engine=ctx.engine, on_divergence="keep",
                      quiet=ctx.quiet)


def check(cfg: Config) -> None:
    """One orthogonal-set scale per activation, and the snapshots of the runs in memory."""
    if len(cfg.scales_orth) != len(ACTIVATIONS):
        raise InvalidParameter("scales_orth", cfg.scales_orth, "expected three scales, for relu, sigmoid and tanh, "
                               "e.g. scales_orth=1e-22,1e-6,1e-10")
    points = max(recorded_points(e, max(1, e // cfg.records)) for e in (cfg.epochs_orth, cfg.epochs_nonorth))
    check_budget("records", cfg.records, snapshot_bytes(points, 6 * cfg.width, len(cfg.activations)),
                 "record fewer points or use a smaller width")


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    acts = list(cfg.activations)
    sets = {"orth": (*data.thesis("3.4.1"), [cfg.scales_orth[ACTIVATIONS.index(a)] for a in acts], cfg.epochs_orth),
            "nonorth": (*data.thesis_nonorthogonal(5, 5, seed=cfg.nonorth_seed), [cfg.scale_nonorth] * len(acts),
                        cfg.epochs_nonorth)}
    out, flags = {}, {}
    for key, (X, y, scales, epochs) in sets.items():
        trajs = ctx.run("train", partial(train_set, X, y, acts, scales, epochs, cfg, ctx), dataset=key)
        fig, axes = new_figure(3, len(acts), width=4.0, height=3.2)
        for row, (act, s, t) in enumerate(zip(acts, scales, trajs)):
            h = health(t, cfg.fit_level)
            flags[f"{key}_{act}"] = h
            evr = pca_panels(axes[row], t, f"{act}, lambda = {s:g}{status_tag(h)}")
            out[f"evr2_{key}_{act}"] = float(evr[:2].sum())
            out[f"evr_{key}_{act}"] = evr.tolist()
            out[f"final_loss_{key}_{act}"] = float(t.train_loss[-1])
            out[f"theta_norm_{key}_{act}"] = t.final.norm
        kind = "orthogonal (the thesis's printed set)" if key == "orth" else "non-orthogonal (U(-1, 1) rows / last entry)"
        ctx.figure(fig, f"pca_{key}", f"Five-dimensional {kind.split(' (')[0]} data (thesis Figs "
                   + ("3.33-3.36)" if key == "orth" else "3.37-3.39)"),
                   f"n = 5 {kind} inputs with teacher labels, m = {cfg.width}, {epochs} GD epochs. Per activation: the "
                   "loss, the explained variance ratios of a PCA of the final neurons w_j (centred), and the neurons "
                   "projected on its first two components at epochs where the loss first falls below 90, 50, 10 and 1% "
                   "of its start. First two components: "
                   + ", ".join(f"{a} {out[f'evr2_{key}_{a}']:.6f}{status_tag(flags[f'{key}_{a}'])}" for a in acts)
                   + ". " + flagged_sentence({f"{a}": flags[f"{key}_{a}"] for a in acts}))
    # the printed set is orthogonal to its 8 printed decimals (|<x_k, x_l>| ~ 1e-8)
    out["min_norm_orth_relu"] = analysis.min_norm_relu_orthogonal(*data.thesis("3.4.1"), tol=1e-7)[0]
    if "relu" in acts:
        gap = out["theta_norm_orth_relu"] / out["min_norm_orth_relu"] - 1
        h = flags["orth_relu"]
        ctx.note(two_directions_sentence(out["evr2_orth_relu"], gap, out["min_norm_orth_relu"], h["status"],
                                         h["reason"]))
    out["health"] = {k: h["status"] for k, h in flags.items()}
    out["excluded"] = {k: h["reason"] for k, h in flags.items() if h["status"] != "ok"}
    return out


register(Experiment(
    name="multidim", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis 3.4: five-dimensional orthogonal and non-orthogonal data; explained variance of the first two "
                "principal components of the trained neurons, and their projections over training.",
    config=Config, run=run, quick=QUICK, source="thesis, section 3.4, Figs 3.33-3.39"))

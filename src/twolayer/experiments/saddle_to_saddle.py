"""Seed 003, section 2.2.1.4 (Figures 2.7 and 2.8): saddle-to-saddle dynamics of a ReLU network on
two orthogonal points, and its implicit bias towards the minimum-norm interpolator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import analysis, data
from ..init import init_net
from ..optim import GD
from ..errors import InvalidParameter
from ..losses import REDUCTIONS
from ..plots import loss_curve, new_figure, orientation_plane
from ..sweep import train_many
from ..train import train
from ..analysis.seeds import traj_health
from . import Experiment, register
from .base import param
from .budget import SEED_MAX, check_recording

ORTHOGONAL_SETS = ("1.1.0", "1.1.1", "1.1.2", "1.1.4")   # two orthogonal inputs: the closed-form minimum norm applies


@dataclass
class Config:
    dataset: str = param("1.1.0", "Thesis data set: two orthogonal inputs (x, 1) with labels +-1 (1.1.4 with c = 1).",
                         choices=ORTHOGONAL_SETS)
    width: int = param(60, "Number of hidden ReLU neurons m.", ge=1, le=10_000)
    scale: float = param(1e-6 / np.sqrt(60), "Balanced initialisation scale lambda: w_j = lambda g_j, a_j = s_j ||w_j||.",
                         gt=0, le=100)
    lr: float = param(1e-3, "GD step size.", gt=0, le=10)
    epochs: int = param(30_000, "Number of GD steps (full-batch epochs).", ge=1, le=3_000_000)
    record_every: int = param(10, "Record the loss and all parameters every this many GD steps.", ge=1, le=3_000_000)
    reduction: str = param("mean", "Loss normalisation: mean = (1/n) sum (h - y)^2 as the thesis's runs, "
                           "half_mean = 1/(2n), sum = no factor.", choices=REDUCTIONS)
    snapshot_epochs: tuple[int, ...] = param((0, 4000, 8000, 15000), "GD steps at which Figure 2.8 shows the neurons "
                                             "(multiples of record_every; later than epochs: skipped).",
                                             ge=0, le=3_000_000, empty=True)
    seed: int = param(0, "Random seed of the initial directions g_j and signs s_j.", ge=0, le=SEED_MAX)
    replicas: int = param(5, "Further seeds (seed+1, seed+2, ...) run without snapshots to give the plateau "
                          "levels and the norm gap their spread (0: the drawn run only).", ge=0, le=100)


def check(cfg: Config) -> None:
    """The limits that involve several settings: recorded snapshots, and snapshot steps that are recorded."""
    check_recording("record_every", cfg.record_every, cfg.epochs, cfg.record_every, 3 * cfg.width,
                    also="epochs or a smaller width")
    missed = [e for e in cfg.snapshot_epochs if e < cfg.epochs and e % cfg.record_every]
    if missed:
        raise InvalidParameter("snapshot_epochs", cfg.snapshot_epochs, f"{missed} are not recorded: every snapshot "
                               f"epoch below epochs must be a multiple of record_every = {cfg.record_every}")


def path_sentence(levels, final_loss: float) -> str:
    """What the detected plateau ``levels`` say about the path: saddle to saddle (plateaus at 1, the
    saddle at 0, and 1/2, where one label is fitted, within 2%) or not, and whether it converged."""
    end = "then converges" if final_loss < 1e-3 else f"and ends at loss {final_loss:.3g} without fitting"
    if len(levels) == 2 and abs(levels[0] - 1) < 0.02 and abs(levels[1] - 0.5) < 0.02:
        return ("The run leaves the saddle at 0 (loss 1), passes the saddle where only one label is fitted "
                f"(loss 1/2), {end}.")
    return f"The detected plateaus ({len(levels)}) are not the two saddles at losses 1 and 1/2; the run {end}."


def over_seeds(trajs, seeds, min_norm: float) -> dict:
    """Plateau counts and levels and the relative norm gap of every seed's run (``trajs``), with the
    runs that diverged or never fitted (loss above 1e-3 at the end) flagged and left out."""
    counts, levels, gaps, flagged = [], [], [], []
    for s, tr in zip(seeds, trajs):
        h = traj_health(tr, 1e-3)
        if h["status"] != "ok":
            flagged.append(f"seed {s} ({h['reason']})")
            continue
        plats = analysis.fit_plateaus(tr.times, tr.train_loss) or []
        counts.append(len(plats))
        levels.append([p["level"] for p in plats])
        gaps.append(abs(tr.final.norm - min_norm) / min_norm)
    return {"seeds": list(seeds), "plateau_count_seeds": counts, "plateau_levels_seeds": levels,
            "theta_norm_rel_gap_max": max(gaps) if gaps else None, "seeds_flagged": flagged}


def seeds_sentence(m: dict) -> str:
    """What the seeds say: how many show the two plateaus at 1 and 1/2 (within 2%), and the largest
    norm gap among the fitted ones."""
    kept = len(m["plateau_count_seeds"])
    two = sum(1 for c, lv in zip(m["plateau_count_seeds"], m["plateau_levels_seeds"])
              if c == 2 and abs(lv[0] - 1) < 0.02 and abs(lv[1] - 0.5) < 0.02)
    text = f"Over {len(m['seeds'])} seeds of the initial directions"
    if not kept:
        return text + ": no run fitted, so nothing is concluded. Flagged: " + "; ".join(m["seeds_flagged"]) + "."
    text += (f", {two} of {kept} fitted runs show the two plateaus at losses 1 and 1/2 (within 2%)"
             f"{'' if two == kept else ' (the others: ' + str([c for c in m['plateau_count_seeds']]) + ' plateaus)'}; "
             f"the largest relative gap to the minimum norm is {m['theta_norm_rel_gap_max']:.1e}")
    if m["seeds_flagged"]:
        text += ". Flagged and left out: " + "; ".join(m["seeds_flagged"])
    return text + "."


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    X, y = data.thesis(cfg.dataset)
    net = init_net(2, cfg.width, activation="relu", scaling="none", init="balanced", scale=cfg.scale, seed=cfg.seed)
    traj = ctx.run("train", lambda: train(net, X, y, loss="square", reduction=cfg.reduction, optimizer=GD(cfg.lr),
                                          steps=cfg.epochs, record_every=cfg.record_every, engine=ctx.engine,
                                          seed=cfg.seed, quiet=ctx.quiet))
    ctx.save_trajectory(traj)
    seeds = [cfg.seed + k for k in range(1, cfg.replicas + 1)]
    others = ctx.run("replicas", lambda: train_many(
        [init_net(2, cfg.width, activation="relu", scaling="none", init="balanced", scale=cfg.scale, seed=s)
         for s in seeds], X, y, loss="square", reduction=cfg.reduction, optimizer=GD(cfg.lr), steps=cfg.epochs,
        record_every=cfg.record_every, snapshots=False, engine=ctx.engine, on_divergence="keep",
        quiet=ctx.quiet)) if seeds else []

    min_norm, _ = analysis.min_norm_relu_orthogonal(X, y)
    theta_norm = traj.final.norm
    plats = analysis.fit_plateaus(traj.times, traj.train_loss) or []     # None: never fitted, no plateau read
    below_055 = analysis.first_below(traj.steps, traj.train_loss, 0.55)
    below_001 = analysis.first_below(traj.steps, traj.train_loss, 0.01)
    metrics = {
        "final_loss": float(traj.train_loss[-1]),
        "theta_norm": theta_norm,
        "min_norm": min_norm,
        "theta_norm_rel_gap": abs(theta_norm - min_norm) / min_norm,
        "epoch_loss_below_0.55": below_055,
        "epoch_loss_below_0.01": below_001,
        "max_balance_drift": analysis.balance_drift(traj),
        "plateau_count": len(plats),
        "plateau_levels": [p["level"] for p in plats],
        "plateau_epochs": [[round(p["start"] / cfg.lr), round(p["end"] / cfg.lr)] for p in plats],
    }
    every = [traj, *others]
    metrics.update(over_seeds(every, [cfg.seed, *seeds], min_norm))

    # Figure 2.7: the loss with its plateaus.
    fig, ax = new_figure(1, 1, width=6.0, height=3.6)
    snaps = sorted({e for e in cfg.snapshot_epochs if e <= cfg.epochs} | {cfg.epochs})
    plats_epochs = [{**p, "start": p["start"] / cfg.lr, "end": p["end"] / cfg.lr} for p in plats]
    levels = ", ".join(f"{p['level']:.3g}" for p in plats)
    loss_curve(ax[0, 0], traj.steps, {"training loss (1/n)": traj.train_loss}, plateaus=plats_epochs,
               marks={f"epoch {e}": e for e in snaps}, title=f"Saddle-to-saddle: data set {cfg.dataset}, m={cfg.width}")
    ctx.figure(fig, "loss", "Training loss (thesis Figure 2.7)",
               f"Training loss on a log scale over {cfg.epochs} GD epochs (step {cfg.lr:g}). Shaded: the "
               f"plateaus detected by the thesis's rule (appendix C.1.4, analysis.fit_plateaus) at levels "
               f"{levels}. " + path_sentence(metrics["plateau_levels"], metrics["final_loss"])
               + " Dotted lines mark the snapshot epochs of the next figure.")

    # Figure 2.8: neurons in the orientation / signed-norm plane at the snapshot epochs.
    signs = np.sign(traj.a[0])
    fig, axes = new_figure(len(snaps), 1, width=3.3, height=3.3)
    for k, (ax, e) in enumerate(zip(axes[0], snaps)):
        orientation_plane(ax, traj.net_at(traj.index_of_step(e)), X[:, 0], y, xlim=(-1.5, 3.0),
                          signs=signs, title=f"epoch {e}", legend=k == 0)
    ctx.figure(fig, "neurons", "Neuron alignment (thesis Figure 2.8)",
               "Each star is a neuron at (kink position -w_j2/w_j1, signed norm s_j ||w_j||); the green line is "
               "the model h(x) and red dots the data (right axis). Neurons first align with the two directions "
               "D+ and D- while staying small (kinks pile up at the two data points' boundaries), then the "
               "positive group grows until h fits the positive label, then the negative group grows.")

    ctx.note(f"Data set {cfg.dataset} of the thesis: X = [[-0.5, 1], [2, 1]] (bias as last coordinate), "
             f"y = [-1, 1]; ReLU network h(x) = sum_j a_j relu(w_j . x) without width scaling, m = {cfg.width}, "
             f"balanced initialisation with scale {cfg.scale:.4g}, GD with step {cfg.lr:g} for {cfg.epochs} epochs.")
    ctx.note("Loss convention: the thesis text writes the loss with 1/(2n), but its runs used 1/n "
             "(its initial loss is 1.0 for labels +-1 and its snapshot epochs only match 1/n), so this "
             f"reproduction uses reduction '{cfg.reduction}'.")
    ctx.note(seeds_sentence(metrics))
    ctx.note(f"Implicit bias: the final parameter norm {theta_norm:.6f} is within "
             f"{100 * metrics['theta_norm_rel_gap']:.3f}% of the minimum-norm interpolator's norm "
             f"{min_norm:.6f} = sqrt(2 (sqrt(S+) + sqrt(S-))) (closed form for orthogonal inputs). "
             f"The balance a_j^2 - ||w_j||^2 drifts by at most {metrics['max_balance_drift']:.2e} "
             "(conserved exactly by gradient flow; GD's drift is O(step)).")
    return metrics


register(Experiment(
    name="saddle-to-saddle", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis Figs 2.7-2.8: a ReLU net on two orthogonal points goes saddle to saddle "
                "and ends at the minimum-norm interpolator.",
    config=Config, run=run, quick={}, source="thesis, section 2.2.1.4, Figs 2.7-2.8"))

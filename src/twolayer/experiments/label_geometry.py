"""Seed 003, sections 3.1.2 and 3.2 (Figures 3.14-3.16, 3.25-3.26): the role of the labels and of the
angle between the two inputs for a ReLU network from a small balanced initialisation.

Data sets 1.1.1 (labels switched) and 1.1.2 (labels of the same sign), and the quasi-orthogonal family
1.2: x_1 = -0.5 +- delta/2, x_2 = 2 (inputs (x, 1)), labels -1, 1, so |<x_1, x_2>| = delta. For two
inputs of opposite signs the neurons align with D+ and D-, whose kinks sit at -1/x_{2,1} and
-1/x_{1,1}: on the data exactly when the inputs are orthogonal (x_{1,1} = -1/x_{2,1}).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .. import analysis, data
from ..optim import GD
from ..plots import label, loss_curve, new_figure, orientation_plane, weight_plane
from ..plots.style import series_colour
from ..sweep import train_many
from ..analysis.seeds import flagged_sentence, status_tag, traj_health as health
from . import Experiment, register
from .base import THESIS_LOSS, balanced_net, param
from .budget import SEED_MAX, check_recording


@dataclass
class Config:
    width: int = param(60, "Number of hidden ReLU neurons m.", ge=1, le=1000)
    scale_labels: float = param(1e-6, "Balanced initialisation scale of the label runs (Figs 3.14-3.15).", gt=0,
                                le=100)
    scale_delta: float = param(1e-10, "Balanced initialisation scale of the quasi-orthogonal runs (Figs 3.25-3.26).",
                               gt=0, le=100)
    deltas: tuple[float, ...] = param((1e-8, 1e-6, 1e-4, 1e-2, 1.0, 10.0, 100.0), "Deviations delta = |<x_1, x_2>| of "
                                      "the quasi-orthogonal family 1.2 (each with both signs).", gt=0, le=1e4)
    lr: float = param(1e-3, "GD step size.", gt=0, le=10)
    epochs: int = param(300_000, "Number of GD steps (full-batch epochs) per run.", ge=1, le=3_000_000)
    record_every: int = param(300, "Record the loss and all parameters every this many GD steps.", ge=1,
                              le=3_000_000)
    fit_level: float = param(0.01, "Training loss (1/n) a run must end below to count as fitted; a run that does "
                             "not, or diverges, is flagged and its plateau count left out.", gt=0, le=1)
    seed: int = param(0, "Random seed of the initial directions g_j and signs s_j.", ge=0, le=SEED_MAX)


QUICK = {"deltas": (1e-8, 1e-2, 1.0, 10.0), "epochs": 100_000, "record_every": 200}


def train_relu(X, y, scale: float, cfg: Config, ctx):
    """GD on the thesis's loss from a balanced ReLU start of ``scale``; a diverged run is kept, with
    ``info["diverged"]``."""
    return train_many([balanced_net(X.shape[1], cfg.width, "relu", scale, cfg.seed)], X, y, **THESIS_LOSS,
                      optimizer=GD(cfg.lr), steps=cfg.epochs, record_every=cfg.record_every, engine=ctx.engine,
                      on_divergence="keep", quiet=ctx.quiet)[0]


def labels_sentence(counts: dict) -> str:
    """What the plateau counts of 1.1.0, 1.1.1 and 1.1.2 ({name: count, None for a flagged run}) say:
    whether switching the labels changes the count, and whether same-sign labels lose a plateau."""
    base, switched, same = counts["1.1.0"], counts["1.1.1"], counts["1.1.2"]
    if base is None:
        return "The 1.1.0 run is flagged, so the label runs are not compared."
    out = []
    if switched is not None:
        out.append(f"switching the labels (1.1.1) leaves the plateau count at {base}" if switched == base else
                   f"switching the labels (1.1.1) changes the plateau count from {base} to {switched}")
    if same is not None:
        out.append(f"with two positive labels (1.1.2) there are fewer plateaus ({same} against {base}): the "
                   "intermediate one disappears" if same < base else
                   f"with two positive labels (1.1.2) no plateau is lost ({same} against {base})")
    text = "; ".join(out) or "both other label runs are flagged"
    return text[0].upper() + text[1:] + "."


def alignment_sentence(deviation, tol: float = 1e-6) -> str:
    """Whether the final bends of the fitted runs with <x_1, x_2> = -delta lie on the predictions
    -1/x_k,1 (largest deviation ``deviation``, None when no such run has two bends and is ok)."""
    if deviation is None:
        return "No fitted run with <x_1, x_2> = -delta has two bends to compare with the prediction."
    return (f"For <x_1, x_2> = -delta the fitted runs bend at -1/x_k,1 within {deviation:.1e} (aligned with D+ and D-)"
            if deviation < tol else
            f"For <x_1, x_2> = -delta the fitted runs bend up to {deviation:.1e} away from -1/x_k,1 (more than "
            f"{tol:g}: not the alignment with D+ and D-)") + "."


def final_kinks(traj, interval=(-5.0, 110.0)) -> list[float]:
    """The bends of the final model (merged within 0.1% of the interval, at least 1% of the largest)."""
    return analysis.kinks(analysis.bias_input_as_bias(traj.final), interval, merge=1e-3).tolist()


def check(cfg: Config) -> None:
    """The snapshots of the 3 + 2 len(deltas) runs, all kept until the figures, must fit in memory."""
    check_recording("record_every", cfg.record_every, cfg.epochs, cfg.record_every, 3 * cfg.width,
                    runs=3 + 2 * len(cfg.deltas), also="epochs, deltas or a smaller width")


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    label_runs = {name: (data.thesis(name), ctx.run("train", partial(train_relu, *data.thesis(name), cfg.scale_labels,
                                                                     cfg, ctx), dataset=name))
                  for name in ("1.1.0", "1.1.1", "1.1.2")}
    label_health = {name: health(t, cfg.fit_level) for name, (_, t) in label_runs.items()}
    plats = {name: analysis.plateaus(t.times, t.train_loss) for name, (_, t) in label_runs.items()}
    counts = {name: len(p) if label_health[name]["status"] == "ok" else None for name, p in plats.items()}

    fig, axes = new_figure(4, 1, width=4.2, height=3.5)
    for ax, (name, (_, t)) in zip(axes[0], label_runs.items()):
        shaded = [{**p, "start": p["start"] / cfg.lr, "end": p["end"] / cfg.lr} for p in plats[name]]
        loss_curve(ax, t.steps, {f"data set {name}": t.train_loss}, plateaus=shaded,
                   title=f"{name}: {len(plats[name])} plateau(s){status_tag(label_health[name])}")
        ax.set_ylim(bottom=1e-8)
    (X2, y2), t2 = label_runs["1.1.2"]
    orientation_plane(axes[0, 3], t2.final, X2[:, 0], y2, xlim=(-3.0, 4.0), signs=np.sign(t2.a[0]),
                      title="1.1.2 at the end")
    ctx.figure(fig, "labels", "The role of the labels (thesis Figs 3.14-3.16)",
               f"ReLU, m = {cfg.width}, lambda = {cfg.scale_labels:g}, GD step {cfg.lr:g}; plateaus detected "
               "automatically (shaded). " + labels_sentence(counts) + " The final 1.1.2 model (no output bias) has "
               f"visible bends at {np.round(final_kinks(t2), 3).tolist()} in [-5, 110]. "
               + flagged_sentence(label_health))

    W_snaps = analysis.loss_fraction_indices(t2.train_loss, (0.9, 0.5, 0.1))[1:]
    fig, axes = new_figure(len(W_snaps), 1, width=3.6, height=3.4)
    for k, i in enumerate(W_snaps):
        weight_plane(axes[0, k], t2.W[i], X=X2, y=y2, a=t2.a[i], title=f"1.1.2, epoch {int(t2.steps[i])}"
                     f"{status_tag(label_health['1.1.2'])}")
    axes[0, 0].legend(fontsize=7)
    ctx.figure(fig, "weights_1_1_2", "Neurons of the same-sign labels in the (w_j1, w_j2) plane (thesis Fig 3.15)",
               "Magenta: S+,1 (a_j > 0 and active on every positive point); aqua: S-,1; blue: the others; red dashed: "
               "D+ and D-, snapshots where the loss falls below 90, 50 and 10% of its start, and the end. The growing "
               "neurons first align with D+, then turn as they grow towards (0, 1), whose neuron relu(w_j2) is a "
               "constant; a second small group stays near D+ (the thesis: the branches change direction as they grow). "
               + flagged_sentence({"1.1.2": label_health["1.1.2"]}))

    results, delta_health = {}, {}
    for sign in (-1, 1):
        for delta in cfg.deltas:
            X, y = data.thesis("1.2", delta=delta, sign=sign)
            t = ctx.run("train", partial(train_relu, X, y, cfg.scale_delta, cfg, ctx), dataset="1.2", delta=delta,
                        sign=sign)
            results[(sign, delta)] = (X, t, analysis.plateaus(t.times, t.train_loss))
            delta_health[(sign, delta)] = health(t, cfg.fit_level)
    key_of = {(s, d): f"{'-+'[s == 1]}{d:g}" for (s, d) in results}
    fig, axes = new_figure(4, 1, width=4.2, height=3.6)
    ax = axes[0, 0]
    for k, sign in enumerate((-1, 1)):
        counts_d = [len(results[(sign, d)][2]) if delta_health[(sign, d)]["status"] == "ok" else np.nan
                    for d in cfg.deltas]
        ax.plot(cfg.deltas, counts_d, "os"[k] + "-", color=series_colour(k), label=f"x_1 = -0.5 {'-+'[k == 1]} delta/2")
    ax.set_xscale("log")
    label(ax, "delta = |<x_1, x_2>|", "plateaus", "plateau count", legend=True, fontsize=7)
    ax = axes[0, 1]
    for k, sign in enumerate((-1, 1)):
        for j, d in enumerate(cfg.deltas):
            ks = final_kinks(results[(sign, d)][1])
            ok = delta_health[(sign, d)]["status"] == "ok"
            ax.plot([d] * len(ks), ks, "os"[k] if ok else "x", color=series_colour(k), mfc="none" if k else None,
                    label=f"measured, sign {'-+'[k == 1]}" if j == 0 else None)
        x11 = np.array([-0.5 + sign * d / 2 for d in cfg.deltas])
        opposite = x11 < 0
        ax.plot(np.array(cfg.deltas)[opposite], -1 / x11[opposite], ":", color=series_colour(k),
                label=f"-1/x_1,1 (sign {'-+'[k == 1]})")
    ax.axhline(-0.5, color="r", ls=":", label="-1/x_2,1 = -0.5")
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=1)
    label(ax, "delta", "kink positions of the final model", "alignment against the data", legend=True, fontsize=6)
    for ax, key in zip(axes[0, 2:], ((-1, 1.0), (1, 10.0))):
        if key in results:
            X, t, _ = results[key]
            orientation_plane(ax, t.final, X[:, 0], np.array([-1.0, 1.0]), xlim=(-3.0, 6.5), signs=np.sign(t.a[0]),
                              title=f"delta = {key[1]:g}, sign {'-+'[key[0] == 1]}{status_tag(delta_health[key])}",
                              legend=False)
    kinks_delta = {key_of[k]: final_kinks(results[k][1]) for k in results}
    predicted = {key_of[(s, d)]: sorted([-0.5, -1 / (-0.5 + s * d / 2)]) if -0.5 + s * d / 2 < 0 else None
                 for (s, d) in results}
    deviations = [float(np.max(np.abs(np.array(kinks_delta[key_of[k]]) - predicted[key_of[k]]))) for k in results
                  if k[0] == -1 and predicted[key_of[k]] and len(kinks_delta[key_of[k]]) == 2
                  and delta_health[k]["status"] == "ok"]
    deviation = max(deviations) if deviations else None
    ctx.figure(fig, "quasi_orthogonal", "Quasi-orthogonal inputs (thesis section 3.2, Figs 3.25-3.26)",
               f"ReLU, m = {cfg.width}, lambda = {cfg.scale_delta:g}. Left: plateaus per delta for both signs of the "
               "deviation (flagged runs left out). Middle: the bends of the final model (crosses: flagged runs) "
               "against the prediction -1/x_k,1 (kinks of neurons aligned with D+ = y_2 x_2 and D- = y_1 x_1), on "
               "the data points only when delta -> 0. " + alignment_sentence(deviation) + " Right: final "
               "neurons and model for delta = 1 (inputs of opposite signs) and delta = 10 with the + sign (both "
               "inputs positive: non-orthogonal behaviour). "
               + flagged_sentence({f"delta = {d:g}, sign {'-+'[s == 1]}": h for (s, d), h in delta_health.items()}))
    return {"plateaus_1_1_0": counts["1.1.0"], "plateaus_1_1_1": counts["1.1.1"],
            "plateaus_1_1_2": counts["1.1.2"], "kinks_1_1_2": final_kinks(t2),
            "final_loss_labels": {n: float(t.train_loss[-1]) for n, (_, t) in label_runs.items()},
            "kinks_delta": kinks_delta, "predicted_kinks_delta": predicted, "kink_deviation_minus": deviation,
            "plateau_count_delta": {key_of[k]: len(p) if delta_health[k]["status"] == "ok" else None
                                    for k, (_, _, p) in results.items()},
            "final_loss_delta": {key_of[k]: float(t.train_loss[-1]) for k, (_, t, _) in results.items()},
            "health_labels": {n: h["status"] for n, h in label_health.items()},
            "health_delta": {key_of[k]: h["status"] for k, h in delta_health.items()},
            "excluded": {**{n: h["reason"] for n, h in label_health.items() if h["status"] != "ok"},
                         **{key_of[k]: h["reason"] for k, h in delta_health.items() if h["status"] != "ok"}}}


register(Experiment(
    name="label-geometry", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis 3.1.2 and 3.2: switched and same-sign labels, and quasi-orthogonal inputs: plateau counts "
                "and where the final ReLU model bends against the data.",
    config=Config, run=run, quick=QUICK,
    source="thesis, sections 3.1.2 and 3.2, Figs 3.14-3.16 and 3.25-3.26"))

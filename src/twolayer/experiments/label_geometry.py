"""Seed 003, sections 3.1.2 and 3.2 (Figures 3.14-3.16, 3.25-3.26): the role of the labels and of the
angle between the two inputs for a ReLU network from a small balanced initialisation.

Data sets 1.1.1 (labels switched) and 1.1.2 (labels of the same sign), and the quasi-orthogonal family
1.2: x_1 = -0.5 +- delta/2, x_2 = 2 (inputs (x, 1)), labels -1, 1, so |<x_1, x_2>| = delta. For two
inputs of opposite signs the neurons align with D+ and D-, whose kinks sit at -1/x_{2,1} and
-1/x_{1,1}: on the data exactly when the inputs are orthogonal (x_{1,1} = -1/x_{2,1}).

Every run is repeated for ``seeds`` initialisations (seed + k): each is a stored unit
``ctx.run("train", ..., dataset=, [delta=, sign=,] seed=)``; only the drawn seed's 1.1.2 run keeps
parameter snapshots (Fig 3.15). The plateau counts and kink deviations are reported per seed, with
their spread, and flagged runs (diverged, nearly diverged, not fitted) are left out with the reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import partial

import numpy as np

from .. import analysis, data
from ..optim import GD
from ..plots import label, loss_curve, mean_band, new_figure, orientation_plane, weight_plane
from ..plots.style import series_colour
from ..sweep import train_many
from ..analysis import neuron_directions
from ..data.thesis import quasi_key as delta_key
from ..analysis.seeds import flagged_sentence, spread, spread_or_none, status_tag, traj_health as health
from . import Experiment, register
from .base import THESIS_LOSS, balanced_net, param
from .budget import SEED_MAX, check_recording

LABEL_SETS = ("1.1.0", "1.1.1", "1.1.2")
THESIS_PLATEAUS = {"1.1.0": 2, "1.1.1": 2, "1.1.2": 1}   # Fig 3.14: 1.1.2 loses the intermediate plateau


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
    record_every: int = param(300, "Record the loss (and, for the drawn seed's 1.1.2 run, all parameters) every this "
                              "many GD steps.", ge=1, le=3_000_000)
    fit_level: float = param(0.01, "Training loss (1/n) a run must end below to count as fitted; a run that does "
                             "not, or diverges, is flagged and its plateau count left out.", gt=0, le=1)
    seeds: int = param(5, "Seeds: seed + k (k < seeds) draws the initial directions g_j and signs s_j of every run; "
                       "the plateau counts and kink deviations are given over them, with their spread.", ge=1, le=20)
    seed: int = param(0, "Random seed of the drawn runs (whose curves and neurons the figures show); the other "
                      "seeds follow it.", ge=0, le=SEED_MAX - 20)


QUICK = {"deltas": (1e-8, 1e-2, 1.0, 10.0), "epochs": 100_000, "record_every": 200, "seeds": 3}


def train_relu(X, y, scale: float, seed: int, snapshots: bool, cfg: Config, ctx):
    """GD on the thesis's loss from a balanced ReLU start of ``scale`` and ``seed``; a diverged run is
    kept, with ``info["diverged"]``."""
    return train_many([balanced_net(X.shape[1], cfg.width, "relu", scale, seed)], X, y, **THESIS_LOSS,
                      optimizer=GD(cfg.lr), steps=cfg.epochs, record_every=cfg.record_every, engine=ctx.engine,
                      on_divergence="keep", snapshots=snapshots, quiet=ctx.quiet)[0]


def predicted_kinks(sign: int, delta: float):
    """Sorted kinks [-1/x_2,1, -1/x_1,1] = [-0.5, -1/x_1,1] of neurons aligned with D+ and D- when the
    inputs have opposite signs (x_1,1 = -0.5 + sign delta / 2 < 0), else None."""
    x11 = -0.5 + sign * delta / 2
    return sorted([-0.5, -1 / x11]) if x11 < 0 else None


def kink_deviation(kinks, predicted):
    """max_k |kink_k - predicted_k| when the model has exactly the two predicted bends, else None."""
    if predicted is None or len(kinks) != 2:
        return None
    return float(np.max(np.abs(np.array(kinks) - predicted)))


def final_kinks(traj, interval=(-5.0, 110.0)) -> list[float]:
    """The bends of the final model (merged within 0.1% of the interval, at least 1% of the largest)."""
    return analysis.kinks(analysis.bias_input_as_bias(traj.final), interval, merge=1e-3).tolist()


def reference_directions(X, y) -> dict:
    """Angles (degrees) the 1.1.2 neuron groups are compared with: D+ (the early alignment direction),
    each input x_k and (0, 1) (the neuron relu(w_2) is a constant on the data)."""
    d_plus, _ = analysis.alignment_directions(X, y)
    refs = {"D+": d_plus, **{f"x_{k + 1}": x for k, x in enumerate(np.asarray(X))}, "(0, 1)": np.array([0.0, 1.0])}
    return {k: float(np.degrees(np.arctan2(v[1], v[0]))) for k, v in refs.items()}


def nearest_reference(angle: float, refs: dict, tol_deg: float = 2.0) -> str:
    """The name of the reference direction within ``tol_deg`` of ``angle`` (the nearest), or 'elsewhere'."""
    name = min(refs, key=lambda k: abs(refs[k] - angle))
    return name if abs(refs[name] - angle) <= tol_deg else "elsewhere"


# -- sentences: pure functions of the measured numbers -------------------------------------------
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


def labels_pattern(counts_seeds: dict) -> dict:
    """Over seeds ({name: [count or None per seed]}): seeds with all three label runs ok
    (``compared``), among them those where 1.1.1 keeps 1.1.0's count (``switch_same``), 1.1.2 has fewer
    (``same_fewer``) and the thesis's counts 2, 2, 1 hold (``agree``)."""
    rows = [r for r in zip(*(counts_seeds[n] for n in LABEL_SETS)) if None not in r]
    return {"compared": len(rows), "seeds": len(counts_seeds["1.1.0"]),
            "switch_same": sum(r[1] == r[0] for r in rows), "same_fewer": sum(r[2] < r[0] for r in rows),
            "agree": sum(tuple(r) == tuple(THESIS_PLATEAUS[n] for n in LABEL_SETS) for r in rows)}


def labels_seeds_sentence(counts_seeds: dict) -> str:
    """What the label runs say over seeds ({name: [plateau count or None per seed]}): how often the
    switched labels keep the count, the same-sign labels lose one, and the thesis's 2, 2, 1 hold."""
    p = labels_pattern(counts_seeds)
    c = p["compared"]
    if not c:
        return f"No seed of {p['seeds']} has all three label runs fitted, so the label runs are not compared."
    ranges = "; ".join(f"{n}: {counts_seeds[n]}" for n in LABEL_SETS)
    text = (f"Over {p['seeds']} seeds (plateau counts {ranges}; {c} with all three runs fitted): switching the labels "
            f"keeps the count in {p['switch_same']} of {c}, two positive labels lose a plateau in {p['same_fewer']} of "
            f"{c}, and the thesis's counts (2, 2, 1) hold in {p['agree']} of {c}")
    if p["agree"] == c:
        return text + ": the thesis's label pattern holds in every seed."
    if p["agree"] == 0:
        return text + ": no seed shows the thesis's label pattern."
    return text + ": the pattern depends on the seed."


def alignment_sentence(deviation, tol: float = 1e-6) -> str:
    """Whether the final bends of the fitted runs with <x_1, x_2> = -delta lie on the predictions
    -1/x_k,1 (largest deviation ``deviation``, None when no such run has two bends and is ok)."""
    if deviation is None:
        return "No fitted run with <x_1, x_2> = -delta has two bends to compare with the prediction."
    return (f"For <x_1, x_2> = -delta the fitted runs bend at -1/x_k,1 within {deviation:.1e} (aligned with D+ and D-)"
            if deviation < tol else
            f"For <x_1, x_2> = -delta the fitted runs bend up to {deviation:.1e} away from -1/x_k,1 (more than "
            f"{tol:g}: not the alignment with D+ and D-)") + "."


def alignment_seeds_sentence(minus: list, plus: list, tol: float = 1e-6) -> str:
    """The kink deviations from -1/x_k,1 over seeds (per seed the largest over its fitted runs with two
    bends, None when it has none) for <x_1, x_2> = -delta (``minus``) and +delta with x_1,1 < 0
    (``plus``): in how many seeds they lie within ``tol`` (the alignment with D+ and D-)."""
    parts = []
    for sign, vals in (("-", minus), ("+", plus)):
        v = [x for x in vals if x is not None]
        if not v:
            parts.append(f"for <x_1, x_2> = {sign}delta no seed has a fitted run with two bends to compare")
            continue
        s, within = spread(v), sum(x < tol for x in v)
        text = (f"for <x_1, x_2> = {sign}delta the largest deviation from -1/x_k,1 is {s['mean']:.1e} +- {s['sd']:.1e} "
                f"(range {s['lo']:.1e}-{s['hi']:.1e}) over {len(v)} seeds")
        text += (f", within {tol:g} in every seed (aligned with D+ and D-)" if within == len(v) else
                 f", within {tol:g} in none (the bends leave -1/x_k,1)" if within == 0 else
                 f", within {tol:g} in {within} of {len(v)} seeds only")
        parts.append(text)
    out = "; ".join(parts)
    return out[0].upper() + out[1:] + "."


def both_positive_sentence(agree: int, compared: int) -> str:
    """Thesis Fig 3.26 (both inputs positive): one bend at the smaller abscissa and one on the negative
    axis, found in ``agree`` of ``compared`` fitted runs over seeds and deltas."""
    if not compared:
        return "No fitted run with both inputs positive to compare with the thesis's Fig 3.26."
    verdict = ("as the thesis's Fig 3.26 describes" if agree == compared else
               "unlike the thesis's Fig 3.26" if agree == 0 else "as Fig 3.26 describes, but not in every run")
    return (f"With both inputs positive, {agree} of {compared} fitted runs bend at the smaller abscissa and on the "
            f"negative axis, {verdict}.")


def delta_plateaus_sentence(opposite: list, positive: list) -> str:
    """Plateau counts of the fitted quasi-orthogonal runs over seeds and deltas, for inputs of opposite
    signs (``opposite``; the thesis: the profile of 1.1.0, 2 plateaus) and both positive (``positive``)."""
    if not opposite:
        return "No quasi-orthogonal run with inputs of opposite signs fitted."
    two = sum(c == 2 for c in opposite)
    text = (f"Inputs of opposite signs: 2 plateaus in {two} of {len(opposite)} fitted runs "
            + ("(the profile of orthogonal data, as the thesis says)" if two == len(opposite) else
               f"(counts {sorted(Counter(opposite).items())}: not always the orthogonal profile)"))
    if positive:
        text += f"; both inputs positive: counts {sorted(Counter(positive).items())} (count, runs)"
    return text + "."


def weights_sentence(turn, groups_seeds: list, refs: dict) -> str:
    """The 1.1.2 neurons: how far the drawn seed's largest group turns between the first snapshot
    and the end (``turn`` = (angle before, angle after) in degrees, None without snapshots), and over
    seeds how many final groups carry the model and which reference direction each of the two
    largest lies along (``groups_seeds``: per seed the :func:`neuron_directions` list, None if flagged)."""
    parts = []
    if turn is not None:
        before, after = turn
        change = abs(after - before)
        where = f"from {before:.1f} deg ({nearest_reference(before, refs)}) to {after:.1f} deg " \
                f"({nearest_reference(after, refs)})"
        parts.append(f"In the drawn seed the largest group turns by {change:.1f} deg as it grows ({where})"
                     if change > 5 else f"In the drawn seed the largest group keeps its direction ({where})")
    kept = [g for g in groups_seeds if g is not None]
    if kept:
        counts = Counter(len(g) for g in kept)
        first = Counter(nearest_reference(g[0]["angle"], refs) for g in kept if g)
        second = Counter(nearest_reference(g[1]["angle"], refs) for g in kept if len(g) > 1)
        text = (f"over {len(kept)} fitted seeds the final model is carried by "
                + ", ".join(f"{k} group(s) in {v}" for k, v in sorted(counts.items()))
                + "; the largest lies along " + ", ".join(f"{k} in {v}" for k, v in first.items()))
        if second:
            text += "; the second along " + ", ".join(f"{k} in {v}" for k, v in second.items())
        several = sum(v for k, v in counts.items() if k >= 2)
        text += (" (the thesis: a second, unexpected alignment direction, found in every seed)" if several == len(kept)
                 else f" (the thesis's second alignment direction: in {several} of {len(kept)} seeds)")
        parts.append(text)
    else:
        parts.append("no seed's 1.1.2 run fitted")
    out = "; ".join(parts)
    return out[0].upper() + out[1:] + "."


# -- per-seed summaries -------------------------------------------------------------------------
def label_summary(trajs: dict, fit_level: float) -> dict:
    """{name: {health, plateaus, count (None when flagged)}} for one seed's label runs."""
    out = {}
    for name, t in trajs.items():
        h = health(t, fit_level)
        plats = analysis.fit_plateaus(t.times, t.train_loss) or []       # the thesis's rule (C.1.4)
        out[name] = {"health": h, "plateaus": plats, "count": len(plats) if h["status"] == "ok" else None}
    return out


def delta_summary(trajs: dict, fit_level: float) -> dict:
    """{key: {health, kinks, predicted, deviation, count}} for one seed's quasi-orthogonal runs
    ({(sign, delta): Trajectory}); deviation and count are None for a flagged run."""
    out = {}
    for (sign, delta), t in trajs.items():
        h, kinks, pred = health(t, fit_level), final_kinks(t), predicted_kinks(sign, delta)
        ok = h["status"] == "ok"
        out[delta_key(sign, delta)] = {
            "sign": sign, "delta": delta, "health": h, "kinks": kinks, "predicted": pred,
            "deviation": kink_deviation(kinks, pred) if ok else None,
            "count": len(analysis.fit_plateaus(t.times, t.train_loss) or []) if ok else None}
    return out


def largest_deviation(summary: dict, sign: int):
    """The largest kink deviation of one seed's fitted runs of ``sign`` with two bends, or None."""
    devs = [r["deviation"] for r in summary.values() if r["sign"] == sign and r["deviation"] is not None]
    return max(devs) if devs else None


def both_positive_ok(r: dict) -> bool | None:
    """For a fitted run with both inputs positive (x_1,1 > 0): a bend within 1e-3 of the smaller
    abscissa and one on the negative axis (thesis Fig 3.26); None when not such a run."""
    x11 = -0.5 + r["sign"] * r["delta"] / 2
    if x11 <= 0 or r["health"]["status"] != "ok":
        return None
    k = np.array(r["kinks"])
    return bool(np.any(np.abs(k - min(x11, 2.0)) < 1e-3) and np.any(k < 0))


def check(cfg: Config) -> None:
    """The snapshots of the drawn seed's 1.1.2 run, and the loss curves of every run, must fit in memory."""
    check_recording("record_every", cfg.record_every, cfg.epochs, cfg.record_every, 3 * cfg.width,
                    runs=1, also="epochs or a smaller width")


def train_seed(seed: int, cfg: Config, ctx) -> tuple[dict, dict]:
    """One seed's runs, each a stored unit: ({name: Trajectory} of the label sets, {(sign, delta):
    Trajectory} of the quasi-orthogonal family); snapshots only in the drawn seed's 1.1.2 run."""
    labels = {name: ctx.run("train", partial(train_relu, *data.thesis(name), cfg.scale_labels, seed,
                                             seed == cfg.seed and name == "1.1.2", cfg, ctx), dataset=name, seed=seed)
              for name in LABEL_SETS}
    deltas = {}
    for sign in (-1, 1):
        for delta in cfg.deltas:
            X, y = data.thesis("1.2", delta=delta, sign=sign)
            deltas[(sign, delta)] = ctx.run("train", partial(train_relu, X, y, cfg.scale_delta, seed, False, cfg, ctx),
                                            dataset="1.2", delta=delta, sign=sign, seed=seed)
    return labels, deltas


def counts_panel(ax, counts_seeds: dict, names: list) -> None:
    """Plateau count per label data set: every seed (dots), mean with its range (bar), the thesis's count."""
    for i, n in enumerate(names):
        v = [c for c in counts_seeds[n] if c is not None]
        flagged = len(counts_seeds[n]) - len(v)
        if v:
            s = spread(v)
            ax.plot(i + np.linspace(-0.12, 0.12, len(v)), v, "o", color="0.5", ms=4,
                    label="one seed" if i == 0 else None)
            ax.errorbar(i + 0.25, s["mean"], yerr=[[s["mean"] - s["lo"]], [s["hi"] - s["mean"]]], fmt="s",
                        color=series_colour(0), capsize=3, label="mean, range" if i == 0 else None)
        ax.plot(i, THESIS_PLATEAUS[n], "x", color="r", ms=9, mew=2, label="thesis" if i == 0 else None)
        if flagged:
            ax.annotate(f"{flagged} flagged", (i, 0.2), ha="center", fontsize=7, color="r")
    ax.set_xticks(range(len(names)), names)
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_ylim(-0.2, 4.2)
    label(ax, "data set", "plateaus", "plateau counts over seeds", legend=True, fontsize=7)


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    seeds = [cfg.seed + k for k in range(cfg.seeds)]
    trained = {s: train_seed(s, cfg, ctx) for s in seeds}
    labels = {s: label_summary(trained[s][0], cfg.fit_level) for s in seeds}
    deltas = {s: delta_summary(trained[s][1], cfg.fit_level) for s in seeds}
    drawn, drawn_labels, drawn_deltas = cfg.seed, labels[cfg.seed], deltas[cfg.seed]
    label_runs = {name: (data.thesis(name), trained[drawn][0][name]) for name in LABEL_SETS}
    label_health = {n: r["health"] for n, r in drawn_labels.items()}
    counts = {n: r["count"] for n, r in drawn_labels.items()}
    counts_seeds = {n: [labels[s][n]["count"] for s in seeds] for n in LABEL_SETS}
    every_label = {f"seed {s}, {n}": labels[s][n]["health"] for s in seeds for n in LABEL_SETS}
    every_delta = {f"seed {s}, delta = {r['delta']:g}, sign {k[0]}": r["health"] for s in seeds
                   for k, r in deltas[s].items()}

    # Figure: the label runs (Figs 3.14, 3.16).
    (X2, y2), t2 = label_runs["1.1.2"]
    fig, axes = new_figure(5, 1, width=3.9, height=3.5)
    for ax, name in zip(axes[0], LABEL_SETS):
        for s in seeds[1:]:
            t = trained[s][0][name]
            ax.plot(t.steps, np.where(t.train_loss > 0, t.train_loss, np.nan), color="0.7", lw=0.8,
                    ls="-" if labels[s][name]["health"]["status"] == "ok" else "--",
                    label="other seeds" if s == seeds[1] else None)
        t = label_runs[name][1]
        shaded = [{**p, "start": p["start"] / cfg.lr, "end": p["end"] / cfg.lr} for p in drawn_labels[name]["plateaus"]]
        loss_curve(ax, t.steps, {f"seed {drawn}": t.train_loss}, plateaus=shaded,
                   title=f"{name}: {len(drawn_labels[name]['plateaus'])} plateau(s){status_tag(label_health[name])}")
        ax.set_ylim(bottom=1e-8)
        ax.legend(fontsize=6)
    counts_panel(axes[0, 3], counts_seeds, list(LABEL_SETS))
    signs2 = np.sign(balanced_net(2, cfg.width, "relu", cfg.scale_labels, drawn).a)
    orientation_plane(axes[0, 4], t2.final, X2[:, 0], y2, xlim=(-3.0, 4.0), signs=signs2,
                      title=f"1.1.2 at the end, seed {drawn}{status_tag(label_health['1.1.2'])}")
    ctx.figure(fig, "labels", "The role of the labels (thesis Figs 3.14-3.16)",
               f"ReLU, m = {cfg.width}, lambda = {cfg.scale_labels:g}, GD step {cfg.lr:g}, {cfg.seeds} seeds. Loss "
               f"panels: seed {drawn} with its automatically detected plateaus shaded, the other seeds in grey "
               "(dashed: flagged). Seed " f"{drawn}: " + labels_sentence(counts) + " "
               + labels_seeds_sentence(counts_seeds) + f" The final 1.1.2 model of seed {drawn} (no output bias) has "
               f"visible bends at {np.round(final_kinks(t2), 3).tolist()} in [-5, 110]. "
               + flagged_sentence(every_label))

    # Figure: the 1.1.2 neurons (Fig 3.15).
    refs = reference_directions(X2, y2)
    groups_seeds = [neuron_directions(trained[s][0]["1.1.2"].final) if labels[s]["1.1.2"]["count"] is not None
                    else None for s in seeds]
    W_snaps = analysis.loss_fraction_indices(t2.train_loss, (0.9, 0.5, 0.1))[1:]
    first = neuron_directions(t2.net_at(W_snaps[0]))
    turn = (first[0]["angle"], groups_seeds[0][0]["angle"]) if first and groups_seeds[0] else None
    fig, axes = new_figure(len(W_snaps), 1, width=3.6, height=3.4)
    for k, i in enumerate(W_snaps):
        weight_plane(axes[0, k], t2.W[i], X=X2, y=y2, a=t2.a[i], title=f"1.1.2, seed {drawn}, epoch {int(t2.steps[i])}"
                     f"{status_tag(label_health['1.1.2'])}")
    axes[0, 0].legend(fontsize=7)
    ctx.figure(fig, "weights_1_1_2", "Neurons of the same-sign labels in the (w_j1, w_j2) plane (thesis Fig 3.15)",
               "Magenta: S+,1 (a_j > 0 and active on every positive point); aqua: S-,1; blue: the others; red dashed: "
               f"D+ and D-; seed {drawn} at the snapshots where the loss falls below 90, 50 and 10% of its start, and "
               "the end. Groups: neurons within 1 deg of each other carrying at least 0.1% of sum_j |a_j| ||w_j||; "
               "reference angles " + ", ".join(f"{k} {v:.1f} deg" for k, v in refs.items()) + ". "
               + weights_sentence(turn, groups_seeds, refs) + " "
               + flagged_sentence({f"seed {s}, 1.1.2": labels[s]["1.1.2"]["health"] for s in seeds}))

    # Figure: quasi-orthogonal inputs (Figs 3.25-3.26).
    keys = [delta_key(sg, d) for sg in (-1, 1) for d in cfg.deltas]
    fig, axes = new_figure(5, 1, width=4.0, height=3.6)
    ax = axes[0, 0]
    for k, sign in enumerate((-1, 1)):
        vals = np.array([[np.nan if deltas[s][delta_key(sign, d)]["count"] is None else deltas[s][delta_key(sign, d)]
                          ["count"] for s in seeds] for d in cfg.deltas], dtype=float)
        mean = np.array([np.nanmean(r) if np.isfinite(r).any() else np.nan for r in vals])
        lo = np.array([np.nanmin(r) if np.isfinite(r).any() else np.nan for r in vals])
        hi = np.array([np.nanmax(r) if np.isfinite(r).any() else np.nan for r in vals])
        x = np.array(cfg.deltas) * (1.08 if k else 1 / 1.08)
        ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], fmt="os"[k] + "-", color=series_colour(k), capsize=3,
                    label=f"x_1 = -0.5 {'-+'[k == 1]} delta/2")
    ax.set_xscale("log")
    ax.set_ylim(-0.2, 4.2)
    label(ax, "delta = |<x_1, x_2>|", "plateaus (mean, range)", "plateau count over seeds", legend=True, fontsize=7)
    ax = axes[0, 1]
    for k, sign in enumerate((-1, 1)):
        for j, d in enumerate(cfg.deltas):
            for s in seeds:
                r = deltas[s][delta_key(sign, d)]
                ok = r["health"]["status"] == "ok"
                ax.plot([d] * len(r["kinks"]), r["kinks"], "os"[k] if ok else "x", color=series_colour(k),
                        mfc="none" if k else None, ms=4,
                        label=f"measured, sign {'-+'[k == 1]}" if j == 0 and s == drawn else None)
        x11 = np.array([-0.5 + sign * d / 2 for d in cfg.deltas])
        opposite = x11 < 0
        ax.plot(np.array(cfg.deltas)[opposite], -1 / x11[opposite], ":", color=series_colour(k),
                label=f"-1/x_1,1 (sign {'-+'[k == 1]})")
    ax.axhline(-0.5, color="r", ls=":", label="-1/x_2,1 = -0.5")
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=1)
    label(ax, "delta", "kink positions of the final models", "alignment against the data (all seeds)", legend=True,
          fontsize=6)
    ax = axes[0, 2]
    for k, sign in enumerate((-1, 1)):
        ds = [d for d in cfg.deltas if predicted_kinks(sign, d) is not None]
        vals = [[np.nan if deltas[s][delta_key(sign, d)]["deviation"] is None else
                 max(deltas[s][delta_key(sign, d)]["deviation"], 1e-16) for s in seeds] for d in ds]
        if ds and np.isfinite(vals).any():
            mean_band(ax, ds, vals, label=f"<x_1, x_2> = {'-+'[k == 1]}delta", colour=series_colour(k), marker="os"[k])
    ax.axhline(1e-6, color="0.4", ls="--", lw=1, label="tolerance 1e-6")
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(ax, "delta", "max |kink - (-1/x_k,1)|", "deviation from the prediction (mean, range)", legend=True,
          fontsize=6)
    for ax, (sign, d) in zip(axes[0, 3:], ((-1, 1.0), (1, 10.0))):
        if d in cfg.deltas:
            X, _ = data.thesis("1.2", delta=d, sign=sign)
            r = drawn_deltas[delta_key(sign, d)]
            orientation_plane(ax, trained[drawn][1][(sign, d)].final, X[:, 0], np.array([-1.0, 1.0]), xlim=(-3.0, 6.5),
                              signs=np.sign(balanced_net(2, cfg.width, "relu", cfg.scale_delta, drawn).a),
                              title=f"delta = {d:g}, sign {'-+'[sign == 1]}, seed {drawn}{status_tag(r['health'])}",
                              legend=False)
        else:
            ax.axis("off")
    minus_seeds = [largest_deviation(deltas[s], -1) for s in seeds]
    plus_seeds = [largest_deviation(deltas[s], 1) for s in seeds]
    opposite = [r["count"] for s in seeds for r in deltas[s].values()
                if r["count"] is not None and -0.5 + r["sign"] * r["delta"] / 2 < 0]
    positive = [r["count"] for s in seeds for r in deltas[s].values()
                if r["count"] is not None and -0.5 + r["sign"] * r["delta"] / 2 > 0]
    both = [b for s in seeds for b in (both_positive_ok(r) for r in deltas[s].values()) if b is not None]
    ctx.figure(fig, "quasi_orthogonal", "Quasi-orthogonal inputs (thesis section 3.2, Figs 3.25-3.26)",
               f"ReLU, m = {cfg.width}, lambda = {cfg.scale_delta:g}, {cfg.seeds} seeds. Left: plateaus per delta for "
               "both signs of the deviation, mean and range over the fitted seeds. Second: the bends of every seed's "
               "final model (crosses: flagged runs) against the prediction -1/x_k,1 (kinks of neurons aligned with "
               "D+ = y_2 x_2 and D- = y_1 x_1), on the data points only when delta -> 0. Third: the largest deviation "
               "from that prediction per delta (runs with two bends; band: range over seeds). "
               + alignment_seeds_sentence(minus_seeds, plus_seeds) + " " + delta_plateaus_sentence(opposite, positive)
               + " " + both_positive_sentence(sum(both), len(both)) + f" Right: seed {drawn}'s final neurons and model "
               "for delta = 1 with the - sign (inputs of opposite signs) and delta = 10 with the + sign (both inputs "
               "positive). " + flagged_sentence(every_delta))

    not_compared = {f"seed {s}, {k}": f"{len(r['kinks'])} bends, not the 2 predicted" for s in seeds
                    for k, r in deltas[s].items() if r["predicted"] and r["health"]["status"] == "ok"
                    and r["deviation"] is None}
    ctx.note(labels_seeds_sentence(counts_seeds) + " " + alignment_seeds_sentence(minus_seeds, plus_seeds)
             + (" Runs whose bends were not compared with the prediction: "
                + "; ".join(f"{k} ({v})" for k, v in not_compared.items()) + "." if not_compared else ""))
    pattern = labels_pattern(counts_seeds)
    out = {"seeds": seeds,
           "plateaus_1_1_0": counts["1.1.0"], "plateaus_1_1_1": counts["1.1.1"], "plateaus_1_1_2": counts["1.1.2"],
           "kinks_1_1_2": final_kinks(t2),
           "final_loss_labels": {n: float(t.train_loss[-1]) for n, (_, t) in label_runs.items()},
           "kinks_delta": {k: drawn_deltas[k]["kinks"] for k in keys},
           "predicted_kinks_delta": {k: drawn_deltas[k]["predicted"] for k in keys},
           "kink_deviation_minus": minus_seeds[0], "kink_deviation_plus": plus_seeds[0],
           "plateau_count_delta": {k: drawn_deltas[k]["count"] for k in keys},
           "final_loss_delta": {delta_key(*k): float(t.train_loss[-1]) for k, t in trained[drawn][1].items()},
           "health_labels": {n: h["status"] for n, h in label_health.items()},
           "health_delta": {k: drawn_deltas[k]["health"]["status"] for k in keys},
           "excluded": {**{n: h["reason"] for n, h in label_health.items() if h["status"] != "ok"},
                        **{k: drawn_deltas[k]["health"]["reason"] for k in keys
                           if drawn_deltas[k]["health"]["status"] != "ok"}}}
    for n in LABEL_SETS:
        key = "plateaus_" + n.replace(".", "_")
        out[key + "_seeds"] = counts_seeds[n]
        out[key + "_spread"] = spread_or_none(counts_seeds[n])
        out[key + "_agree"] = sum(c == THESIS_PLATEAUS[n] for c in counts_seeds[n] if c is not None)
    out.update({
        "labels_pattern": pattern,
        "kink_deviation_minus_seeds": minus_seeds, "kink_deviation_minus_spread": spread_or_none(minus_seeds),
        "kink_deviation_plus_seeds": plus_seeds, "kink_deviation_plus_spread": spread_or_none(plus_seeds),
        "kinks_not_compared": not_compared,
        "plateau_count_delta_seeds": {k: [deltas[s][k]["count"] for s in seeds] for k in keys},
        "both_positive_pattern": {"agree": int(sum(both)), "compared": len(both)},
        "directions_1_1_2_seeds": [None if g is None else [round(x["angle"], 3) for x in g] for g in groups_seeds],
        "turn_1_1_2": None if turn is None else [float(turn[0]), float(turn[1])],
        "health_labels_seeds": {n: [labels[s][n]["health"]["status"] for s in seeds] for n in LABEL_SETS},
        "health_delta_seeds": {k: [deltas[s][k]["health"]["status"] for s in seeds] for k in keys},
        "excluded_seeds": {k: h["reason"] for k, h in {**every_label, **every_delta}.items() if h["status"] != "ok"}})
    return out


register(Experiment(
    name="label-geometry", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis 3.1.2 and 3.2: switched and same-sign labels, and quasi-orthogonal inputs: plateau counts "
                "and where the final ReLU model bends against the data, over several seeds.",
    config=Config, run=run, quick=QUICK,
    source="thesis, sections 3.1.2 and 3.2, Figs 3.14-3.16 and 3.25-3.26"))

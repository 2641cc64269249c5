"""Seed 003, section 3.1.1 (Figures 3.1-3.6, 3.11-3.13, C.4-C.9): the initialisation scale lambda moves
a network on data set 1.1.0 from the rich regime (saddle-to-saddle, minimum-norm interpolator) to the
lazy regime (convex-looking loss, larger norm), for ReLU, Sigmoid and Tanh.

h(x) = sum_j a_j sigma(w_j . x) on x = (x, 1), m = 60, balanced initialisation w_j = lambda g_j,
a_j = s_j ||w_j|| (eqs 2.41-2.42), loss (1/n) sum (h - y)^2, GD with step 1e-3 for 3e5 epochs.

Every (activation, seed) sweep over the scales is one stored unit; the seeds ``seed + k`` (k < seeds)
draw the initial directions g_j and signs s_j. Each run's health (diverged, nearly diverged, not
fitted) is judged at ``fit_level``; flagged runs are left out of every spread, slope and sentence,
and a run that never fits gets no plateau numbers (thesis appendix C.1.4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.transforms import blended_transform_factory

from .. import analysis, data
from ..analysis.seeds import flagged_sentence, status_tag, traj_health
from ..errors import InvalidParameter
from ..jsonsafe import json_safe
from ..optim import GD
from ..plots import label, loss_curve, mean_band, new_figure, orientation_plane
from ..plots.style import series_colour
from ..sweep import train_many
from . import Experiment, register
from .base import THESIS_LOSS, balanced_net, param
from .budget import SEED_MAX, check_recording
from .saddle_to_saddle import ORTHOGONAL_SETS

ACTIVATIONS = ("relu", "sigmoid", "tanh")
LEAVE = 0.05          # the ReLU norm "leaves" the minimum norm when it is more than 5% above it
PLATEAU_KEYS = ("count", "initial", "intermediate")   # phase_summary entries stored per activation


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
    seed: int = param(0, "Random seed of the initial directions g_j and signs s_j (the drawn seed: its runs are "
                         "the loss curves and the neurons shown).", ge=0, le=SEED_MAX)
    seeds: int = param(5, "Number of seeds seed, seed+1, ... of the initial directions; every number is reported "
                          "with its spread over them.", ge=1, le=100)


QUICK = {"scales": (1e-10, 1e-6, 1e-2, 3.5e-2, 0.1, 1.0, 100.0), "window_scales": (1e-10, 3.5e-2, 1.0),
         "epochs": 100_000, "record_every": 200, "seeds": 3}


def phase_summary(traj, lr: float, fit_level: float) -> dict:
    """Epochs to loss < fit_level, the plateaus (count, levels), the initial and first intermediate
    plateau lengths in epochs (0 when absent), from a recorded loss curve.

    A run that never reaches ``fit_level`` gets no plateau numbers (count, initial and intermediate
    None, no levels): the thesis does not detect plateaus on runs that never converge (appendix
    C.1.4), whose long slow stretches are not plateaus between phases.
    """
    fit = analysis.first_below(traj.steps, traj.train_loss, fit_level)
    if fit is None:
        return {"fit": None, "count": None, "levels": [], "plateaus": [], "initial": None, "intermediate": None}
    plats = analysis.fit_plateaus(traj.times, traj.train_loss, fit_level=fit_level)
    initial = [p for p in plats if p["start"] <= traj.times[1]]
    later = [p for p in plats if p["start"] > traj.times[1] and p["start"] < fit * lr]
    return {"fit": fit, "count": len(plats), "levels": [p["level"] for p in plats], "plateaus": plats,
            "initial": round((initial[0]["end"] - initial[0]["start"]) / lr) if initial else 0,
            "intermediate": round((later[0]["end"] - later[0]["start"]) / lr) if later else 0}


def _by_seed(phases: list) -> list:
    """One seed's list of phase summaries as a list of one seed; a list of them per seed unchanged."""
    return phases if phases and isinstance(phases[0], list) else [phases]


def loss_sentence(scales, phases: dict, rich_below: float) -> str:
    """What the loss curves show over seeds, from the measured phases.

    ``phases`` : {activation: per seed, a list over ``scales`` of :func:`phase_summary` dicts, None
    for a flagged run} (one seed's list alone is accepted too). The sentence says in how many seeds
    the time to fit grows as lambda falls in the rich regime (scales <= ``rich_below``, every run
    fitted), in how many ReLU's smallest scale has a plateau at loss 1/2, and how many plateaus the
    runs have at the largest scale each activation fits.
    """
    rich = sorted((i for i, s in enumerate(scales) if s <= rich_below), key=lambda i: scales[i])
    first = int(np.argmin(scales))
    grows, never = [], []
    for act, per_seed in phases.items():
        seeds = _by_seed(per_seed)
        k = sum(1 for ph in seeds if len(rich) >= 2 and all(ph[i] is not None and ph[i]["fit"] is not None for i in rich)
                and all(ph[i]["fit"] > ph[j]["fit"] for i, j in zip(rich, rich[1:])))
        if k:
            grows.append(f"{act} ({k} of {len(seeds)} seeds)")
        else:
            never.append(act)
    parts = [("the time to fit grows as lambda falls for " + ", ".join(grows)
              + (f", in no seed for {', '.join(never)}" if never else "")) if grows else
             "the time to fit does not grow steadily as lambda falls for any activation in any seed"]
    if "relu" in phases:
        seeds = _by_seed(phases["relu"])
        half = sum(1 for ph in seeds if ph[first] is not None
                   and any(abs(level - 0.5) < 0.02 for level in ph[first]["levels"]))
        parts.append(f"ReLU at lambda = {scales[first]:g} "
                     + (f"has plateau at loss 1/2 in {half} of {len(seeds)} seeds" if half else
                        f"has no plateau at loss 1/2 in any of {len(seeds)} seeds"))
    last = {}
    for act, per_seed in phases.items():
        fitted = [(s, ph[i]["count"]) for ph in _by_seed(per_seed) for i, s in enumerate(scales)
                  if ph[i] is not None and ph[i]["fit"] is not None]
        if fitted:
            top = max(s for s, _ in fitted)
            last[act] = (top, [c for s, c in fitted if s == top])
    parts.append("at the largest scale each activation fits, the plateau counts are "
                 + ", ".join(f"{a} {_range(c)} (lambda = {s:g}, {len(c)} seeds)" for a, (s, c) in last.items())
                 + (" (no plateau: the lazy regime)" if last and not any(max(c) for _, c in last.values()) else ""))
    return "Measured: " + "; ".join(parts) + "."


def _range(values, fmt: str = "g") -> str:
    """'v' when all values agree, else 'lo to hi'."""
    lo, hi = min(values), max(values)
    return f"{lo:{fmt}}" if lo == hi else f"{lo:{fmt}} to {hi:{fmt}}"


def fit_slope(scales, fits, rich_below: float):
    """Least-squares slope of the epochs to fit against -ln(lambda) over the rich scales
    (<= ``rich_below``) with a fit time (None entries: not fitted or flagged); None with fewer than two."""
    pts = [(-np.log(s), f) for s, f in zip(scales, fits) if s <= rich_below and f is not None]
    return float(np.polyfit([p[0] for p in pts], [p[1] for p in pts], 1)[0]) if len(pts) >= 2 else None


def transition(scales, gaps, leave: float = LEAVE):
    """The smallest scale whose relative ReLU norm gap |theta norm - min norm| / min norm exceeds
    ``leave`` (None entries: flagged runs, skipped); None when no scale does."""
    out = [s for s, g in zip(scales, gaps) if g is not None and g > leave]
    return min(out) if out else None


def complexity_sentence(slopes: dict, transitions: list, small_gaps: list, small_scale: float,
                        leave: float = LEAVE) -> str:
    """What the complexity figure shows over seeds.

    ``slopes`` : {activation: fit-time slope against -ln(lambda) per seed, None when a seed has too
    few fitted rich runs}; ``transitions`` : the per-seed :func:`transition` scale (None: never
    leaves); ``small_gaps`` : the per-seed relative ReLU norm gap at ``small_scale`` (None: flagged).
    """
    parts = []
    for act, vals in slopes.items():
        ok = [v for v in vals if v is not None]
        if not ok:
            parts.append(f"{act}: no seed has two fitted rich-regime runs, so no slope")
            continue
        s = analysis.spread(ok)
        up = sum(1 for v in ok if v > 0)
        verb = f"grows with -ln(lambda) in {up} of {len(ok)} seeds" if up else f"does not grow with -ln(lambda) in any of {len(ok)} seeds"
        parts.append(f"{act}: the time to fit {verb} (slope {s['mean']:.0f} +- {s['sd']:.0f} epochs per unit)"
                     + (f", {len(vals) - len(ok)} seed(s) without a slope" if len(ok) < len(vals) else ""))
    seen = [t for t in transitions if t is not None]
    if not seen:
        parts.append(f"the ReLU norm stays within {leave:.0%} of the minimum norm at every scale in all "
                     f"{len(transitions)} seeds")
    else:
        where = (f"at lambda = {seen[0]:g} in {'all ' if len(seen) == len(transitions) else ''}{len(seen)} seeds"
                 if min(seen) == max(seen) else f"between lambda = {min(seen):g} and {max(seen):g} over {len(seen)} seeds")
        parts.append(f"the ReLU norm first leaves the minimum norm by more than {leave:.0%} {where}"
                     + (f" (never in {len(transitions) - len(seen)})" if len(seen) < len(transitions) else ""))
    gaps = [g for g in small_gaps if g is not None]
    if gaps:
        close = sum(1 for g in gaps if g <= leave)
        parts.append(f"at lambda = {small_scale:g} the ReLU norm equals the minimum norm within {max(gaps):.1e} "
                     f"(relative) in all {len(gaps)} seeds" if close == len(gaps) else
                     f"at lambda = {small_scale:g} the ReLU norm is within {leave:.0%} of the minimum norm in only "
                     f"{close} of {len(gaps)} seeds (largest gap {max(gaps):.2g})")
    return "Measured over seeds: " + "; ".join(parts) + "."


def windows_sentence(small: dict, large: dict | None) -> str:
    """What the neuron windows' end states show over seeds, from the ReLU runs at the smallest and the
    largest window scale: each {"scale", "kinks", "gap", "move"} with per-seed lists (None: flagged) of
    the final model's kink count, its relative norm gap to the minimum norm and the relative change
    ||theta_T - theta_0|| / ||theta_0||. ``large`` None: one window scale, described alone."""
    def describe(w):
        k, g, m = ([v for v in w[key] if v is not None] for key in ("kinks", "gap", "move"))
        if not k:
            return f"at lambda = {w['scale']:g} every run is flagged"
        return (f"at lambda = {w['scale']:g} the final model has {_range(k)} kinks, its norm differs from the minimum "
                f"norm by {_range(g, '.1e')} (relative) and theta moved by {_range(m, '.2g')} times its initial norm")

    text = "Over seeds: " + describe(small)
    if large is None:
        return text + "."
    text += "; " + describe(large)
    pairs = [(a, b, c, d) for a, b, c, d in zip(small["kinks"], large["kinks"], small["move"], large["move"])
             if None not in (a, b, c, d)]
    if not pairs:
        return text + "."
    more = sum(1 for a, b, _, _ in pairs if b > a)
    less = sum(1 for _, _, c, d in pairs if d < c)
    n = len(pairs)
    return (text + f". At lambda = {large['scale']:g} the model has "
            + (f"more kinks than at {small['scale']:g} in {more} of {n} seeds" if more else
               f"no more kinks than at {small['scale']:g} in any of {n} seeds")
            + " and its parameters moved "
            + (f"less, relative to their start, in {less} of {n} seeds (closer to the lazy regime)" if less else
               f"no less, relative to their start, in any of {n} seeds") + ".")


def check(cfg: Config) -> None:
    """The snapshots of one sweep (the drawn seed's ReLU runs, the only ones recorded with snapshots)
    must fit in memory; one window scale at least is swept; the last seed stays in range."""
    check_recording("record_every", cfg.record_every, cfg.epochs, cfg.record_every, 3 * cfg.width,
                    runs=len(cfg.scales), also="epochs, scales or a smaller width")
    if not any(s in cfg.scales for s in cfg.window_scales):
        raise InvalidParameter("window_scales", cfg.window_scales, f"expected at least one of scales = {cfg.scales}")
    if cfg.seed + cfg.seeds - 1 > SEED_MAX:
        raise InvalidParameter("seeds", cfg.seeds, f"expected seed + seeds - 1 <= {SEED_MAX}")


def sweep(cfg: Config, X, y, activation: str, seed: int, ctx) -> list:
    """The runs of one activation and seed over ``cfg.scales`` (one Trajectory per scale); parameter
    snapshots only for the drawn seed's ReLU runs, whose neurons the windows figure draws."""
    nets = [balanced_net(X.shape[1], cfg.width, activation, s, seed) for s in cfg.scales]
    return train_many(nets, X, y, **THESIS_LOSS, optimizer=GD(cfg.lr), steps=cfg.epochs, record_every=cfg.record_every,
                      engine=ctx.engine, on_divergence="keep", quiet=ctx.quiet,
                      snapshots=activation == "relu" and seed == cfg.seed)


def run_numbers(cfg: Config, X, traj, seed: int, scale: float, min_norm: float) -> dict:
    """One run's health, phases, final norm, ReLU kinks (of the final model on [-1.5, 3]), relative norm
    gap |norm - min_norm| / min_norm and relative parameter change ||theta_T - theta_0|| / ||theta_0||
    (theta_0 drawn again from the seed: the runs of other seeds keep no snapshots)."""
    diverged = "diverged" in traj.info
    norm = float("nan") if diverged else traj.final.norm
    theta0 = balanced_net(X.shape[1], cfg.width, traj.final.activation, scale, seed).theta
    kinks = None if diverged or traj.final.activation != "relu" else \
        len(analysis.kinks(analysis.bias_input_as_bias(traj.final), (-1.5, 3.0)))
    return {"health": traj_health(traj, cfg.fit_level), "phase": phase_summary(traj, cfg.lr, cfg.fit_level),
            "norm": norm, "kinks": kinks, "gap": abs(norm - min_norm) / min_norm,
            "move": None if diverged else float(np.linalg.norm(traj.final.theta - theta0) / np.linalg.norm(theta0))}


def over_seeds(cfg: Config, nums: dict, seeds: list) -> dict:
    """Metrics over seeds from ``nums[act][k][i]`` (:func:`run_numbers` of seed k at scale i): for each
    per-scale number KEY_seeds (per seed, a list over scales, None for a flagged run) and KEY_spread
    (per scale, :func:`analysis.spread` over the seeds), the per-seed fit-time slopes and transition
    scale with their spreads, and the flagged runs."""
    def ok(r):
        return r["health"]["status"] == "ok"

    def table(act, get):
        return [[get(r) if ok(r) else None for r in per] for per in nums[act]]

    def spread_by_scale(tab):
        return [analysis.spread([row[i] for row in tab]) for i in range(len(cfg.scales))]

    m = {"seeds": list(seeds)}
    fields = {"theta_norm": lambda r: r["norm"], "time_to_fit": lambda r: r["phase"]["fit"],
              "plateau_count": lambda r: r["phase"]["count"], "initial_plateau": lambda r: r["phase"]["initial"],
              "intermediate_plateau": lambda r: r["phase"]["intermediate"]}
    for act in ACTIVATIONS:
        for key, get in fields.items():
            m[f"{key}_{act}_seeds"] = tab = table(act, get)
            m[f"{key}_{act}_spread"] = spread_by_scale(tab)
        m[f"fit_time_slope_{act}_seeds"] = slopes = [fit_slope(cfg.scales, fits, cfg.rich_below)
                                                     for fits in m[f"time_to_fit_{act}_seeds"]]
        m[f"fit_time_slope_{act}_spread"] = analysis.spread(slopes)
    for key, get in (("kinks_relu", lambda r: r["kinks"]), ("relu_norm_gap", lambda r: r["gap"]),
                     ("relative_change_relu", lambda r: r["move"])):
        m[f"{key}_seeds"] = tab = table("relu", get)
        m[f"{key}_spread"] = spread_by_scale(tab)
    m["transition_scale_seeds"] = [transition(cfg.scales, gaps) for gaps in m["relu_norm_gap_seeds"]]
    m["transition_scale_spread"] = analysis.spread(m["transition_scale_seeds"])
    m["flagged"] = [{"activation": act, "scale": s, "seed": seed, "status": r["health"]["status"],
                     "reason": r["health"]["reason"]}
                    for act in ACTIVATIONS for seed, per in zip(seeds, nums[act]) for s, r in zip(cfg.scales, per)
                    if not ok(r)]
    return m


def _mark_flagged(ax, xs, colour, labelled: bool) -> bool:
    """An x at the top of ``ax`` above each abscissa in ``xs``: a flagged run there, left out (labelled
    in the legend when ``labelled``). Returns whether any was drawn."""
    if len(xs):
        ax.plot(xs, [0.97] * len(xs), "x", color=colour, ms=6, transform=blended_transform_factory(ax.transData,
                ax.transAxes), label="flagged run (left out)" if labelled else None, clip_on=False)
    return bool(len(xs))


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    X, y = data.thesis(cfg.dataset)
    min_norm, _ = analysis.min_norm_relu_orthogonal(X, y)
    seeds = [cfg.seed + k for k in range(cfg.seeds)]
    runs = {act: [ctx.run("train", _unit(cfg, X, y, act, s, ctx), activation=act, seed=s) for s in seeds]
            for act in ACTIVATIONS}
    nums = {act: [[run_numbers(cfg, X, t, seed, s, min_norm) for s, t in zip(cfg.scales, trajs)]
                  for seed, trajs in zip(seeds, runs[act])] for act in ACTIVATIONS}
    drawn = {act: runs[act][0] for act in ACTIVATIONS}           # the drawn seed cfg.seed
    phases = {act: [r["phase"] for r in nums[act][0]] for act in ACTIVATIONS}
    health = {f"{act} lambda = {s:g} seed {seed}": r["health"] for act in ACTIVATIONS
              for seed, per in zip(seeds, nums[act]) for s, r in zip(cfg.scales, per)}
    m = over_seeds(cfg, nums, seeds)
    scales = np.array(cfg.scales)
    flagged_at = {act: [[s for s, r in zip(cfg.scales, per) if r["health"]["status"] != "ok"] for per in nums[act]]
                  for act in ACTIVATIONS}

    fig, axes = new_figure(4, 1, width=4.4, height=3.6)
    for ax, act in zip(axes[0], ACTIVATIONS):
        tags = [status_tag(r["health"]) for r in nums[act][0]]
        for k, (s, t) in enumerate(zip(cfg.scales, drawn[act])):
            ax.plot(t.steps + 1, np.where(t.train_loss > 0, t.train_loss, np.nan), color=f"C{k % 10}",
                    ls="-" if k < 10 else "--", lw=1.2,
                    label=f"lambda = {s:g}{tags[k]}" if act == "relu" or tags[k] else None)
        ax.set_yscale("log")
        ax.set_xscale("log")
        ax.set_ylim(bottom=1e-8)
        label(ax, "epoch + 1", "training loss (1/n)", f"{act}, m = {cfg.width}, seed {cfg.seed}",
              legend=act == "relu" or any(tags), fontsize=6, ncol=2)
    small = drawn["relu"][0]
    plats = [{**p, "start": p["start"] / cfg.lr, "end": p["end"] / cfg.lr} for p in phases["relu"][0]["plateaus"]]
    loss_curve(axes[0, 3], small.steps, {f"ReLU, lambda = {cfg.scales[0]:g}": small.train_loss}, plateaus=plats,
               title="detected plateaus")
    axes[0, 3].set_ylim(bottom=1e-8)
    phases_seeds = {act: [[r["phase"] if r["health"]["status"] == "ok" else None for r in per] for per in nums[act]]
                    for act in ACTIVATIONS}
    ctx.figure(fig, "loss_by_scale", "Loss curves against the initialisation scale (thesis Figs 3.1-3.2)",
               f"Data set {cfg.dataset}, balanced initialisation of scale lambda, GD with step {cfg.lr:g}. The curves "
               f"are the drawn seed's ({cfg.seed}); the sentence counts all {len(seeds)} seeds {seeds[0]}-{seeds[-1]}, "
               "flagged runs left out. " + loss_sentence(cfg.scales, phases_seeds, cfg.rich_below)
               + " A flagged run's status is in brackets in the legend (colours as in the ReLU panel); a run that "
               "never fits has no plateaus "
               "(thesis C.1.4). Right: the smallest scale's ReLU curve with its plateaus, found by the thesis's rule "
               "(appendix C.1.4: slower than L(0)/T over windows of T/100, T the time to fit), shaded.")

    fig, axes = new_figure(3, 1, width=4.4, height=3.6)
    ax = axes[0, 0]
    marked = False
    for k, act in enumerate(ACTIVATIONS):
        mean_band(ax, scales, np.array(m[f"theta_norm_{act}_seeds"], dtype=float).T, label=act, colour=series_colour(k))
        marked |= _mark_flagged(ax, sorted({s for f in flagged_at[act] for s in f}), series_colour(k), not marked)
    ax.axhline(min_norm, color="r", ls="--", lw=1, label=f"ReLU minimum norm {min_norm:.4f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(ax, "initialisation scale lambda", "final ||theta||", "model complexity (thesis Fig 3.11)", legend=True,
          fontsize=7)
    ax = axes[0, 1]
    for k, act in enumerate(ACTIVATIONS):
        mean_band(ax, -np.log(scales), np.array(m[f"time_to_fit_{act}_seeds"], dtype=float).T, label=act,
                  colour=series_colour(k))
        _mark_flagged(ax, sorted({-np.log(s) for f in flagged_at[act] for s in f}), series_colour(k), False)
    label(ax, "-ln(lambda)", f"epochs to loss < {cfg.fit_level:g}", "time to fit", legend=True)
    ax = axes[0, 2]
    for key, colour in (("initial", "k"), ("intermediate", "C2")):
        mean_band(ax, -np.log(scales), np.array(m[f"{key}_plateau_relu_seeds"], dtype=float).T,
                  label=f"{key} plateau", colour=colour)
    _mark_flagged(ax, sorted({-np.log(s) for f in flagged_at["relu"] for s in f}), "r", True)
    label(ax, "-ln(lambda)", "length (epochs)", "ReLU plateau lengths (thesis Fig C.9)", legend=True, fontsize=7)
    i_small = int(np.argmin(scales))
    slopes = {act: m[f"fit_time_slope_{act}_seeds"] for act in ACTIVATIONS}
    ctx.figure(fig, "complexity", "Model complexity, fit time and plateau lengths against lambda",
               f"Mean over {len(seeds)} seeds (line) and their range (band); flagged runs are left out and marked by "
               f"an x at the top. Left: the final parameter norm per activation, with the minimum-norm interpolator's "
               f"norm for ReLU (closed form for orthogonal inputs). Middle: epochs to loss {cfg.fit_level:g} against "
               f"-ln(lambda) (slopes fitted for lambda <= {cfg.rich_below:g}). Right: the lengths of the automatically "
               "detected initial and intermediate plateaus of the ReLU runs (the thesis's rule of appendix C.1.4; "
               "none for a run that never fits). "
               + complexity_sentence(slopes, m["transition_scale_seeds"],
                                     [row[i_small] for row in m["relu_norm_gap_seeds"]], float(scales[i_small])))

    windows = [s for s in cfg.window_scales if s in cfg.scales]
    fig, axes = new_figure(4, len(windows), width=3.2, height=2.9)
    for row, s in enumerate(windows):
        i = list(cfg.scales).index(s)
        traj = drawn["relu"][i]
        fit = phases["relu"][i]["fit"] or int(traj.steps[-1])
        picks = [0, max(1, fit // 3), max(1, 2 * fit // 3), int(traj.steps[-1])]
        signs = np.sign(traj.a[0])
        for col, e in enumerate(picks):
            j = int(np.argmin(np.abs(traj.steps - e)))
            orientation_plane(axes[row, col], traj.net_at(j), X[:, 0], y, xlim=(-1.5, 3.0), signs=signs,
                              title=f"lambda = {s:g}, epoch {int(traj.steps[j])}" + status_tag(nums["relu"][0][i]["health"]),
                              legend=False)

    def window(s):
        i = list(cfg.scales).index(s)
        return {"scale": s, **{key: [row[i] for row in m[f"{name}_seeds"]] for key, name in
                               (("kinks", "kinks_relu"), ("gap", "relu_norm_gap"), ("move", "relative_change_relu"))}}

    ends = sorted(windows)
    ctx.figure(fig, "osn_windows", "Neurons in the orientation / signed-norm plane (thesis Figs 3.4-3.6, 3.12-3.13)",
               f"ReLU, drawn seed {cfg.seed}, one row per lambda, columns at epoch 0, one and two thirds of the time to "
               "fit, and the end. Each star is a neuron at (-w_j2/w_j1, s_j ||w_j||), the green line the model, red dots "
               "the data. " + windows_sentence(window(ends[0]), window(ends[-1]) if len(ends) > 1 else None))

    ctx.note(f"Data set {cfg.dataset}: X = {X.tolist()}, y = {y.tolist()}; m = {cfg.width}; balanced initialisation "
             f"w_j = lambda g_j, a_j = s_j ||w_j||; loss (1/n) sum (h - y)^2; GD step {cfg.lr:g}, {cfg.epochs} epochs, "
             f"seeds {seeds[0]}-{seeds[-1]} of the initial directions, one compiled sweep over the scales per "
             f"activation and seed. Each run's health is judged at the fit level {cfg.fit_level:g}. "
             + (flagged_sentence(health) or "No run is flagged."))
    slope0 = {act: m[f"fit_time_slope_{act}_seeds"][0] for act in ACTIVATIONS}
    gaps0 = [r["gap"] if r["health"]["status"] == "ok" else None for r in nums["relu"][0]]
    return json_safe({"scales": list(cfg.scales), "theta_norm_relu": [r["norm"] for r in nums["relu"][0]],
            "theta_norm_sigmoid": [r["norm"] for r in nums["sigmoid"][0]],
            "theta_norm_tanh": [r["norm"] for r in nums["tanh"][0]], "min_norm": min_norm,
            **{f"time_to_fit_{act}": [p["fit"] for p in phases[act]] for act in ACTIVATIONS},
            **{f"{key}_{act}": [p[field] for p in phases[act]] for act in ACTIVATIONS
               for key, field in (("plateau_count", "count"), ("initial_plateau", "initial"),
                                  ("intermediate_plateau", "intermediate"))},
            **{f"fit_time_slope_{act}": slope0[act] for act in ACTIVATIONS},
            "transition_scale": transition(cfg.scales, gaps0),
            "diverged": {act: [s for s, t in zip(cfg.scales, drawn[act]) if "diverged" in t.info] for act in ACTIVATIONS},
            "kinks_relu": [r["kinks"] for r in nums["relu"][0]], **m})     # NaN (a diverged norm, no spread) -> None


def _unit(cfg, X, y, act, seed, ctx):
    """The compute of the stored unit (activation ``act``, seed ``seed``)."""
    return lambda: sweep(cfg, X, y, act, seed, ctx)


register(Experiment(
    name="init-scale-transition", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis 3.1.1: on data set 1.1.0 the initialisation scale moves ReLU, Sigmoid and Tanh networks from "
                "the rich regime (plateaus, minimum-norm interpolator) to the lazy one (convex loss, larger norm).",
    config=Config, run=run, quick=QUICK,
    source="thesis, section 3.1.1, Figs 3.1-3.6, 3.11-3.13 and C.4-C.9"))

"""Seed 003, appendix C.1.4 (Figures C.9, C.10, C.12): the thesis's automatic processing of its
hyperparameter grids.

Every combination of width m, activation, initialisation (balanced or normal), scale lambda and
GD step alpha of the thesis's chapter 3 (m in {2, 10, 60, 100, 600, 1000}, lambda in {1e-10, ...,
1e2}, alpha in {1e-4, ..., 1e-1}, at most 3e5 epochs) is trained on each data set, and each run is
read as the thesis reads it: epochs T to loss < 0.01, and the plateaus found by its rule
(:func:`twolayer.analysis.fit_plateaus`; no plateau is looked for in a run that never fits). For
ReLU the start satisfies Assumption 5 (both sets S+,1 and S-,1 non-empty), as the thesis forced it.

A run stops once it has fitted (gradient descent is deterministic, so training in segments and
dropping the fitted runs gives the same curves as one long run); runs that diverge stop there and
are flagged. Stored units: one per (data set, activation, initialisation, seed), holding the loss
curve of each (m, lambda, alpha), recorded at log-spaced epochs (:func:`record_steps`) until it fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import analysis, data
from ..analysis.seeds import run_health
from ..data.thesis import quasi_key
from ..init import init_net
from ..optim import GD
from ..plots import label, new_figure
from ..plots.style import series_colour
from ..segments import train_in_segments
from ..trajectory import log_steps
from . import Experiment, register
from .base import THESIS_LOSS, param
from .budget import SEED_MAX

ORTHOGONAL = ("1.1.0", "1.1.1", "1.1.2", "1.1.4")
DELTAS = (1e-8, 1e-6, 1e-4, 1e-2, 1.0, 1e2)   # section 3.2: <x_1, x_2> = -+delta
QUASI = tuple("1.2" + quasi_key(s, d) for s in (-1, 1) for d in DELTAS)
ACTIVATIONS = ("relu", "sigmoid", "tanh")
INITS = ("balanced", "normal")
SEGMENT_ENDS = (300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000)


@dataclass
class Config:
    datasets: tuple[str, ...] = param(ORTHOGONAL + QUASI, "Data sets: orthogonal 1.1.x, quasi-orthogonal 1.2-DELTA "
                                      "(<x_1, x_2> = -DELTA) or 1.2+DELTA; the first gets Figs C.9, C.10, C.12.",
                                      choices=ORTHOGONAL + QUASI)
    widths: tuple[int, ...] = param((2, 10, 60, 100, 600, 1000), "Widths m.", ge=1, le=1000)
    activations: tuple[str, ...] = param(ACTIVATIONS, "Activations.", choices=ACTIVATIONS)
    inits: tuple[str, ...] = param(INITS, "Initialisations: balanced (w_j = lambda g_j, a_j = s_j ||w_j||) or "
                                   "normal (w_j, a_j all lambda N(0, 1)).", choices=INITS)
    scales: tuple[float, ...] = param((1e-10, 1e-8, 1e-6, 1e-4, 1e-2, 1.0, 100.0), "Initialisation scales lambda.",
                                      gt=0, le=1000)
    lrs: tuple[float, ...] = param((1e-4, 1e-3, 1e-2, 1e-1), "GD step sizes alpha.", gt=0, le=10)
    epochs: int = param(300_000, "Largest number of GD epochs of a run (the thesis: 3e5 for n = 2).", ge=10,
                        le=3_000_000)
    fit_level: float = param(0.01, "Loss (1/n) below which a run has converged (the thesis: 0.01).", gt=0, le=1)
    points: int = param(1200, "Recorded points per run, log-spaced in epochs (the plateau rule needs a spacing "
                        "below T/100 or so).", ge=50, le=20_000)
    force_assumption5: bool = param(True, "ReLU starts redrawn until S+,1 and S-,1 are non-empty (the thesis's "
                                    "footnote to Fig C.9).")
    seeds: int = param(1, "Seeds per setting (seed + k draws the start); the findings count settings.", ge=1, le=20)
    seed: int = param(0, "Random seed of the first start.", ge=0, le=SEED_MAX)


QUICK = {"datasets": ("1.1.0", "1.2-0.01"), "widths": (10, 60), "scales": (1e-8, 1e-4, 1e-2, 1.0, 100.0),
         "lrs": (1e-3, 1e-1), "epochs": 60_000, "points": 600}


def dataset(name: str):
    """(X, y) of a grid data set name (1.1.x, or 1.2-DELTA / 1.2+DELTA)."""
    if name.startswith("1.2"):
        return data.thesis("1.2", delta=float(name[4:]), sign=-1 if name[3] == "-" else 1)
    return data.thesis(name)


def record_steps(epochs: int, points: int) -> np.ndarray:
    """About ``points`` distinct epochs in [0, epochs], log-spaced (every epoch at the start)."""
    return log_steps(epochs, points)


def start(X, y, width: int, act: str, init: str, scale: float, seed: int, force: bool):
    """The initial network: thesis parametrisation (no width scaling), Assumption 5 forced for ReLU."""
    both = (X, y) if force and act == "relu" else None
    return init_net(X.shape[1], width, act, "none", init=init, scale=scale, seed=seed, require_both_signs=both)


def train_until_fit(nets, X, y, lrs, epochs: int, fit_level: float, at: np.ndarray, quiet: bool) -> list[dict]:
    """GD runs (``nets[i]`` with step ``lrs[i]``) recorded at the epochs ``at``, each stopped after the
    segment (ends :data:`SEGMENT_ENDS`) in which its loss fell below ``fit_level``, or where it diverged.

    Returns one dict per run: ``steps`` and ``loss`` (the recorded points so far), ``diverged`` (a
    reason, or "") and ``dead`` ("all m ReLU units inactive ... from step N", or "": such a network
    is constant and stops training).
    """
    flags = [{"diverged": "", "dead": ""} for _ in nets]

    def go_on(i, run, t, start, end) -> bool:
        dead = [w for w in t.info.get("warnings", []) if "inactive" in w]
        if "diverged" in t.info:
            flags[i]["diverged"] = str(t.info["diverged"])
        elif dead:
            flags[i]["dead"] = dead[0].split(":")[0]
        return not flags[i]["diverged"] and not flags[i]["dead"] and bool(np.all(t.train_loss >= fit_level))

    runs = train_in_segments(nets, X, y, optimizers=[GD(lr) for lr in lrs], record_at=at, go_on=go_on,
                             ends=[e for e in SEGMENT_ENDS if e < epochs] + [epochs], quiet=quiet, **THESIS_LOSS)
    return [{"steps": r.curve()[0], "loss": r.curve()[1], **f} for r, f in zip(runs, flags)]


def read_run(steps, loss, diverged: str, dead: str, fit_level: float) -> dict:
    """The thesis's reading of one run: epochs T to loss < fit_level (None: never), the plateaus by
    its rule (None when not fitted), the initial plateau's length (0: none) and the first
    intermediate plateau's (0: none), and the run's health (diverged, nearly diverged, not fitted)."""
    plats = analysis.fit_plateaus(steps, loss, fit_level=fit_level)
    fit = analysis.first_below(steps, loss, fit_level)
    health = run_health(loss, fit_level=None, diverged=bool(diverged))
    status = health["status"] if health["status"] != "ok" or fit is not None else "not fitted"
    reason = health["reason"] or ("" if fit is not None else (f"{dead} (a constant network)" if dead else
                                  f"loss {health['final']:.3g} above {fit_level:g} after {int(steps[-1])} epochs"))
    initial = [p for p in plats or [] if p["start"] == 0]
    later = [p for p in plats or [] if p["start"] > 0]
    return {"fit": None if fit is None else int(fit), "plateaus": None if plats is None else len(plats),
            "initial": None if plats is None else (initial[0]["end"] if initial else 0),
            "intermediate": None if plats is None else (later[0]["end"] - later[0]["start"] if later else 0),
            "status": status, "reason": reason, "peak_ratio": health["peak_ratio"],
            "recovered": health["status"] == "nearly diverged" and fit is not None}


def table(cfg: Config, units: dict, at: np.ndarray) -> list[dict]:
    """One row per run: its setting and :func:`read_run` (a run's losses are recorded at ``at[:len]``)."""
    rows = []
    for (ds, act, init, s), unit in units.items():
        grid = [(m, scale, lr) for m in cfg.widths for scale, lr in settings(cfg)]
        for (m, scale, lr), loss, gone, dead in zip(grid, unit["loss"], unit["diverged"], unit["dead"]):
            rows.append({"dataset": ds, "activation": act, "init": init, "width": m, "seed": s, "scale": scale,
                         "lr": lr, **read_run(at[:len(loss)], loss, gone, dead, cfg.fit_level)})
    return rows


def settings(cfg: Config) -> list[tuple[float, float]]:
    """The (lambda, alpha) of the runs of one unit, in order."""
    return [(s, a) for s in cfg.scales for a in cfg.lrs]


# -- findings (pure functions of the rows) ----------------------------------------------------------
def relu_rich_finding(rows, rich_max: float = 1e-4) -> dict:
    """C.9's claim: for lambda <= 1e-4 every ReLU setting converges with an initial and an
    intermediate plateau. Counts over the ReLU runs at those scales."""
    sel = [r for r in rows if r["activation"] == "relu" and r["scale"] <= rich_max]
    both = [r for r in sel if r["fit"] is not None and r["initial"] and r["intermediate"]]
    return {"runs": len(sel), "both_plateaus": len(both), "not_fitted": sum(r["fit"] is None for r in sel),
            "holds": bool(sel) and len(both) == len(sel)}


def growth_finding(rows, activation: str, rich_max: float = 1e-2) -> dict:
    """Time to fit grows as lambda falls: over the series (data set, init, width, seed, alpha) with at
    least two fitted rich scales (<= rich_max), how many have T strictly increasing as lambda falls."""
    series = {}
    for r in rows:
        if r["activation"] == activation and r["scale"] <= rich_max and r["fit"] is not None:
            series.setdefault((r["dataset"], r["init"], r["width"], r["seed"], r["lr"]), []).append((r["scale"], r["fit"]))
    ok = [sorted(v) for v in series.values() if len(v) >= 2]
    grows = [v for v in ok if all(a[1] > b[1] for a, b in zip(v, v[1:]))]
    return {"series": len(ok), "growing": len(grows)}


def stability_finding(rows, activation: str) -> dict:
    """Runs of ``activation`` that diverged or nearly diverged (loss above 100x its start), with
    their settings; the thesis calls Tanh "stable across all settings"."""
    bad = [r for r in rows if r["activation"] == activation and r["status"] in ("diverged", "nearly diverged")]
    return {"runs": sum(r["activation"] == activation for r in rows), "unstable": len(bad),
            "diverged": sum(r["status"] == "diverged" for r in bad),
            "examples": [f"{r['dataset']} m={r['width']} {r['init']} lambda={r['scale']:g} alpha={r['lr']:g}"
                         f" ({r['status']})" for r in bad[:6]]}


def init_finding(rows, activation: str = "relu", factor: float = 1.25) -> dict:
    """The thesis's L1195 claim: balanced and normal starts give very similar training, in the rich
    and the lazy regime. Over the (data set, m, lambda, alpha, seed) settings run with both: how many
    agree (both fit with the same plateau count and fit times within ``factor`` of each other, or
    neither fits) and, for those that do not, the largest fit-time ratio."""
    pairs = {}
    for r in rows:
        if r["activation"] == activation:
            pairs.setdefault((r["dataset"], r["width"], r["scale"], r["lr"], r["seed"]), {})[r["init"]] = r
    both = [p for p in pairs.values() if len(p) == 2]
    agree, ratios = 0, []
    for p in both:
        b, n = p["balanced"], p["normal"]
        if b["fit"] is None and n["fit"] is None:
            agree += 1
        elif b["fit"] is not None and n["fit"] is not None:
            ratio = max(b["fit"], n["fit"]) / max(min(b["fit"], n["fit"]), 1)
            ratios.append(ratio)
            agree += ratio <= factor and b["plateaus"] == n["plateaus"]
    return {"settings": len(both), "agree": agree, "factor": factor,
            "largest_ratio": max(ratios) if ratios else None,
            "only_one_fits": sum((p["balanced"]["fit"] is None) != (p["normal"]["fit"] is None) for p in both)}


def width_finding(rows, dataset: str, activation: str, init: str, scale: float, lr: float) -> dict:
    """Fig 3.3 (L1201): at one (lambda, alpha), how the epochs to fit change with the width m, and how
    that compares with the change over lambda (the thesis: m's influence is marginal next to
    lambda's, and a smaller m needs more epochs). ``spread_m``: max/min fit time over the widths
    at ``scale``; ``spread_lambda``: the median over widths of max/min fit time over the scales
    <= 1e-4 (the rich regime)."""
    sel = [r for r in rows if r["dataset"] == dataset and r["activation"] == activation and r["init"] == init
           and r["lr"] == lr and r["seed"] == min(q["seed"] for q in rows)]
    at = sorted((r["width"], r["fit"]) for r in sel if r["scale"] == scale and r["fit"] is not None)
    fits = [f for _, f in at]
    by_m = {}
    for r in sel:
        if r["scale"] <= 1e-4 and r["fit"] is not None:
            by_m.setdefault(r["width"], []).append(r["fit"])
    lam = [max(v) / min(v) for v in by_m.values() if len(v) >= 2]
    return {"widths": [m for m, _ in at], "fits": fits,
            "slower_when_narrower": sum(a >= b for a, b in zip(fits, fits[1:])), "pairs": max(len(fits) - 1, 0),
            "spread_m": max(fits) / min(fits) if fits else None,
            "spread_lambda": float(np.median(lam)) if lam else None}


def width_sentence(f: dict) -> str:
    """What Fig 3.3's runs say about the width."""
    if f["spread_m"] is None or f["spread_lambda"] is None:
        return "Too few fitted runs to compare the effect of m with that of lambda."
    marginal = f["spread_m"] < f["spread_lambda"]
    return (f"Fit time over the widths {f['widths']}: {f['fits']} epochs (max/min {f['spread_m']:.2f}), against "
            f"max/min {f['spread_lambda']:.2f} over lambda <= 1e-4 at fixed m: the width's effect is "
            f"{'smaller than' if marginal else 'not smaller than'} the scale's; a narrower network needs at least as "
            f"many epochs in {f['slower_when_narrower']} of {f['pairs']} neighbouring pairs.")


def init_sentence(f: dict) -> str:
    """Balanced against normal starts over the grid (the thesis, L1195: very similar everywhere)."""
    if not f["settings"]:
        return "No setting was run with both initialisations."
    text = (f"Balanced vs normal start: {f['agree']} of {f['settings']} settings agree (both fit with the same "
            f"plateau count and fit times within {f['factor']:g}x, or neither fits)")
    if f["agree"] < f["settings"]:
        text += (f"; in {f['only_one_fits']} only one of the two fits, and the largest fit-time ratio is "
                 f"{f['largest_ratio']:.3g}" if f["largest_ratio"] is not None else "")
    return text + "."


def at_largest_scale(rows, scale: float, activation: str = "relu"):
    """C.9's "for lambda = 100 the network does not converge": runs and fitted runs at ``scale``
    (None when the grid has no such scale)."""
    sel = [r for r in rows if r["activation"] == activation and r["scale"] == scale]
    return {"runs": len(sel), "fitted": sum(r["fit"] is not None for r in sel)} if sel else None


def sigmoid_low_lr(rows, lr_max: float, scale_max: float = 1e-2) -> dict | None:
    """C.10's "at low step sizes Sigmoid always reaches zero loss with an initial plateau and no
    intermediate one": the Sigmoid runs with alpha <= lr_max from a small start (lambda <=
    scale_max; a lazy start has no plateau to show), how many fit with exactly one plateau, how
    many never fit (with examples)."""
    sel = [r for r in rows if r["activation"] == "sigmoid" and r["lr"] <= lr_max and r["scale"] <= scale_max]
    if not sel:
        return None
    unfit = [r for r in sel if r["fit"] is None]
    return {"lr_max": lr_max, "scale_max": scale_max, "runs": len(sel), "one_plateau": sum(r["plateaus"] == 1 for r in sel),
            "not_fitted": len(unfit),
            "examples": "; ".join(f"m={r['width']} {r['init']} lambda={r['scale']:g} alpha={r['lr']:g}"
                                  for r in unfit[:3]) or "-"}


def relu_sentence(f: dict) -> str:
    """What C.9's claim comes to in the measured runs."""
    if not f["runs"]:
        return "No ReLU run at lambda <= 1e-4 was in the grid."
    verdict = "holds" if f["holds"] else "does not hold everywhere"
    return (f"ReLU at lambda <= 1e-4: {f['both_plateaus']} of {f['runs']} runs converge with an initial and an "
            f"intermediate plateau ({f['not_fitted']} never fit), so the thesis's claim (C.9) {verdict}.")


def stability_sentence(activation: str, f: dict) -> str:
    """Whether ``activation`` trained stably over the grid (the thesis: Tanh is stable everywhere)."""
    if not f["unstable"]:
        return f"{activation}: all {f['runs']} runs stayed stable (no divergence, no loss above 100x its start)."
    return (f"{activation}: {f['unstable']} of {f['runs']} runs were unstable ({f['diverged']} diverged), e.g. "
            + "; ".join(f["examples"]) + ".")


def growth_sentence(activation: str, f: dict) -> str:
    """How often the time to fit grows as lambda falls (rich regime)."""
    if not f["series"]:
        return f"{activation}: no series with two fitted rich-regime scales."
    share = f["growing"] / f["series"]
    how = "in every" if share == 1 else ("in most" if share >= 0.8 else "in only some")
    return (f"{activation}: the time to fit grows as lambda falls {how} series ({f['growing']} of {f['series']} "
            "(data set, init, m, seed, alpha) series with two or more fitted scales <= 1e-2).")


# -- figures ------------------------------------------------------------------------------------------
def grid_figure(cfg: Config, rows, ds: str, act: str):
    """Thesis Figs C.9/C.10/C.12 for one data set and activation: a row per width, columns T,
    initial and intermediate plateau lengths against lambda, a line per alpha (solid: balanced,
    dashed: normal); runs that never fit have no point (as in the thesis); x: diverged."""
    fig, axes = new_figure(3, len(cfg.widths), width=3.4, height=2.6)
    keys = (("fit", "epochs to loss < 0.01"), ("initial", "initial plateau (epochs)"),
            ("intermediate", "intermediate plateau (epochs)"))
    for row, m in enumerate(cfg.widths):
        for col, (key, ylabel) in enumerate(keys):
            ax = axes[row, col]
            for k, lr in enumerate(cfg.lrs):
                for init in cfg.inits:
                    sel = [r for r in rows if r["dataset"] == ds and r["activation"] == act and r["width"] == m
                           and r["lr"] == lr and r["init"] == init and r["seed"] == cfg.seed]
                    x = [r["scale"] for r in sel]
                    v = [np.nan if r[key] is None else r[key] for r in sel]
                    ax.plot(x, v, "o-" if init == "balanced" else "s--", color=series_colour(k), ms=3, lw=1,
                            label=f"alpha={lr:g}, {init}" if row == 0 and col == 0 else None)
                    bad = [r["scale"] for r in sel if r["status"] == "diverged"]
                    if bad:     # an empty unclipped line has an infinite extent, and the layout gave up
                        ax.plot(bad, [0] * len(bad), "x", color=series_colour(k), ms=6, clip_on=False)
            ax.set_xscale("log")
            ax.set_yscale("symlog", linthresh=10)
            ax.set_ylim(bottom=0)
            label(ax, "lambda" if row == len(cfg.widths) - 1 else None, ylabel if row == 0 else None,
                  f"m = {m}" if col == 0 else None)
    axes[0, 0].legend(fontsize=5, ncol=2)
    return fig


def width_figure(cfg: Config, units: dict, at: np.ndarray, scale: float, lr: float):
    """Thesis Fig 3.3: the loss curves of every width at one (lambda, alpha), balanced start, first
    data set and seed, one panel per activation."""
    fig, axes = new_figure(len(cfg.activations), 1, width=4.2, height=3.4)
    grid = [(m, s, a) for m in cfg.widths for s, a in settings(cfg)]
    for ax, act in zip(axes[0], cfg.activations):
        unit = units.get((cfg.datasets[0], act, "balanced", cfg.seed))
        if unit is None:
            continue
        for k, m in enumerate(cfg.widths):
            loss = unit["loss"][grid.index((m, scale, lr))]
            ax.plot(at[:len(loss)] + 1, loss, color=series_colour(k), lw=1.2, label=f"m = {m}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        label(ax, "epoch + 1", "training loss (1/n)", f"{act}, lambda = {scale:g}, alpha = {lr:g}", legend=True,
              fontsize=7)
    return fig


def run(cfg: Config, ctx) -> dict:
    at = record_steps(cfg.epochs, cfg.points)
    units = {}
    for ds in cfg.datasets:
        X, y = dataset(ds)
        for act in cfg.activations:
            for init in cfg.inits:
                for s in range(cfg.seed, cfg.seed + cfg.seeds):
                    def compute(X=X, y=y, act=act, init=init, s=s):
                        grid = [(m, scale, lr) for m in cfg.widths for scale, lr in settings(cfg)]
                        nets = [start(X, y, m, act, init, scale, s, cfg.force_assumption5) for m, scale, _ in grid]
                        runs = train_until_fit(nets, X, y, [lr for *_, lr in grid], cfg.epochs, cfg.fit_level, at,
                                               ctx.quiet)
                        return {"loss": [r["loss"] for r in runs], "diverged": [r["diverged"] for r in runs],
                                "dead": [r["dead"] for r in runs]}
                    units[(ds, act, init, s)] = ctx.run("grid", compute, dataset=ds, activation=act, init=init, seed=s)
    rows = table(cfg, units, at)
    first = cfg.datasets[0]
    numbers = {"C.9" if a == "relu" else ("C.10" if a == "sigmoid" else "C.12"): a for a in cfg.activations}
    for fig_id, act in numbers.items():
        ctx.figure(grid_figure(cfg, rows, first, act), f"grid_{act}",
                   f"Fit time and plateau lengths over the grid, {act} on {first} (thesis Fig {fig_id})",
                   f"Data set {first}, seed {cfg.seed}. Rows: width m; columns: epochs to loss < {cfg.fit_level:g}, "
                   "the initial plateau's length and the first intermediate plateau's, against lambda; one colour per "
                   "step alpha, solid balanced and dashed normal initialisation. Runs that never fit have no point "
                   "(no plateau is looked for in them, as in the thesis); x on the axis: diverged. "
                   + growth_sentence(act, growth_finding([r for r in rows if r["dataset"] == first], act)))
    w_scale = 1e-8 if 1e-8 in cfg.scales else min(cfg.scales)
    w_lr = 1e-3 if 1e-3 in cfg.lrs else min(cfg.lrs)
    widths = {a: width_finding(rows, first, a, "balanced" if "balanced" in cfg.inits else cfg.inits[0], w_scale, w_lr)
              for a in cfg.activations}
    if "balanced" in cfg.inits:
        ctx.figure(width_figure(cfg, units, at, w_scale, w_lr), "loss_by_width",
                   "Loss curves against the width (thesis Fig 3.3)",
                   f"Data set {first}, balanced start, lambda = {w_scale:g}, alpha = {w_lr:g}, seed {cfg.seed}; each "
                   f"curve ends once it fits. " + " ".join(f"{a}: {width_sentence(f)}" for a, f in widths.items()))
    # Figs C.9, C.10, C.12 and their claims are about the first data set (1.1.0 in the thesis); the
    # same readings over every data set are kept beside them
    fig_rows = [r for r in rows if r["dataset"] == first]
    findings = {"relu_rich": relu_rich_finding(fig_rows), "width": widths, "dataset": first,
                "init": {a: init_finding(rows, a) for a in cfg.activations} if len(cfg.inits) == 2 else None,
                "growth": {a: growth_finding(fig_rows, a) for a in cfg.activations},
                "stability": {a: stability_finding(fig_rows, a) for a in cfg.activations},
                "all_data_sets": {"count": len(cfg.datasets), "relu_rich": relu_rich_finding(rows),
                                  "growth": {a: growth_finding(rows, a) for a in cfg.activations},
                                  "stability": {a: stability_finding(rows, a) for a in cfg.activations},
                                  "sigmoid_low_lr": sigmoid_low_lr(rows, 1e-3)}}
    ctx.note(f"Grid: data sets {', '.join(cfg.datasets)}; m in {cfg.widths}; {', '.join(cfg.activations)}; "
             f"{' and '.join(cfg.inits)} initialisation; lambda in {cfg.scales}; alpha in {cfg.lrs}; at most "
             f"{cfg.epochs} epochs, a run stopping once its loss is below {cfg.fit_level:g}; {cfg.seeds} seed(s); "
             f"{len(rows)} runs. Assumption 5 {'forced' if cfg.force_assumption5 else 'not forced'} for ReLU.")
    if "relu" in cfg.activations:
        ctx.note(f"On {first} (Fig C.9): " + relu_sentence(findings["relu_rich"]) + f" Over all {len(cfg.datasets)} data "
                 "sets: " + relu_sentence(findings["all_data_sets"]["relu_rich"]))
    ctx.note(" ".join(growth_sentence(a, findings["growth"][a]) for a in cfg.activations))
    ctx.note(" ".join(stability_sentence(a, findings["stability"][a]) for a in cfg.activations))
    if findings["init"]:
        ctx.note(" ".join(f"{a}: {init_sentence(f)}" for a, f in findings["init"].items()))
    ctx.note(summary_table(cfg, rows))
    write_rows(ctx.folder / "grid.csv", rows)
    ctx.note("Every run's setting and reading (fit epoch, plateau count and lengths, status and reason): `grid.csv`.")
    findings["relu_fitted_at_100"] = at_largest_scale(fig_rows, 100.0)
    findings["sigmoid_low_lr"] = sigmoid_low_lr(fig_rows, 1e-3)
    findings["all_data_sets"]["relu_fitted_at_100"] = at_largest_scale(rows, 100.0)
    return {"findings": findings, "runs": len(rows), "epochs": cfg.epochs,
            "fitted": sum(r["fit"] is not None for r in rows),
            "status_counts": {st: sum(r["status"] == st for r in rows)
                              for st in ("ok", "not fitted", "nearly diverged", "diverged")},
            "recovered": sum(r["recovered"] for r in rows)}


def write_rows(path, rows) -> None:
    """``rows`` (dicts with the same keys) as a CSV file (empty cells for None)."""
    import csv

    with open(path, "w", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows([{k: "" if v is None else v for k, v in r.items()} for r in rows])


def summary_table(cfg: Config, rows) -> str:
    """Per data set and activation: runs, fitted, with an intermediate plateau, unstable."""
    lines = ["| data set | activation | runs | fitted | initial plateau | intermediate plateau | diverged | "
             "nearly diverged |", "|---|---|---|---|---|---|---|---|"]
    for ds in cfg.datasets:
        for act in cfg.activations:
            sel = [r for r in rows if r["dataset"] == ds and r["activation"] == act]
            lines.append(f"| {ds} | {act} | {len(sel)} | {sum(r['fit'] is not None for r in sel)} | "
                         f"{sum(bool(r['initial']) for r in sel)} | {sum(bool(r['intermediate']) for r in sel)} | "
                         f"{sum(r['status'] == 'diverged' for r in sel)} | "
                         f"{sum(r['status'] == 'nearly diverged' for r in sel)} |")
    return "\n".join(lines)


register(Experiment(
    name="thesis-grids", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis appendix C.1.4: the full grids (m, activation, init, lambda, alpha) on the orthogonal and "
                "quasi-orthogonal data sets, read by the thesis's rule (fit time, plateaus), Figs C.9, C.10, C.12.",
    config=Config, run=run, quick=QUICK,
    source="thesis, chapter 3 introduction and appendix C.1.4, Figs C.9, C.10, C.12"))

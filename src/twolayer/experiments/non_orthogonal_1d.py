"""Seed 003, section 3.3 and appendix C.3 (Figures 3.27-3.31): ReLU networks on non-orthogonal 1-D data
(inputs (x, 1)): neuron groups that grow one after another, and the final norm against the exact
minimum-norm interpolator (a linear program over neuron directions, :func:`min_norm_relu_2d`).

Every data set's sweep of scales is repeated for ``seeds`` initialisations (seed + k), each a stored
unit ``ctx.run("train", ..., dataset=, seed=)``; only the drawn seed's runs keep parameter snapshots
(the neuron figure). The rich- and lazy-regime norm gaps to the LP minimum are reported per seed with
their spread; runs that diverged, nearly diverged or did not reach the fit level are flagged and left
out with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .. import analysis, data
from ..optim import GD
from ..plots import label, mean_band, new_figure, orientation_plane
from ..plots.style import series_colour
from ..sweep import train_many
from ..analysis.seeds import flagged_sentence, spread, spread_or_none, status_tag, traj_health as health
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
    record_every: int = param(1000, "Record the loss (and, for the drawn seed, all parameters) every this many GD "
                              "steps.", ge=1, le=10_000_000)
    fit_level: float = param(1e-3, "Training loss (1/n) below which a run counts as fitted; a run that does not, "
                             "or diverges, is flagged and left out of the conclusions.", gt=0, le=1)
    rich_below: float = param(1e-2, "Largest scale counted as the rich regime (its norm compared with the minimum).",
                              gt=0, le=100)
    lazy_from: float = param(0.5, "Smallest scale counted as the lazy regime (its norm compared with the minimum).",
                             gt=0, le=100)
    seeds: int = param(5, "Seeds: seed + k (k < seeds) draws the initial directions g_j and signs s_j of every "
                       "sweep; the norm gaps are given over them, with their spread.", ge=1, le=20)
    seed: int = param(0, "Random seed of the drawn runs (whose neurons the figures show); the other seeds follow it.",
                      ge=0, le=SEED_MAX - 20)


QUICK = {"scales": (1e-3, 1e-1, 1.0), "epochs": 200_000, "record_every": 500, "seeds": 3}
BEND_TOL = 1e-2   # a final bend within this of a data abscissa counts as "at the data"


def check(cfg: Config) -> None:
    """The snapshots of the drawn seed's len(datasets) x len(scales) runs, kept until the figures, must
    fit in memory."""
    check_recording("record_every", cfg.record_every, cfg.epochs, cfg.record_every, 3 * cfg.width,
                    runs=len(cfg.datasets) * len(cfg.scales), also="epochs, scales or a smaller width")


def train_set(X, y, seed: int, snapshots: bool, cfg: Config, ctx) -> list:
    """One balanced ReLU run per scale of ``cfg.scales`` from ``seed``, in one sweep; a diverged run is
    kept, with ``info["diverged"]``."""
    nets = [balanced_net(2, cfg.width, "relu", s, seed) for s in cfg.scales]
    return train_many(nets, X, y, **THESIS_LOSS, optimizer=GD(cfg.lr), steps=cfg.epochs,
                      record_every=cfg.record_every, engine=ctx.engine, on_divergence="keep", snapshots=snapshots,
                      quiet=ctx.quiet)


def min_norm_of(X, y) -> float:
    """The exact minimum norm of a ReLU network (no output bias) interpolating (X, y), inputs (x, 1)."""
    return float(analysis.min_norm_relu_2d(X, y)[0])


def norm_gap(norms, ok, scales, keep, min_norm: float):
    """(smallest norm over the ok runs whose scale satisfies ``keep`` - min_norm) / min_norm, or None."""
    sel = [n for n, good, s in zip(norms, ok, scales) if good and keep(s)]
    return (min(sel) - min_norm) / min_norm if sel else None


def bends_at_data(net, x, tol: float = BEND_TOL) -> list[int]:
    """[bends at a data abscissa (within ``tol``), all bends] of a final model on inputs (x, 1), over
    [min x - 1, max x + 1]."""
    k = analysis.kinks(analysis.bias_input_as_bias(net), (float(np.min(x)) - 1, float(np.max(x)) + 1), merge=1e-3)
    return [int(sum(np.min(np.abs(np.asarray(x) - b)) < tol for b in k)), int(len(k))]


def shown_index(status: list, scales, rich_below: float) -> int:
    """The run the neuron figure shows: the smallest ok scale <= rich_below, else the smallest ok scale,
    else the smallest scale."""
    ok = [i for i, h in enumerate(status) if h == "ok"]
    rich = [i for i in ok if scales[i] <= rich_below]
    return (rich or ok or [0])[0]


# -- sentences: pure functions of the measured numbers -------------------------------------------
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


def _pct(s: dict) -> str:
    return f"+{100 * s['mean']:.1f}% +- {100 * s['sd']:.1f}% (range {100 * s['lo']:.1f}-{100 * s['hi']:.1f}%, n = {s['n']})"


def norms_seeds_sentence(rich: dict, lazy: dict, rich_below: float, lazy_from: float, tol: float = 0.1) -> str:
    """The norm gaps to the LP minimum over seeds, per data set ({name: [gap or None per seed]} for the
    rich regime, lambda <= rich_below, and the lazy one, lambda >= lazy_from): whether the rich norm is
    within ``tol`` of the minimum in every seed, and whether the lazy norm exceeds the rich one in every
    seed that has both (the thesis's Fig 3.27: lower complexity at small lambda)."""
    parts = []
    for name in rich:
        r = [g for g in rich[name] if g is not None]
        z = [g for g in lazy.get(name, []) if g is not None]
        text = f"{name}: "
        if r:
            within = sum(g < tol for g in r)
            text += (f"rich (lambda <= {rich_below:g}) {_pct(spread(r))}, "
                     + (f"within {100 * tol:g}% of the minimum in every seed" if within == len(r) else
                        f"within {100 * tol:g}% in {within} of {len(r)} seeds"))
            if len(r) < len(rich[name]):
                text += f" ({len(rich[name]) - len(r)} of {len(rich[name])} seeds have no fitted rich run)"
        else:
            text += f"no fitted rich run (lambda <= {rich_below:g}) in any seed"
        if z:
            text += f"; lazy (lambda >= {lazy_from:g}) {_pct(spread(z))}"
        pairs = [(a, b) for a, b in zip(rich[name], lazy.get(name, [])) if a is not None and b is not None]
        if pairs:
            above = sum(b > a for a, b in pairs)
            text += (", above the rich norm in every seed (lower complexity at small lambda)" if above == len(pairs)
                     else f", above the rich norm in {above} of {len(pairs)} seeds only")
        parts.append(text)
    return "Norm above the minimum, mean +- sd over seeds: " + "; ".join(parts) + "."


def plateaus_seeds_sentence(counts: dict, scale: float) -> str:
    """Plateau counts at the smallest scale over seeds ({name: [count or None per seed]}): several
    plateaus (>= 2: saddle to saddle) in how many fitted seeds, per data set."""
    parts = []
    for name, cs in counts.items():
        ok = [c for c in cs if c is not None]
        if not ok:
            parts.append(f"{name}: no run fitted")
            continue
        many = sum(c >= 2 for c in ok)
        parts.append(f"{name}: {ok} ("
                     + ("saddle to saddle in every fitted seed" if many == len(ok) else
                        "fewer than two plateaus in every fitted seed" if many == 0 else
                        f">= 2 plateaus in {many} of {len(ok)} fitted seeds") + ")")
    return f"Plateaus at lambda = {scale:g}: " + "; ".join(parts) + "."


def bends_sentence(bends: dict, tol: float = BEND_TOL) -> str:
    """Where the final models of the shown (smallest fitted rich) scale bend, over seeds ({name: [[at
    data, all] or None per seed]}): only at the data abscissas (the linear interpolation of the data)
    or also elsewhere."""
    parts = []
    for name, bs in bends.items():
        ok = [b for b in bs if b is not None]
        if not ok:
            parts.append(f"{name}: no fitted rich run")
            continue
        at, total = sum(b[0] for b in ok), sum(b[1] for b in ok)
        parts.append(f"{name}: {at} of {total} bends over {len(ok)} seeds within {tol:g} of a data abscissa"
                     + (" (bends only at the data)" if at == total else " (some bends away from the data)"))
    return "Final bends of the smallest fitted rich run: " + "; ".join(parts) + "."


def rows_sentence(shown: dict, rich_below: float) -> str:
    """Which run each row shows ({name: (scale, status)}): in the rich regime or not, flagged or not."""
    return "Rows: " + "; ".join(
        f"{n} at lambda = {s:g} (" + ("rich regime" if s <= rich_below else f"above the rich regime, lambda > "
                                      f"{rich_below:g}: no rich run fitted") + ("" if st == "ok" else f"; {st}") + ")"
        for n, (s, st) in shown.items()) + "."


# -- per-seed summary ---------------------------------------------------------------------------
def seed_summary(X, trajs: list, min_norm: float, cfg: Config) -> dict:
    """One seed's sweep on one data set: health, norms, plateau counts (None when flagged), the rich
    and lazy norm gaps, and the bends of the smallest fitted rich run ([at data, all] or None)."""
    hs = [health(t, cfg.fit_level) for t in trajs]
    ok = [h["status"] == "ok" for h in hs]
    norms = [t.final.norm for t in trajs]
    rich = [i for i, (good, s) in enumerate(zip(ok, cfg.scales)) if good and s <= cfg.rich_below]
    return {"health": hs, "norms": norms,
            "plateaus": [len(analysis.fit_plateaus(t.times, t.train_loss) or []) if good else None for t, good in zip(trajs, ok)],
            "rich_gap": norm_gap(norms, ok, cfg.scales, lambda s: s <= cfg.rich_below, min_norm),
            "lazy_gap": norm_gap(norms, ok, cfg.scales, lambda s: s >= cfg.lazy_from, min_norm),
            "bends": bends_at_data(trajs[rich[0]].final, X[:, 0]) if rich else None}


def norms_figure(cfg: Config, ctx, seeds, runs, sums, min_norms, every) -> None:
    """Fig 3.27 (norm against lambda, band over seeds), the norm gaps per data set, and the drawn seed's
    loss curves (Fig 3.30)."""
    drawn = cfg.seed
    fig, axes = new_figure(len(cfg.datasets) + 2, 1, width=4.2, height=3.5)
    ax = axes[0, 0]
    for k, name in enumerate(cfg.datasets):
        col = series_colour(k)
        vals = [[sums[s][name]["norms"][i] if sums[s][name]["health"][i]["status"] == "ok" else np.nan for s in seeds]
                for i in range(len(cfg.scales))]
        if np.isfinite(vals).any():
            mean_band(ax, cfg.scales, vals, label=f"{name} (mean, range)", colour=col, marker="")
        norms = np.array(sums[drawn][name]["norms"])
        ok = np.array([h["status"] == "ok" for h in sums[drawn][name]["health"]])
        ax.plot(np.array(cfg.scales)[ok], norms[ok], "o", color=col, ms=4)
        ax.plot(np.array(cfg.scales)[~ok], norms[~ok], "o", mfc="none", color=col, ms=5)
        ax.axhline(min_norms[name], color=col, ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(ax, "initialisation scale lambda", "final ||theta||", "norm vs minimum norm (dotted)", legend=True, fontsize=6)
    ax = axes[0, 1]
    for j, (key, name_, col) in enumerate((("rich_gap", f"rich, lambda <= {cfg.rich_below:g}", "tab:blue"),
                                           ("lazy_gap", f"lazy, lambda >= {cfg.lazy_from:g}", "tab:red"))):
        labelled = False
        for k, name in enumerate(cfg.datasets):
            v = [sums[s][name][key] for s in seeds if sums[s][name][key] is not None]
            x = k + (0.15 if j else -0.15)
            if v:
                st = spread(v)
                ax.plot([x] * len(v), np.maximum(v, 1e-6), ".", color="0.5", ms=4)
                ax.errorbar(x, max(st["mean"], 1e-6), yerr=[[max(st["mean"], 1e-6) - max(st["lo"], 1e-6)],
                                                             [max(st["hi"], 1e-6) - max(st["mean"], 1e-6)]],
                            fmt="os"[j], color=col, capsize=3, label=None if labelled else name_)
                labelled = True
            missing = len(seeds) - len(v)
            if missing:
                ax.annotate(f"{missing} seed(s)\nnot fitted", (x, 0.02), xycoords=("data", "axes fraction"),
                            ha="center", fontsize=6, color=col)
    ax.axhline(0.1, color="0.4", ls="--", lw=1, label="10% above the minimum")
    ax.set_xticks(range(len(cfg.datasets)), cfg.datasets)
    ax.set_yscale("log")
    label(ax, "data set", "(||theta|| - min) / min", "norm gap over seeds (mean, range)", legend=True, fontsize=6)
    for ax, name in zip(axes[0, 2:], cfg.datasets):
        for k, (s, t, h) in enumerate(zip(cfg.scales, runs[drawn][name], sums[drawn][name]["health"])):
            ax.plot(t.steps + 1, np.where(t.train_loss > 0, t.train_loss, np.nan), color=f"C{k % 10}",
                    ls="-" if h["status"] == "ok" else "--", label=f"lambda = {s:g}{status_tag(h)}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(bottom=1e-8)
        label(ax, "epoch + 1", "training loss (1/n)", f"data set {name}, seed {drawn}", legend=True, fontsize=6)
    rich = {n: [sums[s][n]["rich_gap"] for s in seeds] for n in cfg.datasets}
    lazy = {n: [sums[s][n]["lazy_gap"] for s in seeds] for n in cfg.datasets}
    ctx.figure(fig, "norms_and_losses", "Non-orthogonal 1-D data: model complexity and loss (thesis Figs 3.27, 3.30)",
               f"ReLU, m = {cfg.width}, balanced initialisation, GD step {cfg.lr:g} for {cfg.epochs} epochs, "
               f"{len(seeds)} seeds. Left: the final parameter norm per scale, mean and range over the fitted seeds "
               f"(band), seed {drawn}'s runs as markers (open: flagged); dotted: the minimum-norm interpolator's norm "
               "from the linear program over neuron directions. Second: the smallest fitted norm's gap to that minimum "
               "in the rich and the lazy regime, every seed (grey) with mean and range. Right: seed "
               f"{drawn}'s loss curves (dashed: flagged runs). Seed {drawn}: "
               + rich_norm_sentence({n: sums[drawn][n]["rich_gap"] for n in cfg.datasets}, cfg.rich_below) + " "
               + norms_seeds_sentence(rich, lazy, cfg.rich_below, cfg.lazy_from) + " "
               + plateaus_seeds_sentence({n: [sums[s][n]["plateaus"][0] for s in seeds] for n in cfg.datasets},
                                         cfg.scales[0]) + " " + flagged_sentence(every))


def neurons_figure(cfg: Config, ctx, seeds, runs, sums) -> None:
    """Figs 3.28, 3.31: the drawn seed's neurons of one run per data set at five stages of the fit."""
    drawn = cfg.seed
    fig, axes = new_figure(5, len(cfg.datasets), width=3.2, height=2.9)
    shown = {}
    for row, name in enumerate(cfg.datasets):
        X, y = data.thesis(name)
        status = [h["status"] for h in sums[drawn][name]["health"]]
        k = shown_index(status, cfg.scales, cfg.rich_below)
        t, h = runs[drawn][name][k], sums[drawn][name]["health"][k]
        shown[name] = (cfg.scales[k], h["status"])
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
    ctx.figure(fig, "neuron_groups", "Neuron groups grow one after another (thesis Figs 3.28, 3.31)",
               f"Seed {drawn}; for each data set the smallest fitted scale in the rich regime (lambda <= "
               f"{cfg.rich_below:g}; else the smallest fitted scale), at epochs where the loss first falls below 90, "
               "50, 20 and 5% of its start and at the end. " + rows_sentence(shown, cfg.rich_below) + " "
               + bends_sentence({n: [sums[s][n]["bends"] for s in seeds] for n in cfg.datasets}) + " The thesis "
               "reports that the neurons first align on a few directions while small, then groups grow in turn, each "
               "fitting some points, and some groups change direction together as they grow: compare the panels.")


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    seeds = [cfg.seed + k for k in range(cfg.seeds)]
    runs, sums, min_norms = {s: {} for s in seeds}, {s: {} for s in seeds}, {}
    for name in cfg.datasets:
        X, y = data.thesis(name)
        min_norms[name] = ctx.run("min_norm", partial(min_norm_of, X, y), dataset=name)
        for s in seeds:
            runs[s][name] = ctx.run("train", partial(train_set, X, y, s, s == cfg.seed, cfg, ctx), dataset=name, seed=s)
            sums[s][name] = seed_summary(X, runs[s][name], min_norms[name], cfg)
    every = {f"seed {s}, {name}, lambda = {sc:g}": h for s in seeds for name in cfg.datasets
             for sc, h in zip(cfg.scales, sums[s][name]["health"])}
    norms_figure(cfg, ctx, seeds, runs, sums, min_norms, every)
    neurons_figure(cfg, ctx, seeds, runs, sums)

    drawn = sums[cfg.seed]
    out = {"scales": list(cfg.scales), "seeds": seeds,
           "theta_norm": {n: drawn[n]["norms"] for n in cfg.datasets}, "min_norm": min_norms,
           "final_loss": {n: [float(t.train_loss[-1]) for t in runs[cfg.seed][n]] for n in cfg.datasets},
           "fitted": {n: [bool(t.train_loss[-1] < cfg.fit_level) and "diverged" not in t.info for t in runs[cfg.seed][n]]
                      for n in cfg.datasets},
           "plateau_count": {n: drawn[n]["plateaus"] for n in cfg.datasets},
           "rich_norm_gap": {n: drawn[n]["rich_gap"] for n in cfg.datasets},
           "lazy_norm_gap": {n: drawn[n]["lazy_gap"] for n in cfg.datasets},
           "health": {n: [h["status"] for h in drawn[n]["health"]] for n in cfg.datasets},
           "excluded": {f"{n}, lambda = {sc:g}": h["reason"] for n in cfg.datasets
                        for sc, h in zip(cfg.scales, drawn[n]["health"]) if h["status"] != "ok"}}
    for key in ("rich_norm_gap", "lazy_norm_gap"):
        field = key.split("_")[0] + "_gap"
        out[key + "_seeds"] = {n: [sums[s][n][field] for s in seeds] for n in cfg.datasets}
        out[key + "_spread"] = {n: spread_or_none(out[key + "_seeds"][n]) for n in cfg.datasets}
    out["theta_norm_seeds"] = {n: [[sums[s][n]["norms"][i] if sums[s][n]["health"][i]["status"] == "ok" else None
                                    for s in seeds] for i in range(len(cfg.scales))] for n in cfg.datasets}
    out["theta_norm_spread"] = {n: [spread_or_none(v) for v in out["theta_norm_seeds"][n]] for n in cfg.datasets}
    out["plateau_count_seeds"] = {n: [[sums[s][n]["plateaus"][i] for s in seeds] for i in range(len(cfg.scales))]
                                  for n in cfg.datasets}
    out["bends_at_data_seeds"] = {n: [sums[s][n]["bends"] for s in seeds] for n in cfg.datasets}
    out["health_seeds"] = {n: [[sums[s][n]["health"][i]["status"] for s in seeds] for i in range(len(cfg.scales))]
                           for n in cfg.datasets}
    out["excluded_seeds"] = {k: h["reason"] for k, h in every.items() if h["status"] != "ok"}
    ctx.note(norms_seeds_sentence({n: out["rich_norm_gap_seeds"][n] for n in cfg.datasets},
                                  {n: out["lazy_norm_gap_seeds"][n] for n in cfg.datasets}, cfg.rich_below,
                                  cfg.lazy_from))
    return out


register(Experiment(
    name="non-orthogonal-1d", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis 3.3: ReLU networks on non-orthogonal 1-D data sets 1.3.1-1.3.3: sequential growth of neuron "
                "groups, and the final norm against the exact minimum-norm interpolator (LP over directions), over "
                "several seeds.",
    config=Config, run=run, quick=QUICK,
    source="thesis, section 3.3 and appendix C.3, Figs 3.27-3.31"))

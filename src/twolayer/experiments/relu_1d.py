"""Seed 001: a two-layer ReLU network on a 1D data set, the six directions (a-f) of the sheet, and the
two-page report with the answers to Q1-Q4.

Model f(x) = (1/m) sum_j a_j relu(b_j x + c_j), loss L = 1/(2n) sum (f(x_i) - y_i)^2, optional
weight decay (lambda/2) ||w||^2, a_j ~ N(0, alpha_outer), b_j, c_j ~ N(0, alpha_inner) (variances).
Step sizes follow the mean-field convention lr = eta * m, so that widths compare at equal time;
every run's step is also capped at half of 2/lambda_max of the loss Hessian at its initialisation.
Every training goes through ``ctx.run`` (stored, reused by ``twolayer redraw``); direction (a) runs
``seeds`` seeds (initialisation and minibatch order) and its conclusion is computed from them.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .. import data
from ..analysis import kink_jumps, merged_kinks, relu_interpolant, run_health, spread, stable_lr, top_eigenvalue
from ..data.files import content_hash
from ..data.relu_1d import NOISE_STD
from ..errors import DivergenceError, InvalidParameter, TwolayerWarning
from ..init import init_net
from ..net import Net
from ..objective import Objective
from ..optim import GD, SGD
from ..plots import label, mean_band, predictor_1d, train_test_curves
from ..plots.style import series_colour
from ..sweep import run_prepared, train_many
from ..train import prepare, train
from ..trajectory import log_steps
from . import Experiment, register
from .base import param
from .budget import SEED_MAX
from .relu_1d_report import (min_interior_kinks, needed_width, q1_text, q2_text, q3_text, q4_text,
                             sparse_interpolant, swap_midpoint_loss, write_report_pdf)


@dataclass
class Config:
    width: int = param(100, "Number of hidden neurons m of directions (a), (b), (e) and (f).", ge=1, le=10_000)
    eta: float = param(0.02, "Per-neuron step: lr = eta * m (capped at half of 2/lambda_max at initialisation).",
                       gt=0, le=100)
    epochs: int = param(200_000, "Epochs of directions (a), (b), (c) and (f) (GD steps; SGD runs n/batch steps "
                        "per epoch).", ge=1, le=2_000_000)
    alpha_inner: float = param(1.0, "Variance of the inner weights b_j and biases c_j at initialisation.", gt=0,
                               le=1e4)
    alpha_outer: float = param(1.0, "Variance of the outer weights a_j at initialisation.", gt=0, le=1e4)
    batch_sizes: tuple[int, ...] = param((1, 5, 15), "SGD minibatch sizes of direction (a), at most the number of "
                                         "training points (30 in the stand-in set).", ge=1, le=100_000)
    seeds: int = param(5, "Seeds of direction (a): seed + k (k < seeds) draws both the initialisation and the SGD "
                       "minibatch order.", ge=1, le=100)
    scales: tuple[float, ...] = param((1e-4, 1e-2, 1.0, 1e2), "Initial variances of the alpha_inner x alpha_outer "
                                      "grid of direction (b).", gt=0, le=1e4)
    rf_width: int = param(1000, "Width of the frozen-inner-layer comparison, direction (c).", ge=1, le=100_000)
    widths: tuple[int, ...] = param((5, 20, 100, 1000, 10_000), "Widths m of direction (d).", ge=1, le=100_000)
    width_epochs: int = param(50_000, "GD steps of direction (d).", ge=1, le=5_000_000)
    lr_factors: tuple[float, ...] = param((0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0), "Step sizes of "
                                          "direction (e), in units of 2/lambda_max at initialisation.", gt=0, le=1e4)
    lr_steps: int = param(20_000, "GD steps of each run of direction (e).", ge=1, le=2_000_000)
    bisections: int = param(10, "Bisection steps for the largest stable step of direction (e) (0: none).", ge=0,
                            le=100)
    weight_decays: tuple[float, ...] = param((0.0, 1e-6, 1e-5, 1e-4, 1e-3), "Weight decay coefficients lambda of "
                                             "direction (f) (penalty (lambda/2) ||w||^2).", ge=0, le=100)
    kink_tol: float = param(0.01, "Kinks count when they move f by over kink_tol x its range on the data interval; "
                            "f is constant (no kinks) when that range is below kink_tol x the labels' range.", gt=0,
                            le=1)
    zero_steps: int = param(1000, "GD and SGD steps from the zero initialisation (Q4).", ge=1, le=1_000_000)
    data_dir: str | None = param(None, "Folder holding train.csv and test.csv (header x,y), e.g. the course's data/ "
                                 "(free text; none: the generated stand-in set of tl.data.relu_1d).")
    seed: int = param(0, "Random seed of the initialisation and of the minibatches (direction (a): the first of "
                      "its seeds).", ge=0, le=SEED_MAX - 100)


QUICK = {"epochs": 20_000, "seeds": 3, "scales": (1e-4, 1.0, 1e2), "rf_width": 300, "widths": (5, 20, 100, 1000),
         "width_epochs": 10_000, "lr_steps": 5_000, "bisections": 5, "lr_factors": (0.03, 0.3, 3.0, 30.0, 100.0),
         "weight_decays": (0.0, 1e-5, 1e-4, 1e-3), "zero_steps": 200}


@dataclass
class Direction:
    """One direction of the sheet: its panels (functions drawing on an Axes), caption, the shorter
    caption of the two-page report, its computed conclusion, metrics, and what Q1-Q4 quote."""

    name: str
    title: str
    caption: str
    short: str
    conclusion: str
    draws: list[Callable] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    keep: dict = field(default_factory=dict)


@dataclass
class Data:
    X: np.ndarray
    y: np.ndarray
    Xt: np.ndarray
    yt: np.ndarray
    tag: str            # content hash: part of every stored run's settings
    source: str


def load_data(cfg: Config) -> Data:
    """The training and test sets: the stand-in set, or ``cfg.data_dir``'s train.csv and test.csv."""
    if cfg.data_dir is None:
        X, y, Xt, yt = data.relu_1d()
        source = ("the stand-in set of tl.data.relu_1d (x ~ U[-2, 2], y = sin(3x) + 0.3x + N(0, 0.15^2); the best "
                  f"possible test loss is {NOISE_STD ** 2 / 2:.4g})")
    else:
        folder = Path(cfg.data_dir).expanduser()
        if not folder.is_dir():
            raise InvalidParameter("data_dir", cfg.data_dir, "no such folder; expected a folder holding train.csv "
                                   "and test.csv (header x,y), e.g. the course's data/")
        X, y, Xt, yt = data.relu_1d(data_dir=folder)
        source = f"the files train.csv and test.csv of {folder}"
    return Data(X, y, Xt, yt, content_hash(X, y, Xt, yt), source)


def network(cfg, m=None, inner=None, outer=None, seed=None):
    return init_net(1, m or cfg.width, "relu", "mean-field", bias=True, init="gaussian",
                    scale=cfg.alpha_inner if inner is None else inner,
                    outer_scale=cfg.alpha_outer if outer is None else outer, scale_as="variance",
                    seed=cfg.seed if seed is None else seed)


def eigen_method(obj: Objective) -> str:
    """Lanczos on Hessian-vector products (fast and accurate here, where power iteration can take
    10^4 steps at tiny initialisations), dense for the few-parameter networks it cannot handle."""
    return "lanczos" if int(np.count_nonzero(obj.mask)) > 8 else "dense"


def safe_lr(cfg, net, X, y, trainable=("a", "W", "c")) -> float:
    """eta * m, capped at half of 2/lambda_max at initialisation."""
    obj = Objective(net, X, y, trainable=trainable)
    return min(cfg.eta * net.m, 0.5 * stable_lr(obj, net.theta, method=eigen_method(obj)))


def curves(runs: dict, per_epoch: dict | None = None) -> dict:
    """{label: (epochs, train, test)} for :func:`train_test_curves`."""
    per_epoch = per_epoch or {}
    return {k: (r.steps / per_epoch.get(k, 1), r.train_loss, r.test_loss) for k, r in runs.items()}


def finals(runs: dict):
    return ([float(r.train_loss[-1]) for r in runs.values()], [float(r.test_loss[-1]) for r in runs.values()])


# -- kinks ---------------------------------------------------------------------------------------
def kink_count(net, X, y, tol: float = 0.01, merge: float = 0.01) -> dict:
    """The kinks of a scalar ReLU network that visibly bend it on the data interval [lo, hi].

    Neuron kinks inside (lo, hi) closer than ``merge * (hi - lo)`` are merged (chained), their slope
    changes summed. With R = max f - min f on [lo, hi] (exact: f is piecewise linear, so its extremes
    sit at kinks or ends), a merged kink with slope change Delta counts when
    |Delta| (hi - lo) > tol * R: it moves f by a visible fraction of its own range. When
    R <= tol * (max y - min y) the predictor is constant at the labels' scale and has no kinks.

    Returns
    -------
    dict
        ``n`` (count), ``positions`` (list), ``range`` (R) and ``constant`` (bool).
    """
    x = np.asarray(X, dtype=float).reshape(-1)
    lo, hi = float(x.min()), float(x.max())
    pos = kink_jumps(net)[0]
    values = net(np.r_[lo, pos[(pos > lo) & (pos < hi)], hi][:, None])   # f is linear between kinks
    centre, total = merged_kinks(net, lo, hi, merge, closed=False)
    width = float(values.max() - values.min())
    constant = bool(width <= tol * float(np.ptp(y)))
    if constant or not centre.size:
        return {"n": 0, "positions": [], "range": width, "constant": constant}
    strong = np.abs(total) * (hi - lo) > tol * width
    return {"n": int(strong.sum()), "positions": centre[strong].tolist(), "range": width, "constant": False}


def predictors(ax, nets: dict, D: Data, tol: float, title: str):
    """:func:`predictor_1d` with the kinks of :func:`kink_count` as dots."""
    predictor_1d(ax, nets, D.X, D.y, D.Xt, D.yt, title=title, show_kinks=False)
    for i, net in enumerate(nets.values()):
        k = np.array(kink_count(net, D.X, D.y, tol)["positions"])
        if k.size:
            ax.plot(k, net(k[:, None]), "o", ms=3.5, mfc="white", mec=series_colour(i), zorder=4)
    return ax


def kinks_text(info: dict) -> str:
    return "constant" if info["constant"] else str(info["n"])


# -- (a) GD vs SGD over seeds ----------------------------------------------------------------------
def record_points(epochs: int) -> np.ndarray:
    """Log-spaced epochs plus 31 evenly spaced ones in the last tenth (for the end-of-run noise)."""
    tail = np.linspace(int(0.9 * epochs), epochs, 31).round().astype(np.int64)
    return np.union1d(log_steps(epochs, 150), tail)


def end_noise(traj, per_epoch: int, epochs: int) -> float:
    """The relative fluctuation of the training loss over the last tenth of training: the standard
    deviation of log L around its least-squares line in epochs, over the points recorded there."""
    e = traj.steps / per_epoch
    sel = (e >= 0.9 * epochs) & np.isfinite(traj.train_loss) & (traj.train_loss > 0)
    if sel.sum() < 3:
        return math.nan
    v = np.log(traj.train_loss[sel])
    resid = v - np.polyval(np.polyfit(e[sel], v, 1), e[sel])
    return float(np.sqrt(np.sum(resid ** 2) / (sel.sum() - 2)))


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def gd_vs_sgd_sentence(final: dict) -> str:
    """Which optimiser ends at the lower training loss, by how much, and whether the difference
    exceeds the seed spread.

    Parameters
    ----------
    final : {label: final training losses over seeds}, the first label GD's, the others SGD's; NaN
        (or None) marks an excluded run.
    """
    labels = list(final)
    gd_label, sgd = labels[0], labels[1:]
    S = {k: spread(v) for k, v in final.items()}
    gd = S[gd_label]
    ok = [k for k in sgd if S[k]["n"] and gd["n"]]
    if not ok:
        return "No finished run on one side: GD and SGD cannot be compared."
    lower = [k for k in ok if S[k]["mean"] < gd["mean"]]
    higher = [k for k in ok if k not in lower]
    if not higher:
        head = f"SGD ends at a lower training loss than {gd_label} at every batch size"
    elif not lower:
        head = f"{gd_label} ends at a lower training loss than SGD at every batch size"
    else:
        head = f"SGD ends lower than {gd_label} with {_join(lower)} and higher with {_join(higher)}"
    change = "; ".join(f"{k} {100 * (S[k]['mean'] / gd['mean'] - 1):+.0f}%" for k in ok)
    beyond = [k for k in ok if S[k]["hi"] < gd["lo"] or S[k]["lo"] > gd["hi"]]
    if min(S[k]["n"] for k in [gd_label, *ok]) < 2:
        tail = "one seed only, so the seed spread is unknown"
    elif not beyond:
        tail = f"every SGD seed range overlaps {gd_label}'s: these seeds do not order the two"
    elif len(beyond) == len(ok):
        tail = f"no SGD seed range overlaps {gd_label}'s: the difference exceeds the seed spread"
    else:
        tail = (f"only {_join(beyond)} lie{'s' if len(beyond) == 1 else ''} outside {gd_label}'s seed range; "
                "the others are within the seed spread")
    return f"{head} (mean over seeds, relative to {gd_label}: {change}); {tail}."


def noise_sentence(noise: dict) -> str:
    """Whether SGD's loss fluctuates more than GD's at the end. ``noise`` = {label: fluctuations
    over seeds (:func:`end_noise`)}, the first label GD's."""
    labels = list(noise)
    m = {k: spread(v)["mean"] for k, v in noise.items()}
    gd_label, sgd = labels[0], [k for k in labels[1:] if np.isfinite(m[k])]
    if not sgd or not np.isfinite(m[gd_label]):
        return ""
    noisier = [k for k in sgd if m[k] > 2 * m[gd_label]]
    verdict = ("SGD's loss is noisier than GD's at every batch size" if len(noisier) == len(sgd) else
               "SGD's loss is not noisier than GD's" if not noisier else f"only {_join(noisier)} is noisier than GD")
    return ("Over the last tenth of training the loss fluctuates around its trend by "
            + ", ".join(f"{k} {100 * m[k]:.2g}%" for k in labels if np.isfinite(m[k]))
            + f" (sd of log L, mean over seeds): {verdict} (more than twice its fluctuation).")


def train_optimisers(nets, D: Data, lrs, seeds, per_epoch: dict, epochs: int, engine: str) -> dict:
    """{label: one Trajectory per seed} of GD and of SGD at each batch size ("SGD, batch B", with
    per_epoch[label] steps an epoch), for ``epochs`` epochs: every run in one sweep, the longest
    first, so the cores stay busy."""
    specs, keys = [], []
    rec = record_points(epochs)
    for name, pe in per_epoch.items():
        batch = None if name == "GD" else int(name.rsplit(" ", 1)[1])
        for net, lr, seed in zip(nets, lrs, seeds):
            opt = GD(lr) if batch is None else SGD(lr, batch)
            specs.append(prepare(net, D.X, D.y, optimizer=opt, seed=seed, steps=epochs * pe, record_at=rec * pe,
                                 X_test=D.Xt, y_test=D.yt, snapshots=False, engine=engine, quiet=True))
            keys.append(name)
    order = sorted(range(len(specs)), key=lambda i: -per_epoch[keys[i]])        # most steps first
    trajs = run_prepared([specs[i] for i in order], on_divergence="keep", quiet=True)
    runs = {name: [] for name in per_epoch}
    for i, traj in sorted(zip(order, trajs), key=lambda it: it[0]):
        runs[keys[i]].append(traj)
    return runs


def gd_vs_sgd(cfg, ctx, D: Data) -> Direction:
    X, y = D.X, D.y
    seeds = [cfg.seed + k for k in range(cfg.seeds)]
    nets = [network(cfg, seed=s) for s in seeds]
    lrs = [safe_lr(cfg, n, X, y) for n in nets]
    per_epoch = {"GD": 1, **{f"SGD, batch {B}": math.ceil(len(y) / B) for B in cfg.batch_sizes}}
    runs = ctx.run("gd_vs_sgd", functools.partial(train_optimisers, nets, D, lrs, seeds, per_epoch, cfg.epochs,
                                                  ctx.engine), data=D.tag)
    health = {k: [run_health(t.train_loss, diverged="diverged" in t.info) for t in ts] for k, ts in runs.items()}
    good = {k: [h["status"] == "ok" for h in hs] for k, hs in health.items()}
    final = {k: [float(t.train_loss[-1]) if g else math.nan for t, g in zip(ts, good[k])] for k, ts in runs.items()}
    test = {k: [float(t.test_loss[-1]) if g else math.nan for t, g in zip(ts, good[k])] for k, ts in runs.items()}
    noise = {k: [end_noise(t, per_epoch[k], cfg.epochs) if g else math.nan for t, g in zip(ts, good[k])]
             for k, ts in runs.items()}
    excluded = [f"{k}, seed {s}: {h['reason']}" for k, hs in health.items() for s, h in zip(seeds, hs)
                if h["status"] != "ok"]
    sentence = gd_vs_sgd_sentence(final)
    noisy = noise_sentence(noise)
    S = {k: spread(v) for k, v in final.items()}
    St = {k: spread(v) for k, v in test.items()}
    summary = "; ".join(f"{k} {S[k]['mean']:.3g} +- {S[k]['sd']:.2g} / {St[k]['mean']:.3g} +- {St[k]['sd']:.2g}"
                        for k in runs)
    excl = (" Excluded: " + "; ".join(excluded) + ".") if excluded else " No run diverged or nearly diverged."
    labels = list(runs)
    short = {k: k.replace("SGD, batch ", "B = ") for k in labels}

    def loss_bands(ax):
        for i, k in enumerate(labels):
            ts = [t for t, g in zip(runs[k], good[k]) if g]
            if not ts:
                continue
            e = ts[0].steps / per_epoch[k]
            mean_band(ax, e, np.array([t.train_loss for t in ts]).T, label=short[k], colour=series_colour(i), marker="")
            ax.plot(e, np.mean([t.test_loss for t in ts], axis=0), color=series_colour(i), lw=0.8, ls="--")
        ax.plot([], [], color="0.3", ls="--", label="test (mean)")
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_yscale("log")
        label(ax, "epoch", "loss", f"train loss: mean and range over {len(seeds)} seeds", legend=True, fontsize=6,
              loc="upper right")

    def finals_panel(ax):
        for i, k in enumerate(labels):
            c = series_colour(i)
            jitter = np.linspace(-0.12, 0.12, len(seeds))
            ax.plot(i + jitter - 0.1, final[k], "o", color=c, alpha=0.6, ms=3.5)
            ax.plot(i + jitter + 0.2, test[k], "^", color=c, alpha=0.35, ms=3.5)
            ax.errorbar(i + 0.05, S[k]["mean"], yerr=S[k]["sd"], fmt="s", color=c, ms=4, capsize=2, lw=1)
            bad = [j for j, g in enumerate(good[k]) if not g]
            if bad:
                ax.plot([i] * len(bad), [np.nanmax([*final[k], 1e-3]) * 2] * len(bad), "x", color="C3", ms=6)
        ax.set_xticks(range(len(labels)), [short[k] for k in labels])
        ax.set_yscale("log")
        label(ax, None, "loss at the end", "final train (o, square: mean +- sd) and test (^)")

    return Direction(
        "a_gd_vs_sgd", "(a) GD vs SGD",
        f"GD and SGD (batch sizes {', '.join(map(str, cfg.batch_sizes))}), {len(seeds)} seeds (seed k draws the "
        f"initialisation, shared by GD and SGD, and the minibatch order), m = {cfg.width}, alpha = {cfg.alpha_inner:g}, "
        f"{cfg.alpha_outer:g}, step eta m capped at half of 2/lambda_max ({min(lrs):.3g} to {max(lrs):.3g}), "
        f"{cfg.epochs} epochs each. Final train / test loss, mean +- sd over seeds: {summary}.{excl} {sentence} "
        f"{noisy} Left: training loss (band: range over seeds; dashed: mean test loss); middle: every seed's final "
        "losses; right: the predictors of the first seed (dots: kinks).",
        f"GD and SGD (batch {', '.join(map(str, cfg.batch_sizes))}), m = {cfg.width}, {cfg.epochs} epochs, "
        f"{len(seeds)} seeds. Final train/test, mean +- sd: {summary}.{excl} {sentence} {noisy}",
        sentence,
        [loss_bands, finals_panel,
         lambda ax: predictors(ax, {k: runs[k][0].final for k in labels}, D, cfg.kink_tol,
                               f"predictors, seed {seeds[0]} (dots: kinks)")],
        {"gd_vs_sgd_labels": labels, "gd_vs_sgd_seeds": seeds, "gd_vs_sgd_train_loss": final,
         "gd_vs_sgd_test_loss": test, "gd_vs_sgd_train_spread": S, "gd_vs_sgd_test_spread": St,
         "gd_vs_sgd_end_noise": noise, "gd_vs_sgd_health": {k: [h["status"] for h in hs] for k, hs in health.items()},
         "gd_vs_sgd_excluded": excluded, "gd_vs_sgd_conclusion": sentence, "gd_vs_sgd_noise_conclusion": noisy,
         "gd_vs_sgd_lr": lrs},
        {"gd_runs": runs["GD"], "gd_final": final["GD"]})


# -- (b) initialisation scales ---------------------------------------------------------------------
def scale_sentence(scales: list, kinks_small, kinks_large, test_small: float, test_large: float) -> str:
    """How the smallest and the largest initial scale (alpha_inner = alpha_outer) compare in kinks
    and test loss; ``kinks_*`` are counts or "constant"."""
    def n(v):
        return 0 if v == "constant" else int(v)
    fewer = n(kinks_small) < n(kinks_large)
    return (f"{'Fewer' if fewer else 'No fewer'} kinks at the smallest scale {scales[0]:g} ({kinks_small}) than at "
            f"the largest {scales[-1]:g} ({kinks_large})"
            + (": small initialisations learn few kinks (rich regime), large ones keep their many random kinks and "
               "fit a wiggly interpolant (lazy regime)" if fewer else "")
            + f"; test loss {test_small:.3g} vs {test_large:.3g}.")


def init_scales(cfg, ctx, D: Data) -> Direction:
    X, y, Xt, yt = D.X, D.y, D.Xt, D.yt
    S = list(cfg.scales)
    pairs = [(i, o) for i in S for o in S]
    nets = [network(cfg, inner=i, outer=o) for i, o in pairs]
    lrs = [safe_lr(cfg, n, X, y) for n in nets]
    runs = ctx.run("init_scales", functools.partial(
        train_many, nets, X, y, optimizer=[GD(lr) for lr in lrs], steps=cfg.epochs,
        record_at=log_steps(cfg.epochs, 150), X_test=Xt, y_test=yt, snapshots=False, engine=ctx.engine,
        quiet=ctx.quiet, on_divergence="keep"), data=D.tag)
    k = len(S)
    test = np.array([r.test_loss[-1] for r in runs]).reshape(k, k)
    train_l = np.array([r.train_loss[-1] for r in runs]).reshape(k, k)
    info = [kink_count(r.final, X, y, cfg.kink_tol) for r in runs]
    nk = np.array([i["n"] for i in info]).reshape(k, k)
    shown = np.array([kinks_text(i) for i in info]).reshape(k, k)
    show = {f"alpha = {S[i]:g}": i * k + i for i in sorted({0, k // 2, k - 1})}  # diagonal: inner = outer
    sentence = scale_sentence(S, shown[0, 0], shown[-1, -1], test[0, 0], test[-1, -1])

    def heat(ax):
        im = ax.imshow(np.log10(test), origin="lower", cmap="viridis")
        for r in range(k):
            for c in range(k):
                ax.text(c, r, f"{test[r, c]:.2g}\n{shown[r, c]}" + (" kinks" if shown[r, c] != "constant" else ""),
                        ha="center", va="center", fontsize=6,
                        color="w" if np.log10(test[r, c]) < np.log10(test).mean() else "k")
        ax.set_xticks(range(k), [f"{s:g}" for s in S])
        ax.set_yticks(range(k), [f"{s:g}" for s in S])
        ax.figure.colorbar(im, ax=ax, label="log10 final test loss", shrink=0.8)
        label(ax, "alpha_outer", "alpha_inner", "final test loss and kinks")

    return Direction(
        "b_init_scale", "(b) initialisation scales",
        f"GD from a grid of initial variances alpha_inner x alpha_outer in {{{', '.join(f'{s:g}' for s in S)}}} "
        f"(m = {cfg.width}, {cfg.epochs} epochs, step eta m capped at half 2/lambda_max of the initial Hessian; one "
        f"seed). {sentence}",
        f"GD from initial variances alpha_inner x alpha_outer in {{{', '.join(f'{s:g}' for s in S)}}}, m = {cfg.width}, "
        f"{cfg.epochs} epochs, one seed. {sentence}",
        sentence,
        [heat,
         lambda ax: predictors(ax, {k_: runs[i].final for k_, i in show.items()}, D, cfg.kink_tol,
                               "predictors (alpha_inner = alpha_outer)"),
         lambda ax: train_test_curves(ax, {k_: (runs[i].steps, runs[i].train_loss, runs[i].test_loss)
                                           for k_, i in show.items()}, title="loss (solid train, dashed test)")],
        {"scales": S, "init_scale_test_loss": test.tolist(), "init_scale_train_loss": train_l.tolist(),
         "n_kinks": nk.tolist(), "init_scale_constant": np.array([i["constant"] for i in info]).reshape(k, k).tolist(),
         "init_scale_lr": np.reshape(lrs, (k, k)).tolist(), "init_scale_conclusion": sentence})


# -- (c) frozen inner layer ------------------------------------------------------------------------
def frozen_sentence(train_both: float, train_outer: float, test_both: float, test_outer: float) -> str:
    """How training only the outer layer compares with training both layers."""
    return (f"Training only the outer layer ends at a {'higher' if train_outer > train_both else 'lower'} training "
            f"loss ({train_outer:.3g} vs {train_both:.3g}) and a {'higher' if test_outer > test_both else 'lower'} "
            f"test loss ({test_outer:.3g} vs {test_both:.3g}) than training both layers.")


def frozen_inner(cfg, ctx, D: Data) -> Direction:
    X, y, Xt, yt = D.X, D.y, D.Xt, D.yt
    net = network(cfg, m=cfg.rf_width)
    lr = safe_lr(cfg, net, X, y)
    runs = {}
    for name, trainable in (("both layers", ("a", "W", "c")), ("outer layer only", ("a",))):
        runs[name] = ctx.run("frozen_inner", functools.partial(
            train, net, X, y, trainable=trainable, optimizer=GD(lr), steps=cfg.epochs,
            record_at=log_steps(cfg.epochs, 150), X_test=Xt, y_test=yt, snapshots=False, engine=ctx.engine,
            quiet=ctx.quiet), trainable=name, data=D.tag)
    tr, te = finals(runs)
    nk = [kink_count(r.final, X, y, cfg.kink_tol) for r in runs.values()]
    sentence = frozen_sentence(tr[0], tr[1], te[0], te[1])
    return Direction(
        "c_frozen_inner", "(c) freezing the inner layer",
        f"Both layers trained vs the outer layer only (random features), m = {cfg.rf_width}, the same initialisation and "
        f"step {lr:.3g}, {cfg.epochs} epochs. Final train/test: "
        + "; ".join(f"{k} {a:.3g}/{b:.3g}" for k, a, b in zip(runs, tr, te))
        + f"; kinks {kinks_text(nk[0])} vs {kinks_text(nk[1])}. {sentence} With the inner layer frozen the kinks "
          "stay where initialisation put them and the problem is a linear least-squares fit in a (convex): a kernel "
          "method with a fixed feature map, which converges fast along the kernel's top eigen-directions and "
          "slowly along the rest.",
        f"Both layers vs the outer layer only (random features), m = {cfg.rf_width}, step {lr:.3g}, {cfg.epochs} "
        f"epochs. {sentence} Kinks {kinks_text(nk[0])} vs {kinks_text(nk[1])}: frozen kinks stay at their random "
        "positions; the fit is linear least squares in a (a kernel method).",
        sentence,
        [lambda ax: train_test_curves(ax, curves(runs), title="loss (solid train, dashed test)"),
         lambda ax: predictors(ax, {k: r.final for k, r in runs.items()}, D, cfg.kink_tol,
                               "learned predictors (dots: kinks)")],
        {"features_labels": list(runs), "features_train_loss": tr, "features_test_loss": te,
         "features_n_kinks": [i["n"] for i in nk], "features_lr": lr, "features_conclusion": sentence})


# -- (d) width ---------------------------------------------------------------------------------------
def width_sentence(widths: list, train_loss: list) -> str:
    """Whether the narrowest width fits worse than the best, and how much the widest two differ."""
    best = int(np.argmin(train_loss))
    narrow = train_loss[0] / train_loss[best]
    text = (f"The narrowest network (m = {widths[0]}) ends at {narrow:.3g}x the lowest training loss "
            f"(m = {widths[best]})" + (": too few kinks to fit the data" if narrow > 2 else ""))
    if len(widths) >= 2:
        rel = abs(train_loss[-1] - train_loss[-2]) / max(train_loss[-1], train_loss[-2])
        text += (f"; the two widest (m = {widths[-2]}, {widths[-1]}) differ by {100 * rel:.2g}%"
                 + (", consistent with a width-independent (mean-field) limit" if rel < 0.2 else ""))
    return text + "."


def widths(cfg, ctx, D: Data) -> Direction:
    X, y, Xt, yt = D.X, D.y, D.Xt, D.yt
    nets = [network(cfg, m=m) for m in cfg.widths]
    lrs = [safe_lr(cfg, n, X, y) for n in nets]
    rs = ctx.run("widths", functools.partial(
        train_many, nets, X, y, optimizer=[GD(lr) for lr in lrs], steps=cfg.width_epochs,
        record_at=log_steps(cfg.width_epochs, 120), X_test=Xt, y_test=yt, snapshots=False, engine=ctx.engine,
        quiet=ctx.quiet), data=D.tag)
    runs = {f"m = {m}": r for m, r in zip(cfg.widths, rs)}
    tr, te = finals(runs)
    nk = [kink_count(r.final, X, y, cfg.kink_tol) for r in rs]
    sentence = width_sentence(list(cfg.widths), tr)
    return Direction(
        "d_width", "(d) width",
        f"Widths m = {', '.join(map(str, cfg.widths))} at the same initial variances, step eta m with eta = {cfg.eta:g} "
        f"(the mean-field time, so curves compare at equal time), {cfg.width_epochs} epochs. Final train/test: "
        + "; ".join(f"{k} {a:.3g}/{b:.3g}" for k, a, b in zip(runs, tr, te))
        + ". Kinks: " + ", ".join(f"{k}: {kinks_text(n)}" for k, n in zip(runs, nk)) + f". {sentence}",
        f"Widths m = {', '.join(map(str, cfg.widths))}, step eta m, {cfg.width_epochs} epochs. Final train/test: "
        + "; ".join(f"{k} {a:.3g}/{b:.3g}" for k, a, b in zip(runs, tr, te)) + f". {sentence}",
        sentence,
        [lambda ax: train_test_curves(ax, curves(runs), title="loss (solid train, dashed test)"),
         lambda ax: predictors(ax, {k: r.final for k, r in runs.items()}, D, cfg.kink_tol,
                               "learned predictors (dots: kinks)")],
        {"widths": list(cfg.widths), "width_train_loss": tr, "width_test_loss": te,
         "width_n_kinks": [i["n"] for i in nk], "width_lr": lrs, "width_conclusion": sentence})


# -- (e) step size -----------------------------------------------------------------------------------
def diverges(net, X, y, lr, steps, engine) -> bool:
    try:
        train(net, X, y, optimizer=GD(lr), steps=steps, record_at=[0, steps], snapshots=False, engine=engine,
              quiet=True)
    except DivergenceError:
        return True
    return False


def largest_stable(net, X, y, lrs, diverged, cfg, engine):
    """The largest step that stays finite, by bisection in log between the grid's neighbours."""
    if not any(diverged) or all(diverged):
        return None
    hi = min(lr for lr, d in zip(lrs, diverged) if d)
    below = [lr for lr, d in zip(lrs, diverged) if not d and lr < hi]
    if not below:
        return None
    lo = max(below)
    for _ in range(cfg.bisections):
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if diverges(net, X, y, mid, cfg.lr_steps, engine) else (mid, hi)
    return lo


def step_sizes(cfg, ctx, D: Data) -> Direction:
    X, y, Xt, yt = D.X, D.y, D.Xt, D.yt
    net = network(cfg)
    obj = Objective(net, X, y)
    bound = stable_lr(obj, net.theta, method=eigen_method(obj))
    lrs = [f * bound for f in cfg.lr_factors]
    rs = ctx.run("step_sizes", functools.partial(
        train_many, [net] * len(lrs), X, y, optimizer=[GD(lr) for lr in lrs], steps=cfg.lr_steps,
        record_at=log_steps(cfg.lr_steps, 100), X_test=Xt, y_test=yt, snapshots=False, engine=ctx.engine,
        quiet=ctx.quiet, on_divergence="keep"), data=D.tag)
    diverged = ["diverged" in r.info for r in rs]
    final = [None if d else float(r.train_loss[-1]) for d, r in zip(diverged, rs)]
    sharp = [None if d else top_eigenvalue(obj, r.final.theta, method=eigen_method(obj)) for d, r in zip(diverged, rs)]
    largest = ctx.run("largest_stable_step", functools.partial(largest_stable, net, X, y, lrs, diverged, cfg,
                                                               ctx.engine), data=D.tag)
    found = ("every step in the grid diverged" if all(diverged) else "no step in the grid diverged" if largest is None
             else f"the largest step that stays finite, by bisection, is {largest:.3g} = {largest / bound:.3g} x 2/lambda_max")
    names = [f"{f:g} x 2/lambda" + (" (diverged)" if d else "") for f, d in zip(cfg.lr_factors, diverged)]
    beyond = largest is not None and largest > bound
    sentence = (f"GD stays finite up to {largest / bound:.3g} x 2/lambda_max(init)" if largest is not None else found) + (
        ": beyond the classical bound, GD is thrown out of the sharp region (a catapult) instead of blowing up"
        if beyond else "") + "."

    def losses(ax):
        train_test_curves(ax, {k: (r.steps, r.train_loss, r.test_loss) for k, r in zip(names, rs)}, xlabel="GD step",
                          title="loss per step size (solid train, dashed test)")
        finite = [r.train_loss.min() for r, d in zip(rs, diverged) if not d] or [rs[0].train_loss[0]]
        ax.set_ylim(0.5 * min(finite), 100 * rs[0].train_loss[0])  # diverging runs leave the plot upwards

    def finals_plot(ax):
        ok = [not d for d in diverged]
        ax.plot(np.array(lrs)[ok], np.array(final, dtype=float)[ok], "o-", color="C0", label="final training loss")
        top = np.nanmax(np.array(final, dtype=float)) * 3 if any(ok) else 1.0
        if any(diverged):
            ax.plot(np.array(lrs)[~np.array(ok)], [top] * sum(diverged), "x", color="C3", ms=8, label="diverged (inf)")
        ax.axvline(bound, color="k", ls="--", label=f"2/lambda_max at init = {bound:.3g}")
        if largest is not None:
            ax.axvline(largest, color="C3", ls=":", label=f"largest finite step = {largest:.3g}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        label(ax, "step size (lr)", f"training loss after {cfg.lr_steps} steps", "where GD breaks down", legend=True, fontsize=6)

    return Direction(
        "e_step_size", "(e) step size",
        f"GD for {cfg.lr_steps} steps (m = {cfg.width}) with steps from {cfg.lr_factors[0]:g} to {cfg.lr_factors[-1]:g} times "
        f"2/lambda_max = {bound:.3g}, lambda_max = {2 / bound:.4g} being the top eigenvalue of the loss Hessian at "
        f"initialisation (Lanczos on exact Hessian-vector products); {found}. "
        f"Sharpness at the end / at init: "
        + ", ".join(f"{f:g}x: {v * bound / 2:.3g}" for f, v in zip(cfg.lr_factors, sharp) if v is not None)
        + f". {sentence}",
        f"GD for {cfg.lr_steps} steps with steps {cfg.lr_factors[0]:g} to {cfg.lr_factors[-1]:g} x 2/lambda_max(init) "
        f"= {bound:.3g}; {found}. Sharpness end/init: "
        + ", ".join(f"{f:g}x: {v * bound / 2:.3g}" for f, v in zip(cfg.lr_factors, sharp) if v is not None) + ".",
        sentence,
        [finals_plot, losses,
         lambda ax: predictors(ax, {k: r.final for k, r, d in zip(names, rs, diverged) if not d}, D, cfg.kink_tol,
                               "predictors of the finite runs (dots: kinks)")],
        {"lr_factors": list(cfg.lr_factors), "lrs": lrs, "lr_final_train_loss": final, "lr_diverged": diverged,
         "lr_sharpness_final": sharp, "lambda_max_init": 2.0 / bound, "lr_bound_from_hessian": bound,
         "largest_stable_lr_measured": largest, "lr_conclusion": sentence})


# -- (f) weight decay --------------------------------------------------------------------------------
def weight_decay_sentence(lams: list, kinks: list, norms: list, train_loss: list, loss_zero: float) -> str:
    """What weight decay did, from the kink counts (ints or "constant"), parameter norms and final
    training losses per lambda (increasing), and the loss of the zero predictor."""
    def n(v):
        return 0 if v == "constant" else int(v)
    counts = [n(k) for k in kinks]
    fewer = counts[-1] < counts[0]
    smaller = norms[-1] < norms[0]
    text = (f"From lambda = {lams[0]:g} to {lams[-1]:g} the kinks go {kinks[0]} -> {kinks[-1]} and ||w|| "
            f"{norms[0]:.3g} -> {norms[-1]:.3g}: " + ("the penalty prunes neurons and shrinks the weights"
                                                     if fewer and smaller else "the penalty shrinks the weights"
                                                     if smaller else "no shrinkage"))
    flat = [lam for lam, k in zip(lams, kinks) if k == "constant"]
    if flat:
        text += (f"; at lambda = {_join([f'{v:g}' for v in flat])} the predictor is constant (its range is below "
                 f"the kink tolerance times the labels' range) with training loss {train_loss[lams.index(flat[0])]:.3g}"
                 f", that of predicting 0 being {loss_zero:.3g}: it underfits")
    elif train_loss[-1] > 2 * train_loss[0]:
        text += f"; the largest lambda underfits (training loss {train_loss[-1]:.3g} vs {train_loss[0]:.3g})"
    return text + "."


def weight_decay(cfg, ctx, D: Data) -> Direction:
    X, y, Xt, yt = D.X, D.y, D.Xt, D.yt
    net = network(cfg)
    lr = safe_lr(cfg, net, X, y)
    lams = list(cfg.weight_decays)
    rs = ctx.run("weight_decay", functools.partial(
        train_many, [net] * len(lams), X, y, optimizer=GD(lr), weight_decay=lams, steps=cfg.epochs,
        record_at=log_steps(cfg.epochs, 150), X_test=Xt, y_test=yt, snapshots=False, engine=ctx.engine,
        quiet=ctx.quiet), data=D.tag)
    runs = {f"lambda = {lam:g}": r for lam, r in zip(lams, rs)}
    tr, te = finals(runs)
    info = [kink_count(r.final, X, y, cfg.kink_tol) for r in rs]
    shown = [kinks_text(i) for i in info]
    norms = [float(np.linalg.norm(r.final.theta)) for r in rs]
    loss_zero = float(0.5 * np.mean(y ** 2))
    sentence = weight_decay_sentence(lams, shown, norms, tr, loss_zero)

    def summary(ax):
        xs = np.arange(len(lams))
        ax.plot(xs, [i["n"] for i in info], "o-", color="C0", label="active kinks")
        for x_, i in zip(xs, info):
            if i["constant"]:
                ax.annotate("constant", (x_, 0), fontsize=6, ha="center", va="bottom", color="C3")
        ax.set_xticks(xs, [f"{lam:g}" for lam in lams])
        label(ax, "weight decay lambda", "active kinks", "kinks and parameter norm")
        ax2 = ax.twinx()
        ax2.plot(xs, norms, "s--", color="C1", label="||w||")
        ax2.set_ylabel("parameter norm ||w||")
        ax2.grid(False)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize=6, loc="upper right")

    return Direction(
        "f_weight_decay", "(f) weight decay",
        f"GD with weight decay lambda in {{{', '.join(f'{lam:g}' for lam in lams)}}} (m = {cfg.width}, step {lr:.3g}, "
        f"{cfg.epochs} epochs). Final train/test: " + "; ".join(f"{k} {a:.3g}/{b:.3g}" for k, a, b in zip(runs, tr, te))
        + ". Kinks: " + ", ".join(shown) + "; ||w||: " + ", ".join(f"{v:.3g}" for v in norms)
        + f". {sentence} At balance the penalty on ||w||^2 is a penalty on sum_j |a_j| ||(b_j, c_j)||, which favours "
          "few active neurons.",
        f"GD with weight decay lambda in {{{', '.join(f'{lam:g}' for lam in lams)}}}, m = {cfg.width}, {cfg.epochs} "
        f"epochs. Final train/test: " + "; ".join(f"{a:.3g}/{b:.3g}" for a, b in zip(tr, te)) + f". {sentence}",
        sentence,
        [lambda ax: predictors(ax, {k: r.final for k, r in runs.items()}, D, cfg.kink_tol,
                               "learned predictors (dots: kinks)"),
         summary,
         lambda ax: train_test_curves(ax, curves(runs), title="loss (solid train, dashed test)")],
        {"weight_decays": lams, "wd_train_loss": tr, "wd_test_loss": te, "wd_n_kinks": [i["n"] for i in info],
         "wd_constant": [i["constant"] for i in info], "wd_predictor_range": [i["range"] for i in info],
         "wd_param_norm": norms, "wd_conclusion": sentence})


DIRECTIONS = (gd_vs_sgd, init_scales, frozen_inner, widths, step_sizes, weight_decay)


# -- Q1-Q4: the numbers the answers quote ------------------------------------------------------------
def zero_init_runs(cfg, D: Data, engine: str) -> dict:
    """GD and SGD from w = 0, and GD from a = 0 with random (b, c), for ``cfg.zero_steps`` steps."""
    zero = init_net(1, cfg.width, "relu", "mean-field", bias=True, init="zero")
    lr = cfg.eta * cfg.width
    out = {}
    for key, opt in (("gd", GD(lr)), ("sgd", SGD(lr, min(5, len(D.y))))):
        with warnings.catch_warnings():     # "all units inactive" is the point of Q4, not a problem of the run
            warnings.filterwarnings("ignore", message="all .* ReLU units inactive", category=TwolayerWarning)
            r = train(zero, D.X, D.y, optimizer=opt, steps=cfg.zero_steps, record_at=[0, cfg.zero_steps],
                      seed=cfg.seed, snapshots=False, engine=engine, quiet=True)
        out[f"{key}_norm"] = float(np.linalg.norm(r.final.theta))
        out[f"{key}_loss"] = float(r.train_loss[-1])
    outer = network(cfg)
    outer = Net(np.zeros_like(outer.a), outer.W, outer.c, outer.activation, outer.scaling, outer.slope)
    lr_outer = safe_lr(cfg, outer, D.X, D.y)
    r = train(outer, D.X, D.y, optimizer=GD(lr_outer), steps=cfg.zero_steps, record_at=[0, cfg.zero_steps],
              snapshots=False, engine=engine, quiet=True)
    out["outer_zero_loss"] = float(r.train_loss[-1])
    return out


def theory_numbers(cfg, ctx, D: Data, a: Direction) -> dict:
    """The numbers that the answers to Q1-Q4 quote, measured on this run's data and networks."""
    x, y = D.X[:, 0], D.y
    gd = a.keep["gd_runs"][0]
    pre = np.abs(gd.final.W[:, 0][:, None] * x[None, :] + gd.final.c[:, None])
    sparse = sparse_interpolant(x, y)
    dense = relu_interpolant(x, y, width=max(len(np.unique(x)), 1))
    grid = np.linspace(x.min(), x.max(), 4001)[:, None]
    swap = swap_midpoint_loss(gd.final, D.X, y)
    e = gd.steps
    tenth = int(np.argmin(np.abs(e - e[-1] / 10)))
    zero = ctx.run("zero_init", functools.partial(zero_init_runs, cfg, D, ctx.engine), data=D.tag)
    return {
        "q1": {"min_preactivation": float(pre.min()), "width": gd.final.m, "n": len(y)},
        "q2": {"n": len(np.unique(x)), "kstar": min_interior_kinks(x, y), "sparse_width": needed_width(sparse),
               "sparse_error": float(np.max(np.abs(sparse(D.X) - y))),
               "dense_error": float(np.max(np.abs(dense(D.X) - y))),
               "gap": float(np.max(np.abs(sparse(grid) - dense(grid))))},
        "q3": {**swap, "epochs": cfg.epochs, "final_loss": spread(a.keep["gd_final"])["mean"],
               "decade_ratio": float(gd.train_loss[tenth] / gd.train_loss[-1]), "grad_norm": float(gd.grad_norm[-1])},
        "q4": {**zero, "steps": cfg.zero_steps, "loss_zero": half_mse_zero(y)},
    }


def half_mse_zero(y) -> float:
    """L(0) = 1/(2n) sum y_i^2, the loss of the zero predictor."""
    return float(0.5 * np.mean(np.asarray(y) ** 2))


def report_pdf(cfg, ctx, D: Data, done: list, q: dict):
    intro = (f"Data: {D.source}; n = {len(D.y)} training and {len(D.yt)} test points, training only on the former. "
             f"Model f_w(x) = (1/m) sum_j a_j relu(b_j x + c_j), loss L(w) = 1/(2n) sum_i (f_w(x_i) - y_i)^2 (+ "
             f"(lambda/2)||w||^2 in (f)); a_j ~ N(0, alpha_outer), b_j, c_j ~ N(0, alpha_inner), alpha = "
             f"{cfg.alpha_inner:g}, {cfg.alpha_outer:g} unless varied; GD and SGD from scratch (numpy/Numba, no "
             f"autodiff), relu'(0) = 0, step eta m = {cfg.eta * cfg.width:g} capped at half of 2/lambda_max of the "
             f"initial Hessian. Kinks: neuron kinks -c_j/b_j merged within 1% of the data interval, counted when their "
             f"slope change moves f by more than {100 * cfg.kink_tol:g}% of its range there. Every number below is "
             f"computed by `twolayer run relu-1d` in this run (seed {cfg.seed}; direction (a): {cfg.seeds} seeds).")
    answers = [("Q1. Is ReLU differentiable everywhere? What if a non-differentiable point is hit?", q1_text(q["q1"])),
               ("Q2. Does an interpolating w* exist for width m >= 1? Is it unique?", q2_text(q["q2"])),
               ("Q3. Is L convex? Where does GD converge?", q3_text(q["q3"])),
               ("Q4. What do GD and SGD do from the zero initialisation?", q4_text(q["q4"]))]
    rows = [(ctx.folder / "figures" / f"{d.name}.png", f"{d.title}. {d.short}") for d in done]
    closing = " ".join(f"{d.title}: {d.conclusion}" for d in done)
    return write_report_pdf(ctx.folder / "report.pdf", title="Training a two-layer ReLU network on a 1D data set",
                            intro=intro, answers=answers, pages=[rows[:2], rows[2:]], closing=closing)


def panel_figure(k: int, width: float = 4.4, height: float = 3.5):
    """A figure of ``k`` panels side by side at fixed positions (margins in inches: left 0.65,
    right 0.6 for a colour bar or twin axis, bottom 0.5, top 0.35): no layout engine to run."""
    import matplotlib.pyplot as plt

    from ..plots.style import STYLE

    with plt.rc_context({**STYLE, "figure.constrained_layout.use": False}):
        fig = plt.figure(figsize=(width * k, height))
        axes = [fig.add_axes([(width * j + 0.65) / (width * k), 0.5 / height, (width - 1.25) / (width * k),
                              (height - 0.85) / height]) for j in range(k)]
    for ax in axes:
        ax.grid(True, alpha=0.3)
    return fig, axes


def run(cfg: Config, ctx) -> dict:
    D = load_data(cfg)
    if max(cfg.batch_sizes) > len(D.y):
        raise InvalidParameter("batch_sizes", cfg.batch_sizes, f"expected every batch size at most the {len(D.y)} "
                               "training points")
    metrics, done = {"n_train": len(D.y), "n_test": len(D.yt), "data_source": D.source}, []
    for direction in DIRECTIONS:
        d = direction(cfg, ctx, D)
        fig, axes = panel_figure(len(d.draws))
        for ax, draw in zip(axes, d.draws):
            draw(ax)
        ctx.figure(fig, d.name, d.title, d.caption)
        metrics.update(d.metrics)
        done.append(d)
    q = theory_numbers(cfg, ctx, D, done[0])
    metrics.update({f"{k}_{n}": v for k, nums in q.items() for n, v in nums.items()})
    report_pdf(cfg, ctx, D, done, q)
    ctx.note("Model f(x) = (1/m) sum_j a_j relu(b_j x + c_j), loss 1/(2n) sum (f - y)^2, a_j ~ N(0, alpha_outer), "
             f"b_j, c_j ~ N(0, alpha_inner); data: {D.source}. Steps: lr = eta m, capped at half of 2/lambda_max at "
             "initialisation. relu'(0) = 0 (a subgradient; any value in [0, 1] is one). Kinks: x = -c_j/b_j, merged "
             f"within 1% of the data range, counted when |slope change| x (data range) exceeds {cfg.kink_tol:g} x the "
             f"predictor's range; a predictor whose range is below {cfg.kink_tol:g} x the labels' range is reported as "
             "constant. The two-page A4 report [report.pdf](report.pdf) answers Q1-Q4 with this run's numbers and "
             "holds every figure with a short caption.")
    return metrics


register(Experiment(
    name="relu-1d", seed_file="001_844f0b730112be6a.txt",
    description="Seed 001: a two-layer ReLU network on 1D data: GD vs SGD over seeds, initialisation scales, frozen "
                "inner layer, width, step size (with 2/lambda_max), weight decay; the two-page report (report.pdf) "
                "with the answers to Q1-Q4.",
    config=Config, run=run, quick=QUICK, source="sheet 001, Q1-Q4 and experiments a-f (the whole sheet)"))

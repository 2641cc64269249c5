"""Seed 000, exercises 1 and 2: the initialisation scale alpha of a mean-field ReLU network trained
by GD on a teacher's labels, in d = 2 and with 8 irrelevant extra coordinates (d = 10)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import analysis, data
from ..init import init_net
from ..optim import GD
from ..plots import function_map, grid, label, new_figure, particles
from ..sweep import train_many
from . import Experiment, register
from .base import param
from .budget import SEED_MAX, check_budget, recorded_points, snapshot_bytes

SEED_FILE = "000_a9745a3daa3e7512.txt"


@dataclass
class Config:
    width: int = param(1000, "Number of hidden neurons m of the student (mean-field scaling 1/m).", ge=1, le=5000)
    n_train: int = param(50, "Number of training inputs X ~ N(0, I_d).", ge=1, le=10_000)
    n_test: int = param(2000, "Number of fresh test inputs for the test error.", ge=1, le=20_000)
    alphas: tuple[float, ...] = param((), "Initialisation scales alpha to sweep; empty: 9 values log-spaced from 1e-2 "
                                      "to sqrt(width).", gt=0, le=1e4, empty=True)
    seeds: int = param(3, "Independent initialisations per alpha.", ge=1, le=15)
    lr: float = param(1.0, "Per-neuron GD step: GD runs with lr * width / max(1, alpha^2).", gt=0, le=100)
    steps: int = param(100_000, "Number of full-batch GD steps per run.", ge=1, le=2_000_000)
    symmetric: bool = param(False, "Pair the neurons with opposite a_j so that f = 0 at the start.")
    seed: int = param(0, "Random seed of the teacher, the data and the students.", ge=0, le=SEED_MAX)


QUICK = {"width": 200, "seeds": 2, "steps": 40_000}


def check(cfg: Config, d: int) -> None:
    """The snapshots of the whole sweep (seeds x alphas runs of about 100 points of (d + 1) width parameters)
    must fit in memory."""
    runs = cfg.seeds * (len(cfg.alphas) or 9)
    need = snapshot_bytes(recorded_points(cfg.steps, max(1, cfg.steps // 100)), (d + 1) * cfg.width, runs)
    check_budget("width", cfg.width, need, f"{runs} runs of width {cfg.width} in R^{d}: lower width, seeds or the "
                 "number of alphas")


def alpha_grid(cfg) -> np.ndarray:
    alphas = np.array(cfg.alphas, dtype=float) if cfg.alphas else np.geomspace(1e-2, np.sqrt(cfg.width), 9)
    return np.sort(alphas)


def alpha_sweep(cfg, d: int, ctx) -> dict:
    """Train width-m students at every alpha and seed on the teacher's labels; inputs in R^d with
    the teacher acting on the first two coordinates. Returns arrays over (alpha, seed) and the
    trajectories of seed 0."""
    alphas = alpha_grid(cfg)
    X, y, Xt, yt, teacher = data.teacher(cfg.n_train, d, n_test=cfg.n_test, relevant=2, seed=cfg.seed)
    nets, opts = [], []
    for s in range(cfg.seeds):
        for a in alphas:
            nets.append(init_net(d, cfg.width, "relu", "mean-field", init="sphere", scale=a,
                                 symmetric=cfg.symmetric, seed=cfg.seed + 1000 * (s + 1)))
            opts.append(GD(cfg.lr * cfg.width / max(1.0, a * a)))
    runs = train_many(nets, X, y, loss="square", reduction="mean", optimizer=opts, steps=cfg.steps,
                      record_every=max(1, cfg.steps // 100), X_test=Xt, y_test=yt, engine=ctx.engine, quiet=ctx.quiet)
    shape = (cfg.seeds, len(alphas))
    test = np.array([r.test_loss[-1] for r in runs]).reshape(shape)
    train = np.array([r.train_loss[-1] / r.train_loss[0] for r in runs]).reshape(shape)
    rwc = np.array([analysis.relative_weight_change(r) for r in runs]).reshape(shape)
    frac = np.array([analysis.signal_fraction(r.final.W) for r in runs]).reshape(shape)
    return {"alphas": alphas, "test": test, "train_ratio": train, "rwc": rwc, "signal_fraction": frac,
            "runs0": runs[:len(alphas)], "X": X, "y": y, "teacher": teacher}


def picks(alphas, width):
    """Indices of a small, a middle and the sqrt(m) alpha."""
    return [0, len(alphas) // 2, int(np.argmin(np.abs(alphas - np.sqrt(width))))]


def error_vs_alpha(ax, alphas, test, name, width, color=None):
    mean = test.mean(axis=0)
    ax.fill_between(alphas, test.min(axis=0), test.max(axis=0), alpha=0.2, color=color)
    ax.plot(alphas, mean, "o-", label=name, color=color)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.axvline(np.sqrt(width), color="0.3", ls=":")
    ax.annotate(r"$\alpha=\sqrt{m}$", (np.sqrt(width), 0.5), xycoords=("data", "axes fraction"), ha="right",
                va="center", rotation=90, fontsize=8)
    label(ax, r"initialisation scale $\alpha$", "test error (line: mean; band: min-max over seeds)")
    ax.autoscale(enable=True, axis="y")  # forget the headroom of an earlier call
    ax.relim()
    ax.autoscale_view()
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi * (hi / lo) ** 0.3)  # headroom for the legend
    ax.legend(loc="upper left", fontsize=8)


def function_panels(ctx, res, cfg, d, name, title):
    alphas, teacher = res["alphas"], res["teacher"]
    chosen = picks(alphas, cfg.width)
    embed = None if d == 2 else (lambda P: np.hstack([P, np.zeros((len(P), d - 2))]))
    vmax = float(np.abs(teacher(grid()[2])).max())
    fig, axes = new_figure(len(chosen) + 1, 1, width=3.4, height=3.4)
    im = function_map(axes[0, 0], teacher, vmin=-vmax, vmax=vmax, title="teacher (5 neurons)",
                      points=res["X"][:, :2], kinks=teacher.W)
    for ax, i in zip(axes[0, 1:], chosen):
        net = res["runs0"][i].final
        function_map(ax, net, vmin=-vmax, vmax=vmax, title=rf"$\alpha$ = {alphas[i]:.3g}", points=res["X"][:, :2],
                     kinks=teacher.W, embed=embed)
    fig.colorbar(im, ax=axes[0, -1], shrink=0.8, label="f(x)")
    ctx.figure(fig, name, title,
               f"Learned functions on [-3, 3]^2{'' if d == 2 else ' (plane of x1, x2 with z = 0)'} for a small, a middle "
               f"and the sqrt(m) initialisation scale (seed 0), next to the teacher, on one colour scale. Dots: the "
               f"{cfg.n_train} training inputs; dashed: the teacher's kink lines b_j . x = 0. "
               f"Initialisation: {'symmetric pairs (f = 0 at start)' if cfg.symmetric else 'as in the sheet (not symmetrised)'}.")
    return chosen


def run_init_scale(cfg: Config, ctx) -> dict:
    check(cfg, 2)
    res = alpha_sweep(cfg, 2, ctx)
    alphas, test = res["alphas"], res["test"]
    chosen = function_panels(ctx, res, cfg, 2, "functions", "Learned function against alpha")

    fig, ax = new_figure(1, 1, width=5.5, height=3.8)
    error_vs_alpha(ax[0, 0], alphas, test, "d = 2", cfg.width)
    ax[0, 0].set_title(f"Test error against initialisation scale (m = {cfg.width}, n = {cfg.n_train})")
    best = int(np.argmin(test.mean(axis=0)))
    i_sqrt = picks(alphas, cfg.width)[2]
    ctx.figure(fig, "test_error", "Test error against alpha",
               f"Mean squared error on {cfg.n_test} fresh samples after {cfg.steps} GD steps, against alpha (log "
               f"axes; band: min-max over {cfg.seeds} seeds). Best alpha {alphas[best]:.3g} (error "
               f"{test.mean(axis=0)[best]:.3g}); at alpha = sqrt(m) the error is {test.mean(axis=0)[i_sqrt]:.3g}, "
               f"{test.mean(axis=0)[i_sqrt] / test.mean(axis=0)[best]:.3g} times larger: the lazy regime interpolates "
               f"with features close to their random start.")

    fig, axes = new_figure(len(chosen), 1, width=3.4, height=3.4)
    for ax, i in zip(axes[0], chosen):
        particles(ax, res["runs0"][i].final, teacher=res["teacher"], title=rf"$\alpha$ = {alphas[i]:.3g}")
    axes[0, 0].legend(loc="lower left", fontsize=7)
    ctx.figure(fig, "neurons", "Neurons at the end of training",
               "Each dot is a neuron at |a_j| b_j (red: a_j > 0, blue: a_j < 0); stars and rays: the teacher's "
               "neurons. At small alpha the neurons gather on the teacher's directions (feature learning); at "
               "alpha = sqrt(m) they stay spread where they started.")

    rwc = res["rwc"].mean(axis=0)
    ctx.note(f"All figures use the {'symmetric initialisation (neurons in pairs with opposite a_j, so f = 0 at the start)' if cfg.symmetric else 'initialisation of the sheet (not symmetrised; --set symmetric=true pairs the neurons so that f = 0 at the start)'}.")
    ctx.note(f"Model of the sheet: f(x) = (1/m) sum_j a_j relu(b_j . x), b_j = alpha * uniform on the circle, "
             f"a_j = alpha * (+-1), square loss (1/n), full-batch GD. Teacher: 5 neurons drawn at alpha = 1; "
             f"n = {cfg.n_train} inputs X ~ N(0, I_2). Step convention: mean-field, the per-neuron step "
             f"{cfg.lr:g} times m, divided by max(1, alpha^2) so that every scale is stable (the Hessian grows "
             f"like alpha^2; this is the lazy-training time rescaling).")
    ctx.note(f"What to observe: the test error is smallest at alpha = {alphas[best]:.3g}; for alpha = sqrt(m) = "
             f"{np.sqrt(cfg.width):.3g} the network fits the data but generalises {test.mean(axis=0)[i_sqrt] / test.mean(axis=0)[best]:.3g}x "
             f"worse, and its weights moved by only {rwc[i_sqrt]:.3g} of their initial norm (against {rwc[0]:.3g} "
             f"at alpha = {alphas[0]:.3g}): the lazy regime. Training losses fell to "
             f"{res['train_ratio'].mean(axis=0).max():.2g} of their start or less.")
    return {"alphas": alphas.tolist(), "test_error": test.mean(axis=0).tolist(), "best_alpha": float(alphas[best]),
            "test_error_at_sqrt_m": float(test.mean(axis=0)[i_sqrt]), "test_error_best": float(test.mean(axis=0)[best]),
            "relative_weight_change": rwc.tolist(), "train_loss_ratio_max": float(res["train_ratio"].max())}


def run_hidden(cfg: Config, ctx) -> dict:
    check(cfg, 10)
    res2 = alpha_sweep(cfg, 2, ctx)
    res10 = alpha_sweep(cfg, 10, ctx)
    alphas = res10["alphas"]
    fig, ax = new_figure(1, 1, width=5.5, height=3.8)
    error_vs_alpha(ax[0, 0], alphas, res2["test"], "d = 2", cfg.width, color="tab:blue")
    error_vs_alpha(ax[0, 0], alphas, res10["test"], "d = 10 (8 irrelevant inputs)", cfg.width, color="tab:orange")
    ax[0, 0].set_title("Adaptivity to a hidden two-dimensional structure")
    t2, t10 = res2["test"].mean(axis=0), res10["test"].mean(axis=0)
    ctx.figure(fig, "test_error", "Test error against alpha, d = 2 and d = 10",
               f"Same teacher, labels depending on (x1, x2) only. With 8 extra Gaussian coordinates the error at "
               f"small alpha grows from {t2[0]:.3g} to {t10[0]:.3g}, at alpha = sqrt(m) from {t2[-1]:.3g} to "
               f"{t10[-1]:.3g}: the rich regime adapts to the hidden plane, the lazy one pays for the dimension.")
    function_panels(ctx, res10, cfg, 10, "functions", "Learned function on the signal plane (d = 10)")
    frac = res10["signal_fraction"].mean(axis=0)
    fig, ax = new_figure(1, 1, width=5.0, height=3.6)
    ax[0, 0].semilogx(alphas, frac, "o-")
    ax[0, 0].axhline(0.2, color="0.4", ls=":", label="isotropic: 2/10")
    label(ax[0, 0], r"initialisation scale $\alpha$", "share of ||W||^2 in (x1, x2)",
          "Where the first layer puts its weight (d = 10)", legend=True)
    ctx.figure(fig, "signal_fraction", "First-layer weight in the signal plane",
               f"sum_j ||b_j[:2]||^2 / sum_j ||b_j||^2 at the end (mean over seeds): {frac[0]:.2f} at alpha = "
               f"{alphas[0]:.3g}, {frac[-1]:.2f} at alpha = sqrt(m); 0.2 is what isotropic weights give. The rich "
               f"regime concentrates the first layer on the relevant coordinates.")
    ctx.note("Exercise 2 of the sheet: inputs (x1, x2, z1..z8) with z ~ N(0, I_8), labels from the same teacher "
             "on (x1, x2). Everything else as in init-scale-2d (same seeds, steps and step convention); all figures "
             f"use the {'symmetric' if cfg.symmetric else 'non-symmetrised (sheet)'} initialisation.")
    return {"alphas": alphas.tolist(), "test_error_d2": t2.tolist(), "test_error_d10": t10.tolist(),
            "weight_fraction_in_signal_plane": frac.tolist()}


register(Experiment(
    name="init-scale-2d", seed_file=SEED_FILE,
    description="Seed 000 ex. 1: how the initialisation scale alpha decides between feature learning and "
                "lazy interpolation for a mean-field ReLU network on a 5-neuron teacher.",
    config=Config, run=run_init_scale, quick=QUICK, source="sheet 000, exercise 1"))
register(Experiment(
    name="hidden-structure", seed_file=SEED_FILE,
    description="Seed 000 ex. 2: the same with 8 irrelevant input coordinates: the rich regime finds the "
                "hidden plane, the lazy one does not.",
    config=Config, run=run_hidden, quick=QUICK, source="sheet 000, exercise 2"))

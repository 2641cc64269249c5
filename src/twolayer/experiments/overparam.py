"""Seed 000, exercise 3: why width makes gradient descent converge (the figures at the end of the
blog post "gradient-descent-neural-networks-global-convergence" that the sheet cites).

Stored units: the restarts of each 1-D width (``ctx.run("restarts_1d", width=m)``, loss curves and
final networks) and the particle runs of each 2-D width and student seed (``ctx.run("particles_2d",
width=m, seed=s)``, s = seed + 1 + k for k < seeds_2d: loss curve and final network; the drawn seed's
runs, s = seed + 1, also keep the parameter snapshots that the paths and the animation draw).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .. import data
from ..analysis import run_health, spread, status_tag
from ..analysis.seeds import traj_health
from ..errors import DivergenceError, InvalidParameter
from ..init import init_net
from ..net import Net
from ..optim import GD, SGD
from ..plots import animate_particles, mean_band, new_figure, particle_paths
from ..sweep import train_many
from ..train import train
from ..trajectory import log_steps
from . import Experiment, register
from .base import param
from .budget import SEED_MAX
from .init_scale import mass_near_teacher

MAX_STREAM = 10_000_000   # samples of the 1-D one-pass stream (steps_1d x batch), each record evaluates them all


@dataclass
class Config:
    widths_1d: tuple[int, ...] = param((5, 20, 100), "Widths m of the 1-D students (triangle wave).", ge=1, le=10_000)
    restarts: int = param(20, "Random restarts per 1-D width.", ge=1, le=1000)
    steps_1d: int = param(60_000, "One-pass SGD steps of each 1-D run (each sees steps_1d x batch fresh samples).",
                          ge=1, le=600_000)
    records_1d: int = param(25, "Log-spaced recorded points of each 1-D run; each one evaluates the training loss on "
                            "the whole stream.", ge=2, le=200)
    batch: int = param(16, "SGD minibatch size in 1-D.", ge=1, le=160)
    lr_1d: float = param(0.03, "Per-neuron SGD step in 1-D: SGD runs with lr_1d * m (mean-field convention).", gt=0,
                         le=100)
    widths_2d: tuple[int, ...] = param((5, 10, 100, 1000), "Widths m of the 2-D students (particles).", ge=1,
                                       le=10_000)
    n_2d: int = param(400, "Number of Gaussian training inputs in 2-D.", ge=1, le=20_000)
    steps_2d: int = param(20_000, "Full-batch GD steps of each 2-D run.", ge=1, le=2_000_000)
    lr_2d: float = param(0.5, "Per-neuron GD step in 2-D: GD runs with lr_2d * m.", gt=0, le=100)
    seeds_2d: int = param(5, "Student initialisations per 2-D width (seeds seed + 1 + k, k < seeds_2d); the paths "
                          "and the animation draw the first.", ge=1, le=100)
    scale_2d: float = param(0.1, "Initialisation scale of the 2-D students (small: particles start near 0).", gt=0,
                            le=100)
    converged_below: float = param(1e-3, "Test error (1-D) or training loss (2-D) below which a run counts as "
                                   "converged.", gt=0, le=10)
    stall_factor: float = param(2.0, "A run that has not converged has stalled when its error fell by less than this "
                                "factor over the second half of its steps.", gt=1, le=1000)
    near_degrees: float = param(10.0, "A 2-D teacher direction is covered when a tenth of the student's output mass "
                                "lies within this angle (degrees) of it, same sign.", gt=0, le=90)
    gif_frames: int = param(120, "Frames of the particle animation at most (one per recorded snapshot; about 55 are recorded).",
                            ge=2, le=1000)
    gif_width: int = param(100, "Width of the 2-D student in the animation (the widest when not in widths_2d).", ge=1,
                           le=10_000)
    seed: int = param(0, "Random seed of the data, the teacher and the students.", ge=0, le=SEED_MAX)


# quick: a doubled 1-D step lets every m = 100 restart converge in a quarter of the steps; a shorter animation
QUICK = {"restarts": 6, "steps_1d": 15_000, "records_1d": 10, "lr_1d": 0.06, "steps_2d": 5_000, "n_2d": 200,
         "seeds_2d": 3, "gif_frames": 15}


# -- numbers and sentences (pure) ----------------------------------------------------------------------
def stalled(steps, loss, factor: float) -> bool:
    """Whether the recorded ``loss`` fell by less than ``factor`` between the recorded point nearest
    the middle step and the end (a plateau, as opposed to slow but steady progress)."""
    steps, loss = np.asarray(steps, dtype=float), np.asarray(loss, dtype=float)
    mid = int(np.argmin(np.abs(steps - steps[-1] / 2)))
    return bool(loss[mid] < factor * loss[-1])


def convergence_sentence(widths, n_ok, n_conv, n_stalled, level: float, factor: float) -> str:
    """What the restarts show about width: ``n_ok`` healthy restarts per width, ``n_conv`` of them
    below ``level``, ``n_stalled`` of the others on a plateau (error down by less than ``factor``
    over the second half)."""
    counts = ", ".join(f"m = {m}: {c}/{n}" for m, n, c in zip(widths, n_ok, n_conv))
    text = f"Restarts below {level:g}: {counts}."
    failed = [(m, n - c, s) for m, n, c, s in zip(widths, n_ok, n_conv, n_stalled) if c < n]
    if not failed:
        return text + " Every restart converges at every width."
    stuck = ", ".join(f"{s} of the {f} at m = {m}" for m, f, s in failed)
    why = (f" The restarts that did not converge had stalled ({stuck}: the error fell by less than {factor:g}x over "
           "the second half of training), so they are stuck rather than slow" if all(s == f for _, f, s in failed)
           else f" Of the restarts that did not converge, {stuck} had stalled (error down by less than {factor:g}x "
                "over the second half); the others were still improving and may only be slow")
    widest_all = n_conv[-1] == n_ok[-1] and n_ok[-1] > 0
    if widest_all:
        return text + f" Every restart of the widest network (m = {widths[-1]}) converges; narrower ones do not always." \
            + why + "."
    return text + f" Even at m = {widths[-1]} some restarts do not converge." + why + "."


def loss_state(steps, loss, level: float, factor: float) -> str:
    """"converged" (final loss below ``level``), "on a plateau" (above it and :func:`stalled`) or
    "still falling"."""
    if loss[-1] < level:
        return "converged"
    return "on a plateau" if stalled(steps, loss, factor) else "still falling"


def particle_sentence(widths, finals, states, covered, teacher_neurons: int) -> str:
    """The 2-D runs: final loss, its state (:func:`loss_state`) and how many of the teacher's
    directions the particles cover, per width."""
    parts = [f"m = {m}: final loss {f:.2g} ({st}), {c}/{teacher_neurons} teacher directions covered"
             for m, f, st, c in zip(widths, finals, states, covered)]
    missing = [i for i, c in enumerate(covered) if c < teacher_neurons]
    if not missing:
        tail = " Every student covers all teacher directions."
    else:
        which = ", ".join(str(widths[i]) for i in missing)
        kept = {states[i] for i in missing}
        tail = (f" The students that miss a teacher direction (m = {which}) end "
                + (f"{kept.pop()}." if len(kept) == 1 else "in different states."))
    return "; ".join(parts) + "." + tail


def _widths(ms) -> str:
    """'m = 5' or 'm = 5, 10'."""
    return "m = " + ", ".join(str(m) for m in ms)


def width_convergence_sentence(widths, n_ok, n_conv, n_stalled, level: float, factor: float) -> str:
    """Which 2-D widths converge over the student seeds.

    Parameters
    ----------
    widths : (W,) widths m.
    n_ok, n_conv, n_stalled : (W,) per width, the healthy runs (seeds), how many of them end with
        training loss below ``level``, and how many of the others are on a plateau (loss down by less
        than ``factor`` over the second half of the steps).

    Returns
    -------
    str
        The counts, then from which width on every seed converges (or that even the widest does not
        always, or that convergence is not monotone in width), then whether the failures are stuck
        (on a plateau) or still falling.
    """
    counts = ", ".join(f"m = {m}: {c}/{n}" if n else f"m = {m}: no healthy run"
                       for m, n, c in zip(widths, n_ok, n_conv))
    text = f"Seeds whose training loss ends below {level:g}: {counts}."
    known = [(m, n, c) for m, n, c in zip(widths, n_ok, n_conv) if n > 0]
    if not known:
        return text + " No run is healthy, so nothing is concluded about width."
    always = [m for m, n, c in known if c == n]
    not_always = [m for m, n, c in known if c < n]
    if not not_always:
        text += " Every seed converges at every width" + (" with a healthy run." if len(known) < len(widths) else ".")
    elif not always:
        text += " No width converges in every seed."
    elif known[-1][2] < known[-1][1]:
        m, n, c = known[-1]
        text += (f" Even at the widest m = {m}, {n - c} of {n} seeds do not converge (every seed converges at "
                 f"{_widths(always)}).")
    else:
        first = next(i for i in range(len(known)) if all(c == n for _, n, c in known[i:]))
        above = known[first][0]
        narrow_always = [m for m, n, c in known[:first] if c == n]
        if not narrow_always:
            text += f" Every seed converges from m = {above} on; at the narrower {_widths(not_always)} some do not."
        else:
            text += (f" Every seed converges from m = {above} on and at the narrower {_widths(narrow_always)}, but "
                     f"not at {_widths(not_always)}: over these seeds convergence is not monotone in width.")
    failed = sum(n - c for _, n, c in known)
    stuck = sum(n_stalled[i] for i in range(len(widths)) if n_ok[i] > 0)
    if failed:
        text += (f" {'The run' if failed == 1 else f'All {failed} runs'} that did not converge "
                 f"{'is' if failed == 1 else 'are'} on a plateau (loss down by less than {factor:g}x over "
                 "the second half): stuck, not slow." if stuck == failed else
                 f" Of the {failed} runs that did not converge, {stuck} {'is' if stuck == 1 else 'are'} on a plateau (loss down by less than "
                 f"{factor:g}x over the second half) and {failed - stuck} were still falling (maybe only slow).")
    return text


def coverage_sentence(widths, converged_runs, covered_runs, teacher_neurons: int) -> str:
    """How many teacher directions the students cover over seeds, and whether covering all of them
    goes with converging.

    Parameters
    ----------
    widths : (W,) widths m.
    converged_runs : (W, R) per width and seed, whether the run converged (None: flagged run).
    covered_runs : (W, R) teacher directions covered by each run's final network (None: flagged).
    teacher_neurons : K, the number of teacher directions.
    """
    parts = []
    for m, cov in zip(widths, covered_runs):
        s = spread(cov)
        parts.append(f"m = {m}: no healthy run" if not s["n"] else
                     f"m = {m}: {s['mean']:.2g} ({s['lo']:.0f}-{s['hi']:.0f})")
    text = (f"Teacher directions covered (of {teacher_neurons}; mean and range over seeds): " + ", ".join(parts)
            + ".")
    pairs = [(bool(c), v == teacher_neurons) for conv, cov in zip(converged_runs, covered_runs)
             for c, v in zip(conv, cov) if c is not None and v is not None]
    if not pairs:
        return text
    conv_all = sum(c and f for c, f in pairs)
    conv_miss = sum(c and not f for c, f in pairs)
    fail_all = sum(not c and f for c, f in pairs)
    fail_miss = sum(not c and not f for c, f in pairs)
    detail = []
    if conv_all + conv_miss:
        detail.append(f"{conv_all} of the {conv_all + conv_miss} converged runs cover all {teacher_neurons}")
    if fail_all + fail_miss:
        detail.append(f"{fail_miss} of the {fail_all + fail_miss} runs that did not converge miss at least one")
    lead = ("Coverage follows convergence" if not conv_miss and not fail_all else
            f"Coverage and convergence disagree in {conv_miss + fail_all} of {len(pairs)} runs")
    return text + f" {lead}: " + "; ".join(detail) + "."


def covered_directions(net, teacher, degrees: float, share: float = 0.1) -> int:
    """Teacher neurons with at least ``share`` of the student's output mass within ``degrees`` of their
    direction (same output sign)."""
    return int(sum(mass_near_teacher(net.a, net.W, teacher.a[k:k + 1], teacher.W[k:k + 1], degrees) >= share
                   for k in range(len(teacher.a))))


# -- 1-D: triangle wave, restarts ----------------------------------------------------------------------
def segment_seed(seed: int, k: int) -> int:
    """The SGD order seed of segment ``k`` of the restart with seed ``seed``."""
    return int(np.random.SeedSequence([seed, k]).generate_state(1)[0])


def restarts_1d(cfg, m: int, stream, ctx) -> dict:
    """The stored unit of width ``m``: ``restarts`` runs of one-pass SGD on the stream.

    Each run is trained segment by segment between its recorded steps s_0 = 0 < s_1 < ... < s_T =
    steps_1d (log-spaced): segment k takes the stream's samples [B s_k, B s_{k+1}) in a fresh random
    order. That is one pass over fresh samples, as one run over the whole stream would be, but the
    training loss is evaluated only on each segment (twice) instead of on the whole stream at every
    recorded point. Returns the recorded steps (T+1,), the test error (R, T+1), the loss on each
    segment's fresh samples before training on them (R, T), the final networks and which runs diverged
    (their curves stop there, NaN after).
    """
    X, y, xt, yt = stream
    B = cfg.batch
    seeds = [cfg.seed + 1 + r for r in range(cfg.restarts)]
    nets = [init_net(1, m, "relu", "mean-field", bias=True, init="sphere", scale=1.0, seed=s) for s in seeds]
    bounds = log_steps(cfg.steps_1d, cfg.records_1d)
    test = np.full((len(nets), len(bounds)), np.nan)
    fresh = np.full((len(nets), len(bounds) - 1), np.nan)
    diverged = np.zeros(len(nets), dtype=bool)
    alive = list(range(len(nets)))
    for k, (s0, s1) in enumerate(zip(bounds[:-1], bounds[1:])):
        runs = train_many([nets[i] for i in alive], X[s0 * B:s1 * B], y[s0 * B:s1 * B], loss="square",
                          reduction="mean", optimizer=SGD(cfg.lr_1d * m, B), seed=[segment_seed(seeds[i], k) for i in alive],
                          steps=int(s1 - s0), record_at=[0, int(s1 - s0)], X_test=xt, y_test=yt, snapshots=False,
                          on_divergence="keep", processes=1, engine=ctx.engine, quiet=ctx.quiet)
        for i, r in zip(alive, runs):
            test[i, k], fresh[i, k] = r.test_loss[0], r.train_loss[0]
            if "diverged" in r.info:
                diverged[i] = True
            else:
                test[i, k + 1], nets[i] = r.test_loss[-1], r.final
        alive = [i for i in alive if not diverged[i]]
        if not alive:
            break
    return {"steps": bounds, "test": test, "fresh_loss": fresh, "final": nets, "diverged": diverged}


def one_dimensional(cfg, ctx):
    """Triangle wave, one-pass SGD: every restart sees fresh minibatches of the target."""
    B = cfg.batch
    X, y = data.triangle_data(cfg.steps_1d * B, seed=cfg.seed)  # one pass: each sample used once
    xt = np.linspace(-1, 1, 1001)[:, None]
    yt = data.triangle_wave(xt[:, 0])
    results = {m: ctx.run("restarts_1d", functools.partial(restarts_1d, cfg, m, (X, y, xt, yt), ctx), width=m)
               for m in cfg.widths_1d}
    fig, axes = new_figure(len(cfg.widths_1d), 2, width=3.6, height=3.0)
    stats, flags = {}, []
    for col, m in enumerate(cfg.widths_1d):
        res = results[m]
        health = [run_health(curve, diverged=bool(div)) for curve, div in zip(res["test"], res["diverged"])]
        ok = [h["status"] == "ok" for h in health]
        flags += [{"width": m, "restart": i, "status": h["status"], "reason": h["reason"]}
                  for i, h in enumerate(health) if h["status"] != "ok"]
        final = res["test"][:, -1]
        conv = [o and f < cfg.converged_below for o, f in zip(ok, final)]
        stall = [o and not c and stalled(res["steps"], curve, cfg.stall_factor)
                 for o, c, curve in zip(ok, conv, res["test"])]
        stats[m] = {"ok": int(sum(ok)), "converged": int(sum(conv)), "stalled": int(sum(stall)),
                    "median": float(np.median(final[ok])) if any(ok) else float("nan")}
        ax = axes[0, col]
        for net, good in zip(res["final"], ok):
            ax.plot(xt[:, 0], net(xt), lw=0.8, alpha=0.6, ls="-" if good else ":")
        ax.plot(xt[:, 0], yt, "k--", lw=1.5, label="target")
        ax.set_title(f"m = {m}: {cfg.restarts} restarts")
        ax.set_xlabel("x")
        ax.set_ylim(-1.6, 1.6)
        ax.legend(loc="lower right", fontsize=7)
        ax = axes[1, col]
        for curve, good in zip(res["test"], ok):
            ax.plot(res["steps"][1:], np.log10(np.maximum(curve[1:], 1e-16)), lw=0.8, alpha=0.7,
                    ls="-" if good else ":")
        ax.axhline(np.log10(cfg.converged_below), color="0.3", ls=":")
        ax.set_xscale("log")
        ax.set_xlabel("SGD iteration")
        ax.set_ylabel("log10 test error")
    w = list(cfg.widths_1d)
    sentence = convergence_sentence(w, [stats[m]["ok"] for m in w], [stats[m]["converged"] for m in w],
                                    [stats[m]["stalled"] for m in w], cfg.converged_below, cfg.stall_factor)
    left_out = ("Left out (dotted): " + "; ".join(f"m = {f['width']}, restart {f['restart']}: {f['status']} "
                                                 f"({f['reason']})" for f in flags) + "." if flags else "")
    ctx.figure(fig, "triangle_wave", "1D: learned predictors and test error (triangle wave)",
               f"Top: the target (dashed, exactly 5 ReLU neurons with bias) and the predictors of {cfg.restarts} random "
               f"restarts per width after {cfg.steps_1d} one-pass SGD steps (fresh minibatches of {B}). Bottom: log10 test "
               f"error (1001 points on [-1, 1]) against iterations, at {cfg.records_1d} log-spaced points. {sentence} "
               f"{left_out}")
    return stats, flags, sentence


# -- 2-D: particles -------------------------------------------------------------------------------------
def square_teacher(seed: int) -> Net:
    """4 unit neurons a quarter turn apart (random common rotation), output signs +, -, +, -;
    f*(x) = (1/4) sum_j a_j relu(b_j . x)."""
    theta = np.random.default_rng(seed).uniform(0, np.pi / 2) + np.arange(4) * np.pi / 2
    W = np.column_stack([np.cos(theta), np.sin(theta)])
    return Net(np.array([1.0, -1.0, 1.0, -1.0]), W, None, "relu", "mean-field")


def student_seeds(cfg) -> list[int]:
    """The seeds of the 2-D students' initialisations, seed + 1 + k for k < seeds_2d; the first is the
    drawn seed (paths, animation and the single-seed metrics)."""
    return [cfg.seed + 1 + k for k in range(cfg.seeds_2d)]


def particles_2d(cfg, m: int, s: int, X, y, ctx):
    """The stored unit of width ``m`` and student seed ``s``: full-batch GD from a small start.

    Parameter snapshots are recorded only for the drawn seed (``s == cfg.seed + 1``), whose paths and
    animation are drawn; the other seeds keep the loss curve and the final network. A run that
    diverges is kept up to its last finite point, with ``info["diverged"]`` = {step, last_loss, hint}.
    """
    net = init_net(2, m, "relu", "mean-field", init="sphere", scale=cfg.scale_2d, seed=s)
    try:
        return train(net, X, y, loss="square", reduction="mean", optimizer=GD(cfg.lr_2d * m), steps=cfg.steps_2d,
                     record_at=log_steps(cfg.steps_2d, 60), snapshots=s == cfg.seed + 1, engine=ctx.engine,
                     quiet=ctx.quiet)
    except DivergenceError as err:
        if err.trajectory is None:
            raise
        err.trajectory.info["diverged"] = {"step": err.step, "last_loss": err.last_loss, "hint": err.hint}
        return err.trajectory


def seed_outcome(cfg, traj, teacher) -> dict:
    """One 2-D run over seeds: its health (:func:`twolayer.analysis.seeds.traj_health`, no fit level: not
    converging is the outcome measured, not a defect), and, when healthy, its final training loss,
    :func:`loss_state`, converged / stalled (on a plateau) and :func:`covered_directions` out of 4;
    None for a flagged run."""
    h = traj_health(traj, None)
    if h["status"] != "ok":
        return {"health": h, "final": None, "state": None, "converged": None, "stalled": None, "covered": None}
    state = loss_state(traj.steps, traj.train_loss, cfg.converged_below, cfg.stall_factor)
    return {"health": h, "final": float(traj.train_loss[-1]), "state": state, "converged": state == "converged",
            "stalled": state == "on a plateau", "covered": covered_directions(traj.final, teacher, cfg.near_degrees)}


def over_seeds(outcomes) -> dict:
    """Per width (rows of ``outcomes``, lists over seeds of :func:`seed_outcome`): the lists over seeds
    (None for a flagged run), the counts over healthy runs and the spreads."""
    out = {key: [[o[key] for o in row] for row in outcomes] for key in ("final", "state", "converged", "stalled",
                                                                           "covered")}
    out["ok"] = [sum(o["health"]["status"] == "ok" for o in row) for row in outcomes]
    out["n_converged"] = [sum(bool(v) for v in row) for row in out["converged"]]
    out["n_stalled"] = [sum(bool(v) for v in row) for row in out["stalled"]]
    out["final_spread"] = [spread(row) for row in out["final"]]
    out["covered_spread"] = [spread(row) for row in out["covered"]]
    return out


def _plot_seed_losses(ax, cfg, runs, outcomes, widths, seeds) -> None:
    """Every seed's loss curve, thin, one colour per width; the drawn seed's thicker; flagged runs
    dotted."""
    for i, m in enumerate(widths):
        for k, s in enumerate(seeds):
            tr, ok = runs[m, s], outcomes[i][k]["health"]["status"] == "ok"
            ax.plot(cfg.lr_2d * np.maximum(tr.steps, 1), np.maximum(tr.train_loss, 1e-16), color=f"C{i}",
                    lw=1.4 if k == 0 else 0.7, alpha=0.9 if k == 0 else 0.5, ls="-" if ok else ":",
                    label=f"m = {m}" if k == 0 else None)
    ax.axhline(cfg.converged_below, color="0.3", ls=":", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("time (per-neuron step x iterations)")
    ax.set_ylabel("training loss")
    ax.set_title(f"2D: training loss, {len(seeds)} seeds per width")
    ax.legend(fontsize=7)


def _plot_seed_summary(axes, cfg, widths, agg, teacher_neurons: int) -> None:
    """Per width over seeds: final loss (dots, mean and range of log10), fraction converged and on a
    plateau (counts written), teacher directions covered (mean with range bars, dots)."""
    R = cfg.seeds_2d
    x = np.asarray(widths, dtype=float)
    jitter = 1 + 0.08 * (np.arange(R) - (R - 1) / 2)
    logf = np.array([[np.nan if v is None else np.log10(max(v, 1e-16)) for v in row] for row in agg["final"]])
    ax = axes[0]
    for k in range(R):
        ax.plot(x * jitter[k], logf[:, k], "o", ms=3, color="0.4", alpha=0.7)
    mean_band(ax, x, logf, label="mean, range over seeds")
    ax.axhline(np.log10(cfg.converged_below), color="0.3", ls=":", lw=0.8)
    ax.set_ylabel("log10 final training loss")
    ax.legend(fontsize=7)
    ax = axes[1]
    ok = np.maximum(np.asarray(agg["ok"], dtype=float), 1)
    ax.plot(x, np.asarray(agg["n_converged"]) / ok, "o-", label="converged")
    ax.plot(x, np.asarray(agg["n_stalled"]) / ok, "s--", label="on a plateau")
    for xi, c, n in zip(x, agg["n_converged"], agg["ok"]):
        ax.annotate(f"{c}/{n}", (xi, c / max(n, 1)), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=7)
    ax.set_ylim(-0.05, 1.15)
    ax.set_ylabel("fraction of healthy seeds")
    ax.legend(fontsize=7)
    ax = axes[2]
    cov = np.array([[np.nan if v is None else v for v in row] for row in agg["covered"]], dtype=float)
    for k in range(R):
        ax.plot(x * jitter[k], cov[:, k], "o", ms=3, color="0.4", alpha=0.7)
    sp = agg["covered_spread"]
    mean = np.array([q["mean"] for q in sp])
    err = np.array([[q["mean"] - q["lo"] for q in sp], [q["hi"] - q["mean"] for q in sp]])
    ax.errorbar(x, mean, yerr=err, fmt="D-", ms=5, capsize=3, label="mean, range over seeds")
    ax.set_ylim(-0.2, teacher_neurons + 0.3)
    ax.set_ylabel(f"teacher directions covered (of {teacher_neurons})")
    ax.legend(fontsize=7)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("width m")


def two_dimensional(cfg, ctx):
    """Teacher with 4 unit neurons in the plane, students of growing width, full-batch GD, several
    student seeds per width."""
    teacher = square_teacher(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    X = rng.standard_normal((cfg.n_2d, 2))
    y = teacher(X)
    w, seeds = list(cfg.widths_2d), student_seeds(cfg)
    runs = {(m, s): ctx.run("particles_2d", functools.partial(particles_2d, cfg, m, s, X, y, ctx), width=m, seed=s)
            for m in w for s in seeds}
    outcomes = [[seed_outcome(cfg, runs[m, s], teacher) for s in seeds] for m in w]
    agg = over_seeds(outcomes)
    flags = [{"width": m, "seed": s, "status": o["health"]["status"], "reason": o["health"]["reason"]}
             for m, row in zip(w, outcomes) for s, o in zip(seeds, row) if o["health"]["status"] != "ok"]
    left_out = ("Flagged and left out of the counts (dotted): " + "; ".join(
        f"m = {f['width']}, seed {f['seed']}: {f['status']} ({f['reason']})" for f in flags) + "." if flags else
        "No run diverged or nearly diverged.")
    # the drawn seed: one run per width, as before
    drawn = {m: runs[m, seeds[0]] for m in w}
    finals = {m: float(drawn[m].train_loss[-1]) for m in w}
    state = {m: loss_state(drawn[m].steps, drawn[m].train_loss, cfg.converged_below, cfg.stall_factor) for m in w}
    covered = {m: covered_directions(drawn[m].final, teacher, cfg.near_degrees) for m in w}
    sentence = particle_sentence(w, [finals[m] for m in w], [state[m] for m in w], [covered[m] for m in w], 4)
    seeds_text = (width_convergence_sentence(w, agg["ok"], agg["n_converged"], agg["n_stalled"], cfg.converged_below,
                                             cfg.stall_factor)
                  + " " + coverage_sentence(w, agg["converged"], agg["covered"], 4))
    fig, axes = new_figure(len(w), 1, width=3.3, height=3.3)
    for ax, m, row in zip(axes[0], w, outcomes):
        particle_paths(ax, drawn[m], teacher=teacher, title=f"m = {m}{status_tag(row[0]['health'])}", max_paths=200)
    axes[0, 0].legend(loc="lower left", fontsize=7)
    ctx.figure(fig, "particles", "2D: particle trajectories (drawn seed)",
               f"Paths of the particles |a_j| b_j from their small start (scale {cfg.scale_2d:g}) to the end of "
               f"{cfg.steps_2d} GD steps (dots), for each width, student seed {seeds[0]} (the first of the "
               f"{len(seeds)} seeds summarised in the next figures); stars: the 4 teacher neurons (unit norm, a "
               "quarter turn apart, output signs +, -, +, -). A teacher direction counts as covered when a tenth of the "
               f"student's output mass lies within {cfg.near_degrees:g} degrees of it with the same sign. This seed: "
               f"{sentence}")
    fig, ax = new_figure(1, 1, width=5.5, height=3.8)
    _plot_seed_losses(ax[0, 0], cfg, runs, outcomes, w, seeds)
    ctx.figure(fig, "particle_losses", "2D: training loss against time, every seed",
               f"Loss curves of the {len(w)} widths, {len(seeds)} student seeds each ({', '.join(map(str, seeds))}; "
               f"the drawn seed {seeds[0]} thicker). Converged: loss below {cfg.converged_below:g} (dotted line); on a "
               f"plateau: above it, and fell by less than {cfg.stall_factor:g}x over the second half of the steps. "
               f"{seeds_text} {left_out}")
    fig, axes = new_figure(3, 1, width=3.6, height=3.3)
    _plot_seed_summary(axes[0], cfg, w, agg, 4)
    ctx.figure(fig, "particle_seeds", "2D: per-width summary over seeds",
               f"Per width, over the {len(seeds)} student seeds (healthy runs; dots: single seeds): left, log10 final "
               "training loss (line and band: mean and range); middle, fraction of seeds converged and on a plateau; "
               f"right, teacher directions covered (mean, bars: range). {seeds_text} {left_out}")
    gif = ctx.folder / "figures" / "particles.gif"
    m_gif = cfg.gif_width if cfg.gif_width in drawn else w[-1]
    animate_particles(drawn[m_gif], gif, teacher=teacher, title=f"m = {m_gif}", max_frames=cfg.gif_frames)
    ctx.note(f"Animated particles of the m = {m_gif} student (seed {seeds[0]}): "
             "[figures/particles.gif](figures/particles.gif).")
    return {"finals": finals, "state": state, "covered": covered, "sentence": sentence, "seeds_text": seeds_text,
            "agg": agg, "flags": flags, "seeds": seeds}


def check(cfg: Config) -> None:
    """The one-pass stream of the 1-D runs (steps_1d x batch samples) must stay a sane size."""
    if cfg.steps_1d * cfg.batch > MAX_STREAM:
        raise InvalidParameter("steps_1d", cfg.steps_1d, f"steps_1d x batch = {cfg.steps_1d * cfg.batch:.3g} fresh "
                               f"samples is more than {MAX_STREAM:.0e}; use steps_1d <= {MAX_STREAM // cfg.batch}")


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    stats, flags, sentence_1d = one_dimensional(cfg, ctx)
    two = two_dimensional(cfg, ctx)
    ctx.note("Model: f(x) = (1/m) sum_j a_j relu(b_j . x + c_j) (bias in 1D, none in 2D), sphere initialisation "
             "((b_j, c_j) on the unit circle, a_j = +-1, times the scale), square loss (1/n). Mean-field step "
             f"convention: the per-neuron steps {cfg.lr_1d:g} (1D, SGD) and {cfg.lr_2d:g} (2D, GD) are multiplied by m.")
    ctx.note(f"1D: {sentence_1d} 2D, drawn seed {two['seeds'][0]}: {two['sentence']}")
    ctx.note(f"2D over {cfg.seeds_2d} student seeds per width: {two['seeds_text']} Runs that diverged or nearly "
             "diverged would be flagged and left out of these counts; not converging is the outcome measured, so it is "
             "not a flag." + (f" Flagged: {len(two['flags'])} runs (see the figure captions)." if two["flags"] else ""))
    w1, w2 = list(cfg.widths_1d), list(cfg.widths_2d)
    agg = two["agg"]
    return {"widths": w1,
            "fraction_converged": [stats[m]["converged"] / stats[m]["ok"] if stats[m]["ok"] else None for m in w1],
            "restarts_ok": [stats[m]["ok"] for m in w1], "restarts_converged": [stats[m]["converged"] for m in w1],
            "restarts_stalled": [stats[m]["stalled"] for m in w1],
            "median_final_test_error": [stats[m]["median"] for m in w1], "flagged": flags,
            "widths_2d": w2, "particle_final_loss": [two["finals"][m] for m in w2],
            "particle_state": [two["state"][m] for m in w2], "teacher_directions_covered": [two["covered"][m] for m in w2],
            "particle_student_seeds": two["seeds"],
            "particle_final_loss_seeds": agg["final"], "particle_final_loss_spread": agg["final_spread"],
            "particle_state_seeds": agg["state"], "particle_converged_seeds": agg["converged"],
            "particle_stalled_seeds": agg["stalled"],
            "teacher_directions_covered_seeds": agg["covered"],
            "teacher_directions_covered_spread": agg["covered_spread"],
            "particle_runs_ok": agg["ok"], "particle_runs_converged": agg["n_converged"],
            "particle_runs_stalled": agg["n_stalled"],
            "particle_fraction_converged": [c / n if n else None for c, n in zip(agg["n_converged"], agg["ok"])],
            "particle_flagged": two["flags"]}


register(Experiment(
    name="overparam-convergence", seed_file="000_a9745a3daa3e7512.txt",
    description="Seed 000 ex. 3: narrow ReLU networks get stuck, wide ones converge (1D triangle wave with "
                "random restarts; 2D particles following a 4-neuron teacher).",
    config=Config, run=run, quick=QUICK,
    source="sheet 000, exercise 3 (the figures of the blog post it cites)"))

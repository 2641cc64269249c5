"""Seed 000, exercises 1 and 2: the initialisation scale alpha of a mean-field ReLU network trained
by GD on a teacher's labels, in d = 2 and with 8 irrelevant extra coordinates (d = 10).

Each alpha's network is set against its lazy twin (:func:`twolayer.theory.lazy_twin`: the linearisation
around the initialisation, trained by the same GD on the same data, in closed form); the experiments
report where, as alpha grows, the network's test error comes within ``lazy_tolerance`` of the twin's.

Every (d, seed) sweep over the alphas is one stored unit (``ctx.run("sweep", d=, seed=, steps=)``)
holding the recorded loss curves and the final networks; the initial networks are drawn again from
their seeds. Claims compare the runs at equal training loss (``fit_level``): each run's test error is
read where its training loss first falls to that level, so that an alpha is not "best" only because
its runs got further with the optimisation in the step budget. Runs that never reach the level
(or diverge) are flagged and left out of every claim, with the reason.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .. import data
from ..analysis import band_of_best, run_health, signal_fraction, spread
from ..errors import InvalidParameter
from ..init import init_net
from ..limits import FLOAT, format_bytes
from ..optim import GD
from ..plots import function_map, grid, label, mean_band, new_figure, particles
from ..sweep import train_many
from ..trajectory import log_steps
from . import Experiment, register
from .base import param
from .budget import SEED_MAX

SEED_FILE = "000_a9745a3daa3e7512.txt"
RECORDS = 40             # log-spaced recorded points per run (loss curves only; each evaluates the test set)
STORE_LIMIT = 64 * 2 ** 20   # bytes of final networks one experiment keeps in its results folder
AXIS_QUANTILE = 0.98     # the neuron panels' axes cover this quantile of the neurons (times 1.2)
TWIN_HORIZON = 100       # the lazy twin (closed form: no cost per step) is followed to this many times the
                         # run's steps, so that it reaches the fit level even where it trains slower


@dataclass
class Common:
    width: int = param(1000, "Number of hidden neurons m of the student (mean-field scaling 1/m).", ge=1, le=5000)
    n_train: int = param(50, "Number of training inputs X ~ N(0, I_d).", ge=1, le=10_000)
    n_test: int = param(2000, "Number of fresh test inputs for the test error.", ge=1, le=20_000)
    alphas: tuple[float, ...] = param((), "Initialisation scales alpha to sweep; empty: 9 values log-spaced from 1e-2 "
                                      "to sqrt(width).", gt=0, le=1e4, empty=True)
    seeds: int = param(5, "Independent initialisations per alpha; the claims use their spread.", ge=1, le=15)
    lr: float = param(1.0, "Per-neuron GD step: GD runs with lr * width / max(1, alpha^2).", gt=0, le=100)
    steps: int = param(100_000, "Number of full-batch GD steps per run.", ge=1, le=2_000_000)
    fit_level: float = param(3e-6, "Training loss at which the runs are compared; a run that never reaches it is "
                             "flagged 'not fitted' and left out.", gt=0, le=1)
    symmetric: bool = param(False, "Pair the neurons with opposite a_j so that f = 0 at the start (an option; the "
                            "sheet's initialisation is not symmetrised).")
    lazy_tolerance: float = param(0.1, "The network matches its lazy twin where the relative gap |network - twin| / "
                                  "twin of their test errors at the fit level is below this.", gt=0, le=10)
    seed: int = param(0, "Random seed of the teacher, the data and the students.", ge=0, le=SEED_MAX)


@dataclass
class Config(Common):
    near_degrees: float = param(10.0, "A neuron is on a teacher neuron's direction when within this angle (degrees) "
                                "of it, with the same output sign.", gt=0, le=90)


@dataclass
class HiddenConfig(Common):
    steps_d10: int = param(20_000, "GD steps of the d = 10 runs (0: steps); they interpolate their data in far fewer "
                           "steps than the d = 2 runs.", ge=0, le=2_000_000)


QUICK = {"width": 200, "seeds": 2, "steps": 40_000, "fit_level": 2e-5}
QUICK_HIDDEN = {**QUICK, "steps": 30_000, "steps_d10": 5_000}   # two sweeps: fewer steps to stay fast


def alpha_grid(cfg) -> np.ndarray:
    alphas = np.array(cfg.alphas, dtype=float) if cfg.alphas else np.geomspace(1e-2, np.sqrt(cfg.width), 9)
    return np.sort(alphas)


def check(cfg, d: int) -> None:
    """The final networks of every run (seeds x alphas, in R^2 and, for d > 2, also in R^d) are
    stored in the results folder: refuse a sweep that would keep more than :data:`STORE_LIMIT`."""
    runs = cfg.seeds * len(alpha_grid(cfg))
    per_neuron = (d + 1) + (3 if d > 2 else 0)          # hidden-structure also sweeps d = 2
    need = runs * per_neuron * cfg.width * FLOAT
    if need > STORE_LIMIT:
        raise InvalidParameter("width", cfg.width, f"{runs} runs of width {cfg.width} in R^{d} would store "
                               f"{format_bytes(need)} of final networks (limit {format_bytes(STORE_LIMIT)}): lower "
                               "width, seeds or the number of alphas")


# -- numbers from curves and networks (pure) ---------------------------------------------------------
def error_at_level(train, test, level: float) -> float:
    """The test error when the training loss first falls to ``level``.

    train, test : (T,) recorded losses at the same steps. Between the last point above ``level`` and
    the first at or below it, log(test) is interpolated linearly in log(train). NaN when the
    training loss never reaches ``level``.
    """
    train, test = np.asarray(train, dtype=float), np.asarray(test, dtype=float)
    below = np.nonzero(train <= level)[0]
    if not len(below):
        return float("nan")
    i = int(below[0])
    if i == 0 or not (train[i] > 0 and test[i] > 0 and test[i - 1] > 0 and train[i - 1] > level):
        return float(test[i])
    u = (np.log(train[i - 1]) - np.log(level)) / (np.log(train[i - 1]) - np.log(train[i]))
    return float(np.exp(np.log(test[i - 1]) + u * (np.log(test[i]) - np.log(test[i - 1]))))


def mass_near_teacher(a, W, teacher_a, teacher_W, degrees: float) -> float:
    """Share of the output mass sum_j |a_j| ||b_j|| carried by neurons within ``degrees`` of a
    teacher neuron's direction b*_k that has the same output sign (sign a_j = sign a*_k).

    a : (m,), W : (m, d) the student; teacher_a : (k,), teacher_W : (k, d). 1 when all the mass is there,
    about 2 k degrees / 360 / 2 for isotropic neurons with random signs (small angles).
    """
    a, W = np.asarray(a, dtype=float), np.asarray(W, dtype=float)
    norms = np.linalg.norm(W, axis=1)
    mass = np.abs(a) * norms
    U = teacher_W / np.linalg.norm(teacher_W, axis=1, keepdims=True)
    cos = (W / np.maximum(norms, 1e-300)[:, None]) @ U.T                       # (m, k)
    near = (cos >= np.cos(np.radians(degrees))) & (np.sign(a)[:, None] == np.sign(teacher_a)[None, :])
    total = mass.sum()
    return float(mass[near.any(axis=1)].sum() / total) if total > 0 else float("nan")


def robust_limit(P, quantile: float = AXIS_QUANTILE) -> tuple[float, int]:
    """(half-width of a square panel, points outside it) for the (m, 2) points ``P``: 1.2 times the
    ``quantile`` of max(|x|, |y|), so that a few far points do not set the axes."""
    r = np.max(np.abs(np.asarray(P, dtype=float)), axis=1)
    lim = 1.2 * max(float(np.quantile(r, quantile)), 1e-12)
    return lim, int(np.sum(r > lim))


# -- sentences computed from the numbers (pure) ------------------------------------------------------
def _fmt(values) -> str:
    """'mean (range lo-hi over n seeds)' of the finite values."""
    s = spread(values)
    if s["n"] == 0:
        return "no run"
    if s["n"] == 1:
        return f"{s['mean']:.3g} (one seed)"
    return f"{s['mean']:.3g} (range {s['lo']:.3g}-{s['hi']:.3g} over {s['n']} seeds)"


def alpha_list(alphas, idx) -> str:
    """'alpha = a' or 'alphas a to b' (consecutive in the grid) or 'alphas a, b, c'."""
    idx = sorted(idx)
    if len(idx) == 1:
        return f"alpha = {alphas[idx[0]]:.3g}"
    if idx == list(range(idx[0], idx[-1] + 1)):
        return f"alphas {alphas[idx[0]]:.3g} to {alphas[idx[-1]]:.3g}"
    return "alphas " + ", ".join(f"{alphas[i]:.3g}" for i in idx)


def best_alpha_sentence(alphas, values, level: float, lazy: int) -> str:
    """Which alpha has the smallest test error at equal training loss, which alphas the seeds cannot
    tell from it, and how the alpha = sqrt(m) runs (index ``lazy``) compare.

    values : (A, S) test errors at training loss ``level``, NaN for a run left out.
    """
    v = np.asarray(values, dtype=float)
    alphas = np.asarray(alphas, dtype=float)
    if not np.isfinite(v).any():
        return f"No run reached the training loss {level:g}: no alpha can be called best."
    best, band = band_of_best(v)
    text = (f"At equal training loss {level:g} the test error is smallest at alpha = {alphas[best]:.3g}: "
            f"{_fmt(v[best])}")
    others = [i for i in band if i != best]
    text += (f"; {alpha_list(alphas, band)} are indistinguishable from it (their seed ranges overlap its)."
             if others else "; no other alpha's seed range overlaps it.")
    if not np.isfinite(v[lazy]).any():
        return text + f" No run at alpha = sqrt(m) = {alphas[lazy]:.3g} reached the fit level."
    if lazy in band:
        return text + f" alpha = sqrt(m) = {alphas[lazy]:.3g} is among them: here the lazy regime does not " \
                      "generalise worse."
    ratio = np.nanmean(v[lazy]) / np.nanmean(v[best])
    return text + f" At alpha = sqrt(m) = {alphas[lazy]:.3g} the error is {_fmt(v[lazy])}, {ratio:.3g} times the best."


def excluded_sentence(flags: list, total: int) -> str:
    """The runs left out of the claims and why (``flags``: dicts with alpha, seed, status, reason)."""
    if not flags:
        return f"All {total} runs reached the fit level without diverging; none is left out."
    shown = "; ".join(f"alpha = {f['alpha']:.3g}, seed {f['seed']}: {f['status']} ({f['reason']})" for f in flags[:4])
    more = f"; and {len(flags) - 4} more (metrics.json lists them)" if len(flags) > 4 else ""
    verb = "run is" if len(flags) == 1 else "runs are"
    return f"{len(flags)} of {total} {verb} left out of the claims: {shown}{more}."


def gather_sentence(alpha: float, end, start, degrees: float) -> str:
    """Whether the neurons of the runs at ``alpha`` gather on the teacher's directions.

    end, start : (S,) shares of the output mass within ``degrees`` of a same-sign teacher neuron at
    the end and at the start of each seed's run. "Gather" needs every seed above one half and above
    twice the largest start; "part of the mass moves" needs every seed above twice the largest start.
    """
    e, s = spread(end), spread(start)
    head = (f"at alpha = {alpha:.3g}, {e['mean']:.0%} of the output mass sum |a_j| ||b_j|| (seeds {e['lo']:.0%}-"
            f"{e['hi']:.0%}) lies within {degrees:g} degrees of a teacher neuron of the same sign ({s['mean']:.0%} at "
            "the start)")
    if e["lo"] > 2 * s["hi"] and e["lo"] >= 0.5:
        return head + ": most of the mass gathers on the teacher's directions"
    if e["lo"] > 2 * s["hi"]:
        return head + ": part of the mass moves onto the teacher's directions, the rest lies elsewhere"
    return head + ": the neurons stay about as spread as they started"


def baseline_sentence(d: int, alphas, values, baseline: float) -> str:
    """Which alphas beat predicting the mean (test error ``baseline``) in every seed, and by how much.

    values : (A, S) test errors, NaN for a run left out.
    """
    v = np.asarray(values, dtype=float)
    alphas = np.asarray(alphas, dtype=float)
    ok = [i for i in range(len(v)) if np.isfinite(v[i]).any()]
    if not ok:
        return f"In d = {d} no run reached the fit level."
    beat = [i for i in ok if np.nanmax(v[i]) < baseline]
    worse = [i for i in ok if np.nanmin(v[i]) > baseline]
    mixed = [i for i in ok if i not in beat and i not in worse]
    parts = []
    if beat:
        gain = baseline / np.array([np.nanmean(v[i]) for i in beat])
        parts.append(f"{alpha_list(alphas, beat)} beat predicting the mean in every seed, by factors "
                     f"{gain.min():.3g} to {gain.max():.3g}")
    if worse:
        loss = np.array([np.nanmean(v[i]) for i in worse]) / baseline
        k = worse[int(np.argmax(loss))]
        parts.append(f"{alpha_list(alphas, worse)} do worse than predicting the mean in every seed, up to "
                     f"{loss.max():.3g} times its error (at alpha = {alphas[k]:.3g})")
    if mixed:
        parts.append(f"{alpha_list(alphas, mixed)} are on either side of it across seeds")
    return f"In d = {d}, " + "; ".join(parts) + "."


def dimension_sentence(where: str, e2, e10) -> str:
    """Whether the 8 irrelevant coordinates change the test error at ``where`` beyond the seed
    spread: e2, e10 (S,) the errors in d = 2 and d = 10."""
    a, b = spread(e2), spread(e10)
    if a["n"] == 0 or b["n"] == 0:
        return f"At {where} one of the dimensions has no fitted run to compare."
    if b["lo"] > a["hi"]:
        return (f"At {where} the 8 irrelevant coordinates raise the test error from {_fmt(e2)} to {_fmt(e10)}, "
                f"{b['mean'] / a['mean']:.3g} times, beyond the seed spread.")
    if b["hi"] < a["lo"]:
        return (f"At {where} the 8 irrelevant coordinates lower the test error from {_fmt(e2)} to {_fmt(e10)}, "
                "beyond the seed spread.")
    return (f"At {where} the 8 irrelevant coordinates do not change the test error beyond the seed spread "
            f"({_fmt(e2)} in d = 2, {_fmt(e10)} in d = 10).")


def initial_function_sentence(d: int, err, f0sq, baseline: float) -> str:
    """The lazy runs (alpha = sqrt(m)) against predicting the mean, and the size of their random
    initial function f_0: err, f0sq (S,) the test error and mean_x f_0(x)^2 on the test inputs."""
    e, f = spread(err), spread(f0sq)
    if e["n"] == 0:
        return f"In d = {d} no run at alpha = sqrt(m) reached the fit level."
    if e["mean"] > baseline:
        text = (f"In d = {d} the lazy network (alpha = sqrt(m)) does worse than predicting the mean: test error "
                f"{_fmt(err)}, {e['mean'] / baseline:.3g} times the baseline {baseline:.3g}.")
    else:
        text = (f"In d = {d} the lazy network (alpha = sqrt(m)) beats predicting the mean: test error {_fmt(err)}, "
                f"{baseline / e['mean']:.3g} times below the baseline {baseline:.3g}.")
    if f["mean"] > baseline:
        text += (f" Its random initial function alone has mean square {f['mean']:.3g} on the test inputs "
                 f"({f['mean'] / baseline:.3g} times the baseline); after fitting the training points the error is "
                 f"{e['mean'] / f['mean']:.2g} of that.")
    else:
        text += f" Its initial function is small (mean square {f['mean']:.3g} on the test inputs)."
    return text


def relative_gap(net, twin) -> np.ndarray:
    """|net - twin| / twin elementwise (NaN where either is NaN): the network's test error against its
    lazy twin's, shapes (A, S)."""
    net, twin = np.asarray(net, dtype=float), np.asarray(twin, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.abs(net - twin) / twin


def meeting_index(gaps, tol: float):
    """The smallest alpha index from which every compared alpha (mean gap over seeds finite) has a
    mean relative gap below ``tol``; None when the largest compared alpha is not below it (or no alpha
    is compared). gaps : (A, S)."""
    g = np.asarray(gaps, dtype=float)
    mean = np.array([np.nanmean(r) if np.isfinite(r).any() else np.nan for r in g])
    compared = [i for i in range(len(mean)) if np.isfinite(mean[i])]
    meet = None
    for i in reversed(compared):
        if mean[i] >= tol:
            break
        meet = i
    return meet


def lazy_meeting_sentence(alphas, gaps, tol: float, rwc=None) -> str:
    """Where the network's test error meets its lazy twin's as alpha grows (see :func:`meeting_index`).

    gaps : (A, S) relative gaps at the fit level (NaN: a run left out); rwc : (A,) the network's mean
    relative weight change, used to say when it stops falling with alpha (the start's random f_0 then
    grows like alpha^2, so a larger alpha is no lazier)."""
    g = np.asarray(gaps, dtype=float)
    alphas = np.asarray(alphas, dtype=float)
    compared = [i for i in range(len(g)) if np.isfinite(g[i]).any()]
    if not compared:
        return "No alpha has both the network and its lazy twin at the fit level: nothing to compare."
    meet, last = meeting_index(g, tol), compared[-1]
    if meet is None:
        text = (f"The network's test error does not settle within {tol:.0%} of its lazy twin's as alpha grows: at the "
                f"largest alpha compared, {alphas[last]:.3g}, the relative gap |network - twin| / twin is {_fmt(g[last])}.")
        mean = {i: float(np.nanmean(g[i])) for i in compared}
        below = [i for i in compared if mean[i] < tol]
        if below:
            k = min(below, key=mean.get)
            text += (f" The mean gap is below {tol:.0%} only at {alpha_list(alphas, below)} (smallest at alpha = "
                     f"{alphas[k]:.3g}: {_fmt(g[k])}).")
        if rwc is not None and len(compared) > 1:
            prev = compared[-2]
            if rwc[last] > 0.8 * rwc[prev]:
                text += (f" The network's relative weight change has stopped falling ({rwc[prev]:.3g} at alpha = "
                         f"{alphas[prev]:.3g}, {rwc[last]:.3g} at {alphas[last]:.3g}): a larger alpha is no lazier here.")
        return text
    if meet == compared[0]:
        return (f"The network's test error is within {tol:.0%} of its lazy twin's at every alpha compared, "
                f"{alphas[compared[0]]:.3g} to {alphas[last]:.3g} (relative gap at alpha = {alphas[meet]:.3g}: "
                f"{_fmt(g[meet])}).")
    prev = compared[compared.index(meet) - 1]
    return (f"The network's test error comes within {tol:.0%} of its lazy twin's from alpha = {alphas[meet]:.3g} on "
            f"(relative gap there {_fmt(g[meet])}); at alpha = {alphas[prev]:.3g} the gap is {_fmt(g[prev])}.")


def signal_sentence(alphas, frac, d: int, lazy: int) -> str:
    """Where the first layer puts its weight at the smallest alpha and at alpha = sqrt(m): frac (A, S)
    shares of ||W||^2 in the two relevant coordinates; 2/d for isotropic weights."""
    iso = 2 / d

    def where(i):
        s = spread(frac[i])
        if s["lo"] > 1.5 * iso:
            state = "concentrated on (x1, x2)"
        elif s["hi"] < 1.5 * iso:
            state = "close to isotropic"
        else:
            state = "between the two across seeds"
        return f"{_fmt(frac[i])} at alpha = {alphas[i]:.3g} ({state})"

    return (f"Share of the first layer's squared weight in (x1, x2): {where(0)}; {where(lazy)}; isotropic weights give "
            f"{iso:.2g}.")


# -- the sweep ------------------------------------------------------------------------------------
def students(cfg, d: int, s: int, alphas) -> list:
    """The initial networks of seed ``s`` at every alpha (deterministic: drawn again on a redraw)."""
    return [init_net(d, cfg.width, "relu", "mean-field", init="sphere", scale=a, symmetric=cfg.symmetric,
                     seed=cfg.seed + 1000 * (s + 1)) for a in alphas]


def last_finite(curve) -> float:
    """The last finite value of a recorded curve (NaN if none)."""
    v = np.asarray(curve, dtype=float)
    v = v[np.isfinite(v)]
    return float(v[-1]) if len(v) else float("nan")


def _padded(curves, length: int) -> np.ndarray:
    out = np.full((len(curves), length), np.nan)
    for i, c in enumerate(curves):
        out[i, :len(c)] = c
    return out


def train_seed(cfg, d: int, s: int, steps: int, problem, ctx) -> dict:
    """One stored unit: the runs of seed ``s`` at every alpha. Returns the recorded steps (T,),
    training and test losses (A, T), the final networks and which runs diverged."""
    X, y, Xt, yt = problem
    alphas = alpha_grid(cfg)
    record = log_steps(steps, RECORDS)
    runs = train_many(students(cfg, d, s, alphas), X, y, loss="square", reduction="mean",
                      optimizer=[GD(step_size(cfg, a)) for a in alphas], steps=steps,
                      record_at=record, X_test=Xt, y_test=yt, snapshots=False, on_divergence="keep",
                      engine=ctx.engine, quiet=ctx.quiet)
    return {"steps": record, "train": _padded([r.train_loss for r in runs], len(record)),
            "test": _padded([r.test_loss for r in runs], len(record)), "final": [r.final for r in runs],
            "diverged": np.array(["diverged" in r.info for r in runs])}


def step_size(cfg, alpha: float) -> float:
    return cfg.lr * cfg.width / max(1.0, alpha * alpha)


def twin_schedule(steps: int) -> np.ndarray:
    """The twin's recorded steps: the run's own (log-spaced to ``steps``) and on to TWIN_HORIZON x steps."""
    return np.union1d(log_steps(steps, RECORDS), log_steps(steps * TWIN_HORIZON, RECORDS)).astype(np.int64)


def twin_seed(cfg, d: int, s: int, steps: int, problem) -> dict:
    """One stored unit: the lazy twins of seed ``s`` at every alpha (closed form, no training).
    Returns the recorded steps (T,), the twin's training and test losses and the infinite-width
    kernel predictor's (A, T), and at the run's last step the twin's test outputs (A, n_test) and
    relative weight change (A,)."""
    from ..theory.lazy import lazy_twin

    X, y, Xt, yt = problem
    alphas = alpha_grid(cfg)
    record = twin_schedule(steps)
    end = int(np.searchsorted(record, steps))
    twins = [lazy_twin(net, X, y, loss="square", reduction="mean", optimizer=GD(step_size(cfg, a)),
                       steps=int(record[-1]), record_at=record, X_test=Xt, y_test=yt)
             for a, net in zip(alphas, students(cfg, d, s, alphas))]
    nan = np.full(len(record), np.nan)
    return {"steps": record, "end": end, "train": np.array([t.train_loss for t in twins]),
            "test": np.array([t.test_loss for t in twins]),
            "kernel_train": np.array([nan if t.kernel_train_loss is None else t.kernel_train_loss for t in twins]),
            "kernel_test": np.array([nan if t.kernel_test_loss is None else t.kernel_test_loss for t in twins]),
            "test_out": np.array([t.test_out[end] for t in twins]),
            "weight_change": np.array([t.weight_change[end] for t in twins])}


def twin_numbers(cfg, d: int, alphas, twins, finals, Xt, yt) -> dict:
    """(A, S) arrays from the stored twins: the twin's and the kernel predictor's test errors at the fit
    level (NaN and a flag when the twin never reaches it or diverges), the twin's test error after the
    run's steps, the RMS distance between the network and its twin on the test inputs at the end of
    the run (relative to the labels' RMS) and the twin's relative weight change then."""
    A, S = len(alphas), len(twins)
    out = {k: np.full((A, S), np.nan) for k in ("at_fit", "kernel", "final", "distance", "rwc")}
    flags, scale = [], float(np.sqrt(np.mean(yt ** 2)))
    for s, tw in enumerate(twins):
        for i, a in enumerate(alphas):
            train, test = tw["train"][i], tw["test"][i]
            health = run_health(train, fit_level=cfg.fit_level, diverged=not np.all(np.isfinite(train)))
            out["final"][i, s] = test[tw["end"]]
            out["rwc"][i, s] = tw["weight_change"][i]
            out["distance"][i, s] = np.sqrt(np.mean((finals[i][s](Xt) - tw["test_out"][i]) ** 2)) / scale
            if health["status"] != "ok":
                flags.append({"d": d, "alpha": float(a), "seed": s, "status": health["status"],
                              "reason": f"lazy twin: {health['reason']}"})
                continue
            out["at_fit"][i, s] = error_at_level(train, test, cfg.fit_level)
            if np.isfinite(tw["kernel_train"][i]).all():
                out["kernel"][i, s] = error_at_level(tw["kernel_train"][i], tw["kernel_test"][i], cfg.fit_level)
    out["flags"] = flags
    return out


def alpha_sweep(cfg, d: int, ctx, steps: int | None = None) -> dict:
    """Students at every alpha and seed on the teacher's labels, inputs in R^d with the teacher acting
    on the first two coordinates. Arrays are (A, S): alphas x seeds."""
    steps = cfg.steps if steps is None else steps
    alphas = alpha_grid(cfg)
    X, y, Xt, yt, teacher = data.teacher(cfg.n_train, d, n_test=cfg.n_test, relevant=2, seed=cfg.seed)
    units = [ctx.run("sweep", functools.partial(train_seed, cfg, d, s, steps, (X, y, Xt, yt), ctx),
                     d=d, seed=s, steps=steps) for s in range(cfg.seeds)]
    A, S = len(alphas), cfg.seeds
    at_fit, final, rwc, flags = np.full((A, S), np.nan), np.full((A, S), np.nan), np.zeros((A, S)), []
    for s, unit in enumerate(units):
        for i, (a, net0) in enumerate(zip(alphas, students(cfg, d, s, alphas))):
            health = run_health(unit["train"][i], fit_level=cfg.fit_level, diverged=bool(unit["diverged"][i]))
            final[i, s] = last_finite(unit["test"][i])
            rwc[i, s] = np.linalg.norm(unit["final"][i].theta - net0.theta) / np.linalg.norm(net0.theta)
            if health["status"] == "ok":
                at_fit[i, s] = error_at_level(unit["train"][i], unit["test"][i], cfg.fit_level)
            else:
                flags.append({"d": d, "alpha": float(a), "seed": s, "status": health["status"],
                              "reason": health["reason"]})
    finals = [[u["final"][i] for u in units] for i in range(A)]
    twins = [ctx.run("lazy_twin", functools.partial(twin_seed, cfg, d, s, steps, (X, y, Xt, yt)), d=d, seed=s,
                     steps=steps) for s in range(cfg.seeds)]
    twin = twin_numbers(cfg, d, alphas, twins, finals, Xt, yt)
    twin["gap"] = relative_gap(at_fit, twin["at_fit"])
    return {"alphas": alphas, "at_fit": at_fit, "final": final, "rwc": rwc, "flags": flags, "units": units,
            "X": X, "y": y, "Xt": Xt, "yt": yt, "teacher": teacher, "steps": steps, "finals": finals, "twin": twin}


def baselines(y, yt) -> dict:
    """Test errors of the trivial predictors: the training labels' mean ("mean") and 0 ("zero")."""
    return {"mean": float(np.mean((yt - np.mean(y)) ** 2)), "zero": float(np.mean(yt ** 2))}


def lazy_index(alphas, width) -> int:
    return int(np.argmin(np.abs(np.asarray(alphas) - np.sqrt(width))))


def picks(alphas, width):
    """Indices of a small, a middle and the sqrt(m) alpha."""
    return [0, len(alphas) // 2, lazy_index(alphas, width)]


# -- figures --------------------------------------------------------------------------------------------
def error_vs_alpha(ax, res, name: str, width: int, colour=None):
    """Test error at the fit level (line: mean, band: range over the seeds kept), the final test error
    (dotted, all runs) and the left-out runs (crosses at their final error)."""
    alphas = res["alphas"]
    mean_band(ax, alphas, res["at_fit"], label=f"{name}: at the fit level", colour=colour)
    colour = ax.lines[-1].get_color()
    ax.plot(alphas, np.nanmean(res["final"], axis=1), ":", color=colour, lw=1, label=f"{name}: after all steps")
    if res["flags"]:
        fa = [f["alpha"] for f in res["flags"]]
        fv = [res["final"][list(alphas).index(f["alpha"]), f["seed"]] for f in res["flags"]]
        ax.plot(fa, fv, "x", color=colour, ms=7, mew=1.5, label=f"{name}: left out ({len(fa)} runs)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.axvline(np.sqrt(width), color="0.3", ls=":")
    ax.annotate(r"$\alpha=\sqrt{m}$", (np.sqrt(width), 0.5), xycoords=("data", "axes fraction"), ha="right",
                va="center", rotation=90, fontsize=8)
    label(ax, r"initialisation scale $\alpha$", "test error (mean; band: range over seeds)")


def twin_panel(ax, res, name: str, tol: float, width: int):
    """The network's test error at the fit level against its lazy twin's and the infinite-width kernel
    predictor's (lines: mean, bands: range over seeds), with the alpha from which they meet."""
    alphas, tw = res["alphas"], res["twin"]
    mean_band(ax, alphas, res["at_fit"], label=f"{name}network", colour="tab:blue")
    mean_band(ax, alphas, tw["at_fit"], label=f"{name}lazy twin", colour="tab:red", marker="s")
    if np.isfinite(tw["kernel"]).any():
        ok = np.isfinite(tw["kernel"]).any(axis=1)
        ax.plot(alphas[ok], [np.nanmean(r) for r in tw["kernel"][ok]], "--", color="0.35", lw=1,
                label="infinite-width kernel predictor")
    meet = meeting_index(tw["gap"], tol)
    if meet is not None:
        ax.axvline(alphas[meet], color="tab:green", ls="-.", lw=1, label=f"meet within {tol:.0%}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.axvline(np.sqrt(width), color="0.3", ls=":")
    label(ax, r"initialisation scale $\alpha$", "test error at the fit level")


def gap_panel(ax, res, tol: float, name: str = "", colour=None):
    """The relative gap |network - twin| / twin (mean, band: range over seeds) and the tolerance."""
    mean_band(ax, res["alphas"], res["twin"]["gap"], label=f"{name}relative gap", colour=colour)
    ax.axhline(tol, color="tab:green", ls="-.", lw=1, label=f"tolerance {tol:g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(ax, r"initialisation scale $\alpha$", "|network - twin| / twin")


def twin_metrics(res, tol: float, suffix: str = "") -> dict:
    """Metric entries of the lazy-twin comparison (keys end with ``suffix``, e.g. "_d10")."""
    tw, alphas = res["twin"], res["alphas"]
    meet = meeting_index(tw["gap"], tol)

    def runs(v):
        return [[None if not np.isfinite(x) else float(x) for x in row] for row in v]

    def means(v):
        return [spread(r)["mean"] if np.isfinite(r).any() else None for r in v]

    return {f"lazy_twin_test_error{suffix}": means(tw["at_fit"]), f"lazy_twin_test_error{suffix}_seeds": runs(tw["at_fit"]),
            f"lazy_twin_final_test_error{suffix}_seeds": runs(tw["final"]),
            f"kernel_test_error{suffix}": means(tw["kernel"]), f"kernel_test_error{suffix}_seeds": runs(tw["kernel"]),
            f"lazy_gap{suffix}": means(tw["gap"]), f"lazy_gap{suffix}_seeds": runs(tw["gap"]),
            f"lazy_gap{suffix}_spread": [{k: None if isinstance(v, float) and not np.isfinite(v) else v
                                          for k, v in spread(r).items()} for r in tw["gap"]],
            f"lazy_meet_alpha{suffix}": None if meet is None else float(alphas[meet]),
            f"lazy_distance{suffix}_seeds": runs(tw["distance"]),
            f"lazy_twin_weight_change{suffix}": means(tw["rwc"]),
            f"lazy_twin_flagged{suffix}": tw["flags"],
            f"lazy_meeting{suffix}": lazy_meeting_sentence(alphas, tw["gap"], tol, res["rwc"].mean(axis=1))}


def twin_note(cfg, res) -> str:
    return (f"Lazy twin: the network linearised at its initialisation, f_0(x) + J(x) (theta - theta_0), trained by the "
            f"same GD on the same data, in closed form (theory.lazy_twin), followed to {TWIN_HORIZON} times the run's "
            f"steps so that it reaches the fit level; its test error is read at training loss {cfg.fit_level:g} like "
            f"the network's. The infinite-width kernel predictor uses the analytic NTK of the same initialisation law "
            f"with the network's own f_0. {len(res['twin']['flags'])} twin runs never reached the fit level and are "
            "left out of the comparison.")


def legend_headroom(ax):
    ax.autoscale(enable=True, axis="y")
    ax.relim()
    ax.autoscale_view()
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi * (hi / lo) ** 0.45)
    ax.legend(loc="upper left", fontsize=7, ncol=2)


def function_panels(ctx, res, cfg, d, name, title):
    alphas, teacher = res["alphas"], res["teacher"]
    chosen = picks(alphas, cfg.width)
    embed = None if d == 2 else (lambda P: np.hstack([P, np.zeros((len(P), d - 2))]))
    vmax = float(np.abs(teacher(grid()[2])).max())
    fig, axes = new_figure(len(chosen) + 1, 1, width=3.4, height=3.4)
    im = function_map(axes[0, 0], teacher, vmin=-vmax, vmax=vmax, title="teacher (5 neurons)",
                      points=res["X"][:, :2], kinks=teacher.W)
    for ax, i in zip(axes[0, 1:], chosen):
        function_map(ax, res["finals"][i][0], vmin=-vmax, vmax=vmax, title=rf"$\alpha$ = {alphas[i]:.3g}",
                     points=res["X"][:, :2], kinks=teacher.W, embed=embed)
    fig.colorbar(im, ax=axes[0, -1], shrink=0.8, label="f(x)")
    ctx.figure(fig, name, title,
               f"Learned functions on [-3, 3]^2{'' if d == 2 else ' (plane of x1, x2 with z = 0)'} for a small, a middle "
               f"and the sqrt(m) initialisation scale (seed 0), next to the teacher, on one colour scale. Dots: the "
               f"{cfg.n_train} training inputs; dashed: the teacher's kink lines b_j . x = 0. "
               f"Initialisation: {'symmetric pairs (f = 0 at start)' if cfg.symmetric else 'as in the sheet (not symmetrised)'}.")
    return chosen


def init_note(cfg) -> str:
    return ("All figures use the " + ("symmetric initialisation (neurons in pairs with opposite a_j, so f = 0 at the "
                                      "start)" if cfg.symmetric else
                                      "initialisation of the sheet (not symmetrised; --set symmetric=true pairs the "
                                      "neurons with opposite a_j so that f = 0 at the start, the standard way to "
                                      "remove the random initial function of the lazy regime)") + ".")


# -- the experiments ------------------------------------------------------------------------------------
def neuron_numbers(res, cfg) -> dict:
    """Shares of the output mass near the teacher's directions, (A, S) at the end and the start."""
    T = res["teacher"]
    end = np.array([[mass_near_teacher(n.a, n.W, T.a, T.W, cfg.near_degrees) for n in row] for row in res["finals"]])
    start = np.array([[mass_near_teacher(n.a, n.W, T.a, T.W, cfg.near_degrees)
                       for n in students(cfg, 2, s, res["alphas"])] for s in range(cfg.seeds)]).T
    return {"end": end, "start": start}


def run_init_scale(cfg: Config, ctx) -> dict:
    check(cfg, 2)
    res = alpha_sweep(cfg, 2, ctx)
    alphas, at_fit = res["alphas"], res["at_fit"]
    lazy = lazy_index(alphas, cfg.width)
    chosen = function_panels(ctx, res, cfg, 2, "functions", "Learned function against alpha")

    total = at_fit.size
    claim = best_alpha_sentence(alphas, at_fit, cfg.fit_level, lazy)
    left_out = excluded_sentence(res["flags"], total)
    have = np.isfinite(at_fit).any()
    best, band = band_of_best(at_fit) if have else (None, [])
    fig, ax = new_figure(1, 1, width=6.0, height=4.2)
    error_vs_alpha(ax[0, 0], res, "d = 2", cfg.width)
    if band:
        ax[0, 0].axvspan(alphas[min(band)] / 1.15, alphas[max(band)] * 1.15, color="0.85", zorder=0,
                         label="indistinguishable from the best")
    legend_headroom(ax[0, 0])
    ax[0, 0].set_title(f"Test error against initialisation scale (m = {cfg.width}, n = {cfg.n_train})")
    ctx.figure(fig, "test_error", "Test error against alpha",
               f"Mean squared error on {cfg.n_test} fresh samples, read where each run's training loss first falls "
               f"to {cfg.fit_level:g} (line: mean, band: range over the {cfg.seeds} seeds that got there; dotted: after "
               f"all {cfg.steps} GD steps; crosses: runs left out; grey: alphas indistinguishable from the best). "
               f"{claim} {left_out}")

    nn = neuron_numbers(res, cfg)
    fig, axes = new_figure(len(chosen), 1, width=3.4, height=3.4)
    outside = []
    for ax, i in zip(axes[0], chosen):
        net = res["finals"][i][0]
        lim, out = robust_limit(np.abs(net.a)[:, None] * net.W)
        outside.append(out)
        particles(ax, net, teacher=res["teacher"], lim=lim,
                  title=rf"$\alpha$ = {alphas[i]:.3g}" + (f" ({out} outside)" if out else ""))
    axes[0, 0].legend(loc="lower left", fontsize=7)
    gathers = [gather_sentence(alphas[i], nn["end"][i], nn["start"][i], cfg.near_degrees) for i in chosen]
    ctx.figure(fig, "neurons", "Neurons at the end of training",
               "Each dot is a neuron of seed 0 at |a_j| b_j (red: a_j > 0, blue: a_j < 0); stars and rays: the "
               f"teacher's neurons. Axes: 1.2 times the {AXIS_QUANTILE:.0%} quantile of the neurons' coordinates, so "
               f"that a few far neurons do not set them ({', '.join(map(str, outside))} of {cfg.width} neurons fall "
               "outside the three panels). Over all seeds, " + "; ".join(gathers) + ".")

    rwc = res["rwc"].mean(axis=1)
    tol = cfg.lazy_tolerance
    twm = twin_metrics(res, tol)
    fig, axes = new_figure(2, 1, width=5.0, height=3.8)
    twin_panel(axes[0, 0], res, "", tol, cfg.width)
    legend_headroom(axes[0, 0])
    gap_panel(axes[0, 1], res, tol)
    axes[0, 1].legend(fontsize=7)
    dist = res["twin"]["distance"]
    ctx.figure(fig, "lazy_twin", "The network against its lazy twin",
               f"Left: test error at training loss {cfg.fit_level:g} of the network and of its lazy twin (the "
               f"linearisation at initialisation trained by the same GD), and of the infinite-width kernel predictor "
               f"(dashed); lines: mean, bands: range over {cfg.seeds} seeds. Right: the relative gap of the two test "
               f"errors. {twm['lazy_meeting']} At the end of the {cfg.steps} steps the network and its twin differ on the "
               f"test inputs by {_fmt(dist[0])} of the labels' RMS at alpha = {alphas[0]:.3g} and by {_fmt(dist[lazy])} at "
               f"alpha = sqrt(m).")
    ctx.note(init_note(cfg))
    ctx.note(f"Model of the sheet: f(x) = (1/m) sum_j a_j relu(b_j . x), b_j = alpha * uniform on the circle, "
             f"a_j = alpha * (+-1), square loss (1/n), full-batch GD. Teacher: 5 neurons drawn at alpha = 1; "
             f"n = {cfg.n_train} inputs X ~ N(0, I_2). Step convention: mean-field, the per-neuron step "
             f"{cfg.lr:g} times m, divided by max(1, alpha^2) so that every scale is stable (the Hessian grows "
             f"like alpha^2; this is the lazy-training time rescaling). {cfg.seeds} seeds per alpha.")
    ctx.note("Runs are compared at equal training loss: each run's test error is read where its training loss first "
             f"falls to {cfg.fit_level:g}, so that no alpha wins only because its runs went further with the "
             f"optimisation in {cfg.steps} steps. {claim} {left_out}")
    ctx.note(f"Laziness: the weights moved by {rwc[lazy]:.3g} of their initial norm at alpha = sqrt(m) = "
             f"{alphas[lazy]:.3g}, against {rwc[0]:.3g} at alpha = {alphas[0]:.3g} (mean over seeds).")
    ctx.note(twin_note(cfg, res) + " " + twm["lazy_meeting"])
    err = [spread(row) for row in at_fit]
    return {"alphas": alphas.tolist(), "fit_level": cfg.fit_level, "test_error": [e["mean"] for e in err],
            "test_error_runs": at_fit.tolist(),
            "final_test_error": np.nanmean(res["final"], axis=1).tolist(),
            "best_alpha": None if best is None else float(alphas[best]),
            "band_alphas": [float(alphas[i]) for i in band],
            "test_error_best": None if best is None else err[best]["mean"],
            "test_error_at_sqrt_m": err[lazy]["mean"], "relative_weight_change": rwc.tolist(),
            "flagged": res["flags"], "runs_left_out": len(res["flags"]), "runs": total,
            "near_degrees": cfg.near_degrees, "mass_near_teacher": nn["end"].mean(axis=1).tolist(),
            "mass_near_teacher_runs": nn["end"].tolist(), "mass_near_teacher_start_runs": nn["start"].tolist(),
            "neuron_panels_alphas": [float(alphas[i]) for i in chosen], "neurons_outside_axes": outside,
            "lazy_tolerance": tol, **twm}


def run_hidden(cfg: HiddenConfig, ctx) -> dict:
    check(cfg, 10)
    res2 = alpha_sweep(cfg, 2, ctx)
    res10 = alpha_sweep(cfg, 10, ctx, steps=cfg.steps_d10 or cfg.steps)
    alphas = res10["alphas"]
    lazy = lazy_index(alphas, cfg.width)
    base = {d: baselines(res["y"], res["yt"]) for d, res in ((2, res2), (10, res10))}

    f0sq = {}
    for d, res in ((2, res2), (10, res10)):
        nets = [students(cfg, d, s, [alphas[lazy]])[0] for s in range(cfg.seeds)]
        f0sq[d] = np.array([np.mean(n(res["Xt"]) ** 2) for n in nets])
    lazy_err = {2: res2["at_fit"][lazy], 10: res10["at_fit"][lazy]}
    sentences = {
        "baseline_d2": baseline_sentence(2, alphas, res2["at_fit"], base[2]["mean"]),
        "baseline_d10": baseline_sentence(10, alphas, res10["at_fit"], base[10]["mean"]),
        "dimension_rich": dimension_sentence(f"alpha = {alphas[0]:.3g}", res2["at_fit"][0], res10["at_fit"][0]),
        "dimension_lazy": dimension_sentence(f"alpha = sqrt(m) = {alphas[lazy]:.3g}", lazy_err[2], lazy_err[10]),
        "initial_function_d2": initial_function_sentence(2, lazy_err[2], f0sq[2], base[2]["mean"]),
        "initial_function_d10": initial_function_sentence(10, lazy_err[10], f0sq[10], base[10]["mean"]),
    }
    flags = res2["flags"] + res10["flags"]
    left_out = excluded_sentence(flags, res2["at_fit"].size + res10["at_fit"].size)

    fig, ax = new_figure(1, 1, width=6.0, height=4.2)
    error_vs_alpha(ax[0, 0], res2, "d = 2", cfg.width, colour="tab:blue")
    error_vs_alpha(ax[0, 0], res10, "d = 10", cfg.width, colour="tab:orange")
    for d, colour in ((2, "tab:blue"), (10, "tab:orange")):
        ax[0, 0].axhline(base[d]["mean"], color=colour, ls="--", lw=1, label=f"d = {d}: predict the mean")
    legend_headroom(ax[0, 0])
    ax[0, 0].set_title("Adaptivity to a hidden two-dimensional structure")
    ctx.figure(fig, "test_error", "Test error against alpha, d = 2 and d = 10, with the trivial predictors",
               f"Same teacher, labels depending on (x1, x2) only; d = 10 adds 8 Gaussian coordinates. Test error read "
               f"where each run's training loss first falls to {cfg.fit_level:g} (line: mean, band: range over "
               f"{cfg.seeds} seeds; dotted: after all steps, {cfg.steps} in d = 2 and {res10['steps']} in d = 10; "
               f"crosses: runs left out). Dashed: the test error of predicting the training mean, "
               f"{base[2]['mean']:.3g} (d = 2) and {base[10]['mean']:.3g} (d = 10); predicting 0 gives "
               f"{base[2]['zero']:.3g} and {base[10]['zero']:.3g}. {sentences['baseline_d2']} {sentences['baseline_d10']} "
               f"{sentences['dimension_rich']} {sentences['dimension_lazy']} {sentences['initial_function_d10']} "
               f"{left_out}")
    function_panels(ctx, res10, cfg, 10, "functions", "Learned function on the signal plane (d = 10)")

    tol = cfg.lazy_tolerance
    twm = {**twin_metrics(res2, tol, "_d2"), **twin_metrics(res10, tol, "_d10")}
    fig, axes = new_figure(2, 1, width=5.0, height=3.8)
    for ax, d, res in ((axes[0, 0], 2, res2), (axes[0, 1], 10, res10)):
        twin_panel(ax, res, "", tol, cfg.width)
        ax.axhline(base[d]["mean"], color="tab:orange", ls=(0, (1, 3)), lw=1.2, label="predict the mean")
        legend_headroom(ax)
        ax.set_title(f"d = {d}")
    ctx.figure(fig, "lazy_twin", "The network against its lazy twin, d = 2 and d = 10",
               f"Test error at training loss {cfg.fit_level:g} of the network and of its lazy twin (the linearisation at "
               f"initialisation trained by the same GD) and of the infinite-width kernel predictor (dashed); lines: "
               f"mean, bands: range over {cfg.seeds} seeds. d = 2: {twm['lazy_meeting_d2']} d = 10: "
               f"{twm['lazy_meeting_d10']}")
    frac = np.array([[signal_fraction(n.W) for n in row] for row in res10["finals"]])
    fig, ax = new_figure(1, 1, width=5.0, height=3.6)
    mean_band(ax[0, 0], alphas, frac, label="d = 10 (mean, range over seeds)")
    ax[0, 0].set_xscale("log")
    ax[0, 0].axhline(0.2, color="0.4", ls=":", label="isotropic: 2/10")
    label(ax[0, 0], r"initialisation scale $\alpha$", "share of ||W||^2 in (x1, x2)",
          "Where the first layer puts its weight (d = 10)", legend=True)
    signal = signal_sentence(alphas, frac, 10, lazy)
    ctx.figure(fig, "signal_fraction", "First-layer weight in the signal plane",
               f"sum_j ||b_j[:2]||^2 / sum_j ||b_j||^2 at the end of every run (all runs). {signal}")
    ctx.note("Exercise 2 of the sheet: inputs (x1, x2, z1..z8) with z ~ N(0, I_8), labels from the same teacher "
             f"on (x1, x2). Everything else as in init-scale-2d (same seeds and step convention); the d = 10 runs "
             f"take {res10['steps']} steps, the d = 2 runs {cfg.steps}. " + init_note(cfg))
    ctx.note(f"Trivial predictors on the test inputs: the training mean has test error {base[2]['mean']:.3g} (d = 2) "
             f"and {base[10]['mean']:.3g} (d = 10), 0 has {base[2]['zero']:.3g} and {base[10]['zero']:.3g} (the labels' "
             f"mean square). {sentences['initial_function_d2']} "
             f"{sentences['initial_function_d10']}")
    ctx.note(twin_note(cfg, res10) + f" In d = 2: {twm['lazy_meeting_d2']} In d = 10: {twm['lazy_meeting_d10']}")
    mean2, mean10 = (np.array([spread(r)["mean"] for r in res["at_fit"]]) for res in (res2, res10))
    return {"alphas": alphas.tolist(), "fit_level": cfg.fit_level, "test_error_d2": mean2.tolist(),
            "test_error_d10": mean10.tolist(), "test_error_d2_runs": res2["at_fit"].tolist(),
            "test_error_d10_runs": res10["at_fit"].tolist(),
            "final_test_error_d2": np.nanmean(res2["final"], axis=1).tolist(),
            "final_test_error_d10": np.nanmean(res10["final"], axis=1).tolist(),
            "baseline_predict_mean_d2": base[2]["mean"], "baseline_predict_mean_d10": base[10]["mean"],
            "baseline_predict_zero_d2": base[2]["zero"], "baseline_predict_zero_d10": base[10]["zero"],
            "initial_function_mean_square_d2": f0sq[2].tolist(), "initial_function_mean_square_d10": f0sq[10].tolist(),
            "weight_fraction_in_signal_plane": frac.mean(axis=1).tolist(),
            "weight_fraction_in_signal_plane_runs": frac.tolist(), "steps_d10": res10["steps"],
            "flagged": flags, "runs_left_out": len(flags), "lazy_tolerance": tol, **twm}


register(Experiment(
    name="init-scale-2d", seed_file=SEED_FILE,
    description="Seed 000 ex. 1: how the initialisation scale alpha decides between feature learning and "
                "lazy interpolation for a mean-field ReLU network on a 5-neuron teacher.",
    config=Config, run=run_init_scale, quick=QUICK, source="sheet 000, exercise 1"))
register(Experiment(
    name="hidden-structure", seed_file=SEED_FILE,
    description="Seed 000 ex. 2: the same with 8 irrelevant input coordinates, against the trivial predictors: "
                "how alpha decides whether the network finds the hidden plane.",
    config=HiddenConfig, run=run_hidden, quick=QUICK_HIDDEN, source="sheet 000, exercise 2"))

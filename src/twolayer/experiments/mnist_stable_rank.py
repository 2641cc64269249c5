"""Seed 004, Problem 3.3: the stable rank of the first layer of a leaky-ReLU network trained on MNIST,
as a function of the initialisation scale sigma.

Leaky ReLU (gamma = 0.05), m = 150, biases in both layers, 10 outputs, cross-entropy, every parameter
N(0, sigma^2), both layers trained by minibatch SGD on the float32 BLAS path
(:mod:`twolayer.engines.blas`). A step size is picked by short probe runs; training at sigma = 0.02
runs until the training error is below 5% (T steps); then every sigma of the sweep trains for the same
T steps with the same step size, for several seeds (each seed its own initial draw and minibatch
order). A run whose minibatch loss blows up (:func:`twolayer.analysis.run_health`) is flagged and left
out of the conclusions, which are computed from the retained runs (:func:`rank_sentence`,
:func:`movement_sentence`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..analysis import run_health, spread, stable_rank
from ..data import mnist
from ..engines.blas import Classifier, train_sgd
from ..errors import DivergenceError, InvalidParameter
from ..plots import label, mean_band, new_figure
from . import Experiment, register
from .base import param
from .budget import SEED_MAX

STYLES = (("C0", "-", "o"), ("C1", "--", "s"), ("C2", "-.", "^"), ("C3", ":", "D"), ("k", "-", "v"))
FALLS, STAYS = 0.5, 0.9       # StableRank(W_T) / StableRank(W_0): "falls" at most FALLS, "stays" at least STAYS
FAR, LAZY = 1.0, 0.1          # ||W_T - W_0|| / ||W_0||: "moved far" at least FAR, "barely moved" at most LAZY


@dataclass
class Config:
    m: int = param(150, "Number of hidden leaky-ReLU neurons.", ge=1, le=10_000)
    gamma: float = param(0.05, "Leaky ReLU slope: phi(t) = max(t, gamma t).", gt=0, le=1)
    sigma: float = param(0.02, "Initial standard deviation that sets the step count T (must be one of sigmas).", gt=0,
                         le=100)
    sigmas: tuple[float, ...] = param((2e-4, 2e-3, 2e-2, 0.2, 2.0), "Initial standard deviations of the sweep.", gt=0,
                                      le=100)
    batch_size: int = param(100, "SGD minibatch size (MNIST has 60000 training images).", ge=1, le=60_000)
    lr_grid: tuple[float, ...] = param((0.01, 0.03, 0.1, 0.3, 1.0, 3.0), "Candidate SGD step sizes of the probe runs.",
                                       gt=0, le=100)
    probe_steps: int = param(200, "SGD steps of each probe run.", ge=1, le=100_000)
    target_error: float = param(0.05, "Training error (fraction misclassified) that ends the run at sigma.", gt=0,
                                le=1)
    max_steps: int = param(30000, "Most SGD steps of the run at sigma before giving up on target_error.", ge=1,
                           le=3_000_000)
    check_every: int = param(100, "SGD steps between two evaluations of the training error.", ge=1, le=1_000_000)
    second_lr_factor: float = param(0.1, "Also sweep at the chosen step times this factor (0: no second sweep).",
                                    ge=0, le=100)
    seeds: int = param(5, "Seeds of the sweep: seed + k (k < seeds) draws the initial parameters and the minibatch "
                       "order of every (sigma, step size) run; the step size and T come from seed alone.", ge=1, le=50)
    blowup: float = param(100.0, "A sweep run whose minibatch loss rises above blowup x its first value is flagged "
                          "'nearly diverged' and left out of the conclusions.", gt=1, le=1e12)
    dtype: str = param("float32", "Floating-point type of the data and the BLAS training path.",
                       choices=("float32", "float64"))
    data_dir: str | None = param(None, "Folder holding the MNIST files (free text; none: TWOLAYER_DATA_DIR, then "
                                 "~/.cache/twolayer, downloading there).")
    seed: int = param(0, "First random seed of the initial draw and of the minibatches.", ge=0, le=SEED_MAX)


QUICK = {"lr_grid": (0.1, 0.3, 1.0), "probe_steps": 100, "seeds": 2}


def init(X, cfg: Config, sigma: float, seed: int) -> Classifier:
    return Classifier.init(X.shape[1], cfg.m, 10, sigma, slope=cfg.gamma, seed=seed, dtype=X.dtype)


def probe(X, y, cfg: Config, lr: float) -> dict:
    """``score``: the mean minibatch loss over the second half of a probe run at sigma = cfg.sigma, or
    None when a probe at some sigma of the sweep diverged; ``seconds``: the time the probes took."""
    start = time.perf_counter()
    return {"score": _probe_score(X, y, cfg, lr), "seconds": time.perf_counter() - start}


def _probe_score(X, y, cfg: Config, lr: float) -> float | None:
    try:
        for s in sorted(set(cfg.sigmas) - {cfg.sigma}):
            train_sgd(init(X, cfg, s, cfg.seed), X, y, lr, cfg.probe_steps, batch_size=cfg.batch_size, seed=cfg.seed,
                      quiet=True)
        run = train_sgd(init(X, cfg, cfg.sigma, cfg.seed), X, y, lr, cfg.probe_steps, batch_size=cfg.batch_size,
                        seed=cfg.seed, quiet=True)
    except DivergenceError:
        return None
    return float(run.losses[cfg.probe_steps // 2:].mean())


def choose_lr(scores: dict) -> float:
    """The step size with the lowest probe loss among those whose probes stayed finite."""
    finite = {lr: v for lr, v in scores.items() if v is not None}
    if not finite:
        raise InvalidParameter("lr_grid", tuple(scores), "every step size diverged in the probe runs; add smaller ones")
    return min(finite, key=finite.get)


def to_target(X, y, Xt, yt, cfg: Config, lr: float, quiet: bool) -> dict:
    """The run at sigma = cfg.sigma (seed cfg.seed) until the training error is below target_error:
    T, the (step, training error) checks, the final training and test errors and the seconds it took."""
    r = train_sgd(init(X, cfg, cfg.sigma, cfg.seed), X, y, lr, cfg.max_steps, batch_size=cfg.batch_size,
                  seed=cfg.seed, check_every=cfg.check_every, stop_below=cfg.target_error, quiet=quiet)
    return {"T": int(r.steps), "checks": np.array(r.checks, dtype=float).reshape(-1, 2),
            "train_error": float(r.checks[-1][1]), "test_error": float(r.final.error(Xt, yt)),
            "seconds": float(r.seconds)}


def times_of(T: int) -> list[int]:
    """The sheet's t in {1, T/10, T/5, T/2, T}."""
    return [1, max(1, T // 10), max(1, T // 5), max(1, T // 2), T]


def sweep_run(X, y, Xt, yt, cfg: Config, sigma: float, lr: float, T: int, seed: int, quiet: bool) -> dict:
    """One run of the sweep: T SGD steps from the seed's draw at scale sigma.

    Returns ``rel`` (StableRank(W_t) / StableRank(W_0) for t in times_of(T)), ``losses`` (the minibatch
    loss of every step), ``moved`` (||W_T - W_0|| / ||W_0||), the final training and test errors, the
    singular values of W_T, the seconds, and ``diverged`` (with NaN results) when a loss was not finite.
    """
    ts = times_of(T)
    try:
        r = train_sgd(init(X, cfg, sigma, seed), X, y, lr, T, batch_size=cfg.batch_size, seed=seed,
                      record_at=[0, *ts], quiet=quiet)
    except DivergenceError as err:
        nan = float("nan")
        return {"diverged": True, "diverged_step": int(err.step), "losses": np.array([nan]),
                "rel": np.full(len(ts), nan), "moved": nan, "train_error": nan, "test_error": nan,
                "spectrum": np.full(min(cfg.m, X.shape[1]), nan), "seconds": nan}
    sr0 = stable_rank(r.W[0])
    W0, WT = r.W[0].astype(np.float64), r.W[T].astype(np.float64)
    return {"diverged": False, "diverged_step": -1, "losses": np.asarray(r.losses, dtype=np.float64),
            "rel": np.array([stable_rank(r.W[t]) / sr0 for t in ts]),
            "moved": float(np.linalg.norm(WT - W0) / np.linalg.norm(W0)),
            "train_error": float(r.final.error(X, y)), "test_error": float(r.final.error(Xt, yt)),
            "spectrum": np.linalg.svd(WT, compute_uv=False), "seconds": float(r.seconds)}


def sweep(X, y, Xt, yt, cfg: Config, lr: float, T: int, ctx) -> dict:
    """Every (sigma, seed) run at step size lr, each a stored unit, gathered into arrays over
    (sigma, seed): ``rel`` {t: (S, R)}, ``moved``, ``errors``, ``test_errors`` (S, R), ``health``
    (S x R run_health dicts), ``losses`` and ``spectra`` (S x R arrays)."""
    seeds = [cfg.seed + k for k in range(cfg.seeds)]
    runs = [[ctx.run("sweep", lambda s=s, k=k: sweep_run(X, y, Xt, yt, cfg, s, lr, T, k, ctx.quiet),
                     sigma=s, lr=lr, T=T, seed=k) for k in seeds] for s in cfg.sigmas]
    ts = times_of(T)
    out = {"seeds": seeds, "rel": {t: np.array([[r["rel"][i] for r in row] for row in runs]) for i, t in enumerate(ts)}}
    for key, name in (("moved", "moved"), ("train_error", "errors"), ("test_error", "test_errors"),
                      ("seconds", "seconds")):
        out[name] = np.array([[r[key] for r in row] for row in runs])
    out["health"] = [[run_health(r["losses"], diverged=r["diverged"], blowup=cfg.blowup) for r in row] for row in runs]
    out["losses"] = [[r["losses"] for r in row] for row in runs]
    out["spectra"] = [[r["spectrum"] for r in row] for row in runs]
    return out


def retained(health) -> np.ndarray:
    """(S, R) mask of the runs whose health is ok."""
    return np.array([[h["status"] == "ok" for h in row] for row in health], dtype=bool)


def flagged_runs(sigmas, seeds, health, lr: float) -> list[dict]:
    """The runs left out of the conclusions, with their status and reason."""
    return [{"sigma": float(s), "seed": int(k), "lr": float(lr), "status": h["status"], "reason": h["reason"]}
            for s, row in zip(sigmas, health) for k, h in zip(seeds, row) if h["status"] != "ok"]


# -- conclusions, computed from the numbers --------------------------------------------------
def _set(values) -> str:
    return "{" + ", ".join(f"{v:g}" for v in values) + "}"


def rank_sentence(sigmas, ts, rel: dict, keep, lr: float, flagged=()) -> str:
    """What the relative stable ranks at step size lr show, from the retained runs.

    rel : {t: (S, R) StableRank(W_t) / StableRank(W_0) per sigma and seed}.
    keep : (S, R) bool, the retained runs.  flagged : the left-out runs (dicts of flagged_runs).
    """
    keep = np.asarray(keep, bool)
    first, last = np.asarray(rel[ts[0]], float), np.asarray(rel[ts[-1]], float)
    tail = "" if not flagged else (" Left out: " + "; ".join(f"sigma = {f['sigma']:g}, seed {f['seed']} ({f['status']}: "
                                                            f"{f['reason']})" for f in flagged) + ".")
    if not keep.any():
        return f"At lr = {lr:g} no run is retained: no conclusion." + tail
    one = spread(first[keep])
    stats = [spread(last[i][keep[i]]) for i in range(len(sigmas))]
    per = ", ".join(f"{st['mean']:.3g} +- {st['sd']:.2g} (sigma = {s:g}, {st['n']} seed{'s' if st['n'] > 1 else ''})"
                    if st["n"] else
                    f"none retained (sigma = {s:g})" for s, st in zip(sigmas, stats))
    falls = [s for s, st in zip(sigmas, stats) if st["n"] and st["mean"] <= FALLS]
    stays = [s for s, st in zip(sigmas, stats) if st["n"] and st["mean"] >= STAYS]
    text = (f"At lr = {lr:g}: after one step the ratio is {one['lo']:.3f}-{one['hi']:.3f} over the retained runs; at "
            f"t = T = {ts[-1]} it is {per}. ")
    parts = []
    if falls:
        parts.append(f"the stable rank falls (mean ratio <= {FALLS:g}) for sigma in {_set(falls)}")
    if stays:
        parts.append(f"stays near its start (mean ratio >= {STAYS:g}) for sigma in {_set(stays)}")
    middle = [s for s, st in zip(sigmas, stats) if st["n"] and s not in falls and s not in stays]
    if middle:
        parts.append(f"falls part of the way for sigma in {_set(middle)}")
    body = " and ".join(parts) if parts else "no sigma is retained"
    return text + body[0].upper() + body[1:] + "." + tail


def movement_sentence(moved, rel_last, keep) -> str:
    """How the rank at T relates to how far W moved, over the retained runs (any step sizes pooled).

    moved, rel_last, keep : arrays of one shape: ||W_T - W_0|| / ||W_0||, StableRank(W_T) /
    StableRank(W_0), and whether the run is retained.
    """
    moved, rel_last, keep = (np.asarray(v).ravel() for v in (moved, rel_last, keep))
    far, lazy = keep & (moved >= FAR), keep & (moved <= LAZY)
    if not far.any() or not lazy.any():
        missing = "moved at least its initial norm" if not far.any() else f"moved less than {LAZY:g} of its initial norm"
        return f"No retained run {missing}: the weight change cannot be compared with the rank here."
    a, b = spread(rel_last[far]), spread(rel_last[lazy])
    text = (f"Where W moved at least its initial norm (||W_T - W_0|| >= ||W_0||, {a['n']} retained runs) the ratio at T "
            f"is {a['lo']:.3g}-{a['hi']:.3g}; where it moved at most {LAZY:g} of it ({b['n']} runs), {b['lo']:.3g}-"
            f"{b['hi']:.3g}: ")
    if a["hi"] < b["lo"]:
        return text + ("the stable rank falls where W moves far from its random start (the update SGD adds is "
                       "low-rank) and stays where W barely moves (large sigma at a small step: lazy training).")
    return text + "the weight change does not separate the runs that lose rank from those that keep it."


def check(cfg: Config) -> None:
    """sigma, whose run sets T, must be one of the sweep's sigmas."""
    if cfg.sigma not in cfg.sigmas:
        raise InvalidParameter("sigma", cfg.sigma, f"expected one of sigmas = {cfg.sigmas}")


# -- figure ------------------------------------------------------------------------------------
def relative_rank_panel(ax, sigmas, res: dict, ts, title: str) -> None:
    """The sheet's plot: per t, the mean over the retained seeds of StableRank(W_t) / StableRank(W_0)
    against sigma with its range as a band; flagged runs as red crosses at their t = T value."""
    keep = retained(res["health"])
    for (col, ls, mk), t in zip(STYLES, ts):
        mean_band(ax, sigmas, np.where(keep, res["rel"][t], np.nan), label=f"t = {t}", colour=col, marker=mk)
        ax.lines[-1].set_linestyle(ls)
    bad = ~keep & np.isfinite(res["rel"][ts[-1]])
    if bad.any():
        xs = np.repeat(np.asarray(sigmas, float)[:, None], bad.shape[1], axis=1)
        ax.plot(xs[bad], res["rel"][ts[-1]][bad], "x", color="r", ms=9, mew=2, label="flagged run (t = T), left out")
    ax.axhline(1.0, color="0.5", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(ax, "initialisation scale sigma", "StableRank(W_t) / StableRank(W_0)", title, legend=True, fontsize=6)


def loss_panel(ax, sigmas, res: dict, T: int, lr: float) -> None:
    """Minibatch loss (running mean over T/50 steps) of every run; flagged runs thick and dashed."""
    w = max(1, T // 50)
    for k, (s, row, hrow) in enumerate(zip(sigmas, res["losses"], res["health"])):
        for j, (loss, h) in enumerate(zip(row, hrow)):
            if len(loss) < w:
                continue
            smooth = np.convolve(loss, np.ones(w) / w, mode="valid")
            ok = h["status"] == "ok"
            ax.plot(np.arange(w, len(loss) + 1), smooth, color=STYLES[k][0], lw=0.8 if ok else 1.8,
                    ls="-" if ok else "--", label=(f"sigma = {s:g}" if j == 0 else None))
    ax.set_yscale("log")
    label(ax, "SGD step", f"minibatch loss (mean over {w} steps)", f"lr = {lr:g}; flagged runs dashed", legend=True,
          fontsize=6)


def spectrum_panel(ax, sigmas, res: dict, lr: float) -> None:
    keep = retained(res["health"])
    for k, (s, row) in enumerate(zip(sigmas, res["spectra"])):
        sv = np.array([v / v[0] if np.isfinite(v).all() else np.full(len(v), np.nan) for v in row])   # (R, m)
        sv[~keep[k]] = np.nan
        if np.isfinite(sv).any():
            mean_band(ax, np.arange(1, sv.shape[1] + 1), sv.T, label=f"sigma = {s:g}", colour=STYLES[k][0], marker="")
    ax.set_yscale("log")
    label(ax, "index i", "s_i(W_T) / s_1(W_T)", f"singular values of W_T (lr = {lr:g}), retained runs", legend=True,
          fontsize=6)


# -- run ---------------------------------------------------------------------------------------
def run(cfg: Config, ctx) -> dict:
    check(cfg)
    X, y = mnist("train", cfg.data_dir, dtype=np.dtype(cfg.dtype))
    Xt, yt = mnist("test", cfg.data_dir, dtype=np.dtype(cfg.dtype))
    probed = {lr: ctx.run("probe", lambda lr=lr: probe(X, y, cfg, lr), lr=lr) for lr in cfg.lr_grid}
    probes = {lr: p["score"] for lr, p in probed.items()}
    lr = choose_lr(probes)
    first = ctx.run("to_target", lambda: to_target(X, y, Xt, yt, cfg, lr, ctx.quiet), lr=lr)
    T, reached = first["T"], first["train_error"] < cfg.target_error
    ts = times_of(T)
    seeds = [cfg.seed + k for k in range(cfg.seeds)]

    results = {lr: sweep(X, y, Xt, yt, cfg, lr, T, ctx)}
    second = lr * cfg.second_lr_factor
    two = bool(cfg.second_lr_factor) and second != lr
    if two:
        results[second] = sweep(X, y, Xt, yt, cfg, second, T, ctx)
    keeps = {r: retained(res["health"]) for r, res in results.items()}
    flagged = {r: flagged_runs(cfg.sigmas, seeds, res["health"], r) for r, res in results.items()}
    texts = [rank_sentence(cfg.sigmas, ts, res["rel"], keeps[r], r, flagged[r]) for r, res in results.items()]
    texts.append(movement_sentence(np.stack([res["moved"] for res in results.values()]),
                                   np.stack([res["rel"][T] for res in results.values()]), np.stack(list(keeps.values()))))
    finding = " ".join(texts)

    fig, axes = new_figure(2, 2, width=4.6, height=3.6)
    relative_rank_panel(axes[0, 0], cfg.sigmas, results[lr], ts, f"lr = {lr:g} (chosen), T = {T}, {len(seeds)} seeds")
    if two:
        relative_rank_panel(axes[0, 1], cfg.sigmas, results[second], ts, f"same T, lr = {second:g}")
    loss_panel(axes[1, 0], cfg.sigmas, results[lr], T, lr)
    spectrum_panel(axes[1, 1], cfg.sigmas, results[lr], lr)
    n_flag = sum(len(f) for f in flagged.values())
    ctx.figure(fig, "stable_rank_mnist", "Stable rank of the first layer on MNIST against the initial scale",
               f"Leaky ReLU (gamma = {cfg.gamma:g}), m = {cfg.m}, biases in both layers, cross-entropy, all parameters "
               f"N(0, sigma^2), minibatch SGD (batch {cfg.batch_size}) for T = {T} steps, the number that brought "
               f"sigma = {cfg.sigma:g} below {cfg.target_error:.0%} training error (seed {cfg.seed} alone: T and the "
               f"step size lr = {lr:g}, chosen by probe runs, are settings taken from that one seed). Each (sigma, lr) "
               f"is then trained with seeds {seeds[0]}-{seeds[-1]} (initial draw and minibatch order): lines are means "
               f"over the retained seeds, bands their range. Top: StableRank(W_t) / StableRank(W_0) for t in "
               f"{{1, T/10, T/5, T/2, T}} against sigma, at the chosen lr (left) and at lr x {cfg.second_lr_factor:g} "
               f"(right). Bottom: the minibatch loss of every run at the chosen lr, and the normalised singular "
               f"values of W_T. A run whose minibatch loss rose above {cfg.blowup:g}x its first value (nearly "
               f"diverged) or became non-finite is flagged (red cross, dashed curve) and left out of the means and "
               f"of the conclusions ({n_flag} run(s)). " + finding)
    ctx.note(finding)
    if not reached:
        ctx.note(f"sigma = {cfg.sigma:g} did not reach {cfg.target_error:.0%} training error in max_steps = {cfg.max_steps}.")

    main = results[lr]
    k0 = list(cfg.sigmas).index(cfg.sigma)

    def mean_over_kept(values, keep):
        return [spread(np.asarray(v, float)[kp])["mean"] for v, kp in zip(values, keep)]

    def summary(res, keep):
        return {"relative_stable_rank": {str(t): mean_over_kept(res["rel"][t], keep) for t in ts},
                "relative_stable_rank_sd": {str(t): [spread(np.asarray(v)[kp])["sd"] for v, kp in zip(res["rel"][t], keep)]
                                            for t in ts},
                "relative_stable_rank_by_seed": {str(t): res["rel"][t].tolist() for t in ts},
                "train_error_by_sigma": mean_over_kept(res["errors"], keep),
                "test_error_by_sigma": mean_over_kept(res["test_errors"], keep),
                "relative_weight_change": mean_over_kept(res["moved"], keep),
                "relative_weight_change_by_seed": res["moved"].tolist(),
                "run_status": [[h["status"] for h in row] for row in res["health"]],
                "loss_peak_ratio": [[h["peak_ratio"] for h in row] for row in res["health"]]}

    out = {"lr": lr, "lr_probe_loss": {str(k): v for k, v in probes.items()}, "T": T, "reached_target": reached,
           "train_error": first["train_error"], "test_error": first["test_error"], "sigmas": list(cfg.sigmas),
           "seeds": seeds, **summary(main, keeps[lr]),
           "diverged_sigmas": sorted({f["sigma"] for f in flagged[lr] if f["status"] == "diverged"}),
           "flagged_runs": [f for fl in flagged.values() for f in fl], "second_lr": second}
    if two:
        out.update({f"{k}_second_lr": v for k, v in summary(results[second], keeps[second]).items()})
    out.update({"conclusion": finding, "train_error_sigma_by_seed": main["errors"][k0].tolist(),
                "seconds_to_5pct": sum(p["seconds"] for p in probed.values()) + first["seconds"],
                "seconds_training_only": first["seconds"],
                "seconds_sweep": float(np.nansum([np.nansum(res["seconds"]) for res in results.values()])),
                "dtype": cfg.dtype})
    return out


register(Experiment(
    name="mnist-stable-rank", seed_file="004_dc5170f39b81d439.txt",
    description="Seed 004 Problem 3.3: a leaky-ReLU network with biases trained on MNIST to < 5% training error; "
                "StableRank(W_t) / StableRank(W_0) against the initial scale sigma for t in {1, T/10, T/5, T/2, T}, "
                "over several seeds, runs that blow up flagged and left out.",
    config=Config, run=run, quick=QUICK, source="sheet 004, problem 3, part 3"))

"""Seed 003, section 3.3 and appendix C.3 in full (Figs 3.28, 3.30, 3.31, C.20-C.35): the three
non-orthogonal 1-D data sets 1.3.1-1.3.3 (inputs (x, 1)) for ReLU, Sigmoid and Tanh, trained with the
thesis's stopping rule "until convergence".

The stopping rule (thesis L1144, L1486): GD runs in segments of ``segment`` epochs (1e6); after a
segment the run stops when its loss reached the accuracy goal (1e-3 for n = 5, 1e-5 for n = 10:
*converged*), when the segment did not decrease the loss (relative decrease below ``stall_drop``:
*stalled*, the thesis's vanishing gradient), when it diverged, or when the epochs reach the run's cap
(*capped*, still decreasing). GD is deterministic, so continuing from the final network gives the
same curve as one long run. Which runs get the long cap (``long_cap``) and which one segment
(``short_cap``) is stated in :func:`caps_of` and in the report.

Stored units: one per (part, seed), ``ctx.run(PART, ..., seed=s)``, holding per run its log-spaced
loss curve, its outcome, its final network and, where a figure or a finding reads them, thinned
parameter snapshots or balancedness curves.

Parts (all at step alpha = 1e-3):

- ``lambda-1.3.3``: 1.3.3 at m = 60, balanced, over the thesis's lambda set of each activation
  (Figs C.30-C.35; the ReLU run at lambda = 1e-6 is Fig 3.28);
- ``rich-1.3.2`` / ``rich-1.3.1``: m = 60, activation x initialisation x lambda in the rich regime
  (Fig 3.30 and L1526 on 1.3.2, Fig C.20 on 1.3.1; the balanced lambda = 1e-4 runs of 1.3.2 are
  Figs C.28, C.29; the ReLU lambda = 1e-6 one is Fig 3.31);
- ``width-1.3.2``: ReLU, balanced lambda = 1e-6, m over the thesis's widths (Fig C.27);
- ``wide-1.3.1``: m = 1000, balanced lambda = 1e-2, the three activations (Figs C.21-C.26).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import analysis, data
from ..analysis.seeds import spread_text as seeds_spread_text, run_health, spread, spread_or_none
from ..data import with_bias
from ..init import init_net
from ..optim import GD
from ..plots import label, new_figure, orientation_plane, weight_plane
from ..plots.style import series_colour
from ..segments import train_in_segments
from ..trajectory import log_steps
from . import Experiment, register
from .base import THESIS_LOSS, param
from .budget import SEED_MAX

ACTIVATIONS = ("relu", "sigmoid", "tanh")
INITS = ("balanced", "normal")
PARTS = ("lambda-1.3.3", "rich-1.3.2", "rich-1.3.1", "width-1.3.2", "wide-1.3.1")
OUTCOMES = ("converged", "stalled", "capped", "diverged")
PLATEAU_LEVEL = 0.01          # the thesis's plateau rule (C.1.4) reads the curve up to loss 0.01


@dataclass
class Config:
    parts: tuple[str, ...] = param(PARTS, "Parts to run (see the module doc).", choices=PARTS)
    width: int = param(60, "Width m of every part except the width sweep and the wide runs.", ge=1, le=1000)
    lr: float = param(1e-3, "GD step size alpha (the thesis's figures: 1e-3).", gt=0, le=1)
    segment: int = param(1_000_000, "Epochs per segment of the stopping rule (the thesis: 1e6).", ge=100,
                         le=10_000_000)
    long_cap: int = param(3_000_000, "Largest number of epochs of a run given the long treatment (until "
                          "convergence; see caps_of).", ge=100, le=50_000_000)
    short_cap: int = param(3_000_000, "Largest number of epochs of the other runs (see caps_of; at full settings "
                           "the long cap too: the thesis ran every run until convergence).", ge=100, le=50_000_000)
    stall_drop: float = param(1e-2, "A segment whose loss fell by less than this fraction of its starting loss "
                              "did not decrease: the run stops as stalled (vanishing gradient).", gt=0, le=0.5)
    goal_n5: float = param(1e-3, "Accuracy goal (loss, 1/n) of the n = 5 data set 1.3.3.", gt=0, le=1)
    goal_n10: float = param(1e-5, "Accuracy goal of the n = 10 data sets 1.3.1, 1.3.2.", gt=0, le=1)
    points: int = param(300, "Recorded loss points per run, log-spaced in epochs up to long_cap.", ge=50, le=5000)
    snaps: int = param(60, "Parameter snapshots kept per run where neurons are drawn (thinned, log-spaced).",
                       ge=5, le=500)
    relu_scales: tuple[float, ...] = param((10.0, 2.5, 2.0, 1.0, 0.75, 0.5, 0.25, 0.1, 1e-2, 1e-6),
                                           "Scales lambda of ReLU on 1.3.3 (Figs C.30, C.31).", gt=0, le=100)
    sigmoid_scales: tuple[float, ...] = param((2.0, 1.0, 0.5, 1e-6), "Scales of Sigmoid on 1.3.3 (C.32, C.33).",
                                              gt=0, le=100)
    tanh_scales: tuple[float, ...] = param((2.5, 0.5, 0.25, 0.1), "Scales of Tanh on 1.3.3 (C.34, C.35).", gt=0,
                                           le=100)
    rich_scales: tuple[float, ...] = param((1e-6, 1e-4, 1e-2), "Scales of the rich-regime sweeps on 1.3.1 and "
                                           "1.3.2 (Figs 3.30, C.20; the thesis: lambda >= 1e-6).", gt=0, le=100)
    inits: tuple[str, ...] = param(INITS, "Initialisations of the rich sweeps: balanced or normal.", choices=INITS)
    widths: tuple[int, ...] = param((2, 10, 60, 100, 600, 1000), "Widths of the sweep on 1.3.2 (Fig C.27).", ge=1,
                                    le=1000)
    width_scale: float = param(1e-6, "Scale lambda of the width sweep (Fig C.27).", gt=0, le=100)
    wide_width: int = param(1000, "Width of the 1.3.1 runs of Figs C.21-C.26.", ge=1, le=1000)
    wide_scale: float = param(1e-2, "Scale lambda of the wide 1.3.1 runs.", gt=0, le=100)
    balance_scale: float = param(1e-4, "Scale of the balancedness runs on 1.3.2 (Figs C.28, C.29).", gt=0, le=100)
    normal_seeds: int = param(1, "Seeds (the first ones) that also run the normal initialisation in the rich sweeps "
                              "(the thesis states no finding on it there; it is drawn).", ge=0, le=20)
    long_width: int = param(100, "Widths up to this one get the long cap in the width sweep; wider ones "
                            "short_cap (their epochs cost up to 17x more).", ge=1, le=1000)
    wide_cap: int = param(3_000_000, "Epoch cap of the m = wide_width Sigmoid and Tanh runs (about 25 us per "
                          "epoch at m = 1000).", ge=100, le=50_000_000)
    turn_min: float = param(5.0, "Degrees a coherent group of neurons must turn to count as 'changing direction "
                            "together' (thesis L1535).", gt=0, le=90)
    seeds: int = param(5, "Seeds: seed + k (k < seeds) draws each start; claims are counted over them.", ge=1, le=20)
    seed: int = param(0, "Seed of the drawn runs.", ge=0, le=SEED_MAX - 20)


QUICK = {"parts": ("lambda-1.3.3", "rich-1.3.2", "wide-1.3.1"), "width": 20, "lr": 1e-2, "segment": 2_000,
         "long_cap": 8_000, "short_cap": 2_000, "points": 120, "snaps": 30,
         "relu_scales": (1.0, 0.25, 1e-2), "sigmoid_scales": (1.0, 1e-6), "tanh_scales": (0.5, 0.1),
         "rich_scales": (1e-2, 0.1), "inits": ("balanced",), "wide_width": 60, "balance_scale": 0.1,
         "width_scale": 1e-2, "seeds": 2, "normal_seeds": 0, "wide_cap": 2_000}


def goal_of(name: str, cfg: Config) -> float:
    """The thesis's accuracy goal of a data set: 1e-3 for n = 5 (1.3.3), 1e-5 for n = 10."""
    return cfg.goal_n5 if len(data.thesis(name)[1]) == 5 else cfg.goal_n10


def record_steps(cap: int, points: int, segment: int) -> np.ndarray:
    """About ``points`` log-spaced epochs in [1, cap] and every segment end: where the loss is recorded."""
    return np.union1d(log_steps(cap, points), np.arange(segment, cap + 1, segment))


def segment_outcome(loss_start: float, loss_end: float, reached: bool, diverged: bool, done: int, cap: int,
                    stall_drop: float) -> str | None:
    """The stopping rule after one segment: 'converged' (the goal was reached), 'diverged', 'stalled' (the
    loss fell by less than ``stall_drop`` of its value over the segment: the thesis's "does not decrease
    at all"), 'capped' (still decreasing at ``cap`` epochs), or None (continue with another segment)."""
    if diverged:
        return "diverged"
    if reached:
        return "converged"
    if not loss_end < (1 - stall_drop) * loss_start:
        return "stalled"
    return "capped" if done >= cap else None


def train_until_converged(nets, X, y, caps, goal: float, cfg: Config, quiet: bool, snap: bool = False) -> list[dict]:
    """GD from ``nets`` (step cfg.lr) with the thesis's stopping rule, segment by segment, run ``i`` up to
    ``caps[i]`` epochs; the runs share the cores (:func:`twolayer.segments.train_in_segments`).

    Returns one dict per run: ``steps``, ``loss`` (recorded at :func:`record_steps`), ``outcome`` (one
    of :data:`OUTCOMES`), ``epochs`` (epochs trained), ``segment_losses`` (loss at the start and at
    every segment end), ``final`` (the last network) and, with ``snap``, ``a`` (T, m) and ``W``
    (T, m, d) at every recorded point.
    """
    outcome = [None] * len(nets)
    seg_losses = [[] for _ in nets]

    def go_on(i, run, t, start, end) -> bool:
        """The stopping rule after one segment (a segment cut short by a cap below it is called stalled
        only if its loss did not decrease at all)."""
        if not seg_losses[i]:
            seg_losses[i].append(float(t.train_loss[0]))
        seg_losses[i].append(float(t.train_loss[-1]))
        full = end - start == cfg.segment
        outcome[i] = segment_outcome(seg_losses[i][-2], seg_losses[i][-1], bool(np.any(t.train_loss < goal)),
                                     "diverged" in t.info, end, caps[i], cfg.stall_drop if full else 0.0)
        return outcome[i] is None

    top = max(caps)
    ends = list(range(cfg.segment, top, cfg.segment)) + [top]
    runs = train_in_segments(nets, X, y, optimizers=GD(cfg.lr), ends=ends, caps=caps, go_on=go_on,
                             record_at=record_steps(top, cfg.points, cfg.segment), record_ends=True, snapshots=snap,
                             quiet=quiet, **THESIS_LOSS)
    out = []
    for r, o, sl in zip(runs, outcome, seg_losses):
        steps, loss = r.curve()
        out.append({"steps": steps, "loss": loss, "outcome": o, "epochs": r.epochs, "segment_losses": sl,
                    "final": r.final, **(dict(zip(("a", "W"), r.snapshots())) if snap else {})})
    return out


# -- what each part trains ----------------------------------------------------------------------------
def caps_of(part: str, act: str, init: str, width: int, cfg: Config) -> int:
    """The epoch cap of a run: the long cap for every run on 1.3.3, for the balanced ReLU runs of the
    rich sweeps, for widths <= long_width of the width sweep and for the wide ReLU runs; short_cap for
    the other rich-sweep runs and the wider widths; wide_cap for the wide Sigmoid and Tanh runs. At
    full settings all three are 3e6 epochs (about 25 CPU-minutes in all); --quick shortens the last two."""
    if part == "lambda-1.3.3":
        return cfg.long_cap
    if part.startswith("rich"):
        return cfg.long_cap if (act, init) == ("relu", "balanced") else cfg.short_cap
    if part == "width-1.3.2":
        return cfg.long_cap if width <= cfg.long_width else cfg.short_cap
    return cfg.long_cap if act == "relu" else cfg.wide_cap


def specs(part: str, cfg: Config, k: int) -> list[dict]:
    """The runs of ``part`` for the k-th seed (k = 0: the drawn one): dicts act, init, scale, width, cap."""
    if part == "lambda-1.3.3":
        grid = [(a, "balanced", s, cfg.width) for a, scales in (("relu", cfg.relu_scales),
                ("sigmoid", cfg.sigmoid_scales), ("tanh", cfg.tanh_scales)) for s in scales]
    elif part.startswith("rich"):
        grid = [(a, i, s, cfg.width) for a in ACTIVATIONS for i in cfg.inits
                if i == "balanced" or k < cfg.normal_seeds for s in cfg.rich_scales]
    elif part == "width-1.3.2":
        grid = [("relu", "balanced", cfg.width_scale, m) for m in cfg.widths]
    else:
        grid = [(a, "balanced", cfg.wide_scale, cfg.wide_width) for a in ACTIVATIONS]
    return [{"act": a, "init": i, "scale": s, "width": m, "cap": caps_of(part, a, i, m, cfg)} for a, i, s, m in grid]


SNAPSHOT_PARTS = ("lambda-1.3.3", "rich-1.3.2", "wide-1.3.1")


def start(X, y, spec: dict, seed: int):
    """The initial network (thesis parametrisation, no width scaling); ReLU starts satisfy Assumption 5
    (S+,1 and S-,1 non-empty), as the thesis forced them."""
    both = (X, y) if spec["act"] == "relu" else None
    return init_net(2, spec["width"], spec["act"], "none", init=spec["init"], scale=spec["scale"], seed=seed,
                    require_both_signs=both)


def thin(n: int, k: int) -> np.ndarray:
    """About k indices spread evenly over range(n) (the records are log-spaced, so these are too)."""
    return np.unique(np.linspace(0, n - 1, min(k, n)).round().astype(int))


def train_part(part: str, k: int, cfg: Config, quiet: bool) -> list[dict]:
    """One stored unit: every run of ``part`` from seed cfg.seed + k with the stopping rule, each
    summarised by :func:`keep_run` (k = 0: the drawn seed)."""
    name = part.split("-")[1]
    X, y = data.thesis(name)
    sp = specs(part, cfg, k)
    runs = train_until_converged([start(X, y, p, cfg.seed + k) for p in sp], X, y, [p["cap"] for p in sp],
                                 goal_of(name, cfg), cfg, quiet, snap=part in SNAPSHOT_PARTS)
    return [keep_run(part, p, r, k == 0, cfg) for p, r in zip(sp, runs)]


def keep_run(part: str, spec: dict, r: dict, drawn: bool, cfg: Config) -> dict:
    """What is stored of one run: its curve and outcome, the final network, and where read: thinned
    snapshots (drawn seed, and every ReLU run, whose groups are measured), the balancedness curves of
    the balanced starts (thesis Fig C.28) and, for the drawn seed's balancedness runs, every a_j (C.29)."""
    out = {**spec, "steps": r["steps"], "loss": r["loss"], "outcome": r["outcome"], "epochs": r["epochs"],
           "segment_losses": np.asarray(r["segment_losses"]), "final": r["final"]}
    if "a" not in r:
        return out
    a, W = r["a"], r["W"]
    if spec["init"] == "balanced":
        l1, linf = analysis.balance_errors(a, W, np.sign(a[0]))
        out["balance"] = {"l1": l1, "inf": linf, "a": np.abs(a).mean(axis=1), "w": np.linalg.norm(W, axis=2).mean(axis=1),
                          "w_max": np.linalg.norm(W, axis=2).max(axis=1), "sign_changes": int(np.sum(np.sign(a[-1]) != np.sign(a[0])))}
    if drawn or spec["act"] == "relu":
        idx = thin(len(a), cfg.snaps)
        out.update(snap_steps=r["steps"][idx], a_s=a[idx], W_s=W[idx])
    if drawn and part == "rich-1.3.2" and spec["init"] == "balanced" and spec["scale"] == cfg.balance_scale:
        out["a_all"] = a
    return out


# -- reading a run --------------------------------------------------------------------------------------
def coherent_turns(a, W, share: float = 0.01, merge: float = 2.0, tol: float = 2.0) -> list[dict]:
    """Groups of aligned neurons and how far each turned together.

    Neurons carrying at least ``share`` of sum_j |a_j| ||w_j|| at the end are grouped by final direction
    (angle of w_j; a group spans at most ``merge`` degrees); for each group of two or more, ``since`` is
    the first snapshot from which its members stay within ``tol`` degrees of each other to the end, and
    ``turn`` how many degrees the group's mean direction moved from then to the end.

    a : (T, m), W : (T, m, 2) snapshots. Returns [{size, share, since (index), turn}].
    """
    ang = np.degrees(np.arctan2(W[..., 1], W[..., 0]))
    contrib = np.abs(a[-1]) * np.linalg.norm(W[-1], axis=1)
    big = np.flatnonzero(contrib >= share * contrib.sum())
    big = big[np.argsort(ang[-1, big])]
    groups, cur = [], [big[0]] if len(big) else []
    for j in big[1:]:
        if ang[-1, j] - ang[-1, cur[0]] <= merge:           # complete linkage: a group spans <= merge degrees
            cur.append(j)
        else:
            groups.append(cur)
            cur = [j]
    groups = [g for g in groups + [cur] if len(g) >= 2]
    out = []
    for g in groups:
        rel = (ang[:, g] - ang[-1, g].mean() + 180) % 360 - 180          # (T, |g|), wrapped around the end
        spread_t = rel.max(axis=1) - rel.min(axis=1)
        bad = np.flatnonzero(spread_t > max(tol, merge))
        since = min(int(bad[-1] + 1), len(rel) - 1) if len(bad) else 0
        out.append({"size": len(g), "share": float(contrib[g].sum() / contrib.sum()), "since": since,
                    "turn": float(abs(rel[since].mean()))})
    return out


def bend_total(net, x) -> float:
    """int |h''(t)| dt over [min x, max x] (the sum of the slope changes of h there; for ReLU its kinks'
    jumps): how bent the interpolator is, from 4001 grid points."""
    g = np.linspace(np.min(x), np.max(x), 4001)
    h = net(with_bias(g))
    return float(np.abs(np.diff(h, 2)).sum() / (g[1] - g[0]))


def linear_gap(net, x, y) -> float:
    """max over [min x, max x] of |h(t) - the piecewise-linear interpolation of the data|."""
    g = np.linspace(np.min(x), np.max(x), 4001)
    order = np.argsort(x)
    return float(np.max(np.abs(net(with_bias(g)) - np.interp(g, np.asarray(x)[order], np.asarray(y)[order]))))


def run_row(part: str, seed: int, r: dict, cfg: Config) -> dict:
    """The numbers of one stored run that the findings read (JSON-ready)."""
    name = part.split("-")[1]
    X, y = data.thesis(name)
    goal = goal_of(name, cfg)
    loss, steps = np.asarray(r["loss"]), np.asarray(r["steps"])
    h = run_health(loss, fit_level=goal, diverged=r["outcome"] == "diverged")
    plats = analysis.fit_plateaus(steps, loss, fit_level=PLATEAU_LEVEL) if h["status"] != "diverged" else None
    t01 = analysis.first_below(steps, loss, PLATEAU_LEVEL)
    seg = np.asarray(r["segment_losses"])
    row = {"part": part, "dataset": name, "seed": seed, "act": r["act"], "init": r["init"], "scale": r["scale"],
           "width": r["width"], "cap": r["cap"], "outcome": r["outcome"], "epochs": int(r["epochs"]),
           "final_loss": float(loss[np.isfinite(loss)][-1]) if np.isfinite(loss).any() else None,
           "fit": analysis.first_below(steps, loss, goal), "status": h["status"], "reason": h["reason"],
           "t01": None if t01 is None or h["status"] in ("diverged", "nearly diverged") else int(t01),
           "plateaus": None if plats is None or h["status"] == "nearly diverged" else len(plats),
           "intermediate": None if plats is None or h["status"] == "nearly diverged" else sum(p["start"] > 0 for p in plats),
           "first_drop": float(1 - seg[1] / seg[0]) if len(seg) > 1 and seg[0] > 0 else None}
    ok = h["status"] == "ok"
    net = r["final"]
    if ok:
        row["bend_total"] = bend_total(net, X[:, 0])
        row["linear_gap"] = linear_gap(net, X[:, 0], y)
    row["residuals"] = [float(v) for v in net(X) - y] if h["status"] != "diverged" else None
    if "a_s" in r and r["act"] == "relu" and h["status"] != "diverged":
        turns = coherent_turns(np.asarray(r["a_s"]), np.asarray(r["W_s"]))
        row["groups"] = len(turns)
        row["turn_max"] = max([t["turn"] for t in turns], default=0.0)
    if "balance" in r:
        b = r["balance"]
        row["balance_rel_inf"] = float(b["inf"][-1] / max(b["w_max"][-1], 1e-300))
        row["balance_rel_inf_max"] = float(np.max(b["inf"] / np.maximum(b["w_max"], 1e-300)))
        row["sign_changes"] = b["sign_changes"]
    if "W_s" in r:
        W0, W1 = np.asarray(r["W_s"][0]), np.asarray(r["W_s"][-1])
        row["rel_change"] = float(np.linalg.norm(W1 - W0) / max(np.linalg.norm(W0), 1e-300))
    return row


# -- findings: pure functions of the run rows ---------------------------------------------------------------
def _sel(rows, **want) -> list[dict]:
    return [r for r in rows if all(r[k] == v for k, v in want.items())]


def _seeds(rows) -> list[int]:
    return sorted({r["seed"] for r in rows})


def fig328_finding(rows, scale: float) -> dict:
    """Fig 3.28 (L1500): ReLU on 1.3.3 at ``scale`` (the thesis: 1e-6) fits, its final model is the linear
    interpolation of the data (within 0.1 everywhere on [-2, 2]) and its loss goes saddle to saddle (>= 2
    plateaus). Per seed: outcome, epochs, final loss, points left unfitted (|residual| > 0.5)."""
    sel = _sel(rows, part="lambda-1.3.3", act="relu", scale=scale)
    per = [{"seed": r["seed"], "outcome": r["outcome"], "epochs": r["epochs"], "final_loss": r["final_loss"],
            "unfitted_points": [k for k, v in enumerate(r["residuals"] or []) if abs(v) > 0.5],
            "linear_gap": r.get("linear_gap"), "plateaus": r["plateaus"]} for r in sel]
    good = [p for p in per if p["outcome"] == "converged" and p["linear_gap"] is not None and p["linear_gap"] < 0.1
            and (p["plateaus"] or 0) >= 2]
    return {"scale": scale, "seeds": len(per), "holds": len(good), "runs": per,
            "stalled": sum(p["outcome"] == "stalled" for p in per)}


def fig328_sentence(f: dict) -> str:
    """What the runs at the thesis's lambda of Fig 3.28 did."""
    if not f["seeds"]:
        return "Fig 3.28's setting was not run."
    runs = "; ".join(f"seed {p['seed']}: {p['outcome']} after {p['epochs']:,} epochs at loss {p['final_loss']:.3g}"
                     + (f", points {p['unfitted_points']} unfitted" if p["unfitted_points"] else "") for p in f["runs"])
    head = (f"ReLU on 1.3.3 at the thesis's lambda = {f['scale']:g}: "
            + ("it fits as in Fig 3.28 (goal reached, linear interpolation, saddle to saddle) in every seed"
               if f["holds"] == f["seeds"] else
               f"it fits as in Fig 3.28 in {f['holds']} of {f['seeds']} seeds, {f['stalled']} stalled "
               "(the loss stopped decreasing: vanishing gradient)"))
    return f"{head} ({runs})."


def lambda_finding(rows, act: str, key: str) -> dict:
    """C.30-C.35 on 1.3.3 for ``act``, per seed over the runs that reached the goal (ok), ordered by lambda
    falling: key "plateaus" (C.30/32/34: the loss shows more phases of slow convergence as lambda falls:
    counts non-decreasing and more at the smallest than at the largest fitted lambda) or "bend_total"
    (C.31/33/35: the interpolator is simpler as lambda falls: int |h''| smaller at the smallest fitted
    lambda than at the largest, and non-increasing in most steps)."""
    sel = [r for r in _sel(rows, part="lambda-1.3.3", act=act) if r["status"] == "ok" and r.get(key) is not None]
    per, holds = {}, 0
    for s in _seeds(_sel(rows, part="lambda-1.3.3", act=act)):
        pts = sorted(((r["scale"], r[key]) for r in sel if r["seed"] == s), reverse=True)
        per[s] = pts
        v = [p[1] for p in pts]
        if len(v) < 2:
            continue
        if key == "plateaus":
            holds += all(b >= a for a, b in zip(v, v[1:])) and v[-1] > v[0]
        else:
            holds += v[-1] < v[0] and sum(b <= a for a, b in zip(v, v[1:])) >= (len(v) - 1) / 2
    return {"act": act, "key": key, "seeds": len(per), "compared": sum(len(p) >= 2 for p in per.values()),
            "holds": holds, "per_seed": {str(s): p for s, p in per.items()}}


def lambda_sentence(f: dict) -> str:
    """One activation's C.30-C.35 reading."""
    what = ("more phases of slow convergence (plateaus) as lambda falls" if f["key"] == "plateaus"
            else "a simpler final interpolator (smaller int |h''|) as lambda falls")
    if not f["compared"]:
        return f"{f['act']}: fewer than two fitted scales in every seed, so '{what}' is not tested."
    return (f"{f['act']}: {what} in {f['holds']} of {f['compared']} seeds with two or more fitted scales"
            + ("" if f["compared"] == f["seeds"] else f" ({f['seeds'] - f['compared']} seed(s) with fewer)") + ".")


def ln_lambda_finding(rows, name: str = "1.3.2") -> dict:
    """L1526: the time to loss 0.01 grows like -ln(lambda) on ``name`` (balanced, per activation): in how
    many seeds it strictly grows as lambda falls (over the scales whose runs got there) and the slope of
    T against -ln(lambda)."""
    out = {}
    for act in ACTIVATIONS:
        sel = _sel(rows, part=f"rich-{name}", act=act, init="balanced")
        series, grows, slopes = 0, 0, []
        for s in _seeds(sel):
            pts = sorted((r["scale"], r["t01"]) for r in sel if r["seed"] == s and r["t01"] is not None)
            if len(pts) < 2:
                continue
            series += 1
            grows += all(a[1] > b[1] for a, b in zip(pts, pts[1:]))
            slopes.append(float(np.polyfit(-np.log([p[0] for p in pts]), [p[1] for p in pts], 1)[0]))
        out[act] = {"seeds": len(_seeds(sel)), "series": series, "growing": grows, "slopes": slopes}
    return out


def ln_lambda_sentence(f: dict) -> str:
    """Per activation: the time to 0.01 against -ln(lambda)."""
    parts = []
    for act, v in f.items():
        if not v["series"]:
            parts.append(f"{act}: no seed reaches loss 0.01 at two scales")
            continue
        sl = spread(v["slopes"])
        parts.append(f"{act}: grows as lambda falls in {v['growing']} of {v['series']} seeds, slope "
                     f"{sl['mean']:.3g} +- {sl['sd']:.2g} epochs per unit of -ln(lambda)")
    return "Time to loss 0.01 (balanced, 1.3.2): " + "; ".join(parts) + "."


def plateau_vanish_finding(rows, name: str = "1.3.2") -> dict:
    """L1526: increasing lambda makes the intermediate plateau disappear (ReLU, balanced): per seed the
    intermediate plateau count at the smallest and at the largest scale whose run reached 0.01."""
    sel = [r for r in _sel(rows, part=f"rich-{name}", act="relu", init="balanced") if r["intermediate"] is not None]
    per = {}
    for s in _seeds(_sel(rows, part=f"rich-{name}", act="relu", init="balanced")):
        pts = sorted((r["scale"], r["intermediate"]) for r in sel if r["seed"] == s)
        per[str(s)] = pts
    comp = {s: p for s, p in per.items() if len(p) >= 2}
    holds = sum(p[-1][1] == 0 < p[0][1] for p in comp.values())
    return {"seeds": len(per), "compared": len(comp), "holds": holds, "per_seed": per}


def plateau_vanish_sentence(f: dict) -> str:
    if not f["compared"]:
        return "Intermediate plateaus: fewer than two ReLU scales reached loss 0.01 in every seed."
    return (f"ReLU intermediate plateaus (scale, count) per seed {f['per_seed']}: gone at the largest scale while "
            f"present at the smallest in {f['holds']} of {f['compared']} seeds.")


def footnote12_finding(rows, scale: float, stall_drop: float, name: str = "1.3.2") -> dict:
    """Footnote 12 (L1533): Sigmoid on 1.3.2 at lambda = ``scale``: the loss did not decrease at all over the
    first segment (relative drop below ``stall_drop``)."""
    sel = _sel(rows, part=f"rich-{name}", act="sigmoid", init="balanced", scale=scale)
    drops = [r["first_drop"] for r in sel]
    return {"scale": scale, "seeds": len(sel), "drops": drops, "stall_drop": stall_drop,
            "holds": sum(d is not None and d < stall_drop for d in drops),
            "outcomes": [r["outcome"] for r in sel], "segment": sel[0]["cap"] if sel else None}


def footnote12_sentence(f: dict) -> str:
    if not f["seeds"]:
        return "Sigmoid on 1.3.2 at the footnote's scale was not run."
    d = [x for x in f["drops"] if x is not None]
    return (f"Sigmoid on 1.3.2 at lambda = {f['scale']:g}: the first segment lowered the loss by "
            f"{100 * min(d):.2g}-{100 * max(d):.2g}% (below {100 * f['stall_drop']:g}%, i.e. no decrease, in "
            f"{f['holds']} of {f['seeds']} seeds; outcomes {f['outcomes']}).")


def groups_finding(rows, part: str, scale: float, turn_min: float) -> dict:
    """L1535 (Fig 3.31) / C.3.1: groups of aligned ReLU neurons change direction together: per seed the
    largest turn of a coherent group (:func:`coherent_turns`), and in how many seeds one turns >= turn_min."""
    sel = [r for r in _sel(rows, part=part, act="relu", init="balanced", scale=scale) if "turn_max" in r]
    turns = [r["turn_max"] for r in sel]
    return {"part": part, "scale": scale, "seeds": len(sel), "turns": turns, "groups": [r["groups"] for r in sel],
            "turn_min": turn_min, "holds": sum(t >= turn_min for t in turns)}


def groups_sentence(f: dict) -> str:
    if not f["seeds"]:
        return "No ReLU run's groups were measured."
    return (f"ReLU ({f['part']}, lambda = {f['scale']:g}): largest turn of a group of aligned neurons "
            f"{[round(t, 1) for t in f['turns']]} degrees over seeds ({f['groups']} groups); a group turns "
            f">= {f['turn_min']:g} degrees together in {f['holds']} of {f['seeds']} seeds.")


def width_finding(rows) -> dict:
    """C.27 (L2196): the same dependence on m as for orthogonal data (Fig 3.3: a narrower network needs at
    least as many epochs): per seed, the neighbouring width pairs (among runs reaching 0.01) where the
    narrower is not faster, and the widths that never reached 0.01."""
    sel = _sel(rows, part="width-1.3.2")
    pairs = slower = 0
    fits, never = {}, {}
    for s in _seeds(sel):
        pts = sorted((r["width"], r["t01"]) for r in sel if r["seed"] == s)
        fits[str(s)] = pts
        never[str(s)] = [m for m, t in pts if t is None]
        v = [(m, t) for m, t in pts if t is not None]
        pairs += max(len(v) - 1, 0)
        slower += sum(a[1] >= b[1] for a, b in zip(v, v[1:]))
    return {"seeds": len(fits), "pairs": pairs, "slower_when_narrower": slower, "fits": fits, "never": never}


def width_sentence(f: dict) -> str:
    if not f["pairs"]:
        return "Width sweep: fewer than two widths reached loss 0.01."
    nev = sorted({m for v in f["never"].values() for m in v})
    return (f"Width sweep (1.3.2): the narrower network needs at least as many epochs to reach 0.01 in "
            f"{f['slower_when_narrower']} of {f['pairs']} neighbouring pairs over {f['seeds']} seeds"
            + (f"; widths {nev} did not reach 0.01 in some seed" if nev else "") + ".")


def balance_finding(rows, scale: float, tol: float = 1e-2) -> dict:
    """C.28 (L2200): ReLU iterates stay balanced (final max_j |a_j - s_j ||w_j||| below ``tol`` of max_j
    ||w_j||) while Sigmoid and Tanh end farther from balance than ReLU, per seed."""
    sel = _sel(rows, part="rich-1.3.2", init="balanced", scale=scale)
    err = {a: [r.get("balance_rel_inf") for r in sel if r["act"] == a] for a in ACTIVATIONS}
    relu_ok = sum(e is not None and e < tol for e in err["relu"])
    smooth = sum(all(err[a][i] is not None and err["relu"][i] is not None and err[a][i] > err["relu"][i]
                     for a in ("sigmoid", "tanh")) for i in range(min(len(v) for v in err.values())))
    signs = {a: [r.get("sign_changes") for r in sel if r["act"] == a] for a in ACTIVATIONS}
    return {"scale": scale, "tol": tol, "seeds": len(err["relu"]), "relative_error": err, "relu_balanced": relu_ok,
            "smooth_less_balanced": smooth, "sign_changes": signs,
            "holds": relu_ok == len(err["relu"]) and smooth == len(err["relu"]) and len(err["relu"]) > 0}


def balance_sentence(f: dict) -> str:
    if not f["seeds"]:
        return "Balancedness runs were not run."
    txt = ", ".join(f"{a} {spread_text(v)}" for a, v in f["relative_error"].items())
    return (f"Final l-inf balancedness error / max ||w_j|| (lambda = {f['scale']:g}, mean +- sd over seeds): {txt}. "
            f"ReLU below {f['tol']:g} in {f['relu_balanced']} of {f['seeds']} seeds; Sigmoid and Tanh both above "
            f"ReLU in {f['smooth_less_balanced']} of {f['seeds']}.")


def spread_text(values) -> str:
    """'mean +- sd (lo to hi, n = k)' of the values that are not None, two significant digits."""
    return seeds_spread_text(values, ".2g")


def wide_finding(rows) -> dict:
    """C.21-C.26 (L2158): on 1.3.1 at m = wide_width the ReLU run fits (reaches the goal) and groups of
    aligned neurons move together; Sigmoid and Tanh neurons move only slightly (||W_T - W_0|| < ||W_0||).
    Also the m = 60 balanced ReLU runs of the rich sweep at the same lambda, for comparison."""
    sel = _sel(rows, part="wide-1.3.1")
    relu = _sel(sel, act="relu")
    out = {"seeds": len(relu), "relu_outcomes": [r["outcome"] for r in relu],
           "relu_final_loss": [r["final_loss"] for r in relu], "relu_turns": [r.get("turn_max") for r in relu],
           "rel_change": {a: [r.get("rel_change") for r in _sel(sel, act=a)] for a in ("sigmoid", "tanh")},
           "outcomes": {a: [r["outcome"] for r in _sel(sel, act=a)] for a in ("sigmoid", "tanh")},
           "final_loss": {a: [r["final_loss"] for r in _sel(sel, act=a)] for a in ("sigmoid", "tanh")},
           "width": relu[0]["width"] if relu else None}
    scale = relu[0]["scale"] if relu else None
    narrow = _sel(rows, part="rich-1.3.1", act="relu", init="balanced", scale=scale)
    out["narrow_final_loss"] = [r["final_loss"] for r in narrow]
    out["relu_holds"] = sum(r["outcome"] == "converged" for r in relu)
    out["smooth_slight"] = sum(all(v is not None and v < 1 for v in vals) for vals in zip(*out["rel_change"].values()))
    return out


def wide_sentence(f: dict) -> str:
    if not f["seeds"]:
        return "The wide 1.3.1 runs were not run."
    txt = (f"1.3.1 at m = {f['width']}: ReLU {f['relu_outcomes']} (final loss {spread_text(f['relu_final_loss'])}, "
           f"largest coherent group turn {[None if t is None else round(t, 1) for t in f['relu_turns']]} degrees)")
    if f["narrow_final_loss"]:
        txt += f", against final loss {spread_text(f['narrow_final_loss'])} at m = 60"
    for a in ("sigmoid", "tanh"):
        txt += (f"; {a} {f['outcomes'][a]} (final loss {spread_text(f['final_loss'][a])}, ||W_T - W_0|| / ||W_0|| "
                f"{spread_text(f['rel_change'][a])})")
    return txt + "."


def stopping_finding(rows) -> dict:
    """Section 3.3 (L1486): how the runs continued until convergence ended, per activation (counts of
    each outcome, the epochs of the stalled runs), and whether stalls are concentrated where the thesis
    says (small lambda <= 1e-2, Sigmoid most often)."""
    by = {}
    for a in ACTIVATIONS:
        sel = _sel(rows, act=a)
        by[a] = {o: sum(r["outcome"] == o for r in sel) for o in OUTCOMES}
        by[a]["runs"] = len(sel)
    stalled = [r for r in rows if r["outcome"] == "stalled"]
    small = sum(r["scale"] <= 1e-2 for r in stalled)
    share = {a: by[a]["stalled"] / by[a]["runs"] if by[a]["runs"] else 0.0 for a in ACTIVATIONS}
    return {"by_activation": by, "stalled": len(stalled), "stalled_small_scale": small,
            "stall_share": share, "most_stalls": max(share, key=share.get) if stalled else None,
            "stalled_epochs": sorted({r["epochs"] for r in stalled}),
            "holds": bool(stalled) and small > len(stalled) / 2 and max(share, key=share.get) == "sigmoid"}


def stopping_sentence(f: dict) -> str:
    parts = "; ".join(f"{a}: " + ", ".join(f"{v[o]} {o}" for o in OUTCOMES if v[o]) + f" of {v['runs']}"
                      for a, v in f["by_activation"].items() if v["runs"])
    if not f["stalled"]:
        return f"Stopping rule: {parts}; no run stalled."
    return (f"Stopping rule: {parts}. Of the {f['stalled']} stalled runs, {f['stalled_small_scale']} started at "
            f"lambda <= 1e-2; the largest stall share is {f['most_stalls']}'s ({100 * max(f['stall_share'].values()):.0f}%); "
            f"they stopped after {f['stalled_epochs']} epochs.")


def c20_finding(rows) -> dict:
    """Fig C.20 (1.3.1, m = width): outcomes of the rich sweep per activation and init."""
    sel = _sel(rows, part="rich-1.3.1")
    out = {}
    for a in ACTIVATIONS:
        for i in INITS:
            v = _sel(sel, act=a, init=i)
            if v:
                out[f"{a}, {i}"] = {o: sum(r["outcome"] == o for r in v) for o in OUTCOMES}
    return {"runs": len(sel), "converged": sum(r["outcome"] == "converged" for r in sel), "by": out,
            "relu_small_final": [r["final_loss"] for r in _sel(sel, act="relu", init="balanced")
                                 if r["scale"] == min((q["scale"] for q in sel), default=0)]}


# -- the thesis's findings table ------------------------------------------------------------------------
def finding_rows(metrics: dict) -> list[dict]:
    """Rows of the thesis findings table (:func:`thesis_findings.row`) from this experiment's metrics."""
    from .thesis_findings import ok_verdict, row

    f = metrics["findings"]
    out = []
    fig = f.get("fig328")
    if fig and fig["seeds"]:
        out.append(row("NO1", "Fig 3.28, L1500-L1505", f"ReLU on 1.3.3, m = 60, balanced lambda = {fig['scale']:g}: "
                       "the neurons align on the data's abscissas, the model ends as the linear interpolation of the "
                       "data, the loss goes saddle to saddle", "in every seed: loss below the goal 1e-3, |h - linear "
                       "interpolation| < 0.1 on [-2, 2], >= 2 plateaus", fig328_sentence(fig),
                       ok_verdict(fig["holds"] == fig["seeds"])))
    for key, rid, where, finding in (("plateaus", "NO2", "Figs C.30, C.32, C.34, L2222", "1.3.3: the loss shows "
                                      "progressively more phases of slow convergence as lambda decreases"),
                                     ("bend_total", "NO3", "Figs C.31, C.33, C.35, L2222", "1.3.3: the final "
                                      "interpolator becomes simpler as lambda decreases")):
        fs = [v for k, v in f.get("lambda", {}).items() if k.endswith(key)]
        if fs and any(v["compared"] for v in fs):
            crit = ("per activation and seed, over the scales that reached the goal: plateau counts non-decreasing "
                    "as lambda falls and more at the smallest than at the largest" if key == "plateaus" else
                    "per activation and seed: int |h''| over [-2, 2] smaller at the smallest fitted lambda than at "
                    "the largest, non-increasing in at least half the steps")
            ok = all(v["holds"] == v["compared"] for v in fs if v["compared"])
            out.append(row(rid, where, finding, crit, " ".join(lambda_sentence(v) for v in fs), ok_verdict(ok)))
    ln = f.get("ln_lambda")
    if ln and any(v["series"] for v in ln.values()):
        ok = all(v["growing"] == v["series"] == v["seeds"] and min(v["slopes"]) > 0
                 for a, v in ln.items() if a != "sigmoid" and v["seeds"])
        out.append(row("NO4", "Fig 3.30, L1526", "1.3.2: the speed of convergence depends on -ln(lambda) as with "
                       "orthogonal data", "ReLU and Tanh (balanced): time to loss 0.01 increases as lambda falls, with "
                       "a positive slope in -ln(lambda), in every seed (Sigmoid: no data, as in the thesis)",
                       ln_lambda_sentence(ln), ok_verdict(ok)))
    pv = f.get("plateau_vanish")
    if pv and pv["compared"]:
        out.append(row("NO5", "Fig 3.30, L1526", "1.3.2: increasing lambda makes the intermediate plateau disappear",
                       "ReLU (balanced): no intermediate plateau at the largest rich lambda, at least one at the "
                       "smallest, in every seed", plateau_vanish_sentence(pv), ok_verdict(pv["holds"] == pv["compared"])))
    fn = f.get("footnote12")
    if fn and fn["seeds"]:
        out.append(row("NO6", "footnote 12, L1533", f"Sigmoid on 1.3.2 at lambda = {fn['scale']:g}: the loss does not "
                       "decrease at all in the first 1e6 epochs", f"in every seed the first {fn['segment']:,}-epoch "
                       f"segment lowers the loss by less than {100 * fn['stall_drop']:g}%", footnote12_sentence(fn),
                       ok_verdict(fn["holds"] == fn["seeds"])))
    gr = f.get("groups")
    if gr and gr["seeds"]:
        out.append(row("NO7", "Fig 3.31, L1535", "1.3.2, ReLU: groups of aligned neurons change their direction "
                       "together during training", f"in every seed a group of >= 2 aligned neurons (members within 2 "
                       f"degrees) turns by >= {gr['turn_min']:g} degrees while staying together", groups_sentence(gr),
                       ok_verdict(gr["holds"] == gr["seeds"])))
    w = f.get("width")
    if w and w["pairs"]:
        out.append(row("NO8", "Fig C.27, L2196", "1.3.2: the speed of the phases depends on m as with orthogonal data "
                       "(a narrower network needs at least as many epochs)", "time to loss 0.01 non-increasing in m "
                       "over every neighbouring pair of widths that got there, in every seed", width_sentence(w),
                       ok_verdict(w["slower_when_narrower"] == w["pairs"])))
    b = f.get("balance")
    if b and b["seeds"]:
        out.append(row("NO9", "Figs C.28, C.29, L2200-L2206", "1.3.2: ReLU iterates stay balanced as for orthogonal "
                       "data; for Sigmoid and Tanh balancedness is in doubt", f"in every seed: ReLU's final l-inf "
                       f"error below {b['tol']:g} of max ||w_j||, Sigmoid's and Tanh's above ReLU's",
                       balance_sentence(b) + f" a_j that changed sign: {b['sign_changes']}.", ok_verdict(b["holds"])))
    wd = f.get("wide")
    if wd and wd["seeds"]:
        ok = wd["relu_holds"] == wd["seeds"] and all(t is not None and t >= metrics["turn_min"] for t in wd["relu_turns"])
        out.append(row("NO10", "Figs C.21, C.22, L2158", f"1.3.1, ReLU at m = {wd['width']}: the neurons align, grow, "
                       "and groups sharing a direction move together to fit the data", "in every seed: goal 1e-5 "
                       f"reached and a coherent group turns >= {metrics['turn_min']:g} degrees", wide_sentence(wd),
                       ok_verdict(ok)))
        out.append(row("NO11", "Figs C.23-C.26, L2160", f"1.3.1, Sigmoid and Tanh at m = {wd['width']}: the neurons "
                       "need to move only slightly to fit the data", "in every seed ||W_T - W_0|| < ||W_0|| for both "
                       "and the goal reached", wide_sentence(wd),
                       ok_verdict(wd["smooth_slight"] == wd["seeds"] and all(o == "converged" for v in
                                  wd["outcomes"].values() for o in v))))
    st = f.get("stopping")
    if st:
        out.append(row("NO12", "section 3.3, L1144, L1486", "Runs continued until convergence: at small lambda the "
                       "gradient often vanishes before convergence, especially for Sigmoid", "most stalled runs start "
                       "at lambda <= 1e-2 and Sigmoid has the largest share of stalled runs",
                       stopping_sentence(st) + f" Caps: {metrics['caps']}", ok_verdict(st["holds"])))
    c20 = f.get("c20")
    if c20 and c20["runs"]:
        out.append(row("NO13", "Fig C.20, L2163", "1.3.1 at m = 60: loss curves by activation, initialisation and "
                       "scale (rich regime) that train to the accuracy goal", "every run reaches the goal 1e-5 within "
                       "its cap", f"{c20['converged']} of {c20['runs']} converged; " + "; ".join(
                           f"{k}: " + ", ".join(f"{n} {o}" for o, n in v.items() if n) for k, v in c20["by"].items()),
                       ok_verdict(c20["converged"] == c20["runs"])))
    return out


# -- figures ------------------------------------------------------------------------------------------------
STYLE = {"converged": "-", "capped": "--", "stalled": ":", "diverged": "-."}


def _curve(ax, r: dict, colour, drawn: bool, label_=None) -> None:
    loss = np.asarray(r["loss"], dtype=float)
    ax.plot(np.asarray(r["steps"]) + 1, np.where(loss > 0, loss, np.nan), STYLE[r["outcome"]], color=colour,
            lw=1.6 if drawn else 0.7, alpha=1 if drawn else 0.45, label=label_ if drawn else None)


def _loglog(ax, title, xlabel="epoch + 1", ylabel="training loss (1/n)", legend=False):
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(ax, xlabel, ylabel, title, legend=legend, fontsize=6)


def _stage_indices(loss, k: int = 4) -> list[int]:
    picks = analysis.loss_fraction_indices(loss, (0.9, 0.5, 0.1, 0.01))
    return sorted({picks[int(round(j))] for j in np.linspace(0, len(picks) - 1, k)})


def _neuron_row(axes, r: dict, X, y, title: str) -> None:
    """Orientation-plane windows of a run (snapshots) at the stages of its loss curve (one axis: the end)."""
    snap_loss = np.interp(r["snap_steps"], r["steps"], r["loss"])
    idx = _stage_indices(snap_loss, len(axes)) if len(axes) > 1 else [len(snap_loss) - 1]
    for ax, i in zip(axes, idx + [None] * (len(axes) - len(idx))):
        if i is None:
            ax.axis("off")
            continue
        net = type(r["final"])(r["a_s"][i], r["W_s"][i], None, r["final"].activation, "none")
        orientation_plane(ax, net, X[:, 0], y, xlim=(-2.5, 2.5), signs=np.sign(r["a_s"][0]), legend=False,
                          title=f"{title}, epoch {int(r['snap_steps'][i]):,}")


def lambda_figures(cfg: Config, ctx, units: dict, seeds, f: dict) -> None:
    """Figs C.30-C.35 (and 3.28): 1.3.3 over each activation's lambda set, loss curves and final models."""
    X, y = data.thesis("1.3.3")
    acts = [("relu", cfg.relu_scales), ("sigmoid", cfg.sigmoid_scales), ("tanh", cfg.tanh_scales)]
    cols = max(len(s) for _, s in acts)
    figs = {k: new_figure(cols, 3, width=2.6, height=2.3) for k in ("loss", "model")}
    grid = np.linspace(-2.5, 2.5, 300)
    for row_, (act, scales) in enumerate(acts):
        for c in range(cols):
            for k in figs:
                if c >= len(scales):
                    figs[k][1][row_, c].axis("off")
            if c >= len(scales):
                continue
            s = scales[c]
            for j, seed in enumerate(seeds):
                r = next(q for q in units[seed] if q["act"] == act and q["scale"] == s)
                _curve(figs["loss"][1][row_, c], r, series_colour(j), j == 0)
                if r["outcome"] != "diverged":
                    figs["model"][1][row_, c].plot(grid, r["final"](with_bias(grid)), color=series_colour(j),
                                                   lw=1.6 if j == 0 else 0.7, alpha=1 if j == 0 else 0.5,
                                                   ls=STYLE[r["outcome"]])
            r0 = next(q for q in units[seeds[0]] if q["act"] == act and q["scale"] == s)
            _loglog(figs["loss"][1][row_, c], f"{act}, lambda = {s:g} ({r0['outcome']})")
            ax = figs["model"][1][row_, c]
            ax.plot(X[:, 0], y, "o", color="tab:red", ms=4)
            ax.set_ylim(-2.5, 2.5)
            label(ax, "x", "h(x)", f"{act}, lambda = {s:g}")
    lines = " ".join(lambda_sentence(v) for v in f["lambda"].values())
    common = (f"Data set 1.3.3 (n = 5), m = {cfg.width}, balanced start, alpha = {cfg.lr:g}, trained until the loss "
              f"is below {cfg.goal_n5:g} (stopping rule, cap {cfg.long_cap:,} epochs); seed {seeds[0]} thick, the "
              f"other {len(seeds) - 1} seeds thin; line style: solid converged, dashed capped, dotted stalled, "
              "dash-dot diverged. ")
    ctx.figure(figs["loss"][0], "lambda_1_3_3_losses", "1.3.3: the loss curve as lambda decreases (thesis Figs C.30, "
               "C.32, C.34)", common + lines)
    ctx.figure(figs["model"][0], "lambda_1_3_3_models", "1.3.3: the final interpolator as lambda decreases (thesis "
               "Figs C.31, C.33, C.35)", common + lines)
    small = min(cfg.relu_scales)
    fig, axes = new_figure(5, 1, width=3.2, height=2.9)
    for j, seed in enumerate(seeds):
        _curve(axes[0, 0], next(q for q in units[seed] if q["act"] == "relu" and q["scale"] == small),
               series_colour(j), True, f"seed {seed}")
    _loglog(axes[0, 0], f"ReLU, lambda = {small:g}", legend=True)
    r0 = next(q for q in units[seeds[0]] if q["act"] == "relu" and q["scale"] == small)
    _neuron_row(axes[0, 1:], r0, X, y, f"seed {seeds[0]}")
    ctx.figure(fig, "fig_3_28", f"1.3.3, ReLU at the thesis's lambda = {small:g} (thesis Fig 3.28)",
               f"m = {cfg.width}, alpha = {cfg.lr:g}, balanced start at lambda = {small:g} (the thesis's value; no "
               f"fallback), stopping rule with cap {cfg.long_cap:,}. Left: every seed's loss; right: seed "
               f"{seeds[0]}'s neurons (orientation-signed norm plane) and model at four stages. "
               + fig328_sentence(f["fig328"]))


def rich_figure(cfg: Config, ctx, units: dict, seeds, f: dict) -> None:
    """Figs 3.30 (1.3.2) and C.20 (1.3.1): loss curves by activation, initialisation and scale."""
    names = [p.split("-")[1] for p in ("rich-1.3.2", "rich-1.3.1") if p in units]
    fig, axes = new_figure(3, len(names), width=3.6, height=3.0)
    for row_, name in enumerate(names):
        u = units[f"rich-{name}"]
        for c, act in enumerate(ACTIVATIONS):
            ax = axes[row_, c]
            for j, seed in enumerate(seeds):
                for r in u[seed]:
                    if r["act"] != act:
                        continue
                    k = list(cfg.rich_scales).index(r["scale"]) + (len(cfg.rich_scales) if r["init"] == "normal" else 0)
                    _curve(ax, r, f"C{k % 10}", j == 0, f"{r['init']}, lambda = {r['scale']:g} ({r['outcome']})")
            _loglog(ax, f"{name}, {act}", legend=True)
    ctx.figure(fig, "rich_losses", "Loss curves by activation, initialisation and scale (thesis Figs 3.30, C.20)",
               f"m = {cfg.width}, alpha = {cfg.lr:g}; until the loss is below {cfg.goal_n10:g} with the stopping rule "
               f"(caps: balanced ReLU {cfg.long_cap:,} epochs, the others one segment of {cfg.short_cap:,}); the "
               f"normal start on the first {cfg.normal_seeds} seed(s). Seed {seeds[0]} thick (in the legend), the "
               "others thin; line style: solid converged, dashed capped, dotted stalled. "
               + ln_lambda_sentence(f["ln_lambda"]) + " " + plateau_vanish_sentence(f["plateau_vanish"]) + " "
               + footnote12_sentence(f["footnote12"]))


def balance_figures(cfg: Config, ctx, units: dict, seeds, f: dict) -> None:
    """Figs C.28 (balancedness errors) and C.29 (each a_j) on 1.3.2, and Fig 3.31 (groups of neurons)."""
    u = units["rich-1.3.2"]
    fig, axes = new_figure(3, 2, width=3.6, height=2.8)
    fig2, axes2 = new_figure(3, 1, width=3.6, height=2.8)
    for c, act in enumerate(ACTIVATIONS):
        for j, seed in enumerate(seeds):
            r = next(q for q in u[seed] if q["act"] == act and q["init"] == "balanced" and q["scale"] == cfg.balance_scale)
            b, st = r["balance"], np.asarray(r["steps"]) + 1
            for row_, key in enumerate(("l1", "inf")):
                axes[row_, c].plot(st, b[key], color="tab:blue", lw=1.4 if j == 0 else 0.6, alpha=1 if j == 0 else 0.4,
                                   label="balancedness error" if j == 0 else None)
                if j == 0:
                    axes[row_, c].plot(st, b["a"] / 1, color="tab:red", lw=1, label="mean |a_j|")
                    axes[row_, c].plot(st, b["w"], color="tab:green", lw=1, label="mean ||w_j||")
            if j == 0:
                axes2[0, c].plot(st, r["a_all"], lw=0.6)
                axes2[0, c].set_xscale("log")
                label(axes2[0, c], "epoch + 1", "a_j", f"{act}: each a_j")
        for row_, key in enumerate(("averaged l1", "l-inf")):
            _loglog(axes[row_, c], f"{act}: {key} error", ylabel="|a_j - s_j ||w_j|||", legend=row_ == 0)
    cap = (f"1.3.2, m = {cfg.width}, balanced start lambda = {cfg.balance_scale:g}, alpha = {cfg.lr:g}, seed "
           f"{seeds[0]} (other seeds' errors thin). ")
    ctx.figure(fig, "balance_1_3_2", "Balancedness on 1.3.2 (thesis Fig C.28)", cap + "Upper: (1/m) sum_j |a_j - s_j "
               "||w_j|||; lower: max_j; red (1/m) sum |a_j|, green (1/m) sum ||w_j||. " + balance_sentence(f["balance"]))
    ctx.figure(fig2, "a_j_1_3_2", "Each a_j over the epochs on 1.3.2 (thesis Fig C.29)", cap
               + f"a_j that changed sign by the end: {f['balance']['sign_changes']}.")
    X, y = data.thesis("1.3.2")
    small = min(cfg.rich_scales)
    r = next(q for q in u[seeds[0]] if q["act"] == "relu" and q["init"] == "balanced" and q["scale"] == small)
    fig, axes = new_figure(5, 1, width=3.2, height=2.9)
    _neuron_row(axes[0, :4], r, X, y, "ReLU")
    ang = np.degrees(np.arctan2(r["W_s"][..., 1], r["W_s"][..., 0]))
    axes[0, 4].plot(np.asarray(r["snap_steps"]) + 1, ang, lw=0.6)
    axes[0, 4].set_xscale("log")
    label(axes[0, 4], "epoch + 1", "angle of w_j (degrees)", "neuron directions")
    ctx.figure(fig, "groups_1_3_2", "Groups of aligned neurons change direction together (thesis Fig 3.31)",
               f"1.3.2, ReLU, m = {cfg.width}, balanced lambda = {small:g}, seed {seeds[0]}: the neurons and model at "
               "four stages, and every neuron's direction over the epochs. " + groups_sentence(f["groups"]))


def width_figure(cfg: Config, ctx, units: dict, seeds, f: dict) -> None:
    """Fig C.27: loss curves against the width on 1.3.2, and the time to 0.01 against m over seeds."""
    fig, axes = new_figure(2, 1, width=4.2, height=3.4)
    for k, m in enumerate(cfg.widths):
        for j, seed in enumerate(seeds):
            r = next(q for q in units[seed] if q["width"] == m)
            _curve(axes[0, 0], r, series_colour(k), j == 0, f"m = {m} ({r['outcome']})")
    _loglog(axes[0, 0], f"1.3.2, ReLU, lambda = {cfg.width_scale:g}", legend=True)
    for j, seed in enumerate(seeds):
        pts = [(m, t) for m, t in f["width"]["fits"][str(seed)] if t is not None]
        if pts:
            axes[0, 1].plot(*zip(*pts), "o-", color=series_colour(j), ms=3, lw=1, label=f"seed {seed}")
    axes[0, 1].set_xscale("log")
    axes[0, 1].set_yscale("log")
    label(axes[0, 1], "width m", "epochs to loss 0.01", "time to 0.01 against m", legend=True, fontsize=6)
    ctx.figure(fig, "width_1_3_2", "Loss curves against the width on 1.3.2 (thesis Fig C.27)",
               f"Balanced start lambda = {cfg.width_scale:g}, alpha = {cfg.lr:g}; caps {cfg.long_cap:,} epochs for m <= "
               f"{cfg.long_width}, {cfg.short_cap:,} above. " + width_sentence(f["width"]))


def wide_figure(cfg: Config, ctx, units: dict, seeds, f: dict) -> None:
    """Figs C.21-C.26: 1.3.1 at m = wide_width, per activation the loss (all seeds), the final neurons in
    the (w_1, w_2) plane and the orientation plane at two stages (drawn seed)."""
    X, y = data.thesis("1.3.1")
    fig, axes = new_figure(3, 3, width=3.3, height=2.9)
    for row_, act in enumerate(ACTIVATIONS):
        for j, seed in enumerate(seeds):
            _curve(axes[row_, 0], next(q for q in units[seed] if q["act"] == act), series_colour(j), True, f"seed {seed}")
        _loglog(axes[row_, 0], f"{act}, m = {cfg.wide_width}", legend=True)
        r = next(q for q in units[seeds[0]] if q["act"] == act)
        weight_plane(axes[row_, 1], r["W_s"][-1], X=X, y=y, a=r["a_s"][-1], title=f"{act}: final (w_1, w_2)")
        _neuron_row(axes[row_, 2:], r, X, y, act)
    ctx.figure(fig, "wide_1_3_1", f"1.3.1 at m = {cfg.wide_width} (thesis Figs C.21-C.26)",
               f"Balanced lambda = {cfg.wide_scale:g}, alpha = {cfg.lr:g}; caps: ReLU {cfg.long_cap:,} epochs, Sigmoid "
               f"and Tanh {cfg.wide_cap:,}. Left: every seed's loss; then seed {seeds[0]}'s final neurons in the "
               "(w_1, w_2) plane and in the orientation plane. " + wide_sentence(f["wide"]))


# -- the experiment --------------------------------------------------------------------------------------------
def findings_of(rows: list[dict], cfg: Config) -> dict:
    """Every finding dict, from the run rows of the parts that were run."""
    parts = {r["part"] for r in rows}
    f = {"stopping": stopping_finding(rows)}
    if "lambda-1.3.3" in parts:
        f["fig328"] = fig328_finding(rows, min(cfg.relu_scales))
        f["lambda"] = {f"{a} {k}": lambda_finding(rows, a, k) for a in ACTIVATIONS for k in ("plateaus", "bend_total")}
    if "rich-1.3.2" in parts:
        f["ln_lambda"] = ln_lambda_finding(rows)
        f["plateau_vanish"] = plateau_vanish_finding(rows)
        f["footnote12"] = footnote12_finding(rows, min(cfg.rich_scales), cfg.stall_drop)
        f["groups"] = groups_finding(rows, "rich-1.3.2", min(cfg.rich_scales), cfg.turn_min)
        f["balance"] = balance_finding(rows, cfg.balance_scale)
    if "width-1.3.2" in parts:
        f["width"] = width_finding(rows)
    if "wide-1.3.1" in parts:
        f["wide"] = wide_finding(rows)
    if "rich-1.3.1" in parts:
        f["c20"] = c20_finding(rows)
    return f


def caps_text(cfg: Config) -> str:
    """Which runs got the long treatment, in words (also in metrics["caps"])."""
    head = (f"segments of {cfg.segment:,} epochs; stalled = a segment lowered the loss by less than "
            f"{100 * cfg.stall_drop:g}%; ")
    if cfg.long_cap == cfg.short_cap == cfg.wide_cap:
        return head + f"cap {cfg.long_cap:,} epochs for every run"
    return (head + f"cap {cfg.long_cap:,} epochs for every 1.3.3 run, the balanced ReLU runs of "
            f"the rich sweeps, widths <= {cfg.long_width} of the width sweep and the wide ReLU runs; "
            f"{cfg.short_cap:,} for the other rich-sweep runs and wider widths; {cfg.wide_cap:,} for the wide "
            "Sigmoid and Tanh runs")


def run(cfg: Config, ctx) -> dict:
    if cfg.balance_scale not in cfg.rich_scales and "rich-1.3.2" in cfg.parts:
        from ..errors import InvalidParameter
        raise InvalidParameter("balance_scale", cfg.balance_scale, "must be one of rich_scales")
    seeds = [cfg.seed + k for k in range(cfg.seeds)]
    units = {p: {cfg.seed + k: ctx.run(p, lambda p=p, k=k: train_part(p, k, cfg, ctx.quiet), seed=cfg.seed + k)
                 for k in range(cfg.seeds)} for p in cfg.parts}
    rows = [run_row(p, s, r, cfg) for p in cfg.parts for s in seeds for r in units[p][s]]
    f = findings_of(rows, cfg)
    if "lambda-1.3.3" in units:
        lambda_figures(cfg, ctx, units["lambda-1.3.3"], seeds, f)
    if any(p in units for p in ("rich-1.3.2", "rich-1.3.1")):
        if "rich-1.3.2" in units:
            rich_figure(cfg, ctx, units, seeds, f)
            balance_figures(cfg, ctx, units, seeds, f)
    if "width-1.3.2" in units:
        width_figure(cfg, ctx, units["width-1.3.2"], seeds, f)
    if "wide-1.3.1" in units:
        wide_figure(cfg, ctx, units["wide-1.3.1"], seeds, f)
    flagged = {f"{r['part']} {r['act']} {r['init']} lambda={r['scale']:g} m={r['width']} seed {r['seed']}": r["reason"]
               for r in rows if r["status"] != "ok"}
    ctx.note(stopping_sentence(f["stopping"]) + " Caps: " + caps_text(cfg) + ".")
    if flagged:
        ctx.note("Runs flagged (not at the accuracy goal, or diverged / nearly diverged), left out of the findings "
                 "that need a fitted run: " + "; ".join(f"{k} ({v})" for k, v in flagged.items()) + ".")
    out = {"seeds": seeds, "caps": caps_text(cfg), "turn_min": cfg.turn_min, "findings": f,
           "runs": [{k: v for k, v in r.items() if k != "residuals"} for r in rows], "flagged": flagged,
           "outcome_counts": {o: sum(r["outcome"] == o for r in rows) for o in OUTCOMES}}
    if "fig328" in f:
        fl = [p["final_loss"] for p in f["fig328"]["runs"]]
        out["fig328_final_loss_seeds"] = fl
        out["fig328_final_loss_spread"] = spread_or_none(fl)
    if "ln_lambda" in f:
        out["ln_lambda_slope_relu_spread"] = spread_or_none(f["ln_lambda"]["relu"]["slopes"])
    if "balance" in f:
        out["balance_rel_inf_spread"] = {a: spread_or_none(v) for a, v in f["balance"]["relative_error"].items()}
    out["finding_rows"] = finding_rows(out)
    return out


register(Experiment(
    name="non-orthogonal-full", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis 3.3 and C.3 in full: non-orthogonal 1-D data sets 1.3.1-1.3.3 for ReLU, Sigmoid and Tanh, "
                "trained with the thesis's stopping rule (1e6-epoch segments until the accuracy goal, stopping on "
                "a stall), over several seeds: lambda sets, width sweep, balancedness, m = 1000.",
    config=Config, run=run, quick=QUICK, findings=finding_rows,
    source="thesis, section 3.3 and appendix C.3, Figs 3.28, 3.30, 3.31, C.20-C.35"))

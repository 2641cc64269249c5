"""Seed 003, section 3.4 (Figures 3.33-3.39): five-dimensional data. On orthogonal inputs the thesis
reads the trained first layer as two directions (the explained variance of the first two principal
components of the neurons is 1); on non-orthogonal inputs it does not.

h(x) = sum_j a_j sigma(w_j . x), m = 200, balanced initialisation, loss (1/n) sum (h - y)^2, GD step
1e-3; scales as in the thesis (ReLU 1e-22, Sigmoid 1e-6, Tanh 1e-10 on the orthogonal set, 1e-12 on the
non-orthogonal one).

Both claims are measured over seeds: the orthogonal set over the seeds of the initial directions, the
non-orthogonal claim over the seeds of its data generator (a distribution of data sets). On the
orthogonal set the gradient-flow rates of [5] predict which groups of ReLU neurons grow: a group of
neurons of sign s active at initialisation on the same-sign points A grows like exp(r_A t) with
r_A = ||sum_{k in A} y_k x_k||, so a group whose rate is close to the leading group's of its sign grows
to a comparable size before the labels are fitted: a third direction, which :func:`third_group_check`
looks for in the trained neurons.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .. import analysis, data
from ..analysis.seeds import flagged_sentence, status_tag, traj_health as health
from ..errors import InvalidParameter
from ..optim import GD
from ..plots import label, new_figure
from ..sweep import run_prepared
from ..train import prepare
from . import Experiment, register
from .base import THESIS_LOSS, balanced_net, param
from .budget import SEED_MAX, check_budget, recorded_points, snapshot_bytes

ACTIVATIONS = ("relu", "sigmoid", "tanh")
SETS = ("orth", "nonorth")
EVR_TOL = 1e-6   # EVR2 differences below this are not read as "further from two directions"


@dataclass
class Config:
    width: int = param(200, "Number of hidden neurons m.", ge=1, le=10_000)
    activations: tuple[str, ...] = param(ACTIVATIONS, "Activations to train (one run each per data set).",
                                         choices=ACTIVATIONS)
    scales_orth: tuple[float, ...] = param((1e-22, 1e-6, 1e-10), "Balanced initialisation scales on the orthogonal "
                                           "set, one each for relu, sigmoid, tanh (in this order).", gt=0, le=100)
    scale_nonorth: float = param(1e-12, "Balanced initialisation scale on the non-orthogonal set (every activation).",
                                 gt=0, le=100)
    lr: float = param(1e-3, "GD step size.", gt=0, le=10)
    epochs_orth: int = param(1_500_000, "Number of GD steps on the orthogonal set.", ge=1, le=15_000_000)
    epochs_nonorth: int = param(300_000, "Number of GD steps on the non-orthogonal set.", ge=1, le=3_000_000)
    records: int = param(400, "About how many points of each run are recorded.", ge=1, le=10_000)
    fit_level: float = param(1e-3, "Training loss (1/n) a run must end below to count as fitted; a run that does "
                             "not, or diverges, is flagged and left out of the conclusions.", gt=0, le=1)
    nonorth_seed: int = param(0, "Generator seed of the non-orthogonal data set drawn in the neuron figure (the "
                              "first of data_seeds).", ge=0, le=SEED_MAX)
    seed: int = param(0, "Random seed of the initial directions g_j and signs s_j drawn in the neuron figures (the "
                      "first of seeds; every non-orthogonal run starts from it).", ge=0, le=SEED_MAX)
    seeds: int = param(5, "Initial-direction seeds seed, seed+1, ... trained per activation on the orthogonal set "
                       "(only the first records parameter snapshots).", ge=1, le=50)
    data_seeds: int = param(5, "Non-orthogonal data sets, drawn with generator seeds nonorth_seed, nonorth_seed+1, "
                            "...; one run each per activation.", ge=1, le=50)
    group_level: float = param(1e-2, "A ReLU neuron group counts as predicted to grow when its size relative to the "
                               "leading group of its sign, lambda^(1 - r/r_lead) from the rates r = ||sum y_k x_k||, "
                               "is at least this.", gt=0, le=1)


QUICK = {"activations": ("relu",), "epochs_orth": 1_000_000, "epochs_nonorth": 100_000, "records": 200,
         "seeds": 2, "data_seeds": 3}


# -- the gradient-flow prediction of the neuron groups (orthogonal inputs, ReLU) ------------------
def group_rates(X, y, scale: float) -> list[dict]:
    """Every group of ReLU neurons the early dynamics of [5] can form on orthogonal inputs, with its rate.

    A neuron of sign s that is active at initialisation on the points A (a non-empty subset of the
    points with s y_k > 0) keeps that activation pattern and grows like exp(r_A t) in the early phase,
    with r_A = ||sum_{k in A} y_k x_k|| (its direction aligns with that sum). The group of a sign that
    covers all its points grows fastest (r_lead); another group reaches about lambda^(1 - r_A/r_lead)
    of the leader's size by the time the leader escapes from lambda.

    Parameters
    ----------
    X : (n, d) orthogonal inputs.  y : (n,) labels.  scale : the initialisation scale lambda.

    Returns
    -------
    list of dict
        ``sign``, ``points`` (1-based indices of A), ``rate`` r_A, ``lead_rate``, ``ratio`` r_A/r_lead,
        ``size`` lambda^(1 - ratio) and ``lead`` (A is all the points of the sign), leaders first.
    """
    X, y = np.asarray(X, float), np.asarray(y, float)
    out = []
    for s in (1, -1):
        P = [k for k in range(len(y)) if s * y[k] > 0]
        if not P:
            continue
        lead = float(np.linalg.norm(y[P] @ X[P]))
        for size in range(len(P), 0, -1):
            for A in itertools.combinations(P, size):
                r = float(np.linalg.norm(y[list(A)] @ X[list(A)]))
                out.append({"sign": s, "points": [k + 1 for k in A], "rate": r, "lead_rate": lead,
                            "ratio": r / lead, "size": float(scale ** (1 - r / lead)), "lead": size == len(P)})
    return out


def predicted_groups(rates: list[dict], level: float) -> tuple[list[dict], list[dict]]:
    """(leaders, others that grow): the leading group of each sign, and the groups whose predicted
    relative size ``size`` is at least ``level`` (a third, fourth ... direction of the neurons)."""
    return [g for g in rates if g["lead"]], [g for g in rates if not g["lead"] and g["size"] >= level]


def neuron_groups(W0, a0, X, y) -> list[tuple]:
    """The group of each neuron at initialisation: (sign of a_j, 1-based points k with sign(a_j) y_k > 0
    and w_j . x_k > 0), a tuple per neuron ((m,) list)."""
    W0, a0, X, y = (np.asarray(v, float) for v in (W0, a0, X, y))
    s = np.where(a0 >= 0, 1, -1)
    act = W0 @ X.T > 0                                          # (m, n)
    return [(int(s[j]), tuple(k + 1 for k in range(len(y)) if s[j] * y[k] > 0 and act[j, k]))
            for j in range(len(s))]


def fit_direction(X, y, points) -> np.ndarray:
    """The unit direction w of one ReLU neuron that fits the labels of ``points`` (1-based) alone on
    orthogonal inputs: w . x_k proportional to y_k there, i.e. w ~ sum_k y_k x_k / ||x_k||^2."""
    idx = [k - 1 for k in points]
    w = (np.asarray(y, float)[idx] / np.sum(np.asarray(X, float)[idx] ** 2, axis=1)) @ np.asarray(X, float)[idx]
    return w / np.linalg.norm(w)


def third_group_check(W0, a0, W, X, y, leaders: list[dict], others: list[dict]) -> dict:
    """Whether the trained neurons ``W`` (m, d) show the predicted groups: the third explained variance
    ratio, the first two's share once the predicted extra groups' neurons are left out, the part of
    the third principal axis inside the span of the growing groups' fit directions, and each extra
    group's size (mean final norm relative to its sign's leader).

    Returns
    -------
    dict
        ``evr3``, ``evr2_without`` (1 when no extra group is predicted: nothing to remove, EVR2 itself),
        ``pc3_in_span`` (||P_span v_3|| for the unit third axis v_3), ``sizes`` (per extra group) and
        ``counts`` (neurons per extra group).
    """
    W = np.asarray(W, float)
    _, comps, evr = analysis.neuron_pca(W)
    groups = neuron_groups(W0, a0, X, y)
    norms = np.linalg.norm(W, axis=1)
    extra = {(g["sign"], tuple(g["points"])) for g in others}
    keep = [j for j, g in enumerate(groups) if g not in extra]
    evr_without = analysis.neuron_pca(W[keep])[2] if len(keep) > 1 else evr
    span = np.array([fit_direction(X, y, g["points"]) for g in leaders + others])
    Q, _ = np.linalg.qr(span.T)                                 # (d, G) orthonormal basis of the span
    v3 = comps[2] if len(comps) > 2 else np.zeros(W.shape[1])
    lead_norm = {g["sign"]: norms[[j for j, h in enumerate(groups) if h == (g["sign"], tuple(g["points"]))]]
                 for g in leaders}
    sizes, counts = [], []
    for g in others:
        js = [j for j, h in enumerate(groups) if h == (g["sign"], tuple(g["points"]))]
        ln = lead_norm[g["sign"]]
        counts.append(len(js))
        sizes.append(float(norms[js].mean() / ln.mean()) if js and len(ln) and ln.mean() > 0 else None)
    return {"evr3": float(evr[2]) if len(evr) > 2 else 0.0, "evr2_without": float(evr_without[:2].sum()),
            "pc3_in_span": float(np.linalg.norm(Q.T @ v3)), "sizes": sizes, "counts": counts}


def third_group_matches(check: dict, evr2: float, removed: float = 0.99, in_span: float = 0.99) -> bool:
    """The measured third component is the predicted group: leaving the group's neurons out removes at
    least ``removed`` of the variance outside the first two components, and the third principal axis
    lies in the span of the predicted groups (``pc3_in_span`` >= ``in_span``)."""
    outside, left = 1 - evr2, 1 - check["evr2_without"]
    return bool(left <= (1 - removed) * outside and check["pc3_in_span"] >= in_span)


# -- sentences computed from the numbers ----------------------------------------------------------
def two_directions_sentence(evr2: float, gap: float, min_norm: float, status: str, reason: str = "") -> str:
    """What the drawn ReLU run on the orthogonal set says about the two directions of [5]: the share of
    the first two principal components ``evr2`` and the relative norm gap ``gap`` to the minimum-norm
    interpolator's norm ``min_norm``; nothing is concluded from a flagged run (``status`` not ok)."""
    if status != "ok":
        return (f"The ReLU run on the orthogonal set is flagged ({reason}), so nothing is concluded about its "
                "directions or its norm.")
    head = (f"ReLU on the orthogonal set (drawn seed): the first two principal components explain {evr2:.5f} of the "
            f"variance of the final neurons and the norm is {100 * gap:.3f}% above the minimum-norm interpolator's "
            f"{min_norm:.6f}")
    if evr2 > 0.999 and gap < 1e-3:
        return head + ": the two directions of [5]."
    if evr2 > 0.99:
        return head + (": close to, not exactly, the two directions of [5]; a third group of neurons keeps a small "
                       "share (the thesis read 'fully explained' off its bar chart).")
    return head + ": not the two directions of [5]."


def _group_name(g: dict) -> str:
    pts = ", ".join(f"x{k}" for k in g["points"])
    return f"{'positive' if g['sign'] > 0 else 'negative'} neurons active on {pts}"


def third_group_sentence(evr2: dict, others: list[dict], leaders: list[dict], matches: list[bool]) -> str:
    """The orthogonal claim against the rates: ``evr2`` is the spread of EVR2 over the fitted seeds,
    ``others`` the extra groups the rates predict (:func:`predicted_groups`), ``leaders`` the leading
    groups, ``matches`` per fitted seed whether the measured third component is the predicted group."""
    if not evr2["n"]:
        return "No ReLU run on the orthogonal set fitted, so nothing is concluded about its directions."
    head = (f"Orthogonal set, ReLU, {evr2['n']} seed(s) of the initial directions: the first two principal components "
            f"explain {evr2['mean']:.5f} +- {evr2['sd']:.1g} (range {evr2['lo']:.5f}-{evr2['hi']:.5f}) of the neurons' "
            "variance")
    if not others:
        if evr2["lo"] > 1 - 1e-6:
            return head + "; the rates ||sum_k y_k x_k|| predict only the two leading groups, as measured: two directions."
        return head + ("; the rates ||sum_k y_k x_k|| predict only the two leading groups, yet a third component "
                       "remains that the rates do not explain.")
    lead = {g["sign"]: g for g in leaders}
    pred = "; ".join(f"{_group_name(g)} (rate {g['rate']:.5f} against {g['lead_rate']:.5f} for the leading "
                     f"{', '.join(f'x{k}' for k in lead[g['sign']]['points'])} group: ratio {g['ratio']:.5f}, so about "
                     f"{g['size']:.2g} of its size)" for g in others)
    k = sum(bool(m) for m in matches)
    text = head + f". The rates predict {len(others)} group(s) more than the thesis's two directions: {pred}. "
    if k == len(matches):
        return text + (f"Measured: in every seed ({k} of {len(matches)}) the third component is that group (leaving it "
                       "out removes >= 99% of the variance outside two components, and the third axis lies in the "
                       "predicted groups' span): the 'two directions' reading is contradicted, as the rates predict.")
    if k == 0:
        return text + (f"Measured: in none of the {len(matches)} seeds is the third component that group: the "
                       "prediction does not match.")
    return text + f"Measured: the third component is that group in {k} of {len(matches)} seeds only."


def nonorth_sentence(spread: dict, below: int, orth_lo: float, act: str = "relu") -> str:
    """The non-orthogonal claim over generator seeds: EVR2 spread ``spread`` over the fitted data sets,
    of which ``below`` lie below the lowest fitted orthogonal seed's EVR2 ``orth_lo`` (by more than
    :data:`EVR_TOL`)."""
    if not spread["n"]:
        return f"No {act} run on a non-orthogonal data set fitted, so nothing is concluded about them."
    n = spread["n"]
    if not np.isfinite(orth_lo):
        return (f"Non-orthogonal data, {act}: no fitted orthogonal run to compare the {n} fitted data set(s) with, "
                "so nothing is concluded.")
    text = (f"Non-orthogonal data, {act}, {n} generated data set(s): the first two principal components explain "
            f"{spread['mean']:.4f} +- {spread['sd']:.2g} (range {spread['lo']:.4f}-{spread['hi']:.4f}); {below} of {n} "
            f"lie below the lowest orthogonal seed's {orth_lo:.5f} (by more than {EVR_TOL:g})")
    if below == n:
        return text + ": on every data set the neurons are further from two directions than on the orthogonal set, as the thesis says."
    if below == 0:
        return text + (": on no data set are the neurons further from two directions than on the orthogonal set, "
                       "which contradicts the thesis's claim.")
    return text + ": whether the neurons are further from two directions than on the orthogonal set depends on the data set."


# -- training ---------------------------------------------------------------------------------------
def train_units(ctx, units: list[tuple[dict, object]]) -> list:
    """``ctx.run("train", ..., **settings)`` of each unit (settings, make_spec): the units the store
    holds are read; the others are prepared with ``make_spec()`` and trained together in one sweep
    (threads over the cores), then stored one by one (:meth:`Context.run_many`)."""
    return ctx.run_many("train", [st for st, _ in units], lambda missing: run_prepared(
        [units[j][1]() for j in missing], on_divergence="keep", quiet=ctx.quiet))


def data_sets(cfg: Config) -> dict:
    """{(set, data seed): (X, y)}: the orthogonal set (data seed None) and the non-orthogonal draws."""
    out = {("orth", None): data.thesis("3.4.1")}
    for r in range(cfg.nonorth_seed, cfg.nonorth_seed + cfg.data_seeds):
        out[("nonorth", r)] = data.thesis_nonorthogonal(5, 5, seed=r)
    return out


def scale_of(cfg: Config, key: str, act: str) -> float:
    """The initialisation scale of activation ``act`` on data set ``key`` ("orth" or "nonorth")."""
    return cfg.scales_orth[ACTIVATIONS.index(act)] if key == "orth" else cfg.scale_nonorth


def plan(cfg: Config, sets: dict) -> list[tuple[dict, tuple]]:
    """Every run: (settings of its stored unit, (X, y, activation, scale, epochs, init seed, snapshots)),
    the long orthogonal runs first. Only the drawn seed on the drawn data set records snapshots."""
    runs = []
    for act in cfg.activations:
        for s in range(cfg.seed, cfg.seed + cfg.seeds):
            runs.append(({"dataset": "orth", "activation": act, "seed": s},
                         (*sets[("orth", None)], act, scale_of(cfg, "orth", act), cfg.epochs_orth, s, s == cfg.seed)))
    for act in cfg.activations:
        for r in range(cfg.nonorth_seed, cfg.nonorth_seed + cfg.data_seeds):
            runs.append(({"dataset": "nonorth", "activation": act, "seed": cfg.seed, "data_seed": r},
                         (*sets[("nonorth", r)], act, cfg.scale_nonorth, cfg.epochs_nonorth, cfg.seed,
                          r == cfg.nonorth_seed)))
    return runs


def make_spec(cfg: Config, ctx, X, y, act, scale, epochs, seed, snapshots):
    """The prepared GD run of :func:`balanced_net` (activation ``act``, scale ``scale``, seed ``seed``)
    on (X, y) for ``epochs`` steps, about ``cfg.records`` points recorded (parameters only when
    ``snapshots``)."""
    net = balanced_net(X.shape[1], cfg.width, act, scale, seed)
    return prepare(net, X, y, **THESIS_LOSS, optimizer=GD(cfg.lr), steps=epochs,
                   record_every=max(1, epochs // cfg.records), engine=ctx.engine, snapshots=snapshots, quiet=True)


def check(cfg: Config) -> None:
    """One orthogonal-set scale per activation, and the snapshots of the runs in memory."""
    if len(cfg.scales_orth) != len(ACTIVATIONS):
        raise InvalidParameter("scales_orth", cfg.scales_orth, "expected three scales, for relu, sigmoid and tanh, "
                               "e.g. scales_orth=1e-22,1e-6,1e-10")
    points = max(recorded_points(e, max(1, e // cfg.records)) for e in (cfg.epochs_orth, cfg.epochs_nonorth))
    check_budget("records", cfg.records, snapshot_bytes(points, 6 * cfg.width, 2 * len(cfg.activations)),
                 "record fewer points or use a smaller width")


# -- figures ----------------------------------------------------------------------------------------
def pca_panels(axes, traj, title: str, evr_seeds: list, what: str):
    """Loss curve, explained variance ratios of the final neurons (the drawn run's bars, with the
    range over ``evr_seeds`` (fitted runs' ratio vectors) as error bars), and the drawn run's neurons
    projected on its first two principal components at snapshots along the fit."""
    mean, comps, evr = analysis.neuron_pca(traj.final.W)
    ax = axes[0]
    ax.semilogy(traj.steps, traj.train_loss, color="k")
    label(ax, "epoch", "training loss (1/n)", title)
    ax = axes[1]
    x = np.arange(1, len(evr) + 1)
    ax.bar(x, evr, color="C0", label="drawn run")
    floor = 1e-18
    ok = [np.maximum(np.asarray(e, float), floor) for e in evr_seeds if e is not None]
    if ok:
        E = np.array(ok)
        mid = np.exp(np.log(E).mean(axis=0))
        yerr = np.maximum([mid - E.min(axis=0), E.max(axis=0) - mid], 0.0)     # >= 0 despite rounding
        ax.errorbar(x, mid, yerr=yerr, fmt="o", color="C1", ms=3, capsize=3,
                    label=f"geometric mean, range over {len(ok)} fitted {what}")
    ax.set_yscale("log")
    ax.set_ylim(bottom=max(floor, evr[evr > 0].min() / 10) if np.any(evr > 0) else floor)
    label(ax, "principal component", "explained variance ratio", f"drawn run, first two: {evr[:2].sum():.6f}",
          legend=True, fontsize=6)
    ax = axes[2]
    for k, i in enumerate(analysis.loss_fraction_indices(traj.train_loss, (0.9, 0.5, 0.1, 0.01))):
        P = (traj.W[i] - mean) @ comps[:2].T
        ax.plot(P[:, 0], P[:, 1], "*", color=f"C{k % 10}", ms=5, label=f"epoch {int(traj.steps[i])}")
    label(ax, "PC 1", "PC 2", "neurons projected (PCA of the final W)", legend=True, fontsize=6)


def strip_figure(ctx, cfg: Config, runs: dict, every: dict, out: dict, sentences: dict) -> None:
    """1 - EVR2 (the variance outside the first two components) of every run, per activation: the
    orthogonal set over initial seeds, the non-orthogonal sets over generator seeds; flagged runs in
    red with their status; for ReLU also the orthogonal seeds without the predicted extra group."""
    acts = list(cfg.activations)
    fig, axes = new_figure(len(acts), 1, width=4.4, height=3.6)
    for ax, act in zip(axes[0], acts):
        cols = [("orth", "orthogonal\n(init seeds)"), ("nonorth", "non-orthogonal\n(data seeds)")]
        for c, (key, _) in enumerate(cols):
            n = len(runs[(key, act)])
            for i, (_, h) in enumerate(runs[(key, act)]):
                v = max(1 - every[(key, act)][i], 1e-16)
                x = c - 0.1 + 0.2 * i / max(1, n - 1)
                if h["status"] == "ok":
                    ax.plot(x, v, "o", color=f"C{c}", ms=5)
                else:
                    ax.plot(x, v, "x", color="r", ms=7)
                    ax.annotate(h["status"], (x, v), fontsize=6, color="r")
        if act == "relu" and out.get("evr2_without_third_orth_relu_seeds"):
            w = [v for v in out["evr2_without_third_orth_relu_seeds"] if v is not None]
            if w:
                ax.plot(np.full(len(w), 0.25), np.maximum(1 - np.array(w), 1e-16), "s", color="C2", ms=5,
                        label="orthogonal, predicted third group left out")
                ax.legend(fontsize=6)
        ax.set_yscale("log")
        ax.set_xticks([0, 1], [c[1] for c in cols])
        ax.set_xlim(-0.5, 1.5)
        label(ax, None, "1 - EVR2 (variance outside PC 1-2)", act)
    ctx.figure(fig, "evr2_seeds", "Variance outside the first two principal components, over seeds",
               "Each dot is one run: 1 - EVR2, the share of the final neurons' variance outside the first two "
               "principal components (0 for exactly two directions). Orthogonal set: seeds of the initial "
               "directions; non-orthogonal: one generated data set per generator seed. Red crosses: flagged runs, "
               "left out of every conclusion. " + sentences["nonorth"] + " " + sentences.get("orth", ""))


def third_group_figure(ctx, cfg: Config, rates: list[dict], traj, X, y, others: list[dict]) -> None:
    """Left: every ReLU group's predicted size lambda^(1 - r/r_lead) from the rates, with the growth
    level; right: the drawn run's final neurons on the (PC 1, PC 3) plane, coloured by group."""
    fig, axes = new_figure(2, 1, width=4.8, height=3.8)
    ax = axes[0, 0]
    names = [f"{'+' if g['sign'] > 0 else '-'}{{{','.join(map(str, g['points']))}}}" for g in rates]
    ax.bar(range(len(rates)), [max(g["size"], 1e-30) for g in rates],
           color=["C3" if g["lead"] else ("C2" if g in others else "C7") for g in rates])
    ax.axhline(cfg.group_level, color="k", ls="--", lw=1, label=f"growth level {cfg.group_level:g}")
    ax.set_yscale("log")
    ax.set_xticks(range(len(rates)), names, rotation=90, fontsize=6)
    label(ax, "group: sign {points active at init}", "predicted size lambda^(1 - r/r_lead)",
          "groups from the rates ||sum y_k x_k|| (red: leaders)", legend=True, fontsize=6)
    ax = axes[0, 1]
    W = traj.final.W
    mean, comps, _ = analysis.neuron_pca(W)
    P = (W - mean) @ comps[[0, 2]].T
    groups = neuron_groups(traj.W[0], traj.a[0], X, y)
    lead = {(g["sign"], tuple(g["points"])): f"leader {'+' if g['sign'] > 0 else '-'}" for g in rates if g["lead"]}
    extra = {(g["sign"], tuple(g["points"])) for g in others}
    kind = ["predicted extra group" if g in extra else lead.get(g, "other") for g in groups]
    for name, colour in (("other", "C7"), ("leader +", "C3"), ("leader -", "C0"), ("predicted extra group", "C2")):
        js = [j for j, k in enumerate(kind) if k == name]
        if js:
            ax.plot(P[js, 0], P[js, 1], "*", color=colour, ms=5, label=f"{name} ({len(js)})")
    label(ax, "PC 1", "PC 3", f"drawn seed {cfg.seed}: final neurons", legend=True, fontsize=6)
    ctx.figure(fig, "third_group", "The groups the gradient-flow rates predict on the orthogonal set (ReLU)",
               f"Left: for every sign and set A of same-sign points a neuron can be active on at initialisation, the "
               f"size it reaches relative to the leading group of its sign, lambda^(1 - r_A/r_lead) with "
               f"r_A = ||sum_(k in A) y_k x_k|| and lambda = {scale_of(cfg, 'orth', 'relu'):g}. Right: the drawn run's "
               "final neurons on the first and third principal axes, coloured by their group at initialisation. "
               + extra_groups_sentence(others))


def extra_groups_sentence(others: list[dict]) -> str:
    """One line naming the extra groups the rates predict (or none)."""
    if not others:
        return "The rates predict no group beyond the two leaders."
    return "Predicted beyond the two leaders: " + "; ".join(
        f"{_group_name(g)} (ratio {g['ratio']:.5f}, size {g['size']:.2g})" for g in others) + "."


# -- the experiment -----------------------------------------------------------------------------------
def summarise(runs: dict, out: dict, acts, cfg: Config) -> tuple[dict, dict]:
    """Per set and activation: EVR2, EVR vectors, final losses over seeds (None for a flagged run) and
    the spreads; the drawn run's keys (thesis.py reads them) keep their meaning. Returns the health
    of every run ({name: run_health}) and every run's EVR2, flagged ones included ({(set, act): list})."""
    flags, every = {}, {}
    for key in SETS:
        for act in acts:
            rs = runs[(key, act)]
            evrs = [analysis.neuron_pca(t.final.W)[2] for t, _ in rs]
            e2 = [float(e[:2].sum()) for e in evrs]
            ok = [h["status"] == "ok" for _, h in rs]
            every[(key, act)] = e2
            out[f"evr2_{key}_{act}_seeds"] = [v if k else None for v, k in zip(e2, ok)]
            out[f"evr2_{key}_{act}_spread"] = analysis.spread(out[f"evr2_{key}_{act}_seeds"])
            out[f"evr_{key}_{act}_seeds"] = [e.tolist() if k else None for e, k in zip(evrs, ok)]
            out[f"final_loss_{key}_{act}_seeds"] = [float(t.train_loss[-1]) for t, _ in rs]
            t0, h0 = rs[0]
            out[f"evr2_{key}_{act}"] = e2[0]
            out[f"evr_{key}_{act}"] = evrs[0].tolist()
            out[f"final_loss_{key}_{act}"] = float(t0.train_loss[-1])
            out[f"theta_norm_{key}_{act}"] = t0.final.norm
            flags[f"{key}_{act}"] = h0
            ids = range(cfg.seed, cfg.seed + cfg.seeds) if key == "orth" else \
                range(cfg.nonorth_seed, cfg.nonorth_seed + cfg.data_seeds)
            for i, (_, h) in zip(ids, rs):
                flags[f"{key}_{act} {'seed' if key == 'orth' else 'data seed'} {i}"] = h
    return flags, every


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    acts = list(cfg.activations)
    sets = data_sets(cfg)
    units = plan(cfg, sets)
    trajs = train_units(ctx, [(st, (lambda a=a: make_spec(cfg, ctx, *a))) for st, a in units])
    runs: dict = {}
    for (st, _), t in zip(units, trajs):
        runs.setdefault((st["dataset"], st["activation"]), []).append((t, health(t, cfg.fit_level)))
    out: dict = {"seeds": list(range(cfg.seed, cfg.seed + cfg.seeds)),
                 "data_seeds": list(range(cfg.nonorth_seed, cfg.nonorth_seed + cfg.data_seeds))}
    flags, every = summarise(runs, out, acts, cfg)
    sentences = {}

    X, y = sets[("orth", None)]
    if "relu" in acts:
        rates = group_rates(X, y, scale_of(cfg, "orth", "relu"))
        leaders, others = predicted_groups(rates, cfg.group_level)
        out["third_group_predicted"] = others
        checks = []
        for s, (t, h) in zip(out["seeds"], runs[("orth", "relu")]):
            net = balanced_net(X.shape[1], cfg.width, "relu", scale_of(cfg, "orth", "relu"), s)
            c = third_group_check(net.W, net.a, t.final.W, X, y, leaders, others)
            checks.append({**c, "matches": third_group_matches(c, float(analysis.neuron_pca(t.final.W)[2][:2].sum()))}
                          if h["status"] == "ok" else None)
        out["third_group_seeds"] = checks
        for k in ("evr3", "pc3_in_span"):
            out[f"{k}_orth_relu_seeds"] = [None if c is None else c[k] for c in checks]
            out[f"{k}_orth_relu_spread"] = analysis.spread(out[f"{k}_orth_relu_seeds"])
        out["evr2_without_third_orth_relu_seeds"] = [None if c is None else c["evr2_without"] for c in checks]
        out["evr2_without_third_orth_relu_spread"] = analysis.spread(out["evr2_without_third_orth_relu_seeds"])
        out["third_group_size_seeds"] = [None if c is None else c["sizes"] for c in checks]
        fitted = [c["matches"] for c in checks if c is not None]
        out["third_group_matches_seeds"] = [None if c is None else c["matches"] for c in checks]
        out["third_group_matches"] = all(fitted) if fitted else None
        sentences["orth"] = third_group_sentence(out["evr2_orth_relu_spread"], others, leaders, fitted)
        ctx.note(sentences["orth"])

    orth_lo = {a: out[f"evr2_orth_{a}_spread"]["lo"] for a in acts}
    for a in acts:
        vals = [v for v in out[f"evr2_nonorth_{a}_seeds"] if v is not None]
        out[f"nonorth_below_orth_{a}"] = sum(v < orth_lo[a] - EVR_TOL for v in vals)
    sentences["nonorth"] = " ".join(nonorth_sentence(out[f"evr2_nonorth_{a}_spread"], out[f"nonorth_below_orth_{a}"],
                                                     orth_lo[a], a) for a in acts)
    ctx.note(sentences["nonorth"])

    for key in SETS:
        fig, axes = new_figure(3, len(acts), width=4.0, height=3.2)
        what = "init seeds" if key == "orth" else "data sets"
        for row, act in enumerate(acts):
            t, h = runs[(key, act)][0]
            pca_panels(axes[row], t, f"{act}, lambda = {scale_of(cfg, key, act):g}{status_tag(h)}",
                       out[f"evr_{key}_{act}_seeds"], what)
        epochs = cfg.epochs_orth if key == "orth" else cfg.epochs_nonorth
        kind = ("orthogonal (the thesis's printed set)" if key == "orth" else
                f"non-orthogonal (U(-1, 1) rows / last entry, generator seed {cfg.nonorth_seed} drawn)")
        spreads = ", ".join(f"{a} {out[f'evr2_{key}_{a}_spread']['mean']:.5f} (range "
                            f"{out[f'evr2_{key}_{a}_spread']['lo']:.5f}-{out[f'evr2_{key}_{a}_spread']['hi']:.5f}, "
                            f"n = {out[f'evr2_{key}_{a}_spread']['n']})" for a in acts)
        bad = {k: h for k, h in flags.items() if k.startswith(f"{key}_") and " " in k}
        ctx.figure(fig, f"pca_{key}", f"Five-dimensional {kind.split(' (')[0]} data (thesis Figs "
                   + ("3.33-3.36)" if key == "orth" else "3.37-3.39)"),
                   f"n = 5 {kind} inputs with teacher labels, m = {cfg.width}, {epochs} GD epochs. Per activation: the "
                   "drawn run's loss, the explained variance ratios of a PCA of its final neurons w_j (centred; error "
                   f"bars: range over the fitted {what}), and its neurons projected on the first two components at "
                   "epochs where the loss first falls below 90, 50, 10 and 1% of its start. First two components, mean "
                   f"over the fitted {what}: " + spreads + ". " + flagged_sentence(bad))

    if "relu" in acts:
        third_group_figure(ctx, cfg, rates, runs[("orth", "relu")][0][0], X, y,
                           out["third_group_predicted"])
    strip_figure(ctx, cfg, runs, every, out, sentences)

    # the printed set is orthogonal to its 8 printed decimals (|<x_k, x_l>| ~ 1e-8)
    out["min_norm_orth_relu"] = analysis.min_norm_relu_orthogonal(X, y, tol=1e-7)[0]
    if "relu" in acts:
        gap = out["theta_norm_orth_relu"] / out["min_norm_orth_relu"] - 1
        h = flags["orth_relu"]
        ctx.note(two_directions_sentence(out["evr2_orth_relu"], gap, out["min_norm_orth_relu"], h["status"],
                                         h["reason"]))
    flagged = flagged_sentence({k: h for k, h in flags.items() if " " in k})
    if flagged:
        ctx.note(flagged)
    out["health"] = {k: h["status"] for k, h in flags.items() if " " not in k}
    out["health_seeds"] = {f"{key}_{a}": [h["status"] for _, h in runs[(key, a)]] for key in SETS for a in acts}
    out["excluded"] = {k: h["reason"] for k, h in flags.items() if " " in k and h["status"] != "ok"}
    return out


register(Experiment(
    name="multidim", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis 3.4: five-dimensional orthogonal and non-orthogonal data; explained variance of the first two "
                "principal components of the trained neurons over seeds (initial directions; generator seeds of the "
                "non-orthogonal data), and the neuron groups the gradient-flow rates predict.",
    config=Config, run=run, quick=QUICK, source="thesis, section 3.4, Figs 3.33-3.39"))

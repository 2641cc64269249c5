"""Seed 003: Sigmoid and Tanh networks beyond data set 1.1.0, over several seeds.

What the thesis says and what is measured here (m = 60, GD step 1e-3, balanced start, unless said):

- **Switched labels** (1.1.1, L1306): "for Sigmoid and Tanh, there are no noticeable differences". Per
  seed and scale lambda: the plateau count (the thesis's rule, :func:`analysis.fit_plateaus`) and the
  time to loss 0.01 on 1.1.1 against 1.1.0. (Exactly true by symmetry: a -> -a maps one onto the
  other, and the balanced start draws the signs s_j symmetrically; a test checks it.)
- **Same-sign labels** (1.1.2, L1332-1335): "for Sigmoid, only the lazy regime is observed"; "for
  Tanh, no fundamental difference". Per lambda: initial plateau, time to fit (does it grow like
  -ln lambda?) and how far the first layer moves from its start, ||W_T - W_0|| / ||W_0||.
- **Quasi-orthogonal inputs** (1.2, L1482): "for Sigmoid and Tanh, we do not observe fundamental
  differences compared to orthogonal data". Per delta and sign: plateau count against 1.1.0's.
- **Figs 3.19 / C.19** (1.1.4 with c = 75, step 1e-4 as Figs C.15-C.18): final neurons for several m
  at lambda = 1e-6 and several lambda at m = 60. "The more neurons, the less they grow in norm"
  (median ||w_j|| against m) and "lambda influences the variance of the neurons around the S-curve"
  (:func:`curve_scatter`, the neurons' angular distance from the curve traced by their neighbours).
- **Fig C.3** (1.1.0, m = 1000, lambda = 1e-6): every a_j over the epochs for the three activations;
  whether each a_j keeps its initial sign s_j and how balanced the a_j stay.
- **Figs C.4-C.7** (1.1.0, Sigmoid at lambda = 2.5e-2 and 6e-2, Tanh at 2e-2 and 6e-2): the
  transition between rich and lazy: initial plateau share, first-layer movement and neuron scatter
  between the rich (smallest) and lazy (largest) label scales, and whether the loss becomes convex
  before the neurons lose their alignment (thesis section 3.1.1 (vi)).

Every training run is a stored unit ``ctx.run("run", ..., part=, dataset=, act=, scale=, width=,
seed=)``; the missing units of one data set train together in one :func:`train_many` call (both
cores). Only the drawn seed's transition runs keep parameter snapshots (their neurons are drawn at
several epochs); Fig C.3 keeps a_j and ||w_j|| at 120 records as float32.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import analysis, data
from ..analysis.seeds import flagged_sentence, run_health, spread_or_none, status_tag
from ..optim import GD
from ..plots import label, loss_curve, mean_band, new_figure, orientation_plane, weight_plane
from ..plots.style import series_colour
from ..sweep import train_many
from . import thesis_findings as tf
from ..data.thesis import quasi_key
from . import Experiment, register
from .base import THESIS_LOSS, balanced_net, param
from .budget import SEED_MAX

ACTS = ("sigmoid", "tanh")
LABEL_SETS = ("1.1.0", "1.1.1", "1.1.2")
C3_RECORDS = 120


@dataclass
class Config:
    width: int = param(60, "Hidden width m of the label, quasi-orthogonal and transition runs.", ge=1, le=1000)
    lr: float = param(1e-3, "GD step size of the runs on 1.1.x and 1.2 (the thesis: 1e-3).", gt=0, le=1)
    epochs: int = param(300_000, "GD steps of the runs on 1.1.x and 1.2 (the thesis: 3e5).", ge=100, le=3_000_000)
    scales: tuple[float, ...] = param((1e-10, 1e-8, 1e-6, 1e-4, 1e-2, 1.0), "Initialisation scales lambda of the "
                                      "label runs; the smallest is the rich, the largest the lazy reference of the "
                                      "transition runs.", gt=0, le=10)
    deltas: tuple[float, ...] = param((1e-8, 1e-6, 1e-4, 1e-2, 0.1, 1.0, 10.0, 100.0), "Deviations delta of the "
                                      "quasi-orthogonal data 1.2 (each with both signs).", gt=0, le=1e3)
    scale_delta: float = param(1e-6, "Lambda of the quasi-orthogonal runs (compared with 1.1.0 at the same lambda, "
                               "which must be one of scales).", gt=0, le=10)
    transition_sigmoid: tuple[float, ...] = param((2.5e-2, 6e-2), "Sigmoid transition scales (Figs C.4, C.5).",
                                                  gt=0, le=10)
    transition_tanh: tuple[float, ...] = param((2e-2, 6e-2), "Tanh transition scales (Figs C.6, C.7).", gt=0, le=10)
    c_label: float = param(75.0, "Label factor c of data set 1.1.4 in Figs 3.19 / C.19.", gt=0, le=1e4)
    lr_curve: float = param(1e-4, "GD step of the Fig 3.19 / C.19 runs (Figs C.15-C.18: 1e-4).", gt=0, le=1)
    epochs_curve: int = param(100_000, "GD steps of the Fig 3.19 / C.19 runs (they fit within 1e4).", ge=100,
                              le=3_000_000)
    widths_curve: tuple[int, ...] = param((10, 60, 100, 600, 1000), "Widths m of Fig 3.19 / C.19 (left), at the "
                                          "smallest of scales_curve.", ge=2, le=1000)
    scales_curve: tuple[float, ...] = param((1e-6, 1e-4, 1e-2, 1e-1), "Scales lambda of Fig 3.19 / C.19 (right), at "
                                            "m = width.", gt=0, le=10)
    epochs_c3: int = param(60_000, "GD steps of the Fig C.3 runs (m = 1000, lambda = 1e-6; they fit within 3e4).",
                           ge=100, le=3_000_000)
    fit_level: float = param(0.01, "Training loss a run must end below to count as fitted (the thesis: 0.01).",
                             gt=0, le=1)
    same_factor: float = param(1.25, "Two fit times count as 'no difference' within this factor.", ge=1, le=100)
    seeds: int = param(5, "Seeds seed + k (k < seeds) of every run; numbers are given over them.", ge=1, le=20)
    seed: int = param(0, "The drawn seed (figures of neurons and curves).", ge=0, le=SEED_MAX - 20)


QUICK = {"epochs": 30_000, "scales": (1e-6, 1e-2, 1.0), "deltas": (1e-8, 1.0, 10.0, 100.0),
         "widths_curve": (10, 60, 600), "scales_curve": (1e-6, 1e-2, 1e-1), "epochs_curve": 20_000,
         "epochs_c3": 25_000, "seeds": 2}


def check(cfg: Config) -> None:
    from ..errors import InvalidParameter

    if cfg.scale_delta not in cfg.scales:
        raise InvalidParameter("scale_delta", cfg.scale_delta, f"must be one of scales {cfg.scales}")
    lo, hi = min(cfg.scales), max(cfg.scales)
    for key in ("transition_sigmoid", "transition_tanh"):
        if not all(lo < s < hi for s in getattr(cfg, key)):
            raise InvalidParameter(key, getattr(cfg, key), f"every scale must lie strictly between the smallest and "
                                   f"largest of scales ({lo:g}, {hi:g})")


# -- measures: pure functions of a run's numbers -------------------------------------------------------
def record_points(epochs: int, n: int = 400) -> np.ndarray:
    """Recorded epochs: n linear and n log-spaced points in [0, epochs] (plateaus need both ends)."""
    return np.unique(np.concatenate([[0], np.linspace(0, epochs, n + 1).astype(int),
                                     np.geomspace(1, epochs, n).astype(int)]))


def curve_summary(steps, loss, fit_level: float) -> dict:
    """Time to fit T (first epoch with loss < fit_level, None if never), the plateaus by the thesis's
    rule (None when it never fits) and the initial plateau's share of T (0 without one)."""
    fit = analysis.first_below(steps, loss, fit_level)
    pl = analysis.fit_plateaus(steps, loss, fit_level=fit_level)
    initial = 0.0
    if pl and fit and pl[0]["start"] <= 0.02 * fit:
        initial = (pl[0]["end"] - pl[0]["start"]) / fit
    return {"fit": None if fit is None else int(fit), "count": None if pl is None else len(pl),
            "plateaus": pl, "initial_share": None if fit is None else float(initial)}


def movement(W0, W) -> float:
    """||W - W0||_F / ||W0||_F: how far the first layer moved from its start (lazy: < 1)."""
    return float(np.linalg.norm(np.asarray(W) - W0) / max(np.linalg.norm(W0), 1e-300))


def feature_movement(X, W0, W, activation: str) -> float:
    """||Phi_T - Phi_0||_F / ||Phi_0||_F with Phi = sigma(X W^T) (n x m): how far the hidden features
    moved; the lazy (kernel) regime keeps them nearly fixed (about 0)."""
    from ..activations import get_activation

    f = get_activation(activation).f
    P0, P = f(np.asarray(X) @ np.asarray(W0).T, 0.0), f(np.asarray(X) @ np.asarray(W).T, 0.0)
    return float(np.linalg.norm(P - P0) / max(np.linalg.norm(P0), 1e-300))


def local_thickness(W, k: int = 6) -> float:
    """How thick the neuron cloud is around the curve it traces: for each neuron, the ratio of the
    smallest to the largest singular value of its ``k`` nearest neighbours and itself (centred) in the
    plane; the median over neurons. 0 on a curve, about 0.5-0.7 for scattered neurons. W : (m, 2)."""
    W = np.asarray(W, dtype=float)
    D = np.linalg.norm(W[:, None] - W[None], axis=-1)
    out = []
    for i in range(len(W)):
        P = W[np.argsort(D[i])[:k + 1]]
        sv = np.linalg.svd(P - P.mean(axis=0), compute_uv=False)
        out.append(sv[-1] / max(sv[0], 1e-300))
    return float(np.median(out))


def curve_scatter(W, signs, k: int = 4) -> float:
    """The neurons' angular scatter around the curve they trace (degrees).

    Neurons are ordered by their signed norm r_j = s_j ||w_j|| (the S-curve of thesis section 3.1.3
    is traced in that order, through the origin); for each, the direction of the curve there is the
    circular mean of the directions of its ``k`` neighbours on each side, and the scatter is the
    ||w_j||-weighted mean of |angle(w_j) - that direction|. About 0 when the neurons lie on one
    curve, about 60-90 deg for random directions.

    Parameters
    ----------
    W : (m, 2) array
    signs : (m,) array of +-1
    """
    W = np.asarray(W, dtype=float)
    norms = np.linalg.norm(W, axis=1)
    order = np.argsort(np.asarray(signs) * norms)
    u = W[order] / np.maximum(norms[order], 1e-300)[:, None]
    m = len(u)
    res = np.zeros(m)
    for i in range(m):
        nb = [j for j in range(max(0, i - k), min(m, i + k + 1)) if j != i]
        mean = u[nb].sum(axis=0)
        res[i] = np.degrees(np.arccos(np.clip(u[i] @ mean / max(np.linalg.norm(mean), 1e-300), -1, 1)))
    w = norms[order]
    return float(np.sum(w * res) / max(w.sum(), 1e-300))


def a_sign_kept(a, signs) -> float:
    """Share of the neurons whose a_j keeps its initial sign s_j at every recorded point; a (T, m)."""
    return float(np.mean(np.all(np.sign(a) == np.asarray(signs)[None, :], axis=0)))


def balance_rel(a, wnorm, signs) -> float:
    """max over records of max_j |a_j - s_j ||w_j||| / max_j |a_j| (0 for an exactly balanced run)."""
    err = np.abs(np.asarray(a, float) - np.asarray(signs)[None, :] * np.asarray(wnorm, float)).max(axis=1)
    scale = np.maximum(np.abs(np.asarray(a, float)).max(axis=1), 1e-300)
    return float(np.max(err / scale))


# -- claims: pure functions of the over-seed numbers (used by captions and by finding_rows) -------------
def same_profile(c0: list, c1: list, f0: list, f1: list, factor: float) -> bool | None:
    """Two data sets 'show no difference' at one setting, over seeds: in every seed where both runs are
    ok the plateau counts are equal, and the fit times agree over seeds (their [min, max] ranges
    overlap, or their means are within ``factor``). Per seed the fit times need not match: at a large
    lambda the random initial function differs between the two label sets. None when no seed has both
    runs ok (None entries: flagged)."""
    both = [k for k in range(len(c0)) if None not in (c0[k], c1[k], f0[k], f1[k])]
    if not both:
        return None
    a, b = [f0[k] for k in both], [f1[k] for k in both]
    overlap = min(a) <= max(b) and min(b) <= max(a)
    close = max(np.mean(a), np.mean(b)) <= factor * max(min(np.mean(a), np.mean(b)), 1)
    return bool(all(c0[k] == c1[k] for k in both) and (overlap or close))


def compare_pairs(pairs: list) -> dict:
    """{compared, same, different: [labels]} from [(label, same_profile result)]."""
    done = [(k, v) for k, v in pairs if v is not None]
    return {"compared": len(done), "same": sum(v for _, v in done), "different": [k for k, v in done if not v],
            "flagged": [k for k, v in pairs if v is None]}


def compare_sentence(what: str, c: dict) -> str:
    """'<what>: same profile in a of b runs compared (different: ...)'."""
    if not c["compared"]:
        return f"{what}: no pair of fitted runs to compare."
    tail = "" if c["same"] == c["compared"] else f" (different: {', '.join(c['different'][:6])}" + \
        (" ..." if len(c["different"]) > 6 else "") + ")"
    verdict = ("no difference in any" if c["same"] == c["compared"] else
               "a difference in every" if c["same"] == 0 else "a difference in some")
    return f"{what}: same plateau counts and fit times in {c['same']} of {c['compared']} settings, {verdict}{tail}."


def lazy_check(initial_112: dict, fit_112: dict, feat_112: dict, initial_110_rich: list, scales: list,
               frozen: float = 0.1) -> dict:
    """Sigmoid on 1.1.2 'only lazy', per seed: no initial plateau at any scale, the time to fit at the
    smallest scale within 2x of that at the largest (no growth like -ln lambda), and the hidden
    features moving less than ``frozen`` of their initial norm at every scale (the kernel regime);
    with, for contrast, whether 1.1.0 at the smallest scale (same seed) has an initial plateau.

    initial_112, fit_112, feat_112 : {scale: [per seed, None flagged]}; initial_110_rich : [per seed].
    Returns counts of seeds: ``compared``, ``loss_lazy``, ``frozen``, ``lazy`` (both), ``rich_110``.
    """
    lo, hi = min(scales), max(scales)
    out = {"compared": 0, "loss_lazy": 0, "frozen": 0, "lazy": 0, "rich_110": 0, "seeds": len(initial_110_rich)}
    for s in range(len(initial_110_rich)):
        shares, feats = [initial_112[x][s] for x in scales], [feat_112[x][s] for x in scales]
        f_lo, f_hi = fit_112[lo][s], fit_112[hi][s]
        if None in shares or None in feats or f_lo is None or f_hi is None or initial_110_rich[s] is None:
            continue
        loss_lazy = all(v == 0 for v in shares) and f_lo <= 2 * max(f_hi, 1)
        still = max(feats) < frozen
        out["compared"] += 1
        out["rich_110"] += initial_110_rich[s] > 0
        out["loss_lazy"] += loss_lazy
        out["frozen"] += still
        out["lazy"] += loss_lazy and still
    return out


def lazy_sentence(c: dict, feat: list) -> str:
    """What the Sigmoid 1.1.2 runs show (``c`` from :func:`lazy_check`; ``feat`` the largest feature
    movement over the scales, per seed)."""
    if not c["compared"]:
        return "Sigmoid on 1.1.2: no seed with every run fitted."
    f = [v for v in feat if v is not None]
    n = c["compared"]
    head = ("Sigmoid on 1.1.2 is lazy in every seed" if c["lazy"] == n else
            "Sigmoid on 1.1.2 is lazy in no seed" if c["lazy"] == 0 else
            f"Sigmoid on 1.1.2 is lazy in {c['lazy']} of {n} seeds only")
    return (head + f": no initial plateau and a fit time that does not grow as lambda falls in {c['loss_lazy']} of {n}, "
            f"hidden features moving less than 10% of their initial norm at every lambda in {c['frozen']} of {n} "
            f"(largest movement {max(f):.2g})" if f else head) + \
        f"; 1.1.0 at the smallest lambda has an initial plateau in {c['rich_110']} of {n} seeds (a rich setting)."


def monotone(values, increasing: bool = True, strict: bool = True) -> bool:
    """Whether the sequence (no None) is (strictly) increasing or decreasing."""
    v = list(values)
    pairs = list(zip(v, v[1:]))
    if increasing:
        return all(b > a if strict else b >= a for a, b in pairs)
    return all(b < a if strict else b <= a for a, b in pairs)


def trend_count(rows: list, increasing: bool) -> dict:
    """rows: per seed a list over settings (None: a flagged run, left out). Seeds with at least two
    kept settings (``compared``), among them those strictly monotone over their kept settings in the
    asked direction (``holds``), and how many runs were left out (``flagged``)."""
    kept = [[v for v in r if v is not None] for r in rows]
    done = [r for r in kept if len(r) >= 2]
    return {"compared": len(done), "holds": sum(monotone(r, increasing) for r in done), "seeds": len(rows),
            "flagged": sum(v is None for r in rows for v in r)}


def trend_sentence(what: str, t: dict, direction: str) -> str:
    if not t["compared"]:
        return f"{what}: no seed with every run fitted."
    verdict = ("in every seed" if t["holds"] == t["compared"] else "in no seed" if t["holds"] == 0 else
               f"in {t['holds']} of {t['compared']} seeds only")
    left = f"; {t['flagged']} flagged run(s) left out" if t.get("flagged") else ""
    return f"{what} {direction} {verdict} ({t['compared']} seeds compared{left})."


def transition_check(share: dict, move: dict, scatter: dict) -> dict:
    """The transition runs of one activation against its rich and lazy references.

    Each argument: {"rich": [per seed], "lazy": [...], lambda: [...]} (None flagged), lambdas increasing.
    ``between``: seeds where, ordered rich < lambdas < lazy, the first-layer movement strictly falls,
    the scatter strictly rises and the initial-plateau share does not rise. ``convex_first``: (seed,
    lambda) pairs where the loss has gone further towards lazy than the neurons, i.e.
    p_loss = 1 - share / share_rich > p_align = (scatter - scatter_rich) / (scatter_lazy - scatter_rich).
    """
    lams = sorted(k for k in share if k not in ("rich", "lazy"))
    order = ["rich", *lams, "lazy"]
    seeds = len(share["rich"])
    between = compared = conv = conv_n = 0
    for s in range(seeds):
        sh, mv, sc = ([d[k][s] for k in order] for d in (share, move, scatter))
        if None in sh or None in mv or None in sc:
            continue
        compared += 1
        between += monotone(mv, False) and monotone(sc, True) and monotone(sh, False, strict=False)
        for i in range(1, len(order) - 1):
            if sh[0] > 0 and sc[-1] > sc[0]:
                conv_n += 1
                conv += (1 - sh[i] / sh[0]) > (sc[i] - sc[0]) / (sc[-1] - sc[0])
    return {"compared": compared, "between": between, "seeds": seeds, "convex_first": conv, "pairs": conv_n}


def transition_sentence(act: str, c: dict) -> str:
    if not c["compared"]:
        return f"{act}: no seed with all transition runs fitted."
    text = (f"{act}: the transition runs lie between rich and lazy (movement falling, scatter rising, initial plateau "
            f"shrinking) in {c['between']} of {c['compared']} seeds")
    if c["pairs"]:
        text += (f"; the loss has gone further towards lazy than the neurons' scatter in {c['convex_first']} of "
                 f"{c['pairs']} (seed, lambda) pairs" + (" (as the thesis says for ReLU)" if c["convex_first"] == c["pairs"]
                                                         else " (not always, unlike the thesis's ReLU remark)"))
    return text + "."


def sign_sentence(kept: dict, bal: dict) -> str:
    """Fig C.3: per activation the share of a_j keeping their sign and the relative balance error over seeds."""
    parts = []
    for act in kept:
        k, b = [v for v in kept[act] if v is not None], [v for v in bal[act] if v is not None]
        if not k:
            parts.append(f"{act}: every seed flagged")
            continue
        all_kept = min(k) == 1.0
        parts.append(f"{act}: {'every a_j keeps its sign s_j in every seed' if all_kept else f'{100 * (1 - min(k)):.1f}% of the a_j at most change sign ({100 * (1 - max(k)):.1f}% at least)'}"
                     f", balance error up to {max(b):.2g} of max |a_j|")
    return "Fig C.3 (m = 1000): " + "; ".join(parts) + "."


# -- training -----------------------------------------------------------------------------------------
def unit_settings(part, dataset, act, scale, width, seed, **extra) -> dict:
    return {"part": part, "dataset": dataset, "act": act, "scale": float(scale), "width": int(width),
            "seed": int(seed), **extra}


def data_of(dataset: str, cfg: Config):
    """(X, y) of '1.1.0' ... '1.1.2', '1.1.4' (label factor c_label) or '1.2-DELTA' / '1.2+DELTA'."""
    if dataset.startswith("1.2"):
        return data.thesis("1.2", delta=float(dataset[4:]), sign=-1 if dataset[3] == "-" else 1)
    return data.thesis(dataset, c=cfg.c_label) if dataset == "1.1.4" else data.thesis(dataset)


def quasi_name(sign: int, delta: float) -> str:
    """'1.2-0.01': the full name of a quasi-orthogonal set."""
    return "1.2" + quasi_key(sign, delta)


def train_group(units: list, cfg: Config, ctx) -> list:
    """Train the units (settings dicts of one data set, step and length),
    together in one :func:`train_many` call, and return their values in order.

    A value: {"steps", "loss", "final" (Net), "diverged" (str)} plus, for part "c3", "a" and "wnorm"
    ((records, m) float32), and for a unit with ``snap=True`` the whole Trajectory as "traj"."""
    missing = range(len(units))       # every unit given (Context.run_many passes only the missing ones)
    first = units[0]
    X, y = data_of(first["dataset"], cfg)
    lr, epochs = {"curve": (cfg.lr_curve, cfg.epochs_curve), "c3": (cfg.lr, cfg.epochs_c3)}.get(
        first["part"], (cfg.lr, cfg.epochs))
    out = {}
    for snap in (False, True):
        idx = [i for i in missing if (units[i].get("snap", False) or units[i]["part"] == "c3") == snap]
        if not idx:
            continue
        nets = [balanced_net(X.shape[1], units[i]["width"], units[i]["act"], units[i]["scale"], units[i]["seed"])
                for i in idx]
        at = (np.unique(np.linspace(0, epochs, C3_RECORDS + 1).astype(int)) if units[idx[0]]["part"] == "c3"
              else record_points(epochs, 150 if snap else 400))
        trajs = train_many(nets, X, y, **THESIS_LOSS, optimizer=GD(lr), steps=epochs, record_at=at,
                           on_divergence="keep", snapshots=snap, quiet=ctx.quiet)
        for i, t in zip(idx, trajs):
            v = {"steps": np.asarray(t.steps), "loss": np.asarray(t.train_loss), "final": t.final,
                 "diverged": str(t.info.get("diverged", ""))}
            if units[i]["part"] == "c3":
                v["a"] = np.asarray(t.a, dtype=np.float32)
                v["wnorm"] = np.linalg.norm(t.W, axis=-1).astype(np.float32)
            elif snap:
                v["traj"] = t
            out[i] = v
    return [out[i] for i in range(len(units))]


def run_units(units: list, cfg: Config, ctx) -> list:
    """The values of ``units`` (grouped by data set and part for training), in order."""
    groups: dict = {}
    for i, u in enumerate(units):
        groups.setdefault((u["dataset"], u["part"] in ("curve", "c3"), u["part"] == "c3"), []).append(i)
    values = [None] * len(units)
    for idx in groups.values():
        group = [units[i] for i in idx]
        got = ctx.run_many("run", group, lambda missing, group=group: train_group([group[k] for k in missing], cfg, ctx))
        for i, v in zip(idx, got):
            values[i] = v
    return values


def health(v: dict, fit_level: float) -> dict:
    return run_health(v["loss"], fit_level=fit_level, diverged=bool(v["diverged"]))


def summarise(v: dict, u: dict, cfg: Config) -> dict:
    """Per run: health, curve summary, first-layer movement, scatter and median final ||w_j||."""
    h = health(v, cfg.fit_level)
    ok = h["status"] == "ok"
    cs = curve_summary(v["steps"], v["loss"], cfg.fit_level)
    init = balanced_net(2, u["width"], u["act"], u["scale"], u["seed"])
    W = np.asarray(v["final"].W)
    return {"health": h, "ok": ok, "fit": cs["fit"] if ok else None, "count": cs["count"] if ok else None,
            "initial_share": cs["initial_share"] if ok else None, "plateaus": cs["plateaus"] if ok else None,
            "move": movement(init.W, W) if ok else None,
            "scatter": curve_scatter(W, np.sign(init.a)) if ok else None,
            "thickness": local_thickness(W) if ok else None,
            "feat_move": feature_movement(data_of(u["dataset"], cfg)[0], init.W, W, u["act"]) if ok else None,
            "median_norm": float(np.median(np.linalg.norm(W, axis=1))) if ok else None,
            "theta_norm": float(np.sqrt(np.sum(W ** 2) + np.sum(np.asarray(v["final"].a) ** 2))) if ok else None}


def skey(x: float) -> str:
    return f"{x:g}"


# -- the experiment -----------------------------------------------------------------------------------
def run(cfg: Config, ctx) -> dict:
    check(cfg)
    seeds = [cfg.seed + k for k in range(cfg.seeds)]
    trans = {"sigmoid": tuple(cfg.transition_sigmoid), "tanh": tuple(cfg.transition_tanh)}
    units = []
    for s in seeds:
        for act in ACTS:
            for ds in LABEL_SETS:
                units += [unit_settings("labels", ds, act, lam, cfg.width, s) for lam in cfg.scales]
            units += [unit_settings("labels", quasi_name(sg, d), act, cfg.scale_delta, cfg.width, s)
                      for sg in (-1, 1) for d in cfg.deltas]
            units += [unit_settings("transition", "1.1.0", act, lam, cfg.width, s, snap=s == cfg.seed)
                      for lam in trans[act]]
            units += [unit_settings("curve", "1.1.4", act, min(cfg.scales_curve), m, s) for m in cfg.widths_curve]
            units += [unit_settings("curve", "1.1.4", act, lam, cfg.width, s) for lam in cfg.scales_curve
                      if not (lam == min(cfg.scales_curve) and cfg.width in cfg.widths_curve)]
        units += [unit_settings("c3", "1.1.0", act, 1e-6, 1000, s) for act in ("relu", *ACTS)]
    values = run_units(units, cfg, ctx)
    res = {}
    for u, v in zip(units, values):
        key = (u["part"], u["dataset"], u["act"], u["scale"], u["width"], u["seed"])
        res[key] = (u, v, summarise(v, u, cfg) if u["part"] != "c3" else {"health": health(v, cfg.fit_level)})
    get = lambda part, ds, act, lam, m, s: res[(part, ds, act, float(lam), int(m), s)][2]   # noqa: E731
    every = {f"{u['part']} {u['dataset']} {u['act']} lambda={u['scale']:g} m={u['width']} seed {u['seed']}": r["health"]
             for u, _, r in res.values()}
    out = {"seeds": seeds}
    sc = list(cfg.scales)

    # -- labels: switched (1.1.1) and same-sign (1.1.2) ---------------------------------------------------
    lab = {act: {ds: {skey(lam): {q: [get("labels", ds, act, lam, cfg.width, s)[q] for s in seeds]
                                  for q in ("count", "fit", "initial_share", "move", "feat_move",
                                                "theta_norm")}
                      for lam in sc} for ds in LABEL_SETS} for act in ACTS}
    out["labels_seeds"] = lab
    cmp = {}
    for act in ACTS:
        for other, key in (("1.1.1", "switched"), ("1.1.2", "same_sign")):
            pairs = [(f"lambda={skey(lam)}", same_profile(
                lab[act]["1.1.0"][skey(lam)]["count"], lab[act][other][skey(lam)]["count"],
                lab[act]["1.1.0"][skey(lam)]["fit"], lab[act][other][skey(lam)]["fit"], cfg.same_factor))
                for lam in sc]
            cmp[f"{key}_{act}"] = compare_pairs(pairs)
    out["label_compare"] = cmp
    lz = lab["sigmoid"]["1.1.2"]
    lazy = lazy_check({lam: lz[skey(lam)]["initial_share"] for lam in sc}, {lam: lz[skey(lam)]["fit"] for lam in sc},
                      {lam: lz[skey(lam)]["feat_move"] for lam in sc},
                      lab["sigmoid"]["1.1.0"][skey(min(sc))]["initial_share"], sc)
    feat_max = [None if any(lz[skey(lam)]["feat_move"][k] is None for lam in sc) else
                max(lz[skey(lam)]["feat_move"][k] for lam in sc) for k in range(len(seeds))]
    out["sigmoid_1_1_2_lazy"] = lazy
    out["sigmoid_1_1_2_move_rich_seeds"] = lz[skey(min(sc))]["move"]
    out["sigmoid_1_1_2_feature_move_seeds"] = feat_max
    out["sigmoid_1_1_2_feature_move_spread"] = spread_or_none(feat_max)
    out["sigmoid_1_1_2_fit_seeds"] = {skey(lam): lz[skey(lam)]["fit"] for lam in sc}
    out["sigmoid_1_1_0_fit_seeds"] = {skey(lam): lab["sigmoid"]["1.1.0"][skey(lam)]["fit"] for lam in sc}

    fig, axes = new_figure(4, 2, width=3.9, height=3.2)
    for r, act in enumerate(ACTS):
        for c, ds in enumerate(LABEL_SETS):
            ax = axes[r, c]
            for j, lam in enumerate(sc):
                for k, s in enumerate(seeds):
                    u, v, q = res[("labels", ds, act, float(lam), cfg.width, s)]
                    ax.plot(v["steps"], np.where(v["loss"] > 0, v["loss"], np.nan), color=series_colour(j),
                            lw=1.2 if s == cfg.seed else 0.6, alpha=1 if s == cfg.seed else 0.5,
                            ls="-" if q["ok"] else "--", label=f"lambda = {lam:g}" if k == 0 else None)
            ax.set_yscale("log")
            ax.set_ylim(1e-8, 10)
            label(ax, "epoch", "loss", f"{act}, {ds}", legend=c == 0, fontsize=6)
        ax = axes[r, 3]
        for c, ds in enumerate(LABEL_SETS):
            vals = [[np.nan if f is None else f for f in lab[act][ds][skey(lam)]["fit"]] for lam in sc]
            mean_band(ax, sc, vals, label=ds, colour=series_colour(c), marker="os^"[c])
        ax.set_xscale("log")
        ax.set_yscale("log")
        label(ax, "lambda", "epochs to loss 0.01 (mean, range)", f"{act}: time to fit", legend=True, fontsize=7)
    lab_text = (compare_sentence("Sigmoid, switched labels (1.1.1 vs 1.1.0)", cmp["switched_sigmoid"]) + " "
                + compare_sentence("Tanh, switched labels", cmp["switched_tanh"]) + " "
                + compare_sentence("Tanh, same-sign labels (1.1.2 vs 1.1.0)", cmp["same_sign_tanh"]) + " "
                + compare_sentence("Sigmoid, same-sign labels", cmp["same_sign_sigmoid"]) + " "
                + lazy_sentence(lazy, feat_max))
    ctx.figure(fig, "labels", "Sigmoid and Tanh with switched and same-sign labels (thesis L1306, L1332-1335)",
               f"m = {cfg.width}, step {cfg.lr:g}, {len(seeds)} seeds (thick: seed {cfg.seed}; dashed: flagged). "
               "Right: epochs to loss 0.01 against lambda, mean and range over seeds. " + lab_text + " "
               + flagged_sentence({k: h for k, h in every.items() if k.startswith("labels 1.1.")}))

    # -- quasi-orthogonal ---------------------------------------------------------------------------------
    lam = cfg.scale_delta
    qo = {act: {quasi_name(sg, d): {q: [get("labels", quasi_name(sg, d), act, lam, cfg.width, s)[q] for s in seeds]
                                    for q in ("count", "fit")} for sg in (-1, 1) for d in cfg.deltas} for act in ACTS}
    out["quasi_seeds"] = qo
    qcmp = {}
    for act in ACTS:
        base = lab[act]["1.1.0"][skey(lam)]
        pairs = []
        for name, q in qo[act].items():
            for k, s in enumerate(seeds):
                c0, c1 = base["count"][k], q["count"][k]
                pairs.append((f"{name} seed {s}", None if None in (c0, c1) else c0 == c1))
        qcmp[act] = compare_pairs(pairs)
        qcmp[act]["always_different"] = [n for n in qo[act] if all(
            c is not None and b is not None and c != b for c, b in zip(qo[act][n]["count"], base["count"]))]
    out["quasi_compare"] = qcmp
    fig, axes = new_figure(4, 1, width=3.9, height=3.4)
    for r, act in enumerate(ACTS):
        for k, sg in enumerate((-1, 1)):
            for col, q in ((0, "count"), (1, "fit")):
                vals = [[np.nan if x is None else x for x in qo[act][quasi_name(sg, d)][q]] for d in cfg.deltas]
                mean_band(axes[0, 2 * r + col], np.array(cfg.deltas) * (1.1 if k else 1), vals,
                          label=f"x_1 = -0.5 {'-+'[k]} delta/2", colour=series_colour(k), marker="os"[k])
        base = lab[act]["1.1.0"][skey(lam)]
        for col, q in ((0, "count"), (1, "fit")):
            ax = axes[0, 2 * r + col]
            b = [x for x in base[q] if x is not None]
            if b:
                ax.axhspan(min(b) - (0.05 if q == "count" else 0), max(b) + (0.05 if q == "count" else 0),
                           color="0.5", alpha=0.3, label="1.1.0 (range)")
            ax.set_xscale("log")
            if q == "fit":
                ax.set_yscale("log")
            label(ax, "delta", "plateaus (mean, range)" if q == "count" else "epochs to loss 0.01",
                  f"{act}, lambda = {lam:g}", legend=True, fontsize=6)
    q_text = " ".join(compare_sentence(f"{act.capitalize()} on quasi-orthogonal data (plateau count vs 1.1.0)",
                                       qcmp[act]) + (f" Different in every seed: {', '.join(qcmp[act]['always_different'])}."
                                                     if qcmp[act]["always_different"] else "") for act in ACTS)
    ctx.figure(fig, "quasi_orthogonal", "Sigmoid and Tanh on quasi-orthogonal data (thesis L1482)",
               f"Data 1.2 (x_1 = -0.5 -+ delta/2, x_2 = 2), m = {cfg.width}, lambda = {lam:g}, {len(seeds)} seeds: "
               "plateau count and time to fit per delta, mean and range; grey: 1.1.0 over the same seeds. " + q_text
               + " " + flagged_sentence({k: h for k, h in every.items() if k.startswith("labels 1.2")}))

    # -- Figs 3.19 / C.19 ----------------------------------------------------------------------------------
    lam0 = min(cfg.scales_curve)
    curve = {}
    for act in ACTS:
        by_m = [[get("curve", "1.1.4", act, lam0, m, s)["median_norm"] for m in cfg.widths_curve] for s in seeds]
        by_l = [[get("curve", "1.1.4", act, x, cfg.width, s)["thickness"] for x in cfg.scales_curve] for s in seeds]
        slopes = []
        for row in by_m:
            ok = [(m, v) for m, v in zip(cfg.widths_curve, row) if v is not None]
            slopes.append(float(np.polyfit(np.log([m for m, _ in ok]), np.log([v for _, v in ok]), 1)[0])
                          if len(ok) >= 2 else None)
        curve[act] = {"median_norm_seeds": by_m, "thickness_seeds": by_l, "norm_slope_seeds": slopes,
                      "norm_slope_spread": spread_or_none(slopes),
                      "width_trend": trend_count(by_m, increasing=False),
                      "scale_trend": trend_count(by_l, increasing=True)}
    out["curve"] = curve
    out["curve_widths"], out["curve_scales"] = list(cfg.widths_curve), list(cfg.scales_curve)
    X4, y4 = data_of("1.1.4", cfg)
    for act, fname, where in (("sigmoid", "fig_3_19", "Fig 3.19"), ("tanh", "fig_C_19", "Fig C.19")):
        fig, axes = new_figure(4, 1, width=3.8, height=3.4)
        for j, m in enumerate(cfg.widths_curve):
            u, v, q = res[("curve", "1.1.4", act, float(lam0), int(m), cfg.seed)]
            weight_plane(axes[0, 0], v["final"].W, colour=series_colour(j), label=f"m = {m}{status_tag(q['health'])}",
                         directions=False, marker=".")
        label(axes[0, 0], None, None, f"{act}, lambda = {lam0:g}, seed {cfg.seed}", legend=True, fontsize=6)
        for j, x in enumerate(cfg.scales_curve):
            u, v, q = res[("curve", "1.1.4", act, float(x), cfg.width, cfg.seed)]
            weight_plane(axes[0, 1], v["final"].W, colour=series_colour(j),
                         label=f"lambda = {x:g}{status_tag(q['health'])}", directions=False, marker=".")
        label(axes[0, 1], None, None, f"{act}, m = {cfg.width}, seed {cfg.seed}", legend=True, fontsize=6)
        c = curve[act]
        mean_band(axes[0, 2], cfg.widths_curve, np.array([[np.nan if v is None else v for v in r] for r in
                                                          c["median_norm_seeds"]], dtype=float).T, label="measured")
        axes[0, 2].set_xscale("log")
        axes[0, 2].set_yscale("log")
        label(axes[0, 2], "width m", "median final ||w_j||", "neuron norm vs m (mean, range)", fontsize=6)
        mean_band(axes[0, 3], cfg.scales_curve, np.array([[np.nan if v is None else v for v in r] for r in
                                                          c["thickness_seeds"]], dtype=float).T, label="measured")
        axes[0, 3].set_xscale("log")
        axes[0, 3].set_yscale("log")
        label(axes[0, 3], "lambda", "local thickness of the neuron cloud", "thickness vs lambda (mean, range)",
              fontsize=6)
        s = c["norm_slope_spread"]
        ctx.figure(fig, fname, f"{act.capitalize()}: final neurons for several m and lambda (thesis {where})",
                   f"Data 1.1.4 with c = {cfg.c_label:g}, step {cfg.lr_curve:g}, {cfg.epochs_curve} epochs, "
                   f"{len(seeds)} seeds; left two: seed {cfg.seed}'s final neurons in the (w_j1, w_j2) plane. "
                   + trend_sentence("The median final ||w_j|| falls as m grows", c["width_trend"], "strictly")
                   + (f" Log-log slope against m {s['mean']:.2f} +- {s['sd']:.2f} (range {s['lo']:.2f} to "
                      f"{s['hi']:.2f})." if s["n"] else "") + " "
                   + trend_sentence("The thickness of the neuron cloud around its curve (local_thickness: 0 on a curve) rises with lambda", c["scale_trend"],
                                    "strictly") + " "
                   + flagged_sentence({k: h for k, h in every.items() if k.startswith(f"curve 1.1.4 {act}")}))

    # -- Fig C.3 -------------------------------------------------------------------------------------------
    kept, bal, c3fit = {}, {}, {}
    for act in ("relu", *ACTS):
        kept[act], bal[act], c3fit[act] = [], [], []
        for s in seeds:
            u, v, q = res[("c3", "1.1.0", act, 1e-6, 1000, s)]
            ok = q["health"]["status"] == "ok"
            signs = np.sign(balanced_net(2, 1000, act, 1e-6, s).a)
            kept[act].append(a_sign_kept(v["a"], signs) if ok else None)
            bal[act].append(balance_rel(v["a"], v["wnorm"], signs) if ok else None)
            c3fit[act].append(analysis.first_below(v["steps"], v["loss"], cfg.fit_level) if ok else None)
    out["c3_sign_kept_seeds"], out["c3_balance_rel_seeds"], out["c3_fit_seeds"] = kept, bal, c3fit
    out["c3_sign_kept_spread"] = {a: spread_or_none(v) for a, v in kept.items()}
    fig, axes = new_figure(4, 1, width=3.9, height=3.3)
    for i, act in enumerate(("relu", *ACTS)):
        u, v, q = res[("c3", "1.1.0", act, 1e-6, 1000, cfg.seed)]
        signs = np.sign(balanced_net(2, 1000, act, 1e-6, cfg.seed).a)
        a = np.asarray(v["a"], float)
        flip = ~np.all(np.sign(a) == signs[None, :], axis=0)
        from matplotlib.collections import LineCollection

        for sg, col in ((1, "tab:red"), (-1, "tab:blue")):
            pick = np.flatnonzero((signs == sg) & ~flip)
            axes[0, i].add_collection(LineCollection([np.column_stack([v["steps"], a[:, j]]) for j in pick],
                                                     colors=col, linewidths=0.3, alpha=0.4))
        if flip.any():
            axes[0, i].add_collection(LineCollection([np.column_stack([v["steps"], a[:, j]]) for j in np.flatnonzero(flip)],
                                                     colors="k", linewidths=0.6))
        axes[0, i].autoscale_view()
        label(axes[0, i], "epoch", "a_j", f"{act}, seed {cfg.seed}: {int(flip.sum())} sign changes"
              f"{status_tag(q['health'])}")
    ax = axes[0, 3]
    for i, act in enumerate(("relu", *ACTS)):
        k = [100 * (1 - x) for x in kept[act] if x is not None]
        ax.plot([i] * len(k), k, "o", color="0.4", ms=4)
        if k:
            ax.errorbar(i + 0.2, np.mean(k), yerr=[[np.mean(k) - min(k)], [max(k) - np.mean(k)]], fmt="s",
                        color=series_colour(0), capsize=3)
    ax.set_xticks(range(3), ("relu", *ACTS))
    label(ax, None, "% of a_j that change sign", "over seeds (dots; mean, range)")
    ctx.figure(fig, "fig_C_3", "Each a_j over the epochs at m = 1000 (thesis Fig C.3)",
               f"Data 1.1.0, m = 1000, lambda = 1e-6, step {cfg.lr:g}, {cfg.epochs_c3} epochs; red: s_j = +1, blue: "
               f"-1, black: a_j that change sign. " + sign_sentence({a: kept[a] for a in kept}, bal) + " "
               + flagged_sentence({k: h for k, h in every.items() if k.startswith("c3")}))

    # -- Figs C.4-C.7: transition windows -------------------------------------------------------------------
    tr_out = {}
    for act in ACTS:
        lo, hi = min(sc), max(sc)
        d = {q: {"rich": lab[act]["1.1.0"][skey(lo)][q], "lazy": lab[act]["1.1.0"][skey(hi)][q]}
             for q in ("initial_share", "move")}
        d["scatter"] = {"rich": [get("labels", "1.1.0", act, lo, cfg.width, s)["scatter"] for s in seeds],
                        "lazy": [get("labels", "1.1.0", act, hi, cfg.width, s)["scatter"] for s in seeds]}
        for x in trans[act]:
            for q in ("initial_share", "move", "scatter"):
                d[q][x] = [get("transition", "1.1.0", act, x, cfg.width, s)[q] for s in seeds]
        chk = transition_check(d["initial_share"], d["move"], d["scatter"])
        tr_out[act] = {"check": chk, **{q: {skey(k) if not isinstance(k, str) else k: v for k, v in d[q].items()}
                                        for q in d}}
    out["transition"] = tr_out
    X0, y0 = data_of("1.1.0", cfg)
    for act, lams, figs in (("sigmoid", trans["sigmoid"], ("C.4", "C.5")), ("tanh", trans["tanh"], ("C.6", "C.7"))):
        fig, axes = new_figure(3, len(lams), width=3.6, height=3.1)
        for r, x in enumerate(lams):
            u, v, q = res[("transition", "1.1.0", act, float(x), cfg.width, cfg.seed)]
            t = v["traj"]
            loss_curve(axes[r, 0], t.steps, {f"lambda = {x:g}": t.train_loss}, plateaus=q["plateaus"],
                       title=f"{act}, lambda = {x:g}{status_tag(q['health'])}")
            picks = [analysis.loss_fraction_indices(t.train_loss, (0.5,))[1], len(t) - 1]
            signs = np.sign(balanced_net(2, cfg.width, act, x, cfg.seed).a)
            for c, i in enumerate(picks):
                orientation_plane(axes[r, c + 1], t.net_at(i), X0[:, 0], y0, xlim=(-3.0, 4.0), signs=signs,
                                  title=f"epoch {int(t.steps[i])}", legend=False)
        ctx.figure(fig, f"transition_{act}", f"{act.capitalize()} between rich and lazy (thesis Figs {figs[0]}, {figs[1]})",
                   f"Data 1.1.0, m = {cfg.width}, step {cfg.lr:g}, seed {cfg.seed}: loss (detected plateaus shaded) and "
                   "neurons with the model when the loss first falls below half its start and at the end. Over seeds, against the rich (lambda = "
                   f"{min(sc):g}) and lazy (lambda = {max(sc):g}) runs: " + transition_sentence(act, tr_out[act]["check"])
                   + " " + flagged_sentence({k: h for k, h in every.items() if k.startswith(f"transition 1.1.0 {act}")}))

    ctx.note(lab_text + " " + q_text + " " + sign_sentence(kept, bal) + " "
             + " ".join(transition_sentence(a, tr_out[a]["check"]) for a in ACTS))
    out["flagged"] = {k: h["reason"] for k, h in every.items() if h["status"] != "ok"}
    out["runs"] = len(units)
    return out


# -- the findings table -------------------------------------------------------------------------------
def _cmp_text(c: dict) -> str:
    return (f"{c['same']} of {c['compared']} lambdas the same" + (f"; different: {', '.join(c['different'][:4])}"
                                                                               if c["different"] else "")
            + (f"; flagged: {len(c['flagged'])}" if c["flagged"] else ""))


def finding_rows(metrics: dict) -> list[dict]:
    """The thesis's findings this experiment tests, one row each, verdicts from the over-seed numbers."""
    m = metrics
    rows = []
    fac = "1.25"
    cm = m["label_compare"]
    for act in ACTS:
        c = cm[f"switched_{act}"]
        rows.append(tf.row(f"SA-switch-{act}", "L1306", f"{act.capitalize()}: switching the labels (1.1.1) changes "
                           "nothing in the training", f"every lambda: plateau count equal to 1.1.0's in every "
                           f"seed, fit times over seeds overlapping or within {fac}x", _cmp_text(c),
                           tf.ok_verdict(c["compared"] > 0 and c["same"] == c["compared"])))
    lz = m["sigmoid_1_1_2_lazy"]
    n = lz["compared"]
    verdict = tf.ok_verdict(n > 0 and lz["lazy"] == n and lz["rich_110"] == n)
    rows.append(tf.row("SA-same-sigmoid", "L1332", "Sigmoid with two positive labels (1.1.2): only the lazy regime",
                       "every seed: no initial plateau at any lambda, fit time at the smallest lambda within 2x of the "
                       "largest's, hidden features sigma(XW^T) moving < 10% of their initial norm at every lambda "
                       "(and 1.1.0 rich at the smallest lambda, same seed)",
                       f"lazy loss curve in {lz['loss_lazy']} of {n} seeds, frozen features in {lz['frozen']} of {n} "
                       f"(largest movement {tf.spread_text(m['sigmoid_1_1_2_feature_move_seeds'], '.2g')}); 1.1.0 rich "
                       f"in {lz['rich_110']}; fit epochs {m['sigmoid_1_1_2_fit_seeds']}; first layer ||W_T - W_0|| / "
                       f"||W_0|| at the smallest lambda {tf.spread_text(m['sigmoid_1_1_2_move_rich_seeds'], '.3g')} "
                       "(small weights grow, the features sigma(w_j . x) ~ 1/2 stay)", verdict))
    c = cm["same_sign_tanh"]
    rows.append(tf.row("SA-same-tanh", "L1335", "Tanh: no fundamental difference between labels of opposite and of "
                       "the same sign", f"every lambda: 1.1.2's plateau count equal to 1.1.0's in every seed, fit "
                       f"times over seeds overlapping or within {fac}x", _cmp_text(c), tf.ok_verdict(c["compared"] > 0 and c["same"] == c["compared"])))
    for act in ACTS:
        c = m["quasi_compare"][act]
        if c["compared"] and c["same"] == c["compared"]:
            verdict = "reproduced"
        elif c["always_different"]:
            verdict = "thesis contradicted"
        else:
            verdict = "differs"
        rows.append(tf.row(f"SA-quasi-{act}", "L1482", f"{act.capitalize()} on quasi-orthogonal data: no fundamental "
                           "difference from orthogonal data", "every fitted (delta, sign, seed): plateau count equal to "
                           "1.1.0's at the same lambda and seed",
                           f"{c['same']} of {c['compared']} the same" + (
                               f"; a different count in every seed for {', '.join(c['always_different'])}"
                               if c["always_different"] else "") + (f"; different: {', '.join(c['different'][:4])}"
                                                                    if c["different"] else ""), verdict))
    for act, where in (("sigmoid", "Fig 3.19, L1381-1385"), ("tanh", "Fig C.19, L2139")):
        cv = m["curve"][act]
        w, s = cv["width_trend"], cv["scale_trend"]
        sl = cv["norm_slope_spread"]
        rows.append(tf.row(f"SA-width-{act}", where, f"{act.capitalize()}: the more neurons, the less they grow in norm",
                           f"median final ||w_j|| strictly decreasing over m = {m['curve_widths']} in every seed",
                           f"in {w['holds']} of {w['compared']} seeds ({w['flagged']} unfitted runs left out); log-log slope "
                           + tf.spread_text(cv["norm_slope_seeds"], ".2f"),
                           tf.ok_verdict(w["compared"] > 0 and w["holds"] == w["compared"] and sl["n"] > 0)))
        rows.append(tf.row(f"SA-scale-{act}", where, f"{act.capitalize()}: lambda sets the neurons' variance around "
                           "the S-curve (larger lambda, more variance)", f"local thickness of the neuron cloud strictly "
                           f"increasing over lambda = {m['curve_scales']} in every seed",
                           f"in {s['holds']} of {s['compared']} seeds; thickness per lambda: "
                           + "; ".join(f"{x:g}: {tf.spread_text([r[i] for r in cv['thickness_seeds']], '.2g')}"
                                       for i, x in enumerate(m["curve_scales"])),
                           tf.ok_verdict(s["compared"] > 0 and s["holds"] == s["compared"])))
    k, b = m["c3_sign_kept_seeds"], m["c3_balance_rel_seeds"]
    relu_ok = bool(tf.kept(k["relu"])) and min(tf.kept(k["relu"])) == 1 and max(tf.kept(b["relu"])) < 1e-3
    smooth_ok = all(tf.kept(k[a]) and min(tf.kept(k[a])) == 1 and max(tf.kept(b[a])) < 0.1 for a in ACTS)
    rows.append(tf.row("SA-C3", "Fig C.3, L2017 (section 3.1.1 (iv))", "At m = 1000 each a_j keeps the sign s_j and "
                       "the iterates stay balanced: exactly for ReLU, up to slight deviations for Sigmoid and Tanh",
                       "every seed: all a_j keep their sign; max_t max_j |a_j - s_j ||w_j||| / max_j |a_j| < 1e-3 "
                       "(ReLU: GD conserves a_j^2 - ||w_j||^2 only up to O(step) = 1e-3), < 0.1 (Sigmoid, Tanh)",
                       "; ".join(f"{a}: sign changes {tf.spread_text([None if x is None else 100 * (1 - x) for x in k[a]], '.2g')}%,"
                                 f" balance error {tf.spread_text(b[a], '.1e')}" for a in k),
                       tf.ok_verdict(relu_ok and smooth_ok)))
    for act, where in (("sigmoid", "Figs C.4, C.5, L2026-2031"), ("tanh", "Figs C.6, C.7, L2036-2041")):
        t = m["transition"][act]["check"]
        rows.append(tf.row(f"SA-transition-{act}", where, f"{act.capitalize()} between rich and lazy: a mix of both "
                           "regimes (L1288: similar to ReLU)", "every seed: from rich through the transition lambdas "
                           "to lazy, first-layer movement strictly falls, scatter strictly rises, initial plateau share "
                           "does not rise", f"in {t['between']} of {t['compared']} seeds",
                           tf.ok_verdict(t["compared"] > 0 and t["between"] == t["compared"])))
        rows.append(tf.row(f"SA-convex-{act}", where + ", L1290", f"{act.capitalize()}: the loss becomes convex faster "
                           "than the alignment variance grows", "every (seed, transition lambda): 1 - share/share_rich "
                           "> (scatter - scatter_rich)/(scatter_lazy - scatter_rich)",
                           f"in {t['convex_first']} of {t['pairs']} pairs",
                           tf.ok_verdict(t["pairs"] > 0 and t["convex_first"] == t["pairs"])))
    return rows


register(Experiment(
    name="smooth-activations", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis: Sigmoid and Tanh beyond 1.1.0: switched and same-sign labels, quasi-orthogonal data, "
                "final neurons against m and lambda (Figs 3.19, C.19), each a_j at m = 1000 (Fig C.3) and the "
                "transition windows (Figs C.4-C.7), over several seeds.",
    config=Config, run=run, quick=QUICK, findings=finding_rows,
    source="thesis, L1306, L1332-1335, L1482, Figs 3.19, C.3-C.7, C.19"))

"""Seed 003, Fig 2.9, Fig 3.16 and section 3.2 (Figs 3.25-3.26): what a ReLU network ends at and how its
loss gets there, over several seeds.

- **Fig 2.9** (L1117-L1121): the final interpolator of a width-60 ReLU network on data set 1.1.0 at
  lambda = 2.5, 1 and <= 1e-6 (1e-6 and 1e-10 at full settings). Shape numbers per seed: visible kinks, ||theta|| against the exact
  minimum-norm interpolator (closed form on orthogonal inputs, the certified linear program
  otherwise), the largest slope |h'| and the distance to the linear interpolation of the data.
- **Fig 3.16** (L1313): data set 1.1.2 with one label multiplied by ``label_factor``: the loss curve
  and the model with its neurons in the orientation / signed-norm plane at several epochs, and over
  seeds the number of alignment directions (neuron groups, as in label-geometry) and of plateaus.
- **Figs 3.25-3.26** (L1458-L1482): the quasi-orthogonal family 1.2, x_1 = -0.5 +- delta/2, x_2 = 2,
  labels -1, 1, at lambda = 1e-10 for the thesis's deltas (and 3: with the + sign both inputs are
  positive with x_1 the smaller, with the - sign x_1 = -x_2): loss curves over the delta set and windows of model + neurons over
  time. The thesis's two claims are tested over seeds with its plateau rule
  (:func:`twolayer.analysis.fit_plateaus`):

  * inputs of opposite signs: "the loss profile remains unchanged, even for very high delta" --
    exactly two plateaus, the initial one at L(0) and the intermediate one at the loss with one
    label fitted, and no slowdown before the fit;
  * both inputs positive: "a new slowdown appears between the initial and the intermediate plateaus".

  A **slowdown** between two plateaus is either a further plateau of the thesis's rule between them,
  or a *shoulder*: a stretch of the descent where the loss's decline speed (measured over the
  rule's window, T/100) falls below ``slowdown_ratio`` (0.5) times the peak speed on *both* sides of
  it and then rises again (:func:`shoulders`). A single-bump descent has a ratio of 1 at every
  point; the delta = 10 descent of Fig 3.26 dips to 0.3.

Every run is a stored unit ``ctx.run("train", ..., part=, ..., seed=)``; all missing units train in
one sweep over the cores. Only the drawn seed's window runs keep parameters, and only at the window
epochs. Runs that diverged, nearly diverged or never reached their fit level are flagged and left out
of every conclusion with the reason.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .. import analysis, data
from ..data.core import with_bias
from ..analysis.seeds import describe_spread, flagged_sentence, kept, spread_or_none, status_tag, traj_health as health
from ..errors import InvalidParameter
from ..net import Net
from ..optim import GD
from ..plots import label, mean_band, new_figure, orientation_plane
from ..plots.style import series_colour
from ..sweep import run_prepared
from ..train import prepare
from ..analysis import neuron_directions
from ..data.thesis import quasi_key as delta_key
from . import Experiment, register
from .base import THESIS_LOSS, balanced_net, param
from .budget import SEED_MAX
from .thesis_findings import row

SETS_1D = tuple(data.THESIS_SETS)                        # 1-D inputs (x, 1) with fixed labels
THESIS_DELTAS = (1e-8, 1e-6, 1e-4, 1e-2, 1e-1, 1.0, 10.0, 100.0)   # footnote 11 and Fig 3.26 (L1478)
MOST_WINDOWS = 5
SMALL = 1e-6        # Fig 2.9's right panel: lambda <= 1e-6


@dataclass
class Config:
    width: int = param(60, "Number of hidden ReLU neurons m.", ge=1, le=1000)
    lr: float = param(1e-3, "GD step size of every run.", gt=0, le=10)
    seeds: int = param(5, "Seeds: seed + k (k < seeds) draws the initial directions and signs of every run; the "
                       "claims are tested over them.", ge=1, le=20)
    seed: int = param(0, "Random seed of the drawn runs (whose models and neurons are drawn); the other seeds follow "
                      "it.", ge=0, le=SEED_MAX - 20)
    # Fig 2.9
    interp_datasets: tuple[str, ...] = param(("1.1.0",), "Thesis data sets whose final interpolators are compared "
                                             "across scales (Fig 2.9 uses 1.1.0, the only set of its chapter).",
                                             choices=SETS_1D)
    interp_scales: tuple[float, ...] = param((2.5, 1.0, 1e-6, 1e-10), "Balanced initialisation scales lambda of the "
                                             "final interpolators (Fig 2.9: 2.5, 1 and <= 1e-6).", gt=0, le=10)
    interp_epochs: int = param(300_000, "GD steps of each interpolator run.", ge=1, le=3_000_000)
    interp_fit_level: float = param(1e-4, "Training loss an interpolator run must end below to count as fitted.",
                                    gt=0, le=1)
    # Fig 3.16
    label_factor: float = param(5.0, "Factor multiplying one label of data set 1.1.2 (Fig 3.16).", gt=0, le=100)
    scaled: tuple[int, ...] = param((2, 1), "Which label of 1.1.2 is multiplied, one variant each: 1 (x = -0.5) or "
                                    "2 (x = 2).", ge=1, le=2)
    # Figs 3.25-3.26
    deltas: tuple[float, ...] = param((1e-8, 1e-6, 1e-4, 1e-2, 1.0, 3.0, 10.0, 100.0), "Deviations delta of the "
                                      "quasi-orthogonal family 1.2, each run with both signs.", gt=0, le=1e3)
    windows_minus: tuple[float, ...] = param((1e-8, 1e-6, 1e-4, 1e-2, 1.0, 3.0, 10.0, 100.0), "Deltas (of deltas) "
                                             "whose windows over time are drawn for x_1,1 = -0.5 - delta/2.", gt=0,
                                             le=1e3, empty=True)
    windows_plus: tuple[float, ...] = param((1e-8, 1e-6, 1e-4, 1e-2, 1.0, 3.0, 10.0, 100.0), "Deltas (of deltas) "
                                            "whose windows over time are drawn for x_1,1 = -0.5 + delta/2.", gt=0,
                                            le=1e3, empty=True)
    scale_small: float = param(1e-10, "Balanced initialisation scale of the quasi-orthogonal and scaled-label runs "
                               "(Figs 3.16, 3.25, 3.26).", gt=0, le=100)
    epochs: int = param(300_000, "GD steps of each quasi-orthogonal and scaled-label run.", ge=1, le=3_000_000)
    record_every: int = param(50, "Record the loss every this many steps up to dense_epochs (the plateau rule needs "
                              "records at most T/200 apart).", ge=1, le=100_000)
    dense_epochs: int = param(100_000, "Record every record_every steps up to here, ten times less often after.",
                              ge=1, le=3_000_000)
    fit_level: float = param(0.01, "Loss below which a run counts as fitted (the thesis's zero-loss threshold).",
                             gt=0, le=1)
    slowdown_ratio: float = param(0.5, "A shoulder: the decline speed falls below this fraction of the peak speed "
                                  "on both sides.", gt=0, le=1)
    level_tol: float = param(0.02, "Relative tolerance (of L(0)) of a plateau's level against L(0) or the level with "
                             "one label fitted.", gt=0, le=0.5)
    group_share: float = param(0.01, "Smallest share of sum_j |a_j| ||w_j|| a neuron group must carry to count as "
                               "an alignment direction.", gt=0, le=0.5)


QUICK = {"deltas": (1e-8, 1e-2, 1.0, 3.0, 10.0, 100.0), "windows_minus": (1.0,), "windows_plus": (10.0,), "epochs": 40_000,
         "dense_epochs": 40_000, "interp_epochs": 30_000, "interp_scales": (2.5, 1.0, 1e-6), "seeds": 3}


# -- data ------------------------------------------------------------------------------------------
def scaled_data(which: int, factor: float):
    """Data set 1.1.2 (x = -0.5, 2; labels 1, 1) with label ``which`` (1 or 2) multiplied by ``factor``."""
    X, y = data.thesis("1.1.2")
    y = y.copy()
    y[which - 1] *= factor
    return X, y


def scaled_name(which: int, factor: float) -> str:
    """'y_2 x 5': the variant of 1.1.2 whose label ``which`` is multiplied by ``factor``."""
    return f"y_{which} x {factor:g}"


def delta_case(sign: int, delta: float) -> dict:
    """The quasi-orthogonal input x_1,1 = -0.5 + sign delta / 2 against x_2,1 = 2: ``kind`` is
    'opposite' (x_1,1 < 0), 'same' (both positive) or 'zero' (x_1 = (0, 1)); ``thesis``: a delta
    the thesis ran (footnote 11 and Fig 3.26)."""
    x11 = -0.5 + sign * delta / 2
    kind = "opposite" if x11 < 0 else "same" if x11 > 0 else "zero"
    return {"delta": float(delta), "sign": int(sign), "x11": float(x11), "kind": kind,
            "thesis": any(np.isclose(delta, d, rtol=1e-9, atol=0) for d in THESIS_DELTAS)}


def one_label_levels(y) -> list[float]:
    """Loss levels (1/n sum (h - y)^2 from h = 0) once exactly one label is fitted: (sum y^2 - y_k^2) / n."""
    y = np.asarray(y, dtype=float)
    return [float((np.sum(y ** 2) - yk ** 2) / len(y)) for yk in y]


# -- the loss profile: plateaus (thesis rule) and slowdowns ---------------------------------------
def speed_window(times, T: float) -> np.ndarray:
    """The span h_i = max(T/100, t_i - t_{i-1}) each speed is measured over (that of fit_plateaus), (T_rec,)."""
    t = np.asarray(times, dtype=float)
    return np.maximum((T - t[0]) / 100, np.r_[t[1] - t[0] if len(t) > 1 else 1.0, np.diff(t)])


def decline_speed(times, loss, h) -> np.ndarray:
    """(L(t - h) - L(t)) / h at every recorded t (positive while the loss falls), (T_rec,)."""
    t, L = np.asarray(times, dtype=float), np.asarray(loss, dtype=float)
    return (np.interp(t - h, t, L) - L) / h


def shoulders(times, loss, plateaus: list, T: float, ratio: float = 0.5) -> list[dict]:
    """Shoulders of the descents between consecutive plateaus (and from the last plateau to T).

    In the descent after plateau g (records strictly between its end and the next plateau's start,
    or T), let v be :func:`decline_speed` over :func:`speed_window`. Record i dips when
    ``v_i < ratio * min(max v before i, max v after i)`` in that descent: the decline slows to less
    than ``ratio`` of its speed on both sides and speeds up again. A maximal run of dipping records
    is one shoulder. A single-bump descent never dips (its ratio is 1 everywhere).

    Returns
    -------
    list of dict
        ``after`` (index g of the plateau the descent follows), ``start``, ``end``, ``at`` (time of
        the slowest record), ``level`` (loss there) and ``depth`` (its speed over the smaller peak).
    """
    t, L = np.asarray(times, dtype=float), np.asarray(loss, dtype=float)
    v = decline_speed(t, L, speed_window(t, T))
    ends = [p["end"] for p in plateaus]
    nexts = [p["start"] for p in plateaus[1:]] + [T]
    out = []
    for g, (a, b) in enumerate(zip(ends, nexts)):
        idx = np.flatnonzero((t > a) & (t < b))
        if len(idx) < 3:
            continue
        vv = v[idx]
        peak = np.minimum(np.maximum.accumulate(vv), np.maximum.accumulate(vv[::-1])[::-1])
        dip = vv < ratio * peak
        i = 0
        while i < len(dip):
            if not dip[i]:
                i += 1
                continue
            j = i
            while j + 1 < len(dip) and dip[j + 1]:
                j += 1
            k = i + int(np.argmin(vv[i:j + 1] / peak[i:j + 1]))
            out.append({"after": g, "start": float(t[idx[i]]), "end": float(t[idx[j]]), "at": float(t[idx[k]]),
                        "level": float(L[idx[k]]), "depth": float(vv[k] / peak[k])})
            i = j + 1
    return out


def deepest_dip(times, loss, plateaus: list, T: float, before: int | None) -> float | None:
    """The smallest speed / min-peak ratio (see :func:`shoulders`) over the descents after plateaus
    0 .. before - 1 (those before plateau ``before``; all when None); None when no descent has 3 records."""
    t, L = np.asarray(times, dtype=float), np.asarray(loss, dtype=float)
    v = decline_speed(t, L, speed_window(t, T))
    ends = [p["end"] for p in plateaus]
    nexts = [p["start"] for p in plateaus[1:]] + [T]
    best = None
    for g, (a, b) in enumerate(zip(ends, nexts)):
        if before is not None and g >= before:
            break
        idx = np.flatnonzero((t > a) & (t < b))
        if len(idx) < 3:
            continue
        vv = v[idx]
        peak = np.minimum(np.maximum.accumulate(vv), np.maximum.accumulate(vv[::-1])[::-1])
        r = float(np.min(vv / np.where(peak > 0, peak, np.inf)))
        best = r if best is None else min(best, r)
    return best


def loss_profile(times, loss, levels, *, fit_level: float = 0.01, ratio: float = 0.5, level_tol: float = 0.02):
    """The shape of a loss curve in the thesis's terms, or None when it never fits.

    Parameters
    ----------
    times, loss : (T_rec,) arrays
        Recorded times and training loss.
    levels : list of float
        Loss levels with one label fitted (:func:`one_label_levels`): a plateau within
        ``level_tol * L(0)`` of one of them is an *intermediate* plateau.
    fit_level, ratio, level_tol : float
        The fit level of the plateau rule, the shoulder ratio of :func:`shoulders`, and the
        tolerance of the plateau levels.

    Returns
    -------
    dict or None
        ``plateaus`` (:func:`analysis.fit_plateaus`), ``count``, ``initial`` (the first plateau starts
        at the first record and sits within tolerance of L(0)), ``intermediate`` (index of the first
        later plateau at a one-label level, or None), ``shoulders``, ``between`` (slowdowns between
        the initial and the intermediate plateau: the plateaus strictly between them plus the
        shoulders of the descents before the intermediate one; None without both plateaus),
        ``elsewhere`` (every other plateau beyond those two and every other shoulder), ``orthogonal``
        (exactly the initial and the intermediate plateau and no shoulder: the profile of data set
        1.1.0), ``fit_time``, ``initial_length``, ``intermediate_length``, ``dip`` (deepest speed
        ratio before the intermediate plateau) and ``rise`` (largest rise of the loss above its
        running minimum, over L(0)).
    """
    t, L = np.asarray(times, dtype=float), np.asarray(loss, dtype=float)
    plats = analysis.fit_plateaus(t, L, fit_level=fit_level)
    if plats is None:
        return None
    T = float(t[int(np.flatnonzero(L < fit_level)[0])])
    L0 = float(L[0])
    sh = shoulders(t, L, plats, T, ratio) if plats else []
    initial = bool(plats) and plats[0]["start"] <= t[0] and abs(plats[0]["level"] - L0) <= level_tol * L0
    inter = next((i for i, p in enumerate(plats) if i >= 1 and min(abs(p["level"] - lv) for lv in levels)
                  <= level_tol * L0), None) if initial else None
    before = 0 if inter is None else sum(x["after"] < inter for x in sh)
    between = None if inter is None else (inter - 1) + before
    core = int(initial) + int(inter is not None)
    elsewhere = (len(plats) - core - (inter - 1 if inter is not None else 0)) + (len(sh) - before)
    running = np.minimum.accumulate(L[t <= T]) if np.any(t <= T) else L[:1]
    return {"plateaus": plats, "count": len(plats), "initial": initial, "intermediate": inter, "shoulders": sh,
            "between": between, "elsewhere": int(elsewhere),
            "orthogonal": bool(initial and inter == 1 and len(plats) == 2 and not sh),
            "fit_time": T, "initial_length": plats[0]["end"] - plats[0]["start"] if initial else None,
            "intermediate_length": None if inter is None else plats[inter]["end"] - plats[inter]["start"],
            "dip": deepest_dip(t, L, plats, T, inter), "rise": float(np.max(L[t <= T] - running) / L0)}


def window_indices(times, loss, prof, most: int = MOST_WINDOWS) -> list[int]:
    """Recorded indices to draw the model and neurons at, in time order: the start, the end of the
    initial plateau, the slowest point of each slowdown before the intermediate plateau, the middle
    of each later plateau, then (while fewer than ``most``) where the loss first falls below half its
    start (when no later plateau) and the fit (loss first below the fit level), and always the end."""
    t, L = np.asarray(times, dtype=float), np.asarray(loss, dtype=float)
    last = len(t) - 1
    at = lambda time: min(int(np.searchsorted(t, time)), last)     # noqa: E731
    if prof is None:
        return analysis.loss_fraction_indices(L, (0.9, 0.5, 0.1))[:most - 1] + [last]
    plats, core = prof["plateaus"], [0]
    if plats:
        core.append(at(plats[0]["end"]))
    stop = prof["intermediate"] if prof["intermediate"] is not None else len(plats)
    core += [at(s["at"]) for s in prof["shoulders"] if s["after"] < stop]
    core += [at(0.5 * (p["start"] + p["end"])) for p in plats[1:]]
    extra = ([int(np.argmax(L < 0.5 * L[0]))] if len(plats) < 2 and np.any(L < 0.5 * L[0]) else []) \
        + [at(prof["fit_time"])]
    out = sorted(set(core) - {last})[:most - 1]
    for i in extra:
        if len(out) < most - 1 and i not in out and i != last:
            out = sorted(out + [i])
    return out + [last]


# -- final interpolators --------------------------------------------------------------------------
def view_interval(x) -> tuple[float, float]:
    """The data's range widened by half its span on each side: where kinks and slopes are read."""
    lo, hi = float(np.min(x)), float(np.max(x))
    span = max(hi - lo, 1e-12)
    return lo - 0.5 * span, hi + 0.5 * span


def slope_on(net1d: Net, x) -> np.ndarray:
    """h'(x) = sum_j a_j b_j [b_j x + c_j > 0] of a scalar ReLU network with bias (no scaling), (len(x),)."""
    x = np.asarray(x, dtype=float)
    b, c, a = net1d.W[:, 0], net1d.c, net1d.a * net1d.scale
    return ((b[None, :] * x[:, None] + c[None, :]) > 0) @ (a * b)


def max_slope(net: Net, lo: float, hi: float) -> float:
    """max |h'(x)| over (lo, hi) for a network on inputs (x, 1), exactly: h is linear between the
    neurons' kinks, so its slope is read at the middle of every piece."""
    n1 = analysis.bias_input_as_bias(net)
    pos, _ = analysis.kink_jumps(n1)
    cuts = np.unique(np.r_[lo, pos[(pos > lo) & (pos < hi)], hi])
    return float(np.max(np.abs(slope_on(n1, 0.5 * (cuts[:-1] + cuts[1:])))))


def interp_gap(net: Net, X, y) -> float:
    """max over [x_min, x_max] of |h(x) - p(x)|, p the piecewise-linear interpolation of the data,
    over the label range (max y - min y, or max |y|): exact, since both are linear between the
    network's kinks and the data points."""
    x, y = np.asarray(X, dtype=float)[:, 0], np.asarray(y, dtype=float)
    order = np.argsort(x)
    x, y = x[order], y[order]
    pos, _ = analysis.kink_jumps(analysis.bias_input_as_bias(net))
    pts = np.unique(np.r_[x, pos[(pos > x[0]) & (pos < x[-1])]])
    h = net(with_bias(pts))
    scale = np.ptp(y) if np.ptp(y) > 0 else max(np.max(np.abs(y)), 1e-300)
    return float(np.max(np.abs(h - np.interp(pts, x, y))) / scale)


def shape_numbers(net: Net, X, y, min_norm: float) -> dict:
    """Kinks (visible bends in :func:`view_interval`), ||theta||, ||theta|| / min_norm, max |h'| in
    the same interval and :func:`interp_gap` of a final interpolator on inputs (x, 1)."""
    lo, hi = view_interval(np.asarray(X)[:, 0])
    kinks = analysis.kinks(analysis.bias_input_as_bias(net), (lo, hi), merge=1e-3)
    return {"kinks": int(len(kinks)), "norm": float(net.norm), "norm_ratio": float(net.norm / min_norm),
            "max_slope": max_slope(net, lo, hi), "interp_gap": interp_gap(net, X, y)}


def orthogonal(X, tol: float = 1e-10) -> bool:
    """Whether the inputs are pairwise orthogonal (|cos| <= tol)."""
    X = np.asarray(X, dtype=float)
    n = np.linalg.norm(X, axis=1)
    G = np.abs(X @ X.T) / np.outer(n, n)
    return bool(np.all(G[~np.eye(len(X), dtype=bool)] <= tol))


def min_norm(X, y) -> float:
    """The exact minimum ||theta|| of a ReLU network interpolating (X, y): the closed form on orthogonal
    inputs, the certified linear program otherwise."""
    return float(analysis.min_norm_relu_orthogonal(X, y)[0] if orthogonal(X) else analysis.min_norm_relu_2d(X, y)[0])


# -- verdicts and sentences: pure functions of the over-seed numbers ---------------------------------
def simple_summary(kinks: list, ratio: list, gap: list, n_points: int, tol: float = 0.01) -> dict:
    """Over runs at small scales (seeds x scales <= 1e-6; None: flagged): how many fitted runs end at a
    simple interpolator, i.e. at most n kinks, ||theta|| within ``tol`` of the minimum and within
    ``tol`` (of the label range) of the linear interpolation."""
    rows = [(k, r, g) for k, r, g in zip(kinks, ratio, gap) if None not in (k, r, g)]
    simple = sum(k <= n_points and r <= 1 + tol and g <= tol for k, r, g in rows)
    return {"kept": len(rows), "runs": len(kinks), "simple": int(simple)}


def complexity_summary(scales: list, norms: list, kinks: list) -> dict:
    """Over seeds (``norms[s][r]``, ``kinks[s][r]``: scale s, seed r, None if flagged): of the seeds
    with every scale fitted, in how many ||theta|| grows strictly from the largest scale below 1
    through every scale >= 1 (``norm_grows``; the scales below 1 all end near the minimum norm, so
    their order among themselves is rounding), every scale >= 1 has more kinks than the smallest scale
    (``more_kinks``), and the largest scale has at least as many kinks as the next (``kinks_ordered``);
    ``big``: how many scales are >= 1."""
    order = [int(i) for i in np.argsort(scales)]
    big = [i for i in order if scales[i] >= 1.0]
    below = [i for i in order if scales[i] < 1.0]
    ladder = below[-1:] + big
    small = order[0]
    seeds = [r for r in range(len(norms[0])) if all(norms[s][r] is not None for s in range(len(scales)))]
    grow = sum(all(norms[a][r] < norms[b][r] for a, b in zip(ladder, ladder[1:])) for r in seeds)
    more = sum(all(kinks[i][r] > kinks[small][r] for i in big) for r in seeds)
    ordered = sum(kinks[order[-1]][r] >= kinks[order[-2]][r] for r in seeds) if len(order) > 1 else 0
    return {"compared": len(seeds), "seeds": len(norms[0]), "norm_grows": int(grow), "more_kinks": int(more),
            "kinks_ordered": int(ordered), "big": len(big)}


def interpolators_sentence(scales: list, small: dict, comp: dict, ratios: dict, kinks: dict, dataset: str) -> str:
    """What the final interpolators on ``dataset`` say over seeds: ``small`` (:func:`simple_summary`
    at the smallest scale), ``comp`` (:func:`complexity_summary`), ``ratios`` / ``kinks``
    ({scale key: spread dict})."""
    lam = min(scales)
    smalls = ", ".join(f"{s:g}" for s in scales if s <= SMALL)
    parts = [", ".join(f"lambda = {s:g}: {kinks[f'{s:g}']['mean']:.1f} kinks (range {kinks[f'{s:g}']['lo']:g}-"
                       f"{kinks[f'{s:g}']['hi']:g}), ||theta|| / min = {ratios[f'{s:g}']['mean']:.4g} +- "
                       f"{ratios[f'{s:g}']['sd']:.2g}" for s in scales if kinks[f"{s:g}"]["n"])]
    text = f"{dataset}, over seeds: " + "; ".join(parts) + ". "
    if small is None or not small["kept"]:
        text += f"No fitted run at lambda <= {SMALL:g}, so the small-scale interpolator is not judged"
    elif small["simple"] == small["kept"]:
        text += (f"At lambda = {smalls} every fitted run ({small['kept']}) ends at the simple interpolator "
                 "(minimum norm within 1%, the linear interpolation of the data, at most one kink per point)")
    else:
        text += (f"At lambda = {smalls} only {small['simple']} of {small['kept']} fitted runs end at the simple "
                 "interpolator (minimum norm within 1%, linear interpolation of the data)")
    if comp["compared"] and comp["big"]:
        text += (f"; larger lambda gives a more complex model (norm growing with lambda) in {comp['norm_grows']} of "
                 f"{comp['compared']} seeds, more kinks than at lambda = {lam:g} in {comp['more_kinks']} of "
                 f"{comp['compared']}")
        text += (", and the kink count saturates between the two large scales (not ordered in every seed)"
                 if comp["kinks_ordered"] < comp["compared"] else ", kinks ordered with lambda in every seed")
    return text + "."


def groups_summary(groups: list) -> dict:
    """Over seeds (alignment-direction counts, None: flagged): kept seeds, those with exactly two."""
    k = kept(groups)
    return {"kept": len(k), "seeds": len(groups), "two": int(sum(g == 2 for g in k))}


def scaled_sentence(variants: dict) -> str:
    """``variants``: {name: [number of alignment directions per seed, None if flagged]}: whether one
    scaled label of 1.1.2 still gives two alignment directions (thesis Fig 3.16)."""
    parts = []
    for name, g in variants.items():
        s = groups_summary(g)
        if not s["kept"]:
            parts.append(f"{name}: no fitted seed")
            continue
        verdict = ("two directions in every fitted seed, as the thesis says" if s["two"] == s["kept"] else
                   "never two directions" if s["two"] == 0 else "two directions in some seeds only")
        parts.append(f"{name}: {s['two']} of {s['kept']} fitted seeds have exactly two alignment directions "
                     f"(counts {kept(g)}): {verdict}")
    return "1.1.2 with one label scaled, " + "; ".join(parts) + "."


def opposite_summary(cases: dict, profiles: dict) -> dict:
    """Inputs of opposite signs: ``cases`` ({key: :func:`delta_case`}), ``profiles`` ({key: [orthogonal
    profile True/False per seed, None if flagged]}). Counts over the thesis's deltas (``runs``,
    ``unchanged``), the thesis's cases where no fitted seed keeps the profile (``failing``) and
    the same over the extra deltas (``extra_runs``, ``extra_unchanged``)."""
    out = {"runs": 0, "unchanged": 0, "failing": [], "extra_runs": 0, "extra_unchanged": 0}
    for key, c in cases.items():
        if c["kind"] != "opposite":
            continue
        v = kept(profiles[key])
        pre = "" if c["thesis"] else "extra_"
        out[pre + "runs"] += len(v)
        out[pre + "unchanged"] += int(sum(v))
        if c["thesis"] and v and not any(v):
            out["failing"].append(key)
    return out


def same_summary(cases: dict, between: dict, fitted: dict | None = None) -> dict:
    """Both inputs positive: ``between`` ({key: [slowdowns between the initial and the intermediate
    plateau per seed, None if flagged or without those plateaus]}), ``fitted`` ({key: [run fitted
    and not flagged, per seed]}; default: where ``between`` is not None). A fitted run without an
    initial and an intermediate plateau has no such slowdown: it counts among the runs, without
    (``unstructured``). Counts over the thesis's deltas (``runs``, ``with``), cases with none in any
    seed (``without``) and over the extra deltas."""
    out = {"runs": 0, "with": 0, "without": [], "unstructured": 0, "extra_runs": 0, "extra_with": 0}
    for key, c in cases.items():
        if c["kind"] != "same":
            continue
        ok = fitted[key] if fitted is not None else [b is not None for b in between[key]]
        v = [0 if b is None else b for b, f in zip(between[key], ok) if f]
        pre = "" if c["thesis"] else "extra_"
        out[pre + "runs"] += len(v)
        out[pre + "with"] += int(sum(x >= 1 for x in v))
        if c["thesis"]:
            out["unstructured"] += sum(f and b is None for b, f in zip(between[key], ok))
        if c["thesis"] and v and not any(x >= 1 for x in v):
            out["without"].append(key)
    return out


def length_range(cases: dict, lengths: dict) -> dict | None:
    """Over the opposite-sign cases, the one whose initial plateau is shortest and the longest on
    average over fitted seeds (``lengths``: {key: [epochs or None per seed]}): {shortest: [key,
    mean], longest: [key, mean]}, None with fewer than two such cases."""
    means = {k: float(np.mean(kept(v))) for k, v in lengths.items() if cases[k]["kind"] == "opposite" and kept(v)}
    if len(means) < 2:
        return None
    lo, hi = min(means, key=means.get), max(means, key=means.get)
    return {"shortest": [lo, means[lo]], "longest": [hi, means[hi]]}


def length_sentence(r: dict | None) -> str:
    """Whether the initial plateau's length changes with delta (:func:`length_range`): the profile's
    shape can stay while its timing moves."""
    if r is None:
        return ""
    (klo, lo), (khi, hi) = r["shortest"], r["longest"]
    if hi <= 1.1 * lo:
        return f"The initial plateau lasts about as long at every such delta ({lo:.0f}-{hi:.0f} epochs)."
    return (f"Its timing does change: the initial plateau lasts {hi:.0f} epochs at delta {khi} but {lo:.0f} at delta "
            f"{klo} (mean over seeds).")


def opposite_verdict(s: dict) -> str:
    """'reproduced' when every fitted run of the thesis's deltas keeps the orthogonal profile,
    'thesis contradicted' when some thesis delta keeps it in no fitted seed, else 'differs'
    (no fitted run: 'not run')."""
    if not s["runs"]:
        return "not run"
    if s["unchanged"] == s["runs"]:
        return "reproduced"
    return "thesis contradicted" if s["failing"] else "differs"


def same_verdict(s: dict) -> str:
    """'reproduced' when every fitted same-sign run of the thesis's deltas has a slowdown between its
    initial and intermediate plateaus, 'thesis contradicted' when none has, else 'differs'."""
    if not s["runs"]:
        return "not run"
    if s["with"] == s["runs"]:
        return "reproduced"
    return "thesis contradicted" if s["with"] == 0 else "differs"


def opposite_sentence(s: dict) -> str:
    """The thesis's claim for inputs of opposite signs against :func:`opposite_summary`."""
    if not s["runs"]:
        return "No fitted run with inputs of opposite signs."
    text = (f"Inputs of opposite signs: {s['unchanged']} of {s['runs']} fitted runs over the thesis's deltas keep the "
            "profile of orthogonal data (initial plateau at L(0), intermediate plateau at one label fitted, no slowdown)")
    verdict = opposite_verdict(s)
    text += (", so the profile is unchanged for every delta, as the thesis says" if verdict == "reproduced" else
             f"; it changes in every seed for {', '.join(s['failing'])}, against the thesis" if s["failing"] else
             ", not in every seed")
    if s["extra_runs"]:
        text += f" (beyond the thesis's deltas: {s['extra_unchanged']} of {s['extra_runs']})"
    return text + "."


def same_sentence(s: dict) -> str:
    """The thesis's claim for two positive inputs against :func:`same_summary`."""
    if not s["runs"]:
        return "No fitted run with both inputs positive at a delta the thesis ran."
    text = (f"Both inputs positive: {s['with']} of {s['runs']} fitted runs over the thesis's deltas slow down between "
            "the initial and the intermediate plateau"
            + (f" ({s['unstructured']} without those two plateaus)" if s.get("unstructured") else ""))
    verdict = same_verdict(s)
    text += (", the new slowdown the thesis describes" if verdict == "reproduced" else
             ": the thesis's new slowdown does not appear" if verdict == "thesis contradicted" else
             f"; none in {', '.join(s['without'])}" if s["without"] else ", not in every seed")
    if s["extra_runs"]:
        text += (f" (beyond the thesis's deltas, e.g. both positive with x_1 the smaller: {s['extra_with']} of "
                 f"{s['extra_runs']})")
    return text + "."


# -- findings rows -----------------------------------------------------------------------------------
def simple_row(m: dict, ds: str | None) -> dict:
    """Fig 2.9's right panel: the final interpolators at lambda <= 1e-6 on ``ds`` (None: not run)."""
    where = "Fig 2.9, L1117-L1121"
    finding = "At lambda <= 1e-6 the final ReLU interpolator is simple: the linear interpolation of the data"
    s = None if ds is None else m["interp_simple"][ds]
    if s is None:
        return row("F2.9a", where, finding, "-", "no interpolator run at lambda <= 1e-6", "not run")
    ok = s["kept"] == s["runs"] and s["simple"] == s["kept"] and s["kept"] > 0
    per = "; ".join(f"lambda = {lam}: norm / min {describe_spread(m['interp_norm_ratio_spread'][ds][lam], '.5g')}, kinks "
                    f"{describe_spread(m['interp_kinks_spread'][ds][lam], '.2g')}, gap to linear interpolation "
                    f"{describe_spread(m['interp_gap_spread'][ds][lam], '.1e')}" for lam in s["scales"])
    return row("F2.9a", where, f"{finding} ({ds})", "every run (seeds x lambda <= 1e-6) fits and ends with ||theta|| "
               "within 1% of the minimum, within 1% of the linear interpolation, at most n kinks",
               f"{s['simple']} of {s['runs']} runs; {per}",
               "reproduced" if ok else "thesis contradicted" if s["kept"] and s["simple"] == 0 else "differs")


def complexity_row(m: dict, ds: str | None) -> dict:
    """Fig 2.9's left and middle panels: larger lambda gives more complex final models on ``ds``."""
    where, finding = "Fig 2.9, L1117", "Larger lambda (1, 2.5) gives more complex final models"
    c = None if ds is None else m["interp_complexity"][ds]
    if c is None or not c["big"] or len(m["interp_scales"]) < 2:
        return row("F2.9b", where, finding, "-", "no interpolator runs at lambda >= 1 and a smaller lambda", "not run")
    ok = c["compared"] == c["seeds"] and c["compared"] > 0 and c["norm_grows"] == c["more_kinks"] == c["compared"]
    kinks = {k: describe_spread(v, ".2g") for k, v in m["interp_kinks_spread"][ds].items()}
    norms = {k: describe_spread(v, ".3g") for k, v in m["interp_norm_ratio_spread"][ds].items()}
    return row("F2.9b", where, f"{finding} ({ds})", "in every seed ||theta|| grows strictly with lambda from the "
               "largest lambda < 1 on, and every lambda >= 1 has more kinks than the smallest lambda",
               f"norm grows in {c['norm_grows']}, more kinks in {c['more_kinks']} of {c['compared']} seeds compared "
               f"({c['seeds']} run); kinks {kinks}; norm / min {norms}",
               "reproduced" if ok else "thesis contradicted" if c["compared"] and not c["norm_grows"]
               and not c["more_kinks"] else "differs")


def finding_rows(metrics: dict) -> list[dict]:
    """The thesis's findings this experiment tests, one row each, verdicts from the over-seed numbers
    of ``metrics`` (this experiment's metrics.json)."""
    m = metrics
    sets = m.get("interp_complexity", {})
    ds = "1.1.0" if "1.1.0" in sets else next(iter(sets), None)
    rows = [simple_row(m, ds), complexity_row(m, ds)]
    g = m.get("scaled_groups_seeds")
    if not g:
        rows.append(row("F3.16", "Fig 3.16, L1313", "1.1.2 with one label scaled: still two alignment directions", "-",
                        "no scaled-label run", "not run"))
    else:
        sums = {k: groups_summary(v) for k, v in g.items()}
        kept_all = sum(s["kept"] for s in sums.values())
        two = sum(s["two"] for s in sums.values())
        ok = kept_all == sum(s["seeds"] for s in sums.values()) and two == kept_all and kept_all > 0
        rows.append(row("F3.16", "Fig 3.16, L1313", "1.1.2 with one label multiplied: still two directions of alignment",
                        f"every seed of every variant fits with exactly two neuron groups carrying >= "
                        f"{m['group_share']:g} of sum |a_j| ||w_j||",
                        "; ".join(f"{k}: {s['two']} of {s['kept']} fitted (counts {kept(g[k])})" for k, s in sums.items()),
                        "reproduced" if ok else "thesis contradicted" if kept_all and two == 0 else "differs"))
    o, s = m.get("opposite_profile"), m.get("same_sign_slowdown")
    if o is None:
        rows.append(row("F3.25", "Fig 3.25, L1467", "Opposite-sign inputs: the loss profile is unchanged for every delta",
                        "-", "no quasi-orthogonal run", "not run"))
        rows.append(row("F3.26", "Fig 3.26, L1480", "Both inputs positive: a new slowdown between the initial and the "
                        "intermediate plateaus", "-", "no quasi-orthogonal run", "not run"))
        return rows
    rows.append(row("F3.25", "Fig 3.25, L1467", "Quasi-orthogonal inputs of opposite signs: the loss profile remains "
                    "unchanged for every tested delta, even very high",
                    "every fitted run at the thesis's deltas: exactly 2 plateaus (initial at L(0), intermediate at "
                    "one label fitted, within 2%) and no slowdown (relative-rate rule)",
                    f"{o['unchanged']} of {o['runs']} runs" + (f"; changed in every seed: {o['failing']}" if o["failing"]
                                                               else "")
                    + (f"; extra deltas {o['extra_unchanged']} of {o['extra_runs']}" if o["extra_runs"] else "")
                    + (f"; initial plateau {lr['shortest'][1]:.0f} (delta {lr['shortest'][0]}) to {lr['longest'][1]:.0f} "
                       f"(delta {lr['longest'][0]}) epochs" if (lr := m.get("opposite_initial_length")) else ""),
                    opposite_verdict(o)))
    rows.append(row("F3.26", "Fig 3.26, L1480", "Both inputs positive: a new slowdown appears between the initial and "
                    "the intermediate plateaus",
                    "every fitted same-sign run at the thesis's deltas: >= 1 slowdown (extra plateau or a dip of the "
                    f"decline speed below {m['slowdown_ratio']:g} of both peaks) between those plateaus",
                    f"{s['with']} of {s['runs']} runs" + (f"; none in {s['without']}" if s["without"] else "")
                    + (f"; extra deltas (x_1 the smaller) {s['extra_with']} of {s['extra_runs']}" if s["extra_runs"]
                       else ""), same_verdict(s)))
    return rows


# -- training --------------------------------------------------------------------------------------
def record_steps(epochs: int, every: int, dense: int) -> np.ndarray:
    """Steps to record: every ``every`` up to ``dense``, every ``10 every`` after, and the last."""
    head = np.arange(0, min(dense, epochs) + 1, every)
    tail = np.arange(head[-1], epochs + 1, 10 * every)
    return np.unique(np.r_[head, tail, epochs]).astype(np.int64)


def finish(traj, windows: bool, levels, cfg: Config) -> dict:
    """What a unit stores: the run without parameter snapshots, and (``windows``) the parameters at
    the :func:`window_indices` of its loss curve."""
    out = {"run": dataclasses.replace(traj, a=None, W=None, c=None), "windows": None}
    if windows and traj.has_snapshots:
        prof = loss_profile(traj.steps, traj.train_loss, levels, fit_level=cfg.fit_level, ratio=cfg.slowdown_ratio,
                            level_tol=cfg.level_tol)
        idx = window_indices(traj.steps, traj.train_loss, prof)
        out["windows"] = {"steps": np.asarray(traj.steps)[idx], "a": traj.a[idx], "W": traj.W[idx]}
    return out


def plan(cfg: Config, seeds: list) -> list[tuple[dict, tuple]]:
    """Every unit: (its settings, (X, y, scale, epochs, record steps, seed, windows, one-label levels))."""
    units = []
    for s in seeds:
        for ds in cfg.interp_datasets:
            X, y = data.thesis(ds)
            steps = record_steps(cfg.interp_epochs, max(1, cfg.interp_epochs // 300), cfg.interp_epochs)
            for lam in cfg.interp_scales:
                units.append(({"part": "interp", "dataset": ds, "scale": lam, "seed": s},
                              (X, y, lam, cfg.interp_epochs, steps, s, False, one_label_levels(y))))
        steps = record_steps(cfg.epochs, cfg.record_every, cfg.dense_epochs)
        for k in cfg.scaled:
            X, y = scaled_data(k, cfg.label_factor)
            units.append(({"part": "scaled", "label": k, "factor": cfg.label_factor, "seed": s},
                          (X, y, cfg.scale_small, cfg.epochs, steps, s, s == cfg.seed, one_label_levels(y))))
        for sign in (-1, 1):
            for d in cfg.deltas:
                X, y = data.thesis("1.2", delta=d, sign=sign)
                units.append(({"part": "delta", "delta": d, "sign": sign, "seed": s},
                              (X, y, cfg.scale_small, cfg.epochs, steps, s, s == cfg.seed and d in window_deltas(cfg, sign),
                               one_label_levels(y))))
    return units


def window_deltas(cfg: Config, sign: int) -> tuple:
    """The deltas whose windows are drawn for the quasi-orthogonal runs of ``sign``."""
    return cfg.windows_minus if sign < 0 else cfg.windows_plus


def unit_key(settings: dict) -> tuple:
    """('interp', dataset, scale, seed), ('scaled', label, seed) or ('delta', sign, delta, seed)."""
    part = settings["part"]
    if part == "interp":
        return part, settings["dataset"], settings["scale"], settings["seed"]
    if part == "scaled":
        return part, settings["label"], settings["seed"]
    return part, settings["sign"], settings["delta"], settings["seed"]


def train_units(ctx, cfg: Config, units: list) -> list:
    """``ctx.run("train", ..., **settings)`` of every unit: stored ones are read, the missing ones train
    together in one sweep over the cores and are stored one by one (:meth:`Context.run_many`)."""
    def sweep(missing):
        specs = []
        for j in missing:
            X, y, lam, epochs, steps, seed, windows, _ = units[j][1]
            net = balanced_net(X.shape[1], cfg.width, "relu", lam, seed)
            specs.append(prepare(net, X, y, **THESIS_LOSS, optimizer=GD(cfg.lr), steps=epochs, record_at=steps,
                                 engine=ctx.engine, snapshots=windows, quiet=True))
        trajs = run_prepared(specs, on_divergence="keep", quiet=ctx.quiet)
        return [finish(t, units[j][1][6], units[j][1][7], cfg) for j, t in zip(missing, trajs)]

    return ctx.run_many("train", [st for st, _ in units], sweep)


def check(cfg: Config) -> None:
    for key in ("windows_minus", "windows_plus"):
        if not set(getattr(cfg, key)) <= set(cfg.deltas):
            raise InvalidParameter(key, getattr(cfg, key), "expected deltas that are also in deltas")
    if len(set(cfg.scaled)) != len(cfg.scaled):
        raise InvalidParameter("scaled", cfg.scaled, "expected each label (1, 2) at most once")


# -- per-part summaries -------------------------------------------------------------------------------
def interp_summary(values: dict, cfg: Config, seeds: list, mins: dict) -> dict:
    """{(dataset, scale key): {seed: {health, shape numbers or None}}}."""
    out = {}
    for ds in cfg.interp_datasets:
        X, y = data.thesis(ds)
        for lam in cfg.interp_scales:
            for s in seeds:
                v = values[("interp", ds, lam, s)]
                h = health(v["run"], cfg.interp_fit_level)
                out.setdefault((ds, f"{lam:g}"), {})[s] = {
                    "health": h, "shape": shape_numbers(v["run"].final, X, y, mins[ds]) if h["status"] == "ok" else None}
    return out


def profile_of(value: dict, y, cfg: Config):
    """(health, :func:`loss_profile` or None when flagged) of one stored run, in epochs."""
    t = value["run"]
    h = health(t, cfg.fit_level)
    if h["status"] != "ok":
        return h, None
    return h, loss_profile(t.steps, t.train_loss, one_label_levels(y), fit_level=cfg.fit_level,
                           ratio=cfg.slowdown_ratio, level_tol=cfg.level_tol)


def window_nets(value: dict) -> list[tuple[int, Net]]:
    w = value["windows"]
    return [] if w is None else [(int(st), Net(a, W, None, "relu", "none")) for st, a, W in zip(w["steps"], w["a"], w["W"])]


# -- figures -----------------------------------------------------------------------------------------
def draw_loss(ax, value, prof, title: str, marks=()):
    """A run's loss on a linear axis (plateaus at L(0) and one label fitted show as flat stretches),
    its plateaus (red) and slowdowns (orange) shaded, ``marks`` (epochs) dotted."""
    t = value["run"]
    ax.plot(t.steps, t.train_loss, color="k", lw=1.3)
    if prof is not None:
        for i, p in enumerate(prof["plateaus"]):
            ax.axvspan(p["start"], p["end"], color="tab:red", alpha=0.15, lw=0, label="plateau" if i == 0 else None)
        for i, s in enumerate(prof["shoulders"]):
            ax.axvspan(s["start"], s["end"], color="tab:orange", alpha=0.35, lw=0, label="slowdown" if i == 0 else None)
        ax.set_xlim(0, 1.3 * prof["fit_time"])
    for st in marks:
        ax.axvline(st, color="0.5", ls=":", lw=0.8)
    ax.set_ylim(0, 1.1 * float(t.train_loss[0]))
    label(ax, "epoch", "training loss", title)
    if prof is not None and (prof["plateaus"] or prof["shoulders"]):
        ax.legend(fontsize=6, loc="upper right")


def bare(ax) -> None:
    """No axis labels on a middle window (the row's first and last carry them): quicker to lay out."""
    for a in ax.get_shared_x_axes().get_siblings(ax):
        a.set_xlabel("")
        a.set_ylabel("")


def window_row(axes, value, prof, X, y, name: str, h: dict):
    """One row: the loss curve with its plateaus and slowdowns, then the model and neurons at each window."""
    nets = window_nets(value)
    text = "" if prof is None else f": {prof['count']} pl., {len(prof['shoulders'])} sh."
    draw_loss(axes[0], value, prof, f"{name}{text}{status_tag(h)}", [st for st, _ in nets])
    x = np.asarray(X)[:, 0]
    xlim = (min(-3.0, x.min() - 1), max(4.0, x.max() + 1))
    signs = np.sign(nets[0][1].a) if nets else None
    for k, ax in enumerate(axes[1:]):
        if k < len(nets):
            st, net = nets[k]
            orientation_plane(ax, net, x, y, xlim=xlim, signs=signs, title=f"epoch {st}", legend=False)
            if 0 < k < len(nets) - 1:
                bare(ax)
        else:
            ax.axis("off")


def counts_panel(ax, cases: dict, seeds_of: dict, ylabel: str, title: str):
    """A per-case count over seeds (mean with range) against delta, one series per sign."""
    for k, sign in enumerate((-1, 1)):
        keys = [key for key, c in cases.items() if c["sign"] == sign]
        d = np.array([cases[key]["delta"] for key in keys]) * (1.1 if k else 1 / 1.1)
        vals = [[np.nan if v is None else v for v in seeds_of[key]] for key in keys]
        arr = np.array(vals, dtype=float)
        ok = np.isfinite(arr).any(axis=1)
        if not ok.any():
            continue
        mean = np.array([np.nanmean(r) for r in arr[ok]])
        lo, hi = np.array([np.nanmin(r) for r in arr[ok]]), np.array([np.nanmax(r) for r in arr[ok]])
        ax.errorbar(d[ok], mean, yerr=[mean - lo, hi - mean], fmt="os"[k] + "-", color=series_colour(k + 1),
                    capsize=3, label=f"x_1,1 = -0.5 {'-+'[k]} delta/2")
        same = np.array([cases[key]["kind"] == "same" for key in keys])
        if (same & ok).any():
            ax.plot(d[same & ok], mean[same[ok]], "*", color="tab:red", ms=11, label="both inputs positive")
    ax.set_xscale("log")
    label(ax, "delta", ylabel, title, legend=True, fontsize=6)


# -- the experiment -----------------------------------------------------------------------------------
def run(cfg: Config, ctx) -> dict:
    check(cfg)
    seeds = [cfg.seed + k for k in range(cfg.seeds)]
    units = plan(cfg, seeds)
    stored = train_units(ctx, cfg, units)
    values = {unit_key(st): v for (st, _), v in zip(units, stored)}
    mins = {ds: (min_norm(*data.thesis(ds)) if orthogonal(data.thesis(ds)[0]) else
                 ctx.run("min_norm", lambda ds=ds: min_norm(*data.thesis(ds)), dataset=ds))
            for ds in cfg.interp_datasets}
    out = {"seeds": seeds}
    flagged = {}
    out.update(interpolators_part(cfg, ctx, seeds, values, mins, flagged))
    out.update(scaled_part(cfg, ctx, seeds, values, flagged))
    out.update(delta_part(cfg, ctx, seeds, values, flagged))
    out["excluded_seeds"] = {k: h["reason"] for k, h in flagged.items() if h["status"] != "ok"}
    out["group_share"], out["slowdown_ratio"] = cfg.group_share, cfg.slowdown_ratio
    ctx.note("Findings: " + " ".join(f"[{r['id']}] {r['verdict']}: {r['measured']}." for r in finding_rows(out)))
    return out


def interpolators_part(cfg, ctx, seeds, values, mins, flagged) -> dict:
    """Fig 2.9: the drawn seed's final interpolators per scale, shape numbers over seeds."""
    summ = interp_summary(values, cfg, seeds, mins)
    keys = [f"{lam:g}" for lam in cfg.interp_scales]
    out = {"interp_scales": list(cfg.interp_scales), "interp_min_norm": mins}
    names = ("kinks", "norm_ratio", "max_slope", "interp_gap")
    metric_key = {"kinks": "interp_kinks", "norm_ratio": "interp_norm_ratio", "max_slope": "interp_max_slope",
                  "interp_gap": "interp_gap"}
    for n in names:
        out[metric_key[n] + "_seeds"] = {ds: {k: [None if summ[(ds, k)][s]["shape"] is None else
                                                  summ[(ds, k)][s]["shape"][n] for s in seeds] for k in keys}
                                         for ds in cfg.interp_datasets}
        out[metric_key[n] + "_spread"] = {ds: {k: spread_or_none(v) for k, v in out[metric_key[n] + "_seeds"][ds].items()}
                                          for ds in cfg.interp_datasets}
        out[metric_key[n]] = {ds: {k: out[metric_key[n] + "_seeds"][ds][k][0] for k in keys}
                              for ds in cfg.interp_datasets}
    out["interp_health_seeds"] = {ds: {k: [summ[(ds, k)][s]["health"]["status"] for s in seeds] for k in keys}
                                  for ds in cfg.interp_datasets}
    out["interp_simple"], out["interp_complexity"] = {}, {}
    smalls = [k for lam, k in zip(cfg.interp_scales, keys) if lam <= SMALL]
    for ds in cfg.interp_datasets:
        X, y = data.thesis(ds)
        seed_vals = {n: out[metric_key[n] + "_seeds"][ds] for n in names}
        pool = {n: [v for k in smalls for v in seed_vals[n][k]] for n in ("kinks", "norm_ratio", "interp_gap")}
        out["interp_simple"][ds] = {**simple_summary(pool["kinks"], pool["norm_ratio"], pool["interp_gap"], len(y)),
                                    "scales": smalls} if smalls else None
        out["interp_complexity"][ds] = complexity_summary(list(cfg.interp_scales),
                                                          [seed_vals["norm_ratio"][k] for k in keys],
                                                          [seed_vals["kinks"][k] for k in keys])
        for k in keys:
            for s in seeds:
                flagged[f"{ds}, lambda = {k}, seed {s}"] = summ[(ds, k)][s]["health"]
        fig, axes = new_figure(max(len(keys), 3), 2, width=3.9, height=3.3)
        for ax in [*axes[0, len(keys):], *axes[1, 3:]]:
            ax.axis("off")
        lo, hi = view_interval(X[:, 0])
        for ax, lam, k in zip(axes[0], cfg.interp_scales, keys):
            v = values[("interp", ds, lam, cfg.seed)]
            h = summ[(ds, k)][cfg.seed]["health"]
            sh = summ[(ds, k)][cfg.seed]["shape"]
            orientation_plane(ax, v["run"].final, X[:, 0], y, xlim=(lo, hi), legend=lam == cfg.interp_scales[0],
                              signs=np.sign(balanced_net(2, cfg.width, "relu", lam, cfg.seed).a),
                              title=f"lambda = {k}" + (f": {sh['kinks']} kinks, norm/min "
                                                                         f"{sh['norm_ratio']:.3g}" if sh else "")
                              + status_tag(h))
        scales = np.array(cfg.interp_scales)
        for ax, n, yl in zip(axes[1], ("kinks", "norm_ratio", "max_slope"),
                             ("visible kinks", "||theta|| / minimum norm", "max |h'(x)|")):
            vals = [[np.nan if v is None else v for v in seed_vals[n][k]] for k in keys]
            if np.isfinite(np.array(vals, dtype=float)).any():
                mean_band(ax, scales, vals, label="mean, range over seeds", colour=series_colour(0))
                for r in range(len(seeds)):
                    ax.plot(scales, [row_[r] for row_ in vals], ".", color="0.5", ms=4)
            ax.set_xscale("log")
            if n != "kinks":
                ax.set_yscale("log")
            if n == "norm_ratio":
                ax.axhline(1.0, color="r", ls=":", lw=1, label="minimum norm")
            if n == "max_slope":
                ax.axhline(np.max(np.abs(np.diff(y[np.argsort(X[:, 0])]) / np.diff(np.sort(X[:, 0])))), color="r",
                           ls=":", lw=1, label="linear interpolation")
            label(ax, "lambda", yl, f"{yl} over {len(seeds)} seeds", legend=True, fontsize=6)
        sentence = interpolators_sentence(list(cfg.interp_scales), out["interp_simple"][ds],
                                          out["interp_complexity"][ds], out["interp_norm_ratio_spread"][ds],
                                          out["interp_kinks_spread"][ds], ds)
        ctx.figure(fig, f"interpolators_{ds.replace('.', '_')}", f"Final ReLU interpolators on {ds} (thesis Fig 2.9)",
                   f"ReLU, m = {cfg.width}, balanced start, GD step {cfg.lr:g}, {cfg.interp_epochs} epochs, "
                   f"{len(seeds)} seeds. Top: seed {cfg.seed}'s final model and neurons (orientation / signed norm) at "
                   f"each lambda. Bottom: over seeds, the visible kinks in [{lo:g}, {hi:g}], ||theta|| over the exact "
                   f"minimum norm {mins[ds]:.5g} and the largest slope. " + sentence + " "
                   + flagged_sentence({k_: h for k_, h in flagged.items() if k_.startswith(ds)}))
        ctx.note(sentence)
    return out


def scaled_part(cfg, ctx, seeds, values, flagged) -> dict:
    """Fig 3.16: 1.1.2 with one label scaled: loss and windows of the drawn seed, directions over seeds."""
    names = {k: scaled_name(k, cfg.label_factor) for k in cfg.scaled}
    groups, plateaus, kinks, angles, health_s = {}, {}, {}, {}, {}
    rows = []
    for k in cfg.scaled:
        X, y = scaled_data(k, cfg.label_factor)
        n = names[k]
        groups[n], plateaus[n], kinks[n], health_s[n] = [], [], [], []
        for s in seeds:
            v = values[("scaled", k, s)]
            h, prof = profile_of(v, y, cfg)
            flagged[f"1.1.2 {n}, seed {s}"] = h
            health_s[n].append(h["status"])
            ok = prof is not None
            g = neuron_directions(v["run"].final, share=cfg.group_share) if ok else None
            groups[n].append(None if g is None else len(g))
            plateaus[n].append(prof["count"] if ok else None)
            kinks[n].append(int(len(analysis.kinks(analysis.bias_input_as_bias(v["run"].final), (-5.0, 110.0),
                                                   merge=1e-3))) if ok else None)
            if s == cfg.seed:
                angles[n] = None if g is None else [round(x["angle"], 3) for x in g]
                rows.append((v, prof, X, y, n, h))
    fig, axes = new_figure(1 + MOST_WINDOWS, len(rows), width=3.3, height=2.9)
    for r, (v, prof, X, y, n, h) in enumerate(rows):
        window_row(axes[r], v, prof, X, y, f"1.1.2, {n}", h)
    sentence = scaled_sentence(groups)
    ctx.figure(fig, "scaled_label", "Data set 1.1.2 with one label scaled (thesis Fig 3.16)",
               f"ReLU, m = {cfg.width}, balanced start lambda = {cfg.scale_small:g}, GD step {cfg.lr:g}; labels "
               + ", ".join(f"{names[k]} = {scaled_data(k, cfg.label_factor)[1].tolist()}" for k in cfg.scaled)
               + f". Left: seed {cfg.seed}'s loss (red: plateaus by the thesis's rule; orange: slowdowns), dotted lines "
               "at the windows; right: model and neurons at those epochs. Alignment directions: neuron groups within "
               f"1 deg carrying >= {cfg.group_share:g} of sum_j |a_j| ||w_j||. " + sentence
               + f" Plateaus over seeds: {plateaus}. " + flagged_sentence({k_: h for k_, h in flagged.items()
                                                                             if k_.startswith("1.1.2")}))
    ctx.note(sentence)
    return {"scaled_labels": {names[k]: scaled_data(k, cfg.label_factor)[1].tolist() for k in cfg.scaled},
            "scaled_groups_seeds": groups, "scaled_groups_spread": {n: spread_or_none(v) for n, v in groups.items()},
            "scaled_plateaus_seeds": plateaus, "scaled_kinks_seeds": kinks, "scaled_angles": angles,
            "scaled_health_seeds": health_s}


def delta_part(cfg, ctx, seeds, values, flagged) -> dict:
    """Figs 3.25-3.26: loss curves over the delta set, windows over time, the two claims over seeds."""
    cases = {delta_key(sign, d): delta_case(sign, d) for sign in (-1, 1) for d in cfg.deltas}
    profs = {}
    for key, c in cases.items():
        X, y = data.thesis("1.2", delta=c["delta"], sign=c["sign"])
        for s in seeds:
            h, prof = profile_of(values[("delta", c["sign"], c["delta"], s)], y, cfg)
            flagged[f"delta {key}, seed {s}"] = h
            profs[(key, s)] = (h, prof)
    per = lambda f: {key: [None if profs[(key, s)][1] is None else f(profs[(key, s)][1]) for s in seeds]  # noqa: E731
                     for key in cases}
    ortho, between = per(lambda p: p["orthogonal"]), per(lambda p: p["between"])
    fitted = {key: [profs[(key, s)][1] is not None for s in seeds] for key in cases}
    o, sm = opposite_summary(cases, ortho), same_summary(cases, between, fitted)
    out = {"delta_cases": cases, "delta_plateaus_seeds": per(lambda p: p["count"]),
           "delta_slowdowns_between_seeds": between, "delta_slowdowns_elsewhere_seeds": per(lambda p: p["elsewhere"]),
           "delta_orthogonal_profile_seeds": ortho, "delta_fit_epoch_seeds": per(lambda p: p["fit_time"]),
           "delta_initial_length_seeds": per(lambda p: p["initial_length"]),
           "delta_intermediate_length_seeds": per(lambda p: p["intermediate_length"]),
           "delta_dip_seeds": per(lambda p: None if p["dip"] is None else round(p["dip"], 4)),
           "delta_rise_seeds": per(lambda p: p["rise"]),
           "delta_health_seeds": {key: [profs[(key, s)][0]["status"] for s in seeds] for key in cases},
           "opposite_profile": o, "same_sign_slowdown": sm}
    out["opposite_initial_length"] = length_range(cases, out["delta_initial_length_seeds"])
    out["delta_plateaus"] = {k: v[0] for k, v in out["delta_plateaus_seeds"].items()}
    out["delta_slowdowns_between"] = {k: v[0] for k, v in between.items()}
    out["delta_plateau_levels"] = {key: None if profs[(key, cfg.seed)][1] is None else
                                   [round(p["level"], 4) for p in profs[(key, cfg.seed)][1]["plateaus"]] for key in cases}

    # Figure: loss curves over the delta set (the left windows of Figs 3.25-3.26), counts over seeds.
    fig, axes = new_figure(4, 1, width=4.2, height=3.5)
    top = 0.0
    for ax, sign in zip(axes[0, :2], (-1, 1)):
        keys = [key for key, c in cases.items() if c["sign"] == sign]
        for i, key in enumerate(keys):
            c = cases[key]
            for s in seeds:
                t = values[("delta", sign, c["delta"], s)]["run"]
                ok = profs[(key, s)][0]["status"] == "ok"
                ax.plot(t.steps, t.train_loss, color=series_colour(i),
                            lw=1.4 if s == cfg.seed else 0.6, ls=("-" if c["kind"] != "same" else "--") if ok else ":",
                            label=f"delta = {c['delta']:g} ({c['kind']})" if s == cfg.seed else None)
                if profs[(key, s)][1] is not None:
                    top = max(top, profs[(key, s)][1]["fit_time"])
        ax.set_ylim(0, 1.1)
        label(ax, "epoch", "training loss", f"x_1,1 = -0.5 {'-+'[sign == 1]} delta/2, lambda = {cfg.scale_small:g}",
              legend=True, fontsize=6)
    for ax in axes[0, :2]:
        ax.set_xlim(0, 1.2 * top if top else cfg.epochs)
    counts_panel(axes[0, 2], cases, out["delta_plateaus_seeds"], "plateaus (mean, range)",
                 "plateaus by the thesis's rule")
    counts_panel(axes[0, 3], cases, between, "slowdowns (mean, range)", "slowdowns, initial to intermediate")
    text = opposite_sentence(o) + " " + length_sentence(out["opposite_initial_length"]) + " " + same_sentence(sm)
    ctx.figure(fig, "delta_loss", "Loss curves along the delta sweep (thesis Figs 3.25-3.26)",
               f"ReLU, m = {cfg.width}, balanced start lambda = {cfg.scale_small:g}, GD step {cfg.lr:g}, {len(seeds)} "
               f"seeds (thick: seed {cfg.seed}; dashed: both inputs positive; dotted: flagged). Data 1.2: x_1 = "
               "-0.5 +- delta/2, x_2 = 2, labels -1, 1; loss on a linear axis, where the plateaus at L(0) = 1 and at one label "
               "fitted (0.5) are flat stretches. Right: plateaus (thesis rule, appendix C.1.4) and slowdowns "
               "between the initial plateau (at L(0)) and the intermediate one (at one label fitted): a further "
               f"plateau, or a dip of the decline speed below {cfg.slowdown_ratio:g} of its peaks on both sides; red "
               "stars: both inputs positive. " + text + " "
               + flagged_sentence({k: h for k, h in flagged.items() if k.startswith("delta")}))
    ctx.note(text)

    # Figures: windows of model + neurons over time, one per sign.
    out["window_steps"] = {}
    for sign in (-1, 1):
        keys = [key for key, c in cases.items() if c["sign"] == sign and c["delta"] in window_deltas(cfg, sign)]
        if not keys:
            continue
        fig, axes = new_figure(1 + MOST_WINDOWS, len(keys), width=3.3, height=2.9)
        for r, key in enumerate(keys):
            c = cases[key]
            X, y = data.thesis("1.2", delta=c["delta"], sign=sign)
            v = values[("delta", sign, c["delta"], cfg.seed)]
            h, prof = profs[(key, cfg.seed)]
            window_row(axes[r], v, prof, X, y, f"delta {key}", h)
            out["window_steps"][key] = [st for st, _ in window_nets(v)]
        name = "minus" if sign < 0 else "plus"
        ctx.figure(fig, f"delta_windows_{name}", f"Model and neurons over time, x_1,1 = -0.5 {'-+'[sign == 1]} delta/2 "
                   "(thesis Figs 3.25-3.26)",
                   f"Seed {cfg.seed}, lambda = {cfg.scale_small:g}, m = {cfg.width}. Each row: the loss curve (red: "
                   "plateaus; orange: slowdowns; dotted: the windows) and the model h(x) (green) with the neurons at "
                   "(-w_j2/w_j1, s_j ||w_j||) (blue) and the data (red) at the start, the end of the initial plateau, "
                   "each slowdown, the middle of each later plateau, the fit and the end. Plateau levels (seed "
                   f"{cfg.seed}): " + "; ".join(f"{k}: {out['delta_plateau_levels'][k]}" for k in keys) + ".")
    return out


register(Experiment(
    name="relu-interpolators", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis Fig 2.9, Fig 3.16 and section 3.2: final ReLU interpolators against the minimum norm across "
                "scales, 1.1.2 with a scaled label, and the delta sweep on quasi-orthogonal data (loss profiles, "
                "slowdowns, windows over time), over several seeds.",
    config=Config, run=run, quick=QUICK, findings=finding_rows,
    source="thesis, Fig 2.9, Fig 3.16 and section 3.2, Figs 3.25-3.26"))

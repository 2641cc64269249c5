"""Seed 003, sections 3.1.3-3.1.4, 3.5 and appendices C.1.5, C.2 (Figs 3.21, 3.23, C.13-C.18,
Conjecture 3): the S-curve drawn by Sigmoid and Tanh neurons in the (w_j1, w_j2) plane, fitted by a
sum of two activation-shaped functions.

Runs: h(x) = sum_j a_j sigma(w_j . x) on x = (x, 1), balanced start of scale lambda = 1e-6, loss
(1/n) sum (h - y)^2, GD; data set 1.1.4 (x = -0.1, 10, labels -c, c with c = 75) and 1.1.0 (x = -0.5,
2, labels -1, 1); m = 100 (Figs 3.18, 3.21, 3.23, C.13, C.14) and m = 60 with step 1e-4 (Figs C.15-C.18).

The fit (thesis section 3.1.4): the neurons of several snapshots W^t (and, for Conjecture 3, of the
final W alone) with their anti-neurons -w_j, scaled by their largest norm R, are pre-rotated by PCA;
the thesis's symmetry axis (the direction of the two tails, where the neurons are farthest from the
origin) starts a least-squares fit (scipy) of the rotation phi and of

- Sigmoid, eq (3.1) with f(0) = 0 (K = -K_1 = K_2): f(u) = K (S(k_2 u) - S(k_1 u)), S the logistic;
- Tanh, eq (3.2): f(u) = K_1/2 tanh(k_1 u / 2) + K_2/2 tanh(k_2 u / 2),

to the rotated points (u, v) = rot(-phi) w / R by vertical residuals v - f(u). The goodness of fit is
the orthogonal distance of every point to the fitted curve, relative to the cloud's extent 2R (RMS
and largest); the same is reported for a straight line through the origin and for one term (a
single S-shape), so that a good fit of f is told apart from neurons that lie on a line anyway.

Conjecture 3 also implies that the final interpolator equals that of a two-neuron network: the best
two-neuron fit of h on the data interval (extended by a quarter of its span on each side) is given
relative to the range of h.

Every (setting, seed) pair of activations is one stored unit ``ctx.run("train", ...)`` holding the
loss curve and the parameters at a few snapshots; every fit is a stored unit ``ctx.run("fit", ...)``.
Runs that diverge, nearly diverge or do not reach ``fit_level`` x mean(y^2) are flagged and left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares
from scipy.spatial import cKDTree
from scipy.special import expit

from .. import analysis, data
from ..analysis.seeds import flagged_sentence, run_health, spread_or_none, status_tag
from ..data import with_bias
from ..errors import InvalidParameter
from ..optim import GD
from ..plots import label, new_figure, orientation_plane, weight_plane
from ..plots.neurons import osn_points
from ..plots.style import series_colour
from ..sweep import train_many
from ..trajectory import log_steps
from . import Experiment, register
from .base import THESIS_LOSS, balanced_net, param
from .budget import SEED_MAX

ACTIVATIONS = ("sigmoid", "tanh")
# setting -> (data set, which width / step fields, thesis figures)
SETTINGS = {"fit_1_1_4": ("1.1.4", "fit", {"sigmoid": "Fig 3.21", "tanh": "Fig 3.23"}),
            "fit_1_1_0": ("1.1.0", "fit", {"sigmoid": "Fig C.13", "tanh": "Fig C.14"}),
            "c_1_1_4": ("1.1.4", "c", {"sigmoid": "Figs C.15, C.16", "tanh": "Figs C.17, C.18"})}
SNAP_FRACTIONS = (0.99, 0.9, 0.6, 0.3, 0.1, 0.01)   # snapshots where the loss first falls below these
FORMS = ("line", "one", "two")
NFEV = 300             # evaluations per least-squares start (a term that steepens into a step stops there)
CLEAR_MISS = 5.0        # a fit "clearly misses" when its RMS distance exceeds this many tolerances


@dataclass
class Config:
    scale: float = param(1e-6, "Balanced initialisation scale lambda of every run.", gt=0, le=1)
    c: float = param(75.0, "Label factor c of data set 1.1.4 (labels -c, c).", gt=0, le=1000)
    width_fit: int = param(100, "Hidden neurons m of the fitted runs (Figs 3.18, 3.21, 3.23, C.13, C.14).", ge=2,
                           le=5000)
    lr_fit: float = param(1e-3, "GD step of the fitted runs (their captions give none; the thesis's default).", gt=0,
                          le=1)
    width_c: int = param(60, "Hidden neurons m of the runs of Figs C.15-C.18.", ge=2, le=5000)
    lr_c: float = param(1e-4, "GD step of the runs of Figs C.15-C.18.", gt=0, le=1)
    epochs: int = param(300_000, "GD steps (full-batch epochs) of every run.", ge=10, le=3_000_000)
    records: int = param(150, "About this many log-spaced points of the loss are recorded per run.", ge=20, le=1000)
    fit_level: float = param(0.01, "A run is fitted when its final loss is below fit_level x mean(y^2) (0.01 on "
                             "1.1.0, 56 on 1.1.4 with c = 75); other runs are flagged and left out.", gt=0, le=1)
    tolerance: float = param(0.01, "A curve describes the neurons when their RMS distance to it is at most this "
                             "fraction of their extent 2 max ||w_j|| (two-neuron h: of the range of h).", gt=0,
                             le=1)
    seeds: int = param(5, "Seeds seed + k (k < seeds) of the initial directions and signs; every number is "
                       "given over them with its spread.", ge=1, le=20)
    seed: int = param(0, "Seed of the drawn runs (the figures' neurons); the other seeds follow it.", ge=0,
                      le=SEED_MAX - 20)


QUICK = {"epochs": 60_000, "records": 120, "seeds": 2}


def check(cfg: Config) -> None:
    """Settings that depend on each other: the drawn seed range."""
    if cfg.seed + cfg.seeds - 1 > SEED_MAX:
        raise InvalidParameter("seeds", cfg.seeds, f"expected seed + seeds - 1 <= {SEED_MAX}")


def setting_data(name: str, cfg: Config):
    """(X, y, width, lr) of setting ``name`` of :data:`SETTINGS`."""
    ds, kind, _ = SETTINGS[name]
    X, y = data.thesis(ds, c=cfg.c) if ds == "1.1.4" else data.thesis(ds)
    return X, y, getattr(cfg, f"width_{kind}"), getattr(cfg, f"lr_{kind}")


# -- training: one stored unit per (setting, seed) ---------------------------------------------------
def slim(traj) -> dict:
    """What the figures and fits need of a run: the loss at the recorded steps, the parameters at the
    snapshots of :data:`SNAP_FRACTIONS` (with the start and the end), the final net, divergence."""
    idx = analysis.loss_fraction_indices(traj.train_loss, SNAP_FRACTIONS) if np.isfinite(traj.train_loss).all() \
        else [0, len(traj) - 1]
    return {"steps": np.asarray(traj.steps), "loss": np.asarray(traj.train_loss), "snap_steps": traj.steps[idx],
            "W": traj.W[idx], "a": traj.a[idx], "net": traj.final, "diverged": "diverged" in traj.info}


def train_setting(name: str, seed: int, cfg: Config, ctx) -> dict:
    """Both activations' runs of setting ``name`` from seed ``seed`` ({activation: :func:`slim` dict})."""
    X, y, width, lr = setting_data(name, cfg)
    nets = [balanced_net(2, width, act, cfg.scale, seed) for act in ACTIVATIONS]
    runs = train_many(nets, X, y, **THESIS_LOSS, optimizer=GD(lr), steps=cfg.epochs, engine=ctx.engine,
                      record_at=log_steps(cfg.epochs, cfg.records), on_divergence="keep", quiet=ctx.quiet)
    return {act: slim(t) for act, t in zip(ACTIVATIONS, runs)}


# -- the curve fit (pure) -----------------------------------------------------------------------------
def rotate(P, phi: float):
    """Coordinates (u, v) of the points ``P`` (N, 2) in the frame whose first axis has angle ``phi``."""
    c, s = np.cos(phi), np.sin(phi)
    return np.stack([P[:, 0] * c + P[:, 1] * s, -P[:, 0] * s + P[:, 1] * c], axis=1)


def curve(form: str, act: str, p, u):
    """The fitted shape v = f(u) with parameters ``p`` (without the angle).

    ``line``: 0; ``one``: K/2 tanh(k u / 2) (p = K, k); ``two``: eq (3.1) for Sigmoid,
    K (S(k_2 u) - S(k_1 u)) (p = K, k_1, k_2), eq (3.2) for Tanh (p = K_1, K_2, k_1, k_2).
    """
    u = np.asarray(u, dtype=float)
    if form == "line":
        return np.zeros_like(u)
    if form == "one":
        return 0.5 * p[0] * np.tanh(0.5 * p[1] * u)
    if act == "sigmoid":
        return p[0] * (expit(p[2] * u) - expit(p[1] * u))
    return 0.5 * p[0] * np.tanh(0.5 * p[2] * u) + 0.5 * p[1] * np.tanh(0.5 * p[3] * u)


def pca_angle(P) -> float:
    """Angle of the first principal axis of the points ``P`` (N, 2), centred at the origin."""
    _, V = np.linalg.eigh(P.T @ P)
    return float(np.arctan2(V[1, -1], V[0, -1]))


def tail_angle(P, outer: float = 0.6) -> float:
    """The thesis's symmetry axis: the direction of the line through the neurons farthest from the
    origin on one tail (radius >= ``outer`` of the largest, on the positive side of the principal
    axis; the other tail is its mirror image), by total least squares; the principal axis when fewer
    than three such points."""
    phi0 = pca_angle(P)
    r = np.linalg.norm(P, axis=1)
    side = rotate(P, phi0)[:, 0] > 0
    T = P[side & (r >= outer * r.max())]
    if len(T) < 3:
        return phi0
    _, V = np.linalg.eigh(np.cov((T - T.mean(axis=0)).T))
    phi = float(np.arctan2(V[1, -1], V[0, -1]))
    return phi if np.cos(phi - phi0) >= 0 else phi + np.pi


def polyline_distance(Q, C) -> np.ndarray:
    """Distance of each point of ``Q`` (N, 2) to the polyline through ``C`` (M, 2): the nearest
    vertex, then the projection on its two segments."""
    _, i = cKDTree(C).query(Q)
    best = np.linalg.norm(Q - C[i], axis=1)
    for j0, j1 in ((i - 1, i), (i, i + 1)):
        ok = (j0 >= 0) & (j1 < len(C))
        A, B = C[np.clip(j0, 0, len(C) - 1)], C[np.clip(j1, 0, len(C) - 1)]
        seg = B - A
        t = np.clip(np.einsum("ij,ij->i", Q - A, seg) / np.maximum(np.einsum("ij,ij->i", seg, seg), 1e-300), 0, 1)
        d = np.linalg.norm(Q - (A + t[:, None] * seg), axis=1)
        best = np.where(ok, np.minimum(best, d), best)
    return best


def curve_points(form: str, act: str, p, lo: float, hi: float, n: int = 4001) -> np.ndarray:
    """(n, 2) points (u, f(u)) of the fitted shape over [lo, hi], spaced evenly along the curve (a
    steep middle is sampled as finely as the flat tails)."""
    u = np.linspace(lo, hi, 20 * n)
    v = curve(form, act, p, u)
    s = np.concatenate([[0], np.cumsum(np.hypot(np.diff(u), np.diff(v)))])
    us = np.interp(np.linspace(0, s[-1], n), s, u)
    return np.stack([us, curve(form, act, p, us)], axis=1)


def _starts(form: str, act: str, P, angles) -> list:
    Q = rotate(P, angles[0])
    r = np.linalg.norm(P, axis=1)
    K0 = float(2 * np.mean(np.abs(Q[r >= 0.6 * r.max(), 1]))) or 0.1
    out = []
    for phi in angles:
        for k in (2.0, 16.0):
            out.append([phi, K0, k] if form == "one" else [phi, K0 / 2, -k, k / 4] if act == "sigmoid"
                       else [phi, K0, K0 / 2, k, k / 4])
    return out


def fit_form(P, form: str, act: str) -> dict:
    """Least-squares fit of shape ``form`` (:func:`curve`) to the scaled points ``P`` (N, 2), over the
    rotation angle too, started from the thesis's symmetry axis and the principal axis.

    Returns
    -------
    dict
        ``phi`` (angle of the fitted axis), ``p`` (shape parameters), ``rms`` and ``max``: the RMS and
        largest orthogonal distance of the points to the curve divided by the extent 2 max ||P||.
    """
    extent = 2 * float(np.linalg.norm(P, axis=1).max())
    if form == "line":
        phi = pca_angle(P)
        d = np.abs(rotate(P, phi)[:, 1])
        return {"phi": phi, "p": np.zeros(0), "rms": float(np.sqrt(np.mean(d ** 2)) / extent),
                "max": float(d.max() / extent)}

    def resid(q):
        Q = rotate(P, q[0])
        return Q[:, 1] - curve(form, act, q[1:], Q[:, 0])

    if form == "two":       # from the one-term fit's axis, and from the one-term solution (a special case)
        one = fit_form(P, "one", act)
        starts = _starts(form, act, P, [one["phi"]])
        starts.append([one["phi"], one["p"][0] / 2, 0.0, one["p"][1]] if act == "sigmoid"
                      else [one["phi"], one["p"][0], 0.0, one["p"][1], 1.0])
    else:                   # from the thesis's symmetry axis and the principal axis
        starts = _starts(form, act, P, [tail_angle(P), pca_angle(P)])
    best = None
    for s in starts:
        r = least_squares(resid, np.array(s, dtype=float), method="lm", max_nfev=NFEV)
        if np.all(np.isfinite(r.x)) and (best is None or r.cost < best.cost):
            best = r
    phi, p = float(best.x[0]), best.x[1:]
    Q = rotate(P, phi)
    d = polyline_distance(Q, curve_points(form, act, p, Q[:, 0].min() - 0.05, Q[:, 0].max() + 0.05))
    return {"phi": phi, "p": p, "rms": float(np.sqrt(np.mean(d ** 2)) / extent), "max": float(d.max() / extent)}


def cloud(W_list) -> tuple[np.ndarray, float]:
    """The neurons of the snapshots ``W_list`` (each (m, 2)) with their anti-neurons, scaled by the
    largest norm R: ((2 sum m, 2) points, R)."""
    W = np.concatenate([np.asarray(w, dtype=float) for w in W_list])
    P = np.concatenate([W, -W])
    R = float(np.linalg.norm(P, axis=1).max())
    return P / R, R


def two_neuron_fit(net, X, act: str, neurons: int = 2, seed: int = 0) -> dict:
    """The best ``neurons``-neuron network g(x) = sum_i b_i sigma(v_i . (x, 1)) to the model h on the
    data interval extended by a quarter of its span on each side (200 points), by least squares from
    the model's own neuron groups (split by the sign of a_j, and by that of w_j1) and two random
    starts. Returns ``rms`` and ``max`` of g - h relative to max h - min h, and ``params``."""
    x = np.asarray(X, dtype=float)[:, 0]
    span = x.max() - x.min()
    grid = np.linspace(x.min() - span / 4, x.max() + span / 4, 200)
    Xg = with_bias(grid)
    h = np.asarray(net(Xg), dtype=float)
    sig = expit if act == "sigmoid" else np.tanh
    height = float(np.ptp(h)) or 1.0

    def resid(q):
        q = q.reshape(neurons, 3)
        return (sig(Xg @ q[:, 1:].T) @ q[:, 0] - h) / height

    W, a = np.asarray(net.W, dtype=float), np.asarray(net.a, dtype=float)
    splits = [a >= 0, W[:, 0] >= 0] if neurons == 2 else [np.ones(len(a), bool)]
    starts = []
    for split in splits:        # each group of neurons as one neuron: b = sum a_j, v = |a|-weighted mean w_j
        start = []
        for g in ([split, ~split] if neurons == 2 else [split]):
            g = g if g.any() else np.ones(len(a), bool)
            wgt = np.abs(a[g]) + 1e-300
            start.append([a[g].sum(), *(W[g] * wgt[:, None]).sum(0) / wgt.sum()])
        starts.append(np.ravel(start))
    rng = np.random.default_rng(seed)
    scale = np.tile([height / neurons, 1.0, 1.0], neurons)
    starts += [rng.normal(0, 1, 3 * neurons) * scale for _ in range(2)]
    best = None
    for s in starts:
        r = least_squares(resid, np.asarray(s, dtype=float).ravel(), method="lm", max_nfev=2 * NFEV)
        if np.all(np.isfinite(r.x)) and (best is None or r.cost < best.cost):
            best = r
    res = resid(best.x)
    return {"rms": float(np.sqrt(np.mean(res ** 2))), "max": float(np.abs(res).max()), "params": best.x}


def fit_run(run: dict, act: str, X) -> dict:
    """The fits of one run: on the merged snapshots (the thesis's figures; every snapshot after the
    start) and on the final neurons alone (Conjecture 3), each for every form of :data:`FORMS`, and
    the one- and two-neuron fits of the final model."""
    out = {}
    for which, Ws in (("merged", list(run["W"][1:])), ("final", [run["W"][-1]])):
        P, R = cloud(Ws)
        out[which] = {"R": R, **{form: fit_form(P, form, act) for form in FORMS}}
    out["model"] = {str(k): two_neuron_fit(run["net"], X, act, k) for k in (1, 2)}
    return out


# -- sentences and verdicts: pure functions of the numbers ------------------------------------------
def describes(rms, tol: float) -> bool | None:
    """Whether a fit with relative RMS distance ``rms`` describes the neurons (None: flagged run)."""
    return None if rms is None else rms <= tol


def fit_sentence(name: str, two: list, line: list, tol: float) -> str:
    """One setting's verdict over seeds: the two-term f's RMS distance (relative to the extent) per
    seed ``two`` (None: flagged) against ``tol``, and the straight line's ``line`` (how far from a line
    the neurons are, i.e. whether the test can tell an S-curve from a line)."""
    t = [v for v in two if v is not None]
    if not t:
        return f"{name}: every run is flagged, nothing is fitted."
    ln = [v for v in line if v is not None]
    within = sum(v <= tol for v in t)
    text = (f"{name}: f within {min(t):.2%}-{max(t):.2%} of the extent (RMS) over {len(t)} seeds, "
            + ("within" if within == len(t) else "beyond" if within == 0 else f"within in {within} of {len(t)},")
            + f" the tolerance {tol:.0%}")
    if ln and max(ln) <= tol:
        text += f"; a straight line is within {max(ln):.2%} as well, so the fit cannot tell an S from a line"
    elif ln:
        text += f" (a straight line: {min(ln):.2%}-{max(ln):.2%})"
    return text + "."


def verdict(values: list, tol: float) -> str:
    """'reproduced' when every kept value is within ``tol``; 'thesis contradicted' when every kept value
    exceeds :data:`CLEAR_MISS` x ``tol`` (the shape is clearly not the claimed one); else 'differs'
    (also when no value is kept)."""
    v = [x for x in values if x is not None]
    if v and all(x <= tol for x in v):
        return "reproduced"
    if v and all(x > CLEAR_MISS * tol for x in v):
        return "thesis contradicted"
    return "differs"


def worst(*verdicts) -> str:
    """The weakest of several verdicts (thesis contradicted < differs < reproduced)."""
    order = ("thesis contradicted", "differs", "reproduced")
    return min(verdicts, key=order.index)


def _pct(x: float) -> str:
    return f"{100 * x:.2g}%"


def _txt(values) -> str:
    """'mean +- sd (lo to hi, n = k)' in percent (two significant digits) of the kept values."""
    v = [x for x in values if x is not None]
    if not v:
        return "all flagged"
    s = spread_or_none(v)
    return f"{_pct(s['mean'])} +- {_pct(s['sd'])} ({_pct(s['lo'])} to {_pct(s['hi'])}, n = {s['n']})"


def uninformative(f: dict, keys, tol: float) -> str:
    """'; uninformative: ...' naming the settings whose final neurons lie within ``tol`` of a straight
    line in every kept seed (there the fit of f cannot tell an S-curve from a line), else ''."""
    flat = [k for k in keys if [x for x in f[k]["final_line_seeds"] if x is not None]
            and max(x for x in f[k]["final_line_seeds"] if x is not None) <= tol]
    return (f"; uninformative ({', '.join(flat)}): a straight line is within {tol:.0%} there too" if flat else "")


def finding_rows(metrics: dict) -> list[dict]:
    """The thesis's findings this experiment measures, as rows of :mod:`thesis_findings` (ids S1-S4)."""
    from .thesis_findings import row

    tol = metrics["tolerance"]
    f = metrics["fits"]

    def vals(key, which="merged", form="two"):
        return f[key][f"{which}_{form}_seeds"]

    rows = []
    for rid, act, where, what in (
            ("S1", "sigmoid", "Figs 3.21, C.13, L1405, L2100",
             "Sigmoid neurons of several W^t (merged) lie on one f(w) = K_1 S(k_1 w) + K_2 S(k_2 w) after a rotation: "
             "'very good' on 1.1.4 (c = 75), less so on 1.1.0"),
            ("S2", "tanh", "Figs 3.23, C.14, L1437",
             "Tanh neurons of several W^t (merged) lie on f(w) = K_1/2 tanh(k_1 w/2) + K_2/2 tanh(k_2 w/2) after a "
             "rotation")):
        a, b = vals(f"{act}_fit_1_1_4"), vals(f"{act}_fit_1_1_0")
        rows.append(row(rid, where, what, f"RMS distance of the merged neurons to the fitted f <= {tol:.0%} of their "
                        "extent in every fitted seed, on 1.1.4 and on 1.1.0 (thesis procedure: PCA, symmetry axis, "
                        "scipy least squares over the rotation too)",
                        f"1.1.4: {_txt(a)} (line {_txt(vals(f'{act}_fit_1_1_4', form='line'))}); 1.1.0: {_txt(b)} "
                        f"(line {_txt(vals(f'{act}_fit_1_1_0', form='line'))}); final W alone on 1.1.4: "
                        f"{_txt(vals(f'{act}_fit_1_1_4', 'final'))}", worst(verdict(a, tol), verdict(b, tol))))
    keys = [f"{act}_{s}" for act in ACTIVATIONS for s in SETTINGS]
    shape = worst(*(verdict(vals(k, "final"), tol) for k in keys))
    model = worst(*(verdict(f[k]["model2_seeds"], tol) for k in keys))
    rows.append(row("S3", "Conjecture 3, L1647",
                    "For small lambda the neuron disposition is f(w) = K_1 sigma(k_1 w) + K_2 sigma(k_2 w) up to a "
                    "rotation, so the final interpolator is that of a two-neuron network",
                    f"in every setting (Sigmoid, Tanh x 1.1.4 m = 100, 1.1.0 m = 100, 1.1.4 m = 60 step 1e-4) and "
                    f"fitted seed: final neurons within {tol:.0%} of their extent (RMS) of the fitted f, and the best "
                    f"two-neuron network within {tol:.0%} of the range of h (RMS); 'contradicted' if some setting "
                    f"misses by more than {CLEAR_MISS:g}x in every seed",
                    "; ".join(f"{k}: f {_txt(vals(k, 'final'))}, 2-neuron h {_txt(f[k]['model2_seeds'])}"
                              for k in keys) + uninformative(f, keys, tol), worst(shape, model)))
    c = [verdict(vals(f"{act}_c_1_1_4", which), tol) for act in ACTIVATIONS for which in ("merged", "final")]
    fitted = all(s == "ok" for act in ACTIVATIONS for s in metrics["health_seeds"][f"{act}_c_1_1_4"])
    rows.append(row("S4", "Figs C.15-C.18, L2114",
                    "1.1.4 (c = 75), m = 60, step 1e-4: the models fit the data; Sigmoid and Tanh neurons draw the same "
                    "S-curves (bells in the orientation / signed-norm plane) as in section 3.1.3",
                    f"every run fits (loss <= {metrics['fit_level']:g} mean(y^2)) and its neurons (merged and final) "
                    f"lie within {tol:.0%} of their extent of the fitted f",
                    "; ".join(f"{act}: merged {_txt(vals(f'{act}_c_1_1_4'))}, final "
                              f"{_txt(vals(f'{act}_c_1_1_4', 'final'))}" for act in ACTIVATIONS)
                    + ("" if fitted else "; some runs flagged: " + str(metrics["health_seeds"])),
                    worst(*c) if fitted else "differs"))
    return rows


# -- figures -------------------------------------------------------------------------------------------
def osn(W, signs):
    """(orientation -w_2/w_1, signed norm s ||w||) of the rows of ``W`` (N, 2) with signs ``signs``."""
    W = np.asarray(W, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -W[:, 1] / W[:, 0], np.asarray(signs) * np.linalg.norm(W, axis=1)


def fit_figure(run: dict, fit: dict, act: str, title: str):
    """The six windows of thesis Figs 3.21 / 3.23 / C.13 / C.14 for one run and its merged fit."""
    fig, axes = new_figure(3, 2, width=4.0, height=3.5)
    ax = axes.ravel()
    snaps = range(1, len(run["W"]))
    s0 = np.sign(run["a"][0])
    for k, i in enumerate(snaps):
        weight_plane(ax[0], run["W"][i], colour=series_colour(k), label=f"epoch {int(run['snap_steps'][i])}",
                     directions=False)
    label(ax[0], None, None, "(a) neurons of several W^t", legend=True, fontsize=6)
    P, R = cloud([run["W"][i] for i in snaps])
    two, line = fit["merged"]["two"], fit["merged"]["line"]
    phi0 = pca_angle(P)
    Q0 = rotate(P, phi0)
    half = len(P) // 2
    ax[1].plot(Q0[:half, 0], Q0[:half, 1], "*", ms=4, color="tab:blue", label="neurons")
    ax[1].plot(Q0[half:, 0], Q0[half:, 1], ".", ms=3, color="0.6", label="anti-neurons")
    d = tail_angle(P) - phi0
    ax[1].plot([-np.cos(d), np.cos(d)], [-np.sin(d), np.sin(d)], "k--", lw=1, label="symmetry axis (tails)")
    label(ax[1], "PC 1 / R", "PC 2 / R", "(b) with anti-neurons, PCA frame", legend=True, fontsize=6)
    Q = rotate(P, two["phi"])
    flip = -1.0 if curve("two", act, two["p"], np.array([1e-3]))[0] < 0 else 1.0
    u = np.linspace(Q[:, 0].min(), Q[:, 0].max(), 600)
    fu = curve("two", act, two["p"], u)
    asym = abs(curve("two", act, two["p"], np.array([1e3]))[0])
    slope = (curve("two", act, two["p"], np.array([1e-6]))[0]) / 1e-6
    for axk in (ax[2], ax[3]):
        axk.plot(Q[:half, 0], flip * Q[:half, 1], "*", ms=4, color="tab:blue", label="neurons")
        axk.plot(Q[half:, 0], flip * Q[half:, 1], ".", ms=3, color="0.6", label="anti-neurons")
    ax[2].axhline(0, color="k", ls=":", lw=1, label="symmetry axis")
    for sgn in (1, -1):
        ax[2].axhline(sgn * asym, color="k", ls=":", lw=1)
    t = np.linspace(-1, 1, 3) * min(1.0, 1.2 * asym / max(abs(slope), 1e-9))
    ax[2].plot(t, flip * slope * t, color="tab:orange", label=f"tangent at 0 (slope {abs(slope):.3g})")
    ax[2].set_ylim(-1.6 * asym - 0.02, 1.6 * asym + 0.02)
    label(ax[2], "u (fitted axis) / R", "v / R", f"(c) rotated by {np.degrees(two['phi']):.1f} deg", legend=True,
          fontsize=6)
    ax[3].plot(u, flip * fu, "r:", lw=2, label=f"fit f: RMS {two['rms']:.2%}, max {two['max']:.2%}")
    ax[3].set_ylim(-1.6 * asym - 0.02, 1.6 * asym + 0.02)
    label(ax[3], "u / R", "v / R", f"(d) fit (line: RMS {line['rms']:.2%})", legend=True, fontsize=6)
    ori = np.concatenate([osn(run["W"][i], s0)[0] for i in snaps])
    lo, hi = np.nanpercentile(ori[np.isfinite(ori)], [1, 99])
    xlim = (lo - 0.15 * (hi - lo) - 1e-3, hi + 0.15 * (hi - lo) + 1e-3)     # zoomed on the neurons
    for k, i in enumerate(snaps):
        osn_points(ax[4], run["W"][i], s0, xlim, colour=series_colour(k), label=f"epoch {int(run['snap_steps'][i])}",
                   ms=4)
        osn_points(ax[5], run["W"][i], s0, xlim, colour="0.6", label="neurons" if k == 0 else "_", ms=3)
    ax[4].set_xlim(*xlim)
    label(ax[4], "-w_j2 / w_j1", "s_j ||w_j||", "(e) orientation / signed norm", legend=True, fontsize=6)
    C = curve_points("two", act, two["p"], Q[:, 0].min(), Q[:, 0].max(), 2001)
    c, s = np.cos(two["phi"]), np.sin(two["phi"])
    Wc = R * np.stack([C[:, 0] * c - C[:, 1] * s, C[:, 0] * s + C[:, 1] * c], axis=1)
    signs = np.concatenate([np.tile(s0, len(snaps)), -np.tile(s0, len(snaps))])
    _, near = cKDTree(P * R).query(Wc)
    ox, oy = osn(Wc, signs[near])
    keep = np.isfinite(ox) & (ox >= xlim[0]) & (ox <= xlim[1])
    ax[5].plot(ox[keep], oy[keep], "r.", ms=1.5, label="f mapped to the plane")
    ax[5].set_xlim(*xlim)
    label(ax[5], "-w_j2 / w_j1", "s_j ||w_j||", "(f) f in the orientation / signed-norm plane", legend=True,
          fontsize=6)
    fig.suptitle(title, fontsize=9)
    return fig


def epochs_figure(run: dict, X, y, act: str, title: str):
    """Figs C.15-C.18: model and neurons in the orientation / signed-norm plane (top) and neurons in the
    (w_j1, w_j2) plane (bottom) at four snapshots."""
    picks = sorted(set(np.linspace(1, len(run["W"]) - 1, 4).round().astype(int)))
    fig, axes = new_figure(len(picks), 2, width=3.6, height=3.3)
    s0 = np.sign(run["a"][0])
    net = run["net"]
    for col, i in enumerate(picks):
        snap = type(net)(run["a"][i], run["W"][i], None, net.activation, net.scaling, net.slope)
        orientation_plane(axes[0, col], snap, X[:, 0], y, xlim=(-2.0, 12.0), signs=s0, legend=col == 0,
                          title=f"{act}, epoch {int(run['snap_steps'][i])}")
        weight_plane(axes[1, col], run["W"][i], colour=series_colour(col), directions=False,
                     title=f"(w_j1, w_j2), epoch {int(run['snap_steps'][i])}")
    fig.suptitle(title, fontsize=9)
    return fig


def quality_figure(f: dict, tol: float):
    """Goodness of fit over seeds for every setting: the two-term f, one term and a line (merged and final
    neurons), and the two-neuron model of h; mean with the range over the fitted seeds."""
    keys = [f"{act}_{s}" for act in ACTIVATIONS for s in SETTINGS]
    fig, axes = new_figure(2, 1, width=6.5, height=4.0)
    series = [("merged", "two", "f, merged W^t"), ("final", "two", "f, final W"), ("final", "one", "one term, final"),
              ("final", "line", "line, final")]
    for ax, rows in ((axes[0, 0], series), (axes[0, 1], [("model2", None, "2-neuron h"), ("model1", None, "1-neuron h")])):
        for j, (which, form, name) in enumerate(rows):
            for i, k in enumerate(keys):
                v = [x for x in (f[k][f"{which}_{form}_seeds"] if form else f[k][f"{which}_seeds"]) if x is not None]
                if not v:
                    continue
                x = i + (j - (len(rows) - 1) / 2) * 0.18
                v = np.maximum(v, 1e-6)
                ax.errorbar([x], [np.mean(v)], yerr=[[np.mean(v) - min(v)], [max(v) - np.mean(v)]], fmt="os^v"[j],
                            color=series_colour(j), capsize=2, ms=4, label=name if i == 0 else None)
        ax.axhline(tol, color="r", ls="--", lw=1, label=f"tolerance {tol:.0%}")
        ax.set_yscale("log")
        ax.set_xticks(range(len(keys)), [k.replace("_fit_", "\n").replace("_c_", "\nm60 ") for k in keys], fontsize=7)
    label(axes[0, 0], None, "RMS distance / extent", "neurons against the fitted curves", legend=True, fontsize=6)
    label(axes[0, 1], None, "RMS |g - h| / range h", "final model against 1- and 2-neuron networks", legend=True,
          fontsize=6)
    return fig


# -- the experiment -------------------------------------------------------------------------------
def summarise(fits: dict, health: dict, seeds) -> dict:
    """Per run key (activation_setting): every fit number as a list over seeds (None: flagged), with
    :func:`spread_or_none` of the headline ones."""
    out = {}
    for k in fits:
        ok = [health[k][i] == "ok" for i in range(len(seeds))]
        d = {}
        for which in ("merged", "final"):
            for form in FORMS:
                for stat in ("rms", "max"):
                    name = f"{which}_{form}_seeds" if stat == "rms" else f"{which}_{form}_max_seeds"
                    d[name] = [fits[k][i][which][form][stat] if ok[i] else None for i in range(len(seeds))]
        for n in ("1", "2"):
            d[f"model{n}_seeds"] = [fits[k][i]["model"][n]["rms"] if ok[i] else None for i in range(len(seeds))]
        for key in ("merged_two_seeds", "final_two_seeds", "model2_seeds"):
            d[key.replace("_seeds", "_spread")] = spread_or_none(d[key])
        d["final_two_params_drawn"] = None if not ok[0] else [float(x) for x in fits[k][0]["final"]["two"]["p"]]
        out[k] = d
    return out


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    seeds = [cfg.seed + k for k in range(cfg.seeds)]
    runs = {name: {s: ctx.run("train", lambda name=name, s=s: train_setting(name, s, cfg, ctx), setting=name, seed=s)
                   for s in seeds} for name in SETTINGS}
    keys, health, fits, named = [], {}, {}, {}
    for name in SETTINGS:
        X, y, _, _ = setting_data(name, cfg)
        for act in ACTIVATIONS:
            k = f"{act}_{name}"
            keys.append(k)
            hs = [run_health(runs[name][s][act]["loss"], fit_level=cfg.fit_level * float(np.mean(y ** 2)),
                             diverged=runs[name][s][act]["diverged"]) for s in seeds]
            health[k] = [h["status"] for h in hs]
            named.update({f"{k}, seed {s}": h for s, h in zip(seeds, hs)})
            fits[k] = [ctx.run("fit", lambda name=name, s=s, act=act, X=X: fit_run(runs[name][s][act], act, X),
                               setting=name, activation=act, seed=s) if h["status"] == "ok" else None
                       for s, h in zip(seeds, hs)]
    f = summarise(fits, health, seeds)
    d = cfg.seed
    for name, (ds, _, figs) in SETTINGS.items():
        X, y, width, lr = setting_data(name, cfg)
        for act in ACTIVATIONS:
            k, run_ = f"{act}_{name}", runs[name][d][act]
            h = named[f"{k}, seed {d}"]
            setting = (f"{act}, data set {ds}" + (f" (c = {cfg.c:g})" if ds == "1.1.4" else "") + f", m = {width}, "
                       f"lambda = {cfg.scale:g}, step {lr:g}, seed {d}{status_tag(h)}")
            if name != "c_1_1_4" and fits[k][0] is not None:
                ctx.figure(fit_figure(run_, fits[k][0], act, f"{figs[act]}: {setting}"), f"fit_{k}",
                           f"Curve fitting of f(w) on the neuron S-curve (thesis {figs[act]})",
                           f"{setting}. (a) neurons at the snapshots where the loss first falls below "
                           f"{', '.join(f'{x:g}' for x in SNAP_FRACTIONS)} of its start and at the end; (b) with the "
                           "anti-neurons -w_j, scaled by the largest norm R, in their PCA frame, with the thesis's "
                           "symmetry axis (direction of the outer tails); (c) rotated to the least-squares axis "
                           "(flipped to rise), asymptotes +-K and the tangent at the origin; (d) the fitted "
                           f"{'eq (3.1)' if act == 'sigmoid' else 'eq (3.2)'}; (e), (f) the neurons and f in the "
                           "orientation / signed-norm plane (f's points signed like their nearest neuron). "
                           + fit_sentence(f"Over seeds, {k} (merged W^t)", f[k]["merged_two_seeds"],
                                          f[k]["merged_line_seeds"], cfg.tolerance)
                           + " " + fit_sentence("final W alone", f[k]["final_two_seeds"], f[k]["final_line_seeds"],
                                                cfg.tolerance))
            if name == "c_1_1_4":
                ctx.figure(epochs_figure(run_, X, y, act, f"{figs[act]}: {setting}"), f"epochs_{act}_c",
                           f"1.1.4 with c = {cfg.c:g}, m = {width}, step {lr:g}, {act} (thesis {figs[act]})",
                           f"{setting}. Top: model h, neurons at (-w_j2/w_j1, s_j ||w_j||) and the data; bottom: the "
                           "neurons in the (w_j1, w_j2) plane, at four snapshots from the first fall of the loss to the "
                           "end. " + fit_sentence(f"Over seeds, {k} (merged W^t)", f[k]["merged_two_seeds"],
                                                   f[k]["merged_line_seeds"], cfg.tolerance)
                           + " " + fit_sentence("final W alone", f[k]["final_two_seeds"], f[k]["final_line_seeds"],
                                                cfg.tolerance) + " " + flagged_sentence(
                               {n: h for n, h in named.items() if n.startswith(k)}))
    ctx.figure(quality_figure(f, cfg.tolerance), "fit_quality", "Goodness of the S-curve fits over seeds (Conjecture 3)",
               f"RMS orthogonal distance of the neurons (with anti-neurons) to the fitted curves, relative to their "
               f"extent 2 max ||w_j||, for every setting; mean and range over the fitted seeds of {seeds}. Left: the "
               "two-term f of the thesis (eq 3.1 for Sigmoid, 3.2 for Tanh) on the merged snapshots and on the final "
               "neurons, one term, and a straight line through the origin (how far from a line the neurons are). "
               "Right: the final model h against the best one- and two-neuron networks of the same activation on the "
               "data interval widened by a quarter of its span each side, relative to the range of h. "
               + " ".join(fit_sentence(k + " (final W)", f[k]["final_two_seeds"], f[k]["final_line_seeds"],
                                       cfg.tolerance) for k in keys) + " " + flagged_sentence(named))
    metrics = {"seeds": seeds, "tolerance": cfg.tolerance, "fit_level": cfg.fit_level, "fits": f,
               "health_seeds": health,
               "excluded_seeds": {n: h["reason"] for n, h in named.items() if h["status"] != "ok"},
               "rms_final_two": {k: f[k]["final_two_seeds"][0] for k in keys},
               "rms_merged_two": {k: f[k]["merged_two_seeds"][0] for k in keys}}
    rows = finding_rows(metrics)
    metrics["verdicts"] = {r["id"]: r["verdict"] for r in rows}
    for r in rows:
        ctx.note(f"{r['id']} ({r['where']}): {r['finding']}. Criterion: {r['criterion']}. Measured: {r['measured']}. "
                 f"Verdict: {r['verdict']}.")
    return metrics


register(Experiment(
    name="s-curves", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis 3.1.3-3.1.4, 3.5, C.1.5, C.2: the S-curves of Sigmoid and Tanh neurons fitted by sums of two "
                "activation-shaped functions (Conjecture 3), with goodness of fit over seeds.",
    config=Config, run=run, quick=QUICK, findings=finding_rows,
    source="thesis, sections 3.1.3-3.1.4 and 3.5, appendices C.1.5 and C.2, Figs 3.21, 3.23, C.13-C.18, "
           "Conjecture 3"))

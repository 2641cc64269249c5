"""Seed 003, appendix D: the closed-form gradient and Hessian of twolayer's reference engine checked
against independent computations, and the thesis's own numbers recomputed.

Network h(x) = sum_j a_j sigma(w_j . x) on data set 1.1.0, no width scaling, loss
L = (1/(2n)) sum_k (h(x_k) - y_k)^2 (appendix D's printed Hessian is matched by that reduction only).

- Figs D.1 and D.3 (formula against PyTorch along training): the independent computation here is
  complex-step differentiation, dL/dtheta_i = Im L(theta + i t e_i) / t with t = 1e-30, of a loss
  written separately in complex arithmetic (:func:`independent_loss`). It shares no code with the
  reference engine's ``forward``/``backward`` and uses no derivative formula: the derivative comes
  from the arithmetic, with no subtraction, so it is exact to rounding for Sigmoid and Tanh (analytic)
  and, for ReLU, away from a kink (the branch is chosen by Re z, which gives the reference engine's
  convention sigma'(0) = 0). Fig D.3 adds the compiled engine's own recorded loss.
- Fig D.2 and Tables D.1/D.2: finite differences as in the thesis, cell by cell against its printed
  values, and the same cells with the activation values of the closed-form gradient rounded to single
  precision (the only variant we found that reaches the printed levels; see :func:`tables_sentence`).
- The thesis's Hessian scheme on its worked example (h_a = 1 for the outer weights, h_w = 1e-4 for the
  inner ones; printed Frobenius error 9.41e-4).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .. import data
from ..activations import get_activation
from ..analysis import hessian_matrix, run_health, spread
from ..init import init_net
from ..net import Net
from ..objective import Objective
from ..optim import GD
from ..plots import label, new_figure
from ..plots.style import series_colour
from ..sweep import train_many
from . import Experiment, register
from .base import param
from .budget import SEED_MAX

TWO_D_SETS = tuple(data.THESIS_SETS) + ("1.2",)  # inputs (x, 1); 3.4.1 is five-dimensional
ACTIVATIONS = ("relu", "sigmoid", "tanh")
# Appendix D.2: theta = [log 4, log 1, log 9, log 1/3, 1, -1] (W row by row, then a), m = 2, Sigmoid,
# data set 1.1.0; the Hessian printed in the thesis, in the order (a_1, a_2, w_11, w_12, w_21, w_22).
WORKED_THETA = np.array([np.log(4.0), np.log(1.0), np.log(9.0), np.log(1 / 3), 1.0, -1.0])
WORKED_HESSIAN = np.array([
    [0.49846213, 0.47044818, -0.09157311, 0.17180604, -0.02491297, -0.03120648],
    [0.47044818, 0.46992347, 0.0478305, 0.03780414, -0.09394345, 0.01677828],
    [-0.09157311, 0.0478305, 0.12368054, 0.01785879, -0.00631329, 0.00309335],
    [0.17180604, 0.03780414, 0.01785879, 0.09689236, 0.00309335, -0.01095332],
    [-0.02491297, -0.09394345, -0.00631329, 0.00309335, -0.07315118, -0.01135684],
    [-0.03120648, 0.01677828, 0.00309335, -0.01095332, -0.01135684, -0.05611592]])
# Seed 003 line 2312: the thesis's finite-difference approximation of that Hessian (h_a = 1, h_w = 1e-4),
# as printed (not symmetric); line 2314: its Frobenius distance to WORKED_HESSIAN, 9.410e-4.
WORKED_FD_PRINTED = np.array([
    [0.49846209, 0.47044818, -0.0915731, 0.17180604, -0.02491296, -0.03120648],
    [0.47044817, 0.46992343, 0.04783051, 0.03780414, -0.09394344, 0.01677827],
    [-0.09189404, 0.04740521, 0.12368531, 0.01790037, -0.00632838, 0.00317856],
    [0.17169331, 0.03767333, 0.01787625, 0.09683803, 0.0031547, -0.01098216],
    [-0.02459827, -0.09342212, -0.00620864, 0.0031516, -0.0731773, -0.01135956],
    [-0.03090288, 0.01705509, 0.00309199, -0.01095235, -0.01136098, -0.05610247]])
PRINTED_FD_FROBENIUS = 9.410e-4          # line 2314
PRINTED_PATH_BOUND = 7e-4                # line 2285: "the l2-norm error is always under 7e-4" (Figs D.1-D.2)
# Tables D.1 (lines 2267-2269, mean ||grad_F - grad_App||_2, h = 1e-4) and D.2 (lines 2320-2322, mean
# ||H_F - H_App||_F), 1000 random theta ~ lambda N(0, 1) each; rows lambda = 1e-7, 1e-2, 5.
PRINTED_SCALES = (1e-7, 1e-2, 5.0)
PRINTED_D1 = {"relu": (1.91194e-7, 6.95204e-5, 7.60822e-5), "sigmoid": (4.22131e-8, 5.08386e-8, 8.85910e-7),
              "tanh": (3.02942e-12, 2.43728e-9, 2.21812e-6)}
PRINTED_D2 = {"relu": (0.882706, 2.008855, 0.331454), "sigmoid": (2.616767e-4, 4.529790e-4, 3.316418e-3),
              "tanh": (1.201516e-7, 2.384548e-5, 6.629788e-3)}
# the eighth-order central difference of appendix D.2: f'(x) ~ sum_k c_k (f(x + k h) - f(x - k h)) / h
FD8 = {1: 4 / 5, 2: -1 / 5, 3: 4 / 105, 4: -1 / 280}
CS_STEP = 1e-30      # complex step: Im L(theta + i t e_i) / t, exact to rounding for t this small
FLOOR = 1e-20        # log axes draw an exact 0 at this level
TABLE_FACTOR = 10.0  # a measured cell "agrees" with a printed one within this factor (same order of magnitude)
ROUNDING_GRAD = 1e-12  # a difference below this (|grad| <= O(1) here) is rounding, not a formula error
ROUNDING_LOSS = 1e-14


@dataclass
class Config:
    dataset: str = param("1.1.0", "Thesis data set of inputs (x, 1) (the worked example's printed Hessian is for "
                         "1.1.0).", choices=TWO_D_SETS)
    width: int = param(10, "Number of hidden neurons m of the random and trained networks.", ge=1, le=100)
    scales: tuple[float, ...] = param((1e-7, 1e-2, 5.0), "Scales lambda of the random parameters theta ~ lambda N(0, 1) "
                                      "(the printed tables are compared where lambda is one of 1e-7, 1e-2, 5).",
                                      gt=0, le=1000)
    draws: int = param(1000, "Random theta per (activation, scale) for the gradient table.", ge=1, le=100_000)
    hessian_draws: int = param(100, "Random theta per (activation, scale) for the Hessian table.", ge=1, le=10_000)
    h_grad: float = param(1e-4, "Central-difference step h of the gradient check.", gt=0, le=1)
    h_hess: float = param(1e-4, "One step h for every coordinate in the eighth-order differences of the Hessian "
                          "check (keys hessian_error, worked_hessian_fd_error).", gt=0, le=1)
    h_a: float = param(1.0, "The thesis's step for the outer weights a_j in its Hessian scheme (keys "
                       "hessian_error_thesis_scheme, fd_scheme_*).", gt=0, le=10)
    h_w: float = param(1e-4, "The thesis's step for the inner weights w_jk in its Hessian scheme.", gt=0, le=1)
    path_scale: float = param(1e-6, "Balanced initialisation scale of the training path (Figs D.1-D.3).", gt=0, le=100)
    path_lr: float = param(1e-3, "GD step size of the training path.", gt=0, le=10)
    path_epochs: int = param(100_000, "Number of GD steps of the training path (about 200 points checked); the "
                             "default lets all three activations fit (Sigmoid needs about 5e4 steps).", ge=1,
                             le=3_000_000)
    replicas: int = param(4, "Further seeds (seed+1, ...) of the training paths, for the spread over seeds.",
                          ge=0, le=50)
    fit_level: float = param(0.01, "Loss 1/(2n) a training path must end below to count as fitted (one that does "
                             "not is flagged: its check covers the points it visited).", gt=0, le=1)
    seed: int = param(0, "Random seed of theta and of the initialisation.", ge=0, le=SEED_MAX - 100)


QUICK = {"draws": 100, "hessian_draws": 10, "path_epochs": 60_000, "replicas": 1}


# -- the independent computation: complex-step derivatives of a separately written loss --------------
def complex_activation(activation: str, z: np.ndarray) -> np.ndarray:
    """sigma(z) for complex z: tanh, (1 + tanh(z/2)) / 2 (stable for large |Re z|) and, for ReLU, z where
    Re z > 0 and 0 elsewhere (the reference engine's left derivative at 0)."""
    if activation == "relu":
        return np.where(z.real > 0, z, 0)
    if activation == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * z))
    if activation == "tanh":
        return np.tanh(z)
    raise ValueError(f"no complex form of activation {activation!r}")


def independent_loss(thetas: np.ndarray, X, y, activation: str, m: int) -> np.ndarray:
    """L(theta) = (1/(2n)) sum_k (sum_j a_j sigma(w_j . x_k) - y_k)^2 for each row of ``thetas`` (B, m(d+1)),
    layout [a (m), W (m, d) row by row], in complex arithmetic (r^2, not |r|^2, so it stays analytic).
    Returns (B,) complex."""
    T = np.atleast_2d(thetas)
    W = T[:, m:].reshape(len(T), m, X.shape[1])
    r = np.einsum("bnm,bm->bn", complex_activation(activation, np.einsum("nd,bmd->bnm", X, W)), T[:, :m]) - y
    return 0.5 * np.mean(r * r, axis=1)


def complex_step(theta: np.ndarray, X, y, activation: str, m: int) -> tuple[float, np.ndarray]:
    """(L(theta), grad L(theta)) from :func:`independent_loss`: the loss at theta and
    dL/dtheta_i = Im L(theta + i t e_i) / t, t = :data:`CS_STEP` (one batched evaluation)."""
    p = len(theta)
    values = independent_loss(np.vstack([theta + 0j, theta + 1j * CS_STEP * np.eye(p)]), X, y, activation, m)
    return float(values[0].real), values[1:].imag / CS_STEP


# -- closed forms and finite differences -------------------------------------------------------------
def closed_form_grads(thetas: np.ndarray, X, y, activation: str, m: int, rounding=None) -> np.ndarray:
    """The closed-form gradient (section 4.1) for each row of ``thetas`` (B, m(d+1)):
    dL/da_j = (1/n) sum_k r_k sigma(z_kj), dL/dw_j = (1/n) sum_k r_k a_j sigma'(z_kj) x_k, r = h - y.

    ``rounding=np.float32`` rounds sigma(Z) and sigma'(Z) to single precision (all else in double): the
    variant that reaches the thesis's printed error levels. Returns (B, m(d+1))."""
    T = np.atleast_2d(thetas)
    B, d, n = len(T), X.shape[1], len(y)
    a, W = T[:, :m], T[:, m:].reshape(len(T), m, d)
    act = get_activation(activation)
    Z = np.einsum("nd,bmd->bnm", X, W)
    S, D = act.f(Z, 0.0), act.df(Z, 0.0)
    if rounding is not None:
        S, D = S.astype(rounding).astype(np.float64), D.astype(rounding).astype(np.float64)
    r = (np.einsum("bnm,bm->bn", S, a) - y) / n
    gW = np.einsum("bn,bm,bnm,nd->bmd", r, a, D, X)
    return np.concatenate([np.einsum("bnm,bn->bm", S, r), gW.reshape(B, m * d)], axis=1)


def fd_gradient(obj: Objective, theta, h: float) -> np.ndarray:
    """Central differences (L(theta + h/2 e_i) - L(theta - h/2 e_i)) / h of the loss (appendix D.1)."""
    g = np.empty_like(theta)
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = 0.5 * h
        g[i] = (obj.data_loss(theta + e) - obj.data_loss(theta - e)) / h
    return g


def fd_hessian(grads, theta: np.ndarray, steps, symmetrise: bool = True, cache: dict | None = None) -> np.ndarray:
    """Eighth-order central differences of a gradient, column j stepping theta_j by ``steps[j]``
    (appendix D.2): H[:, j] = sum_k c_k (g(theta + k h_j e_j) - g(theta - k h_j e_j)) / h_j.

    ``grads`` maps (B, P) points to (B, P) gradients; ``steps`` is a float or (P,). Symmetrised
    (H + H^T)/2 unless ``symmetrise`` is False (the thesis prints its approximation unsymmetrised).
    ``cache`` (a dict, for one ``grads`` and one ``theta``) keeps columns by (j, h_j) across calls."""
    p = len(theta)
    steps = np.broadcast_to(np.asarray(steps, dtype=float), (p,))
    cache = {} if cache is None else cache
    todo = [j for j in range(p) if (j, float(steps[j])) not in cache]
    offsets = [(j, k, s) for j in todo for k in FD8 for s in (1, -1)]
    if offsets:
        points = np.repeat(theta[None, :], len(offsets), axis=0)
        for row, (j, k, s) in enumerate(offsets):
            points[row, j] += s * k * steps[j]
        G = grads(points)
        for j in todo:
            cache[(j, float(steps[j]))] = np.zeros(p)
        for row, (j, k, s) in enumerate(offsets):
            cache[(j, float(steps[j]))] += s * FD8[k] * G[row]
    H = np.column_stack([cache[(j, float(steps[j]))] / steps[j] for j in range(p)])
    return 0.5 * (H + H.T) if symmetrise else H


def reference_grads(obj: Objective):
    """(B, P) -> (B, P): the reference engine's closed-form gradient, point by point."""
    return lambda points: np.array([obj.grad(t) for t in points])


def thesis_steps(layout, h_a: float, h_w: float) -> np.ndarray:
    """The per-coordinate steps of the thesis's Hessian scheme: h_a on a, h_w on W."""
    steps = np.full(layout.size, h_w)
    steps[layout.slices["a"]] = h_a
    return steps


def random_errors(X, y, act: str, scale: float, cfg: Config, seed) -> dict:
    """Errors over random theta_i ~ scale N(0, 1) drawn from ``np.random.default_rng(seed)``:
    ``grad``: ||grad_F - grad_FD||_2 (``cfg.draws`` values; Table D.1), ``grad_f32act``: the same with
    single-precision activation values in grad_F; ``hessian``: ||H_F - H_FD||_F with one step h_hess
    (``cfg.hessian_draws`` values), ``hessian_thesis``: the thesis's scheme (h_a, h_w, unsymmetrised;
    Table D.2) and ``hessian_thesis_f32act`` its single-precision-activation variant."""
    rng = np.random.default_rng(seed)
    base = init_net(X.shape[1], cfg.width, act, "none", init="normal", scale=1.0, seed=0)
    obj = Objective(base, X, y, loss="square", reduction="half_mean")
    size, m = base.layout.size, cfg.width
    f32 = functools.partial(closed_form_grads, X=X, y=y, activation=act, m=m, rounding=np.float32)
    thetas = scale * rng.standard_normal((cfg.draws, size))
    fd = np.array([fd_gradient(obj, t, cfg.h_grad) for t in thetas])
    grad_err = np.linalg.norm(np.array([obj.grad(t) for t in thetas]) - fd, axis=1)
    grad_f32 = np.linalg.norm(f32(thetas) - fd, axis=1)
    steps = thesis_steps(base.layout, cfg.h_a, cfg.h_w)
    hess = {"hessian": [], "hessian_thesis": [], "hessian_thesis_f32act": []}
    for t in scale * rng.standard_normal((cfg.hessian_draws, size)):
        H, cache = hessian_matrix(obj, t), {}     # columns with equal steps (h_hess = h_w) computed once
        hess["hessian"].append(np.linalg.norm(H - fd_hessian(reference_grads(obj), t, cfg.h_hess, cache=cache)))
        hess["hessian_thesis"].append(np.linalg.norm(H - fd_hessian(reference_grads(obj), t, steps, False, cache)))
        hess["hessian_thesis_f32act"].append(np.linalg.norm(H - fd_hessian(f32, t, steps, False)))
    return {"grad": grad_err, "grad_f32act": grad_f32, **{k: np.array(v) for k, v in hess.items()}}


# -- training paths (Figs D.1-D.3) -------------------------------------------------------------------
def path_errors(X, y, cfg: Config, seed: int, engine: str, quiet: bool) -> dict:
    """GD from a balanced start of scale ``cfg.path_scale`` (initial directions from ``seed``) for each
    activation (a diverged run kept, with the epoch it diverged at), and at each recorded point:

    - err2, errinf: l2 and l-inf norms of grad_F - grad_FD (Fig D.2), grad_F the reference engine's;
    - cs_err2, cs_errinf: the same for grad_F - grad_CS, the complex-step derivative (Fig D.1);
    - loss_cs, loss_engine: |L_F - L_CS| and |L_F - L_engine|, L_engine the loss the training engine
      recorded (Fig D.3).

    Returns {activation: {steps, loss, err2, errinf, cs_err2, cs_errinf, loss_cs, loss_engine,
    diverged_at, engine}}."""
    nets = [init_net(X.shape[1], cfg.width, act, "none", init="balanced", scale=cfg.path_scale, seed=seed)
            for act in ACTIVATIONS]
    trajs = train_many(nets, X, y, loss="square", reduction="half_mean", optimizer=GD(cfg.path_lr),
                       steps=cfg.path_epochs, record_every=max(1, cfg.path_epochs // 200), engine=engine,
                       on_divergence="keep", quiet=quiet)
    out = {}
    for act, net, traj in zip(ACTIVATIONS, nets, trajs):
        pobj = Objective(net, X, y, loss="square", reduction="half_mean")
        thetas = [traj.theta_at(i) for i in range(len(traj))]
        grads = [pobj.grad(t) for t in thetas]
        fd = [g - fd_gradient(pobj, t, cfg.h_grad) for g, t in zip(grads, thetas)]
        cs = [complex_step(t, X, y, act, cfg.width) for t in thetas]
        cs_diff = [g - c[1] for g, c in zip(grads, cs)]
        loss_f = np.array([pobj.data_loss(t) for t in thetas])
        out[act] = {"steps": np.asarray(traj.steps), "loss": np.asarray(traj.train_loss),
                    "err2": np.array([np.linalg.norm(e) for e in fd]), "errinf": np.array([np.abs(e).max() for e in fd]),
                    "cs_err2": np.array([np.linalg.norm(e) for e in cs_diff]),
                    "cs_errinf": np.array([np.abs(e).max() for e in cs_diff]),
                    "loss_cs": np.abs(loss_f - np.array([c[0] for c in cs])),
                    "loss_engine": np.abs(loss_f - np.asarray(traj.train_loss)),
                    "diverged_at": traj.info["diverged"]["step"] if "diverged" in traj.info else None,
                    "engine": str(traj.info.get("engine", engine))}
    return out


# -- the worked example (appendix D.2) ---------------------------------------------------------------
def worked_example(X, y, h_hess: float, h_a: float, h_w: float) -> dict:
    """The thesis's worked Sigmoid example: our exact Hessian against the printed one, and finite
    differences of the gradient: one step ``h_hess`` (symmetrised), the thesis's scheme (h_a on a,
    h_w on W, unsymmetrised) in double precision, with single-precision activation values in the
    gradient, and the printed formula read literally (the step chosen by the differentiated component).

    Returns the max and Frobenius errors, and for each scheme the largest error in the columns that
    step an outer weight (``*_a_steps``) and an inner one (``*_w_steps``)."""
    worked = Net(WORKED_THETA[4:], WORKED_THETA[:4].reshape(2, 2), None, "sigmoid", "none")
    obj = Objective(worked, X, y, loss="square", reduction="half_mean")
    theta, m = worked.theta, worked.m
    H = hessian_matrix(obj, theta)
    steps = thesis_steps(worked.layout, h_a, h_w)
    f32 = functools.partial(closed_form_grads, X=X, y=y, activation="sigmoid", m=m, rounding=np.float32)
    ours = fd_hessian(reference_grads(obj), theta, steps, symmetrise=False)
    ours32 = fd_hessian(f32, theta, steps, symmetrise=False)
    # the literal reading of the printed formula: entry (i, j) steps e_j by h_i (the row's step)
    by_col = {h: fd_hessian(reference_grads(obj), theta, h, symmetrise=False) for h in (h_a, h_w)}
    literal = np.array([by_col[steps[i]][i] for i in range(len(theta))])
    printed_err = WORKED_FD_PRINTED - WORKED_HESSIAN   # rows of the printed matrix step coordinate i (see note)
    out = {"worked_hessian_max_error": float(np.abs(H - WORKED_HESSIAN).max()),
           "worked_hessian_fd_error": float(np.linalg.norm(fd_hessian(reference_grads(obj), theta, h_hess) - H)),
           "fd_scheme_frobenius_error": float(np.linalg.norm(ours - H)),
           "fd_scheme_frobenius_error_f32act": float(np.linalg.norm(ours32 - H)),
           "fd_scheme_frobenius_error_literal": float(np.linalg.norm(literal - H)),
           "fd_scheme_printed": PRINTED_FD_FROBENIUS,
           "fd_scheme_printed_recomputed": float(np.linalg.norm(printed_err))}
    for name, err in (("fd_scheme", ours - H), ("fd_scheme_f32act", ours32 - H), ("fd_scheme_printed", printed_err.T)):
        out[f"{name}_a_steps"] = float(np.abs(err[:, :m]).max())
        out[f"{name}_w_steps"] = float(np.abs(err[:, m:]).max())
    return out


def ratio_verdict(measured: float, printed: float, factor: float = TABLE_FACTOR) -> dict:
    """{measured, printed, ratio measured/printed, verdict}: "agrees" when the ratio lies within
    [1/factor, factor], else "differs"."""
    ratio = measured / printed if printed else float("inf")
    ok = bool(np.isfinite(ratio) and 1 / factor <= ratio <= factor)
    return {"measured": float(measured), "printed": float(printed), "ratio": float(ratio),
            "verdict": "agrees" if ok else "differs"}


def fd_scheme_sentence(w: dict, factor: float = TABLE_FACTOR) -> str:
    """What recomputing the thesis's Hessian scheme on its worked example says, from the numbers of
    :func:`worked_example`."""
    v64 = ratio_verdict(w["fd_scheme_frobenius_error"], w["fd_scheme_printed"], factor)
    v32 = ratio_verdict(w["fd_scheme_frobenius_error_f32act"], w["fd_scheme_printed"], factor)
    text = (f"The thesis's scheme (h_a = 1 on a, h_w = 1e-4 on W) on its worked example gives a Frobenius error of "
            f"{v64['measured']:.2g} in double precision, {v64['ratio']:.2g} times the printed "
            f"{w['fd_scheme_printed']:.3g}: "
            + (f"reproduced (within a factor {factor:g}). " if v64["verdict"] == "agrees"
               else f"differs (not within a factor {factor:g}). "))
    text += (f"Columns stepping an outer weight are off by at most {w['fd_scheme_a_steps']:.1g} and columns stepping "
             f"an inner weight by {w['fd_scheme_w_steps']:.1g} (printed: {w['fd_scheme_printed_a_steps']:.1g} and "
             f"{w['fd_scheme_printed_w_steps']:.1g}). ")
    text += (f"With sigma and sigma' rounded to single precision in the gradient the scheme gives {v32['measured']:.2g} "
             f"({v32['ratio']:.2g} times the printed value, a-columns {w['fd_scheme_f32act_a_steps']:.1g}, W-columns "
             f"{w['fd_scheme_f32act_w_steps']:.1g}): "
             + ("the printed error is at the level of single-precision rounding divided by h_w."
                if v32["verdict"] == "agrees" else "single precision does not account for the printed error either."))
    return text


def table_rows(printed: dict, measured: dict, scales, table: str, factor: float = TABLE_FACTOR) -> list[dict]:
    """Cell-by-cell comparison: for each activation and each printed lambda that ``scales`` contains,
    {table, activation, scale, measured, printed, ratio, verdict}; ``measured[act][k]`` is the cell at
    ``scales[k]``."""
    rows = []
    for act, values in printed.items():
        for s, p in zip(PRINTED_SCALES, values):
            hits = [k for k, x in enumerate(scales) if np.isclose(x, s, rtol=1e-9)]
            if hits:
                rows.append({"table": table, "activation": act, "scale": s,
                             **ratio_verdict(measured[act][hits[0]], p, factor)})
    return rows


def orders(ratio: float) -> str:
    """'1.2 orders smaller' / '0.3 orders larger' for a ratio measured / printed."""
    e = np.log10(ratio)
    return f"{abs(e):.1f} orders {'smaller' if e < 0 else 'larger'}"


def tables_sentence(rows: list[dict], rows_f32: list[dict], factor: float = TABLE_FACTOR) -> str:
    """How many printed cells of Tables D.1-D.2 our double-precision values reproduce (within
    ``factor``), which differ and by how much, and how many the single-precision-activation variant
    reproduces."""
    if not rows:
        return "No printed lambda (1e-7, 1e-2, 5) is among the scales run: the tables are not compared."
    bad = [r for r in rows if r["verdict"] == "differs"]
    text = (f"Of the {len(rows)} printed cells of Tables D.1-D.2 that were run, {len(rows) - len(bad)} agree with our "
            f"double-precision values within a factor {factor:g}")
    if bad:
        text += "; differing: " + ", ".join(f"{r['table']} {r['activation']} lambda = {r['scale']:g} (ours "
                                            f"{r['measured']:.2g} vs {r['printed']:.2g}, {orders(r['ratio'])})"
                                            for r in bad)
    good32 = sum(r["verdict"] == "agrees" for r in rows_f32)
    text += (f". With sigma(Z) and sigma'(Z) rounded to single precision in the closed-form gradient (finite "
             f"differences of the double-precision loss), {good32} of {len(rows_f32)} agree"
             + (f" (ratios {min(r['ratio'] for r in rows_f32):.2g} to {max(r['ratio'] for r in rows_f32):.2g})"
                if rows_f32 else ""))
    if bad and good32 > len(rows) - len(bad) and good32 >= 0.75 * len(rows_f32):
        text += ": the printed levels are those of single-precision activation values in the closed form"
    elif bad:
        text += ": single-precision activations do not explain the differing cells"
    return text + "."


def worst_over_seeds(paths: list[dict], key: str, health: list[dict]) -> dict:
    """{act: [max of paths[s][act][key] for each seed, None for a diverged path]}."""
    return {act: [None if p[act]["diverged_at"] is not None or h[act]["status"] == "diverged"
                  else float(np.max(p[act][key])) for p, h in zip(paths, health)] for act in ACTIVATIONS}


def over_seeds_text(values: list) -> str:
    """'X (range lo-hi over k seeds)' of a list of per-seed values, X the largest; None entries
    (flagged runs) left out and counted."""
    sp = spread(values)
    out = len(values) - sp["n"]
    if sp["n"] == 0:
        return "no seed kept"
    text = f"{sp['hi']:.2g}" + (f" (range {sp['lo']:.2g}-{sp['hi']:.2g} over {sp['n']} seeds)" if sp["n"] > 1 else "")
    return text + (f" ({out} seed{'s' if out > 1 else ''} left out)" if out else "")


def bound_clause(worst: dict, bound: float = PRINTED_PATH_BOUND) -> str:
    """How the largest along-path differences ({act: [per seed, None = left out]}) compare with the
    thesis's statement that its l2 error stayed under ``bound`` (line 2285)."""
    kept = {act: max(x for x in v if x is not None) for act, v in worst.items() if any(x is not None for x in v)}
    if not kept:
        return "no path kept to compare with the thesis's bound"
    over = {act: x for act, x in kept.items() if x >= bound}
    if not over:
        return (f"under the thesis's stated bound {bound:g} for every activation (largest {max(kept.values()):.2g}, "
                f"{np.log10(bound / max(kept.values())):.1f} orders below)")
    return (f"above the thesis's stated bound {bound:g} for "
            + ", ".join(f"{act} ({x:.2g})" for act, x in over.items()))


def autodiff_sentence(worst: dict, tol: float = ROUNDING_GRAD, bound: float = PRINTED_PATH_BOUND) -> str:
    """What Fig D.1 says: the largest l2 difference between the closed-form and complex-step gradients
    along training per activation ({act: [per seed, None = left out]}), whether every one is below the
    rounding level ``tol``, and how it compares with the thesis's stated bound."""
    parts = [f"{act} {over_seeds_text(v)}" for act, v in worst.items()]
    kept = [x for v in worst.values() for x in v if x is not None]
    text = "Largest l2 difference between the closed-form and the complex-step gradient along training: " + "; ".join(parts)
    if not kept:
        return text + ". No path kept: nothing is concluded."
    above = [act for act, v in worst.items() if any(x is not None and x >= tol for x in v)]
    text += (f". Every value is below {tol:g}: the formulas agree with an independent derivative to rounding"
             if not above else f". Above the rounding level {tol:g} for {', '.join(above)}: the closed form and the "
             "independent derivative differ there")
    return text + "; " + bound_clause(worst, bound) + "."


def loss_sentence(cs: dict, engine: dict, engine_name: str, tol: float = ROUNDING_LOSS) -> str:
    """What Fig D.3 says: the largest |L_F - L_CS| and |L_F - L_engine| along training per activation
    ({act: [per seed]}), and whether they are at rounding level ``tol``."""
    kept = [x for d in (cs, engine) for v in d.values() for x in v if x is not None]
    text = ("Largest |L_F - L_independent| along training: " + "; ".join(f"{a} {over_seeds_text(v)}" for a, v in cs.items())
            + f"; largest |L_F - L_{engine_name}| (the loss the {engine_name} engine recorded): "
            + "; ".join(f"{a} {over_seeds_text(v)}" for a, v in engine.items()))
    if not kept:
        return text + ". No path kept."
    return text + (f". All below {tol:g}: the loss formula agrees to rounding." if max(kept) < tol
                   else f". Some exceed {tol:g}: the loss implementations differ beyond rounding.")


def table_text(scales, tables: dict, key: str) -> str:
    """'act: mean [min, max] (lambda = s), ...; ...' of the errors ``tables[act][k][key]`` per scale."""
    rows = []
    for act, units in tables.items():
        cells = [f"{sp['mean']:.3g} [{sp['lo']:.2g}, {sp['hi']:.2g}] (lambda = {s:g})"
                 for s, sp in zip(scales, (spread(u[key]) for u in units))]
        rows.append(f"{act}: " + ", ".join(cells))
    return "; ".join(rows)


def path_health(run: dict, fit_level: float) -> dict:
    """:func:`twolayer.analysis.run_health` of a training path of :func:`path_errors`."""
    h = run_health(run["loss"], fit_level=fit_level, diverged=run["diverged_at"] is not None)
    if run["diverged_at"] is not None:
        h["reason"] = f"diverged: the loss became non-finite at epoch {run['diverged_at']}"
    return h


def path_sentence(worst: dict, health: dict) -> str:
    """What the gradient check along training says: the largest l2 error per activation ({act: float,
    None when the path diverged}), with the paths that never fitted or diverged named."""
    parts = []
    for act, err in worst.items():
        h = health[act]
        if err is None:
            parts.append(f"{act}: left out ({h['reason']})")
        elif h["status"] == "ok":
            parts.append(f"{act} {err:.2g}")
        else:
            parts.append(f"{act} {err:.2g} over the points it visited ({h['status']}: {h['reason']})")
    return "Largest l2 error along the path: " + "; ".join(parts) + "."


def flagged_text(seeds, health: list[dict]) -> str:
    """'; flagged: seed s act (reason), ...' for every path that is not ok, or ''."""
    bad = [f"seed {s} {act} ({h[act]['status']}: {h[act]['reason']})" for s, h in zip(seeds, health)
           for act in ACTIVATIONS if h[act]["status"] != "ok"]
    return " Flagged paths: " + "; ".join(bad) + "." if bad else ""


# -- figures -----------------------------------------------------------------------------------------
def floor(v) -> np.ndarray:
    """``v`` with NaN and values below :data:`FLOOR` (exact zeros) drawn at FLOOR on a log axis."""
    return np.maximum(np.nan_to_num(np.asarray(v, dtype=float), nan=FLOOR), FLOOR)


def sparse_log_ticks(ax, axis: str = "y") -> None:
    """At most 6 major ticks and no minor ones on a log axis spanning many decades (a full set of
    tick labels makes the layout slow)."""
    from matplotlib.ticker import LogLocator, NullLocator

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(LogLocator(numticks=6))
    target.set_minor_locator(NullLocator())


def draw_paths(paths: list[dict], seeds, keys: tuple, names: tuple, colours: tuple, ylabel: str):
    """1 x 3 panels (one per activation) of the per-point series ``keys`` of every seed's path (the
    first seed solid, the others thin)."""
    fig, axes = new_figure(3, 1, width=3.4, height=3.0)
    for col, act in enumerate(ACTIVATIONS):
        ax = axes[0, col]
        for i, (s, p) in enumerate(zip(seeds, paths)):
            for key, name, colour in zip(keys, names, colours):
                ax.semilogy(p[act]["steps"], floor(p[act][key]), color=colour, lw=1.2 if i == 0 else 0.6,
                            alpha=1.0 if i == 0 else 0.5, label=f"{name} (seed {s})" if i == 0 else None)
        ax.axhline(FLOOR, color="grey", lw=0.5, ls=":")
        sparse_log_ticks(ax)
        label(ax, "epoch", ylabel if col == 0 else None, act, legend=col == 0, fontsize=7)
    return fig


def draw_tables(rows: list[dict], rows_f32: list[dict], factor: float):
    """Printed (x) against measured (y) for Tables D.1 and D.2, double precision (o) and the single-
    precision-activation variant (x), with the diagonal and the agreement band."""
    fig, axes = new_figure(2, 1, width=3.8, height=3.6)
    for col, table in enumerate(("D.1", "D.2")):
        ax = axes[0, col]
        for k, act in enumerate(ACTIVATIONS):
            for rs, marker, tag in ((rows, "o", "double"), (rows_f32, "x", "f32 sigma")):
                pts = [(r["printed"], r["measured"]) for r in rs if r["table"] == table and r["activation"] == act]
                if pts:
                    x, y = np.array(pts).T
                    ax.loglog(x, floor(y), marker, color=series_colour(k), ls="none", label=f"{act}, {tag}")
        lo, hi = ax.get_xlim()
        grid = np.array([lo, hi])
        ax.plot(grid, grid, color="grey", lw=1)
        ax.fill_between(grid, grid / factor, grid * factor, color="grey", alpha=0.15, lw=0)
        sparse_log_ticks(ax, "x")
        sparse_log_ticks(ax, "y")
        label(ax, "printed", "measured", f"Table {table}", legend=col == 0, fontsize=6)
    return fig


def run(cfg: Config, ctx) -> dict:
    X, y = data.thesis(cfg.dataset)
    # one unit per (activation, scale), its draws seeded by (seed, activation index, scale index)
    tables = {act: [ctx.run("random_errors", functools.partial(random_errors, X, y, act, s, cfg, (cfg.seed, a, k)),
                            activation=act, scale=s, index=k) for k, s in enumerate(cfg.scales)]
              for a, act in enumerate(ACTIVATIONS)}
    mean = {key: {act: [float(np.mean(t[key])) for t in tables[act]] for act in ACTIVATIONS}
            for key in ("grad", "grad_f32act", "hessian", "hessian_thesis", "hessian_thesis_f32act")}
    rows = (table_rows(PRINTED_D1, mean["grad"], cfg.scales, "D.1")
            + table_rows(PRINTED_D2, mean["hessian_thesis"], cfg.scales, "D.2"))
    rows32 = (table_rows(PRINTED_D1, mean["grad_f32act"], cfg.scales, "D.1")
              + table_rows(PRINTED_D2, mean["hessian_thesis_f32act"], cfg.scales, "D.2"))
    worked = worked_example(X, y, cfg.h_hess, cfg.h_a, cfg.h_w)

    seeds = [cfg.seed + k for k in range(cfg.replicas + 1)]
    paths = [ctx.run("path", functools.partial(path_errors, X, y, cfg, s, ctx.engine, ctx.quiet), seed=s)
             for s in seeds]
    health = [{act: path_health(p[act], cfg.fit_level) for act in ACTIVATIONS} for p in paths]
    fd_worst = worst_over_seeds(paths, "err2", health)
    cs_worst = worst_over_seeds(paths, "cs_err2", health)
    csinf_worst = worst_over_seeds(paths, "cs_errinf", health)
    loss_cs = worst_over_seeds(paths, "loss_cs", health)
    loss_engine = worst_over_seeds(paths, "loss_engine", health)
    engine_name = paths[0][ACTIVATIONS[0]]["engine"]
    first = {act: health[0][act] for act in ACTIVATIONS}
    path = {act: fd_worst[act][0] for act in ACTIVATIONS}
    flagged = flagged_text(seeds, health)

    # Fig D.2 (finite differences along training) with the drawn seed's loss curves
    fig, axes = new_figure(2, 1, width=4.6, height=3.6)
    for k, (act, p) in enumerate(paths[0].items()):
        tag = "" if first[act]["status"] == "ok" else f" ({first[act]['status']})"
        axes[0, 0].semilogy(p["steps"], floor(p["err2"]), color=series_colour(k), label=f"{act}, l2{tag}")
        axes[0, 0].semilogy(p["steps"], floor(p["errinf"]), color=series_colour(k), ls=":", label=f"{act}, inf")
        axes[0, 1].semilogy(p["steps"], p["loss"], color=series_colour(k), label=act + tag)
    sparse_log_ticks(axes[0, 0])
    sparse_log_ticks(axes[0, 1])
    axes[0, 1].axhline(cfg.fit_level, color="grey", ls=":", lw=1, label=f"fit level {cfg.fit_level:g}")
    label(axes[0, 0], "epoch", "||grad_F - grad_FD||", f"along GD (lambda = {cfg.path_scale:g}, h = {cfg.h_grad:g})",
          legend=True, fontsize=7)
    label(axes[0, 1], "epoch", "loss 1/(2n)", "the training runs", legend=True)
    ctx.figure(fig, "gradient_path", "Closed-form gradient against finite differences along training (thesis Fig D.2)",
               f"m = {cfg.width}, balanced initialisation of scale {cfg.path_scale:g}, GD step {cfg.path_lr:g} on data "
               f"set {cfg.dataset}, seed {cfg.seed}. The error of a central difference with h = {cfg.h_grad:g} is "
               f"truncation (O(h^2) times third derivatives) plus rounding (O(eps L / h)); for ReLU it jumps where a "
               f"neuron's kink lies within h/2 of a data point. " + path_sentence(path, first)
               + f" Over seeds {seeds}: " + "; ".join(f"{a} {over_seeds_text(v)}" for a, v in fd_worst.items())
               + "; " + bound_clause(fd_worst) + "." + flagged)

    fig = draw_paths(paths, seeds, ("cs_err2", "cs_errinf"), ("l2", "inf"), ("tab:blue", "tab:red"),
                     "||grad_F - grad_CS||")
    ctx.figure(fig, "gradient_autodiff", "Closed-form gradient against an independent derivative along training "
               "(thesis Fig D.1)",
               f"Same runs as Fig D.2 ({len(seeds)} seeds, the first solid). Instead of PyTorch the independent gradient "
               f"is the complex-step derivative Im L(theta + i t e_i)/t, t = {CS_STEP:g}, of a loss written separately in "
               f"complex arithmetic: no subtraction, so no truncation or cancellation error. Blue l2, red l-inf, as in "
               f"the thesis; values drawn at {FLOOR:g} are exactly 0. " + autodiff_sentence(cs_worst) + flagged)
    fig = draw_paths(paths, seeds, ("loss_cs", "loss_engine"), ("independent", engine_name),
                     ("tab:blue", "tab:green"), "|L_F - L_other|")
    ctx.figure(fig, "loss_difference", "Loss formula against independent losses along training (thesis Fig D.3)",
               f"|L_F - L_independent| (the complex-arithmetic loss at theta) and |L_F - L_{engine_name}| (the loss the "
               f"{engine_name} training engine recorded at the same points); values drawn at {FLOOR:g} are exactly 0. "
               + loss_sentence(loss_cs, loss_engine, engine_name) + flagged)
    fig = draw_tables(rows, rows32, TABLE_FACTOR)
    ctx.figure(fig, "tables_vs_printed", "Tables D.1 and D.2: printed against measured, cell by cell",
               f"Table D.2 is computed with the worked example's steps h_a = {cfg.h_a:g}, h_w = {cfg.h_w:g} (the thesis "
               f"does not restate them for the table), unsymmetrised. Circles: our double-precision means ({cfg.draws} draws per D.1 cell, {cfg.hessian_draws} per D.2 "
               f"cell; the thesis used 1000); crosses: sigma(Z), sigma'(Z) rounded to single precision in the closed "
               f"form. Grey band: within a factor {TABLE_FACTOR:g}. " + tables_sentence(rows, rows32))

    ctx.note("Gradient table (appendix D.1), mean ||grad_F - grad_FD||_2 over random theta ~ lambda N(0, 1) "
             f"({cfg.draws} draws each; range in brackets): " + table_text(cfg.scales, tables, "grad"))
    ctx.note("Hessian table (appendix D.2), mean ||H_F - H_FD||_F with eighth-order differences of the exact gradient, "
             f"one step h = {cfg.h_hess:g} ({cfg.hessian_draws} draws each; range in brackets): "
             + table_text(cfg.scales, tables, "hessian") + ". With the thesis's steps (h_a = "
             f"{cfg.h_a:g}, h_w = {cfg.h_w:g}): " + table_text(cfg.scales, tables, "hessian_thesis"))
    ctx.note("Tables D.1-D.2 cell by cell (printed | measured in double | ratio | verdict | measured with "
             "single-precision activations | ratio | verdict):\n\n" + "\n".join(
                 f"- {r['table']} {r['activation']} lambda = {r['scale']:g}: {r['printed']:.3g} | {r['measured']:.3g} | "
                 f"{r['ratio']:.2g} | {r['verdict']} | {r32['measured']:.3g} | {r32['ratio']:.2g} | {r32['verdict']}"
                 for r, r32 in zip(rows, rows32)) + "\n\n" + tables_sentence(rows, rows32))
    ctx.note(f"Worked Sigmoid example: twolayer's exact Hessian equals the thesis's printed matrix to "
             f"{worked['worked_hessian_max_error']:.1e} (8 printed decimals); eighth-order differences of the exact "
             f"gradient with one step h = {cfg.h_hess:g} agree with it to {worked['worked_hessian_fd_error']:.1e} "
             "(Frobenius). " + fd_scheme_sentence(worked)
             + " Why the outer-weight columns are exact whatever h_a: dL/da_i = (1/n) sum_k r_k sigma(w_i . x_k) is "
             "linear and dL/dw_i = (1/n) sum_k r_k a_i sigma'(w_i . x_k) x_k quadratic in a (r = h - y is linear in "
             "a), and the eight-point central scheme is exact on polynomials of degree <= 8 (its error term is "
             "O(h^8 f^(9))); only rounding remains, about eps |g| sum|c_k| / h_a, smallest for a large h_a. Stepping "
             "an inner weight by h_w = 1e-4 makes the truncation O(h_w^8) negligible and the rounding about "
             "eps |g| sum|c_k| / h_w: 2e-12 for eps = 2.2e-16, 1e-3 for single precision. Read literally (entry (i, j) "
             "stepping e_j by the row's step h_i), the printed formula would step the inner weights by 1 in the "
             f"outer-weight rows and give {worked['fd_scheme_frobenius_error_literal']:.2g}; the printed matrix's "
             "accurate rows are those that step an outer weight (its rows index the stepped coordinate).")
    return {"scales": list(cfg.scales), "grad_error": mean["grad"], "hessian_error": mean["hessian"],
            "grad_error_f32act": mean["grad_f32act"], "hessian_error_thesis_scheme": mean["hessian_thesis"],
            "hessian_error_thesis_scheme_f32act": mean["hessian_thesis_f32act"],
            **worked,
            "table_cells": rows, "table_cells_f32act": rows32, "table_factor": TABLE_FACTOR,
            "tables_cells_agree": sum(r["verdict"] == "agrees" for r in rows),
            "tables_cells_agree_f32act": sum(r["verdict"] == "agrees" for r in rows32),
            "tables_cells_compared": len(rows),
            "path_grad_error_max": path, "path_grad_error_max_seeds": fd_worst,
            "path_grad_error_max_spread": {a: spread(v) for a, v in fd_worst.items()},
            "autodiff_grad_error_max": {a: v[0] for a, v in cs_worst.items()},
            "autodiff_grad_error_max_seeds": cs_worst,
            "autodiff_grad_error_max_spread": {a: spread(v) for a, v in cs_worst.items()},
            "autodiff_grad_errinf_max": {a: v[0] for a, v in csinf_worst.items()},
            "loss_diff_max": {a: v[0] for a, v in loss_cs.items()}, "loss_diff_max_seeds": loss_cs,
            "loss_diff_engine_max": {a: v[0] for a, v in loss_engine.items()},
            "loss_diff_engine_max_seeds": loss_engine, "path_engine": engine_name, "path_seeds": seeds,
            "path_health": {a: h["status"] for a, h in first.items()},
            "path_health_seeds": {a: [h[a]["status"] for h in health] for a in ACTIVATIONS},
            "path_final_loss": {a: float(p["loss"][-1]) for a, p in paths[0].items()}}


register(Experiment(
    name="gradient-checks", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis appendix D: closed-form gradients and Hessians against complex-step derivatives and finite "
                "differences over random parameters and along training, the thesis's Hessian scheme on its worked "
                "Sigmoid example, and Tables D.1-D.2 cell by cell against the printed values.",
    config=Config, run=run, quick=QUICK, source="thesis, appendix D (D.1-D.2, Figs D.1-D.3, Tables D.1-D.2)"))

"""Seed 003, appendix D: the closed-form gradient and Hessian against finite differences, and the
thesis's worked Sigmoid example (its printed 6 x 6 Hessian).

Network h(x) = sum_j a_j sigma(w_j . x) on data set 1.1.0, no width scaling. Appendix D uses the
loss (1/(2n)) sum (h - y)^2 of chapter 4 (its printed Hessian is matched by that reduction only).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .. import data
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
# the eighth-order central difference of appendix D.2: f'(x) ~ sum_k c_k f(x + k h) / h
FD8 = {1: 4 / 5, 2: -1 / 5, 3: 4 / 105, 4: -1 / 280}


@dataclass
class Config:
    dataset: str = param("1.1.0", "Thesis data set of inputs (x, 1) (the worked example's printed Hessian is for "
                         "1.1.0).", choices=TWO_D_SETS)
    width: int = param(10, "Number of hidden neurons m of the random and trained networks.", ge=1, le=100)
    scales: tuple[float, ...] = param((1e-7, 1e-2, 5.0), "Scales lambda of the random parameters theta ~ lambda N(0, 1).",
                                      gt=0, le=1000)
    draws: int = param(1000, "Random theta per (activation, scale) for the gradient table.", ge=1, le=100_000)
    hessian_draws: int = param(100, "Random theta per (activation, scale) for the Hessian table.", ge=1, le=10_000)
    h_grad: float = param(1e-4, "Central-difference step h of the gradient check.", gt=0, le=1)
    h_hess: float = param(1e-4, "Step h of the eighth-order differences of the Hessian check.", gt=0, le=1)
    path_scale: float = param(1e-6, "Balanced initialisation scale of the training path (Figs D.2-D.3).", gt=0, le=100)
    path_lr: float = param(1e-3, "GD step size of the training path.", gt=0, le=10)
    path_epochs: int = param(100_000, "Number of GD steps of the training path (about 200 points checked); the "
                             "default lets all three activations fit (Sigmoid needs about 5e4 steps).", ge=1,
                             le=3_000_000)
    fit_level: float = param(0.01, "Loss 1/(2n) a training path must end below to count as fitted (one that does "
                             "not is flagged: its check covers the points it visited).", gt=0, le=1)
    seed: int = param(0, "Random seed of theta and of the initialisation.", ge=0, le=SEED_MAX)


QUICK = {"draws": 100, "hessian_draws": 10, "path_epochs": 60_000}


def fd_gradient(obj: Objective, theta, h: float) -> np.ndarray:
    """Central differences (L(theta + h/2 e_i) - L(theta - h/2 e_i)) / h of the loss (appendix D.1)."""
    g = np.empty_like(theta)
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = 0.5 * h
        g[i] = (obj.data_loss(theta + e) - obj.data_loss(theta - e)) / h
    return g


def fd_hessian(obj: Objective, theta, h: float) -> np.ndarray:
    """Eighth-order central differences of the exact gradient, column by column (appendix D.2)."""
    H = np.empty((len(theta), len(theta)))
    for j in range(len(theta)):
        col = np.zeros_like(theta)
        for k, c in FD8.items():
            e = np.zeros_like(theta)
            e[j] = k * h
            col += c * (obj.grad(theta + e) - obj.grad(theta - e))
        H[:, j] = col / h
    return 0.5 * (H + H.T)


def random_errors(X, y, act: str, scale: float, cfg: Config, seed) -> dict:
    """||grad_F - grad_FD||_2 (``cfg.draws`` values) and ||H_F - H_FD||_F (``cfg.hessian_draws`` values)
    over random theta_i ~ scale N(0, 1), drawn from ``np.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    base = init_net(X.shape[1], cfg.width, act, "none", init="normal", scale=1.0, seed=0)
    obj = Objective(base, X, y, loss="square", reduction="half_mean")
    size = base.layout.size
    grad_err = [np.linalg.norm(obj.grad(t) - fd_gradient(obj, t, cfg.h_grad))
                for t in scale * rng.standard_normal((cfg.draws, size))]
    hess_err = [np.linalg.norm(hessian_matrix(obj, t) - fd_hessian(obj, t, cfg.h_hess))
                for t in scale * rng.standard_normal((cfg.hessian_draws, size))]
    return {"grad": np.array(grad_err), "hessian": np.array(hess_err)}


def path_errors(X, y, cfg: Config, ctx) -> dict:
    """GD from a balanced start of scale ``cfg.path_scale`` for each activation (a diverged run kept,
    with the epoch it diverged at), and along each recorded point the l2 and l-inf norms of
    grad_F - grad_FD: {activation: {steps, loss, err2, errinf, diverged_at}}."""
    nets = [init_net(X.shape[1], cfg.width, act, "none", init="balanced", scale=cfg.path_scale, seed=cfg.seed)
            for act in ACTIVATIONS]
    trajs = train_many(nets, X, y, loss="square", reduction="half_mean", optimizer=GD(cfg.path_lr),
                       steps=cfg.path_epochs, record_every=max(1, cfg.path_epochs // 200), engine=ctx.engine,
                       on_divergence="keep", quiet=ctx.quiet)
    out = {}
    for act, net, traj in zip(ACTIVATIONS, nets, trajs):
        pobj = Objective(net, X, y, loss="square", reduction="half_mean")
        thetas = [traj.theta_at(i) for i in range(len(traj))]
        diffs = [pobj.grad(t) - fd_gradient(pobj, t, cfg.h_grad) for t in thetas]
        out[act] = {"steps": np.asarray(traj.steps), "loss": np.asarray(traj.train_loss),
                    "err2": np.array([np.linalg.norm(e) for e in diffs]),
                    "errinf": np.array([np.abs(e).max() for e in diffs]),
                    "diverged_at": traj.info["diverged"]["step"] if "diverged" in traj.info else None}
    return out


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


def run(cfg: Config, ctx) -> dict:
    X, y = data.thesis(cfg.dataset)
    # one unit per (activation, scale), its draws seeded by (seed, activation index, scale index)
    tables = {act: [ctx.run("random_errors", functools.partial(random_errors, X, y, act, s, cfg, (cfg.seed, a, k)),
                            activation=act, scale=s, index=k) for k, s in enumerate(cfg.scales)]
              for a, act in enumerate(ACTIVATIONS)}
    grad_table = {act: [float(np.mean(t["grad"])) for t in tables[act]] for act in ACTIVATIONS}
    hess_table = {act: [float(np.mean(t["hessian"])) for t in tables[act]] for act in ACTIVATIONS}

    worked = Net(WORKED_THETA[4:], WORKED_THETA[:4].reshape(2, 2), None, "sigmoid", "none")
    obj = Objective(worked, X, y, loss="square", reduction="half_mean")
    H = hessian_matrix(obj, worked.theta)
    worked_err = float(np.abs(H - WORKED_HESSIAN).max())
    worked_fd_err = float(np.linalg.norm(fd_hessian(obj, worked.theta, cfg.h_hess) - H))

    paths = ctx.run("path", lambda: path_errors(X, y, cfg, ctx))
    health = {act: path_health(p, cfg.fit_level) for act, p in paths.items()}
    fig, axes = new_figure(2, 1, width=4.6, height=3.6)
    path = {}
    for k, (act, p) in enumerate(paths.items()):
        tag = "" if health[act]["status"] == "ok" else f" ({health[act]['status']})"
        path[act] = None if p["diverged_at"] is not None else float(np.max(p["err2"]))
        axes[0, 0].semilogy(p["steps"], np.maximum(p["err2"], 1e-18), color=series_colour(k), label=f"{act}, l2{tag}")
        axes[0, 0].semilogy(p["steps"], np.maximum(p["errinf"], 1e-18), color=series_colour(k), ls=":",
                            label=f"{act}, inf")
        axes[0, 1].semilogy(p["steps"], p["loss"], color=series_colour(k), label=act + tag)
    axes[0, 1].axhline(cfg.fit_level, color="grey", ls=":", lw=1, label=f"fit level {cfg.fit_level:g}")
    label(axes[0, 0], "epoch", "||grad_F - grad_FD||", f"along GD (lambda = {cfg.path_scale:g}, h = {cfg.h_grad:g})",
          legend=True, fontsize=7)
    label(axes[0, 1], "epoch", "loss 1/(2n)", "the training runs", legend=True)
    ctx.figure(fig, "gradient_path", "Closed-form gradient against finite differences along training (thesis Fig D.2)",
               f"m = {cfg.width}, balanced initialisation of scale {cfg.path_scale:g}, GD step {cfg.path_lr:g} on data "
               f"set {cfg.dataset}. The error of a central difference with h = {cfg.h_grad:g} is truncation (O(h^2) "
               f"times third derivatives) plus rounding (O(eps L / h)); for ReLU it jumps where a neuron's kink lies "
               f"within h/2 of a data point. " + path_sentence(path, health))
    ctx.note("Gradient table (appendix D.1), mean ||grad_F - grad_FD||_2 over random theta ~ lambda N(0, 1) "
             f"({cfg.draws} draws each; range in brackets): "
             + table_text(cfg.scales, tables, "grad"))
    ctx.note("Hessian table (appendix D.2), mean ||H_F - H_FD||_F with eighth-order differences of the exact gradient "
             f"({cfg.hessian_draws} draws each; range in brackets): "
             + table_text(cfg.scales, tables, "hessian"))
    ctx.note(f"Worked Sigmoid example: twolayer's exact Hessian equals the thesis's printed matrix to {worked_err:.1e} "
             f"(8 printed decimals); eighth-order differences of the exact gradient with one step h = {cfg.h_hess:g} "
             f"for every coordinate agree with it to {worked_fd_err:.1e} in Frobenius norm (the thesis's own finite "
             f"differences, with h_a = 1, were 9.4e-4 away).")
    return {"scales": list(cfg.scales), "grad_error": grad_table, "hessian_error": hess_table,
            "worked_hessian_max_error": worked_err, "worked_hessian_fd_error": worked_fd_err,
            "path_grad_error_max": path, "path_health": {a: h["status"] for a, h in health.items()},
            "path_final_loss": {a: float(p["loss"][-1]) for a, p in paths.items()}}


register(Experiment(
    name="gradient-checks", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis appendix D: closed-form gradients and Hessians against finite differences over random "
                "parameters and along training, and the worked Sigmoid example's printed 6 x 6 Hessian.",
    config=Config, run=run, quick=QUICK, source="thesis, appendix D (D.1-D.2, Figs D.2-D.3)"))

"""Seed 003, appendix D: the closed-form gradient and Hessian against finite differences, and the
thesis's worked Sigmoid example (its printed 6 x 6 Hessian).

Network h(x) = sum_j a_j sigma(w_j . x) on data set 1.1.0, no width scaling. Appendix D uses the
loss (1/(2n)) sum (h - y)^2 of chapter 4 (its printed Hessian is matched by that reduction only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import data
from ..analysis import hessian_matrix
from ..init import init_net
from ..net import Net
from ..objective import Objective
from ..optim import GD
from ..plots import label, new_figure
from ..plots.style import series_colour
from ..train import train
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
    path_epochs: int = param(30000, "Number of GD steps of the training path (about 200 points checked).", ge=1,
                             le=3_000_000)
    seed: int = param(0, "Random seed of theta and of the initialisation.", ge=0, le=SEED_MAX)


QUICK = {"draws": 100, "hessian_draws": 10, "path_epochs": 10000}


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


def random_errors(X, y, act: str, scale: float, cfg: Config, rng) -> tuple[float, float]:
    """Mean over random theta_i ~ scale N(0, 1) of ||grad_F - grad_FD||_2 and of ||H_F - H_FD||_F."""
    base = init_net(X.shape[1], cfg.width, act, "none", init="normal", scale=1.0, seed=0)
    obj = Objective(base, X, y, loss="square", reduction="half_mean")
    size = base.layout.size
    grad_err = [np.linalg.norm(obj.grad(t) - fd_gradient(obj, t, cfg.h_grad))
                for t in scale * rng.standard_normal((cfg.draws, size))]
    hess_err = [np.linalg.norm(hessian_matrix(obj, t) - fd_hessian(obj, t, cfg.h_hess))
                for t in scale * rng.standard_normal((cfg.hessian_draws, size))]
    return float(np.mean(grad_err)), float(np.mean(hess_err))


def run(cfg: Config, ctx) -> dict:
    X, y = data.thesis(cfg.dataset)
    rng = np.random.default_rng(cfg.seed)
    grad_table, hess_table = {}, {}
    for act in ACTIVATIONS:
        rows = [random_errors(X, y, act, s, cfg, rng) for s in cfg.scales]
        grad_table[act] = [r[0] for r in rows]
        hess_table[act] = [r[1] for r in rows]

    worked = Net(WORKED_THETA[4:], WORKED_THETA[:4].reshape(2, 2), None, "sigmoid", "none")
    obj = Objective(worked, X, y, loss="square", reduction="half_mean")
    H = hessian_matrix(obj, worked.theta)
    worked_err = float(np.abs(H - WORKED_HESSIAN).max())
    worked_fd_err = float(np.linalg.norm(fd_hessian(obj, worked.theta, cfg.h_hess) - H))

    fig, axes = new_figure(2, 1, width=4.6, height=3.6)
    path = {}
    for k, act in enumerate(ACTIVATIONS):
        net = init_net(X.shape[1], cfg.width, act, "none", init="balanced", scale=cfg.path_scale, seed=cfg.seed)
        traj = train(net, X, y, loss="square", reduction="half_mean", optimizer=GD(cfg.path_lr), steps=cfg.path_epochs,
                     record_every=max(1, cfg.path_epochs // 200), engine=ctx.engine, quiet=ctx.quiet)
        pobj = Objective(net, X, y, loss="square", reduction="half_mean")
        thetas = [traj.theta_at(i) for i in range(len(traj))]
        diffs = [pobj.grad(t) - fd_gradient(pobj, t, cfg.h_grad) for t in thetas]
        err2 = [np.linalg.norm(e) for e in diffs]
        errinf = [np.abs(e).max() for e in diffs]
        path[act] = float(max(err2))
        axes[0, 0].semilogy(traj.steps, np.maximum(err2, 1e-18), color=series_colour(k), label=f"{act}, l2")
        axes[0, 0].semilogy(traj.steps, np.maximum(errinf, 1e-18), color=series_colour(k), ls=":", label=f"{act}, inf")
        axes[0, 1].semilogy(traj.steps, traj.train_loss, color=series_colour(k), label=act)
    label(axes[0, 0], "epoch", "||grad_F - grad_FD||", f"along GD (lambda = {cfg.path_scale:g}, h = {cfg.h_grad:g})",
          legend=True, fontsize=7)
    label(axes[0, 1], "epoch", "loss 1/(2n)", "the training runs", legend=True)
    ctx.figure(fig, "gradient_path", "Closed-form gradient against finite differences along training (thesis Fig D.2)",
               f"m = {cfg.width}, balanced initialisation of scale {cfg.path_scale:g}, GD step {cfg.path_lr:g} on data "
               f"set {cfg.dataset}. The error of a central difference with h = {cfg.h_grad:g} is truncation (O(h^2) "
               f"times third derivatives) plus rounding (O(eps L / h)); for ReLU it jumps where a neuron's kink lies "
               f"within h/2 of a data point.")
    ctx.note("Gradient table (appendix D.1), mean ||grad_F - grad_FD||_2 over random theta ~ lambda N(0, 1): "
             + "; ".join(f"{a}: " + ", ".join(f"{e:.3g} (lambda = {s:g})" for s, e in zip(cfg.scales, grad_table[a]))
                         for a in ACTIVATIONS))
    ctx.note("Hessian table (appendix D.2), mean ||H_F - H_FD||_F with eighth-order differences of the exact gradient: "
             + "; ".join(f"{a}: " + ", ".join(f"{e:.3g} (lambda = {s:g})" for s, e in zip(cfg.scales, hess_table[a]))
                         for a in ACTIVATIONS))
    ctx.note(f"Worked Sigmoid example: twolayer's exact Hessian equals the thesis's printed matrix to {worked_err:.1e} "
             f"(8 printed decimals); eighth-order differences of the exact gradient with one step h = {cfg.h_hess:g} "
             f"for every coordinate agree with it to {worked_fd_err:.1e} in Frobenius norm (the thesis's own finite "
             f"differences, with h_a = 1, were 9.4e-4 away).")
    return {"scales": list(cfg.scales), "grad_error": grad_table, "hessian_error": hess_table,
            "worked_hessian_max_error": worked_err, "worked_hessian_fd_error": worked_fd_err,
            "path_grad_error_max": path}


register(Experiment(
    name="gradient-checks", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis appendix D: closed-form gradients and Hessians against finite differences over random "
                "parameters and along training, and the worked Sigmoid example's printed 6 x 6 Hessian.",
    config=Config, run=run, quick=QUICK, source="thesis, appendix D (D.1-D.2, Figs D.2-D.3)"))

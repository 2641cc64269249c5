"""Seed 002, exercises 2 and 3: the Hessian of a wide network's output vanishes like p^(-1/2), yet
g = phi(f) does not linearise; and trained wide networks stay close to their linearisation.

Every unit of work is stored (``ctx.run``): the measurements at initialisation of one width over
all its seeds (``"at_init"``, setting ``p``), and one gradient-flow run (``"train"``, settings
``p`` and ``seed``). Figures, metrics and sentences are computed from the stored values only, so
``twolayer redraw`` gives the same numbers without training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from ..activations import get_activation
from ..analysis import output_hessian_norm, output_hvp, run_health, spread
from ..errors import InvalidParameter
from ..net import Net
from ..ntk import empirical_ntk, linearised_predictor
from ..objective import Objective
from ..optim import Flow
from ..plots import label, mean_band, new_figure
from ..train import train
from . import Experiment, register
from .base import param
from .budget import SEED_MAX
from ..analysis.seeds import per_seed_slopes, slope_sentence
from .ntk_concentration import sphere_points

SMOOTH_ACTIVATIONS = ("tanh", "sigmoid")
OUTER_DRAWS = ("uniform", "signs")
MAX_PREACTIVATIONS = 100_000_000   # (n_test, p) pre-activations of the kernel at the largest trained width (800 MB)

# phi of g = phi(f) for the check of identity (6): (library loss ell(f, y) = phi(f), y, phi', phi'')
PHIS = {
    "u^2": ("square", 0.0, lambda u: 2.0 * u, lambda u: 2.0 + 0.0 * u),
    "log(1+e^-u)": ("logistic", 1.0, lambda u: -expit(-u), lambda u: expit(u) * expit(-u)),
    "e^-u": ("exponential", 1.0, lambda u: -np.exp(-u), lambda u: np.exp(-u)),
}
PLOTTED_PHI = "u^2"       # the right panel's phi(u) = u^2: phi' = 2u, phi'' = 2
FD_STEP = 3e-4            # step of the second differences of g: error O(h^2) + O(eps / h^2), about 1e-8 relative
EXACT_TOL, FD_TOL = 1e-10, 1e-5   # what "identity (6) holds" means for the two checks
FLAT_SLOPE = 0.1          # |log-log slope| below which a term "stays of order one" (a factor 2 over 1000x width)


@dataclass
class Config:
    d: int = param(5, "Input dimension (inputs on the unit sphere of R^d).", ge=1, le=1000)
    activation: str = param("tanh", "Hidden activation; a smooth one, since ReLU has sigma'' = 0 and no Hessian to "
                            "measure.", choices=SMOOTH_ACTIVATIONS)
    outer: str = param("uniform", "Draw of the outer weights a_j: uniform = Unif([-1, 1]) (exercise 2(b) of the "
                       "sheet), signs = Unif({-1, +1}) (exercise 1's draw).", choices=OUTER_DRAWS)
    log2_widths: tuple[int, ...] = param(tuple(range(4, 15)), "Widths p = 2^k at initialisation, as the exponents k.",
                                         ge=0, le=20)
    seeds: int = param(10, "Independent initialisations per width at initialisation.", ge=1, le=1000)
    log2_train_widths: tuple[int, ...] = param(tuple(range(6, 13)), "Widths p = 2^k trained by gradient flow, as the "
                                               "exponents k.", ge=0, le=15)
    train_seeds: int = param(5, "Independent initialisations per trained width.", ge=1, le=100)
    n_train: int = param(10, "Number of training points on the unit sphere.", ge=1, le=1000)
    n_test: int = param(100, "Number of test points for the gap to the linearised predictor.", ge=1, le=10_000)
    t_train: float = param(100.0, "Gradient-flow time of training (GD steps x step size).", gt=0, le=10_000)
    seed: int = param(0, "Random seed of the points and of the networks.", ge=0, le=SEED_MAX)


QUICK = {"log2_widths": tuple(range(4, 11)), "log2_train_widths": tuple(range(6, 11)), "seeds": 5, "train_seeds": 2}


def network(cfg, p: int, seed: int, stage: int) -> Net:
    """f(x) = p^(-1/2) sum_j a_j sigma(w_j . x), w_j ~ N(0, I_d) and a_j ~ Unif([-1, 1]) (``cfg.outer`` =
    "uniform") or Unif({-1, +1}) ("signs"); one stream per (seed, stage, p, seed index)."""
    rng = np.random.default_rng([cfg.seed, stage, int(p), seed])
    W = rng.standard_normal((int(p), cfg.d))
    a = rng.uniform(-1.0, 1.0, int(p)) if cfg.outer == "uniform" else rng.choice(np.array([-1.0, 1.0]), int(p))
    return Net(a, W, None, cfg.activation, "ntk", init=f"{cfg.outer} a, gaussian W (seed {cfg.seed}/{stage}/{p}/{seed})")


def sup_d2(activation: str) -> float:
    """sup_z |sigma''(z)| on a fine grid of [-20, 20] (tanh: 4/(3 sqrt 3) = 0.7698; sigmoid: 1/(6 sqrt 3))."""
    z = np.linspace(-20.0, 20.0, 400_001)
    return float(np.abs(get_activation(activation).d2f(z, 0.0)).max())


# -- identity (6), checked ---------------------------------------------------------------------
def identity_terms(net: Net, x, phi: str, V) -> tuple[np.ndarray, np.ndarray]:
    """The two terms of (6) applied to the directions V, (P, k) flat vectors supported on W:
    phi'(f) H_f V (H_f by :func:`output_hvp`) and phi''(f) grad_W f (grad_W f^T V)."""
    _, _, d1, d2 = PHIS[phi]
    f = float(net(x[None, :])[0])
    mask = net.layout.mask(["W"])
    HV = np.column_stack([output_hvp(net, x, v, ("W",)) for v in V.T])
    grad = np.where(mask, net.layout.pack(np.zeros_like(net.a), net.gradients(x[None, :], np.ones(1), ("W",))["W"],
                                          None), 0.0)
    return d1(f) * HV, d2(f) * np.outer(grad, grad @ V)


def hessian_g_exact(net: Net, x, phi: str, V) -> np.ndarray:
    """H_g V, (P, k), with g = ell(f(x), y) = phi(f) the library's loss on one point: Pearlmutter's
    R-operator on the objective (:meth:`Objective.hvp`), which never forms the split (6)."""
    loss, y, _, _ = PHIS[phi]
    obj = Objective(net, x[None, :], np.array([y]), loss=loss, reduction="sum", trainable=("W",))
    theta = net.theta
    return np.column_stack([obj.hvp(theta, v) for v in V.T])


def hessian_g_fd(net: Net, x, phi: str, V, h: float = FD_STEP) -> np.ndarray:
    """V^T H_g V, (k, k), from values of g = phi(f) only: the second differences
    (g(+u +v) - g(+u -v) - g(-u +v) + g(-u -v)) / (4 h^2) along h u, h v, with f written as (5),
    p^(-1/2) sum_j a_j sigma(w_j . x); a W-direction u moves w_j . x by (U_j . x)."""
    loss, y, _, _ = PHIS[phi]
    ell = {"square": lambda u: (u - y) ** 2, "logistic": lambda u: np.logaddexp(0.0, -y * u),
           "exponential": lambda u: np.exp(-y * u)}[loss]
    act = get_activation(net.activation)
    z = net.W @ x
    T = np.column_stack([v[net.layout.slices["W"]].reshape(net.W.shape) @ x for v in V.T])  # (p, k)
    k = V.shape[1]
    B = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            shifts = np.array([1, -1, -1, 1])[:, None] * T[:, i] + np.array([1, -1, 1, -1])[:, None] * T[:, j]
            g = ell(net.scale * (act.f(z + h * shifts, 0.0) @ net.a))
            B[i, j] = B[j, i] = (g[0] - g[2] - g[3] + g[1]) / (4.0 * h * h)
    return B


def check_directions(net: Net, x, rng) -> np.ndarray:
    """(P, 4) unit directions supported on W where both terms of (6) matter: grad_W f, the top
    eigenvector of H_W f (neuron j* = argmax |a_j sigma''(z_j)|, direction x), two random ones."""
    lay = net.layout
    zeros = np.zeros_like(net.a)
    grad = net.gradients(x[None, :], np.ones(1), ("W",))["W"]
    z = net.W @ x
    top = np.zeros_like(net.W)
    top[int(np.argmax(np.abs(net.a * get_activation(net.activation).d2f(z, 0.0))))] = x
    cols = [lay.pack(zeros, grad, None), lay.pack(zeros, top, None)]
    cols += [lay.pack(zeros, rng.standard_normal(net.W.shape), None) for _ in range(2)]
    V = np.column_stack(cols)
    return V / np.linalg.norm(V, axis=0)


def identity_errors(net: Net, x, phi: str, V, drop: str | None = None) -> dict:
    """Relative errors of (6) against the two independent computations of H_g along V:
    ``exact`` = ||H_g V - (T1 + T2) V||_F / ||(T1 + T2) V||_F with the R-operator H_g, ``fd`` the same
    for V^T H_g V from second differences of g. ``drop`` = "curvature" (T1 = phi'(f) H_f) or
    "rank_one" (T2 = phi''(f) grad f grad f^T) leaves that term out (to see the check can fail)."""
    T1, T2 = identity_terms(net, x, phi, V)
    S = (0.0 if drop == "curvature" else T1) + (0.0 if drop == "rank_one" else T2)
    exact, fd = hessian_g_exact(net, x, phi, V), hessian_g_fd(net, x, phi, V)
    return {"exact": float(np.linalg.norm(exact - S) / np.linalg.norm(exact)),
            "fd": float(np.linalg.norm(fd - V.T @ S) / np.linalg.norm(fd))}


def identity_sentence(exact: float, fd: float) -> str:
    """Whether identity (6) holds, from its largest relative errors against the exact Hessian of g
    (round-off: <= EXACT_TOL) and the finite differences of g (<= FD_TOL)."""
    text = (f"largest relative error {exact:.1e} against the exact Hessian of g (R-operator) and {fd:.1e} against "
            f"second differences of g")
    if exact <= EXACT_TOL and fd <= FD_TOL:
        return f"Identity (6) holds numerically: {text} (round-off and finite-difference level)."
    return (f"Identity (6) FAILS numerically: {text}, above the round-off ({EXACT_TOL:g}) or finite-difference "
            f"({FD_TOL:g}) level.")


def linearisation_sentence(curv: dict, rank_one: dict, phi: str = PLOTTED_PHI) -> str:
    """Exercise 2(c) from the fitted slopes (spread dicts) of the two terms' norms against p: g does
    not linearise when the rank-one term stays of order one (|slope| < FLAT_SLOPE) while the curvature
    term falls."""
    nums = (f"||phi'(f) H_f|| falls with slope {curv['mean']:.3f} +- {curv['sd']:.3f} and ||phi''(f) grad f grad f^T|| "
            f"has slope {rank_one['mean']:.3f} +- {rank_one['sd']:.3f}")
    if abs(rank_one["mean"]) < FLAT_SLOPE and curv["mean"] < -FLAT_SLOPE:
        return (f"For phi(u) = {phi}, {nums}: the second term stays of order one while the first vanishes, so the "
                f"Hessian of g does not vanish and g does not linearise (exercise 2(c)).")
    if rank_one["mean"] <= -FLAT_SLOPE:
        return (f"For phi(u) = {phi}, {nums}: both terms fall with width, so these widths do not show that g fails to "
                "linearise.")
    return f"For phi(u) = {phi}, {nums}: the first term does not fall, contrary to exercise 2(b)."


def rescaled_sentence(widths, rescaled_mean, sup: float) -> str:
    """What p^(1/2) ||H_W f|| = max_j |a_j sigma''(z_j)| |x|^2 does over the widths (it is bounded by
    sup |sigma''|, so ||H_W f|| <= sup |sigma''| p^(-1/2) and the slope tends to -1/2 once the max
    saturates): its first and last means and how close the last is to the bound."""
    first, last = float(rescaled_mean[0]), float(rescaled_mean[-1])
    move = "rises" if last > first else "does not rise"
    return (f"p^(1/2) ||H_W f|| = max_j |a_j sigma''(z_j)| (one rank-one block per neuron) {move} from {first:.4f} at "
            f"p = {widths[0]} to {last:.4f} at p = {widths[-1]}, {100 * last / sup:.1f}% of its bound sup |sigma''| = "
            f"{sup:.4f}, so ||H_W f|| <= {sup:.3f} p^(-1/2) at every width" + (
                "; the part of the fitted slope above -1/2 is this max still growing towards its bound" if last > first
                else "") + ".")


# -- the stored units ----------------------------------------------------------------------------
def at_width(cfg, x, p: int) -> dict:
    """At initialisation, one entry per seed (arrays (seeds,)): the operator norms of H_W f and H f
    (Lanczos), ||grad_W f||^2, f, max_j |a_j sigma''(z_j)|, and the errors of identity (6)
    (``exact_PHI``, ``fd_PHI``) for each phi of :data:`PHIS`."""
    out = {k: np.zeros(cfg.seeds) for k in ("hW", "hall", "g2", "f", "max_a_d2")}
    out.update({f"{kind}_{phi}": np.zeros(cfg.seeds) for phi in PHIS for kind in ("exact", "fd")})
    d2f = get_activation(cfg.activation).d2f
    for s in range(cfg.seeds):
        net = network(cfg, p, s, stage=1)
        out["hW"][s] = output_hessian_norm(net, x, ("W",))
        out["hall"][s] = output_hessian_norm(net, x, ("a", "W"))
        out["g2"][s] = float(np.sum(net.gradients(x[None, :], np.ones(1), ("W",))["W"] ** 2))
        out["f"][s] = float(net(x[None, :])[0])
        out["max_a_d2"][s] = float(np.abs(net.a * d2f(net.W @ x, 0.0)).max())
        V = check_directions(net, x, np.random.default_rng([cfg.seed, 3, int(p), s]))
        for phi in PHIS:
            err = identity_errors(net, x, phi, V)
            out[f"exact_{phi}"][s], out[f"fd_{phi}"][s] = err["exact"], err["fd"]
    return out


def train_one(cfg, X, y, Xs, p: int, seed: int, ctx) -> dict:
    """Gradient flow on (1/(2n)) sum (f - y)^2 to t_train: the loss at 0 and t_train, the relative
    weight change and the RMS gap on the test inputs to the linearised predictor at the same time."""
    net = network(cfg, p, seed, stage=2)
    run = train(net, X, y, loss="square", reduction="half_mean", optimizer=Flow(rtol=1e-8, atol=1e-10),
                t_max=cfg.t_train, record_at=[0.0, cfg.t_train], engine=ctx.engine, quiet=ctx.quiet)
    lin = linearised_predictor(empirical_ntk(net, X), empirical_ntk(net, Xs, X), y, net(X), net(Xs), cfg.t_train)
    return {"loss": np.asarray(run.train_loss, dtype=float),
            "change": float(np.linalg.norm(run.final.theta - net.theta) / np.linalg.norm(net.theta)),
            "gap": float(np.sqrt(np.mean((run.final(Xs) - lin) ** 2)))}


def target(Z):
    """sin(2 z_1) + z_2 z_3: the smooth regression task of the training view."""
    return np.sin(2 * Z[:, 0]) + Z[:, 1] * Z[:, 2]


def check(cfg: Config) -> None:
    """Two widths at least in each sweep (for the slopes), and the test kernel of the largest trained width in memory."""
    for key in ("log2_widths", "log2_train_widths"):
        if len(set(getattr(cfg, key))) < 2:
            raise InvalidParameter(key, getattr(cfg, key), "expected at least two different widths for the fitted "
                                   "slope, e.g. 6,8,10")
    if cfg.d < 3:
        raise InvalidParameter("d", cfg.d, "the training target sin(2 x1) + x2 x3 needs d >= 3")
    rows = max(cfg.n_test, cfg.n_train) * 2 ** max(cfg.log2_train_widths)
    if rows > MAX_PREACTIVATIONS:
        raise InvalidParameter("n_test", cfg.n_test, f"n_test x p = {rows:.3g} pre-activations at the largest trained "
                               f"width is more than {MAX_PREACTIVATIONS:.0e}; lower n_test or log2_train_widths")


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    x = sphere_points(1, cfg.d, cfg.seed)[0]
    widths = np.array(sorted({2 ** k for k in cfg.log2_widths}))
    units = [ctx.run("at_init", lambda p=p: at_width(cfg, x, p), p=int(p)) for p in widths]
    stack = {k: np.array([u[k] for u in units]) for k in units[0]}          # (widths, seeds)
    hW, hall, g2, f = stack["hW"], stack["hall"], stack["g2"], stack["f"]
    term_phi = 2.0 * g2                   # phi(u) = u^2: phi''(f) grad f grad f^T has norm 2 ||grad_W f||^2
    term_hess = 2.0 * np.abs(f) * hW      # phi'(f) H_f has norm 2 |f| ||H_W||
    slopes = {"hW": spread(per_seed_slopes(widths, hW)), "hall": spread(per_seed_slopes(widths, hall)),
              "curv": spread(per_seed_slopes(widths, term_hess)), "rank_one": spread(per_seed_slopes(widths, term_phi))}
    err_exact = {phi: float(stack[f"exact_{phi}"].max()) for phi in PHIS}
    err_fd = {phi: float(stack[f"fd_{phi}"].max()) for phi in PHIS}
    id_text = identity_sentence(max(err_exact.values()), max(err_fd.values()))
    lin_text = linearisation_sentence(slopes["curv"], slopes["rank_one"])
    sup = sup_d2(cfg.activation)
    rescaled = np.sqrt(widths)[:, None] * hW                                 # = max_j |a_j sigma''(z_j)| |x|^2
    draw = "a_j ~ Unif([-1, 1])" if cfg.outer == "uniform" else "a_j ~ Unif({-1, +1})"

    fig, axes = new_figure(3, 1, width=4.4, height=3.8)
    ax = axes[0, 0]
    pm = {k: f"slope {v['mean']:.3f} +- {v['sd']:.3f}" for k, v in slopes.items()}
    mean_band(ax, widths, hW, band="sd", label=f"$\\|H_W f\\|$ (a fixed), {pm['hW']}")
    mean_band(ax, widths, hall, band="sd", marker="s", label=f"$\\|H f\\|$ (a and W), {pm['hall']}")
    mean_band(ax, widths, g2, band="sd", marker="^", label=r"$\|\nabla_W f\|^2$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(ax, "width p", title=f"Output Hessian and gradient at initialisation ({cfg.activation})", legend=True,
          fontsize=7)
    ax = axes[0, 1]
    mean_band(ax, widths, rescaled, band="sd", colour="tab:green",
              label=r"$\sqrt{p}\,\|H_W f\| = \max_j |a_j \sigma''(z_j)|$")
    ax.axhline(sup, color="k", ls="--", lw=1, label=f"sup |sigma''| = {sup:.4f}")
    ax.set_xscale("log")
    label(ax, "width p", title="Rescaled Hessian norm", legend=True, fontsize=7)
    ax = axes[0, 2]
    mean_band(ax, widths, term_phi, band="sd", colour="tab:red", label=r"$\|\phi''(f)\,\nabla f \nabla f^T\|$")
    mean_band(ax, widths, term_hess, band="sd", colour="tab:purple", marker="s", label=r"$\|\phi'(f)\,H_f\|$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(ax, "width p", title=r"The two terms of (6) for $\phi(u) = u^2$", legend=True, fontsize=7)
    ctx.figure(fig, "hessian", "Hessian scaling at initialisation",
               f"{draw}, w_j ~ N(0, I_{cfg.d}), sigma = {cfg.activation}; mean over {cfg.seeds} seeds per width, band "
               f"+- one sd. Left: operator norms (Lanczos on exact Hessian-vector products) of the Hessian of f(x; theta) "
               f"at a unit input; fitted log-log slope in W alone {slope_sentence(slopes['hW'])}, and with a trainable "
               f"{slope_sentence(slopes['hall'])}; ||grad_W f||^2 stays of order 1 ({g2.mean(axis=1)[-1]:.3f} at "
               f"p = {widths[-1]}). Middle: {rescaled_sentence(widths, rescaled.mean(axis=1), sup)} "
               f"Right: {lin_text} {id_text} ReLU would give H_W = 0 almost everywhere "
               f"(sigma'' = 0), hence {cfg.activation}.")

    X = sphere_points(cfg.n_train, cfg.d, cfg.seed + 1)
    Xs = sphere_points(cfg.n_test, cfg.d, cfg.seed + 2)
    y = target(X)
    tw = np.array(sorted({2 ** k for k in cfg.log2_train_widths}))
    runs = [[ctx.run("train", lambda p=p, s=s: train_one(cfg, X, y, Xs, p, s, ctx), p=int(p), seed=s)
             for s in range(cfg.train_seeds)] for p in tw]
    health = [[run_health(r["loss"]) for r in row] for row in runs]
    flagged = [{"p": int(p), "seed": s, "status": h["status"], "reason": h["reason"]}
               for p, row in zip(tw, health) for s, h in enumerate(row) if h["status"] != "ok"]
    ok = np.array([[h["status"] == "ok" for h in row] for row in health])
    change = np.where(ok, np.array([[r["change"] for r in row] for row in runs]), np.nan)
    gap = np.where(ok, np.array([[r["gap"] for r in row] for row in runs]), np.nan)
    s_change, s_gap = spread(per_seed_slopes(tw, change)), spread(per_seed_slopes(tw, gap))
    flag_text = ("; ".join(f"p = {r['p']} seed {r['seed']}: {r['status']} ({r['reason']}), excluded" for r in flagged)
                 if flagged else f"all {change.size} runs healthy (no divergence)")
    fig, axes = new_figure(2, 1, width=4.4, height=3.6)
    mean_band(axes[0, 0], tw, change, band="sd", label=f"slope {s_change['mean']:.3f} +- {s_change['sd']:.3f}")
    label(axes[0, 0], "width p", r"$\|\theta_T - \theta_0\| / \|\theta_0\|$", "Relative weight change after training",
          legend=True)
    mean_band(axes[0, 1], tw, gap, band="sd", colour="tab:orange", label=f"slope {s_gap['mean']:.3f} +- {s_gap['sd']:.3f}")
    label(axes[0, 1], "width p", "RMS gap on test inputs", "Trained network vs linearised predictor", legend=True)
    for ax in axes[0]:
        ax.set_xscale("log")
        ax.set_yscale("log")
        for r in flagged:
            ax.axvline(r["p"], color="r", ls=":", lw=1)
    ctx.figure(fig, "training", "Training view: laziness with width",
               f"Gradient flow to t = {cfg.t_train:g} on n = {cfg.n_train} points (loss 1/(2n), target sin(2 x1) + x2 x3), "
               f"{draw}, {cfg.train_seeds} seeds per width (mean, band +- one sd; {flag_text}). Left: the weights move "
               f"less and less, per-seed slope {slope_sentence(s_change)}; right: the trained network approaches the "
               f"linearised predictor f_0 + K K^-1 (I - exp(-t K/n))(y - f_0) built from the NTK at initialisation, "
               f"per-seed slope of the gap {s_gap['mean']:.3f} +- {s_gap['sd']:.3f}"
               + (" (red dotted: widths with an excluded run)." if flagged else "."))
    ctx.note(f"Seed 002, exercises 2 and 3: f(x; theta) = p^(-1/2) sum_j a_j sigma(<w_j, x>), {draw} (config outer = "
             f"{cfg.outer!r}; the sheet's exercise 2(b) draws Unif([-1, 1])), w_j ~ N(0, I_{cfg.d}), sigma = "
             f"{cfg.activation}. Hessian norms come from tl.analysis.output_hessian_norm (Lanczos on exact "
             "Hessian-vector products; no p x p matrix is formed).")
    ctx.note(f"Exercise 2(a) checked at every width and seed: H_g V for g = phi(f) (phi = {', '.join(PHIS)}) along four "
             "directions V in W (grad f, the top eigenvector of H_W f, two random) from the library's exact Hessian of "
             "the loss ell(f) = phi(f) (R-operator), and V^T H_g V from second differences of g alone (step "
             f"{FD_STEP:g}), against phi'(f) H_f V + phi''(f) grad f grad f^T V. Largest relative errors: "
             + ", ".join(f"phi = {phi}: {err_exact[phi]:.1e} exact, {err_fd[phi]:.1e} FD" for phi in PHIS)
             + f". {id_text}")
    return {"outer": cfg.outer, "widths": widths.tolist(),
            "hessian_norm_slope": slopes["hW"]["mean"], "hessian_norm_slope_spread": slopes["hW"],
            "hessian_norm_all_slope": slopes["hall"]["mean"], "hessian_norm_all_slope_spread": slopes["hall"],
            "hessian_norm_mean": hW.mean(axis=1).tolist(), "rescaled_hessian_norm_mean": rescaled.mean(axis=1).tolist(),
            "sup_abs_d2": sup,
            "grad_norm_sq_mean": g2.mean(axis=1).tolist(), "phi_term_norm": term_phi.mean(axis=1).tolist(),
            "hessian_term_norm": term_hess.mean(axis=1).tolist(),
            "phi_term_slope_spread": slopes["rank_one"], "hessian_term_slope_spread": slopes["curv"],
            "identity_rel_error_exact": err_exact, "identity_rel_error_fd": err_fd,
            "identity_holds": max(err_exact.values()) <= EXACT_TOL and max(err_fd.values()) <= FD_TOL,
            "train_widths": tw.tolist(), "weight_change_slope": s_change["mean"], "weight_change_slope_spread": s_change,
            "weight_change_mean": np.nanmean(change, axis=1).tolist(),
            "linearisation_gap": np.nanmean(gap, axis=1).tolist(), "linearisation_gap_slope_spread": s_gap,
            "train_runs_flagged": flagged}


register(Experiment(
    name="hessian-scaling", seed_file="002_6aa158f5cc0cafd1.txt",
    description="Seed 002 ex. 2-3: the output Hessian vanishes like p^(-1/2) while phi(f) keeps an order-1 "
                "curvature; wide trained networks stay near their linearisation.",
    config=Config, run=run, quick=QUICK, source="sheet 002, exercises 2 and 3"))

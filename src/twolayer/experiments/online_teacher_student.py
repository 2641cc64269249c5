"""Issue 21 A: online SGD in the teacher-student setup against its high-dimensional ODE limit
(Saad & Solla 1995; Goldt et al. 2019): the unspecialised plateau and the specialisation transition,
the finite-d deviation from the ODE and its d^(-1/2) decay, over-parametrised students, the plateau
length against the initial overlap, and Saad & Solla's K = M = 3 setting."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import NullFormatter

from .. import analysis
from ..analysis.seeds import spread_or_none
from ..errors import InvalidParameter
from ..plots import mean_band, new_figure
from ..theory import gaussian, online_ode, online_sgd
from . import Experiment, register
from .base import param
from .budget import SEED_MAX

SHAPE = np.array([[1.0, 0.6, 0.5], [0.5, 0.9, 0.6], [0.6, 0.5, 1.0]])   # the fixed pattern of R(0) / r0


@dataclass
class Config:
    activation: str = param("erf", "Activation g of student and teacher (erf: g(x) = erf(x/sqrt 2), closed-form "
                            "integrals; the others are slower).", choices=gaussian.ACTIVATIONS)
    lr: float = param(1.0, "First-layer learning rate eta (update (eta/sqrt d) v_k g' Delta x; time alpha = steps/d).",
                      gt=0, le=5)
    sigma: float = param(0.0, "Standard deviation of the label noise.", ge=0, le=10)
    q0: float = param(0.25, "Initial student norms: Q(0) = q0 I + R(0) R(0)^T.", gt=0, le=10)
    r0: float = param(0.2, "Initial overlap scale: R(0) = r0 S with a fixed asymmetric pattern S of order one.",
                      gt=0, le=1)
    dims: tuple[int, ...] = param((250, 500, 1000, 2000, 4000, 8000), "Input dimensions d of the simulations "
                                  "compared with the ODE (K = M = 2).", ge=20, le=20_000)
    alpha_sweep: float = param(30.0, "Length in alpha of the simulations over d (plateau and exit).", gt=0, le=1000)
    alpha_classic: float = param(150.0, "Length in alpha of the classic K = M = 2 and 3 curves.", gt=0, le=5000)
    classic_d: int = param(1000, "Dimension d of the simulations drawn with the classic curves and the over-parametrised "
                           "student.", ge=20, le=20_000)
    seeds: int = param(5, "Seeds of every simulation setting (cfg.seed, cfg.seed + 1, ...).", ge=1, le=50)
    overparam_K: tuple[int, ...] = param((2, 3, 4, 6), "Student widths K of the over-parametrised study (M = 2).",
                                         ge=1, le=12)
    overparam_sigma: float = param(0.1, "Label noise of the over-parametrised study (its final error is noise-driven).",
                                   ge=0, le=10)
    overparam_lr: float = param(0.5, "First-layer rate eta of the over-parametrised study (second layer: the same when trained).", gt=0, le=5)
    alpha_overparam: float = param(3000.0, "Length in alpha of the over-parametrised ODEs.", gt=0, le=100_000)
    plateau_r0: tuple[float, ...] = param((1e-1, 3e-2, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8),
                                          "Initial overlap scales r0 of the plateau-length study (ODE).", gt=0, le=1)
    ss_alpha: float = param(10000.0, "Length in alpha of Saad & Solla's K = M = 3, eta = 0.1 setting (ODE).",
                            gt=0, le=100_000)
    ss_init: float = param(1e-12, "Saad & Solla's initial overlaps: R_in and Q_ik (i != k) uniform on [0, ss_init] "
                           "(Q_ii uniform on [0, 0.5]).", gt=0, le=0.1)
    seed: int = param(0, "First seed (teacher, student and sample streams).", ge=0, le=SEED_MAX)


QUICK = dict(dims=(250, 500, 1000), alpha_sweep=20.0, alpha_classic=100.0, classic_d=500, seeds=2,
             overparam_K=(2, 4), alpha_overparam=1500.0, plateau_r0=(1e-1, 1e-2, 1e-4, 1e-6), ss_init=1e-6, ss_alpha=6000.0)


def check(cfg: Config) -> None:
    if len(set(cfg.dims)) < 2:
        raise InvalidParameter("dims", cfg.dims, "need at least two different dimensions to fit a slope")
    if len(set(cfg.plateau_r0)) < 2:
        raise InvalidParameter("plateau_r0", cfg.plateau_r0, "need at least two different values to fit a slope")


# -- initial conditions and runs ----------------------------------------------------------------------
def initial(K: int, M: int, q0: float, r0: float):
    """Q(0) (K, K), R(0) (K, M): R(0) = r0 SHAPE[:K, :M] (tiled), Q(0) = q0 I + R(0) R(0)^T."""
    reps = (-(-K // 3), -(-M // 3))
    R0 = r0 * np.tile(SHAPE, reps)[:K, :M] * (1 + 0.05 * np.arange(K))[:, None]
    return q0 * np.eye(K) + R0 @ R0.T, R0


def ode_run(cfg, K, M, alphas, lr, lr_v=0.0, sigma=None, r0=None, Q0R0=None):
    Q0, R0 = Q0R0 if Q0R0 is not None else initial(K, M, cfg.q0, cfg.r0 if r0 is None else r0)
    return online_ode.integrate(Q0, R0, np.eye(M), np.ones(K), np.ones(M), alphas, cfg.activation, lr, lr_v,
                                cfg.sigma if sigma is None else sigma)


def sim_runs(cfg, K, M, d, alphas, seeds, lr, lr_v=0.0, sigma=None) -> list[dict]:
    """One online-SGD run per seed from the exact initial overlaps of :func:`initial`, with eps_g."""
    Q0, R0 = initial(K, M, cfg.q0, cfg.r0)
    jobs = []
    for s in seeds:
        rng = np.random.default_rng([s, d, K, M])
        Wt = online_sgd.teacher(M, d, rng)
        jobs.append(dict(W0=online_sgd.student_with_overlaps(Q0, R0, Wt, rng), v0=np.ones(K), Wt=Wt, vt=np.ones(M),
                         alphas=alphas, activation=cfg.activation, lr=lr, lr_v=lr_v,
                         sigma=cfg.sigma if sigma is None else sigma, seed=int(s * 100_003 + d)))
    out = online_sgd.simulate_many(jobs)
    for r in out:
        r["eps"] = np.array([online_ode.eps_g(q, rr, np.eye(M), v, np.ones(M), cfg.activation)
                             if np.isfinite(q).all() else np.nan for q, rr, v in zip(r["Q"], r["R"], r["v"])])
    return out


def health(run: dict) -> dict:
    """run_health of a simulation's eps_g curve (diverged: non-finite overlaps; nearly: 100x its start)."""
    return analysis.run_health(run["eps"], diverged=not np.isfinite(run["Q"]).all())


def deviation(run: dict, ode: dict) -> float:
    """RMS over the recorded alphas of the Frobenius distance between the simulated and ODE overlaps (Q, R)."""
    dq = ((run["Q"] - ode["Q"]) ** 2).sum(axis=(1, 2)) + ((run["R"] - ode["R"]) ** 2).sum(axis=(1, 2))
    return float(np.sqrt(dq.mean()))


# -- reading the curves -------------------------------------------------------------------------------
def plateau_reading(alpha, eps) -> dict:
    """The plateau of an eps_g curve: its level (median of eps over the flattest stretch: where
    |d ln eps / d alpha| is smallest, over alpha > 1 and eps above 1e-3 of its maximum) and the exit alpha (first time eps falls below
    half that level after the plateau). Exit None when the curve never leaves."""
    a, e = np.asarray(alpha, float), np.asarray(eps, float)
    ok = (a > 1) & np.isfinite(e) & (e > 1e-3 * np.nanmax(e))     # not the converged tail
    if ok.sum() < 5:
        return {"level": None, "exit": None}
    le = np.log(e[ok])
    slope = np.abs(np.gradient(le, a[ok]))
    j = int(np.argmin(slope))
    window = np.abs(le - le[j]) < 0.1
    level = float(np.median(e[ok][window]))
    after = np.nonzero((a >= a[ok][j]) & (e < level / 2))[0]
    return {"level": level, "exit": float(a[after[0]]) if len(after) else None}


def exit_alpha(alpha, eps, level) -> float | None:
    """The first alpha at which a (noisy, simulated) eps_g curve falls below half the plateau ``level``
    read from the ODE (None if it never does, or there is no level)."""
    if level is None:
        return None
    below = np.nonzero(np.asarray(eps, float) < level / 2)[0]
    return float(np.asarray(alpha)[below[0]]) if len(below) else None


def convergence_sentence(slope: dict, dims, dev_means) -> str:
    """What the deviations over d say: the fitted slope against -1/2 (analysis.slope_sentence) and
    whether the deviation decreased from the smallest to the largest d."""
    trend = "decreases" if dev_means[-1] < dev_means[0] else "does not decrease"
    return (f"The RMS deviation of the simulated overlaps from the ODE {trend} from {dev_means[0]:.3g} at d = "
            f"{dims[0]} to {dev_means[-1]:.3g} at d = {dims[-1]}; its log-log slope over d is "
            + analysis.slope_sentence(slope, -0.5) + ".")


def plateau_sentence(fit_slope: float, theory_slope: float, tol: float = 0.1) -> str:
    """Whether the exit time grows like ln(1/r0) / lambda, lambda the fixed point's growth rate."""
    rel = abs(fit_slope - theory_slope) / abs(theory_slope)
    verdict = "agrees with" if rel <= tol else "differs from"
    return (f"The plateau exit time grows by {fit_slope:.2f} per unit of ln(1/r0); this {verdict} 1/lambda = "
            f"{theory_slope:.2f} from the linearised ODE at the symmetric fixed point (relative gap {rel:.1%}, "
            f"tolerance {tol:.0%}).")


def overparam_sentence(K, scm, both) -> str:
    """Goldt et al. 2019: with label noise the final eps_g grows with K when only the first layer learns,
    and stays flat or falls when both layers learn. Reads the monotone trends of the two lists."""
    def trend(v):
        v = np.asarray(v, float)
        if np.all(np.diff(v) > 0):
            return "grows"
        if np.all(np.diff(v) <= 1e-3 * v[:-1]):
            return "stays flat or falls"
        return "is not monotone"
    a, b = trend(scm), trend(both)
    agrees = a == "grows" and b == "stays flat or falls"
    return (f"Final eps_g over K = {list(K)}: first layer only {', '.join(f'{x:.3g}' for x in scm)} ({a} with K); "
            f"both layers {', '.join(f'{x:.3g}' for x in both)} ({b}). "
            + ("This is Goldt et al.'s finding." if agrees else "This is not Goldt et al.'s finding."))


def published_sentence(level, exit_alpha, init: float = 1e-12) -> str:
    """The plateau and exit read from the ODE in Saad & Solla's K = M = 3 setting, or that there is none."""
    if level is None or exit_alpha is None:
        return "In Saad & Solla's setting the ODE shows no plateau with an exit within the integrated time."
    return (f"Saad & Solla's setting (K = M = 3, eta = 0.1, soft committee machine, T = I, initial overlaps "
            f"U[0, {init:g}], Q_ii U[0, 0.5]): "
            f"the ODE's eps_g sits on the unspecialised plateau at {level:.4f} and leaves it (falls below half) at "
            f"alpha = {exit_alpha:.0f}, then decays to zero: the plateau-then-specialisation shape of their figure.")


# -- the experiment -----------------------------------------------------------------------------------
def run(cfg: Config, ctx) -> dict:
    check(cfg)
    seeds = [cfg.seed + k for k in range(cfg.seeds)]
    metrics: dict = {"seeds": seeds}

    # (1) classic curves, K = M = 2 and 3: ODE and simulation at classic_d.
    a_cl = np.linspace(0, cfg.alpha_classic, 301)
    classic = {}
    for K in (2, 3):
        ode = ctx.run("ode-classic", lambda K=K: ode_run(cfg, K, K, a_cl, cfg.lr), K=K)
        sims = ctx.run("sim-classic", lambda K=K: sim_runs(cfg, K, K, cfg.classic_d, a_cl, seeds, cfg.lr), K=K)
        classic[K] = (ode, sims)
        pr = plateau_reading(ode["alpha"], ode["eps"])
        hs = [health(r) for r in sims]
        exits = [exit_alpha(r["alpha"], r["eps"], pr["level"]) if h["status"] == "ok" else None
                 for r, h in zip(sims, hs)]
        metrics[f"K{K}_ode_plateau_eps"] = pr["level"]
        metrics[f"K{K}_ode_exit_alpha"] = pr["exit"]
        metrics[f"K{K}_sim_exit_alpha_seeds"] = exits
        metrics[f"K{K}_sim_exit_alpha_spread"] = spread_or_none(exits)
        metrics[f"K{K}_sim_flagged"] = [f"seed {s} ({h['reason']})" for s, h in zip(seeds, hs) if h["status"] != "ok"]

    # (1b) ODE against simulation over d.
    a_sw = np.linspace(0, cfg.alpha_sweep, 61)
    ode_sw = ctx.run("ode-sweep", lambda: ode_run(cfg, 2, 2, a_sw, cfg.lr))
    devs = np.full((len(cfg.dims), len(seeds)), np.nan)
    sweep_eps = {}
    flagged = []
    for i, d in enumerate(cfg.dims):
        sims = ctx.run("sim-sweep", lambda d=d: sim_runs(cfg, 2, 2, d, a_sw, seeds, cfg.lr), d=d)
        sweep_eps[d] = np.array([r["eps"] for r in sims])
        for j, (s, r) in enumerate(zip(seeds, sims)):
            h = health(r)
            if h["status"] == "ok":
                devs[i, j] = deviation(r, ode_sw)
            else:
                flagged.append(f"d = {d}, seed {s} ({h['reason']})")
    slopes = analysis.per_seed_slopes(cfg.dims, devs)
    slope_spread = spread_or_none(slopes)
    pooled = float(np.polyfit(np.log(cfg.dims), np.log(np.nanmean(devs, axis=1)), 1)[0])
    metrics.update({
        "dims": list(cfg.dims),
        "deviation_seeds": [[None if not np.isfinite(x) else float(x) for x in row] for row in devs],
        "deviation_mean": [float(np.nanmean(r)) for r in devs],
        "deviation_spread": [spread_or_none(r) for r in devs],
        "deviation_slope_seeds": [None if not np.isfinite(x) else float(x) for x in slopes],
        "deviation_slope_spread": slope_spread,
        "deviation_slope_pooled": pooled,
        "sweep_flagged": flagged,
    })

    # (2) over-parametrised students, M = 2, with label noise: first layer only vs both layers (ODE).
    a_op = np.geomspace(0.1, cfg.alpha_overparam, 200)
    a_op = np.concatenate([[0.0], a_op])
    over = ctx.run("ode-overparam", lambda: {
        f"{K}-{part}": ode_run(cfg, K, 2, a_op, cfg.overparam_lr, lv, cfg.overparam_sigma)
        for K in cfg.overparam_K for part, lv in (("first", 0.0), ("both", cfg.overparam_lr))})
    final_scm = [float(over[f"{K}-first"]["eps"][-1]) for K in cfg.overparam_K]
    final_both = [float(over[f"{K}-both"]["eps"][-1]) for K in cfg.overparam_K]
    Kop = max(cfg.overparam_K)
    a_ops = np.linspace(0, cfg.alpha_classic, 101)
    ode_ops = ctx.run("ode-overparam-sim", lambda: ode_run(cfg, Kop, 2, a_ops, cfg.overparam_lr, cfg.overparam_lr,
                                                           cfg.overparam_sigma))
    sims_op = ctx.run("sim-overparam", lambda: sim_runs(cfg, Kop, 2, cfg.classic_d, a_ops, seeds, cfg.overparam_lr,
                                                       cfg.overparam_lr, cfg.overparam_sigma))
    op_dev = [deviation(r, ode_ops) if health(r)["status"] == "ok" else None for r in sims_op]
    metrics.update({"overparam_K": list(cfg.overparam_K), "overparam_final_eps_first_layer": final_scm,
                    "overparam_final_eps_both_layers": final_both, "overparam_sim_deviation_seeds": op_dev,
                    "overparam_sim_deviation_spread": spread_or_none(op_dev)})

    # (3) plateau length against the initial overlap (ODE), and the growth rate at the symmetric fixed point.
    a_pl = np.linspace(0, 60 + 40 * np.log(1 / min(cfg.plateau_r0)), 1200)
    pl = ctx.run("ode-plateau", lambda: [ode_run(cfg, 2, 2, a_pl, cfg.lr, r0=r) for r in cfg.plateau_r0])
    sym = ctx.run("ode-symmetric", lambda: ode_run(cfg, 2, 2, np.linspace(0, 400, 401), cfg.lr,
                                                   Q0R0=(cfg.q0 * np.eye(2) + 0.02 * np.ones((2, 2)),
                                                         0.1 * np.ones((2, 2)))))
    Qs, Rs = sym["Q"][-1], sym["R"][-1]
    lam = online_ode.fixed_point_growth_rate(Qs, Rs, np.eye(2), np.ones(2), np.ones(2), cfg.activation, cfg.lr,
                                             0.0, cfg.sigma)
    sym_level = float(sym["eps"][-1])
    exits = []
    for o in pl:
        below = np.nonzero(o["eps"] < sym_level / 2)[0]
        exits.append(float(o["alpha"][below[0]]) if len(below) else None)
    good = [(np.log(1 / r), e) for r, e in zip(cfg.plateau_r0, exits) if e is not None and r <= 1e-2]
    fit = float(np.polyfit(*zip(*good), 1)[0]) if len(good) >= 2 else None
    metrics.update({"symmetric_plateau_eps": sym_level, "symmetric_growth_rate": lam,
                    "plateau_r0": list(cfg.plateau_r0), "plateau_exit_alpha": exits,
                    "plateau_exit_slope": fit, "plateau_exit_slope_theory": 1 / lam if lam > 0 else None})

    # (4) Saad & Solla 1995: K = M = 3, eta = 0.1, soft committee machine, tiny random initial overlaps.
    rng = np.random.default_rng(cfg.seed)
    R0 = rng.uniform(0, cfg.ss_init, (3, 3))
    Q0 = rng.uniform(0, cfg.ss_init, (3, 3))
    Q0 = (Q0 + Q0.T) / 2
    np.fill_diagonal(Q0, rng.uniform(0, 0.5, 3))
    a_ss = np.linspace(0, cfg.ss_alpha, 1001)
    # atol far below the initial overlaps: the exit is the growth of a 1e-12 asymmetry (LSODA at atol 1e-10
    # exits on its own rounding instead); DOP853 at these tolerances agrees with rtol 1e-11 to 0.1%
    ss = ctx.run("ode-saad-solla", lambda: online_ode.integrate(Q0, R0, np.eye(3), np.ones(3), np.ones(3), a_ss,
                                                                "erf", 0.1, 0.0, 0.0, rtol=1e-10,
                                                                atol=min(1e-16, 1e-4 * cfg.ss_init), method="DOP853"))
    ssr = plateau_reading(ss["alpha"], ss["eps"])
    metrics.update({"saad_solla_plateau_eps": ssr["level"], "saad_solla_exit_alpha": ssr["exit"],
                    "saad_solla_init": cfg.ss_init})

    _figures(cfg, ctx, metrics, classic, a_sw, ode_sw, sweep_eps, devs, over, a_op, pl, exits, lam, ss, ssr,
             ode_ops, sims_op)
    ctx.note(f"Teacher-student online SGD (Goldt et al. 2019 scaling): x ~ N(0, I_d), teacher M units with T = "
             f"W* W*^T / d = I and v* = 1, student K units, g = {cfg.activation}; one fresh sample per step; first "
             f"layer w_k -= (eta/sqrt d) v_k g'(lambda_k) Delta x, second layer (when trained) v_k -= (eta/d) "
             f"g(lambda_k) Delta; time alpha = steps / d. Simulations start from exactly the ODE's initial overlaps "
             f"(R(0) = {cfg.r0} S, Q(0) = {cfg.q0} I + R R^T), so the ODE has one initial condition for every d.")
    ctx.note(convergence_sentence(slope_spread, cfg.dims, metrics["deviation_mean"])
             + (" " + "Flagged, left out: " + "; ".join(flagged) + "." if flagged else ""))
    if fit is not None and lam > 0:
        ctx.note(plateau_sentence(fit, 1 / lam))
    ctx.note(overparam_sentence(cfg.overparam_K, final_scm, final_both))
    ctx.note(published_sentence(ssr["level"], ssr["exit"], cfg.ss_init))
    return metrics


def _figures(cfg, ctx, m, classic, a_sw, ode_sw, sweep_eps, devs, over, a_op, pl, exits, lam, ss, ssr,
             ode_ops, sims_op):
    fig, ax = new_figure(3, 1, width=4.2, height=3.4)
    for col, K in enumerate((2, 3)):
        ode, sims = classic[K]
        a = ax[0, col]
        eps = np.array([r["eps"] for r in sims])
        a.fill_between(sims[0]["alpha"], np.nanmin(eps, 0), np.nanmax(eps, 0), alpha=0.3, color="C1",
                       label=f"simulation d = {cfg.classic_d} (range, {len(sims)} seeds)")
        a.plot(sims[0]["alpha"], np.nanmean(eps, 0), color="C1", lw=1)
        a.plot(ode["alpha"], ode["eps"], "k--", lw=1.2, label="ODE (d -> inf)")
        a.set_yscale("log")
        a.set_xlabel("alpha = steps / d")
        a.set_ylabel("eps_g")
        a.set_title(f"K = M = {K}, eta = {cfg.lr:g}")
        a.legend(fontsize=7)
    a = ax[0, 2]
    ode, sims = classic[2]
    for n in range(2):
        for i in range(2):
            a.plot(ode["alpha"], ode["R"][:, i, n], "--", lw=1, color=f"C{2 * n + i}")
            a.plot(sims[0]["alpha"], sims[0]["R"][:, i, n], lw=0.8, color=f"C{2 * n + i}", label=f"R_{i + 1}{n + 1}")
    a.set_xlabel("alpha")
    a.set_title(f"K = M = 2: R_in (seed {cfg.seed} solid, ODE dashed)", fontsize=9)
    a.legend(fontsize=7)
    ctx.figure(fig, "classic", "Plateau and specialisation (K = M = 2 and 3)",
               f"eps_g against alpha: the ODE (dashed) and online SGD at d = {cfg.classic_d} (band: range over "
               f"{len(sims)} seeds). K = M = 2: plateau at {_f(m['K2_ode_plateau_eps'])}, exit at alpha = "
               f"{_f(m['K2_ode_exit_alpha'])} (ODE), simulation exits {_sp(m['K2_sim_exit_alpha_spread'])}; K = M = 3: "
               f"plateau at {_f(m['K3_ode_plateau_eps'])}, exit at {_f(m['K3_ode_exit_alpha'])} (ODE), simulation "
               f"{_sp(m['K3_sim_exit_alpha_spread'])}. Right: the overlaps R_in are equal on the plateau and split "
               "(each student unit takes one teacher unit) at the exit.")

    fig, ax = new_figure(2, 1, width=4.6, height=3.5)
    a = ax[0, 0]
    for k, d in enumerate(cfg.dims):
        a.plot(a_sw, np.nanmean(sweep_eps[d], 0), lw=1, color=f"C{k}", label=f"d = {d}")
    a.plot(ode_sw["alpha"], ode_sw["eps"], "k--", lw=1.4, label="ODE")
    a.set_yscale("log")
    a.set_xlabel("alpha")
    a.set_ylabel("eps_g (mean over seeds)")
    a.legend(fontsize=7)
    a = ax[0, 1]
    mean_band(a, cfg.dims, devs, label="RMS deviation (range over seeds)")
    dims = np.array(cfg.dims, float)
    mean = np.nanmean(devs, axis=1)
    a.plot(dims, mean[0] * (dims / dims[0]) ** -0.5, "k:", label="d^(-1/2)")
    a.set_xscale("log")
    a.set_yscale("log")
    a.xaxis.set_minor_formatter(NullFormatter())
    a.set_xlabel("d")
    a.set_ylabel("RMS_alpha ||(Q, R)_sim - (Q, R)_ODE||")
    a.legend(fontsize=7)
    ctx.figure(fig, "convergence", "Simulation against the ODE over d",
               convergence_sentence(m["deviation_slope_spread"], cfg.dims, m["deviation_mean"])
               + f" (pooled fit of the mean: {m['deviation_slope_pooled']:.3f}; band: range over seeds; the window "
               f"alpha <= {cfg.alpha_sweep:g} covers the approach to the plateau and the plateau). Left: eps_g at each "
               "d (mean over seeds) against the ODE.")

    fig, ax = new_figure(2, 1, width=4.4, height=3.4)
    a = ax[0, 0]
    for k, K in enumerate(cfg.overparam_K):
        a.plot(a_op, over[f"{K}-first"]["eps"], color=f"C{k}", lw=1, label=f"K = {K}, first layer")
        a.plot(a_op, over[f"{K}-both"]["eps"], "--", color=f"C{k}", lw=1, label=f"K = {K}, both")
    a.set_xscale("log")
    a.set_yscale("log")
    a.set_xlabel("alpha")
    a.set_ylabel("eps_g (ODE)")
    a.legend(fontsize=6)
    a = ax[0, 1]
    eps = np.array([r["eps"] for r in sims_op])
    a.fill_between(sims_op[0]["alpha"], np.nanmin(eps, 0), np.nanmax(eps, 0), alpha=0.3, color="C1",
                   label=f"simulation d = {cfg.classic_d}")
    a.plot(ode_ops["alpha"], ode_ops["eps"], "k--", label="ODE")
    a.set_yscale("log")
    a.set_xlabel("alpha")
    a.set_title(f"K = {max(cfg.overparam_K)}, M = 2, both layers")
    a.legend(fontsize=7)
    ctx.figure(fig, "overparam", "Over-parametrised students (M = 2, label noise)",
               overparam_sentence(cfg.overparam_K, m["overparam_final_eps_first_layer"],
                                  m["overparam_final_eps_both_layers"])
               + f" Label noise sigma = {cfg.overparam_sigma:g}, eta = {cfg.overparam_lr:g}. Right: the widest student "
               f"simulated against its ODE; RMS overlap deviation {_sp(m['overparam_sim_deviation_spread'])}.")

    fig, ax = new_figure(2, 1, width=4.4, height=3.4)
    a = ax[0, 0]
    for k, (r, o) in enumerate(zip(cfg.plateau_r0, pl)):
        a.plot(o["alpha"], o["eps"], lw=1, color=f"C{k % 10}", label=f"r0 = {r:g}")
    a.set_yscale("log")
    a.set_xlabel("alpha")
    a.set_ylabel("eps_g (ODE)")
    a.legend(fontsize=6)
    a = ax[0, 1]
    x = np.log(1 / np.array(cfg.plateau_r0))
    y = np.array([np.nan if e is None else e for e in exits])
    a.plot(x, y, "o", label="exit alpha (eps_g < plateau / 2)")
    if lam > 0 and np.isfinite(y).any():
        ref = np.nanargmax(x * np.isfinite(y))
        a.plot(x, y[ref] + (x - x[ref]) / lam, "k--", label=f"slope 1/lambda = {1 / lam:.2f}")
    a.set_xlabel("ln(1 / r0)")
    a.set_ylabel("exit alpha")
    a.legend(fontsize=7)
    cap = (plateau_sentence(m["plateau_exit_slope"], m["plateau_exit_slope_theory"])
           if m["plateau_exit_slope"] is not None and m["plateau_exit_slope_theory"] else "No slope could be fitted.")
    ctx.figure(fig, "plateau_length", "Plateau length against the initial overlap",
               f"ODE from R(0) = r0 S (fit over r0 <= 1e-2). Symmetric plateau at eps_g = {m['symmetric_plateau_eps']:.4f}, "
               f"growth rate lambda = {lam:.4f}. " + cap)

    fig, ax = new_figure(1, 1, width=5.0, height=3.4)
    a = ax[0, 0]
    a.plot(ss["alpha"], ss["eps"], "k-")
    a.set_yscale("log")
    a.set_xlabel("alpha")
    a.set_ylabel("eps_g (ODE)")
    a.set_title("Saad & Solla 1995 setting: K = M = 3, eta = 0.1")
    if ssr["level"]:
        a.axhline(ssr["level"], color="C1", ls=":", lw=1)
    ctx.figure(fig, "saad_solla", "Saad & Solla's K = M = 3 setting", published_sentence(ssr["level"], ssr["exit"], cfg.ss_init))


def _f(x) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def _sp(s) -> str:
    if not s or s.get("n", 0) == 0 or s.get("mean") is None:
        return "n/a"
    return f"{s['mean']:.3g} +- {s['sd']:.2g} (range {s['lo']:.3g}-{s['hi']:.3g}, n = {s['n']})"


register(Experiment(
    name="online-teacher-student", seed_file="",
    description="Online SGD in the teacher-student setup against its d -> inf ODEs (Saad & Solla 1995, Goldt et al. "
                "2019): plateaus, d^(-1/2) convergence, over-parametrisation, plateau length.",
    config=Config, run=run, quick=QUICK, source="theory, Saad & Solla 1995; Goldt et al. 2019 (no seed document)"))

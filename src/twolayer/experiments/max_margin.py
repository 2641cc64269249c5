"""Seed 004, Problem 2: for p-orthogonal data the l2 max-margin solution equals the minimum-norm
interpolator, so GD on the logistic loss and GD on the square loss find the same direction.

Gaussian x_i ~ N(0, I_d), n fixed and d growing: the measured p-orthogonality against the
sufficient condition of part 1, ||w_MM - w_MNI|| / ||w_MM|| against p (part 2), a data set with
w_MM != w_MNI (part 3), the dual coefficients' spread against its bound (part 4), and the
directions GD reaches on a linear model f(x) = <w, x> from w = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis import (dual_ratio_bound, max_margin, min_norm_interpolator, p_orthogonality,
                        p_orthogonality_guarantee)
from ..errors import InvalidParameter
from ..net import Net
from ..optim import GD
from ..plots import label, new_figure
from ..train import train
from ..trajectory import log_steps
from . import Experiment, register
from .base import param
from .budget import SEED_MAX

MAX_ENTRIES = 100_000_000   # n x d of one Gaussian data set (800 MB)

COUNTEREXAMPLE = (np.array([[1.0, 0.0], [3.0, 1.0]]), np.array([1.0, 1.0]))  # w_MNI = (1, -2), w_MM = (1, 0)


@dataclass
class Config:
    n: int = param(10, "Number of Gaussian points x_i ~ N(0, I_d) with random labels.", ge=2, le=1000)
    dims: tuple[int, ...] = param((30, 100, 300, 1000, 3000, 10000, 30000, 100000), "Dimensions d of the sweep.",
                                  ge=1, le=1_000_000)
    trials: int = param(200, "Random data sets drawn per dimension.", ge=1, le=10_000)
    p_target: float = param(3.0, "Level p of p-orthogonality that the sheet asks for (w_MM = w_MNI once p >= 3).", gt=0, le=1000)
    delta: float = param(0.1, "Failure probability of the part-1 guarantee (it holds with probability 1 - delta).",
                         gt=0, le=0.999)
    gd_d: int = param(20000, "Dimension of the p-orthogonal Gaussian set on which GD runs.", ge=1, le=200_000)
    gd_steps: int = param(20000, "Number of GD steps on the Gaussian set.", ge=1, le=2_000_000)
    counter_steps: int = param(1000000, "Number of GD steps on the part-3 counterexample (the logistic direction "
                               "converges like 1 / log t).", ge=1, le=100_000_000)
    seed: int = param(0, "Random seed of the data sets.", ge=0, le=SEED_MAX)


QUICK = {"dims": (30, 300, 3000, 30000), "trials": 40, "gd_d": 10000, "gd_steps": 3000, "counter_steps": 100000}


def guarantee_dimension(n: int, p: float, delta: float) -> int:
    """The smallest d (to 1%) at which the part-1 bound guarantees p-orthogonality with probability 1 - delta."""
    d = 2
    while p_orthogonality_guarantee(n, d, delta) < p:
        d = int(np.ceil(d * 1.01)) + 1
    return d


def compare(X, y) -> dict:
    """p, ||w_MM - w_MNI|| / ||w_MM||, max s_i / s_j and its bound for one data set."""
    w_mm, s = max_margin(X, y)
    w_mni = min_norm_interpolator(X, y)
    return {"p": p_orthogonality(X), "rel_diff": float(np.linalg.norm(w_mm - w_mni) / np.linalg.norm(w_mm)),
            "ratio": float(s.max() / s.min()) if s.min() > 0 else np.inf, "bound": dual_ratio_bound(X)}


def p_orthogonal_draw(rng, n: int, d: int, p: float, tries: int = 100):
    """The first of up to ``tries`` Gaussian draws (X (n, d), y (n,)) that is p-orthogonal."""
    for _ in range(tries):
        X, y = rng.standard_normal((n, d)), rng.choice([-1.0, 1.0], n)
        if p_orthogonality(X) >= p:
            return X, y
    raise InvalidParameter("gd_d", d, f"no draw of {n} Gaussian points in R^{d} was {p:g}-orthogonal in {tries} "
                           f"tries; use d >= {guarantee_dimension(n, p, 0.5)}")


def linear_gd_directions(X, y, steps: int, engine: str, quiet: bool) -> dict:
    """GD from w = 0 on f(x) = <w, x> (a width-1 identity network with a = 1 frozen), logistic and square
    loss, each with step 1 / beta for its smoothness bound beta; returns recorded steps and w_t."""
    d = X.shape[1]
    lam = np.linalg.eigvalsh(X @ X.T / len(y))[-1]        # the square loss's Hessian X^T X / n
    net = Net(np.ones(1), np.zeros((1, d)), None, "identity", "none")
    record = log_steps(steps, 200)
    out = {}
    for loss, beta in (("logistic", lam / 4), ("square", lam)):
        run = train(net, X, y, loss=loss, trainable=("W",), optimizer=GD(1.0 / beta), steps=steps, record_at=record,
                    engine=engine, quiet=quiet)
        out[loss] = run.W[:, 0, :]
    out["steps"] = record
    return out


def cosine(Ws, w) -> np.ndarray:
    """cos(w_t, w) per row of Ws (1 for w_t = 0 is not used: rows start at step 0 with w_0 = 0)."""
    norms = np.linalg.norm(Ws, axis=1) * np.linalg.norm(w)
    return np.divide(Ws @ w, norms, out=np.zeros(len(Ws)), where=norms > 0)


def check(cfg: Config) -> None:
    """One data set of n points in the largest dimension must fit in memory."""
    d = max(max(cfg.dims), cfg.gd_d)
    if cfg.n * d > MAX_ENTRIES:
        raise InvalidParameter("n", cfg.n, f"n x max(dims, gd_d) = {cfg.n} x {d} is more than {MAX_ENTRIES:.0e} "
                               f"entries; use n <= {MAX_ENTRIES // d} or smaller dims")


def draws(cfg: Config, d: int) -> dict:
    """``trials`` Gaussian data sets in dimension d (generator seeded by (seed, d)): per draw p,
    ||w_MM - w_MNI|| / ||w_MM||, max s_i / s_j and its bound (arrays of shape (trials,))."""
    rng = np.random.default_rng([cfg.seed, d])
    rows = [compare(rng.standard_normal((cfg.n, d)), rng.choice([-1.0, 1.0], cfg.n)) for _ in range(cfg.trials)]
    return {key: np.array([r[key] for r in rows], dtype=float) for key in ("p", "rel_diff", "ratio", "bound")}


def gd_gaps(X, y, steps: int, engine: str, quiet: bool) -> dict:
    """GD from 0 on both losses (:func:`linear_gd_directions`) reduced to what is drawn: the recorded
    steps and 1 - cos(w_t, w_MM) per loss, with the data's p."""
    w_mm = max_margin(X, y)[0]
    paths = linear_gd_directions(X, y, steps, engine, quiet)
    return {"steps": np.asarray(paths["steps"]), "p": float(p_orthogonality(X)),
            **{loss: 1.0 - cosine(paths[loss], w_mm) for loss in ("logistic", "square")}}


def gaussian_gd(cfg: Config, engine: str, quiet: bool) -> dict:
    """:func:`gd_gaps` on the first p_target-orthogonal Gaussian draw in dimension gd_d."""
    X, y = p_orthogonal_draw(np.random.default_rng([cfg.seed, cfg.gd_d, 1]), cfg.n, cfg.gd_d, cfg.p_target)
    return gd_gaps(X, y, cfg.gd_steps, engine, quiet)


# -- conclusions, computed from the numbers --------------------------------------------------
REACHED = 1e-3   # 1 - cos(w_T, w_MM) below this: GD's direction has reached w_MM


def counter_gap(w_mm, w_mni) -> float:
    """1 - cos(w_MNI, w_MM): where a run that stops at w_MNI ends."""
    return float(1.0 - w_mm @ w_mni / (np.linalg.norm(w_mm) * np.linalg.norm(w_mni)))


def gd_sentence(gd: dict, mni_gap: float) -> str:
    """What the final 1 - cos(w_T, w_MM) of GD says, per data set and loss (``gd`` keys "NAME, LOSS"),
    with ``mni_gap`` = 1 - cos(w_MNI, w_MM) of the counterexample."""
    def reached(key):
        return gd[key] < REACHED

    g = (f"On the p-orthogonal Gaussian set GD ends at 1 - cos(w_T, w_MM) = {gd['Gaussian, logistic']:.2g} (logistic) "
         f"and {gd['Gaussian, square']:.2g} (square): ")
    if reached("Gaussian, logistic") and reached("Gaussian, square"):
        g += "both losses reach the direction w_MM = w_MNI."
    else:
        g += ("not both have reached w_MM within the steps run (" + ", ".join(
            k.split(", ")[1] for k in ("Gaussian, logistic", "Gaussian, square") if not reached(k)) + " still away).")
    c = (f" On the counterexample the logistic loss ends at {gd['part 3, logistic']:.2g} and the square loss at "
         f"{gd['part 3, square']:.3g} (w_MNI sits at {mni_gap:.3g}): ")
    if reached("part 3, logistic") and not reached("part 3, square"):
        c += "only the logistic loss tends to w_MM; the square loss stops at w_MNI" + (
            "." if abs(gd["part 3, square"] - mni_gap) < REACHED else " direction's neighbourhood.")
    elif reached("part 3, logistic"):
        c += "both reach w_MM."
    else:
        c += (f"the logistic loss has not reached w_MM within the steps run (its direction converges like 1/log t); "
              f"the square loss {'stops at w_MNI' if abs(gd['part 3, square'] - mni_gap) < REACHED else 'is elsewhere'}.")
    return g + c


def necessity_sentence(dims, frac_equal, p_median, p_target: float) -> str:
    """Whether w_MM = w_MNI also holds well below the sufficient level p_target: the first d where at
    least 95% of the draws have w_MM = w_MNI, and its median p."""
    frac = ", ".join(f"{f:.3g} (d = {d})" for d, f in zip(dims, frac_equal))
    text = f"The fraction of draws with w_MM = w_MNI (to 1e-10) is {frac}."
    first = next((i for i, f in enumerate(frac_equal) if f >= 0.95), None)
    if first is None:
        return text + " No dimension swept has w_MM = w_MNI in 95% of its draws."
    if p_median[first] < p_target:
        return text + (f" It is at least 0.95 already at d = {dims[first]}, where the median p is {p_median[first]:.2g} "
                       f"< {p_target:g}: the condition p >= {p_target:g} is sufficient, far from necessary.")
    return text + (f" It first reaches 0.95 at d = {dims[first]}, where the median p is {p_median[first]:.2g} >= "
                   f"{p_target:g}: on these draws the condition is not shown to be loose.")


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    sets = {d: ctx.run("draws", lambda d=d: draws(cfg, d), d=d) for d in cfg.dims}
    d_all = np.concatenate([np.full(cfg.trials, d) for d in cfg.dims])
    p_all, diff_all, ratio_all, bound_all = (np.concatenate([sets[d][key] for d in cfg.dims])
                                             for key in ("p", "rel_diff", "ratio", "bound"))
    prob = [float(np.mean(p_all[d_all == d] >= cfg.p_target)) for d in cfg.dims]
    d_star = guarantee_dimension(cfg.n, cfg.p_target, cfg.delta)
    ok = p_all >= cfg.p_target
    covered = np.isfinite(bound_all)
    worst = int(np.argmax(np.where(covered, ratio_all / np.where(covered, bound_all, 1.0), -np.inf)))

    fig, axes = new_figure(3, 2, width=4.2, height=3.4)
    ax = axes[0, 0]
    q = np.array([np.quantile(p_all[d_all == d], [0.1, 0.5, 0.9]) for d in cfg.dims])
    ax.fill_between(cfg.dims, q[:, 0], q[:, 2], color="C0", alpha=0.3, label="measured, 10%-90%")
    ax.plot(cfg.dims, q[:, 1], "o-", color="C0", label="measured, median")
    dd = np.geomspace(cfg.dims[0], cfg.dims[-1], 200)
    ax.plot(dd, [p_orthogonality_guarantee(cfg.n, int(d), cfg.delta) for d in dd], "k--",
            label=f"part 1 guarantee, prob. 1 - {cfg.delta:g}")
    ax.axhline(cfg.p_target, color="r", lw=1, label=f"p = {cfg.p_target:g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(ax, "dimension d", "p-orthogonality p", f"n = {cfg.n} Gaussian points", legend=True, fontsize=7)
    ax = axes[0, 1]
    ax.plot(cfg.dims, prob, "o-", label=f"measured ({cfg.trials} draws per d)")
    ax.axvline(d_star, color="k", ls="--", label=f"sufficient: d >= {d_star}")
    ax.axhline(1 - cfg.delta, color="k", ls=":", lw=1, label=f"1 - delta = {1 - cfg.delta:g}")
    ax.set_xscale("log")
    label(ax, "dimension d", f"P(p >= {cfg.p_target:g})", "probability of p-orthogonality", legend=True, fontsize=7)
    ax = axes[0, 2]
    ax.loglog(p_all, np.maximum(diff_all, 1e-17), ".", ms=3, alpha=0.5)
    ax.axvline(cfg.p_target, color="r", lw=1, label=f"p = {cfg.p_target:g}")
    label(ax, "p-orthogonality p", "||w_MM - w_MNI|| / ||w_MM||", "part 2: w_MM = w_MNI once p >= 3", legend=True)
    ax = axes[1, 0]
    ax.loglog(bound_all[covered], ratio_all[covered], ".", ms=3, alpha=0.5, label="data sets with p R^2 > 2")
    lim = [min(ratio_all[covered].min(), 1.0), bound_all[covered].max()]
    ax.plot(lim, lim, "k--", lw=1, label="ratio = bound")
    label(ax, "bound R^2 (1 + 2 / (p R^2 - 2))", "max_i s_i / min_j s_j", "part 4: dual coefficients", legend=True,
          fontsize=7)

    Xc, yc = COUNTEREXAMPLE
    wc_mm, wc_mni = max_margin(Xc, yc)[0], min_norm_interpolator(Xc, yc)
    counter_diff = float(np.linalg.norm(wc_mm - wc_mni) / np.linalg.norm(wc_mm))
    ax = axes[1, 1]
    ax.scatter(*Xc.T, c="C3", zorder=3, label="x_i (y_i = +1)")
    for w, name, col in ((wc_mm, "w_MM", "C0"), (wc_mni, "w_MNI", "C2")):
        ax.annotate("", xy=w, xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": col, "lw": 2})
        ax.plot([], [], color=col, label=f"{name} = ({w[0]:.3g}, {w[1]:.3g})")
    ax.set_aspect("equal")
    ax.set_xlim(-1, 4)
    ax.set_ylim(-2.5, 1.5)
    label(ax, "x_1", "x_2", f"part 3: w_MM != w_MNI (rel. diff {counter_diff:.3g})", legend=True, fontsize=7)

    runs = {"Gaussian": ctx.run("gd", lambda: gaussian_gd(cfg, ctx.engine, ctx.quiet), data="gaussian"),
            "part 3": ctx.run("gd", lambda: gd_gaps(Xc, yc, cfg.counter_steps, ctx.engine, ctx.quiet),
                              data="counterexample")}
    ax = axes[1, 2]
    gd = {}
    for name, paths in runs.items():
        t = paths["steps"][1:]
        for loss, ls in (("logistic", "-"), ("square", "--")):
            gap = paths[loss][1:]
            gd[f"{name}, {loss}"] = float(gap[-1])
            ax.loglog(t, np.maximum(gap, 1e-16), ls, color="C0" if name == "Gaussian" else "C3",
                      label=f"{name} (p = {paths['p']:.2g}), {loss}")
    label(ax, "GD step t", "1 - cos(w_t, w_MM)", "GD from 0 on f(x) = <w, x>", legend=True, fontsize=6)
    gd_text = gd_sentence(gd, counter_gap(wc_mm, wc_mni))
    frac = [float(np.mean(diff_all[d_all == d] < 1e-10)) for d in cfg.dims]
    ctx.figure(fig, "max_margin", "Max-margin vs minimum-norm interpolation",
               f"Top: n = {cfg.n} points x_i ~ N(0, I_d) with random labels, {cfg.trials} draws per d: their "
               f"p-orthogonality against the part-1 guarantee (probability >= 1 - delta), the probability of p >= "
               f"{cfg.p_target:g}, and the relative difference of w_MM (exact dual by NNLS) and w_MNI (least norm). "
               f"Bottom: max s_i / s_j against its bound, the part-3 counterexample x = (1, 0), (3, 1), y = (1, 1), and "
               f"the direction of GD from 0 on the logistic (solid) and square (dashed) losses. " + gd_text)
    ctx.note(f"Largest ||w_MM - w_MNI|| / ||w_MM|| among the {int(ok.sum())} draws with p >= {cfg.p_target:g}: "
             f"{diff_all[ok].max() if ok.any() else float('nan'):.2e}; the part-1 bound guarantees p >= "
             f"{cfg.p_target:g} with probability {1 - cfg.delta:g} from d = {d_star}. "
             + necessity_sentence(cfg.dims, frac, q[:, 1], cfg.p_target) + f" Final 1 - cos(w_t, w_MM): {gd}.")
    return {"dims": list(cfg.dims), "n": cfg.n, "prob_p_ge_3": prob, "guarantee_dimension": d_star,
            "p_median": q[:, 1].tolist(),
            "rel_diff_mm_mni": [float(np.median(diff_all[d_all == d])) for d in cfg.dims],
            "frac_equal": frac,
            "max_rel_diff_p_ge_3": float(diff_all[ok].max()) if ok.any() else None,
            "min_rel_diff_p_lt_3": float(diff_all[~ok].min()) if (~ok).any() else None,
            "counterexample_rel_diff": counter_diff,
            "max_dual_ratio": float(ratio_all[worst]), "ratio_bound": float(bound_all[worst]),
            "max_ratio_over_bound": float(ratio_all[worst] / bound_all[worst]),
            "gd_one_minus_cos_to_w_mm": gd, "conclusion_gd": gd_text}


register(Experiment(
    name="max-margin-vs-mni", seed_file="004_dc5170f39b81d439.txt",
    description="Seed 004 Problem 2: p-orthogonality of Gaussian data against d, w_MM = w_MNI once p >= 3, a "
                "counterexample, the dual coefficients' bound, and the directions of GD on logistic vs square loss.",
    config=Config, run=run, quick=QUICK, source="sheet 004, problem 2 (parts 1-4)"))

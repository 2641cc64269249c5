"""Seed 003, sections 3.1.1 (iv), 3.1.3 and appendix C.1 (Figures 3.10, 3.17, 3.18, C.11): how ReLU,
Sigmoid and Tanh networks train from a small balanced initialisation on two orthogonal points.

Loss curves on 1.1.0 and 1.1.4 (c = 1), balancedness |a_j - s_j ||w_j||| over training, the neuron
S-curves (w_j1, w_j2) and bells (-w_j2/w_j1, s_j ||w_j||) of Sigmoid and Tanh on 1.1.4 with c = 75,
and the Sigmoid run with step 1e-2 and m = 600 whose loss spikes before it converges.

Every headline number (the relative balance error per activation, the fit times of the two labels of
1.1.4 and their ratio, the Sigmoid spike, the PL-ratio bound, the plateau counts and the neurons'
alignment) is measured over ``seeds`` initialisations (seed + k, k < seeds) and reported with its
spread; the neuron figures draw seed ``seed``. Every training run is a stored unit (``ctx.run``, one
per data set and seed): ``twolayer redraw`` draws the figures again without training. A run that
diverged, nearly diverged or never reached ``fit_level`` is flagged (metrics ``health_seeds``,
``excluded_seeds``, figure legends and titles, captions) and left out of the numbers with its reason.
The Sigmoid spike run is the exception the thesis itself shows (Fig C.11): its loss rises ~1e4x, so
the blow-up rule calls it "nearly diverged", and when it then ends below the fit level it is kept in
the spike numbers as a recovered near-divergence, said so in its own sentence
(:func:`spike_health_sentence`); a spike run that diverges or does not recover is left out.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .. import analysis, data
from ..data import with_bias
from ..ntk import empirical_ntk
from ..optim import GD
from ..analysis.seeds import flagged_sentence, spread, status_tag, traj_health as health
from ..plots import label, log_loss_axis, mean_band, new_figure, orientation_plane, weight_plane
from ..plots.neurons import osn_points
from ..plots.style import series_colour
from ..sweep import train_many
from ..trajectory import log_steps
from . import Experiment, register
from .base import THESIS_LOSS, balanced_net, param
from .budget import SEED_MAX, check_recording

ACTIVATIONS = ("relu", "sigmoid", "tanh")
FIT_LABELS = ("negative (x = -0.1)", "positive (x = 10)")      # the samples of 1.1.4, in its order
ALIGN_COS = 0.999            # a neuron "on" D+ or D-: |cos(w_j, D)| >= 0.999 (within 2.6 degrees of the line)
BLOWUP = 100.0               # run_health's near-divergence rule: loss above 100x its start


@dataclass
class Config:
    width: int = param(60, "Number of hidden neurons m of the runs on 1.1.0 and 1.1.4 (c = 1).", ge=1, le=5000)
    scale: float = param(1e-6, "Balanced initialisation scale lambda of every run.", gt=0, le=100)
    lr: float = param(1e-3, "GD step size of the runs on 1.1.0, 1.1.4 and of Fig 3.18.", gt=0, le=10)
    epochs: int = param(300_000, "Number of GD steps (full-batch epochs) of the runs on 1.1.0 and 1.1.4.", ge=1,
                        le=3_000_000)
    record_every: int = param(300, "Record the loss and all parameters every this many GD steps (runs on 1.1.0 and "
                              "1.1.4).", ge=1, le=3_000_000)
    c_large: float = param(75.0, "Label factor c of data set 1.1.4 (labels -c, c) for the S-curves of Fig 3.18.",
                           gt=0, le=1000)
    width_large: int = param(100, "Number of hidden neurons of the Fig 3.18 runs.", ge=1, le=10_000)
    epochs_large: int = param(300_000, "Number of GD steps of the Fig 3.18 runs.", ge=1, le=3_000_000)
    spike_width: int = param(600, "Number of hidden neurons of the Sigmoid spike run (Fig C.11).", ge=1, le=1500)
    spike_lr: float = param(1e-2, "GD step size of the Sigmoid spike run.", gt=0, le=10)
    spike_epochs: int = param(20_000, "Number of GD steps of the Sigmoid spike run (its loss recorded at every step).",
                              ge=1, le=50_000)
    fit_level: float = param(0.01, "Training loss (1/n) a run must end below to count as fitted; a run that does "
                             "not, or diverges, is flagged and left out of the conclusions.", gt=0, le=1)
    seed: int = param(0, "Random seed of the initial directions g_j and signs s_j of the drawn runs (the neuron "
                      "figures, Fig 3.18).", ge=0, le=SEED_MAX)
    seeds: int = param(5, "Seeds seed + k (k < seeds) of the runs on 1.1.0, 1.1.4 and of the spike run: every headline "
                       "number is reported over them with its spread.", ge=1, le=20)


QUICK = {"epochs": 60_000, "epochs_large": 60_000, "record_every": 200, "spike_epochs": 5000, "seeds": 3}


def gd_runs(X, y, acts, width: int, cfg: Config, ctx, *, seed: int, lr: float, steps: int, **record) -> list:
    """GD on the thesis's loss from :func:`balanced_net` of scale ``cfg.scale`` drawn with ``seed``, one
    run per activation in ``acts`` (threads of one sweep); a run that diverges is kept, with
    ``info["diverged"]``."""
    nets = [balanced_net(X.shape[1], width, act, cfg.scale, seed) for act in acts]
    return train_many(nets, X, y, **THESIS_LOSS, optimizer=GD(lr), steps=steps, engine=ctx.engine,
                      on_divergence="keep", quiet=ctx.quiet, **record)


# -- per-run numbers (computed where the snapshots are, stored with the run) ----------------------
def _ntk_extremes(traj, X) -> tuple[np.ndarray, np.ndarray]:
    """The smallest and largest eigenvalue of the empirical NTK J J^T (n x n) at every recorded point,
    (T,) each; NaN where the snapshot is not finite (a diverging run)."""
    lo, hi = np.full(len(traj), np.nan), np.full(len(traj), np.nan)
    for i in range(len(traj)):
        if np.isfinite(traj.train_loss[i]) and np.isfinite(traj.W[i]).all() and np.isfinite(traj.a[i]).all():
            eig = np.linalg.eigvalsh(empirical_ntk(traj.net_at(i), X))
            lo[i], hi[i] = eig[0], eig[-1]
    return lo, hi


def aligned_fraction(W, X, y, cos: float = ALIGN_COS) -> float:
    """The fraction of the neurons' total norm sum_j ||w_j|| carried by neurons within the cone
    |cos(w_j, D)| >= ``cos`` of the line D+ or D- (:func:`analysis.alignment_directions`); ``W`` (m, d)."""
    W = np.asarray(W, dtype=float)
    norms = np.linalg.norm(W, axis=1)
    near = np.zeros(len(W), dtype=bool)
    for D in analysis.alignment_directions(X, y):
        if np.linalg.norm(D) > 0:
            near |= np.abs(analysis.neuron_cosines(W, D)) >= cos
    total = norms.sum()
    return float(norms[near].sum() / total) if total > 0 and np.isfinite(total) else float("nan")


def run_summary(traj, X, y) -> dict:
    """What the over-seed numbers and bands need from a run recorded with snapshots (T points, m neurons).

    Returns
    -------
    dict
        ``l1``, ``linf`` (T,): the l1-average and l-inf of |a_j - s_j ||w_j||| with s_j the initial signs;
        ``mean_abs_a``, ``mean_norm_w`` (T,); ``max_norm``: max over t and j of ||w_j||; ``ntk_min``,
        ``ntk_max`` (T,): extreme eigenvalues of J J^T; ``fit_steps`` (n,): when each label settles
        (:func:`analysis.sample_fit_steps`, None: never); ``aligned``: :func:`aligned_fraction` at the end.
    """
    norms = np.linalg.norm(traj.W, axis=-1)
    l1, linf = analysis.balance_errors(traj.a, traj.W, np.sign(traj.a[0]))
    lo, hi = _ntk_extremes(traj, X)
    finite = np.isfinite(traj.W).all() and np.isfinite(traj.a).all()
    return {"l1": l1, "linf": linf, "mean_abs_a": np.abs(traj.a).mean(axis=1), "mean_norm_w": norms.mean(axis=1),
            "max_norm": float(np.nanmax(norms)), "ntk_min": lo, "ntk_max": hi,
            "fit_steps": analysis.sample_fit_steps(traj, X, y) if finite else [None] * len(y),
            "aligned": aligned_fraction(traj.W[-1], X, y)}


def strip(traj):
    """The run without its parameter snapshots (loss, gradient norm and final network kept)."""
    return dataclasses.replace(traj, a=None, W=None, c=None)


def main_unit(X, y, cfg: Config, ctx, seed: int, keep: bool) -> dict:
    """The three activations' runs on (X, y) from seed ``seed``: ``runs`` (with snapshots if ``keep``, the
    figures drawing their neurons) and ``summary`` (:func:`run_summary` of each)."""
    runs = gd_runs(X, y, ACTIVATIONS, cfg.width, cfg, ctx, seed=seed, lr=cfg.lr, steps=cfg.epochs,
                   record_every=cfg.record_every)
    return {"runs": [t if keep else strip(t) for t in runs], "summary": [run_summary(t, X, y) for t in runs]}


def balance_numbers(traj, summ: dict, h: dict, n: int) -> dict:
    """One run's numbers on 1.1.0 (None when it is flagged): ``balance`` max_t ||a - s ||w|| ||_inf,
    ``relative`` the same / max ||w_j||, ``plateaus`` the detected plateau count, ``pl_slack`` min over
    recorded points with L > 1e-12 of (PL ratio - (2/n) lambda_min(J J^T)) / ((2/n) lambda_max(J J^T)),
    ``pl_min`` the smallest PL ratio ||grad L||^2 / (2 L) there, and ``aligned`` (:func:`aligned_fraction`)."""
    if h["status"] != "ok":
        return dict.fromkeys(("balance", "relative", "plateaus", "pl_slack", "pl_min", "aligned"))
    pl = analysis.pl_ratio(traj.grad_norm, traj.train_loss)
    bound, unit = 2.0 * summ["ntk_min"] / n, 2.0 * summ["ntk_max"] / n
    # both sides carry rounding errors of order eps lambda_max (near-singular J J^T near the saddles),
    # and residuals below ~1e-6 lose their digits (h ~ 1): compare in units of (2/n) lambda_max where L > 1e-12
    accurate = traj.train_loss > 1e-12
    linf = float(np.max(summ["linf"]))
    return {"balance": linf, "relative": linf / summ["max_norm"],
            "plateaus": plateau_count(traj),
            "pl_slack": float(np.min(((pl - bound) / unit)[accurate])) if accurate.any() else None,
            "pl_min": float(np.min(pl[accurate])) if accurate.any() else None,
            "aligned": float(summ["aligned"])}


def plateau_count(traj):
    """Plateaus of the run's loss by the thesis's rule (appendix C.1.4); None if it never fits."""
    found = analysis.fit_plateaus(traj.times, traj.train_loss)
    return None if found is None else len(found)


def spike_numbers(traj, fit_level: float) -> dict:
    """The spike run's initial, peak (and its epoch) and final loss, whether it diverged, its health and
    whether it enters the spike numbers (``kept``, with ``why`` when not): a run that diverged or ends above
    the fit level is left out; a near-divergence that ends below it is the recovery of Fig C.11 and kept."""
    loss = traj.train_loss
    finite = np.isfinite(loss)
    peak = int(np.argmax(np.where(finite, loss, -np.inf)))
    h = health(traj, fit_level)
    out = {"initial": float(loss[0]), "peak": float(loss[peak]), "epoch": int(traj.steps[peak]),
           "final": float(loss[finite][-1]) if finite.any() else float("nan"), "diverged": "diverged" in traj.info,
           "status": h["status"], "reason": h["reason"]}
    recovered = not out["diverged"] and out["final"] <= fit_level
    out["kept"] = recovered and h["status"] in ("ok", "nearly diverged")
    out["why"] = "" if out["kept"] else (h["reason"] or f"final loss {out['final']:.3g} above the fit level")
    return out


# -- sentences: pure functions of the numbers (one value, or a list over seeds with None when flagged) --
def _seed_list(v) -> list:
    return list(v) if isinstance(v, (list, tuple, np.ndarray)) else [v]


def _kept(v) -> list[float]:
    """The finite values of ``v`` (one value or a list over seeds), None and NaN left out."""
    return [float(x) for x in _seed_list(v) if x is not None and np.isfinite(x)]


def fmt_seeds(values, fmt: str = ".2g") -> str:
    """'v' for one value; 'mean +- sd (range lo-hi, n seeds)' for several."""
    values = _kept(values)
    if len(values) == 1:
        return format(values[0], fmt)
    s = spread(values)
    return f"{s['mean']:{fmt}} +- {s['sd']:.2g} (range {s['lo']:{fmt}} to {s['hi']:{fmt}}, {s['n']} seeds)"


def _every(n: int) -> str:
    return " in every seed" if n > 1 else ""


def balance_sentence(rel: dict) -> str:
    """What the largest relative balance errors ``rel`` ({activation: max_t ||a - s ||w|| ||_inf /
    max ||w_j||, one value or a list over seeds, None for a flagged run}) say: ReLU stays balanced
    (< 1e-6 in its worst seed) or not, and whether Sigmoid and Tanh drift further than 100x ReLU's worst
    seed in every seed, in none, or in some only."""
    relu = _kept(rel.get("relu"))
    if not relu:
        return "The ReLU run is flagged, so nothing is concluded about its balance."
    worst = max(relu)
    head = (f"ReLU stays balanced up to O(step){_every(len(relu))}: its largest error is {fmt_seeds(relu)} x max "
            "||w_j||" if worst < 1e-6 else
            f"ReLU does not stay balanced: its largest error is {fmt_seeds(relu)} x max ||w_j|| (>= 1e-6"
            f"{' in its worst seed' if len(relu) > 1 else ''})")
    others = {a: _kept(v) for a, v in rel.items() if a != "relu" and _kept(v)}
    cut = 100 * max(worst, 1e-300)
    drift = [a for a, v in others.items() if min(v) > cut]
    still = [a for a, v in others.items() if max(v) <= cut]
    mixed = [a for a in others if a not in drift and a not in still]
    n = max(len(v) for v in others.values()) if others else 1
    tail = ""
    for names, text in ((drift, f" drift apart{_every(n)} (not homogeneous)"),
                        (still, f" stay within 100x of ReLU{_every(n)}"),
                        (mixed, " drift beyond 100x of ReLU in some seeds only")):
        if names:
            tail += "; " + " and ".join(f"{a} ({fmt_seeds(others[a])})" for a in names) + text
    return head + tail + "."


def label_speed_sentence(fit_negative, fit_positive, predicted: dict | None = None) -> str:
    """When the ReLU run on 1.1.4 fits each label (epochs, one value or a list over seeds, None if never
    or if the run is flagged), whether the positive label (x = 10) is fitted at least 3x sooner (in
    every seed, in none, in some), and which of the ``predicted`` ratios ({name: ratio}) the mean
    measured ratio is nearer to on a log scale."""
    pairs = [(n, p) for n, p in zip(_seed_list(fit_negative), _seed_list(fit_positive))
             if n is not None and p is not None]
    if not pairs:
        return (f"On 1.1.4 the ReLU run does not settle on both labels (epochs: positive {fit_positive}, negative "
                f"{fit_negative}), so the speeds are not compared.")
    ratios = [n / max(p, 1) for n, p in pairs]
    sooner = sum(3 * p <= n for n, p in pairs)
    if sooner == len(pairs):
        verdict = f"at least 3x sooner{_every(len(pairs))}, as speeds proportional to |y_k| ||x_k|| predict"
    elif sooner == 0:
        verdict = "less than 3x sooner, not the separation that speeds proportional to |y_k| ||x_k|| predict"
    else:
        verdict = f"at least 3x sooner in {sooner} of {len(pairs)} seeds only"
    neg, pos = [n for n, _ in pairs], [p for _, p in pairs]
    if len(pairs) == 1:
        text = (f"On 1.1.4 the ReLU network fits the positive label (x = 10) at epoch {pos[0]} and the negative one "
                f"(x = -0.1) at epoch {neg[0]}: {ratios[0]:.1f}x, {verdict}.")
    else:
        text = (f"On 1.1.4 the ReLU network fits the positive label (x = 10) at epoch {fmt_seeds(pos, '.0f')} and the "
                f"negative one (x = -0.1) at epoch {fmt_seeds(neg, '.0f')}: {fmt_seeds(ratios, '.1f')}x, {verdict}.")
    if predicted:
        mean = float(np.mean(ratios))
        near = min(predicted, key=lambda k: abs(np.log(mean / predicted[k])))
        text += (" The ratio is nearer the " + near + " prediction ("
                 + ", ".join(f"{k}: {v:.3g}" for k, v in predicted.items()) + ").")
    return text


def _spike_kind(initial, peak, final, fit_level, diverged, blowup) -> str:
    if diverged:
        return "diverged"
    if peak <= blowup * initial:
        return "no spike"
    return "converges" if final <= fit_level else "not recovered"


def spike_sentence(initial, peak, peak_epoch, final, fit_level: float, diverged, blowup: float = BLOWUP,
                   seeds=None) -> str:
    """What the Sigmoid spike runs did (each argument but ``fit_level``: one value or a list over seeds):
    a spike (peak > ``blowup`` x the initial loss) that converges (final <= fit_level), a spike that does
    not recover, a divergence, or no spike; with several seeds, how many did each, with the spread."""
    cols = [_seed_list(v) for v in (initial, peak, peak_epoch, final, diverged)]
    n = len(cols[0])
    names = list(seeds) if seeds is not None else list(range(n))
    kinds = [_spike_kind(i, p, f, fit_level, d, blowup) for i, p, _, f, d in zip(*cols)]
    if n == 1:
        i, p, e, f, _ = (c[0] for c in cols)
        return {"diverged": f"the loss rises from {i:.4g} to {p:.3g} and diverges (no recovery).",
                "no spike": f"the loss does not spike (its peak {p:.4g} is {p / i:.3g}x its start {i:.4g}) and ends "
                            f"at {f:.2g}.",
                "converges": f"the loss jumps from {i:.4f} to {p:.1f} at epoch {e} (the thesis: 19462.8 at epoch 26) "
                             f"then converges to {f:.2g}.",
                "not recovered": f"the loss jumps from {i:.4f} to {p:.1f} at epoch {e} (the thesis: 19462.8 at epoch "
                                 f"26) and has not recovered at the end (final loss {f:.2g} above the fit level "
                                 f"{fit_level:g})."}[kinds[0]]
    parts = []
    for kind in ("converges", "not recovered", "no spike", "diverged"):
        idx = [k for k in range(n) if kinds[k] == kind]
        if not idx:
            continue
        init, pk, ep, fin = ([cols[c][k] for k in idx] for c in range(4))
        who = f"in {len(idx)} of {n} seeds" + ("" if len(idx) == n else f" ({', '.join(str(names[k]) for k in idx)})")
        parts.append(who + {
            "converges": f" the loss jumps from {fmt_seeds(init, '.4f')} to a peak of {fmt_seeds(pk, '.1f')} at epoch "
                         f"{fmt_seeds(ep, '.0f')} (the thesis: 19462.8 at epoch 26), then converges (final loss at "
                         f"most {max(fin):.2g})",
            "not recovered": f" the loss spikes to {fmt_seeds(pk, '.3g')} and has not recovered at the end (final "
                             f"loss {fmt_seeds(fin)} above the fit level {fit_level:g})",
            "no spike": f" the loss does not spike (peak at most {max(p / i for p, i in zip(pk, init)):.3g}x its "
                        "start)",
            "diverged": " the loss diverges (no recovery)"}[kind])
    return "; ".join(parts) + "."


def spike_health_sentence(spikes: list, seeds, fit_level: float, blowup: float = BLOWUP) -> str:
    """How the spike runs (:func:`spike_numbers` per seed) are classified: near-divergences by the blow-up
    rule that end below the fit level are the recovery Fig C.11 shows and are kept in the spike numbers;
    those that diverge or do not recover are left out, with the reason."""
    near = [s for s, x in zip(seeds, spikes) if x["status"] == "nearly diverged" and x["kept"]]
    out = [f"seed {s} ({x['why']})" for s, x in zip(seeds, spikes) if not x["kept"]]
    n = len(spikes)
    text = (f"By the blow-up rule (loss above {blowup:g}x its start) {len(near)} of {n} Sigmoid spike runs are "
            f"'nearly diverged' and end below the fit level {fit_level:g}: "
            + ("that rise and recovery is the phenomenon of Fig C.11, so they are kept in the spike numbers (and only "
               "there) as recovered near-divergences, not as failures." if near else
               "no run shows the rise and recovery of Fig C.11."))
    if out:
        text += " Left out of the spike numbers: " + "; ".join(out) + "."
    return text


def plateau_sentence(counts: dict) -> str:
    """The plateau counts on 1.1.0 ({activation: count or list over seeds, None when flagged}): an
    intermediate plateau (2 or more: one label fitted, then the other) in every seed, in none (the labels
    fitted together), or in some."""
    parts = []
    for act, v in counts.items():
        c = [int(x) for x in _kept(v)]
        if not c:
            parts.append(f"{act} flagged")
            continue
        two = sum(x >= 2 for x in c)
        shown = f"{c[0]}{_every(len(c))}" if len(set(c)) == 1 else f"{min(c)}-{max(c)}"
        what = ("an intermediate plateau: one label fitted, then the other" if two == len(c) else
                "no intermediate plateau: both labels fitted together" if two == 0 else
                f"an intermediate plateau in {two} of {len(c)} seeds")
        parts.append(f"{act} {shown} ({what})")
    return "Plateaus on 1.1.0 by the thesis's rule (appendix C.1.4): " + ", ".join(parts) + "."


def alignment_sentence(fractions: dict, cos: float = ALIGN_COS) -> str:
    """Where the final neurons on 1.1.0 lie ({activation: fraction of their norm within the cone
    ``cos`` of the lines D+ and D-, one value or a list over seeds}): on the two lines (>= 0.9 in every
    seed), off them (<= 0.5 in every seed), or partly."""
    deg = np.degrees(np.arccos(cos))
    parts = []
    for act, v in fractions.items():
        f = _kept(v)
        if not f:
            parts.append(f"{act} flagged")
            continue
        what = ("on D+ and D-" if min(f) >= 0.9 else "off the two lines" if max(f) <= 0.5 else
                "partly on the two lines")
        parts.append(f"{act} {fmt_seeds(f, '.2f')} ({what})")
    return (f"the fraction of the final neurons' norm within {deg:.1f} degrees of the lines D+ and D-: "
            + ", ".join(parts) + ".")


def pl_sentence(slack: dict, pl_min: dict) -> str:
    """Whether the PL ratio stays above its NTK bound ({activation: min slack in units of (2/n)
    lambda_max, one value or a list over seeds, None when flagged}) in every kept seed, to rounding
    (-1e-12), and the smallest PL ratio of each activation."""
    holds, fails = [], []
    for act, v in slack.items():
        s = _kept(v)
        if not s:
            continue
        bad = sum(x <= -1e-12 for x in s)
        (fails if bad else holds).append(act if not bad else f"{act} (in {bad} of {len(s)} seeds)")
    n = max((len(_kept(v)) for v in slack.values()), default=1)
    text = (f"The bound holds at every recorded point (to rounding, 1e-12 lambda_max){_every(n)} for "
            + (", ".join(holds) or "no run") + (f"; it fails for {', '.join(fails)}" if fails else "") + ". ")
    mins = {a: _kept(v) for a, v in pl_min.items() if _kept(v)}
    if mins:
        text += ("The smallest PL ratio along a run (where L > 1e-12): "
                 + ", ".join(f"{a} {fmt_seeds(v)}" for a, v in mins.items()) + ".")
    return text.strip()


def check(cfg: Config) -> None:
    """The snapshots of the six main runs must fit in memory (the spike run records its loss only)."""
    check_recording("record_every", cfg.record_every, cfg.epochs, cfg.record_every, 3 * cfg.width, runs=6,
                    also="epochs or a smaller width")


def with_spread(per_seed: dict) -> dict:
    """{key: analysis.spread(values)} of {key: values over seeds (None for a flagged run)}."""
    return {k: spread(v) for k, v in per_seed.items()}


def predicted_ratios(X, y) -> dict:
    """The ratio of the fit times of 1.1.4's labels (negative / positive) that two speed laws predict:
    proportional to ||y_k x_k|| (the rates of Boursier et al.), and to |y_k x_k,1| (the thesis's text)."""
    pos, neg = int(np.argmax(y)), int(np.argmin(y))
    return {"||y_k x_k||": float(np.linalg.norm(y[pos] * X[pos]) / np.linalg.norm(y[neg] * X[neg])),
            "thesis's |y_k x_k,1|": float(abs(y[pos] * X[pos, 0]) / abs(y[neg] * X[neg, 0]))}


def _band(ax, steps_of, curves, colour, label_text, floor=0.0):
    """mean_band of per-seed curves (lists of (T_r,) arrays, padded with NaN) against the longest steps;
    values <= floor or not finite are left out (log axes)."""
    if not curves:
        return
    T = max(len(c) for c in curves)
    values = np.full((T, len(curves)), np.nan)
    for r, c in enumerate(curves):
        c = np.asarray(c, dtype=float)
        values[:len(c), r] = np.where(np.isfinite(c) & (c > floor), c, np.nan)
    steps = max(steps_of, key=len)
    mean_band(ax, steps[:T], values, label=label_text, colour=colour, marker="")


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    X0, y0 = data.thesis("1.1.0")
    X4, y4 = data.thesis("1.1.4", c=1.0)
    seeds = [cfg.seed + k for k in range(cfg.seeds)]
    d = cfg.seed
    units0 = {s: ctx.run("main_runs", lambda s=s: main_unit(X0, y0, cfg, ctx, s, keep=s == d), dataset="1.1.0",
                         seed=s, snapshots=s == d) for s in seeds}
    units4 = {s: ctx.run("main_runs", lambda s=s: main_unit(X4, y4, cfg, ctx, s, keep=False), dataset="1.1.4",
                         seed=s, snapshots=False) for s in seeds}
    runs0 = {s: dict(zip(ACTIVATIONS, u["runs"])) for s, u in units0.items()}
    runs4 = {s: dict(zip(ACTIVATIONS, u["runs"])) for s, u in units4.items()}
    summ0 = {s: dict(zip(ACTIVATIONS, u["summary"])) for s, u in units0.items()}
    summ4 = {s: dict(zip(ACTIVATIONS, u["summary"])) for s, u in units4.items()}
    h0 = {s: {a: health(t, cfg.fit_level) for a, t in runs0[s].items()} for s in seeds}
    h4 = {s: {a: health(t, cfg.fit_level) for a, t in runs4[s].items()} for s in seeds}
    named0 = {f"{a} on 1.1.0, seed {s}": h0[s][a] for a in ACTIVATIONS for s in seeds}
    named4 = {f"{a} on 1.1.4, seed {s}": h4[s][a] for a in ACTIVATIONS for s in seeds}

    nums = {s: {a: balance_numbers(runs0[s][a], summ0[s][a], h0[s][a], len(y0)) for a in ACTIVATIONS} for s in seeds}
    per_seed = {key: {a: [nums[s][a][key] for s in seeds] for a in ACTIVATIONS}
                for key in ("balance", "relative", "plateaus", "pl_slack", "pl_min", "aligned")}
    fits = {s: (summ4[s]["relu"]["fit_steps"] if h4[s]["relu"]["status"] == "ok" else [None, None]) for s in seeds}
    fit_seeds = {lab: [fits[s][k] for s in seeds] for k, lab in enumerate(FIT_LABELS)}
    ratio_seeds = [None if None in fits[s] else fits[s][0] / max(fits[s][1], 1) for s in seeds]
    predicted = predicted_ratios(X4, y4)

    # the loss curves of every seed, the ReLU fit times on 1.1.4 with their range
    fig, axes = new_figure(2, 1, width=4.6, height=3.6)
    for ax, (name, runs, hs) in zip(axes[0], (("1.1.0", runs0, h0), ("1.1.4, c = 1", runs4, h4))):
        for k, act in enumerate(ACTIVATIONS):
            for s in seeds:
                t, h = runs[s][act], hs[s][act]
                drawn, ok = s == d, h["status"] == "ok"
                ax.plot(t.steps, np.where(t.train_loss > 0, t.train_loss, np.nan), color=series_colour(k),
                        ls="-" if ok else "--", lw=1.4 if drawn else 0.6, alpha=1.0 if drawn else 0.5,
                        label=f"{act} (seed {s}){status_tag(h)}" if drawn else
                        (None if ok else f"{act}, seed {s}{status_tag(h)}"))
        log_loss_axis(ax, bottom=1e-8)
        label(ax, "epoch", "training loss (1/n)", f"data set {name}, lambda = {cfg.scale:g}", legend=True, fontsize=6)
    for (lab, vals), (marker, level) in zip(fit_seeds.items(), (("v", 1e-6), ("^", 1e-7))):
        kept = _kept(vals)
        if kept:
            sp = spread(kept)
            axes[0, 1].errorbar([sp["mean"]], [level], xerr=[[sp["mean"] - sp["lo"]], [sp["hi"] - sp["mean"]]],
                                fmt=marker, color="k", capsize=3, ms=5,
                                label=f"ReLU fits {lab.split(' (')[0]} (mean, range over {sp['n']} seeds)")
    axes[0, 1].legend(fontsize=6)
    ctx.figure(fig, "loss", "Loss curves of the three activations (thesis Figs 3.1, 3.17)",
               f"m = {cfg.width}, balanced initialisation lambda = {cfg.scale:g}, GD step {cfg.lr:g}; thick: seed {d}, "
               f"thin: seeds {seeds[1:] or 'none'}; dashed: flagged runs; black markers (right): the epochs at which "
               "the ReLU network settles on each label of 1.1.4, mean with the range over seeds (read at the recorded "
               f"points, every {cfg.record_every} epochs). "
               + plateau_sentence(per_seed["plateaus"]) + " "
               + label_speed_sentence(fit_seeds[FIT_LABELS[0]], fit_seeds[FIT_LABELS[1]], predicted)
               + " (The thesis: Sigmoid fits both labels at once.) " + flagged_sentence({**named0, **named4}))

    # balancedness: the band over seeds of both errors, the weights' scale of the drawn seed
    fig, axes = new_figure(3, 2, width=4.0, height=3.0)
    for col, act in enumerate(ACTIVATIONS):
        kept = [s for s in seeds if h0[s][act]["status"] == "ok"]
        out = [s for s in seeds if s not in kept]
        for row, (key, name) in enumerate((("l1", "l1-average"), ("linf", "l-inf"))):
            ax = axes[row, col]
            _band(ax, [runs0[s][act].steps for s in kept], [summ0[s][act][key] for s in kept], "tab:blue",
                  f"{name} error (mean, range over {len(kept)} seeds)")
            ax.plot(runs0[d][act].steps, summ0[d][act]["mean_abs_a"], color="tab:red", label=f"mean |a_j| (seed {d})")
            ax.plot(runs0[d][act].steps, summ0[d][act]["mean_norm_w"], color="tab:green", ls="--",
                    label=f"mean ||w_j|| (seed {d})")
            ax.set_yscale("log")
            label(ax, "epoch", "|a_j - s_j ||w_j|||",
                  f"{act}: {name}" + (f" (left out: seeds {out})" if out else ""), legend=col == 0, fontsize=7)
    ctx.figure(fig, "balancedness", "Balancedness over training (thesis Fig 3.10)",
               "Data set 1.1.0. Blue: the l1-average (top) and l-inf (bottom) of |a_j - s_j ||w_j||| with s_j the "
               f"initial signs, mean over the {len(seeds)} seeds with their range shaded (flagged runs left out); red "
               f"and green give the scale of the weights (seed {d}). Gradient flow conserves a_j^2 - ||w_j||^2 for the "
               "1-homogeneous ReLU (GD up to O(step)), not for Sigmoid and Tanh. "
               + balance_sentence(per_seed["relative"]) + " " + flagged_sentence(named0))

    # the neurons of the drawn seed; where the neurons of every seed end, in the caption
    fig, axes = new_figure(4, 3, width=3.4, height=3.0)
    for row, (act, t) in enumerate(runs0[d].items()):
        signs = np.sign(t.a[0])
        picks = analysis.loss_fraction_indices(t.train_loss, (0.9, 0.5, 0.01))
        for col, i in enumerate([picks[1 % len(picks)], picks[len(picks) // 2], picks[-1]]):
            orientation_plane(axes[row, col], t.net_at(i), X0[:, 0], y0, xlim=(-1.5, 3.0), signs=signs,
                              title=f"{act}, epoch {int(t.steps[i])}{status_tag(h0[d][act])}", legend=False)
        weight_plane(axes[row, 3], t.W[-1], X=X0, y=y0, a=t.a[-1], title=f"{act}: final (w_j1, w_j2)")
    axes[0, 3].legend(fontsize=6)
    ctx.figure(fig, "neurons_1_1_0", "Neurons of the three activations on 1.1.0 (thesis Figs 3.7-3.9, C.1-C.2)",
               f"m = {cfg.width}, lambda = {cfg.scale:g}, seed {d}: orientation / signed-norm windows where the loss "
               "first falls below 90, 50 and 1% of its start (model in green, data in red), and the final neurons in "
               "the (w_j1, w_j2) plane (magenta S+,1, aqua S-,1, red dashed D+ and D-). Over all seeds: "
               + alignment_sentence(per_seed["aligned"]) + " " + flagged_sentence(named0))

    # the outer weights of the drawn seed; the PL ratio and its bound over seeds
    fig, axes = new_figure(3, 2, width=4.0, height=3.0)
    for col, act in enumerate(ACTIVATIONS):
        t = runs0[d][act]
        axes[0, col].plot(t.steps, t.a, lw=0.6)
        axes[0, col].set_yscale("symlog", linthresh=1e-6)
        label(axes[0, col], "epoch", "a_j", f"{act}: every a_j, seed {d} (thesis Fig C.3){status_tag(h0[d][act])}")
        kept = [s for s in seeds if h0[s][act]["status"] == "ok"]
        out = [s for s in seeds if s not in kept]
        ax = axes[1, col]
        steps = [runs0[s][act].steps for s in kept]
        _band(ax, steps, [analysis.pl_ratio(runs0[s][act].grad_norm, runs0[s][act].train_loss) for s in kept], "k",
              "||grad L||^2 / (2 L)")
        _band(ax, steps, [2.0 * summ0[s][act]["ntk_min"] / len(y0) for s in kept], "C1", "(2/n) lambda_min(J J^T)")
        ax.set_yscale("log")
        label(ax, "epoch", "PL ratio", f"{act}: PL ratio, NTK bound ({len(kept)} seeds)"
              + (f" (left out: {out})" if out else ""), legend=col == 0 and bool(kept), fontsize=7)
    ctx.figure(fig, "outer_weights_and_pl", "Outer weights and the PL ratio along training (thesis Fig C.3, chapter 4)",
               f"Data set 1.1.0. Top: every a_j over time (seed {d}, symmetric log scale). Bottom: the empirical PL "
               "ratio ||grad L||^2 / (2 L) and its lower bound (2/n) lambda_min(J J^T) for L = (1/n) ||h - y||^2 (J: "
               "the Jacobian of the outputs, J J^T the empirical NTK), mean over seeds with their range shaded; "
               "chapter 4 expects both to be tiny near the saddles, where PL fails. "
               + pl_sentence(per_seed["pl_slack"], per_seed["pl_min"]) + " " + flagged_sentence(named0))

    Xc, yc = data.thesis("1.1.4", c=cfg.c_large)
    curves = dict(zip(("sigmoid", "tanh"), ctx.run(
        "s_curves", lambda: gd_runs(Xc, yc, ("sigmoid", "tanh"), cfg.width_large, cfg, ctx, seed=d, lr=cfg.lr,
                                    steps=cfg.epochs_large, record_at=log_steps(cfg.epochs_large, 1000)),
        dataset="1.1.4", seed=d)))
    hc = {act: health(t, cfg.fit_level * cfg.c_large ** 2) for act, t in curves.items()}
    fig, axes = new_figure(3, 2, width=4.2, height=3.6)
    for row, (act, t) in enumerate(curves.items()):
        signs = np.sign(t.a[0])
        picks = analysis.loss_fraction_indices(t.train_loss)
        xlim = (-3.0, 12.0)
        for k, i in enumerate(picks):
            col = f"C{k % 10}"
            weight_plane(axes[row, 0], t.W[i], colour=col, label=f"epoch {int(t.steps[i])}", directions=False)
            osn_points(axes[row, 1], t.W[i], signs, xlim, colour=col, label=f"epoch {int(t.steps[i])}", ms=5)
        axes[row, 1].set_xlim(*xlim)
        label(axes[row, 0], None, None, f"{act}: (w_j1, w_j2){status_tag(hc[act])}", legend=True, fontsize=6)
        label(axes[row, 1], "-w_j2 / w_j1", "s_j ||w_j||", f"{act}: orientation / signed norm")
        grid = np.linspace(-1.0, 11.0, 400)
        axes[row, 2].plot(grid, t.final(with_bias(grid)), color="tab:green", label="h(x) at the end")
        axes[row, 2].plot(Xc[:, 0], yc, "o", color="tab:red", label="data")
        label(axes[row, 2], "x", "h(x)", f"{act}: final interpolator", legend=True)
    ctx.figure(fig, "s_curves", "S-curves and bells of Sigmoid and Tanh neurons (thesis Fig 3.18)",
               f"Data set 1.1.4 with c = {cfg.c_large:g}, m = {cfg.width_large}, lambda = {cfg.scale:g}, seed {d}: "
               "snapshots superimposed where the loss first falls below 99, 90, 60, 30, 10 and 1% of its start, and at "
               "the end. What the thesis reports for these panels (not measured here: the S-curve fit of its Figs "
               "3.21-3.24 is not part of this experiment): Sigmoid neurons of every epoch lie on one S-curve through "
               "the origin in the (w_j1, w_j2) plane, a bell lying on its side in the orientation / signed-norm "
               "plane; Tanh neurons first grow along an S-curve, then turn sharply once the positive label is fitted "
               f"(its Conjecture 2). Fit level {cfg.fit_level * cfg.c_large ** 2:g} (fit_level x c^2, the labels being "
               "c times larger). " + flagged_sentence(hc))

    spikes = {s: ctx.run("spike", lambda s=s: gd_runs(X0, y0, ("sigmoid",), cfg.spike_width, cfg, ctx, seed=s,
                                                      lr=cfg.spike_lr, steps=cfg.spike_epochs, record_every=1,
                                                      snapshots=False)[0], dataset="1.1.0", seed=s) for s in seeds}
    spk = {s: spike_numbers(t, cfg.fit_level) for s, t in spikes.items()}
    kept_spk = [s for s in seeds if spk[s]["kept"]]
    fig, axes = new_figure(1, 1, width=5.0, height=3.6)
    ax = axes[0, 0]
    for s, t in spikes.items():
        ax.semilogy(t.steps, t.train_loss, color="k" if s == d else "0.55", lw=1.2 if s == d else 0.7,
                    ls="-" if spk[s]["kept"] else "--",
                    label=f"seed {s}" + ("" if spk[s]["kept"] else f" (left out: {spk[s]['status']})"))
    if kept_spk:
        pk, ep = spread([spk[s]["peak"] for s in kept_spk]), spread([spk[s]["epoch"] for s in kept_spk])
        ax.errorbar([ep["mean"]], [pk["mean"]], xerr=[[ep["mean"] - ep["lo"]], [ep["hi"] - ep["mean"]]],
                    yerr=[[pk["mean"] - pk["lo"]], [pk["hi"] - pk["mean"]]], fmt="o", color="tab:red", capsize=3,
                    label=f"peak: mean, range over {len(kept_spk)} seeds")
    ax.set_xscale("symlog", linthresh=100)
    recovered = sum(spk[s]["status"] == "nearly diverged" and spk[s]["kept"] for s in seeds)
    label(ax, "epoch", "training loss (1/n)",
          f"Sigmoid, m = {cfg.spike_width}, step {cfg.spike_lr:g} ({recovered} of {len(seeds)} spike and recover)", legend=True, fontsize=7)
    spike_cols = {k: [spk[s][k] for s in seeds] for k in ("initial", "peak", "epoch", "final", "diverged")}
    ctx.figure(fig, "sigmoid_spike", "A loss spike that converges (thesis Fig C.11)",
               f"Data set 1.1.0, lambda = {cfg.scale:g}, {len(seeds)} seeds (black: seed {d}; dashed: left out). All "
               f"m = {cfg.spike_width} outer weights receive the same gradient (sigma(0) = 1/2), so the effective step "
               "in that direction is about m times larger: "
               + spike_sentence(spike_cols["initial"], spike_cols["peak"], spike_cols["epoch"], spike_cols["final"],
                                cfg.fit_level, spike_cols["diverged"], seeds=[f"seed {s}" for s in seeds])
               + " " + spike_health_sentence([spk[s] for s in seeds], seeds, cfg.fit_level))

    ctx.note("Loss (1/n) sum (h - y)^2 as in the thesis's runs; balanced initialisation w_j = lambda g_j, "
             "a_j = s_j ||w_j|| (eqs 2.41-2.42); h(x) = sum_j a_j sigma(w_j . x) with x = (x, 1). "
             f"Seeds {seeds} of the initial directions and signs for the runs on 1.1.0, 1.1.4 and the spike run; "
             f"the neuron figures and Fig 3.18 draw seed {d}.")
    every = {**named0, **named4, **{f"{a} on 1.1.4 (c = {cfg.c_large:g}), seed {d}": h for a, h in hc.items()}}
    statuses = [h["status"] for h in every.values()]
    ctx.note(f"Run health (fit level {cfg.fit_level:g}): {statuses.count('ok')} of {len(statuses)} runs on 1.1.0 and "
             f"1.1.4 (c = 1 and c = {cfg.c_large:g}) ok. "
             + " ".join(filter(None, (flagged_sentence(every),
                                      spike_health_sentence([spk[s] for s in seeds], seeds, cfg.fit_level)))))
    ctx.note("Over seeds: " + balance_sentence(per_seed["relative"]) + " "
             + label_speed_sentence(fit_seeds[FIT_LABELS[0]], fit_seeds[FIT_LABELS[1]], predicted))

    spike_seeds = {k: [spk[s][k] if spk[s]["kept"] else None for s in seeds] for k in ("peak", "epoch", "final")}
    excluded_seeds = {k: h["reason"] for k, h in every.items() if h["status"] != "ok"}
    excluded_seeds.update({f"sigmoid spike run, seed {s}": spk[s]["why"] for s in seeds if not spk[s]["kept"]})
    drawn = {key: {a: nums[d][a][key] for a in ACTIVATIONS} for key in per_seed}
    return {"seeds": seeds,
            "max_balance_error_relu": drawn["balance"]["relu"], "max_balance_error_sigmoid": drawn["balance"]["sigmoid"],
            "max_balance_error_tanh": drawn["balance"]["tanh"],
            "relative_balance_error": drawn["relative"],
            "relative_balance_error_seeds": per_seed["relative"],
            "relative_balance_error_spread": with_spread(per_seed["relative"]),
            "fit_times_1_1_4": {lab: fits[d][k] for k, lab in enumerate(FIT_LABELS)},
            "fit_times_1_1_4_seeds": fit_seeds, "fit_times_1_1_4_spread": with_spread(fit_seeds),
            "fit_time_ratio_1_1_4": ratio_seeds[0], "fit_time_ratio_1_1_4_seeds": ratio_seeds,
            "fit_time_ratio_1_1_4_spread": spread(ratio_seeds), "fit_time_ratio_predicted": predicted,
            "final_loss_1_1_0": {a: float(t.train_loss[-1]) for a, t in runs0[d].items()},
            "final_loss_1_1_4": {a: float(t.train_loss[-1]) for a, t in runs4[d].items()},
            "plateaus_1_1_0": drawn["plateaus"], "plateaus_1_1_0_seeds": per_seed["plateaus"],
            "pl_bound_min_slack": drawn["pl_slack"], "pl_bound_min_slack_seeds": per_seed["pl_slack"],
            "pl_bound_min_slack_spread": with_spread(per_seed["pl_slack"]),
            "pl_ratio_min_seeds": per_seed["pl_min"],
            "aligned_fraction_1_1_0": drawn["aligned"], "aligned_fraction_1_1_0_seeds": per_seed["aligned"],
            "aligned_fraction_1_1_0_spread": with_spread(per_seed["aligned"]),
            "sigmoid_spike_peak": spk[d]["peak"], "sigmoid_spike_epoch": spk[d]["epoch"],
            "sigmoid_spike_final_loss": spk[d]["final"],
            "sigmoid_spike_peak_seeds": spike_seeds["peak"], "sigmoid_spike_peak_spread": spread(spike_seeds["peak"]),
            "sigmoid_spike_epoch_seeds": spike_seeds["epoch"],
            "sigmoid_spike_epoch_spread": spread(spike_seeds["epoch"]),
            "sigmoid_spike_final_loss_seeds": spike_seeds["final"],
            "sigmoid_spike_final_loss_spread": spread(spike_seeds["final"]),
            "sigmoid_spike_recovered_seeds": [spk[s]["status"] == "nearly diverged" and spk[s]["kept"] for s in seeds],
            "health": {"1.1.0": {a: h["status"] for a, h in h0[d].items()},
                       "1.1.4": {a: h["status"] for a, h in h4[d].items()},
                       "s_curves": {a: h["status"] for a, h in hc.items()}, "spike": spk[d]["status"]},
            "health_seeds": {"1.1.0": {a: [h0[s][a]["status"] for s in seeds] for a in ACTIVATIONS},
                             "1.1.4": {a: [h4[s][a]["status"] for s in seeds] for a in ACTIVATIONS},
                             "spike": [spk[s]["status"] for s in seeds]},
            "excluded": {k.replace(f", seed {d}", ""): h["reason"] for k, h in every.items()
                         if h["status"] != "ok" and k.endswith(f", seed {d}")},
            "excluded_seeds": excluded_seeds}


register(Experiment(
    name="activation-dynamics", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis 3.1.1 (iv), 3.1.3, C.1: ReLU, Sigmoid and Tanh from a small balanced start: loss curves, "
                "balancedness, the S-curves and bells of Sigmoid/Tanh neurons, and a Sigmoid loss spike that converges.",
    config=Config, run=run, quick=QUICK,
    source="thesis, sections 3.1.1 (iv), 3.1.3 and appendix C.1, Figs 3.1, 3.7-3.10, 3.17-3.18, C.1-C.3, C.11"))

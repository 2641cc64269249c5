"""Seed 003, sections 3.1.1 (iv), 3.1.3 and appendix C.1 (Figures 3.10, 3.17, 3.18, C.11): how ReLU,
Sigmoid and Tanh networks train from a small balanced initialisation on two orthogonal points.

Loss curves on 1.1.0 and 1.1.4 (c = 1), balancedness |a_j - s_j ||w_j||| over training, the neuron
S-curves (w_j1, w_j2) and bells (-w_j2/w_j1, s_j ||w_j||) of Sigmoid and Tanh on 1.1.4 with c = 75,
and the Sigmoid run with step 1e-2 and m = 600 whose loss spikes before it converges.

Every training run is a stored unit (``ctx.run``): ``twolayer redraw`` draws the figures again without
training. A run that diverged, nearly diverged or never reached ``fit_level`` is flagged (metrics
``health``, figure legends, captions) and left out of the balance, PL and label-speed conclusions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import analysis, data
from ..data import with_bias
from ..ntk import empirical_ntk
from ..optim import GD
from ..analysis.seeds import flagged_sentence, status_tag, traj_health as health
from ..plots import label, log_loss_axis, new_figure, orientation_plane, weight_plane
from ..plots.neurons import osn_points
from ..plots.style import series_colour
from ..sweep import train_many
from ..trajectory import log_steps
from . import Experiment, register
from .base import THESIS_LOSS, balanced_net, param
from .budget import SEED_MAX, check_recording

ACTIVATIONS = ("relu", "sigmoid", "tanh")


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
    seed: int = param(0, "Random seed of the initial directions g_j and signs s_j.", ge=0, le=SEED_MAX)


QUICK = {"epochs": 60_000, "epochs_large": 60_000, "record_every": 200, "spike_epochs": 5000}


def gd_runs(X, y, acts, width: int, cfg: Config, ctx, *, lr: float, steps: int, **record) -> list:
    """GD on the thesis's loss from :func:`balanced_net` of scale ``cfg.scale``, one run per activation
    in ``acts`` (threads of one sweep); a run that diverges is kept, with ``info["diverged"]``."""
    nets = [balanced_net(X.shape[1], width, act, cfg.scale, cfg.seed) for act in acts]
    return train_many(nets, X, y, **THESIS_LOSS, optimizer=GD(lr), steps=steps, engine=ctx.engine,
                      on_divergence="keep", quiet=ctx.quiet, **record)


def balance_sentence(rel: dict) -> str:
    """What the largest relative balance errors ``rel`` ({activation: max_t ||a - s ||w|| ||_inf /
    max ||w_j||, None for a flagged run}) say: ReLU stays balanced (< 1e-6) or not, and whether
    Sigmoid and Tanh drift further than ReLU."""
    relu = rel.get("relu")
    if relu is None:
        return "The ReLU run is flagged, so nothing is concluded about its balance."
    head = (f"ReLU stays balanced up to O(step): its largest error is {relu:.2g} x max ||w_j||" if relu < 1e-6 else
            f"ReLU does not stay balanced: its largest error is {relu:.2g} x max ||w_j|| (>= 1e-6)")
    others = {a: v for a, v in rel.items() if a != "relu" and v is not None}
    drift = [a for a, v in others.items() if v > 100 * max(relu, 1e-300)]
    still = [a for a in others if a not in drift]
    tail = ""
    if drift:
        tail += "; " + " and ".join(f"{a} ({others[a]:.2g})" for a in drift) + " drift apart (not homogeneous)"
    if still:
        tail += "; " + " and ".join(f"{a} ({others[a]:.2g})" for a in still) + " stay within 100x of ReLU"
    return head + tail + "."


def label_speed_sentence(fit_negative, fit_positive) -> str:
    """When the ReLU run on 1.1.4 fits each label (epochs, None if never or if the run is flagged), and
    whether the positive label (x = 10) is fitted at least 3x sooner, as |y_k| ||x_k|| predicts."""
    if fit_negative is None or fit_positive is None:
        return (f"On 1.1.4 the ReLU run does not settle on both labels (epochs: positive {fit_positive}, negative "
                f"{fit_negative}), so the speeds are not compared.")
    ratio = fit_negative / max(fit_positive, 1)
    verdict = ("at least 3x sooner, as speeds proportional to |y_k| ||x_k|| predict" if 3 * fit_positive <= fit_negative
               else "less than 3x sooner, not the separation that speeds proportional to |y_k| ||x_k|| predict")
    return (f"On 1.1.4 the ReLU network fits the positive label (x = 10) at epoch {fit_positive} and the negative one "
            f"(x = -0.1) at epoch {fit_negative}: {ratio:.1f}x, {verdict}.")


def spike_sentence(initial: float, peak: float, peak_epoch: int, final: float, fit_level: float,
                   diverged: bool, blowup: float = 100.0) -> str:
    """What the Sigmoid spike run did: a spike (peak > ``blowup`` x the initial loss) that converges
    (final <= fit_level), a spike that does not recover, a divergence, or no spike."""
    if diverged:
        return f"the loss rises from {initial:.4g} to {peak:.3g} and diverges (no recovery)."
    if peak <= blowup * initial:
        return (f"the loss does not spike (its peak {peak:.4g} is {peak / initial:.3g}x its start {initial:.4g}) and "
                f"ends at {final:.2g}.")
    end = (f"then converges to {final:.2g}" if final <= fit_level else
           f"and has not recovered at the end (final loss {final:.2g} above the fit level {fit_level:g})")
    return (f"the loss jumps from {initial:.4f} to {peak:.1f} at epoch {peak_epoch} (the thesis: 19462.8 at epoch 26) "
            f"{end}.")


def check(cfg: Config) -> None:
    """The snapshots of the six main runs must fit in memory (the spike run records its loss only)."""
    check_recording("record_every", cfg.record_every, cfg.epochs, cfg.record_every, 3 * cfg.width, runs=6,
                    also="epochs or a smaller width")


def run(cfg: Config, ctx) -> dict:
    check(cfg)
    X0, y0 = data.thesis("1.1.0")
    X4, y4 = data.thesis("1.1.4", c=1.0)
    main = {"lr": cfg.lr, "steps": cfg.epochs, "record_every": cfg.record_every}
    runs0 = dict(zip(ACTIVATIONS, ctx.run("main_runs", lambda: gd_runs(X0, y0, ACTIVATIONS, cfg.width, cfg, ctx,
                                                                        **main), dataset="1.1.0")))
    runs4 = dict(zip(ACTIVATIONS, ctx.run("main_runs", lambda: gd_runs(X4, y4, ACTIVATIONS, cfg.width, cfg, ctx,
                                                                        **main), dataset="1.1.4")))
    h0 = {act: health(t, cfg.fit_level) for act, t in runs0.items()}
    h4 = {act: health(t, cfg.fit_level) for act, t in runs4.items()}

    fig, axes = new_figure(2, 1, width=4.6, height=3.6)
    plateau_counts = {}
    for ax, (name, runs, hs) in zip(axes[0], (("1.1.0", runs0, h0), ("1.1.4, c = 1", runs4, h4))):
        for k, (act, t) in enumerate(runs.items()):
            ax.plot(t.steps, np.where(t.train_loss > 0, t.train_loss, np.nan), color=series_colour(k),
                    ls="-" if hs[act]["status"] == "ok" else "--", label=act + status_tag(hs[act]))
        log_loss_axis(ax, bottom=1e-8)
        label(ax, "epoch", "training loss (1/n)", f"data set {name}, lambda = {cfg.scale:g}", legend=True)
    for act, t in runs0.items():
        plateau_counts[act] = len(analysis.plateaus(t.times, t.train_loss)) if h0[act]["status"] == "ok" else None
    fit4 = analysis.sample_fit_steps(runs4["relu"], X4, y4) if h4["relu"]["status"] == "ok" else [None, None]
    ctx.figure(fig, "loss", "Loss curves of the three activations (thesis Figs 3.1, 3.17)",
               f"m = {cfg.width}, balanced initialisation lambda = {cfg.scale:g}, GD step {cfg.lr:g}; dashed: flagged "
               "runs. Plateaus detected on 1.1.0 (-d log L/dt < 0.02 for at least one time unit): "
               + ", ".join(f"{a} {'-' if c is None else c}" for a, c in plateau_counts.items())
               + " (ReLU: one label fitted, then the other; the thesis: Sigmoid fits both at once). "
               + label_speed_sentence(fit4[0], fit4[1]) + " " + flagged_sentence(
                   {**{f"{a} on 1.1.0": h for a, h in h0.items()}, **{f"{a} on 1.1.4": h for a, h in h4.items()}}))

    fig, axes = new_figure(3, 2, width=4.0, height=3.0)
    balance = {}
    for col, (act, t) in enumerate(runs0.items()):
        signs = np.sign(t.a[0])
        l1, linf = analysis.balance_errors(t.a, t.W, signs)
        norms = np.linalg.norm(t.W, axis=-1)
        ok = h0[act]["status"] == "ok"
        balance[act] = (float(linf.max()), float(linf.max() / norms.max())) if ok else (None, None)
        for row, (err, name) in enumerate(((l1, "l1-average"), (linf, "l-inf"))):
            ax = axes[row, col]
            ax.semilogy(t.steps, np.where(err > 0, err, np.nan), color="tab:blue", label=f"{name} error")
            ax.semilogy(t.steps, np.abs(t.a).mean(axis=1), color="tab:red", label="mean |a_j|")
            ax.semilogy(t.steps, norms.mean(axis=1), color="tab:green", ls="--", label="mean ||w_j||")
            label(ax, "epoch", "|a_j - s_j ||w_j|||", f"{act}: {name}{status_tag(h0[act])}", legend=col == 0,
                  fontsize=7)
    relative = {a: v[1] for a, v in balance.items()}
    ctx.figure(fig, "balancedness", "Balancedness over training (thesis Fig 3.10)",
               "Data set 1.1.0. Blue: the l1-average (top) and l-inf (bottom) of |a_j - s_j ||w_j||| with s_j the "
               "initial signs; red and green give the scale of the weights. Gradient flow conserves a_j^2 - ||w_j||^2 "
               "for the 1-homogeneous ReLU (GD up to O(step)), not for Sigmoid and Tanh. " + balance_sentence(relative) + " " + flagged_sentence(h0))

    fig, axes = new_figure(4, 3, width=3.4, height=3.0)
    for row, (act, t) in enumerate(runs0.items()):
        signs = np.sign(t.a[0])
        picks = analysis.loss_fraction_indices(t.train_loss, (0.9, 0.5, 0.01))
        for col, i in enumerate([picks[1 % len(picks)], picks[len(picks) // 2], picks[-1]]):
            orientation_plane(axes[row, col], t.net_at(i), X0[:, 0], y0, xlim=(-1.5, 3.0), signs=signs,
                              title=f"{act}, epoch {int(t.steps[i])}{status_tag(h0[act])}", legend=False)
        weight_plane(axes[row, 3], t.W[-1], X=X0, y=y0, a=t.a[-1], title=f"{act}: final (w_j1, w_j2)")
    axes[0, 3].legend(fontsize=6)
    ctx.figure(fig, "neurons_1_1_0", "Neurons of the three activations on 1.1.0 (thesis Figs 3.7-3.9, C.1-C.2)",
               f"m = {cfg.width}, lambda = {cfg.scale:g}: orientation / signed-norm windows where the loss first falls "
               "below 90, 50 and 1% of its start (model in green, data in red), and the final neurons in the (w_j1, "
               "w_j2) plane (magenta S+,1, aqua S-,1, red dashed D+ and D-). ReLU neurons sit on D+ and D-; Sigmoid "
               "and Tanh neurons spread along a curve. " + flagged_sentence(h0))

    fig, axes = new_figure(3, 2, width=4.0, height=3.0)
    pl_slack = {}
    for col, (act, t) in enumerate(runs0.items()):
        axes[0, col].plot(t.steps, t.a, lw=0.6)
        axes[0, col].set_yscale("symlog", linthresh=1e-6)
        label(axes[0, col], "epoch", "a_j", f"{act}: every a_j (thesis Fig C.3){status_tag(h0[act])}")
        pl = analysis.pl_ratio(t.grad_norm, t.train_loss)
        eig = np.array([np.linalg.eigvalsh(empirical_ntk(t.net_at(i), X0)) for i in range(len(t))])
        bound = 2.0 * eig[:, 0] / len(y0)
        # both sides carry rounding errors of order eps lambda_max (near-singular J J^T near the saddles),
        # and residuals below ~1e-6 lose their digits (h ~ 1): compare in units of (2/n) lambda_max where L > 1e-12
        accurate = t.train_loss > 1e-12
        ok = h0[act]["status"] == "ok" and accurate.any()
        pl_slack[act] = float(np.min(((pl - bound) / (2.0 * eig[:, -1] / len(y0)))[accurate])) if ok else None
        ax = axes[1, col]
        ax.semilogy(t.steps, pl, color="k", label="||grad L||^2 / (2 L)")
        ax.semilogy(t.steps, np.where(bound > 0, bound, np.nan), color="C1", ls="--", label="(2/n) lambda_min(J J^T)")
        label(ax, "epoch", "PL ratio", f"{act}: PL ratio and its NTK bound", legend=col == 0, fontsize=7)
    holds = [a for a, v in pl_slack.items() if v is not None and v > -1e-12]
    fails = [a for a, v in pl_slack.items() if v is not None and v <= -1e-12]
    ctx.figure(fig, "outer_weights_and_pl", "Outer weights and the PL ratio along training (thesis Fig C.3, chapter 4)",
               "Data set 1.1.0. Top: every a_j over time (symmetric log scale). Bottom: the empirical PL ratio "
               "||grad L||^2 / (2 L) and its lower bound (2/n) lambda_min(J J^T) for L = (1/n) ||h - y||^2 (J: the "
               "Jacobian of the outputs, J J^T the empirical NTK); both are tiny near the saddles (PL fails there, "
               "chapter 4). The bound holds at every recorded point (to rounding, 1e-12 lambda_max) for "
               + (", ".join(holds) or "no run") + (f"; it fails for {', '.join(fails)}" if fails else "") + ". "
               + flagged_sentence(h0))

    Xc, yc = data.thesis("1.1.4", c=cfg.c_large)
    curves = dict(zip(("sigmoid", "tanh"), ctx.run(
        "s_curves", lambda: gd_runs(Xc, yc, ("sigmoid", "tanh"), cfg.width_large, cfg, ctx, lr=cfg.lr,
                                 steps=cfg.epochs_large, record_at=log_steps(cfg.epochs_large, 1000)),
        dataset="1.1.4")))
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
               f"Data set 1.1.4 with c = {cfg.c_large:g}, m = {cfg.width_large}, lambda = {cfg.scale:g}: snapshots "
               "superimposed where the loss first falls below 99, 90, 60, 30, 10 and 1% of its start, and at the end. "
               "Sigmoid: the neurons of every epoch lie on one S-curve through the origin in the (w_j1, w_j2) plane, "
               "a bell lying on its side in the orientation / signed-norm plane. Tanh: the neurons first grow along "
               "an S-curve, then turn sharply once the positive label is fitted (the thesis's Conjecture 2). Fit level "
               f"{cfg.fit_level * cfg.c_large ** 2:g} (fit_level x c^2, the labels being c times larger). "
               + flagged_sentence(hc))

    spike = ctx.run("spike", lambda: gd_runs(X0, y0, ("sigmoid",), cfg.spike_width, cfg, ctx, lr=cfg.spike_lr,
                                             steps=cfg.spike_epochs, record_every=1, snapshots=False)[0],
                    dataset="1.1.0")
    hs = health(spike, cfg.fit_level)
    peak = int(np.argmax(spike.train_loss))
    fig, axes = new_figure(1, 1, width=5.0, height=3.6)
    axes[0, 0].semilogy(spike.steps, spike.train_loss, color="k")
    axes[0, 0].set_xscale("symlog", linthresh=100)
    label(axes[0, 0], "epoch", "training loss (1/n)",
          f"Sigmoid, m = {cfg.spike_width}, step {cfg.spike_lr:g}{status_tag(hs)}")
    ctx.figure(fig, "sigmoid_spike", "A loss spike that converges (thesis Fig C.11)",
               f"Data set 1.1.0, lambda = {cfg.scale:g}. All m = {cfg.spike_width} outer weights receive the same "
               "gradient (sigma(0) = 1/2), so the effective step in that direction is about m times larger: "
               + spike_sentence(float(spike.train_loss[0]), float(spike.train_loss[peak]), int(spike.steps[peak]),
                                float(spike.train_loss[-1]), cfg.fit_level, "diverged" in spike.info)
               + f" Its health: {hs['status']}{' (' + hs['reason'] + ')' if hs['reason'] else ''}"
               + ("; a near-divergence that recovers is what this figure shows, so it is not excluded."
                  if hs["status"] != "diverged" and spike.train_loss[-1] <= cfg.fit_level
                  else "; it does not show a recovery."))
    ctx.note("Loss (1/n) sum (h - y)^2 as in the thesis's runs; balanced initialisation w_j = lambda g_j, "
             "a_j = s_j ||w_j|| (eqs 2.41-2.42); h(x) = sum_j a_j sigma(w_j . x) with x = (x, 1).")
    every = {**{f"{a} on 1.1.0": h for a, h in h0.items()}, **{f"{a} on 1.1.4": h for a, h in h4.items()},
             **{f"{a} on 1.1.4 (c = {cfg.c_large:g})": h for a, h in hc.items()}}
    ctx.note(f"Run health (fit level {cfg.fit_level:g}): "
             + ", ".join(f"{k} {h['status']}" for k, h in every.items()) + ". " + flagged_sentence(every))
    return {"max_balance_error_relu": balance["relu"][0], "max_balance_error_sigmoid": balance["sigmoid"][0],
            "max_balance_error_tanh": balance["tanh"][0],
            "relative_balance_error": relative,
            "fit_times_1_1_4": {"negative (x = -0.1)": fit4[0], "positive (x = 10)": fit4[1]},
            "final_loss_1_1_0": {a: float(t.train_loss[-1]) for a, t in runs0.items()},
            "final_loss_1_1_4": {a: float(t.train_loss[-1]) for a, t in runs4.items()},
            "plateaus_1_1_0": plateau_counts,
            "pl_bound_min_slack": pl_slack,
            "sigmoid_spike_peak": float(spike.train_loss[peak]), "sigmoid_spike_epoch": int(spike.steps[peak]),
            "sigmoid_spike_final_loss": float(spike.train_loss[-1]),
            "health": {"1.1.0": {a: h["status"] for a, h in h0.items()},
                       "1.1.4": {a: h["status"] for a, h in h4.items()},
                       "s_curves": {a: h["status"] for a, h in hc.items()}, "spike": hs["status"]},
            "excluded": {k: h["reason"] for k, h in every.items() if h["status"] != "ok"}}


register(Experiment(
    name="activation-dynamics", seed_file="003_5bec2764affd87f0.txt",
    description="Thesis 3.1.1 (iv), 3.1.3, C.1: ReLU, Sigmoid and Tanh from a small balanced start: loss curves, "
                "balancedness, the S-curves and bells of Sigmoid/Tanh neurons, and a Sigmoid loss spike that converges.",
    config=Config, run=run, quick=QUICK,
    source="thesis, sections 3.1.1 (iv), 3.1.3 and appendix C.1, Figs 3.1, 3.7-3.10, 3.17-3.18, C.1-C.3, C.11"))

"""Seed 003 as a whole: the thesis's findings next to what twolayer measures, each with a verdict.

Runs the thesis's experiments (``saddle-to-saddle``, ``init-scale-transition``, ``activation-dynamics``,
``label-geometry``, ``non-orthogonal-1d``, ``multidim``, ``gradient-checks``) at the same fidelity
(``--quick`` or full), reusing their results folders where they exist next to this one (as
``twolayer reproduce`` writes them) or in ``parts/NAME`` of this folder, and running only what is
missing into ``parts/NAME``; then writes the table R1-R12 (plus D for
appendix D) into the report and ``metrics.json``. A verdict is "reproduced" when the measured numbers
satisfy the finding's criterion (stated in the table) and "differs" otherwise, with the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import Experiment, register
from .base import param

PARTS = ("saddle-to-saddle", "init-scale-transition", "activation-dynamics", "label-geometry", "non-orthogonal-1d",
         "multidim", "gradient-checks")


@dataclass
class Config:
    quick: bool = param(False, "Run the thesis's experiments at their quick fidelity (as with --quick).")


QUICK = {"quick": True}


def _below(a, b) -> bool:
    """a < b, False when either is missing (None: a flagged run, excluded from every verdict)."""
    return a is not None and b is not None and a < b


def _at(metrics, key, scale):
    return metrics[key][metrics["scales"].index(scale)] if scale in metrics["scales"] else None


def findings(m: dict) -> list[dict]:
    """Rows {id, finding, criterion, measured, ok} from the metrics of the thesis experiments."""
    s2s, ist, act, lab = m["saddle-to-saddle"], m["init-scale-transition"], m["activation-dynamics"], m["label-geometry"]
    non, md, gc = m["non-orthogonal-1d"], m["multidim"], m["gradient-checks"]
    small, large = min(ist["scales"]), 1.0
    rich_fit = [f for s, f in zip(ist["scales"], ist["time_to_fit_relu"]) if s <= 1e-2 and f is not None]
    kink_err = lab["kink_deviation_minus"]        # over the fitted runs only (None: none fitted)
    plus = [k for k in lab["kinks_delta"] if k.startswith("+") and lab["predicted_kinks_delta"][k]
            and len(lab["kinks_delta"][k]) == 2]
    plus_err = max((float(np.max(np.abs(np.array(lab["kinks_delta"][k]) - lab["predicted_kinks_delta"][k])))
                    for k in plus), default=float("nan"))
    fit4 = act["fit_times_1_1_4"]
    gaps = {k: v for k, v in non["rich_norm_gap"].items() if v is not None}
    rows = [
        ("R1", "ReLU on 1.1.0 from a small balanced start goes saddle to saddle: plateaus at loss 1 and 1/2 (Fig 2.7)",
         "2 plateaus at levels 1 and 0.5 (within 2%)",
         f"{s2s['plateau_count']} plateaus at {[round(v, 4) for v in s2s['plateau_levels']]}",
         s2s["plateau_count"] == 2 and abs(s2s["plateau_levels"][0] - 1) < 0.02 and abs(s2s["plateau_levels"][1] - 0.5) < 0.01),
        ("R2", "... and ends at the minimum-norm interpolator ([5], Theorem 6)", "relative norm gap < 1e-6",
         f"gap {s2s['theta_norm_rel_gap']:.1e}", s2s["theta_norm_rel_gap"] < 1e-6),
        ("R3", "ReLU iterates stay balanced (Lemma 5); Sigmoid and Tanh only approximately (Fig 3.10)",
         "ReLU l-inf error < 1e-6 of max ||w_j||; Sigmoid, Tanh larger",
         ", ".join(f"{a} {'flagged' if v is None else f'{v:.1e}'}" for a, v in act["relative_balance_error"].items()),
         _below(act["relative_balance_error"]["relu"], 1e-6)
         and all(_below(1e-6, act["relative_balance_error"][a]) for a in ("sigmoid", "tanh"))),
        ("R4", "Plateaus and the time to fit grow like -ln(lambda) (Figs 3.1, C.9)",
         "time to loss 0.01 increases as lambda decreases (rich regime), positive slope",
         f"epochs {rich_fit}, slope {ist['fit_time_slope_relu']:.0f} per unit of -ln(lambda)",
         len(rich_fit) >= 2 and all(a > b for a, b in zip(rich_fit, rich_fit[1:])) and ist["fit_time_slope_relu"] > 0),
        ("R5", "Model complexity is flat (minimum) for lambda <= 1e-2 and grows in the lazy regime; the transition "
               "lies between 1e-2 and 1 (Fig 3.11)", "ReLU norm leaves the minimum by 5% at a scale in (1e-2, 1]",
         f"transition at {ist['transition_scale']}, norm {_at(ist, 'theta_norm_relu', large):.4g} at lambda = 1 "
         f"(minimum {ist['min_norm']:.4f})",
         ist["transition_scale"] is not None and 1e-2 < ist["transition_scale"] <= 1.0),
        ("R6", "At lambda = 1 neurons barely move and the model has more breakpoints (Fig 3.6)",
         "more kinks at lambda = 1 than at the smallest scale",
         f"{_at(ist, 'kinks_relu', small)} kinks at {small:g}, {_at(ist, 'kinks_relu', large)} at 1",
         (_at(ist, "kinks_relu", large) or 0) > (_at(ist, "kinks_relu", small) or 0)),
        ("R7", "Switched labels (1.1.1) change nothing; same-sign labels (1.1.2) lose the intermediate plateau (Fig 3.14)",
         "plateaus 1.1.0 = 1.1.1 = 2, 1.1.2 = 1",
         f"{lab['plateaus_1_1_0']}, {lab['plateaus_1_1_1']}, {lab['plateaus_1_1_2']}",
         lab["plateaus_1_1_0"] == lab["plateaus_1_1_1"] == 2 and lab["plateaus_1_1_2"] == 1),
        ("R8", "Quasi-orthogonal inputs of opposite signs: neurons still align with D+ and D-, so the model bends at "
               "-1/x_k,1, off the data (section 3.2)", "kinks within 1e-6 of -1/x_k,1 for <x_1, x_2> = -delta",
         f"largest deviation {'- (no fitted run)' if kink_err is None else f'{kink_err:.1e}'} "
         f"(for <x_1, x_2> = +delta it is {plus_err:.1e})", _below(kink_err, 1e-6)),
        ("R9", "Sigmoid with m = 600 and step 1e-2: the loss spikes to about 2e4, then converges (Fig C.11)",
         "peak > 1e4 and final loss < 1e-6",
         f"peak {act['sigmoid_spike_peak']:.0f} at epoch {act['sigmoid_spike_epoch']}, final {act['sigmoid_spike_final_loss']:.1e}",
         act["sigmoid_spike_peak"] > 1e4 and act["sigmoid_spike_final_loss"] < 1e-6),
        ("R10", "On 1.1.4 ReLU fits the label of x = 10 much sooner than that of x = -0.1 (speed ~ |y_k x_k|)",
         "positive label fitted at least 3x sooner",
         f"epochs {fit4['positive (x = 10)']} vs {fit4['negative (x = -0.1)']}",
         fit4["positive (x = 10)"] is not None and fit4["negative (x = -0.1)"] is not None
         and 3 * fit4["positive (x = 10)"] <= fit4["negative (x = -0.1)"]),
        ("R11", "Non-orthogonal 1-D data: the rich regime's norm is low, near the minimum (section 3.3, Fig 3.27)",
         "smallest fitted rich-regime norm within 10% of the exact minimum (LP)",
         ", ".join(f"{k}: +{100 * v:.2f}%" for k, v in gaps.items()) or "no rich run fitted",
         bool(gaps) and max(gaps.values()) < 0.1),
        ("R12", "5-D orthogonal data: the ReLU neurons reduce to two directions; non-orthogonal data do not (section 3.4)",
         "fitted; first two principal components explain > 0.999 (orthogonal) and less for non-orthogonal",
         f"explained by two: orthogonal {md['evr2_orth_relu']:.5f} (third {md['evr_orth_relu'][2]:.1e}), "
         f"non-orthogonal {md['evr2_nonorth_relu']:.5f} (third {md['evr_nonorth_relu'][2]:.1e})",
         md["final_loss_orth_relu"] < 1e-10 and md["evr2_orth_relu"] > 0.999
         and md["evr2_orth_relu"] > md["evr2_nonorth_relu"]),
        ("D", "Appendix D: the closed-form Hessian of the worked Sigmoid example (printed 6 x 6 matrix)",
         "our exact Hessian equals the printed one to its 8 decimals", f"max difference {gc['worked_hessian_max_error']:.1e}",
         gc["worked_hessian_max_error"] < 1e-8),
    ]
    return [{"id": i, "finding": f, "criterion": c, "measured": meas, "ok": bool(ok)} for i, f, c, meas, ok in rows]


def cell(text) -> str:
    """Text for a markdown table cell (pipes escaped)."""
    return str(text).replace("|", "\\|")


def run(cfg: Config, ctx) -> dict:
    metrics = {}
    where = {}
    for name in PARTS:
        folder, metrics[name] = ctx.run_other(name, quick=cfg.quick)
        where[name] = folder.name if folder.parent.name != "parts" else f"parts/{folder.name}"
    rows = findings(metrics)
    table = ["| | finding | criterion | measured | verdict |", "|---|---|---|---|---|"]
    table += [f"| {r['id']} | {cell(r['finding'])} | {cell(r['criterion'])} | {cell(r['measured'])} | "
              f"{'reproduced' if r['ok'] else '**differs**'} |" for r in rows]
    ctx.note("\n".join(table))
    ctx.note("Each experiment's own report, figures and metrics: "
             + ", ".join(f"`{n}` in {'this folder' if w.startswith('parts/') else 'the folder'} `{w}`"
                         for n, w in where.items())
             + ". Where a row differs, the measured column says how.")
    return {"verdicts": {r["id"]: ("reproduced" if r["ok"] else "differs") for r in rows},
            "measured": {r["id"]: r["measured"] for r in rows},
            "reproduced": sum(r["ok"] for r in rows), "findings": len(rows)}


register(Experiment(
    name="thesis", seed_file="003_5bec2764affd87f0.txt",
    description="Seed 003 summary: runs the thesis's experiments and lists its findings R1-R12 (and appendix D) next "
                "to what twolayer measures, each with a verdict.",
    config=Config, run=run, quick=QUICK, parts=PARTS,
    source="thesis, chapters 2-3 and appendices C-D (findings R1-R12 and D)"))

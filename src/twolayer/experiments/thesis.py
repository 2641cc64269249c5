"""Seed 003 as a whole: the thesis's findings next to what twolayer measures, each with a verdict.

Runs the thesis's experiments (:data:`PARTS`) at the same fidelity (``--quick`` or full), reusing
their results folders where they exist next to this one (as ``twolayer reproduce`` writes them) or
in ``parts/NAME`` of this folder, and running only what is missing into ``parts/NAME``; then writes
the findings table of :mod:`twolayer.experiments.thesis_findings` (one row per figure or stated
finding, with the thesis's line, a criterion, the measured numbers over seeds and a verdict:
reproduced, differs, thesis contradicted, or not run) into the report and ``metrics.json``.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import EXPERIMENTS, Experiment, register
from .base import param
from .thesis_findings import counts, findings, summary_sentence, table

PARTS = ("saddle-to-saddle", "init-scale-transition", "activation-dynamics", "label-geometry", "non-orthogonal-1d",
         "multidim", "gradient-checks", "thesis-grids", "smooth-activations", "relu-interpolators",
         "s-curves", "non-orthogonal-full")


@dataclass
class Config:
    quick: bool = param(False, "Run the thesis's experiments at their quick fidelity (as with --quick).")


QUICK = {"quick": True}


def run(cfg: Config, ctx) -> dict:
    metrics, where = {}, {}
    for name in PARTS:
        folder, metrics[name] = ctx.run_other(name, quick=cfg.quick)
        where[name] = folder.name if folder.parent.name != "parts" else f"parts/{folder.name}"
    rows = findings(metrics, {n: EXPERIMENTS[n].findings for n in PARTS if EXPERIMENTS[n].findings is not None})
    ctx.note(summary_sentence(rows) + " A verdict is computed from the stored runs of the experiments below (over "
             "their seeds; flagged runs excluded with their reasons), with the criterion in its row.")
    ctx.note(table(rows))
    ctx.note("Each experiment's own report, figures and metrics: "
             + ", ".join(f"`{n}` in {'this folder' if w.startswith('parts/') else 'the folder'} `{w}`"
                         for n, w in where.items()) + ".")
    return {"verdicts": {r["id"]: r["verdict"] for r in rows}, "measured": {r["id"]: r["measured"] for r in rows},
            "counts": counts(rows), "findings": len(rows)}


register(Experiment(
    name="thesis", seed_file="003_5bec2764affd87f0.txt",
    description="Seed 003 summary: runs the thesis's experiments and lists every finding next to what twolayer "
                "measures over seeds: reproduced, differs, thesis contradicted, or not run.",
    config=Config, run=run, quick=QUICK, parts=PARTS,
    source="thesis, chapters 2-3 and appendices C-D (every finding with a figure or a stated claim)"))

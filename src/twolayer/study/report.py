"""A study's figures and report, drawn from its index (no training)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..plots.style import save_figure
from .tables import excluded_text, over_seeds


def trend(summary, x: str) -> str:
    """How the mean changes with ``x`` across the summary (one line, or each hue/col line in turn
    counted together): "rises", "falls" or "has no monotone trend", from the Spearman rank
    correlation of the means with x (|rho| >= 0.8 for a trend)."""
    xs = summary[x].to_numpy()
    if len(xs) < 3 or not np.issubdtype(np.asarray(xs).dtype, np.number):
        return "has too few numeric points for a trend"
    rx = np.argsort(np.argsort(xs)).astype(float)
    ry = np.argsort(np.argsort(summary["mean"].to_numpy())).astype(float)
    rho = float(np.corrcoef(rx, ry)[0, 1]) if np.std(rx) > 0 and np.std(ry) > 0 else 0.0
    word = "rises" if rho >= 0.8 else "falls" if rho <= -0.8 else "has no monotone trend"
    return f"{word} with {x} (Spearman rho = {rho:.2f})"


def plot_study(study, x: str, y: str, *, hue=None, col=None, logx=False, logy=False) -> tuple[Path, str]:
    """Draw ``y`` against ``x`` (mean and spread over seeds) into the study's figures/; returns the
    PNG path and the caption (also written next to it as NAME.json for the report)."""
    from ..plots.study import seed_summary_figure

    df = study.table()
    by = tuple(k for k in (col, hue) if k is not None)
    summary, excluded = over_seeds(df, x, y, by)
    seeds = f"{int(summary['n'].min())}-{int(summary['n'].max())}" if len(summary) else "0"
    fig = seed_summary_figure(summary, x, y, hue=hue, col=col, logx=logx, logy=logy,
                              title=f"{study.spec.name}: {y} against {x}")
    name = "_".join(["plot", y, "vs", x] + [f"by_{b}" for b in by]).replace("(", "_").replace(")", "")
    folder = study.folder / "figures"
    paths = save_figure(fig, folder, name)
    lines = [] if hue is None and col is None else [" (per line and panel)"]
    caption = (f"Mean of {y} over {seeds} seed(s) per point against {x}{''.join(lines)}; error bars one standard "
               f"deviation, band from the smallest to the largest seed. The mean {trend(summary, x)}. "
               f"{excluded_text(excluded).capitalize()}.")
    (folder / f"{name}.json").write_text(json.dumps({"title": f"{y} against {x}", "caption": caption}) + "\n")
    return paths[0], caption


def left_out(df):
    """The rows that no headline number counts: not done, or flagged."""
    if df.empty:
        return df
    flagged = df["flag"].notna() if "flag" in df else False
    return df[(df["status"] != "done") | flagged]


def write_report(study) -> Path:
    """``report.md``: the spec, the counts (done, diverged, failed), the excluded runs' errors and
    every figure in figures/ with its caption."""
    s = study.summary()
    lines = [f"# Study {study.spec.name}", ""]
    if study.spec.description:
        lines += [study.spec.description, ""]
    lines += [f"{s['runs']} runs in the spec, {s['in_index']} in the index: {s['done']} done ({s['flagged']} of them "
              f"flagged), {s['diverged']} diverged, "
              f"{s['failed']} failed, {s['missing']} not run yet. Wall time {s['wall_s_total']:.3g} s in all "
              f"(median {s['wall_s_median']:.3g} s per run).", ""]
    df = study.table()
    bad = left_out(df)
    if len(bad):
        lines += ["## Runs left out of the figures", "", "| run | status | why |", "|---|---|---|"]
        for _, row in bad.head(20).iterrows():
            err = str(row.get("error") or row.get("flag") or "").replace("|", "\\|")[:200]
            lines.append(f"| `{row['run_id']}` | {row['status']} | {err} |")
        lines += ([f"| ... | {len(bad) - 20} more | |"] if len(bad) > 20 else []) + [""]
    for meta in sorted((study.folder / "figures").glob("*.json")):
        info = json.loads(meta.read_text())
        lines += [f"## {info['title']}", "", f"![{info['title']}](figures/{meta.stem}.png)", "", info["caption"], ""]
    lines += ["## Spec", "", "```json", json.dumps(study.spec.to_dict(), indent=2, default=str), "```", ""]
    path = study.folder / "report.md"
    path.write_text("\n".join(lines))
    return path


__all__ = ["plot_study", "write_report", "trend"]

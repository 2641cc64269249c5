"""Results folders: run an experiment, write config.json, metrics.json, figures/, report.md and
trajectory.h5 atomically; write the gallery of a whole reproduction."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import html
import json
import time
import warnings
from pathlib import Path

from . import __version__
from .experiments import EXPERIMENTS, Context, get_experiment
from .errors import DataUnavailable, TwolayerWarning
from .jsonsafe import json_safe
from .outdir import ResultsFolder, check_out, check_root, write_root_file
from .provenance import provenance
from .train import ENGINES_USED, compile_seconds


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(json_safe(obj), indent=2) + "\n")


def _format_metric(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, tuple)) and len(v) > 12:
        return "[" + ", ".join(_format_metric(x) for x in v[:12]) + ", ...]"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_format_metric(x) for x in v) + "]"
    return str(v)


def write_report(folder: Path, title: str, intro: str, ctx: Context, metrics: dict, config: dict) -> None:
    lines = [f"# {title}", "", intro, ""]
    for note in ctx.notes:
        lines += [note, ""]
    lines += ["## Key numbers", "", "| metric | value |", "|---|---|"]
    lines += [f"| `{k}` | {_format_metric(v)} |" for k, v in json_safe(metrics).items()]
    lines += [""]
    for name, fig_title, caption in ctx.figures:
        lines += [f"## {fig_title}", "", f"![{fig_title}](figures/{name}.png)", "", caption,
                  "", f"([PDF](figures/{name}.pdf))", ""]
    lines += ["## Configuration", "", "```json", json.dumps(json_safe(config), indent=2), "```", ""]
    (folder / "report.md").write_text("\n".join(lines))


def run_experiment(name: str, *, quick: bool = False, out=None, seed: int | None = None,
                   engine: str = "auto", overrides: dict | None = None, quiet: bool = False):
    """Run experiment ``name`` and write its results folder (default ``results/NAME``).

    Returns (folder, metrics).
    """
    exp = get_experiment(name)
    fixed = {"seed": seed} if seed is not None else {}
    cfg = exp.make_config(quick, overrides, **fixed)
    out = Path(out or Path("results") / name)
    with ResultsFolder(out) as tmp:
        ctx = Context(tmp, engine=engine, quiet=quiet,
                      run_other=functools.partial(run_experiment, engine=engine, quiet=quiet))
        start, compiling = time.perf_counter(), compile_seconds()
        engines = set()
        token = ENGINES_USED.set(engines)
        try:
            with collect_warnings() as warned:
                metrics = dict(exp.run(cfg, ctx))
        finally:
            ENGINES_USED.reset(token)
        metrics["compile_s"] = compile_seconds() - compiling         # first compilation of kernels, once
        metrics["elapsed_s"] = time.perf_counter() - start - metrics["compile_s"]
        if warned:
            metrics["warnings"] = warned
            ctx.notes.insert(0, f"**Warning** ({len(warned)} run(s)): " + "; ".join(warned[:3])
                             + (f"; and {len(warned) - 3} more (metrics.json lists them)" if len(warned) > 3 else "") + ".")
        config = {"experiment": name, "quick": quick, "engine": engine, "engines_used": sorted(engines),
                  "version": __version__, **dataclasses.asdict(cfg), "provenance": provenance()}
        write_json(tmp / "config.json", config)
        write_json(tmp / "metrics.json", metrics)
        intro = f"{exp.description} Source: `seeds/{exp.seed_file}`." + (" Quick fidelity (`--quick`)." if quick else "")
        write_report(tmp, name, intro, ctx, metrics, config)
    return out, metrics


@contextlib.contextmanager
def collect_warnings():
    """Collect the :class:`TwolayerWarning` texts raised inside the block into the yielded list
    (each text once, in order); other warnings pass through as usual."""
    texts: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TwolayerWarning)
        yield texts
    for w in caught:
        if issubclass(w.category, TwolayerWarning):
            if str(w.message) not in texts:
                texts.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def write_gallery(root: Path, entries: list[dict]) -> Path:
    """``root/index.html`` linking every experiment's report, figures and key numbers."""
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>twolayer gallery</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
             "img{max-width:320px;border:1px solid #ccc;margin:4px}.err{color:#b00}"
             "table{border-collapse:collapse}td{padding:2px 8px;border-bottom:1px solid #eee}</style></head><body>",
             f"<h1>twolayer gallery</h1><p>version {html.escape(__version__)}</p>"]
    for e in entries:
        name = html.escape(e["name"])
        parts.append(f"<h2 id='{name}'>{name}</h2><p>{html.escape(e['description'])}</p>")
        if e.get("error"):
            parts.append(f"<p class='err'>{'' if e['error'].startswith('skipped') else 'failed: '}{html.escape(e['error'])}</p>")
            continue
        parts.append(f"<p><a href='{name}/report.md'>report</a> · <a href='{name}/metrics.json'>metrics</a>"
                     f" · <a href='{name}/config.json'>config</a></p>")
        for png in sorted((root / e["name"] / "figures").glob("*.png")):
            rel = html.escape(f"{e['name']}/figures/{png.name}")
            parts.append(f"<a href='{rel}'><img src='{rel}' alt='{html.escape(png.stem)}'></a>")
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(_format_metric(v))}</td></tr>"
                       for k, v in json_safe(e["metrics"]).items())
        parts.append(f"<table>{rows}</table>")
    parts.append("</body></html>")
    return write_root_file(root, "index.html", "\n".join(parts))


def reproduce(*, quick: bool = False, out="results", engine: str = "auto", quiet: bool = False, log=print):
    """Run every registered experiment into ``out/NAME`` and write ``out/index.html``.

    A failing experiment is reported in the gallery and does not stop the others; returns
    (gallery path, number of failures).
    """
    root = check_root(out)
    for name in EXPERIMENTS:
        check_out(root / name)
    entries, failures = [], 0
    for name, exp in EXPERIMENTS.items():
        log(f"[{name}] running{' (quick)' if quick else ''} ...")
        entry = {"name": name, "description": exp.description}
        try:
            folder, metrics = run_experiment(name, quick=quick, out=root / name, engine=engine, quiet=quiet)
            entry["metrics"] = metrics
            compiled = f" (+ {metrics['compile_s']:.1f} s compiling)" if metrics["compile_s"] > 0.05 else ""
            log(f"[{name}] done in {metrics['elapsed_s']:.1f} s{compiled} -> {folder}")
        except DataUnavailable as err:  # e.g. MNIST on a machine without the files or a network
            entry["error"] = f"skipped: {err}"
            log(f"[{name}] skipped: {err}")
        except Exception as err:  # one failure must not hide the rest of the gallery
            failures += 1
            entry["error"] = f"{type(err).__name__}: {err}"
            log(f"[{name}] FAILED: {entry['error']}")
        entries.append(entry)
    return write_gallery(root, entries), failures

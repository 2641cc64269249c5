"""Results folders: run an experiment, write config.json, metrics.json, figures/, report.md and
trajectory.h5 atomically; write the gallery of a whole reproduction."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import html
import json
import os
import shutil
import time
import warnings
from pathlib import Path

from . import __version__
from .experiments import EXPERIMENTS, Context, get_experiment
from .experiments.base import check_field
from .errors import DataUnavailable, TwolayerWarning
from .jsonsafe import json_safe
from .errors import InvalidParameter, check_int
from .outdir import ResultsFolder, check_out, check_root, read_manifest, write_root_file
from .provenance import provenance
from .runstore import STORE, MissingRun, RunStore, code_hash
from .train import ENGINES_USED, REDRAWING, compile_seconds


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


def _config_of(exp, stored: dict):
    """The experiment's config from the values stored in a config.json (lists back to tuples)."""
    names = {f.name for f in dataclasses.fields(exp.config)}
    cfg = exp.make_config(False)
    for key, value in stored.items():
        if key in names:
            setattr(cfg, key, tuple(value) if isinstance(value, list) else value)
            check_field(exp.config, key, getattr(cfg, key))
    return cfg


def _signature(name: str, quick: bool, engine: str, cfg) -> dict:
    """What decides an experiment folder's content: reused only when all of it is the same."""
    return json_safe({"experiment": name, "quick": quick, "engine": engine, "code": code_hash(),
                      **dataclasses.asdict(cfg)})


def reusable(folder: Path, signature: dict) -> dict | None:
    """The metrics of ``folder`` when it is a complete twolayer results folder written with
    ``signature`` (same experiment, fidelity, engine, config and code), else None."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None or "files" not in manifest:
        return None
    try:
        config = json.loads((folder / "config.json").read_text())
        metrics = json.loads((folder / "metrics.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(config, dict) or any(config.get(k) != v for k, v in signature.items()):
        return None
    return metrics if isinstance(metrics, dict) else None


def run_experiment(name: str, *, quick: bool = False, out=None, seed: int | None = None,
                   engine: str = "auto", overrides: dict | None = None, quiet: bool = False, fresh: bool = False,
                   sources=()):
    """Run experiment ``name`` and write its results folder (default ``results/NAME``).

    When ``out`` already holds a complete folder of the same experiment, config, engine and code,
    it is reused as it is (``fresh=True`` computes again). Otherwise the stored runs of ``out``, of an
    interrupted write to it, and of the folders ``sources`` are reused where their run ids and code
    match (:mod:`twolayer.runstore`). Returns (folder, metrics); ``metrics["reused"]`` is True for a
    reused folder.
    """
    exp = get_experiment(name)
    fixed = {"seed": seed} if seed is not None else {}
    cfg = exp.make_config(quick, overrides, **fixed)
    out = Path(out or Path("results") / name)
    signature = _signature(name, quick, engine, cfg)
    if not fresh:
        check_out(out)
        metrics = reusable(out, signature)
        if metrics is not None:
            return out, {**metrics, "reused": True}
    return _write(exp, cfg, out, signature, engine=engine, quiet=quiet,
                  sources=[out, *sources] if not fresh else list(sources))


def redraw(folder, *, quiet: bool = True):
    """Draw the figures and write the report of the experiment's results folder ``folder`` again
    from its stored runs, without training. Returns (folder, metrics)."""
    folder = check_out(folder, "DIR")
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        config = None
    if read_manifest(folder) is None or not isinstance(config, dict) or "experiment" not in config:
        raise InvalidParameter("DIR", str(folder), "is not an experiment's results folder (no config.json naming "
                               "the experiment); give a folder written by 'twolayer run' or 'twolayer reproduce'")
    exp = get_experiment(config["experiment"])
    cfg = _config_of(exp, config)
    signature = {**_signature(exp.name, bool(config.get("quick")), config.get("engine", "auto"), cfg),
                 "code": config.get("code")}
    try:
        old = json.loads((folder / "metrics.json").read_text())
    except (OSError, ValueError):
        old = {}
    token = REDRAWING.set(True)
    try:
        return _write(exp, cfg, folder, signature, engine=signature["engine"], quiet=quiet, sources=[folder],
                      redraw=old)
    finally:
        REDRAWING.reset(token)


def _write(exp, cfg, out: Path, signature: dict, *, engine: str, quiet: bool, sources, redraw: dict | None = None):
    """Run (or redraw, given the folder's old metrics) ``exp`` into the results folder ``out``."""
    with ResultsFolder(out, keep=(STORE,)) as tmp:
        store = RunStore(tmp, exp.name, dataclasses.asdict(cfg), sources=[s for s in sources if Path(s).is_dir()],
                         redraw=redraw is not None)
        parts = functools.partial(_part, final=out, into=tmp / "parts", engine=engine, quiet=quiet,
                                  redraw=redraw is not None)
        ctx = Context(tmp, engine=engine, quiet=quiet, run_other=parts, store=store)
        start, compiling = time.perf_counter(), compile_seconds()
        engines = set()
        token = ENGINES_USED.set(engines)
        try:
            with collect_warnings() as warned:
                metrics = dict(exp.run(cfg, ctx))
        finally:
            ENGINES_USED.reset(token)
        store.write_index()
        if redraw is not None:
            metrics.update({k: redraw[k] for k in ("compile_s", "elapsed_s") if k in redraw})
            metrics["redrawn_s"] = time.perf_counter() - start
        else:
            metrics["compile_s"] = compile_seconds() - compiling         # first compilation of kernels, once
            metrics["elapsed_s"] = time.perf_counter() - start - metrics["compile_s"]
        metrics["runs_computed"], metrics["runs_reused"] = store.computed, store.reused
        if warned:
            metrics["warnings"] = warned
            ctx.notes.insert(0, f"**Warning** ({len(warned)} run(s)): " + "; ".join(warned[:3])
                             + (f"; and {len(warned) - 3} more (metrics.json lists them)" if len(warned) > 3 else "") + ".")
        config = {**signature, "engines_used": sorted(engines), "version": __version__, "provenance": provenance()}
        write_json(tmp / "config.json", config)
        write_json(tmp / "metrics.json", metrics)
        intro = (f"{exp.description} Source: " + (f"`seeds/{exp.seed_file}`." if exp.seed_file else f"{exp.source}.")
                 + (" Quick fidelity (`--quick`)." if signature["quick"] else ""))
        write_report(tmp, exp.name, intro, ctx, metrics, config)
    return out, metrics


def _part(name: str, *, quick: bool, final: Path, into: Path, engine: str, quiet: bool, redraw: bool):
    """(folder, metrics) of experiment ``name`` for an experiment that summarises others: a complete
    folder of it next to ``final`` or in ``final/parts/`` when one matches, else run into ``into``."""
    exp = get_experiment(name)
    cfg = exp.make_config(quick)
    signature = _signature(name, quick, engine, cfg)
    candidates = [final.parent / name, final / "parts" / name]
    for folder in candidates:
        if redraw:       # any code: a redraw reads the parts' metrics as they are
            metrics = reusable(folder, {k: v for k, v in signature.items() if k != "code"})
        else:
            metrics = reusable(folder, signature)
        if metrics is not None:
            if folder == candidates[1]:       # inside the folder being replaced: keep a copy
                shutil.copytree(folder, into / name)
                folder = into / name
            return folder, metrics
    if redraw:
        raise MissingRun(f"cannot redraw: the results of {name!r} are neither in {candidates[1]} nor in "
                         f"{candidates[0]}; run the experiment again into this folder")
    return _write(exp, cfg, into / name, signature, engine=engine, quiet=quiet, sources=candidates)


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


# Wall seconds of each experiment's quick variant in one worker of ``reproduce --quick --jobs 2`` on a
# 2-core machine (session 10's make run, MNIST files present). Only the order of the work depends on
# them: with several workers the longest start first, so that the workers finish together rather than
# one waiting for a long experiment that started last (mnist-stable-rank, registered near the end,
# kept make run 8-19 s longer).
QUICK_SECONDS = {"mnist-stable-rank": 20, "s-curves": 15, "relu-1d": 15, "online-teacher-student": 13,
                 "hidden-structure": 12, "overparam-convergence": 11, "multidim": 11, "smooth-activations": 10,
                 "non-orthogonal-full": 10, "non-orthogonal-1d": 9, "init-scale-2d": 9, "init-scale-transition": 8,
                 "activation-dynamics": 8, "relu-interpolators": 7, "gradient-checks": 7, "thesis-grids": 5,
                 "max-margin-vs-mni": 5, "perceptron-convergence": 4, "label-geometry": 4, "stable-rank-one-step": 3,
                 "hessian-scaling": 2, "saddle-to-saddle": 2, "ntk-concentration": 1}


def longest_first(names) -> list[str]:
    """``names`` in the order :func:`reproduce` starts them in worker processes: longest
    (:data:`QUICK_SECONDS`) first, unknown ones last, ties in registry order."""
    return sorted(names, key=lambda name: -QUICK_SECONDS.get(name, 0))


def reproduce(*, quick: bool = False, out="results", engine: str = "auto", quiet: bool = False, fresh: bool = False,
              jobs: int = 1, log=print):
    """Run every registered experiment into ``out/NAME`` and write ``out/index.html``.

    Experiments whose folder is complete with the same config and code are reused, and one that
    was interrupted resumes from its stored runs (unless ``fresh``). With ``jobs`` > 1 the
    experiments run in that many worker processes (each with one Numba thread); an experiment that
    reads others' results (``Experiment.parts``) runs after them. A failing experiment is reported
    in the gallery and does not stop the others; returns (gallery path, number of failures).
    """
    jobs = check_int("jobs", jobs, minimum=1)
    root = check_root(out)
    for name in EXPERIMENTS:
        check_out(root / name)
    entries = {}
    args = dict(quick=quick, root=root, engine=engine, quiet=quiet or jobs > 1, fresh=fresh)
    waves = [[n for n, e in EXPERIMENTS.items() if not e.parts], [n for n, e in EXPERIMENTS.items() if e.parts]]
    for wave in waves:
        if jobs == 1 or len(wave) == 1:
            for name in wave:
                log(f"[{name}] running{' (quick)' if quick else ''} ...")
                entries[name] = _reproduce_one(name, **args)
                log(entries[name].pop("line"))
            continue
        import concurrent.futures as cf
        import multiprocessing

        log(f"running {len(wave)} experiments in {jobs} processes{' (quick)' if quick else ''} ...")
        with _worker_env(), cf.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                                   initializer=_one_thread) as pool:
            futures = {pool.submit(_reproduce_one, name, **args): name for name in longest_first(wave)}
            for future in cf.as_completed(futures):
                entries[futures[future]] = future.result()
                log(entries[futures[future]].pop("line"))
    ordered = [entries[name] for name in EXPERIMENTS]
    return write_gallery(root, ordered), sum(1 for e in ordered if e.get("failed"))


ONE_THREAD = ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def _worker_env():
    """One thread per library in the worker processes started inside the block (they read these
    variables at start-up; several BLAS threads per worker on shared cores ran MNIST 3x slower)."""
    saved = {k: os.environ.get(k) for k in ONE_THREAD}
    os.environ.update({k: "1" for k in ONE_THREAD})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _one_thread() -> None:
    """Worker processes of ``reproduce(jobs=...)`` share the cores: one Numba thread each."""
    try:
        import numba

        numba.set_num_threads(1)
    except ImportError:
        pass


def _reproduce_one(name: str, *, quick: bool, root: Path, engine: str, quiet: bool, fresh: bool) -> dict:
    """The gallery entry of experiment ``name`` (run, reused or failed), with its log ``line``."""
    exp = EXPERIMENTS[name]
    entry = {"name": name, "description": exp.description}
    try:
        folder, metrics = run_experiment(name, quick=quick, out=root / name, engine=engine, quiet=quiet, fresh=fresh)
        entry["metrics"] = json_safe(metrics)
        if metrics.get("reused"):
            entry["line"] = f"[{name}] reused (complete, same config and code) -> {folder}"
        else:
            compiled = f" (+ {metrics['compile_s']:.1f} s compiling)" if metrics["compile_s"] > 0.05 else ""
            resumed = f", {metrics['runs_reused']} stored run(s) reused" if metrics.get("runs_reused") else ""
            entry["line"] = f"[{name}] done in {metrics['elapsed_s']:.1f} s{compiled}{resumed} -> {folder}"
    except DataUnavailable as err:  # e.g. MNIST on a machine without the files or a network
        entry["error"] = f"skipped: {err}"
        entry["line"] = f"[{name}] skipped: {err}"
    except Exception as err:  # one failure must not hide the rest of the gallery
        entry["failed"] = True
        entry["error"] = f"{type(err).__name__}: {err}"
        entry["line"] = f"[{name}] FAILED: {entry['error']}"
    return entry

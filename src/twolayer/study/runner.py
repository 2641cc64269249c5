"""Running a chunk of a study's runs: the same function in this process, in a local worker process
or on a Dask worker, so that every executor gives the same rows.

A chunk holds runs that share everything but their initialisation (scheme, scales, draw seed),
their step size, weight decay and minibatch-order seed, so that ``tl.train_many`` can run it
on one prepared data set (in threads of this process on the compiled engine).
"""

from __future__ import annotations

from contextlib import contextmanager

import json
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..analysis.scalars import RunResult, compute
from ..data import load
from ..data.files import content_hash, is_data_file
from ..errors import DivergenceError, InvalidParameter, TwolayerError, TwolayerWarning
from ..provenance import provenance
from ..sweep import run_prepared
from ..train import execute
from .spec import Run, prepare_run

# what may differ between the runs of one chunk (train_many takes them per run)
PER_RUN = {"init", "scale", "outer_scale", "scale_as", "symmetric", "init_seed", "lr", "weight_decay", "order_seed"}


def load_data(data: dict, base_dir: Path):
    """(X, y, X_test, y_test) of a spec's data section; file paths are relative to ``base_dir``."""
    if "file" in data:
        opts = {k: data[k] for k in ("labels", "test", "test_labels") if k in data}
        path = Path(data["file"])
        path = path if path.is_absolute() else base_dir / path
        opts = {k: str(v if Path(v).is_absolute() else base_dir / v) for k, v in opts.items()}
        if not is_data_file(str(path)):
            raise InvalidParameter("data.file", data["file"], "expected a .csv, .tsv, .txt, .npy or .npz file")
        return load(str(path), label=data.get("label", "y"), **opts)
    extra = set(data) - {"name", "seed"}
    if extra:
        raise InvalidParameter(f"data.{sorted(extra)[0]}", data[sorted(extra)[0]], "applies to data files only")
    return load(data["name"], seed=data.get("seed", 0))


def data_hash(data) -> str:
    return content_hash(*data)


def chunk_key(settings: dict) -> str:
    """Runs with the same key may share one chunk."""
    return json.dumps({k: v for k, v in settings.items() if k not in PER_RUN}, sort_keys=True, default=str)


@dataclass
class Chunk:
    """Runs to execute together, with the data key (for the executor to pass the data) and the
    record settings."""

    runs: list
    data_key: str
    record: dict
    snapshot_dir: str | None = None
    threads: int | None = None
    planned: int = 1           # runs in the chunk's group (of which this chunk is a part)
    meta: dict = field(default_factory=dict)


def make_chunks(runs: list[Run], data_keys: dict, record: dict, size: int, snapshot_dir=None) -> list[Chunk]:
    """Group runs by :func:`chunk_key` and cut each group into chunks of at most ``size`` runs."""
    groups: dict[str, list[Run]] = {}
    for run in runs:
        groups.setdefault(chunk_key(run.settings), []).append(run)
    out = []
    for group in groups.values():
        for i in range(0, len(group), size):
            part = group[i:i + size]
            out.append(Chunk(part, data_keys[part[0].run_id], record, snapshot_dir, planned=len(group)))
    return out


def run_chunk(chunk: Chunk, data) -> dict:
    """Execute ``chunk`` on ``data``; returns ``{"rows": [...], "curves": {...}}`` where each row has
    ``run_id``, ``status`` ("done", "diverged" or "failed"), ``error``, ``warning``, the metrics, the
    engine that ran, ``wall_s`` and provenance, and ``curves`` is a list of (run_id, curve name,
    steps, times, values) with one entry per run and recorded curve. Never raises for a run's failure: it becomes that run's row."""
    with _threads(chunk.threads):
        return _run_chunk(chunk, data)


def _run_chunk(chunk: Chunk, data) -> dict:
    X, y, Xt, yt = data
    prov = provenance()
    prepared, rows = [], {}
    for run in chunk.runs:
        try:
            net0, spec = prepare_run(run.settings, data, chunk.record)
            prepared.append((run, net0, spec))
        except TwolayerError as err:
            rows[run.run_id] = _row(run, "failed", f"{type(err).__name__}: {err}")
    results = _train(prepared, chunk.planned)
    curves = []       # (run_id, curve name, steps, times, values) per run and curve
    for (run, net0, spec), (traj, err, wall) in zip(prepared, results):
        if traj is None:
            rows[run.run_id] = _row(run, "failed", err, wall=wall)
            continue
        status = "diverged" if isinstance(err, str) and err.startswith("DivergenceError") else "done"
        row = _row(run, status, err if status != "done" else None, wall=wall, engine=traj.info.get("engine"))
        warned = list(traj.info.get("warnings") or [])
        if status == "done":
            row["flag"] = flag(traj)
            row.update(compute(chunk.record["metrics"], RunResult(traj, net0, X, y, Xt, yt, spec.obj.loss_name, spec),
                               warned))
        if warned:
            row["warning"] = "; ".join(warned)
            if chunk.snapshot_dir is not None:
                traj.save(Path(chunk.snapshot_dir) / f"{run.run_id}.h5")
        for name in chunk.record["curves"]:
            values = getattr(traj, name)
            if values is None:
                continue
            curves.append((run.run_id, name, np.asarray(traj.steps, dtype=np.int64),
                           np.asarray(traj.times, dtype=np.float64), np.asarray(values, dtype=np.float64)))
        rows[run.run_id] = row
    where = {"host": socket.gethostname(), "pid": os.getpid()}
    ordered = [dict(rows[run.run_id], **prov, **where) for run in chunk.runs]
    return {"rows": ordered, "curves": curves}


SPIKE = 10.0      # a loss that rose above SPIKE x its initial value nearly diverged
UNFIT = 0.5       # a final loss above UNFIT x the initial one never fitted


def flag(traj) -> str | None:
    """Why a finished run should not count in a headline number, or None: its loss rose above
    ``SPIKE`` x the initial loss on the way (it nearly diverged, e.g. a catapult at the edge of
    stability), or its final loss is above ``UNFIT`` x the initial one (it never fitted)."""
    loss = np.asarray(traj.train_loss, dtype=float)
    first, top, last = loss[0], float(np.max(loss)), loss[-1]
    if top > SPIKE * first:
        return f"nearly diverged: the loss rose to {top:.3g}, {top / first:.3g} x its initial {first:.3g}"
    if last > UNFIT * first:
        return f"never fitted: final loss {last:.3g} is {last / first:.3g} x the initial {first:.3g}"
    return None


def _row(run: Run, status: str, error: str | None, *, wall: float = 0.0, engine: str | None = None) -> dict:
    return {"run_id": run.run_id, "status": status, "error": error, "flag": None, "warning": None,
            "engine_used": engine, "wall_s": wall}


def _train(prepared, planned: int = 1) -> list:
    """(trajectory or None, error text or None, wall seconds) per prepared run: one ``train_many``
    call when it can take them all, else run by run."""
    import warnings

    if not prepared:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TwolayerWarning)    # recorded in the row's warning column
        start = time.perf_counter()
        if _one_call(prepared):
            try:
                specs = [spec for _, _, spec in prepared]
                trajs = run_prepared(specs, on_divergence="keep", processes=1, quiet=True, planned=planned)
                wall = (time.perf_counter() - start) / len(specs)
                return [(t, _diverged_text(t), wall) for t in trajs]
            except TwolayerError:
                pass          # one run failed otherwise (e.g. gradient flow stalled): run them one by one
        return [_one(spec) for _, _, spec in prepared]


def _one_call(prepared) -> bool:
    first = prepared[0][2]
    return not first.is_flow and all(not s.is_flow for _, _, s in prepared)


def _diverged_text(traj):
    d = traj.info.get("diverged")
    if d is None:
        return None
    return f"DivergenceError: diverged at step {d['step']} (last finite loss {d['last_loss']:.6g}). {d['hint']}"


def _one(spec):
    start = time.perf_counter()
    try:
        traj = execute(spec)
        return traj, None, time.perf_counter() - start
    except DivergenceError as err:
        return err.trajectory, f"DivergenceError: {err}", time.perf_counter() - start
    except TwolayerError as err:
        return None, f"{type(err).__name__}: {err}", time.perf_counter() - start
    except Exception as err:      # a bug must not end the study: the row says what happened
        return None, f"internal error: {type(err).__name__}: {err}", time.perf_counter() - start


@contextmanager
def _threads(n: int | None):
    """Numba's thread count set to ``n`` (None: unchanged) while the block runs, then restored, so an
    in-process study leaves the caller's sweeps their threads."""
    try:
        import numba
    except ImportError:
        numba = None
    if n is None or numba is None:
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(n), numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(before)


__all__ = ["Chunk", "make_chunks", "run_chunk", "load_data", "data_hash", "chunk_key"]

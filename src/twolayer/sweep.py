"""``train_many``: many runs of one architecture in one compiled call, spread over the cores."""

from __future__ import annotations

import os
import time as _time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np

from .engines import reference
from .errors import DivergenceError, Interrupted, InvalidParameter, TwolayerError, check_choice
from .optim import Flow
from .progress import Progress
from .train import RunSpec, check_outcome, compile_cost_reason, execute, failure, note_engine, prepare


def _per_run(name, value, R):
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != R:
            raise InvalidParameter(name, f"sequence of length {len(value)}", f"expected one value per run ({R} runs)")
        return list(value)
    return [value] * R


def train_many(nets, X, y, *, optimizer=None, weight_decay=0.0, seed=0, on_divergence: str = "raise",
               processes: int | None = None, quiet: bool = False, **common) -> list:
    """Train ``len(nets)`` independent runs on the same data and return one Trajectory per run.

    ``nets`` : initial networks (e.g. one per seed or initialisation scale).
    ``optimizer``, ``weight_decay``, ``seed`` : one value for all runs, or a list with one per run
        (runs may differ in step size, weight decay and SGD seed).
    ``common`` : every other keyword of :func:`twolayer.train` (loss, steps, record_every, engine ...).
    ``on_divergence`` : "raise" (the first diverged run's :class:`DivergenceError`, with ``.run``) or
        "keep" (return that run's partial trajectory with ``info["diverged"]`` describing the failure).
    ``processes`` : worker processes for runs that cannot share one compiled call (default: cores).

    Runs of one shape with discrete optimisers that differ only in step size go through one compiled
    call over all cores (threads, one run each); other runs go to a process pool. A progress bar
    counts finished runs.
    """
    check_choice("on_divergence", on_divergence, ("raise", "keep"))
    if not isinstance(nets, (list, tuple)) or not nets:
        raise InvalidParameter("nets", type(nets).__name__, "expected a non-empty list of tl.Net")
    R = len(nets)
    opts, wds, seeds = _per_run("optimizer", optimizer, R), _per_run("weight_decay", weight_decay, R), _per_run("seed", seed, R)
    specs = [prepare(net, X, y, optimizer=o, weight_decay=w, seed=s, quiet=True, **common)
             for net, o, w, s in zip(nets, opts, wds, seeds)]
    return run_prepared(specs, on_divergence=on_divergence, processes=processes, quiet=quiet)


def run_prepared(specs: list, *, on_divergence: str = "raise", processes: int | None = None,
                 quiet: bool = False, planned: int | None = None) -> list:
    """:func:`train_many` for runs already validated by :func:`twolayer.train.prepare` (on the same
    data); the study runner uses it to prepare each run once. ``planned``: how many runs like these
    the caller will run in all (a study's chunk is part of a larger group), for the engine choice
    of :func:`sweep_engine`."""
    check_choice("on_divergence", on_divergence, ("raise", "keep"))
    sweep_engine(specs, planned)
    R = len(specs)
    for spec in specs:
        note_engine(spec.engine)
    with Progress(R, "runs", quiet, unit="run", delay=1.0) as bar:
        if _batchable(specs):
            results = _run_batched(specs, bar)
        else:
            results = _run_pool(specs, processes, bar)
    out = []
    for r, res in enumerate(results):
        if isinstance(res, TwolayerError):
            res.run = r
            if on_divergence == "raise" or not isinstance(res, DivergenceError):
                raise res
            res.trajectory.info["diverged"] = {"step": res.step, "last_loss": res.last_loss, "hint": res.hint}
            res = res.trajectory
        out.append(res)
    return out


def sweep_engine(specs, planned: int | None = None) -> None:
    """Runs that ``engine="auto"`` gave the reference engine to spare a compilation go back to the
    compiled engine when, all together (``planned`` runs of this kind, default these), they take
    longer than compiling the sweep kernel."""
    late = [s for s in specs if "engine_reason" in s.config]
    runs = max(len(late), planned or 0)
    if not late or runs < 2 or late[0].is_flow:
        return
    first = late[0]
    per_step = first.obj.n if first.optimizer.batch_size is None else first.optimizer.batch_size
    if compile_cost_reason(first.net, first.obj.n, per_step, first.optimizer, first.steps, None, runs=runs) is None:
        for s in late:
            s.engine = "numba"
            s.config["engine"] = "numba"
            del s.config["engine_reason"]


def _batchable(specs) -> bool:
    first = specs[0]
    if first.engine != "numba" or first.is_flow:
        return False
    key = _shape_key(first)
    return all(s.engine == "numba" and _shape_key(s) == key for s in specs)


def _shape_key(s: RunSpec):
    o = s.optimizer
    opt = replace(o, lr=1.0) if not isinstance(o, Flow) else o
    net = s.net
    # every run was prepared from the same X, y and test set, so data need no comparison
    return (net.layout, net.activation, net.scaling, net.slope, s.obj.loss_name, s.obj.reduction, s.obj.trainable,
            opt, s.steps, tuple(s.schedule), s.snapshots)


def _run_batched(specs, bar) -> list:
    """All runs through ``kernels.run_discrete_many``, in groups of runs, each advanced in chunks
    of steps lasting about ``CHUNK_SECONDS`` so that Ctrl-C and the progress bar get a turn."""
    from .engines import compiled as C
    from .engines import kernels as K

    first = specs[0]
    shared, _ = C.problem(first.obj)
    T = C.test_tuple(first.obj, first.test)
    code, mom, b1, b2, eps = C.optimizer_codes(first.optimizer)
    batch = 0 if first.optimizer.batch_size is None else int(first.optimizer.batch_size)
    record_at = np.ascontiguousarray(first.schedule, dtype=np.int64)
    steps = int(first.steps)
    threads = max(1, os.cpu_count() or 1)
    group = max(threads, len(specs) // 20) if not bar.disabled else len(specs)
    results = []
    for lo in range(0, len(specs), group):
        chunk = specs[lo:lo + group]
        R = len(chunk)
        thetas = np.stack([K.to_internal(s.obj.layout, s.net.theta) for s in chunk])
        orders = [s.sample_orders() for s in chunk]
        orders = np.zeros((R, 1, 1), np.int64) if orders[0] is None else np.ascontiguousarray(np.stack(orders), dtype=np.int64)
        wds = np.array([s.obj.weight_decay for s in chunk])
        lrs = np.array([float(s.optimizer.lr) for s in chunk])
        bufs = C.record_buffers(len(record_at), thetas.shape[1], first.snapshots, runs=R)
        s1, s2, prevs = np.zeros_like(thetas), np.zeros_like(thetas), thetas.copy()
        states = np.zeros((R, 4))
        states[:, 0] = np.nan
        start = _time.perf_counter()
        chunks, t0 = C.Chunks(max(1, 4096 // R), 1), 0
        try:
            while True:
                t1 = min(steps, t0 + chunks.size)
                with chunks, np.errstate(over="ignore", invalid="ignore"):
                    K.run_discrete_many(thetas, shared, T, wds, lrs, code, mom, b1, b2, eps, batch, orders, t0, t1,
                                        steps, record_at, s1, s2, prevs, states, *bufs)
                bar.advance(lo + R * (t1 / steps if steps else 1.0))
                if t1 >= steps:
                    break
                t0 = t1
        except KeyboardInterrupt:
            raise Interrupted(t0) from None
        elapsed = (_time.perf_counter() - start) / R
        for r, spec in enumerate(chunk):
            recorder = spec.recorder()
            C.deliver(recorder, spec.obj, tuple(b[r] for b in bufs), int(states[r, 1]))
            info = {"engine": "numba", "gradient_evaluations": spec.steps, "elapsed_s": elapsed, "batched": True}
            if states[r, 2] == K.DIVERGED:
                step = int(states[r, 3])
                last = C._reference_theta(spec.obj, prevs[r] if step > 0 else thetas[r])
                err = reference.NonFinite(step, spec.optimizer.lr * step, last, float(states[r, 0]))
                results.append(failure(spec, err, recorder.build(spec.net.with_theta(last), spec.config, info)))
            else:
                final = spec.net.with_theta(C._reference_theta(spec.obj, thetas[r]))
                results.append(_outcome_or_error(spec, recorder.build(final, spec.config, info)))
    return results


def _outcome_or_error(spec, traj):
    try:
        return check_outcome(spec, traj)
    except TwolayerError as err:
        return err


def _execute_or_error(spec):
    try:
        return execute(spec)
    except TwolayerError as err:
        return err


def _run_pool(specs, processes, bar) -> list:
    workers = min(len(specs), processes or os.cpu_count() or 1)
    if workers <= 1:
        results = []
        for i, spec in enumerate(specs):
            results.append(_execute_or_error(spec))
            bar.advance(i + 1)
        return results
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_execute_or_error, spec) for spec in specs]
        results = []
        for i, f in enumerate(futures):
            results.append(f.result())
            bar.advance(i + 1)
    return results

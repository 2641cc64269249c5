"""``train_many``: many runs on the same data, spread over the cores (threads for the compiled engine,
processes for the reference one)."""

from __future__ import annotations

import contextlib
import functools
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from .errors import DivergenceError, Interrupted, InvalidParameter, TwolayerError, check_choice
from .progress import Progress
from .train import compile_cost_reason, execute, note_engine, prepare


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
    ``processes`` : worker processes for runs on the reference engine (default: cores).

    Runs on the compiled engine run in threads of this process, as many at a time as Numba has
    threads (default: the cores); runs on the reference engine go to a process pool. A progress
    bar counts finished runs.
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
            results = _run_threads(specs, bar)
        else:
            results = _run_pool(specs, processes, bar)
    out = []
    for r, res in enumerate(results):
        if isinstance(res, TwolayerError):
            res.run = r
            if on_divergence == "raise":
                raise res
        out.append(kept(res))
    return out


def sweep_engine(specs, planned: int | None = None) -> None:
    """Runs that ``engine="auto"`` gave the reference engine to spare a compilation go back to the
    compiled engine when, all together (``planned`` runs of this kind, default these), they take
    longer than compiling the sweep kernel."""
    late = [s for s in specs if "engine_reason" in s.config]
    runs = max(len(late), planned or 0)
    if not late or runs < 2:
        return
    first = late[0]
    if compile_cost_reason(first.net, first.obj.n, first.per_step, first.optimizer, first.steps, first.t_max,
                           runs=runs) is None:
        for s in late:
            s.engine = "numba"
            s.config["engine"] = "numba"
            del s.config["engine_reason"]


def _batchable(specs) -> bool:
    """Whether the runs go to threads of this process: all on the compiled engine, whose run loops
    release the GIL (reference-engine runs hold it, and go to processes)."""
    return all(s.engine == "numba" for s in specs)


def threads_available() -> int:
    """Threads a sweep of compiled runs uses: Numba's thread count (``NUMBA_NUM_THREADS``,
    ``numba.set_num_threads``), by default the number of cores."""
    import numba

    return max(1, numba.get_num_threads())


def expected_work(spec) -> float:
    """A run's work in the compiled engine's units: steps (or flow time) x samples per step x m (d + 2)."""
    length = spec.steps if spec.steps is not None else 1000.0 * max(1.0, spec.t_max or 1.0)
    return length * spec.per_step * spec.net.m * (spec.net.d + 2)


def _run_threads(specs, bar) -> list:
    """Each run on its own compiled run loop, ``threads_available()`` runs at a time in threads of
    this process (the loops release the GIL). Runs share no arrays: the compiled engine copies small
    data per run, since threads that share an array contend for its reference count on every step.
    A run's numbers are those of the same run alone. Ctrl-C stops every run within a chunk (~0.1 s).

    The runs start longest first (by :func:`expected_work`), so that no long run starts last while
    the other threads have nothing left to do."""
    tasks = [functools.partial(execute_or_error, spec) for spec in specs]
    threads = min(len(specs), threads_available())
    results = run_in_threads(tasks, [expected_work(s) for s in specs], bar, threads, blas=calls_blas(specs))
    for res in results:
        if not isinstance(res, TwolayerError):
            res.info["threads"] = threads
    return results


@contextlib.contextmanager
def one_blas_thread(active: bool = True):
    """Every BLAS library loaded (OpenBLAS, MKL, ...: those ``threadpoolctl`` finds) runs on one
    thread inside the block, when ``active``; their thread counts are restored after it.

    For runs that already use every core, one per thread or process: a BLAS allowed threads of its
    own (OpenBLAS: one per core, in one pool per process) is what the runs' threads then wait on. A
    sweep of 32 runs on the matrix-product path (n = 256, d = 16, m = 256) ran 1.1x faster on two
    threads than on one, and 1.9-2.1x with BLAS held to one thread (``benchmarks/sweep_threads.py``)."""
    if not active:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _one_blas_thread_worker() -> None:
    """Process-pool initializer: BLAS on one thread for the worker's life (see :func:`one_blas_thread`)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def calls_blas(specs) -> bool:
    """Whether any of these compiled runs takes the matrix-product path (the only one calling BLAS)."""
    from .engines.compiled import use_blocked

    return any(use_blocked(s.per_step, s.net.m, s.net.d) for s in specs)


def run_in_threads(tasks, work, bar, threads: int | None = None, *, blas: bool = True) -> list:
    """``[task() for task in tasks]``, computed by ``threads`` threads (default
    :func:`threads_available`), the tasks with the most ``work`` first; ``bar`` (a
    :class:`~twolayer.progress.Progress`) counts finished tasks. The tasks must release the GIL for
    their long work (the compiled run loops do). Ctrl-C stops every compiled run loop within ~0.1 s and
    raises :class:`~twolayer.errors.Interrupted`. With more than one thread and ``blas`` (whether
    the tasks call BLAS; see :func:`calls_blas`), BLAS runs on one thread meanwhile
    (:func:`one_blas_thread`: limiting and restoring it costs about 1 ms, a few percent of a sweep
    of short runs)."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    from .engines import compiled as C

    threads = min(len(tasks), threads or threads_available())
    results: list = [None] * len(tasks)
    finished = 0
    with one_blas_thread(threads > 1 and blas), \
            ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="twolayer-run") as pool:
        order = sorted(range(len(tasks)), key=lambda i: -work[i])
        futures = [pool.submit(tasks[i]) for i in order]
        pending = dict(zip(futures, order))
        try:
            while pending:
                done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                for future in done:
                    results[pending.pop(future)] = future.result()
                    finished += 1
                bar.advance(finished)
        except KeyboardInterrupt:
            C.STOP.set()
            for future in futures:
                future.cancel()          # runs not started yet
            wait(futures)
            stopped = [f.exception() for f in futures if not f.cancelled() and isinstance(f.exception(), Interrupted)]
            raise Interrupted(min((e.step for e in stopped), default=0)) from None
        finally:
            C.STOP.clear()
    return results


def kept(res):
    """A run's result with divergence kept: the Trajectory, or for a :class:`DivergenceError` its
    partial trajectory with ``info["diverged"]`` = {step, last_loss, hint}; other errors are raised."""
    if isinstance(res, DivergenceError):
        res.trajectory.info["diverged"] = {"step": res.step, "last_loss": res.last_loss, "hint": res.hint}
        return res.trajectory
    if isinstance(res, TwolayerError):
        raise res
    return res


def execute_or_error(spec):
    """:func:`twolayer.train.execute` of ``spec``, or the :class:`TwolayerError` it raised."""
    try:
        return execute(spec)
    except TwolayerError as err:
        return err


def _run_pool(specs, processes, bar) -> list:
    workers = min(len(specs), processes or os.cpu_count() or 1)
    if workers <= 1:
        results = []
        for i, spec in enumerate(specs):
            results.append(execute_or_error(spec))
            bar.advance(i + 1)
        return results
    with ProcessPoolExecutor(max_workers=workers, initializer=_one_blas_thread_worker) as pool:
        futures = [pool.submit(execute_or_error, spec) for spec in specs]
        results = []
        for i, f in enumerate(futures):
            results.append(f.result())
            bar.advance(i + 1)
    return results

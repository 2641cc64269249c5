"""Executors: where a study's chunks run.

- ``local``: this machine's cores. Chunks of runs on the compiled engine run in this process,
  ``workers`` runs at a time in threads (the compiled run loops release the GIL, see
  ``tl.train_many``); runs on the reference engine go to a pool of ``workers`` processes with one
  Numba thread each, after this process has compiled (and cached) whatever kernels they need.
- ``dask``: a ``dask.distributed`` cluster (``scheduler`` = its address, e.g. ``tcp://host:8786``,
  or a ``LocalCluster`` of ``workers`` processes started and stopped here). Chunks are submitted
  with back-pressure (at most two per worker thread in flight), each worker uses one Numba thread,
  and results are gathered as they complete.

Both call the same :func:`.runner.run_chunk`, so a spec gives the same rows on either.
Each executor is a generator of ``(chunk, result)`` pairs, in completion order.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from ..errors import InvalidParameter
from .runner import Chunk, run_chunk

EXECUTORS = ("local", "dask")


def safe_run_chunk(chunk: Chunk, data) -> dict:
    """:func:`run_chunk`, with an unexpected error turned into failed rows for every run of the
    chunk (the study goes on; the rows carry the error)."""
    try:
        return run_chunk(chunk, data)
    except Exception as err:   # noqa: BLE001 -- any bug becomes the runs' error text
        text = f"internal error: {type(err).__name__}: {err}"
        tail = traceback.format_exc().strip().splitlines()[-3:]
        rows = [{"run_id": r.run_id, "status": "failed", "error": text + " | " + " / ".join(tail), "warning": None,
                 "engine_used": None, "wall_s": 0.0} for r in chunk.runs]
        return {"rows": rows, "curves": None}


def _batchable(chunk: Chunk, data) -> bool:
    """Whether the chunk's runs take the compiled engine (then threads of this process run them)."""
    from ..sweep import _batchable as batchable
    from ..sweep import sweep_engine
    from .spec import prepare_run

    try:
        _, spec = prepare_run(chunk.runs[0].settings, data, chunk.record)
    except Exception:      # noqa: BLE001 -- the chunk will report it as failed rows
        return True
    sweep_engine([spec], chunk.planned)       # the engine the chunk's runs will take
    return batchable([spec])


def _warm(chunk: Chunk, data) -> None:
    """Compile (or load from the cache) the kernels of ``chunk``'s runs, in this process, by running
    its first run for one step (or a tiny time)."""
    from ..train import execute
    from .spec import prepare_run

    settings = dict(chunk.runs[0].settings)
    if settings.get("optimizer") == "flow":
        settings["t_max"] = 1e-6
    else:
        settings["steps"] = 1
    try:
        _, spec = prepare_run(settings, data, {**chunk.record, "points": 2})
        execute(spec)
    except Exception:          # noqa: BLE001 -- the real run reports whatever this hits
        pass


def _limit_threads() -> None:
    os.environ["NUMBA_NUM_THREADS"] = "1"
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def local(chunks: list[Chunk], datasets: dict, workers: int):
    """Run ``chunks`` on this machine (see the module docstring); yields (chunk, result)."""
    in_process, pooled = [], []
    for chunk in chunks:
        data = datasets[chunk.data_key]
        (in_process if workers <= 1 or _batchable(chunk, data) else pooled).append(chunk)
    for chunk in in_process:
        chunk.threads = workers
        yield chunk, safe_run_chunk(chunk, datasets[chunk.data_key])
    if not pooled:
        return
    warmed = set()
    for chunk in pooled:
        kind = (chunk.runs[0].settings.get("optimizer"), chunk.runs[0].settings.get("engine", "auto"))
        if kind not in warmed:
            _warm(chunk, datasets[chunk.data_key])
            warmed.add(kind)
    context = multiprocessing.get_context("spawn")   # no fork of a process that may hold Numba threads
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_limit_threads) as pool:
        yield from _bounded(pool.submit, pooled, datasets, 2 * workers, lambda f: f.result())


def _bounded(submit, chunks, datasets, limit, result, waiter=None):
    """Submit ``chunks`` keeping at most ``limit`` in flight; yield (chunk, result) as they finish."""
    pending, queue = {}, list(chunks)
    while queue or pending:
        while queue and len(pending) < limit:
            chunk = queue.pop(0)
            chunk.threads = 1
            pending[submit(safe_run_chunk, chunk, datasets[chunk.data_key])] = chunk
        done = waiter(pending) if waiter else wait(list(pending), return_when=FIRST_COMPLETED)[0]
        for future in done:
            yield pending.pop(future), result(future)


def dask(chunks: list[Chunk], datasets: dict, workers: int, scheduler: str | None = None):
    """Run ``chunks`` on a Dask cluster; yields (chunk, result) as they complete."""
    try:
        from dask.distributed import Client, LocalCluster, wait as dask_wait
    except ImportError:
        raise InvalidParameter("executor", "dask", "needs dask.distributed: pip install 'twolayer[cluster]' (or dask distributed)") from None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               env={"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
    try:
        client = Client(cluster if cluster is not None else scheduler, timeout="30s")
    except (OSError, TimeoutError) as err:
        if cluster is not None:
            cluster.close()
        raise InvalidParameter("--scheduler", scheduler, f"no Dask scheduler answers there ({err}); start one "
                               "(dask scheduler) or leave --scheduler out for a local cluster") from None
    try:
        threads = max(1, sum(client.nthreads().values()))
        scattered = {key: client.scatter(data, broadcast=True) for key, data in datasets.items()}

        def submit(fn, chunk, _data):
            return client.submit(fn, chunk, scattered[chunk.data_key], pure=False)

        def waiter(pending):
            return dask_wait(list(pending), return_when="FIRST_COMPLETED").done

        yield from _bounded(submit, chunks, datasets, 2 * threads, lambda f: f.result(), waiter)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


__all__ = ["EXECUTORS", "local", "dask", "safe_run_chunk"]

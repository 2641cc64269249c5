"""``twolayer warmup``: compile every kind of compiled kernel ahead, in parallel worker processes.

Numba caches a compiled kernel on disk the first time a kind of run needs it; later processes load
it in well under a second. On a fresh machine each kind costs tens of seconds once. This compiles
them all at once, one worker process per kind and as many at a time as there are cores, so that
``make run``, ``make test`` and a first ``twolayer run`` do not wait for them one after another.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np


def _narrow_gd():
    import twolayer as tl

    X, y = tl.data.thesis("1.1.0")
    tl.train(tl.init_net(2, 8, "relu", "none", init="balanced", scale=1e-3), X, y, optimizer=tl.GD(1e-3), steps=2,
             engine="numba", quiet=True)


def _general():
    import twolayer as tl

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 3)), rng.standard_normal(6)
    tl.train(tl.init_net(3, 8, "tanh", "ntk"), X, y, optimizer=tl.SGD(0.1, 2), steps=2, engine="numba", quiet=True)


def _flow():
    import twolayer as tl

    X, y = tl.data.thesis("1.1.0")
    tl.train(tl.init_net(2, 8, "relu", "none", init="balanced", scale=1e-3), X, y, optimizer=tl.Flow(), t_max=1e-3,
             engine="numba", quiet=True)


# what each kind is: the step loop it compiles
KINDS = {"full-batch GD on narrow data (run_gd_narrow)": _narrow_gd,
         "GD, SGD and Adam in general (run_discrete)": _general,
         "gradient flow (run_flow)": _flow}


def _timed(name: str) -> tuple[str, float]:
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    start = time.perf_counter()
    KINDS[name]()
    return name, time.perf_counter() - start


def warmup(processes: int | None = None, quiet: bool = False, log=print) -> dict:
    """Compile (or load from the cache) every kind in :data:`KINDS`; returns {kind: seconds}."""
    from .progress import Progress

    workers = max(1, min(len(KINDS), processes or os.cpu_count() or 1))
    context = multiprocessing.get_context("spawn")
    out = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool, \
            Progress(len(KINDS), "compiling", quiet, unit="kernel", delay=0.0) as bar:
        futures = [pool.submit(_timed, name) for name in KINDS]
        for done, future in enumerate(as_completed(futures), 1):
            name, seconds = future.result()
            out[name] = seconds
            bar.advance(done)
            if log is not None:
                log(f"  {name}: {seconds:.1f} s")
    return out


__all__ = ["warmup", "KINDS"]

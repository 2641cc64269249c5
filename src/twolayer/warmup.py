"""``twolayer warmup``: compile every kind of compiled kernel ahead, in parallel worker processes.

Numba caches a compiled kernel on disk the first time a kind of run needs it; later processes load
it in well under a second. On a fresh machine each kind (an entry point of :mod:`.engines.kernels`
and the path its steps take, see :data:`.engines.kernels.PATHS`) costs 3-11 seconds once (benchmarks/cold_start.py).
This compiles them all ahead (or, with ``--quick``, the five that ``reproduce --quick`` runs) in
worker processes, as many as there are cores, so that ``make run``, ``make test`` and a first
``twolayer run`` do not wait for them one after another.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np


# what each kind of run is, in words: (entry point, path) -> description. In the order warmup
# compiles them: the slowest first (two workers then finish together), and gradient flow before the
# step loop of the same path, which then loads the loss kernels the flow kind left in the cache.
DESCRIPTIONS = {("run_flow", "general"): "gradient flow in general",
                ("run_flow", "blocked"): "gradient flow by matrix products",
                ("run_flow", "pl"): "gradient flow, one output, d <= 2, ReLU-like",
                ("run_discrete", "general"): "GD/SGD/Adam in general",
                ("run_discrete", "blocked"): "GD/SGD/Adam by matrix products (wide inputs, large batches)",
                ("run_discrete", "pl"): "GD/SGD/Adam, one output, d <= 2, ReLU-like",
                ("run_gd_narrow", "pl"): "full-batch GD, one output, d <= 2, ReLU-like",
                ("run_gd_narrow", "smooth"): "full-batch GD, one output, d <= 2, smooth activation"}


def _kinds() -> list[str]:
    from .engines.kernels import kind_name

    return [kind_name(entry, path) for entry, path in DESCRIPTIONS]


KINDS = _kinds()

# The kinds ``twolayer reproduce --quick`` runs (five of the eight; measured by
# ``python benchmarks/quick_kinds.py``, which runs it and lists the kinds each worker loaded).
# ``make run`` warms only these: the other three cost ~30 s of compilation it never uses. A hint,
# not a contract: a kind missing here compiles when an experiment first needs it. In the order
# warmup compiles them on two workers: run_discrete[general] last, after run_flow[general] has left
# the general loss kernels in the cache.
QUICK_KINDS = ("run_flow[general]", "run_discrete[pl]", "run_gd_narrow[pl]", "run_gd_narrow[smooth]",
               "run_discrete[general]")


def recipe(kind: str) -> tuple:
    """(net, X, y, keywords of :func:`twolayer.train`) of a small run of ``kind``."""
    import twolayer as tl
    from .engines.compiled import BLOCKED_WORK

    entry, path = kind.rstrip("]").split("[")
    d, m = {"pl": (2, 8), "smooth": (2, 8), "general": (3, 8), "blocked": (10, 100)}[path]
    n = int(BLOCKED_WORK // (m * d)) if path == "blocked" else 6
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    net = tl.init_net(d, m, "relu" if path in ("pl", "blocked") else "tanh", "ntk")
    if entry == "run_flow":
        how = dict(optimizer=tl.Flow(), t_max=1e-3)
    elif entry == "run_gd_narrow" or path == "blocked":
        how = dict(optimizer=tl.GD(1e-3), steps=2)
    else:
        how = dict(optimizer=tl.SGD(1e-3, 2), steps=2)
    return net, X, y, how


def compile_kind(kind: str) -> None:
    """Run a small run of ``kind`` (:func:`recipe`) on the compiled engine: this compiles its kernel,
    or loads it from Numba's disk cache."""
    from .train import train

    net, X, y, how = recipe(kind)
    train(net, X, y, engine="numba", quiet=True, **how)


def _timed(kind: str) -> tuple[str, float]:
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    start = time.perf_counter()
    compile_kind(kind)
    return kind, time.perf_counter() - start


def warmup(processes: int | None = None, quiet: bool = False, log=print, kinds=KINDS) -> dict:
    """Compile (or load from the cache) every kind in ``kinds`` (default :data:`KINDS`, all of them),
    started in that order; returns {kind: seconds}. Then remove the cache files that earlier
    versions of the kernels left (:func:`.engines.cache_files.prune_kernels`)."""
    from .engines.cache_files import prune_kernels
    from .progress import Progress

    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"kinds: unknown kind {unknown[0]!r}; the kinds are {', '.join(KINDS)}")
    workers = max(1, min(len(kinds), processes or os.cpu_count() or 1))
    context = multiprocessing.get_context("spawn")
    out = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool, \
            Progress(len(kinds), "compiling", quiet, unit="kernel", delay=0.0) as bar:
        futures = [pool.submit(_timed, name) for name in kinds]
        for done, future in enumerate(as_completed(futures), 1):
            name, seconds = future.result()
            out[name] = seconds
            bar.advance(done)
            if log is not None:
                log(f"  {name} ({describe(name)}): {seconds:.1f} s")
    removed, freed = prune_kernels()
    if removed and log is not None:
        log(f"  removed {removed} cache files that earlier versions of the kernels left ({freed / 1e6:.1f} MB)")
    return out


def describe(kind: str) -> str:
    """A kind of run in words."""
    entry, path = kind.rstrip("]").split("[")
    return DESCRIPTIONS[(entry, path)]


__all__ = ["warmup", "KINDS", "QUICK_KINDS", "compile_kind", "recipe", "describe"]

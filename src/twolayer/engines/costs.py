"""A small cost model for ``engine="auto"``: when the compiled kernel a run needs is not compiled
yet (nor in the disk cache), compare its first compilation plus the compiled run with the reference
engine's run, and take the sooner.

Per-step costs are fitted to ``benchmarks/engines.py`` on a 2-core machine (per GD step, n samples
per step, m neurons, d inputs): the reference engine about 25 us + 2.2 ns x n m d, the compiled one
about 0.15 us + 0.25 ns x n m (d + 2); gradient flow costs about 80 us per gradient evaluation on
the reference engine (SciPy's stepping included) with, as a guess, 1000 evaluations per unit of
time. Compile costs are :data:`twolayer.engines.compile_log.TYPICAL`. The model only has to be right
by an order of magnitude: it decides between seconds of compilation and milliseconds of running.
"""

from __future__ import annotations

from .compile_log import TYPICAL, kernel_ready


def reference_step(n: int, m: int, d: int) -> float:
    """Seconds per step of the reference engine."""
    return 25e-6 + 2.2e-9 * n * m * d


def compiled_step(n: int, m: int, d: int) -> float:
    """Seconds per step of the compiled engine."""
    return 0.15e-6 + 0.25e-9 * n * m * (d + 2)


FLOW_EVAL = 80e-6          # seconds per gradient evaluation of the reference flow (SciPy)
FLOW_EVALS_PER_TIME = 1000.0


def kernel_of(flow: bool, narrow_gd: bool, outputs: int, d: int, activation: str, blocked: bool) -> str:
    """The kind of compiled run loop (:func:`.kernels.kind_name`) a run needs: its entry point
    (gradient flow, full-batch GD on narrow data, or the general loop) and its path. Sweeps run the
    same one in threads."""
    from .kernels import kind_name, path_of

    entry = "run_flow" if flow else ("run_gd_narrow" if narrow_gd else "run_discrete")
    return kind_name(entry, path_of(entry, outputs, d, activation, blocked))


def prefer_reference(kernel: str, n: int, m: int, d: int, steps: float, runs: int = 1,
                     t_max: float | None = None) -> str | None:
    """Why the reference engine finishes sooner (a sentence for the run's provenance), or None when
    the compiled engine should run: the kernel is ready, or compile + compiled run is sooner."""
    if kernel_ready(kernel):
        return None
    compile_s = TYPICAL[kernel.split("[")[0]]
    if t_max is not None:
        evals = FLOW_EVALS_PER_TIME * max(1.0, t_max)
        numpy_s = runs * evals * (FLOW_EVAL + reference_step(n, m, d))
        numba_s = compile_s + runs * evals * compiled_step(n, m, d)
    else:
        numpy_s = runs * steps * reference_step(n, m, d)
        numba_s = compile_s + runs * steps * compiled_step(n, m, d)
    if numpy_s < numba_s:
        return (f"engine auto: the compiled kernel {kernel} is not compiled yet (about {compile_s} s once); the "
                f"reference engine takes about {numpy_s:.2g} s, so it ran (engine='numba' to compile; "
                "twolayer warmup compiles every kernel ahead)")
    return None


__all__ = ["prefer_reference", "kernel_of", "reference_step", "compiled_step"]

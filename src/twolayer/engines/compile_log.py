"""Say so when a compiled kernel compiles, and count the seconds it takes.

Numba compiles a kernel the first time it meets a new kind of run (and caches it on disk: later
processes load it in well under a second). A compilation takes tens of seconds, which a user must
not mistake for a hang: a listener on Numba's ``numba:compile`` event prints one line on stderr
when one of twolayer's kernels starts compiling (on a terminal and off one) and another when it is
done, and adds the time to :func:`compile_seconds`, so that runs report compile time apart from run
time.
"""

from __future__ import annotations

import sys
import threading
import time

from numba.core import event

# first-compilation seconds of each kind of an entry point on a 2-core machine (benchmarks/cold_start.py)
TYPICAL = {"run_gd_narrow": 6, "run_discrete": 9, "run_flow": 10}


class CompileNotice(event.Listener):
    """Prints the notice for the outermost compilation of a twolayer kernel and times it."""

    def __init__(self, stream=None):
        self.stream = stream
        self.depth = 0
        self.started = 0.0
        self.total = 0.0
        self.lock = threading.Lock()

    def _name(self, ev) -> str | None:
        dispatcher = (ev.data or {}).get("dispatcher")
        func = getattr(dispatcher, "py_func", None)
        module = getattr(func, "__module__", "") or ""
        return func.__name__ if module.startswith("twolayer") else None

    def _kind(self, ev, name: str) -> str:
        from .kernels import kind_of_signature

        try:
            return kind_of_signature(name, tuple((ev.data or {}).get("args") or ()))
        except Exception:      # noqa: BLE001 -- a notice must never break a run
            return name

    def on_start(self, ev):
        with self.lock:
            self.depth += 1
            if self.depth > 1:
                return
            self.started = time.perf_counter()
            name = self._name(ev)
        if name in TYPICAL:
            about = f", typically ~{TYPICAL[name]} s"
            self._say(f"twolayer: compiling the compiled engine for this kind of run ({self._kind(ev, name)}), "
                      f"once{about}; cached afterwards (twolayer warmup compiles every kind ahead)")

    def on_end(self, ev):
        with self.lock:
            self.depth -= 1
            if self.depth > 0:
                return
            seconds = time.perf_counter() - self.started
            self.total += seconds
            name = self._name(ev)
        if name in TYPICAL:
            self._say(f"twolayer: compiled {self._kind(ev, name)} in {seconds:.1f} s")

    def _say(self, text: str) -> None:
        stream = self.stream or sys.stderr
        print(text, file=stream, flush=True)


NOTICE = CompileNotice()
event.register("numba:compile", NOTICE)


def compile_seconds() -> float:
    """Seconds this process has spent compiling (twolayer's and their callees' kernels)."""
    return NOTICE.total


_ABSENT: dict[str, float] = {}     # kernel -> when its disk cache was last found without it
RECHECK = 5.0                      # seconds before the disk cache is read again for that kernel


def kernel_ready(kind: str) -> bool:
    """Whether the kind of run ``kind`` (:func:`.kernels.kind_name`, e.g. "run_discrete[general]")
    runs without compiling: compiled in this process, or in Numba's on-disk cache for this source
    and this processor. Unknown: True (no guess against the compiled engine). A miss is remembered
    for ``RECHECK`` seconds, so that a study preparing thousands of runs reads the cache index once."""
    from . import kernels

    entry = kind.split("[")[0]
    dispatcher = getattr(kernels, entry)
    if any(kernels.kind_of_signature(entry, sig) == kind for sig in dispatcher.signatures):
        return True
    if time.monotonic() - _ABSENT.get(kind, -RECHECK) < RECHECK:
        return False
    try:
        magic = dispatcher.targetctx.codegen().magic_tuple()
        index = dispatcher._cache._cache_file._load_index()     # {} when the source changed since
        found = any(key[1] == magic and kernels.kind_of_signature(entry, key[0]) == kind for key in index)
    except Exception:      # noqa: BLE001 -- Numba internals: never let a guess break a run
        return True
    if not found:
        _ABSENT[kind] = time.monotonic()
    return found


__all__ = ["compile_seconds", "kernel_ready", "CompileNotice", "NOTICE", "TYPICAL"]

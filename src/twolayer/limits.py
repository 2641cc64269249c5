"""Memory limits checked before allocation.

A run's memory is estimated from its sizes (parameters, recorded points and snapshots, the
per-sample intermediates of a pass, kernels and Hessians) and refused with one line naming the
parameter, the estimate and a fix when it exceeds what the machine has available.
"""

from __future__ import annotations

import os
import time

from .errors import InvalidParameter

FLOAT = 8   # bytes of a float64
FRESH = 0.25      # seconds a reading of the available memory is reused (a study checks thousands of runs)
_reading = [-1.0, 0]      # (time, bytes) of the last reading


def available_bytes() -> int:
    """Memory available to a new allocation: ``MemAvailable`` of /proc/meminfo, else physical memory
    (read at most every ``FRESH`` seconds)."""
    now = time.monotonic()
    if now - _reading[0] > FRESH:
        _reading[:] = [now, _read_available()]
    return _reading[1]


def _read_available() -> int:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 62   # unknown platform: no limit from us


def format_bytes(n: float) -> str:
    """``n`` bytes as e.g. "1.46 TiB"."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.3g} EiB"


def check_memory(name: str, value, need_bytes: float, fix: str) -> None:
    """Raise :class:`InvalidParameter` naming ``name`` when ``need_bytes`` exceeds the available memory.

    Parameters
    ----------
    name
        The parameter the user can change (as they typed it).
    value
        Its value.
    need_bytes
        The estimate of what the run would allocate.
    fix
        What to change, e.g. "record fewer points with a larger record_every".
    """
    have = available_bytes()
    if need_bytes > have:
        raise InvalidParameter(name, value, f"this run needs about {format_bytes(need_bytes)} of memory and "
                               f"{format_bytes(have)} is available; {fix}")

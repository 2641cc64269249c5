"""Where a result came from: versions, the git commit of a checkout, the time and the command line.

Every results folder (``twolayer run``, ``twolayer train``) and every study run records
:func:`provenance` next to its settings.
"""

from __future__ import annotations

import functools
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path


@functools.lru_cache(maxsize=1)
def versions() -> dict:
    """The versions of Python, NumPy, Numba (None when not installed) and twolayer."""
    import numpy

    from . import __version__

    try:
        import numba

        numba_version = numba.__version__
    except ImportError:
        numba_version = None
    return {"python": platform.python_version(), "numpy": numpy.__version__, "numba": numba_version,
            "twolayer": __version__}


@functools.lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the git checkout twolayer runs from (with ``+dirty`` when it has uncommitted
    changes), or None for an installed package."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def utc_now() -> str:
    """The current UTC time as ISO 8601, e.g. ``2026-12-05T07:35:45Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def command_line() -> str:
    """The command line of this process, quoted for a shell."""
    argv = list(sys.argv)
    if argv and argv[0].endswith(("/twolayer", "twolayer/cli.py", "-m")):
        argv[0] = "twolayer"
    return shlex.join(argv)


def provenance() -> dict:
    """Versions, git commit, UTC time and command line, as one flat dict."""
    return {**versions(), "git_commit": git_commit(), "utc": utc_now(), "command": command_line()}


__all__ = ["provenance", "versions", "git_commit", "utc_now", "command_line"]

"""Which kinds of compiled kernel ``twolayer reproduce --quick`` runs: the list ``make run`` warms
(:data:`twolayer.warmup.QUICK_KINDS`, ``twolayer warmup --quick``).

    python benchmarks/quick_kinds.py      # a few minutes: compiles every kind, then reproduces

In a temporary folder, with an empty Numba cache: ``twolayer warmup`` compiles every kind, so that
the auto engine is free to take the compiled engine wherever it would; then ``twolayer reproduce
--quick --jobs 2`` runs, and each worker process writes, as it exits, the kinds its kernels were
loaded or compiled for. Prints them, and whether they are QUICK_KINDS. Set TWOLAYER_DATA_DIR to a
folder with the MNIST files to include mnist-stable-rank without downloading them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HOOK = '''
import atexit, os, sys
def _dump():
    m = sys.modules.get("twolayer.engines.kernels")
    if m is not None:
        kinds = {m.kind_of_signature(e, s) for e in m.PATHS for s in getattr(m, e).signatures}
        with open(os.environ["QUICK_KINDS_OUT"], "a") as f:
            f.write(" ".join(sorted(kinds)) + "\\n")
atexit.register(_dump)
'''


def main() -> int:
    from twolayer.warmup import QUICK_KINDS

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "hook").mkdir()
        (tmp / "hook" / "sitecustomize.py").write_text(HOOK)
        out = tmp / "kinds.txt"
        env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp / "cache"), "QUICK_KINDS_OUT": str(out),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp / "hook"), os.environ.get("PYTHONPATH")]))}
        cli = [sys.executable, "-m", "twolayer.cli"]
        subprocess.run(cli + ["warmup", "--quiet"], env=env, cwd=tmp, check=True, capture_output=True)
        out.unlink(missing_ok=True)     # the warmup's own workers wrote every kind
        subprocess.run(cli + ["reproduce", "--quick", "--jobs", "2", "--out", "results"], env=env, cwd=tmp,
                       check=True, capture_output=True)
        used = set(out.read_text().split()) if out.exists() else set()
    print("kinds reproduce --quick ran:", ", ".join(sorted(used)) or "none")
    print("QUICK_KINDS:                ", ", ".join(sorted(QUICK_KINDS)))
    missing, unused = used - set(QUICK_KINDS), set(QUICK_KINDS) - used
    print("missing from QUICK_KINDS:", ", ".join(sorted(missing)) or "none")
    print("in QUICK_KINDS but not run:", ", ".join(sorted(unused)) or "none")
    return 1 if missing or unused else 0


if __name__ == "__main__":
    sys.exit(main())

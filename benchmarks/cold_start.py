"""First-command latency (issue 18): compile time of every kernel entry point, and the wall time of
the first commands a newcomer types, each in a fresh process with an empty Numba cache (cold) and
then again with the cache it left (warm).

    python benchmarks/cold_start.py            # every row (several minutes: each cold row compiles)
    python benchmarks/cold_start.py --kernels  # only the per-kernel compile times
    python benchmarks/cold_start.py --commands # only the commands

Targets (issue 18, cold, quiet machine): saddle-to-saddle --quick <= 15 s, init-scale-transition
--quick <= 30 s, train --optimizer flow <= 5 s, the slowest kernel <= 10 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

KERNEL_CODE = "import sys, twolayer.warmup as w; print(w._timed(sys.argv[1])[1])"   # prints the compile seconds
COMMANDS = {
    "run saddle-to-saddle --quick": ["run", "saddle-to-saddle", "--quick"],
    "run init-scale-transition --quick": ["run", "init-scale-transition", "--quick"],
    "train --optimizer flow (thesis 1.1.0)": ["train", "--optimizer", "flow", "--t-max", "20"],
    "train --data relu-1d --steps 100": ["train", "--data", "relu-1d", "--steps", "100"],
}
TARGETS = {"run saddle-to-saddle --quick": 15, "run init-scale-transition --quick": 30,
           "train --optimizer flow (thesis 1.1.0)": 5}


def timed(args: list[str], cache: str, cwd: str) -> tuple[float, str]:
    """(wall seconds, standard output) of ``args`` in a fresh process with NUMBA_CACHE_DIR=cache."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache}
    start = time.perf_counter()
    out = subprocess.run(args, env=env, cwd=cwd, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", action="store_true", help="only the per-kernel compile times")
    parser.add_argument("--commands", action="store_true", help="only the commands")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; every row in fresh processes, cold = empty NUMBA_CACHE_DIR")
    if not args.commands:
        kernels()
    if not args.kernels:
        commands()


def kernels() -> None:
    from twolayer.warmup import KINDS

    print("\n| kernel entry point (a tiny run of its kind) | cold | of which compiling | warm |\n|---|---|---|---|")
    slowest = slowest_compile = 0.0
    for kind in KINDS:
        with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as cwd:
            cold, out = timed([sys.executable, "-c", KERNEL_CODE, kind], cache, cwd)
            warm = timed([sys.executable, "-c", KERNEL_CODE, kind], cache, cwd)[0]
        compiling = float(out.strip().splitlines()[-1])   # the run of the kind, after Python start and imports
        slowest, slowest_compile = max(slowest, cold), max(slowest_compile, compiling)
        print(f"| {kind} | {cold:.1f} s | {compiling:.1f} s | {warm:.1f} s |", flush=True)
    print(f"\nslowest kernel, cold: {slowest:.1f} s including Python start and imports, {slowest_compile:.1f} s "
          "compiling (target <= 10 s)")


def commands() -> None:
    twolayer = [sys.executable, "-m", "twolayer.cli"]
    print("\n| command | cold | warm | target (cold) |\n|---|---|---|---|")
    for name, cmd in COMMANDS.items():
        with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as cwd:
            cold = timed(twolayer + cmd + ["--out", "a", "--quiet"], cache, cwd)[0]
            warm = timed(twolayer + cmd + ["--out", "b", "--quiet"], cache, cwd)[0]
        target = f"<= {TARGETS[name]} s" if name in TARGETS else ""
        print(f"| {name} | {cold:.1f} s | {warm:.1f} s | {target} |", flush=True)


if __name__ == "__main__":
    main()

"""Sweeps on threads (issue 18): ``tl.train_many`` over 32 runs, per run-step, on one Numba thread and
on all of them, for a run of each path of the compiled engine. Every measurement runs in a fresh
Python process with ``NUMBA_NUM_THREADS`` set, so that no measurement inherits another's threads.

    python benchmarks/sweep_threads.py           # full sizes (about a minute once compiled)
    python benchmarks/sweep_threads.py --quick   # fewer steps

Target (issue 18): at least 1.6x the one-thread speed on two threads, for every path.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

RUNS = 32
MIN_SECONDS = 2.0   # each cell repeats its sweep (at least 3 times) until it has run this long; best taken
# path -> (n, d, m, activation, optimizer, steps or t_max)
CASES = {"run_gd_narrow[pl]: tiny ReLU GD": (2, 2, 60, "relu", "gd", 20_000),
         "run_gd_narrow[smooth]: tanh GD": (4, 2, 40, "tanh", "gd", 10_000),
         "run_discrete[general]: tanh SGD, d = 3": (64, 3, 100, "tanh", "sgd", 2_000),
         "run_discrete[blocked]: ReLU GD, n = 256, d = 16, m = 256": (256, 16, 256, "relu", "gd", 200),
         "run_flow[pl]: ReLU gradient flow, data set 1.1.0": (None, 2, 30, "relu", "flow", 5.0)}


def measure(case: str, q: int) -> float:
    """Seconds per run-step (per gradient evaluation for flow) of a 32-run sweep of ``case``."""
    import twolayer as tl

    n, d, m, act, opt, length = CASES[case]
    rng = np.random.default_rng(0)
    if opt == "flow":        # the thesis's small-initialisation setting, where flow is not stiff
        X, y = tl.data.thesis("1.1.0")
        nets = [tl.init_net(d, m, act, "none", init="balanced", scale=s, seed=i)
                for i, s in enumerate(np.geomspace(1e-3, 1e-1, RUNS))]
    else:
        X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
        nets = [tl.init_net(d, m, act, "none", init="gaussian", scale=s, seed=i)
                for i, s in enumerate(np.geomspace(1e-2, 1.0, RUNS) / np.sqrt(m))]
    if opt == "flow":
        kw = dict(optimizer=tl.Flow(), t_max=length / q, record_at=[0.0, length / q])
    else:
        optimizer = tl.GD(1e-3) if opt == "gd" else tl.SGD(1e-3, 8)
        kw = dict(optimizer=optimizer, steps=max(10, int(length) // q), record_every=max(10, int(length) // q))
    kw.update(engine="numba", quiet=True, snapshots=False)
    tl.train_many(nets[:2], X, y, **kw)       # compile or load the cache
    best, spent, reps = np.inf, 0.0, 0
    min_seconds = MIN_SECONDS if q == 1 else 0.0     # --quick only checks that the script runs
    while reps < 3 or spent < min_seconds:    # a short cell (the flow one: ~0.1 s) repeats more
        start = time.perf_counter()
        runs = tl.train_many(nets, X, y, **kw)
        elapsed = time.perf_counter() - start
        best, spent, reps = min(best, elapsed), spent + elapsed, reps + 1
    work = sum(r.info["gradient_evaluations"] for r in runs) if opt == "flow" else RUNS * kw["steps"]
    return best / work


def fresh(case: str, threads: int, q: int) -> float:
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
    out = subprocess.run([sys.executable, __file__, "--one", case, str(q)], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]))))
        return 0
    q = 10 if args.quick else 1
    cores = os.cpu_count() or 1
    print(f"{cores} cores; {RUNS} runs per sweep; each cell in a fresh process\n")
    print(f"| run kind | 1 thread | {cores} threads | speed-up | target >= 1.6x |\n|---|---|---|---|---|")
    for case in CASES:
        one, many = fresh(case, 1, q), fresh(case, cores, q)
        ratio = one / many
        print(f"| {case} | {one * 1e6:.3g} us | {many * 1e6:.3g} us | {ratio:.2f}x | "
              f"{'met' if ratio >= 1.6 else 'NOT met'} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

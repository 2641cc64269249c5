"""Study benchmarks (issue 17): the cost of the study layer over bare ``tl.train_many``, scaling
over local workers, and resume after a kill -9.

    python benchmarks/study.py            # full sizes (about a minute)
    python benchmarks/study.py --quick    # smaller, a check that it runs

Every measurement runs in a fresh process of its own (``--case NAME``), after that process has
loaded the compiled kernels with a warm-up run, so that no measurement inherits another's imports,
allocations or threads. Rows:

- overhead: 1,000 runs on the thesis data set 1.1.0 (m = 60, ReLU, balanced init at 10 scales x
  100 seeds, 10^4 GD steps, 100 recorded points) through bare ``tl.train_many``, through
  ``Study.run`` on the local executor (metrics, curves and the Parquet index included), and
  through the Dask executor on a LocalCluster of 2 worker processes (started, and its workers
  warmed, before the clock starts). Bare includes drawing the networks, as a user doing it by
  hand must. Best of three in each process. Targets: local within 10%, Dask within 30% of bare.
- scaling: 64 runs of the small problem (n = 10, d = 2, m = 1000, 5,000 GD steps) on 1 and on 2 local
  workers. Target: at least 1.8x.
- resume: a study killed (SIGKILL) after about half its runs, run again: it runs only the missing
  ones and its table equals an uninterrupted run's.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import twolayer as tl

HERE = Path(__file__).resolve()


def overhead_spec(runs: int, steps: int) -> dict:
    seeds = runs // 10
    return {"name": "overhead", "data": {"name": "thesis-1.1.0"},
            "net": {"width": 60, "activation": "relu", "scaling": "none", "init": "balanced"},
            "train": {"loss": "square", "reduction": "mean", "steps": steps, "engine": "numba"},
            "optimizer": {"name": "gd", "lr": 1e-3},
            "grid": {"scale": [float(s) for s in np.logspace(-4, -1, 10)]}, "seeds": {"init": seeds},
            "record": {"metrics": ["final_loss", "relative_weight_change", "time_to_loss(1e-3)"],
                       "curves": ["train_loss"], "points": 100}}


def small_spec(data_file: str, runs: int, steps: int) -> dict:
    return {"name": "small", "data": {"file": data_file},
            "net": {"width": 1000, "activation": "relu", "scaling": "mean-field", "init": "gaussian"},
            "train": {"loss": "square", "steps": steps, "engine": "numba"},
            "optimizer": {"name": "gd", "lr": 0.5},
            "grid": {"scale": [0.5, 1.0]}, "seeds": {"init": runs // 2},
            "record": {"metrics": ["final_loss"], "curves": ["train_loss"], "points": 50}}


REPEAT = 3     # best of this many in each process


def bare(spec: dict) -> float:
    """The spec's runs by hand: draw the networks, then one tl.train_many call (same schedule, engine)."""
    X, y = tl.data.thesis("1.1.0")
    steps = spec["train"]["steps"]
    kw = dict(loss="square", reduction="mean", optimizer=tl.GD(1e-3), record_at=tl.log_steps(steps, 100),
              snapshots=False, engine="numba", quiet=True)
    warm = [tl.init_net(2, 60, "relu", "none", init="balanced", scale=1e-3, seed=i) for i in range(2)]
    tl.train_many(warm, X, y, steps=2, **{**kw, "record_at": [0, 2]})          # load the kernels
    best = np.inf
    for _ in range(REPEAT):
        start = time.perf_counter()
        nets = [tl.init_net(2, 60, "relu", "none", init="balanced", scale=s, seed=i)
                for s in spec["grid"]["scale"] for i in range(spec["seeds"]["init"])]
        tl.train_many(nets, X, y, steps=steps, **kw)
        best = min(best, time.perf_counter() - start)
    return best


def study_time(spec: dict, workers: int, executor: str = "local", scheduler=None) -> float:
    """Best time of ``Study.run`` into a new folder (after a small study loaded the kernels)."""
    best = np.inf
    with tempfile.TemporaryDirectory() as tmp:
        warm = {**spec, "grid": {k: v[:1] for k, v in spec["grid"].items()}, "seeds": {"init": 8 * workers}}
        warm["train"] = {**spec["train"], "steps": 2}
        tl.Study(warm, Path(tmp) / "warm").run(executor=executor, workers=workers, scheduler=scheduler, quiet=True,
                                               chunk_size=2)
        for i in range(REPEAT):
            start = time.perf_counter()
            counts = tl.Study(spec, Path(tmp) / f"s{i}").run(executor=executor, workers=workers, scheduler=scheduler,
                                                              quiet=True)
            best = min(best, time.perf_counter() - start)
            assert counts["done"] == counts["total"], counts
    return best


def dask_time(spec: dict, workers: int) -> float:
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      env={"NUMBA_NUM_THREADS": "1"}) as cluster:
        return study_time(spec, workers, "dask", cluster.scheduler_address)


def case(name: str, quick: bool) -> dict:
    runs, steps = (200, 2000) if quick else (1000, 10_000)
    if name == "bare":
        return {"seconds": bare(overhead_spec(runs, steps))}
    if name == "local":
        return {"seconds": study_time(overhead_spec(runs, steps), 2)}
    if name == "dask":
        return {"seconds": dask_time(overhead_spec(runs, steps), 2)}
    if name.startswith("small-"):
        workers = int(name.split("-")[1])
        with tempfile.TemporaryDirectory() as tmp:
            rng = np.random.default_rng(0)
            np.savez(Path(tmp) / "small.npz", X=rng.standard_normal((10, 2)), y=rng.standard_normal(10))
            spec = small_spec(str(Path(tmp) / "small.npz"), 16 if quick else 64, 1000 if quick else 5000)
            return {"seconds": study_time(spec, workers)}
    raise SystemExit(f"unknown case {name}")


def fresh(name: str, quick: bool) -> dict:
    """Run one case in a new Python process and return what it printed."""
    args = [sys.executable, str(HERE), "--case", name] + (["--quick"] if quick else [])
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def resume(quick: bool) -> dict:
    """Kill a study after about half its runs, run it again, compare with an uninterrupted run."""
    spec = overhead_spec(100 if quick else 400, 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        spec_file = Path(tmp) / "spec.json"
        spec_file.write_text(json.dumps(spec))
        code = ("import json, sys, twolayer as tl; "
                "tl.Study(json.load(open(sys.argv[1])), sys.argv[2]).run(workers=2, quiet=True)")
        proc = subprocess.Popen([sys.executable, "-c", code, str(spec_file), str(Path(tmp) / "s")])
        total = tl.Study(spec).spec.count()
        while proc.poll() is None:
            parts = list((Path(tmp) / "s" / "runs").glob("part-*.parquet"))
            if parts and len(tl.Study.open(Path(tmp) / "s").table()) >= total // 2:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        proc.wait()
        before = len(tl.Study.open(Path(tmp) / "s").table())
        counts = tl.Study(spec, Path(tmp) / "s").run(workers=2, quiet=True)
        again = tl.Study(spec, Path(tmp) / "w")
        again.run(workers=2, quiet=True)
        cols = ["final_loss", "relative_weight_change", "time_to_loss(1e-3)", "status"]
        a = tl.Study.open(Path(tmp) / "s").table().set_index("run_id").sort_index()[cols]
        b = again.table().set_index("run_id").sort_index()[cols]
        equal = a.equals(b)
    return {"total": total, "before": before, "ran": counts["ran"], "skipped": counts["skipped"], "equal": equal}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--case", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(case(args.case, args.quick)))
        return
    import numba

    print(f"twolayer {tl.__version__}, {os.cpu_count()} cores, Numba threads {numba.config.NUMBA_NUM_THREADS}; "
          "each row's engines in fresh processes")
    t = {name: fresh(name, args.quick)["seconds"] for name in ("bare", "local", "dask")}
    runs = 200 if args.quick else 1000
    print(f"overhead ({runs} tiny runs): bare train_many {t['bare']:.2f} s, study local {t['local']:.2f} s "
          f"({t['local'] / t['bare']:.3f}x, target <= 1.10), study dask {t['dask']:.2f} s "
          f"({t['dask'] / t['bare']:.3f}x, target <= 1.30)")
    one, two = fresh("small-1", args.quick)["seconds"], fresh("small-2", args.quick)["seconds"]
    print(f"scaling (small problem): 1 worker {one:.2f} s, 2 workers {two:.2f} s: {one / two:.2f}x (target >= 1.8)")
    r = resume(args.quick)
    print(f"resume: killed with {r['before']} of {r['total']} runs in the index; the re-run ran {r['ran']} and "
          f"skipped {r['skipped']}; table equal to an uninterrupted run's: {r['equal']}")


if __name__ == "__main__":
    main()

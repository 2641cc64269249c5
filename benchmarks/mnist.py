"""MNIST benchmark (issue 8): the float32 BLAS path against the same path in float64, measured in one run.

    python benchmarks/mnist.py [--data-dir DIR]

Runs the `mnist-stable-rank` experiment at full settings once per dtype and prints, for each, the
seconds from the start of training (step-size probes included, data loading excluded) to < 5%
training error, the seconds of the five-sigma sweep, and the whole experiment. Goals: under 60 s to
5% and under 10 minutes for the whole experiment on a 2-core machine. Also times one SGD step
(batch 100) and one full pass over the 60,000 training images per dtype.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time

import numpy as np

import twolayer as tl
from twolayer.engines.blas import Classifier, loss_and_grad
from twolayer.results import run_experiment


def per_step(X, y, dtype, batch=100, reps=300) -> tuple[float, float]:
    """(ms per SGD gradient on a batch, s per full forward pass over X) for this dtype."""
    Xd = X.astype(dtype)
    net = Classifier.init(784, 150, 10, 0.02, slope=0.05, dtype=dtype)
    idx = np.random.default_rng(0).integers(0, len(y), batch)
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(reps):
            loss_and_grad(net, Xd[idx], y[idx])
        best = min(best, (time.perf_counter() - start) / reps)
    start = time.perf_counter()
    net.error(Xd, y)
    return best * 1e3, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=os.environ.get("TWOLAYER_DATA_DIR"))
    args = ap.parse_args()
    print(f"twolayer {tl.__version__}, numpy {np.__version__}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores")
    X, y = tl.data.mnist("train", args.data_dir)
    rows = {}
    for dtype in ("float32", "float64"):
        ms, full = per_step(X, y, np.dtype(dtype))
        with tempfile.TemporaryDirectory() as tmp:
            _, m = run_experiment("mnist-stable-rank", out=tmp, quiet=True,
                                  overrides={"dtype": dtype, **({"data_dir": args.data_dir} if args.data_dir else {})})
        rows[dtype] = (ms, full, m["seconds_to_5pct"], m["seconds_sweep"], m["elapsed_s"], m["train_error"], m["T"])
    print(f"{'dtype':8} {'ms/step':>8} {'pass (s)':>9} {'to 5% (s)':>10} {'sweep (s)':>10} {'total (s)':>10} "
          f"{'train err':>9} {'T':>6}")
    for dtype, r in rows.items():
        print(f"{dtype:8} {r[0]:8.3f} {r[1]:9.3f} {r[2]:10.1f} {r[3]:10.1f} {r[4]:10.1f} {r[5]:9.4f} {r[6]:6d}")
    f32, f64 = rows["float32"], rows["float64"]
    print(f"float32 speed-up over float64: step {f64[0] / f32[0]:.2f}x, full pass {f64[1] / f32[1]:.2f}x, "
          f"time to 5% {f64[2] / f32[2]:.2f}x")
    print(f"goals: to 5% under 60 s: {'met' if f32[2] < 60 else 'NOT met'} ({f32[2]:.1f} s); whole experiment under "
          f"600 s: {'met' if f32[4] < 600 else 'NOT met'} ({f32[4]:.1f} s)")


if __name__ == "__main__":
    main()

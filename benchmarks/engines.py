"""Engine benchmarks: twolayer's compiled engine against the peers a user would otherwise write.

    python benchmarks/engines.py            # full sizes (about two minutes)
    python benchmarks/engines.py --quick    # fewer steps, same problems (a check that it runs)

Peers, all measured in this run, best of three repetitions each, every engine of every row in a
fresh Python process of its own (so that no engine inherits another's imports, allocations or
threads; the table says how many threads each may use):
- a plain NumPy loop, the obvious student implementation (``numpy_gd`` below);
- JAX, jit of the whole loop with ``lax.scan`` and ``vmap`` for sweeps, when JAX is installed
  (``pip install -e ".[bench]"``); otherwise its column says so;
- twolayer's reference engine (``engine="numpy"``), for scale.

Problems (ReLU, square loss 1/n, GD): tiny n=2 d=2 m=60; small n=10 d=2 m=1000; medium n=500
d=10 m=1000; sweep: 32 tiny runs with different initialisation scales; flow: exact gradient flow
against GD with step 1e-3 on the thesis's data set 1.1.0 (evaluations to reach 1e-8 x the initial
loss). Ratios are peer time / twolayer time; targets are those of issue 3.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

import twolayer as tl

TARGETS = {"tiny": (50, 5), "small": (5, None), "medium": (2.5, None), "sweep": (100, None)}


def numpy_gd(X, y, a, W, lr, steps):
    """The obvious NumPy implementation: full-batch GD on (1/n) sum (f - y)^2, loss history kept."""
    n = len(y)
    losses = []
    for _ in range(steps):
        Z = X @ W.T
        H = np.maximum(Z, 0.0)
        r = H @ a - y
        losses.append(np.mean(r * r))
        ga = (2.0 / n) * (H.T @ r)
        gW = (2.0 / n) * ((np.outer(r, a) * (Z > 0)).T @ X)
        a = a - lr * ga
        W = W - lr * gW
    return a, W, losses


def jax_peer():
    """(run, run_many) built on JAX, or None when JAX is not installed."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def make(X, y, lr, steps):
        X, y = jnp.asarray(X), jnp.asarray(y)

        def loss(params):
            a, W = params
            r = jnp.maximum(X @ W.T, 0.0) @ a - y
            return jnp.mean(r * r)

        vg = jax.value_and_grad(loss)

        def run(params):
            def step(p, _):
                value, g = vg(p)
                return (p[0] - lr * g[0], p[1] - lr * g[1]), value

            return jax.lax.scan(step, params, None, length=steps)

        return jax.jit(run), jax.jit(jax.vmap(run))

    return make


def best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def problem(n, d, m, seed=0, scale=None):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    net = tl.init_net(d, m, "relu", "none", init="gaussian", scale=scale or 1 / np.sqrt(m), seed=seed)
    return X, y, net


def train_kw(steps):
    return dict(reduction="mean", optimizer=tl.GD(1e-3), steps=steps, record_every=steps, snapshots=False,
                quiet=True)


ROWS = {"tiny": (2, 2, 60, 100_000, 10_000), "small": (10, 2, 1000, 20_000, 2_000),
        "medium": (500, 10, 1000, 300, 50)}    # n, d, m, steps (twolayer, JAX), steps (NumPy, reference)
SWEEP = (32, 20_000, 10_000)                   # runs, steps (twolayer, JAX), steps (NumPy)
ENGINES = ("numpy", "jax", "reference", "twolayer")


def steps_of(row: str, q: int) -> tuple[int, int]:
    if row == "sweep":
        return SWEEP[1] // q, SWEEP[2] // q
    n, d, m, fast, slow = ROWS[row]
    return (max(30, fast // q), max(10, slow // q)) if row == "medium" else (fast // q, slow // q)


def threads_note(engine: str) -> str:
    """The threads ``engine`` may use in this process, as a row reports them."""
    if engine == "twolayer":
        import numba

        return f"Numba {numba.get_num_threads()}"
    blas = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    return f"BLAS {blas}" if blas else f"BLAS default ({os.cpu_count()} cores)"


def measure_single(row: str, engine: str, q: int) -> float | None:
    """Seconds per GD step of ``engine`` on problem ``row``, after a warm-up (compilation, cache load, jit)."""
    n, d, m = ROWS[row][:3]
    steps, slow = steps_of(row, q)
    X, y, net = problem(n, d, m)
    if engine == "twolayer":
        tl.train(net, X, y, engine="numba", **train_kw(3))
        return best(lambda: tl.train(net, X, y, engine="numba", **train_kw(steps))) / steps
    if engine == "numpy":
        numpy_gd(X, y, net.a.copy(), net.W.copy(), 1e-3, 3)
        return best(lambda: numpy_gd(X, y, net.a.copy(), net.W.copy(), 1e-3, slow)) / slow
    if engine == "reference":
        return best(lambda: tl.train(net, X, y, engine="numpy", **train_kw(slow)), repeat=1) / slow
    jax_make = jax_peer()
    if jax_make is None:
        return None
    run, _ = jax_make(X, y, 1e-3, steps)
    params = (net.a.copy(), net.W.copy())
    run(params)[1].block_until_ready()
    return best(lambda: run(params)[1].block_until_ready()) / steps


def measure_sweep(engine: str, q: int) -> float | None:
    """Seconds per run-step of ``engine`` on 32 tiny runs with different initialisation scales."""
    runs = SWEEP[0]
    steps, slow = steps_of("sweep", q)
    X, y, _ = problem(2, 2, 60)
    scales = np.geomspace(1e-3, 1.0, runs)
    nets = [tl.init_net(2, 60, "relu", "none", init="gaussian", scale=s, seed=i) for i, s in enumerate(scales)]
    if engine == "twolayer":
        tl.train_many(nets[:2], X, y, engine="numba", **train_kw(3))
        return best(lambda: tl.train_many(nets, X, y, engine="numba", **train_kw(steps))) / (runs * steps)
    if engine == "numpy":    # the runs one after another: one run's time, per step
        return best(lambda: numpy_gd(X, y, nets[0].a.copy(), nets[0].W.copy(), 1e-3, slow)) / slow
    if engine == "reference":
        return None
    jax_make = jax_peer()
    if jax_make is None:
        return None
    _, run_many = jax_make(X, y, 1e-3, steps)
    params = (np.stack([n.a for n in nets]), np.stack([n.W for n in nets]))
    run_many(params)[1].block_until_ready()
    return best(lambda: run_many(params)[1].block_until_ready()) / (runs * steps)


def measure_flow() -> dict:
    X, y = tl.data.thesis("1.1.0")
    net = tl.init_net(2, 60, scaling="none", init="balanced", scale=1e-6 / np.sqrt(60), seed=0)
    kw = dict(reduction="mean", snapshots=False, quiet=True, engine="numba")
    tl.train(net, X, y, optimizer=tl.Flow(rtol=1e-6, atol=1e-12), t_max=1.0, **kw)
    gd = tl.train(net, X, y, optimizer=tl.GD(1e-3), steps=30_000, record_every=1, **kw)
    k = np.flatnonzero(gd.train_loss < 1e-8 * gd.train_loss[0])[0]
    t_gd = best(lambda: tl.train(net, X, y, optimizer=tl.GD(1e-3), steps=int(gd.steps[k]), record_every=int(gd.steps[k]), **kw))
    fl_kw = dict(optimizer=tl.Flow(rtol=1e-6, atol=1e-12), t_max=30.0, record_at=np.linspace(0, 30, 30_001), **kw)
    fl = tl.train(net, X, y, **fl_kw)
    j = np.flatnonzero(fl.train_loss < 1e-8 * fl.train_loss[0])[0]
    t_fl = best(lambda: tl.train(net, X, y, optimizer=tl.Flow(rtol=1e-6, atol=1e-12), t_max=float(fl.times[j]),
                                 record_at=[float(fl.times[j])], **kw))
    return {"gd_evals": int(gd.steps[k]), "gd_time": float(gd.times[k]), "gd_wall": t_gd,
            "flow_evals": int(fl.steps[j]), "flow_time": float(fl.times[j]), "flow_wall": t_fl}


def in_fresh_process(*args: str) -> dict:
    """Run this script's ``--one`` mode in a new Python process and return what it measured: no
    imports, allocations or threads of one measurement flatter another."""
    out = subprocess.run([sys.executable, __file__, "--one", *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def one(row: str, engine: str, q: int) -> dict:
    if row == "flow":
        return measure_flow()
    t = measure_sweep(engine, q) if row == "sweep" else measure_single(row, engine, q)
    return {"t": t, "threads": threads_note(engine)}


def bench_row(row: str, q: int) -> dict:
    """Every engine of ``row``, each in its own fresh process."""
    got = {engine: in_fresh_process(row, engine, str(q)) for engine in ENGINES}
    if row == "sweep":
        n, d, m, shape = 2, 2, 60, f"{SWEEP[0]} x (n=2 d=2 m=60)"
    else:
        n, d, m = ROWS[row][:3]
        shape = f"n={n} d={d} m={m}"
    t = got["twolayer"]["t"]
    return {"problem": row, "shape": shape, "numpy": got["numpy"]["t"], "jax": got["jax"]["t"],
            "reference": got["reference"]["t"], "twolayer": t, "gflops": n * m * (4 * d + 6) / t / 1e9,
            "threads": {e: got[e]["threads"] for e in ENGINES}}


def matmul_rate(size=2000):
    A, B = np.random.default_rng(0).standard_normal((2, size, size))
    A @ B
    return 2 * size ** 3 / best(lambda: A @ B) / 1e9


def fmt_time(t):
    if t is None:
        return "n/a"
    return f"{t * 1e6:.3g} us" if t < 1e-3 else f"{t * 1e3:.3g} ms"


def fmt_ratio(peer, ours):
    return "n/a" if peer is None else f"{peer / ours:.1f}x"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (checks that the script runs)")
    parser.add_argument("--one", nargs="+", metavar="ROW", help=argparse.SUPPRESS)   # a child process's measurement
    args = parser.parse_args(argv)
    if args.one:
        row, engine, q = (args.one + ["", "1"][len(args.one) - 1:])[:3]
        print(json.dumps(one(row, engine, int(q))))
        return 0
    q = 10 if args.quick else 1
    rows = [bench_row(row, q) for row in ("tiny", "small", "medium", "sweep")]
    flow = in_fresh_process("flow")
    rate = matmul_rate()
    jax_make = importlib.util.find_spec("jax") is not None

    print(f"twolayer {tl.__version__}, Python {platform.python_version()}, NumPy {np.__version__}, "
          f"{os.cpu_count()} cores, {platform.machine()}" + ("" if jax_make else "; JAX not installed: its column is n/a"))
    print()
    print("| problem | shape | plain NumPy | JAX | twolayer reference | twolayer compiled | vs NumPy | vs JAX | target | GFLOP/s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    verdicts = []
    for r in rows:
        t_np, t_jax = TARGETS[r["problem"]]
        met = r["numpy"] / r["twolayer"] >= t_np and (t_jax is None or r["jax"] is None or r["jax"] / r["twolayer"] >= t_jax)
        verdicts.append(met)
        target = f">= {t_np}x NumPy" + (f", >= {t_jax}x JAX" if t_jax else "")
        print(f"| {r['problem']} | {r['shape']} | {fmt_time(r['numpy'])} | {fmt_time(r['jax'])} | "
              f"{fmt_time(r['reference'])} | {fmt_time(r['twolayer'])} | {fmt_ratio(r['numpy'], r['twolayer'])} | "
              f"{fmt_ratio(r['jax'], r['twolayer'])} | {target} ({'met' if met else 'NOT met'}) | {r['gflops']:.2f} |")
    print()
    print("Threads per engine (each engine of each row measured in its own fresh process): "
          + "; ".join(f"{e} {rows[0]['threads'][e]}" for e in ENGINES)
          + f"; the twolayer sweep runs its runs on {rows[3]['threads']['twolayer']} threads.")
    print()
    print("Times are per GD step (per run-step for the sweep). GFLOP/s counts n m (4d + 6) flops per step; "
          f"this machine's matrix multiply (NumPy, 2000 x 2000) runs at {rate:.1f} GFLOP/s.")
    print()
    ratio = flow["gd_evals"] / flow["flow_evals"]
    dt = abs(flow["flow_time"] / flow["gd_time"] - 1)
    print(f"Gradient flow (data set 1.1.0, m=60, scale 1e-6/sqrt(60), loss to 1e-8 x initial): GD step 1e-3 "
          f"{flow['gd_evals']} gradient evaluations ({fmt_time(flow['gd_wall'])}), t = {flow['gd_time']:.4f}; "
          f"compiled Dormand-Prince 5(4) (rtol 1e-6) {flow['flow_evals']} evaluations ({fmt_time(flow['flow_wall'])}), "
          f"t = {flow['flow_time']:.4f}: {ratio:.1f}x fewer evaluations (target >= 10x: "
          f"{'met' if ratio >= 10 else 'NOT met'}), times agree within {100 * dt:.3f}% (target 1%: "
          f"{'met' if dt <= 0.01 else 'NOT met'}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())

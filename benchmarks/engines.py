"""Engine benchmarks: twolayer's compiled engine against the peers a user would otherwise write.

    python benchmarks/engines.py            # full sizes (about two minutes)
    python benchmarks/engines.py --quick    # fewer steps, same problems (a check that it runs)

Peers, all measured in this run, best of three repetitions each:
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
import os
import platform
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


def bench_single(name, n, d, m, steps, numpy_steps, jax_make):
    X, y, net = problem(n, d, m)
    tl.train(net, X, y, engine="numba", **train_kw(3))  # compile (or load the cache)
    t_tl = best(lambda: tl.train(net, X, y, engine="numba", **train_kw(steps))) / steps
    t_np = best(lambda: numpy_gd(X, y, net.a.copy(), net.W.copy(), 1e-3, numpy_steps)) / numpy_steps
    t_ref = best(lambda: tl.train(net, X, y, engine="numpy", **train_kw(numpy_steps)), repeat=1) / numpy_steps
    t_jax = None
    if jax_make is not None:
        run, _ = jax_make(X, y, 1e-3, steps)
        params = (net.a.copy(), net.W.copy())
        run(params)[1].block_until_ready()
        t_jax = best(lambda: run(params)[1].block_until_ready()) / steps
    flops = n * m * (4 * d + 6)
    return {"problem": name, "shape": f"n={n} d={d} m={m}", "steps": steps, "numpy": t_np, "jax": t_jax,
            "reference": t_ref, "twolayer": t_tl, "gflops": flops / t_tl / 1e9}


def bench_sweep(runs, steps, numpy_steps, jax_make):
    X, y, _ = problem(2, 2, 60)
    scales = np.geomspace(1e-3, 1.0, runs)
    nets = [tl.init_net(2, 60, "relu", "none", init="gaussian", scale=s, seed=i) for i, s in enumerate(scales)]
    tl.train_many(nets[:2], X, y, engine="numba", **train_kw(3))
    t_tl = best(lambda: tl.train_many(nets, X, y, engine="numba", **train_kw(steps)))
    one = best(lambda: numpy_gd(X, y, nets[0].a.copy(), nets[0].W.copy(), 1e-3, numpy_steps))
    t_np = runs * one * steps / numpy_steps
    t_jax = None
    if jax_make is not None:
        _, run_many = jax_make(X, y, 1e-3, steps)
        params = (np.stack([n.a for n in nets]), np.stack([n.W for n in nets]))
        run_many(params)[1].block_until_ready()
        t_jax = best(lambda: run_many(params)[1].block_until_ready())
    return {"problem": "sweep", "shape": f"{runs} x (n=2 d=2 m=60)", "steps": steps, "numpy": t_np / (runs * steps),
            "jax": None if t_jax is None else t_jax / (runs * steps), "reference": None,
            "twolayer": t_tl / (runs * steps), "gflops": runs * steps * 2 * 60 * 14 / t_tl / 1e9}


def bench_flow():
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
    args = parser.parse_args(argv)
    q = 10 if args.quick else 1
    jax_make = jax_peer()
    rows = [bench_single("tiny", 2, 2, 60, 100_000 // q, 10_000 // q, jax_make),
            bench_single("small", 10, 2, 1000, 20_000 // q, 2_000 // q, jax_make),
            bench_single("medium", 500, 10, 1000, max(30, 300 // q), max(10, 50 // q), jax_make),
            bench_sweep(32, 20_000 // q, 10_000 // q, jax_make)]
    flow = bench_flow()
    rate = matmul_rate()

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

"""No silent waits (issue 18): a line on stderr when a twolayer kernel compiles, compile time
counted apart from run time, and ``twolayer warmup``."""

import io
import os
import subprocess
import sys

import numba
import numpy as np

import pytest

import twolayer as tl
from twolayer.engines import compile_log
from twolayer.warmup import KINDS, compile_kind, recipe


def test_a_compiling_kernel_is_announced_with_its_kind_and_timed():
    def run_flow(x, y, T, pl, blocked, general):   # named like an entry point, in a twolayer module
        return x + 1.0 if blocked is not None else x
    run_flow.__module__ = "twolayer.fake"
    stream = io.StringIO()
    before = compile_log.compile_seconds()
    old, compile_log.NOTICE.stream = compile_log.NOTICE.stream, stream
    try:
        assert numba.njit(run_flow)(1.0, 0.0, (1.0,), None, True, None) == 2.0
    finally:
        compile_log.NOTICE.stream = old
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("twolayer: compiling the compiled engine for this kind of run (run_flow[blocked]), once")
    assert lines[1].startswith("twolayer: compiled run_flow[blocked] in ")
    assert compile_log.compile_seconds() > before


def test_other_compilations_are_counted_but_not_announced():
    def helper(x):
        return 2.0 * x
    stream = io.StringIO()
    old, compile_log.NOTICE.stream = compile_log.NOTICE.stream, stream
    try:
        numba.njit(helper)(1.0)
    finally:
        compile_log.NOTICE.stream = old
    assert stream.getvalue() == ""


def test_runs_report_compile_time_apart():
    X, y = tl.data.thesis("1.1.0")
    run = tl.train(tl.init_net(2, 8, "relu", "none", init="balanced", scale=1e-3), X, y, optimizer=tl.GD(1e-3),
                   steps=10, engine="numba", quiet=True)
    assert run.info["compile_s"] >= 0.0 and run.info["elapsed_s"] >= 0.0


def test_warmup_command_compiles_every_kind(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "twolayer.cli", "warmup", "--quiet"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=900)
    assert proc.returncode == 0, proc.stderr
    from twolayer.warmup import KINDS
    for kind in KINDS:
        assert kind in proc.stdout
    assert np.isfinite(float(proc.stdout.strip().splitlines()[-1].split("done in ")[1].split(" s")[0]))


def test_warmup_quick_compiles_the_kinds_reproduce_quick_runs_and_no_others(tmp_path):
    from twolayer.warmup import KINDS, QUICK_KINDS, warmup

    assert set(QUICK_KINDS) < set(KINDS) and len(set(QUICK_KINDS)) == len(QUICK_KINDS)
    proc = subprocess.run([sys.executable, "-m", "twolayer.cli", "warmup", "--quick", "--quiet"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert [kind for kind in KINDS if f"  {kind} (" in proc.stdout] == [k for k in KINDS if k in QUICK_KINDS]
    with pytest.raises(ValueError, match="unknown kind 'run_flow\\[fast\\]'"):
        warmup(kinds=("run_flow[fast]",))


def test_auto_engine_counts_compile_time(monkeypatch):
    from twolayer.engines import costs
    from twolayer.train import prepare

    X, y = tl.data.thesis("1.1.0")
    net = tl.init_net(2, 60, "relu", "none", init="balanced", scale=1e-3)
    monkeypatch.setattr(costs, "kernel_ready", lambda name: False)     # a fresh machine
    short = prepare(net, X, y, optimizer=tl.GD(1e-3), steps=1000, quiet=True)
    assert short.engine == "numpy" and "run_gd_narrow[pl] is not compiled yet" in short.config["engine_reason"]
    # 1000 steps x 25 us on the reference engine against ~6 s of compilation (TYPICAL)
    assert costs.prefer_reference("run_gd_narrow[pl]", 2, 60, 2, 1000) is not None
    long = prepare(net, X, y, optimizer=tl.GD(1e-3), steps=10**9, quiet=True, snapshots=False, record_every=10**7)
    assert long.engine == "numba" and "engine_reason" not in long.config      # 25,000 s against 6 s + 270 s
    assert prepare(net, X, y, optimizer=tl.GD(1e-3), steps=1000, engine="numba", quiet=True).engine == "numba"
    flow = prepare(net, X, y, optimizer=tl.Flow(), t_max=20.0, quiet=True)
    assert flow.engine == "numpy" and "run_flow[pl]" in flow.config["engine_reason"]
    # a sweep counts its runs together: 400 runs of 10^5 steps pay for the kernel's compilation
    nets = [tl.init_net(2, 60, "relu", "none", init="balanced", scale=1e-3, seed=i) for i in range(400)]
    from twolayer.sweep import sweep_engine
    specs = [prepare(n, X, y, optimizer=tl.GD(1e-3), steps=10**5, quiet=True, snapshots=False) for n in nets]
    assert {s.engine for s in specs} == {"numpy"}
    sweep_engine(specs)
    assert {s.engine for s in specs} == {"numba"}
    few = [prepare(n, X, y, optimizer=tl.GD(1e-3), steps=10**5, quiet=True, snapshots=False) for n in nets[:2]]
    sweep_engine(few)
    assert {s.engine for s in few} == {"numpy"}          # two runs (2 x 2.5 s) do not pay for it ...
    sweep_engine(few, planned=400)
    assert {s.engine for s in few} == {"numba"}          # ... two runs of a study's 400 do
    monkeypatch.setattr(costs, "kernel_ready", lambda name: True)      # compiled already: always the compiled engine
    assert prepare(net, X, y, optimizer=tl.GD(1e-3), steps=10, quiet=True).engine == "numba"


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_compiles_what_the_cost_model_predicts(kind):
    """The kind a run compiles (read off the kernel's signatures) is the one :func:`costs.kernel_of`
    names for it, for every kind that ``twolayer warmup`` compiles."""
    from twolayer.engines import kernels
    from twolayer.engines.compile_log import kernel_ready
    from twolayer.train import run_kind

    entry = kind.split("[")[0]
    dispatcher = getattr(kernels, entry)
    compile_kind(kind)
    compiled = {kernels.kind_of_signature(entry, sig) for sig in dispatcher.signatures}
    assert kind in compiled and kernel_ready(kind)
    net, X, y, how = recipe(kind)
    batch = how["optimizer"].batch_size
    assert run_kind(net, len(y), batch or len(y), how["optimizer"]) == kind


def test_kind_of_signature_reads_the_markers():
    from numba import typeof

    from twolayer.engines.kernels import kind_of_signature, markers

    for entry, path in [("run_discrete", "blocked"), ("run_flow", "pl"), ("run_gd_narrow", "smooth"),
                        ("run_gd_narrow", "pl")]:
        sig = tuple(typeof(v) for v in (np.zeros(3), (np.zeros(2),), 1.0) + markers(entry, path))
        assert kind_of_signature(entry, sig) == f"{entry}[{path}]"


def test_kernels_module_is_self_contained_so_its_disk_cache_cannot_go_stale():
    """Numba invalidates a cached kernel when its own source file changes, not when a function it
    calls in another file does: every kernel therefore lives in engines/kernels.py, which imports
    no other twolayer module."""
    import ast
    from pathlib import Path

    from twolayer.engines import kernels

    tree = ast.parse(Path(kernels.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert imported == {"__future__", "math", "numpy", "numba", "numba.extending", "llvmlite"}, imported


def test_a_package_whose_folder_is_not_writable_caches_in_the_user_cache(tmp_path):
    """An installed package (site-packages not writable by the user) keeps its compiled kernels in
    the user's cache folder: Numba's in-tree locator gives way when ``__pycache__`` is not writable,
    simulated here (tests run as root, for whom every folder is writable)."""
    code = """
import numba.core.caching as c
def refuse(self):
    raise OSError("read-only")
c.InTreeCacheLocator.ensure_cache_path = refuse
from twolayer.engines import kernels
assert kernels.narrow_full_batch(1, 2, 3, 4)
"""
    env = {k: v for k, v in __import__("os").environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    cached = list(tmp_path.rglob("kernels.narrow_full_batch-*.nbi"))
    assert len(cached) == 1, sorted(str(p) for p in tmp_path.rglob("*"))


RECORD_FIRST = """
import sys
import numpy as np
from numba import njit
from twolayer.engines import kernels as K


@njit(fastmath=K.FAST)
def fast_caller(theta, g, mask, rec, snaps):
    K._record(np.int64(0), np.int64(0), 0.0, theta, 1.0, np.nan, g, mask, 0.0, rec, snaps)


@njit
def plain_caller(theta, g, mask, rec, snaps):
    K._record(np.int64(0), np.int64(0), 0.0, theta, 1.0, np.nan, g, mask, 0.0, rec, snaps)


rng = np.random.default_rng(0)
g = rng.standard_normal(1001) * 10.0 ** rng.uniform(-6, 6, 1001)
callers = [fast_caller, plain_caller] if sys.argv[1] == "fast" else [plain_caller, fast_caller]
for caller in callers:
    rec = np.zeros((6, 1))
    caller(np.zeros(1001), g, np.ones(1001, np.bool_), rec, np.zeros((0, 1001)))
    print(repr(float(rec[4, 0])), repr(float(np.linalg.norm(g))))
"""


def test_a_helper_compiles_the_same_whichever_caller_compiles_it_first(tmp_path):
    """Numba gives a function that leaves its fast-math flags unset those of the caller that
    compiles it first (and its disk cache hands that version to every later caller): the gradient
    norm a record stores came out 1 ulp apart depending on which kind had filled the cache. Every
    helper sets its flags (``kernels.helper``), so a caller with fast-math and one without, in
    either order in fresh processes with empty caches, record the same bits."""
    out = {}
    for first in ("fast", "plain"):
        env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / first)}
        proc = subprocess.run([sys.executable, "-c", RECORD_FIRST, first], env=env, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr
        out[first] = [tuple(map(float, line.split())) for line in proc.stdout.splitlines()]
    values = {norm for lines in out.values() for norm, _ in lines}
    assert len(values) == 1
    reference = out["fast"][0][1]
    assert values.pop() == pytest.approx(reference, rel=1e-14)


CACHED_MODULE = """from numba import njit


@njit(cache=True)
def twice(x):
    return 2.0 * x


@njit(cache=True)
def square(x):
    return x * x
"""
CALL = ("import prunemod as p; p.twice(1.0); p.square(1.0); "     # prints the cache hits of each
        "print(sum(p.twice.stats.cache_hits.values()), sum(p.square.stats.cache_hits.values()))")


def test_warmup_removes_the_cache_files_an_earlier_version_of_the_source_left(tmp_path):
    """A module whose cached functions are compiled, edited (the lines move), and compiled again:
    the files of the first version are stale, those of the second are not, and pruning removes
    exactly the stale ones -- the next process still loads both functions from the cache. Files of
    other modules and files Numba did not write stay."""
    import importlib.util
    import pickle

    from twolayer.engines.cache_files import cache_of, prune, stale_files

    source = tmp_path / "prunemod.py"
    folder = tmp_path / "__pycache__"
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["PYTHONPATH"] = str(tmp_path)

    def call():
        proc = subprocess.run([sys.executable, "-c", CALL], env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()

    source.write_text(CACHED_MODULE)
    assert call() == "0 0"
    first = set(folder.iterdir())
    source.write_text("# edited: every function one line lower\n" + CACHED_MODULE)
    assert call() == "0 0"                     # nothing to load: compiled again
    second = set(folder.iterdir()) - first
    assert len(first) == len(second) == 4      # an index and a data file per function
    spec = importlib.util.spec_from_file_location("prunemod_in_test", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert cache_of(module.twice)[0] == folder
    stamp = cache_of(module.twice)[1]            # Numba's stamp of the present source
    (folder / "prunemod.notes.nbi").write_text("not an index")
    stale_index = folder / sorted(p.name for p in first if p.suffix == ".nbi")[0]
    (folder / "othermod.twice-4.py311.nbi").write_bytes(stale_index.read_bytes())
    # a stale index whose list names a file outside its own (here: outside the cache folder)
    outside = tmp_path / "outside.nbc"
    outside.write_text("the user's")
    with open(stale_index, "rb") as f:
        version, (old_stamp, overloads) = pickle.load(f), pickle.loads(f.read())
    foreign = folder / "prunemod.foreign-1.py311.nbi"
    foreign.write_bytes(pickle.dumps(version) + pickle.dumps((old_stamp, {k: "../outside.nbc" for k in overloads})))
    assert set(stale_files(folder, source, stamp)) == first | {foreign}
    size = sum(p.stat().st_size for p in first | {foreign})
    assert prune(folder, source, stamp) == (5, size)
    assert set(folder.iterdir()) == second | {folder / "prunemod.notes.nbi", folder / "othermod.twice-4.py311.nbi"}
    assert outside.read_text() == "the user's"
    assert call() == "1 1"                     # both loaded from the cache

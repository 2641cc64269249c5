"""Safe by default (issue 16): results folders never destroy what twolayer did not write, limits
before allocation, interrupts, honest divergence, and a command line that explains itself.

CLI cases run the real ``twolayer`` entry point (``python -m twolayer.cli``) in a temporary
directory."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import twolayer as tl
from twolayer.cli import main
from twolayer.outdir import MANIFEST, ResultsFolder, clean_stale

FAST_TRAIN = ["train", "--steps", "50", "--width", "8", "--quiet", "--engine", "numpy"]


def cli(*args, cwd, timeout=300):
    proc = subprocess.run([sys.executable, "-m", "twolayer.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def one_error_line(stderr, *words):
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("twolayer: error:"), stderr
    assert "Traceback" not in stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


def hidden_leftovers(folder):
    return sorted(p.name for p in Path(folder).iterdir() if ".tmp-" in p.name or ".old-" in p.name or p.name.endswith(".lock"))


# -- results folders --------------------------------------------------------------------------
def test_user_folder_is_refused_and_kept(tmp_path):
    user = tmp_path / "DIR"
    (user / "sub").mkdir(parents=True)
    (user / "thesis.tex").write_text("my thesis")
    (user / "sub" / "data.csv").write_text("1,2")
    rc, _, err = cli(*FAST_TRAIN, "--out", "DIR", cwd=tmp_path)
    assert rc == 2
    one_error_line(err, "--out", "DIR", "did not write")
    assert (user / "thesis.tex").read_text() == "my thesis" and (user / "sub" / "data.csv").read_text() == "1,2"
    assert hidden_leftovers(tmp_path) == []


@pytest.mark.parametrize("out", [".", "CWD", "HOME", "PARENT"])
def test_working_home_and_parent_directories_are_refused(tmp_path, out):
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("x")
    target = {".": ".", "CWD": str(work), "HOME": "~", "PARENT": ".."}[out]
    env_home = dict(os.environ, HOME=str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    proc = subprocess.run([sys.executable, "-m", "twolayer.cli", *FAST_TRAIN, "--out", target], capture_output=True,
                          text=True, cwd=work, env=env_home)
    assert proc.returncode == 2
    one_error_line(proc.stderr, "--out")
    assert (work / "keep.txt").read_text() == "x" and hidden_leftovers(work) == [] and hidden_leftovers(tmp_path) == []


def test_existing_file_is_refused(tmp_path):
    (tmp_path / "afile.txt").write_text("data")
    rc, _, err = cli(*FAST_TRAIN, "--out", "afile.txt", cwd=tmp_path)
    assert rc == 2
    one_error_line(err, "--out", "afile.txt", "file")
    assert (tmp_path / "afile.txt").read_text() == "data"


def test_own_folder_is_replaced_but_not_with_a_users_file_inside(tmp_path):
    assert cli(*FAST_TRAIN, "--out", "r", cwd=tmp_path)[0] == 0
    manifest = json.loads((tmp_path / "r" / MANIFEST).read_text())
    assert manifest["written_by"] == "twolayer" and "metrics.json" in manifest["files"]
    assert "trajectory.h5" in manifest["files"] and "figures/loss.png" in manifest["files"]
    first = (tmp_path / "r" / "metrics.json").stat().st_mtime_ns
    assert cli(*FAST_TRAIN, "--out", "r", cwd=tmp_path)[0] == 0           # ours: replaced
    assert (tmp_path / "r" / "metrics.json").stat().st_mtime_ns != first
    (tmp_path / "r" / "notes.txt").write_text("mine")
    rc, _, err = cli(*FAST_TRAIN, "--out", "r", cwd=tmp_path)
    assert rc == 2
    one_error_line(err, "notes.txt")
    assert (tmp_path / "r" / "notes.txt").read_text() == "mine"
    assert hidden_leftovers(tmp_path) == []


def test_validation_happens_before_any_folder(tmp_path):
    for bad in (["--steps", "-1"], ["--engine", "gpu"], ["--trainable", "x"], ["--activation", "softsign"]):
        rc, _, err = cli(*FAST_TRAIN, *bad, "--out", "v", cwd=tmp_path)
        assert rc == 2, bad
        one_error_line(err)
        assert sorted(p.name for p in tmp_path.iterdir()) == [], bad


def test_engine_error_names_the_flag(tmp_path):
    rc, _, err = cli(*FAST_TRAIN, "--engine", "gpu", "--out", "v", cwd=tmp_path)
    one_error_line(err, "--engine", "gpu", "did you mean" if False else "numba")
    rc, _, err = cli(*FAST_TRAIN, "--activation", "rleu", "--out", "v", cwd=tmp_path)
    one_error_line(err, "did you mean 'relu'")


def test_stale_temporary_folders_of_dead_processes_are_cleaned(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    stale = tmp_path / f".r.tmp-{pid}-abcd"
    stale.mkdir()
    (stale / MANIFEST).write_text(json.dumps({"written_by": "twolayer", "pid": pid, "host": os.uname().nodename}))
    (stale / "trajectory.h5").write_bytes(b"half")
    alive = tmp_path / f".q.tmp-{os.getppid()}-abcd"        # another process's, still writing
    alive.mkdir()
    (alive / MANIFEST).write_text(json.dumps({"written_by": "twolayer", "pid": os.getppid(), "host": os.uname().nodename}))
    users = tmp_path / ".mine.tmp-1-x"        # looks like ours but has no marker: never touched
    users.mkdir()
    removed = clean_stale(tmp_path)
    assert removed == [stale] and alive.exists() and users.exists()


def test_a_second_writer_is_refused_while_the_first_runs(tmp_path):
    out = tmp_path / "r"
    with ResultsFolder(out) as tmp:
        (tmp / "a.txt").write_text("first")
        with pytest.raises(tl.InvalidParameter, match="another twolayer process"):
            with ResultsFolder(out):
                pass
    assert (out / "a.txt").read_text() == "first" and hidden_leftovers(tmp_path) == []


def test_kill_9_leaves_leftovers_that_the_next_run_removes(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "twolayer.cli", "train", "--steps", "100000000", "--width", "8",
                             "--quiet", "--out", "r"], cwd=tmp_path)
    deadline = time.time() + 120
    while time.time() < deadline and not hidden_leftovers(tmp_path):
        time.sleep(0.2)
    time.sleep(1.0)
    proc.kill()
    proc.wait()
    assert hidden_leftovers(tmp_path), "the run should have been writing"
    assert cli(*FAST_TRAIN, "--out", "r", cwd=tmp_path)[0] == 0
    assert hidden_leftovers(tmp_path) == [] and (tmp_path / "r" / "metrics.json").exists()


def _mount_tmpfs(path, options):
    path.mkdir()
    try:
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    except OSError:
        proc = None
    if proc is None or proc.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root in a mount namespace)")


@pytest.fixture
def small_fs(tmp_path):
    mnt = tmp_path / "small"
    _mount_tmpfs(mnt, "size=96k")
    yield mnt
    subprocess.run(["umount", str(mnt)])


@pytest.fixture
def readonly_fs(tmp_path):
    mnt = tmp_path / "ro"
    _mount_tmpfs(mnt, "ro,size=64k")
    yield mnt
    subprocess.run(["umount", str(mnt)])


def test_read_only_file_system_is_one_line(readonly_fs, tmp_path):
    rc, _, err = cli(*FAST_TRAIN, "--out", str(readonly_fs / "r"), cwd=tmp_path)
    assert rc == 2
    one_error_line(err, str(readonly_fs / "r"), "read-only")
    assert list(readonly_fs.iterdir()) == []


def test_full_file_system_is_one_line_and_leaves_nothing(small_fs, tmp_path):
    rc, _, err = cli(*FAST_TRAIN, "--steps", "2000", "--record-every", "1", "--out", str(small_fs / "r"), cwd=tmp_path)
    assert rc == 2
    one_error_line(err, str(small_fs / "r"), "space")
    assert list(small_fs.iterdir()) == []


def test_reproduce_root_never_overwrites_a_users_index(tmp_path):
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "index.html").write_text("<p>my page</p>")
    assert main(["reproduce", "--quick", "--out", str(tmp_path / "g")]) == 2
    assert (tmp_path / "g" / "index.html").read_text() == "<p>my page</p>"


# -- limits before allocation -------------------------------------------------------------------
def test_memory_limits_name_the_flag(tmp_path):
    rc, _, err = cli("train", "--width", "100000000000", "--steps", "10", "--out", "w", cwd=tmp_path)
    assert rc == 2
    one_error_line(err, "--width", "TiB", "available")
    rc, _, err = cli("train", "--steps", "1e12", "--record-every", "1", "--out", "w", cwd=tmp_path)
    assert rc == 2
    one_error_line(err, "--record-every", "record fewer points")
    rc, _, err = cli("run", "saddle-to-saddle", "--set", "epochs=1e400", cwd=tmp_path)
    assert rc == 2
    one_error_line(err, "epochs")
    assert list(tmp_path.iterdir()) == []


def test_large_but_feasible_runs_still_work():
    # a million recorded points without snapshots: about 240 MB of bookkeeping, well within the machine
    X, y = tl.data.thesis("1.1.0")
    net = tl.init_net(2, 4, "relu", "none", init="balanced", scale=1e-3)
    spec = tl.train.__globals__["prepare"](net, X, y, optimizer=tl.GD(1e-3), steps=1_000_000, record_every=1,
                                           snapshots=False, engine="numpy")
    assert len(spec.schedule) == 1_000_001


# -- interrupts --------------------------------------------------------------------------------
def default_sigint() -> None:
    """In the child: Ctrl-C's default action. A test suite started in the background of a
    non-interactive shell has SIGINT ignored, its children inherit that, and Python then installs no
    KeyboardInterrupt handler, so the interrupt these tests send would be lost."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("keep", [False, True])
def test_ctrl_c_stops_a_compiled_run_within_a_second(tmp_path, keep):
    args = [sys.executable, "-m", "twolayer.cli", "train", "--steps", "200000000", "--quiet", "--out", "r",
            "--engine", "numba"] + (["--keep-partial"] if keep else [])
    proc = subprocess.Popen(args, cwd=tmp_path, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
    deadline = time.time() + 180
    while time.time() < deadline and not hidden_leftovers(tmp_path):
        time.sleep(0.1)
    time.sleep(2.0)                    # compiled and training by now (the kernels are cached by earlier tests)
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    waited = time.perf_counter() - sent
    assert proc.returncode == 130, err
    assert waited < 3.0, waited          # about a second, with the partial results written
    assert "interrupted" in err and "Traceback" not in err
    leftovers = hidden_leftovers(tmp_path)
    assert leftovers == []
    if keep:
        metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
        assert metrics["interrupted_at"] > 0
        traj = tl.Trajectory.load(tmp_path / "r" / "trajectory.h5")
        assert traj.steps[-1] <= metrics["interrupted_at"] and len(traj) >= 1
    else:
        assert not (tmp_path / "r").exists()


SWEEP_SCRIPT = """
import sys, numpy as np, twolayer as tl
X, y = tl.data.thesis("1.1.0")
nets = [tl.init_net(2, 60, "relu", "none", init="balanced", scale=s, seed=0) for s in np.logspace(-3, -1, 8)]
tl.train_many(nets, X, y, optimizer=tl.GD(1e-3), steps=2, quiet=True)          # compiled (or cached) first
print("ready", flush=True)
try:
    tl.train_many(nets, X, y, optimizer=tl.GD(1e-3), steps=10**9, record_every=10**6, quiet=True)
except KeyboardInterrupt as err:
    print(type(err).__name__, err.step, flush=True)
    sys.exit(130)
"""


def test_ctrl_c_stops_a_compiled_sweep_within_a_second():
    proc = subprocess.Popen([sys.executable, "-c", SWEEP_SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=default_sigint)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.5)
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    waited = time.perf_counter() - sent
    assert proc.returncode == 130, err
    name, step = out.split()
    assert name == "Interrupted" and 0 < int(step) < 10**9
    assert waited < 3.0, waited          # 8 runs of 10^9 steps would take minutes


# -- honest divergence and dead networks -----------------------------------------------------------
def test_exploding_parameters_are_a_divergence_with_a_meaningful_hint():
    X, y = tl.data.thesis("1.1.0")
    net = tl.init_net(2, 60, "relu", "none", init="balanced", scale=1e-3)
    with pytest.raises(tl.DivergenceError) as info:
        tl.train(net, X, y, loss="square", optimizer=tl.GD(1e6), steps=2000, engine="numpy")
    msg = str(info.value)
    assert "exploded" in msg
    assert "initialisation" in msg or "did not exceed the initial loss" in msg
    lr = float(msg.rsplit("try lr=", 1)[1].rstrip("."))
    assert 1e-6 < lr < 10          # not 8.5e-81 from deep inside the blow-up
    # the suggested step size trains
    run = tl.train(net, X, y, loss="square", optimizer=tl.GD(lr), steps=200, engine="numpy")
    assert np.isfinite(run.train_loss[-1])


def test_all_dead_relu_units_are_a_warning_with_their_step():
    X = np.array([[1.0, 1.0], [2.0, 1.0]])
    y = np.array([1.0, -1.0])
    W = -np.abs(np.random.default_rng(0).normal(size=(6, 2)))     # w . x < 0 on both inputs: all dead
    net = tl.Net(np.ones(6), W, activation="relu", scaling="none")
    with pytest.warns(tl.TwolayerWarning, match="all 6 ReLU units inactive"):
        run = tl.train(net, X, y, optimizer=tl.GD(0.1), steps=10, engine="numpy")
    assert run.info["warnings"] == ["all 6 ReLU units inactive on the training data from step 0: the network is "
                                    "constant and no longer trains; lower the step size or start from a larger scale"]
    live = tl.Net(np.ones(6), -W, activation="relu", scaling="none")
    assert "warnings" not in tl.train(live, X, y, optimizer=tl.GD(0.01), steps=10, engine="numpy").info
    # the threaded sweep path checks its runs the same way
    with pytest.warns(tl.TwolayerWarning):
        runs = tl.train_many([net, live], X, y, optimizer=tl.GD(0.01), steps=10, engine="numba", quiet=True)
    assert runs[0].info["threads"] >= 1 and runs[0].info["warnings"] == run.info["warnings"]
    assert "warnings" not in runs[1].info


def test_an_experiment_reports_its_dead_runs(tmp_path, monkeypatch):
    """A run inside an experiment whose ReLU units all die shows up in metrics.json, report.md and on stderr."""
    from dataclasses import dataclass

    from twolayer.experiments import EXPERIMENTS, Experiment

    @dataclass
    class Config:
        seed: int = 0

    def run(cfg, ctx):
        X = np.array([[1.0, 1.0], [2.0, 1.0]])
        W = -np.abs(np.random.default_rng(cfg.seed).normal(size=(6, 2)))
        tl.train(tl.Net(np.ones(6), W, activation="relu", scaling="none"), X, np.array([1.0, -1.0]),
                 optimizer=tl.GD(0.1), steps=10, engine="numpy", quiet=True)
        return {"ran": 1}

    monkeypatch.setitem(EXPERIMENTS, "dead-demo", Experiment("dead-demo", "none", "A demo.", Config, run))
    assert main(["run", "dead-demo", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["warnings"] == ["all 6 ReLU units inactive on the training data from step 0: the network is "
                                   "constant and no longer trains; lower the step size or start from a larger scale"]
    assert "**Warning** (1 run(s)): all 6 ReLU units inactive" in (tmp_path / "r" / "report.md").read_text()


# -- a command line that explains itself ------------------------------------------------------------
def test_train_help_lists_every_choice_and_default(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    for name in tl.data.DATASETS + ("leaky_relu", "sigmoid", "mean-field", "ntk", "balanced", "sphere", "logistic",
                                     "cross_entropy", "half_mean", "numba", "default: 60", "--keep-partial"):
        assert name in " ".join(out.split()), name


def test_show_and_run_help_list_the_settings(capsys):
    assert main(["show", "saddle-to-saddle"]) == 0
    shown = capsys.readouterr().out
    assert "epochs" in shown and "30000" in shown and "snapshot_epochs" in shown
    assert main(["run", "saddle-to-saddle", "--help"]) == 0
    assert capsys.readouterr().out == shown
    assert main(["run", "sadle-to-saddle"]) == 2
    assert "did you mean 'saddle-to-saddle'" in capsys.readouterr().err


def test_list_is_sorted_and_names_the_source(capsys):
    assert main(["list"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if not ln.startswith(" ")]
    names = [ln.split()[0] for ln in lines]
    assert names == sorted(names) and len(names) == len(tl.experiments.EXPERIMENTS)
    assert not any("_" in ln and ".txt" in ln for ln in lines)      # no seed file hashes


def test_plots_attribute_and_short_repr():
    assert tl.plots.loss_curve is not None
    net = tl.init_net(2, 1000, "relu", "ntk", init="gaussian", scale=0.5, seed=3)
    text = repr(net)
    assert "\n" not in text and len(text) < 120
    assert "width=1000" in text and "relu" in text and "ntk" in text and "gaussian(scale=0.5, seed=3)" in text

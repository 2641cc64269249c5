"""Every experiment's folder holds its stored runs: redraw without training, reuse, resume."""

import json

import pytest

from twolayer.cli import main
from twolayer.experiments import EXPERIMENTS
from twolayer.results import redraw, run_experiment

TIMING = ("elapsed_s", "compile_s", "redrawn_s", "runs_computed", "runs_reused", "reused")


def _numbers(metrics: dict) -> dict:
    """The metrics without timings, as JSON stores them."""
    return json.loads(json.dumps({k: v for k, v in metrics.items() if k not in TIMING}, default=str))


def _approx(value):
    if isinstance(value, dict):
        return {k: _approx(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_approx(v) for v in value]
    return pytest.approx(value, rel=1e-12, abs=1e-300) if isinstance(value, float) else value


def same_numbers(a: dict, b: dict) -> bool:
    """Whether metrics ``a`` and ``b`` agree, timings aside, floats to 1e-12."""
    return _approx(_numbers(a)) == _numbers(b)


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_redraw_draws_every_experiment_again_from_its_stored_runs_without_training(name, quick_results):
    folder, metrics = quick_results(name)
    figures = sorted(p.name for p in (folder / "figures").glob("*.png"))
    _, again = redraw(folder)      # train() refuses to run while redrawing: nothing trains
    assert again["runs_computed"] == 0
    assert same_numbers(again, metrics)
    assert sorted(p.name for p in (folder / "figures").glob("*.png")) == figures
    assert (folder / "report.md").read_text().count("![") == len(figures) or name == "thesis"


def test_a_complete_folder_of_the_same_config_is_reused_and_fresh_computes_again(tmp_path, capsys):
    out = tmp_path / "s2s"
    assert main(["run", "saddle-to-saddle", "--quick", "--quiet", "--out", str(out)]) == 0
    first = json.loads((out / "metrics.json").read_text())
    assert first["runs_computed"] == 2                  # the drawn run and the sweep of further seeds
    assert main(["run", "saddle-to-saddle", "--quick", "--quiet", "--out", str(out)]) == 0
    assert "reused" in capsys.readouterr().out
    assert json.loads((out / "metrics.json").read_text()) == first          # untouched
    _, fresh = run_experiment("saddle-to-saddle", quick=True, out=out, quiet=True, fresh=True)
    assert fresh["runs_computed"] == 2 and fresh["final_loss"] == first["final_loss"]
    _, other = run_experiment("saddle-to-saddle", quick=True, out=out, quiet=True, overrides={"epochs": "20000"})
    assert other["runs_computed"] == 2 and other["final_loss"] != first["final_loss"]


def test_an_interrupted_experiment_resumes_from_the_runs_it_stored(tmp_path, monkeypatch):
    from twolayer import runstore

    out = tmp_path / "init"
    real = runstore.RunStore.run

    def interrupted_after_two(self, name, compute, **settings):
        if self.computed == 2:
            raise KeyboardInterrupt       # Ctrl-C in the middle of the third run
        return real(self, name, compute, **settings)

    monkeypatch.setattr(runstore.RunStore, "run", interrupted_after_two)
    with pytest.raises(KeyboardInterrupt):
        run_experiment("init-scale-transition", quick=True, out=out, quiet=True)
    assert not out.exists() and len(list(tmp_path.glob(".init.tmp-*/store/*.h5"))) == 2
    monkeypatch.undo()
    _, metrics = run_experiment("init-scale-transition", quick=True, out=out, quiet=True)
    assert metrics["runs_reused"] == 2 and metrics["runs_computed"] >= 1
    assert not list(tmp_path.glob(".init*"))                 # the interrupted folder was taken over and removed
    _, fresh = run_experiment("init-scale-transition", quick=True, out=tmp_path / "fresh", quiet=True)
    assert same_numbers(fresh, metrics)              # resuming changes no number


def test_redraw_refuses_a_folder_that_is_not_an_experiments(tmp_path, capsys):
    (tmp_path / "mine").mkdir()
    assert main(["redraw", str(tmp_path / "mine")]) == 2
    assert "not an experiment's results folder" in capsys.readouterr().err


def test_redraw_of_a_train_folder_reads_its_trajectory(tmp_path, capsys):
    out = tmp_path / "t"
    assert main(["train", "--data", "thesis-1.1.0", "--width", "20", "--steps", "300", "--quiet", "--out", str(out)]) == 0
    before = json.loads((out / "metrics.json").read_text())
    (out / "figures" / "loss.png").unlink()
    assert main(["redraw", str(out)]) == 0
    assert "1 stored run(s)" in capsys.readouterr().out
    assert (out / "figures" / "loss.png").exists()
    assert same_numbers(json.loads((out / "metrics.json").read_text()), before)


def test_a_killed_experiment_resumes_from_the_units_it_stored(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from twolayer import runstore

    out = tmp_path / "ist"
    cmd = [sys.executable, "-m", "twolayer.cli", "run", "init-scale-transition", "--quick", "--quiet", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".ist.tmp-*/store/*.h5")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = list(tmp_path.glob(".ist.tmp-*/store/*.h5"))
    assert stored and not out.exists()
    value, meta = runstore.load(stored[0])
    assert meta["name"] == "train" and len(value) == 7          # one activation's sweep over the 7 quick scales
    _, metrics = run_experiment("init-scale-transition", quick=True, out=out, quiet=True)
    assert metrics["runs_reused"] == len(stored) and metrics["runs_computed"] == 9 - len(stored)   # 3 activations x 3 quick seeds
    assert not list(tmp_path.glob(".ist*"))


def test_an_interrupted_reproduce_finishes_without_redoing_finished_experiments(tmp_path, monkeypatch):
    from twolayer import results, runstore

    subset = {k: EXPERIMENTS[k] for k in ("saddle-to-saddle", "init-scale-transition")}
    monkeypatch.setattr(results, "EXPERIMENTS", subset)
    real = runstore.RunStore.run

    def ctrl_c_in_the_second_unit(self, name, compute, **settings):
        if self.experiment == "init-scale-transition" and self.computed == 1:
            raise KeyboardInterrupt
        return real(self, name, compute, **settings)

    monkeypatch.setattr(runstore.RunStore, "run", ctrl_c_in_the_second_unit)
    with pytest.raises(KeyboardInterrupt):
        results.reproduce(quick=True, out=tmp_path, quiet=True, log=lambda *_: None)
    monkeypatch.setattr(runstore.RunStore, "run", real)
    lines = []
    _, failures = results.reproduce(quick=True, out=tmp_path, quiet=True, log=lines.append)
    assert failures == 0
    assert "[saddle-to-saddle] reused" in "\n".join(lines)
    assert "1 stored run(s) reused" in "\n".join(lines)                 # init-scale-transition resumed
    metrics = json.loads((tmp_path / "init-scale-transition" / "metrics.json").read_text())
    assert (metrics["runs_reused"], metrics["runs_computed"]) == (1, 8)


def test_reproduce_in_two_processes_gives_the_serial_numbers(tmp_path, monkeypatch):
    from twolayer import results

    subset = {k: EXPERIMENTS[k] for k in ("ntk-concentration", "gradient-checks", "saddle-to-saddle")}
    monkeypatch.setattr(results, "EXPERIMENTS", subset)        # the parent's view; workers run each by name
    lines = []
    gallery, failures = results.reproduce(quick=True, out=tmp_path, quiet=True, jobs=2, log=lines.append)
    assert failures == 0 and gallery.exists()
    assert "running 3 experiments in 2 processes" in lines[0]
    for name in subset:
        assert json.loads((tmp_path / name / "metrics.json").read_text())["runs_computed"] >= 1
    _, serial = run_experiment("gradient-checks", quick=True, out=tmp_path / "serial", quiet=True)
    assert same_numbers(json.loads((tmp_path / "gradient-checks" / "metrics.json").read_text()), serial)


def test_the_store_says_which_units_it_holds(tmp_path):
    from twolayer.runstore import RunStore

    store = RunStore(tmp_path / "a", "demo", {"x": 1})
    assert not store.has("train", seed=0)
    assert store.run("train", lambda: [1.0, 2.0], seed=0) == [1.0, 2.0]
    assert store.has("train", seed=0) and not store.has("train", seed=1)
    later = RunStore(tmp_path / "b", "demo", {"x": 1}, sources=[tmp_path / "a"])   # a finished folder to reuse
    assert later.has("train", seed=0) and not RunStore(tmp_path / "c", "demo", {"x": 2}, sources=[tmp_path / "a"]).has("train", seed=0)


def test_reproduce_starts_the_longest_experiments_first():
    from twolayer import results

    assert set(results.QUICK_SECONDS) <= set(EXPERIMENTS)            # no estimate for an experiment that is gone
    assert set(EXPERIMENTS) - set(results.QUICK_SECONDS) <= {"thesis"}  # every first-wave experiment has one
    order = results.longest_first(list(EXPERIMENTS))
    assert order[0] == "mnist-stable-rank" and order[-1] == "thesis"
    assert [results.QUICK_SECONDS.get(n, 0) for n in order] == sorted((results.QUICK_SECONDS.get(n, 0) for n in order),
                                                                      reverse=True)

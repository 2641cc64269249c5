"""Studies (issue 17): spec validation, the run index, resume after a kill -9, local and Dask
executors giving the same rows, failures as rows, own data, provenance, and the study commands."""

import json
import os
import signal
import subprocess
import sys
import time

import numba
import numpy as np
import pandas as pd
import pytest

import twolayer as tl
from twolayer.study import Study
from twolayer.study.report import trend

SPEC = {"name": "t", "data": {"name": "thesis-1.1.0"},
        "net": {"width": 20, "activation": "relu", "scaling": "none", "init": "balanced", "scale": 1e-3},
        "train": {"loss": "square", "reduction": "mean", "steps": 2000},
        "optimizer": {"name": "gd", "lr": 0.01},
        "grid": {"scale": [1e-3, 1e-1]}, "seeds": {"init": 3},
        "record": {"metrics": ["final_loss", "relative_weight_change", "time_to_loss(1e-3)"],
                   "curves": ["train_loss"], "points": 30}}
METRICS = ["final_loss", "relative_weight_change", "time_to_loss(1e-3)"]


def cli(*args, cwd, timeout=600):
    proc = subprocess.run([sys.executable, "-m", "twolayer.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def toml(spec: dict) -> str:
    """A TOML text of the (flat-enough) spec dicts used here."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return repr(v)
    lines = [f"{k} = {value(v)}" for k, v in spec.items() if not isinstance(v, dict)]
    for section, table in spec.items():
        if isinstance(table, dict):
            lines.append(f"[{section}]")
            lines += [f"{json.dumps(k) if '.' in k or '(' in k else k} = {value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def test_table_has_one_row_per_run_with_independently_checked_metrics(tmp_path):
    study = Study(SPEC, tmp_path / "s")
    threads = numba.get_num_threads()
    counts = study.run(workers=1, quiet=True)
    assert numba.get_num_threads() == threads       # an in-process study leaves the caller's threads
    assert counts == {**counts, "total": 6, "ran": 6, "done": 6, "failed": 0, "diverged": 0}
    df = study.table()
    assert len(df) == 6 and set(df["status"]) == {"done"} and df["run_id"].is_unique
    assert sorted(zip(df["scale"], df["init_seed"])) == sorted((s, i) for s in (1e-3, 1e-1) for i in range(3))
    X, y = tl.data.thesis("1.1.0")
    for _, row in df.iterrows():
        net = tl.init_net(2, 20, "relu", "none", init="balanced", scale=row["scale"], seed=int(row["init_seed"]))
        run = tl.train(net, X, y, loss="square", reduction="mean", optimizer=tl.GD(0.01), steps=2000,
                       record_at=tl.log_steps(2000, 30), quiet=True)
        assert row["final_loss"] == pytest.approx(run.train_loss[-1], rel=1e-9, abs=1e-15)
        change = np.linalg.norm(run.final.theta - net.theta) / np.linalg.norm(net.theta)
        assert row["relative_weight_change"] == pytest.approx(change, rel=1e-9)
        hit = run.times[np.argmax(run.train_loss < 1e-3)] if np.any(run.train_loss < 1e-3) else np.nan
        assert row["time_to_loss(1e-3)"] == pytest.approx(hit, nan_ok=True)
        for key in ("python", "numpy", "numba", "twolayer", "git_commit", "utc", "command", "engine_used"):
            assert key in row
        assert row["engine_used"] in ("numba", "numpy") and row["twolayer"] == tl.__version__
    curves = study.curves("train_loss")
    assert len(curves) == 6 * len(tl.log_steps(2000, 30)) and {"scale", "init_seed"} <= set(curves.columns)


def test_resume_skips_finished_runs_and_a_larger_grid_runs_only_the_new_ones(tmp_path):
    study = Study(SPEC, tmp_path / "s")
    study.run(workers=1, quiet=True)
    before = study.table().set_index("run_id")
    assert study.run(workers=1, quiet=True)["ran"] == 0
    bigger = Study({**SPEC, "seeds": {"init": 5}}, tmp_path / "s")
    counts = bigger.run(workers=1, quiet=True)
    assert counts["skipped"] == 6 and counts["ran"] == 4
    after = bigger.table().set_index("run_id")
    assert len(after) == 10
    pd.testing.assert_frame_equal(after.loc[before.index, METRICS], before[METRICS])
    assert len(Study.open(tmp_path / "s").table(all_runs=True)) == 10


def test_failed_and_diverged_runs_are_rows_and_the_study_goes_on(tmp_path):
    spec = {**SPEC, "grid": {"lr": [0.01, 1e6]}, "seeds": {"init": 1}}
    study = Study(spec, tmp_path / "s")
    counts = study.run(workers=1, quiet=True)
    assert counts["done"] == 1 and counts["diverged"] == 1
    df = study.table().set_index("lr")
    assert df.loc[1e6, "status"] == "diverged" and "diverged" in df.loc[1e6, "error"]
    assert np.isnan(df.loc[1e6, "final_loss"])
    flow = {**SPEC, "optimizer": {"name": "flow", "max_evals": 5}, "train": {**SPEC["train"], "steps": None},
            "grid": {"t_max": [5.0]}, "seeds": {"init": 2}}
    del flow["train"]["steps"]
    counts = Study(flow, tmp_path / "f").run(workers=1, quiet=True)
    assert counts["failed"] == 2
    df = Study.open(tmp_path / "f").table()
    assert df["error"].str.startswith("FlowStalled").all()


def test_nearly_diverged_runs_are_flagged_and_left_out_with_their_count(tmp_path):
    spec = {**SPEC, "net": {**SPEC["net"], "width": 200}, "grid": {"scale": [1e-3, 1.0]}, "seeds": {"init": 5}}
    study = Study(spec, tmp_path / "s")
    study.run(workers=1, quiet=True)
    df = study.table()
    flagged = df[df["flag"].notna()]
    assert len(flagged) > 0 and flagged["flag"].str.startswith("nearly diverged").all()
    curves = study.curves("train_loss")
    for run_id in flagged["run_id"]:                 # the flag's claim, checked on the stored curve
        c = curves[curves["run_id"] == run_id]["value"].to_numpy()
        assert c.max() > 10 * c[0]
    from twolayer.study.tables import over_seeds
    summary, excluded = over_seeds(df, "scale", "final_loss")
    assert excluded["nearly diverged"] == len(flagged) and summary["n"].sum() == len(df) - len(flagged)


def test_trend_sentence_follows_the_numbers():
    up = pd.DataFrame({"x": [1, 2, 3, 4], "mean": [1.0, 2.0, 3.0, 5.0]})
    assert trend(up, "x").startswith("rises")
    assert trend(up.assign(mean=up["mean"][::-1].to_numpy()), "x").startswith("falls")
    assert trend(up.assign(mean=[1.0, 3.0, 0.5, 2.0]), "x").startswith("has no monotone trend")


@pytest.mark.parametrize("change,words", [
    ({"nett": {}}, ["spec='nett'", "did you mean 'net'"]),
    ({"net": {"widht": 20}}, ["net.widht", "did you mean 'width'"]),
    ({"net": {"width": "many"}}, ["width", "many"]),
    ({"grid": {"scale": []}}, ["grid.scale", "empty"]),
    ({"grid": {"sclae": [1.0]}}, ["axis", "did you mean 'scale'"]),
    ({"grid": {"scale": [1e-3, -1.0]}}, ["grid.scale", "-1.0"]),
    ({"grid": {"scale": [1.0] * 20, "width": [5] * 20}, "seeds": {"init": 300}}, ["120000 runs", "max_runs"]),
    ({"together": {"lr": [0.1, 0.2], "steps": [10]}}, ["together", "equal length"]),
    ({"record": {"metrics": ["final_los"]}}, ["record.metrics", "did you mean 'final_loss'"]),
    ({"record": {"metrics": ["time_to_loss"]}}, ["time_to_loss", "takes one number"]),
    ({"optimizer": {"name": "sgdd", "lr": 0.1}}, ["optimizer.name", "did you mean 'sgd'"]),
    ({"optimizer": {"name": "gd", "lr": 0.1, "batch_size": 2}}, ["optimizer.batch_size", "not a parameter of gd"]),
    ({"seeds": {"init": 0}}, ["seeds.init"]),
    ({"data": {"file": "missing.csv"}}, ["missing.csv", "no such file"]),
])
def test_spec_errors_exit_2_with_one_line_before_any_run(tmp_path, change, words):
    (tmp_path / "spec.toml").write_text(toml({**SPEC, **change}))
    rc, out, err = cli("study", "run", "spec.toml", "--out", "s", "--quiet", cwd=tmp_path)
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, (w, err)
    assert not (tmp_path / "s").exists()


def test_malformed_toml_and_a_users_folder_are_refused(tmp_path):
    (tmp_path / "bad.toml").write_text("[net\nwidth = 3\n")
    rc, _, err = cli("study", "run", "bad.toml", cwd=tmp_path)
    assert rc == 2 and "not valid TOML" in err
    (tmp_path / "spec.toml").write_text(toml(SPEC))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    rc, _, err = cli("study", "run", "spec.toml", "--out", "mine", cwd=tmp_path)
    assert rc == 2 and "--out" in err and (tmp_path / "mine" / "notes.txt").read_text() == "keep"


def test_own_data_file_in_a_spec_and_the_cli_commands(tmp_path):
    X = np.array([[1.0, 1.0], [-0.5, 1.0], [0.3, 1.0]])
    y = np.array([0.5, 0.2, -0.1])
    np.savez(tmp_path / "mine.npz", X=X, y=y)
    spec = {**SPEC, "data": {"file": "mine.npz"}, "grid": {"scale": [1e-3, 1e-2, 1e-1]}}
    (tmp_path / "spec.toml").write_text(toml(spec))
    rc, out, err = cli("study", "run", "spec.toml", "--out", "s", "--workers", "1", "--quiet", cwd=tmp_path)
    assert rc == 0, err
    assert "9 run(s)" in out
    df = Study.open(tmp_path / "s").table()
    assert set(df["data_name"]) == {"mine.npz"} and len(df) == 9
    rc, out, err = cli("study", "show", "s", cwd=tmp_path)
    assert rc == 0 and "done      9" in out
    rc, out, err = cli("study", "plot", "s", "--x", "scale", "--y", "relative_weight_change", "--logx", "--logy",
                       cwd=tmp_path)
    assert rc == 0, err
    assert (tmp_path / "s" / "figures" / "plot_relative_weight_change_vs_scale.png").exists()
    assert "falls with scale" in out           # the lazier the start, the less the weights move
    assert "relative_weight_change against scale" in (tmp_path / "s" / "report.md").read_text()
    rc, _, err = cli("study", "plot", "s", "--x", "scael", "--y", "final_loss", cwd=tmp_path)
    assert rc == 2 and "--x='scael'" in err and "did you mean 'scale'" in err


# long enough (about 0.4 s per run on a 2-core machine) that the study outlives its first flush
# (FLUSH_SECONDS) by several seconds, so that the kill lands mid-study
KILL_SPEC = {**SPEC, "train": {**SPEC["train"], "steps": 3000000}, "grid": {"scale": [1e-3, 1e-2, 1e-1, 0.3]},
             "seeds": {"init": 6}, "record": {**SPEC["record"], "points": 20}}


def test_kill_9_mid_study_then_resume_gives_the_uninterrupted_table(tmp_path):
    (tmp_path / "spec.toml").write_text(toml(KILL_SPEC))
    args = [sys.executable, "-m", "twolayer.cli", "study", "run", "spec.toml", "--out", "s", "--workers", "1",
            "--quiet"]
    proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while time.time() < deadline and not list((tmp_path / "s" / "runs").glob("part-*.parquet")):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = Study.open(tmp_path / "s").table()          # readable after the kill
    assert 0 < len(partial) < 24
    rc, out, err = cli("study", "run", "spec.toml", "--out", "s", "--workers", "1", "--quiet", cwd=tmp_path)
    assert rc == 0, err
    assert f"{24 - len(partial)} run(s)" in out and f"{len(partial)} already there" in out
    resumed = Study.open(tmp_path / "s").table().set_index("run_id").sort_index()
    whole = Study(KILL_SPEC, tmp_path / "w")
    whole.run(workers=1, quiet=True)
    fresh = whole.table().set_index("run_id").sort_index()
    pd.testing.assert_frame_equal(resumed[METRICS + ["status", "scale"]], fresh[METRICS + ["status", "scale"]])


def test_local_and_dask_executors_give_identical_rows(tmp_path):
    pytest.importorskip("dask.distributed")
    spec = {**SPEC, "grid": {"scale": [1e-3, 1e-1], "width": [10, 20]}, "seeds": {"init": 2, "order": [0, 1]},
            "optimizer": {"name": "sgd", "lr": 0.01, "batch_size": 2}}
    local = Study(spec, tmp_path / "local")
    local.run(executor="local", workers=2, quiet=True)
    dask = Study(spec, tmp_path / "dask")
    counts = dask.run(executor="dask", workers=2, quiet=True)
    assert counts["done"] == 16
    a = local.table().set_index("run_id").sort_index()
    b = dask.table().set_index("run_id").sort_index()
    assert set(a["pid"]) == {os.getpid()} and os.getpid() not in set(b["pid"])    # Dask ran in its workers
    pd.testing.assert_frame_equal(a[METRICS + ["status", "engine_used"]], b[METRICS + ["status", "engine_used"]],
                                  check_exact=True)
    ca, cb = local.curves("train_loss"), dask.curves("train_loss")
    key = ["run_id", "step"]
    pd.testing.assert_frame_equal(ca.sort_values(key).reset_index(drop=True)[["run_id", "step", "value"]],
                                  cb.sort_values(key).reset_index(drop=True)[["run_id", "step", "value"]],
                                  check_exact=True)


def test_reference_engine_runs_go_to_worker_processes_with_the_same_rows(tmp_path):
    """Runs on the reference engine hold the GIL, so threads would not help: with 2 workers they
    run in a process pool and give the rows of a serial run (gradient flow through SciPy)."""
    spec = {**SPEC, "optimizer": {"name": "flow", "rtol": 1e-8, "atol": 1e-12}, "train": {"loss": "square",
            "reduction": "mean", "t_max": 5.0, "engine": "numpy"}, "grid": {"scale": [1e-2, 1e-1]},
            "seeds": {"init": 2}}
    serial = Study(spec, tmp_path / "one")
    serial.run(workers=1, quiet=True)
    pooled = Study(spec, tmp_path / "two")
    assert pooled.run(workers=2, quiet=True, chunk_size=1)["done"] == 4
    a = serial.table().set_index("run_id").sort_index()
    b = pooled.table().set_index("run_id").sort_index()
    assert os.getpid() not in set(b["pid"]) and len(set(b["pid"])) >= 1
    pd.testing.assert_frame_equal(a[METRICS], b[METRICS], check_exact=True)

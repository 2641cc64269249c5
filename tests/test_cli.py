"""The command line and the saddle-to-saddle experiment end to end."""

import json
import subprocess
import sys

import numpy as np
import pytest

import twolayer as tl
from twolayer.cli import main


def test_saddle_to_saddle_reproduces_the_thesis(tmp_path, capsys):
    out = tmp_path / "s2s"
    assert main(["run", "saddle-to-saddle", "--quick", "--out", str(out), "--quiet"]) == 0
    assert "results in" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    config = json.loads((out / "config.json").read_text())
    assert config["epochs"] == 30_000 and config["reduction"] == "mean" and "version" in config
    # implicit bias: GD from a tiny balanced start ends at the minimum-norm interpolator
    assert metrics["theta_norm"] == pytest.approx(metrics["min_norm"], rel=0.01)
    assert metrics["min_norm"] == pytest.approx(np.sqrt(2 * (np.sqrt(0.2) + np.sqrt(0.8))), rel=1e-12)
    assert metrics["final_loss"] < 1e-10
    # two plateaus: at the saddle 0 (loss 1) and after fitting the positive label (loss 1/2)
    assert metrics["plateau_count"] == 2
    assert metrics["plateau_levels"][0] == pytest.approx(1.0, abs=0.01)
    assert metrics["plateau_levels"][1] == pytest.approx(0.5, abs=0.01)
    assert 4000 < metrics["epoch_loss_below_0.55"] < 8000 < 10000 < metrics["epoch_loss_below_0.01"] < 20000
    assert metrics["max_balance_drift"] < 1e-10
    for name in ("loss", "neurons"):
        for ext in ("png", "pdf"):
            assert (out / "figures" / f"{name}.{ext}").stat().st_size > 1000
    report = (out / "report.md").read_text()
    assert "figures/neurons.png" in report and "1/n" in report
    traj = tl.Trajectory.load(out / "trajectory.h5")
    assert traj.final.norm == pytest.approx(metrics["theta_norm"], rel=1e-14)


def test_set_overrides_are_typed_and_unknown_keys_listed(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", "saddle-to-saddle", "--out", str(out), "--quiet", "--set", "epochs=2000",
                 "--set", "snapshot_epochs=0,1000"]) == 0
    assert json.loads((out / "config.json").read_text())["epochs"] == 2000
    assert main(["run", "saddle-to-saddle", "--set", "epoch=5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "epoch" in err[0] and "valid keys" in err[0] and "epochs" in err[0]
    assert main(["run", "saddle-to-saddle", "--set", "epochs=many"]) == 2
    assert "int" in capsys.readouterr().err


def test_user_errors_exit_2_with_one_line(tmp_path):
    for args in (["run", "no-such-experiment"], ["train", "--activation", "softsign", "--out", str(tmp_path / "x")],
                 ["train", "--optimizer", "gd", "--lr", "1e12", "--activation", "identity", "--scale", "1",
                  "--out", str(tmp_path / "y"), "--quiet"], ["bogus-command"]):
        proc = subprocess.run([sys.executable, "-m", "twolayer.cli", *args], capture_output=True, text=True)
        assert proc.returncode == 2, args
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("twolayer: error:"), proc.stderr
        assert "Traceback" not in proc.stderr


def test_a_closed_pipe_stops_the_command_quietly():
    """twolayer list | head -1, with the reader gone before anything is written: exit status 141
    (128 + SIGPIPE, as a Unix tool) and no traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "twolayer.cli", "list"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()
    assert proc.wait(timeout=120) == 141
    assert proc.stderr.read() == b""


def test_list_and_train_and_reproduce(tmp_path, capsys):
    assert main(["list"]) == 0
    assert "saddle-to-saddle" in capsys.readouterr().out
    out = tmp_path / "t"
    assert main(["train", "--data", "teacher-2d", "--scaling", "mean-field", "--init", "sphere", "--scale", "1",
                 "--lr", "2", "--steps", "500", "--out", str(out), "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    traj = tl.Trajectory.load(out / "trajectory.h5")
    assert metrics["final_loss"] == traj.train_loss[-1] < 0.5 * traj.train_loss[0]
    assert metrics["final_test_loss"] == traj.test_loss[-1] > 0
    assert (out / "figures" / "loss.png").exists()
    root = tmp_path / "gallery"
    assert main(["reproduce", "--quick", "--out", str(root), "--quiet"]) == 0
    index = (root / "index.html").read_text()
    assert "saddle-to-saddle/report.md" in index and "saddle-to-saddle/figures/loss.png" in index
    assert not list(root.glob(".*tmp*"))  # atomic writes leave no temporary folders


def test_playground_refuses_a_busy_or_invalid_port(capsys):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        assert main(["playground", "--port", str(port)]) == 2
    assert f"--port={port}" in capsys.readouterr().err
    assert main(["playground", "--port", "70000"]) == 2
    assert "65535" in capsys.readouterr().err

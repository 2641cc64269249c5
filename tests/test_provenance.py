"""Own data on the command line (``twolayer train --data FILE``) and the provenance every results
folder records: versions, git commit, UTC time, command line, the engine that ran and the init."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest

import twolayer as tl
from twolayer.provenance import provenance


def cli(*args, cwd):
    proc = subprocess.run([sys.executable, "-m", "twolayer.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def test_provenance_fields():
    p = provenance()
    assert set(p) == {"python", "numpy", "numba", "twolayer", "git_commit", "utc", "command"}
    assert p["numpy"] == np.__version__ and p["twolayer"] == tl.__version__
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["utc"])
    assert p["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", p["git_commit"])


def test_train_on_a_csv_file_records_data_hash_init_and_engine(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    rows = "\n".join(",".join(repr(float(v)) for v in (*x, t)) for x, t in zip(X, y))
    (tmp_path / "mine.csv").write_text("u,v,w,target\n" + rows + "\n")
    rc, out, err = cli("train", "--data", "mine.csv", "--label", "target", "--width", "16", "--scaling", "ntk",
                       "--init", "gaussian", "--scale", "1", "--lr", "0.05", "--steps", "300", "--engine", "numpy",
                       "--init-seed", "4", "--order-seed", "9", "--quiet", "--out", "r", cwd=tmp_path)
    assert rc == 0, err
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert config["init_seed"] == 4 and config["order_seed"] == 9 and config["engine_used"] == "numpy"
    assert config["init"] == "gaussian(scale=1, seed=4)"
    assert config["data_hash"] == tl.data.files.content_hash(X, y, None, None)
    prov = config["provenance"]
    assert prov["command"].startswith("twolayer train --data mine.csv") and prov["twolayer"] == tl.__version__
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    # an independent check of the file's numbers: the same run from the arrays in Python
    net = tl.init_net(3, 16, "relu", "ntk", init="gaussian", scale=1.0, seed=4)
    run = tl.train(net, X, y, optimizer=tl.GD(0.05), steps=300, engine="numpy", quiet=True)
    assert metrics["final_loss"] == pytest.approx(run.train_loss[-1], rel=1e-12)


@pytest.mark.parametrize("content,args,words", [
    ("a,b,y\n1,2,3\n4,5\n", [], ["--data", "row 3 has 2 fields"]),
    ("a,b,y\n1,x,3\n", [], ["row 2", "'b'", "'x'"]),
    ("a,b,y\n1,nan,3\n", [], ["row 2", "not finite"]),
    ("a,b,y\n1,2,3\n", ["--label", "lbl"], ["--label", "no column 'lbl'"]),
    ("a,b,y\n1,2,0.5\n", ["--loss", "logistic"], ["{-1, +1}", "mine.csv"]),
])
def test_bad_data_files_are_one_line_naming_the_file(tmp_path, content, args, words):
    (tmp_path / "mine.csv").write_text(content)
    rc, out, err = cli("train", "--data", "mine.csv", "--steps", "10", "--out", "r", *args, cwd=tmp_path)
    assert rc == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for w in words:
        assert w in err, (w, err)
    assert not (tmp_path / "r").exists()


def test_run_records_the_engines_that_ran_and_provenance(tmp_path):
    rc, out, err = cli("run", "saddle-to-saddle", "--quick", "--engine", "numpy", "--quiet", "--out", "s",
                       cwd=tmp_path)
    assert rc == 0, err
    config = json.loads((tmp_path / "s" / "config.json").read_text())
    assert config["engines_used"] == ["numpy"] and config["provenance"]["command"].startswith("twolayer run")

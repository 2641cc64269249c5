"""The MNIST loader: parsing the shared files, and the download-and-verify path against a file URL
and a local HTTP server, corrupted copies included."""

import functools
import gzip
import http.server
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

import twolayer as tl
from twolayer.data.mnist import FILES, mnist_file, read_idx

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
pytestmark = pytest.mark.skipif(not (SHARED / "t10k-labels-idx1-ubyte.gz").exists(), reason="shared MNIST copy absent")


def test_parser_on_the_real_files():
    X, y = tl.data.mnist("train", data_dir=SHARED)
    assert X.shape == (60_000, 784) and X.dtype == np.float32
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    np.testing.assert_array_equal(y[:5], [5, 0, 4, 1, 9])
    Xt, yt = tl.data.mnist("test", data_dir=SHARED, flatten=False, dtype=np.uint8)
    assert Xt.shape == (10_000, 28, 28) and Xt.dtype == np.uint8 and yt.shape == (10_000,)
    # the raw bytes: an IDX image is the flattened row-major 28 x 28 block after the 16-byte header
    with gzip.open(SHARED / "t10k-images-idx3-ubyte.gz") as fh:
        raw = fh.read()
    np.testing.assert_array_equal(Xt[3].ravel(), np.frombuffer(raw[16 + 3 * 784:16 + 4 * 784], np.uint8))


def test_environment_variable_and_unknown_split(monkeypatch):
    monkeypatch.setenv("TWOLAYER_DATA_DIR", str(SHARED))
    _, y = tl.data.mnist("test")
    assert len(y) == 10_000
    with pytest.raises(tl.InvalidParameter, match="split"):
        tl.data.mnist("validation")


def mirror_with(folder: Path, corrupt: bool = False) -> Path:
    folder.mkdir()
    for name in ("t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"):
        shutil.copy(SHARED / name, folder / name)
        if corrupt:  # a valid gzip file whose contents lost a byte
            data = gzip.decompress((folder / name).read_bytes())
            (folder / name).write_bytes(gzip.compress(data[:-1]))
    return folder


def test_download_from_file_url_verifies_and_skips_a_corrupted_mirror(tmp_path):
    bad = mirror_with(tmp_path / "bad", corrupt=True).as_uri() + "/"
    good = mirror_with(tmp_path / "good").as_uri() + "/"
    cache = tmp_path / "cache"
    path = mnist_file("t10k-labels-idx1-ubyte.gz", cache, mirrors=[bad, good])
    assert path == cache / "t10k-labels-idx1-ubyte.gz"
    np.testing.assert_array_equal(read_idx(path), read_idx(SHARED / "t10k-labels-idx1-ubyte.gz"))
    assert sorted(p.name for p in cache.iterdir()) == ["t10k-labels-idx1-ubyte.gz"]  # no temporary files left
    with pytest.raises(tl.DataUnavailable, match="corrupted"):
        mnist_file("t10k-images-idx3-ubyte.gz", cache, mirrors=[bad])
    assert not (cache / "t10k-images-idx3-ubyte.gz").exists()


def test_download_over_http_from_a_local_server(tmp_path):
    served = mirror_with(tmp_path / "served")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        X, y = tl.data.mnist("test", tmp_path / "cache", mirrors=["http://127.0.0.1:9/nothing/", url])
    finally:
        server.shutdown()
    assert X.shape == (10_000, 784) and np.bincount(y).sum() == 10_000


def test_clear_errors_when_files_cannot_be_had(tmp_path):
    with pytest.raises(tl.DataUnavailable, match="TWOLAYER_DATA_DIR"):
        mnist_file("train-labels-idx1-ubyte.gz", tmp_path, download=False)
    with pytest.raises(tl.DataUnavailable, match="could not download.*Put the four MNIST files"):
        mnist_file("train-labels-idx1-ubyte.gz", tmp_path, mirrors=[(tmp_path / "nowhere").as_uri() + "/"])
    # a corrupted file already in place is reported, never parsed
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(tl.DataUnavailable, match="corrupted.*" + FILES["train-labels-idx1-ubyte.gz"]):
        mnist_file("train-labels-idx1-ubyte.gz", tmp_path, mirrors=[])


def test_mnist_stable_rank_experiment(tmp_path):
    """Problem 3.3 end to end on the shared files: under 5% training error, the sheet's figure, and
    relative stable ranks for the five times over the five sigmas."""
    import json

    from twolayer.cli import main

    out = tmp_path / "mnist"
    assert main(["run", "mnist-stable-rank", "--quick", "--quiet", "--out", str(out), "--set", f"data_dir={SHARED}",
                 "--set", "second_lr_factor=0"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["reached_target"] and m["train_error"] < 0.05 and m["test_error"] < 0.08
    T = m["T"]
    assert list(m["relative_stable_rank"]) == [str(t) for t in (1, T // 10, T // 5, T // 2, T)]
    assert all(len(v) == 5 for v in m["relative_stable_rank"].values())
    assert (out / "figures" / "stable_rank_mnist.png").exists()


def test_reproduce_skips_mnist_without_data(tmp_path, monkeypatch):
    """Without the files and without a reachable mirror the experiment is reported as skipped, with the
    reason, and is not counted as a failure."""
    from twolayer.experiments import EXPERIMENTS, mnist_stable_rank
    from twolayer.results import reproduce

    monkeypatch.setenv("TWOLAYER_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(mnist_stable_rank, "mnist", functools.partial(tl.data.mnist, mirrors=("file:///nonexistent/",)))
    monkeypatch.setattr("twolayer.results.EXPERIMENTS", {"mnist-stable-rank": EXPERIMENTS["mnist-stable-rank"]})
    lines = []
    _, failures = reproduce(quick=True, out=tmp_path / "res", quiet=True, log=lines.append)
    assert failures == 0 and "skipped" in lines[-1] and "TWOLAYER_DATA_DIR" in lines[-1]

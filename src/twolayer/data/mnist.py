"""MNIST from its standard gzip IDX files: find, download, verify, parse.

Where the files are looked for, in order: the ``data_dir`` argument, the environment variable
``TWOLAYER_DATA_DIR``, then the cache folder ``$XDG_CACHE_HOME/twolayer`` (``~/.cache/twolayer``).
A folder counts when it holds the files directly or in a subfolder ``mnist/``. Missing files are
downloaded from :data:`MIRRORS` into the first folder (``download=False`` forbids it). Every file
is checked against the md5 of its decompressed bytes, so a truncated or corrupted file is never
parsed: a corrupted download is discarded and the next mirror tried.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import struct
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from ..errors import DataUnavailable, InvalidParameter, check_choice

FILES = {
    "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}
SPLITS = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
          "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
           "https://storage.googleapis.com/cvdf-datasets/mnist/",
           "http://yann.lecun.com/exdb/mnist/")


def data_dirs(data_dir=None) -> list[Path]:
    """The folders searched, in order (see the module docstring)."""
    if data_dir is not None:
        return [Path(data_dir)]
    env = os.environ.get("TWOLAYER_DATA_DIR")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "twolayer"
    return ([Path(env)] if env else []) + [cache]


def _md5_of_contents(path: Path) -> str | None:
    """md5 of the decompressed bytes, or None when the file is not valid gzip."""
    h = hashlib.md5()
    try:
        with gzip.open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except (OSError, EOFError):
        return None
    return h.hexdigest()


def _locate(name: str, dirs: list[Path]) -> Path | None:
    for d in dirs:
        for candidate in (d / name, d / "mnist" / name):
            if candidate.is_file():
                return candidate
    return None


def _download(name: str, target_dir: Path, mirrors, timeout: float) -> Path:
    """Fetch ``name`` from the first mirror that serves it intact; return its path."""
    target_dir.mkdir(parents=True, exist_ok=True)
    problems = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + name
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=target_dir)
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
                shutil.copyfileobj(resp, out)
            got = _md5_of_contents(Path(tmp))
            if got != FILES[name]:
                problems.append(f"{url}: corrupted (md5 of contents {got}, expected {FILES[name]})")
                continue
            final = target_dir / name
            os.replace(tmp, final)
            return final
        except (urllib.error.URLError, OSError, ValueError) as err:
            problems.append(f"{url}: {getattr(err, 'reason', err)}")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    raise DataUnavailable(
        f"could not download {name} ({'; '.join(problems) or 'no mirrors given'}). Put the four MNIST files "
        f"({', '.join(FILES)}) in {target_dir} or in a folder named by TWOLAYER_DATA_DIR or data_dir=")


def mnist_file(name: str, data_dir=None, *, download: bool = True, mirrors=MIRRORS, timeout: float = 30.0) -> Path:
    """Path of one verified MNIST file, downloading it if needed."""
    check_choice("name", name, tuple(FILES))
    dirs = data_dirs(data_dir)
    path = _locate(name, dirs)
    if path is None:
        if not download:
            raise DataUnavailable(f"{name} is not in {', '.join(map(str, dirs))} and download=False; put the four "
                                  f"MNIST files ({', '.join(FILES)}) there or set TWOLAYER_DATA_DIR")
        return _download(name, dirs[0], mirrors, timeout)
    got = _md5_of_contents(path)
    if got != FILES[name]:
        raise DataUnavailable(f"{path} is corrupted (md5 of its contents {got}, expected {FILES[name]}); delete it "
                              "so that it is downloaded again, or replace it with an intact copy")
    return path


def read_idx(path) -> np.ndarray:
    """Parse a gzip IDX file of unsigned bytes (magic 0x0000080D, D dimensions) into a uint8 array."""
    with gzip.open(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataUnavailable(f"{path} is not an IDX file of unsigned bytes")
    ndim = raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise DataUnavailable(f"{path}: header says {shape} but holds {body.size} bytes")
    return body.reshape(shape)


def mnist(split: str = "train", data_dir=None, *, flatten: bool = True, dtype=np.float32, download: bool = True,
          mirrors=MIRRORS):
    """MNIST images and labels: ``(X, y)``.

    X : (n, 784) (or (n, 28, 28) with ``flatten=False``) of ``dtype`` with pixels scaled to [0, 1]
        (``dtype=np.uint8`` keeps the raw 0..255 bytes). y : (n,) int64 digits 0..9.
    n = 60,000 for ``split="train"``, 10,000 for ``"test"``.
    """
    check_choice("split", split, tuple(SPLITS))
    img_name, lab_name = SPLITS[split]
    images = read_idx(mnist_file(img_name, data_dir, download=download, mirrors=mirrors))
    labels = read_idx(mnist_file(lab_name, data_dir, download=download, mirrors=mirrors)).astype(np.int64)
    if images.ndim != 3 or labels.shape != (images.shape[0],):
        raise InvalidParameter("MNIST files", f"{images.shape}, {labels.shape}", "expected (n, 28, 28) images and n labels")
    X = images.reshape(len(images), -1) if flatten else images
    if np.dtype(dtype) != np.uint8:
        X = X.astype(dtype) / np.asarray(255, dtype=dtype)
    return X, labels

"""The 1D regression set of seed 001 (a two-layer ReLU network on scalar inputs).

The sheet ships a ``data/`` folder that we do not have, only its Figure 1 (red train and blue test
samples of a 1D function). This is our stand-in, generated with a fixed seed:

    x ~ U[-2, 2],   y = f*(x) + eps,   f*(x) = sin(3x) + 0.3 x,   eps ~ N(0, 0.15^2),

30 training points and 300 test points (the same noise, so the test loss of the best possible
predictor f* is 0.15^2 / 2 = 0.01125 under the 1/(2n) loss). ``notebooks/data/{train,test}.csv``
hold exactly these numbers (``python notebooks/data/make_data.py`` writes them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InvalidParameter

NOISE_STD = 0.15
INTERVAL = (-2.0, 2.0)
SIZES = {"train": 30, "test": 300}
SEED = 2025


def relu_1d_target(x) -> np.ndarray:
    """f*(x) = sin(3x) + 0.3 x, the noiseless function behind :func:`relu_1d`."""
    x = np.asarray(x, dtype=np.float64)
    return np.sin(3.0 * x) + 0.3 * x


def _generate(split: str):
    rng = np.random.default_rng([SEED, list(SIZES).index(split)])
    x = np.sort(rng.uniform(*INTERVAL, SIZES[split]))
    return x, relu_1d_target(x) + NOISE_STD * rng.standard_normal(x.size)


def read_xy_csv(path) -> tuple[np.ndarray, np.ndarray]:
    """Read a two-column CSV with header ``x,y`` into (x, y) float64 arrays."""
    path = Path(path)
    if not path.is_file():
        raise InvalidParameter("data_dir", str(path.parent), f"has no {path.name}; expected files train.csv and test.csv with header x,y")
    with open(path) as fh:
        header = fh.readline().strip().replace(" ", "")
    if header != "x,y":
        raise InvalidParameter(str(path), header, "expected the header line 'x,y'")
    xy = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    if xy.shape[1] != 2 or not np.all(np.isfinite(xy)):
        raise InvalidParameter(str(path), f"shape {xy.shape}", "expected two finite columns x,y")
    return xy[:, 0].copy(), xy[:, 1].copy()


def write_xy_csv(path, x, y) -> Path:
    """Write (x, y) with header ``x,y`` and 17 significant digits (reads back bit for bit)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header="x,y", comments="", fmt="%.17g")
    return path


def relu_1d(data_dir=None):
    """The seed-001 data set as ``(X, y, X_test, y_test)`` with X of shape (n, 1).

    ``data_dir=None`` generates the stand-in set described in the module docstring; a folder with
    ``train.csv`` and ``test.csv`` (header ``x,y``), e.g. the course's own ``data/``, is read instead.
    """
    if data_dir is None:
        (x, y), (xt, yt) = _generate("train"), _generate("test")
    else:
        (x, y), (xt, yt) = (read_xy_csv(Path(data_dir) / f"{s}.csv") for s in ("train", "test"))
    return x[:, None], y, xt[:, None], yt

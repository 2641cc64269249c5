"""Write train.csv and test.csv beside this script: the stand-in data set of seed 001.

    python notebooks/data/make_data.py

The numbers come from ``twolayer.data.relu_1d()`` (fixed seed); see README.md in this folder.
"""

from pathlib import Path

from twolayer.data.relu_1d import relu_1d, write_xy_csv

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    X, y, Xt, yt = relu_1d()
    for name, (x, v) in {"train": (X[:, 0], y), "test": (Xt[:, 0], yt)}.items():
        print(write_xy_csv(here / f"{name}.csv", x, v))

"""Data sets: helpers, the seeds' fixed data, synthetic generators."""

from .core import with_bias
from .mnist import mnist
from .relu_1d import relu_1d, relu_1d_target
from .synthetic import gaussian_points, separable, teacher, triangle_data, triangle_wave
from .thesis import THESIS_SETS, thesis, thesis_nonorthogonal, thesis_orthogonal

__all__ = ["DATASETS", "with_bias", "thesis", "THESIS_SETS", "teacher", "triangle_wave", "triangle_data", "load",
           "thesis_orthogonal", "thesis_nonorthogonal", "relu_1d", "relu_1d_target", "mnist", "separable", "gaussian_points"]


DATASETS = tuple(f"thesis-{k}" for k in THESIS_SETS) + ("teacher-2d", "relu-1d")   # the names load() takes


def load(name: str, seed: int = 0):
    """A data set by name, as (X, y, X_test, y_test); X_test and y_test may be None.

    ``thesis-NAME`` (e.g. ``thesis-1.1.0``): a fixed set of seed 003. ``teacher-2d``: 200 Gaussian points
    in the plane labelled by a 5-neuron ReLU teacher, with 2000 test points (seed 000).
    ``relu-1d``: the 1D regression set of seed 001 (30 train, 300 test points).
    """
    from ..errors import check_choice

    check_choice("data", name, DATASETS)
    if name.startswith("thesis-"):
        X, y = thesis(name[len("thesis-"):])
        return X, y, None, None
    if name == "relu-1d":
        return relu_1d()
    X, y, Xt, yt, _ = teacher(200, 2, seed=seed)
    return X, y, Xt, yt

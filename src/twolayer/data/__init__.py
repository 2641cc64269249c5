"""Data sets: helpers, the seeds' fixed data, synthetic generators."""

from . import files
from .core import with_bias
from .mnist import mnist
from .relu_1d import relu_1d, relu_1d_target
from .synthetic import gaussian_points, separable, teacher, triangle_data, triangle_wave
from .thesis import THESIS_SETS, thesis, thesis_nonorthogonal, thesis_orthogonal

__all__ = ["DATASETS", "files", "with_bias", "thesis", "THESIS_SETS", "teacher", "triangle_wave", "triangle_data", "load",
           "thesis_orthogonal", "thesis_nonorthogonal", "relu_1d", "relu_1d_target", "mnist", "separable", "gaussian_points"]


DATASETS = tuple(f"thesis-{k}" for k in THESIS_SETS) + ("teacher-2d", "relu-1d")   # the names load() takes


def load(name: str, seed: int = 0, *, label: str = "y", labels=None, test=None, test_labels=None):
    """A data set by name or file, as (X, y, X_test, y_test); X_test and y_test may be None.

    Parameters
    ----------
    name : str
        A built-in set or a file. ``thesis-NAME`` (e.g. ``thesis-1.1.0``): a fixed set of seed 003.
        ``teacher-2d``: 200 Gaussian points in the plane labelled by a 5-neuron ReLU teacher, with
        2000 test points (seed 000). ``relu-1d``: the 1D regression set of seed 001 (30 train, 300
        test points). A name ending in .csv, .tsv, .txt, .npy or .npz is read by
        :func:`twolayer.data.files.load_file` with ``label``, ``labels``, ``test`` and ``test_labels``.
    seed : int
        The draw of the generated sets (``teacher-2d``).
    label, labels, test, test_labels
        See :func:`twolayer.data.files.load_file` (files only).
    """
    from ..errors import InvalidParameter, closest
    from .files import FILE_SUFFIXES, is_data_file, load_file

    if is_data_file(name):
        return load_file(name, label=label, labels=labels, test=test, test_labels=test_labels)
    for key, value in (("labels", labels), ("test", test), ("test_labels", test_labels)):
        if value is not None:
            raise InvalidParameter(key, str(value), f"applies to data files only, not the built-in set {name!r}")
    if name not in DATASETS:
        raise InvalidParameter("data", name, "expected one of " + ", ".join(DATASETS) + closest(name, DATASETS)
                               + ", or a data file ending in " + ", ".join(FILE_SUFFIXES))
    if name.startswith("thesis-"):
        X, y = thesis(name[len("thesis-"):])
        return X, y, None, None
    if name == "relu-1d":
        return relu_1d()
    X, y, Xt, yt, _ = teacher(200, 2, seed=seed)
    return X, y, Xt, yt

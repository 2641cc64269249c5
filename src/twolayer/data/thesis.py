"""The fixed data sets of the thesis (seed 003), inputs with the bias as last coordinate."""

from __future__ import annotations

import numpy as np

from ..errors import check_choice
from .core import with_bias

# name -> (scalar inputs x_k, labels y_k), exactly as the thesis prints them.
THESIS_SETS = {
    "1.1.0": ([-0.5, 2.0], [-1.0, 1.0]),   # section 2.2.1.4, the reproduction of [5]
    "1.1.1": ([-0.5, 2.0], [1.0, -1.0]),   # section 3.1.2.1, labels switched
    "1.1.2": ([-0.5, 2.0], [1.0, 1.0]),    # section 3.1.2.2, labels of the same sign
    "1.1.4": ([-0.1, 10.0], [-1.0, 1.0]),  # section 3.1.3 with label factor c = 1
}


def thesis(name: str, c: float = 1.0):
    """Return (X, y) of a thesis data set: X of shape (n, 2) with rows (x_k, 1), y of shape (n,).

    ``c`` is the label factor of data set 1.1.4 (labels -c, c); other sets ignore it.
    """
    check_choice("name", name, tuple(THESIS_SETS))
    x, y = THESIS_SETS[name]
    y = np.array(y, dtype=np.float64) * (c if name == "1.1.4" else 1.0)
    return with_bias(np.array(x)), y

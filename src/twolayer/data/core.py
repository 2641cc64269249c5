"""Small helpers shared by every data set."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidParameter


def with_bias(X, value: float = 1.0) -> np.ndarray:
    """Append a constant coordinate to every input: (n, d) -> (n, d + 1).

    With it a network without biases, ``sum_j a_j sigma(w_j . (x, 1))``, has the bias
    ``w_{j,d+1}`` inside ``w_j`` (the thesis's convention). A 1-D array is taken as n scalar inputs.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise InvalidParameter("X", f"array of shape {X.shape}", "expected shape (n,) or (n, d)")
    return np.hstack([X, np.full((X.shape[0], 1), float(value))])

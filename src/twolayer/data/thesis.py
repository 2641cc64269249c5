"""The fixed data sets of the thesis (seed 003), inputs with the bias as last coordinate (x_{k,d} = 1),
and the generators of its section 3.4."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidParameter, check_choice, check_int, check_positive
from .core import with_bias

_ABSCISSAS_13 = [0.99864822, -0.58678793, -1.19866293, 1.59530385, -0.96831112,
                 -1.69267688, 0.13815776, -0.30366272, 0.31415876, 1.93938106]

# name -> (scalar inputs x_k, labels y_k), exactly as the thesis prints them.
THESIS_SETS = {
    "1.1.0": ([-0.5, 2.0], [-1.0, 1.0]),   # section 2.2.1.4, the reproduction of [5]
    "1.1.1": ([-0.5, 2.0], [1.0, -1.0]),   # section 3.1.2.1, labels switched
    "1.1.2": ([-0.5, 2.0], [1.0, 1.0]),    # section 3.1.2.2, labels of the same sign
    "1.1.4": ([-0.1, 10.0], [-1.0, 1.0]),  # section 3.1.3 with label factor c = 1
    "1.3.1": (_ABSCISSAS_13, [1.0, -1, -1, 1, -1, -1, 1, -1, 1, 1]),  # appendix C.3.1: labels = signs
    "1.3.2": (_ABSCISSAS_13, [-1.0, -1, -1, -1, -1, 1, 1, 1, 1, 1]),  # section 3.3.2: random labels
    "1.3.3": ([-2.0, -1.0, 0.0, 1.0, 2.0], [1.0, -1, 1, -1, 1]),      # section 3.3.1: alternating labels
}

# Section 3.4.1: five orthogonal inputs in R^5 (rows scaled so that x_{k,5} = 1), teacher labels.
ORTHOGONAL_5D = (
    np.array([[1.06230214, 0.31117178, -0.34853043, -0.34071425, 1.0],
              [-1.60140948, -1.45217752, -0.08119978, -3.30117333, 1.0],
              [-0.99692421, 1.51269658, 1.08896864, 0.09431674, 1.0],
              [-0.18304326, -1.14347546, 0.42595479, 0.884252, 1.0],
              [-2.00910441, 0.64220423, -3.74383553, 1.08712951, 1.0]]),
    np.array([0.05644127, 0.01888487, -0.0035589, 0.05251718, -0.07106081]),
)

NAMES = tuple(THESIS_SETS) + ("1.2", "3.4.1")


def thesis(name: str, c: float = 1.0, *, delta: float = 1.0, sign: int = 1):
    """(X, y) of a thesis data set: X of shape (n, d) with last coordinate 1, y of shape (n,).

    ``c`` is the label factor of 1.1.4 (labels -c, c). "1.2" is the quasi-orthogonal family of
    section 3.2: x_1 = -0.5 + sign * delta / 2, x_2 = 2, labels -1, 1, so |x_1 . x_2| = delta.
    "3.4.1" is the five-dimensional orthogonal set of section 3.4.1.
    """
    check_choice("name", name, NAMES)
    if name == "3.4.1":
        X, y = ORTHOGONAL_5D
        return X.copy(), y.copy()
    if name == "1.2":
        delta = check_positive("delta", delta)
        if sign not in (1, -1):
            raise InvalidParameter("sign", sign, "expected +1 or -1")
        return with_bias(np.array([-0.5 + sign * delta / 2, 2.0])), np.array([-1.0, 1.0])
    x, y = THESIS_SETS[name]
    y = np.array(y, dtype=np.float64) * (c if name == "1.1.4" else 1.0)
    return with_bias(np.array(x)), y


def quasi_key(sign: int, delta: float) -> str:
    """'-0.01' / '+10': the short name of the quasi-orthogonal set x_1,1 = -0.5 + sign delta / 2
    (its full name is '1.2' followed by it, e.g. '1.2-0.01')."""
    return f"{'-+'[sign == 1]}{delta:g}"


def _rows_to_bias_one(M):
    last = M[:, -1:]
    if np.any(np.abs(last) < 1e-12):
        raise InvalidParameter("seed", "a draw with a zero last coordinate", "try another seed")
    return M / last


def _teacher_labels(X, rng, width: int, std: float):
    """Labels from a ReLU teacher h(x) = sum_j a_j relu(w_j . x), all weights N(0, std^2)."""
    W = std * rng.standard_normal((width, X.shape[1]))
    a = std * rng.standard_normal(width)
    return np.maximum(X @ W.T, 0.0) @ a


def thesis_orthogonal(d: int, *, seed: int = 0, teacher_width: int = 10, teacher_std: float = np.sqrt(0.1)):
    """Section 3.4.1: n = d orthogonal inputs (rows of a random orthogonal matrix divided by their last
    entry, so x_{k,d} = 1) labelled by a random ReLU teacher with ``teacher_width`` neurons whose
    weights are N(0, teacher_std^2) (the thesis: variance 0.1)."""
    d = check_int("d", d, minimum=2)
    rng = np.random.default_rng(seed)
    Q, R = np.linalg.qr(rng.standard_normal((d, d)))
    X = _rows_to_bias_one(Q * np.sign(np.diag(R)))
    return X, _teacher_labels(X, rng, teacher_width, teacher_std)


def thesis_nonorthogonal(n: int, d: int, *, seed: int = 0, teacher_width: int = 10,
                         teacher_std: float = np.sqrt(0.1)):
    """Section 3.4.2: inputs with entries U(-1, 1), rows divided by their last entry (x_{k,d} = 1),
    labelled like :func:`thesis_orthogonal`."""
    n, d = check_int("n", n, minimum=1), check_int("d", d, minimum=2)
    rng = np.random.default_rng(seed)
    X = _rows_to_bias_one(rng.uniform(-1.0, 1.0, (n, d)))
    return X, _teacher_labels(X, rng, teacher_width, teacher_std)

"""Networks on scalar inputs (seed 001): where a ReLU network bends, and an explicit interpolant.

For f(x) = s(m) sum_j a_j relu(b_j x + c_j), neuron j bends f at x_j = -c_j / b_j (b_j != 0) and
changes its slope there by s(m) a_j |b_j|: f'(x_j+) - f'(x_j-) = s(m) a_j |b_j| whatever the sign
of b_j. Neurons with b_j = 0 are constants and do not bend f.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidParameter, check_finite, check_positive
from ..net import Net, scale_factor


def _scalar_relu(net: Net) -> None:
    if net.activation != "relu" or net.d != 1 or net.c is None or net.outputs != 1:
        raise InvalidParameter("net", f"{net.activation}, d={net.d}, bias={net.c is not None}, K={net.outputs}",
                               "expected a scalar-input ReLU network with bias and one output")


def kink_jumps(net: Net) -> tuple[np.ndarray, np.ndarray]:
    """Every neuron's kink position -c_j/b_j and signed slope change s(m) a_j |b_j|, sorted by
    position; neurons with b_j = 0 are left out. Shapes (k,), (k,)."""
    _scalar_relu(net)
    b, c = net.W[:, 0], net.c
    keep = b != 0
    pos = -c[keep] / b[keep]
    jump = net.scale * net.a[keep] * np.abs(b[keep])
    order = np.argsort(pos, kind="stable")
    return pos[order], jump[order]


def kinks(net: Net, interval: tuple[float, float], *, merge: float = 0.01, rel_tol: float = 0.01) -> np.ndarray:
    """Where the network visibly bends inside ``interval`` = (lo, hi): sorted positions, shape (k,).

    Kinks at most ``merge * (hi - lo)`` apart are merged (chained: a run of close kinks is one), their
    slope changes summed and the position averaged with weights |jump|; a merged kink counts when
    its |summed slope change| exceeds ``rel_tol`` times the largest one. So two neurons that bend
    f in opposite directions at the same place do not count, and neither do neurons whose a_j b_j
    is negligible.
    """
    lo, hi = (float(v) for v in interval)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise InvalidParameter("interval", interval, "expected finite (lo, hi) with lo < hi")
    check_positive("merge", merge, allow_zero=True)
    check_positive("rel_tol", rel_tol, allow_zero=True)
    centre, total = merged_kinks(net, lo, hi, merge)
    if not centre.size:
        return centre
    strong = np.abs(total) > rel_tol * np.abs(total).max()
    return centre[strong]


def merged_kinks(net: Net, lo: float, hi: float, merge: float = 0.01, *, closed: bool = True):
    """The neuron kinks in [lo, hi] (in (lo, hi) unless ``closed``), those at most ``merge * (hi - lo)``
    apart merged (chained): positions averaged with weights |jump|, slope changes summed.

    Returns
    -------
    centre, total : (k,) arrays
        Each merged kink's position and its summed slope change.
    """
    pos, jump = kink_jumps(net)
    inside = (pos >= lo) & (pos <= hi) if closed else (pos > lo) & (pos < hi)
    pos, jump = pos[inside], jump[inside]
    if not pos.size:
        return pos, jump
    starts = np.flatnonzero(np.r_[True, np.diff(pos) > merge * (hi - lo)])
    total = np.add.reduceat(jump, starts)
    weight = np.add.reduceat(np.abs(jump), starts)
    centre = np.add.reduceat(np.abs(jump) * pos, starts) / np.where(weight > 0, weight, 1.0)
    return centre, total


def relu_interpolant(x, y, *, width: int | None = None, scaling: str = "mean-field") -> Net:
    """Explicit weights of f(x) = s(m) sum_j a_j relu(b_j x + c_j) with f(x_i) = y_i for all i.

    With the inputs sorted, x_1 < ... < x_n, and s_k = (y_{k+1} - y_k) / (x_{k+1} - x_k), f is the
    piecewise-linear interpolant, written with n neurons (seed 001, question Q2):

        f(x) = (y_1 - s_1) relu(1) + s_1 relu(x - x_1 + 1) + sum_{k=2}^{n-1} (s_k - s_{k-1}) relu(x - x_k),

    exact on [x_1 - 1, inf); the outer weights are divided by s(m). It is not unique: any width
    m > n admits a continuum of others (split a neuron in two, add neurons that vanish on the data).
    ``width`` (default n) pads with zero neurons; repeated inputs must carry equal labels.
    Returns a :class:`Net` with d = 1 and bias.
    """
    x, y = (np.asarray(v, dtype=np.float64).reshape(-1) for v in (x, y))
    check_finite("x", x)
    check_finite("y", y)
    if x.shape != y.shape or not x.size:
        raise InvalidParameter("y", f"shape {y.shape}", f"expected one label per input, shape {x.shape}")
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    same = np.flatnonzero(np.diff(x) == 0)
    if np.any(y[same] != y[same + 1]):
        i = same[np.flatnonzero(y[same] != y[same + 1])[0]]
        raise InvalidParameter("x", x[i], f"appears twice with labels {y[i]} and {y[i + 1]}; no function interpolates that")
    x, y = np.delete(x, same), np.delete(y, same)
    n = x.size
    m = n if width is None else int(width)
    if m < n:
        raise InvalidParameter("width", width, f"this construction needs at least n = {n} neurons (one per distinct input)")
    a, b, c = np.zeros(m), np.zeros(m), np.zeros(m)
    a[0], c[0] = y[0], 1.0                        # the constant y_1 (corrected below when n > 1)
    if n > 1:
        s = np.diff(y) / np.diff(x)
        a[0] = y[0] - s[0]
        a[1], b[1], c[1] = s[0], 1.0, 1.0 - x[0]
        a[2:n], b[2:n], c[2:n] = np.diff(s), 1.0, -x[1:-1]
    a /= scale_factor(scaling, m)
    return Net(a, b[:, None], c, "relu", scaling)


def bias_input_as_bias(net: Net) -> Net:
    """The same function of x for a network on inputs (x, 1) (the thesis's bias coordinate, d = 2, no
    c): a scalar-input network with b_j = w_j1 and bias c_j = w_j2, so :func:`kinks` applies."""
    if net.d != 2 or net.c is not None:
        raise InvalidParameter("net", f"d={net.d}, bias={net.c is not None}",
                               "expected a network on (x, 1) inputs: d = 2 and no bias c")
    return Net(net.a, net.W[:, :1], net.W[:, 1], net.activation, net.scaling, net.slope)

"""Losses: a registry name -> (per-sample value, derivative with respect to the outputs, and the
second derivative applied to a direction ``dout``, which exact Hessian-vector products need).

The training loss is ``L = r * sum_i ell(f_i, y_i)`` where the reduction factor ``r`` is 1/n
("mean"), 1/(2n) ("half_mean", square loss only) or 1 ("sum"). ``f_i`` is the network output:
a scalar, or a vector of K entries for ``cross_entropy`` and multi-output square loss.

=============  ==========================  =================================  ==============
name           ell(f, y)                   d ell / d f                        labels
=============  ==========================  =================================  ==============
square         sum_k (f_k - y_k)^2         2 (f - y)                          real
logistic       log(1 + exp(-y f))          -y sigmoid(-y f)                   +-1
exponential    exp(-y f)                   -y exp(-y f)                       +-1
cross_entropy  logsumexp(f) - f_y          softmax(f) - onehot(y)             0..K-1
=============  ==========================  =================================  ==============
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit, logsumexp, softmax

from .errors import InvalidParameter, check_choice


@dataclass(frozen=True)
class Loss:
    """A loss: ``value(out, y)`` per sample, shape (n,); ``deriv(out, y)`` shaped like ``out``."""

    name: str
    value: Callable[[np.ndarray, np.ndarray], np.ndarray]
    deriv: Callable[[np.ndarray, np.ndarray], np.ndarray]
    labels: str  # "real", "sign" or "class"
    curvature: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray] = None  # (out, y, dout) -> ell''(f)[dout]


def _square_value(out, y):
    r = out - y
    return r * r if r.ndim == 1 else np.sum(r * r, axis=1)


def _ce_value(out, y):
    return logsumexp(out, axis=1) - out[np.arange(len(y)), y]


def _ce_deriv(out, y):
    p = softmax(out, axis=1)
    p[np.arange(len(y)), y] -= 1.0
    return p


def _ce_curvature(out, y, dout):
    p = softmax(out, axis=1)
    return p * dout - p * np.sum(p * dout, axis=1, keepdims=True)


LOSSES: dict[str, Loss] = {
    "square": Loss("square", _square_value, lambda out, y: 2.0 * (out - y), "real",
                     lambda out, y, dout: 2.0 * dout),
    "logistic": Loss("logistic", lambda out, y: np.logaddexp(0.0, -y * out),
                     lambda out, y: -y * expit(-y * out), "sign",
                     lambda out, y, dout: y * y * expit(-y * out) * expit(y * out) * dout),
    "exponential": Loss("exponential", lambda out, y: np.exp(-y * out),
                        lambda out, y: -y * np.exp(-y * out), "sign",
                        lambda out, y, dout: y * y * np.exp(-y * out) * dout),
    "cross_entropy": Loss("cross_entropy", _ce_value, _ce_deriv, "class", _ce_curvature),
}

REDUCTIONS = ("mean", "half_mean", "sum")


def get_loss(name: str) -> Loss:
    """Look up a loss by name; unknown names raise an error listing the valid ones."""
    check_choice("loss", name, tuple(LOSSES))
    return LOSSES[name]


def default_reduction(loss: str) -> str:
    """"half_mean" (1/(2n)) for the square loss, "mean" (1/n) for the others."""
    return "half_mean" if loss == "square" else "mean"


def reduction_factor(loss: str, reduction: str, n: int) -> float:
    """The factor r in ``L = r * sum_i ell_i`` for a batch of ``n`` samples."""
    check_choice("reduction", reduction, REDUCTIONS)
    if reduction == "half_mean" and loss != "square":
        raise InvalidParameter("reduction", reduction,
                               f"'half_mean' is for the square loss; use 'mean' or 'sum' with {loss!r}")
    return {"mean": 1.0 / n, "half_mean": 0.5 / n, "sum": 1.0}[reduction]


def validate_labels(loss: Loss, y, n: int, outputs: int) -> np.ndarray:
    """Check ``y`` against the loss and the network; return it as float64 (int64 for classes)."""
    y = np.asarray(y)
    if loss.labels == "class":
        if outputs < 2:
            raise InvalidParameter("outputs", outputs, "cross_entropy needs a network with outputs >= 2")
        if y.shape != (n,) or y.dtype.kind not in "iu":
            raise InvalidParameter("y", f"array of shape {y.shape} and dtype {y.dtype}",
                                   f"cross_entropy needs integer class labels of shape ({n},)")
        if y.min() < 0 or y.max() >= outputs:
            raise InvalidParameter("y", f"labels in [{y.min()}, {y.max()}]",
                                   f"class labels must lie in 0..{outputs - 1}")
        return y.astype(np.int64)
    if y.dtype.kind not in "biuf":
        raise InvalidParameter("y", f"array of dtype {y.dtype}", "expected real numbers")
    y = y.astype(np.float64)
    want = (n,) if outputs == 1 else (n, outputs)
    if loss.labels == "sign" and outputs != 1:
        raise InvalidParameter("outputs", outputs, f"the {loss.name} loss needs a scalar network (outputs=1)")
    if y.shape != want:
        raise InvalidParameter("y", f"array of shape {y.shape}", f"expected shape {want} to match X and the network outputs")
    if not np.all(np.isfinite(y)):
        raise InvalidParameter("y", "<array with NaN/inf>", "all labels must be finite")
    if loss.labels == "sign" and not np.all(np.abs(y) == 1.0):
        raise InvalidParameter("y", f"labels {np.unique(y)[:5]}", f"the {loss.name} loss needs labels in {{-1, +1}}")
    return y

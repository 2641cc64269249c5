"""Activation functions: a registry name -> (sigma, sigma', sigma'').

Every function takes the pre-activations ``z`` (any shape) and the leaky-ReLU ``slope`` (ignored by
the others) and returns an array of the same shape. Conventions: the ReLU derivative at 0 is 0, the
leaky-ReLU derivative at 0 is ``slope`` (both are the left derivative), and kinks have second
derivative 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit

from .errors import check_choice


@dataclass(frozen=True)
class Activation:
    """sigma and its first two derivatives; ``homogeneous``: sigma(t z) = t sigma(z) for t > 0."""

    name: str
    f: Callable[[np.ndarray, float], np.ndarray]
    df: Callable[[np.ndarray, float], np.ndarray]
    d2f: Callable[[np.ndarray, float], np.ndarray]
    homogeneous: bool


def _zeros(z, slope):
    return np.zeros_like(z)


def _sigmoid_d(z, slope):
    s = expit(z)
    return s * (1.0 - s)


def _sigmoid_d2(z, slope):
    s = expit(z)
    return s * (1.0 - s) * (1.0 - 2.0 * s)


def _tanh_d(z, slope):
    t = np.tanh(z)
    return 1.0 - t * t


def _tanh_d2(z, slope):
    t = np.tanh(z)
    return -2.0 * t * (1.0 - t * t)


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation("relu", lambda z, s: np.maximum(z, 0.0),
                       lambda z, s: (z > 0).astype(z.dtype), _zeros, True),
    "leaky_relu": Activation("leaky_relu", lambda z, s: np.where(z > 0, z, s * z),
                             lambda z, s: np.where(z > 0, 1.0, s).astype(z.dtype), _zeros, True),
    "sigmoid": Activation("sigmoid", lambda z, s: expit(z), _sigmoid_d, _sigmoid_d2, False),
    "tanh": Activation("tanh", lambda z, s: np.tanh(z), _tanh_d, _tanh_d2, False),
    "identity": Activation("identity", lambda z, s: z.copy(), lambda z, s: np.ones_like(z),
                           _zeros, True),
}


def get_activation(name: str) -> Activation:
    """Look up an activation by name; unknown names raise an error listing the valid ones."""
    check_choice("activation", name, tuple(ACTIVATIONS))
    return ACTIVATIONS[name]

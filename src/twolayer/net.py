"""The two-layer network ``f(x) = s(m) * sum_j a_j sigma(w_j . x + c_j)`` and its gradients.

Shapes: ``X`` (n, d); ``a`` (m,) for a scalar network or (m, K) for K outputs; ``W`` (m, d);
``c`` (m,) or ``None``. The width scaling ``s(m)`` is 1/m ("mean-field"), 1/sqrt(m) ("ntk") or 1
("none").

All parameters also live in one flat float64 vector ``theta = [a.ravel(), W.ravel(), c]``
(:class:`Layout`), which is what optimisers, the ODE solver and the Hessian routines act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .activations import get_activation
from .errors import InvalidParameter, check_choice, check_finite

SCALINGS = {"mean-field": lambda m: 1.0 / m, "ntk": lambda m: 1.0 / np.sqrt(m), "none": lambda m: 1.0}
LAYERS = ("a", "W", "c")


def scale_factor(scaling: str, m: int) -> float:
    """The factor s(m) of a scaling name."""
    check_choice("scaling", scaling, tuple(SCALINGS))
    return float(SCALINGS[scaling](m))


class Layout(NamedTuple):
    """Where a, W and c sit in the flat parameter vector theta."""

    m: int
    d: int
    outputs: int
    bias: bool

    @property
    def a_shape(self):
        return (self.m,) if self.outputs == 1 else (self.m, self.outputs)

    @property
    def slices(self) -> dict[str, slice]:
        na, nw = self.m * self.outputs, self.m * self.d
        out = {"a": slice(0, na), "W": slice(na, na + nw)}
        if self.bias:
            out["c"] = slice(na + nw, na + nw + self.m)
        return out

    @property
    def size(self) -> int:
        return self.m * (self.outputs + self.d + int(self.bias))

    def unpack(self, theta: np.ndarray):
        """Views (a, W, c) into ``theta`` (c is None without bias); writing to them writes theta."""
        s = self.slices
        a = theta[s["a"]].reshape(self.a_shape)
        W = theta[s["W"]].reshape(self.m, self.d)
        c = theta[s["c"]] if self.bias else None
        return a, W, c

    def pack(self, a, W, c) -> np.ndarray:
        parts = [np.ravel(a), np.ravel(W)] + ([np.ravel(c)] if self.bias else [])
        return np.concatenate(parts).astype(np.float64)

    def mask(self, trainable) -> np.ndarray:
        """Boolean mask of the trainable coordinates of theta."""
        mask = np.zeros(self.size, dtype=bool)
        for name in trainable:
            mask[self.slices[name]] = True
        return mask


def forward(a, W, c, X, activation: str, scale: float, slope: float = 0.01):
    """Pre-activations ``Z = X W^T + c`` (n, m), features ``H = sigma(Z)`` and outputs ``s H a``."""
    act = get_activation(activation)
    Z = X @ W.T
    if c is not None:
        Z += c
    H = act.f(Z, slope)
    return Z, H, scale * (H @ a)


def times_outer(G, a) -> np.ndarray:
    """G a^T, shape (n, m), for G of shape (n,) with a (m,), or (n, K) with a (m, K)."""
    return np.outer(G, a) if G.ndim == 1 else G @ a.T


def backward(a, W, c, X, Z, H, G, activation: str, scale: float, slope: float = 0.01,
             trainable=LAYERS):
    """Gradients of ``sum_i G_i . f(x_i)`` with respect to the trainable layers.

    ``G`` is dL/df, shape (n,) or (n, K). Closed forms, with ``s`` the width scaling:

    - dL/da_j = s sum_i G_i sigma(z_ij)                       -> ``s H^T G``
    - dL/dw_j = s sum_i (G_i . a_j) sigma'(z_ij) x_i          -> ``B^T X`` with ``B = s (G a^T) * sigma'(Z)``
    - dL/dc_j = s sum_i (G_i . a_j) sigma'(z_ij)              -> column sums of ``B``

    Returns a dict with an entry per trainable layer.
    """
    grads = {}
    if "a" in trainable:
        grads["a"] = scale * (H.T @ G)
    if "W" in trainable or ("c" in trainable and c is not None):
        act = get_activation(activation)
        B = scale * times_outer(G, a) * act.df(Z, slope)
        if "W" in trainable:
            grads["W"] = B.T @ X
        if "c" in trainable and c is not None:
            grads["c"] = B.sum(axis=0)
    return grads


@dataclass
class Net:
    """A two-layer network. Call it on inputs X of shape (n, d) to get outputs (n,) or (n, K).

    Parameters
    ----------
    a : (m,) or (m, K) outer weights.   W : (m, d) inner weights.   c : (m,) biases or None.
    activation : "relu", "leaky_relu", "sigmoid", "tanh" or "identity".
    scaling : "mean-field" (1/m), "ntk" (1/sqrt m) or "none" (1).
    slope : negative-side slope of "leaky_relu".
    """

    a: np.ndarray
    W: np.ndarray
    c: np.ndarray | None = None
    activation: str = "relu"
    scaling: str = "mean-field"
    slope: float = 0.01
    init: str | None = field(default=None, compare=False)   # how it was drawn, e.g. "balanced(scale=0.001, seed=0)"
    _layout: Layout = field(init=False, repr=False)

    def __repr__(self) -> str:
        act = self.activation + (f"(slope={self.slope:g})" if self.activation == "leaky_relu" else "")
        parts = [f"d={self.d}", f"width={self.m}", act, f"scaling={self.scaling!r}"]
        parts += (["bias"] if self.bias else []) + ([f"outputs={self.outputs}"] if self.outputs > 1 else [])
        parts += [f"init={self.init}"] if self.init else []
        return f"Net({', '.join(parts)}, |theta|={self.norm:.3g})"

    def __post_init__(self):
        self.W = np.array(self.W, dtype=np.float64)
        self.a = np.array(self.a, dtype=np.float64)
        if self.W.ndim != 2 or self.W.shape[0] < 1 or self.W.shape[1] < 1:
            raise InvalidParameter("W", f"array of shape {self.W.shape}", "expected a non-empty (m, d) matrix")
        m, d = self.W.shape
        if not (self.a.shape == (m,) or (self.a.ndim == 2 and self.a.shape[0] == m)):
            raise InvalidParameter("a", f"array of shape {self.a.shape}", f"expected shape ({m},) or ({m}, K)")
        if self.c is not None:
            self.c = np.array(self.c, dtype=np.float64)
            if self.c.shape != (m,):
                raise InvalidParameter("c", f"array of shape {self.c.shape}", f"expected shape ({m},) or None")
        get_activation(self.activation)
        check_choice("scaling", self.scaling, tuple(SCALINGS))
        self.slope = float(self.slope)
        for name in LAYERS:
            if getattr(self, name) is not None:
                check_finite(name, getattr(self, name))
        outputs = 1 if self.a.ndim == 1 else self.a.shape[1]
        self._layout = Layout(m, d, outputs, self.c is not None)

    # shapes ---------------------------------------------------------------------------------
    @property
    def layout(self) -> Layout:
        return self._layout

    @property
    def m(self) -> int:
        return self._layout.m

    @property
    def d(self) -> int:
        return self._layout.d

    @property
    def outputs(self) -> int:
        return self._layout.outputs

    @property
    def bias(self) -> bool:
        return self.c is not None

    @property
    def scale(self) -> float:
        """The width factor s(m)."""
        return scale_factor(self.scaling, self.m)

    # parameters -----------------------------------------------------------------------------
    @property
    def theta(self) -> np.ndarray:
        """A copy of all parameters as one flat vector [a, W, c]."""
        return self._layout.pack(self.a, self.W, self.c)

    def with_theta(self, theta: np.ndarray) -> "Net":
        """A new network of the same architecture with parameters ``theta``."""
        a, W, c = self._layout.unpack(np.asarray(theta, dtype=np.float64))
        return Net(a.copy(), W.copy(), None if c is None else c.copy(), self.activation, self.scaling, self.slope,
                   self.init)

    def copy(self) -> "Net":
        return self.with_theta(self.theta)

    @property
    def norm(self) -> float:
        """Euclidean norm of all parameters."""
        return float(np.linalg.norm(self.theta))

    # evaluation ------------------------------------------------------------------------------
    def check_inputs(self, X, name: str = "X") -> np.ndarray:
        X = np.asarray(X)
        if X.dtype.kind not in "biuf":
            raise InvalidParameter(name, f"array of dtype {X.dtype}", "expected real numbers")
        X = X.astype(np.float64)
        if X.ndim != 2 or X.shape[1] != self.d:
            raise InvalidParameter(name, f"array of shape {X.shape}",
                                   f"expected shape (n, {self.d}) for a network with d={self.d} inputs")
        check_finite(name, X)
        return X

    def __call__(self, X) -> np.ndarray:
        X = self.check_inputs(X)
        return forward(self.a, self.W, self.c, X, self.activation, self.scale, self.slope)[2]

    def preactivations(self, X) -> np.ndarray:
        """``Z = X W^T + c``, shape (n, m)."""
        X = self.check_inputs(X)
        return forward(self.a, self.W, self.c, X, self.activation, self.scale, self.slope)[0]

    def gradients(self, X, G, trainable=LAYERS) -> dict[str, np.ndarray]:
        """Gradients of ``sum_i G_i . f(x_i)`` for each trainable layer (see :func:`backward`)."""
        X = self.check_inputs(X)
        Z, H, _ = forward(self.a, self.W, self.c, X, self.activation, self.scale, self.slope)
        return backward(self.a, self.W, self.c, X, Z, H, np.asarray(G, dtype=np.float64),
                        self.activation, self.scale, self.slope, trainable)

"""The training objective on the flat parameter vector theta, shared by every engine and analysis.

``L(theta) = r * sum_i ell(f(x_i; theta), y_i) + (lambda / 2) * ||theta_T||^2``

where r is the reduction factor (:mod:`twolayer.losses`), lambda the weight decay and theta_T the
trainable coordinates. Frozen coordinates have gradient 0.
"""

from __future__ import annotations

import numpy as np

from .activations import get_activation
from .losses import get_loss, reduction_factor
from .net import Layout, Net, backward, forward, times_outer


class Objective:
    """Loss, gradient and Hessian-vector products of a network architecture on data (X, y).

    Parameters
    ----------
    net : a :class:`Net` giving the architecture (its parameter values are not used).
    X : (n, d) float64.   y : (n,), (n, K) or integer classes (n,), validated by the caller.
    loss, reduction : see :mod:`twolayer.losses`.
    weight_decay : lambda >= 0.   trainable : names among "a", "W", "c".
    """

    def __init__(self, net: Net, X, y, loss="square", reduction="half_mean", weight_decay=0.0,
                 trainable=("a", "W", "c")):
        self.layout: Layout = net.layout
        self.activation, self.slope, self.scale = net.activation, net.slope, net.scale
        self.X, self.y = X, y
        self.loss_name, self.reduction = loss, reduction
        get_loss(loss)  # validates the name
        self.weight_decay = float(weight_decay)
        self.trainable = tuple(t for t in ("a", "W", "c") if t in trainable and (t != "c" or self.layout.bias))
        self.mask = self.layout.mask(self.trainable)

    @property
    def loss(self):
        """The :class:`~twolayer.losses.Loss` (looked up by name, so objectives pickle)."""
        return get_loss(self.loss_name)

    @property
    def n(self) -> int:
        return self.X.shape[0]

    def outputs(self, theta, X=None) -> np.ndarray:
        a, W, c = self.layout.unpack(theta)
        return forward(a, W, c, self.X if X is None else X, self.activation, self.scale, self.slope)[2]

    def data_loss(self, theta, X=None, y=None) -> float:
        """r * sum_i ell_i on (X, y) (default: the training set), without the penalty."""
        X, y = (self.X, self.y) if X is None else (X, y)
        out = self.outputs(theta, X)
        return float(reduction_factor(self.loss_name, self.reduction, len(y)) * np.sum(self.loss.value(out, y)))

    def penalty(self, theta) -> float:
        """(lambda / 2) ||theta_T||^2."""
        if self.weight_decay == 0.0:
            return 0.0
        t = theta[self.mask]
        return 0.5 * self.weight_decay * float(t @ t)

    def value_and_grad(self, theta, batch=None):
        """(data loss, gradient of the full objective) at theta, on a minibatch of row indices.

        The gradient is a flat vector like theta, zero on frozen coordinates.
        """
        X, y = (self.X, self.y) if batch is None else (self.X[batch], self.y[batch])
        a, W, c = self.layout.unpack(theta)
        Z, H, out = forward(a, W, c, X, self.activation, self.scale, self.slope)
        r = reduction_factor(self.loss_name, self.reduction, len(y))
        value = r * float(np.sum(self.loss.value(out, y)))
        G = r * self.loss.deriv(out, y)
        grads = backward(a, W, c, X, Z, H, G, self.activation, self.scale, self.slope, self.trainable)
        g = np.zeros_like(theta)
        for name, gl in grads.items():
            g[self.layout.slices[name]] = gl.ravel()
        if self.weight_decay:
            g += self.weight_decay * np.where(self.mask, theta, 0.0)
        return value, g

    def grad(self, theta, batch=None) -> np.ndarray:
        return self.value_and_grad(theta, batch)[1]

    def hvp(self, theta, v) -> np.ndarray:
        """Exact Hessian-vector product H v of the objective (Pearlmutter's R-operator).

        With Z = X W^T + c, H = sigma(Z), f = s H a, G = r ell'(f), and R{.} the derivative along v
        (only its trainable part): R Z = X v_W^T + v_c, R H = sigma'(Z) R Z, R f = s (R H a + H v_a),
        R G = r ell''(f)[R f], and then

        - (H v)_a = s (R H^T G + H^T R G)
        - B' = s [(R G a^T + G v_a^T) * sigma'(Z) + (G a^T) * sigma''(Z) * R Z];  (H v)_W = B'^T X,
          (H v)_c = column sums of B'
        - plus lambda v on the trainable coordinates.

        For ReLU and leaky ReLU sigma'' = 0: this is the Hessian almost everywhere (the kinks' delta
        terms are left out), which a finite difference across a kink would not give. Frozen
        coordinates are 0 in the result.
        """
        v = np.where(self.mask, np.asarray(v, dtype=np.float64), 0.0)
        a, W, c = self.layout.unpack(theta)
        va, vW, vc = self.layout.unpack(v)
        act, X, s = get_activation(self.activation), self.X, self.scale
        Z, H, out = forward(a, W, c, X, self.activation, s, self.slope)
        D1 = act.df(Z, self.slope)
        RZ = X @ vW.T
        if c is not None:
            RZ += vc
        RH = D1 * RZ
        Rout = s * (RH @ a + H @ va)
        r = reduction_factor(self.loss_name, self.reduction, len(self.y))
        G = r * self.loss.deriv(out, self.y)
        RG = r * self.loss.curvature(out, self.y, Rout)
        hv = np.zeros_like(theta)
        sl = self.layout.slices
        if "a" in self.trainable:
            hv[sl["a"]] = (s * (RH.T @ G + H.T @ RG)).ravel()
        if "W" in self.trainable or "c" in self.trainable:
            RB = s * ((times_outer(RG, a) + times_outer(G, va)) * D1 + times_outer(G, a) * act.d2f(Z, self.slope) * RZ)
            if "W" in self.trainable:
                hv[sl["W"]] = (RB.T @ X).ravel()
            if "c" in self.trainable:
                hv[sl["c"]] = RB.sum(axis=0)
        if self.weight_decay:
            hv += self.weight_decay * v
        return hv

    def hvp_fd(self, theta, v, eps: float | None = None) -> np.ndarray:
        """H v by a central difference of closed-form gradients (a check on :meth:`hvp`).

        ``(grad(theta + e v) - grad(theta - e v)) / (2 e)`` with ``e = eps / ||v||`` and
        ``eps = 1e-5 * max(1, ||theta||)`` by default: error O(e^2) where the loss is smooth, but
        wrong when theta +- e v puts a ReLU kink on the other side of a sample.
        """
        nv = np.linalg.norm(v)
        if nv == 0.0:
            return np.zeros_like(v)
        e = (1e-5 * max(1.0, float(np.linalg.norm(theta))) if eps is None else eps) / nv
        return (self.grad(theta + e * v) - self.grad(theta - e * v)) / (2.0 * e)

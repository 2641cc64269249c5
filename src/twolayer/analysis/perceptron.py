"""The quantities of the Perceptron-style convergence proof for leaky-ReLU networks (seed 004, Problem 1).

Model: f(x; W) = s(m) sum_j a_j phi(<w_j, x>), phi(t) = max(t, gamma t), a fixed, only W trained on
the logistic loss ell(t) = log(1 + exp(-t)) over data with ||x_i|| <= 1 and y_i <v, x_i> >= 1.

* V with rows V_j = sign(a_j) v / (||v|| sqrt(m)) has ||V||_F = 1 and, since phi' >= gamma,
  y_i <grad_W f(x_i; W), V> = s sum_j |a_j| phi'(<w_j, x_i>) y_i <v, x_i> / (||v|| sqrt(m))
  >= c := gamma s sum_j |a_j| / (||v|| sqrt(m))  (= gamma / ||v|| for a_j = +-1/sqrt(m), s = 1).
* Hence H_t = <W_t, V> grows: H_{t+1} - H_t = alpha (1/n) sum_i -ell'(y_i f_i) y_i <grad f_i, V>
  >= c alpha G(W_t), with G(W) = (1/n) sum_i -ell'(y_i f(x_i; W)), so c' = c.
* F_t = ||W_t||_F grows at most like F_{t+1}^2 <= F_t^2 + 2 alpha + alpha^2: by 1-homogeneity
  <W, grad L> = (1/n) sum_i ell'(y_i f_i) y_i f_i and -ell'(q) q <= 1, and ||grad L|| <= 1 when
  s^2 sum_j a_j^2 <= 1 and ||x_i|| <= 1.
* Together (Cauchy-Schwarz, H_t <= F_t): min_{s<t} G(W_s) <= (sqrt(F_0^2 + t(2 alpha + alpha^2)) - H_0) / (c alpha t).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ..activations import get_activation
from ..errors import InvalidParameter, check_positive
from ..net import Net


def perceptron_direction(net: Net, v) -> tuple[np.ndarray, float]:
    """(V, c): the unit-Frobenius-norm matrix V (m, d) with rows sign(a_j) v / (||v|| sqrt(m)) and the
    constant c with y_i <grad_W f(x_i; W), V> >= c for every W, when y_i <v, x_i> >= 1."""
    if net.activation != "leaky_relu" or net.outputs != 1 or net.bias:
        raise InvalidParameter("net", f"{net.activation}, outputs={net.outputs}, bias={net.bias}",
                               "the Perceptron argument is for a scalar, bias-free leaky-ReLU network")
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    if v.shape != (net.d,) or not np.linalg.norm(v) > 0:
        raise InvalidParameter("v", f"shape {v.shape}", f"expected a non-zero margin vector of shape ({net.d},)")
    m, nv = net.m, float(np.linalg.norm(v))
    V = np.sign(net.a)[:, None] * v[None, :] / (nv * np.sqrt(m))
    c = net.slope * net.scale * float(np.abs(net.a).sum()) / (nv * np.sqrt(m))
    return V, c


def logistic_margins(net: Net, Ws, X, y, chunk: int = 512) -> np.ndarray:
    """y_i f(x_i; W_t) for every snapshot W_t of ``Ws`` (T, m, d), with the outer layer of ``net``;
    shape (T, n)."""
    Ws = np.asarray(Ws, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    act = get_activation(net.activation)
    out = np.empty((Ws.shape[0], X.shape[0]))
    for start in range(0, Ws.shape[0], chunk):
        Z = np.einsum("tjd,nd->tjn", Ws[start:start + chunk], X)
        out[start:start + chunk] = net.scale * np.einsum("j,tjn->tn", net.a, act.f(Z, net.slope)) * y
    return out


def perceptron_quantities(net: Net, Ws, X, y, V) -> dict[str, np.ndarray]:
    """Along snapshots W_t (T, m, d): the loss L, G = mean -ell'(y_i f_i) = mean 1/(1 + exp(y_i f_i)),
    H = <W_t, V> and F = ||W_t||_F, each of shape (T,); and dH = <W_{t+1} - W_t, V>, dF2 =
    F_{t+1}^2 - F_t^2 (T - 1,), computed from differences so late tiny increments keep their digits."""
    Ws = np.asarray(Ws, dtype=np.float64)
    q = logistic_margins(net, Ws, X, y)
    dW = np.diff(Ws, axis=0)
    return {"L": np.mean(np.logaddexp(0.0, -q), axis=1), "G": np.mean(expit(-q), axis=1),
            "H": np.tensordot(Ws, V, axes=([1, 2], [0, 1])), "F": np.sqrt(np.einsum("tjd,tjd->t", Ws, Ws)),
            "dH": np.tensordot(dW, V, axes=([1, 2], [0, 1])),
            "dF2": np.einsum("tjd,tjd->t", dW, dW) + 2.0 * np.einsum("tjd,tjd->t", dW, Ws[:-1])}


def min_g_bound(t, F0: float, H0: float, c: float, lr: float) -> np.ndarray:
    """The proof's guarantee min_{s<t} G(W_s) <= (sqrt(F_0^2 + t(2 alpha + alpha^2)) - H_0) / (c alpha t)."""
    t = np.asarray(t, dtype=np.float64)
    return (np.sqrt(F0 ** 2 + t * (2 * lr + lr ** 2)) - H0) / (c * lr * t)


def gradient_jump(obj, theta, neuron: int, sample: int, eps) -> dict[str, np.ndarray]:
    """Non-smoothness of the loss at an activation boundary (Problem 1.1).

    Moves w_j (j = ``neuron``) onto the boundary <w_j, x_i> = 0 of sample i, then compares
    gradients at W +- (eps/2) u e_j^T with u = x_i / ||x_i|| (the two sides of the kink):
    ``across`` = ||grad L(W+) - grad L(W-)|| / eps, which grows like ``jump`` / eps. ``inside`` is
    the same ratio for a step of length eps in a random direction of row j from the original
    point, away from the boundary: it stays bounded (a Hessian norm). ``jump`` is the closed form
    (1/n) |ell'(y_i f_i)| s |a_j| (1 - gamma) ||x_i|| of the gradient's jump on the boundary.
    """
    eps = np.array([check_positive("eps", h) for h in np.atleast_1d(eps)])
    a, W, _ = obj.layout.unpack(theta)
    x = obj.X[sample]
    u = x / np.linalg.norm(x)
    on = theta.copy()
    _, Won, _ = obj.layout.unpack(on)
    Won[neuron] -= (Won[neuron] @ u) * u
    e = np.zeros_like(W)
    e[neuron] = W[neuron] / np.linalg.norm(W[neuron])
    U = np.zeros_like(W)
    U[neuron] = u
    sl = obj.layout.slices["W"]
    across, inside = [], []
    for h in eps:
        plus, minus, moved = on.copy(), on.copy(), theta.copy()
        plus[sl] += 0.5 * h * U.ravel()
        minus[sl] -= 0.5 * h * U.ravel()
        moved[sl] += h * e.ravel()
        across.append(np.linalg.norm(obj.grad(plus) - obj.grad(minus)) / h)
        inside.append(np.linalg.norm(obj.grad(moved) - obj.grad(theta)) / h)
    q = obj.y[sample] * obj.outputs(on)[sample]
    jump = expit(-q) * obj.scale * abs(a[neuron]) * (1.0 - obj.slope) * np.linalg.norm(x) / obj.n
    return {"eps": eps, "across": np.array(across), "inside": np.array(inside), "jump": float(jump)}

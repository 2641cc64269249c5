"""Neural tangent kernels: the infinite-width limit and the finite network's, side by side.

Model of the limit: ``f(x) = p^(-1/2) sum_j a_j sigma(w_j . x + b_j)`` with w_j ~ N(0, I_d),
b_j ~ N(0, bias_std^2) (no bias when bias_std = 0) and E[a_j^2] = 1. With (u, u') = (w . x + b,
w . x' + b), a centred Gaussian pair of covariance Sigma = [[q, c], [c, q']], q = |x|^2 + s^2,
c = x . x' + s^2, q' = |x'|^2 + s^2 (s = bias_std):

- ``layers="outer"`` (gradient in a):      K_a(x, x') = E[sigma(u) sigma(u')]  (the NNGP kernel)
- ``layers="inner"`` (gradient in w and b): K_w(x, x') = (x . x' + [s > 0]) E[sigma'(u) sigma'(u')]
- ``layers="both"``: their sum.

Seed 002's formula (2) is K_w for ReLU without bias: E[sigma'(u) sigma'(u')] = 1/2 - theta/(2 pi) with
theta the angle between x and x'; as printed, (2) leaves out the factor <x, x'> of its own first line.
"""

from __future__ import annotations

import numpy as np

from .activations import get_activation
from .errors import InvalidParameter, check_choice, check_finite, check_positive
from .net import Net

LAYER_CHOICES = ("both", "inner", "outer")
CLOSED_FORMS = ("relu", "leaky_relu", "identity")


def _inputs(name, X, d=None) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or (d is not None and X.shape[1] != d):
        want = "(n, d)" if d is None else f"(n, {d})"
        raise InvalidParameter(name, f"array of shape {X.shape}", f"expected shape {want}")
    check_finite(name, X)
    return X


def angles(X1, X2, s: float = 0.0, same: bool = False) -> np.ndarray:
    """Angles between the augmented inputs (x, s) and (x', s), shape (n1, n2), accurate for
    near-parallel pairs: theta = 2 atan2(|u - v|, |u + v|) on unit vectors u, v (Kahan's form;
    a plain arccos of the cosine loses half the digits there). Zero vectors get angle pi/2."""
    A = np.hstack([X1, np.full((len(X1), 1), s)]) if s else X1
    B = np.hstack([X2, np.full((len(X2), 1), s)]) if s else X2
    na, nb = np.linalg.norm(A, axis=1), np.linalg.norm(B, axis=1)
    U = A / np.where(na > 0, na, 1.0)[:, None]
    V = B / np.where(nb > 0, nb, 1.0)[:, None]
    cos = np.clip(U @ V.T, -1.0, 1.0)
    theta = np.arccos(cos)
    close = np.argwhere(np.abs(cos) > 0.9)  # recompute these pairs with differences
    if len(close):
        u, v = U[close[:, 0]], V[close[:, 1]]
        theta[close[:, 0], close[:, 1]] = 2.0 * np.arctan2(np.linalg.norm(u - v, axis=1), np.linalg.norm(u + v, axis=1))
    if same:
        np.fill_diagonal(theta, 0.0)
    theta[na == 0, :] = np.pi / 2
    theta[:, nb == 0] = np.pi / 2
    return theta


def _closed_form(activation, q1, q2, c, theta, slope):
    """(E[sigma(u) sigma(u')], E[sigma'(u) sigma'(u')]) for relu, leaky_relu, identity."""
    if activation == "identity":
        return c, np.ones_like(c)
    root = np.sqrt(np.outer(q1, q2))
    k1 = root / (2 * np.pi) * (np.sin(theta) + (np.pi - theta) * np.cos(theta))  # E[relu(u) relu(u')]
    k0 = (np.pi - theta) / (2 * np.pi)                                            # P(u > 0, u' > 0)
    dead = (q1 == 0)[:, None] | (q2 == 0)[None, :]  # u = 0 surely: relu'(0) = 0
    k0 = np.where(dead, 0.0, k0)
    if activation == "relu":
        return k1, k0
    # leaky: sigma = g u + (1 - g) relu(u), so E[sigma sigma'] = g c + (1 - g)^2 k1 (E[u relu(u')] = c / 2)
    # and sigma' = g + (1 - g) 1[u > 0], with P(u > 0) = 1/2 unless u = 0 surely
    g = slope
    p1, p2 = np.where(q1 > 0, 0.5, 0.0), np.where(q2 > 0, 0.5, 0.0)
    outer = g * c + (1 - g) ** 2 * k1
    inner = g * g + g * (1 - g) * (p1[:, None] + p2[None, :]) + (1 - g) ** 2 * k0
    return outer, inner


def _quadrature(activation, q1, q2, c, slope, points: int):
    """(E[sigma(u) sigma(u')], E[sigma'(u) sigma'(u')]) by 2D Gauss-Hermite quadrature:
    u = sqrt(q) z1, u' = sqrt(q') (rho z1 + sqrt(1 - rho^2) z2), z ~ N(0, I_2)."""
    act = get_activation(activation)
    z, w = np.polynomial.hermite_e.hermegauss(points)
    w = w / w.sum()
    r1, r2 = np.sqrt(q1), np.sqrt(q2)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.clip(np.where(np.outer(r1, r2) > 0, c / np.outer(r1, r2), 0.0), -1.0, 1.0)
    co = np.sqrt(np.maximum(1.0 - rho * rho, 0.0))
    Z1, Z2 = z[None, :, None], z[None, None, :]
    W2 = np.outer(w, w)[None]
    outer = np.empty_like(c)
    inner = np.empty_like(c)
    for i in range(len(q1)):
        u = r1[i] * Z1                                                            # (1, k, 1)
        f_u, d_u = act.f(u, slope), act.df(u, slope)
        v = r2[:, None, None] * (rho[i][:, None, None] * Z1 + co[i][:, None, None] * Z2)  # (n2, k, k)
        outer[i] = np.sum(W2 * f_u * act.f(v, slope), axis=(1, 2))
        inner[i] = np.sum(W2 * d_u * act.df(v, slope), axis=(1, 2))
    return outer, inner


def analytic_ntk(X1, X2=None, *, activation: str = "relu", layers: str = "both", bias_std: float = 0.0,
                 slope: float = 0.01, quadrature_points: int = 200) -> np.ndarray:
    """The infinite-width NTK of ``f(x) = p^(-1/2) sum_j a_j sigma(w_j . x + b_j)`` (see the module
    docstring), an (n1, n2) float64 array; ``X2=None`` means X1 against itself.

    ReLU, leaky ReLU (``slope``) and identity in closed form (arc-cosine kernels of order 0 and 1,
    with stable angles so that the ReLU "both" diagonal is exactly |x|^2); sigmoid and tanh by
    Gauss-Hermite quadrature with ``quadrature_points`` nodes per dimension (absolute accuracy
    measured with tanh at 200 nodes: 1e-16 for unit inputs, 2e-9 for |x| <= 1.8, 1e-4 for
    |x| ~ 4; sigma' = sech^2 has complex poles that slow Gauss-Hermite down as |x| grows).
    """
    check_choice("layers", layers, LAYER_CHOICES)
    get_activation(activation)
    s = check_positive("bias_std", bias_std, allow_zero=True)
    if not 8 <= int(quadrature_points) <= 250:
        raise InvalidParameter("quadrature_points", quadrature_points,
                               "expected 8 to 250 (NumPy's Hermite nodes overflow beyond)")
    X1 = _inputs("X1", X1)
    same = X2 is None
    X2 = X1 if same else _inputs("X2", X2, X1.shape[1])
    q1 = np.sum(X1 * X1, axis=1) + s * s
    q2 = np.sum(X2 * X2, axis=1) + s * s
    dot = X1 @ X2.T
    if same:
        np.fill_diagonal(dot, np.sum(X1 * X1, axis=1))
    c = dot + s * s
    if activation in CLOSED_FORMS:
        outer, inner = _closed_form(activation, q1, q2, c, angles(X1, X2, s, same), float(slope))
    else:
        outer, inner = _quadrature(activation, q1, q2, c, float(slope), quadrature_points)
    K_in = (dot + (1.0 if s > 0 else 0.0)) * inner
    return {"outer": outer, "inner": K_in, "both": outer + K_in}[layers]


def nngp_kernel(X1, X2=None, **kw) -> np.ndarray:
    """E[sigma(w . x + b) sigma(w . x' + b)]: the NNGP kernel, which is the ``layers="outer"`` NTK."""
    return analytic_ntk(X1, X2, layers="outer", **kw)


def empirical_ntk(net: Net, X1, X2=None, layers: str = "both") -> np.ndarray:
    """The finite-width NTK sum_theta df(x)/dtheta df(x')/dtheta of a scalar ``tl.Net``, (n1, n2),
    by the contraction formula (no n x P Jacobian is formed), with s the width scaling:

    - a:  s^2 sum_j sigma(z_j) sigma(z'_j)
    - W:  s^2 (x . x') sum_j a_j^2 sigma'(z_j) sigma'(z'_j)
    - c:  s^2 sum_j a_j^2 sigma'(z_j) sigma'(z'_j)      (networks with bias)

    ``layers``: "outer" (a), "inner" (W and c) or "both".
    """
    check_choice("layers", layers, LAYER_CHOICES)
    if net.outputs != 1:
        raise InvalidParameter("net", f"network with {net.outputs} outputs", "empirical_ntk takes a scalar network")
    X1 = net.check_inputs(X1, "X1")
    X2 = X1 if X2 is None else net.check_inputs(X2, "X2")
    act = get_activation(net.activation)
    Z1, Z2 = net.preactivations(X1), net.preactivations(X2)
    s2 = net.scale ** 2
    K = np.zeros((len(X1), len(X2)))
    if layers in ("outer", "both"):
        K += s2 * act.f(Z1, net.slope) @ act.f(Z2, net.slope).T
    if layers in ("inner", "both"):
        D = s2 * (act.df(Z1, net.slope) * net.a ** 2) @ act.df(Z2, net.slope).T
        K += D * (X1 @ X2.T + (1.0 if net.bias else 0.0))
    return K


def kernel_regression(K_train, y, K_test=None, ridge: float = 0.0) -> np.ndarray:
    """Kernel ridge (ridge > 0) or ridgeless (ridge = 0, least-norm through lstsq) regression.

    Returns the predictions ``K_test (K_train + ridge I)^-1 y`` (at the training points when
    K_test is None). Shapes: K_train (n, n), y (n,), K_test (n*, n).
    """
    K_train, y = np.asarray(K_train, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ridge = check_positive("ridge", ridge, allow_zero=True)
    A = K_train + ridge * np.eye(len(K_train))
    coef = np.linalg.solve(A, y) if ridge > 0 else np.linalg.lstsq(A, y, rcond=None)[0]
    return (K_train if K_test is None else np.asarray(K_test)) @ coef


def linearised_predictor(K_train, K_test, y, f0_train, f0_test, t) -> np.ndarray:
    """The network linearised at initialisation after time t of gradient flow on the loss
    (1/(2n)) sum (f - y)^2:

        f_t(X*) = f_0(X*) + K(X*, X) K^-1 (I - exp(-t K / n)) (y - f_0(X)),

    with K the NTK Gram matrix on the n training points (symmetric positive definite), t the
    gradient-flow time (GD with step eta for k steps: t = eta k). ``t`` may be an array.
    """
    K_train = np.asarray(K_train, dtype=np.float64)
    n = len(K_train)
    lam, V = np.linalg.eigh(K_train)
    if lam.min() <= 0:
        raise InvalidParameter("K_train", f"matrix with lambda_min = {lam.min():.3g}",
                               "the linearised predictor needs a positive definite NTK Gram matrix")
    r = V.T @ (np.asarray(y) - np.asarray(f0_train))
    ts = np.atleast_1d(np.asarray(t, dtype=np.float64))
    out = np.array([np.asarray(f0_test) + np.asarray(K_test) @ (V @ ((1.0 - np.exp(-ti * lam / n)) / lam * r))
                    for ti in ts])
    return out[0] if np.ndim(t) == 0 else out

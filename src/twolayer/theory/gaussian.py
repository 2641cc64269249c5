"""Gaussian averages of activations: the integrals of the teacher-student order-parameter ODEs.

For jointly Gaussian, zero-mean variables ``u`` with covariance ``C`` (batched: ``C`` has shape
``(..., p, p)``) and an activation ``g`` with derivative ``g'``:

- ``I2(C)  = E[g(u1) g(u2)]``                       (p = 2)
- ``I3(C)  = E[g'(u1) u2 g(u3)]``                   (p = 3)
- ``I4(C)  = E[g'(u1) g'(u2) g(u3) g(u4)]``         (p = 4)
- ``J2(C)  = E[g'(u1) g'(u2)]``                     (p = 2, the label-noise term)

Closed forms (exact to rounding):

- ``erf``: g(x) = erf(x / sqrt(2)) (Saad & Solla 1995; "erf" below); I2 = (2/pi) arcsin(C12 / sqrt((1+C11)(1+C22))),
  I3 = (2/pi) (C23 (1+C11) - C12 C13) / ((1+C11) sqrt((1+C11)(1+C33) - C13^2)),
  I4 = (4/pi^2) arcsin(L0 / sqrt(L1 L2)) / sqrt(L4) (L0, L1, L2, L4 in :func:`erf_I4`),
  J2 = (2/pi) / sqrt((1+C11)(1+C22) - C12^2).
- ``relu``: I2 is the degree-1 arc-cosine kernel sqrt(C11 C22) (sin t + (pi - t) cos t) / (2 pi), cos t = rho12;
  J2 = 1/4 + arcsin(rho12) / (2 pi); I3 by Gaussian integration by parts (Stein's lemma):
  I3 = C12 sqrt(C11 C33 - C13^2) / (2 pi C11) + C23 J2(C[1,3]).
- ``leaky_relu`` (slope s): g = s u + (1 - s) relu(u), so I2, I3 and J2 follow from the ReLU ones by linearity.
- ``identity``: I2 = C12, I3 = C23, I4 = C34 + 0 (g' = 1), J2 = 1.

Everything else (I4 of relu and leaky_relu; every integral of tanh and sigmoid) is computed by
Gauss-Hermite quadrature: the integrand is evaluated at ``u = S z`` on the product grid of the
``n``-point probabilists' Gauss-Hermite rule in each of the ``p`` (or fewer, see below) dimensions,
``S`` a symmetric square root of ``C`` (so a singular ``C``, e.g. u1 = u3, is fine). I3 is reduced
to two dimensions exactly: ``E[u2 | u1, u3]`` is linear in (u1, u3). The accuracy of each rule is
measured in ``tests/test_theory_gaussian.py`` against Monte Carlo with 1e6 samples and against the
rule with twice the points: for tanh and sigmoid I2, I3, J2 are within 1e-5 absolute and I4 (24 points
per axis; tanh saturates, so convergence is slow for variances above ~1) within 1e-4, for variances
up to about 2; I4 of relu and
leaky_relu (kinked integrand) is integrated exactly along one axis and by 2^11 fixed quasi-Monte-
Carlo points over the other three. That rule's error has a heavy tail and falls about as 1/points:
against 2^19 points, over 180 random covariances with variances up to 5, the median error was
2.5e-4 and the largest 4.9e-3 (2.6e-3 with 2^12 points and 1.2e-3 with 2^13, but each doubling of
the points doubles the cost of the ODEs' drift); :data:`QUAD_ACCURACY` states 5e-3.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
from scipy.special import erf as _erf
from scipy.special import expit

ACTIVATIONS = ("erf", "relu", "leaky_relu", "tanh", "sigmoid", "identity")
QUAD_POINTS = {2: 48, 3: 20, 4: 24}     # Gauss-Hermite points per axis, by dimension (smooth integrands)
KINK_POINTS_4D = 11                     # log2 of the quasi-Monte-Carlo points for I4 of relu / leaky_relu
QUAD_ACCURACY = {"smooth": 1e-5, "smooth_I4": 1e-4, "kinked": 5e-3}   # stated absolute accuracy (variances <~ 2), tested


# -- the activations themselves (numpy, for quadrature and for Monte Carlo) ---------------------------
def g(name: str, u, slope: float = 0.01):
    """The activation ``name`` applied elementwise to ``u``."""
    u = np.asarray(u, dtype=float)
    if name == "erf":
        return _erf(u / np.sqrt(2.0))
    if name == "relu":
        return np.maximum(u, 0.0)
    if name == "leaky_relu":
        return np.where(u > 0, u, slope * u)
    if name == "tanh":
        return np.tanh(u)
    if name == "sigmoid":
        return expit(u)
    if name == "identity":
        return u.copy()
    raise ValueError(f"unknown activation {name!r}")


def dg(name: str, u, slope: float = 0.01):
    """The derivative g'(u) elementwise (kinks: the right derivative at 0 is not used; at 0 relu' = 0)."""
    u = np.asarray(u, dtype=float)
    if name == "erf":
        return np.sqrt(2.0 / np.pi) * np.exp(-0.5 * u * u)
    if name == "relu":
        return (u > 0).astype(float)
    if name == "leaky_relu":
        return np.where(u > 0, 1.0, slope)
    if name == "tanh":
        return 1.0 - np.tanh(u) ** 2
    if name == "sigmoid":
        s = expit(u)
        return s * (1.0 - s)
    if name == "identity":
        return np.ones_like(u)
    raise ValueError(f"unknown activation {name!r}")


# -- erf: closed forms (Saad & Solla 1995) -----------------------------------------------------------
def erf_I2(C):
    """E[g(u1) g(u2)] for g(x) = erf(x/sqrt 2); ``C`` (..., 2, 2)."""
    C = np.asarray(C, dtype=float)
    return (2 / np.pi) * np.arcsin(C[..., 0, 1] / np.sqrt((1 + C[..., 0, 0]) * (1 + C[..., 1, 1])))


def erf_J2(C):
    """E[g'(u1) g'(u2)] for g(x) = erf(x/sqrt 2); ``C`` (..., 2, 2)."""
    C = np.asarray(C, dtype=float)
    return (2 / np.pi) / np.sqrt((1 + C[..., 0, 0]) * (1 + C[..., 1, 1]) - C[..., 0, 1] ** 2)


def erf_I3(C):
    """E[g'(u1) u2 g(u3)] for g(x) = erf(x/sqrt 2); ``C`` (..., 3, 3)."""
    C = np.asarray(C, dtype=float)
    c11, c12, c13, c23, c33 = C[..., 0, 0], C[..., 0, 1], C[..., 0, 2], C[..., 1, 2], C[..., 2, 2]
    lam3 = (1 + c11) * (1 + c33) - c13 ** 2
    return (2 / np.pi) / np.sqrt(lam3) * (c23 * (1 + c11) - c12 * c13) / (1 + c11)


def erf_I4(C):
    """E[g'(u1) g'(u2) g(u3) g(u4)] for g(x) = erf(x/sqrt 2); ``C`` (..., 4, 4).

    I4 = (4/pi^2) / sqrt(L4) arcsin(L0 / sqrt(L1 L2)) with
    L4 = (1+C11)(1+C22) - C12^2,
    L0 = L4 C34 - C23 C24 (1+C11) - C13 C14 (1+C22) + C12 C13 C24 + C12 C14 C23,
    L1 = L4 (1+C33) - C23^2 (1+C11) - C13^2 (1+C22) + 2 C12 C13 C23,
    L2 = L4 (1+C44) - C24^2 (1+C11) - C14^2 (1+C22) + 2 C12 C14 C24.
    """
    C = np.asarray(C, dtype=float)
    c = {(i, j): C[..., i - 1, j - 1] for i in range(1, 5) for j in range(1, 5)}
    a11, a22 = 1 + c[1, 1], 1 + c[2, 2]
    l4 = a11 * a22 - c[1, 2] ** 2
    l0 = (l4 * c[3, 4] - c[2, 3] * c[2, 4] * a11 - c[1, 3] * c[1, 4] * a22
          + c[1, 2] * c[1, 3] * c[2, 4] + c[1, 2] * c[1, 4] * c[2, 3])
    l1 = l4 * (1 + c[3, 3]) - c[2, 3] ** 2 * a11 - c[1, 3] ** 2 * a22 + 2 * c[1, 2] * c[1, 3] * c[2, 3]
    l2 = l4 * (1 + c[4, 4]) - c[2, 4] ** 2 * a11 - c[1, 4] ** 2 * a22 + 2 * c[1, 2] * c[1, 4] * c[2, 4]
    return (4 / np.pi ** 2) / np.sqrt(l4) * np.arcsin(np.clip(l0 / np.sqrt(l1 * l2), -1.0, 1.0))


# -- relu and leaky relu: closed forms for I2, I3, J2 --------------------------------------------------
def _rho(C, i, j):
    return np.clip(C[..., i, j] / np.sqrt(C[..., i, i] * C[..., j, j]), -1.0, 1.0)


def relu_I2(C):
    """E[relu(u1) relu(u2)]: the arc-cosine kernel sqrt(C11 C22) (sin t + (pi - t) cos t) / (2 pi)."""
    C = np.asarray(C, dtype=float)
    r = _rho(C, 0, 1)
    t = np.arccos(r)
    return np.sqrt(C[..., 0, 0] * C[..., 1, 1]) * (np.sin(t) + (np.pi - t) * r) / (2 * np.pi)


def relu_J2(C):
    """E[1(u1 > 0) 1(u2 > 0)] = 1/4 + arcsin(rho) / (2 pi) (Sheppard's formula)."""
    C = np.asarray(C, dtype=float)
    return 0.25 + np.arcsin(_rho(C, 0, 1)) / (2 * np.pi)


def relu_I3(C):
    """E[1(u1 > 0) u2 relu(u3)] = C12 sqrt(C11 C33 - C13^2) / (2 pi C11) + C23 (1/4 + arcsin(rho13) / (2 pi)).

    Stein's lemma on u2: E[u2 F(u1, u3)] = C12 E[d1 F] + C23 E[d3 F] with F = 1(u1 > 0) relu(u3);
    E[delta(u1) relu(u3)] = (2 pi C11)^(-1/2) sqrt(var(u3 | u1 = 0) / (2 pi)).
    """
    C = np.asarray(C, dtype=float)
    c11, c12, c13, c23, c33 = C[..., 0, 0], C[..., 0, 1], C[..., 0, 2], C[..., 1, 2], C[..., 2, 2]
    cond = np.sqrt(np.maximum(c11 * c33 - c13 ** 2, 0.0))
    return c12 * cond / (2 * np.pi * c11) + c23 * (0.25 + np.arcsin(_rho(C, 0, 2)) / (2 * np.pi))


def leaky_I2(C, s):
    """E[g(u1) g(u2)] for g(u) = s u + (1 - s) relu(u): s^2 C12 + s (1 - s) C12 + (1 - s)^2 relu_I2."""
    C = np.asarray(C, dtype=float)
    return (s * s + s * (1 - s)) * C[..., 0, 1] + (1 - s) ** 2 * relu_I2(C)


def leaky_J2(C, s):
    """E[g'(u1) g'(u2)] for leaky relu: s^2 + s (1 - s) + (1 - s)^2 relu_J2."""
    return s * s + s * (1 - s) + (1 - s) ** 2 * relu_J2(C)


def leaky_I3(C, s):
    """E[g'(u1) u2 g(u3)] for leaky relu (g' = s + (1 - s) 1(u > 0)):
    s C23 (s + (1 - s)/2) + (1 - s) (s C23 / 2 + (1 - s) relu_I3)."""
    C = np.asarray(C, dtype=float)
    c23 = C[..., 1, 2]
    return s * c23 * (s + (1 - s) / 2) + (1 - s) * (s * c23 / 2 + (1 - s) * relu_I3(C))


# -- Gauss-Hermite quadrature ------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _grid(p: int, n: int):
    """Nodes (n^p, p) and weights (n^p,) of the product rule for E[f(z)], z ~ N(0, I_p)."""
    x, w = np.polynomial.hermite_e.hermegauss(n)
    w = w / w.sum()
    nodes = np.array(list(itertools.product(x, repeat=p)))
    weights = np.prod(np.array(list(itertools.product(w, repeat=p))), axis=1)
    return nodes, weights


def _sqrtm_psd(C):
    """A symmetric square root S of each PSD matrix of ``C`` (..., p, p): S S^T = C."""
    lam, V = np.linalg.eigh(C)
    return (V * np.sqrt(np.maximum(lam, 0.0))[..., None, :]) @ np.swapaxes(V, -1, -2)


def gauss_expect(f, C, n: int | None = None):
    """E[f(u)] for u ~ N(0, C), batched: ``C`` (B..., p, p), ``f`` maps (B..., N, p) -> (B..., N).

    The n-point Gauss-Hermite product rule in p dimensions (n = QUAD_POINTS[p] by default).
    """
    C = np.asarray(C, dtype=float)
    p = C.shape[-1]
    nodes, weights = _grid(p, n or QUAD_POINTS[p])
    u = nodes @ np.swapaxes(_sqrtm_psd(C), -1, -2)        # (B..., N, p)
    return f(u) @ weights


def quad_I2(name, C, slope=0.01, n=None):
    return gauss_expect(lambda u: g(name, u[..., 0], slope) * g(name, u[..., 1], slope), C, n)


def quad_J2(name, C, slope=0.01, n=None):
    return gauss_expect(lambda u: dg(name, u[..., 0], slope) * dg(name, u[..., 1], slope), C, n)


def quad_I3(name, C, slope=0.01, n=None):
    """E[g'(u1) u2 g(u3)] in two dimensions: u2 -> E[u2 | u1, u3] = b1 u1 + b3 u3 (exact)."""
    C = np.asarray(C, dtype=float)
    C13 = C[..., [0, 2], :][..., :, [0, 2]]
    c2 = C[..., 1, [0, 2]]                                   # (..., 2): Cov(u2, (u1, u3))
    b = _solve_psd(C13, c2)
    return gauss_expect(lambda u: dg(name, u[..., 0], slope) * (u @ b[..., :, None])[..., 0]
                        * g(name, u[..., 1], slope), C13, n)


def _solve_psd(A, b):
    """Solve A x = b batched with the pseudo-inverse (A (..., 2, 2) PSD, possibly singular)."""
    return (np.linalg.pinv(A, hermitian=True) @ b[..., None])[..., 0]


@functools.lru_cache(maxsize=None)
def _sobol_normal(p: int, log2n: int):
    """2^log2n scrambled-Sobol points (seed 0, so fixed) mapped to N(0, I_p), and equal weights."""
    from scipy.stats import qmc
    from scipy.special import ndtri

    pts = qmc.Sobol(d=p, scramble=True, seed=0).random_base2(log2n)
    return ndtri(np.clip(pts, 1e-16, 1 - 1e-16)), np.full(len(pts), 1.0 / len(pts))


def piecewise_linear_I4(C, slope: float = 0.0, n: int = KINK_POINTS_4D):
    """E[g'(u1) g'(u2) g(u3) g(u4)] for g(u) = max(u, slope u) (relu: slope 0), ``C`` (..., 4, 4).

    With u = S z (S S^T = C), the integrand is, along z1 for fixed (z2, z3, z4), a piecewise quadratic
    polynomial with breakpoints where some u_i = 0: its Gaussian integral over z1 is done exactly
    (moments of the standard normal on each interval) and the remaining function of (z2, z3, z4),
    continuous but with kinked derivatives, by 2^n fixed scrambled-Sobol points (quasi Monte Carlo:
    deterministic, and smooth in C, so an ODE solver can step through it).
    """
    from scipy.special import ndtr

    C = np.asarray(C, dtype=float)
    S = _sqrtm_psd(C)
    nodes, weights = _sobol_normal(3, n)
    a = nodes @ np.swapaxes(S[..., :, 1:], -1, -2)            # (B..., N, 4): u_i - S_i1 z1
    b = S[..., None, :, 0]                                    # (B..., 1, 4): du_i / dz1
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(np.abs(b) > 1e-300, -a / b, np.inf)
    bp = np.sort(t, axis=-1)
    shape = bp.shape[:-1] + (1,)
    edges = np.concatenate([np.full(shape, -np.inf), bp, np.full(shape, np.inf)], axis=-1)
    lo, hi = edges[..., :-1], edges[..., 1:]                  # (B..., N, 5)
    with np.errstate(invalid="ignore"):
        mid = np.where(np.isinf(lo) & np.isinf(hi), 0.0,
                       np.where(np.isinf(lo), hi - 1.0, np.where(np.isinf(hi), lo + 1.0, 0.5 * (lo + hi))))
    u_mid = a[..., None, :] + b[..., None, :] * mid[..., None]  # (B..., N, 5, 4)
    m = np.where(u_mid > 0, 1.0, slope)                        # g' on the interval; g = m u
    k = m[..., 0] * m[..., 1] * m[..., 2] * m[..., 3]
    a2, a3 = a[..., None, 2], a[..., None, 3]
    b2, b3 = b[..., None, 2], b[..., None, 3]
    phi = lambda x: np.where(np.isfinite(x), np.exp(-0.5 * np.where(np.isfinite(x), x, 0.0) ** 2), 0.0) / np.sqrt(2 * np.pi)
    xphi = lambda x: np.where(np.isfinite(x), np.where(np.isfinite(x), x, 0.0) * phi(x), 0.0)
    m0 = ndtr(hi) - ndtr(lo)
    m1 = phi(lo) - phi(hi)
    m2 = m0 + xphi(lo) - xphi(hi)
    inner = (k * (a2 * a3 * m0 + (a2 * b3 + a3 * b2) * m1 + b2 * b3 * m2)).sum(axis=-1)
    return inner @ weights


def quad_I4(name, C, slope=0.01, n=None):
    if name in ("relu", "leaky_relu"):
        return piecewise_linear_I4(C, 0.0 if name == "relu" else slope, n or KINK_POINTS_4D)
    return gauss_expect(lambda u: dg(name, u[..., 0], slope) * dg(name, u[..., 1], slope)
                        * g(name, u[..., 2], slope) * g(name, u[..., 3], slope), C, n)


# -- the dispatch ------------------------------------------------------------------------------------
def I2(name: str, C, slope: float = 0.01):
    """E[g(u1) g(u2)], u ~ N(0, C), ``C`` (..., 2, 2): closed form for erf, relu, leaky_relu, identity."""
    C = np.asarray(C, dtype=float)
    if name == "erf":
        return erf_I2(C)
    if name == "relu":
        return relu_I2(C)
    if name == "leaky_relu":
        return leaky_I2(C, slope)
    if name == "identity":
        return C[..., 0, 1].copy()
    return quad_I2(name, C, slope)


def J2(name: str, C, slope: float = 0.01):
    """E[g'(u1) g'(u2)], ``C`` (..., 2, 2)."""
    C = np.asarray(C, dtype=float)
    if name == "erf":
        return erf_J2(C)
    if name == "relu":
        return relu_J2(C)
    if name == "leaky_relu":
        return leaky_J2(C, slope)
    if name == "identity":
        return np.ones(C.shape[:-2])
    return quad_J2(name, C, slope)


def I3(name: str, C, slope: float = 0.01):
    """E[g'(u1) u2 g(u3)], ``C`` (..., 3, 3)."""
    C = np.asarray(C, dtype=float)
    if name == "erf":
        return erf_I3(C)
    if name == "relu":
        return relu_I3(C)
    if name == "leaky_relu":
        return leaky_I3(C, slope)
    if name == "identity":
        return C[..., 1, 2].copy()
    return quad_I3(name, C, slope)


def I4(name: str, C, slope: float = 0.01):
    """E[g'(u1) g'(u2) g(u3) g(u4)], ``C`` (..., 4, 4): closed form for erf and identity, else quadrature."""
    C = np.asarray(C, dtype=float)
    if name == "erf":
        return erf_I4(C)
    if name == "identity":
        return C[..., 2, 3].copy()
    return quad_I4(name, C, slope)


def monte_carlo(kind: str, name: str, C, samples: int = 2_000_000, seed: int = 0, slope: float = 0.01):
    """Monte Carlo estimate and its standard error of integral ``kind`` (I2, I3, I4, J2) for one ``C``."""
    C = np.asarray(C, dtype=float)
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((samples, C.shape[0])) @ _sqrtm_psd(C).T
    if kind == "I2":
        val = g(name, u[:, 0], slope) * g(name, u[:, 1], slope)
    elif kind == "J2":
        val = dg(name, u[:, 0], slope) * dg(name, u[:, 1], slope)
    elif kind == "I3":
        val = dg(name, u[:, 0], slope) * u[:, 1] * g(name, u[:, 2], slope)
    elif kind == "I4":
        val = dg(name, u[:, 0], slope) * dg(name, u[:, 1], slope) * g(name, u[:, 2], slope) * g(name, u[:, 3], slope)
    else:
        raise ValueError(kind)
    return float(val.mean()), float(val.std(ddof=1) / np.sqrt(samples))

"""Initialisation schemes: one small function each, ``name(rng, m, d, K, bias, scale, outer) -> (a, W, c)``.

``scale`` is the inner scale and ``outer`` the outer scale, both standard deviations or radii
(``init_net(..., scale_as="variance")`` takes variances instead, as seed 001 writes N(0, alpha)).

==============  ====================================================================================
"sphere"        w_j (with c_j when bias) uniform on the unit sphere times ``scale``;
                a_j uniform on {-1, +1} times ``outer`` (default ``scale``)  -- seed 000
"gaussian"      a_j ~ N(0, outer^2) (default outer = scale), w_j, c_j ~ N(0, scale^2 I)  -- seed 001
"balanced"      w_j = scale g_j, c_j = scale g'_j, a_j = s_j ||(w_j, c_j)||, s_j uniform on {-1, +1}
                -- seed 003, eqs. 2.41-2.42 (outer is not used)
"normal"        w_j = scale g_j, c_j = scale g'_j, a_j = outer g''_j (default outer = scale)  -- seed 003
"fixed_outer"   a_j = +outer for the first half of the neurons, -outer for the rest
                (default outer = 1/sqrt(m)); w_j, c_j ~ N(0, scale^2 I)  -- seed 004
"zero"          everything 0
==============  ====================================================================================
"""

from __future__ import annotations

import numpy as np

from .errors import InvalidParameter, check_choice, check_int, check_positive
from .limits import FLOAT, check_memory
from .net import Net, forward, scale_factor


def _signs(rng, shape):
    return rng.choice(np.array([-1.0, 1.0]), size=shape)


def _sphere(rng, m, d, K, bias, scale, outer):
    g = rng.standard_normal((m, d + int(bias)))
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    W, c = scale * g[:, :d], (scale * g[:, d] if bias else None)
    a = (scale if outer is None else outer) * _signs(rng, (m,) if K == 1 else (m, K))
    return a, W, c


def _gaussian(rng, m, d, K, bias, scale, outer):
    a = (scale if outer is None else outer) * rng.standard_normal((m,) if K == 1 else (m, K))
    W = scale * rng.standard_normal((m, d))
    c = scale * rng.standard_normal(m) if bias else None
    return a, W, c


def _balanced(rng, m, d, K, bias, scale, outer):
    if K != 1:
        raise InvalidParameter("outputs", K, "the balanced initialisation is defined for outputs=1")
    W = scale * rng.standard_normal((m, d))
    c = scale * rng.standard_normal(m) if bias else None
    norms = np.sqrt(np.sum(W * W, axis=1) + (c * c if bias else 0.0))
    return _signs(rng, m) * norms, W, c


def _normal(rng, m, d, K, bias, scale, outer):
    W = scale * rng.standard_normal((m, d))
    c = scale * rng.standard_normal(m) if bias else None
    a = (scale if outer is None else outer) * rng.standard_normal((m,) if K == 1 else (m, K))
    return a, W, c


def _fixed_outer(rng, m, d, K, bias, scale, outer):
    outer = 1.0 / np.sqrt(m) if outer is None else outer
    s = np.where(np.arange(m) < (m + 1) // 2, 1.0, -1.0)
    a = outer * (s if K == 1 else np.repeat(s[:, None], K, axis=1))
    W = scale * rng.standard_normal((m, d))
    c = scale * rng.standard_normal(m) if bias else None
    return a, W, c


def _zero(rng, m, d, K, bias, scale, outer):
    return np.zeros((m,) if K == 1 else (m, K)), np.zeros((m, d)), (np.zeros(m) if bias else None)


INITS = {"sphere": _sphere, "gaussian": _gaussian, "balanced": _balanced, "normal": _normal,
         "fixed_outer": _fixed_outer, "zero": _zero}


def both_signs_sets(a, W, c, X, y):
    """The sets S+,1 and S-,1 of seed 003 (Assumption 5), as index arrays.

    S+,1 = {j : a_j > 0 and w_j . x_k + c_j >= 0 for every k with y_k > 0},
    S-,1 = {j : a_j < 0 and w_j . x_k + c_j >= 0 for every k with y_k < 0}.
    """
    Z = forward(a, W, c, X, "identity", 1.0)[0]
    pos, neg = y > 0, y < 0
    s_plus = np.flatnonzero((a > 0) & np.all(Z[pos] >= 0, axis=0))
    s_minus = np.flatnonzero((a < 0) & np.all(Z[neg] >= 0, axis=0))
    return s_plus, s_minus


def init_net(d: int, width: int, activation: str = "relu", scaling: str = "mean-field",
             bias: bool = False, outputs: int = 1, init: str = "gaussian", scale: float = 1.0,
             seed: int = 0, *, outer_scale: float | None = None, scale_as: str = "std",
             symmetric: bool = False, require_both_signs=None, slope: float = 0.01,
             max_tries: int = 1000) -> Net:
    """Draw a two-layer network.

    Parameters
    ----------
    d, width, outputs : input dimension, number of neurons m, number of outputs K.
    activation, scaling, slope : see :class:`Net`.
    bias : give every neuron a trainable bias c_j.
    init : one of ``INITS`` (see the module docstring); ``scale`` and ``outer_scale`` are its inner
        and outer scales (``outer_scale=None``: the scheme's default).
    scale_as : "std" (scales are standard deviations or radii) or "variance" (their squares, as
        in N(0, alpha)); ``scale=alpha`` with "variance" means std ``sqrt(alpha)``.
    symmetric : draw m/2 neurons and pair each with a copy whose outer weight is negated, so
        that f = 0 at initialisation (m must be even).
    require_both_signs : ``(X, y)`` -- redraw (up to ``max_tries`` times) until S+,1 and S-,1 are
        non-empty (seed 003, Assumption 5). X must match the network's inputs.
    seed : every draw comes from ``numpy.random.default_rng(seed)``.
    """
    d = check_int("d", d, minimum=1)
    m = check_int("width", width, minimum=1)
    K = check_int("outputs", outputs, minimum=1)
    check_choice("init", init, tuple(INITS))
    check_choice("scale_as", scale_as, ("std", "variance"))
    scale = check_positive("scale", scale, allow_zero=True)
    if outer_scale is not None:
        outer_scale = check_positive("outer_scale", outer_scale, allow_zero=True)
        if init in ("balanced", "zero"):
            raise InvalidParameter("outer_scale", outer_scale, f"the {init!r} initialisation does not use it; leave it None")
    if scale_as == "variance":
        scale = np.sqrt(scale)
        outer_scale = None if outer_scale is None else np.sqrt(outer_scale)
    scale_factor(scaling, m)  # validates the name
    if symmetric and m % 2:
        raise InvalidParameter("width", m, "symmetric=True pairs neurons, so the width must be even")
    # the draw holds W, a and c and a temporary of W's size (normalisation, symmetric copies)
    check_memory("width", m, 3.0 * FLOAT * m * (d + K + 1), "choose a smaller width (or input dimension)")
    rng = np.random.default_rng(seed)
    draw = INITS[init]

    def one_draw():
        if not symmetric:
            return draw(rng, m, d, K, bias, scale, outer_scale)
        a, W, c = draw(rng, m // 2, d, K, bias, scale, outer_scale)
        return (np.concatenate([a, -a]), np.concatenate([W, W]),
                None if c is None else np.concatenate([c, c]))

    label = (f"{init}(scale={scale:g}" + ("" if outer_scale is None else f", outer_scale={outer_scale:g}")
             + (", symmetric" if symmetric else "") + f", seed={seed})")
    if require_both_signs is None:
        return Net(*one_draw(), activation=activation, scaling=scaling, slope=slope, init=label)
    X, y = require_both_signs
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != d or y.shape != (X.shape[0],):
        raise InvalidParameter("require_both_signs", f"(X{X.shape}, y{y.shape})", f"expected (X of shape (n, {d}), y of shape (n,))")
    if K != 1:
        raise InvalidParameter("require_both_signs", "given", "only defined for outputs=1")
    for _ in range(max_tries):
        a, W, c = one_draw()
        s_plus, s_minus = both_signs_sets(a, W, c, X, y)
        if (len(s_plus) or not np.any(y > 0)) and (len(s_minus) or not np.any(y < 0)):
            return Net(a, W, c, activation=activation, scaling=scaling, slope=slope, init=label)
    raise InvalidParameter("require_both_signs", f"{max_tries} draws",
                           "S+,1 or S-,1 stayed empty; increase the width or max_tries")

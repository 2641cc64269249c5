"""The lazy (linearised) twin of a run: the network's first-order Taylor model around its
initialisation, trained with the same optimiser on the same data.

For a scalar network f(x; theta) with trainable parameters theta (a flat vector in the
:class:`~twolayer.net.Layout` order [a, W, c]) and initialisation theta_0,

    f_lin(x; theta) = f(x; theta_0) + J(x) (theta - theta_0),      J(x) = df(x; theta_0)/dtheta  (1, P),

whose tangent kernel J(x) J(x')^T is the empirical NTK at initialisation
(:func:`twolayer.ntk.empirical_ntk`). Training f_lin is a convex problem for a convex loss; with the
square loss L = r sum_i (f_i - y_i)^2 (r the reduction factor) and e = f_lin(X) - y, K = J J^T on the
training inputs, eta = 2 r lr:

- GD (step lr, k steps): e_k = (I - eta K)^k e_0 and theta_k - theta_0 = J^T c_k with
  c_k = -V diag((1 - (1 - eta lambda)^k) / lambda) V^T e_0 (K = V diag(lambda) V^T);
- gradient flow (time t): the same with 1 - exp(-2 r t lambda) in the numerator, which for the
  "half_mean" reduction (r = 1/(2n)) is :func:`twolayer.ntk.linearised_predictor`.

Predictions anywhere are f_0(x) + K(x, X) c; ||theta - theta_0||^2 = c^T K c. :func:`lazy_twin` uses
these closed forms when they apply (square loss, full-batch GD without momentum or gradient flow, no
weight decay) and otherwise steps the linear model in parameter space with the explicit Jacobian
(:func:`jacobian`) and the run's own optimiser object (SGD with the same sample orders as
:func:`twolayer.train`, momentum, Adam, weight decay, logistic and exponential losses).

The infinite-width kernel (:func:`infinite_width_ntk`) rescales :func:`twolayer.ntk.analytic_ntk` to
the network's scaling and initialisation law, so that it is the width -> infinity limit of the
empirical NTK of the same network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..activations import get_activation
from ..errors import InvalidParameter, check_choice, check_finite, check_int, check_positive
from ..limits import FLOAT, check_memory
from ..losses import get_loss, reduction_factor
from ..net import Net
from ..ntk import analytic_ntk, empirical_ntk, linearised_predictor
from ..optim import GD, Flow, epoch_orders, minibatches

METHODS = ("auto", "closed-form", "iterate")
LAWS = ("sphere", "gaussian")
HOMOGENEOUS = ("relu", "leaky_relu", "identity")    # sigma(c u) = c sigma(u) for c > 0


# -- the Jacobian and the kernels ---------------------------------------------------------------------
def jacobian(net: Net, X, trainable=("a", "W", "c")) -> np.ndarray:
    """The Jacobian of a scalar network's outputs with respect to theta, shape (n, P), in the
    layout order [a, W.ravel(), c] of ``net.theta``; columns of frozen layers are 0.

    With s the width scaling and z_ij = w_j . x_i + c_j (the formulas of :func:`twolayer.net.backward`):

    - df(x_i)/da_j   = s sigma(z_ij)
    - df(x_i)/dW_jk  = s a_j sigma'(z_ij) x_ik
    - df(x_i)/dc_j   = s a_j sigma'(z_ij)
    """
    _scalar(net)
    X = net.check_inputs(X)
    n, (m, d) = len(X), net.W.shape
    check_memory("X", n, FLOAT * n * net.theta.size * 2, "the lazy twin's Jacobian is (n, P): use fewer samples "
                 "or a smaller width")
    act = get_activation(net.activation)
    Z = net.preactivations(X)
    s = net.scale
    sl = net.layout.slices
    J = np.zeros((n, net.theta.size))
    if "a" in trainable:
        J[:, sl["a"]] = s * act.f(Z, net.slope)
    B = s * act.df(Z, net.slope) * net.a                                      # (n, m)
    if "W" in trainable:
        J[:, sl["W"]] = (B[:, :, None] * X[:, None, :]).reshape(n, m * d)
    if "c" in trainable and net.bias:
        J[:, sl["c"]] = B
    return J


def _layers(trainable) -> str | None:
    """The :func:`empirical_ntk` layer set equal to ``trainable``, or None."""
    t = set(trainable)
    return {frozenset("a"): "outer", frozenset(("W", "c")): "inner", frozenset("W"): "inner",
            frozenset(("a", "W", "c")): "both", frozenset(("a", "W")): "both"}.get(frozenset(t))


def tangent_gram(net: Net, X1, X2=None, trainable=("a", "W", "c")) -> np.ndarray:
    """J(X1) J(X2)^T, the empirical NTK of the trainable layers (n1, n2): through
    :func:`twolayer.ntk.empirical_ntk` (no Jacobian formed) when the layer set is one it knows."""
    layers = _layers(tuple(t for t in trainable if t != "c" or net.bias))
    if layers is not None and not (layers == "inner" and net.bias and "c" not in trainable):
        return empirical_ntk(net, X1, X2, layers=layers)
    J1 = jacobian(net, X1, trainable)
    return J1 @ (J1 if X2 is None else jacobian(net, X2, trainable)).T


def init_law(net: Net):
    """(law, inner_scale, outer_rms) read from the label ``net.init`` that :func:`twolayer.init_net`
    wrote, for the "sphere" and "gaussian" schemes (w_j = inner_scale times a unit-sphere or standard
    Gaussian vector; E a_j^2 = outer_rms^2); None for other schemes or a network built by hand. The
    label keeps 6 significant digits, so the scales are known to about 1e-6 relatively."""
    match = re.match(r"^(sphere|gaussian)\(scale=([^,)]+)(?:, outer_scale=([^,)]+))?", net.init or "")
    if not match:
        return None
    inner = float(match.group(2))
    return match.group(1), inner, float(match.group(3)) if match.group(3) else inner


def infinite_width_ntk(X1, X2=None, *, activation: str = "relu", width: int, scaling: str = "mean-field",
                       law: str = "sphere", inner_scale: float = 1.0, outer_rms: float = 1.0, layers: str = "both",
                       slope: float = 0.01) -> np.ndarray:
    """The m -> infinity limit of the empirical NTK of f(x) = s(m) sum_j a_j sigma(w_j . x) (no bias)
    with w_j = inner_scale * g_j, g_j standard Gaussian ("gaussian") or uniform on the unit sphere
    ("sphere"), and E a_j^2 = outer_rms^2, as an (n1, n2) array:

        K(x, x') = s(m)^2 m [ E sigma(w.x) sigma(w.x')  +  outer_rms^2 (x . x') E sigma'(w.x) sigma'(w.x') ]

    (first term: layer a, "outer"; second: layer W, "inner"), the expectations from
    :func:`twolayer.ntk.analytic_ntk` on the inputs scaled by inner_scale (Gaussian law); for the sphere
    law and a positively homogeneous activation (relu, leaky_relu, identity), w = |g| g/|g| with
    E|g|^2 = d gives the outer term inner_scale^2 K_outer(x, x') / d and the inner term unchanged.
    """
    check_choice("law", law, LAWS)
    beta = check_positive("inner_scale", inner_scale)
    A = check_positive("outer_rms", outer_rms, allow_zero=True)
    from ..net import scale_factor

    width = check_int("width", width, minimum=1)
    s = scale_factor(scaling, width)
    X1 = np.asarray(X1, dtype=np.float64)
    d = X1.shape[1] if X1.ndim == 2 else 1
    if law == "sphere" and activation not in HOMOGENEOUS:
        raise InvalidParameter("activation", activation, "the sphere law has a closed form for relu, leaky_relu and "
                               "identity only; use law='gaussian'")
    Y2 = None if X2 is None else np.asarray(X2, dtype=np.float64)
    kw = {"activation": activation, "slope": slope}
    if law == "gaussian":
        outer = analytic_ntk(beta * X1, None if Y2 is None else beta * Y2, layers="outer", **kw)
        inner = analytic_ntk(beta * X1, None if Y2 is None else beta * Y2, layers="inner", **kw) / beta ** 2
    else:
        outer = beta ** 2 * analytic_ntk(X1, Y2, layers="outer", **kw) / d
        inner = analytic_ntk(X1, Y2, layers="inner", **kw)
    check_choice("layers", layers, ("both", "inner", "outer"))
    K = {"outer": outer, "inner": A * A * inner, "both": outer + A * A * inner}[layers]
    return s * s * width * K


def second_derivative(net: Net, X, v, w=None, trainable=("a", "W", "c")):
    """The second derivative of the outputs along v, D^2 f[v, v] (n,), and, given w (n,), the
    Hessian-vector product D^2 (w . f)[v] (P,), in closed form (a.e. for ReLU, where sigma'' = 0).

    With RZ = X v_W^T + v_c (n, m) and s the width scaling:
    D^2 f(x_i)[v, v] = s sum_j (2 v_a,j sigma'(z_ij) RZ_ij + a_j sigma''(z_ij) RZ_ij^2), and
    D^2 (w . f)[v] = (s RH^T w, B'^T X, column sums of B') with RH = sigma'(Z) RZ and
    B' = s (w v_a^T) sigma'(Z) + s (w a^T) sigma''(Z) RZ.
    """
    X = net.check_inputs(X)
    mask = net.layout.mask(tuple(t for t in trainable if t != "c" or net.bias))
    v = np.where(mask, v, 0.0)
    act = get_activation(net.activation)
    va, vW, vc = net.layout.unpack(v)
    Z = net.preactivations(X)
    RZ = X @ vW.T + (0.0 if vc is None else vc)
    D1, D2 = act.df(Z, net.slope), act.d2f(Z, net.slope)
    s = net.scale
    second = s * ((2.0 * D1 * RZ) @ va + (D2 * RZ * RZ) @ net.a)
    if w is None:
        return second
    Bp = s * (np.outer(w, va) * D1 + np.outer(w, net.a) * D2 * RZ)
    hv = net.layout.pack(s * ((D1 * RZ).T @ w), Bp.T @ X, None if vc is None else Bp.sum(axis=0))
    return second, np.where(mask, hv, 0.0)


def laziness_scale(net: Net, X, y, trainable=("a", "W", "c"), rounds: int = 100, tol: float = 1e-10, seed: int = 0) -> dict:
    """The laziness scale of Chizat, Oyallon and Bach (2019) at the network's parameters,

        kappa = ||f(theta_0) - y|| ||D^2 f(theta_0)|| / ||D f(theta_0)||^2,

    f the vector of outputs on the training inputs (n,). ||Df|| is the largest singular value of the
    Jacobian (exact). ||D^2 f|| = sup_{|u| = |v| = 1} ||D^2 f[u, v]|| = sup_{|w| = 1} ||sum_i w_i H_i||
    (H_i the Hessian of f(x_i); for symmetric matrices sup_{u, v} u^T M v = sup_v |v^T M v|) is
    estimated by alternating maximisation, a power method in two blocks: v = the top eigenvector of
    sum_i w_i H_i (scipy's eigsh on closed-form Hessian-vector products), then w = D^2 f[v, v] / norm,
    from the top right singular vector of J, until a round gains less than ``tol`` relatively (at
    most ``rounds``; the rounds converge linearly, like a power method). Each round cannot decrease
    ||D^2 f[v, v]||, and every value is attained, so the estimate is a lower bound of the norm (a
    local maximum). ReLU: the almost-everywhere second derivative (no kink terms).
    Returns {kappa, residual, jac_norm, hess_norm}; kappa << 1 is the lazy regime.
    """
    from scipy.sparse.linalg import LinearOperator, eigsh

    _scalar(net)
    X = net.check_inputs(X)
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (len(X),):
        raise InvalidParameter("y", f"array of shape {y.shape}", f"expected shape ({len(X)},)")
    check_finite("y", y)
    J = jacobian(net, X, trainable)
    _, S, Vt = np.linalg.svd(J, full_matrices=False)
    v = Vt[0] if S[0] > 0 else np.random.default_rng(seed).standard_normal(J.shape[1])
    v = v / np.linalg.norm(v)
    best = 0.0
    P = J.shape[1]
    for _ in range(rounds):
        q = second_derivative(net, X, v, None, trainable)
        norm = float(np.linalg.norm(q))
        if norm <= best * (1 + tol) and best > 0:
            break
        best = max(best, norm)
        if norm == 0:
            break
        w = q / norm
        op = LinearOperator((P, P), matvec=lambda u, w=w: second_derivative(net, X, np.ravel(u), w, trainable)[1])
        vals, vecs = eigsh(op, k=1, which="LM", v0=v, tol=1e-6, maxiter=200)
        v = vecs[:, 0] / np.linalg.norm(vecs[:, 0])
    best = max(best, float(np.linalg.norm(second_derivative(net, X, v, None, trainable))))
    res = float(np.linalg.norm(net(X) - y))
    jn = float(S[0])
    return {"kappa": res * best / jn ** 2 if jn > 0 else float("inf"), "residual": res, "jac_norm": jn,
            "hess_norm": best}


# -- the twin -----------------------------------------------------------------------------------------
@dataclass
class LazyTwin:
    """What :func:`lazy_twin` recorded, at T points (the run's record schedule).

    steps (T,) int (0 for gradient flow); times (T,) continuous time (lr * step, or the flow time).
    train_loss, test_loss (T,): the twin's data loss (test_loss None without a test set).
    train_out (T, n), test_out (T, n_test) or None: the twin's predictions.
    weight_change (T,): ||theta_t - theta_0|| / ||theta_0|| of the twin.
    real_* and distance_* are None unless the real run was given or trained alongside:
    distance_train, distance_test (T,): RMS over the inputs of f_real - f_twin;
    real_weight_change (T,): the same ratio for the real network.
    kernel_train_loss, kernel_test_loss (T,), kernel_test_out (T, n_test): the infinite-width kernel
    predictor (see :func:`lazy_twin`), None where it does not apply (``info["kernel"]`` says why).
    method: "closed-form" or "iterate".
    """

    steps: np.ndarray
    times: np.ndarray
    train_loss: np.ndarray
    weight_change: np.ndarray
    train_out: np.ndarray
    test_loss: np.ndarray | None = None
    test_out: np.ndarray | None = None
    real_train_loss: np.ndarray | None = None
    real_test_loss: np.ndarray | None = None
    real_weight_change: np.ndarray | None = None
    distance_train: np.ndarray | None = None
    distance_test: np.ndarray | None = None
    kernel_train_loss: np.ndarray | None = None
    kernel_test_loss: np.ndarray | None = None
    kernel_test_out: np.ndarray | None = None
    method: str = ""
    info: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """The numbers at the last recorded point (floats, None where not recorded)."""
        def last(v):
            return None if v is None else float(np.asarray(v)[-1])
        return {k: last(getattr(self, k)) for k in ("train_loss", "test_loss", "weight_change", "real_train_loss",
                                                     "real_test_loss", "real_weight_change", "distance_train",
                                                     "distance_test", "kernel_train_loss", "kernel_test_loss")}


def _scalar(net) -> None:
    if not isinstance(net, Net):
        raise InvalidParameter("net", type(net).__name__, "expected a twolayer.Net, e.g. from tl.init_net(...)")
    if net.outputs != 1:
        raise InvalidParameter("net", f"network with {net.outputs} outputs", "the lazy twin takes a scalar network")


def _loss_of(loss: str, reduction: str, out, y) -> np.ndarray:
    """r sum_i ell(out_i, y_i) for out of shape (T, n): (T,)."""
    fn = get_loss(loss)
    return reduction_factor(loss, reduction, len(y)) * np.array([np.sum(fn.value(o, y)) for o in out])


def _closed_form_applies(spec) -> bool:
    opt = spec.optimizer
    plain = isinstance(opt, Flow) or (isinstance(opt, GD) and opt.momentum == 0.0)
    return spec.obj.loss_name == "square" and spec.obj.weight_decay == 0.0 and plain


def lazy_twin(net: Net, X, y, loss: str = "square", reduction: str | None = None, weight_decay: float = 0.0,
              trainable=None, optimizer=None, steps: int | None = None, record_every: int | None = None,
              engine: str = "auto", seed: int = 0, *, t_max: float | None = None, record_at=None, X_test=None,
              y_test=None, real=None, kernel="auto", method: str = "auto", quiet: bool = True) -> LazyTwin:
    """Train the linearisation of ``net`` around its parameters with the arguments of
    :func:`twolayer.train` (same names and defaults, same validation, same record schedule) and
    return a :class:`LazyTwin`.

    Parameters
    ----------
    net, X, y, loss, reduction, weight_decay, trainable, optimizer, steps, record_every, seed, t_max,
    record_at, X_test, y_test : as in :func:`twolayer.train` (``seed``: the SGD sample orders, so
        that the twin sees the same minibatches as the real run). ``net`` must be scalar.
    engine, quiet : used only to train the real network alongside (``real=True``).
    real : None (twin only); a :class:`~twolayer.Trajectory` of the real run recorded with snapshots
        at the same steps (times for gradient flow); or True: train it now with :func:`twolayer.train`.
    kernel : "auto" -- the infinite-width kernel predictor ``ntk.linearised_predictor`` with
        :func:`infinite_width_ntk` for the law read by :func:`init_law` and the network's own f_0,
        where it applies (square loss, GD without momentum or gradient flow (GD at step k is compared
        at the flow time lr k), no weight decay, no bias, a known initialisation law); a tuple
        (law, inner_scale, outer_rms) to give the law; None to skip.
    method : "auto" (closed form when it applies, see the module docstring), "closed-form" or "iterate".

    Raises
    ------
    InvalidParameter : bad input, before any work.
    """
    from ..train import prepare, train
    from ..trajectory import Trajectory

    check_choice("method", method, METHODS)
    _scalar(net)
    spec = prepare(net, X, y, loss, reduction, weight_decay, trainable, optimizer, steps, record_every, "numpy",
                   seed, t_max=t_max, record_at=record_at, X_test=X_test, y_test=y_test, snapshots=False, quiet=True)
    if real is not None and real is not True and not isinstance(real, Trajectory):
        raise InvalidParameter("real", type(real).__name__, "expected None, True or the real run's Trajectory")
    if method == "closed-form" and not _closed_form_applies(spec):
        raise InvalidParameter("method", method, "the closed form needs the square loss, GD without momentum or "
                               "gradient flow, and no weight decay")
    if kernel not in ("auto", None) and not (isinstance(kernel, tuple) and len(kernel) == 3 and kernel[0] in LAWS):
        raise InvalidParameter("kernel", kernel, "expected 'auto', None or (law, inner_scale, outer_rms) with law in "
                               + ", ".join(LAWS))
    real_traj = None
    if isinstance(real, Trajectory):
        real_traj = _match(real, spec)
    elif real is True:
        real_traj = train(net, X, y, loss, reduction, weight_decay, trainable, optimizer, steps, record_every, engine,
                          seed, t_max=t_max, record_at=record_at, X_test=X_test, y_test=y_test, snapshots=True,
                          quiet=quiet)

    twin = twin_of(spec, method)
    if real_traj is not None:
        _compare(twin, spec, real_traj)
    if kernel is not None:
        _kernel_predictor(twin, spec, kernel)
    return twin


def twin_of(spec, method: str = "auto") -> LazyTwin:
    """The lazy twin of a prepared run (a :class:`twolayer.train.RunSpec` from
    :func:`twolayer.train.prepare`, as studies hold them), recorded at the run's own schedule: the
    closed form where it applies and ``method`` is not "iterate", else the stepped linear model.
    Raises InvalidParameter when the (n, P) Jacobian would not fit in memory."""
    use_closed = _closed_form_applies(spec) and method != "iterate"
    n = spec.obj.n
    if use_closed:      # K, its eigenvectors and the (T, n) coefficients
        check_memory("X", n, FLOAT * (3 * n * n + 2 * len(spec.schedule) * n), "the lazy twin's closed form "
                     "diagonalises the (n, n) tangent kernel: use fewer samples")
    twin = (_closed_form if use_closed else _iterate)(spec)
    twin.method = "closed-form" if use_closed else "iterate"
    twin.info["method"] = twin.method
    return twin


def _schedule(spec):
    """(steps, times) of the record schedule."""
    if spec.is_flow:
        times = np.asarray(spec.schedule, dtype=np.float64)
        return np.zeros(len(times), dtype=np.int64), times
    steps = np.asarray(spec.schedule, dtype=np.int64)
    return steps, spec.optimizer.lr * steps.astype(np.float64)


def _finish(spec, steps, times, out, out_t, wchange) -> LazyTwin:
    obj = spec.obj
    twin = LazyTwin(steps=steps, times=times, train_loss=_loss_of(obj.loss_name, obj.reduction, out, obj.y),
                    weight_change=wchange, train_out=out)
    if spec.test is not None:
        twin.test_out = out_t
        twin.test_loss = _loss_of(obj.loss_name, obj.reduction, out_t, spec.test[1])
    bad = ~np.isfinite(twin.train_loss)
    if bad.any():
        twin.info["diverged_at"] = int(np.argmax(bad))
    return twin


def _closed_form(spec) -> LazyTwin:
    """The exact twin of GD (no momentum) or gradient flow on the square loss, in the eigenbasis of K."""
    net, obj = spec.net, spec.obj
    K = tangent_gram(net, obj.X, None, obj.trainable)
    lam, V = np.linalg.eigh(0.5 * (K + K.T))
    f0 = net(obj.X)
    e0 = V.T @ (f0 - obj.y)
    r = reduction_factor(obj.loss_name, obj.reduction, obj.n)
    steps, times = _schedule(spec)
    with np.errstate(all="ignore"):
        if spec.is_flow:
            rate = 2.0 * r * lam
            phi = np.where(lam == 0, 2.0 * r * times[:, None], -np.expm1(-np.outer(times, rate)) / lam)
        else:
            eta = 2.0 * r * spec.optimizer.lr
            q = eta * lam
            k = steps[:, None].astype(np.float64)
            small = np.abs(q) < 1.0
            num = np.where(small, -np.expm1(k * np.log1p(-np.where(small, q, 0.0))), 1.0 - np.power(1.0 - q, k))
            phi = np.where(lam == 0, eta * k, num / lam)
        C = -(phi * e0) @ V.T                        # (T, n): theta_t - theta_0 = J^T c_t
        out = f0 + C @ K.T
        norm0 = np.linalg.norm(net.theta)
        wchange = np.sqrt(np.maximum(np.einsum("ti,ij,tj->t", C, K, C), 0.0)) / norm0
    out_t = None
    if spec.test is not None:
        Kt = tangent_gram(net, spec.test[0], obj.X, obj.trainable)
        out_t = net(spec.test[0]) + C @ Kt.T
    twin = _finish(spec, steps, times, out, out_t, wchange)
    twin.info["eigenvalues"] = (float(lam.min()), float(lam.max()))
    return twin


def _iterate(spec) -> LazyTwin:
    """Step the linear model theta -> f_0 + J (theta - theta_0) with the run's optimiser (or integrate
    its gradient flow with scipy), in parameter space."""
    net, obj = spec.net, spec.obj
    J = jacobian(net, obj.X, obj.trainable)
    f0, theta0 = net(obj.X), net.theta
    lossfn = get_loss(obj.loss_name)
    mask, wd = obj.mask, obj.weight_decay

    def grad(delta, batch=None):
        rows = slice(None) if batch is None else batch
        Jb, yb = J[rows], obj.y[rows]
        out = f0[rows] + Jb @ delta
        g = Jb.T @ (reduction_factor(obj.loss_name, obj.reduction, len(yb)) * lossfn.deriv(out, yb))
        return g + wd * np.where(mask, theta0 + delta, 0.0) if wd else g

    steps, times = _schedule(spec)
    if spec.is_flow:
        deltas = _flow(spec, grad, theta0.size, times)
    else:
        deltas = _discrete(spec, grad, theta0.size, steps)
    out = f0 + deltas @ J.T
    out_t = None
    if spec.test is not None:
        out_t = net(spec.test[0]) + deltas @ jacobian(net, spec.test[0], obj.trainable).T
    return _finish(spec, steps, times, out, out_t, np.linalg.norm(deltas, axis=1) / np.linalg.norm(theta0))


def _discrete(spec, grad, size, record) -> np.ndarray:
    opt = spec.optimizer
    delta = np.zeros(size)
    state = opt.init(delta)
    batches = None
    if opt.batch_size is not None:
        batches = minibatches(epoch_orders(spec.seed, spec.obj.n, -(-spec.steps // -(-spec.obj.n // opt.batch_size))),
                              opt.batch_size, spec.steps)
    rows = np.full((len(record), size), np.nan)
    k = 0
    with np.errstate(all="ignore"):
        for t in range(spec.steps + 1):
            while k < len(record) and record[k] == t:
                rows[k] = delta
                k += 1
            if t == spec.steps or not np.all(np.isfinite(delta)):
                break
            delta += opt.update(grad(delta, None if batches is None else next(batches)), state, t)
    return rows


def _flow(spec, grad, size, times) -> np.ndarray:
    from scipy.integrate import solve_ivp

    flow = spec.optimizer
    if times[-1] == 0:
        return np.zeros((len(times), size))
    sol = solve_ivp(lambda t, th: -grad(th), (0.0, float(times[-1])), np.zeros(size), method=flow.method,
                    t_eval=times, rtol=flow.rtol, atol=flow.atol, max_step=flow.max_step)
    if not sol.success:
        raise InvalidParameter("optimizer", flow, f"the twin's gradient flow failed: {sol.message}")
    return sol.y.T


def _match(real, spec):
    """``real`` if it was recorded with snapshots at the twin's schedule, else InvalidParameter."""
    if not real.has_snapshots:
        raise InvalidParameter("real", "Trajectory without snapshots", "train the real run with snapshots=True")
    key = real.times if spec.is_flow else real.steps
    if len(key) != len(spec.schedule) or not np.allclose(key, spec.schedule, rtol=1e-12, atol=0):
        raise InvalidParameter("real", f"Trajectory with {len(key)} recorded points",
                               "record the real run at the same steps (times for flow) as the twin: same "
                               "record_every/record_at and steps/t_max")
    if real.final.W.shape != spec.net.W.shape:
        raise InvalidParameter("real", "Trajectory of another architecture", "expected the run of this network")
    return real


def _compare(twin: LazyTwin, spec, real) -> None:
    """Distances between the real run's predictor and the twin's, and the real weight change."""
    X = spec.obj.X
    theta0 = spec.net.theta
    nets = [real.net_at(i) for i in range(len(real))]
    twin.real_train_loss = np.asarray(real.train_loss, dtype=np.float64)
    twin.real_test_loss = None if real.test_loss is None else np.asarray(real.test_loss, dtype=np.float64)
    twin.real_weight_change = np.array([np.linalg.norm(n.theta - theta0) for n in nets]) / np.linalg.norm(theta0)
    twin.distance_train = np.sqrt(np.mean((np.array([n(X) for n in nets]) - twin.train_out) ** 2, axis=1))
    if spec.test is not None:
        Xt = spec.test[0]
        twin.distance_test = np.sqrt(np.mean((np.array([n(Xt) for n in nets]) - twin.test_out) ** 2, axis=1))


def _kernel_predictor(twin: LazyTwin, spec, kernel) -> None:
    """The infinite-width kernel predictor at the twin's recorded times, or info["kernel"] = why not."""
    net, obj, opt = spec.net, spec.obj, spec.optimizer
    law = init_law(net) if kernel == "auto" else kernel
    layers = _layers(obj.trainable)
    why = None
    if obj.loss_name != "square" or obj.weight_decay != 0.0:
        why = "the kernel predictor is for the square loss without weight decay"
    elif not (isinstance(opt, Flow) or (isinstance(opt, GD) and opt.momentum == 0.0)):
        why = "the kernel predictor is for full-batch GD without momentum or gradient flow"
    elif net.bias:
        why = "the infinite-width kernel here is for networks without bias"
    elif law is None:
        why = f"unknown initialisation law (net.init = {net.init!r}); pass kernel=(law, inner_scale, outer_rms)"
    elif law[0] == "sphere" and net.activation not in HOMOGENEOUS:
        why = f"no closed form for the sphere law with {net.activation}"
    elif layers is None:
        why = f"trainable layers {obj.trainable} have no infinite-width kernel here"
    if why is not None:
        twin.info["kernel"] = why
        return
    kw = {"activation": net.activation, "width": net.m, "scaling": net.scaling, "law": law[0],
          "inner_scale": law[1], "outer_rms": law[2], "layers": layers, "slope": net.slope}
    K = infinite_width_ntk(obj.X, **kw)
    r = reduction_factor(obj.loss_name, obj.reduction, obj.n)
    t = 2.0 * r * obj.n * twin.times            # linearised_predictor's time for the loss (1/(2n)) sum (f - y)^2
    f0 = twin.train_out[0] if twin.steps[0] == 0 and twin.times[0] == 0 else net(obj.X)
    n = obj.n
    K_out, f0_out = K, f0
    if spec.test is not None:                    # one solve for the training and the test points
        Xt, yt = spec.test
        K_out = np.vstack([K, infinite_width_ntk(Xt, obj.X, **kw)])
        f0_out = np.concatenate([f0, net(Xt)])
    try:
        out = np.atleast_2d(linearised_predictor(K, K_out, obj.y, f0, f0_out, t))
    except InvalidParameter as err:
        twin.info["kernel"] = f"the infinite-width Gram matrix is not positive definite ({err})"
        return
    twin.kernel_train_loss = _loss_of(obj.loss_name, obj.reduction, out[:, :n], obj.y)
    if spec.test is not None:
        twin.kernel_test_out = out[:, n:]
        twin.kernel_test_loss = _loss_of(obj.loss_name, obj.reduction, twin.kernel_test_out, yt)
    twin.info["kernel"] = f"infinite-width NTK, {law[0]} law, inner scale {law[1]:g}, outer rms {law[2]:g}"

"""Scalar metrics of a finished run, by name: what a study records for every run.

Each metric is a function ``f(run, arg) -> float`` of a :class:`RunResult` (the trajectory, the
initial network and the data) and an optional numeric argument written in the name, e.g.
``"time_to_loss(1e-3)"``. A metric that is not defined for a run (a test error without a test
set, a minimum-norm gap away from its setting) is NaN, never an error: a study mixes runs.

To add one, write a small function and put it in :data:`METRICS`.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidParameter, TwolayerError, closest
from .balance import balance_gaps
from .linear import stable_rank as _stable_rank
from .phases import first_below, plateaus

NAN = float("nan")


@dataclass
class RunResult:
    """What a metric may look at: ``traj`` (a :class:`twolayer.Trajectory`), ``net0`` (the initial
    network), ``X``, ``y``, the optional test set ``X_test``, ``y_test``, and ``spec``, the prepared
    run (:class:`twolayer.train.RunSpec`; the lazy-twin metrics need it)."""

    traj: object
    net0: object
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    loss: str = "square"
    spec: object = None

    @functools.cached_property
    def twin(self):
        """The run's lazy twin (:func:`twolayer.theory.lazy.twin_of`), computed once for every
        lazy-twin metric; None without ``spec`` or for a network with several outputs."""
        if self.spec is None or self.net0.outputs != 1:
            return None
        from ..theory.lazy import twin_of

        return twin_of(self.spec)


def _errors(net, X, y, loss) -> float:
    """Fraction of misclassified samples: sign(f) != y for +-1 labels, argmax for classes, and for a
    real-valued target the sign of f against the sign of y."""
    out = net(X)
    if loss == "cross_entropy":
        return float(np.mean(np.argmax(out, axis=1) != y))
    return float(np.mean(np.sign(out) != np.sign(y)))


def final_loss(r: RunResult, arg=None) -> float:
    """Training loss at the last recorded point."""
    return float(r.traj.train_loss[-1])


def min_loss(r: RunResult, arg=None) -> float:
    """Smallest recorded training loss."""
    return float(np.min(r.traj.train_loss))


def final_test_loss(r: RunResult, arg=None) -> float:
    """Test loss at the last recorded point (NaN without a test set)."""
    return NAN if r.traj.test_loss is None else float(r.traj.test_loss[-1])


def train_error(r: RunResult, arg=None) -> float:
    """Fraction of training samples the final network gets wrong (signs, or argmax for classes)."""
    return _errors(r.traj.final, r.X, r.y, r.loss)


def test_error(r: RunResult, arg=None) -> float:
    """Fraction of test samples the final network gets wrong (NaN without a test set)."""
    return NAN if r.X_test is None else _errors(r.traj.final, r.X_test, r.y_test, r.loss)


def param_norm(r: RunResult, arg=None) -> float:
    """||theta_T||, the Euclidean norm of every final parameter."""
    return float(np.linalg.norm(r.traj.final.theta))


def relative_weight_change(r: RunResult, arg=None) -> float:
    """||theta_T - theta_0|| / ||theta_0||: small in the lazy regime, order one or more in the rich one."""
    theta0 = r.net0.theta
    return float(np.linalg.norm(r.traj.final.theta - theta0) / max(np.linalg.norm(theta0), 1e-300))


def balance_drift(r: RunResult, arg=None) -> float:
    """max_j |g_j(T) - g_j(0)| with g_j = ||a_j||^2 - ||w_j||^2 - c_j^2 (conserved by gradient flow for
    homogeneous activations; GD drifts by O(lr))."""
    net0, net = r.net0, r.traj.final
    return float(np.max(np.abs(balance_gaps(net.a, net.W, net.c) - balance_gaps(net0.a, net0.W, net0.c))))


def stable_rank(r: RunResult, arg=None) -> float:
    """||W_T||_F^2 / ||W_T||_2^2 of the final first layer."""
    return float(_stable_rank(r.traj.final.W))


def final_grad_norm(r: RunResult, arg=None) -> float:
    """Norm of the full-batch gradient at the last recorded point."""
    return float(r.traj.grad_norm[-1])


def dead_fraction(r: RunResult, arg=None) -> float:
    """Fraction of ReLU units inactive on every training input at the end (NaN for other activations)."""
    net = r.traj.final
    if net.activation != "relu":
        return NAN
    return float(np.mean(np.all(net.preactivations(r.X) <= 0, axis=0)))


def time_to_loss(r: RunResult, level=None) -> float:
    """First recorded continuous time with training loss below ``level`` (NaN if never)."""
    hit = first_below(r.traj.times, r.traj.train_loss, float(level))
    return NAN if hit is None else float(hit)


def time_to_fraction(r: RunResult, fraction=None) -> float:
    """First recorded continuous time with training loss below ``fraction`` x the initial loss."""
    hit = first_below(r.traj.times, r.traj.train_loss, float(fraction) * float(r.traj.train_loss[0]))
    return NAN if hit is None else float(hit)


def plateau_count(r: RunResult, arg=None) -> float:
    """Number of plateaus of the recorded loss curve (:func:`twolayer.analysis.plateaus`)."""
    return float(len(plateaus(r.traj.times, r.traj.train_loss)))


def plateau_exit(r: RunResult, k=None) -> float:
    """Continuous time at which the k-th plateau (1 = the first) ends (NaN if there are fewer)."""
    found = plateaus(r.traj.times, r.traj.train_loss)
    k = int(k)
    return float(found[k - 1]["end"]) if 1 <= k <= len(found) else NAN


def lazy_distance(r: RunResult, arg=None) -> float:
    """RMS over the test inputs (the training inputs without a test set) of f_T(x) - f_lin,T(x), the
    final network against its lazy twin (the linearisation at initialisation trained by the same
    optimiser, :func:`twolayer.theory.lazy_twin`), relative to the RMS of the labels there. Small in
    the lazy regime (order 1/m in the NTK scaling), order one in the rich regime. Scalar networks."""
    if r.twin is None:
        return NAN
    X, y = (r.X, r.y) if r.X_test is None else (r.X_test, r.y_test)
    out = r.twin.train_out[-1] if r.X_test is None else r.twin.test_out[-1]
    return float(np.sqrt(np.mean((r.traj.final(X) - out) ** 2) / np.mean(np.asarray(y, dtype=float) ** 2)))


def lazy_final_loss(r: RunResult, arg=None) -> float:
    """Training loss of the lazy twin at the run's last recorded point (scalar networks)."""
    return NAN if r.twin is None else float(r.twin.train_loss[-1])


def lazy_test_loss(r: RunResult, arg=None) -> float:
    """Test loss of the lazy twin at the run's last recorded point (NaN without a test set)."""
    if r.twin is None or r.twin.test_loss is None:
        return NAN
    return float(r.twin.test_loss[-1])


def laziness_kappa(r: RunResult, arg=None) -> float:
    """The laziness scale of Chizat, Oyallon and Bach (2019) at initialisation,
    ||f_0 - y|| ||D^2 f|| / ||D f||^2 (:func:`twolayer.theory.laziness_scale`): << 1 is lazy."""
    if r.net0.outputs != 1:
        return NAN
    from ..theory.lazy import laziness_scale

    trainable = r.spec.obj.trainable if r.spec is not None else ("a", "W", "c")
    return float(laziness_scale(r.net0, r.X, r.y, trainable)["kappa"])


def min_norm_gap(r: RunResult, arg=None) -> float:
    """Relative gap of the final network's path norm sum_j |a_j| ||w_j|| (times the output scale) to
    the minimum-norm ReLU interpolator of the data, for ReLU networks without bias on 2-D inputs
    with one output (the thesis's setting, its 1-D inputs carrying the bias as a second
    coordinate); NaN elsewhere."""
    net = r.traj.final
    if net.activation != "relu" or net.bias or net.outputs != 1 or net.d != 2 or r.loss != "square":
        return NAN
    path = float(net.scale * np.sum(np.abs(net.a) * np.linalg.norm(net.W, axis=1)))
    best = _min_path_norm(np.ascontiguousarray(r.X).tobytes(), np.ascontiguousarray(r.y, dtype=float).tobytes())
    return path / best - 1.0 if best > 0 else NAN


@functools.lru_cache(maxsize=8)
def _min_path_norm(X_bytes: bytes, y_bytes: bytes) -> float:
    """min sum_j |a_j| ||w_j|| over ReLU interpolators of the data (= ||theta||^2 / 2 of the balanced
    minimum-norm network); NaN when no ReLU network without bias interpolates it. Cached: every
    run of a study shares its data."""
    from ..errors import TwolayerError
    from .minnorm import min_norm_relu_2d

    X, y = np.frombuffer(X_bytes).reshape(-1, 2), np.frombuffer(y_bytes)
    try:
        norm, _ = min_norm_relu_2d(X, y)
    except TwolayerError:
        return NAN
    return 0.5 * norm * norm


# name -> (function, takes an argument)
METRICS = {
    "final_loss": (final_loss, False), "min_loss": (min_loss, False), "final_test_loss": (final_test_loss, False),
    "train_error": (train_error, False), "test_error": (test_error, False), "param_norm": (param_norm, False),
    "relative_weight_change": (relative_weight_change, False), "balance_drift": (balance_drift, False),
    "stable_rank": (stable_rank, False), "final_grad_norm": (final_grad_norm, False),
    "dead_fraction": (dead_fraction, False), "plateau_count": (plateau_count, False),
    "plateau_exit": (plateau_exit, True), "time_to_loss": (time_to_loss, True),
    "time_to_fraction": (time_to_fraction, True), "min_norm_gap": (min_norm_gap, False),
    "lazy_distance": (lazy_distance, False), "lazy_final_loss": (lazy_final_loss, False),
    "lazy_test_loss": (lazy_test_loss, False), "laziness_kappa": (laziness_kappa, False),
}

_CALL = re.compile(r"^([a-z_]+)(?:\(([^()]*)\))?$")


def parse_metric(text: str, key: str = "metrics") -> tuple:
    """``"time_to_loss(1e-3)"`` -> (function, 0.001); raises :class:`InvalidParameter` naming ``key``
    for an unknown name, a missing or extra argument, or an argument that is not a finite number."""
    found = _CALL.match(str(text).strip())
    name = found.group(1) if found else str(text)
    if not found or name not in METRICS:
        raise InvalidParameter(key, text, "unknown metric" + closest(name, tuple(METRICS)) + "; known: "
                               + ", ".join(n + ("(x)" if METRICS[n][1] else "") for n in METRICS))
    fn, wants = METRICS[name]
    arg = found.group(2)
    if wants != (arg is not None):
        raise InvalidParameter(key, text, f"{name} " + (f"takes one number, e.g. {name}(1e-3)" if wants
                                                         else "takes no argument"))
    if arg is None:
        return fn, None
    try:
        value = float(arg)
    except ValueError:
        value = NAN
    if not math.isfinite(value) or value <= 0:
        raise InvalidParameter(key, text, f"the argument of {name} must be a positive number, e.g. {name}(1e-3)")
    return fn, value


@functools.lru_cache(maxsize=256)
def _parsed(name: str) -> tuple:
    return parse_metric(name)


def compute(names, result: RunResult, warnings: list | None = None) -> dict:
    """{name: value} for every metric name in ``names`` (validated by :func:`parse_metric`). A metric
    that the run cannot afford (e.g. a lazy twin whose Jacobian does not fit in memory) is NaN, and
    why is appended to ``warnings`` when given."""
    out = {}
    for name in names:
        fn, arg = _parsed(name)
        with np.errstate(all="ignore"):
            try:
                out[name] = float(fn(result, arg))
            except TwolayerError as err:
                out[name] = NAN
                if warnings is not None:
                    warnings.append(f"metric {name} not computed: {err}")
    return out


__all__ = ["METRICS", "RunResult", "compute", "parse_metric"]

"""``train()``: validate everything, pick an engine, record, and return a :class:`Trajectory`."""

from __future__ import annotations

import contextvars
import time as _time
import warnings
from dataclasses import asdict, dataclass, is_dataclass

import numpy as np

from .engines import ENGINES
from .engines import reference
from .errors import (DivergenceError, FlowStalled, Interrupted, InvalidParameter, TwolayerError, TwolayerWarning,
                     check_choice, check_int, check_positive)
from .losses import default_reduction, get_loss, reduction_factor, validate_labels
from .net import LAYERS, Net
from .objective import Objective
from .optim import GD, SGD, Adam, Flow, epoch_orders
from .limits import FLOAT, check_memory
from .progress import Progress
from .trajectory import Trajectory


class Recorder:
    """Collects the recorded points of a run (losses, gradient norm, snapshots)."""

    def __init__(self, obj: Objective, test=None, snapshots: bool = True):
        self.obj, self.test, self.snapshots = obj, test, snapshots
        self.rows = {k: [] for k in ("steps", "times", "train_loss", "objective", "grad_norm", "test_loss")}
        self.snaps = {"a": [], "W": [], "c": []}

    def add(self, step, time, theta, loss, g):
        r = self.rows
        r["steps"].append(step)
        r["times"].append(time)
        r["train_loss"].append(loss)
        r["objective"].append(loss + self.obj.penalty(theta))
        r["grad_norm"].append(float(np.linalg.norm(g)))
        if self.test is not None:
            r["test_loss"].append(self.obj.data_loss(theta, *self.test))
        if self.snapshots:
            for name, value in zip(("a", "W", "c"), self.obj.layout.unpack(theta)):
                if value is not None:
                    self.snaps[name].append(value.copy())

    def extend(self, steps, times, loss, objective, grad_norm, test_loss, a=None, W=None, c=None):
        """Append points an engine recorded into arrays (snapshots in reference layout)."""
        r = self.rows
        for key, values in (("steps", steps), ("times", times), ("train_loss", loss), ("objective", objective),
                            ("grad_norm", grad_norm), ("test_loss", test_loss)):
            if values is not None:
                r[key].extend(np.asarray(values).tolist())
        if self.snapshots:
            for name, values in (("a", a), ("W", W), ("c", c)):
                if values is not None:
                    self.snaps[name].extend(np.array(values))

    def build(self, final: Net, config: dict, info: dict) -> Trajectory:
        r = {k: np.array(v, dtype=np.int64 if k == "steps" else np.float64) for k, v in self.rows.items()}
        snaps = {k: (np.array(v) if v else None) for k, v in self.snaps.items()}
        if self.test is None:
            r["test_loss"] = None
        return Trajectory(final=final, config=config, info=info, **r, **snaps)


def _trainable(trainable, net: Net) -> tuple:
    """The trainable layers in canonical order; "c" is dropped for a network without bias, so the
    DESIGN default ("a", "W", "c") works for every network."""
    names = LAYERS if trainable is None else ((trainable,) if isinstance(trainable, str) else tuple(trainable))
    if not names or any(t not in LAYERS for t in names):
        raise InvalidParameter("trainable", trainable, "expected a non-empty tuple of names among 'a', 'W', 'c'")
    kept = tuple(t for t in LAYERS if t in names and (t != "c" or net.bias))
    if not kept:
        raise InvalidParameter("trainable", trainable, "'c' is trainable only for a network with bias=True")
    return kept


def _record_schedule(optimizer, steps, t_max, record_every, record_at):
    if isinstance(optimizer, Flow):
        if record_every is not None:
            raise InvalidParameter("record_every", record_every, "gradient flow records at times; pass record_at=[t0, t1, ...]")
        if record_at is None:
            return np.linspace(0.0, t_max, 501)
        times = np.unique(np.asarray(record_at, dtype=np.float64))
        if times.size == 0 or times[0] < 0 or times[-1] > t_max or not np.all(np.isfinite(times)):
            raise InvalidParameter("record_at", record_at, f"expected finite times in [0, t_max={t_max}]")
        return times
    if record_at is not None:
        if record_every is not None:
            raise InvalidParameter("record_every", record_every, "give record_every or record_at, not both")
        pts = np.unique(np.asarray(record_at))
        if pts.size == 0 or pts.dtype.kind not in "iu" or pts[0] < 0 or pts[-1] > steps:
            raise InvalidParameter("record_at", record_at, f"expected integer steps in [0, steps={steps}]")
        return pts.astype(np.int64)
    every = max(1, steps // 500) if record_every is None else check_int("record_every", record_every, minimum=1)
    check_memory("record_every", every, (steps // every + 2) * POINT_BYTES,
                 f"record fewer points: a record_every of at least {max(1, steps // 100_000)} records 1e5 of them")
    return np.unique(np.append(np.arange(0, steps + 1, every), steps)).astype(np.int64)


def _describe(optimizer) -> dict:
    return {"name": type(optimizer).__name__, **(asdict(optimizer) if is_dataclass(optimizer) else {})}


def _divergence_hint(obj: Objective, optimizer, partial: Trajectory, theta0) -> str:
    """Suggest a step size from the top Hessian eigenvalue where it is meaningful: at the last
    recorded point whose loss did not exceed the initial loss (or at initialisation), not deep in
    the blow-up."""
    from .analysis.hessian import top_eigenvalue

    if isinstance(optimizer, Flow):
        return "Gradient flow blew up: the loss has no finite minimiser along this path, or tighten rtol/atol."
    theta, where = theta0, "at initialisation"
    losses = partial.train_loss
    if partial.has_snapshots and len(losses) > 1 and np.isfinite(losses[0]):
        ok = np.flatnonzero(np.isfinite(losses) & (losses <= losses[0]))
        if ok.size and ok[-1] > 0:
            theta = partial.theta_at(int(ok[-1]))
            where = f"at step {int(partial.steps[ok[-1]])} (the last recorded point whose loss did not exceed the initial loss)"
    try:
        with np.errstate(all="ignore"):
            lam = top_eigenvalue(obj, theta)
    except Exception:  # the hint must never mask the divergence itself
        lam = np.nan
    if not np.isfinite(lam) or lam <= 0:
        return f"Lower the step size (lr={optimizer.lr:g})."
    bound = 2.0 / lam
    return (f"{where[0].upper() + where[1:]} the top Hessian eigenvalue is {lam:.4g}, so gradient descent is "
            f"stable only for lr < 2/lambda_max = {bound:.4g} (lr was {optimizer.lr:g}); "
            f"try lr={0.5 * bound:.3g}.")


# A run whose parameter norm grows beyond this factor times max(1, its initial norm) has exploded,
# even while its loss stays finite (e.g. every ReLU unit dead after one huge step).
EXPLODED = 1e12
# bytes one recorded point costs without snapshots (six series, as Python floats and as arrays)
POINT_BYTES = 6 * 40


# Above this many multiply-adds per full-batch pass (n * m * d), BLAS matrix products in the
# reference engine beat the compiled per-sample loops.
BLAS_THRESHOLD = 5e7


def choose_engine(engine: str, optimizer=None, work: float = 0.0) -> str:
    """Resolve ``engine``: "auto" is the compiled engine when Numba is installed and the run is not
    dominated by large matrix products (``work`` = samples per step x m x d above ``BLAS_THRESHOLD``)."""
    check_choice("engine", engine, ENGINES)
    has_numba = compiled_available()
    if engine == "numba":
        if not has_numba:
            raise InvalidParameter("engine", engine, "Numba is not installed; pip install numba, or use 'numpy'")
        if isinstance(optimizer, Flow) and optimizer.method != "RK45":
            raise InvalidParameter("method", optimizer.method, "the compiled engine integrates with 'RK45' "
                                   "(Dormand-Prince 5(4)); use tl.Flow(method='RK45') or engine='numpy'")
        return "numba"
    if engine == "auto" and has_numba and work <= BLAS_THRESHOLD:
        if not (isinstance(optimizer, Flow) and optimizer.method != "RK45"):
            return "numba"
    return "numpy"


def run_kind(net: Net, n: int, per_step: int, optimizer) -> str:
    """The kind of compiled run loop (:func:`twolayer.engines.kernels.kind_name`) a run of ``net`` on
    ``n`` samples, ``per_step`` of them per step, with ``optimizer`` compiles (a test set is a
    run-time argument of every kind)."""
    from .engines import costs
    from .engines import kernels as K
    from .engines.compiled import use_blocked

    flow = isinstance(optimizer, Flow)
    narrow = (not flow and isinstance(optimizer, GD) and optimizer.momentum == 0.0 and optimizer.batch_size is None
              and K.narrow_full_batch(net.outputs, net.d, n, net.m))
    return costs.kernel_of(flow, bool(narrow), net.outputs, net.d, net.activation,
                           use_blocked(per_step, net.m, net.d))


def compile_cost_reason(net: Net, n: int, per_step: int, optimizer, steps, t_max, runs: int = 1) -> str | None:
    """Why ``engine="auto"`` runs the reference engine although Numba is there (its kernel would
    compile first, for longer than the whole reference run takes), or None: see
    :mod:`twolayer.engines.costs`."""
    from .engines import costs

    kernel = run_kind(net, n, per_step, optimizer)
    flow = isinstance(optimizer, Flow)
    return costs.prefer_reference(kernel, per_step, net.m, net.d, steps or 0, runs, t_max if flow else None)


def compiled_available() -> bool:
    try:
        from .engines import compiled  # noqa: F401
    except ImportError:
        return False
    return True


def _run_engine(spec: RunSpec, recorder: Recorder):
    """Run the chosen engine; returns (final theta, gradient evaluations)."""
    if spec.engine == "numba":
        from .engines import compiled as impl
    else:
        impl = reference
    theta = spec.net.theta
    if spec.is_flow:
        with Progress(spec.t_max, "gradient flow", spec.quiet, unit="time") as bar:
            return impl.run_flow(spec.obj, theta, spec.optimizer, spec.t_max, spec.schedule, recorder, bar)
    with Progress(spec.steps, "training", spec.quiet) as bar:
        theta = impl.run_discrete(spec.obj, theta, spec.optimizer, spec.steps, spec.schedule, spec.sample_orders(),
                                  recorder, bar)
    return theta, spec.steps


@dataclass
class RunSpec:
    """A validated training run, ready for an engine."""

    net: Net
    obj: Objective
    optimizer: object
    steps: int | None
    t_max: float | None
    schedule: np.ndarray
    seed: int
    test: tuple | None
    snapshots: bool
    quiet: bool
    engine: str
    config: dict

    @property
    def is_flow(self) -> bool:
        return isinstance(self.optimizer, Flow)

    @property
    def per_step(self) -> int:
        """Samples one step touches: the batch size, or all n for full batch and gradient flow."""
        return self.obj.n if self.optimizer.batch_size is None else self.optimizer.batch_size

    def recorder(self) -> Recorder:
        return Recorder(self.obj, self.test, self.snapshots)

    def sample_orders(self):
        """The pre-drawn SGD sample orders (epochs, n), or None for full-batch optimisers."""
        if self.optimizer.batch_size is None:
            return None
        per_epoch = -(-self.obj.n // self.optimizer.batch_size)
        return epoch_orders(self.seed, self.obj.n, -(-self.steps // per_epoch))


def train(net: Net, X, y, loss: str = "square", reduction: str | None = None, weight_decay: float = 0.0,
          trainable=None, optimizer=None, steps: int | None = None, record_every: int | None = None,
          engine: str = "auto", seed: int = 0, *, t_max: float | None = None, record_at=None,
          X_test=None, y_test=None, snapshots: bool = True, quiet: bool = False) -> Trajectory:
    """Train ``net`` on (X, y) and return the recorded :class:`Trajectory` (``net`` is not modified).

    Parameters
    ----------
    net : the initial network.   X : (n, d).   y : labels, see :mod:`twolayer.losses`.
    loss, reduction : loss name and "mean" (1/n), "half_mean" (1/(2n), square only) or "sum";
        ``reduction=None`` is "half_mean" for the square loss and "mean" otherwise.
    weight_decay : lambda >= 0 of the penalty (lambda/2) ||theta_trainable||^2.
    trainable : the layers that train, e.g. ("a",) for random features (default: all of them; "c"
        is ignored for a network without bias).
    optimizer : ``GD(lr)`` (default ``GD(0.1)``), ``SGD(lr, batch_size)``, ``Adam(lr)`` or
        ``Flow(rtol, atol)``.
    steps : number of updates (GD/SGD/Adam; default 1000). With ``Flow`` give ``t_max`` instead.
    record_every, record_at : record every k steps (default: about 500 points) or at given steps;
        with ``Flow``, ``record_at`` takes times (default: 501 points from 0 to t_max).
    engine : "numpy" (the reference engine), "numba" (compiled) or "auto" (compiled when Numba is
        installed and (samples per step) m d <= BLAS_THRESHOLD; gradient flow needs method "RK45" there).
    seed : seeds the SGD sample orders (the only randomness of training).
    X_test, y_test : also record the loss on this set.
    snapshots : record the parameters at every recorded point.
    quiet : no progress bar.

    Raises
    ------
    InvalidParameter : bad input, before any work starts.
    DivergenceError : a non-finite loss or gradient; ``err.trajectory`` holds the points so far.
    """
    spec = prepare(net, X, y, loss, reduction, weight_decay, trainable, optimizer, steps, record_every, engine, seed,
                   t_max=t_max, record_at=record_at, X_test=X_test, y_test=y_test, snapshots=snapshots, quiet=quiet)
    note_engine(spec.engine)
    return execute(spec)


# The engines that ran inside a block of code (a set), or None: run_experiment reads it to say in
# config.json which engine its runs used, without threading that through every experiment.
# Set while redrawing a results folder (twolayer.runstore): any training then is a bug, refused.
REDRAWING: contextvars.ContextVar = contextvars.ContextVar("redrawing", default=False)
ENGINES_USED: contextvars.ContextVar = contextvars.ContextVar("engines_used", default=None)


def note_engine(engine: str) -> None:
    """Add ``engine`` to :data:`ENGINES_USED` when a caller is collecting them."""
    used = ENGINES_USED.get()
    if used is not None:
        used.add(engine)


def prepare(net, X, y, loss="square", reduction=None, weight_decay=0.0, trainable=None, optimizer=None, steps=None,
            record_every=None, engine="auto", seed=0, *, t_max=None, record_at=None, X_test=None, y_test=None,
            snapshots=True, quiet=False) -> RunSpec:
    """Validate the arguments of :func:`train` (see there) and resolve the engine."""
    if REDRAWING.get():
        raise TwolayerError("a redraw tried to train a network outside a stored run: this is a bug in the "
                            "experiment (every training must go through ctx.run); please report it")
    if not isinstance(net, Net):
        raise InvalidParameter("net", type(net).__name__, "expected a twolayer.Net, e.g. from tl.init_net(...)")
    Xa = net.check_inputs(X)
    n = Xa.shape[0]
    if n == 0:
        raise InvalidParameter("X", "array with 0 rows", "expected at least one sample")
    loss_fn = get_loss(loss)
    reduction = default_reduction(loss) if reduction is None else reduction
    reduction_factor(loss, reduction, n)
    ya = validate_labels(loss_fn, y, n, net.outputs)
    weight_decay = check_positive("weight_decay", weight_decay, allow_zero=True)
    trainable = _trainable(trainable, net)
    optimizer = GD(0.1) if optimizer is None else optimizer
    if not isinstance(optimizer, (GD, SGD, Adam, Flow)):
        raise InvalidParameter("optimizer", optimizer, "expected tl.GD(lr), tl.SGD(lr, batch_size), tl.Adam(lr) or tl.Flow()")
    is_flow = isinstance(optimizer, Flow)
    if is_flow:
        if steps is not None:
            raise InvalidParameter("steps", steps, "gradient flow runs in continuous time; pass t_max= instead")
        if t_max is None:
            raise InvalidParameter("t_max", None, "tl.Flow needs the horizon t_max= (continuous time)")
        t_max = check_positive("t_max", t_max)
    else:
        if t_max is not None:
            raise InvalidParameter("t_max", t_max, "t_max is for tl.Flow; discrete optimisers take steps=")
        steps = check_int("steps", 1000 if steps is None else steps, minimum=0)
    if optimizer.batch_size is not None and optimizer.batch_size > n:
        raise InvalidParameter("batch_size", optimizer.batch_size, f"expected at most n={n}, the number of samples")
    seed = check_int("seed", seed, minimum=0)
    schedule = _record_schedule(optimizer, steps, t_max, record_every, record_at)
    test = None
    if (X_test is None) != (y_test is None):
        raise InvalidParameter("X_test", "given" if X_test is not None else None, "pass X_test and y_test together")
    if X_test is not None:
        Xt = net.check_inputs(X_test, "X_test")
        test = (Xt, validate_labels(loss_fn, y_test, Xt.shape[0], net.outputs))
    per_step = n if optimizer.batch_size is None else optimizer.batch_size  # samples one step touches
    engine_used = choose_engine(engine, optimizer, float(per_step) * net.m * net.d)
    reason = None
    if engine == "auto" and engine_used == "numba":
        reason = compile_cost_reason(net, n, per_step, optimizer, steps, t_max)
        engine_used = "numpy" if reason else engine_used
    _check_run_memory(net, n, len(schedule), snapshots, engine_used, test)

    obj = Objective(net, Xa, ya, loss, reduction, weight_decay, trainable)
    config = {"loss": loss, "reduction": reduction, "weight_decay": weight_decay, "trainable": list(trainable),
              "optimizer": _describe(optimizer), "steps": steps, "t_max": t_max, "engine": engine_used, "order_seed": seed,
              "n": n, "d": net.d, "width": net.m, "outputs": net.outputs, "bias": net.bias,
              "activation": net.activation, "scaling": net.scaling, "slope": net.slope, "init": net.init,
              "engine_requested": engine, **({"engine_reason": reason} if reason else {})}
    return RunSpec(net, obj, optimizer, steps, t_max, schedule, seed, test, snapshots, quiet, engine_used, config)


def _check_run_memory(net: Net, n: int, points: int, snapshots: bool, engine: str, test) -> None:
    """Refuse a run whose recorded snapshots or per-pass intermediates exceed the available memory."""
    size = net.theta.size
    snap = points * size * FLOAT * 3 if snapshots else 0      # engine buffers, recorder, trajectory
    rows = max(n, 0 if test is None else test[0].shape[0])
    passes = 6 * FLOAT * rows * net.m * net.outputs if engine == "numpy" else 0   # Z, sigma, sigma', ... (n, m)
    need = snap + passes + points * POINT_BYTES
    if snap >= passes:
        check_memory("record_every", points, need, f"{points} recorded snapshots of {size} parameters; record fewer "
                     "points (a larger record_every, or record_at=) or pass snapshots=False")
    else:
        check_memory("width", net.m, need, "the numpy engine holds (n, m) intermediates; use engine='numba' "
                     "or a smaller width")


def execute(spec: RunSpec) -> Trajectory:
    """Run a prepared run on its engine and return its trajectory (raising on divergence)."""
    recorder = spec.recorder()
    start, compiling = _time.perf_counter(), compile_seconds()
    info = {"engine": spec.engine}
    # overflow is expected in a diverging run; engines detect non-finite values themselves
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            theta, info["gradient_evaluations"] = _run_engine(spec, recorder)
    except (reference.Stalled, reference.NonFinite) as err:
        _timing(info, start, compiling)
        raise failure(spec, err, recorder.build(spec.net.with_theta(err.last_theta), spec.config, info)) from None
    except reference.Interrupted as err:
        _timing(info, start, compiling)
        info["interrupted_at"] = err.step if err.time is None else err.time
        partial = recorder.build(spec.net.with_theta(err.last_theta), spec.config, info)
        raise Interrupted(err.step, partial, time=err.time) from None
    _timing(info, start, compiling)
    return check_outcome(spec, recorder.build(spec.net.with_theta(theta), spec.config, info))


def compile_seconds() -> float:
    """Seconds this process has spent compiling kernels (0 without the compiled engine loaded)."""
    import sys

    log = sys.modules.get("twolayer.engines.compile_log")
    return 0.0 if log is None else log.compile_seconds()


def _timing(info: dict, start: float, compiling: float) -> None:
    """``info["compile_s"]``: kernel compilation during the run; ``info["elapsed_s"]``: the rest."""
    info["compile_s"] = compile_seconds() - compiling
    info["elapsed_s"] = _time.perf_counter() - start - info["compile_s"]


def check_outcome(spec: RunSpec, traj: Trajectory) -> Trajectory:
    """``traj`` if it is an honest result: raise :class:`DivergenceError` when the parameters
    exploded while the loss stayed finite, and warn (``info["warnings"]`` and a
    :class:`TwolayerWarning`) when every ReLU unit is dead on the training data."""
    info = traj.info
    exploded = exploded_at(spec, traj)
    if exploded is not None:
        step, norm = exploded
        hint = (f"The parameters exploded (norm {norm:.3g}, initial {np.linalg.norm(spec.net.theta):.3g}) while the "
                f"loss stayed finite. " + _divergence_hint(spec.obj, spec.optimizer, traj, spec.net.theta))
        finite = traj.train_loss[np.isfinite(traj.train_loss)]
        raise DivergenceError(step, float(finite[-1]) if finite.size else np.nan, hint, traj)
    dead = dead_units_from(traj, spec.obj.X)
    if dead is not None:
        text = (f"all {traj.final.m} ReLU units inactive on the training data from step {dead}: the network is "
                "constant and no longer trains; lower the step size or start from a larger scale")
        info.setdefault("warnings", []).append(text)
        warnings.warn(text, TwolayerWarning, stacklevel=2)
    return traj


def exploded_at(spec: RunSpec, traj: Trajectory):
    """(first recorded step, norm) where ||theta|| exceeded ``EXPLODED`` x max(1, ||theta_0||), or None."""
    limit = EXPLODED * max(1.0, float(np.linalg.norm(spec.net.theta)))
    final = traj.final.norm
    if np.isfinite(final) and final <= limit:
        return None
    step = int(traj.steps[-1]) if spec.steps is None else int(spec.steps)
    if traj.has_snapshots:
        for i in range(len(traj)):
            norm = float(np.linalg.norm(traj.theta_at(i)))
            if not norm <= limit:
                return int(traj.steps[i]), norm
    return step, final


def dead_units_from(traj: Trajectory, X):
    """The first recorded step from which every ReLU unit is inactive on every training input
    (w_j . x_i + c_j <= 0 for all i, j), or None; only for activation "relu"."""
    net = traj.final
    if net.activation != "relu" or np.any(net.preactivations(X) > 0):
        return None
    first = int(traj.steps[-1])
    if traj.has_snapshots:
        for i in range(len(traj) - 1, -1, -1):
            if np.any(traj.net_at(i).preactivations(X) > 0):
                break
            first = int(traj.steps[i])
    return first


def failure(spec: RunSpec, err, partial: Trajectory) -> Exception:
    """The user-facing error for an engine's Stalled / NonFinite signal."""
    if isinstance(err, reference.Stalled):
        return FlowStalled(err.time, spec.t_max, err.evals, partial)
    hint = err.reason + (" " if err.reason else "") + _divergence_hint(spec.obj, spec.optimizer, partial, spec.net.theta)
    return DivergenceError(err.step, float(err.last_loss), hint, partial, time=err.time if spec.is_flow else None)

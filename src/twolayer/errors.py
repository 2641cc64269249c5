"""Exceptions. Every user error is a :class:`TwolayerError`; the CLI turns them into one line."""

from __future__ import annotations


class TwolayerError(Exception):
    """Base class of the errors twolayer raises for bad input or failed runs."""


class TwolayerWarning(UserWarning):
    """A result that is valid but suspicious (e.g. every ReLU unit dead): reported in the run's
    ``info["warnings"]`` and, for experiments, in their metrics and report."""


class DataUnavailable(TwolayerError):
    """A data file is missing and could not be downloaded, or is corrupted; the message says where
    to put it."""


class InvalidParameter(TwolayerError, ValueError):
    """A parameter has a wrong name, shape, type, value or range.

    The message names the parameter, the value received and what is accepted.
    """

    def __init__(self, name: str, value, accepted: str):
        self.name, self.value, self.accepted = name, value, accepted
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"{name}={shown}: {accepted}")

    def __reduce__(self):
        return (type(self), (self.name, self.value, self.accepted))


class DivergenceError(TwolayerError, FloatingPointError):
    """A training run produced a non-finite value.

    Attributes
    ----------
    step : int
        The first step whose loss (or update) was not finite. For gradient flow, ``time`` is set.
    last_loss : float
        The last finite training loss.
    hint : str
        What to change, e.g. the largest stable step size ``2 / lambda_max`` estimated from the
        top Hessian eigenvalue at the last finite point.
    trajectory : Trajectory or None
        Everything recorded before the divergence.
    """

    def __init__(self, step: int, last_loss: float, hint: str, trajectory=None, time=None):
        self.step, self.last_loss, self.hint = step, last_loss, hint
        self.trajectory, self.time = trajectory, time
        where = f"time {time:.6g}" if time is not None else f"step {step}"
        super().__init__(
            f"training diverged at {where}: the loss or the parameters became non-finite "
            f"(last finite loss {last_loss:.6g}). {hint}"
        )

    def __reduce__(self):
        return (type(self), (self.step, self.last_loss, self.hint, self.trajectory, self.time))


class FlowStalled(TwolayerError):
    """Gradient flow spent its gradient-evaluation budget before reaching t_max.

    ``trajectory`` holds the points recorded so far; ``time`` is how far it got.
    """

    def __init__(self, time: float, t_max: float, evals: int, trajectory=None):
        self.time, self.t_max, self.evals, self.trajectory = time, t_max, evals, trajectory
        super().__init__(
            f"gradient flow stalled: {evals} gradient evaluations reached only t={time:.6g} of "
            f"t_max={t_max:.6g}. The ODE is stiff there, or a ReLU neuron slides along a kink; "
            "loosen rtol/atol, raise Flow(max_evals=...), or use GD with a small step.")

    def __reduce__(self):
        return (type(self), (self.time, self.t_max, self.evals, self.trajectory))


def check_finite(name: str, array) -> None:
    """Raise :class:`InvalidParameter` if ``array`` holds NaN or inf."""
    import numpy as np

    arr = np.asarray(array)
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise InvalidParameter(name, f"<array with {bad} NaN/inf entries>",
                               "all entries must be finite; clean or impute the data first")


def closest(value, choices) -> str:
    """``" (did you mean 'x'?)"`` naming the choice closest to ``value``, or "" if none is close."""
    import difflib

    if not isinstance(value, str):
        return ""
    texts = [c for c in choices if isinstance(c, str)]
    match = difflib.get_close_matches(value, texts, n=1, cutoff=0.6)
    if not match:  # a prefix or a substring, e.g. 'saddle' for 'saddle-to-saddle'
        match = [c for c in texts if value and (c.startswith(value) or value in c)][:1]
    return f" (did you mean {match[0]!r}?)" if match else ""


def check_choice(name: str, value, choices) -> None:
    """Raise :class:`InvalidParameter` unless ``value`` is one of ``choices``; the message names the
    closest choice when there is one."""
    if value not in choices:
        raise InvalidParameter(name, value, "expected one of " + ", ".join(map(repr, choices)) + closest(value, choices))


def check_positive(name: str, value, *, allow_zero: bool = False) -> float:
    """Return ``float(value)`` if it is a finite number > 0 (>= 0 with ``allow_zero``)."""
    import math

    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidParameter(name, value, "expected a number") from None
    ok = math.isfinite(v) and (v >= 0 if allow_zero else v > 0)
    if not ok:
        raise InvalidParameter(name, value, "expected a finite number " + (">= 0" if allow_zero else "> 0"))
    return v


def check_int(name: str, value, *, minimum: int = 0) -> int:
    """Return ``int(value)`` if it is an integer >= ``minimum``."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InvalidParameter(name, value, f"expected an integer >= {minimum}")
    if value < minimum:
        raise InvalidParameter(name, value, f"expected an integer >= {minimum}")
    return int(value)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a training run; ``trajectory`` holds what was recorded until then.

    A ``KeyboardInterrupt`` (not a :class:`TwolayerError`), so that ``except Exception`` never
    swallows it.
    """

    def __init__(self, step, trajectory=None, time=None):
        super().__init__(f"interrupted at {'time %.6g' % time if time is not None else 'step %d' % step}")
        self.step, self.trajectory, self.time = step, trajectory, time

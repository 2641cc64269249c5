"""Optimisers: small objects holding their hyper-parameters and the update rule on flat vectors.

Weight decay and frozen layers are part of the objective (:mod:`twolayer.objective`), so they
compose with every optimiser. Discrete optimisers implement ``init(theta) -> state`` and
``update(g, state, t) -> delta`` with ``theta_{t+1} = theta_t + delta``; their continuous time is
``lr * step``. :class:`Flow` integrates ``d theta / dt = -grad L(theta)`` exactly (to tolerance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InvalidParameter, check_choice, check_int, check_positive


class _HeavyBall:
    """Update ``v = momentum * v + g; theta -= lr * v`` (``momentum=0``: plain steps)."""

    def _check(self):
        check_positive("lr", self.lr)
        if not 0.0 <= float(self.momentum) < 1.0:
            raise InvalidParameter("momentum", self.momentum, "expected a number in [0, 1)")

    def init(self, theta):
        return np.zeros_like(theta) if self.momentum else None

    def update(self, g, state, t):
        if state is None:
            return -self.lr * g
        state *= self.momentum
        state += g
        return -self.lr * state


@dataclass(frozen=True)
class GD(_HeavyBall):
    """Full-batch gradient descent, with optional heavy-ball momentum."""

    lr: float
    momentum: float = 0.0
    batch_size = None

    def __post_init__(self):
        self._check()


@dataclass(frozen=True)
class SGD(_HeavyBall):
    """Minibatch SGD (optional heavy-ball momentum). Each epoch visits the samples in a fresh
    random order drawn from the run's seed, in batches of ``batch_size`` (the last may be smaller).

    One-pass (online) SGD: draw ``steps * batch_size`` fresh samples and train for ``steps``
    steps, one epoch, so that every minibatch is new (the ``overparam-convergence`` experiment)."""

    lr: float
    batch_size: int = 1
    momentum: float = 0.0

    def __post_init__(self):
        self._check()
        check_int("batch_size", self.batch_size, minimum=1)


@dataclass(frozen=True)
class Adam:
    """Adam (Kingma and Ba): bias-corrected first and second moments; full batch unless
    ``batch_size`` is given."""

    lr: float
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    batch_size: int | None = None

    def __post_init__(self):
        check_positive("lr", self.lr)
        check_positive("eps", self.eps)
        for name in ("beta1", "beta2"):
            if not 0.0 <= float(getattr(self, name)) < 1.0:
                raise InvalidParameter(name, getattr(self, name), "expected a number in [0, 1)")
        if self.batch_size is not None:
            check_int("batch_size", self.batch_size, minimum=1)

    momentum = 0.0

    def init(self, theta):
        return np.zeros_like(theta), np.zeros_like(theta)

    def update(self, g, state, t):
        m1, m2 = state
        m1 *= self.beta1
        m1 += (1.0 - self.beta1) * g
        m2 *= self.beta2
        m2 += (1.0 - self.beta2) * g * g
        mhat = m1 / (1.0 - self.beta1 ** (t + 1))
        vhat = m2 / (1.0 - self.beta2 ** (t + 1))
        return -self.lr * mhat / (np.sqrt(vhat) + self.eps)


@dataclass(frozen=True)
class Flow:
    """Exact gradient flow ``d theta/dt = -grad L(theta)`` by an adaptive explicit Runge-Kutta pair.

    ``method``: "RK45" (Dormand-Prince 5(4), on both engines) or "DOP853" (Dormand-Prince 8(5,3),
    reference engine only). The local error
    per step is kept below ``atol + rtol * |theta|`` componentwise; lower ``atol`` when the
    parameters start tiny (e.g. ``scale=1e-22``). ``max_evals`` bounds the gradient evaluations:
    a ReLU neuron held on a kink (a sliding mode) can make any adaptive solver crawl.
    """

    rtol: float = 1e-8
    atol: float = 1e-12
    method: str = "RK45"
    max_step: float = np.inf
    max_evals: int = 2_000_000

    def __post_init__(self):
        check_positive("rtol", self.rtol)
        check_positive("atol", self.atol)
        if np.isfinite(self.max_step):
            check_positive("max_step", self.max_step)
        check_choice("method", self.method, ("DOP853", "RK45"))
        check_int("max_evals", self.max_evals, minimum=1)

    batch_size = None


def epoch_orders(seed: int, n: int, epochs: int) -> np.ndarray:
    """The sample order of each SGD epoch, shape (epochs, n): row e is a permutation of 0..n-1
    from ``numpy.random.default_rng(seed)``. Every engine consumes these same indices."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(n) for _ in range(epochs)]) if epochs else np.zeros((0, n), int)


def minibatches(order: np.ndarray, batch_size: int, steps: int):
    """Yield the index array of each of ``steps`` minibatches from the epoch orders."""
    n = order.shape[1]
    per_epoch = -(-n // batch_size)
    for t in range(steps):
        e, b = divmod(t, per_epoch)
        yield order[e, b * batch_size:(b + 1) * batch_size]

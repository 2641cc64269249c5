"""The reference engine: plain NumPy, gradients written out (:mod:`twolayer.net`), one step at a time.

It is the one a student can read line by line: each step evaluates the objective and its
gradient at theta, records when asked, and applies the optimiser's update.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import DOP853, RK45

from ..optim import minibatches


class NonFinite(Exception):
    """Raised inside an engine at the first non-finite loss or gradient."""

    def __init__(self, step, time, last_theta, last_loss, reason=""):
        self.step, self.time, self.last_theta, self.last_loss = step, time, last_theta, last_loss
        self.reason = reason


class Interrupted(KeyboardInterrupt):
    """Ctrl-C inside an engine: the run stopped after ``step`` updates at ``last_theta`` (points
    recorded so far were passed to the recorder)."""

    def __init__(self, step, last_theta, time=None):
        super().__init__(step)
        self.step, self.last_theta, self.time = step, last_theta, time


def run_discrete(obj, theta, opt, steps, record_steps, order, recorder, progress):
    """GD / SGD / Adam for ``steps`` updates, recording at the sorted ``record_steps``.

    ``order`` is the (epochs, n) array of SGD sample orders (None for full batch). Modifies
    ``theta`` in place and returns it. Raises :class:`NonFinite` at the first non-finite value.
    """
    batches = None if opt.batch_size is None else minibatches(order, opt.batch_size, steps)
    state = opt.init(theta)
    prev = theta.copy()
    done = [0]   # updates applied so far, for an interruption
    try:
        return _discrete_loop(obj, theta, opt, steps, record_steps, batches, state, prev, recorder, progress, done)
    except KeyboardInterrupt:
        raise Interrupted(done[0], theta.copy()) from None


def _discrete_loop(obj, theta, opt, steps, record_steps, batches, state, prev, recorder, progress, done):
    full_batch = batches is None
    last_loss = np.nan
    k = 0
    for t in range(steps + 1):
        if k < len(record_steps) and t == record_steps[k]:
            loss, g = obj.value_and_grad(theta)
            _check(loss, g, t, opt.lr * t, prev, last_loss)
            recorder.add(t, opt.lr * t, theta, loss, g)
            k += 1
        if t == steps:
            break
        if full_batch:
            if not (k and record_steps[k - 1] == t):
                loss, g = obj.value_and_grad(theta)
                _check(loss, g, t, opt.lr * t, prev, last_loss)
        else:
            loss, g = obj.value_and_grad(theta, next(batches))
            _check(loss, g, t, opt.lr * t, prev, last_loss)
        last_loss = loss
        prev[:] = theta
        theta += opt.update(g, state, t)
        done[0] = t + 1
        progress.advance(t + 1)
    return theta


def _check(loss, g, step, time, prev, last_loss):
    if not (np.isfinite(loss) and np.all(np.isfinite(g))):
        raise NonFinite(step, time, prev, last_loss)


def run_flow(obj, theta, flow, t_max, record_times, recorder, progress):
    """Gradient flow to ``t_max`` with scipy's adaptive Runge-Kutta, recording at ``record_times``
    from the solver's dense output.

    The recorded ``step`` of a point is the number of gradient evaluations used so far. Raises
    :class:`NonFinite` on a non-finite value and :class:`Stalled` after ``flow.max_evals``
    evaluations. Returns (final theta, gradient evaluations).
    """
    evals = [0]
    last = [theta.copy()]  # the last accepted point; its loss is computed only if we fail

    def rhs(t, th):
        loss, g = obj.value_and_grad(th)
        evals[0] += 1
        if not (np.isfinite(loss) and np.all(np.isfinite(g))):
            raise NonFinite(evals[0], t, last[0], obj.data_loss(last[0]))
        return -g

    solver = SOLVERS[flow.method](rhs, 0.0, theta, t_max, rtol=flow.rtol, atol=flow.atol, max_step=flow.max_step)
    try:
        _flow_loop(solver, obj, flow, record_times, recorder, progress, evals, last)
    except KeyboardInterrupt:
        raise Interrupted(evals[0], last[0].copy(), time=solver.t) from None
    return solver.y.copy(), evals[0]


def _flow_loop(solver, obj, flow, record_times, recorder, progress, evals, last):
    k = 0
    while k < len(record_times):
        if solver.status != "running":
            raise NonFinite(evals[0], solver.t, last[0], obj.data_loss(last[0]),
                            reason=f"the ODE solver stopped at t={solver.t:.6g}: {solver.status}.")
        solver.step()
        dense = solver.dense_output()
        while k < len(record_times) and record_times[k] <= solver.t:
            th = dense(record_times[k])
            loss, g = obj.value_and_grad(th)
            recorder.add(evals[0], record_times[k], th, loss, g)
            k += 1
        last[0] = solver.y.copy()
        progress.advance(solver.t)
        if evals[0] > flow.max_evals and k < len(record_times):
            raise Stalled(solver.t, evals[0], last[0])


class Stalled(Exception):
    """Gradient flow used its evaluation budget before reaching the horizon."""

    def __init__(self, time, evals, last_theta):
        self.time, self.evals, self.last_theta = time, evals, last_theta


SOLVERS = {"DOP853": DOP853, "RK45": RK45}

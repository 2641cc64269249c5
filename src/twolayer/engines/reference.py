"""The reference engine: plain NumPy, gradients written out (:mod:`twolayer.net`), one step at a time.

It is the one a student can read line by line: each step evaluates the objective and its
gradient at theta, records when asked, and applies the optimiser's update.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from ..optim import minibatches


class NonFinite(Exception):
    """Raised inside an engine at the first non-finite loss or gradient."""

    def __init__(self, step, time, last_theta, last_loss, reason=""):
        self.step, self.time, self.last_theta, self.last_loss = step, time, last_theta, last_loss
        self.reason = reason


def run_discrete(obj, theta, opt, steps, record_steps, order, recorder, progress):
    """GD / SGD / Adam for ``steps`` updates, recording at the sorted ``record_steps``.

    ``order`` is the (epochs, n) array of SGD sample orders (None for full batch). Modifies
    ``theta`` in place and returns it. Raises :class:`NonFinite` at the first non-finite value.
    """
    full_batch = opt.batch_size is None
    batches = None if full_batch else minibatches(order, opt.batch_size, steps)
    state = opt.init(theta)
    prev = theta.copy()
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
        progress.advance(t + 1)
    return theta


def _check(loss, g, step, time, prev, last_loss):
    if not (np.isfinite(loss) and np.all(np.isfinite(g))):
        raise NonFinite(step, time, prev, last_loss)


def run_flow(obj, theta, flow, t_max, record_times, recorder, progress):
    """Gradient flow to ``t_max`` with scipy's adaptive Runge-Kutta, recording at ``record_times``.

    The recorded ``step`` of a point is the number of gradient evaluations the solver had used
    when it first reached that time. Returns (final theta, total gradient evaluations).
    """
    evals = {"n": 0, "t": [], "count": []}
    last = {"theta": theta.copy(), "loss": np.nan}

    def rhs(t, th):
        loss, g = obj.value_and_grad(th)
        evals["n"] += 1
        if not (np.isfinite(loss) and np.all(np.isfinite(g))):
            raise NonFinite(evals["n"], t, last["theta"], last["loss"])
        if not evals["t"] or t > evals["t"][-1]:
            evals["t"].append(t)
            evals["count"].append(evals["n"])
            last["theta"], last["loss"] = th.copy(), loss
            progress.advance(t)
        return -g

    sol = solve_ivp(rhs, (0.0, t_max), theta, method=flow.method, t_eval=record_times,
                    rtol=flow.rtol, atol=flow.atol, max_step=flow.max_step)
    if sol.status < 0:
        raise NonFinite(evals["n"], evals["t"][-1] if evals["t"] else 0.0, last["theta"], last["loss"],
                        reason=f"the ODE solver stopped: {sol.message}")
    t_seen, counts = np.array(evals["t"]), np.array(evals["count"])
    for t, th in zip(sol.t, sol.y.T):
        loss, g = obj.value_and_grad(th)
        step = int(counts[min(np.searchsorted(t_seen, t), len(counts) - 1)]) if len(counts) else 0
        recorder.add(step, t, th, loss, g)
    return sol.y[:, -1].copy(), int(sol.nfev)

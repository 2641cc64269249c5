"""The playground's training sessions, independent of any web framework: validate a settings message,
build the problem and the network, train in short chunks on the compiled engine, and turn each
chunk's end into a JSON-safe frame (no NaN or inf: JSON cannot carry them).

A frame holds the step, the continuous time, the train and test losses, the learned function on a
grid (2-D problems) or a line (1-D problems), the neuron coordinates (particles |a_j| w_j in 2-D, the
orientation / signed-norm plane in 1-D) and three diagnostics: the relative weight change from the
start, the stable rank of W and the balancedness l-inf error max_j |a_j - s_j ||w_j|||.

The step size: with ``step_rule="scaled"`` (the default) the optimiser's step is
``lr * s(m) / max(1, alpha^2)``, ``s(m) = m, 1, 1/m`` for the mean-field, NTK and unscaled
parametrisations, ``alpha = 10^log10_scale``: the stable step of GD at initialisation changes by those
factors (the neural tangent kernel is ~ 2 alpha^2 / s(m)), so one ``lr`` trains every width and scale,
and moving the scale slider alone takes a run from the rich regime to the lazy one. ``"plain"`` uses
``lr`` as it is.
"""

from __future__ import annotations

import io
import time
from dataclasses import asdict, dataclass, fields

import numpy as np

from .. import data
from ..analysis import balance_errors, stable_rank
from ..data import with_bias
from ..errors import DivergenceError, InvalidParameter
from ..init import INITS, init_net
from ..jsonsafe import json_safe
from ..objective import Objective
from ..optim import GD, SGD, Flow
from ..train import train
from ..trajectory import Trajectory

PROBLEMS = ("teacher-2d", "hidden-structure", "relu-1d", "thesis-1.1.0", "clusters-2d")
ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "identity")
SCALINGS = ("mean-field", "ntk", "none")
OPTIMIZERS = ("gd", "sgd", "flow")
LOSSES = ("square", "logistic")
STEP_RULES = ("scaled", "plain")
LIMITS = {"width": (1, 2000), "log10_scale": (-12.0, 2.0), "lr": (1e-6, 100.0), "batch_size": (1, 200),
          "weight_decay": (0.0, 1.0), "steps_per_frame": (1, 5000), "seed": (0, 2 ** 31 - 1)}
GRID = 41          # points per axis of the 2-D function map
LINE = 201         # points of the 1-D function
MAX_SNAPSHOTS = 400  # recorded frames kept for the download; every other one is dropped when full


@dataclass
class Settings:
    """Everything a page can set; :func:`parse_settings` validates a message into one."""

    problem: str = "teacher-2d"
    width: int = 100
    activation: str = "relu"
    scaling: str = "mean-field"
    init: str = "gaussian"
    log10_scale: float = 0.0
    optimizer: str = "gd"
    lr: float = 0.1
    step_rule: str = "scaled"
    batch_size: int = 20
    loss: str = "square"
    weight_decay: float = 0.0
    trainable: tuple = ("a", "W", "c")
    symmetric: bool = True
    steps_per_frame: int = 20
    seed: int = 0

    def step_size(self) -> float:
        """The optimiser's step (see the module docstring)."""
        if self.step_rule == "plain":
            return self.lr
        s = {"mean-field": self.width, "ntk": 1.0, "none": 1.0 / self.width}[self.scaling]
        return self.lr * s / max(1.0, 100.0 ** self.log10_scale)


CHOICES = {"problem": PROBLEMS, "activation": ACTIVATIONS, "scaling": SCALINGS, "init": tuple(INITS),
           "optimizer": OPTIMIZERS, "loss": LOSSES, "step_rule": STEP_RULES}


def parse_settings(message: dict) -> Settings:
    """A :class:`Settings` from a dict of fields (missing ones take their defaults). Raises
    :class:`InvalidParameter` naming the first bad field: unknown names, wrong types, values outside
    :data:`LIMITS` or the allowed choices."""
    if not isinstance(message, dict):
        raise InvalidParameter("settings", type(message).__name__, "expected an object of fields")
    known = {f.name: f for f in fields(Settings)}
    out = Settings()
    for key, value in message.items():
        if key not in known:
            raise InvalidParameter(key, value, "unknown field; known: " + ", ".join(known))
        default = getattr(out, key)
        if key in CHOICES:
            if value not in CHOICES[key]:
                raise InvalidParameter(key, value, "expected one of " + ", ".join(CHOICES[key]))
        elif key == "trainable":
            if (not isinstance(value, (list, tuple)) or not value
                    or any(v not in ("a", "W", "c") for v in value)):
                raise InvalidParameter(key, value, 'expected a non-empty list of "a", "W", "c"')
            value = tuple(value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise InvalidParameter(key, value, "expected true or false")
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            raise InvalidParameter(key, value, "expected a number")
        else:
            # compare before converting (int(nan), float(10 ** 400) raise); NaN fails every comparison
            lo, hi = LIMITS[key]
            if not lo <= value <= hi:
                raise InvalidParameter(key, value, f"expected a value in [{lo}, {hi}]")
            if isinstance(default, int) and value != int(value):
                raise InvalidParameter(key, value, "expected an integer")
            value = type(default)(value)
        setattr(out, key, value)
    return out


def make_problem(name: str, seed: int):
    """(X, y, X_test, y_test, dim) of a playground problem; dim is 1 or 2 (what the page draws)."""
    if name == "teacher-2d":
        X, y, Xt, yt, _ = data.teacher(200, 2, n_test=500, seed=seed)
        return X, y, Xt, yt, 2
    if name == "hidden-structure":      # seed 000 ex. 2: the teacher uses 2 of 10 coordinates
        X, y, Xt, yt, _ = data.teacher(200, 10, n_test=500, relevant=2, seed=seed)
        return X, y, Xt, yt, 2
    if name == "relu-1d":
        X, y, Xt, yt = data.relu_1d()
        return X, y, Xt, yt, 1
    if name == "thesis-1.1.0":
        X, y = data.thesis("1.1.0")
        return X, y, None, None, 1
    rng = np.random.default_rng(seed)      # clusters-2d: four Gaussian blobs, labels +-1 in a XOR pattern
    centres = np.array([[1.5, 1.5], [-1.5, -1.5], [1.5, -1.5], [-1.5, 1.5]])
    labels = np.array([1.0, 1.0, -1.0, -1.0])
    k, kt = rng.integers(0, 4, 200), rng.integers(0, 4, 500)
    X, Xt = centres[k] + 0.6 * rng.standard_normal((200, 2)), centres[kt] + 0.6 * rng.standard_normal((500, 2))
    return X, labels[k], Xt, labels[kt], 2


class Session:
    """One page's run: ``advance()`` trains ``steps_per_frame`` more steps (fewer when a time budget
    runs out) and returns a frame, or a ``{"event": "diverged", ...}`` message once the run has
    diverged (it then stays stopped)."""

    def __init__(self, settings: Settings):
        self.settings = s = settings
        self.X, self.y, self.Xt, self.yt, self.dim = make_problem(s.problem, s.seed)
        if s.loss == "logistic" and not np.all(np.isin(self.y, (-1.0, 1.0))):
            raise InvalidParameter("loss", s.loss, f"problem {s.problem!r} has real labels; use the square loss")
        if s.symmetric and s.width % 2:
            raise InvalidParameter("width", s.width, "a symmetric initialisation pairs neurons: use an even width")
        # the thesis set carries its bias as an input coordinate; "trainable" decides whether c moves
        self.net0 = init_net(self.X.shape[1], s.width, s.activation, s.scaling, bias=s.problem != "thesis-1.1.0",
                             init=s.init, scale=10.0 ** s.log10_scale, seed=s.seed, slope=0.1,
                             symmetric=s.symmetric)
        self.net, self.step, self.time, self.diverged = self.net0, 0, 0.0, None
        self.seconds_per_step = None        # measured by advance(), sizes its sub-chunks
        self.reduction = "half_mean" if s.loss == "square" else "mean"
        trainable = tuple(t for t in s.trainable if t != "c" or self.net0.bias)
        self.objective = Objective(self.net0, self.X, self.y, s.loss, self.reduction, s.weight_decay, trainable)
        self.history = {k: [] for k in ("steps", "times", "train_loss", "objective", "grad_norm", "test_loss",
                                        "a", "W", "c")}

    def optimizer(self):
        s, lr = self.settings, self.settings.step_size()
        if s.optimizer == "sgd":
            return SGD(lr, min(s.batch_size, len(self.y)))
        if s.optimizer == "flow":
            return Flow()
        return GD(lr)

    def first_frame(self) -> dict:
        """The frame of the network before training (step 0)."""
        return self.frame()

    def advance(self, budget: float | None = None) -> dict:
        """Train one chunk and return its frame (or the divergence event).

        Parameters
        ----------
        budget : float or None
            Seconds of training after which the chunk ends early, even if fewer than
            ``steps_per_frame`` steps (or less than their gradient-flow time) were done; the frame's
            ``step`` and ``time`` say how far it got. ``None`` always trains the whole chunk.

        Notes
        -----
        With a budget the chunk trains in sub-chunks sized from the time per step measured so far,
        and the clock is read between them: the compiled kernel cannot be interrupted, so this is
        what keeps one heavy chunk (width 2000, 5000 steps) from running for a minute.
        """
        if self.diverged is not None:
            return self.diverged
        total, done = self.settings.steps_per_frame, 0
        start = time.perf_counter()
        while done < total:
            size = total - done
            if budget is not None:
                left = budget - (time.perf_counter() - start)
                if done and left <= 0:
                    break
                guess = 1 if self.seconds_per_step is None else int(left / max(self.seconds_per_step, 1e-9))
                size = max(1, min(size, guess))
            begun = time.perf_counter()
            if not self.train_steps(size):
                return self.diverged
            self.seconds_per_step = (time.perf_counter() - begun) / size
            done += size
        return self.frame()

    def train_steps(self, steps: int) -> bool:
        """Train ``steps`` steps (gradient flow: for ``steps`` step sizes of time) from the current
        network; False when the run diverged (:attr:`diverged` then holds the event)."""
        s = self.settings
        opt = self.optimizer()
        kw = dict(loss=s.loss, reduction=self.reduction, weight_decay=s.weight_decay, trainable=self.objective.trainable, optimizer=opt, quiet=True,
                  snapshots=False, seed=s.seed + self.step)
        if self.Xt is not None:
            kw.update(X_test=self.Xt, y_test=self.yt)
        try:
            if isinstance(opt, Flow):
                horizon = steps * s.step_size()
                run = train(self.net, self.X, self.y, t_max=horizon, record_at=[horizon], **kw)
            else:
                run = train(self.net, self.X, self.y, steps=steps, record_at=[steps], **kw)
        except DivergenceError as err:
            self.diverged = {"event": "diverged", "step": int(self.step + err.step),
                             "message": f"diverged at step {self.step + err.step}: {err.hint}"}
            return False
        self.net = run.final
        self.step += steps if not isinstance(opt, Flow) else 0
        self.time += float(run.times[-1])
        return True

    def frame(self) -> dict:
        """The JSON-safe picture of the current network (also recorded for :meth:`trajectory`)."""
        net, W = self.net, self.net.W
        train_loss, test_loss = self.record()
        out = {"event": "frame", "step": self.step, "time": self.time, "train_loss": train_loss,
               "test_loss": test_loss}
        if self.dim == 2:
            g = np.linspace(-3.0, 3.0, GRID)
            P = np.zeros((GRID * GRID, self.X.shape[1]))
            P[:, 0], P[:, 1] = np.repeat(g, GRID), np.tile(g, GRID)
            out["function"] = {"x": g, "values": net(P)}
            out["neurons"] = {"x": np.abs(net.a) * W[:, 0], "y": np.abs(net.a) * W[:, 1], "sign": np.sign(net.a)}
        else:
            lo, hi = float(self.X[:, 0].min()), float(self.X[:, 0].max())
            x = np.linspace(lo - 0.25 * (hi - lo), hi + 0.25 * (hi - lo), LINE)
            inputs = with_bias(x) if self.settings.problem == "thesis-1.1.0" else x[:, None]
            out["function"] = {"x": x, "values": net(inputs)}
            w1 = W[:, 0]
            b = W[:, 1] if self.settings.problem == "thesis-1.1.0" else (net.c if net.bias else np.zeros(net.m))
            with np.errstate(divide="ignore", invalid="ignore"):
                kink = -b / w1
            out["neurons"] = {"x": kink, "y": np.sign(net.a) * np.hypot(w1, b), "sign": np.sign(net.a)}
        moved = np.linalg.norm(net.theta - self.net0.theta) / max(np.linalg.norm(self.net0.theta), 1e-300)
        out["diagnostics"] = {"relative_weight_change": moved, "stable_rank_W": stable_rank(W),
                              "balance_linf": balance_errors(net.a, W, np.sign(self.net0.a))[1]}
        return json_safe(out)

    def record(self) -> tuple:
        """Append the current point to the history; returns (train loss, test loss or None)."""
        theta, obj, h = self.net.theta, self.objective, self.history
        train_loss, grad = obj.value_and_grad(theta)
        test_loss = None if self.Xt is None else obj.data_loss(theta, self.Xt, self.yt)
        if len(h["steps"]) >= MAX_SNAPSHOTS:          # thin to every other point, keeping the first
            for key in h:
                h[key] = h[key][::2]
        for key, value in (("steps", self.step), ("times", self.time), ("train_loss", train_loss),
                           ("objective", train_loss + obj.penalty(theta)), ("grad_norm", np.linalg.norm(grad)),
                           ("test_loss", test_loss), ("a", self.net.a), ("W", self.net.W), ("c", self.net.c)):
            h[key].append(value)
        return train_loss, test_loss

    def trajectory(self) -> Trajectory:
        """The recorded frames as a :class:`~twolayer.trajectory.Trajectory` (parameters at every
        frame, at most :data:`MAX_SNAPSHOTS` of them: every other one is dropped when full)."""
        h, net = self.history, self.net
        return Trajectory(np.array(h["steps"], dtype=np.int64), np.array(h["times"], dtype=float),
                          np.array(h["train_loss"]), np.array(h["objective"]), np.array(h["grad_norm"]), final=net, test_loss=None if self.Xt is None else np.array(h["test_loss"], dtype=float),
                          a=np.array(h["a"]), W=np.array(h["W"]), c=np.array(h["c"]) if net.bias else None,
                          config={**asdict(self.settings), "trainable": ",".join(self.settings.trainable),
                                  "step": self.settings.step_size()},
                          info={"source": "twolayer playground", "diverged": self.diverged})

    def hdf5_bytes(self) -> bytes:
        """:meth:`trajectory` written as an HDF5 file, in memory (what the page downloads)."""
        buffer = io.BytesIO()
        self.trajectory().save(buffer)
        return buffer.getvalue()

    def describe(self) -> dict:
        """The settings in force, the step size they give and the training data (what the page draws
        under the function: the first one or two input coordinates and the labels)."""
        X, s = self.X, self.settings
        points = {"x": X[:, 0], "labels": self.y}
        if self.dim == 2:
            points["y"] = X[:, 1]
        return json_safe({"event": "settings", "settings": asdict(s), "step_size": s.step_size(), "dim": self.dim,
                          "data": points})

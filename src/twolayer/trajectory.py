"""Trajectory: what a training run recorded, with HDF5 save/load."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InvalidParameter
from .net import Net

_SERIES = ("steps", "times", "train_loss", "objective", "grad_norm", "test_loss")


@dataclass
class Trajectory:
    """Recorded points of a run.

    Attributes (T recorded points)
    ------------------------------
    steps : (T,) int -- optimiser steps (0 for gradient flow, which has none).
    times : (T,) float -- continuous time: ``lr * step`` for GD/SGD/Adam, the ODE time for Flow.
    train_loss : (T,) -- data loss on the whole training set (without weight decay).
    objective : (T,) -- train_loss + (lambda/2) ||theta_trainable||^2.
    grad_norm : (T,) -- norm of the full-batch gradient of the objective.
    test_loss : (T,) or None -- data loss on the test set, when one was passed.
    a, W, c : (T, ...) parameter snapshots (None when recorded without snapshots).
    final : the network after the last step.
    config : the run's settings (stored as HDF5 attributes).
    info : facts about the run (engine, elapsed seconds, gradient evaluations ...).
    """

    steps: np.ndarray
    times: np.ndarray
    train_loss: np.ndarray
    objective: np.ndarray
    grad_norm: np.ndarray
    final: Net
    test_loss: np.ndarray | None = None
    a: np.ndarray | None = None
    W: np.ndarray | None = None
    c: np.ndarray | None = None
    config: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def has_snapshots(self) -> bool:
        return self.W is not None

    def net_at(self, i: int) -> Net:
        """The network at recorded point ``i`` (negative indices count from the end)."""
        if not self.has_snapshots:
            raise InvalidParameter("snapshots", False, "this run was recorded without snapshots; train with snapshots=True")
        if not -len(self) <= i < len(self):
            raise InvalidParameter("i", i, f"expected an index in [-{len(self)}, {len(self) - 1}]")
        f = self.final
        return Net(self.a[i].copy(), self.W[i].copy(), None if self.c is None else self.c[i].copy(),
                   f.activation, f.scaling, f.slope)

    def theta_at(self, i: int) -> np.ndarray:
        return self.net_at(i).theta

    def index_of_step(self, step: int) -> int:
        """Index of the recorded point at ``step`` (exact match required)."""
        hits = np.flatnonzero(self.steps == step)
        if not len(hits):
            raise InvalidParameter("step", step, "was not recorded; pass it in record_at or use record_every")
        return int(hits[0])

    # persistence ---------------------------------------------------------------------------
    def save(self, path):
        """Write the trajectory to an HDF5 file (exact float64 round trip). ``path`` may also be a
        binary file object such as ``io.BytesIO``; returns what was given (as a Path for a path)."""
        import h5py

        path = path if hasattr(path, "write") else Path(path)
        with h5py.File(path, "w") as h5:
            self.write_group(h5)
        return path

    def write_group(self, h5) -> None:
        """Write the trajectory into the (empty) h5py group or file ``h5``."""
        for name in _SERIES:
            value = getattr(self, name)
            if value is not None:
                h5.create_dataset(name, data=value)
        for group, arrays in (("snapshots", (self.a, self.W, self.c)),
                              ("final", (self.final.a, self.final.W, self.final.c))):
            g = h5.create_group(group)
            for key, value in zip(("a", "W", "c"), arrays):
                if value is not None:
                    g.create_dataset(key, data=value)
        h5.attrs["activation"] = self.final.activation
        h5.attrs["scaling"] = self.final.scaling
        h5.attrs["slope"] = self.final.slope
        h5.attrs["config_json"] = json.dumps(self.config, default=_jsonable)
        h5.attrs["info_json"] = json.dumps(self.info, default=_jsonable)
        cfg = h5.create_group("config")
        for key, value in self.config.items():
            if isinstance(value, (int, float, str, bool, np.integer, np.floating)):
                cfg.attrs[key] = value

    @classmethod
    def load(cls, path) -> "Trajectory":
        """Read a trajectory written by :meth:`save`."""
        import h5py

        with h5py.File(path if hasattr(path, "read") else Path(path), "r") as h5:
            return cls.read_group(h5)

    @classmethod
    def read_group(cls, h5) -> "Trajectory":
        """Read a trajectory written by :meth:`write_group` from an h5py group or file."""
        series = {name: (h5[name][()] if name in h5 else None) for name in _SERIES}
        snap = {k: (h5["snapshots"][k][()] if k in h5["snapshots"] else None) for k in ("a", "W", "c")}
        fin = {k: (h5["final"][k][()] if k in h5["final"] else None) for k in ("a", "W", "c")}
        final = Net(fin["a"], fin["W"], fin["c"], str(h5.attrs["activation"]),
                    str(h5.attrs["scaling"]), float(h5.attrs["slope"]))
        return cls(final=final, config=json.loads(h5.attrs["config_json"]),
                   info=json.loads(h5.attrs["info_json"]), **series, **snap)


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return repr(value)


def log_steps(total: int, num: int = 100) -> np.ndarray:
    """About ``num`` integer steps from 0 to ``total``, log-spaced (0, 1, 2, ... then geometric)."""
    total = int(total)
    pts = np.unique(np.round(np.geomspace(1, max(total, 1), num)).astype(np.int64))
    return np.unique(np.concatenate([[0], pts[pts <= total], [total]]))

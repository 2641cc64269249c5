"""Training in segments: many runs trained together, each stopping at a segment end when a rule says so.

The thesis trains "until convergence" (or to a fixed budget, stopping runs that have fitted): long runs
whose length is not known in advance. :func:`train_in_segments` trains all runs still going for one
segment in one :func:`twolayer.train_many` call (both cores), asks a rule after each segment whether a
run goes on, and continues the runs that do from their final networks. For a full-batch optimiser
without state (GD) this gives the same numbers as one long run stopped at that segment end.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .errors import InvalidParameter, TwolayerWarning
from .net import Net
from .sweep import train_many


@dataclass
class SegmentedRun:
    """One run trained in segments: its records so far (lists of per-segment arrays) and its last network.

    ``steps`` and ``loss`` hold the initial point, then every recorded epoch of each segment (global
    epochs); with snapshots, ``a`` (T, m) and ``W`` (T, m, d) pieces at the same points.
    """

    final: Net
    steps: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    a: list = field(default_factory=list)
    W: list = field(default_factory=list)
    epochs: int = 0

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        """(epochs, loss) at every recorded point, shape (T,) each."""
        return np.concatenate(self.steps), np.concatenate(self.loss)

    def snapshots(self) -> tuple[np.ndarray, np.ndarray]:
        """(a, W) at every recorded point: shapes (T, m) and (T, m, d)."""
        return np.concatenate(self.a), np.concatenate(self.W)

    def extend(self, traj, start: int, snapshots: bool) -> None:
        """Append a segment's trajectory ``traj`` (its steps counted from ``start``)."""
        if not self.loss:
            self.steps.append(np.asarray(traj.steps[:1]) + start)
            self.loss.append(np.asarray(traj.train_loss[:1]))
            if snapshots:
                self.a.append(traj.a[:1])
                self.W.append(traj.W[:1])
        self.steps.append(np.asarray(traj.steps[1:]) + start)
        self.loss.append(np.asarray(traj.train_loss[1:]))
        if snapshots:
            self.a.append(traj.a[1:])
            self.W.append(traj.W[1:])
        self.final, self.epochs = traj.final, start + int(traj.steps[-1])


def train_in_segments(nets, X, y, *, optimizers, ends, record_at, go_on: Callable, caps=None,
                      record_ends: bool = False, snapshots: bool = False, quiet: bool = True,
                      **train_kw) -> list[SegmentedRun]:
    """Train ``nets[i]`` with ``optimizers[i]`` segment by segment until ``go_on`` stops it.

    Parameters
    ----------
    nets
        Starting networks, one per run.
    X, y
        Training data, shapes (n, d) and (n,) or (n, K), shared by every run.
    optimizers
        One full-batch optimiser per run (or one for all).
    ends
        Increasing global epochs at which segments end; the last is where every run stops.
    record_at
        Global epochs (integers in [1, ends[-1]]) at which the loss is recorded; epoch 0 always is.
    go_on
        ``go_on(i, run, traj, start, end) -> bool``: after run ``i`` trained epochs start..end (``run``
        its :class:`SegmentedRun`, already extended; ``traj`` the segment's Trajectory, with its
        ``info``), whether it trains on.
    caps
        Optional largest epoch per run: a run's segment ends at min(end, cap), and it stops there.
    record_ends
        Also record the last epoch of every segment.
    snapshots
        Keep the parameters at every recorded point.
    quiet
        No progress bars.
    **train_kw
        Passed to :func:`twolayer.train_many` (loss, reduction, ...); divergence is kept, not raised.

    Returns
    -------
    list of SegmentedRun, one per run.
    """
    optimizers = list(optimizers) if isinstance(optimizers, (list, tuple)) else [optimizers] * len(nets)
    caps = [int(ends[-1])] * len(nets) if caps is None else [int(c) for c in caps]
    if len(optimizers) != len(nets) or len(caps) != len(nets):
        raise InvalidParameter("optimizers/caps", f"{len(optimizers)}/{len(caps)} for {len(nets)} runs",
                               "give one optimiser and one cap per network")
    at = np.asarray(record_at, dtype=np.int64)
    runs = [SegmentedRun(final=net) for net in nets]
    alive, done = list(range(len(nets))), 0
    for end in ends:
        if not alive:
            break
        stop = {i: min(int(end), caps[i]) for i in alive}
        still = []
        for seg_end in sorted(set(stop.values())):
            group = [i for i in alive if stop[i] == seg_end]
            local = at[(at > done) & (at <= seg_end)] - done
            points = np.unique(np.concatenate([[0], local] + ([[seg_end - done]] if record_ends else [])))
            with warnings.catch_warnings():       # the caller's rule reads warnings from traj.info
                warnings.simplefilter("ignore", TwolayerWarning)
                trajs = train_many([runs[i].final for i in group], X, y, optimizer=[optimizers[i] for i in group],
                                   steps=seg_end - done, record_at=points.astype(np.int64), snapshots=snapshots,
                                   on_divergence="keep", quiet=quiet, **train_kw)
            for i, t in zip(group, trajs):
                runs[i].extend(t, done, snapshots)
                if go_on(i, runs[i], t, done, seg_end) and seg_end < caps[i]:   # the rule reads every segment
                    still.append(i)
        alive, done = sorted(still), int(end)
    return runs


__all__ = ["SegmentedRun", "train_in_segments"]

"""Training in segments: many runs trained together, each stopping at a segment end when a rule says so.

The thesis trains "until convergence" (or to a fixed budget, stopping runs that have fitted): long runs
whose length is not known in advance. :func:`train_in_segments` trains each run segment by segment,
asks a rule after each segment whether it goes on, and continues it from its final network. On the
compiled engine every run goes through its segments on its own, as one task of a thread pool over the
cores (longest first), so that no core waits at a segment end for the slowest run; on the reference
engine all runs still going train one segment together in one :func:`twolayer.train_many` call. For a
full-batch optimiser without state (GD) either gives the same numbers as one long run stopped at that
segment end.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .errors import InvalidParameter, TwolayerWarning
from .net import Net
from .progress import Progress
from .sweep import calls_blas, execute_or_error, expected_work, kept, run_in_threads, sweep_engine, train_many
from .train import prepare


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
        ``info``), whether it trains on. On the compiled engine it is called from worker threads,
        for different runs at the same time (each call concerns run ``i`` only).
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
    plan = _Plan(X, y, at, [int(e) for e in ends], caps, optimizers, go_on, record_ends, snapshots, train_kw)
    with warnings.catch_warnings():       # the caller's rule reads warnings from traj.info
        warnings.simplefilter("ignore", TwolayerWarning)
        first = [plan.spec(i, runs[i], 0, min(plan.ends[0], caps[i])) for i in range(len(nets))]
        sweep_engine(first)
        if all(s.engine == "numba" for s in first):
            plan.train_kw = {**train_kw, "engine": "numba"}
            with Progress(len(nets), "runs", quiet, unit="run", delay=1.0) as bar:
                run_in_threads([functools.partial(plan.run_alone, i, runs[i], first[i]) for i in range(len(nets))],
                               [caps[i] * expected_work(first[i]) / max(1, first[i].steps) for i in range(len(nets))],
                               bar, blas=calls_blas(first))
        else:
            plan.in_lockstep(runs, quiet)
    return runs


@dataclass
class _Plan:
    """What every segment of every run shares (see :func:`train_in_segments`)."""

    X: object
    y: object
    at: np.ndarray
    ends: list
    caps: list
    optimizers: list
    go_on: Callable
    record_ends: bool
    snapshots: bool
    train_kw: dict

    def points(self, start: int, end: int) -> np.ndarray:
        """The recorded epochs of the segment start..end, counted from its start (0 included)."""
        local = self.at[(self.at > start) & (self.at <= end)] - start
        return np.unique(np.concatenate([[0], local] + ([[end - start]] if self.record_ends else []))).astype(np.int64)

    def spec(self, i: int, run: SegmentedRun, start: int, end: int):
        return prepare(run.final, self.X, self.y, optimizer=self.optimizers[i], steps=end - start,
                       record_at=self.points(start, end), snapshots=self.snapshots, quiet=True, **self.train_kw)

    def after(self, i: int, run: SegmentedRun, traj, start: int, end: int) -> bool:
        """Record the segment; whether run ``i`` trains on."""
        run.extend(traj, start, self.snapshots)
        return bool(self.go_on(i, run, traj, start, end)) and end < self.caps[i]   # the rule reads every segment

    def run_alone(self, i: int, run: SegmentedRun, spec) -> None:
        """Every segment of run ``i``, one after another, on the compiled engine (a thread's task: the
        run does not wait for the others at segment ends)."""
        start = 0
        for k, end in enumerate(self.ends):
            stop = min(end, self.caps[i])
            if k:
                spec = self.spec(i, run, start, stop)
            if not self.after(i, run, kept(execute_or_error(spec)), start, stop):
                return
            start = end

    def in_lockstep(self, runs: list, quiet: bool) -> None:
        """Segment by segment, every run still going in one :func:`train_many` call (the reference
        engine's runs go to worker processes this way)."""
        alive, done = list(range(len(runs))), 0
        for end in self.ends:
            if not alive:
                break
            stop = {i: min(end, self.caps[i]) for i in alive}
            still = []
            for seg_end in sorted(set(stop.values())):
                group = [i for i in alive if stop[i] == seg_end]
                trajs = train_many([runs[i].final for i in group], self.X, self.y,
                                   optimizer=[self.optimizers[i] for i in group], steps=seg_end - done,
                                   record_at=self.points(done, seg_end), snapshots=self.snapshots,
                                   on_divergence="keep", quiet=quiet, **self.train_kw)
                still += [i for i, t in zip(group, trajs) if self.after(i, runs[i], t, done, seg_end)]
            alive, done = sorted(still), end


__all__ = ["SegmentedRun", "train_in_segments"]

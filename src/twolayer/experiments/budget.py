"""Limits of the experiments' settings that involve several fields at once.

Every single setting has its own bounds (:func:`twolayer.experiments.base.param`); what a run records
grows with products of settings (points recorded x parameters x runs), so an experiment's ``check(cfg)``
estimates that and refuses it here, before anything trains, naming the setting to change.
"""

from __future__ import annotations

from ..errors import InvalidParameter
from ..limits import FLOAT, format_bytes

BUDGET = 4 * 2 ** 30    # bytes a run may record: well inside a 24 GB machine
COPIES = 3              # a recorded snapshot lives in the engine buffer, the recorder and the trajectory


def snapshot_bytes(points: int, params: int, runs: int = 1) -> int:
    """Bytes of ``runs`` trajectories of ``points`` recorded snapshots of ``params`` parameters."""
    return int(points) * int(params) * int(runs) * FLOAT * COPIES


def recorded_points(steps: int, every: int) -> int:
    """Points recorded by ``record_every=every`` over ``steps`` steps (as :func:`twolayer.train` does)."""
    return steps // max(1, every) + 2


def check_budget(key: str, value, need_bytes: float, fix: str) -> None:
    """Raise :class:`InvalidParameter` naming ``key`` when ``need_bytes`` exceeds :data:`BUDGET`."""
    if need_bytes > BUDGET:
        raise InvalidParameter(key, value, f"with the other settings this run would record about "
                               f"{format_bytes(need_bytes)} (limit {format_bytes(BUDGET)}); {fix}")


def min_record_every(steps: int, params: int, runs: int = 1) -> int:
    """The smallest ``record_every`` whose snapshots of ``runs`` runs fit in :data:`BUDGET`."""
    fit = BUDGET // snapshot_bytes(1, params, runs) - 2
    return max(1, -(-int(steps) // fit)) if fit > 0 else int(steps) + 1


def check_recording(key: str, value, steps: int, every: int, params: int, runs: int = 1, also: str = "") -> None:
    """Refuse ``runs`` runs of ``steps`` steps recording ``params`` parameters every ``every`` steps
    beyond :data:`BUDGET`; the message names the record_every that fits."""
    need = snapshot_bytes(recorded_points(steps, every), params, runs)
    check_budget(key, value, need, f"use record_every >= {min_record_every(steps, params, runs)}"
                 + (f", or fewer {also}" if also else ""))


SEED_MAX = 2 ** 31 - 1  # seeds are offset (seed + 1000 s + i) and handed to compiled engines as int64

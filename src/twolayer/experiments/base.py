"""What an experiment is: a named recipe with a typed config, a quick variant and a run function.

An experiment module defines a ``Config`` dataclass (the seed document's settings as defaults),
the ``quick`` overrides, and ``run(cfg, ctx) -> metrics``, which trains, analyses, and hands
figures, notes and the trajectory to the :class:`Context`. It registers itself with
:func:`twolayer.experiments.register`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import InvalidParameter
from ..init import init_net
from ..optim import GD
from ..plots import save_figure
from ..train import train


@dataclass
class Experiment:
    name: str
    seed_file: str
    description: str
    config: type
    run: Callable
    quick: dict = field(default_factory=dict)

    def make_config(self, quick: bool = False, overrides: dict | None = None, **fixed):
        """The resolved config: defaults, then the quick overrides, then ``fixed``, then
        ``overrides`` (strings from the command line, converted to the field types)."""
        cfg = self.config()
        values = {**(self.quick if quick else {}), **fixed}
        for key, value in values.items():
            setattr(cfg, key, value)
        for key, text in (overrides or {}).items():
            setattr(cfg, key, parse_field(self.config, key, text))
        return cfg


def parse_field(config_cls, key: str, text):
    """Convert the string ``text`` to the type of field ``key`` of ``config_cls``."""
    hints = typing.get_type_hints(config_cls)
    names = [f.name for f in dataclasses.fields(config_cls)]
    if key not in names:
        raise InvalidParameter("--set", key, "unknown key; valid keys: " + ", ".join(names))
    if not isinstance(text, str):
        return text
    kind = hints[key]
    origin = typing.get_origin(kind)
    try:
        if kind is bool:
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return text.lower() in ("true", "1", "yes")
        if kind in (int, float, str):
            return kind(float(text)) if kind is int and "e" in text.lower() else kind(text)
        if origin in (tuple, list):
            inner = typing.get_args(kind)[0]
            return tuple(inner(v) for v in text.replace(" ", "").split(",") if v)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(kind) if a is not type(None)]
            if text.lower() == "none":
                return None
            return args[0](text)
    except ValueError:
        raise InvalidParameter(f"--set {key}", text, f"expected a value of type {getattr(kind, '__name__', kind)}") from None
    return text


class Context:
    """What an experiment's run writes through: figures, report notes, the trajectory."""

    def __init__(self, folder: Path, engine: str = "auto", quiet: bool = False):
        self.folder = Path(folder)
        self.engine, self.quiet = engine, quiet
        self.figures: list[tuple[str, str, str]] = []  # (name, title, caption)
        self.notes: list[str] = []

    def figure(self, fig, name: str, title: str, caption: str) -> None:
        """Save ``fig`` as figures/NAME.png and .pdf and list it in the report with ``caption``."""
        save_figure(fig, self.folder / "figures", name)
        self.figures.append((name, title, caption))

    def note(self, text: str) -> None:
        """A paragraph of the report (what was run, what to conclude)."""
        self.notes.append(text.strip())

    def save_trajectory(self, traj) -> None:
        traj.save(self.folder / "trajectory.h5")


# -- the thesis's conventions (seed 003), shared by its experiments ------------------------------
THESIS_LOSS = {"loss": "square", "reduction": "mean"}   # its runs used (1/n) sum (h - y)^2


def balanced_net(d: int, width: int, activation: str, scale: float, seed: int):
    """h(x) = sum_j a_j sigma(w_j . x), no width scaling, balanced start w_j = scale g_j,
    a_j = s_j ||w_j|| (thesis eqs 2.41-2.42)."""
    return init_net(d, width, activation, "none", init="balanced", scale=scale, seed=seed)


def thesis_gd(X, y, activation: str, width: int, scale: float, lr: float, steps: int, ctx, seed: int = 0, **record):
    """GD on the thesis's loss from :func:`balanced_net`; ``record`` is record_every= or record_at=."""
    return train(balanced_net(X.shape[1], width, activation, scale, seed), X, y, optimizer=GD(lr), steps=steps,
                 engine=ctx.engine, quiet=ctx.quiet, **THESIS_LOSS, **record)

"""What an experiment is: a named recipe with a typed config, a quick variant and a run function.

An experiment module defines a ``Config`` dataclass (the seed document's settings as defaults),
the ``quick`` overrides, and ``run(cfg, ctx) -> metrics``, which trains, analyses, and hands
figures, notes and the trajectory to the :class:`Context`. It registers itself with
:func:`twolayer.experiments.register`.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import InvalidParameter, closest
from ..init import init_net
from ..optim import GD
from ..plots import save_figure
from ..train import train


def param(default, help: str, *, ge=None, gt=None, le=None, choices=None, empty: bool = False):
    """A config field with its meaning and accepted values.

    This is the one declarative place for an experiment setting: :meth:`Experiment.make_config`
    validates against it, and ``twolayer show NAME`` / ``twolayer run NAME --help`` print it.

    Parameters
    ----------
    default
        The seed document's value (full fidelity).
    help : str
        What the setting means, one short sentence.
    ge, gt, le : float, optional
        Bounds of a number (or of every item of a tuple): value >= ge, value > gt, value <= le.
        Upper bounds keep a run within what the machine can hold.
    choices : tuple, optional
        The accepted values of a string (or of every item of a tuple of strings).
    empty : bool
        Whether a tuple may be empty (default: no).
    """
    meta = {"help": help, "ge": ge, "gt": gt, "le": le, "choices": None if choices is None else tuple(choices),
            "empty": empty}
    return field(default=default, metadata=meta)


@dataclass
class Experiment:
    name: str
    seed_file: str
    description: str
    config: type
    run: Callable
    quick: dict = field(default_factory=dict)
    source: str = ""       # where in the seed document, e.g. "thesis, section 2.2.1.4"
    parts: tuple = ()      # experiments whose results this one reads (run before it by ``reproduce``)
    findings: Callable | None = None   # metrics -> rows of the thesis's findings table (thesis_findings.row)

    def make_config(self, quick: bool = False, overrides: dict | None = None, **fixed):
        """The resolved config: defaults, then the quick overrides, then ``fixed``, then
        ``overrides`` (strings from the command line, converted to the field types); every
        value is checked against its :func:`param` declaration."""
        cfg = self.config()
        values = {**(self.quick if quick else {}), **fixed}
        for key, value in values.items():
            setattr(cfg, key, value)
        for key, text in (overrides or {}).items():
            setattr(cfg, key, parse_field(self.config, key, text))
        for f in dataclasses.fields(self.config):
            check_field(self.config, f.name, getattr(cfg, f.name))
        return cfg

    def fields(self) -> list[dict]:
        """One row per setting: key, type, full and quick defaults, accepted values and meaning."""
        hints = typing.get_type_hints(self.config)
        full, quick = self.config(), self.config()
        for key, value in self.quick.items():
            setattr(quick, key, value)
        return [{"key": f.name, "type": _type_name(hints[f.name]), "full": getattr(full, f.name),
                 "quick": getattr(quick, f.name), "accepted": accepted_text(f), "help": f.metadata.get("help", "")}
                for f in dataclasses.fields(self.config)]


def _type_name(kind) -> str:
    if typing.get_origin(kind) in (tuple, list):
        return f"list of {_type_name(typing.get_args(kind)[0])}"
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        return " or ".join("none" if a is type(None) else _type_name(a) for a in typing.get_args(kind))
    return getattr(kind, "__name__", str(kind))


def accepted_text(f: dataclasses.Field) -> str:
    """The accepted values of field ``f`` in words, e.g. "> 0 and <= 1e+06" or "one of 'relu', 'tanh'"."""
    m = f.metadata
    if m.get("choices"):
        return "one of " + ", ".join(map(repr, m["choices"]))
    parts = [f"{op} {m[key]:g}" for key, op in (("gt", ">"), ("ge", ">="), ("le", "<=")) if m.get(key) is not None]
    return " and ".join(parts) or "any"


def check_field(config_cls, key: str, value) -> None:
    """Raise :class:`InvalidParameter` naming ``key`` unless ``value`` is what field ``key`` accepts
    (its type, finiteness, bounds and choices; every item of a tuple)."""
    f = {f.name: f for f in dataclasses.fields(config_cls)}[key]
    kind = typing.get_type_hints(config_cls)[key]
    m = f.metadata
    optional = typing.get_origin(kind) in (typing.Union, types.UnionType)
    if optional:
        if value is None:
            return
        kind = next(a for a in typing.get_args(kind) if a is not type(None))
    if typing.get_origin(kind) in (tuple, list):
        if not isinstance(value, (tuple, list)):
            raise InvalidParameter(key, value, "expected a comma-separated list, e.g. 1,2,3")
        if not value and not m.get("empty"):
            raise InvalidParameter(key, value, "expected at least one value, e.g. 1,2,3")
        inner = typing.get_args(kind)[0]
        for item in value:
            _check_scalar(key, inner, item, m, f"every item of {key} must be ")
        return
    _check_scalar(key, kind, value, m, "expected ")


def _check_scalar(key, kind, value, m, lead) -> None:
    if kind is bool:
        if not isinstance(value, bool):
            raise InvalidParameter(key, value, lead + "true or false")
        return
    if kind is str:
        if not isinstance(value, str):
            raise InvalidParameter(key, value, lead + "a string")
        if m.get("choices") and value not in m["choices"]:
            raise InvalidParameter(key, value, lead + "one of " + ", ".join(map(repr, m["choices"]))
                                   + closest(value, m["choices"]))
        return
    if kind in (int, float):
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if kind is int and ok and not float(value).is_integer():
            ok = False
        if not ok or not math.isfinite(value):
            raise InvalidParameter(key, value, lead + ("an integer" if kind is int else "a finite number"))
        bounds = [(m.get("gt"), lambda b: value > b, ">"), (m.get("ge"), lambda b: value >= b, ">="),
                  (m.get("le"), lambda b: value <= b, "<=")]
        for bound, holds, _ in bounds:
            if bound is not None and not holds(bound):
                want = " and ".join(f"{o} {b:g}" for b, _, o in bounds if b is not None)
                raise InvalidParameter(key, value, f"{lead}{'an integer' if kind is int else 'a number'} {want}")


def parse_field(config_cls, key: str, text):
    """Convert the string ``text`` to the type of field ``key`` of ``config_cls``."""
    hints = typing.get_type_hints(config_cls)
    names = [f.name for f in dataclasses.fields(config_cls)]
    if key not in names:
        raise InvalidParameter("--set", key, "unknown key" + closest(key, names) + "; valid keys: " + ", ".join(names))
    if not isinstance(text, str):
        return text
    kind = hints[key]
    origin = typing.get_origin(kind)
    try:
        if origin in (typing.Union, types.UnionType):
            if text.lower() == "none":
                return None
            kind = next(a for a in typing.get_args(kind) if a is not type(None))
            origin = typing.get_origin(kind)
        if origin in (tuple, list):
            inner = typing.get_args(kind)[0]
            items = [v.strip() for v in text.split(",")] if text.strip() else []
            if any(not v for v in items):
                raise ValueError
            return tuple(_parse_scalar(inner, v) for v in items)
        return _parse_scalar(kind, text)
    except (ValueError, OverflowError):
        raise InvalidParameter(key, text, f"expected {_type_name(hints[key])}, e.g. "
                               f"{key}={_example(config_cls, key)}") from None


def _example(config_cls, key) -> str:
    value = getattr(config_cls(), key)
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _parse_scalar(kind, text: str):
    text = text.strip()
    if kind is bool:
        if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError
        return text.lower() in ("true", "1", "yes")
    if kind is int:
        value = float(text) if any(ch in text.lower() for ch in "e.") else int(text)
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise ValueError
        return int(value)
    if kind is float:
        value = float(text)
        if not math.isfinite(value):
            raise ValueError
        return value
    return kind(text)


class Context:
    """What an experiment's run writes through: stored runs, figures, report notes, the trajectory.

    ``run(name, compute, **settings)`` is how an experiment does every expensive unit of work: the
    value comes from the folder's store when it holds it (resume, reuse, redraw), else from
    ``compute()``, and is stored (:mod:`twolayer.runstore`). ``run_other(name, quick=...)``, given by
    the results layer that built the context, returns (folder, metrics) of another experiment,
    reusing its results where they exist: an experiment that summarises others (``thesis``) calls it
    instead of importing the layer above it.
    """

    def __init__(self, folder: Path, engine: str = "auto", quiet: bool = False, run_other: Callable | None = None,
                 store=None):
        self.folder = Path(folder)
        self.engine, self.quiet = engine, quiet
        self.run_other = run_other
        self.store = store
        self.figures: list[tuple[str, str, str]] = []  # (name, title, caption)
        self.notes: list[str] = []

    def has(self, name: str, **settings) -> bool:
        """Whether :meth:`run` would serve unit ``name`` with ``settings`` from the store (so that a
        loop can train all its missing units together, in one sweep over the cores)."""
        return self.store is not None and self.store.has(name, **settings)

    def run_many(self, name: str, settings: list, compute: Callable[[list], list]) -> list:
        """The values of units ``name`` with each of ``settings`` (a list of dicts), in order: the
        stored ones are read, the missing ones are computed together by one call ``compute(indices)``
        (e.g. one sweep over the cores; it returns their values in the order of ``indices``) and
        stored one by one (the first one's stored wall time is the whole call's)."""
        missing = [i for i, s in enumerate(settings) if not self.has(name, **s)]
        batch: dict = {}

        def value(i):
            if not batch:
                batch.update(zip(missing, compute(missing)))
            return batch.pop(i)

        return [self.run(name, lambda i=i: value(i), **s) for i, s in enumerate(settings)]

    def run(self, name: str, compute: Callable[[], object], **settings):
        """The value of the unit of work ``name`` with ``settings`` (which, with the experiment's
        config, determine it): stored, or ``compute()`` now and stored."""
        if self.store is None:
            return compute()
        return self.store.run(name, compute, **settings)

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

"""A study spec: the runs of a researcher's question, declared in TOML or as the same dict.

::

    name = "plateau-vs-scale"
    [data]                  # a built-in set (name = ...) or a file (file = ..., label = ...)
    name = "thesis-1.1.0"
    [net]                   # keywords of tl.init_net (d comes from the data)
    width = 60
    activation = "relu"
    scaling = "none"
    init = "balanced"
    scale = 1e-3
    [train]                 # keywords of tl.train
    loss = "square"
    reduction = "mean"
    steps = 10000
    [optimizer]             # gd | sgd | adam | flow, with that optimizer's parameters
    name = "gd"
    lr = 1e-3
    [grid]                  # a product over these axes (bare keys of net/train/optimizer, or data.KEY)
    scale = [1e-4, 1e-3, 1e-2]
    width = [20, 60]
    [together]              # axes varied together (equal lengths), crossed with the grid
    lr = [1e-3, 1e-2]
    steps = [10000, 1000]
    [seeds]
    init = 5                # the weight draws: 0..4 (or a list)
    order = [0]             # the minibatch orders (SGD)
    [record]
    metrics = ["final_loss", "time_to_loss(1e-3)", "plateau_count"]
    curves = ["train_loss"]
    points = 100            # recorded points, log-spaced in steps
    snapshots = false       # true: every run's trajectory with weight snapshots in snapshots/RUN.h5

Every key is validated before any run starts, by the library's own checks (``tl.init_net``,
``tl.train``, the optimizers): an error names the spec key, the value and what is accepted.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import inspect
import itertools
import json
import math
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from ..analysis.scalars import parse_metric
from ..errors import InvalidParameter, TwolayerError, closest
from ..init import init_net
from ..optim import SGD, Adam, Flow, GD
from ..train import prepare, train
from ..trajectory import log_steps

OPTIMIZERS = {"gd": GD, "sgd": SGD, "adam": Adam, "flow": Flow}
NET_KEYS = tuple(k for k in inspect.signature(init_net).parameters
                 if k not in ("d", "seed", "require_both_signs", "max_tries"))
TRAIN_KEYS = tuple(k for k in inspect.signature(train).parameters
                   if k not in ("net", "X", "y", "optimizer", "seed", "record_every", "record_at", "X_test", "y_test",
                                "snapshots", "quiet"))
OPTIMIZER_KEYS = ("name",) + tuple(sorted({f.name for cls in OPTIMIZERS.values() for f in fields(cls)}))
DATA_KEYS = ("name", "file", "label", "labels", "test", "test_labels", "seed")
RECORD_KEYS = ("metrics", "curves", "points", "snapshots")
SEED_KEYS = ("init", "order")
CURVES = ("train_loss", "test_loss", "objective", "grad_norm")
TOP_KEYS = ("name", "description", "data", "net", "train", "optimizer", "grid", "together", "seeds", "record",
            "max_runs")
SECTIONS = {"data": DATA_KEYS, "net": NET_KEYS, "train": TRAIN_KEYS, "optimizer": OPTIMIZER_KEYS,
            "seeds": SEED_KEYS, "record": RECORD_KEYS}
DEFAULT_RECORD = {"metrics": ["final_loss", "param_norm", "relative_weight_change"], "curves": ["train_loss"],
                  "points": 100, "snapshots": False}
MAX_RUNS = 100_000


@dataclass(frozen=True)
class Run:
    """One resolved run: ``settings`` (flat: the net, train and optimizer keywords, ``optimizer``
    for its name, ``init_seed``, ``order_seed``, ``data``) and its identity ``run_id``."""

    run_id: str
    settings: dict


def _section_of(key: str) -> str:
    """The spec section an axis key belongs to: ``data.KEY``, or a bare key of net/train/optimizer."""
    if "." in key:
        section, name = key.split(".", 1)
        if section not in ("data", "net", "train", "optimizer") or name not in SECTIONS[section]:
            raise InvalidParameter(f"axis {key!r}", key, "expected data.KEY, net.KEY, train.KEY or optimizer.KEY "
                                   "with a key of that section")
        return section
    owners = [s for s in ("net", "train", "optimizer") if key in SECTIONS[s]]
    if not owners:
        known = NET_KEYS + TRAIN_KEYS + OPTIMIZER_KEYS
        raise InvalidParameter("axis", key, "not a key of net, train or optimizer" + closest(key, known)
                               + "; data keys are written data.KEY")
    return owners[0]


def _bare(key: str) -> str:
    return key.split(".", 1)[1] if "." in key else key


class StudySpec:
    """A validated study spec. ``StudySpec(dict)`` or :meth:`from_toml`; :meth:`runs` lists the runs.

    Parameters
    ----------
    spec : dict
        The keys of the module docstring.
    max_runs : int, optional
        The largest grid accepted (default: the spec's ``max_runs``, else 100,000).
    """

    def __init__(self, spec: dict, *, max_runs: int | None = None, base_dir: Path | None = None):
        if not isinstance(spec, dict):
            raise InvalidParameter("spec", type(spec).__name__, "expected a dict (or a TOML file) of the study's keys")
        self.raw = copy.deepcopy(spec)
        self.base_dir = Path(base_dir) if base_dir is not None else Path.cwd()
        self._check_keys(spec)
        self.name = str(spec.get("name", "study"))
        self.description = str(spec.get("description", ""))
        self.data = dict(spec.get("data", {"name": "thesis-1.1.0"}))
        self.net = dict(spec.get("net", {}))
        self.train = dict(spec.get("train", {}))
        self.optimizer = {"name": "gd", **spec.get("optimizer", {})}
        self.record = {**DEFAULT_RECORD, **spec.get("record", {})}
        self.grid = self._axes("grid", spec.get("grid", {}))
        self.together = self._axes("together", spec.get("together", {}))
        self.seeds = {k: self._seed_list(k, spec.get("seeds", {}).get(k, 1 if k == "init" else [0])) for k in SEED_KEYS}
        self.max_runs = self._max_runs(spec.get("max_runs", MAX_RUNS) if max_runs is None else max_runs)
        self._settings = None
        self._check_data()
        self._check_record()
        self._check_size()

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_toml(cls, path, **kw) -> StudySpec:
        """Read a TOML spec file; relative data paths in it are relative to the file."""
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as err:
            raise InvalidParameter("spec", str(path), f"cannot be read ({err.strerror}); check the path") from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise InvalidParameter("spec", str(path), f"is not valid TOML ({err}); fix that line") from None
        raw.setdefault("name", path.stem)
        return cls(raw, base_dir=path.parent, **kw)

    def _check_keys(self, spec: dict) -> None:
        for key, value in spec.items():
            if key not in TOP_KEYS:
                raise InvalidParameter("spec", key, "unknown key" + closest(key, TOP_KEYS) + "; known: "
                                       + ", ".join(TOP_KEYS))
            if key in SECTIONS or key in ("grid", "together"):
                if not isinstance(value, dict):
                    raise InvalidParameter(key, value, f"expected a table [{key}] of keys")
                for sub in value:
                    if key in SECTIONS and sub not in SECTIONS[key]:
                        raise InvalidParameter(f"{key}.{sub}", value[sub], "unknown key" + closest(sub, SECTIONS[key])
                                               + f"; [{key}] takes " + ", ".join(SECTIONS[key]))

    def _axes(self, where: str, table: dict) -> dict:
        lengths = set()
        for key, values in table.items():
            section = _section_of(key)
            if not isinstance(values, list):
                raise InvalidParameter(f"{where}.{key}", values, f"expected a list of values, e.g. {key} = [1, 2]")
            if not values:
                raise InvalidParameter(f"{where}.{key}", values, "is empty; give at least one value")
            if section == "optimizer" and _bare(key) == "name":
                for v in values:
                    self._optimizer_class(f"{where}.{key}", v)
            lengths.add(len(values))
        if where == "together" and len(lengths) > 1:
            raise InvalidParameter("together", {k: len(v) for k, v in table.items()},
                                   "axes varied together need lists of equal length")
        return dict(table)

    @staticmethod
    def _seed_list(key, value) -> list[int]:
        if isinstance(value, bool) or not isinstance(value, (int, list)):
            raise InvalidParameter(f"seeds.{key}", value, "expected a count N (seeds 0..N-1) or a list of seeds")
        seeds = list(range(value)) if isinstance(value, int) else value
        if not seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds):
            raise InvalidParameter(f"seeds.{key}", value, "expected a count >= 1 or a non-empty list of integers >= 0")
        if len(set(seeds)) != len(seeds):
            raise InvalidParameter(f"seeds.{key}", value, "lists a seed twice")
        return seeds

    @staticmethod
    def _max_runs(value) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidParameter("max_runs", value, "expected an integer >= 1")
        return value

    @staticmethod
    def _optimizer_class(key, name):
        if name not in OPTIMIZERS:
            raise InvalidParameter(key, name, "expected one of " + ", ".join(OPTIMIZERS) + closest(str(name), OPTIMIZERS))
        return OPTIMIZERS[name]

    def _check_data(self) -> None:
        d = self.data
        if ("name" in d) == ("file" in d):
            raise InvalidParameter("data", d, "give either name = \"<built-in set>\" or file = \"<path>\"")

    def _check_record(self) -> None:
        r = self.record
        for key in ("metrics", "curves"):
            if not isinstance(r[key], list) or not all(isinstance(v, str) for v in r[key]):
                raise InvalidParameter(f"record.{key}", r[key], "expected a list of names")
            if len(set(r[key])) != len(r[key]):
                raise InvalidParameter(f"record.{key}", r[key], "lists a name twice")
        for m in r["metrics"]:
            parse_metric(m, "record.metrics")
        for c in r["curves"]:
            if c not in CURVES:
                raise InvalidParameter("record.curves", c, "expected names among " + ", ".join(CURVES) + closest(c, CURVES))
        if isinstance(r["points"], bool) or not isinstance(r["points"], int) or not 2 <= r["points"] <= 100_000:
            raise InvalidParameter("record.points", r["points"], "expected an integer in [2, 100000]")
        if not isinstance(r["snapshots"], bool):
            raise InvalidParameter("record.snapshots", r["snapshots"], "expected true or false")

    def count(self) -> int:
        """The number of runs: product of the grid axes x the together length x the seeds."""
        n = math.prod(len(v) for v in self.grid.values())
        n *= len(next(iter(self.together.values()))) if self.together else 1
        return n * len(self.seeds["init"]) * len(self.seeds["order"])

    def _check_size(self) -> None:
        n = self.count()
        if n > self.max_runs:
            raise InvalidParameter("grid", f"{n} runs", f"more than max_runs={self.max_runs}; shrink the grid or raise "
                                   "the cap (max_runs = N in the spec, or --max-runs N)")

    # -- runs -----------------------------------------------------------------------------------
    def points(self) -> list[dict]:
        """Every grid point as ``{axis key: value}`` (grid product crossed with the together axes)."""
        keys = list(self.grid)
        together = list(zip(*self.together.values())) if self.together else [()]
        out = []
        for combo in itertools.product(*(self.grid[k] for k in keys)):
            for tog in together:
                out.append({**dict(zip(keys, combo)), **dict(zip(self.together, tog))})
        return out

    def resolve(self, point: dict, init_seed: int, order_seed: int) -> dict:
        """The flat settings of one run: base sections overridden by the grid point."""
        data, net, tr, opt = dict(self.data), dict(self.net), dict(self.train), dict(self.optimizer)
        sections = {"data": data, "net": net, "train": tr, "optimizer": opt}
        for key, value in point.items():
            sections[_section_of(key)][_bare(key)] = value
        opt_name = opt.pop("name")
        settings = {"data": data, **net, **tr, "optimizer": opt_name, **{f"{k}": v for k, v in opt.items()},
                    "init_seed": init_seed, "order_seed": order_seed}
        return settings

    def settings(self) -> list[dict]:
        """The flat settings of every run, grid point by grid point, init seed, then order seed."""
        if self._settings is None:
            self._settings = [self.resolve(point, s_init, s_order) for point in self.points()
                              for s_init in self.seeds["init"] for s_order in self.seeds["order"]]
        return self._settings

    def runs(self, data_hashes: dict | None = None) -> list[Run]:
        """Every run with its identity; ``data_hashes`` maps :func:`data_key` to the content hash
        of that data (computed by the caller, who loads the data once)."""
        from .. import __version__

        out = []
        for settings in self.settings():
            key = data_key(settings["data"])
            ident = {"settings": {**settings, "data": (data_hashes or {}).get(key, key)}, "record": self.record,
                     "version": __version__}
            run_id = hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:16]
            out.append(Run(run_id, settings))
        return out

    def to_dict(self) -> dict:
        return copy.deepcopy(self.raw)


def data_key(data: dict) -> str:
    """A canonical string of a data section (the same data source, the same key)."""
    return json.dumps(data, sort_keys=True)


def build_optimizer(settings: dict):
    """The optimizer object of a run's settings; errors name ``optimizer.KEY``."""
    name = settings["optimizer"]
    cls = StudySpec._optimizer_class("optimizer.name", name)
    names = {f.name for f in fields(cls)}
    given = {k: settings[k] for k in OPTIMIZER_KEYS if k != "name" and k in settings}
    extra = set(given) - names
    if extra:
        key = sorted(extra)[0]
        raise InvalidParameter(f"optimizer.{key}", given[key], f"is not a parameter of {name}; {name} takes "
                               + ", ".join(sorted(names)))
    try:
        return cls(**given)
    except TypeError as err:
        raise InvalidParameter("optimizer", given, f"{name} needs {', '.join(sorted(names))} ({err})") from None
    except InvalidParameter as err:
        raise InvalidParameter(f"optimizer.{err.name}", err.value, err.accepted) from None


def net_kwargs(settings: dict) -> dict:
    return {k: settings[k] for k in NET_KEYS if k in settings}


def train_kwargs(settings: dict) -> dict:
    return {k: settings[k] for k in TRAIN_KEYS if k in settings}


def record_schedule(settings: dict, optimizer, points: int):
    """``record_at``: about ``points`` log-spaced steps (or times for gradient flow), 0 and the end included."""
    if isinstance(optimizer, Flow):
        t_max = float(settings.get("t_max", 0) or 0)
        if not t_max > 0:
            return None      # prepare() names the missing t_max
        return np.unique(np.concatenate([[0.0], np.geomspace(t_max * 1e-6, t_max, points - 1)]))
    steps = settings.get("steps", 1000)
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        return None      # prepare() names the bad steps
    return _log_steps(steps, points)


@functools.lru_cache(maxsize=64)
def _log_steps(steps: int, points: int):
    """:func:`log_steps`, computed once per (steps, points): every run of a grid shares it."""
    out = log_steps(steps, points)
    out.flags.writeable = False
    return out


def prepare_run(settings: dict, data, record: dict, *, quiet: bool = True):
    """(net0, RunSpec) of one run: everything validated, nothing trained. Errors name the spec key."""
    X, y, Xt, yt = data
    where = {**{k: "net" for k in NET_KEYS}, **{k: "train" for k in TRAIN_KEYS}}
    try:
        net = init_net(X.shape[1], seed=settings["init_seed"], **net_kwargs(settings))
        opt = build_optimizer(settings)
        kw = train_kwargs(settings)
        spec = prepare(net, X, y, optimizer=opt, seed=settings["order_seed"],
                       record_at=record_schedule(settings, opt, record["points"]), X_test=Xt, y_test=yt,
                       snapshots=bool(record["snapshots"]), quiet=quiet, **kw)
    except InvalidParameter as err:
        name = str(err.name)
        section = where.get(name)
        raise InvalidParameter(f"{section}.{name}" if section else name, err.value, err.accepted) from None
    return net, spec


def validate_runs(spec: StudySpec, runs: list[Run], datasets: dict) -> None:
    """Prepare the first run and, for every axis value, the first run that has it: each key's
    every value is checked by the library before any run starts (a bad combination deeper in the
    grid still fails as that run's row)."""
    seen, chosen = set(), []
    for run in runs:
        tags = {(k, repr(v)) for k, v in run.settings.items() if k not in ("init_seed", "order_seed")}
        if not chosen or tags - seen:
            chosen.append(run)
            seen |= tags
    for run in chosen:
        try:
            prepare_run(run.settings, datasets[data_key(run.settings["data"])], spec.record)
        except TwolayerError as err:
            axis = next((k for k in list(spec.grid) + list(spec.together) if _bare(k) == str(err.name).split(".")[-1]),
                        None)
            if axis is not None and isinstance(err, InvalidParameter):
                raise InvalidParameter(f"{'grid' if axis in spec.grid else 'together'}.{axis}", err.value,
                                       err.accepted) from None
            raise


__all__ = ["StudySpec", "Run", "OPTIMIZERS", "CURVES", "build_optimizer", "prepare_run", "data_key", "validate_runs"]

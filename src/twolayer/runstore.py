"""The stored runs of an experiment's results folder: compute once, keep, redraw and resume.

An experiment wraps every expensive unit of work (a training run, a sweep, a Monte Carlo
estimate) in ``ctx.run(name, compute, **settings)``. The first time, ``compute()`` runs and its
value is written to ``store/RUN_ID.h5`` (HDF5, through a temporary name, so a kill at any moment
leaves only complete files) and a row is added to the folder's run index (``runs/`` Parquet parts,
:class:`twolayer.study.index.RunIndex`: run id, name, settings, wall time, engines, code hash).
Later the stored value is returned instead:

- from the folder being written (a unit asked for twice);
- from the folder an interrupted run left behind (its temporary folder's ``store/`` is taken over:
  resume);
- from the previous results folder at the same place, when the code and settings are the same
  (``twolayer run`` again with more seeds reuses the runs it has);
- in a redraw (``twolayer redraw DIR``), from ``DIR`` whatever code wrote it: a redraw never trains.

A run id is a hash of the experiment, its resolved config, the unit's name and its settings; a
stored value is reused in a normal run only when the package's code (:func:`code_hash`) is the
one that wrote it, so a stale result is never used.

Values are trees of dicts, lists, tuples, numpy arrays, numbers, strings, None,
:class:`~twolayer.trajectory.Trajectory` and :class:`~twolayer.net.Net`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import time
import warnings
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import TwolayerError, TwolayerWarning
from .jsonsafe import json_safe
from .net import Net
from .train import ENGINES_USED, REDRAWING
from .trajectory import Trajectory

STORE = "store"


class MissingRun(TwolayerError):
    """A redraw needed a run that its folder does not hold."""


@functools.lru_cache(maxsize=1)
def code_hash() -> str:
    """A hash of twolayer's Python sources (every ``.py`` file of the package, in path order):
    stored results are reused only by the code that computed them."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def run_id(experiment: str, config: dict, name: str, settings: dict) -> str:
    """The id of one unit: 16 hex digits of a hash of what determines its value."""
    text = json.dumps(json_safe({"experiment": experiment, "config": config, "name": name, "settings": settings}),
                      sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- value trees <-> HDF5 ---------------------------------------------------------------------
def write_value(group, key: str, value) -> None:
    """Write ``value`` as member ``key`` of the h5py group ``group``."""
    if isinstance(value, Trajectory):
        value.write_group(_sub(group, key, "trajectory"))
    elif isinstance(value, Net):
        sub = _sub(group, key, "net")
        for k in ("a", "W", "c"):
            if getattr(value, k) is not None:
                sub.create_dataset(k, data=getattr(value, k))
        sub.attrs.update(activation=value.activation, scaling=value.scaling, slope=value.slope)
    elif isinstance(value, dict):
        sub = _sub(group, key, "dict")
        keys = list(value)
        sub.attrs["keys_json"] = json.dumps([[type(k).__name__, k if not isinstance(k, np.generic) else k.item()]
                                             for k in keys])
        for i, k in enumerate(keys):
            write_value(sub, str(i), value[k])
    elif isinstance(value, (list, tuple)):
        sub = _sub(group, key, type(value).__name__)
        sub.attrs["length"] = len(value)
        for i, item in enumerate(value):
            write_value(sub, str(i), item)
    elif value is None:
        _sub(group, key, "none")
    elif isinstance(value, str):
        group.create_dataset(key, data=value).attrs["kind"] = "str"
    elif isinstance(value, (bool, np.bool_)):
        group.create_dataset(key, data=bool(value)).attrs["kind"] = "bool"
    elif isinstance(value, (int, np.integer)):
        group.create_dataset(key, data=np.int64(value)).attrs["kind"] = "int"
    elif isinstance(value, (float, np.floating)):
        group.create_dataset(key, data=np.float64(value)).attrs["kind"] = "float"
    elif isinstance(value, np.ndarray) and value.dtype != object:
        group.create_dataset(key, data=value).attrs["kind"] = "array"
    else:
        raise TypeError(f"cannot store a {type(value).__name__} ({key!r}): use arrays, numbers, strings, "
                        "dicts, lists, Trajectory or Net")


def _sub(group, key: str, kind: str):
    sub = group.create_group(key)
    sub.attrs["kind"] = kind
    return sub


_KEY_TYPES = {"str": str, "int": int, "float": float, "bool": bool}


def read_value(node):
    """The value :func:`write_value` wrote at the h5py group or dataset ``node``."""
    kind = node.attrs["kind"]
    if kind == "trajectory":
        return Trajectory.read_group(node)
    if kind == "net":
        arr = {k: (node[k][()] if k in node else None) for k in ("a", "W", "c")}
        return Net(arr["a"], arr["W"], arr["c"], str(node.attrs["activation"]), str(node.attrs["scaling"]),
                   float(node.attrs["slope"]))
    if kind == "dict":
        keys = [_KEY_TYPES.get(t, str)(k) if t in _KEY_TYPES else k for t, k in json.loads(node.attrs["keys_json"])]
        return {k: read_value(node[str(i)]) for i, k in enumerate(keys)}
    if kind in ("list", "tuple"):
        items = [read_value(node[str(i)]) for i in range(int(node.attrs["length"]))]
        return items if kind == "list" else tuple(items)
    if kind == "none":
        return None
    raw = node[()]
    if kind == "str":
        return raw.decode() if isinstance(raw, bytes) else str(raw)
    if kind == "bool":
        return bool(raw)
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    return np.asarray(raw)


# -- the store ----------------------------------------------------------------------------------
class RunStore:
    """The stored units of one experiment folder being written.

    Parameters
    ----------
    folder : Path
        The folder being written (a results folder's temporary folder).
    experiment : str
        The experiment's name.
    config : dict
        Its resolved config (part of every run id).
    sources : list of Path
        Finished folders whose ``store/`` may hold units to reuse (copied in on a hit).
    redraw : bool
        Redrawing: take every unit from ``sources`` whatever code wrote it, and never compute.
    """

    def __init__(self, folder, experiment: str, config: dict, sources=(), redraw: bool = False):
        self.folder = Path(folder)
        self.experiment, self.config = experiment, json_safe(config)
        self.sources = [Path(s) for s in sources]
        self.redraw = redraw
        self.computed = self.reused = 0
        self._rows: list[dict] = []

    def path(self, rid: str, folder: Path | None = None) -> Path:
        return (folder or self.folder) / STORE / f"{rid}.h5"

    def has(self, name: str, **settings) -> bool:
        """Whether unit ``name`` with ``settings`` is stored here or in a source (usable as it is)."""
        rid = run_id(self.experiment, self.config, name, settings)
        return any(p.exists() and self._usable(p) for p in [self.path(rid)] + [self.path(rid, s) for s in self.sources])

    def run(self, name: str, compute: Callable[[], object], **settings):
        """The value of unit ``name`` with ``settings``: stored, or ``compute()`` stored now."""
        rid = run_id(self.experiment, self.config, name, settings)
        here = self.path(rid)
        if not (here.exists() and self._usable(here)):
            for src in self.sources:
                there = self.path(rid, src)
                if there.exists() and self._usable(there):
                    _copy(there, here)
                    break
        if here.exists() and self._usable(here):
            self.reused += 1
            value, meta = _read(here)
            self._row(rid, name, settings, meta)
            _replay(meta)
            return value
        if self.redraw:
            raise MissingRun(f"cannot redraw: {self.folder.name} does not hold the stored run {name!r} "
                             f"{json.dumps(json_safe(settings))}; run the experiment again into this folder")
        engines = set()
        token = ENGINES_USED.set(engines)
        start = time.perf_counter()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", TwolayerWarning)
                value = compute()
        finally:
            ENGINES_USED.reset(token)
            outer = ENGINES_USED.get()
            if outer is not None:
                outer.update(engines)
        texts = list(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, TwolayerWarning)))
        for w in caught:
            if not issubclass(w.category, TwolayerWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        meta = {"name": name, "settings_json": json.dumps(json_safe(settings), sort_keys=True),
                "wall_s": time.perf_counter() - start, "engines": ",".join(sorted(engines)),
                "code": code_hash(), "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "warnings": texts}
        _write(here, value, meta)
        self.computed += 1
        self._row(rid, name, settings, meta)
        _replay(meta)
        return value

    def _usable(self, path: Path) -> bool:
        if self.redraw:
            return True
        try:
            return _meta(path).get("code") == code_hash()
        except (OSError, KeyError, ValueError):
            return False

    def _row(self, rid: str, name: str, settings: dict, meta: dict) -> None:
        row = {"run_id": rid, "name": name, "status": "done", "wall_s": float(meta["wall_s"]),
               "engines": meta["engines"], "code": meta["code"], "utc": meta["utc"],
               "settings": meta["settings_json"]}
        for k, v in json_safe(settings).items():
            row[f"s_{k}"] = v if isinstance(v, (int, float, str, bool)) or v is None else json.dumps(v)
        self._rows.append(row)

    def write_index(self) -> None:
        """Write the run index (``runs/``, one Parquet part) of every unit this store served."""
        if not self._rows:
            return
        from .study.index import RunIndex

        rows = list({r["run_id"]: r for r in self._rows}.values())
        keys = list(dict.fromkeys(k for r in rows for k in r))
        RunIndex(self.folder).append([{k: r.get(k) for k in keys} for r in rows])


def _replay(meta: dict) -> None:
    """Warn again what the unit warned when it was computed (its results carry the same caveats)."""
    for text in meta.get("warnings", []):
        warnings.warn(text, TwolayerWarning, stacklevel=3)


def _write(path: Path, value, meta: dict) -> None:
    import h5py

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{os.getpid()}"
    with h5py.File(tmp, "w") as h5:
        write_value(h5, "value", value)
        h5.attrs["meta_json"] = json.dumps(meta)
    os.replace(tmp, path)


def _meta(path: Path) -> dict:
    import h5py

    with h5py.File(path, "r") as h5:
        return json.loads(h5.attrs["meta_json"])


def load(path) -> tuple:
    """(value, meta) of the stored unit at ``path`` (a ``store/RUN_ID.h5`` file): the value as the
    experiment computed it, and its name, settings, wall time, engines and code hash."""
    return _read(Path(path))


def _read(path: Path):
    import h5py

    with h5py.File(path, "r") as h5:
        return read_value(h5["value"]), json.loads(h5.attrs["meta_json"])


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.parent / f".{dst.name}.tmp-{os.getpid()}"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


__all__ = ["RunStore", "MissingRun", "REDRAWING", "code_hash", "run_id", "load", "write_value", "read_value"]

"""Studies: a researcher's question as one spec, run on local cores or a Dask cluster, kept in a
queryable run index.

>>> study = tl.Study.from_toml("studies/lazy_vs_rich.toml")        # doctest: +SKIP
>>> study.run(out="results/lazy-vs-rich")                            # doctest: +SKIP
>>> df = tl.Study.open("results/lazy-vs-rich").table()               # doctest: +SKIP

The spec format is in :mod:`twolayer.study.spec`; the folder holds ``study.json`` (twolayer's
marker), ``spec.json``, ``data/`` (a copy of each data set, by content hash), the run index
(:mod:`twolayer.study.index`), ``snapshots/`` when asked for, and the study's report and figures.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from ..errors import InvalidParameter
from ..outdir import WRITER, OutputError, pid_alive, read_manifest
from ..progress import Progress
from ..provenance import utc_now
from . import executors
from .index import RunIndex
from .runner import data_hash, load_data, make_chunks
from .spec import StudySpec, data_key, validate_runs

MARKER = "study.json"
COMPACT_PARTS = 32    # a finished study with more index parts than this merges them into one
FLUSH_SECONDS = 2.0   # finished chunks are written as one part at least this often: what a kill -9 can lose


class Study:
    """A study: its spec and, once run or opened, its folder.

    Parameters
    ----------
    spec : dict or StudySpec
        The study's keys (see :mod:`twolayer.study.spec`).
    folder : path, optional
        Where its results live (default ``results/NAME``).
    max_runs : int, optional
        Raise the cap on the number of runs (default 100,000).
    """

    def __init__(self, spec, folder=None, *, max_runs: int | None = None, base_dir=None):
        self.spec = spec if isinstance(spec, StudySpec) else StudySpec(spec, max_runs=max_runs, base_dir=base_dir)
        self.folder = Path(folder) if folder is not None else Path("results") / self.spec.name
        self._resolved = None

    @classmethod
    def from_toml(cls, path, folder=None, *, max_runs: int | None = None) -> Study:
        return cls(StudySpec.from_toml(path, max_runs=max_runs), folder)

    @classmethod
    def open(cls, folder) -> Study:
        """Reopen a study folder (finished, partial or still running)."""
        folder = Path(folder)
        marker = read_marker(folder)
        if marker is None:
            raise InvalidParameter("folder", str(folder), f"is not a study folder (no {MARKER} written by twolayer); "
                                   "give the --out of a 'twolayer study run'")
        spec = json.loads((folder / "spec.json").read_text())
        return cls(StudySpec(spec["spec"], max_runs=spec.get("max_runs"), base_dir=spec.get("base_dir")), folder)

    # -- reading --------------------------------------------------------------------------------
    @property
    def index(self) -> RunIndex:
        return RunIndex(self.folder)

    def table(self, *, all_runs: bool = False):
        """One row per run (pandas): settings, metrics, status, error, warning, wall time, engine
        that ran, provenance. Only this spec's runs unless ``all_runs`` (a folder keeps every run
        it ever ran, e.g. of a smaller grid before)."""
        df = self.index.runs()
        if not all_runs and not df.empty:
            df = df[df["run_id"].isin(set(self._ids()))].reset_index(drop=True)
        return df

    def curves(self, name: str = "train_loss", *, all_runs: bool = False):
        """The recorded curve ``name`` of every run, long format: run_id, curve, step, time, value,
        joined with the run's settings (the axes and seeds)."""
        df = self.index.curves(name, None if all_runs else self._ids())
        table = self.table(all_runs=all_runs)
        keep = [c for c in table.columns if c in self.setting_columns()]
        return df.merge(table[["run_id", *keep]], on="run_id", how="left")

    def setting_columns(self) -> list[str]:
        """The columns of the table that hold settings (the rest are metrics and bookkeeping)."""
        every = self.spec.settings()
        data = {"data_name" if k in ("name", "file") else f"data_{k}" for s in every for k in s["data"]}
        return sorted(set(every[0]) - {"data"}) + sorted(data) if every else []

    def _ids(self) -> list[str]:
        return [r.run_id for r in self._runs()[0]]

    def _runs(self):
        """(runs, datasets by data key, data key by run id) of the spec, loading each data set once."""
        if self._resolved is None:
            datasets = {}
            for settings in self.spec.settings():
                key = data_key(settings["data"])
                if key not in datasets:
                    datasets[key] = self._load(settings["data"])
            runs = self.spec.runs({key: data_hash(d) for key, d in datasets.items()})
            self._resolved = runs, datasets, {r.run_id: data_key(r.settings["data"]) for r in runs}
        return self._resolved

    def _load(self, data: dict):
        try:
            return load_data(data, self.spec.base_dir)
        except InvalidParameter as err:
            if "file" in data and self.folder.exists():       # reopened elsewhere: the folder's copy
                copy = self._data_copy(data)
                if copy is not None:
                    return copy
            raise err from None

    def _data_copy(self, data):
        path = self.folder / "data" / (_slug(data_key(data)) + ".npz")
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as z:
            return z["X"], z["y"], (z["X_test"] if "X_test" in z else None), (z["y_test"] if "y_test" in z else None)

    # -- running --------------------------------------------------------------------------------
    def run(self, out=None, *, executor: str = "local", workers: int | None = None, scheduler: str | None = None,
            rerun_failed: bool = False, chunk_size: int | None = None, quiet: bool = False, log=None) -> dict:
        """Run every run of the spec that the folder's index does not hold yet.

        Parameters
        ----------
        out : path, optional
            The study folder (default: ``self.folder``). A new or empty folder, or a study folder.
        executor : {"local", "dask"}
            See :mod:`twolayer.study.executors`.
        workers : int, optional
            Local cores or LocalCluster workers (default: the machine's cores).
        scheduler : str, optional
            A Dask scheduler address (``executor="dask"``); without it a LocalCluster is started.
        rerun_failed : bool
            Run failed runs again (done and diverged runs are never re-run).
        chunk_size : int, optional
            Runs per chunk (default: enough chunks for every worker and a moving progress bar).

        Returns
        -------
        dict
            Counts: ``total``, ``skipped`` (already in the index), ``ran``, ``done``, ``diverged``,
            ``failed``, and ``elapsed_s``.
        """
        if executor not in executors.EXECUTORS:
            raise InvalidParameter("executor", executor, "expected one of " + ", ".join(executors.EXECUTORS))
        workers = (os.cpu_count() or 1) if workers is None else workers
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InvalidParameter("workers", workers, "expected an integer >= 1")
        if out is not None:
            self.folder = Path(out)
        runs, datasets, keys = self._runs()
        validate_runs(self.spec, runs, datasets)
        check_folder(self.folder)
        start = time.perf_counter()
        with FolderLock(self.folder):
            self._write_meta(datasets)
            index = self.index
            index.clean()
            finished = index.finished(rerun_failed)
            todo = [r for r in runs if r.run_id not in finished]
            counts = {"total": len(runs), "skipped": len(runs) - len(todo), "ran": 0, "done": 0, "diverged": 0,
                      "failed": 0}
            if todo:
                size = chunk_size or _chunk_size(len(todo), workers)
                snap = None
                if self.spec.record["snapshots"]:
                    snap = self.folder / "snapshots"
                    snap.mkdir(exist_ok=True)
                chunks = make_chunks(todo, keys, self.spec.record, size, None if snap is None else str(snap))
                if executor == "local":
                    stream = executors.local(chunks, datasets, workers)
                else:
                    stream = executors.dask(chunks, datasets, workers, scheduler)
                buffer, flushed = [], time.perf_counter()
                with Progress(len(todo), f"study {self.spec.name}", quiet, unit="run", delay=1.0) as bar:
                    for chunk, result in stream:
                        buffer.append((chunk, result))
                        if time.perf_counter() - flushed >= FLUSH_SECONDS:
                            self._store(index, buffer)
                            buffer, flushed = [], time.perf_counter()
                        for row in result["rows"]:
                            counts[row["status"]] += 1
                        counts["ran"] += len(result["rows"])
                        bar.advance(counts["ran"])
                        bar.note(f"failed {counts['failed']}, diverged {counts['diverged']}")
                    self._store(index, buffer)
                index.compact(COMPACT_PARTS)
            counts["elapsed_s"] = time.perf_counter() - start
        if log is not None:
            log(f"study {self.spec.name}: {counts['ran']} run(s) ({counts['done']} done, {counts['diverged']} diverged, "
                f"{counts['failed']} failed), {counts['skipped']} already in {self.folder}")
        return counts

    def _store(self, index: RunIndex, results: list) -> None:
        """Write the rows and curves of finished chunks as one part of the index."""
        if not results:
            return
        rows, curves = [], []
        for chunk, result in results:
            settings = {r.run_id: r.settings for r in chunk.runs}
            for row in result["rows"]:
                s = settings[row["run_id"]]
                flat = {k: _cell(v) for k, v in s.items() if k != "data"}
                for key, value in s["data"].items():
                    flat["data_name" if key in ("name", "file") else f"data_{key}"] = value
                rows.append({**flat, **row})
            curves += result["curves"] or []
        try:
            index.append(rows, curves)
        except OSError as err:
            raise OutputError(self.folder, err) from None

    def _write_meta(self, datasets: dict) -> None:
        try:
            (self.folder / "data").mkdir(parents=True, exist_ok=True)
            meta = {"spec": self.spec.to_dict(), "max_runs": self.spec.max_runs, "base_dir": str(self.spec.base_dir)}
            _atomic_text(self.folder / "spec.json", json.dumps(meta, indent=1, default=str) + "\n")
            for key, (X, y, Xt, yt) in datasets.items():
                path = self.folder / "data" / (_slug(key) + ".npz")
                if not path.exists():
                    arrays = {"X": X, "y": y, **({} if Xt is None else {"X_test": Xt, "y_test": yt})}
                    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}.npz")
                    np.savez_compressed(tmp, **arrays)
                    os.replace(tmp, path)
        except OSError as err:
            raise OutputError(self.folder, err) from None

    def summary(self) -> dict:
        """Counts by status, the spec's run count and wall times (sum, median, max)."""
        df = self.table()
        by = df["status"].value_counts().to_dict() if not df.empty else {}
        wall = df["wall_s"].to_numpy(dtype=float) if "wall_s" in df else np.zeros(0)
        flagged = int(df["flag"].notna().sum()) if "flag" in df else 0
        return {"name": self.spec.name, "runs": self.spec.count(), "in_index": len(df), "done": by.get("done", 0),
                "flagged": flagged,
                "diverged": by.get("diverged", 0), "failed": by.get("failed", 0),
                "missing": self.spec.count() - len(df), "wall_s_total": float(wall.sum()) if wall.size else 0.0,
                "wall_s_median": float(np.median(wall)) if wall.size else 0.0,
                "wall_s_max": float(wall.max()) if wall.size else 0.0}


def _cell(value):
    """A setting as a table cell: lists (e.g. trainable) become strings."""
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else value


def _slug(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def _chunk_size(todo: int, workers: int) -> int:
    """Enough chunks to keep every worker busy and the progress moving, few enough to keep the
    overhead per chunk small: about 4 per worker, at most 256 runs each."""
    return max(1, min(256, -(-todo // (4 * workers))))


def read_marker(folder: Path) -> dict | None:
    """The study marker of ``folder`` if twolayer wrote it, else None."""
    return read_manifest(folder, MARKER)


def check_folder(folder: Path, option: str = "--out") -> None:
    """Refuse a study folder that is neither new, empty nor a twolayer study folder; create and mark it."""
    from ..outdir import check_out

    folder = Path(folder)
    if read_marker(folder) is None:
        check_out(folder, option)          # a file, the working/home directory, a folder of the user's
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _atomic_text(folder / MARKER, json.dumps({"written_by": WRITER, "kind": "study", "created": utc_now()}) + "\n")
        except OSError as err:
            raise OutputError(folder, err) from None


class FolderLock:
    """``folder/.lock`` holding this process's id while it writes; a second writer is refused
    while the first is alive, and a lock of a dead process is taken over."""

    def __init__(self, folder: Path, option: str = "--out"):
        self.path, self.option = Path(folder) / ".lock", option

    def __enter__(self):
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    pid = int(self.path.read_text().strip() or 0)
                except (OSError, ValueError):
                    pid = 0
                if pid and pid_alive(pid):
                    raise InvalidParameter(self.option, str(self.path.parent), f"another twolayer process (pid {pid}) "
                                           "is running this study; wait for it or choose another folder") from None
                self.path.unlink(missing_ok=True)
                continue
            except OSError as err:
                raise OutputError(self.path.parent, err) from None
            with os.fdopen(fd, "w") as fh:
                fh.write(str(os.getpid()))
            return self
        raise InvalidParameter(self.option, str(self.path.parent), "its lock file could not be taken; try again")

    def __exit__(self, *exc):
        self.path.unlink(missing_ok=True)
        return False


__all__ = ["Study", "StudySpec"]

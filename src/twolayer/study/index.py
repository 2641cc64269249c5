"""The run index of a study folder: Parquet part files, one per finished chunk.

Why Parquet part files (and not one database file): a part is written to a hidden temporary name
and renamed into place, so a kill -9 at any moment leaves only complete parts (a half-written
temporary is ignored and removed later); readers (``Study.open`` while a study runs, another
process, pandas or DuckDB directly: ``SELECT * FROM 'runs/*.parquet'``) never wait for a lock or
see a torn row; there is no server; and the columns are typed and compressed (thousands of runs
cost kilobytes). An embedded database such as DuckDB keeps one writer per file and locks it
against readers in other processes, which a running study would then block.

Layout: ``runs/part-*.parquet`` (one row per run: settings, metrics, status, provenance) and
``curves/part-*.parquet`` (long format: run_id, curve, step, time, value). A run that appears in
several parts (re-run after a failure) counts by its newest row.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np

RUNS, CURVES = "runs", "curves"


def _pd():
    import pandas as pd

    return pd


def _write_parquet(table, folder: Path, stem: str) -> Path:
    """Write a pyarrow Table as ``folder/stem.parquet`` through a hidden temporary file."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{stem}.parquet"
    tmp = folder / f".{stem}.parquet.tmp-{os.getpid()}"
    pq.write_table(table, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    return final


def _dictionary(labels: list, lengths: np.ndarray):
    """A dictionary-encoded column repeating ``labels[i]`` ``lengths[i]`` times (each string once)."""
    import pyarrow as pa

    names = list(dict.fromkeys(labels))
    where = {name: i for i, name in enumerate(names)}
    codes = np.repeat(np.array([where[x] for x in labels], dtype=np.int32), lengths)
    return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(names, type=pa.string()))


def curves_table(curves: list):
    """The long table (run_id, curve, step, time, value) of (run_id, name, steps, times, values) entries."""
    import pyarrow as pa

    lengths = np.array([len(c[2]) for c in curves], dtype=np.int64)
    return pa.table({"run_id": _dictionary([c[0] for c in curves], lengths),
                     "curve": _dictionary([c[1] for c in curves], lengths),
                     "step": np.concatenate([c[2] for c in curves]), "time": np.concatenate([c[3] for c in curves]),
                     "value": np.concatenate([c[4] for c in curves])})


class RunIndex:
    """The index under ``folder`` (a study folder)."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self._seq = 0

    def clean(self) -> None:
        """Remove temporary part files of writers that are gone (they are never read)."""
        from ..outdir import pid_alive

        for sub in (RUNS, CURVES):
            for tmp in (self.folder / sub).glob(".part-*.parquet.tmp-*"):
                pid = tmp.name.rsplit("-", 1)[-1]
                if pid.isdigit() and not pid_alive(int(pid)):
                    tmp.unlink(missing_ok=True)

    def append(self, rows: list[dict], curves: list | None = None) -> None:
        """Write one part: ``rows`` (dicts with the same keys) and their ``curves`` (see
        :func:`curves_table`). The curves part is written first, so a row never exists without its
        curves."""
        import pyarrow as pa

        self._seq += 1
        stem = f"part-{os.getpid()}-{self._seq:06d}-{uuid.uuid4().hex[:8]}"
        if curves:
            _write_parquet(curves_table(curves), self.folder / CURVES, stem)
        keys = list(dict.fromkeys(k for row in rows for k in row))     # failed rows lack the metrics
        _write_parquet(pa.table({k: [row.get(k) for row in rows] for k in keys}), self.folder / RUNS, stem)

    def _parts(self, sub: str) -> list[Path]:
        return sorted((self.folder / sub).glob("part-*.parquet"), key=lambda p: (p.stat().st_mtime_ns, p.name))

    def runs(self):
        """Every run's newest row (pandas DataFrame; empty with a ``run_id`` column if none)."""
        pd = _pd()
        parts = self._parts(RUNS)
        if not parts:
            return pd.DataFrame({"run_id": pd.Series(dtype=str), "status": pd.Series(dtype=str)})
        df = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        return df.drop_duplicates("run_id", keep="last").reset_index(drop=True)

    def curves(self, name: str | None = None, run_ids=None):
        """The recorded curves in long format (run_id, curve, step, time, value), optionally of one
        curve name and of some runs; only curves of each run's newest row."""
        pd = _pd()
        parts = self._parts(CURVES)
        if not parts:
            return pd.DataFrame(columns=["run_id", "curve", "step", "time", "value"])
        filters = [("curve", "==", name)] if name is not None else None
        frames = []
        for p in parts:
            df = pd.read_parquet(p, filters=filters)
            df["_part"] = p.stem
            frames.append(df)
        df = pd.concat(frames, ignore_index=True)
        for k in ("run_id", "curve"):
            df[k] = df[k].astype(str)
        newest = df.groupby("run_id")["_part"].transform("last")     # parts are in write order
        df = df[df["_part"] == newest].drop(columns="_part")
        if run_ids is not None:
            df = df[df["run_id"].isin(set(run_ids))]
        return df.reset_index(drop=True)

    def finished(self, rerun_failed: bool = False) -> set[str]:
        """Run ids that need no new run: done or diverged, and failed too unless ``rerun_failed``."""
        df = self.runs()
        if df.empty:
            return set()
        keep = df["status"] != "failed" if rerun_failed else np.ones(len(df), bool)
        return set(df.loc[keep, "run_id"])

    def compact(self, above: int = 1) -> None:
        """Merge the parts into one (newest rows only) where there are more than ``above``; readers
        see either the old parts or the new one."""
        import pyarrow as pa

        for sub, read in ((RUNS, self.runs), (CURVES, self.curves)):
            old = self._parts(sub)
            if len(old) <= above:
                continue
            frame = read()
            stem = f"part-{os.getpid()}-compact-{uuid.uuid4().hex[:8]}"
            _write_parquet(pa.Table.from_pandas(frame, preserve_index=False), self.folder / sub, stem)
            for p in old:
                p.unlink(missing_ok=True)


__all__ = ["RunIndex"]

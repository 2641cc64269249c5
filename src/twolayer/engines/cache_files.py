"""Numba's disk cache of the compiled kernels, and the files that earlier versions of
``kernels.py`` left in it.

Numba names a cached function's files after its source file, its name and its line number
(``kernels.run_flow-1122.py311.nbi``, the index, and ``...-1122.py311.0.nbc``, the compiled code),
and keys the index on a hash of the source. An edit of ``kernels.py`` (a ``git pull`` in an
editable install, an upgrade) leaves the old files behind: Numba never reads them again, and never
removes them (52 files and 3.7 MB after a few sessions of edits here). :func:`prune` removes them;
``twolayer warmup`` calls it once its own compilation is done.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path


def kernel_cache_folder() -> Path | None:
    """The folder Numba caches :mod:`.kernels` in (next to it, or the user's cache folder), or None
    when this Numba does not say."""
    from . import kernels

    try:
        return Path(kernels.run_flow._cache._cache_path)
    except AttributeError:     # a Numba whose cache object is laid out otherwise
        return None


def stale_files(folder: Path, source: Path) -> list[Path]:
    """The cache files in ``folder`` of functions of ``source`` compiled from another version of it:
    each index (``<stem>.*.nbi``) that this Numba wrote for source bytes other than the present
    ones, and the data files it lists. Indexes of another Numba version, of other modules, or that
    cannot be read are left alone (another environment may share an editable install's folder)."""
    import numba

    stamp = hashlib.sha256(source.read_bytes()).digest()     # Numba's stamp of a source file
    out = []
    for index in sorted(folder.glob(f"{source.stem}.*.nbi")):
        try:
            with open(index, "rb") as f:
                version = pickle.load(f)
                if version != numba.__version__:
                    continue
                old_stamp, overloads = pickle.loads(f.read())
        except Exception:   # noqa: BLE001 -- not an index this Numba wrote: not ours to judge
            continue
        if old_stamp == stamp:
            continue
        out.append(index)
        out.extend(p for p in (folder / str(name) for name in overloads.values()) if p.is_file())
    return out


def prune(folder: Path, source: Path) -> tuple[int, int]:
    """Remove :func:`stale_files`; returns (files removed, bytes freed). A file that another process
    removed first is skipped; Numba recompiles whatever an index lists and cannot load."""
    removed = freed = 0
    for path in stale_files(folder, source):
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            continue
        removed, freed = removed + 1, freed + size
    return removed, freed


def prune_kernels() -> tuple[int, int]:
    """:func:`prune` for :mod:`.kernels` in its cache folder; (0, 0) when that folder is unknown."""
    from . import kernels

    folder = kernel_cache_folder()
    if folder is None or not folder.is_dir():
        return 0, 0
    return prune(folder, Path(kernels.__file__))


__all__ = ["kernel_cache_folder", "stale_files", "prune", "prune_kernels"]

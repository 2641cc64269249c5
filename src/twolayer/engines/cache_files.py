"""Numba's disk cache of the compiled kernels, and the files that earlier versions of
``kernels.py`` left in it.

Numba names a cached function's files after its source file, its name and its line number
(``kernels.run_flow-1122.py311.nbi``, the index, and ``...-1122.py311.0.nbc``, the compiled code),
and keys the index on a stamp of the source (a hash of its bytes in Numba 0.68; its modification
time and size in some earlier versions: this module asks Numba for it rather than computing it). An edit of ``kernels.py`` (a ``git pull`` in an
editable install, an upgrade) leaves the old files behind: Numba never reads them again, and never
removes them (52 files and 3.7 MB after a few sessions of edits here). :func:`prune` removes them;
``twolayer warmup`` calls it once its own compilation is done.
"""

from __future__ import annotations

import pickle
from pathlib import Path


def cache_of(dispatcher) -> tuple[Path, object] | None:
    """(cache folder, source stamp) of a cached Numba function, as Numba computes them, or None when
    this Numba does not say (its cache objects laid out otherwise)."""
    try:
        cache = dispatcher._cache
        return Path(cache._cache_path), cache._impl.locator.get_source_stamp()
    except AttributeError:
        return None


def stale_files(folder: Path, source: Path, stamp) -> list[Path]:
    """The cache files in ``folder`` of functions of ``source`` compiled from another version of it:
    each index (``<stem>.*.nbi``) that this Numba wrote with a source stamp other than ``stamp``
    (:func:`cache_of`), and the data files it lists. Indexes of another Numba version, of other
    modules, or that cannot be read are left alone (another environment may share an editable
    install's folder)."""
    import numba

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
        base = index.name[:-len(".nbi")]
        out.extend(folder / name for name in map(str, overloads.values())     # its own data files only
                   if Path(name).name == name and name.startswith(base + ".") and name.endswith(".nbc")
                   and (folder / name).is_file())
    return out


def prune(folder: Path, source: Path, stamp) -> tuple[int, int]:
    """Remove :func:`stale_files`; returns (files removed, bytes freed). A file that another process
    removed first is skipped; Numba recompiles whatever an index lists and cannot load."""
    removed = freed = 0
    for path in stale_files(folder, source, stamp):
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

    found = cache_of(kernels.run_flow)
    if found is None or not found[0].is_dir():
        return 0, 0
    return prune(found[0], Path(kernels.__file__), found[1])


__all__ = ["cache_of", "stale_files", "prune", "prune_kernels"]

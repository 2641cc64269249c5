"""Results folders that never destroy what twolayer did not write.

A results folder is written to a temporary sibling ``.NAME.tmp-PID-XXXX`` and renamed into place.
Its manifest ``.twolayer-results.json`` lists every file twolayer wrote there. An existing
``--out`` is replaced only when it is empty, or when its manifest is twolayer's and it holds
nothing the manifest does not list; anything else (a file, a folder of the user's, the current or
home directory, a parent of the working directory) is refused with exit 2, before any work.

A lock file ``.NAME.lock`` next to the folder holds the writer's process id: a second writer to the
same folder is refused while the first is alive. Temporary folders and locks of processes that are
gone (a kill -9) are removed at the next write into the same parent folder, and only those: each
carries twolayer's marker and its owner's process id.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import socket
import tempfile
import time
from pathlib import Path

from .errors import InvalidParameter, TwolayerError

MANIFEST = ".twolayer-results.json"
WRITER = "twolayer"


class OutputError(TwolayerError):
    """The file system refused a write (read-only, full, no permission); nothing was left behind."""

    def __init__(self, path, err: OSError):
        self.path, self.err = Path(path), err
        code = err.errno
        if code is None:        # HDF5 reports the OS error inside a long message of its own
            found = re.search(r"errno = (\d+)", str(err))
            code = int(found.group(1)) if found else None
        reason = os.strerror(code) if code else " ".join(str(err).split())[:120]
        fix = {errno.ENOSPC: "free some space or choose another --out",
               errno.EROFS: "the file system is read-only; choose another --out",
               errno.EACCES: "no permission to write there; choose another --out",
               errno.EPERM: "no permission to write there; choose another --out",
               errno.EDQUOT: "disk quota exceeded; free some space or choose another --out"}
        super().__init__(f"cannot write results to {self.path}: {reason}; "
                         f"{fix.get(code, 'choose another --out')}")


def read_manifest(folder: Path, name: str = MANIFEST) -> dict | None:
    """The manifest ``name`` of ``folder`` (a JSON object) if twolayer wrote it, else None."""
    try:
        data = json.loads((Path(folder) / name).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("written_by") == WRITER else None


def _files(folder: Path) -> list[str]:
    """Every file below ``folder`` (relative POSIX paths, sorted), the manifest excepted."""
    out = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            rel = (Path(root) / name).relative_to(folder).as_posix()
            if rel != MANIFEST:
                out.append(rel)
    return sorted(out)


def check_out(out, option: str = "--out") -> Path:
    """Refuse an output path that twolayer may not replace; return it as a Path.

    Raises
    ------
    InvalidParameter
        Naming ``option`` when ``out`` is a file, the current, home or root directory, a parent of
        the working directory, or a folder holding files twolayer did not write.
    """
    out = Path(out)
    full = out.expanduser().resolve()
    cwd, home = Path.cwd().resolve(), Path.home().resolve()
    if full == cwd or full in cwd.parents:
        raise InvalidParameter(option, str(out), "is the working directory or one of its parents; "
                               "name a new folder, e.g. results/NAME")
    if full == home or full == Path(full.anchor):
        raise InvalidParameter(option, str(out), "is the home or root directory; name a new folder, e.g. results/NAME")
    if not (full.exists() or full.is_symlink()):
        return out
    if full.is_symlink() or not full.is_dir():
        raise InvalidParameter(option, str(out), "is an existing file, not a results folder; "
                               "remove it or name another folder")
    manifest = read_manifest(full)
    present = _files(full)
    if manifest is None:
        if present or any(full.iterdir()):
            raise InvalidParameter(option, str(out), "holds files twolayer did not write (it has no "
                                   f"{MANIFEST}); choose a new or empty folder")
        return out
    foreign = sorted(set(present) - set(manifest.get("files", [])))
    if foreign:
        raise InvalidParameter(option, str(out), f"holds {foreign[0]!r}, which twolayer did not write; "
                               "move it away or choose another folder")
    return out


_ACTIVE: set[str] = set()     # temporary folders this process is writing now


def _gone(owner: dict, path: Path) -> bool:
    """Whether the writer of the temporary folder or lock ``path`` is gone: its process ended, or it
    is this process and no longer writes there (an interrupted write, kept for a resume)."""
    pid = int(owner["pid"])
    if pid == os.getpid() and owner.get("host", socket.gethostname()) == socket.gethostname():
        return str(path) not in _ACTIVE and not path.name.endswith(".lock")
    return not pid_alive(pid, owner.get("host"))


def pid_alive(pid: int, host: str | None = None) -> bool:
    """Whether process ``pid`` still runs (on this host; a lock from another host counts as alive)."""
    if host is not None and host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner(path: Path) -> dict | None:
    try:
        data = json.loads((path / MANIFEST if path.is_dir() else path).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("written_by") == WRITER and "pid" in data else None


def clean_stale(parent: Path) -> list[Path]:
    """Remove temporary folders and locks that twolayer left in ``parent`` for processes that are
    gone; return what was removed. Nothing without twolayer's marker is touched."""
    removed = []
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return removed
    for path in entries:
        name = path.name
        if not name.startswith(".") or not (".tmp-" in name or ".old-" in name or name.endswith(".lock")):
            continue
        owner = _owner(path)
        if owner is None or not _gone(owner, path):
            continue
        try:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            removed.append(path)
        except OSError:
            pass
    return removed


def salvage(parent: Path, name: str, sub: str, into: Path) -> int:
    """Move the files of ``sub/`` from the temporary folders of ``parent/name`` whose writers are
    gone into ``into/sub/`` (files already there win); return how many moved. Only folders that carry
    twolayer's marker are touched."""
    moved = 0
    for path in Path(parent).glob(f".{name}.tmp-*"):
        owner = _owner(path) if path.is_dir() and path != into else None
        if owner is None or not _gone(owner, path) or not (path / sub).is_dir():
            continue
        (into / sub).mkdir(parents=True, exist_ok=True)
        for item in (path / sub).iterdir():
            if item.is_file() and not item.name.startswith(".") and not (into / sub / item.name).exists():
                os.replace(item, into / sub / item.name)
                moved += 1
    return moved


def _stamp(**extra) -> dict:
    return {"written_by": WRITER, "pid": os.getpid(), "host": socket.gethostname(),
            "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **extra}


class ResultsFolder:
    """Write a results folder atomically: ``with ResultsFolder(out) as tmp: ...write into tmp...``.

    On entry: checks ``out`` (:func:`check_out`), takes the lock, makes the temporary folder, moves
    the files of the subfolders ``keep`` out of temporary folders that an interrupted writer of the
    same ``out`` left (:func:`salvage`: how an experiment resumes) and removes stale leftovers. On a clean exit: writes the manifest and renames the folder into place
    (re-checking ``out`` first). On any error: removes the temporary folder and the lock; an
    ``OSError`` becomes one :class:`OutputError` line.
    """

    def __init__(self, out, option: str = "--out", keep=()):
        self.out = check_out(out, option)
        self.option = option
        self.keep = tuple(keep)
        self.tmp: Path | None = None
        self.lock: Path | None = None

    def __enter__(self) -> Path:
        parent = self.out.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self._take_lock(parent / f".{self.out.name}.lock")
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.tmp-{os.getpid()}-", dir=parent))
            _ACTIVE.add(str(self.tmp))
            (self.tmp / MANIFEST).write_text(json.dumps(_stamp(state="writing")))
            for sub in self.keep:
                salvage(parent, self.out.name, sub, self.tmp)
            clean_stale(parent)
        except OSError as err:
            self._discard()
            raise OutputError(self.out, err) from None
        except BaseException:
            self._discard()
            raise
        return self.tmp

    def _take_lock(self, lock: Path) -> None:
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = _owner(lock)
                if owner is not None and not pid_alive(int(owner["pid"]), owner.get("host")):
                    lock.unlink(missing_ok=True)
                    continue
                pid = owner["pid"] if owner else "unknown"
                raise InvalidParameter(self.option, str(self.out), f"another twolayer process (pid {pid}) is "
                                       "writing this folder; wait for it to finish or choose another folder") from None
            with os.fdopen(fd, "w") as fh:
                fh.write(json.dumps(_stamp()))
            self.lock = lock
            return
        raise InvalidParameter(self.option, str(self.out), "its lock file could not be taken; try again")

    def __exit__(self, kind, err, tb):
        if kind is None:
            try:
                self._commit()
            except OSError as os_err:
                self._discard()
                raise OutputError(self.out, os_err) from None
            except BaseException:
                self._discard()
                raise
            return False
        self._discard(keep_partial=True)
        if isinstance(err, OSError) and not isinstance(err, TwolayerError):
            raise OutputError(self.out, err) from None
        return False

    def _commit(self) -> None:
        manifest = _stamp(files=_files(self.tmp))
        (self.tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        check_out(self.out, self.option)          # the user may have put files there meanwhile
        old = None
        if self.out.exists():
            old = self.out.parent / f".{self.out.name}.old-{os.getpid()}-{time.time_ns()}"
            self.out.rename(old)
        self.tmp.rename(self.out)
        _ACTIVE.discard(str(self.tmp))
        self.tmp = None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        self._release()

    def _release(self) -> None:
        if self.lock is not None:
            self.lock.unlink(missing_ok=True)
            self.lock = None

    def _discard(self, keep_partial: bool = False) -> None:
        """Remove the temporary folder, unless ``keep_partial`` and it holds files in a ``keep``
        subfolder: then it stays, marked as interrupted, for the next write to take them over."""
        if self.tmp is not None:
            _ACTIVE.discard(str(self.tmp))
            kept = keep_partial and any((self.tmp / sub).is_dir() and any((self.tmp / sub).iterdir())
                                        for sub in self.keep)
            if kept:
                try:
                    (self.tmp / MANIFEST).write_text(json.dumps(_stamp(state="interrupted")))
                except OSError:
                    kept = False
            if not kept:
                shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        self._release()


def check_root(root, option: str = "--out") -> Path:
    """Refuse a gallery root (``twolayer reproduce --out``) where writing would replace a file
    twolayer did not write; return it as a Path. Its experiment folders are checked one by one
    with :func:`check_out`; new folders and files are only ever added next to a user's."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise InvalidParameter(option, str(root), "is an existing file; name a folder for the gallery")
    if not root.exists():
        return root
    if (root / MANIFEST).exists() and read_manifest(root) is None:
        raise InvalidParameter(option, str(root), f"holds a {MANIFEST} that twolayer did not write; choose another folder")
    ours = set((read_manifest(root) or {}).get("files", []))
    if (root / "index.html").exists() and "index.html" not in ours:
        raise InvalidParameter(option, str(root), "holds an index.html that twolayer did not write; "
                               "move it away or choose another folder")
    return root


def write_root_file(root, name: str, text: str) -> Path:
    """Write ``root/name`` (after :func:`check_root`) through a temporary file, and list it in the
    root's manifest so that a later run may replace it."""
    root = Path(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        manifest = read_manifest(root) or _stamp(kind="gallery", files=[])
        manifest["files"] = sorted(set(manifest.get("files", [])) | {name})
        for target, content in ((root / MANIFEST, json.dumps(manifest, indent=1) + "\n"), (root / name, text)):
            part = root / f".{target.name}.part-{os.getpid()}"
            part.write_text(content)
            os.replace(part, target)
    except OSError as err:
        for leftover in root.glob(f".*.part-{os.getpid()}"):
            leftover.unlink(missing_ok=True)
        raise OutputError(root / name, err) from None
    return root / name

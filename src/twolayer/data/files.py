"""A researcher's own data set from files (CSV/TSV text, a ``.npy`` pair, an ``.npz``), strictly validated."""

from __future__ import annotations

import csv
import hashlib
import os
import zipfile

import numpy as np

from ..errors import InvalidParameter, closest
from ..limits import check_memory

FILE_SUFFIXES = (".csv", ".tsv", ".txt", ".npy", ".npz")
_KINDS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".npy": "npy", ".npz": "npz"}
_EXTRAS = {"csv": ("test",), "npy": ("labels", "test", "test_labels"), "npz": ()}
_MEMORY_FIX = "%s is too large for this machine; use a smaller file (fewer rows or features) or more memory"
_NPY_ERRORS = (ValueError, OSError, EOFError, zipfile.BadZipFile)


def is_data_file(name: str) -> bool:
    """Whether ``name`` ends with one of :data:`FILE_SUFFIXES` (case-insensitive), i.e. names a file.

    Parameters
    ----------
    name : str
        A path, or the name of a built-in data set.
    """
    return str(name).lower().endswith(FILE_SUFFIXES)


def load_file(path, *, label="y", labels=None, test=None, test_labels=None):
    """Load a data set from files.

    Parameters
    ----------
    path : str or os.PathLike
        The data: ``.csv``/``.tsv``/``.txt`` with a header row, ``.npy`` features X of shape
        (n, d) or (n,), or ``.npz`` with arrays ``X``, ``y`` and optionally ``X_test``, ``y_test``.
    label : str
        The name of the label column of a CSV file; every other column is a feature.
    labels : str or os.PathLike, optional
        The ``.npy`` labels y of shape (n,) or (n, K); required with a ``.npy`` path.
    test : str or os.PathLike, optional
        A test set in the same format: a CSV with the same columns, or ``.npy`` features.
    test_labels : str or os.PathLike, optional
        The ``.npy`` labels of the test set; required with a ``.npy`` test.

    Returns
    -------
    X : ndarray of shape (n, d), float64, C-contiguous
    y : ndarray of shape (n,) or (n, K), int64 when the file stores integers, else float64
    X_test : ndarray of shape (m, d) or None
    y_test : ndarray of shape (m,) or (m, K), or None
    """
    kind = _check_path("data", path)
    for name, value in {"labels": labels, "test": test, "test_labels": test_labels}.items():
        if value is not None and name not in _EXTRAS[kind]:
            raise _err(name, str(value), f"does not apply to a .{kind} data file ({path})")
    X_test = y_test = None
    if kind == "npz":
        X, y, X_test, y_test = _read_npz(str(path))
    elif kind == "npy":
        X, y = _read_npy_pair("data", path, "labels", labels)
        if test is not None or test_labels is not None:
            X_test, y_test = _read_npy_pair("test", test, "test_labels", test_labels)
    else:
        X, y, X_test, y_test = _read_csv_pair(path, label, test)
    if X_test is not None and (X_test.shape[1] != X.shape[1] or y_test.shape[1:] != y.shape[1:]):
        raise _err("data" if kind == "npz" else "test", str(test or path), f"the test set has {X_test.shape[1]} "
                   f"features, labels {y_test.shape}; the training set has {X.shape[1]}, labels {y.shape}")
    return X, y, X_test, y_test


def content_hash(*arrays) -> str:
    """The first 16 hex digits of a SHA-256 of the arrays' dtypes, shapes and bytes.

    Parameters
    ----------
    *arrays : array_like of any shape, or None
        The data, e.g. ``X, y, X_test, y_test``; None is hashed as a marker.
    """
    h = hashlib.sha256()
    for a in arrays:
        a = None if a is None else np.asarray(a, dtype=np.asarray(a).dtype.newbyteorder("="), order="C")
        h.update(b"None|" if a is None else f"{a.dtype.str}{a.shape}|".encode() + a.tobytes())
    return h.hexdigest()[:16]


def label_error(err: InvalidParameter, path) -> InvalidParameter:
    """A copy of ``err`` whose message also names the file the labels came from.

    Parameters
    ----------
    err : InvalidParameter
        Raised by :func:`twolayer.losses.validate_labels`, e.g. for labels outside {-1, +1}.
    path : str or os.PathLike
        The file the labels were read from.
    """
    return InvalidParameter(err.name, err.value, f"{err.accepted} (labels read from {path})")


def _err(name, p, accepted):
    """An InvalidParameter for the file ``p``, repeating the path when the shown value would cut it."""
    return InvalidParameter(name, p, accepted if len(repr(p)) <= 80 else f"{accepted} (file: {p})")


def _check_path(name, path, kind=None):
    """The kind ("csv", "npy", "npz") of an existing data file; raise if missing or unsupported."""
    p = str(path)
    if not os.path.exists(p):
        raise _err(name, p, f"no such file (relative paths start at {os.getcwd()}); check the path")
    if os.path.isdir(p):
        raise _err(name, p, "is a directory; give the path of a data file inside it")
    suffix = os.path.splitext(p)[1].lower()
    if suffix not in _KINDS:
        raise _err(name, p, f"unknown suffix {suffix or '(none)'!r}; accepted: {', '.join(FILE_SUFFIXES)}")
    if kind is not None and _KINDS[suffix] != kind:
        raise _err(name, p, f"must be a .{kind} file like the data file (text formats: .csv, .tsv, .txt)")
    return _KINDS[suffix]


def _read_csv_pair(path, label, test):
    """(X, y, X_test, y_test) from a CSV file and an optional CSV test file with the same columns."""
    columns, X, y = _read_csv("data", str(path), label)
    if test is None:
        return X, y, None, None
    _check_path("test", test, "csv")
    test_columns, X_test, y_test = _read_csv("test", str(test), label)
    if sorted(test_columns) != sorted(columns):
        raise _err("test", str(test), f"its feature columns {test_columns} differ from those of "
                   f"{path}: {columns}; use the same columns in both files")
    return X, y, np.ascontiguousarray(X_test[:, [test_columns.index(c) for c in columns]]), y_test


def _read_csv(name, p, label):
    """(feature column names, X of shape (n, d), y of shape (n,)) from a text file with a header."""
    check_memory(name, p, 3 * os.path.getsize(p), _MEMORY_FIX % p)
    try:
        with open(p, newline="", encoding="utf-8-sig") as fh:
            delimiter = "\t" if p.lower().endswith(".tsv") else max(",\t;", key=fh.readline().count)
            fh.seek(0)
            reader = csv.reader(fh, delimiter=delimiter, strict=True)
            header = [h.strip() for h in next((r for r in reader if r), [])]
            li = _label_index(name, p, header, label)
            rows, lines = _read_rows(name, p, reader, len(header))
    except (csv.Error, UnicodeDecodeError) as e:
        raise _err(name, p, f"cannot be parsed as CSV text ({e}); save it as UTF-8 CSV") from None
    block = _to_floats(name, p, rows, lines, header)
    bad = np.argwhere(~np.isfinite(block))
    if len(bad):
        i, j = bad[0]
        raise _err(name, p, f"row {lines[i]}, column {header[j]!r}: {rows[i][j]!r} is not finite; fix or drop it")
    try:
        y = np.array([int(r[li]) for r in rows], dtype=np.int64)
    except (ValueError, OverflowError):
        y = np.ascontiguousarray(block[:, li])
    features = [j for j in range(len(header)) if j != li]
    return [header[j] for j in features], np.ascontiguousarray(block[:, features]), y


def _label_index(name, p, header, label):
    """The index of the label column after checking the header's names."""
    if not header:
        raise _err(name, p, "the file is empty; write a header row naming the columns, then numeric rows")
    twice = [h for i, h in enumerate(header) if h in header[:i]]
    if twice:
        raise _err(name, p, f"column name {twice[0]!r} appears twice in the header; rename one of them")
    if not isinstance(label, str) or label not in header:
        raise InvalidParameter("label", label, f"no column {label!r} in {p}; its columns are "
                               f"{', '.join(map(repr, header))}{closest(label, header)}; pass label=NAME")
    if len(header) < 2:
        raise _err(name, p, f"no feature columns: the only column is the label {label!r}")
    return header.index(label)


def _read_rows(name, p, reader, width):
    """The rows of strings and their 1-based line numbers in the file; blank lines are skipped."""
    rows, lines = [], []
    for row in reader:
        if not row:
            continue
        if len(row) != width:
            raise _err(name, p, f"row {reader.line_num} has {len(row)} fields, the header has {width}; fix it")
        rows.append(row)
        lines.append(reader.line_num)
    if not rows:
        raise _err(name, p, "has a header but no data rows; add one numeric row per sample")
    return rows, lines


def _to_floats(name, p, rows, lines, header):
    """The rows as a float64 array of shape (n, columns); name the first non-numeric cell."""
    try:
        return np.array(rows, dtype=np.float64)
    except ValueError:
        for row, line in zip(rows, lines):
            for j, cell in enumerate(row):
                try:
                    float(cell)
                except ValueError:
                    raise _err(name, p, f"row {line}, column {header[j]!r}: {cell!r} is not a number; "
                               "every cell below the header must be numeric") from None
        return np.array([[float(c) for c in row] for row in rows], dtype=np.float64)   # float() is laxer


def _unreadable(name, p, err):
    """The error for a file numpy cannot read: pickled objects or a corrupt file."""
    msg = str(err).replace("\n", " ")
    if "allow_pickle" in msg or "Python objects" in msg:
        return _err(name, p, "holds Python objects (pickled data), refused for safety; "
                    "save plain numeric arrays, e.g. np.save(path, np.asarray(X, dtype=float))")
    return _err(name, p, f"cannot be read, the file is corrupt or truncated ({msg}); write it again")


def _read_npy_pair(x_name, x_path, y_name, y_path):
    """(X, y) from two ``.npy`` files."""
    for name, value, other, given in ((x_name, x_path, y_name, y_path), (y_name, y_path, x_name, x_path)):
        if value is None:
            raise InvalidParameter(name, None, f"{other}={str(given)!r} needs {name}=PATH.npy too: a .npy file "
                                   "holds one array, the features X or the labels y")
    suffix = "" if x_name == "data" else "_test"
    X = _array(x_name, str(x_path), _load_npy(x_name, x_path), "X" + suffix)
    return X, _array(y_name, str(y_path), _load_npy(y_name, y_path), "y" + suffix, len(X))


def _load_npy(name, path):
    """A memory map of a ``.npy`` file (nothing read beyond the header yet)."""
    _check_path(name, path, "npy")
    p = str(path)
    check_memory(name, p, 1.2 * os.path.getsize(p), _MEMORY_FIX % p)
    with open(p, "rb") as fh:
        if fh.read(6) != b"\x93NUMPY":
            raise _err(name, p, "is not a NumPy .npy file (no .npy header); write it with np.save")
    try:
        return np.load(p, mmap_mode="r", allow_pickle=False)
    except _NPY_ERRORS as e:
        raise _unreadable(name, p, e) from None


def _read_npz(p):
    """(X, y, X_test, y_test) from an ``.npz`` archive."""
    try:
        with zipfile.ZipFile(p) as z:
            sizes = sum(i.file_size for i in z.infolist())
            keys = sorted(n[:-4] if n.endswith(".npy") else n for n in z.namelist())
    except _NPY_ERRORS as e:
        raise _unreadable("data", p, e) from None
    check_memory("data", p, 1.2 * sizes, _MEMORY_FIX % p)
    if "X" not in keys or "y" not in keys:
        raise _err("data", p, f"needs arrays 'X' and 'y' but holds {keys}; write np.savez(path, X=X, y=y)")
    if ("X_test" in keys) != ("y_test" in keys):
        raise _err("data", p, f"holds only one of 'X_test', 'y_test' (keys {keys}); store both or neither")
    try:
        with np.load(p, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in ("X", "y", "X_test", "y_test") if k in keys}
    except _NPY_ERRORS as e:
        raise _unreadable("data", p, e) from None
    out = []
    for xk, yk in (("X", "y"), ("X_test", "y_test")):
        X = _array("data", p, arrays[xk], xk) if xk in arrays else None
        out += [X, None if X is None else _array("data", p, arrays[yk], yk, len(X))]
    return tuple(out)


def _array(name, p, a, what, n=None):
    """Features (``n`` None) as float64 (n, d), (n,) becoming (n, 1); or ``n`` labels as int64 or float64."""
    if a.dtype.kind not in "biuf":
        raise _err(name, p, f"{what} has dtype {a.dtype}; expected real numbers (int or float)")
    if a.ndim not in (1, 2) or a.size == 0:
        raise _err(name, p, f"{what} has shape {a.shape}; expected (n, d) or (n,) with n, d >= 1")
    if n is not None and len(a) != n:
        raise _err(name, p, f"{what} has {len(a)} rows but the features have {n}; give one label per sample")
    a = np.array(a, dtype=np.int64 if n is not None and a.dtype.kind in "biu" else np.float64, order="C")
    bad = np.argwhere(~np.isfinite(a))
    if len(bad):
        where = ", ".join(map(str, bad[0]))
        raise _err(name, p, f"{what}[{where}] is {a[tuple(bad[0])]} (0-based index); entries must be finite")
    return a.reshape(-1, 1) if n is None and a.ndim == 1 else a

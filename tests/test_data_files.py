"""Loading a researcher's own data from CSV/TSV, .npy pairs and .npz archives, and every error path."""

import time
import zipfile

import numpy as np
import pytest

from twolayer import limits
from twolayer.data.files import FILE_SUFFIXES, content_hash, is_data_file, label_error, load_file
from twolayer.errors import InvalidParameter

X = np.array([[0.5, -1.0], [2.0, 3.25], [-4.0, 1e-3]])
Y_INT = np.array([1, -1, 1])
Y_FLOAT = np.array([0.5, 1.5, -2.0])


def write(path, text):
    path.write_text(text)
    return path


def csv_text(X, y, sep=",", names=("a", "b", "y")):
    lines = [sep.join(names)] + [sep.join([repr(float(v)) for v in x] + [str(t)]) for x, t in zip(X, y)]
    return "\n".join(lines) + "\n"


def raises(match, name, fn, *args, **kwargs):
    """Assert ``fn`` raises InvalidParameter for parameter ``name`` with a one-line message matching ``match``."""
    with pytest.raises(InvalidParameter, match=match) as info:
        fn(*args, **kwargs)
    assert info.value.name == name
    assert "\n" not in str(info.value)
    return info.value


# ----------------------------------------------------------------------------------------- round trips

def test_csv_round_trip_int_labels(tmp_path):
    Xl, y, Xt, yt = load_file(write(tmp_path / "d.csv", csv_text(X, Y_INT)))
    np.testing.assert_array_equal(Xl, X)
    np.testing.assert_array_equal(y, Y_INT)
    assert Xl.dtype == np.float64 and Xl.flags.c_contiguous and y.dtype == np.int64
    assert Xt is None and yt is None


def test_csv_float_labels_and_integer_valued_floats_stay_float(tmp_path):
    _, y, _, _ = load_file(write(tmp_path / "d.csv", csv_text(X, Y_FLOAT)))
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, Y_FLOAT)
    _, y, _, _ = load_file(write(tmp_path / "e.csv", csv_text(X, ["1.0", "-1.0", "1.0"])))
    assert y.dtype == np.float64


@pytest.mark.parametrize("suffix, sep", [(".tsv", "\t"), (".txt", "\t"), (".csv", ";"), (".txt", ",")])
def test_delimiter_sniffing(tmp_path, suffix, sep):
    Xl, y, _, _ = load_file(write(tmp_path / f"d{suffix}", csv_text(X, Y_INT, sep=sep)))
    np.testing.assert_array_equal(Xl, X)
    np.testing.assert_array_equal(y, Y_INT)


def test_csv_custom_label_column_in_the_middle_and_blank_lines(tmp_path):
    text = "a,target,b\n1,7,2\n\n3,8,4\n"
    Xl, y, _, _ = load_file(write(tmp_path / "d.csv", text), label="target")
    np.testing.assert_array_equal(Xl, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(y, [7, 8])


def test_csv_test_file_with_reordered_columns(tmp_path):
    train = write(tmp_path / "train.csv", csv_text(X, Y_INT))
    test = write(tmp_path / "test.csv", "y,b,a\n1,20,10\n-1,40,30\n")
    Xl, y, Xt, yt = load_file(train, test=test)
    np.testing.assert_array_equal(Xt, [[10, 20], [30, 40]])
    np.testing.assert_array_equal(yt, [1, -1])
    assert Xt.flags.c_contiguous and yt.dtype == np.int64


def test_npy_round_trip_and_1d_features(tmp_path):
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", Y_INT)
    Xl, y, Xt, yt = load_file(tmp_path / "X.npy", labels=tmp_path / "y.npy")
    np.testing.assert_array_equal(Xl, X)
    assert y.dtype == np.int64 and Xt is None and yt is None
    np.save(tmp_path / "x1.npy", np.array([1.0, 2.0, 3.0], dtype=np.float32))
    Xl, _, _, _ = load_file(tmp_path / "x1.npy", labels=tmp_path / "y.npy")
    assert Xl.shape == (3, 1) and Xl.dtype == np.float64


def test_npy_test_pair_and_2d_labels(tmp_path):
    np.save(tmp_path / "X.npy", np.asfortranarray(X))
    np.save(tmp_path / "Y.npy", np.eye(3))
    np.save(tmp_path / "Xt.npy", X[:2])
    np.save(tmp_path / "Yt.npy", np.eye(3)[:2])
    Xl, y, Xt, yt = load_file(tmp_path / "X.npy", labels=tmp_path / "Y.npy",
                              test=tmp_path / "Xt.npy", test_labels=tmp_path / "Yt.npy")
    assert Xl.flags.c_contiguous and y.shape == (3, 3) and y.dtype == np.float64
    np.testing.assert_array_equal(Xt, X[:2])
    np.testing.assert_array_equal(yt, np.eye(3)[:2])


def test_npz_round_trip(tmp_path):
    np.savez(tmp_path / "d.npz", X=X, y=Y_INT.astype(np.int32), X_test=X[:1], y_test=Y_INT[:1])
    Xl, y, Xt, yt = load_file(tmp_path / "d.npz")
    np.testing.assert_array_equal(Xl, X)
    assert y.dtype == np.int64 and yt.dtype == np.int64
    np.testing.assert_array_equal(Xt, X[:1])
    np.savez_compressed(tmp_path / "c.npz", X=X[:, 0], y=Y_FLOAT)
    Xl, y, Xt, yt = load_file(tmp_path / "c.npz")
    assert Xl.shape == (3, 1) and y.dtype == np.float64 and Xt is None and yt is None


def test_content_hash_is_the_same_for_the_same_numbers_from_any_format(tmp_path):
    write(tmp_path / "d.csv", csv_text(X, Y_INT))
    np.savez(tmp_path / "d.npz", X=X, y=Y_INT)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", Y_INT)
    hashes = {content_hash(*load_file(tmp_path / "d.csv")), content_hash(*load_file(tmp_path / "d.npz")),
              content_hash(*load_file(tmp_path / "X.npy", labels=tmp_path / "y.npy"))}
    assert len(hashes) == 1 and len(hashes.pop()) == 16
    other = X.copy()
    other[1, 1] += 1e-12
    assert content_hash(other, Y_INT, None, None) != content_hash(X, Y_INT, None, None)
    assert content_hash(X, Y_INT) != content_hash(X, Y_INT.astype(float))
    assert content_hash(X, None) != content_hash(X)
    assert content_hash(X.astype(">f8")) == content_hash(X)


def test_is_data_file():
    assert FILE_SUFFIXES == (".csv", ".tsv", ".txt", ".npy", ".npz")
    assert is_data_file("my/data.CSV") and is_data_file("x.npz") and is_data_file("a.b.Tsv")
    assert not is_data_file("thesis-1.1.0") and not is_data_file("teacher-2d") and not is_data_file("data.json")


def test_label_error_names_the_file():
    from twolayer.losses import LOSSES, validate_labels

    loss = next(v for v in LOSSES.values() if v.labels == "sign")
    with pytest.raises(InvalidParameter) as info:
        validate_labels(loss, np.array([0.0, 2.0]), 2, 1)
    err = label_error(info.value, "/data/d.csv")
    assert isinstance(err, InvalidParameter) and err.name == info.value.name
    assert "-1, +1" in str(err) and "/data/d.csv" in str(err)


def test_a_large_csv_loads_quickly(tmp_path, report):
    rng = np.random.default_rng(0)
    big = rng.standard_normal((100_000, 20))
    path = tmp_path / "big.csv"
    with open(path, "w") as fh:
        fh.write(",".join([f"x{j}" for j in range(19)] + ["y"]) + "\n")
        np.savetxt(fh, big, delimiter=",", fmt="%.17g")
    start = time.perf_counter()
    Xl, y, _, _ = load_file(path)
    seconds = time.perf_counter() - start
    report(f"load_file: 100,000 x 20 CSV in {seconds:.2f} s")
    np.testing.assert_array_equal(Xl, big[:, :19])
    np.testing.assert_array_equal(y, big[:, 19])
    assert seconds < 10


# ----------------------------------------------------------------------------------------- paths

def test_missing_file(tmp_path):
    raises("no such file", "data", load_file, tmp_path / "nope.csv")


def test_directory(tmp_path):
    (tmp_path / "d.csv").mkdir()
    raises("is a directory", "data", load_file, tmp_path / "d.csv")


def test_unknown_suffix_lists_the_accepted(tmp_path):
    err = raises("unknown suffix '.json'", "data", load_file, write(tmp_path / "d.json", "{}"))
    assert all(s in str(err) for s in FILE_SUFFIXES)


def test_options_that_do_not_apply_are_refused(tmp_path):
    csv_path = write(tmp_path / "d.csv", csv_text(X, Y_INT))
    raises("does not apply to a .csv", "labels", load_file, csv_path, labels=csv_path)
    np.savez(tmp_path / "d.npz", X=X, y=Y_INT)
    raises("does not apply to a .npz", "test", load_file, tmp_path / "d.npz", test=csv_path)


# ----------------------------------------------------------------------------------------- CSV

def test_csv_empty_file(tmp_path):
    raises("empty", "data", load_file, write(tmp_path / "d.csv", ""))


def test_csv_header_only(tmp_path):
    raises("no data rows", "data", load_file, write(tmp_path / "d.csv", "a,b,y\n"))


def test_csv_label_column_missing_lists_columns_and_suggests(tmp_path):
    path = write(tmp_path / "d.csv", "a,b,label\n1,2,3\n")
    err = raises("no column 'y'", "label", load_file, path)
    assert "'a', 'b', 'label'" in str(err) and str(path) in str(err)
    raises("did you mean 'label'", "label", load_file, path, label="lable")


def test_csv_duplicate_columns(tmp_path):
    raises("'a' appears twice", "data", load_file, write(tmp_path / "d.csv", "a,b,a,y\n1,2,3,4\n"))


def test_csv_ragged_row(tmp_path):
    path = write(tmp_path / "d.csv", "a,b,y\n1,2,3\n\n4,5\n")
    raises("row 4 has 2 fields, the header has 3", "data", load_file, path)


def test_csv_non_numeric_cell(tmp_path):
    path = write(tmp_path / "d.csv", "a,b,y\n1,2,3\n4,abc,6\n")
    raises("row 3, column 'b': 'abc' is not a number", "data", load_file, path)
    raises("row 2, column 'y': '' is not a number", "data", load_file, write(tmp_path / "e.csv", "a,b,y\n1,2,\n"))


@pytest.mark.parametrize("cell", ["nan", "inf", "-Infinity"])
def test_csv_nan_or_inf_cell(tmp_path, cell):
    path = write(tmp_path / "d.csv", f"a,b,y\n1,2,3\n4,5,6\n7,{cell},9\n")
    raises(f"row 4, column 'b': '{cell}' is not finite", "data", load_file, path)


def test_csv_no_feature_columns(tmp_path):
    raises("no feature columns", "data", load_file, write(tmp_path / "d.csv", "y\n1\n2\n"))


def test_csv_bad_quoting_is_one_line(tmp_path):
    raises("cannot be parsed as CSV", "data", load_file, write(tmp_path / "d.csv", 'a,b,y\n1,"2"x,3\n'))


def test_csv_test_file_errors_name_test(tmp_path):
    train = write(tmp_path / "train.csv", csv_text(X, Y_INT))
    raises("row 2 has 2 fields", "test", load_file, train, test=write(tmp_path / "t.csv", "a,b,y\n1,2\n"))
    raises("differ", "test", load_file, train, test=write(tmp_path / "u.csv", "a,c,y\n1,2,3\n"))
    np.save(tmp_path / "t.npy", X)
    raises("must be a .csv file", "test", load_file, train, test=tmp_path / "t.npy")


# ----------------------------------------------------------------------------------------- npy

@pytest.fixture
def npy(tmp_path):
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", Y_INT)
    return tmp_path


def test_npy_labels_missing(npy):
    raises("needs labels=PATH.npy", "labels", load_file, npy / "X.npy")
    raises("needs test_labels=PATH.npy", "test_labels", load_file, npy / "X.npy", labels=npy / "y.npy",
           test=npy / "X.npy")
    raises("needs test=PATH.npy", "test", load_file, npy / "X.npy", labels=npy / "y.npy", test_labels=npy / "y.npy")


def test_npy_labels_file_missing(npy):
    raises("no such file", "labels", load_file, npy / "X.npy", labels=npy / "nope.npy")


def test_npy_features_not_1d_or_2d(npy):
    np.save(npy / "X3.npy", np.zeros((3, 2, 2)))
    raises(r"X has shape \(3, 2, 2\)", "data", load_file, npy / "X3.npy", labels=npy / "y.npy")
    np.save(npy / "X0.npy", np.float64(1.0))
    raises(r"X has shape \(\)", "data", load_file, npy / "X0.npy", labels=npy / "y.npy")


def test_npy_length_mismatch(npy):
    np.save(npy / "y4.npy", np.ones(4))
    raises("y has 4 rows but the features have 3", "labels", load_file, npy / "X.npy", labels=npy / "y4.npy")


def test_npy_object_arrays_refused(npy):
    np.save(npy / "obj.npy", np.array([1, "a", None], dtype=object), allow_pickle=True)
    raises("pickled", "data", load_file, npy / "obj.npy", labels=npy / "y.npy")
    raises("pickled", "labels", load_file, npy / "X.npy", labels=npy / "obj.npy")


def test_npy_non_numeric_dtype(npy):
    np.save(npy / "s.npy", np.array(["a", "b", "c"]))
    raises("dtype <U1; expected real numbers", "labels", load_file, npy / "X.npy", labels=npy / "s.npy")
    np.save(npy / "c.npy", X.astype(complex))
    raises("dtype complex128", "data", load_file, npy / "c.npy", labels=npy / "y.npy")


def test_npy_nan_or_inf_says_the_index(npy):
    bad = X.copy()
    bad[2, 1] = np.nan
    np.save(npy / "bad.npy", bad)
    raises(r"X\[2, 1\] is nan \(0-based", "data", load_file, npy / "bad.npy", labels=npy / "y.npy")
    np.save(npy / "ybad.npy", np.array([1.0, np.inf, 0.0]))
    raises(r"y\[1\] is inf", "labels", load_file, npy / "X.npy", labels=npy / "ybad.npy")


@pytest.mark.parametrize("keep", [0, 30, 150])
def test_npy_corrupt_or_truncated(npy, keep):
    data = (npy / "X.npy").read_bytes()
    (npy / "cut.npy").write_bytes(data[:keep])
    err = raises(r"corrupt or truncated|not a NumPy \.npy file", "data", load_file, npy / "cut.npy",
                 labels=npy / "y.npy")
    assert str(npy / "cut.npy") in str(err)


def test_npy_text_file_is_not_npy(npy):
    raises("not a NumPy .npy file", "data", load_file, write(npy / "t.npy", "1,2,3\n"), labels=npy / "y.npy")


def test_npy_test_with_other_feature_count(npy):
    np.save(npy / "Xt.npy", np.ones((3, 5)))
    raises("the test set has 5 features", "test", load_file, npy / "X.npy", labels=npy / "y.npy",
           test=npy / "Xt.npy", test_labels=npy / "y.npy")


# ----------------------------------------------------------------------------------------- npz

def test_npz_missing_arrays_lists_keys(tmp_path):
    np.savez(tmp_path / "d.npz", features=X, y=Y_INT)
    raises(r"needs arrays 'X' and 'y' but holds \['features', 'y'\]", "data", load_file, tmp_path / "d.npz")


def test_npz_test_arrays_both_or_neither(tmp_path):
    np.savez(tmp_path / "d.npz", X=X, y=Y_INT, X_test=X)
    raises("only one of 'X_test', 'y_test'", "data", load_file, tmp_path / "d.npz")


def test_npz_test_with_other_feature_count(tmp_path):
    np.savez(tmp_path / "d.npz", X=X, y=Y_INT, X_test=np.ones((2, 3)), y_test=np.ones(2))
    raises("the test set has 3 features.*training set has 2", "data", load_file, tmp_path / "d.npz")


def test_npz_object_array_refused(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.array([[1, "a"]], dtype=object), y=np.ones(1))
    raises("pickled", "data", load_file, tmp_path / "d.npz")


def test_npz_test_labels_length_mismatch(tmp_path):
    np.savez(tmp_path / "d.npz", X=X, y=Y_INT, X_test=X, y_test=np.ones(2))
    raises("y_test has 2 rows but the features have 3", "data", load_file, tmp_path / "d.npz")


def test_npz_corrupt(tmp_path):
    write(tmp_path / "d.npz", "not a zip")
    err = raises("corrupt", "data", load_file, tmp_path / "d.npz")
    assert str(tmp_path / "d.npz") in str(err)
    np.savez(tmp_path / "e.npz", X=X, y=Y_INT)
    data = (tmp_path / "e.npz").read_bytes()
    (tmp_path / "f.npz").write_bytes(data[:len(data) // 2])
    raises("corrupt", "data", load_file, tmp_path / "f.npz")


def test_npz_nan_in_test_set(tmp_path):
    np.savez(tmp_path / "d.npz", X=X, y=Y_INT, X_test=np.array([[1.0, np.inf]]), y_test=np.ones(1))
    raises(r"X_test\[0, 1\] is inf", "data", load_file, tmp_path / "d.npz")


# ----------------------------------------------------------------------------------------- memory

@pytest.mark.parametrize("kind", ["csv", "npy", "npz"])
def test_memory_check_names_the_file(tmp_path, monkeypatch, kind):
    write(tmp_path / "d.csv", csv_text(X, Y_INT))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", Y_INT)
    np.savez(tmp_path / "d.npz", X=X, y=Y_INT)
    path = {"csv": tmp_path / "d.csv", "npy": tmp_path / "X.npy", "npz": tmp_path / "d.npz"}[kind]
    monkeypatch.setattr(limits, "available_bytes", lambda: 10)
    err = raises("of memory", "data", load_file, path, labels=tmp_path / "y.npy" if kind == "npy" else None)
    assert str(path) in str(err)


def test_npz_memory_estimate_uses_uncompressed_sizes(tmp_path, monkeypatch):
    np.savez_compressed(tmp_path / "z.npz", X=np.zeros((1000, 100)), y=np.zeros(1000))
    with zipfile.ZipFile(tmp_path / "z.npz") as z:
        unpacked = sum(i.file_size for i in z.infolist())
    assert (tmp_path / "z.npz").stat().st_size < unpacked / 10
    monkeypatch.setattr(limits, "available_bytes", lambda: unpacked)   # enough for the file, not for 1.2x
    raises("of memory", "data", load_file, tmp_path / "z.npz")
    monkeypatch.setattr(limits, "available_bytes", lambda: 2 * unpacked)
    assert load_file(tmp_path / "z.npz")[0].shape == (1000, 100)


def test_a_long_path_is_named_in_full(tmp_path, monkeypatch):
    folder = tmp_path / ("a_rather_long_folder_name_" * 4)
    folder.mkdir()
    path = write(folder / "d.csv", "a,b,y\n1,x,3\n")
    assert len(str(path)) > 80
    assert str(path) in str(raises("row 2, column 'b'", "data", load_file, path))
    monkeypatch.setattr(limits, "available_bytes", lambda: 10)
    assert str(path) in str(raises("of memory", "data", load_file, path))

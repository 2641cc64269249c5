"""Seed 001: the 1D data set, kinks, the explicit interpolant (Q2), the zero initialisation (Q4),
the relu-1d experiment at quick size, and the from-scratch notebook against the library."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

import twolayer as tl
from twolayer.analysis import kinks, relu_interpolant
from twolayer.cli import main
from twolayer.data.relu_1d import read_xy_csv

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_csv_files_hold_exactly_the_generated_data():
    X, y, Xt, yt = tl.data.relu_1d()
    assert X.shape == (30, 1) and Xt.shape == (300, 1)
    for (x_ref, y_ref), split in (((X[:, 0], y), "train"), ((Xt[:, 0], yt), "test")):
        x, v = read_xy_csv(NOTEBOOKS / "data" / f"{split}.csv")
        np.testing.assert_array_equal(x, x_ref)
        np.testing.assert_array_equal(v, y_ref)
    X2, y2, _, _ = tl.data.relu_1d(data_dir=NOTEBOOKS / "data")
    np.testing.assert_array_equal(X2, X)
    # the noise is what the README says: residuals of the train+test samples around f*
    res = np.r_[y - tl.data.relu_1d_target(X[:, 0]), yt - tl.data.relu_1d_target(Xt[:, 0])]
    assert np.std(res) == pytest.approx(0.15, rel=0.15)


def test_missing_data_folder_names_the_files(tmp_path):
    with pytest.raises(tl.InvalidParameter, match="train.csv"):
        tl.data.relu_1d(data_dir=tmp_path)


@pytest.mark.parametrize("scaling", ["mean-field", "ntk", "none"])
def test_relu_interpolant_fits_random_data_exactly(scaling):
    rng = np.random.default_rng(7)
    for n in (1, 2, 3, 25):
        x, y = rng.uniform(-3, 3, n), rng.standard_normal(n)
        net = relu_interpolant(x, y, width=n + 5, scaling=scaling)
        assert net.m == n + 5
        np.testing.assert_allclose(net(x[:, None]), y, rtol=0, atol=1e-11)
        # piecewise linear between the data: the midpoint of two neighbours is their average
        if n > 1:
            o = np.argsort(x)
            mid = 0.5 * (x[o][:-1] + x[o][1:])
            np.testing.assert_allclose(net(mid[:, None]), 0.5 * (y[o][:-1] + y[o][1:]), atol=1e-11)


def test_relu_interpolant_rejects_contradicting_labels_and_too_few_neurons():
    with pytest.raises(tl.InvalidParameter, match="appears twice"):
        relu_interpolant([0.0, 1.0, 0.0], [1.0, 2.0, 3.0])
    net = relu_interpolant([0.0, 1.0, 0.0], [1.0, 2.0, 1.0])   # repeated with the same label is fine
    np.testing.assert_allclose(net(np.array([[0.0], [1.0]])), [1.0, 2.0], atol=1e-12)
    with pytest.raises(tl.InvalidParameter, match="width"):
        relu_interpolant([0.0, 1.0, 2.0], [0.0, 1.0, 0.0], width=2)


def test_kinks_merge_close_ones_and_drop_cancelling_pairs():
    # neurons 0, 1 bend at 0.5 and 0.501 (merged); 2 and 3 bend at -1 in opposite directions (cancel);
    # neuron 4 has a negligible outer weight; neuron 5 lies outside the interval; neuron 6 is constant
    a = np.array([1.0, 1.0, 2.0, -2.0, 1e-6, 1.0, 3.0])
    b = np.array([1.0, -1.0, 1.0, -1.0, 1.0, 1.0, 0.0])
    c = np.array([-0.5, 0.501, 1.0, -1.0, 0.2, -5.0, 1.0])
    net = tl.Net(a, b[:, None], c, "relu", "none")
    k = kinks(net, (-2.0, 2.0))
    np.testing.assert_allclose(k, [0.5005])
    # the slope of f really jumps by sum a_j |b_j| at the merged kink, and not at -1
    h = 1e-6
    slope = lambda x0: (net(np.array([[x0 + h]])) - net(np.array([[x0 - h]])))[0] / (2 * h)
    assert slope(0.7) - slope(0.3) == pytest.approx(2.0, rel=1e-6)
    assert slope(-0.9) - slope(-1.1) == pytest.approx(0.0, abs=1e-6)
    assert len(kinks(net, (-2.0, 2.0), merge=0.0)) == 2


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_zero_initialisation_is_stationary_for_gd_and_sgd(engine):
    X, y, _, _ = tl.data.relu_1d()
    net = tl.init_net(1, 50, "relu", "mean-field", bias=True, init="zero")
    for opt in (tl.GD(2.0), tl.SGD(2.0, 5)):
        run = tl.train(net, X, y, optimizer=opt, steps=300, engine=engine, quiet=True)
        assert np.all(run.final.theta == 0.0)
        assert run.grad_norm[-1] == 0.0
        assert run.train_loss[-1] == pytest.approx(0.5 * np.mean(y ** 2), rel=1e-14)


def test_relu_1d_experiment_quick(quick_results):
    out, m = quick_results("relu-1d")
    for key in ("gd_vs_sgd_test_loss", "init_scale_test_loss", "n_kinks", "features_test_loss", "width_test_loss",
                "lr_final_train_loss", "wd_n_kinks"):
        assert key in m
    assert list(m["gd_vs_sgd_test_loss"]) == ["GD", "SGD, batch 1", "SGD, batch 5", "SGD, batch 15"]
    nk = np.array(m["n_kinks"])
    assert nk[0, 0] < nk[-1, -1]                      # small scales: few kinks; large: many
    assert m["lr_bound_from_hessian"] == pytest.approx(2.0 / m["lambda_max_init"])
    assert m["lr_diverged"][-1] and not m["lr_diverged"][0]
    assert m["largest_stable_lr_measured"] > m["lr_bound_from_hessian"]   # the catapult range
    assert m["wd_param_norm"][-1] < m["wd_param_norm"][0] and m["wd_n_kinks"][-1] < m["wd_n_kinks"][0]
    assert m["width_train_loss"][0] > 2 * min(m["width_train_loss"])   # m = 5 is too narrow
    for name in ("a_gd_vs_sgd", "b_init_scale", "c_frozen_inner", "d_width", "e_step_size", "f_weight_decay"):
        assert (out / "figures" / f"{name}.png").exists()


# -- (a) GD vs SGD over seeds -------------------------------------------------------------------------
def test_gd_vs_sgd_sentence_follows_the_numbers_both_ways():
    from twolayer.experiments.relu_1d import gd_vs_sgd_sentence

    gd = [0.020, 0.022, 0.024]
    low = {"GD": gd, "SGD, batch 1": [0.010, 0.011, 0.012], "SGD, batch 5": [0.008, 0.009, 0.0095]}
    text = gd_vs_sgd_sentence(low)
    assert text.startswith("SGD ends at a lower training loss than GD at every batch size")
    assert "SGD, batch 1 -50%" in text                 # 0.011 / 0.022 - 1
    assert "the difference exceeds the seed spread" in text
    high = {"GD": [0.010, 0.011, 0.012], "SGD, batch 1": [0.020, 0.022, 0.024]}
    text = gd_vs_sgd_sentence(high)
    assert text.startswith("GD ends at a lower training loss than SGD at every batch size") and "+100%" in text
    overlap = {"GD": [0.010, 0.020, 0.030], "SGD, batch 1": [0.015, 0.018, 0.021]}
    text = gd_vs_sgd_sentence(overlap)
    assert "SGD ends at a lower" in text and "these seeds do not order the two" in text
    mixed = {"GD": gd, "SGD, batch 1": [0.010, 0.011, 0.012], "SGD, batch 15": [0.021, 0.023, 0.025]}
    text = gd_vs_sgd_sentence(mixed)
    assert text.startswith("SGD ends lower than GD with SGD, batch 1 and higher with SGD, batch 15")
    assert "only SGD, batch 1 lies outside GD's seed range" in text
    # an excluded (NaN) run is left out of the spread, not counted as a number
    assert "batch 1 -50%" in gd_vs_sgd_sentence({"GD": gd, "SGD, batch 1": [0.010, 0.011, 0.012, float("nan")]})


def test_noise_sentence_follows_the_numbers():
    from twolayer.experiments.relu_1d import noise_sentence

    assert "noisier than GD's at every batch size" in noise_sentence({"GD": [0.001, 0.001], "SGD, batch 1": [0.3, 0.4]})
    assert "not noisier than GD's" in noise_sentence({"GD": [0.01, 0.01], "SGD, batch 1": [0.012, 0.011]})


def test_end_noise_measures_fluctuation_around_the_trend():
    from twolayer.experiments.relu_1d import end_noise
    from twolayer.trajectory import Trajectory

    steps = np.arange(0, 1001, 10)
    rng = np.random.default_rng(0)
    smooth = np.exp(-steps / 500)
    noisy = smooth * np.exp(0.1 * rng.standard_normal(steps.size))
    make = lambda loss: Trajectory(steps, steps * 1.0, loss, loss, loss, tl.Net(np.ones(1), np.ones((1, 1)), None))
    assert end_noise(make(smooth), 1, 1000) < 1e-12          # log L exactly linear: no fluctuation
    assert end_noise(make(noisy), 1, 1000) == pytest.approx(0.1, rel=0.4)


def test_relu_1d_gd_vs_sgd_is_multi_seed_with_its_conclusion_computed(quick_results):
    from twolayer.analysis import spread
    from twolayer.experiments.relu_1d import gd_vs_sgd_sentence

    _, m = quick_results("relu-1d")
    final = m["gd_vs_sgd_train_loss"]
    assert m["gd_vs_sgd_seeds"] == [0, 1, 2]
    assert all(len(v) == 3 for v in final.values())
    assert len({round(v, 12) for v in final["GD"]}) == 3           # three different initialisations
    for k, v in final.items():
        assert m["gd_vs_sgd_train_spread"][k]["sd"] == pytest.approx(np.std(v, ddof=1))
        assert m["gd_vs_sgd_train_spread"][k] == spread(v)
    assert m["gd_vs_sgd_conclusion"] == gd_vs_sgd_sentence(final)
    assert all(s == "ok" for v in m["gd_vs_sgd_health"].values() for s in v) == (m["gd_vs_sgd_excluded"] == [])
    # the old caption claimed the opposite of what these runs show: SGD ends lower here
    lower = np.mean(final["SGD, batch 5"]) < np.mean(final["GD"])
    assert m["gd_vs_sgd_conclusion"].startswith("SGD ends at a lower") == (
        lower and all(np.mean(v) < np.mean(final["GD"]) for k, v in final.items() if k != "GD"))


# -- (f) kinks relative to the predictor's range -------------------------------------------------------
def test_kink_count_is_relative_to_the_predictors_range():
    from twolayer.experiments.relu_1d import kink_count

    X = np.linspace(-2, 2, 30)[:, None]
    y = np.sin(3 * X[:, 0])
    near_zero = tl.Net(np.array([1e-6, 3e-7]), np.array([[1.0], [1.0]]), np.array([0.0, -1.0]), "relu", "none")
    assert len(kinks(near_zero, (-2.0, 2.0))) == 2       # the old count: two kinks of a function ~0 everywhere
    info = kink_count(near_zero, X, y)
    assert info["constant"] and info["n"] == 0 and info["range"] == pytest.approx(1e-6 * 2 + 3e-7 * 1)
    # a genuine one-kink network, with a negligible second kink (moves f by 1e-4 of its range)
    one = tl.Net(np.array([1.0, 1e-4]), np.array([[1.0], [1.0]]), np.array([0.0, -1.0]), "relu", "none")
    info = kink_count(one, X, y)
    assert not info["constant"] and info["n"] == 1 and info["positions"] == [pytest.approx(0.0)]
    assert info["range"] == pytest.approx(2.0 + 1e-4)
    # small kinks on a large linear trend: equal to each other (the old rule counts both), small for f
    trend = tl.Net(np.array([1.0, 0.002, 0.002]), np.array([[1.0], [1.0], [1.0]]), np.array([3.0, 0.0, -1.0]),
                   "relu", "none")
    assert len(kinks(trend, (-2.0, 2.0))) == 2
    assert kink_count(trend, X, y)["n"] == 0
    assert kink_count(trend, X, y, tol=1e-4)["n"] == 2


def test_weight_decay_sentence_says_when_the_predictor_is_constant():
    from twolayer.experiments.relu_1d import weight_decay_sentence

    lams = [0.0, 1e-4, 1e-3]
    flat = weight_decay_sentence(lams, [7, 4, "constant"], [58.0, 35.0, 3.1], [0.02, 0.06, 0.21], 0.22)
    assert "7 -> constant" in flat and "at lambda = 0.001 the predictor is constant" in flat and "underfits" in flat
    assert "prunes neurons" in flat
    kept = weight_decay_sentence(lams, [7, 6, 5], [58.0, 50.0, 45.0], [0.02, 0.025, 0.03], 0.22)
    assert "constant" not in kept and "underfits" not in kept and "prunes neurons" in kept
    grows = weight_decay_sentence(lams, [5, 6, 7], [45.0, 50.0, 58.0], [0.02, 0.02, 0.02], 0.22)
    assert "no shrinkage" in grows and "prunes" not in grows


def test_relu_1d_reports_the_zero_predictor_of_large_weight_decay_as_constant(quick_results):
    _, m = quick_results("relu-1d")
    X, y, _, _ = tl.data.relu_1d()
    rng = np.ptp(y)
    for n, flat, width in zip(m["wd_n_kinks"], m["wd_constant"], m["wd_predictor_range"]):
        assert flat == (width <= 0.01 * rng) and (n == 0 if flat else n >= 1)
    assert m["wd_constant"][-1] and m["wd_n_kinks"][-1] == 0       # lambda = 1e-3: f ~ 0 (was "1 kink")
    assert "predictor is constant" in m["wd_conclusion"]


# -- data_dir ---------------------------------------------------------------------------------------
TINY = ["epochs=300", "seeds=2", "batch_sizes=10", "scales=1", "rf_width=20", "widths=5,10", "width_epochs=100",
        "lr_steps=100", "lr_factors=0.3,300", "bisections=1", "weight_decays=0,0.001", "zero_steps=20", "width=20"]


def test_relu_1d_reads_the_course_data_folder(tmp_path):
    from twolayer.data.relu_1d import write_xy_csv

    folder = tmp_path / "data"
    x = np.linspace(-1.5, 1.5, 12)
    y = np.abs(x) - 0.5
    xt = np.linspace(-1.4, 1.4, 7)
    write_xy_csv(folder / "train.csv", x, y)
    write_xy_csv(folder / "test.csv", xt, np.abs(xt) - 0.5)
    out = tmp_path / "r"
    args = ["run", "relu-1d", "--quiet", "--out", str(out), "--set", f"data_dir={folder}"]
    for item in TINY:
        args += ["--set", item]
    assert main(args) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["n_train"] == 12 and m["n_test"] == 7 and str(folder) in m["data_source"]
    assert m["q4_loss_zero"] == pytest.approx(0.5 * np.mean(y ** 2), rel=1e-12)
    assert m["q2_kstar"] == 1                      # |x| - 0.5 bends once
    assert json.loads((out / "config.json").read_text())["data_dir"] == str(folder)


def test_relu_1d_missing_data_folder_is_one_line_naming_data_dir(tmp_path, capsys):
    code = main(["run", "relu-1d", "--quick", "--quiet", "--out", str(tmp_path / "r"),
                 "--set", f"data_dir={tmp_path / 'nowhere'}"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "data_dir" in err and "no such folder" in err
    assert not (tmp_path / "r").exists()


def test_relu_1d_refuses_batches_larger_than_the_data_folders_training_set(tmp_path, capsys):
    from twolayer.data.relu_1d import write_xy_csv

    x = np.linspace(-1, 1, 8)
    write_xy_csv(tmp_path / "d" / "train.csv", x, x ** 2)
    write_xy_csv(tmp_path / "d" / "test.csv", x, x ** 2)
    code = main(["run", "relu-1d", "--quick", "--quiet", "--out", str(tmp_path / "r"),
                 "--set", f"data_dir={tmp_path / 'd'}"])                 # batch sizes 1, 5, 15 > 8 points
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "batch_sizes" in err and "8 training points" in err


# -- the two-page report --------------------------------------------------------------------------
def _pdf_text(raw: bytes) -> str:
    """The text strings of a matplotlib PDF's content streams (images skipped), one per TJ/Tj operator."""
    import zlib

    out = []
    for match in re.finditer(rb"stream\r?\n", raw):
        if b"/Image" in raw[raw.rfind(b" obj", 0, match.start()):match.start()]:     # this object's dictionary
            continue
        end = raw.find(b"endstream", match.end())
        try:
            content = zlib.decompress(raw[match.end():end].rstrip(b"\r\n"))
        except zlib.error:
            continue
        for block in re.findall(rb"BT\b(.*?)\bET\b", content, re.S):
            for op in re.findall(rb"\[((?:\((?:\\.|[^\\)])*\)|[^\]()])*)\]\s*TJ|(\((?:\\.|[^\\)])*\))\s*Tj", block):
                parts = re.findall(rb"\(((?:\\.|[^\\)])*)\)", op[0] or op[1])
                out.append(b"".join(re.sub(rb"\\(.)", rb"\1", p) for p in parts).decode("latin-1"))
    return "\n".join(out)


def test_relu_1d_writes_a_two_page_a4_report_with_the_answers_and_this_runs_numbers(quick_results):
    from twolayer.experiments.relu_1d_report import pdf_page_count

    out, m = quick_results("relu-1d")
    pdf = out / "report.pdf"
    raw = pdf.read_bytes()
    assert 1 <= pdf_page_count(pdf) <= 2 and len(re.findall(rb"/Type\s*/Page\b", raw)) == pdf_page_count(pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", raw)
    assert boxes and all(round(float(w)) == 595 and round(float(h)) == 842 for w, h in boxes)
    text = _pdf_text(raw)
    for heading in ("Q1. Is ReLU", "Q2. Does an interpolating", "Q3. Is L convex?", "Q4. What do GD and SGD do"):
        assert heading in text
    for k in "abcdef":
        assert f"({k}) " in text                  # every direction's figure caption
    flat = text.replace("\n", " ")
    # the answers quote this run's numbers, formatted from the metrics (not typed)
    assert f"L(0) = (1/2n) sum y_i^2 = {m['q4_loss_zero']:.4g}" in flat
    assert f"K* = {m['q2_kstar']}" in flat
    assert f"{m['q3_loss_mid']:.3g}" in flat
    assert not (out / "figures.pdf").exists()     # the report replaces the figures-only sheet


def test_relu_1d_theory_numbers_agree_with_independent_computations(quick_results):
    from twolayer.experiments.relu_1d_report import min_interior_kinks

    _, m = quick_results("relu-1d")
    X, y, _, _ = tl.data.relu_1d()
    assert m["q4_loss_zero"] == pytest.approx(0.5 * np.mean(y ** 2), rel=1e-12)
    assert m["q4_gd_norm"] == 0.0 and m["q4_sgd_norm"] == 0.0                 # Q4: w = 0 does not move
    assert m["q4_gd_loss"] == pytest.approx(m["q4_loss_zero"], rel=1e-14)
    assert m["q4_outer_zero_loss"] < 0.99 * m["q4_loss_zero"]                 # a = 0 alone escapes
    assert m["q2_kstar"] == min_interior_kinks(X[:, 0], y)
    assert m["q2_kstar"] <= m["q2_sparse_width"] <= m["q2_kstar"] + 2 and m["q2_sparse_error"] < 1e-9
    assert m["q2_dense_error"] < 1e-9 and m["q2_gap"] > 0                     # two different interpolants
    assert m["q3_loss"] == pytest.approx(m["q3_loss_swapped"], rel=1e-12)     # the swap keeps f
    assert m["q3_loss"] == pytest.approx(m["gd_vs_sgd_train_loss"]["GD"][0], rel=1e-9)
    assert m["q3_loss_mid"] > m["q3_loss"]                                    # a convexity violation


# -- Q2: the fewest kinks and an interpolant that attains them ------------------------------------------
def test_sparse_interpolant_fits_with_the_fewest_kinks():
    from twolayer.experiments.relu_1d_report import min_interior_kinks, needed_width, sparse_interpolant

    rng = np.random.default_rng(3)
    for n in (2, 3, 4, 7, 30):
        for _ in range(20):
            x, y = rng.uniform(-2, 2, n), rng.standard_normal(n)
            net = sparse_interpolant(x, y)
            np.testing.assert_allclose(net(x[:, None]), y, atol=1e-9)
            k = min_interior_kinks(x, y)
            assert len(kinks(net, (x.min() + 1e-9, x.max() - 1e-9), merge=0.0, rel_tol=0.0)) == k
            assert k + 1 <= needed_width(net) <= k + 2
    # closed forms: convex data need ceil((n - 2) / 2) kinks, a zigzag needs one per interior point
    for n in (5, 6, 11):
        x = np.linspace(-1, 1, n)
        assert min_interior_kinks(x, x ** 2) == (n - 1) // 2
        assert min_interior_kinks(x, (-1.0) ** np.arange(n)) == n - 2
        net = sparse_interpolant(x, x ** 2, width=50)
        assert net.m == 50
        np.testing.assert_allclose(net(x[:, None]), x ** 2, atol=1e-12)
    assert min_interior_kinks([0.0, 1.0, 2.0], [0.0, 1.0, 2.0]) == 0           # collinear: no kink needed


def test_swap_midpoint_shows_the_loss_is_not_convex():
    from twolayer.experiments.relu_1d_report import swap_midpoint_loss

    rng = np.random.default_rng(5)
    x, y = rng.uniform(-2, 2, 12), rng.standard_normal(12)
    net = relu_interpolant(x, y)
    res = swap_midpoint_loss(net, x[:, None], y)
    assert res["loss"] < 1e-20 and res["loss_swapped"] < 1e-20 and res["loss_mid"] > 1e-3


def test_theory_answers_follow_their_numbers():
    from twolayer.experiments.relu_1d_report import q2_text, q3_text, q4_text

    q3 = {"loss": 0.02, "loss_swapped": 0.02, "loss_mid": 0.6, "epochs": 100, "final_loss": 0.02,
          "decade_ratio": 4.0, "grad_norm": 1e-3}
    assert "convexity fails" in q3_text(q3) and "still descending" in q3_text(q3)
    q3.update(loss_mid=0.01, decade_ratio=1.01)
    assert "found no violation" in q3_text(q3) and "nearly stopped" in q3_text(q3)
    q4 = {"steps": 10, "gd_norm": 0.0, "sgd_norm": 0.0, "gd_loss": 0.2, "sgd_loss": 0.2, "loss_zero": 0.2,
          "outer_zero_loss": 0.1}
    assert "||w|| = 0 and 0" in q4_text(q4)
    assert "the runs moved" in q4_text({**q4, "gd_norm": 0.5})
    q2 = {"n": 30, "kstar": 24, "sparse_width": 25, "sparse_error": 1e-14, "dense_error": 1e-14, "gap": 0.2}
    assert "no w* exists for m < 24" in q2_text(q2) and "24 or 25" in q2_text(q2)
    assert "exactly 24" in q2_text({**q2, "sparse_width": 24})


def test_notebook_runs_headless_and_agrees_with_the_library():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOKS / "ReLU.ipynb", as_version=4)
    for cell in nb.cells:
        assert cell.cell_type != "code" or not re.search(r"^\s*(import|from)\s+(twolayer|torch|jax|tensorflow)",
                                                          cell.source, re.M)
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = "QUICK = True"
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    check = next(c for c in nb.cells if "check" in c.metadata.get("tags", []))
    text = "".join(o.get("text", "") for o in check.outputs)
    value = float(re.search(r"CHECK_FINAL_GD_LOSS = ([-+.eE0-9]+)", text).group(1))
    # the same configuration in twolayer's reference engine: m = 20, variances 1, seed 3, step 0.02 m, 500 GD steps
    X, y, _, _ = tl.data.relu_1d()
    net = tl.init_net(1, 20, "relu", "mean-field", bias=True, init="gaussian", scale=1.0, outer_scale=1.0,
                      scale_as="variance", seed=3)
    run = tl.train(net, X, y, optimizer=tl.GD(0.02 * 20), steps=500, engine="numpy", quiet=True)
    assert value == pytest.approx(run.train_loss[-1], rel=1e-10)
    assert run.train_loss[-1] < 0.9 * run.train_loss[0]     # the check is not a trivial point

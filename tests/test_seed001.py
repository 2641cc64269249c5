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


def test_relu_1d_experiment_quick(tmp_path):
    out = tmp_path / "r"
    assert main(["run", "relu-1d", "--quick", "--quiet", "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())
    for key in ("gd_vs_sgd_test_loss", "init_scale_test_loss", "n_kinks", "features_test_loss", "width_test_loss",
                "lr_final_train_loss", "wd_n_kinks"):
        assert key in m
    assert len(m["gd_vs_sgd_test_loss"]) == 4
    nk = np.array(m["n_kinks"])
    assert nk[0, 0] < nk[-1, -1]                      # small scales: few kinks; large: many
    assert m["lr_bound_from_hessian"] == pytest.approx(2.0 / m["lambda_max_init"])
    assert m["lr_diverged"][-1] and not m["lr_diverged"][0]
    assert m["largest_stable_lr_measured"] > m["lr_bound_from_hessian"]   # the catapult range
    assert m["wd_param_norm"][-1] < m["wd_param_norm"][0] and m["wd_n_kinks"][-1] < m["wd_n_kinks"][0]
    assert m["width_train_loss"][0] > 2 * min(m["width_train_loss"])   # m = 5 is too narrow
    pdf = (out / "figures.pdf").read_bytes()
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 2
    for name in ("a_gd_vs_sgd", "b_init_scale", "c_frozen_inner", "d_width", "e_step_size", "f_weight_decay"):
        assert (out / "figures" / f"{name}.png").exists()


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

"""Seed 004 building blocks: p-orthogonality, max-margin and minimum-norm solutions, stable rank."""

import numpy as np
import pytest

import twolayer as tl
from twolayer.analysis import max_margin, min_norm_interpolator, p_orthogonality, stable_rank


def test_p_orthogonality_closed_forms():
    assert p_orthogonality(np.eye(4)) == np.inf
    # rows (1, 0), (e, 1): R_min^2 = 1, R^2 = 1 + e^2, n = 2, max |<x_i, x_j>| = e
    e = 0.1
    assert p_orthogonality(np.array([[1.0, 0.0], [e, 1.0]])) == pytest.approx(1.0 / ((1 + e * e) * 2 * e))
    with pytest.raises(tl.InvalidParameter, match="R_min"):
        p_orthogonality(np.array([[0.0, 0.0], [1.0, 0.0]]))


def kkt_residual(X, y, w, s):
    """Largest violation of the KKT conditions of the max-margin program."""
    margins = y * (X @ w)
    return max(np.abs(w - X.T @ (s * y)).max(), max(0.0, 1.0 - margins.min()), np.abs(s * (margins - 1.0)).max(),
               max(0.0, -s.min()))


@pytest.mark.parametrize("n,d", [(8, 40), (40, 3)])
def test_max_margin_satisfies_kkt(n, d):
    rng = np.random.default_rng(n)
    X = rng.standard_normal((n, d))
    y = np.sign(X @ rng.standard_normal(d))
    w, s = max_margin(X, y)
    assert kkt_residual(X, y, w, s) < 1e-6 * max(1.0, np.abs(w).max())


def test_max_margin_equals_min_norm_for_p_orthogonal_data_but_not_always():
    rng = np.random.default_rng(0)
    n, d = 6, 60
    Q, _ = np.linalg.qr(rng.standard_normal((d, n)))
    X = Q.T * rng.uniform(1.0, 1.2, (n, 1)) + 0.002 * rng.standard_normal((n, d))
    y = np.sign(rng.standard_normal(n))
    assert p_orthogonality(X) >= 3
    w_mm, s = max_margin(X, y)
    w_mni = min_norm_interpolator(X, y)
    assert np.linalg.norm(w_mm - w_mni) <= 1e-10 * np.linalg.norm(w_mm)
    assert s.min() > 0
    # part 3: x1 = (1, 0), x2 = (3, 1), y = (1, 1): w_MNI = (1, -2) but w_MM = (1, 0)
    X, y = np.array([[1.0, 0.0], [3.0, 1.0]]), np.array([1.0, 1.0])
    np.testing.assert_allclose(min_norm_interpolator(X, y), [1.0, -2.0], atol=1e-12)
    np.testing.assert_allclose(max_margin(X, y)[0], [1.0, 0.0], atol=1e-10)


def test_non_separable_data_is_an_error():
    X, y = np.array([[1.0, 0.0], [2.0, 0.0]]), np.array([1.0, -1.0])
    with pytest.raises(tl.InvalidParameter, match="separable"):
        max_margin(X, y)


def test_stable_rank_examples_of_the_sheet():
    d = 7
    for eps in (0.0, 0.3, 1.0):
        assert stable_rank(np.diag([1.0] * (d - 1) + [eps])) == pytest.approx(d - 1 + eps ** 2)
    assert stable_rank(np.diag([1.0] + [np.exp(-d)] * (d - 1))) == pytest.approx(1 + (d - 1) * np.exp(-2 * d))
    assert stable_rank(np.zeros((3, 2))) == 0.0
    # a Gaussian matrix: order min(m, d) (Problem 3.1)
    G = np.random.default_rng(1).standard_normal((300, 200))
    assert 0.25 * 200 < stable_rank(G) <= 200


def test_stable_rank_one_step_experiment(tmp_path):
    import json

    from twolayer.cli import main

    out = tmp_path / "sr"
    assert main(["run", "stable-rank-one-step", "--quick", "--quiet", "--out", str(out), "--set", "ms=40,160",
                 "--set", "ds=1000,4000", "--set", "sigmas=1e-7,1e-2"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    sr0 = np.array(m["stable_rank_w0"])
    assert sr0[-1, -1] > 0.3 * 160                  # Gaussian W_0: order min(m, d)
    assert m["max_stable_rank_w1"] < 2.0             # one step: a constant, whatever m and d
    by0, by1 = m["stable_rank_w0_by_sigma"], m["stable_rank_w1_by_sigma"]
    assert by1[0] < 2.0 and by1[-1] > 0.9 * by0[-1]  # the collapse needs a small initialisation

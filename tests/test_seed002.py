"""Seed 002 (issue 19): identity (6) checked numerically, the sheet's Unif([-1, 1]) outer weights,
headline slopes over several seeds with their spread, and sentences that follow the numbers."""

import numpy as np
import pytest

from twolayer.activations import get_activation
from twolayer.analysis import hessian_matrix, spread
from twolayer.cli import main
from twolayer.experiments import hessian_scaling as hs
from twolayer.experiments.ntk_concentration import (hoeffding_sentence, lambda_sentence, per_seed_slopes,
                                                    slope_sentence, sphere_points)
from twolayer.objective import Objective


def small_net(outer="uniform", p=16, d=5, seed=0):
    cfg = hs.Config(d=d, outer=outer)
    return hs.network(cfg, p, seed, stage=1), sphere_points(1, d, 7)[0]


def sech4_mean():
    """E[tanh'(z)^2] for z ~ N(0, 1), by Gauss-Hermite quadrature."""
    z, w = np.polynomial.hermite_e.hermegauss(80)
    return float(w @ get_activation("tanh").df(z, 0.0) ** 2 / np.sqrt(2 * np.pi))


# -- Ex2(a): identity (6) -------------------------------------------------------------------------
def test_the_experiment_checks_identity_6_at_round_off_and_finite_difference_level(quick_results):
    _, m = quick_results("hessian-scaling")
    assert set(m["identity_rel_error_exact"]) == set(hs.PHIS) == set(m["identity_rel_error_fd"])
    assert max(m["identity_rel_error_exact"].values()) < 1e-13       # against the R-operator Hessian of g
    assert max(m["identity_rel_error_fd"].values()) < 1e-6            # against second differences of g
    assert m["identity_holds"] is True


@pytest.mark.parametrize("phi", list(hs.PHIS))
def test_identity_6_against_the_dense_hessian_of_g_in_every_direction(phi):
    """All of H_g (a fixed, so the W block), from the library's dense hessian_matrix of the loss
    ell(f) = phi(f) at one point, against phi'(f) H_f + phi''(f) grad f grad f^T column by column."""
    net, x = small_net(p=6, d=3)
    loss, y, _, _ = hs.PHIS[phi]
    obj = Objective(net, x[None, :], np.array([y]), loss=loss, reduction="sum", trainable=("W",))
    H_g = hessian_matrix(obj, net.theta)                              # (P_W, P_W)
    idx = np.flatnonzero(net.layout.mask(["W"]))
    E = np.zeros((net.layout.size, len(idx)))
    E[idx, np.arange(len(idx))] = 1.0
    T1, T2 = hs.identity_terms(net, x, phi, E)
    assert np.linalg.norm(H_g - (T1 + T2)[idx]) <= 1e-13 * np.linalg.norm(H_g)
    # both terms matter here: leaving either out is far off
    assert np.linalg.norm(H_g - T1[idx]) > 0.05 * np.linalg.norm(H_g)
    assert np.linalg.norm(H_g - T2[idx]) > 0.01 * np.linalg.norm(H_g)


@pytest.mark.parametrize("p", [16, 1024])
def test_the_identity_check_fails_when_a_term_is_left_out(p):
    net, x = small_net(p=p)
    V = hs.check_directions(net, x, np.random.default_rng(0))
    for phi in hs.PHIS:
        full = hs.identity_errors(net, x, phi, V)
        assert full["exact"] < 1e-13 and full["fd"] < 1e-6
        for drop in ("curvature", "rank_one"):
            wrong = hs.identity_errors(net, x, phi, V, drop=drop)
            assert min(wrong["exact"], wrong["fd"]) > 1e-2, (phi, drop, wrong)


def test_the_finite_difference_residual_is_truncation_error_falling_like_h_squared():
    """The FD residual is O(h^2): ten times smaller h gives a residual about 100 times smaller, so
    what is left at FD_STEP is the finite difference's error, not a missing term of (6)."""
    net, x = small_net(p=64)
    V = hs.check_directions(net, x, np.random.default_rng(1))
    for phi in hs.PHIS:
        T1, T2 = hs.identity_terms(net, x, phi, V)
        S = V.T @ (T1 + T2)
        err = [np.linalg.norm(hs.hessian_g_fd(net, x, phi, V, h) - S) / np.linalg.norm(S) for h in (1e-2, 1e-3)]
        assert 60 < err[0] / err[1] < 160, (phi, err)


def test_identity_sentence_follows_the_errors():
    assert "holds numerically" in hs.identity_sentence(1e-15, 1e-7)
    assert "FAILS" in hs.identity_sentence(1e-4, 1e-7)
    assert "FAILS" in hs.identity_sentence(1e-15, 1e-3)


# -- Ex2(b): the sheet's Unif([-1, 1]) -------------------------------------------------------------
def test_outer_weights_default_to_the_sheets_uniform_draw_with_signs_as_option():
    assert hs.Config().outer == "uniform"
    a = hs.network(hs.Config(), 20_000, 0, stage=1).a
    assert np.all(np.abs(a) <= 1) and np.abs(a).min() < 0.01
    assert np.mean(a * a) == pytest.approx(1 / 3, abs=0.01)            # E a^2 = 1/3 for Unif([-1, 1])
    s = hs.network(hs.Config(outer="signs"), 2_000, 0, stage=1).a
    assert set(np.unique(s)) == {-1.0, 1.0}
    assert abs(np.mean(s)) < 0.1                                       # random signs, Unif({-1, +1})


def test_an_unknown_outer_draw_is_refused_with_the_parameter_named(capsys):
    assert main(["run", "hessian-scaling", "--quick", "--quiet", "--set", "outer=gaussian"]) == 2
    err = capsys.readouterr().err
    assert "outer" in err and "uniform" in err and "Traceback" not in err


def test_the_claims_hold_under_the_sheets_draw(quick_results):
    """a ~ Unif([-1, 1]): ||H_W f|| falls like p^(-1/2) (p^(1/2) ||H_W f|| = max_j |a_j sigma''(z_j)|
    rises towards sup |tanh''| = 4/(3 sqrt 3)), ||grad_W f||^2 tends to E[a^2] E[sigma'^2], the
    rank-one term of (6) stays flat while phi'(f) H_f falls."""
    _, m = quick_results("hessian-scaling")
    sup = 4 / (3 * np.sqrt(3))
    assert m["sup_abs_d2"] == pytest.approx(sup, rel=1e-6)
    assert m["hessian_norm_slope_spread"]["mean"] == pytest.approx(-0.5, abs=0.06)
    assert m["hessian_norm_slope_spread"]["n"] == 5
    rescaled = np.array(m["rescaled_hessian_norm_mean"])
    assert np.all(rescaled <= sup + 1e-9) and rescaled[-1] > 0.95 * sup and rescaled[-1] > rescaled[0]
    assert m["grad_norm_sq_mean"][-1] == pytest.approx(sech4_mean() / 3, rel=0.05)
    assert abs(m["phi_term_slope_spread"]["mean"]) < hs.FLAT_SLOPE
    assert m["hessian_term_slope_spread"]["mean"] < -0.3


def test_the_signs_option_draws_plus_minus_one(tmp_path):
    from twolayer.results import run_experiment

    _, m = run_experiment("hessian-scaling", quick=True, out=tmp_path / "signs", quiet=True,
                          overrides={"outer": "signs", "log2_widths": "4,6,8", "seeds": "3",
                                     "log2_train_widths": "6,7", "train_seeds": "2"})
    assert m["outer"] == "signs"
    assert m["grad_norm_sq_mean"][-1] == pytest.approx(sech4_mean(), rel=0.1)    # E a^2 = 1
    assert m["hessian_norm_slope"] == pytest.approx(-0.5, abs=0.05)
    assert m["identity_holds"] is True


# -- headline numbers over seeds, and sentences computed from them ---------------------------------
def test_per_seed_slopes_recover_known_power_laws_and_skip_missing_points():
    x = np.array([16.0, 64.0, 256.0, 1024.0])
    values = np.column_stack([3 * x ** -0.5, 0.1 * x ** -0.4, x ** 0.0])
    values_nan = values.copy()
    values_nan[1, 0] = np.nan
    np.testing.assert_allclose(per_seed_slopes(x, values), [-0.5, -0.4, 0.0], atol=1e-12)
    np.testing.assert_allclose(per_seed_slopes(x, values_nan)[0], -0.5, atol=1e-12)
    one_point = np.full((4, 1), np.nan)
    one_point[0, 0] = 1.0
    assert np.isnan(per_seed_slopes(x, one_point)[0])


def test_slope_sentence_flips_with_the_numbers():
    assert "consistent with the theory's -0.5" in slope_sentence(spread([-0.49, -0.51, -0.50]))
    shallow = slope_sentence(spread([-0.40, -0.41, -0.39]))
    assert "shallower than the theory's -0.5 by 0.100" in shallow and "consistent" not in shallow
    assert "steeper" in slope_sentence(spread([-0.60, -0.61, -0.59]))
    assert "one seed" in slope_sentence(spread([-0.5]))


def test_the_headline_slopes_come_from_several_seeds_with_their_spread(quick_results):
    folder, m = quick_results("ntk-concentration")
    s = m["slope_spread"]
    assert s["n"] == 20 and s["lo"] < s["mean"] < s["hi"] and s["sd"] > 0
    report = (folder / "report.md").read_text()
    assert f"{s['mean']:.3f} +- {s['sd']:.3f} (mean +- sd over 20 seeds)" in report
    assert slope_sentence(s) in report
    folder, h = quick_results("hessian-scaling")
    report = (folder / "report.md").read_text()
    for key, n in (("hessian_norm_slope_spread", 5), ("hessian_norm_all_slope_spread", 5),
                   ("weight_change_slope_spread", 2), ("linearisation_gap_slope_spread", 2)):
        assert h[key]["n"] == n and h[key]["sd"] > 0, key
    assert slope_sentence(h["hessian_norm_slope_spread"]) in report
    assert slope_sentence(h["weight_change_slope_spread"]) in report
    assert hs.linearisation_sentence(h["hessian_term_slope_spread"], h["phi_term_slope_spread"]) in report


def test_linearisation_sentence_flips_with_the_slopes():
    flat, falling = spread([0.01, -0.02]), spread([-0.5, -0.45])
    assert "g does not linearise" in hs.linearisation_sentence(falling, flat)
    both = hs.linearisation_sentence(falling, falling)
    assert "both terms fall" in both and "does not linearise" not in both
    assert "contrary to exercise 2(b)" in hs.linearisation_sentence(flat, flat)


def test_rescaled_sentence_follows_the_numbers():
    rising = hs.rescaled_sentence([16, 1024], [0.6, 0.76], 0.77)
    assert "rises from 0.6000" in rising and "98.7%" in rising and "still growing" in rising
    flat = hs.rescaled_sentence([16, 1024], [0.76, 0.75], 0.77)
    assert "does not rise" in flat and "still growing" not in flat


def test_hoeffding_and_lambda_sentences_flip():
    assert "holds in all 140 draws" in hoeffding_sentence(0, 140, 0.05)
    assert "fails in 14 of 140 draws (10.0%" in hoeffding_sentence(14, 140, 0.05)
    lam = spread([0.038, 0.039, 0.040])
    assert "invertible with high probability" in lambda_sentence(lam, 0.0387, 3, 1024)
    assert "only 2 of 3 draws" in lambda_sentence(lam, 0.0387, 2, 1024)


def test_ntk_concentration_reports_the_bound_and_lambda_min_from_the_numbers(quick_results):
    folder, m = quick_results("ntk-concentration")
    report = (folder / "report.md").read_text()
    assert m["hoeffding_violations"] == 0 and m["draws"] == 7 * 20
    assert hoeffding_sentence(0, 140, 0.05) in report
    assert m["lambda_min_positive_largest_width"] == 20 and m["lambda_min_largest_width"]["n"] == 20
    assert m["lambda_min_largest_width"]["mean"] == pytest.approx(m["lambda_min_limit"], rel=0.1)


def test_a_run_that_blows_up_is_flagged_and_left_out_of_the_slope(tmp_path, monkeypatch):
    from twolayer.results import run_experiment

    real = hs.train_one

    def blows_up(cfg, X, y, Xs, p, seed, ctx):
        out = real(cfg, X, y, Xs, p, seed, ctx)
        if p == 128 and seed == 1:
            out["loss"] = np.array([out["loss"][0], 1e3 * out["loss"][0]])   # nearly diverged
        return out

    monkeypatch.setattr(hs, "train_one", blows_up)
    _, m = run_experiment("hessian-scaling", quick=True, out=tmp_path / "h", quiet=True,
                          overrides={"log2_widths": "4,5", "seeds": "2", "log2_train_widths": "6,7",
                                     "train_seeds": "2"})
    assert m["train_runs_flagged"] == [{"p": 128, "seed": 1, "status": "nearly diverged",
                                        "reason": "the loss rose to 1e+03x its initial value"}]
    assert m["weight_change_slope_spread"]["n"] == 1                  # seed 1 keeps one width: no slope
    report = (tmp_path / "h" / "report.md").read_text()
    assert "p = 128 seed 1: nearly diverged" in report and "excluded" in report

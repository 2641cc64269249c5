"""Seed 004: p-orthogonality, max-margin and minimum-norm solutions, stable rank, the Perceptron-style
proof, and the four experiments' conclusions (computed from their numbers, flipping with them)."""

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


def test_separable_data_has_the_promised_margin():
    X, y, v = tl.data.separable(50, 7, margin=0.2, seed=3)
    assert np.linalg.norm(X, axis=1).max() <= 1.0
    assert (y * (X @ v)).min() >= 1.0
    with pytest.raises(tl.InvalidParameter, match="margin"):
        tl.data.separable(5, 3, margin=1.5)


def leaky_net(seed=1, m=12, d=6, gamma=0.3):
    return tl.init_net(d, m, "leaky_relu", "none", init="fixed_outer", scale=0.5, slope=gamma, seed=seed)


def test_perceptron_direction_certifies_every_W():
    """Part 2: ||V||_F = 1 and y_i <grad f(x_i; W), V> >= c = gamma / ||v||, the directional derivative
    measured by a central difference of f along V, for many random W."""
    from twolayer.analysis import perceptron_direction

    X, y, v = tl.data.separable(30, 6, margin=0.2, seed=0)
    V, c = perceptron_direction(leaky_net(), v)
    assert np.linalg.norm(V) == pytest.approx(1.0)
    assert c == pytest.approx(0.3 / np.linalg.norm(v))
    worst = np.inf
    for seed in range(20):
        net = leaky_net(seed)
        h = 1e-7
        up = tl.Net(net.a, net.W + h * V, None, "leaky_relu", "none", 0.3)
        down = tl.Net(net.a, net.W - h * V, None, "leaky_relu", "none", 0.3)
        worst = min(worst, (y * (up(X) - down(X)) / (2 * h)).min())
    assert worst >= c * (1 - 1e-6)
    with pytest.raises(tl.InvalidParameter, match="leaky-ReLU"):
        perceptron_direction(tl.init_net(6, 4, "relu", "none"), v)


def test_gradient_jump_across_a_kink_matches_its_closed_form():
    from twolayer.analysis import gradient_jump
    from twolayer.objective import Objective

    X, y, _ = tl.data.separable(20, 6, margin=0.2, seed=0)
    net = leaky_net()
    obj = Objective(net, X, y, loss="logistic", reduction="mean", trainable=("W",))
    r = gradient_jump(obj, net.theta, neuron=2, sample=5, eps=[1e-3, 1e-6, 1e-9])
    assert r["across"][-1] * 1e-9 == pytest.approx(r["jump"], rel=1e-5)   # grows like jump / eps
    assert r["inside"].max() < 2 * r["inside"].min()                      # bounded inside a region


def test_p_orthogonality_guarantee_holds_and_has_the_right_rate():
    from twolayer.analysis import p_orthogonality_guarantee

    n, d, delta = 5, 3000, 0.2
    p_lb = p_orthogonality_guarantee(n, d, delta)
    rng = np.random.default_rng(0)
    ps = np.array([p_orthogonality(rng.standard_normal((n, d))) for _ in range(300)])
    assert np.mean(ps >= p_lb) >= 1 - delta
    # large d: sqrt(d) / (n sqrt(2 log(2 n (n - 1) / delta)))
    d = 10 ** 14
    assert p_orthogonality_guarantee(n, d, delta) == pytest.approx(
        np.sqrt(d) / (n * np.sqrt(2 * np.log(2 * n * (n - 1) / delta))), rel=1e-5)


def test_dual_ratio_bound_is_exact_for_orthogonal_data_and_holds_otherwise():
    from twolayer.analysis import dual_ratio_bound

    X = np.diag([1.0, 2.0, 1.5])                     # orthogonal: s_i = 1 / ||x_i||^2, ratio R^2 = 4
    y = np.array([1.0, -1.0, 1.0])
    s = max_margin(X, y)[1]
    np.testing.assert_allclose(s, [1.0, 0.25, 1 / 2.25], rtol=1e-10)
    assert dual_ratio_bound(X) == pytest.approx(4.0)
    rng = np.random.default_rng(2)
    for _ in range(30):
        X = rng.standard_normal((6, 400)) * rng.uniform(0.8, 1.2, (6, 1))
        y = rng.choice([-1.0, 1.0], 6)
        s = max_margin(X, y)[1]
        bound = dual_ratio_bound(X)
        if np.isfinite(bound):
            assert s.max() / s.min() <= bound


# -- max-margin-vs-mni (Problem 2) ------------------------------------------------------------
def test_max_margin_vs_mni_experiment(quick_results):
    _, m = quick_results("max-margin-vs-mni")
    assert m["max_rel_diff_p_ge_3"] < 1e-10
    assert m["prob_p_ge_3"][0] == 0.0 and m["prob_p_ge_3"][-1] == 1.0
    assert m["counterexample_rel_diff"] == pytest.approx(2.0)
    assert m["max_ratio_over_bound"] <= 1.0
    gd = m["gd_one_minus_cos_to_w_mm"]
    assert gd["Gaussian, square"] < 1e-12 and gd["part 3, square"] == pytest.approx(1 - 1 / np.sqrt(5))
    assert "only the logistic loss tends to w_MM; the square loss stops at w_MNI." in m["conclusion_gd"]


def test_max_margin_sentences_follow_the_numbers():
    from twolayer.experiments.max_margin import gd_sentence, necessity_sentence

    gap = 1 - 1 / np.sqrt(5)
    both = {"Gaussian, logistic": 1e-6, "Gaussian, square": 1e-16, "part 3, logistic": 3e-4, "part 3, square": gap}
    text = gd_sentence(both, gap)
    assert "both losses reach the direction w_MM = w_MNI" in text and "only the logistic loss tends to w_MM" in text
    slow = {**both, "Gaussian, logistic": 0.2, "part 3, logistic": 0.05}
    text = gd_sentence(slow, gap)
    assert "not both have reached w_MM within the steps run (logistic still away)" in text
    assert "the logistic loss has not reached w_MM" in text and "only the logistic" not in text
    assert "far from necessary" in necessity_sentence([30, 300], [0.4, 1.0], [0.07, 0.5], 3.0)
    assert "not shown to be loose" in necessity_sentence([300, 3000], [0.5, 1.0], [0.5, 6.0], 3.0)
    assert "No dimension swept" in necessity_sentence([30], [0.4], [0.07], 3.0)


# -- stable-rank-one-step (Problem 3, parts 1-2) ------------------------------------------------
def test_one_step_closed_form_is_the_gd_step_of_train():
    """The experiment's Gram-matrix step equals W_1 W_1^T of tl.train's one GD step, and its stable
    rank that of the explicit W_1, at small and large sigma."""
    from twolayer.data import gaussian_points
    from twolayer.experiments.stable_rank import gram_stable_rank, outer_weights, step_gram

    m, d, n, gamma = 30, 200, 6, 0.5
    X, y = gaussian_points(n, d, std=1 / np.sqrt(d), seed=3)
    for sigma in (1e-6, 1e-2, 0.3):
        net = tl.init_net(d, m, "leaky_relu", "none", init="fixed_outer", scale=sigma, slope=gamma, seed=4)
        run = tl.train(net, X, y, loss="logistic", trainable=("W",), optimizer=tl.GD(1.0), steps=1, record_at=[0, 1],
                       quiet=True)
        Z = np.random.default_rng(4).standard_normal((m, d))
        np.testing.assert_array_equal(run.W[0], sigma * Z)
        np.testing.assert_array_equal(net.a, outer_weights(m))
        G = step_gram(Z @ Z.T, Z @ X.T, X @ X.T, y, sigma, 1.0, gamma)
        np.testing.assert_allclose(G, run.W[1] @ run.W[1].T, rtol=1e-10, atol=1e-12 * np.abs(G).max())
        assert gram_stable_rank(G) == pytest.approx(stable_rank(run.W[1]), rel=1e-10)


def test_stable_rank_quick_dimensions_satisfy_the_hypothesis(quick_results):
    """Every quick (seed, d) draw is p-orthogonal with p >= 3 (the p recomputed from the data), W_0 has
    stable rank of order min(m, d), W_1 a constant, and the sigma sweep shows the small-init condition."""
    from twolayer.data import gaussian_points

    _, m = quick_results("stable-rank-one-step")
    assert len(m["seeds"]) >= 2 and m["p_min"] == 3
    for k, seed in enumerate(m["seeds"]):
        for j, d in enumerate(m["ds"]):
            X, _ = gaussian_points(10, d, std=1 / np.sqrt(d), seed=seed)
            assert m["p_orthogonality"][k][j] == pytest.approx(p_orthogonality(X)) and m["p_orthogonality"][k][j] >= 3
    assert m["left_out"] == [] and all(all(row) for row in m["hypothesis_holds"])
    sr0 = np.array(m["stable_rank_w0_by_seed"])          # (seeds, ms, ds)
    assert (sr0[:, -1, :] > 0.3 * m["ms"][-1]).all()      # Gaussian W_0: order min(m, d) = m
    assert m["max_stable_rank_w1"] < 2.0                   # one step: a constant, whatever m and d
    assert "constant independent of m and d" in m["conclusion_grid"]
    by0, by1 = m["stable_rank_w0_by_sigma"], m["stable_rank_w1_by_sigma"]
    assert by1[0] < 2.0 and by1[-1] > 0.9 * by0[-1]       # the collapse needs a small initialisation
    assert "the collapse needs a small initialisation" in m["conclusion_sigma"]


def test_stable_rank_draws_outside_the_hypothesis_are_left_out_of_the_conclusion():
    from twolayer.experiments.stable_rank import collapse_sentence, excluded_points

    ms, ds, seeds = (50, 400), (1000, 16000), (0, 1)
    sr0 = np.array([[[40.0, 45.0], [300.0, 350.0]]] * 2)       # (S, M, D)
    sr1 = np.array([[[1.1, 1.1], [30.0, 1.1]]] * 2)            # grows with m only where d = 1000
    inside = np.array([[4.0, 6.0], [4.5, 7.0]])
    text = collapse_sentence(ms, ds, sr0, sr1, inside, 3.0, seeds)
    assert "not bounded by a constant" in text and "Left out" not in text
    outside = np.array([[1.07, 6.0], [2.6, 7.0]])              # the old quick grid's d = 1000
    text = collapse_sentence(ms, ds, sr0, sr1, outside, 3.0, seeds)
    assert "constant independent of m and d" in text and "Over the 4 (seed, m, d) points" in text
    assert "Left out: seed 0, d = 1000 (data only 1.07-orthogonal" in text and "seed 1, d = 1000" in text
    assert [e["d"] for e in excluded_points(ds, outside, 3.0, seeds)] == [1000, 1000]
    assert "no conclusion" in collapse_sentence(ms, ds, sr0, sr1, np.full((2, 2), 1.0), 3.0, seeds)


def test_stable_rank_sigma_sentence_flips_with_the_ratios():
    from twolayer.experiments.stable_rank import sigma_sentence

    sigmas = (1e-7, 1e-4, 1e-2)
    text = sigma_sentence(sigmas, [[0.01, 0.03, 0.99], [0.012, 0.04, 1.0]], 100, 32000)
    assert "collapses (ratio <= 0.1) for sigma in {1e-07, 0.0001}" in text and "needs a small initialisation" in text
    text = sigma_sentence(sigmas, [[0.01, 0.03, 0.05], [0.012, 0.04, 0.06]], 100, 32000)
    assert "no sigma swept keeps 0.5 of W_0's rank" in text and "needs a small" not in text
    assert "No sigma swept collapses" in sigma_sentence(sigmas, [[0.6, 0.9, 1.0]], 100, 32000)


def test_stable_rank_heatmap_colour_scale_is_fixed_by_the_range_not_the_noise(quick_results):
    """The colour scale runs from 1 to the largest mean StableRank(W_0) whatever W_1 is, so seed noise
    of StableRank(W_1) (here 1.10 +- 0.005) spans under 1% of it; an autoscaled map would span 100%."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from twolayer.experiments.stable_rank import colour_range, heatmap

    _, m = quick_results("stable-rank-one-step")
    sr0 = np.array(m["stable_rank_w0"])
    assert m["heatmap_colour_range"] == [1.0, pytest.approx(sr0.max())]
    assert colour_range(sr0) == (1.0, pytest.approx(sr0.max()))
    noisy = 1.1 + 0.005 * np.random.default_rng(0).standard_normal((3, 2))
    fig, ax = plt.subplots()
    im = heatmap(ax, (25, 100, 400), (16000, 32000), noisy, np.full((3, 2), 0.005), colour_range(sr0), 3.0)
    shade = im.norm(noisy)
    assert (im.norm.vmin, im.norm.vmax) == (1.0, pytest.approx(sr0.max()))
    assert shade.max() - shade.min() < 0.01
    plt.close(fig)


# -- mnist-stable-rank (Problem 3.3) ------------------------------------------------------------
def _blowup_case(rest):
    """Two sigmas x three seeds at t in (1, 10); the run (sigma = 2, seed 0) climbs 536 -> 9e7 like the
    issue's; ``rest`` is the retained seeds' ratio at sigma = 2."""
    from twolayer.analysis import run_health

    losses = [[np.linspace(2.3, 0.2, 50)] * 3, [np.geomspace(536, 9e7, 50), *[np.linspace(536, 5, 50)] * 2]]
    health = [[run_health(v, blowup=100) for v in row] for row in losses]
    rel = {1: np.ones((2, 3)), 10: np.array([[0.1, 0.12, 0.11], [0.025, *rest]])}
    return health, rel


def test_mnist_blown_up_run_is_flagged_and_left_out_and_the_sentence_flips():
    from twolayer.experiments.mnist_stable_rank import flagged_runs, rank_sentence, retained

    health, rel = _blowup_case((0.3, 0.5))
    assert health[1][0]["status"] == "nearly diverged" and health[1][0]["peak_ratio"] == pytest.approx(9e7 / 536)
    keep = retained(health)
    assert keep.sum() == 5 and not keep[1, 0]
    flagged = flagged_runs((2e-4, 2.0), (0, 1, 2), health, 1.0)
    assert [(f["sigma"], f["seed"], f["status"]) for f in flagged] == [(2.0, 0, "nearly diverged")]
    text = rank_sentence((2e-4, 2.0), (1, 10), rel, keep, 1.0, flagged)
    assert "0.4 +- 0.14 (sigma = 2, 2 seeds)" in text                     # mean of 0.3 and 0.5, not of 0.025 too
    assert "falls (mean ratio <= 0.5) for sigma in {0.0002, 2}" in text
    assert "Left out: sigma = 2, seed 0 (nearly diverged: the loss rose to 1.68e+05x" in text
    health, rel = _blowup_case((0.95, 0.97))
    text = rank_sentence((2e-4, 2.0), (1, 10), rel, retained(health), 1.0, flagged)
    assert "falls (mean ratio <= 0.5) for sigma in {0.0002}" in text
    assert "stays near its start (mean ratio >= 0.9) for sigma in {2}" in text


def test_mnist_movement_sentence_flips():
    from twolayer.experiments.mnist_stable_rank import movement_sentence

    moved, keep = np.array([50.0, 2.0, 0.05, 0.06]), np.ones(4, bool)
    assert "falls where W moves far" in movement_sentence(moved, [0.06, 0.15, 0.99, 1.0], keep)
    assert "does not separate" in movement_sentence(moved, [0.06, 0.99, 0.5, 1.0], keep)
    assert "cannot be compared" in movement_sentence(moved, [0.06, 0.15, 0.99, 1.0], [True, True, False, False])


def test_mnist_quick_runs_are_multi_seed_and_flags_match_the_stored_losses(quick_results):
    """Every sweep run's stored minibatch losses: a run is flagged exactly when its loss rose above
    blowup x its first value (recomputed here from the store), and the means leave flagged runs out."""
    import json

    from twolayer.runstore import load

    folder, m = quick_results("mnist-stable-rank")
    assert m["reached_target"] and len(m["seeds"]) >= 2
    status = {m["lr"]: m["run_status"], m["second_lr"]: m["run_status_second_lr"]}
    seen = 0
    for path in (folder / "store").glob("*.h5"):
        value, meta = load(path)
        if meta["name"] != "sweep":
            continue
        st = json.loads(meta["settings_json"])
        i, k = m["sigmas"].index(st["sigma"]), m["seeds"].index(st["seed"])
        peak = value["losses"].max() / value["losses"][0]
        expected = "ok" if peak <= 100 and np.isfinite(value["losses"]).all() else "nearly diverged"
        assert status[st["lr"]][i][k] == expected
        seen += 1
    assert seen == 2 * len(m["sigmas"]) * len(m["seeds"])
    T = str(m["T"])
    for i, row in enumerate(m["run_status"]):
        kept = [v for v, s in zip(m["relative_stable_rank_by_seed"][T][i], row) if s == "ok"]
        assert m["relative_stable_rank"][T][i] == (pytest.approx(np.mean(kept)) if kept else None)
    assert ("Left out:" in m["conclusion"]) == bool(m["flagged_runs"])
    assert all(0.8 < v < 1.2 for v in m["relative_stable_rank"]["1"])     # one SGD step barely changes the rank


# -- perceptron-convergence (Problem 1) -------------------------------------------------------
def test_perceptron_convergence_inequalities_hold_at_every_step(quick_results):
    _, m = quick_results("perceptron-convergence")
    assert len(m["seeds"]) >= 2 and m["runs"] == len(m["seeds"]) * len(m["step_sizes"])
    assert min(m["min_slack_H"]) >= 0 and min(m["min_ratio_H"]) >= 1.0
    assert min(m["min_slack_F"]) >= 0
    for k in range(len(m["seeds"])):                          # larger steps, lower loss, in every seed
        col = [row[k] for row in m["final_loss_by_seed"]]
        assert all(a > b for a, b in zip(col, col[1:]))
    assert all(v is not None for v in m["steps_to_G_below_level"][-1])
    assert m["smoothness_ratio_max"] > 1e6
    assert "holds at every step" in m["conclusion_inequalities"]


def test_perceptron_sentences_flip_with_the_numbers():
    from twolayer.experiments.perceptron import inequality_sentence, speed_sentence

    assert "(the inequality holds at every step)" in inequality_sentence([[4.0, 5.0]], [[0.1, 2.0]])
    text = inequality_sentence([[4.0, 0.7]], [[0.1, -1e-3]])
    assert "0.7 < 1: the inequality fails" in text and "-0.001 < 0: the bound on F fails" in text
    alphas = (0.1, 1.0, 10.0)
    loss = [[0.2, 0.21], [0.02, 0.025], [0.001, 0.0012]]
    text = speed_sentence(alphas, loss, [[900, 950], [300, 320], [40, 45]], 1000, 1e-3)
    assert "Every retained run reaches G < 0.001" in text and "no step-size condition shows up" in text
    assert "the largest step converges fastest" in text
    text = speed_sentence(alphas, loss, [[None, None], [300, None], [40, 45]], 1000, 1e-3)
    assert "Not every step size converges" in text and "alpha = 0.1 missed G < 0.001 in 2 of 2 seeds" in text
    text = speed_sentence(alphas, [[0.2, 0.21], [0.001, 0.0011], [0.001, 0.0012]], [[1, 1], [1, 1], [1, 1]], 10, 1e-3)
    assert "alpha = 1 ends lowest" in text and "overlap its seed range" in text and "fastest" not in text

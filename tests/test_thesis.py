"""Seed 003 (the thesis): its experiments end to end."""

import numpy as np
import pytest


def test_init_scale_transition_small_scale_is_rich_and_large_is_lazy(tmp_path):
    """Thesis 3.1.1: at lambda = 1e-10 the ReLU run has two plateaus (loss 1, then 1/2) and ends at the
    minimum-norm interpolator; at lambda = 1 the final norm is far above it; the fit time grows as
    lambda shrinks, for every activation; in each of two seeds of the initial directions."""
    import json

    from twolayer.cli import main

    out = tmp_path / "ist"
    assert main(["run", "init-scale-transition", "--quick", "--quiet", "--out", str(out), "--set", "seeds=2",
                 "--set", "scales=1e-10,1e-4,1", "--set", "window_scales=1e-10", "--set", "epochs=40000"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["seeds"] == [0, 1] and m["flagged"] == []
    for k in range(2):
        norms = m["theta_norm_relu_seeds"][k]
        assert norms[0] == pytest.approx(m["min_norm"], rel=1e-6) and norms[-1] > 2 * m["min_norm"]
        assert m["plateau_count_relu_seeds"][k][0] == 2 and m["intermediate_plateau_relu_seeds"][k][0] > 0
        for act in ("relu", "sigmoid", "tanh"):
            fit = m[f"time_to_fit_{act}_seeds"][k]
            assert fit[0] > fit[1] > fit[2]
    assert m["transition_scale_seeds"] == [1.0, 1.0] and m["transition_scale"] == 1.0
    assert m["theta_norm_relu"] == m["theta_norm_relu_seeds"][0]       # the drawn seed's keys are seed 0's


def test_gradient_checks_reproduce_the_printed_hessian(quick_results):
    """Appendix D.2: the exact Hessian of the worked Sigmoid example equals the thesis's printed 6 x 6
    matrix to its 8 decimals; smooth activations' gradients agree with central differences to
    truncation plus rounding level, over random theta and along training paths that fit."""
    _, m = quick_results("gradient-checks")
    assert m["worked_hessian_max_error"] < 1e-8
    assert m["worked_hessian_fd_error"] < 1e-9
    for act in ("sigmoid", "tanh"):
        assert max(m["grad_error"][act]) < 1e-6 and max(m["hessian_error"][act]) < 1e-8
        assert m["path_grad_error_max"][act] < 1e-6
    # every quick path reaches its fit level (1/(2n) loss), so the check covers the fitting phase
    assert m["path_health"] == {"relu": "ok", "sigmoid": "ok", "tanh": "ok"}
    assert all(v < 0.01 for v in m["path_final_loss"].values())


def test_gradient_checks_path_sentence_names_the_flagged_paths():
    from twolayer.experiments.gradient_checks import path_sentence

    ok = {"status": "ok", "reason": ""}
    unfit = {"status": "not fitted", "reason": "final loss 0.5 above the fit level 0.01"}
    gone = {"status": "diverged", "reason": "diverged: the loss became non-finite at epoch 12"}
    text = path_sentence({"relu": 0.02, "sigmoid": 1e-10, "tanh": None}, {"relu": ok, "sigmoid": unfit, "tanh": gone})
    assert "relu 0.02;" in text and "over the points it visited (not fitted" in text
    assert "tanh: left out (diverged" in text
    assert "visited" not in path_sentence({"sigmoid": 1e-10}, {"sigmoid": ok})


def test_activation_dynamics(quick_results):
    """ReLU stays balanced (gradient flow conserves a_j^2 - ||w_j||^2; GD drifts by O(step)); on 1.1.4 the
    positive label (x = 10) is fitted long before the negative one (x = -0.1); the Sigmoid run with
    m = 600 and step 1e-2 spikes by four orders of magnitude, as the thesis's Fig C.11, then converges; the
    PL ratio never drops below its NTK bound."""
    _, m = quick_results("activation-dynamics")
    assert m["relative_balance_error"]["relu"] < 1e-6
    fits = m["fit_times_1_1_4"]
    assert fits["positive (x = 10)"] < fits["negative (x = -0.1)"] / 3
    assert m["sigmoid_spike_peak"] > 1e4 and m["sigmoid_spike_final_loss"] < 1e-6
    # ||grad L||^2 / (2L) >= (2/n) lambda_min(J J^T) for L = (1/n) ||h - y||^2, up to rounding
    assert min(m["pl_bound_min_slack"].values()) > -1e-12
    # every main run fits; the spike run is, by design, a near-divergence (peak / start > 100) that recovers
    assert all(s == "ok" for part in ("1.1.0", "1.1.4", "s_curves") for s in m["health"][part].values())
    assert m["health"]["spike"] == "nearly diverged" and m["excluded"] == {}
    assert m["plateaus_1_1_0"]["relu"] == 2


def test_activation_dynamics_flags_and_excludes_a_diverged_and_an_unfitted_run(tmp_path):
    """lambda = 1 with step 0.1 (m = 60): Tanh diverges (the step is above 2 / lambda_max) and ReLU's units
    all die (loss stuck at 1): the experiment finishes, flags both in the metrics and the report, and
    leaves them out of the balance, PL and plateau numbers; Sigmoid still fits and is kept."""
    import json

    from twolayer.cli import main

    out = tmp_path / "ad"
    assert main(["run", "activation-dynamics", "--quick", "--quiet", "--out", str(out), "--set", "scale=1",
                 "--set", "lr=0.1", "--set", "epochs=3000", "--set", "epochs_large=2000",
                 "--set", "spike_epochs=300"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["health"]["1.1.0"] == {"relu": "not fitted", "sigmoid": "ok", "tanh": "diverged"}
    assert m["final_loss_1_1_0"]["relu"] > 0.01          # independent of the status: it never fitted
    assert m["relative_balance_error"]["tanh"] is None and m["relative_balance_error"]["relu"] is None
    assert m["relative_balance_error"]["sigmoid"] is not None
    assert m["pl_bound_min_slack"]["tanh"] is None and m["plateaus_1_1_0"]["relu"] is None
    assert m["excluded"]["tanh on 1.1.0"].startswith("diverged") and "fit level" in m["excluded"]["relu on 1.1.0"]
    report = (out / "report.md").read_text()
    assert "Flagged, left out of the conclusions: relu on 1.1.0" in report
    assert "The ReLU run is flagged, so nothing is concluded about its balance." in report


def test_activation_dynamics_sentences_follow_the_numbers():
    from twolayer.experiments.activation_dynamics import (
        balance_sentence,
        flagged_sentence,
        label_speed_sentence,
        spike_sentence,
    )

    assert "ReLU stays balanced" in balance_sentence({"relu": 1e-9, "sigmoid": 0.1, "tanh": 0.02})
    assert "sigmoid (0.1) and tanh (0.02) drift apart" in balance_sentence({"relu": 1e-9, "sigmoid": 0.1, "tanh": 0.02})
    assert "does not stay balanced" in balance_sentence({"relu": 1e-3, "sigmoid": 0.1, "tanh": 0.02})
    assert "stay within 100x of ReLU" in balance_sentence({"relu": 1e-3, "sigmoid": 0.01, "tanh": None})
    assert "at least 3x sooner" in label_speed_sentence(13600, 1400)
    assert "less than 3x sooner" in label_speed_sentence(2000, 1400)
    assert "not compared" in label_speed_sentence(None, 1400)
    assert "then converges to 4.4e-10" in spike_sentence(1.0, 21611.8, 24, 4.4e-10, 0.01, False)
    assert "has not recovered" in spike_sentence(1.0, 21611.8, 24, 0.5, 0.01, False)
    assert "does not spike" in spike_sentence(1.0, 50.0, 3, 1e-9, 0.01, False)
    assert "diverges" in spike_sentence(1.0, 1e300, 200, 1e300, 0.01, True)
    assert flagged_sentence({"a": {"status": "ok", "reason": ""}}) == ""
    assert flagged_sentence({"a": {"status": "ok", "reason": ""}, "b": {"status": "diverged", "reason": "why"}}) \
        == "Flagged, left out of the conclusions: b (why)."


def test_label_geometry_kinks_follow_the_alignment_directions(quick_results):
    """For quasi-orthogonal inputs of opposite signs with <x_1, x_2> = -delta, the final ReLU model bends
    at -1/x_2,1 and -1/x_1,1, where neurons aligned with D+ = y_2 x_2 and D- = y_1 x_1 put their kinks;
    same-sign labels have no intermediate plateau."""
    _, m = quick_results("label-geometry")
    for key in ("-0.01", "-1"):
        np.testing.assert_allclose(m["kinks_delta"][key], m["predicted_kinks_delta"][key], atol=1e-6)
    assert m["plateaus_1_1_0"] == 2 and m["plateaus_1_1_2"] == 1
    # every quick run fits (final loss below the fit level), so none is flagged or left out
    assert all(v < 0.01 for v in [*m["final_loss_labels"].values(), *m["final_loss_delta"].values()])
    assert set(m["health_delta"].values()) == {"ok"} and m["excluded"] == {}
    assert m["kink_deviation_minus"] < 1e-6


def test_label_geometry_sentences_follow_the_numbers():
    from twolayer.experiments.label_geometry import alignment_sentence, labels_sentence

    assert labels_sentence({"1.1.0": 2, "1.1.1": 2, "1.1.2": 1}) == (
        "Switching the labels (1.1.1) leaves the plateau count at 2; with two positive labels (1.1.2) there are "
        "fewer plateaus (1 against 2): the intermediate one disappears.")
    text = labels_sentence({"1.1.0": 2, "1.1.1": 3, "1.1.2": 2})
    assert "changes the plateau count from 2 to 3" in text and "no plateau is lost" in text
    assert "not compared" in labels_sentence({"1.1.0": None, "1.1.1": 2, "1.1.2": 1})
    assert "(aligned with D+ and D-)" in alignment_sentence(1e-9)
    assert "not the alignment" in alignment_sentence(1e-3)
    assert "No fitted run" in alignment_sentence(None)


def test_min_norm_relu_2d_matches_the_closed_form_and_is_certified():
    """On orthogonal inputs the LP (with its dual certificate) equals the closed form; on the thesis's
    non-orthogonal sets it does not depend on the starting grid, its network interpolates with the
    returned norm (balanced neurons), and every interpolating network has at least that norm."""
    import twolayer as tl
    from twolayer.analysis import min_norm_relu_2d, min_norm_relu_orthogonal

    rng = np.random.default_rng(0)
    for _ in range(5):
        t, r1, r2 = rng.uniform(0, 2 * np.pi), rng.uniform(0.5, 3), rng.uniform(0.5, 3)
        X = np.array([[r1 * np.cos(t), r1 * np.sin(t)], [-r2 * np.sin(t), r2 * np.cos(t)]])
        y = rng.choice([-1.0, 1.0], 2) * rng.uniform(0.5, 2, 2)
        assert min_norm_relu_2d(X, y)[0] == pytest.approx(min_norm_relu_orthogonal(X, y)[0], rel=1e-9)
    for name in ("1.3.1", "1.3.2", "1.3.3"):
        X, y = tl.data.thesis(name)
        coarse, net = min_norm_relu_2d(X, y, directions=8)
        fine = min_norm_relu_2d(X, y, directions=4096)[0]
        assert coarse == pytest.approx(fine, rel=1e-9)
        np.testing.assert_allclose(net(X), y, atol=1e-8)
        assert net.norm == pytest.approx(coarse, rel=1e-12)
    X, y = tl.data.thesis("1.3.3")
    run = tl.train(tl.init_net(2, 60, "relu", "none", init="balanced", scale=1e-2), X, y, reduction="mean",
                   optimizer=tl.GD(1e-3), steps=300_000, quiet=True)
    assert run.train_loss[-1] < 1e-20
    assert run.final.norm >= min_norm_relu_2d(X, y)[0] * (1 - 1e-9)


def test_non_orthogonal_1d_no_fitted_run_beats_the_minimum_norm(quick_results):
    """Every fitted run's norm is at least the LP's minimum norm (a theorem: the LP is certified); the
    runs that end above the fit level are flagged, get no plateau count and stay out of the rich-regime
    norm gap."""
    _, m = quick_results("non-orthogonal-1d")
    level = 1e-3                                   # the config's fit_level
    for name in ("1.3.1", "1.3.2", "1.3.3"):
        norms, losses = m["theta_norm"][name], m["final_loss"][name]
        assert all(nrm >= m["min_norm"][name] * (1 - 1e-6) for nrm, f in zip(norms, m["fitted"][name]) if f)
        assert m["health"][name] == ["ok" if loss < level else "not fitted" for loss in losses]
        for status, count in zip(m["health"][name], m["plateau_count"][name]):
            assert (count is None) == (status != "ok")
        rich = [n for n, s, st in zip(norms, m["scales"], m["health"][name]) if st == "ok" and s <= 1e-2]
        assert m["rich_norm_gap"][name] == (pytest.approx(min(rich) / m["min_norm"][name] - 1) if rich else None)
    assert any(m["fitted"]["1.3.3"])
    assert m["plateau_count"]["1.3.3"][0] >= 3          # saddle to saddle at the smallest scale
    assert len(m["excluded"]) == sum(st != "ok" for sts in m["health"].values() for st in sts)


def test_non_orthogonal_1d_rich_norm_sentence_follows_the_numbers():
    from twolayer.experiments.non_orthogonal_1d import rich_norm_sentence

    assert rich_norm_sentence({"1.3.1": 0.02, "1.3.2": None}, 1e-2) == (
        "Smallest fitted norm with lambda <= 0.01: 1.3.1 +2.0% above the minimum; within 10% for 1.3.1; "
        "no fitted rich run for 1.3.2.")
    assert "more than 10% above for 1.3.1" in rich_norm_sentence({"1.3.1": 0.3}, 1e-2)
    assert rich_norm_sentence({"1.3.1": None}, 1e-2).startswith("No run with lambda <= 0.01 fitted")


def test_multidim_orthogonal_relu_is_nearly_two_dimensional(quick_results):
    """Orthogonal inputs: the fitted ReLU network's norm is at least the closed-form minimum norm (a
    theorem) and close to it, and the first two principal components of its neurons explain almost all
    of their variance (the two directions of [5], up to a small third group)."""
    _, m = quick_results("multidim")
    assert m["final_loss_orth_relu"] < 1e-10
    assert m["min_norm_orth_relu"] <= m["theta_norm_orth_relu"] < 1.01 * m["min_norm_orth_relu"]
    assert m["evr2_orth_relu"] > 0.99
    assert m["health"] == {"orth_relu": "ok", "nonorth_relu": "ok"} and m["final_loss_nonorth_relu"] < 1e-3


def test_multidim_two_directions_sentence_follows_the_numbers():
    from twolayer.experiments.multidim import two_directions_sentence

    assert two_directions_sentence(0.9999, 1e-4, 0.35, "ok").endswith(": the two directions of [5].")
    assert "close to, not exactly" in two_directions_sentence(0.9965, 8e-4, 0.35, "ok")
    assert two_directions_sentence(0.9, 8e-4, 0.35, "ok").endswith("not the two directions of [5].")
    assert "is flagged (final loss 0.2 above" in two_directions_sentence(0.9999, 1e-4, 0.35, "not fitted",
                                                                         "final loss 0.2 above the fit level 0.001")


def test_thesis_summary_verdicts_follow_the_measured_numbers(quick_results):
    """The quick parts' rows: the findings that hold at quick fidelity are reproduced, the two the
    numbers refute are 'thesis contradicted', and a verdict flips to 'differs' when a number it reads
    breaks its criterion."""
    import copy

    from twolayer.experiments.thesis import PARTS
    from twolayer.experiments.thesis_findings import findings

    metrics = copy.deepcopy({name: quick_results(name)[1] for name in PARTS})    # the session's copies stay intact
    rows = {r["id"]: r["verdict"] for r in findings(metrics)}
    assert all(rows[i] == "reproduced" for i in ("R1", "R2", "R3", "R4", "R7", "R8", "R10a", "C9a", "D1", "D2"))
    assert rows["R10b"] == "thesis contradicted" and rows["R12a"] == "thesis contradicted"
    assert rows["C12"] == "thesis contradicted"                       # Tanh diverges at alpha = 0.1, lambda >= 1
    metrics["saddle-to-saddle"]["theta_norm_rel_gap_max"] = 0.5
    assert {r["id"]: r["verdict"] for r in findings(metrics)}["R2"] == "differs"
    metrics["label-geometry"]["kink_deviation_minus_seeds"][0] = None            # a flagged seed: R8 cannot hold
    assert {r["id"]: r["verdict"] for r in findings(metrics)}["R8"] == "differs"


def test_saddle_to_saddle_over_seeds(quick_results):
    from twolayer.experiments.saddle_to_saddle import seeds_sentence

    _, m = quick_results("saddle-to-saddle")
    assert len(m["seeds"]) == 6 and m["plateau_count_seeds"] == [2] * 6 and not m["seeds_flagged"]
    assert m["theta_norm_rel_gap_max"] < 1e-6
    good = {"seeds": [0, 1], "plateau_count_seeds": [2, 2], "plateau_levels_seeds": [[1.0, 0.5], [0.999, 0.501]],
            "theta_norm_rel_gap_max": 1e-12, "seeds_flagged": []}
    assert "2 of 2 fitted runs show the two plateaus" in seeds_sentence(good)
    one = {**good, "plateau_count_seeds": [2, 1], "plateau_levels_seeds": [[1.0, 0.5], [1.0]]}
    assert "1 of 2 fitted runs" in seeds_sentence(one) and "[2, 1] plateaus" in seeds_sentence(one)
    bad = {**good, "plateau_count_seeds": [], "plateau_levels_seeds": [], "seeds_flagged": ["seed 0 (x)", "seed 1 (y)"]}
    assert "no run fitted" in seeds_sentence(bad)


def test_saddle_to_saddle_path_sentence_follows_the_plateaus():
    from twolayer.experiments.saddle_to_saddle import path_sentence

    assert "passes the saddle where only one label is fitted" in path_sentence([1.0, 0.5001], 1e-20)
    assert "then converges" in path_sentence([1.0, 0.5], 1e-20)
    assert "not the two saddles" in path_sentence([1.0], 1e-20)
    assert "without fitting" in path_sentence([1.0, 0.5], 0.4)


def test_init_scale_transition_loss_sentence_follows_the_phases():
    from twolayer.experiments.init_scale_transition import loss_sentence

    def ph(fits, counts, levels0):
        return [{"fit": f, "count": c, "levels": levels0 if i == 0 else []} for i, (f, c) in enumerate(zip(fits, counts))]

    rich = {"relu": ph([900, 500, 100], [2, 1, 0], [1.0, 0.5])}
    text = loss_sentence([1e-6, 1e-3, 10.0], rich, 1e-2)
    assert "grows as lambda falls for relu" in text and "has plateau at loss 1/2" in text and "lazy regime" in text
    flat = {"relu": ph([100, 500, 100], [1, 1, 1], [1.0])}
    text = loss_sentence([1e-6, 1e-3, 10.0], flat, 1e-2)
    assert "does not grow" in text and "has no plateau" in text and "lazy regime" not in text

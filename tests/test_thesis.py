"""Seed 003 (the thesis): its experiments end to end."""

import numpy as np
import pytest


def test_init_scale_transition_small_scale_is_rich_and_large_is_lazy(tmp_path):
    """Thesis 3.1.1: at lambda = 1e-10 the ReLU run has two plateaus (loss 1, then 1/2) and ends at the
    minimum-norm interpolator; at lambda = 1 the final norm is far above it; the fit time grows as
    lambda shrinks, for every activation."""
    import json

    from twolayer.cli import main

    out = tmp_path / "ist"
    assert main(["run", "init-scale-transition", "--quick", "--quiet", "--out", str(out),
                 "--set", "scales=1e-10,1e-4,1", "--set", "window_scales=1e-10", "--set", "epochs=40000"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["theta_norm_relu"][0] == pytest.approx(m["min_norm"], rel=1e-6)
    assert m["theta_norm_relu"][-1] > 2 * m["min_norm"]
    assert m["plateau_count_relu"][0] == 2 and m["intermediate_plateau_relu"][0] > 0
    for act in ("relu", "sigmoid", "tanh"):
        fit = m[f"time_to_fit_{act}"]
        assert fit[0] > fit[1] > fit[2]
    assert m["transition_scale"] == 1.0


def test_gradient_checks_reproduce_the_printed_hessian(tmp_path):
    """Appendix D.2: the exact Hessian of the worked Sigmoid example equals the thesis's printed 6 x 6
    matrix to its 8 decimals; smooth activations' gradients agree with central differences to
    truncation plus rounding level."""
    import json

    from twolayer.cli import main

    out = tmp_path / "gc"
    assert main(["run", "gradient-checks", "--quick", "--quiet", "--out", str(out), "--set", "draws=20",
                 "--set", "hessian_draws=3", "--set", "path_epochs=2000"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["worked_hessian_max_error"] < 1e-8
    assert m["worked_hessian_fd_error"] < 1e-9
    for act in ("sigmoid", "tanh"):
        assert max(m["grad_error"][act]) < 1e-6 and max(m["hessian_error"][act]) < 1e-8


def test_activation_dynamics(tmp_path):
    """ReLU stays balanced (gradient flow conserves a_j^2 - ||w_j||^2; GD drifts by O(step)); on 1.1.4 the
    positive label (x = 10) is fitted long before the negative one (x = -0.1); the Sigmoid run with
    m = 600 and step 1e-2 spikes by four orders of magnitude, as the thesis's Fig C.11, then converges; the
    PL ratio never drops below its NTK bound."""
    import json

    from twolayer.cli import main

    out = tmp_path / "ad"
    assert main(["run", "activation-dynamics", "--quick", "--quiet", "--out", str(out), "--set", "epochs=30000",
                 "--set", "epochs_large=3000", "--set", "spike_epochs=6000"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["relative_balance_error"]["relu"] < 1e-6
    fits = m["fit_times_1_1_4"]
    assert fits["positive (x = 10)"] < fits["negative (x = -0.1)"] / 3
    assert m["sigmoid_spike_peak"] > 1e4 and m["sigmoid_spike_final_loss"] < 1e-6
    # ||grad L||^2 / (2L) >= (2/n) lambda_min(J J^T) for L = (1/n) ||h - y||^2, up to rounding
    assert min(m["pl_bound_min_slack"].values()) > -1e-12


def test_label_geometry_kinks_follow_the_alignment_directions(tmp_path):
    """For quasi-orthogonal inputs of opposite signs with <x_1, x_2> = -delta, the final ReLU model bends
    at -1/x_2,1 and -1/x_1,1, where neurons aligned with D+ = y_2 x_2 and D- = y_1 x_1 put their kinks;
    same-sign labels have no intermediate plateau."""
    import json

    from twolayer.cli import main

    out = tmp_path / "lg"
    assert main(["run", "label-geometry", "--quick", "--quiet", "--out", str(out), "--set", "deltas=0.01,1",
                 "--set", "epochs=30000"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    for key in ("-0.01", "-1"):
        np.testing.assert_allclose(m["kinks_delta"][key], m["predicted_kinks_delta"][key], atol=1e-6)
    assert m["plateaus_1_1_0"] == 2 and m["plateaus_1_1_2"] == 1


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


def test_non_orthogonal_1d_no_fitted_run_beats_the_minimum_norm(tmp_path):
    import json

    from twolayer.cli import main

    out = tmp_path / "no"
    assert main(["run", "non-orthogonal-1d", "--quick", "--quiet", "--out", str(out), "--set", "epochs=60000",
                 "--set", "datasets=1.3.3"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    norms, fitted = m["theta_norm"]["1.3.3"], m["fitted"]["1.3.3"]
    assert any(fitted)
    assert all(nrm >= m["min_norm"]["1.3.3"] * (1 - 1e-6) for nrm, f in zip(norms, fitted) if f)
    assert m["plateau_count"]["1.3.3"][0] >= 3          # saddle to saddle at the smallest scale


def test_multidim_orthogonal_relu_is_nearly_two_dimensional(tmp_path):
    """Orthogonal inputs: the fitted ReLU network's norm is at least the closed-form minimum norm (a
    theorem) and close to it, and the first two principal components of its neurons explain almost all
    of their variance (the two directions of [5], up to a small third group)."""
    import json

    from twolayer.cli import main

    out = tmp_path / "md"
    assert main(["run", "multidim", "--quick", "--quiet", "--out", str(out), "--set", "activations=relu",
                 "--set", "epochs_orth=1000000", "--set", "epochs_nonorth=50000"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["final_loss_orth_relu"] < 1e-10
    assert m["min_norm_orth_relu"] <= m["theta_norm_orth_relu"] < 1.01 * m["min_norm_orth_relu"]
    assert m["evr2_orth_relu"] > 0.99


def test_thesis_summary_verdicts_follow_the_measured_numbers(tmp_path):
    """The summary's verdict for a row flips to 'differs' when the measured number breaks its criterion."""
    import json

    from twolayer.cli import main
    from twolayer.experiments.thesis import findings

    out = tmp_path / "parts"
    metrics = {}
    for name, extra in (("saddle-to-saddle", []), ("init-scale-transition", ["--set", "scales=1e-10,1e-4,1",
                                                                              "--set", "window_scales=1e-10"]),
                        ("activation-dynamics", ["--set", "epochs=30000", "--set", "epochs_large=3000"]),
                        ("label-geometry", ["--set", "deltas=0.01", "--set", "epochs=30000"]),
                        ("non-orthogonal-1d", ["--set", "datasets=1.3.3", "--set", "epochs=60000"]),
                        ("multidim", ["--set", "epochs_nonorth=20000"]),
                        ("gradient-checks", ["--set", "draws=5", "--set", "hessian_draws=1", "--set", "path_epochs=500"])):
        assert main(["run", name, "--quick", "--quiet", "--out", str(out / name), *extra]) == 0
        metrics[name] = json.loads((out / name / "metrics.json").read_text())
    rows = {r["id"]: r["ok"] for r in findings(metrics)}
    assert rows["R1"] and rows["R2"] and rows["R7"] and rows["R8"] and rows["D"]
    metrics["saddle-to-saddle"]["theta_norm_rel_gap"] = 0.5
    assert not {r["id"]: r["ok"] for r in findings(metrics)}["R2"]

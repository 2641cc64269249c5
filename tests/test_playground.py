"""Playground sessions (issue 9, server-independent part): validation, frames, divergence."""

import json

import numpy as np
import pytest

import twolayer as tl
from twolayer.playground import PROBLEMS, Session, parse_settings


@pytest.mark.parametrize("message,field", [
    ({"widht": 10}, "widht"), ({"problem": "mnist"}, "problem"), ({"width": 0}, "width"),
    ({"width": 10.5}, "width"), ({"width": 10 ** 6}, "width"), ({"lr": float("nan")}, "lr"),
    ({"lr": "0.1"}, "lr"), ({"lr": True}, "lr"), ({"trainable": ["a", "b"]}, "trainable"),
    ({"trainable": []}, "trainable"), ({"log10_scale": 5}, "log10_scale")])
def test_invalid_settings_name_the_field(message, field):
    with pytest.raises(tl.InvalidParameter) as err:
        parse_settings(message)
    assert err.value.name == field


def frames(settings: dict, count: int):
    session = Session(parse_settings(settings))
    return [session.advance() for _ in range(count)]


@pytest.mark.parametrize("problem", PROBLEMS)
def test_frames_are_json_safe_and_the_loss_falls(problem):
    out = frames({"problem": problem, "width": 40, "scaling": "ntk", "lr": 0.02, "steps_per_frame": 100}, 4)
    for f in out:
        assert f["event"] == "frame"
        json.dumps(f, allow_nan=False)                     # raises on NaN or inf
        assert len(f["neurons"]["x"]) == 40
    assert out[-1]["train_loss"] < out[0]["train_loss"]
    assert [f["step"] for f in out] == [100, 200, 300, 400]


def test_two_dimensional_frames_hold_the_function_on_the_grid():
    session = Session(parse_settings({"problem": "teacher-2d", "width": 30}))
    f = session.advance()
    g = np.array(f["function"]["x"])
    values = np.array(f["function"]["values"]).reshape(len(g), len(g))
    P = np.zeros((1, 2))
    P[0] = [g[3], g[7]]
    assert values[3, 7] == pytest.approx(session.net(P)[0])
    assert f["diagnostics"]["relative_weight_change"] > 0


def test_divergence_is_an_event_and_the_run_stays_stopped():
    session = Session(parse_settings({"problem": "teacher-2d", "width": 50, "scaling": "none", "lr": 100.0,
                                      "log10_scale": 1.0, "step_rule": "plain"}))
    events = [session.advance() for _ in range(3)]
    assert events[0]["event"] == "diverged" and "diverged at step" in events[0]["message"]
    assert events[1] == events[0] == events[2]
    json.dumps(events[0], allow_nan=False)


def test_flow_and_sgd_sessions_advance():
    f = frames({"problem": "thesis-1.1.0", "scaling": "none", "optimizer": "flow", "lr": 0.01, "step_rule": "plain",
                "steps_per_frame": 100, "log10_scale": -3}, 2)
    assert f[1]["time"] == pytest.approx(2.0) and f[1]["train_loss"] <= f[0]["train_loss"]
    s = frames({"problem": "clusters-2d", "optimizer": "sgd", "batch_size": 10, "loss": "logistic"}, 2)
    assert s[1]["step"] == 40
    with pytest.raises(tl.InvalidParameter, match="square"):
        Session(parse_settings({"problem": "relu-1d", "loss": "logistic"}))


def test_scaled_step_rule_follows_the_tangent_kernel_scale():
    base = {"lr": 0.3, "width": 100}
    assert parse_settings({**base, "scaling": "mean-field"}).step_size() == pytest.approx(30.0)
    assert parse_settings({**base, "scaling": "ntk", "log10_scale": 1.0}).step_size() == pytest.approx(0.003)
    assert parse_settings({**base, "scaling": "none", "log10_scale": -2.0}).step_size() == pytest.approx(0.003)
    assert parse_settings({**base, "step_rule": "plain", "log10_scale": 2.0}).step_size() == 0.3


def test_symmetric_start_has_zero_output_and_booleans_are_checked():
    session = Session(parse_settings({"problem": "teacher-2d", "width": 20}))
    assert np.max(np.abs(session.net0(session.X))) < 1e-15
    assert session.first_frame()["train_loss"] == pytest.approx(0.5 * np.mean(session.y ** 2), rel=1e-14)
    with pytest.raises(tl.InvalidParameter, match="symmetric"):
        parse_settings({"symmetric": "yes"})
    with pytest.raises(tl.InvalidParameter, match="even width"):
        Session(parse_settings({"width": 21}))


def test_history_is_thinned_and_keeps_the_first_and_last_frames(monkeypatch):
    from twolayer.playground import session as module

    monkeypatch.setattr(module, "MAX_SNAPSHOTS", 8)
    session = Session(parse_settings({"problem": "relu-1d", "width": 10, "steps_per_frame": 1}))
    session.first_frame()
    for _ in range(20):
        session.advance()
    run = session.trajectory()
    assert run.steps[0] == 0 and len(run) <= 8 and np.all(np.diff(run.steps) > 0)
    assert run.steps[-1] == 20
    np.testing.assert_array_equal(run.W[-1], session.net.W)

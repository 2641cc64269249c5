"""The playground's ASGI app through Starlette's test client: the websocket protocol, throttling,
limits, divergence, downloads; no message may carry NaN or inf."""

import io
import json
import time

import numpy as np
import pytest
from starlette.testclient import TestClient

import twolayer as tl
from twolayer.playground.app import create_app, schema
from twolayer.playground.session import Session, Settings, parse_settings

SMALL = {"problem": "teacher-2d", "width": 40, "steps_per_frame": 50, "lr": 0.5}


@pytest.fixture(scope="module", autouse=True)
def compiled():
    """Load the compiled kernels before the tests count steps: a chunk stops after 0.25 s of
    training, and the first one in a process also loads (or compiles) the kernels."""
    Session(parse_settings(SMALL)).advance()


def strict(text: str) -> dict:
    """json.loads that refuses NaN and Infinity (what a browser's JSON.parse refuses too)."""
    def refuse(name):
        raise AssertionError(f"the server sent {name}")
    return json.loads(text, parse_constant=refuse)


def receive(ws) -> dict:
    return strict(ws.receive_text())


def until(ws, event: str, limit: int = 200) -> tuple[dict, list]:
    """Messages up to and including the first ``event``; returns (that message, the ones before)."""
    seen = []
    for _ in range(limit):
        m = receive(ws)
        if m["event"] == event:
            return m, seen
        seen.append(m)
    raise AssertionError(f"no {event!r} in {limit} messages")


@pytest.fixture
def client():
    with TestClient(create_app()) as c:
        yield c


def connect(client, settings=None):
    ws = client.websocket_connect("/ws").__enter__()
    assert receive(ws)["event"] == "schema"
    assert receive(ws)["event"] == "settings"
    assert receive(ws)["step"] == 0
    if settings is not None:
        ws.send_json({"type": "settings", "settings": settings})
        until(ws, "settings")
        first, _ = until(ws, "frame")
        until(ws, "state")
        return ws, first
    return ws, None


def test_the_page_and_its_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "twolayer playground" in page.text
    for name in ("app.js", "plot.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert "cdn" not in page.text.lower() and "http" not in page.text.replace("http-equiv", "")


def test_schema_lists_every_setting_with_its_default():
    fields = {f["name"]: f for f in schema()["fields"]}
    assert set(fields) == set(Settings.__dataclass_fields__)
    assert fields["width"]["min"] == 1 and fields["width"]["integer"] is True
    assert "relu" in fields["activation"]["choices"] and fields["trainable"]["default"] == ["a", "W", "c"]


def test_start_streams_frames_whose_loss_falls_and_pause_stops_them(client):
    ws, first = connect(client, SMALL)
    ws.send_json({"type": "start"})
    frames = []
    while len(frames) < 6:
        m = receive(ws)
        if m["event"] == "frame":
            frames.append(m)
    assert [f["step"] for f in frames] == [50 * (k + 1) for k in range(6)]
    assert frames[-1]["train_loss"] < first["train_loss"]
    ws.send_json({"type": "pause"})
    state, before = until(ws, "state")
    assert state["running"] is False
    last = max([f["step"] for f in frames + [m for m in before if m["event"] == "frame"]])
    ws.send_json({"type": "step"})                     # paused: exactly one more chunk, nothing between
    assert receive(ws)["step"] == last + 50
    ws.__exit__(None, None, None)


def test_reset_returns_to_the_same_initial_network(client):
    ws, first = connect(client, SMALL)
    for _ in range(3):
        ws.send_json({"type": "step"})
    assert until(ws, "frame")[0]["step"] == 50
    ws.send_json({"type": "reset"})
    again, _ = until(ws, "frame")
    while again["step"] != 0:                          # frames of the steps sent before the reset
        again, _ = until(ws, "frame")
    assert again["train_loss"] == first["train_loss"] and again["neurons"] == first["neurons"]
    ws.__exit__(None, None, None)


@pytest.mark.parametrize("message,field", [
    ("not json", "message"), ('{"type": "fly"}', "type"), ("[1, 2]", "type"),
    ('{"type": "settings", "settings": {"width": 0}}', "width"),
    ('{"type": "settings", "settings": {"width": 41}}', "width"),            # odd width, symmetric init
    ('{"type": "settings", "settings": {"problem": "relu-1d", "loss": "logistic"}}', "loss"),
    ('{"type": "settings", "settings": {"lr": "fast"}}', "lr"),
    ('{"type": "settings", "settings": {"symmetric": 1}}', "symmetric"),
    ('{"type": "settings", "oops": 1}', "oops"),
    ('{"type": "settings", "settings": {"lr": NaN}}', "lr"),
])
def test_invalid_messages_name_the_field_and_the_session_goes_on(client, message, field):
    ws, _ = connect(client, SMALL)
    ws.send_text(message)
    error = receive(ws)
    assert error["event"] == "error" and error["field"] == field and error["message"]
    ws.send_json({"type": "step"})                     # the old settings still run
    frame = receive(ws)
    assert frame["event"] == "frame" and frame["step"] == 50 and len(frame["neurons"]["x"]) == 40
    ws.__exit__(None, None, None)


def test_divergence_is_reported_once_and_the_run_stops(client):
    ws, _ = connect(client, {"problem": "teacher-2d", "width": 50, "scaling": "none", "lr": 100.0,
                             "log10_scale": 1.0, "step_rule": "plain"})
    ws.send_json({"type": "start"})
    event, before = until(ws, "diverged")
    assert "diverged at step" in event["message"] and all(m["event"] != "frame" for m in before[1:])
    state, _ = until(ws, "state")
    assert state["running"] is False
    ws.send_json({"type": "start"})                    # a diverged run does not start again
    assert until(ws, "state")[0]["running"] is False
    ws.__exit__(None, None, None)


def test_download_is_the_hdf5_trajectory_of_the_frames(client):
    ws, first = connect(client, SMALL)
    frames = [first]
    for _ in range(3):
        ws.send_json({"type": "step"})
        frames.append(receive(ws))
    ws.send_json({"type": "download"})
    run = tl.Trajectory.load(io.BytesIO(ws.receive_bytes()))
    assert list(run.steps) == [f["step"] for f in frames]
    np.testing.assert_array_equal(run.train_loss, [f["train_loss"] for f in frames])
    np.testing.assert_array_equal(run.test_loss, [f["test_loss"] for f in frames])
    # the snapshots are the networks the frames drew: |a_j| w_j1 of the last frame
    np.testing.assert_allclose(np.abs(run.a[-1]) * run.W[-1][:, 0], frames[-1]["neurons"]["x"], rtol=1e-15)
    assert run.config["width"] == 40 and np.all(np.diff(run.train_loss) < 0)
    ws.__exit__(None, None, None)


def test_frames_are_throttled():
    fps = 5.0
    with TestClient(create_app(fps=fps)) as client:
        ws, _ = connect(client, {**SMALL, "steps_per_frame": 1})
        ws.send_json({"type": "start"})
        start, count = time.perf_counter(), 0
        while time.perf_counter() - start < 1.5:
            count += receive(ws)["event"] == "frame"
        elapsed = time.perf_counter() - start
        assert count <= fps * elapsed + 2
        ws.__exit__(None, None, None)


def test_tabs_have_their_own_runs_up_to_the_cap_and_closing_one_stops_it():
    app = create_app(max_sessions=2)
    with TestClient(app) as client:
        one, _ = connect(client, {**SMALL, "width": 20})
        two, _ = connect(client, {**SMALL, "width": 30})
        one.send_json({"type": "step"})
        two.send_json({"type": "step"})
        assert len(receive(one)["neurons"]["x"]) == 20 and len(receive(two)["neurons"]["x"]) == 30
        one.send_json({"type": "start"})
        two.send_json({"type": "start"})
        until(one, "state"), until(two, "state")
        with client.websocket_connect("/ws") as third:     # a third tab opens, but may not train
            until(third, "frame")
            third.send_json({"type": "start"})
            refused, _ = until(third, "error")
            assert refused["field"] == "sessions"
        one.__exit__(None, None, None)                 # the tab closes while its run trains
        deadline = time.time() + 10
        while len(app.state.connections) > 1 and time.time() < deadline:
            time.sleep(0.05)
        assert len(app.state.connections) == 1
        two.__exit__(None, None, None)


@pytest.mark.parametrize("failure,text", [
    (tl.FlowStalled(1.0, 2.0, 100), "gradient flow stalled"), (ZeroDivisionError("oops"), "internal error: "
                                                                "ZeroDivisionError: oops")])
@pytest.mark.parametrize("how", ["start", "step"])
def test_a_failing_chunk_is_an_error_event_and_later_settings_apply(client, monkeypatch, failure, text, how):
    ws, _ = connect(client, SMALL)

    def fail(self, *args, **kwargs):
        raise failure
    monkeypatch.setattr(Session, "advance", fail)
    ws.send_json({"type": how})
    error, _ = until(ws, "error")
    assert error["field"] is None and error["message"].startswith(text)
    if how == "start":
        assert until(ws, "state")[0]["running"] is False
    ws.send_json({"type": "settings", "settings": {**SMALL, "width": 20}})
    applied, before = until(ws, "settings")            # applied, not answered by the stale error
    assert applied["settings"]["width"] == 20 and all(m["event"] != "error" for m in before)
    monkeypatch.undo()
    until(ws, "state")
    ws.send_json({"type": "step"})
    assert until(ws, "frame")[0]["step"] == 50
    ws.__exit__(None, None, None)


def test_fps_must_be_a_sane_rate():
    with pytest.raises(tl.InvalidParameter, match="fps"):
        create_app(fps=0)

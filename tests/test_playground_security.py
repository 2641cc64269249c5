"""The playground against other web pages and hostile or heavy clients: Host and Origin checks (DNS
rebinding, cross-site websocket hijacking), messages that used to crash the connection, idle tabs
taking the training slots, one heavy run freezing the server, and serve()'s checks of its address."""

import http.client
import json
import socket
import threading
import time
import urllib.request
from contextlib import contextmanager

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

import twolayer as tl
from twolayer.playground import app as app_module
from twolayer.playground.app import create_app
from twolayer.playground.session import Session, parse_settings

SMALL = {"problem": "teacher-2d", "width": 40, "steps_per_frame": 50, "lr": 0.5}
HEAVY = {"problem": "hidden-structure", "width": 2000, "steps_per_frame": 5000}   # within the caps


def receive(ws) -> dict:
    return json.loads(ws.receive_text())


def until(ws, event: str, limit: int = 200) -> dict:
    for _ in range(limit):
        m = receive(ws)
        if m["event"] == event:
            return m
    raise AssertionError(f"no {event!r} in {limit} messages")


def opened(client, **kwargs):
    """A websocket past its greeting (schema, settings, first frame)."""
    ws = client.websocket_connect("/ws", **kwargs).__enter__()
    until(ws, "frame")
    return ws


def refusal(client, **kwargs):
    """The close code of a refused websocket, or None when it was accepted."""
    try:
        ws = client.websocket_connect("/ws", **kwargs).__enter__()
    except WebSocketDisconnect as err:
        return err.code
    ws.__exit__(None, None, None)
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def real_server():
    """A uvicorn server on a free loopback port, allowing what :func:`serve` allows; yields the port."""
    import uvicorn

    port = free_port()
    hosts = [f"{name}:{port}" for name in app_module.LOOPBACK]
    server = uvicorn.Server(uvicorn.Config(create_app(allowed_hosts=hosts), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture
def client():
    with TestClient(create_app()) as c:
        yield c


# 1. Host and Origin


@pytest.mark.parametrize("path", ["/", "/static/style.css", "/static/app.js"])
def test_a_foreign_host_gets_403(client, path):
    assert client.get(path).status_code == 200
    assert client.get(path, headers={"host": "evil.example"}).status_code == 403
    assert client.get(path, headers={"host": "evil.example:8765"}).status_code == 403


@pytest.mark.parametrize("headers", [{"origin": "http://evil.example"}, {"origin": "null"},
                                     {"origin": "http://localhost:3000"}, {"host": "evil.example"},
                                     {"host": "evil.example", "origin": "http://evil.example"}])
def test_websockets_from_other_sites_are_refused(client, headers):
    assert refusal(client, headers=headers) == 1008


@pytest.mark.parametrize("headers", [{}, {"origin": "http://testserver"}])
def test_websockets_without_origin_or_from_the_page_itself_are_accepted(client, headers):
    ws = opened(client, headers=headers)
    ws.send_json({"type": "step"})
    assert receive(ws)["event"] == "frame"
    ws.__exit__(None, None, None)


def test_the_allowed_hosts_include_their_port():
    with TestClient(create_app(allowed_hosts=["127.0.0.1:8765", "[::1]:8765"])) as c:
        assert c.get("/", headers={"host": "127.0.0.1:8765"}).status_code == 200
        assert c.get("/", headers={"host": "[::1]:8765"}).status_code == 200
        for host in ("127.0.0.1:9999", "127.0.0.1", "localhost:8765", "testserver"):
            assert c.get("/", headers={"host": host}).status_code == 403, host
        opened(c, headers={"host": "127.0.0.1:8765", "origin": "http://127.0.0.1:8765"}).__exit__(None, None, None)
        assert refusal(c, headers={"host": "127.0.0.1:8765", "origin": "http://127.0.0.1:9999"}) == 1008


def test_a_real_server_refuses_foreign_hosts_and_origins():
    websockets = pytest.importorskip("websockets.sync.client")
    from websockets.exceptions import InvalidStatus

    with real_server() as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/static/style.css", headers={"Host": "evil.example"})
        assert conn.getresponse().status == 403
        conn.close()
        for origin in ("http://evil.example", "null"):
            with pytest.raises(InvalidStatus) as refused:
                websockets.connect(f"ws://127.0.0.1:{port}/ws", origin=origin, open_timeout=10)
            assert refused.value.response.status_code == 403
        with websockets.connect(f"ws://127.0.0.1:{port}/ws", origin=f"http://127.0.0.1:{port}",
                                open_timeout=10) as ws:
            assert json.loads(ws.recv(timeout=10))["event"] == "schema"


# 2. one heavy run does not freeze the server


def test_a_heavy_run_leaves_the_server_responsive():
    websockets = pytest.importorskip("websockets.sync.client")
    heavy = parse_settings({**HEAVY, "steps_per_frame": 1})
    Session(heavy).advance()                           # compile or load the kernel first
    with real_server() as port, websockets.connect(f"ws://127.0.0.1:{port}/ws", open_timeout=10,
                                                   max_size=None) as ws:
        def next_event(name):
            while True:
                m = json.loads(ws.recv(timeout=60))
                if m["event"] == name:
                    return m
        next_event("frame")
        ws.send(json.dumps({"type": "settings", "settings": HEAVY}))
        next_event("state")
        started = time.perf_counter()
        ws.send(json.dumps({"type": "start"}))
        frame = next_event("frame")
        assert time.perf_counter() - started < 3.0 and 0 < frame["step"] < 5000
        for _ in range(5):                             # while chunks keep training
            begun = time.perf_counter()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/style.css", timeout=30) as page:
                assert page.status == 200
            assert time.perf_counter() - begun < 1.0
        ws.send(json.dumps({"type": "pause"}))


# 3. messages that used to drop the connection


def deep(text: str) -> str:
    return '{"type": "settings", "settings": {"width": ' + text + "}}"


@pytest.mark.parametrize("message,field", [
    (deep("Infinity"), "width"), (deep("-Infinity"), "width"), (deep("NaN"), "width"),
    (deep("1" + "0" * 400), "width"), (deep("1e400"), "width"),
    ('{"type": "settings", "settings": {"seed": ' + "9" * 5000 + "}}", "message"),
    ("[" * 4000, "message"), (b"\x00binary", "message")])
def test_hostile_messages_are_error_events_and_the_session_goes_on(client, message, field):
    ws = opened(client)
    ws.send_json({"type": "settings", "settings": SMALL})
    until(ws, "state")
    if isinstance(message, bytes):
        ws.send_bytes(message)
    else:
        ws.send_text(message)
    error = receive(ws)
    assert error["event"] == "error" and error["field"] == field and error["message"]
    ws.send_json({"type": "step"})
    frame = receive(ws)
    assert frame["event"] == "frame" and frame["step"] == 50
    ws.__exit__(None, None, None)


# 4. idle tabs do not take the training slots


def test_idle_tabs_leave_the_training_slots_free():
    with TestClient(create_app(max_sessions=8)) as c:
        idle = [opened(c) for _ in range(8)]
        ninth = opened(c)
        ninth.send_json({"type": "start"})
        assert until(ninth, "state")["running"] is True and until(ninth, "frame")["step"] > 0
        for ws in idle[:7]:                            # 8 training now
            ws.send_json({"type": "start"})
            assert until(ws, "state")["running"] is True
        idle[7].send_json({"type": "start"})
        busy = until(idle[7], "error")
        assert busy["field"] == "sessions" and "8 tabs" in busy["message"]
        idle[7].send_json({"type": "step"})            # nor one chunk at a time
        assert until(idle[7], "error")["field"] == "sessions"
        ninth.send_json({"type": "pause"})             # a slot frees up
        while until(ninth, "state")["running"]:
            pass
        idle[7].send_json({"type": "start"})
        assert until(idle[7], "state")["running"] is True
        for ws in idle + [ninth]:
            ws.__exit__(None, None, None)


def test_open_sockets_are_capped():
    with TestClient(create_app(max_sockets=3)) as c:
        tabs = [opened(c) for _ in range(3)]
        with c.websocket_connect("/ws") as fourth:
            full = receive(fourth)
            assert full["event"] == "error" and full["field"] == "connections"
            with pytest.raises(WebSocketDisconnect):
                fourth.receive_text()
        for ws in tabs:
            ws.__exit__(None, None, None)


# 6. serve() checks its address before uvicorn starts


@pytest.fixture
def ran(monkeypatch):
    """The calls serve() makes to uvicorn.run (which is not started)."""
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    return calls


@pytest.mark.parametrize("host", ["999.1.1.1", "192.0.2.1", "no such host.invalid"])
def test_serve_blames_a_bad_host_on_host(ran, host):
    with pytest.raises(tl.InvalidParameter) as err:
        app_module.serve(host, free_port())
    assert err.value.name == "--host" and "127.0.0.1" in str(err.value) and not ran


def test_serve_blames_a_busy_port_on_port(ran):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        with pytest.raises(tl.InvalidParameter) as err:
            app_module.serve("127.0.0.1", busy.getsockname()[1])
    assert err.value.name == "--port" and not ran


def test_serve_warns_beyond_loopback_and_serves_only_its_hosts(ran, capsys):
    port = free_port()
    app_module.serve("127.0.0.1", port)
    assert "warning" not in capsys.readouterr().err
    app_module.serve("0.0.0.0", port)
    err = capsys.readouterr().err
    assert "warning: listening on 0.0.0.0 exposes the lab to your network" in err and len(err.splitlines()) == 1
    (_, loopback), (app, wide) = ran
    assert loopback["host"] == "127.0.0.1" and wide == {"host": "0.0.0.0", "port": port, "log_level": "warning"}
    with TestClient(app) as c:
        for host in (f"0.0.0.0:{port}", f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"):
            assert c.get("/", headers={"host": host}).status_code == 200, host
        for host in ("testserver", f"evil.example:{port}", f"localhost:{port + 1}"):
            assert c.get("/", headers={"host": host}).status_code == 403, host

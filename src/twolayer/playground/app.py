"""The playground's web server: a Starlette app with the page, its static files and one websocket per
browser tab.

Protocol (JSON text messages; the trajectory download is one binary message):

client -> server ``{"type": T, ...}`` with T one of
    ``settings`` (with ``"settings": {field: value}``; validated, then the run restarts with them),
    ``start``, ``pause``, ``step`` (one chunk while paused), ``reset`` (same settings, step 0),
    ``download`` (answered by the run's HDF5 file as a binary message).
server -> client ``{"event": E, ...}`` with E one of
    ``schema`` (fields, choices, limits, defaults: the page builds its controls from it),
    ``settings`` (the settings in force), ``frame`` (see :mod:`.session`), ``state`` (running or not),
    ``diverged`` (``"message": "diverged at step N: ..."``; the run stops), ``error`` (``"field"`` and
    ``"message"``; the session goes on as before).

Training runs in a worker thread, one chunk of ``steps_per_frame`` steps at a time, and frames are
sent at most ``fps`` times a second. Each tab has its own run, at most ``max_sessions`` tabs at once,
and closing a tab stops its run.
"""

from __future__ import annotations

import asyncio
import json
import math
from dataclasses import fields
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.responses import FileResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..errors import InvalidParameter, TwolayerError
from .session import CHOICES, LIMITS, Session, Settings, parse_settings

STATIC = Path(__file__).parent / "static"
MESSAGE_TYPES = ("settings", "start", "pause", "step", "reset", "download")
MAX_MESSAGE = 10_000      # characters of one client message


def schema() -> dict:
    """What the page needs to build its controls: every field with its default and its choices or
    limits (the same tables :func:`~.session.parse_settings` validates against)."""
    out, defaults = [], Settings()
    for f in fields(Settings):
        default = getattr(defaults, f.name)
        entry = {"name": f.name, "default": list(default) if isinstance(default, tuple) else default}
        if f.name in CHOICES:
            entry["choices"] = list(CHOICES[f.name])
        elif f.name in LIMITS:
            entry["min"], entry["max"] = LIMITS[f.name]
            entry["integer"] = isinstance(default, int) and not isinstance(default, bool)
        out.append(entry)
    return {"event": "schema", "fields": out}


def error_event(err: TwolayerError) -> dict:
    """The event an invalid message gets: the field it names and the error's text."""
    return {"event": "error", "field": getattr(err, "name", None), "message": str(err)}


class Connection:
    """The run of one browser tab."""

    def __init__(self, websocket: WebSocket, fps: float):
        self.ws, self.interval = websocket, 1.0 / fps
        self.session = Session(Settings())
        self.running = False
        self.task: asyncio.Task | None = None
        self.lock = asyncio.Lock()          # one chunk or reset at a time

    async def send(self, message: dict) -> None:
        await self.ws.send_text(json.dumps(message, allow_nan=False))

    async def serve(self) -> None:
        await self.send(schema())
        await self.send(self.session.describe())
        await self.send(self.session.first_frame())
        try:
            while True:
                text = await self.ws.receive_text()
                await self.handle(text)
        except WebSocketDisconnect:
            pass
        finally:
            await self.stop()

    async def handle(self, text: str) -> None:
        try:
            if len(text) > MAX_MESSAGE:
                raise InvalidParameter("message", f"{len(text)} characters", f"keep messages under {MAX_MESSAGE}")
            try:
                message = json.loads(text)
            except json.JSONDecodeError as err:
                raise InvalidParameter("message", text[:80], f"not JSON ({err.msg})") from None
            if not isinstance(message, dict) or message.get("type") not in MESSAGE_TYPES:
                got = message.get("type") if isinstance(message, dict) else message
                raise InvalidParameter("type", got, "expected one of " + ", ".join(MESSAGE_TYPES))
            await getattr(self, "on_" + message["type"])(message)
        except TwolayerError as err:
            await self.send(error_event(err))

    async def on_settings(self, message: dict) -> None:
        unknown = set(message) - {"type", "settings"}
        if unknown:
            raise InvalidParameter(sorted(unknown)[0], message[sorted(unknown)[0]], 'a settings message holds "settings"')
        settings = parse_settings(message.get("settings", {}))
        session = Session(settings)             # may raise (e.g. logistic loss on real labels)
        await self.replace(session)

    async def on_reset(self, message: dict) -> None:
        await self.replace(Session(self.session.settings))

    async def replace(self, session: Session) -> None:
        await self.stop()
        async with self.lock:
            self.session = session
        await self.send(session.describe())
        await self.send(session.first_frame())
        await self.send_state()

    async def on_start(self, message: dict) -> None:
        if not self.running and self.session.diverged is None:
            self.running = True
            self.task = asyncio.create_task(self.loop())
        await self.send_state()

    async def on_pause(self, message: dict) -> None:
        await self.stop()
        await self.send_state()

    async def on_step(self, message: dict) -> None:
        if not self.running:
            await self.chunk()

    async def on_download(self, message: dict) -> None:
        async with self.lock:
            data = await anyio.to_thread.run_sync(self.session.hdf5_bytes)
        await self.ws.send_bytes(data)

    async def send_state(self) -> None:
        await self.send({"event": "state", "running": self.running, "step": self.session.step})

    async def chunk(self) -> dict:
        async with self.lock:
            frame = await anyio.to_thread.run_sync(self.session.advance)
        await self.send(frame)
        return frame

    async def loop(self) -> None:
        clock = asyncio.get_running_loop().time
        try:
            while self.running:
                start = clock()
                frame = await self.chunk()
                if frame["event"] == "diverged":
                    self.running = False
                    await self.send_state()
                    return
                await asyncio.sleep(max(0.0, self.interval - (clock() - start)))
        except (WebSocketDisconnect, RuntimeError):     # the tab went away mid-send
            self.running = False

    async def stop(self) -> None:
        self.running = False
        if self.task is not None:
            await self.task          # finishes the chunk in progress, then ends
            self.task = None


def create_app(fps: float = 20.0, max_sessions: int = 8) -> Starlette:
    """The playground's ASGI app. ``fps`` caps the frames per second sent to each tab, and
    ``max_sessions`` the tabs training at once (a further tab gets an error and is closed)."""
    if not (math.isfinite(fps) and 0 < fps <= 60):
        raise InvalidParameter("fps", fps, "expected a frame rate in (0, 60]")
    active: set[Connection] = set()

    async def index(request):
        return FileResponse(STATIC / "index.html")

    async def websocket(ws: WebSocket):
        await ws.accept()
        if len(active) >= max_sessions:
            busy = InvalidParameter("sessions", len(active), f"{max_sessions} tabs are already training; close one "
                                    "and reload")
            await ws.send_text(json.dumps(error_event(busy)))
            await ws.close()
            return
        conn = Connection(ws, fps)
        active.add(conn)
        try:
            await conn.serve()
        finally:
            active.discard(conn)

    app = Starlette(routes=[Route("/", index), WebSocketRoute("/ws", websocket),
                            Mount("/static", StaticFiles(directory=STATIC), name="static")])
    app.state.active = active
    return app


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False) -> None:
    """Run the playground with uvicorn until interrupted (``twolayer playground``)."""
    import socket

    import uvicorn

    try:                                  # a clear error before uvicorn's own
        with socket.create_server((host, port)):
            pass
    except OSError as err:
        raise InvalidParameter("--port", port, f"cannot listen on {host}:{port} ({err.strerror}); "
                               "pick another port with --port") from None
    url = f"http://{host}:{port}/"
    print(f"twolayer playground: {url} (Ctrl-C stops it)")
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")


__all__ = ["create_app", "schema", "serve"]

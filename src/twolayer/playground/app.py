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
    ``"message"``). An error from a message (bad JSON, NaN or Infinity, a binary frame, a bad field)
    leaves the session as it was; an error while the run trains (e.g. gradient flow stalled, or
    ``"internal error: ..."`` for a bug) stops the run, and the next messages apply as usual.

Training runs in a worker thread (the compiled kernels release the GIL), one chunk of
``steps_per_frame`` steps at a time, cut short after :data:`CHUNK_SECONDS` of training, and frames
are sent at most ``fps`` times a second. Each tab has its own run and closing a tab stops it; at most
``max_sessions`` tabs train at once (a further Start or Step gets a ``"sessions"`` error) and at most
``max_sockets`` are open (a further tab gets a ``"connections"`` error and is closed).

Checks against other web pages: a request whose ``Host`` header is not one of ``allowed_hosts`` gets
403 and its websocket is refused (DNS rebinding: a page at evil.example resolving to 127.0.0.1), and
a websocket whose ``Origin`` is neither absent (a non-browser client) nor the page's own
``http://<Host>`` is refused (cross-site websocket hijacking). :func:`serve` allows the loopback names
and the bound address with the served port, and warns when it listens beyond loopback.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import json
import logging
import math
import socket
import sys
from dataclasses import fields
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.responses import FileResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketClose, WebSocketDisconnect, WebSocketDisconnected

from ..errors import InvalidParameter, TwolayerError
from .session import CHOICES, LIMITS, Session, Settings, parse_settings

STATIC = Path(__file__).parent / "static"
MESSAGE_TYPES = ("settings", "start", "pause", "step", "reset", "download")
MAX_MESSAGE = 10_000      # characters of one client message
CHUNK_SECONDS = 0.25      # training time of one chunk at most, whatever steps_per_frame asks
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
GONE = (WebSocketDisconnect, WebSocketDisconnected)     # the tab closed
log = logging.getLogger(__name__)


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


def failure_event(err: Exception) -> dict:
    """The event of any exception: :func:`error_event` for twolayer's errors, else an internal
    error (a bug, logged with its traceback)."""
    if isinstance(err, TwolayerError):
        return error_event(err)
    log.error("twolayer playground: internal error", exc_info=err)
    return {"event": "error", "field": None, "message": f"internal error: {type(err).__name__}: {err}"}


class NotANumber(str):
    """``NaN``, ``Infinity`` or ``-Infinity`` in a client message. JSON has no such numbers, so they
    stay words: a setting holding one is refused by name like any other non-number."""

    __repr__ = str.__str__


def parse_message(text: str | None) -> dict:
    """The message of one websocket frame (``None``: a binary one); raises :class:`InvalidParameter`
    naming ``"message"`` or ``"type"``."""
    if text is None:
        raise InvalidParameter("message", "a binary frame", "send JSON text messages")
    if len(text) > MAX_MESSAGE:
        raise InvalidParameter("message", f"{len(text)} characters", f"keep messages under {MAX_MESSAGE}")
    try:
        message = json.loads(text, parse_constant=NotANumber)
    except json.JSONDecodeError as err:
        raise InvalidParameter("message", text[:80], f"not JSON ({err.msg})") from None
    except ValueError:                  # Python's limit of 4300 digits in an integer
        raise InvalidParameter("message", text[:80], "a number has too many digits") from None
    except RecursionError:
        raise InvalidParameter("message", text[:80], "nested too deeply") from None
    if not isinstance(message, dict) or message.get("type") not in MESSAGE_TYPES:
        got = message.get("type") if isinstance(message, dict) else message
        raise InvalidParameter("type", got, "expected one of " + ", ".join(MESSAGE_TYPES))
    return message


class Connection:
    """The run of one browser tab; ``peers`` are all open tabs (this one too), of which at most
    ``max_sessions`` may train at once."""

    def __init__(self, websocket: WebSocket, fps: float, peers: set, max_sessions: int):
        self.ws, self.interval = websocket, 1.0 / fps
        self.peers, self.max_sessions = peers, max_sessions
        self.session = Session(Settings())
        self.running = False
        self.task: asyncio.Task | None = None
        self.lock = asyncio.Lock()          # one chunk or reset at a time

    @property
    def training(self) -> bool:
        """Whether this tab holds a training slot: its run is started or a chunk is under way."""
        return self.running or self.lock.locked()

    def claim_slot(self) -> None:
        """Raise the ``"sessions"`` error if this tab may not train now (``max_sessions`` others do)."""
        others = sum(peer.training for peer in self.peers if peer is not self)
        if not self.training and others >= self.max_sessions:
            raise InvalidParameter("sessions", others, f"{self.max_sessions} tabs are already training; pause or "
                                   "close one and try again")

    async def send(self, message: dict) -> None:
        await self.ws.send_text(json.dumps(message, allow_nan=False))

    async def serve(self) -> None:
        await self.send(schema())
        await self.send(self.session.describe())
        await self.send(self.session.first_frame())
        try:
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                await self.handle(message.get("text"))
        except GONE:
            pass
        finally:
            await self.stop()

    async def handle(self, text: str | None) -> None:
        try:
            message = parse_message(text)
            await getattr(self, "on_" + message["type"])(message)
        except GONE:
            raise
        except Exception as err:            # the session goes on; the tab hears why
            await self.send(failure_event(err))

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
            self.claim_slot()
            self.running = True
            self.task = asyncio.create_task(self.loop())
        await self.send_state()

    async def on_pause(self, message: dict) -> None:
        await self.stop()
        await self.send_state()

    async def on_step(self, message: dict) -> None:
        if not self.running:
            self.claim_slot()
            await self.send(await self.compute())

    async def on_download(self, message: dict) -> None:
        async with self.lock:
            data = await anyio.to_thread.run_sync(self.session.hdf5_bytes)
        await self.ws.send_bytes(data)

    async def send_state(self) -> None:
        await self.send({"event": "state", "running": self.running, "step": self.session.step})

    async def compute(self) -> dict:
        """One chunk's frame (or the divergence event), trained in a worker thread."""
        async with self.lock:
            return await anyio.to_thread.run_sync(self.session.advance, CHUNK_SECONDS)

    async def loop(self) -> None:
        """Train and send chunks until paused, diverged or failed; never raises (:meth:`stop` awaits it)."""
        clock = asyncio.get_running_loop().time
        try:
            while self.running:
                start = clock()
                try:
                    frame = await self.compute()
                except Exception as err:        # e.g. FlowStalled: the run stops and the tab hears why
                    self.running = False
                    await self.send(failure_event(err))
                    await self.send_state()
                    return
                await self.send(frame)
                if frame["event"] == "diverged":
                    self.running = False
                    await self.send_state()
                    return
                await asyncio.sleep(max(0.0, self.interval - (clock() - start)))
        except GONE:                          # the tab went away mid-send
            self.running = False

    async def stop(self) -> None:
        self.running = False
        task, self.task = self.task, None
        if task is not None:
            await task               # finishes the chunk in progress, then ends


def split_host(value: str) -> tuple[str, str | None]:
    """``(name, port or None)`` of a ``Host`` header or an allowed-host entry, lower case; IPv6
    addresses keep their brackets (``"[::1]:8765"`` -> ``("[::1]", "8765")``)."""
    value = value.strip().lower()
    name, colon, port = value.rpartition(":")
    if not colon or "]" in port:
        return value, None
    return name, port


class HostGuard:
    """ASGI middleware: 403 for a request whose ``Host`` is not allowed, and a refused websocket
    (close 1008 before accept: 403 in the handshake) when, besides, its ``Origin`` is another site's.

    ``allowed`` holds ``"name:port"`` entries, or bare names that allow any port.
    """

    def __init__(self, app, allowed):
        self.app, self.allowed = app, {split_host(entry) for entry in allowed}

    def allows(self, host: str) -> bool:
        name, port = split_host(host)
        return (name, port or "80") in self.allowed or (name, None) in self.allowed

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            headers = Headers(scope=scope)
            host, origin = headers.get("host", ""), headers.get("origin")
            same_site = origin is None or origin.lower() in (f"http://{host.lower()}", f"https://{host.lower()}")
            if not self.allows(host) or (scope["type"] == "websocket" and not same_site):
                if scope["type"] == "http":
                    refusal = PlainTextResponse("twolayer playground: this Host is not served here", status_code=403)
                else:
                    refusal = WebSocketClose(code=1008)
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(fps: float = 20.0, max_sessions: int = 8, max_sockets: int = 64,
               allowed_hosts=("testserver", *LOOPBACK)) -> Starlette:
    """The playground's ASGI app.

    Parameters
    ----------
    fps : float
        The most frames per second sent to each tab.
    max_sessions : int
        The most tabs training at once (started, or running a step); a further one gets a
        ``"sessions"`` error event and stays open, idle.
    max_sockets : int
        The most open websockets; a further one gets a ``"connections"`` error event and is closed.
    allowed_hosts : iterable of str
        The ``Host`` headers served: ``"name:port"``, or a bare name for any port. The default
        serves Starlette's test client (``testserver``) and the loopback names on any port;
        :func:`serve` passes the loopback names and the bound address with its port.
    """
    if not (math.isfinite(fps) and 0 < fps <= 60):
        raise InvalidParameter("fps", fps, "expected a frame rate in (0, 60]")
    connections: set[Connection] = set()

    async def index(request):
        return FileResponse(STATIC / "index.html")

    async def websocket(ws: WebSocket):
        await ws.accept()
        if len(connections) >= max_sockets:
            full = InvalidParameter("connections", len(connections), f"{max_sockets} tabs are already open; close "
                                    "one and reload")
            await ws.send_text(json.dumps(error_event(full)))
            await ws.close()
            return
        conn = Connection(ws, fps, connections, max_sessions)
        connections.add(conn)
        try:
            await conn.serve()
        finally:
            connections.discard(conn)

    app = Starlette(routes=[Route("/", index), WebSocketRoute("/ws", websocket),
                            Mount("/static", StaticFiles(directory=STATIC), name="static")],
                    middleware=[Middleware(HostGuard, allowed=tuple(allowed_hosts))])
    app.state.connections = connections
    return app


def check_host(host: str) -> int:
    """The address family ``host`` resolves to; raises :class:`InvalidParameter` naming ``--host``
    when it does not resolve."""
    try:
        if host.replace(".", "").isdigit():     # "999.1.1.1" is no address: no DNS query for it
            ipaddress.ip_address(host)
        return socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][0]
    except (ValueError, OSError, UnicodeError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise InvalidParameter("--host", host, f"not an address of this machine ({reason}); use 127.0.0.1 "
                               "(this machine only) or 0.0.0.0 (every network interface)") from None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback name or address."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False) -> None:
    """Run the playground with uvicorn until interrupted (``twolayer playground``).

    Raises :class:`InvalidParameter` naming ``--host`` when ``host`` is no address of this machine,
    and ``--port`` when the port cannot be listened on (busy, or privileged). Beyond loopback (e.g.
    ``0.0.0.0``) it warns on stderr that the network can reach the lab. Only the loopback names and
    ``host`` itself, with ``port``, are accepted as ``Host``.
    """
    import uvicorn

    family = check_host(host)
    try:                                  # a clear error before uvicorn's own
        with socket.create_server((host, port), family=family):
            pass
    except OSError as err:
        if err.errno == errno.EADDRNOTAVAIL:
            raise InvalidParameter("--host", host, f"not an address of this machine ({err.strerror}); use "
                                   "127.0.0.1 (this machine only) or 0.0.0.0 (every network interface)") from None
        raise InvalidParameter("--port", port, f"cannot listen on {host}:{port} ({err.strerror}); "
                               "pick another port with --port") from None
    name = f"[{host}]" if ":" in host else host
    url = f"http://{name}:{port}/"
    if not is_loopback(host):
        print(f"twolayer playground: warning: listening on {host} exposes the lab to your network; anyone who "
              f"can reach port {port} can run computations on this machine", file=sys.stderr)
    print(f"twolayer playground: {url} (Ctrl-C stops it)")
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    allowed = [f"{n}:{port}" for n in {*LOOPBACK, name}]
    uvicorn.run(create_app(allowed_hosts=allowed), host=host, port=port, log_level="warning")


__all__ = ["create_app", "schema", "serve"]

"""The web server of ``tui-lab serve``: textual-serve's browser side behind a token, with a seat limit.

Every route needs the access token (only ``/``, as ``?token=``) or the session cookie that a
page opened with the token sets; anything else gets 403 and starts nothing. Each websocket
starts one :class:`~tui_lab.serve.visitor.Visitor`; at most ``max_sessions`` run at once, and
the next visitor gets a page that says so. A seat is released however its websocket ends (a
1009 close, a reset, a malformed frame, a server stopping): every frame is checked by
:mod:`tui_lab.serve.protocol`, and an abnormal end is one log line, never a traceback. There
is no download route (tui-lab offers no downloads). SIGINT, SIGTERM and SIGHUP stop the
server and every app it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, WSMsgType, web
from textual_serve.download_manager import DownloadManager

from tui_lab.core.text import one_line
from tui_lab.serve.access import AccessGate
from tui_lab.serve.pages import app_page, forbidden_page, full_page
from tui_lab.serve.protocol import (
    MAX_MESSAGE_BYTES,
    BadMessage,
    Focus,
    Ping,
    Resize,
    Stdin,
    parse_message,
    size_from_query,
)
from tui_lab.serve.textual_serve_adapter import STATIC_DIR
from tui_lab.serve.visitor import Visitor

#: Seconds a closing websocket waits for the browser's reply.
WS_CLOSE_S = 0.2
#: Seconds aiohttp waits for open requests when the server stops.
HTTP_SHUTDOWN_S = 0.25

_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class ServeConfig:
    """What ``tui-lab serve`` was asked for (already checked by the command line)."""

    token: str
    app_argv: tuple[str, ...]
    state_root: Path
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    max_sessions: int = 8

    def __repr__(self) -> str:  # the token never reaches a log or a traceback
        return f"ServeConfig(host={self.host!r}, port={self.port!r}, max_sessions={self.max_sessions!r})"


def say(message: str) -> None:
    """One line of the server's log, on stderr (never holds the token)."""
    print(f"tui-lab serve: {message}", file=sys.stderr, flush=True)


class LabServer:
    """The aiohttp routes of ``tui-lab serve``: the token gate, per-visitor apps and a seat limit.

    It takes textual-serve's browser files and app protocol, not its ``Server`` (whose routes
    include downloads and no gate).
    """

    title = "tui-lab"

    def __init__(self, config: ServeConfig, state_dir: Path) -> None:
        self.config = config
        self.port = config.port
        #: textual-serve's visitor apps need one; tui-lab offers no downloads, so it never holds any.
        self.download_manager = DownloadManager()
        self.state_dir = state_dir
        self.public_url = (config.public_url or "").rstrip("/")
        self.gate = AccessGate(config.token, config.port)
        self._places: set[object] = set()
        self._visitors: set[Visitor] = set()
        self._stopping = False
        self._started = 0

    def bound(self, port: int) -> None:
        """Record the port actually bound (``--port 0`` asks the system for a free one)."""
        self.port = port
        self.gate = AccessGate(self.config.token, port)

    @property
    def sessions(self) -> int:
        """Visitors whose app is starting or running."""
        return len(self._places)

    def web_app(self) -> web.Application:
        """The aiohttp application: the page, the websocket and textual-serve's static files, all behind the gate."""
        app = web.Application(middlewares=[self._guard])
        app.add_routes(
            [
                web.get("/", self.handle_page, name="index"),
                web.get("/ws", self.handle_visitor, name="websocket"),
                web.static("/static", STATIC_DIR, name="static"),
            ]
        )
        return app

    @web.middleware
    async def _guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """403 unless the request shows the token (page only) or the session cookie."""
        gate = self.gate
        allowed = gate.cookie_ok(request.cookies.get(gate.cookie_name)) or (
            request.path == "/" and gate.token_ok(request.query.get("token"))
        )
        if not allowed:
            return self._with_headers(web.Response(status=403, text=forbidden_page(), content_type="text/html"))
        response = await handler(request)
        return response if response.prepared else self._with_headers(response)

    @staticmethod
    def _with_headers(response: web.StreamResponse) -> web.StreamResponse:
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    async def handle_page(self, request: web.Request) -> web.Response:
        """The app's page, or the refusal page when every place is taken."""
        max_sessions = self.config.max_sessions
        if self._stopping or self.sessions >= max_sessions:
            response = web.Response(status=503, text=full_page(max_sessions), content_type="text/html")
            response.headers["Retry-After"] = "60"
        else:
            base = self.public_url
            websocket_url = ""
            if base:
                scheme = "wss" if base.startswith("https:") else "ws"
                websocket_url = f"{scheme}:{base.split(':', 1)[1]}/ws"
            page = app_page(
                title=self.title,
                static_url=f"{base}/static/",
                websocket_url=websocket_url,
                font_size=max(8, min(40, _int(request.query.get("fontsize", "16"), 16))),
            )
            response = web.Response(text=page, content_type="text/html")
        if self.gate.token_ok(request.query.get("token")):
            response.set_cookie(
                self.gate.cookie_name,
                self.gate.cookie_value,
                httponly=True,
                samesite="Lax",
                path="/",
                secure=self.public_url.startswith("https:") or None,
            )
        return response

    def _origin_ok(self, request: web.Request) -> bool:
        """A websocket must come from a page of this server (no cross-site websocket hijacking)."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # not a browser; it showed the cookie all the same
        parts = urlsplit(origin)
        if parts.netloc == request.host:
            return True
        public = urlsplit(self.public_url) if self.public_url else None
        return public is not None and (parts.scheme, parts.netloc) == (public.scheme, public.netloc)

    async def handle_visitor(self, request: web.Request) -> web.StreamResponse:
        """One visitor's websocket: start their app, relay keys and screen, stop it when they go."""
        if not self._origin_ok(request):
            return web.Response(status=403, text="This websocket belongs to another site's page.")
        if self._stopping or self.sessions >= self.config.max_sessions:
            return web.Response(status=503, text=f"All {self.config.max_sessions} places are taken.")
        place = object()
        self._places.add(place)  # no await since the check: the check and the seat are one step
        self._started += 1
        number = self._started
        websocket = web.WebSocketResponse(heartbeat=15, timeout=WS_CLOSE_S, max_msg_size=MAX_MESSAGE_BYTES)
        visitor: Visitor | None = None
        how = ""
        try:
            await websocket.prepare(request)
            visitor = Visitor(
                self.config.app_argv,
                self.state_dir,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
                log=lambda line: say(f"visitor {number}: {line}"),
            )
            self._visitors.add(visitor)
            await visitor.start(*size_from_query(request.query.get("width"), request.query.get("height")))
            say(f"visitor {number} joined ({self.sessions}/{self.config.max_sessions} places taken)")
            how = await self._relay_browser(websocket, visitor)
        except (OSError, ValueError, RuntimeError) as error:
            how = f"connection dropped ({type(error).__name__})"
        finally:
            try:
                if visitor is not None:
                    await visitor.stop()  # never raises; shielded from a cancelled handler
            finally:
                if visitor is not None:
                    self._visitors.discard(visitor)
                self._places.discard(place)
            with contextlib.suppress(Exception):
                await websocket.close()
            ended = f": {how}" if how else ""
            say(f"visitor {number} left{ended} ({self.sessions}/{self.config.max_sessions} places taken)")
        return websocket

    async def _relay_browser(self, websocket: web.WebSocketResponse, visitor: Visitor) -> str:
        """Hand the browser's messages to the app until the websocket ends; returns how it ended ("" when normally)."""
        async for frame in websocket:
            if frame.type == WSMsgType.ERROR:
                return f"connection error ({one_line(str(websocket.exception() or 'unknown'), 120)})"
            if frame.type != WSMsgType.TEXT:
                await websocket.close(code=WSCloseCode.UNSUPPORTED_DATA, message=b"text frames only")
                return "closed: a binary frame"
            try:
                message = parse_message(frame.data)
            except BadMessage as error:
                await websocket.close(code=WSCloseCode.POLICY_VIOLATION, message=b"malformed message")
                return f"closed: a malformed message ({error})"
            if isinstance(message, Stdin):
                await visitor.send_bytes(message.text.encode("utf-8"))
            elif isinstance(message, Resize):
                await visitor.set_terminal_size(message.width, message.height)
            elif isinstance(message, Ping):
                await websocket.send_json(["pong", message.data])
            elif isinstance(message, Focus):
                await (visitor.focus() if message.focused else visitor.blur())
        return close_reason(websocket.close_code)

    async def stop_visitors(self) -> None:
        """Refuse new visitors and stop every app (terminate, then kill) at once."""
        self._stopping = True
        visitors = list(self._visitors)
        await asyncio.gather(*(v.stop(polite=False) for v in visitors), return_exceptions=True)


#: Close codes a browser sends when all is well: normal, and "going away" (the tab closed).
_NORMAL_CLOSES = {WSCloseCode.OK, WSCloseCode.GOING_AWAY}
_CLOSE_NAMES: dict[int, str] = {
    WSCloseCode.MESSAGE_TOO_BIG: "message too big",
    WSCloseCode.ABNORMAL_CLOSURE: "connection lost",
    WSCloseCode.PROTOCOL_ERROR: "protocol error",
    WSCloseCode.UNSUPPORTED_DATA: "unsupported data",
    WSCloseCode.POLICY_VIOLATION: "policy violation",
    WSCloseCode.INTERNAL_ERROR: "internal error",
}


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default


def close_reason(code: int | None) -> str:
    """How a websocket closed by the browser ended, for the log: "" when normally."""
    if code is None or code in _NORMAL_CLOSES:
        return ""
    name = _CLOSE_NAMES.get(code)
    return f"the browser closed with {code}" + (f" ({name})" if name else "")


def public_base(config: ServeConfig, port: int) -> str:
    """The address printed for visitors (without the token)."""
    if config.public_url:
        return config.public_url.rstrip("/")
    host = config.host
    if host in ("0.0.0.0", "::", ""):
        import socket

        host = socket.gethostname()
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def remove_stale_state(state_root: Path) -> list[Path]:
    """Remove the state directories of servers that are gone (killed outright, so they could not); returns them.

    Each server's directory is ``server-<pid>-…``; one whose pid no longer runs is left over. A
    directory of a live server (another port, or a reused pid) is kept.
    """
    removed = []
    for path in state_root.glob("server-*-*"):
        pid = path.name.split("-")[1]
        if not pid.isdigit() or not path.is_dir() or _process_alive(int(pid)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive, and not ours to judge
        return True
    return True


@dataclass
class Listening:
    """A started server: the web server, its aiohttp runner, the port bound and its state directory."""

    server: LabServer
    runner: web.AppRunner
    port: int
    state_dir: Path

    async def close(self) -> None:
        """Stop every app, then the web server; remove the state directory."""
        try:
            await self.server.stop_visitors()
        finally:
            await self.runner.cleanup()
            shutil.rmtree(self.state_dir, ignore_errors=True)


async def listen(config: ServeConfig) -> Listening:
    """Start serving ``config`` (OSError when the address cannot be bound); stop with :meth:`Listening.close`."""
    remove_stale_state(config.state_root)
    state_dir = Path(tempfile.mkdtemp(prefix=f"server-{os.getpid()}-", dir=config.state_root))
    server = LabServer(config, state_dir)
    runner = web.AppRunner(server.web_app(), access_log=None, shutdown_timeout=HTTP_SHUTDOWN_S)
    await runner.setup()
    try:
        await web.TCPSite(runner, config.host, config.port).start()
    except BaseException:
        await runner.cleanup()
        shutil.rmtree(state_dir, ignore_errors=True)
        raise
    port = runner.addresses[0][1] if runner.addresses else config.port
    server.bound(port)
    return Listening(server, runner, port, state_dir)


async def _serve(config: ServeConfig, ready: Callable[[str, int], None]) -> int:
    try:
        listening = await listen(config)
    except OSError as error:
        say(f"cannot listen on {config.host}:{config.port}: {error.strerror or error}")
        return 1
    try:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        for sig in signals:
            loop.add_signal_handler(sig, stop.set)
        host = f"[{config.host}]" if ":" in config.host else config.host
        say(f"listening on http://{host}:{listening.port}")
        ready(f"{public_base(config, listening.port)}/?token={config.token}", listening.port)
        await stop.wait()
        for sig in signals:  # a second ctrl+c is not swallowed
            loop.remove_signal_handler(sig)
        say(f"stopping {listening.server.sessions} app(s)…")
        return 0
    finally:
        await listening.close()


def run(config: ServeConfig, ready: Callable[[str, int], None]) -> int:
    """Serve until SIGINT/SIGTERM/SIGHUP; ``ready`` gets the URL (with token) and the bound port once listening."""
    return asyncio.run(_serve(config, ready))

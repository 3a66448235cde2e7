"""``tui-lab serve`` over plain HTTP and websockets: the token gate, the seat limit, stopping.

Each server test runs the real command on a free localhost port (``--port 0``) and reads
/proc for the app processes it started. Waits are bounded polls on conditions.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from yarl import URL

from tests.browser.harness import Served, alive, app_processes, served, stop_server
from tests.waiting import eventually
from tui_lab.cli.serve import app_argv, build_parser, is_loopback, main, network_warning
from tui_lab.core.lifetime import SERVER_PID_ENV
from tui_lab.serve.access import AccessGate, TokenError, check_token, load_or_create_token_file, new_token

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to find the app processes")


# -- command line -----------------------------------------------------------------------


def test_serve_help_imports_neither_torch_nor_textual() -> None:
    code = (
        "import sys\n"
        "from tui_lab.cli import main\n"
        "try:\n    main(['serve', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED', sorted(m for m in ('torch', 'textual', 'aiohttp', 'textual_serve', 'pandas')"
        " if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert "--max-sessions" in result.stdout and "ssh -L 8000:127.0.0.1:8000" in result.stdout
    assert "LOADED []" in result.stdout, result.stdout


def test_defaults_are_private_and_app_options_reach_the_child(tmp_path: Path) -> None:
    csv = tmp_path / "house.csv"
    csv.write_text("a,b\n1,2\n")
    args = build_parser().parse_args(["--pane", "train", "--device", "cpu", str(csv)])
    assert (args.host, args.port, args.max_sessions, args.public_url) == ("127.0.0.1", 8000, 8, None)
    assert app_argv(args) == (sys.executable, "-m", "tui_lab", "--pane", "train", "--device", "cpu", str(csv))


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.3.2.1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("lab.example.org", False),
    ],
)
def test_only_loopback_hosts_are_quiet(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_network_warning_is_loud_and_offers_the_tunnel() -> None:
    text = network_warning("0.0.0.0", 8000)
    assert "WARNING" in text and "run Python code as" in text and "ssh -L 8000:127.0.0.1:8000" in text


@pytest.mark.parametrize(
    "argv",
    [
        ["--max-sessions", "0"],
        ["--port", "70000"],
        ["--public-url", "ftp://x"],
        ["--public-url", "https://x/y"],
        ["--pane", "nope"],
        ["--device", "gpu"],
    ],
)
def test_bad_options_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "tui-lab serve: error:" in capsys.readouterr().err


def test_missing_csv_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "absent.csv")]) == 2
    assert "no such CSV file" in capsys.readouterr().err


# -- the token --------------------------------------------------------------------------


def test_gate_compares_token_and_cookie() -> None:
    token = new_token()
    gate = AccessGate(token, 8123)
    assert gate.token_ok(token)
    for wrong in (None, "", token[:-1], token + "x", "é" * 43, "\x00"):
        assert not gate.token_ok(wrong)
    assert gate.cookie_ok(gate.cookie_value) and not gate.cookie_ok(token)
    assert gate.cookie_name == "tui_lab_serve_8123"
    assert token not in repr(gate) and gate.cookie_value not in repr(gate)


def test_token_file_is_created_private_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "token"
    token, created = load_or_create_token_file(path)
    assert created and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_token_file(path) == (token, False)
    path.write_text("  my-own-course-token-2026 \n")
    assert load_or_create_token_file(path) == ("my-own-course-token-2026", False)


@pytest.mark.parametrize("text", ["short", "has spaces in the token!!", "x" * 5000])
def test_unusable_tokens_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "token"
    path.write_text(text)
    with pytest.raises(TokenError):
        load_or_create_token_file(path)


def test_token_file_must_be_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(TokenError, match="not a regular file"):
        load_or_create_token_file(fifo)
    assert check_token("a" * 16) == "a" * 16


# -- the server -------------------------------------------------------------------------


def client() -> aiohttp.ClientSession:
    # unsafe=True: keep cookies set by an IP address such as 127.0.0.1
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_token_gate_over_http(tmp_path: Path) -> None:
    with served([], tmp_path / "home") as server:
        pid = server.process.pid
        async with client() as http:
            for url in (
                server.base + "/",
                server.base + "/?token=wrong",
                f"{server.base}/?token={server.token}x",
                server.base + "/?token=%C3%A9",
                server.base + "/static/js/textual.js",
                f"{server.base}/static/js/textual.js?token={server.token}",
                server.base + "/download/x",
            ):
                async with http.get(url) as response:
                    assert response.status == 403, url
                    body = await response.text()
                    assert "token" in body and "textual.js" not in body
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(server.base + "/ws")
            assert refused.value.status == 403
            assert app_processes(pid) == [], "a refused visitor started an app"
            assert http.cookie_jar.filter_cookies(URL(server.base)) == {}

            async with http.get(server.url) as response:
                assert response.status == 200
                page = await response.text()
                assert 'class="textual-terminal"' in page and server.token not in page
                assert "HttpOnly" in response.headers["Set-Cookie"]
                assert response.headers["Cache-Control"] == "no-store"
            async with http.get(server.base + "/static/js/textual.js") as response:
                assert response.status == 200  # the cookie opens the assets
            with pytest.raises(aiohttp.WSServerHandshakeError) as foreign:
                await http.ws_connect(server.base + "/ws", origin="http://evil.example")
            assert foreign.value.status == 403
        assert app_processes(pid) == []
    assert server.process.returncode == 0


async def test_public_url_and_token_file(tmp_path: Path) -> None:
    token_file = tmp_path / "course-token"
    token_file.write_text("course-token-for-monday-2026\n")
    token_file.chmod(0o600)
    args = ["--public-url", "https://lab.example.org", "--token-file", str(token_file)]
    with served(args, tmp_path / "home") as server:
        assert server.url == "https://lab.example.org/?token=course-token-for-monday-2026"
        async with client() as http, http.get(f"{server.local}/?token={server.token}") as response:
            assert response.status == 200
            page = await response.text()
            assert 'data-session-websocket-url="wss://lab.example.org/ws"' in page
            assert 'href="https://lab.example.org/static/css/xterm.css"' in page
            assert "Secure" in response.headers["Set-Cookie"]
    assert "readable by other users" not in server.printed


async def open_visitor(http: aiohttp.ClientSession, server: Served) -> aiohttp.ClientWebSocketResponse[bool]:
    """A visitor's websocket (the page first, for the cookie), once its app has drawn a frame."""
    async with http.get(server.url) as response:
        assert response.status == 200
    websocket = await http.ws_connect(server.base + "/ws?width=100&height=30")
    message = await websocket.receive(timeout=60)
    assert message.type == aiohttp.WSMsgType.BINARY, message
    return websocket


def visitor_home(pid: int) -> Path:
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return Path(next(v for v in environ if v.startswith(b"TUI_LAB_HOME=")).split(b"=", 1)[1].decode())


async def test_max_sessions_plus_one_gets_the_refusal_page(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with served(["--max-sessions", "1"], home) as server:
        pid = server.process.pid
        async with client() as http:
            first = await open_visitor(http, server)
            (child,) = app_processes(pid)
            state = visitor_home(child)
            assert (
                state.is_dir() and state.is_relative_to(home / "state" / "serve") and state.name.startswith("visitor-")
            )

            async with http.get(server.url) as response:
                assert response.status == 503
                page = await response.text()
                assert "tui-lab is full" in page and "--max-sessions" in page and "textual.js" not in page
            with pytest.raises(aiohttp.WSServerHandshakeError) as full:
                await http.ws_connect(server.base + "/ws")
            assert full.value.status == 503
            assert app_processes(pid) == [child]

            await first.close()
            await eventually(lambda: not alive(child), "the first visitor's app to stop")
            await eventually(lambda: not state.exists(), "the first visitor's state directory to go")
            async with http.get(server.url) as response:
                assert response.status == 200, "the place is free again"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl+c", "SIGTERM"])
async def test_ctrl_c_stops_the_server_and_every_app(tmp_path: Path, sig: signal.Signals) -> None:
    home = tmp_path / "home"
    with served([], home) as server:
        pid = server.process.pid
        async with client() as http:
            websocket = await open_visitor(http, server)
            (child,) = app_processes(pid)
            assert os.getpgid(child) == child, "each app leads its own process group"
            status = await asyncio.to_thread(stop_server, server.process, sig)
            assert status == 0
            assert not alive(child)
            with pytest.raises(ProcessLookupError):
                os.killpg(child, 0)
            await websocket.close()
        assert list((home / "state" / "serve").iterdir()) == [], "the server removes its state directories"
    assert "visitor 1 joined" in server.printed and "stopping 1 app" in server.printed


async def test_a_killed_server_leaves_no_app_running_and_the_next_one_clears_its_state(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with served([], home) as server:
        pid = server.process.pid
        async with client() as http:
            websocket = await open_visitor(http, server)
            (child,) = app_processes(pid)
            assert visitor_environ(child)[SERVER_PID_ENV] == str(pid)
            left = visitor_home(child).parent
            server.process.kill()  # SIGKILL: the server cannot stop its apps
            server.process.wait(timeout=30)
            await eventually(lambda: not alive(child), "the orphaned app to quit")
            await websocket.close()
    assert left.is_dir() and left.name.startswith(f"server-{pid}-")
    with served([], home):
        assert not left.exists(), "a new server removes what a killed one left"


async def test_a_killed_server_takes_what_the_visitors_started_with_it(tmp_path: Path) -> None:
    """#20.7: processes a visitor started from the REPL die with a SIGKILLed server (in the app's group or not)."""
    with served([], tmp_path / "home") as server:
        async with client() as http:
            websocket = await open_visitor(http, server)
            (child,) = app_processes(server.process.pid)
            line = ('import subprocess; a = subprocess.Popen(["sleep", "1000"]); '
                    'b = subprocess.Popen(["sleep", "1001"], start_new_session=True)\r')  # fmt: skip
            await websocket.send_json(["stdin", line])
            await eventually(lambda: len(sleepers(child)) == 2, "the REPL to start both processes", timeout=60)
            started = [child, *sleepers(child)]
            server.process.kill()
            server.process.wait(timeout=30)
            try:
                await eventually(lambda: not any(alive(pid) for pid in started), "the app and what it started to end")
            finally:
                for pid in filter(alive, started):  # a failure leaves nothing behind
                    os.kill(pid, signal.SIGKILL)
            await websocket.close()


def sleepers(pid: int) -> list[int]:
    """Live ``sleep`` processes below ``pid``."""
    from tui_lab.core.lifetime import descendants

    found = []
    for entry in descendants(pid):
        with contextlib.suppress(OSError):
            if entry.running and Path(f"/proc/{entry.pid}/comm").read_text().strip() == "sleep":
                found.append(entry.pid)
    return found


async def test_two_abnormal_closes_leave_a_two_seat_server_open(tmp_path: Path) -> None:
    """#20.6 as reported: clients that close with 1009 while their app draws must not fill the server."""
    with served(["--max-sessions", "2"], tmp_path / "home") as server:
        pid = server.process.pid
        async with client() as http:
            async with http.get(server.url) as response:
                assert response.status == 200
            for _ in range(2):
                websocket = await http.ws_connect(server.base + "/ws?width=100&height=30", max_msg_size=1024)
                await websocket.send_json(["resize", {"width": 3000, "height": 3000}])
                while (message := await websocket.receive(timeout=60)).type == aiohttp.WSMsgType.BINARY:
                    pass  # frames under 1 kB pass; the first larger one makes the client give up
                assert message.type == aiohttp.WSMsgType.ERROR and websocket.close_code == 1009
                await websocket.close()
            await eventually(lambda: app_processes(pid) == [], "both apps to stop")
            statuses: list[int] = []
            while not statuses or statuses[-1] != 200:
                async with http.get(server.url) as response:
                    statuses.append(response.status)
                assert len(statuses) < 600, "the server stayed full"
                await asyncio.sleep(0.05)
    assert "Traceback" not in server.printed
    assert server.printed.count("left: the browser closed with 1009 (message too big)") == 2, server.printed


def visitor_environ(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(p.decode(errors="replace").split("=", 1) for p in pairs if b"=" in p)


GROUP_LEADER = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
open(sys.argv[1], "w").write(str(child.pid))
time.sleep(600)
"""


async def test_stopping_an_app_reaches_the_process_groups_it_started(tmp_path: Path) -> None:
    """Train's launcher runs in a process group of its own: stopping the app must reach it too."""
    from textual_serve.download_manager import DownloadManager

    from tui_lab.serve.visitor import Visitor

    async def ignore(*_: object) -> None:
        return None

    pid_file = tmp_path / "grandchild"
    visitor = Visitor(
        [sys.executable, "-c", GROUP_LEADER, str(pid_file)],
        tmp_path,
        write_bytes=ignore,
        write_str=ignore,
        close=ignore,
        download_manager=DownloadManager(),
    )
    await visitor.start(80, 24)
    await eventually(lambda: pid_file.exists() and pid_file.read_text().isdigit(), "the grandchild")
    grandchild = int(pid_file.read_text())
    assert os.getpgid(grandchild) == grandchild != visitor.pid
    await visitor.stop(polite=False)
    assert visitor.pid is not None and not alive(visitor.pid)
    await eventually(lambda: not alive(grandchild), "the grandchild to go", timeout=5)
    assert not visitor.home.exists()


#: Starts a process in a session of its own (``setsid``, as a REPL input may), then quits when asked to, as an app does.
QUITS_WHEN_ASKED = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
open(sys.argv[1], "w").write(str(child.pid))
seen = b""
while b"quit" not in seen:
    chunk = sys.stdin.buffer.read1(65536)
    if not chunk:
        break
    seen = seen[-16:] + chunk
"""


async def test_a_visitor_who_leaves_takes_what_their_app_started_in_sessions_of_its_own(tmp_path: Path) -> None:
    """A visitor's tab closed: the app quits when asked, and a process it started with setsid goes too.

    It used to survive: the groups to end were gathered only after the app had quit, when the
    process was init's and no longer the app's descendant.
    """
    from textual_serve.download_manager import DownloadManager

    from tui_lab.serve.visitor import Visitor

    async def ignore(*_: object) -> None:
        return None

    pid_file = tmp_path / "grandchild"
    visitor = Visitor(
        [sys.executable, "-c", QUITS_WHEN_ASKED, str(pid_file)],
        tmp_path,
        write_bytes=ignore,
        write_str=ignore,
        close=ignore,
        download_manager=DownloadManager(),
    )
    await visitor.start(80, 24)
    await eventually(lambda: pid_file.exists() and pid_file.read_text().isdigit(), "the grandchild")
    grandchild = int(pid_file.read_text())
    assert os.getsid(grandchild) == grandchild != visitor.pid
    try:
        await visitor.stop()  # polite: the app is asked to quit, and does
        assert visitor.pid is not None and not alive(visitor.pid)
        await eventually(lambda: not alive(grandchild), "the grandchild to go", timeout=5)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(grandchild, signal.SIGKILL)


def test_the_token_is_printed_once_and_logged_nowhere(tmp_path: Path) -> None:
    with served(["--host", "127.0.0.1"], tmp_path / "home") as server:
        pass
    assert server.printed.count(server.token) == 1, server.printed
    assert "share it only with your students" in server.printed and "WARNING" not in server.printed


@pytest.mark.parametrize(("asked", "bound"), [(8765, 8765), (0, 43117)], ids=["--port 8765", "--port 0"])
def test_a_network_host_is_served_with_a_warning_naming_the_bound_port(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], asked: int, bound: int
) -> None:
    import tui_lab.serve.server

    seen: list[tui_lab.serve.server.ServeConfig] = []

    def fake_run(config: tui_lab.serve.server.ServeConfig, ready: Callable[[str, int], None]) -> int:
        seen.append(config)
        ready(f"http://lab:{bound}/?token={config.token}", bound)  # as the real server does once it has bound
        return 0

    monkeypatch.setattr(tui_lab.serve.server, "run", fake_run)
    assert main(["--host", "0.0.0.0", "--port", str(asked)]) == 0
    (config,) = seen
    assert (config.host, config.port, config.max_sessions) == ("0.0.0.0", asked, 8)
    assert config.token not in repr(config)
    err = capsys.readouterr().err
    assert "WARNING: listening on 0.0.0.0" in err
    assert f"reach port {bound}\n" in err and f"ssh -L {bound}:127.0.0.1:{bound} user@this-server" in err
    assert "port 0" not in err and ":0 " not in err

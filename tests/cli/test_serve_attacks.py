"""``tui-lab serve`` under attack: hostile frames, abnormal closes, huge sizes, traversal, hostile apps.

The server runs in-process on a free port (:func:`tui_lab.serve.server.listen`) and each
visitor's app is ``fake_web_app.py``, which speaks the web driver's packets and logs what it
receives, so these tests start in well under a second and see exactly what reached the app.
Waits are bounded polls on conditions.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.browser.harness import alive
from tui_lab.serve.access import new_token
from tui_lab.serve.protocol import MAX_COLUMNS, MAX_MESSAGE_BYTES, MAX_ROWS, MIN_ROWS, safe_url, size_from_query
from tui_lab.serve.server import Listening, ServeConfig, listen

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to find the app processes")

FAKE_APP = Path(__file__).with_name("fake_web_app.py")


async def until(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    """Poll ``condition`` without blocking the event loop; fail naming ``what`` past ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


@dataclass
class Lab:
    """A listening server whose visitors run the fake app, and an HTTP client holding its cookie."""

    listening: Listening
    http: aiohttp.ClientSession
    token: str
    app_log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.listening.port}"

    @property
    def sessions(self) -> int:
        return self.listening.server.sessions

    def received(self) -> list[dict]:
        """Every packet the fake apps received, in order (with their start-up notes)."""
        if not self.app_log.exists():
            return []
        return [json.loads(line) for line in self.app_log.read_text().splitlines() if line.endswith("}")]

    async def visitor(self, query: str = "", **options: object) -> aiohttp.ClientWebSocketResponse[bool]:
        """A visitor's websocket once its app has sent its first frame."""
        websocket = await self.http.ws_connect(f"{self.base}/ws{query}", **options)  # type: ignore[arg-type]
        first = await websocket.receive(timeout=30)
        assert first.type == aiohttp.WSMsgType.BINARY and first.data.endswith(b"ready"), first
        return websocket


@asynccontextmanager
async def lab(tmp_path: Path, max_sessions: int = 2) -> AsyncIterator[Lab]:
    token = new_token()
    app_log = tmp_path / "app.jsonl"
    (tmp_path / "state").mkdir()
    config = ServeConfig(token=token, app_argv=(sys.executable, str(FAKE_APP), str(app_log)),
                         state_root=tmp_path / "state", port=0, max_sessions=max_sessions)  # fmt: skip
    listening = await listen(config)
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(f"http://127.0.0.1:{listening.port}/?token={token}") as page:
                assert page.status == 200
            yield Lab(listening, http, token, app_log)
    finally:
        await listening.close()


def started_pids(lab_: Lab) -> list[int]:
    return [event["pid"] for event in lab_.received() if event["type"] == "start"]


async def test_abnormal_closes_never_leak_a_seat(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """#20.6: a client that closes with 1009 while the app writes must give its seat back."""
    async with lab(tmp_path, max_sessions=2) as it:
        for _ in range(2):
            websocket = await it.visitor(max_msg_size=4096)
            await websocket.send_json(["stdin", "flood"])  # the app now writes frames of 4 MB without end
            closed = await websocket.receive(timeout=30)  # the client gives up: "message too big"
            assert closed.type == aiohttp.WSMsgType.ERROR and websocket.close_code == 1009
            await websocket.close()  # and drops the connection while the server is still writing
            await until(lambda: it.sessions == 0, "the seat to be released")
        assert all(not alive(pid) for pid in started_pids(it))
        third = await it.visitor()  # the server is not full
        await third.close()
    log = capsys.readouterr().err
    assert "Traceback" not in log
    assert log.count("left: the browser closed with 1009 (message too big)") == 2, log


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", 1008), ("{}", 1008), ("[]", 1008), ("[1]", 1008), ('"stdin"', 1008),
        ('["stdin", 5]', 1008), ('["stdin", "\\ud800"]', 1008), ('["resize", [80, 24]]', 1008),
        ('["resize", {"width": "80", "height": 24}]', 1008), ('["resize", {"width": true, "height": 24}]', 1008),
        ('["resize", {"width": 80.5, "height": 24}]', 1008), ('["ping", {"a": 1}]', 1008),
        ('["ping", "' + "x" * 65 + '"]', 1008), (b"\x00binary", 1003),
    ],
)  # fmt: skip
async def test_malformed_frames_close_quietly_and_reach_no_app(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], frame: str | bytes, code: int
) -> None:
    async with lab(tmp_path) as it:
        websocket = await it.visitor()
        await (websocket.send_bytes(frame) if isinstance(frame, bytes) else websocket.send_str(frame))
        closed = await websocket.receive(timeout=30)
        assert closed.type == aiohttp.WSMsgType.CLOSE and websocket.close_code == code
        await until(lambda: it.sessions == 0, "the seat to be released")
        assert [e["type"] for e in it.received()] in (["start"], ["start", "quit"])
    log = capsys.readouterr().err
    assert "Traceback" not in log and log.count("visitor 1 left: closed: a ") == 1, log


async def test_a_frame_over_the_limit_is_refused_with_1009(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with lab(tmp_path) as it:
        websocket = await it.visitor()
        await websocket.send_json(["stdin", "x" * MAX_MESSAGE_BYTES])
        closed = await websocket.receive(timeout=30)
        assert closed.type == aiohttp.WSMsgType.CLOSE and websocket.close_code == 1009
        await until(lambda: it.sessions == 0, "the seat to be released")
        assert [e["type"] for e in it.received()] in (["start"], ["start", "quit"])
    log = capsys.readouterr().err
    assert "Traceback" not in log and "visitor 1 left: connection error (" in log


async def test_unknown_messages_are_ignored_and_good_ones_pass(tmp_path: Path) -> None:
    async with lab(tmp_path) as it:
        websocket = await it.visitor()
        for message in (["future-type", {"x": 1}], ["focus"], ["blur"], ["stdin", "é"], ["resize", {"width": 100.0,
                        "height": 30}], ["ping", "1712"]):  # fmt: skip
            await websocket.send_json(message)
        pong = await websocket.receive(timeout=30)
        assert pong.type == aiohttp.WSMsgType.TEXT and json.loads(pong.data) == ["pong", "1712"]
        await until(lambda: len(it.received()) >= 5, "the app to receive the messages")
        assert it.received()[1:5] == [{"type": "focus"}, {"type": "blur"}, {"type": "stdin", "text": "é"},
                                      {"type": "resize", "width": 100, "height": 30}]  # fmt: skip
        await websocket.close()


async def test_terminal_sizes_are_clamped(tmp_path: Path) -> None:
    async with lab(tmp_path) as it:
        websocket = await it.visitor("?width=3000&height=-4")
        await websocket.send_json(["resize", {"width": 3000, "height": 3000}])
        await websocket.send_json(["resize", {"width": 0, "height": 10**12}])
        await until(lambda: len(it.received()) == 3, "the two resizes")
        start, huge, odd = it.received()
        assert (start["width"], start["height"]) == (MAX_COLUMNS, 24)  # "-4" is not a number: the default
        assert (huge["width"], huge["height"]) == (MAX_COLUMNS, MAX_ROWS)
        assert odd["height"] == MAX_ROWS and odd["width"] < 80 and MIN_ROWS <= 24
        await websocket.close()


async def test_the_app_opens_only_web_links_and_offers_no_downloads(tmp_path: Path) -> None:
    async with lab(tmp_path) as it:
        websocket = await it.visitor()
        await websocket.send_json(["stdin", "url"])
        seen: list[Any] = []
        while not (seen and seen[-1].type == aiohttp.WSMsgType.BINARY and seen[-1].data == b"urls sent"):
            seen.append(await websocket.receive(timeout=30))
        texts = [json.loads(m.data) for m in seen if m.type == aiohttp.WSMsgType.TEXT]
        assert texts == [["open_url", {"url": "https://d2l.ai/", "new_tab": False}]]
        async with it.http.get(f"{it.base}/download/k") as response:
            assert response.status == 404
        await websocket.close()


async def test_an_app_that_fails_to_start_is_one_clean_log_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NO_PRELUDE", "1")
    async with lab(tmp_path) as it:
        websocket = await it.http.ws_connect(f"{it.base}/ws")
        closed = await websocket.receive(timeout=30)
        assert closed.type == aiohttp.WSMsgType.CLOSE
        await until(lambda: it.sessions == 0, "the seat to be released")
    captured = capsys.readouterr()
    assert "\x1b" not in captured.err + captured.out and "PWNED" not in captured.out
    (line,) = [line for line in captured.err.splitlines() if "did not start" in line]
    assert line.startswith("tui-lab serve: visitor 1: the app did not start (ModuleNotFoundError: ␛]0;owned")
    assert len(line) < 300


@pytest.mark.parametrize(
    "path",
    ["/static/../server.py", "/static/%2e%2e/server.py", "/static/..%2fserver.py", "/static//etc/passwd",
     "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/static/js/../../server.py"],
)  # fmt: skip
async def test_static_files_do_not_leave_their_folder(tmp_path: Path, path: str) -> None:
    async with lab(tmp_path) as it, it.http.get(it.base + path) as response:
        body = await response.text()
        assert response.status in (403, 404), path
        assert "root:" not in body and "class LabServer" not in body


async def test_websockets_need_the_cookie_and_a_same_site_origin(tmp_path: Path) -> None:
    async with lab(tmp_path) as it:
        for origin in ("null", "http://evil.example", f"http://127.0.0.1:{it.listening.port}.evil.example",
                       f"https://127.0.0.1:{it.listening.port}x"):  # fmt: skip
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await it.http.ws_connect(f"{it.base}/ws", origin=origin)
            assert refused.value.status == 403, origin
        async with aiohttp.ClientSession() as stranger:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await stranger.ws_connect(f"{it.base}/ws", headers={"Cookie": f"tui_lab_serve_{it.listening.port}=x"})
            assert refused.value.status == 403
        assert it.received() == [] and it.sessions == 0


@pytest.mark.parametrize(
    ("url", "allowed"),
    [("https://d2l.ai/", True), ("HTTP://example.org/x", True), ("javascript:alert(1)", False),
     (" JavaScript:alert(1)", False), ("java\tscript:alert(1)", False), ("\x01javascript:x", False),
     ("data:text/html,<script>", False), ("file:///etc/passwd", False), ("//evil.example/", False), (42, False),
     ("https://" + "a" * 5000, False)],
)  # fmt: skip
def test_only_web_links_may_be_opened(url: object, allowed: bool) -> None:
    assert (safe_url(url) is not None) is allowed


def test_sizes_from_the_query_are_numbers_within_bounds() -> None:
    assert size_from_query(None, None) == (80, 24)
    assert size_from_query("٣٣٣", "30") == (80, 30)  # digits, but not ASCII ones
    assert size_from_query("99999999999999999999", "1") == (80, MIN_ROWS)
    assert size_from_query("100", "30") == (100, 30)

"""serve.textual_serve_adapter against the installed textual-serve: its static files and its app protocol."""

from __future__ import annotations

import asyncio
import json
import shlex
import sys

from textual_serve.download_manager import DownloadManager

from tests.waiting import eventually
from tui_lab.serve.textual_serve_adapter import STATIC_DIR, AppProcess

#: An app under the web driver in miniature: the prelude, its environment as a data packet, then one
#: packet read from its stdin and sent back (so the adapter's stdin is the one textual-serve writes to).
CHILD = r"""
import json, os, sys
out = sys.stdout.buffer
def packet(kind, payload):
    out.write(kind + len(payload).to_bytes(4, "big") + payload)
    out.flush()
out.write(b"__GANGLION__\n")
out.flush()
packet(b"D", json.dumps({k: os.environ.get(k) for k in ("TEXTUAL_DRIVER", "COLUMNS", "ROWS", "LAB_MARK")}).encode())
header = sys.stdin.buffer.read(5)
packet(b"D", header[:1] + sys.stdin.buffer.read(int.from_bytes(header[1:], "big")))
"""


class Marked(AppProcess):
    def environment(self, width: int, height: int) -> dict[str, str]:
        environment = super().environment(width, height)
        environment["LAB_MARK"] = "visitor"
        return environment


def test_the_static_folder_holds_what_the_page_loads() -> None:
    for name in ("js/textual.js", "css/xterm.css"):
        assert (STATIC_DIR / name).is_file(), name


async def test_an_app_process_starts_with_its_environment_talks_and_hands_over_its_relay() -> None:
    received: list[bytes] = []

    async def write_bytes(data: bytes) -> None:
        received.append(data)

    async def ignore(*_: object) -> None:
        return None

    app = Marked(
        shlex.join([sys.executable, "-c", CHILD]),  # the default open_process: textual-serve's, through a shell
        write_bytes=write_bytes,
        write_str=ignore,
        close=ignore,
        download_manager=DownloadManager(),
    )
    assert app.process is None and app.relay is None
    await app.start(100, 30)
    process, relay = app.process, app.relay
    assert process is not None and relay is not None
    await eventually(lambda: received, "the app's first packet", state=lambda: process.returncode)
    assert json.loads(received[0]) == {
        "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver",
        "COLUMNS": "100",
        "ROWS": "30",
        "LAB_MARK": "visitor",
    }
    assert await app.send_bytes(b"keys")
    assert app.take_relay() is relay and app.relay is None
    await asyncio.wait_for(relay, 60)  # the relay ends with the app's output; the bound is a safety net
    assert received[1:] == [b"Dkeys"]
    assert await process.wait() == 0

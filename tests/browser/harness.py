"""Start ``tui-lab serve`` in a subprocess and read its app's screen in headless Chromium.

Shared by tests/cli/test_serve.py, tests/browser/ and bench/serve.py. The browser is Debian's
``/usr/bin/chromium`` driven by Playwright; nothing is downloaded at run time. The screen is
read from xterm.js's buffer, not from pixels: an init script catches the page's ``Terminal``
object as textual.js stores it, and ``screen_text`` reads its visible rows.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
URL_RE = re.compile(r"(https?://\S+/\?token=[A-Za-z0-9_\-]+)\n")
LISTENING_RE = re.compile(r"listening on (http://\S+)\n")


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not Path(CHROMIUM).is_file():
        return f"{CHROMIUM} is absent (apt-get install chromium; .ci/run installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is absent (pip install -e '.[test]')"
    return None


@dataclass
class Served:
    """A running ``tui-lab serve``: its process, the URL with the token and the bare base URL."""

    process: subprocess.Popen[str]
    url: str
    #: Where the server listens (differs from ``base`` with ``--public-url``).
    local: str = ""
    #: Everything the server printed (stdout and stderr), complete once the block has ended.
    printed: str = ""

    @property
    def base(self) -> str:
        return self.url.split("/?token=", 1)[0]

    @property
    def token(self) -> str:
        return self.url.split("/?token=", 1)[1]


def _read_url(process: subprocess.Popen[str], deadline: float) -> tuple[str, str, str]:
    """The URL the server printed, where it listens, and all it printed (both streams) so far."""
    assert process.stdout is not None and process.stderr is not None
    streams = {process.stdout.fileno(): "", process.stderr.fileno(): ""}
    while time.monotonic() < deadline and streams:
        ready, _, _ = select.select(list(streams), [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        for fd in ready:
            chunk = os.read(fd, 4096).decode("utf-8", "replace")
            if not chunk:
                del streams[fd]
                continue
            streams[fd] += chunk
        out, err = streams.get(process.stdout.fileno(), ""), streams.get(process.stderr.fileno(), "")
        url, local = URL_RE.search(out), LISTENING_RE.search(err)
        if url and local:
            return url.group(1), local.group(1), out + err
    process.kill()
    out, err = process.communicate(timeout=10)
    raise RuntimeError(f"tui-lab serve printed no URL; stdout {out!r}, stderr {err!r}")


def stop_server(process: subprocess.Popen[str], sig: int = signal.SIGINT, timeout: float = 10.0) -> int:
    """Signal the server, wait for it (killing it past ``timeout``) and return its exit status."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
    return process.returncode


@contextmanager
def served(args: Sequence[str], home: Path, timeout: float = 30.0) -> Iterator[Served]:
    """Run ``tui-lab serve --port 0 ARGS`` with ``TUI_LAB_HOME=home`` until the block ends."""
    env = dict(os.environ, TUI_LAB_HOME=str(home), PYTHONUNBUFFERED="1")
    env.pop("TERM", None)  # as from a service or cron: the visitors' apps draw in the browser, not a terminal
    process = subprocess.Popen(
        [sys.executable, "-m", "tui_lab", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    url, local, printed = _read_url(process, time.monotonic() + timeout)
    server = Served(process, url, local)
    try:
        yield server
    finally:
        stop_server(process)
        out, err = process.communicate(timeout=timeout)
        server.printed = printed + out + err


def app_processes(server_pid: int) -> list[int]:
    """Pids of the live ``tui_lab`` app processes whose parent is ``server_pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("PPid", "").strip() == str(server_pid) and b"tui_lab" in cmdline:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


#: Runs before textual.js: catches the xterm.js Terminal the moment textual.js stores it as
#: ``this.terminal``, then removes the trap. After every parsed write it records the first
#: paint (ms since navigation start) and settles pending waits on the screen's text. It also
#: notes when the page's websocket opened.
SCREEN_PROBE = """
(() => {
  const probe = { term: null, writes: 0, firstPaint: null, wsOpen: null, waiters: [] };
  window.__tuiLab = probe;
  const BrowserSocket = window.WebSocket;
  window.WebSocket = function (...args) {
    const socket = new BrowserSocket(...args);
    socket.addEventListener("open", () => { if (probe.wsOpen === null) probe.wsOpen = performance.now(); });
    return socket;
  };
  window.WebSocket.prototype = BrowserSocket.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  probe.screen = () => {
    const term = probe.term;
    if (!term) return "";
    const buffer = term.buffer.active;
    const rows = [];
    for (let y = 0; y < term.rows; y++) {
      const line = buffer.getLine(buffer.viewportY + y);
      rows.push(line ? line.translateToString(true) : "");
    }
    return rows.join("\\n");
  };
  const parsed = () => {
    probe.writes += 1;
    if (probe.firstPaint === null && probe.screen().trim() !== "") probe.firstPaint = performance.now();
    probe.waiters = probe.waiters.filter((settled) => !settled());
  };
  // Key round trip: from xterm.js taking the key (onData, just before the websocket send)
  // to the first write after which the screen matches ``pattern``.
  probe.armKey = (pattern) => {
    const re = new RegExp(pattern);
    probe.keyResult = new Promise((resolve) => {
      let start = null;
      const typed = probe.term.onData(() => { if (start === null) start = performance.now(); });
      probe.waiters.push(() => {
        if (start === null || !re.test(probe.screen())) return false;
        typed.dispose();
        resolve(performance.now() - start);
        return true;
      });
    });
  };
  Object.defineProperty(Object.prototype, "terminal", {
    configurable: true,
    get() { return undefined; },
    set(value) {
      Object.defineProperty(this, "terminal", { value, writable: true, configurable: true, enumerable: true });
      if (!probe.term && value && typeof value.write === "function" && value.buffer) {
        probe.term = value;
        delete Object.prototype.terminal;
        value.onWriteParsed(parsed);
      }
    },
  });
})();
"""


def screen_text(page: Any) -> str:
    """The app's screen as text, one line per terminal row."""
    return str(page.evaluate("() => window.__tuiLab ? window.__tuiLab.screen() : ''"))


def wait_for_screen(page: Any, pattern: str, timeout: float = 30.0) -> str:
    """Wait until the screen matches the regular expression ``pattern``; return the screen."""
    try:
        page.wait_for_function(
            "pattern => window.__tuiLab && new RegExp(pattern).test(window.__tuiLab.screen())",
            arg=pattern,
            timeout=timeout * 1000,
            polling=50,
        )
    except Exception as error:
        raise AssertionError(f"the screen never showed {pattern!r}:\n{screen_text(page)}") from error
    return screen_text(page)


@contextmanager
def chromium(profile: Path, width: int = 1280, height: int = 800) -> Iterator[Any]:
    """A fresh headless Chromium profile (a Playwright context) whose pages carry the probe."""
    from playwright.sync_api import sync_playwright

    shutil.rmtree(profile, ignore_errors=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height},
        )
        try:
            context.add_init_script(SCREEN_PROBE)
            yield context
        finally:
            context.close()


@contextmanager
def chromium_page(profile: Path, width: int = 1280, height: int = 800) -> Iterator[Any]:
    """The first page of :func:`chromium`."""
    with chromium(profile, width, height) as context:
        yield context.pages[0] if context.pages else context.new_page()

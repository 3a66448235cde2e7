"""One visitor's app: a ``tui-lab`` process in its own process group and state directory.

textual-serve's :class:`~textual_serve.app_service.AppService` runs a shell command and stops
it by asking politely. A visitor here gets ``python -m tui_lab`` started without a shell, in a
new session (so one ``killpg`` reaches everything it started), with ``TUI_LAB_HOME`` pointing
at a private temporary directory; stopping asks first, then terminates, then kills.

The relay from the app to the browser never raises: a browser that went away (a reset, a
1009 close) ends it quietly, and :meth:`Visitor.stop` is safe in a ``finally``. The app's
stderr is kept as a bounded tail and only ever logged as one sanitised line; of the app's
requests to the browser only "exit" and http(s) links pass (no downloads: tui-lab offers none).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import shutil
import signal
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from tui_lab.core.lifetime import SERVER_PID_ENV, descendant_groups, group_alive
from tui_lab.core.state import HOME_ENV
from tui_lab.core.text import one_line
from tui_lab.serve.protocol import safe_url

#: How long a visitor's app may take to quit after being asked, before it is terminated.
QUIT_GRACE_S = 1.0
#: How long a terminated app may take to exit, before it is killed.
TERM_GRACE_S = 0.5
#: Bytes of the app's stderr kept (its tail) for the one line logged when it fails to start.
STDERR_TAIL = 8192
#: What a Textual app under the web driver prints before its first packet.
PRELUDE = b"__GANGLION__\n"


class Visitor(AppService):
    """A visitor's app process: started with ``argv``, state under ``state_root``."""

    def __init__(
        self,
        argv: Sequence[str],
        state_root: Path,
        *,
        write_bytes: Callable[[bytes], Awaitable[None]],
        write_str: Callable[[str], Awaitable[None]],
        close: Callable[[], Awaitable[object]],
        download_manager: DownloadManager,
        log: Callable[[str], None] | None = None,
    ) -> None:
        async def close_remote() -> None:
            await close()

        super().__init__(
            shlex.join(argv),
            write_bytes=write_bytes,
            write_str=write_str,
            close=close_remote,
            download_manager=download_manager,
        )
        self.argv = list(argv)
        self.home = Path(tempfile.mkdtemp(prefix="visitor-", dir=state_root))
        self.pid: int | None = None
        #: Whether the app printed the web driver's prelude (False: it failed to start).
        self.started = False
        self._log = log or (lambda line: None)
        self._stderr_tail = b""
        self._stopping: asyncio.Future[None] | None = None

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width=width, height=height)
        environment[HOME_ENV] = str(self.home)
        environment[SERVER_PID_ENV] = str(os.getpid())  # the app quits if this server is killed outright
        return environment

    async def _open_app_process(self, width: int = 80, height: int = 24) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height),
            start_new_session=True,
        )
        assert process.stdin is not None
        self._process = process
        self._stdin = process.stdin
        self.pid = process.pid
        return process

    async def run(self) -> None:
        """Relay the app's output until it ends or the browser goes; then close the visitor's websocket."""
        process = self._process
        assert process is not None and process.stdout is not None and process.stderr is not None
        stderr_task = asyncio.create_task(self._keep_stderr_tail(process.stderr))
        try:
            await self._relay(process.stdout)
            # here only when the app never printed the web driver's prelude: say why, from its stderr
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(stderr_task), TERM_GRACE_S)
            tail = self._stderr_tail.decode("utf-8", "replace").strip().splitlines()
            self._log(f"the app did not start ({one_line(tail[-1], 200) if tail else 'no message'})")
        except (asyncio.IncompleteReadError, ConnectionError, OSError, RuntimeError):
            pass  # the app ended (its stdout closed) or the browser went away mid-write
        finally:
            stderr_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stderr_task
            with contextlib.suppress(ConnectionError, OSError, RuntimeError):
                await self.remote_close()

    async def _relay(self, stdout: asyncio.StreamReader) -> None:
        """Hand the app's packets to the browser until its stdout ends; returns only if it never started."""
        for _ in range(10):  # the web driver's prelude comes first
            line = await stdout.readline()
            if not line:
                return
            if line == PRELUDE:
                self.started = True
                break
        if not self.started:
            return
        while True:
            kind = await stdout.readexactly(1)
            size = int.from_bytes(await stdout.readexactly(4), "big")
            payload = await stdout.readexactly(size)
            if kind == b"D":
                await self.on_data(payload)
            elif kind == b"M":
                await self.on_meta(payload)
            # b"P" (packed) carries file downloads, which tui-lab does not offer: dropped

    async def _keep_stderr_tail(self, stderr: asyncio.StreamReader) -> None:
        while chunk := await stderr.read(4096):
            self._stderr_tail = (self._stderr_tail + chunk)[-STDERR_TAIL:]

    async def on_meta(self, data: bytes) -> None:
        """The app's requests: "exit" closes the websocket, an http(s) "open_url" goes to the browser."""
        try:
            meta = json.loads(data)
        except ValueError:
            return
        if not isinstance(meta, dict):
            return
        if meta.get("type") == "exit":
            await self.remote_close()
        elif meta.get("type") == "open_url" and (url := safe_url(meta.get("url"))) is not None:
            await self.remote_write_str(json.dumps(["open_url", {"url": url, "new_tab": bool(meta.get("new_tab"))}]))

    async def stop(self, *, polite: bool = True) -> None:
        """Stop the app: ask it to quit (when ``polite``), then SIGTERM, then SIGKILL its group.

        Takes at most ``QUIT_GRACE_S + 2 * TERM_GRACE_S``; removes the state directory. Safe to
        call twice or from two tasks (the second waits for the first), and not cut short by a
        cancelled caller.
        """
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop(polite))
        await asyncio.shield(self._stopping)

    async def _stop(self, polite: bool) -> None:
        try:
            if polite and self._task is not None and self._process is not None and self._process.returncode is None:
                with contextlib.suppress(TimeoutError, asyncio.TimeoutError, OSError, RuntimeError):
                    await asyncio.wait_for(self._ask_to_quit(), QUIT_GRACE_S)
            await self._end_group()
            task, self._task = self._task, None
            if task is not None:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
                except Exception as error:  # noqa: BLE001 - stop runs in a finally: say it, never raise
                    self._log(f"the relay ended with {type(error).__name__}")
            await self._close_pipes()
        finally:
            shutil.rmtree(self.home, ignore_errors=True)

    async def _close_pipes(self) -> None:
        """Close the app's stdin and read its stdout and stderr to their end (the app is gone by now).

        A relay stopped mid-flood leaves a full, paused pipe that would never see its end, and
        the process's transport would then be closed by the garbage collector after the loop.
        """
        process = self._process
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                with contextlib.suppress(TimeoutError, asyncio.TimeoutError, OSError, ValueError):
                    await asyncio.wait_for(_read_to_end(stream), TERM_GRACE_S)

    async def _ask_to_quit(self) -> None:
        """Send the app the web driver's "quit" and wait for its output to end."""
        await self.send_meta({"type": "quit"})
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _end_group(self) -> None:
        """SIGTERM, then SIGKILL, the app's process group and every group its descendants lead.

        The Train pane starts its launcher in a process group of its own, which a ``killpg`` of
        the app's group would miss; descendants are gathered before each signal, since they are
        handed to init once the app is gone.
        """
        process = self._process
        if process is None or self.pid is None:
            return
        groups = {self.pid}
        for sig, grace in ((signal.SIGTERM, TERM_GRACE_S), (signal.SIGKILL, 0.0)):
            groups |= descendant_groups(self.pid)
            live = {group for group in groups if group_alive(group)}
            if process.returncode is not None and not live:
                return
            for group in live:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(group, sig)
            deadline = asyncio.get_running_loop().time() + grace
            while asyncio.get_running_loop().time() < deadline:
                if process.returncode is not None and not any(group_alive(group) for group in groups):
                    return
                await asyncio.sleep(0.02)
        with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
            await asyncio.wait_for(process.wait(), TERM_GRACE_S)


async def _read_to_end(stream: asyncio.StreamReader) -> None:
    while await stream.read(1 << 16):
        pass

"""One visitor's app: a ``tui-lab`` process in its own process group and state directory.

textual-serve's :class:`~textual_serve.app_service.AppService` runs a shell command and stops
it by asking politely. A visitor here gets ``python -m tui_lab`` started without a shell, in a
new session (so one ``killpg`` reaches everything it started), with ``TUI_LAB_HOME`` pointing
at a private temporary directory; stopping asks first, then terminates, then kills.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import shutil
import signal
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from tui_lab.core.lifetime import SERVER_PID_ENV, group_alive
from tui_lab.core.state import HOME_ENV

#: How long a visitor's app may take to quit after being asked, before it is terminated.
QUIT_GRACE_S = 1.0
#: How long a terminated app may take to exit, before it is killed.
TERM_GRACE_S = 0.5


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
        """Relay the app's output; when the app ends for any reason, close the visitor's websocket."""
        try:
            await super().run()
        finally:
            with contextlib.suppress(Exception):
                await self.remote_close()

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
                with contextlib.suppress(TimeoutError, asyncio.TimeoutError, ConnectionError, RuntimeError):
                    await asyncio.wait_for(super().stop(), QUIT_GRACE_S)
            await self._end_group()
            task, self._task = self._task, None
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        finally:
            shutil.rmtree(self.home, ignore_errors=True)

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


def descendant_groups(pid: int) -> set[int]:
    """Process groups of ``pid``'s descendants (Linux ``/proc``; empty elsewhere), never our own."""
    parents: dict[int, list[tuple[int, int]]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return set()
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents.setdefault(int(fields[1]), []).append((int(entry), int(fields[2])))
    groups: set[int] = set()
    pending = [pid]
    while pending:
        for child, group in parents.get(pending.pop(), []):
            groups.add(group)
            pending.append(child)
    return groups - {os.getpgrp(), 0, 1}

"""Process lifetimes: a served app ends when its server does; whether a process group still runs.

``tui-lab serve`` starts one app process per visitor and stops them itself. If the server is
killed outright (SIGKILL, the OOM killer), nobody stops them: textual-serve's web driver only
stops reading at end of input, and the app would sit idle, holding its memory (and any GPU
memory) for good. The server names itself in :data:`SERVER_PID_ENV`; the app watches its
parent and quits, as ctrl+q would, once that process is gone.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

#: Set by ``tui-lab serve`` for each visitor's app: the server's pid.
SERVER_PID_ENV = "TUI_LAB_SERVER_PID"
#: How often the parent is checked (a cheap system call).
CHECK_INTERVAL_S = 1.0
#: How long the app may take to quit once asked, before the process ends anyway.
QUIT_GRACE_S = 5.0


def server_pid(environ: dict[str, str] | os._Environ[str]) -> int | None:
    """The server pid a served app was given, or None (not served, or a value that is not a pid)."""
    raw = environ.get(SERVER_PID_ENV, "")
    return int(raw) if raw.isdigit() and int(raw) > 1 else None


def watch_parent(
    expected: int,
    on_gone: Callable[[], None],
    *,
    interval: float = CHECK_INTERVAL_S,
    grace: float = QUIT_GRACE_S,
    end_process: Callable[[int], None] = os._exit,
) -> threading.Thread:
    """In a daemon thread: once our parent is no longer ``expected``, call ``on_gone``, then end the process.

    ``on_gone`` asks the app to quit; if the process is still here ``grace`` seconds later,
    ``end_process(0)`` ends it.
    """

    def watch() -> None:
        while os.getppid() == expected:
            time.sleep(interval)
        try:
            on_gone()
        except Exception:  # noqa: BLE001 - the app may already be closing; the process still ends below
            pass
        time.sleep(grace)
        end_process(0)

    thread = threading.Thread(target=watch, name="tui-lab-server-watch", daemon=True)
    thread.start()
    return thread


def group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs (exited ones waiting to be reaped do not count).

    Linux reads ``/proc``; elsewhere a signal 0 to the group answers (counting unreaped ones).
    """
    try:
        entries = os.listdir("/proc")
    except OSError:
        entries = []
    if not entries:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                state, _parent, group = stat.read().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        if int(group) == pgid and state not in ("Z", "X"):
            return True
    return False

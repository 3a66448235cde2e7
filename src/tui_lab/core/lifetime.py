"""Process lifetimes: every process tui-lab starts dies with its parent, whatever kills the parent.

Two mechanisms, one per kind of child:

- **Children we start** (the Train pane's ``tui-lab train`` launcher, its ranks, torchrun) get
  :func:`child_environment`, which names their parent in :data:`PARENT_PID_ENV`, and call
  :func:`die_with_parent` as their very first line, before any heavy import. It asks Linux for
  SIGKILL when the parent goes (``PR_SET_PDEATHSIG``), then checks that the parent is still
  the one named: a parent that died between the fork and that line has already handed the child
  to another process, and the child exits at once. So a ``kill -9`` of the app takes the
  launcher and every rank with it, also while they are still importing torch. (The signal
  comes when the *thread* that started the child ends; the callers start children from a
  thread that waits for them, and elsewhere than Linux a daemon thread polls the parent.)
- **A served app** (``tui-lab serve`` starts one per visitor) is told its server's pid in
  :data:`SERVER_PID_ENV` and runs :func:`watch_parent`: once the server is gone (killed
  outright, so it could not stop its apps), the app ends every process it started
  (:func:`end_descendants`), quits as ctrl+q would, and ends the process if quitting hangs.

The rest reads ``/proc``: whether a process group still runs, and the groups of a process's
descendants.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

#: Set by ``tui-lab serve`` for each visitor's app: the server's pid.
SERVER_PID_ENV = "TUI_LAB_SERVER_PID"
#: Set by :func:`child_environment`: the pid a child started by tui-lab must die with.
PARENT_PID_ENV = "TUI_LAB_PARENT_PID"
#: How often the parent is checked (a cheap system call).
CHECK_INTERVAL_S = 1.0
#: How long the app may take to quit once asked, before the process ends anyway.
QUIT_GRACE_S = 5.0
#: How long the processes an orphaned app started get between SIGTERM and SIGKILL.
TERM_GRACE_S = 0.5
#: Exit status of a child whose parent died before it could ask to die with it.
EXIT_ORPHANED = 1
#: ``prctl`` option: the signal to get when the parent thread ends (linux/prctl.h).
PR_SET_PDEATHSIG = 1


def server_pid(environ: Mapping[str, str]) -> int | None:
    """The server pid a served app was given, or None (not served, or a value that is not a pid)."""
    raw = environ.get(SERVER_PID_ENV, "")
    return int(raw) if raw.isdigit() and int(raw) > 1 else None


def child_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) naming this process as the parent to die with."""
    return {**(os.environ if base is None else base), PARENT_PID_ENV: str(os.getpid())}


def set_death_signal(signum: int = signal.SIGKILL) -> bool:
    """Linux: get ``signum`` when the thread that started this process ends; False where that is unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent(signum: int = signal.SIGKILL) -> int | None:
    """First line of a child started with :func:`child_environment`: end when its parent ends.

    Reads (and removes, so that grandchildren do not inherit it) :data:`PARENT_PID_ENV`; without
    it (started by hand, from a shell) nothing happens and None is returned. Otherwise sets the
    death signal, exits at once with :data:`EXIT_ORPHANED` if the parent is already gone, and
    returns the parent's pid.
    """
    raw = os.environ.pop(PARENT_PID_ENV, "")
    if not raw.isdigit() or int(raw) <= 1:
        return None
    parent = int(raw)
    if not set_death_signal(signum):
        watch_parent(parent, lambda: None, interval=0.2, grace=0.0, end_process=lambda _code: os._exit(EXIT_ORPHANED))
    if os.getppid() != parent:
        os._exit(EXIT_ORPHANED)
    return parent


def watch_parent(
    expected: int,
    on_gone: Callable[[], None],
    *,
    interval: float = CHECK_INTERVAL_S,
    grace: float = QUIT_GRACE_S,
    end_process: Callable[[int], None] = os._exit,
    end_children: bool = False,
) -> threading.Thread:
    """In a daemon thread: once our parent is no longer ``expected``, call ``on_gone``, then end the process.

    With ``end_children``, every process this one started is ended first (:func:`end_descendants`).
    ``on_gone`` asks the app to quit; if the process is still here ``grace`` seconds later,
    ``end_process(0)`` ends it.
    """

    def watch() -> None:
        while os.getppid() == expected:
            time.sleep(interval)
        if end_children:
            end_descendants()
        try:
            on_gone()
        except Exception:  # noqa: BLE001 - the app may already be closing; the process still ends below
            pass
        time.sleep(grace)
        end_process(0)

    thread = threading.Thread(target=watch, name="tui-lab-parent-watch", daemon=True)
    thread.start()
    return thread


@dataclass(frozen=True)
class ProcessEntry:
    """One line of the process table: a pid, its parent, its process group and its state letter."""

    pid: int
    parent: int
    group: int
    state: str

    @property
    def running(self) -> bool:
        """Not exited (a zombie waiting to be reaped runs nothing)."""
        return self.state not in ("Z", "X")


def process_table() -> list[ProcessEntry]:
    """Every process this user can see (Linux ``/proc``; empty elsewhere)."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    table = []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            table.append(ProcessEntry(int(entry), int(fields[1]), int(fields[2]), fields[0].decode("ascii", "replace")))
        except (OSError, IndexError, ValueError):
            continue
    return table


def descendants(pid: int, table: list[ProcessEntry] | None = None) -> list[ProcessEntry]:
    """The processes ``pid`` started, and theirs, as far as they are still its descendants."""
    children: dict[int, list[ProcessEntry]] = {}
    for entry in process_table() if table is None else table:
        children.setdefault(entry.parent, []).append(entry)
    found: list[ProcessEntry] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child.pid)
    return found


def descendant_groups(pid: int) -> set[int]:
    """Process groups of ``pid``'s descendants (empty where there is no ``/proc``), never our own."""
    return {entry.group for entry in descendants(pid)} - {os.getpgrp(), 0, 1}


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not; someone else's process does)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except FileNotFoundError:
        return False
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs (exited ones waiting to be reaped do not count).

    Linux reads ``/proc``; elsewhere a signal 0 to the group answers (counting unreaped ones).
    """
    table = process_table()
    if not table:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return any(entry.group == pgid and entry.running for entry in table)


def _started_by(me: int, table: list[ProcessEntry]) -> set[int]:
    """Live processes that ``me`` started: its descendants, and the members of the process groups they made.

    When ``me`` leads its session (a served app does), every group of a descendant is ours (a
    group cannot be joined from another session), and so is ``me``'s own group: a process
    started with ``subprocess.Popen`` and orphaned since stays in it. Otherwise only the groups
    that a descendant leads count, so that a shell's job group is never touched.
    """
    below = descendants(me, table)
    if os.getsid(0) == me:
        groups = {entry.group for entry in below} | {me}
    else:
        groups = {entry.group for entry in below} & {entry.pid for entry in below}
    found = {entry.pid for entry in below if entry.running}
    return found | {entry.pid for entry in table if entry.running and entry.pid != me and entry.group in groups}


def _signal_each(pids: set[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def end_descendants(grace: float = TERM_GRACE_S, kill_wait: float = 5.0) -> bool:
    """SIGTERM, then SIGKILL ``grace`` seconds later, every process this one started; True once all are gone.

    See :func:`_started_by` for which processes count. Linux only (elsewhere nothing is found).
    """
    me = os.getpid()
    targets = _started_by(me, process_table())
    _signal_each(targets, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while targets and time.monotonic() < deadline:
        time.sleep(0.02)
        targets = _started_by(me, process_table())
    deadline = time.monotonic() + kill_wait
    while targets and time.monotonic() < deadline:  # again and again: one may have forked meanwhile
        _signal_each(targets, signal.SIGKILL)
        time.sleep(0.02)
        targets = _started_by(me, process_table())
    return not targets

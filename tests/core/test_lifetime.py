"""Children die with their parent; a served app ends, with all it started, when its server is gone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tui_lab.core.lifetime import (
    EXIT_ORPHANED,
    PARENT_PID_ENV,
    SERVER_PID_ENV,
    child_environment,
    die_with_parent,
    server_pid,
    watch_parent,
)


def test_the_server_pid_is_read_only_when_it_is_a_pid() -> None:
    assert server_pid({SERVER_PID_ENV: "4242"}) == 4242
    for raw in ("", "0", "1", "-5", "12a", "4242; rm -rf /"):
        assert server_pid({SERVER_PID_ENV: raw}) is None
    assert server_pid({}) is None


def test_a_parent_that_is_gone_asks_the_app_to_quit_then_ends_the_process() -> None:
    asked, ended = threading.Event(), threading.Event()
    codes: list[int] = []

    def end(code: int) -> None:
        codes.append(code)
        ended.set()

    gone = os.getppid() + 1_000_000  # not our parent: as after the server was killed and we were re-parented
    watch_parent(gone, asked.set, interval=0.01, grace=0.0, end_process=end)
    assert asked.wait(30) and ended.wait(30)
    assert codes == [0]


def test_a_live_parent_is_left_alone() -> None:
    asked = threading.Event()
    thread = watch_parent(os.getppid(), asked.set, interval=0.01, grace=0.0, end_process=lambda code: None)
    assert thread.daemon and thread.is_alive() and not asked.is_set()


def test_a_group_is_alive_while_a_member_runs_and_not_once_it_has_exited() -> None:
    from tui_lab.core.lifetime import group_alive

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
    try:
        assert group_alive(child.pid)
        os.kill(child.pid, signal.SIGKILL)
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped yet: a zombie
        assert not group_alive(child.pid)  # a zombie runs nothing
    finally:
        child.kill()
        child.wait()
    assert not group_alive(child.pid)


# -- children die with their parent ------------------------------------------------------

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG and /proc are Linux")


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def wait_for(condition: object, what: str, timeout: float) -> float:
    """Poll ``condition()`` every 10 ms; the seconds it took, or AssertionError past ``timeout``."""
    began = time.monotonic()
    while not condition():  # type: ignore[operator]
        if time.monotonic() - began > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)
    return time.monotonic() - began


def test_without_a_named_parent_nothing_happens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PARENT_PID_ENV, raising=False)
    assert die_with_parent() is None
    assert child_environment({"A": "1"}) == {"A": "1", PARENT_PID_ENV: str(os.getpid())}


@linux_only
def test_a_child_whose_parent_died_before_its_first_line_exits_at_once() -> None:
    """The race between the fork and ``die_with_parent``: the parent named is no longer the parent."""
    code = "from tui_lab.core.lifetime import die_with_parent; die_with_parent(); print('survived')"
    env = {**os.environ, PARENT_PID_ENV: str(os.getpid() + 10_000_000)}  # not our parent, as after re-parenting
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_ORPHANED and done.stdout == ""


#: A parent that starts a child with ``child_environment``; the child names its pid, then sleeps.
PARENT = """
import subprocess, sys, time
from tui_lab.core.lifetime import child_environment
child = ("from tui_lab.core.lifetime import die_with_parent; p = die_with_parent(); "
         "import os, sys, time; print(os.getpid(), p, flush=True); time.sleep(600)")
subprocess.Popen([sys.executable, "-c", child], env=child_environment())
time.sleep(600)
"""


@linux_only
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGHUP, signal.SIGTERM])
def test_a_child_dies_with_its_parent_whatever_the_signal(sig: signal.Signals) -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child, named = (int(v) for v in parent.stdout.readline().split())
        assert named == parent.pid and running(child)
        parent.send_signal(sig)
        parent.wait(timeout=30)
        wait_for(lambda: not running(child), "the child to die with its parent", timeout=3.0)
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()


#: A served app: leads its session, starts processes three ways, then watches its parent.
SERVED_APP = """
import os, subprocess, sys, threading, time
from tui_lab.core.lifetime import watch_parent
middle = os.getppid()
same_group = subprocess.Popen(["sleep", "600"])
own_session = subprocess.Popen(["sleep", "601"], start_new_session=True)
orphan = subprocess.Popen(["sh", "-c", "sleep 602 & echo $!"], stdout=subprocess.PIPE, text=True)
orphaned = int(orphan.stdout.readline())
orphan.wait()
watch_parent(middle, lambda: None, interval=0.02, grace=0.0, end_children=True)
print(json.dumps([os.getpid(), same_group.pid, own_session.pid, orphaned]), flush=True)
threading.Event().wait()
""".replace("import os", "import json, os")

MIDDLE = """
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", sys.argv[1]], start_new_session=True)
time.sleep(600)
"""


@linux_only
def test_an_orphaned_served_app_ends_everything_it_started() -> None:
    """A server killed outright: its app ends its REPL's processes, in its group or not, orphaned or not."""
    middle = subprocess.Popen([sys.executable, "-c", MIDDLE, SERVED_APP], stdout=subprocess.PIPE, text=True)
    pids: list[int] = []
    try:
        assert middle.stdout is not None
        pids = json.loads(middle.stdout.readline())
        assert all(running(pid) for pid in pids)
        middle.kill()
        middle.wait(timeout=30)
        wait_for(lambda: not any(running(pid) for pid in pids), "the app and what it started to end", timeout=30)
    finally:
        middle.kill()
        middle.wait()
        if middle.stdout is not None:
            middle.stdout.close()
        for pid in filter(running, pids):
            os.kill(pid, signal.SIGKILL)

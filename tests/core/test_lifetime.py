"""A served app ends when its server is gone (tui_lab.core.lifetime)."""

from __future__ import annotations

import os
import threading

from tui_lab.core.lifetime import SERVER_PID_ENV, server_pid, watch_parent


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
    import signal
    import subprocess
    import sys

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

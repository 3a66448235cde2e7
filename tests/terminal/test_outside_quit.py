"""The terminal goes away (tmux kills the pane, the SSH link drops: SIGHUP) or ``kill`` asks the app to stop (SIGTERM).

Either way the app saves the session first, as ctrl+q does, and exits: the work typed since the last autosave
is kept. (Before, both signals killed the app on the spot.)
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.terminal.harness import Terminal
from tui_lab.core.session import store

pytestmark = pytest.mark.terminal


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_a_hangup_or_a_terminate_saves_the_session_before_the_app_exits(
    spawn: Callable[..., Terminal], lab_home: Path, sig: signal.Signals
) -> None:
    term = spawn("--pane", "repl")
    term.wait_for(r"In \[1\]", timeout=120)
    term.type("kept = 41 + 1")
    term.keys("enter")
    term.wait_for(r"In \[2\]", timeout=120)
    term.process.kill(sig)
    term.wait_until(lambda: not term.alive, f"the app to exit after {sig.name}", timeout=120)
    assert term.exit_status == 0
    saved = store.load("default", root=store.sessions_root())
    assert saved is not None and saved.values.get("kept") == 42
    assert not store.unclean_exit("default")  # a clean exit: the next start does not ask about a crash

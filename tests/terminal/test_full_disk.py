"""A quit on a full disk: the save fails, the app stays open and says why, and a second quit leaves saying so.

The disk is made full for the app alone with ``RLIMIT_FSIZE`` (Python ignores SIGXFSZ, so a write past
the limit fails with EFBIG, as one on a full disk fails with ENOSPC): the small state files fit, a
tensor of 400 kB does not.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.terminal.conftest import ROOT, terminal_environment
from tests.terminal.harness import Terminal, tui_lab_script

pytestmark = pytest.mark.terminal

#: Runs tui-lab with files limited to 64 kB.
LIMITED = "import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536)); os.execv(sys.argv[1], sys.argv[1:])"


def test_a_quit_whose_save_fails_keeps_the_app_open_once_then_says_what_was_lost(lab_home: Path) -> None:
    """It used to quit at once, exit 0, and say nothing: the error toast died with the app, and the work with it."""
    term = Terminal.spawn(
        ["--pane", "repl"],
        size=(80, 24),
        env=terminal_environment(lab_home),
        cwd=ROOT,
        program=[sys.executable, "-c", LIMITED, tui_lab_script()],
    )
    try:
        term.wait_for(r"In \[1\]")
        term.type("big = torch.zeros(100_000)")
        term.keys("enter")
        term.wait_for(r"In \[2\]")
        term.keys("ctrl+q", wait=False)
        term.wait_for(r"Not quitting")
        term.wait_for(r"could not be saved")
        assert term.alive
        term.type("still = 1")  # the app still answers: the work is in memory
        term.keys("enter")
        term.wait_for(r"In \[3\]")
        term.keys("ctrl+q", wait=False)
        term.wait_until(lambda: not term.alive, "the second quit to leave")
        assert term.exit_status == 1
        assert b"tui-lab: the session could not be saved" in term.raw
    finally:
        term.kill()
    assert not (lab_home / "state" / "sessions" / "default").exists()  # nothing half-written was left

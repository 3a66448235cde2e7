"""Snapshot tests: each pane at 80×24 and the help screen at 120×40.

Update after an intended change with: make snapshots (or pytest tests/ui --snapshot-update).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.waiting import settle, until
from tui_lab.core.workspace import Workspace
from tui_lab.ui.app import TuiLabApp


def _app(pane: str) -> TuiLabApp:
    workspace = Workspace()
    workspace.load_preloads()
    return TuiLabApp(pane=pane, workspace=workspace)


@pytest.fixture(autouse=True)
def hermetic_devices(cpu_only_host: None) -> None:
    """What the screens show about devices comes from a fake CPU-only host (2 threads), on any machine."""


async def steady(pilot: Any) -> None:
    """Wait until the pane has built what follows its first frame and no worker runs (the REPL's real widgets, its
    variable list), then stop text cursors blinking, so the picture holds no clock (a blink phase flaked the Graph
    pane)."""
    screen = pilot.app.screen
    await until(pilot, lambda: screen.body_ready, "the pane's body is built")
    await settle(pilot)
    for field in screen.query("TextArea, Input"):
        field.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("pane", ["repl", "data", "graph", "train"])
def test_pane(pane: str, snap_compare: Any) -> None:
    assert snap_compare(_app(pane), run_before=steady, terminal_size=(80, 24))


def test_help_screen(snap_compare: Any) -> None:
    async def open_help(pilot: Any) -> None:
        await steady(pilot)  # the REPL shows around the help's frame
        await pilot.app.run_action("help")
        await pilot.pause()
        assert type(pilot.app.screen).__name__ == "HelpScreen"
        assert pilot.app.screen.leading_section == "REPL"  # the keys of the pane in use open the page

    assert snap_compare(_app("repl"), run_before=open_help, terminal_size=(120, 40))

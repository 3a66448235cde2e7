"""Fixtures for Pilot tests: an app whose workspace is already loaded, so tests never race torch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.worker import WorkerCancelled

from tui_lab.cli import build_parser
from tui_lab.core.workspace import Workspace
from tui_lab.ui.app import TuiLabApp


@pytest.fixture
def make_app(workspace: Workspace) -> Callable[..., TuiLabApp]:
    """Build a TuiLabApp over the preloaded ``workspace`` fixture."""

    def factory(**kwargs: Any) -> TuiLabApp:
        kwargs.setdefault("workspace", workspace)
        kwargs.setdefault("cli_help", build_parser().format_help())  # as `tui-lab` passes it
        return TuiLabApp(**kwargs)

    return factory


async def run_palette(app: TuiLabApp, pilot: Any, query: str) -> None:
    """Open the command palette, type ``query``, wait until its first match is highlighted, press Enter.

    The palette searches in a worker; this waits for that state (bounded by frames), never for time.
    """
    from textual.command import CommandList, CommandPalette

    await pilot.press("ctrl+p")
    for _ in range(200):
        await pilot.pause()
        if isinstance(app.screen, CommandPalette):
            break
    assert isinstance(app.screen, CommandPalette)
    await pilot.press(*query)
    palette = app.screen
    commands = palette.query_one(CommandList)
    for _ in range(500):
        await pilot.pause()
        gathering = any(w.group == palette._GATHER_COMMANDS_GROUP and not w.is_finished for w in app.workers)
        if not gathering and commands.option_count and commands.highlighted is not None:
            break
    else:
        raise AssertionError(f"the palette found nothing for {query!r}")
    await pilot.press("enter")
    for _ in range(200):
        await pilot.pause()
        if not isinstance(app.screen, CommandPalette):
            return
    raise AssertionError("the palette did not close")


async def settle_app(pilot: Any) -> None:
    """Wait until no worker runs (a finished run may start a queued one, a step a profile)."""
    app = pilot.app
    for _ in range(500):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:  # a superseded worker: waited for again below
            pass
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    raise AssertionError("the app never settled")

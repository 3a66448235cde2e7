"""Pilot helpers shared by the Train pane's test files: wait for runs, wait for torch, type into the form."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.train.form import TrainForm
from tui_lab.ui.train.screen import TrainScreen


async def settle(app: TuiLabApp, pilot: Pilot[None], screen: TrainScreen) -> None:
    """Wait until the current run and every queued run have finished."""
    for _ in range(500):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not screen.running and not screen.queue:
            return
    raise AssertionError("runs did not finish")


async def ready_screen(app: TuiLabApp, pilot: Pilot[None]) -> TrainScreen:
    """The Train screen, once the app has announced torch (bounded by frames)."""
    for _ in range(100):
        if app.torch_ready:
            break
        await pilot.pause()
    screen = app.screen
    assert isinstance(screen, TrainScreen) and app.torch_ready
    return screen


async def type_into(pilot: Pilot[None], form: TrainForm, field: str, text: str) -> None:
    """Focus a form field and replace its text by typing."""
    widget = form.query_one(f"#field-{field}", Input)
    widget.focus()
    await pilot.press("ctrl+u", *text)

"""Driving the REPL pane in tests: run a cell and wait for the state that says its result is shown.

A key press returns once the app is idle, which under load can come before the input's ``Submitted``
message has reached the screen and started the run's worker; waiting for workers alone then waits for
nothing. These helpers wait for the REPL's own state instead: the engine counted one more input and the
controller is no longer running (its result has been written to the log).
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from tests.waiting import until
from tui_lab.ui.repl.editor import ReplInput
from tui_lab.ui.repl.screen import ReplScreen


def repl_screen(pilot: Pilot[Any]) -> ReplScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ReplScreen), f"the REPL pane is not in front ({type(screen).__name__} is)"
    return screen


def next_number(pilot: Pilot[Any]) -> int:
    """The ``In [n]`` the next input gets (1 before the engine exists)."""
    controller = repl_screen(pilot).controller
    return 1 if controller is None else controller.next_number


async def wait_for_run(pilot: Pilot[Any], number: int) -> None:
    """Wait until input ``In [number]`` has run and its result is in the log."""
    screen = repl_screen(pilot)

    def shown() -> bool:
        controller = screen.controller
        return controller is not None and controller.next_number > number and not controller.running

    def state() -> str:
        controller = screen.controller
        editor = screen.query_one("#repl-input", ReplInput)
        return (
            f"focused: {pilot.app.focused!r}, input: {editor.text!r}, "
            f"next: {None if controller is None else controller.next_number}, "
            f"running: {None if controller is None else controller.running}, torch: {pilot.app.torch_ready}"  # type: ignore[attr-defined]
        )

    await until(pilot, shown, f"In [{number}] ran and its result was shown", state=state)
    await pilot.pause()


async def enter_and_wait(pilot: Pilot[Any]) -> None:
    """Press Enter on what the input holds and wait until that input has run."""
    number = next_number(pilot)
    await pilot.press("enter")
    await wait_for_run(pilot, number)


async def run_cell(pilot: Pilot[Any], text: str, *, typed: bool = False) -> None:
    """Put ``text`` in the input (key by key when ``typed``), press Enter and wait for its result."""
    if typed:
        await pilot.press(*text)
    else:
        editor = repl_screen(pilot).query_one("#repl-input", ReplInput)
        editor.replace_text(text)
    await enter_and_wait(pilot)

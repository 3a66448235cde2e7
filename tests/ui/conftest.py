"""Fixtures for Pilot tests: an app whose workspace is already loaded, so tests never race torch.

Every ``TuiLabApp.run_test`` in these tests returns once the start pane is built (see
:func:`start_pane_built`); a test of what comes before that calls Textual's ``App.run_test(app)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from textual.app import App
from textual.notifications import SeverityLevel
from textual.pilot import Pilot

from tests.waiting import until
from tui_lab.cli import build_parser
from tui_lab.core.workspace import Workspace
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.pane import PaneScreen


def start_pane_ready(app: TuiLabApp) -> bool:
    """The start pane is what a person sees after start-up: first frame shown, body built, controller made.

    The REPL's first frame draws stand-ins and mounts its real widgets right after it, and makes its
    controller in a thread.
    """
    from tui_lab.ui.repl.screen import ReplScreen

    screen = app.screen
    if not app.first_frame_shown or (isinstance(screen, PaneScreen) and not screen.body_ready):
        return False
    return not (isinstance(screen, ReplScreen) and screen.controller is None)


@pytest.fixture(autouse=True)
def start_pane_built(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``TuiLabApp.run_test`` waits until :func:`start_pane_ready`, so a test starts from the built pane.

    A test starts as a person who looks before typing does; the app itself has no test-only code.
    """

    @asynccontextmanager
    async def run_test(app: TuiLabApp, **kwargs: Any) -> AsyncIterator[Pilot[None]]:
        kwargs.setdefault("size", (80, 24))
        async with App.run_test(app, **kwargs) as pilot:
            await until(pilot, lambda: start_pane_ready(app), "the start pane finished building")
            yield pilot

    monkeypatch.setattr(TuiLabApp, "run_test", run_test)
    yield


@dataclass(frozen=True)
class Note:
    """One ``notify`` call: what a person reads in the toast."""

    message: str
    title: str
    severity: SeverityLevel
    #: The app told (a test may run two).
    app: App[Any] = field(repr=False, compare=False)


@dataclass
class NotificationRecorder:
    """Every ``App.notify`` of the test's apps, in order.

    ``App.clear_notifications`` empties it, as it takes the toasts away.
    """

    notes: list[Note] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        return [note.message for note in self.notes]

    @property
    def titles(self) -> list[str]:
        return [note.title for note in self.notes]

    @property
    def texts(self) -> list[str]:
        """Each note as ``title: message``."""
        return [f"{note.title}: {note.message}" for note in self.notes]

    def told(self, app: App[Any]) -> list[str]:
        """The messages that ``app`` gave (when a test runs two apps)."""
        return [note.message for note in self.notes if note.app is app]


@pytest.fixture
def notes(monkeypatch: pytest.MonkeyPatch) -> NotificationRecorder:
    """What the apps of this test told the user, through Textual's public ``notify`` (from any thread)."""
    recorder = NotificationRecorder()
    notify, clear = App.notify, App.clear_notifications

    def recording_notify(
        app: App[Any], message: str, *, title: str = "", severity: SeverityLevel = "information", **kwargs: Any
    ) -> None:
        recorder.notes.append(Note(message, title, severity, app))
        notify(app, message, title=title, severity=severity, **kwargs)

    def recording_clear(app: App[Any]) -> None:
        recorder.notes[:] = [note for note in recorder.notes if note.app is not app]
        clear(app)

    monkeypatch.setattr(App, "notify", recording_notify)
    monkeypatch.setattr(App, "clear_notifications", recording_clear)
    return recorder


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
    await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette opened")
    await pilot.press(*query)
    palette = app.screen
    commands = palette.query_one(CommandList)

    def found() -> bool:
        searching = any(worker.node is palette and not worker.is_finished for worker in app.workers)
        return not searching and bool(commands.option_count) and commands.highlighted is not None

    await until(pilot, found, f"the palette found {query!r}")
    await pilot.press("enter")
    await until(pilot, lambda: not isinstance(app.screen, CommandPalette), "the palette closed")

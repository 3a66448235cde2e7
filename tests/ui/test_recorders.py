"""The Pilot tests' own seams: the notification recorder and the built start pane (tests/ui/conftest.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from textual.app import App

from tests.ui.conftest import NotificationRecorder, start_pane_ready
from tests.waiting import until
from tui_lab.ui.app import TuiLabApp


async def test_the_recorder_sees_notify_from_the_app_a_screen_and_a_thread(notes: NotificationRecorder) -> None:
    app: App[None] = App()
    async with app.run_test() as pilot:
        app.notify("from the app", title="A")
        app.screen.notify("from a screen", severity="warning")
        thread = threading.Thread(target=app.notify, args=("from a thread",), kwargs={"severity": "error"})
        thread.start()
        thread.join()
        await pilot.pause()
        assert notes.messages == ["from the app", "from a screen", "from a thread"]
        assert notes.texts[0] == "A: from the app"
        assert [note.severity for note in notes.notes] == ["information", "warning", "error"]
        assert notes.told(app) == notes.messages
        app.clear_notifications()  # as it takes the toasts away
        assert notes.notes == []


async def test_run_test_starts_with_the_start_pane_built(make_app: Callable[..., TuiLabApp]) -> None:
    app = make_app(pane="repl")
    async with app.run_test() as pilot:
        assert start_pane_ready(app)  # the REPL's body and controller exist before the first key
        await until(pilot, lambda: app.torch_ready, "torch ready")

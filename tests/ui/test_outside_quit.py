"""An exit the app did not ask for (serve's browser sends the web driver's "quit") saves the session first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import messages

from tests.waiting import settle, until
from tui_lab.core.session import store
from tui_lab.ui.app import TuiLabApp


async def test_the_browsers_quit_saves_the_session_before_the_app_exits(
    make_app: Callable[..., TuiLabApp], lab_home: Path
) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.torch_ready, "torch", between=settle)
        await pilot.press(*"kept = 41 + 1", "enter")
        await until(pilot, lambda: app.workspace.get("kept") == 42, "the input ran")
        app.post_message(messages.ExitApp())  # what textual's web driver posts for the browser's "quit"
        await until(pilot, lambda: not app.is_running, "the exit")
    saved = store.load("default", root=store.sessions_root())
    assert saved is not None and saved.values.get("kept") == 42
    assert app.return_code == 0

"""Any worker that raises, in any pane: one notification naming the pane, and no status left on "Running…"."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.widgets import Static
from textual.worker import WorkerFailed

from tests.ui.conftest import NotificationRecorder
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.pane import PaneScreen
from tui_lab.ui.panes import PANES


class Boom(RuntimeError):
    """The failure every pane's worker meets in this test."""


def _visible_text(screen: PaneScreen) -> str:
    return "\n".join(str(widget.render()) for widget in screen.query(Static) if widget.display)


@pytest.mark.parametrize("pane", [pane.name for pane in PANES])
async def test_a_failed_worker_is_reported_once_and_the_pane_says_what_is_true(
    pane: str, make_app: Callable[..., TuiLabApp], notes: NotificationRecorder
) -> None:
    app = make_app(pane=pane)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PaneScreen)

        def fail() -> None:
            raise Boom("disk on fire \x1b]52;c;cHduZWQ=\x07")  # hostile text in the error, too

        worker = screen.run_worker(fail, thread=True, exit_on_error=False, group="test-failure")
        with pytest.raises(WorkerFailed):
            await worker.wait()
        for _ in range(50):
            await pilot.pause()
            if notes.notes:
                break
        failures = [n for n in notes.notes if "something went wrong" in n.title]
        assert len(failures) == 1
        assert failures[0].title.startswith(screen.PANE_TITLE)
        assert "Boom: disk on fire" in failures[0].message and "\x1b" not in failures[0].message
        assert "Running…" not in _visible_text(screen)
        assert app.is_running

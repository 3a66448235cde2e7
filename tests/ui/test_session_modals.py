"""The session dialogs hide nothing: every line of code to re-run is on the page, and inputs hold one visible line."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.widgets import Input, Static

from tui_lab.core.text import CONTROL_CHARACTERS
from tui_lab.ui.session_modals import PromptScreen, SessionDialog, code_listing, rerun_question

#: Issue #20.10: the defining input, 80 blank lines, then the payload; the dialog showed only line 1.
HIDDEN = "net = nn.Linear(2,1)" + "\n" * 81 + "import os; os.system('PAYLOAD_MARK')\n"


def shown_text(app: App[Any]) -> str:
    """What the terminal shows, as text (the SVG screenshot's spans, spaces restored)."""
    return app.export_screenshot().replace("&#160;", " ")


class _Host(App[None]):
    def __init__(self, screen: Any) -> None:
        super().__init__()
        self.dialog, self.answer = screen, "unanswered"

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self._answered)

    def _answered(self, value: Any) -> None:
        self.answer = value


async def test_the_rerun_dialog_shows_the_code_below_eighty_blank_lines_and_counts_lines() -> None:
    app = _Host(rerun_question(["net"], [HIDDEN, "b = 2\x1b]0;t\x07"]))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SessionDialog)
        text = shown_text(app)
        assert "PAYLOAD_MARK" in text  # on the first page, without scrolling
        assert "Input 1 of 2 · 82 lines" in text and "80 blank lines" in text
        note = str(app.screen.query_one("#session-note", Static).render())
        assert "2 inputs, 83 lines in all" in note
        await pilot.press("pagedown", "pagedown")
        assert "b = 2␛]0;t␇" in shown_text(app)
        await pilot.press("n")
        assert app.answer is False


def test_the_listing_numbers_every_line_and_folds_only_long_blank_runs() -> None:
    listing = code_listing(["a\n\nb\n\n\n\nc\x1b[2J"]).plain.splitlines()
    assert listing == ["Input 1 of 1 · 7 lines", "1 │ a", "2 │", "3 │ b", "⋮   3 blank lines", "7 │ c␛[2J"]


async def test_the_prompt_shows_a_hostile_default_visibly_and_gives_back_the_real_value() -> None:
    real = "/tmp/dir\x1b]0;x\x07/default.ipynb"
    app = _Host(PromptScreen("Export session", real))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        field = app.screen.query_one("#session-prompt", Input)
        assert field.value == "/tmp/dir␛]0;x␇/default.ipynb" and not CONTROL_CHARACTERS.search(field.value)
        await pilot.press("enter")
        assert app.answer == real

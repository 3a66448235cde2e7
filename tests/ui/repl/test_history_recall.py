"""A recalled history entry is code from a file: its control characters come back as Python escapes (#20.2)."""

from __future__ import annotations

import ast
from collections.abc import Callable

from tui_lab.core.repl.history import History
from tui_lab.core.text import CONTROL_CHARACTERS
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.repl.editor import ReplInput

OSC52 = "\x1b]52;c;UFdORUQ=\x1b\\"


async def test_up_recalls_a_hostile_entry_with_escapes_that_mean_the_same(make_app: Callable[..., TuiLabApp]) -> None:
    entry = "s = '" + OSC52.replace("\\", "\\\\") + "\x1b[2J'\nprint(len(s))"
    history = History.load()
    history.add(entry)
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        editor = app.screen.query_one("#repl-input", ReplInput)
        await pilot.press("up")
        assert editor.text.startswith("s = '\\x1b]52;c;UFdORUQ=\\x1b\\\\\\x1b[2J'")
        assert not CONTROL_CHARACTERS.search(editor.text.replace("\n", ""))
        # Inside the literal the escapes mean what the raw characters meant.
        first = ast.parse(editor.text).body[0]
        assert isinstance(first, ast.Assign) and ast.literal_eval(first.value) == OSC52 + "\x1b[2J"


async def test_up_pressed_before_the_history_is_read_recalls_once_it_is(tmp_path: object) -> None:
    """The screen reads the history in a thread after the first frame: ↑ typed before it is not lost."""
    from textual.app import App, ComposeResult

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield ReplInput(id="editor")

    history = History()
    for entry in ("a = 1", "b = 2", "c = 3"):
        history.add(entry)
    app = Bare()
    async with app.run_test(size=(60, 10)) as pilot:
        editor = app.query_one("#editor", ReplInput)
        editor.focus()
        await pilot.press("up", "up", "up", "down")
        assert editor.text == ""  # nothing to recall yet
        editor.attach_history(history)
        await pilot.pause()
        assert editor.text == "b = 2"  # the three ↑ and the ↓, in order
        await pilot.press("up")
        assert editor.text == "a = 1"

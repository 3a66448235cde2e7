"""Train form values from a session are untrusted: they go in as one visible line (issue #20.2)."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input

from tui_lab.core.text import CONTROL_CHARACTERS
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.train.form import VALUE_LIMIT, TrainForm
from tui_lab.ui.train.screen import TrainScreen

MakeApp = Callable[..., TuiLabApp]
OSC52 = "\x1b]52;c;UFdORUQ=\x1b\\"


async def test_restored_form_values_show_their_control_characters_and_start_refuses_them(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(100, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, TrainScreen)
        screen.restore_session([], {"n": f"10{OSC52}", "csv_path": "a\nb.csv", "lr": "0." + "3" * 10_000})
        await pilot.pause()
        form = screen.query_one(TrainForm)
        n = form.query_one("#field-n", Input)
        assert n.value == "10␛]52;c;UFdORUQ=␛\\"
        assert form.value("csv_path") == "a␊b.csv"
        assert len(form.value("lr")) == VALUE_LIMIT
        assert not any(CONTROL_CHARACTERS.search(text) for text in form.values(relevant_only=False).values())
        await pilot.press("f6")  # the form's own check refuses the value, with a message beside it
        await pilot.pause()
        assert not screen.running

"""Hostile file names in the Data pane's dialogs: what goes into an input is one visible line.

Issue #20.2: the Open dialog's completion and the export dialogs' default names put a file name's
ESC sequences into an ``Input``, which wrote them to the terminal (OSC 52, OSC 0, ``ESC[2J``), and
a newline broke the dialog's layout. Each test fails on the code before the fix.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input, OptionList

from tests.waiting import until
from tui_lab.core.data.files import add_recent
from tui_lab.core.text import CONTROL_CHARACTERS, one_line
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.data.dialogs import TICKED, CheckField, OpenCsvScreen, PathPromptScreen, StepFormScreen, TextField
from tui_lab.ui.data.screen import DataScreen
from tui_lab.ui.textual_adapter import pending_suggestion

from .test_screen import HOUSE_TINY, settle

AppFactory = Callable[..., TuiLabApp]

#: Sets the clipboard, then clears the screen (the attacker's file of issue #20.2).
CLIPBOARD = "c\x1b]52;c;UFdORUQ=\x1b\\\x1b[2J.csv"
TITLE = "t\x1b]0;TITLE\x1b\\.csv"
NEWLINE = "two\nlines.csv"
MARKUP = "[bold red]m[i].csv"


def data_screen(app: TuiLabApp) -> DataScreen:
    return next(screen for screen in reversed(app.screen_stack) if isinstance(screen, DataScreen))


def csv_named(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(HOUSE_TINY.read_bytes())
    return path


@pytest.mark.parametrize("name", [CLIPBOARD, NEWLINE, MARKUP], ids=["escape", "newline", "markup"])
async def test_the_open_dialog_completes_a_hostile_name_visibly_and_opens_that_file(
    make_app: AppFactory, tmp_path: Path, name: str
) -> None:
    real = csv_named(tmp_path / "in", name)
    app = make_app(pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")
        assert isinstance(app.screen, OpenCsvScreen)
        field = app.screen.query_one("#open-path", Input)
        field.value = str(tmp_path / "in" / name[0])
        field.cursor_position = len(field.value)
        await until(pilot, lambda: bool(pending_suggestion(field)), "a completion")
        assert pending_suggestion(field) == one_line(str(real))
        await pilot.press("tab")
        assert field.value == one_line(str(real)) and not CONTROL_CHARACTERS.search(field.value)
        assert field.region.height == 1  # the dialog keeps its layout
        await pilot.press("enter")
        await settle(pilot)
        screen = data_screen(app)
        assert screen.pipeline is not None and screen.pipeline.path == real


async def test_a_hostile_recent_file_is_listed_on_one_line_and_opens(make_app: AppFactory, tmp_path: Path) -> None:
    real = csv_named(tmp_path / "d[i]\x1b]0;x\x07", "r\nx[b]" + CLIPBOARD)
    add_recent(real)
    app = make_app(pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")
        listing = app.screen.query_one("#open-list", OptionList)
        prompts = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        mine = [text for text in prompts if "recent:" in text]
        assert mine == [f"recent: {one_line(str(real))}"]
        await pilot.press("down")
        listing.highlighted = prompts.index(mine[0])
        await pilot.press("enter")
        await settle(pilot)
        screen = data_screen(app)
        assert screen.pipeline is not None and screen.pipeline.path == real


async def test_an_export_named_after_a_hostile_source_is_offered_and_written_under_a_visible_name(
    make_app: AppFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "in\x1b[2J"
    source = csv_named(folder, TITLE)
    app = make_app(csv_path=str(source), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        assert isinstance(app.screen, PathPromptScreen)
        field = app.screen.query_one("#prompt-path", Input)
        safe_name = one_line(source.stem) + "_processed.csv"
        assert field.value == one_line(str(folder)) + "/" + safe_name
        assert not CONTROL_CHARACTERS.search(field.value)
        await pilot.press("enter")
        await settle(pilot)
        # Written into the real folder, under a name that holds no control character.
        assert sorted(p.name for p in folder.iterdir()) == sorted([source.name, safe_name])


async def test_a_step_form_shows_a_hostile_default_as_typed(make_app: AppFactory) -> None:
    app = make_app(pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        form = StepFormScreen(
            "To tensors", "help", [TextField("x_name", "Inputs", "X\x1b]52;c;eA==\x07\nY"), CheckField("flag", "Flag")]
        )
        app.push_screen(form)
        await pilot.pause()
        assert form.query_one("#field-x_name", Input).value == "X␛]52;c;eA==␇␊Y"


async def test_a_form_checkbox_shows_its_state_in_the_glyph(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # colour cannot tell ticked from unticked here
    app = make_app(pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        form = StepFormScreen("One-hot", "help", [CheckField("dummy_na", "dummy_na", True)])
        app.push_screen(form)
        await pilot.pause()
        box = form.query_one("#field-dummy_na", Checkbox)
        assert f"▐{TICKED}▌" in box.render_line(0).text
        box.focus()
        await pilot.press("space")
        assert not box.value and "▐ ▌" in box.render_line(0).text


async def test_braces_in_a_file_that_fails_to_load_are_shown_not_formatted(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(csv_path=str(tmp_path / "{name}{0}.csv"), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        title = data_screen(app).query_one("#data-title").render()
        assert "could not open {name}{0}.csv" in str(title)

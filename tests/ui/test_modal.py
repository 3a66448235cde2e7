"""Every dialog is a LabModal: one frame, one title line, Esc closes it (with the dialog's own "no")."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.app import App, ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static

import tui_lab.ui
from tui_lab.ui.modal import LabModal


def _ui_modal_classes() -> list[type[ModalScreen[object]]]:
    found: list[type[ModalScreen[object]]] = []
    for info in pkgutil.walk_packages(tui_lab.ui.__path__, "tui_lab.ui."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, ModalScreen) and cls.__module__ == info.name:
                found.append(cls)
    return found


def test_every_dialog_of_the_app_is_a_lab_modal() -> None:
    classes = _ui_modal_classes()
    assert len(classes) >= 10  # help, picker, the Data dialogs, the session's, the REPL's, the sweep
    assert [cls.__name__ for cls in classes if not issubclass(cls, LabModal)] == []


class _Question(LabModal[str]):
    def compose_body(self) -> ComposeResult:
        yield Static("body", id="question-body")


async def test_lab_modal_draws_its_title_in_the_frame_and_esc_answers_none() -> None:
    answers: list[str | None] = []

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(_Question("A \x1b[2J title"), answers.append)

    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        frame = app.screen.query_one(".modal-frame")
        title = frame.query_one(".modal-title", Static)
        assert "\x1b" not in str(title.render())  # a title from data is shown through safe_text
        assert frame.query_one("#question-body") is not None
        assert not frame.query(".modal-buttons")  # no buttons: no empty row
        await pilot.press("escape")
        await pilot.pause()
        assert answers == [None]
        assert not isinstance(app.screen, LabModal)

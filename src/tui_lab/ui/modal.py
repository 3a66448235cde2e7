"""The base of every tui-lab dialog: one frame, a title, a body, a row of buttons; Esc closes it.

Every dialog (help, pickers, the Data pane's forms, the session's questions, the REPL's
``input()`` and broadcasting calculator, the learning-rate sweep) subclasses :class:`LabModal`,
as harlequin's dialogs subclass its ``HarlequinModal``, so they look and close alike: the frame is
centred over the pane, drawn with the theme's accent and surface, and Esc dismisses the dialog.
A dialog composes its body in :meth:`LabModal.compose_body` and its buttons in
:meth:`LabModal.compose_buttons`; its own size goes in its ``DEFAULT_CSS``, e.g.
``SweepScreen > .modal-frame { width: 64; }``.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from tui_lab.ui.theme import safe_text

__all__ = ["LabModal"]

ResultT = TypeVar("ResultT")


class LabModal(ModalScreen[ResultT]):
    """A dialog returning a ``ResultT`` through ``dismiss``; Esc runs :meth:`action_cancel` (None by default).

    The frame (class ``modal-frame``, id :attr:`FRAME_ID`) holds the title (``modal-title``), the
    body and the buttons (``modal-buttons``). The classes ``modal-help`` (muted) and
    ``modal-error`` (the theme's error colour) are for the body's own lines.
    """

    DEFAULT_CSS = """
    LabModal {
        align: center middle;
    }
    LabModal > .modal-frame {
        width: 72;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    LabModal .modal-title {
        text-style: bold;
    }
    LabModal .modal-help {
        color: $text-muted;
    }
    LabModal .modal-error {
        color: $error;
        height: auto;
    }
    LabModal .modal-buttons {
        height: auto;
        align-horizontal: right;
    }
    LabModal .modal-buttons Button {
        margin-left: 1;
        min-width: 10;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Close")]

    #: The frame's container: a ``VerticalScroll`` for a page that scrolls as a whole.
    FRAME: ClassVar[type[Widget]] = Vertical
    #: The frame's id (for a dialog's own CSS and tests), or None.
    FRAME_ID: ClassVar[str | None] = None

    def __init__(
        self, title: str | Text = "", *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        #: The bold line at the top; a ``str`` may come from data (shown through ``safe_text``).
        self.modal_title = title

    def compose(self) -> ComposeResult:
        with self.FRAME(classes="modal-frame", id=self.FRAME_ID):
            if self.modal_title:
                title = self.modal_title if isinstance(self.modal_title, Text) else safe_text(self.modal_title)
                yield Static(title, classes="modal-title")
            yield from self.compose_body()
            buttons = list(self.compose_buttons())
            if buttons:
                with Horizontal(classes="modal-buttons"):
                    yield from buttons

    def compose_body(self) -> ComposeResult:
        """The dialog's own widgets, under the title."""
        yield from ()

    def compose_buttons(self) -> ComposeResult:
        """The buttons along the bottom, right-aligned (none by default)."""
        yield from ()

    def action_cancel(self) -> None:
        """Esc: close the dialog, answering None (a dialog whose "no" means something else overrides this)."""
        self.dismiss(None)

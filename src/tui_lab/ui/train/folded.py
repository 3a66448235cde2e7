"""The Train form folded into one line, so a small terminal gives the loss curve the room.

At 80×24 the form's 34 columns left the plot 4–6 rows (1 at 60×20). While a run trains the form
folds into :class:`FormLine`: the settings the next run will use, on one line above the plot. Enter,
Tab, a click or ctrl+f opens the form again; starting a run from it folds it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget

from tui_lab.ui.theme import safe_line

#: Terminals narrower or shorter than this fold the form while runs train.
COMPACT_WIDTH, COMPACT_HEIGHT = 100, 30


def is_compact(width: int, height: int) -> bool:
    """True when the form beside the plot would leave the plot too little room."""
    return width < COMPACT_WIDTH or height < COMPACT_HEIGHT


def settings_summary(values: Mapping[str, str]) -> str:
    """The form's settings in one line: ``concise sgd lr=0.03 B=10 3 ep · synthetic N=1000``.

    Built from the fields' text (which may not parse yet), showing only the fields that apply.
    """
    impl = values.get("impl", "")
    if impl == "model":
        impl = f"model {values.get('model_name', '')}".rstrip()
    parts = [impl] if impl == "closed" else [impl, values.get("optimizer", "")]
    if impl != "closed":
        parts += [f"lr={values.get('lr', '')}", f"B={values.get('batch_size', '')}", f"{values.get('epochs', '')} ep"]
    data = values.get("data", "")
    if data == "synthetic":
        where = f"synthetic N={values.get('n', '')}"
    elif data == "workspace":
        where = f"X={values.get('x_name', '')} y={values.get('y_name', '')}"
    else:
        where = f"csv {values.get('csv_path', '')} → {values.get('target', '')}"
    if values.get("processes", "1") not in ("", "1"):
        where += f" · {values['processes']} processes"
    return f"{' '.join(p for p in parts if p)} · {where}"


@dataclass
class Folding:
    """Whether the form is folded, and why: a plain object the screen asks and a test drives."""

    #: The terminal is small (see :func:`is_compact`).
    compact: bool = False
    folded: bool = False
    #: Folded by a run start on a small terminal (not by hand): it opens once the terminal is large.
    for_room: bool = False

    def resized(self, width: int, height: int) -> None:
        """The terminal is now ``width`` × ``height``."""
        self.compact = is_compact(width, height)
        if not self.compact and self.for_room:
            self.folded = self.for_room = False

    def run_started(self) -> bool:
        """A run started: on a small terminal the form folds to give the plot its rows; True when it did."""
        if not self.compact or self.folded:
            return False
        self.folded = self.for_room = True
        return True

    def set(self, folded: bool) -> None:
        """Folded or opened by hand (ctrl+f, Enter on the line) or by a field taking the focus."""
        self.folded, self.for_room = folded, False


class FormLine(Widget, can_focus=True):
    """The folded form: the next run's settings; Enter, Tab, space or a click opens the form."""

    BINDINGS = [Binding("enter,tab,space", "open", "Edit settings", show=False)]

    class Opened(Message):
        """The learner asked for the whole form."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.summary = ""

    def show(self, summary: str) -> None:
        """Show these settings (text from the form: sanitised when drawn)."""
        self.summary = summary
        self.refresh()

    def render(self) -> Text:
        line = Text.assemble(("▸ settings ", "bold"), safe_line(self.summary), no_wrap=True, overflow="ellipsis")
        line.append("   Enter edits", style="dim")
        return line

    def action_open(self) -> None:
        """Unfold the form."""
        self.post_message(self.Opened())

    def on_click(self) -> None:
        self.post_message(self.Opened())

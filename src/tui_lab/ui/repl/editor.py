"""The REPL's input: a Python TextArea where Enter runs complete input, with history and completion.

Enter runs when :func:`~tui_lab.core.repl.input.input_state` says the input is complete
(IPython's rule for typed code; code that came whole, a bracketed paste or a recalled input, runs
as soon as it compiles, as in Jupyter), otherwise it inserts a newline with the right indentation.
Indentation typed at the start of an auto-indented line replaces the auto-indent, so code pasted
by a terminal without bracketed paste (each line typed, its own indentation included) keeps its
shape. ctrl+j and shift+enter always insert a newline. Up/Down on the first/last line walk the
history. Tab completes (the screen computes candidates in a worker and calls :meth:`show_completions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import events
from textual.message import Message
from textual.widgets import OptionList, TextArea
from textual.widgets.option_list import Option
from textual.widgets.text_area import EditResult

from tui_lab.core.repl.input import input_state, next_indent
from tui_lab.core.text import python_escapes
from tui_lab.ui.theme import safe_line

if TYPE_CHECKING:
    from tui_lab.core.repl.complete import Completion
    from tui_lab.core.repl.history import History


class ReplInput(TextArea):
    """Multi-line Python input with IPython-like Enter, history and Tab completion."""

    DEFAULT_CSS = """
    ReplInput {
        height: auto;
        min-height: 3;
        max-height: 12;
        border: tall $accent 40%;
    }
    ReplInput:focus {
        border: tall $accent;
    }
    """

    @dataclass
    class Submitted(Message):
        """The user ran an input."""

        source: str

    @dataclass
    class CompletionRequested(Message):
        """Tab was pressed after a name: complete at (1-based line, 0-based column)."""

        source: str
        line: int
        column: int

    def __init__(self, history: History | None = None, *, id: str | None = None) -> None:
        # Highlighting starts after the first frame: compiling the tree-sitter query takes ~65 ms.
        super().__init__(language=None, id=id, tab_behavior="indent", soft_wrap=True, show_line_numbers=False)
        self.input_history = history
        #: ↑/↓ pressed before the history was read (the screen reads it after the first frame).
        self._early_history_keys: list[str] = []
        self.popup: OptionList | None = None
        self._completion: Completion | None = None
        #: The text came whole (pasted, recalled, inserted) and no line has been added by hand since.
        self._whole = False
        #: (row, indent) of the indentation Enter put on a new line, while the line is nothing else.
        self._auto_indent: tuple[int, str] | None = None

    def on_mount(self) -> None:
        self.call_after_refresh(self.set_timer, 0.05, self._start_highlighting)

    def _start_highlighting(self) -> None:
        """Turn on highlighting, keeping the cursor and selection of anything typed meanwhile.

        (Setting ``language`` rebuilds the document and puts the cursor at the start, so a fast typist's
        or a pasted Enter would otherwise land on line 1.)
        """
        selection = self.selection
        self.language = "python"
        self.selection = selection

    # -- key handling ---------------------------------------------------------------

    def clear(self) -> EditResult:
        """Empty the input; what comes next is typed (or pasted) afresh."""
        self._whole, self._auto_indent = False, None
        return super().clear()

    async def _on_key(self, event: events.Key) -> None:
        key = event.key
        if self.popup_visible and self._popup_key(key):
            event.stop()
            event.prevent_default()
            return
        if key == "space":
            self._drop_auto_indent()  # the line brings its own indentation
        self._auto_indent = None
        handled = True
        if key == "enter":
            self._enter()
        elif key in ("ctrl+j", "shift+enter"):
            self.insert_newline()
        elif key == "tab":
            handled = self._tab()
        elif key == "backspace":
            handled = self._dedent()
        elif key == "up" and self.cursor_location[0] == 0 and not self.selected_text:
            self._history_key("up")
        elif key == "down" and self.cursor_location[0] == self.document.line_count - 1 and not self.selected_text:
            self._history_key("down")
        else:
            handled = False
        if handled:
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    def attach_history(self, history: History) -> None:
        """Use ``history`` for ↑/↓; the ↑/↓ pressed while it was being read are applied now, in order."""
        self.input_history = history
        early, self._early_history_keys = self._early_history_keys, []
        for key in early:
            self._history_key(key)

    def _history_key(self, key: str) -> None:
        """↑ (older) or ↓ (newer) through the history; kept for later while the history is still being read."""
        if self.input_history is None:
            self._early_history_keys.append(key)
        elif key == "up":
            self._recall(self.input_history.previous(self.text), at_start=True)
        else:
            self._recall(self.input_history.next(), at_start=False)

    def _enter(self) -> None:
        row, _ = self.cursor_location
        at_end = row == self.document.line_count - 1
        if at_end and input_state(self.text, whole=self._whole) != "incomplete":
            self.submit()
        else:
            self.insert_newline()

    def insert_newline(self) -> None:
        """Insert a newline with the indentation the current line calls for (typing a block by hand from here)."""
        row, column = self.cursor_location
        line = self.document.get_line(row)[:column]
        indent = next_indent(line)
        self.insert("\n" + indent)
        self._whole = False
        self._auto_indent = (row + 1, indent) if indent else None

    def _drop_auto_indent(self) -> bool:
        """Take away the indentation Enter added, if the line is still only that and the cursor at its end."""
        mark, self._auto_indent = self._auto_indent, None
        if mark is None or self.selected_text:
            return False
        row, indent = mark
        if self.cursor_location != (row, len(indent)) or self.document.get_line(row) != indent:
            return False
        self.delete((row, 0), (row, len(indent)))
        return True

    async def _on_paste(self, event: events.Paste) -> None:
        """A bracketed paste: inserted as it is (no auto-indent), and Enter then runs it once it compiles."""
        event.stop()
        event.prevent_default()
        if self.read_only:
            return
        text = event.text.replace("\r\n", "\n").replace("\r", "\n")  # terminals send a pasted newline as CR
        if text[:1] in (" ", "\t"):
            self._drop_auto_indent()  # the pasted lines bring their own indentation
        self._auto_indent = None
        start, end = sorted(self.selection)
        result = self.replace(text, start, end)
        self.move_cursor(result.end_location)
        self._whole = True
        self.focus()

    def _tab(self) -> bool:
        row, column = self.cursor_location
        before = self.document.get_line(row)[:column]
        if not before.strip() or before.endswith((" ", "(", ",")):
            self.insert(" " * (4 - column % 4))
            return True
        self.post_message(self.CompletionRequested(self.text, row + 1, column))
        return True

    def _dedent(self) -> bool:
        """Backspace in leading indentation removes one level (4 columns), as IPython does."""
        if self.selected_text:
            return False
        row, column = self.cursor_location
        before = self.document.get_line(row)[:column]
        if not before or before.strip() or column < 2:
            return False
        start = (column - 1) // 4 * 4
        self.delete((row, start), (row, column))
        return True

    def _recall(self, entry: str | None, *, at_start: bool) -> None:
        if entry is not None:
            self.replace_text(entry, cursor_on_first_line=at_start)

    def replace_text(self, text: str, *, cursor_on_first_line: bool = False) -> None:
        """Replace the input with ``text``, the cursor at its end (or at the end of its first line).

        ``text`` (a history entry, saved code) may hold control characters: they go in as Python
        escapes (``\\x1b``), which mean the same inside a string literal and never reach the terminal.
        """
        self.load_text(python_escapes(text))
        self.move_cursor((0, len(self.document.get_line(0))) if cursor_on_first_line else self.document.end)
        self._whole, self._auto_indent = True, None

    def submit(self) -> None:
        """Run the input as it is (F9 and Enter on complete input).

        The input empties at once, so keys typed before the screen has taken the text start the next
        input instead of being appended to this one and cleared with it.
        """
        self.hide_completions()
        source = self.text
        self.clear()
        self.post_message(self.Submitted(source))

    # -- completion popup -------------------------------------------------------------

    @property
    def popup_visible(self) -> bool:
        """True while the completion list is shown."""
        return self.popup is not None and self.popup.display

    def show_completions(self, completion: Completion) -> None:
        """Insert the common prefix; list the choices when there are several."""
        if not completion.items:
            self.app.bell()
            if completion.timed_out:
                self.notify("Completion timed out.", title="Completion", severity="warning")
            return
        common = completion.common_prefix()
        if len(completion.items) == 1 or len(common) > len(completion.prefix):
            self._replace_prefix(completion.prefix, common if len(completion.items) > 1 else completion.items[0])
            if len(completion.items) == 1:
                return
            completion = type(completion)(common, completion.items)
        self._completion = completion
        if self.popup is not None:
            self.popup.clear_options()
            self.popup.add_options([Option(safe_line(item), id=item) for item in completion.items])
            self.popup.highlighted = 0
            self.popup.display = True

    def hide_completions(self) -> None:
        """Close the completion list."""
        if self.popup is not None:
            self.popup.display = False
        self._completion = None

    def _replace_prefix(self, prefix: str, replacement: str) -> None:
        row, column = self.cursor_location
        start = (row, column - len(prefix))
        self.replace(replacement, start, (row, column))

    def _popup_key(self, key: str) -> bool:
        """Keys while the list is open: arrows move, Tab/Enter pick, Esc closes. True if used."""
        popup = self.popup
        assert popup is not None
        if key in ("up", "down"):
            popup.action_cursor_up() if key == "up" else popup.action_cursor_down()
            return True
        if key in ("tab", "enter"):
            self.accept_completion()
            return True
        self.hide_completions()
        return key == "escape"

    def accept_completion(self) -> None:
        """Insert the highlighted choice."""
        popup, completion = self.popup, self._completion
        if popup is not None and completion is not None and popup.highlighted is not None:
            choice = popup.get_option_at_index(popup.highlighted).id or ""
            row, column = self.cursor_location
            line = self.document.get_line(row)[:column]
            typed = completion.prefix if line.endswith(completion.prefix) else ""
            self._replace_prefix(typed, choice)
        self.hide_completions()

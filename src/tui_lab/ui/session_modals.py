"""The session's dialogs: the resume question, a one-line prompt, re-running inputs, the "not saved" list,
restore progress.

The re-run question shows every line of the code it would run, numbered, with each input's line
count in its heading: a session file could otherwise hide a payload below 80 blank lines, past
the bottom of the dialog. Long runs of blank lines are folded into one line that says how many
there are, so everything that is not blank is on the page; ↑/↓/PgUp/PgDn scroll it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Button, Input, Static

from tui_lab.core.session.model import NotSaved, SaveProgress
from tui_lab.core.text import ShownPaths
from tui_lab.ui.modal import LabModal
from tui_lab.ui.theme import safe_text

ResultT = TypeVar("ResultT")


class SessionModal(LabModal[ResultT]):
    """The session's dialogs: a wider frame, a blank line under the title and above the buttons."""

    DEFAULT_CSS = """
    SessionModal > .modal-frame {
        width: 76;
    }
    SessionModal .modal-title {
        margin-bottom: 1;
    }
    SessionModal .modal-buttons {
        margin-top: 1;
    }
    """


class SessionDialog(SessionModal[bool]):
    """A question with two answers: the first button (or y / Enter) is True, the second (n / Esc) False."""

    DEFAULT_CSS = """
    SessionDialog #session-scroll {
        height: auto;
        max-height: 16;
    }
    SessionDialog #session-note {
        color: $text-muted;
    }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n", "answer(False)", "No", show=False),
        Binding("up", "scroll_body('up')", "Scroll up", show=False),
        Binding("down", "scroll_body('down')", "Scroll down", show=False),
        Binding("pageup", "scroll_body('page_up')", "Page up", show=False),
        Binding("pagedown", "scroll_body('page_down')", "Page down", show=False),
    ]

    def __init__(self, title: str, body: Text | str = "", yes: str = "Yes", no: str = "No", note: str = "") -> None:
        super().__init__(title)
        self.title_text, self.body, self.yes, self.no, self.note = title, body, yes, no, note

    def compose_body(self) -> ComposeResult:
        if self.body:
            with VerticalScroll(id="session-scroll"):
                yield Static(self.body, id="session-body")
        if self.note:
            yield Static(safe_text(self.note), id="session-note")

    def compose_buttons(self) -> ComposeResult:
        yield Button(self.yes, variant="primary", id="session-yes")
        yield Button(self.no, id="session-no")

    def on_mount(self) -> None:
        self.query_one("#session-yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "session-yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    def action_cancel(self) -> None:
        """Esc says no."""
        self.dismiss(False)

    def action_scroll_body(self, how: str) -> None:
        """Scroll the body (the buttons keep the focus)."""
        for scroll in self.query("#session-scroll").results(VerticalScroll):
            getattr(scroll, f"scroll_{how}")()


def resume_question(saved_at: str, description: str) -> SessionDialog:
    """ "Restore the session from 14:32 (12 names, pipeline of 4 steps, 6 runs)?"."""
    clock = saved_at[11:16] if len(saved_at) >= 16 else saved_at
    return SessionDialog(f"Restore the session from {clock} ({description})?", "", "Restore", "Start fresh")


#: A run of at least this many blank lines is folded into one line saying how many there are.
FOLD_BLANK_LINES = 3


def code_listing(sources: Sequence[str]) -> Text:
    """Every line of ``sources``, numbered, each input under a heading with its line count.

    Runs of :data:`FOLD_BLANK_LINES` or more blank lines fold into ``⋮ 80 blank lines``, so no
    line that holds anything can be pushed out of sight. Control characters are shown as escapes.
    """
    body = Text()
    for index, source in enumerate(sources, start=1):
        lines = source.rstrip("\n").split("\n")
        body.append(f"Input {index} of {len(sources)} · {_count(len(lines), 'line')}\n", style="bold")
        width = len(str(len(lines)))
        at = 0
        while at < len(lines):
            if lines[at].strip():
                body.append(f"{at + 1:>{width}} │ ", style="dim")
                body.append_text(safe_text(lines[at], keep="\t"))
                body.append("\n")
                at += 1
                continue
            end = at
            while end < len(lines) and not lines[end].strip():
                end += 1
            if end - at >= FOLD_BLANK_LINES:
                body.append(f"{'⋮':>{width}}   {end - at} blank lines\n", style="italic")
            else:
                body.append("".join(f"{number:>{width}} │\n" for number in range(at + 1, end + 1)), style="dim")
            at = end
        body.append("\n")
    body.rstrip()
    return body


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def rerun_question(names: Sequence[str], sources: Sequence[str]) -> SessionDialog:
    """Ask before re-running saved REPL inputs (they are code: nothing runs without a yes)."""
    total = sum(len(source.rstrip("\n").split("\n")) for source in sources)
    title = f"Re-run the REPL inputs that defined {', '.join(names)}?"
    note = f"{_count(len(sources), 'input')}, {_count(total, 'line')} in all · ↑/↓ PgUp/PgDn scroll"
    return SessionDialog(title, code_listing(sources), "Run them", "Not now", note)


def not_saved_text(entries: Sequence[NotSaved]) -> Text:
    """The "not saved" list: name, type, reason, and whether inputs were kept."""
    text = Text()
    for entry in entries:
        text.append_text(safe_text(entry.name))
        text.append_text(safe_text(f" ({entry.type_name}): ", "dim"))
        text.append_text(safe_text(entry.reason))
        if entry.inputs:
            text.append(f" · {len(entry.inputs)} REPL input(s) kept", style="italic")
        text.append("\n")
    return text


class PromptScreen(SessionModal[str]):
    """One line of text (a session name, a path): Enter gives it, Esc cancels."""

    def __init__(self, title: str, value: str = "", placeholder: str = "") -> None:
        super().__init__(title)
        self.title_text, self.value, self.placeholder = title, value, placeholder
        #: The value (a session name, a path in a hostile folder) as shown, and what it stands for.
        self.paths = ShownPaths()

    def compose_body(self) -> ComposeResult:
        yield Input(self.paths.show(self.value), placeholder=self.placeholder, id="session-prompt")

    @on(Input.Submitted, "#session-prompt")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(self.paths.real(event.value.strip()) or None)


class RestoreProgressScreen(SessionModal[bool]):
    """How far a restore has got (bytes read, pipeline steps replayed); Esc cancels it (dismissed with True)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel the restore")]

    def __init__(self, name: str) -> None:
        super().__init__(f"Restoring session {name!r}…")
        self.session_name = name

    def compose_body(self) -> ComposeResult:
        from textual.widgets import ProgressBar

        yield ProgressBar(id="restore-bar", show_eta=False)
        yield Static("", id="restore-detail")
        yield Static(Text("Esc cancels: the session on disk is kept as it was.", style="dim"))

    def show(self, progress: SaveProgress) -> None:
        """Bytes read of the total, and the step being replayed (e.g. "pipeline step 2 of 4")."""
        from textual.widgets import ProgressBar

        mib = 1024 * 1024
        self.query_one("#restore-bar", ProgressBar).update(total=max(progress.total, 1), progress=progress.done)
        detail = f"{progress.done / mib:,.1f} of {progress.total / mib:,.1f} MiB read"
        if progress.name:
            detail += f" · {progress.name}"
        self.query_one("#restore-detail", Static).update(safe_text(detail))

    def action_cancel(self) -> None:
        self.query_one("#restore-detail", Static).update("Cancelling…")
        self.dismiss(True)

"""The session's dialogs: the resume question, a one-line prompt, re-running inputs, the "not saved" list, restore progress."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui_lab.core.session.model import NotSaved, SaveProgress
from tui_lab.ui.theme import safe_text

_CSS = """
SessionDialog { align: center middle; }
SessionDialog > Vertical { width: 76; max-width: 95%; height: auto; max-height: 90%;
    border: round $accent; background: $surface; padding: 1 2; }
SessionDialog .session-title { text-style: bold; margin-bottom: 1; }
SessionDialog VerticalScroll { height: auto; max-height: 16; }
SessionDialog Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
SessionDialog Button { margin-left: 2; }
"""


class SessionDialog(ModalScreen[bool]):
    """A question with two answers: the first button (or y / Enter) is True, the second (n / Esc) False."""

    DEFAULT_CSS = _CSS
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n,escape", "answer(False)", "No", show=False),
    ]

    def __init__(self, title: str, body: Text | str = "", yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.title_text, self.body, self.yes, self.no = title, body, yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe_text(self.title_text), classes="session-title", id="session-question")
            if self.body:
                with VerticalScroll():
                    yield Static(self.body, id="session-body")
            with Horizontal():
                yield Button(self.yes, variant="primary", id="session-yes")
                yield Button(self.no, id="session-no")

    def on_mount(self) -> None:
        self.query_one("#session-yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "session-yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


def resume_question(saved_at: str, description: str) -> SessionDialog:
    """"Restore the session from 14:32 (12 names, pipeline of 4 steps, 6 runs)?"."""
    clock = saved_at[11:16] if len(saved_at) >= 16 else saved_at
    return SessionDialog(f"Restore the session from {clock} ({description})?", "", "Restore", "Start fresh")


def rerun_question(names: Sequence[str], sources: Sequence[str]) -> SessionDialog:
    """Ask before re-running saved REPL inputs (they are code: nothing runs without a yes)."""
    body = Text()
    for source in sources:
        body.append_text(safe_text(source.rstrip("\n")))
        body.append("\n\n")
    title = f"Re-run the REPL inputs that defined {', '.join(names)}?"
    return SessionDialog(title, body, "Run them", "Not now")


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


class PromptScreen(ModalScreen[str | None]):
    """One line of text (a session name, a path): Enter gives it, Esc cancels."""

    DEFAULT_CSS = _CSS.replace("SessionDialog", "PromptScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, title: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text, self.value, self.placeholder = title, value, placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe_text(self.title_text), classes="session-title")
            yield Input(self.value, placeholder=self.placeholder, id="session-prompt")

    @on(Input.Submitted, "#session-prompt")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RestoreProgressScreen(ModalScreen[bool]):
    """How far a restore has got (bytes read, pipeline steps replayed); Esc cancels it (dismissed with True)."""

    DEFAULT_CSS = _CSS.replace("SessionDialog", "RestoreProgressScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel the restore")]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.session_name = name

    def compose(self) -> ComposeResult:
        from textual.widgets import ProgressBar

        with Vertical():
            yield Static(safe_text(f"Restoring session {self.session_name!r}…"), classes="session-title")
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

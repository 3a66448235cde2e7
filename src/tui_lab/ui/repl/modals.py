"""REPL modals: answering ``input()``, and the "Explain broadcasting" calculator."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from tui_lab.ui.modal import LabModal
from tui_lab.ui.theme import safe_text
from tui_lab.ui.threads import to_ui


def ask_in_modal(app: App[object], prompt: str, closing: Callable[[], bool]) -> str:
    """From the code's thread: show :class:`InputPromptScreen` and wait for the answer.

    Cancelling (or the app closing, as ``closing()`` says) raises ``KeyboardInterrupt`` in the code.
    """
    done = threading.Event()
    answer: list[str | None] = []

    def received(value: str | None) -> None:
        answer.append(value)
        done.set()

    if not to_ui(app, app.push_screen, InputPromptScreen(prompt), received):
        raise KeyboardInterrupt("the app is closing")
    while not done.wait(0.05):
        if closing():
            raise KeyboardInterrupt("the app is closing")
    if answer[0] is None:
        raise KeyboardInterrupt("input() cancelled")
    return answer[0]


class InputPromptScreen(LabModal[str]):
    """Answer the running code's ``input(prompt)``; Esc or ctrl+c raises KeyboardInterrupt there."""

    DEFAULT_CSS = """
    InputPromptScreen > .modal-frame {
        width: 60;
    }
    """
    BINDINGS = [Binding("escape,ctrl+c", "cancel", "Cancel (raises KeyboardInterrupt)", priority=True)]
    FRAME_ID = "input-box"

    def __init__(self, prompt: str) -> None:
        super().__init__("The running code asks for input()")
        self.prompt_text = prompt

    def compose_body(self) -> ComposeResult:
        yield Static(safe_text(self.prompt_text or "(no prompt)"), id="input-prompt")
        yield Input(placeholder="type the answer, Enter sends", id="input-answer")
        yield Static(Text("Esc cancels (the code gets KeyboardInterrupt)", style="dim"))

    @on(Input.Submitted, "#input-answer")
    def _send(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)


class BroadcastScreen(LabModal[None]):
    """Type two (or more) comma-separated names or expressions; see how their shapes broadcast."""

    DEFAULT_CSS = """
    BroadcastScreen > .modal-frame {
        width: 76;
    }
    BroadcastScreen #broadcast-result {
        height: auto;
        margin-top: 1;
    }
    """
    FRAME_ID = "broadcast-box"

    def __init__(self, namespace: Mapping[str, object], initial: str = "") -> None:
        super().__init__("Explain broadcasting")
        self.namespace = namespace
        self.initial = initial

    def compose_body(self) -> ComposeResult:
        yield Input(
            value=self.initial, placeholder="a, b   e.g.  X, X.sum(axis=1, keepdims=True)", id="broadcast-exprs"
        )
        yield Static(Text("Names or expressions, separated by ', '. Enter explains, Esc closes.", style="dim"))
        yield Static(id="broadcast-result")

    def on_mount(self) -> None:
        if self.initial:
            self.explain(self.initial)

    @on(Input.Submitted, "#broadcast-exprs")
    def _submitted(self, event: Input.Submitted) -> None:
        self.explain(event.value)

    def explain(self, text: str) -> None:
        """Evaluate the expressions and show the aligned shapes, or why not."""
        parts = split_expressions(text)
        result = self.query_one("#broadcast-result", Static)
        if len(parts) < 2:
            result.update(Text("Give at least two expressions, e.g.  a, b", style="italic"))
            return
        from tui_lab.core.repl.broadcast import evaluate_operands

        try:
            explanation = evaluate_operands(parts, self.namespace)
        except ValueError as error:
            result.update(safe_text(error, "bold"))
            return
        result.update(safe_text(explanation.as_text()))


def split_expressions(text: str) -> list[str]:
    """Split on top-level commas (not inside brackets or quotes)."""
    parts, depth, current, quote = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    if current.strip():
        parts.append(current.strip())
    return [p for p in parts if p]

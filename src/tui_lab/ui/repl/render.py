"""Turn REPL results into Rich text for the output log, in the app theme's colours.

Colours come from the current theme's variables (``$error``, ``$accent``...), never literals,
so the log follows the theme the user picks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from rich.console import RenderableType
from rich.syntax import Syntax
from rich.text import Text

from tui_lab.core.repl.broadcast import BroadcastExplanation
from tui_lab.core.repl.engine import RunResult
from tui_lab.core.repl.memory import MemoryEvent

MEMORY_MARKS = {"new storage": "⟲", "in place": "✎", "same storage": "≡", "deleted": "✗", "shares memory": "⇄"}


class ResultStyles:
    """Rich style strings built from the theme's CSS variables."""

    def __init__(self, variables: Mapping[str, str]) -> None:
        def pick(*names: str) -> str:
            return next((variables[n] for n in names if variables.get(n, "").startswith("#")), "")

        self.prompt_in = f"bold {pick('success', 'accent')}".strip()
        self.prompt_out = f"bold {pick('error', 'accent')}".strip()
        self.error = pick("text-error", "error")
        self.warning = f"italic {pick('text-warning', 'warning')}".strip()
        self.muted = "dim"
        self.accent = pick("accent")


def echo_input(number: int, source: str, styles: ResultStyles) -> Iterator[RenderableType]:
    """``In [n]: code`` with the code highlighted."""
    prompt = f"In [{number}]: "
    code = Syntax(source, "python", theme="ansi_dark", background_color="default").highlight(source)
    code.rstrip()
    lines = code.split("\n")
    for index, line in enumerate(lines):
        head = Text(prompt if index == 0 else " " * (len(prompt) - 5) + "...: ", style=styles.prompt_in)
        yield head + line


def render_result(result: RunResult, styles: ResultStyles) -> Iterator[RenderableType]:
    """Everything one run produced, in order: output, truncation, error, Out[n], memory view."""
    for chunk in result.outputs:
        text = chunk.text[:-1] if chunk.text.endswith("\n") else chunk.text
        yield Text(text, style=styles.error if chunk.stream == "stderr" else "")
    note = result.truncation_note()
    if note:
        yield Text(note, style=styles.warning)
    if result.error is not None:
        yield Text(result.error.traceback, style=styles.error)
        if result.error.broadcast is not None:
            yield from render_broadcast(result.error.broadcast, styles)
    if result.value_repr is not None:
        prompt = f"Out[{result.number}]: "
        value = Text(prompt, style=styles.prompt_out)
        body = result.value_repr
        value.append(("\n" + body) if "\n" in body else body)  # multi-line reprs start on their own line, as in IPython
        yield value
        if result.value_summary:
            yield Text(result.value_summary, style=styles.muted)
        if result.value_note:
            yield Text(result.value_note, style=styles.warning)
    if result.memory:
        yield from render_memory(result.memory, styles)
    yield Text("")


def render_memory(events: tuple[MemoryEvent, ...], styles: ResultStyles) -> Iterator[Text]:
    """The memory view: one line per tensor name that moved, changed in place or shares memory."""
    yield Text("memory view:", style=f"bold {styles.accent}".strip())
    for event in events:
        line = Text(f"  {MEMORY_MARKS.get(event.kind, '•')} ")
        line.append(event.name, style="bold")
        line.append(f" {event.kind}", style=f"bold {styles.accent}".strip())
        if event.detail:
            line.append(f" — {event.detail}", style=styles.muted)
        yield line


def render_broadcast(explanation: BroadcastExplanation, styles: ResultStyles) -> Iterator[Text]:
    """Operand shapes right-aligned, ✗ under clashing axes, ↕ under stretched ones."""
    yield Text("broadcasting explainer (shapes aligned from the right):", style=f"bold {styles.accent}".strip())
    lines = explanation.as_text().split("\n")
    marks, verdict = lines[-2], lines[-1]
    for line in lines[:-2]:
        yield Text("  " + line)
    mark_line = Text("  ")
    for char in marks:
        style = styles.error if char == "✗" else styles.accent if char == "↕" else ""
        mark_line.append(char, style=f"bold {style}".strip())
    yield mark_line
    yield Text("  " + verdict, style=styles.error if not explanation.ok else styles.muted)

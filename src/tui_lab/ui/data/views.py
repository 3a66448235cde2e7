"""What the Data pane's side panel and title line show, built as Rich ``Text`` from untrusted names.

File names, column names and step titles (which hold column names) all come from data: every
piece passes through :func:`tui_lab.ui.theme.safe_line` / ``safe_text``, so ``[/]`` in a column
name is shown as typed and ESC is shown as ``␛``. Colours come from the theme (``theme_style``),
never from literal colour names.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text

from tui_lab.core.text import visible
from tui_lab.ui.data.controller import StepRow, StepState, TableFacts
from tui_lab.ui.theme import safe_line, safe_text

if TYPE_CHECKING:
    from tui_lab.core.data.load import LoadProgress
    from tui_lab.core.data.profile import ColumnProfile

#: Characters a pipeline-list entry may use before it is cut with an ellipsis (the side panel's width).
STEP_LABEL_WIDTH = 31

EMPTY_TEXT = Text.assemble(
    ("No table yet.", "bold"),
    "\n\nPress ",
    ("o", "bold"),
    " to open a CSV (F6 and F7 in the dialog open the two sample files),\nor start the app with ",
    ("tui-lab FILE.csv", "bold"),
    ".\n\nThen: ",
    ("t", "bold"),
    " target · ",
    ("m", "bold"),
    " fill missing · ",
    ("h", "bold"),
    " one-hot · ",
    ("T", "bold"),
    " to tensors · ",
    ("k", "bold"),
    " code.\nSort (s) and filter (/) are pipeline steps too: ",
    ("u", "bold"),
    " undoes any step.",
)


def _line() -> Text:
    return Text(no_wrap=True, overflow="ellipsis")


def table_title(facts: TableFacts) -> Text:
    """`` house.csv · 4 × 3 · target: Price · after 2 step(s)``."""
    title = _line()
    title.append_text(safe_line(f" {facts.name}", "bold"))
    title.append(f" · {facts.rows:,} × {facts.columns:,} · target: ")
    title.append_text(safe_line(", ".join(facts.target)) if facts.target else Text("none (t)"))
    title.append(f" · after {facts.steps} step(s)", style="italic")
    return title


def status_title(message: str, path: str | None = None) -> Text:
    """An italic status line, e.g. `` could not open x.csv · press o to open a CSV``."""
    return safe_line(" " + message.format(name=Path(path).name if path else ""), "italic")


def loading_title(path: str, progress: LoadProgress | None = None) -> Text:
    """`` loading x.csv… 12,000 rows, 40% (Esc cancels)``."""
    text = _line()
    text.append(" loading ", style="italic")
    text.append_text(safe_line(Path(path).name, "italic"))
    if progress is not None:
        text.append(f"… {progress.rows:,} rows, {progress.fraction:.0%} (Esc cancels)", style="italic")
    else:
        text.append("… (Esc cancels)", style="italic")
    return text


def export_title(path: str, fraction: float | None) -> Text:
    """`` exporting x_processed.csv… 40% (Esc cancels)``."""
    text = _line()
    text.append(" exporting ", style="italic")
    text.append_text(safe_line(Path(path).name, "italic"))
    shown = f" {fraction:.0%}" if fraction is not None else ""
    text.append(f"…{shown} (Esc cancels)", style="italic")
    return text


def step_prompt(row: StepRow) -> Text:
    """One line of the pipeline list, cut to fit rather than wrapped; undone steps struck through."""
    if row.state is StepState.UNDONE:
        return safe_line(f"↶ {row.title} (undone)", "dim strike", STEP_LABEL_WIDTH)
    return safe_line(f"{row.number} {row.title}", "", STEP_LABEL_WIDTH)


def profile_text(profile: ColumnProfile, missing_style: Style) -> Text:
    """The column profile: name, then label/value lines; the missing count in the theme's error colour."""
    text = _line()
    text.append_text(safe_line(profile.name, "bold"))
    for label, value in profile.lines():
        text.append("\n")
        text.append_text(safe_line(f"{label:<9}", "dim"))
        text.append_text(safe_line(value, missing_style if label == "missing" and profile.missing else ""))
    return text


def profile_status(name: str, message: str) -> Text:
    """The profile panel while a profile runs or after it failed."""
    text = _line()
    text.append_text(safe_line(name, "bold"))
    text.append("\n")
    text.append_text(safe_text(message, "italic"))
    return text


def summary_text(lines: list[str]) -> Text:
    """The before/after summary of a step, or the source's notes (a line break inside a name shows as ␊)."""
    return Text("\n".join(visible(line) for line in lines))

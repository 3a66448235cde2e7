"""The REPL's variable pane: every user name with tensor-first metadata, and the selected one's details.

The list shows metadata only (:func:`~tui_lab.core.repl_inspect.variable_row`), so it stays
fast with huge tensors around. Details (statistics, grid, heatmap) are computed by the
screen in a worker for the highlighted name and handed to :meth:`VariablePane.show_details`.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui_lab.core.repl_inspect import VariableDetails, variable_row
from tui_lab.core.workspace import Workspace

SHADES = " ░▒▓█"


class VariablePane(Vertical):
    """A titled list of workspace names above a details view."""

    DEFAULT_CSS = """
    VariablePane { width: 34; border-left: solid $panel; }
    VariablePane .repl-side-title { height: 1; background: $panel; color: $text; text-style: bold; padding: 0 1; }
    VariablePane #repl-vars { height: 1fr; border: none; padding: 0; }
    VariablePane #repl-details-scroll { height: 1fr; }
    VariablePane #repl-details { padding: 0 1; }
    """

    @dataclass
    class VariableHighlighted(Message):
        """The highlighted variable changed (None when the list is empty)."""

        name: str | None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._names: list[str] = []
        self._rows: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield Static("Variables", classes="repl-side-title", id="repl-vars-title")
        yield OptionList(id="repl-vars")
        yield Static("Details", classes="repl-side-title")
        with VerticalScroll(id="repl-details-scroll"):
            yield Static(Text("Select a variable (F6, then ↑/↓).", style="dim"), id="repl-details")

    @property
    def options(self) -> OptionList:
        """The name list."""
        return self.query_one("#repl-vars", OptionList)

    @property
    def selected(self) -> str | None:
        """The highlighted name, if any."""
        options = self.options
        if options.highlighted is None or not self._names:
            return None
        return self._names[options.highlighted]

    def refresh_rows(self, workspace: Workspace) -> None:
        """Rebuild the list from the workspace, keeping the highlighted name."""
        rows = []
        for name, value in workspace.user_items():
            try:
                row = variable_row(name, value)
                rows.append((name, f"{row.summary}"))
            except Exception as error:  # noqa: BLE001 - one odd object must not empty the list
                rows.append((name, f"<{type(error).__name__}>"))
        if rows == self._rows:
            return
        keep = self.selected
        self._rows = rows
        self._names = [name for name, _ in rows]
        options = self.options
        options.clear_options()
        options.add_options([Option(self._row_text(name, summary)) for name, summary in rows])
        self.query_one("#repl-vars-title", Static).update(f"Variables ({len(rows)})")
        if keep in self._names:
            options.highlighted = self._names.index(keep)
        elif not rows:
            self.show_details(None)

    @staticmethod
    def _row_text(name: str, summary: str) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(name, style="bold")
        text.append(" " + summary, style="dim")
        return text

    @on(OptionList.OptionHighlighted, "#repl-vars")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self.post_message(self.VariableHighlighted(self.selected))

    def show_details(self, details: VariableDetails | None, error: str | None = None) -> None:
        """Render the details of the selected variable (or a hint/error)."""
        target = self.query_one("#repl-details", Static)
        if error is not None:
            target.update(Text(error, style="bold"))
        elif details is None:
            target.update(Text("Select a variable (F6, then ↑/↓).", style="dim"))
        else:
            target.update(render_details(details))


def render_details(details: VariableDetails) -> RenderableType:
    """Fields as a two-column table, then the value grid or the heatmap, then any note."""
    parts: list[RenderableType] = [Text(f"{details.name}: {details.title}", style="bold")]
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in details.fields:
        table.add_row(label, value)
    parts.append(table)
    if details.grid is not None:
        grid = Table(show_header=False, box=None, padding=(0, 1), pad_edge=False)
        for _ in range(max(len(row) for row in details.grid)):
            grid.add_column(justify="right", no_wrap=True)
        for row in details.grid:
            grid.add_row(*row)
        parts += [Text("values", style="bold"), grid]
    if details.heat is not None:
        parts.append(Text(f"heatmap (block means, {SHADES[1]} low … {SHADES[-1]} high)", style="bold"))
        for cells in details.heat:
            parts.append(Text("".join(SHADES[min(int(v * (len(SHADES) - 1) + 0.5), len(SHADES) - 1)] for v in cells)))
    if details.note:
        parts.append(Text(details.note, style="dim"))
    return Group(*parts)

"""The REPL's variable pane: every user name with tensor-first metadata, and the selected one's details.

The list shows metadata only (:func:`~tui_lab.core.repl.inspect.variable_row`), so it stays
fast with huge tensors around. Details (statistics, grid, heatmap) are computed by the
screen in a worker for the highlighted name and handed to :meth:`VariablePane.show_details`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from tui_lab.core.text import one_line
from tui_lab.ui.theme import safe_line, safe_text

if TYPE_CHECKING:  # the list is first filled after the first frame; its summaries are imported then
    from tui_lab.core.repl.inspect import VariableDetails
    from tui_lab.core.workspace import Workspace

SHADES = " ░▒▓█"


class VariableList(ScrollView, can_focus=True):
    """A virtual list of ``(name, summary)`` rows: only visible lines are rendered, so rebuilding is O(1)."""

    COMPONENT_CLASSES = {"variable-list--cursor", "variable-list--name", "variable-list--summary"}
    DEFAULT_CSS = """
    VariableList { background: $surface; }
    VariableList > .variable-list--cursor { background: $accent 25%; }
    VariableList:focus > .variable-list--cursor { background: $accent 60%; color: $text; }
    VariableList > .variable-list--name { text-style: bold; }
    VariableList > .variable-list--summary { color: $text-muted; }
    """
    BINDINGS = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("pageup", "move(-10)", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("home", "move(-1000000)", show=False),
        Binding("end", "move(1000000)", show=False),
    ]

    cursor: reactive[int] = reactive(-1, always_update=True)

    @dataclass
    class Highlighted(Message):
        """The row under the cursor changed."""

        name: str | None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[tuple[str, str]] = []

    @property
    def row_count(self) -> int:
        """How many names are listed."""
        return len(self.rows)

    @property
    def selected(self) -> str | None:
        """The name under the cursor."""
        return self.rows[self.cursor][0] if 0 <= self.cursor < len(self.rows) else None

    def set_rows(self, rows: list[tuple[str, str]], keep: str | None) -> None:
        """Show ``rows``, keeping the cursor on ``keep`` when it is still listed."""
        self.rows = rows
        widest = max((len(one_line(n)) + len(one_line(s)) + 1 for n, s in rows), default=0)
        self.virtual_size = Size(widest, len(rows))
        names = [name for name, _ in rows]
        if keep in names:
            self.cursor = names.index(keep)
        elif self.cursor >= len(rows):
            self.cursor = len(rows) - 1
        self.refresh()

    def watch_cursor(self, cursor: int) -> None:
        if cursor >= 0:
            self.scroll_to_region(Region(0, cursor, 1, 1), animate=False, force=True)
        self.post_message(self.Highlighted(self.selected))
        self.refresh()

    def action_move(self, delta: int) -> None:
        """Move the cursor by ``delta`` rows, clamped."""
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, (self.cursor if self.cursor >= 0 else -1) + delta))

    def on_click(self, event: events.Click) -> None:
        index = event.y + self.scroll_offset.y
        if 0 <= index < len(self.rows):
            self.cursor = index

    def render_line(self, y: int) -> Strip:
        index = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index >= len(self.rows):
            return Strip.blank(width, base)
        name, summary = self.rows[index]
        row_style = base + self.get_component_rich_style("variable-list--cursor") if index == self.cursor else base
        segments = [  # names and summaries come from user code: controls shown as escapes, never sent
            Segment(one_line(name), row_style + self.get_component_rich_style("variable-list--name", partial=True)),
            Segment(
                " " + one_line(summary),
                row_style + self.get_component_rich_style("variable-list--summary", partial=True),
            ),
        ]
        return Strip(segments).crop_extend(self.scroll_offset.x, self.scroll_offset.x + width, row_style)


class VariablePane(Vertical):
    """A titled list of workspace names above a details view."""

    DEFAULT_CSS = """
    VariablePane { width: 34; border-left: solid $panel; }
    VariablePane .repl-side-title { height: 1; background: $panel; color: $text; text-style: bold; padding: 0 1; }
    VariablePane #repl-vars { height: 1fr; }
    VariablePane #repl-details-scroll { height: 2fr; }
    VariablePane #repl-details { padding: 0 1; }
    """

    @dataclass
    class VariableHighlighted(Message):
        """The highlighted variable changed (None when the list is empty)."""

        name: str | None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield Static("Variables", classes="repl-side-title", id="repl-vars-title")
        yield VariableList(id="repl-vars")
        yield Static("Details", classes="repl-side-title")
        with VerticalScroll(id="repl-details-scroll"):
            yield Static(Text("Select a variable (ctrl+f, then ↑/↓).", style="dim"), id="repl-details")

    @property
    def options(self) -> VariableList:
        """The name list."""
        return self.query_one("#repl-vars", VariableList)

    @property
    def selected(self) -> str | None:
        """The highlighted name, if any."""
        return self.options.selected

    def refresh_rows(self, workspace: Workspace) -> None:
        """Rebuild the list from the workspace, keeping the highlighted name (metadata only, no data pass)."""
        from tui_lab.core.repl.inspect import variable_row

        rows = []
        for name, value in workspace.user_items():
            try:
                rows.append((name, variable_row(name, value).summary))
            except Exception as error:  # noqa: BLE001 - one odd object must not empty the list
                rows.append((name, f"<{type(error).__name__}>"))
        if rows == self._rows:
            return
        self._rows = rows
        self.options.set_rows(rows, self.selected)
        self.query_one("#repl-vars-title", Static).update(f"Variables ({len(rows)})")
        if not rows:
            self.show_details(None)

    @on(VariableList.Highlighted)
    def _highlighted(self, event: VariableList.Highlighted) -> None:
        event.stop()
        self.post_message(self.VariableHighlighted(event.name))

    def show_details(self, details: VariableDetails | None, error: str | None = None) -> None:
        """Render the details of the selected variable (or a hint/error)."""
        target = self.query_one("#repl-details", Static)
        if error is not None:
            target.update(safe_text(error, "bold"))
        elif details is None:
            target.update(Text("Select a variable (ctrl+f, then ↑/↓).", style="dim"))
        else:
            target.update(render_details(details))


def render_details(details: VariableDetails) -> RenderableType:
    """Fields as a two-column table, then the value grid or the heatmap, then any note."""
    parts: list[RenderableType] = [safe_line(f"{details.name}: {details.title}", "bold")]
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in details.fields:
        table.add_row(safe_line(label), safe_text(value))
    parts.append(table)
    if details.grid is not None:
        grid = Table(show_header=False, box=None, padding=(0, 1), pad_edge=False)
        for _ in range(max(len(row) for row in details.grid)):
            grid.add_column(justify="right", no_wrap=True)
        for row in details.grid:
            grid.add_row(*(safe_line(cell) for cell in row))
        parts += [Text("values", style="bold"), grid]
    if details.heat is not None:
        parts.append(Text(f"heatmap (block means, {SHADES[1]} low … {SHADES[-1]} high)", style="bold"))
        for cells in details.heat:
            parts.append(Text("".join(SHADES[min(int(v * (len(SHADES) - 1) + 0.5), len(SHADES) - 1)] for v in cells)))
    if details.note:
        parts.append(safe_text(details.note, "dim"))
    return Group(*parts)

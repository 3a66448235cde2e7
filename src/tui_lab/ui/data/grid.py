"""A virtual table over a pandas DataFrame: only the visible cells are formatted and drawn.

Textual's DataTable builds every row up front (about 3 s per 10k rows); this Line-API
ScrollView formats cells in 64-row blocks on demand and caches them, so a 1M-row frame
scrolls and jumps like a 10-row one. The two header lines (name, dtype) and the row-label
gutter stay put while the body scrolls.

Cells, column names and row labels come from data: every one is drawn through
:func:`tui_lab.core.text.visible` (ESC becomes ``␛``, line breaks ``↵``) as plain segments, so a
CSV can neither move the cursor, set the title, write the clipboard nor restyle the table.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui_lab.core.data.preview import NA_TEXTS, RowsPreview
from tui_lab.core.text import visible

if TYPE_CHECKING:
    import pandas as pd

HEADER_LINES = 2
BLOCK = 64
MAX_WIDTH = 28
SAMPLE = 60


@dataclass(frozen=True)
class _Column:
    name: str
    dtype: str
    kind: str  # "num", "bool" or "text"
    width: int
    decimals: int = -1  # fixed decimals for a float column, so the points line up; -1: not a float column
    key: str | None = None  # the real column name (``name`` is what is drawn: controls made visible)


def _decimals(values: list[object]) -> int:
    """Decimals that show a float sample exactly (at most 6, at least 1)."""
    most = 1
    for value in values:
        if isinstance(value, float) and value == value and abs(value) < 1e15:
            text = repr(value)
            if "e" not in text and "." in text:
                most = max(most, len(text.split(".")[1]))
    return min(most, 6)


def cell_text(text: str) -> str:
    """Untrusted text for one cell: line breaks as ``↵``, every other control character visible."""
    return visible(text.replace("\r\n", "↵").replace("\n", "↵"))


def _format(value: object, kind: str, decimals: int = -1) -> str:
    if kind == "num" and isinstance(value, float):
        if decimals >= 0 and (value == 0 or 1e-4 <= abs(value) < 1e15):
            return f"{value:.{decimals}f}"
        return f"{value:.6g}"
    return cell_text(str(value))


def label_width(index: pd.Index) -> int:
    """Characters of the widest row label (all of them: after a sort the last label is not the longest)."""
    import pandas as pd

    if len(index) == 0:
        return 1
    if pd.api.types.is_integer_dtype(index.dtype):
        return max(len(str(index.min())), len(str(index.max())))
    return max(len(cell_text(str(label))) for label in index)


class DataGrid(ScrollView, can_focus=True):
    """A scrolling, cursor-driven view of a DataFrame; NaN cells marked, dtypes in the header."""

    COMPONENT_CLASSES = {
        "datagrid--header",
        "datagrid--dtype",
        "datagrid--nan",
        "datagrid--cursor",
        "datagrid--gutter",
        "datagrid--target",
        "datagrid--current-column",
    }
    DEFAULT_CSS = """
    DataGrid { background: $surface; }
    DataGrid > .datagrid--header { text-style: bold; color: $text; background: $panel; }
    DataGrid > .datagrid--dtype { color: $text-muted; background: $panel; text-style: italic; }
    DataGrid > .datagrid--nan { color: $error; text-style: italic; }
    DataGrid > .datagrid--cursor { background: $accent; color: $text; }
    DataGrid > .datagrid--gutter { color: $text-muted; }
    DataGrid > .datagrid--target { color: $success; text-style: bold underline; background: $panel; }
    DataGrid > .datagrid--current-column { background: $surface-lighten-1; }
    """
    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False),
        Binding("down", "move(1, 0)", "Down", show=False),
        Binding("left", "move(0, -1)", "Left", show=False),
        Binding("right", "move(0, 1)", "Right", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,ctrl+home", "first_row", "First row", show=False),
        Binding("end,ctrl+end", "last_row", "Last row", show=False),
        Binding("ctrl+left", "first_column", "First column", show=False),
        Binding("ctrl+right", "last_column", "Last column", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, init=False)
    cursor_column: reactive[int] = reactive(0, init=False)

    @dataclass
    class CursorMoved(Message):
        """The cursor moved to another cell."""

        grid: DataGrid
        row: int
        column: int

        @property
        def control(self) -> DataGrid:
            """The grid, so ``@on(DataGrid.CursorMoved, "#id")`` can match it."""
            return self.grid

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.frame: pd.DataFrame | None = None
        self._preview: RowsPreview | None = None
        self.target: tuple[str, ...] = ()
        self._columns: list[_Column] = []
        self._offsets: list[int] = []
        self._gutter = 0
        self._blocks: LRUCache[tuple[int, int], tuple[list[str], list[bool]]] = LRUCache(4096)

    # -- data -----------------------------------------------------------------------

    def set_frame(self, frame: pd.DataFrame | None, target: tuple[str, ...] = (), *, keep_cursor: bool = True) -> None:
        """Show ``frame`` (None clears); keeps the cursor's column by name when it still exists."""
        old_name = self.column_name
        self.frame, self.target, self._preview = frame, target, None
        self._columns = [] if frame is None else self._measure(frame)
        self._layout(0 if frame is None else len(frame), old_name if keep_cursor else None, keep_cursor)

    def set_preview(self, preview: RowsPreview) -> None:
        """Show the first rows of a file still loading (text only, dtypes not known yet)."""
        self.frame, self.target, self._preview = None, (), preview
        columns = []
        for j, raw_name in enumerate(preview.header):
            name = cell_text(raw_name)
            cells = [len(_format(r[j], "text")) for r in preview.rows[:SAMPLE]]
            width = min(max([len(name), 3, *cells]), MAX_WIDTH)
            columns.append(_Column(name, "…", "num" if preview.numeric[j] else "text", width, key=raw_name))
        self._columns = columns
        self._layout(len(preview.rows), None, keep_cursor=False)

    def _layout(self, rows: int, old_name: str | None, keep_cursor: bool) -> None:
        self._blocks.clear()
        self._offsets, x = [], 0
        for column in self._columns:
            self._offsets.append(x)
            x += column.width + 2
        if self.frame is not None:
            self._gutter = label_width(self.frame.index) + 1
        else:
            self._gutter = (len(str(rows - 1)) if rows else 1) + 1
        self.virtual_size = Size(self._gutter + x, rows + HEADER_LINES)
        names = [c.key if c.key is not None else c.name for c in self._columns]
        index = names.index(old_name) if old_name in names else 0
        self.set_reactive(DataGrid.cursor_row, min(self.cursor_row, max(rows - 1, 0)) if keep_cursor else 0)
        self.set_reactive(DataGrid.cursor_column, min(index, max(len(names) - 1, 0)))
        if not keep_cursor:
            self.scroll_to(0, 0, animate=False)
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.CursorMoved(self, self.cursor_row, self.cursor_column))

    def _measure(self, frame: pd.DataFrame) -> list[_Column]:
        import pandas as pd

        rows = len(frame)
        sample = list(range(min(rows, SAMPLE))) + list(range(max(SAMPLE, rows - SAMPLE), rows))
        columns = []
        for j, name in enumerate(frame.columns):
            dtype = frame.dtypes.iloc[j]
            if pd.api.types.is_bool_dtype(dtype):
                kind = "bool"
            elif pd.api.types.is_numeric_dtype(dtype):
                kind = "num"
            else:
                kind = "text"
            values = frame.iloc[sample, j].tolist() if rows else []
            decimals = _decimals(values) if pd.api.types.is_float_dtype(dtype) else -1
            cells = [3 if pd.isna(v) else len(_format(v, kind, decimals)) for v in values]
            shown = cell_text(str(name))
            width = max([len(shown), len(str(dtype)), 3, *cells])
            columns.append(_Column(shown, str(dtype), kind, min(width, MAX_WIDTH), decimals, str(name)))
        return columns

    def _index_label(self, row: int) -> str:
        if row < 0:
            return ""
        if self._preview is not None:
            return str(row)
        return "" if self.frame is None else cell_text(str(self.frame.index[row]))

    def _block(self, column: int, block: int) -> tuple[list[str], list[bool]]:
        key = (column, block)
        cached = self._blocks.get(key)
        if cached is not None:
            return cached
        if self._preview is not None:
            cells = [r[column] for r in self._preview.rows[block * BLOCK : (block + 1) * BLOCK]]
            missing = [cell in NA_TEXTS for cell in cells]
            texts = ["NaN" if na else _format(cell, "text") for cell, na in zip(cells, missing, strict=True)]
            self._blocks.set(key, (texts, missing))
            return texts, missing
        assert self.frame is not None
        series = self.frame.iloc[block * BLOCK : (block + 1) * BLOCK, column]
        kind, decimals = self._columns[column].kind, self._columns[column].decimals
        missing = series.isna().tolist()
        texts = ["NaN" if na else _format(v, kind, decimals) for v, na in zip(series.tolist(), missing, strict=True)]
        self._blocks.set(key, (texts, missing))
        return texts, missing

    @property
    def column_name(self) -> str | None:
        """The (real, unescaped) name of the column under the cursor."""
        if not self._columns:
            return None
        column = self._columns[self.cursor_column]
        return column.key if column.key is not None else column.name

    @property
    def row_count(self) -> int:
        if self._preview is not None:
            return len(self._preview.rows)
        return 0 if self.frame is None else len(self.frame)

    @property
    def body_height(self) -> int:
        """Data lines visible at once."""
        return max(1, self.scrollable_content_region.height - HEADER_LINES)

    # -- drawing --------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if not self._columns:
            return Strip.blank(width, base)
        scroll_x, scroll_y = self.scroll_offset
        area = max(0, width - self._gutter)
        first = max(0, bisect_right(self._offsets, scroll_x) - 1)
        last = bisect_left(self._offsets, scroll_x + area)
        visible = range(first, max(first, last))
        if y < HEADER_LINES:
            gutter = Segment(" " * self._gutter, self._style("datagrid--header"))
            segments = [self._header_cell(j, y) for j in visible]
        else:
            row = scroll_y + y - HEADER_LINES
            if row >= self.row_count:
                return Strip.blank(width, base)
            gutter = Segment(self._index_label(row).rjust(self._gutter - 1) + " ", self._style("datagrid--gutter"))
            segments = [self._body_cell(j, row) for j in visible]
        start = scroll_x - self._offsets[visible[0]] if visible else 0
        body = Strip(segments).crop(start, start + area)
        return Strip([gutter, *body]).adjust_cell_length(width, base).apply_style(base)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def _header_cell(self, j: int, line: int) -> Segment:
        column = self._columns[j]
        text = column.name if line == 0 else column.dtype
        text = text if len(text) <= column.width else text[: column.width - 1] + "…"
        style = self._style("datagrid--header" if line == 0 else "datagrid--dtype")
        if line == 0 and (column.key or column.name) in self.target:
            style = self._style("datagrid--target")
        if j == self.cursor_column:
            style += self._style("datagrid--current-column")
        padded = text.rjust(column.width) if column.kind == "num" else text.ljust(column.width)
        return Segment(f" {padded} ", style)

    def _body_cell(self, j: int, row: int) -> Segment:
        column = self._columns[j]
        texts, missing = self._block(j, row // BLOCK)
        text, na = texts[row % BLOCK], missing[row % BLOCK]
        if len(text) > column.width:
            text = text[: column.width - 1] + "…"
        padded = text.rjust(column.width) if column.kind == "num" else text.ljust(column.width)
        style = self._style("datagrid--nan") if na else Style()
        if j == self.cursor_column:
            style += self._style("datagrid--current-column")
            if row == self.cursor_row and self.has_focus:
                style += self._style("datagrid--cursor")
            elif row == self.cursor_row:
                style += Style(reverse=True)
        return Segment(f" {padded} ", style)

    # -- cursor ---------------------------------------------------------------------

    def watch_cursor_row(self) -> None:
        self._cursor_changed()

    def watch_cursor_column(self) -> None:
        self._cursor_changed()

    def _cursor_changed(self) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.CursorMoved(self, self.cursor_row, self.cursor_column))

    def _scroll_cursor_into_view(self) -> None:
        if not self._columns:
            return
        scroll_x, scroll_y = self.scroll_offset
        height = self.body_height
        new_y = scroll_y
        if self.cursor_row < scroll_y:
            new_y = self.cursor_row
        elif self.cursor_row >= scroll_y + height:
            new_y = self.cursor_row - height + 1
        area = max(1, self.scrollable_content_region.width - self._gutter)
        x, w = self._offsets[self.cursor_column], self._columns[self.cursor_column].width + 2
        new_x = scroll_x
        if x < scroll_x:
            new_x = x
        elif x + w > scroll_x + area:
            new_x = min(x, x + w - area)
        if (new_x, new_y) != (scroll_x, scroll_y):
            self.scroll_to(new_x, new_y, animate=False, immediate=True)

    def move_to(self, row: int | None = None, column: int | None = None) -> None:
        """Put the cursor on a cell (clamped to the table)."""
        if row is not None:
            self.cursor_row = max(0, min(row, self.row_count - 1))
        if column is not None:
            self.cursor_column = max(0, min(column, len(self._columns) - 1))

    def action_move(self, rows: int, columns: int) -> None:
        self.move_to(self.cursor_row + rows, self.cursor_column + columns)

    def action_page(self, pages: int) -> None:
        self.move_to(self.cursor_row + pages * self.body_height)

    def action_first_row(self) -> None:
        self.move_to(0)

    def action_last_row(self) -> None:
        self.move_to(self.row_count - 1)

    def action_first_column(self) -> None:
        self.move_to(column=0)

    def action_last_column(self) -> None:
        self.move_to(column=len(self._columns) - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or not self._columns:
            return
        scroll_x, scroll_y = self.scroll_offset
        x = offset.x - self._gutter + scroll_x
        for j, start in enumerate(self._offsets):
            if start <= x < start + self._columns[j].width + 2:
                self.move_to(column=j)
                break
        if offset.y >= HEADER_LINES:
            self.move_to(row=scroll_y + offset.y - HEADER_LINES)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

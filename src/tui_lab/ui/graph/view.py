"""The Graph pane's DAG widget: a line-API view that renders only the visible rows.

It draws a :class:`~tui_lab.ui.graph.model.GraphModel` (graph, folded view, lane layout) and
moves a cursor along the edges: ↓ to an input, ↑ back to the node it came from, ←/→ to the other
inputs of that node. Enter asks for details, Space folds or unfolds a chain.

A cursor move repaints two rows and nothing else: the component styles are resolved once per
style change (not per segment), and the node under the cursor is a ``var`` the screen watches,
so the summary line is updated in the same frame as the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui_lab.core.autograd.graph import CONSTANT, LEAF, ROOT
from tui_lab.core.autograd.layout import MAX_LANES
from tui_lab.ui.graph.model import GraphModel

__all__ = ["GraphView"]

#: Rows measured to size the horizontal scroll range (the rest are assumed no wider).
WIDTH_SAMPLE = 2_000

#: The component classes' suffixes (``graph-view--<part>``) a label piece may name.
PARTS = ("edge", "root", "function", "leaf", "constant", "note", "grad", "step")


class GraphView(ScrollView, can_focus=True):
    """Draws the DAG and moves a cursor along its edges."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "graph-view--edge",
        "graph-view--root",
        "graph-view--function",
        "graph-view--leaf",
        "graph-view--constant",
        "graph-view--note",
        "graph-view--grad",
        "graph-view--step",
        "graph-view--cursor",
    }
    DEFAULT_CSS = """
    GraphView { background: $surface; }
    GraphView > .graph-view--edge { color: $text-muted; }
    GraphView > .graph-view--root { color: $accent; text-style: bold; }
    GraphView > .graph-view--function { color: $text; text-style: bold; }
    GraphView > .graph-view--leaf { color: $success; text-style: bold; }
    GraphView > .graph-view--constant { color: $warning; text-style: bold; }
    GraphView > .graph-view--note { color: $text-muted; }
    GraphView > .graph-view--grad { color: $success; }
    GraphView > .graph-view--step { color: $warning; }
    GraphView > .graph-view--cursor { background: $accent 40%; }
    GraphView:focus > .graph-view--cursor { background: $accent 70%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move('down')", "Input ↓", show=False),
        Binding("up", "move('up')", "Back ↑", show=False),
        Binding("left", "move('left')", "Sibling ←", show=False),
        Binding("right", "move('right')", "Sibling →", show=False),
        Binding("enter", "open", "Details", show=False),
        Binding("space", "toggle_fold", "Fold/unfold", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
    ]

    #: The graph node under the cursor (None without a graph); the screen watches it.
    selected_node: var[int | None] = var(None, always_update=True)

    @dataclass
    class NodeOpened(Message):
        """Enter was pressed on graph node ``index``."""

        index: int

    @dataclass
    class FoldToggled(Message):
        """Space was pressed on a chain (``index`` is its first member)."""

        index: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model: GraphModel | None = None
        self.cursor = 0
        self._trail: list[int] = []
        self._styles: dict[str, Style] = {}

    # -- model -------------------------------------------------------------------------

    def set_model(self, model: GraphModel | None, select: int | None = None) -> None:
        """Show ``model`` with the cursor on graph node ``select`` (default: the root)."""
        self.model = model
        self._trail = []
        self.cursor = 0
        self._resize()
        if model is not None and model.view is not None:
            self.cursor = model.view.view_of.get(select if select is not None else model.graph.root, 0)
        self.scroll_to(0, 0, animate=False)
        self._cursor_changed()

    def _resize(self) -> None:
        model = self.model
        if model is None or model.layout is None:
            self.virtual_size = Size(0, 0)
        else:
            rows = model.layout.rows[:WIDTH_SAMPLE]
            labels = max((sum(len(t) for t, _ in model.label(r.node)) for r in rows), default=0)
            self.virtual_size = Size(model.layout.width + 2 + labels, len(model.layout))
        self.refresh()

    @property
    def selected(self) -> int | None:
        """The graph node under the cursor."""
        if self.model is None or self.model.view is None or not len(self.model.view):
            return None
        return self.model.view.nodes[self.cursor].node

    def refresh_labels(self) -> None:
        """Redraw after grads or step marks changed (labels may have grown)."""
        self._resize()

    # -- drawing -------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        """CSS or the theme changed: resolve the component styles again on the next frame."""
        super().notify_style_update()
        self._styles = {}

    def _resolved_styles(self) -> dict[str, Style]:
        """Each part's Rich style, plus ``base`` and ``cursor`` row styles, resolved once per style change."""
        if not self._styles:
            styles = {part: self.get_component_rich_style(f"graph-view--{part}", partial=True) for part in PARTS}
            styles["base"] = self.rich_style
            styles["cursor"] = self.rich_style + self.get_component_rich_style("graph-view--cursor", partial=False)
            self._styles = styles
        return self._styles

    def render_line(self, y: int) -> Strip:
        styles = self._resolved_styles()
        row_index = y + round(self.scroll_offset.y)
        model = self.model
        width = self.scrollable_content_region.width
        if model is None or model.layout is None or model.view is None or row_index >= len(model.layout):
            return Strip.blank(width, styles["base"])
        row = model.layout.rows[row_index]
        edge = styles["edge"]
        kind = model.graph.nodes[model.view.nodes[row.node].node].kind
        pos = 2 * row.column if row.column < MAX_LANES else len(row.prefix) - 1
        segments = [
            Segment(row.prefix[:pos], edge),
            Segment(row.prefix[pos], styles[{ROOT: "root", LEAF: "leaf", CONSTANT: "constant"}.get(kind, "function")]),
            Segment(row.prefix[pos + 1 :] + "  ", edge),
        ]
        segments.extend(Segment(text, styles[part]) for text, part in model.label(row.node))
        scroll_x = round(self.scroll_offset.x)
        base = styles["cursor"] if row.node == self.cursor else styles["base"]
        return Strip(segments).crop(scroll_x, scroll_x + width).apply_style(base).extend_cell_length(width, base)

    def drawn_lines(self) -> list[str]:
        """The visible rows as text, exactly as :meth:`render_line` draws them (for tests)."""
        return [self.render_line(y).text for y in range(self.scrollable_content_region.height)]

    # -- moving ---------------------------------------------------------------------------

    def _row_of(self, key: int) -> int:
        assert self.model is not None and self.model.layout is not None
        return self.model.layout.row_of.get(key, 0)

    def go_to_node(self, index: int) -> None:
        """Put the cursor on graph node ``index`` (e.g. the walk's current step)."""
        if self.model is not None and self.model.view is not None:
            key = self.model.view.view_of.get(index)
            if key is not None:
                self._trail = []
                self._go(key)

    def _go(self, key: int) -> None:
        old = self.cursor
        self.cursor = key
        self.refresh_line(self._row_of(old))  # content coordinates: refresh_line subtracts the scroll
        self._cursor_changed()

    def _cursor_changed(self) -> None:
        if self.model is None or self.model.view is None or not len(self.model.view):
            self.selected_node = None
            return
        row = self._row_of(self.cursor)
        self.scroll_to_region(Region(0, row, 1, 1), animate=False, immediate=True)
        self.refresh_line(row)
        self.selected_node = self.selected

    def action_move(self, direction: str) -> None:
        """Move along an edge: down to an input, up back, left/right to sibling inputs."""
        if self.model is None or self.model.view is None:
            return
        nodes = self.model.view.nodes
        here = nodes[self.cursor]
        if direction == "down" and here.children:
            self._trail.append(self.cursor)
            self._go(here.children[0])
        elif direction == "up" and here.parents:
            parent = self._trail.pop() if self._trail and self._trail[-1] in here.parents else here.parents[0]
            self._go(parent)
        elif direction in ("left", "right"):
            parent_key = self._trail[-1] if self._trail else (here.parents[0] if here.parents else None)
            if parent_key is None:
                return
            siblings = list(dict.fromkeys(nodes[parent_key].children))
            if len(siblings) > 1 and self.cursor in siblings:
                step = 1 if direction == "right" else -1
                self._go(siblings[(siblings.index(self.cursor) + step) % len(siblings)])

    def action_page(self, pages: int) -> None:
        """Move the cursor a screenful of rows (topological order)."""
        self._jump_row(self._row_of(self.cursor) + pages * max(1, self.scrollable_content_region.height - 1))

    def action_jump(self, row: int) -> None:
        """Jump to the first (0) or last (-1) row."""
        if self.model is not None and self.model.layout is not None:
            self._jump_row(row if row >= 0 else len(self.model.layout) - 1)

    def _jump_row(self, row: int) -> None:
        if self.model is None or self.model.layout is None or not len(self.model.layout):
            return
        row = max(0, min(row, len(self.model.layout) - 1))
        self._trail = []
        self._go(self.model.layout.rows[row].node)

    def action_open(self) -> None:
        """Ask the screen to show the node's details."""
        if self.selected is not None:
            self.post_message(self.NodeOpened(self.selected))

    def action_toggle_fold(self) -> None:
        """Fold or unfold the chain under the cursor."""
        if self.model is None or self.model.view is None:
            return
        head = self.model.chain_of(self.model.view.nodes[self.cursor].node)
        if head is not None:
            self.post_message(self.FoldToggled(head))

    def on_click(self, event: events.Click) -> None:
        if self.model is None or self.model.layout is None:
            return
        row = event.y + round(self.scroll_offset.y)
        if 0 <= row < len(self.model.layout):
            self._trail = []
            self._go(self.model.layout.rows[row].node)

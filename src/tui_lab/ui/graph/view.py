"""The Graph pane's DAG widget: a line-API view that renders only the visible rows.

It draws a :class:`GraphModel` (graph, folded view, lane layout) and moves a cursor along
the edges: ↓ to an input, ↑ back to the node it came from, ←/→ to the other inputs of that
node. Enter asks for details, Space folds or unfolds a chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui_lab.core.autograd.graph import CONSTANT, LEAF, MORE, ROOT, AutogradGraph, shape_text
from tui_lab.core.autograd.layout import MAX_LANES, LaneLayout, layout_lanes
from tui_lab.core.autograd.view import ViewGraph, build_view, find_chains

#: Rows measured to size the horizontal scroll range (the rest are assumed no wider).
WIDTH_SAMPLE = 2_000

GLYPHS = {ROOT: "◎", "function": "●", LEAF: "◆", CONSTANT: "◇", MORE: "⋯", "folded": "⊞"}
LEGEND = "◎ root  ● Function  ◆ leaf (AccumulateGrad)  ◇ constant  ✂ detached  ⊞ chain"


@dataclass
class GraphModel:
    """Everything the view draws: built off the UI thread, re-laid out on fold/unfold."""

    graph: AutogradGraph
    source: str = ""
    chains: dict[int, tuple[int, ...]] = field(default_factory=dict)
    expanded: set[int] = field(default_factory=set)
    view: ViewGraph | None = None
    layout: LaneLayout | None = None
    grads: dict[int, str] = field(default_factory=dict)
    marks: dict[int, str] = field(default_factory=dict)

    @classmethod
    def build(cls, graph: AutogradGraph, source: str = "") -> GraphModel:
        """Find chains, fold them and lay the result out."""
        model = cls(graph, source, find_chains(graph))
        model.relayout()
        return model

    def relayout(self) -> None:
        """Rebuild the view and layout after ``expanded`` changed."""
        self.view = build_view(self.graph, self.chains, self.expanded)
        glyphs = [GLYPHS["folded"] if n.folded else GLYPHS[self.graph.nodes[n.node].kind] for n in self.view.nodes]
        self.layout = layout_lanes([n.children for n in self.view.nodes], self.view.root, glyphs)

    def label(self, key: int) -> list[tuple[str, str]]:
        """(text, component style) pieces after the lanes for view node ``key``."""
        assert self.view is not None
        vnode = self.view.nodes[key]
        node = self.graph.nodes[vnode.node]
        kind = node.kind
        if vnode.folded:
            parts = [(f"{node.name} ×{len(vnode.members)}", "function"), ("  folded chain: Space unfolds", "note")]
        elif kind == ROOT:
            parts = [(node.label, "root"), (f"  {shape_text(node.shape)} {node.dtype}  inspected tensor", "note")]
        elif kind == LEAF:
            parts = [(node.label, "leaf"), (f"  {shape_text(node.shape)} {node.dtype}  AccumulateGrad", "note")]
            grad = self.grads.get(node.index)
            parts.append((f"  grad={grad}" if grad else "  grad=None", "grad" if grad else "note"))
        elif kind == CONSTANT:
            cut = (
                f"  cut: no gradient flows back to {node.detached_from}"
                if node.detached_from
                else "  constant: no gradient"
            )
            mark = "✂ " if node.detached_from else ""
            parts = [(f"{mark}{node.label}", "constant"), (f"  {shape_text(node.shape)}{cut}", "note")]
        elif kind == MORE:
            parts = [("graph continues beyond the node limit (not read)", "note")]
        else:
            parts = [(node.name, "function")]
            if node.index in self.expanded:
                parts.append(("  (unfolded chain: Space folds)", "note"))
        step = self.marks.get(node.index)
        if step:
            parts.append((f"  {step}", "step"))
        return parts


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

    @dataclass
    class NodeHighlighted(Message):
        """The cursor moved to graph node ``index``."""

        index: int

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

    def render_line(self, y: int) -> Strip:
        row_index = y + round(self.scroll_offset.y)
        model = self.model
        width = self.scrollable_content_region.width
        if model is None or model.layout is None or row_index >= len(model.layout):
            return Strip.blank(width, self.rich_style)
        row = model.layout.rows[row_index]
        style_of = self._style
        edge = style_of("edge")
        pos = 2 * row.column if row.column < MAX_LANES else len(row.prefix) - 1
        segments = [
            Segment(row.prefix[:pos], edge),
            Segment(row.prefix[pos], self._kind_style(row.node)),
            Segment(row.prefix[pos + 1 :] + "  ", edge),
        ]
        segments.extend(Segment(text, style_of(part)) for text, part in model.label(row.node))
        scroll_x = round(self.scroll_offset.x)
        base = (
            self.rich_style + self.get_component_rich_style("graph-view--cursor", partial=False)
            if row.node == self.cursor
            else self.rich_style
        )
        return Strip(segments).crop(scroll_x, scroll_x + width).apply_style(base).extend_cell_length(width, base)

    def _style(self, part: str) -> Style:
        return self.get_component_rich_style(f"graph-view--{part}", partial=True)

    def _kind_style(self, key: int) -> Style:
        assert self.model is not None and self.model.view is not None
        vnode = self.model.view.nodes[key]
        kind = self.model.graph.nodes[vnode.node].kind
        return self._style({ROOT: "root", LEAF: "leaf", CONSTANT: "constant"}.get(kind, "function"))

    # -- moving ---------------------------------------------------------------------------

    def _row_of(self, key: int) -> int:
        assert self.model is not None and self.model.layout is not None
        return self.model.layout.row_of.get(key, 0)

    def _go(self, key: int) -> None:
        old = self.cursor
        self.cursor = key
        self.refresh_line(self._row_of(old) - round(self.scroll_offset.y))
        self._cursor_changed()

    def _cursor_changed(self) -> None:
        if self.model is None or self.model.view is None or not len(self.model.view):
            return
        row = self._row_of(self.cursor)
        self.scroll_to_region(Region(0, row, 1, 1), animate=False, immediate=True)
        self.refresh_line(row - round(self.scroll_offset.y))
        selected = self.selected
        if selected is not None:
            self.post_message(self.NodeHighlighted(selected))

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
        vnode = self.model.view.nodes[self.cursor]
        head = next((h for h, members in self.model.chains.items() if vnode.node in members), None)
        if head is not None:
            self.post_message(self.FoldToggled(head))

    def on_click(self, event: events.Click) -> None:
        if self.model is None or self.model.layout is None:
            return
        row = event.y + round(self.scroll_offset.y)
        if 0 <= row < len(self.model.layout):
            self._trail = []
            self._go(self.model.layout.rows[row].node)

"""What the graph widget draws: the graph, its folded view, the lane layout, grads and walk marks.

Plain Python (no Textual): the controller builds it off the UI thread and a test reads its
rows without a terminal. Every label piece is sanitised here, once: names come from the
workspace, where a key can hold any character (``globals()["v\\x1b]52;…"]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tui_lab.core.autograd.graph import CONSTANT, LEAF, MORE, ROOT, AutogradGraph, shape_text
from tui_lab.core.autograd.layout import LaneLayout, layout_lanes
from tui_lab.core.autograd.view import ViewGraph, build_view, find_chains
from tui_lab.core.autograd.walk import MarkState, WalkMark
from tui_lab.core.text import visible

GLYPHS = {ROOT: "◎", "function": "●", LEAF: "◆", CONSTANT: "◇", MORE: "⋯", "folded": "⊞"}
LEGEND = "◎ root  ● Function  ◆ leaf (AccumulateGrad)  ◇ constant  ✂ detached  ⊞ chain"

#: (text, part) pieces after the lanes; ``part`` names the widget's component class (``graph-view--<part>``).
Label = list[tuple[str, str]]


def mark_text(mark: WalkMark) -> str:
    """``◀ g=[1., 1.] (step 2)`` for the node shown now, ``✓ g=[1., 1.]`` for one already passed."""
    if mark.state is MarkState.CURRENT:
        return f"◀ g={mark.gradient} (step {mark.step})"
    return f"✓ g={mark.gradient}"


@dataclass
class GraphModel:
    """Everything the view draws. ``grads`` and ``marks`` are replaced whole, never edited in place,
    so a frame drawn while a worker updates them sees the old or the new dict, never half of one."""

    graph: AutogradGraph
    source: str = ""
    chains: dict[int, tuple[int, ...]] = field(default_factory=dict)
    expanded: frozenset[int] = frozenset()
    view: ViewGraph | None = None
    layout: LaneLayout | None = None
    grads: dict[int, str] = field(default_factory=dict)
    marks: dict[int, WalkMark] = field(default_factory=dict)

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

    def chain_of(self, index: int) -> int | None:
        """The first member of the chain graph node ``index`` belongs to, if any."""
        return next((head for head, members in self.chains.items() if index in members), None)

    def label(self, key: int) -> Label:
        """(text, part) pieces after the lanes for view node ``key``; every piece is sanitised."""
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
        if step is not None:
            parts.append((f"  {mark_text(step)}", "step"))
        return [(visible(text), part) for text, part in parts]

    def row_text(self, row: int) -> str:
        """Row ``row`` as plain text (lanes, glyph and label), as the widget draws it."""
        assert self.layout is not None
        lane = self.layout.rows[row]
        return lane.prefix + "  " + "".join(text for text, _ in self.label(lane.node))

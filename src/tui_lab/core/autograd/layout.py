"""A layered text layout for a DAG: one node per row, edges as vertical lanes.

Rows follow a topological order (every node below all its parents, root on top). Each
pending edge owns a lane (a column); a node sits on the lane of its first incoming edge,
other edges into it merge sideways (``●─┘``), and extra outgoing edges open new lanes
(``●─┐``). A node used twice is drawn once with two lanes into it, as in ``git log
--graph``. Only ``max_lanes`` columns are drawn, so a very wide graph stays bounded.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

#: Columns drawn before the lane area is cut with ``┄``.
MAX_LANES = 12
GLYPH = "●"


@dataclass(frozen=True)
class LaneRow:
    """One drawn row: the lane prefix (glyph at ``2 * column``) and the node it shows."""

    node: int
    column: int
    prefix: str


@dataclass(frozen=True)
class LaneLayout:
    """Rows in drawing order, and the row of every node."""

    rows: tuple[LaneRow, ...]
    row_of: dict[int, int]
    width: int

    def __len__(self) -> int:
        return len(self.rows)


def topological_order(children: Sequence[Sequence[int]], root: int) -> list[int]:
    """Parents before children, first children first: reverse DFS post-order from ``root``."""
    seen = {root}
    post: list[int] = []
    stack: list[tuple[int, int]] = [(root, 0)]
    while stack:
        node, next_child = stack[-1]
        kids = children[node]
        if next_child < len(kids):
            stack[-1] = (node, next_child + 1)
            child = kids[len(kids) - 1 - next_child]
            if child not in seen:
                seen.add(child)
                stack.append((child, 0))
        else:
            stack.pop()
            post.append(node)
    post.reverse()
    return post


_JOINTS = {
    # (up, down, left, right) -> box character
    (True, True, False, False): "│",
    (True, False, True, False): "┘",
    (True, False, False, True): "└",
    (False, True, True, False): "┐",
    (False, True, False, True): "┌",
    (True, True, True, False): "┤",
    (True, True, False, True): "├",
    (True, True, True, True): "┼",
    (False, False, True, True): "─",
    (True, False, True, True): "┴",
    (False, True, True, True): "┬",
}


def layout_lanes(
    children: Sequence[Sequence[int]], root: int, glyphs: Sequence[str] | None = None, max_lanes: int = MAX_LANES
) -> LaneLayout:
    """Lay out the DAG reachable from ``root``; ``glyphs[node]`` is drawn at each node."""
    order = topological_order(children, root)
    lanes: list[int | None] = []
    waiting: dict[int, list[int]] = {}
    free: list[int] = []
    rows: list[LaneRow] = []
    width = 0
    for node in order:
        cols = sorted(waiting.pop(node, []))
        if cols:
            col = cols[0]
        else:
            col = heapq.heappop(free) if free else len(lanes)
            if col == len(lanes):
                lanes.append(None)
        merging = set(cols[1:])
        for c in cols:
            lanes[c] = None
        kids = children[node]
        splitting: set[int] = set()
        released = list(merging)
        if kids:
            lanes[col] = kids[0]
            waiting.setdefault(kids[0], []).append(col)
            for kid in kids[1:]:
                while free and lanes[free[0]] is not None:
                    heapq.heappop(free)
                c = heapq.heappop(free) if free else len(lanes)
                if c == len(lanes):
                    lanes.append(None)
                lanes[c] = kid
                waiting.setdefault(kid, []).append(c)
                splitting.add(c)
        else:
            released.append(col)
        for c in released:
            if lanes[c] is None:
                heapq.heappush(free, c)
        glyph = glyphs[node] if glyphs is not None else GLYPH
        prefix = _row_prefix(lanes, col, merging, splitting, glyph, max_lanes, node)
        while lanes and lanes[-1] is None:
            lanes.pop()
        free = [c for c in free if c < len(lanes)]
        heapq.heapify(free)
        width = max(width, len(prefix))
        rows.append(LaneRow(node, col, prefix))
    return LaneLayout(tuple(rows), {row.node: i for i, row in enumerate(rows)}, width)


def _row_prefix(
    lanes: Sequence[int | None],
    col: int,
    merging: set[int],
    splitting: set[int],
    glyph: str,
    max_lanes: int,
    node: int,
) -> str:
    """The characters left of the label for one row."""
    ends = merging | splitting | {col}
    low, high = min(ends), max(ends)
    count = max(high + 1, len(lanes))
    cells: list[str] = []
    for c in range(min(count, max_lanes)):
        if c == col:
            cells.append(glyph)
        else:
            inside = low < c < high
            up = c in merging or (c < len(lanes) and lanes[c] is not None and c not in splitting)
            down = c in splitting or (c < len(lanes) and lanes[c] is not None)
            left = (c in merging or c in splitting) and c > col or inside
            right = (c in merging or c in splitting) and c < col or inside
            cells.append(_JOINTS.get((up, down, left, right), " "))
        if c + 1 < min(count, max_lanes):
            cells.append("─" if low <= c < high else " ")
    if col >= max_lanes:
        cells.append(" ┄ " + glyph)
    elif count > max_lanes:
        cells.append(" ┄")
    return "".join(cells).rstrip()

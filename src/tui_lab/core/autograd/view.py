"""What the Graph pane shows of an :class:`AutogradGraph`: long chains folded into one node.

A *chain* is a path of Functions with the same name where each member after the first has
only the previous member as parent (``y = y + 1`` ten thousand times). Folded, it is one
node ``AddBackward0 ×10000`` whose edges are the members' other inputs, each drawn once;
expanding it brings the members back.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from tui_lab.core.autograd.graph import FUNCTION, AutogradGraph

#: Chains shorter than this stay unfolded.
MIN_CHAIN = 4


@dataclass(frozen=True)
class ViewNode:
    """One drawn node: a graph node, or a folded chain of ``members``."""

    key: int
    node: int
    members: tuple[int, ...]
    children: tuple[int, ...]
    parents: tuple[int, ...]

    @property
    def folded(self) -> bool:
        """True for a folded chain."""
        return len(self.members) > 1


@dataclass(frozen=True)
class ViewGraph:
    """The drawn DAG; ``view_of[graph_index]`` is the view node that shows it."""

    nodes: tuple[ViewNode, ...]
    root: int
    view_of: dict[int, int]

    def __len__(self) -> int:
        return len(self.nodes)


def find_chains(graph: AutogradGraph, min_length: int = MIN_CHAIN) -> dict[int, tuple[int, ...]]:
    """Chains of at least ``min_length`` same-named Functions, keyed by their first member."""
    nodes = graph.nodes
    memo: dict[int, int | None] = {}

    def successor(index: int) -> int | None:
        if index not in memo:
            memo[index] = _successor(index)
        return memo[index]

    def _successor(index: int) -> int | None:
        node = nodes[index]
        same = [c for c in dict.fromkeys(node.children) if nodes[c].kind == FUNCTION and nodes[c].name == node.name]
        if len(same) != 1:
            return None
        child = nodes[same[0]]
        return child.index if child.parents == (index,) else None

    def continues(index: int) -> bool:
        node = nodes[index]
        return len(node.parents) == 1 and successor(node.parents[0]) == index

    chains: dict[int, tuple[int, ...]] = {}
    for node in nodes:
        if node.kind != FUNCTION or continues(node.index):
            continue
        members = [node.index]
        nxt = successor(node.index)
        while nxt is not None:
            members.append(nxt)
            nxt = successor(nxt)
        if len(members) >= min_length:
            chains[node.index] = tuple(members)
    return chains


def build_view(
    graph: AutogradGraph,
    chains: dict[int, tuple[int, ...]] | None = None,
    expanded: Collection[int] = (),
) -> ViewGraph:
    """Fold every chain whose head is not in ``expanded``."""
    if chains is None:
        chains = find_chains(graph)
    folded = {head: members for head, members in chains.items() if head not in expanded}
    owner: dict[int, int] = {}
    for head, members in folded.items():
        for member in members:
            owner[member] = head
    reps = [n.index for n in graph.nodes if owner.get(n.index, n.index) == n.index]
    view_of = {rep: key for key, rep in enumerate(reps)}
    for member, head in owner.items():
        view_of[member] = view_of[head]
    children: list[list[int]] = []
    for rep in reps:
        members = folded.get(rep, (rep,))
        if len(members) == 1:
            children.append([view_of[c] for c in graph.nodes[rep].children])
            continue
        inside = set(members)
        outside = (view_of[c] for m in members for c in graph.nodes[m].children if c not in inside)
        children.append(list(dict.fromkeys(outside)))
    parents: list[list[int]] = [[] for _ in reps]
    for key, kids in enumerate(children):
        for child in dict.fromkeys(kids):
            parents[child].append(key)
    nodes = tuple(
        ViewNode(key, rep, folded.get(rep, (rep,)), tuple(children[key]), tuple(parents[key]))
        for key, rep in enumerate(reps)
    )
    return ViewGraph(nodes, view_of[graph.root], view_of)

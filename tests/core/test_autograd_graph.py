"""The backward graph reader, chain folding and the lane layout."""

from __future__ import annotations

import pytest
import torch

from tui_lab.core.autograd_graph import CONSTANT, LEAF, MORE, GraphInputError, build_graph, tensor_names
from tui_lab.core.autograd_layout import layout_lanes, topological_order
from tui_lab.core.autograd_view import build_view, find_chains


def _graph(root: torch.Tensor, name: str, **tensors: torch.Tensor):
    tensors = {name: root, **tensors}
    return build_graph(root, tensor_names(tensors), root_name=name, graph_tensors=tensors)


def test_dot_graph_draws_x_once_with_two_edges() -> None:
    x = torch.arange(4.0, requires_grad=True)
    y = 2 * torch.dot(x, x)
    graph = _graph(y, "y", x=x)
    names = [n.name for n in graph.nodes]
    assert names == ["tensor", "MulBackward0", "DotBackward0", "AccumulateGrad"]
    dot, leaf = graph.nodes[2], graph.nodes[3]
    assert dot.children == (3, 3)
    assert leaf.kind == LEAF and leaf.label == "x" and leaf.shape == (4,) and leaf.dtype == "float32"
    assert leaf.parents == (2,)
    layout = layout_lanes([n.children for n in graph.nodes], graph.root)
    assert [r.prefix for r in layout.rows] == ["●", "●", "●─┐", "●─┘"]


def test_detach_is_a_constant_with_a_note() -> None:
    x = torch.arange(4.0, requires_grad=True)
    y = x * x
    u = y.detach()
    z = u * x
    graph = _graph(z, "z", x=x, y=y, u=u)
    constants = [n for n in graph.nodes if n.kind == CONSTANT]
    assert [c.label for c in constants] == ["u"]
    assert "y.detach()" in constants[0].note
    assert [graph.nodes[i].label for i in graph.leaves] == ["x"]


def test_unnamed_literal_constants_are_not_drawn() -> None:
    x = torch.ones(3, requires_grad=True)
    graph = _graph(2 * x, "y", x=x)
    assert not [n for n in graph.nodes if n.kind == CONSTANT]


@pytest.mark.parametrize(
    ("value", "title"),
    [(3, "Not a tensor"), (torch.ones(2), "No graph"), (torch.ones(2, requires_grad=True), "A leaf has no graph")],
)
def test_values_without_a_graph_are_explained(value: object, title: str) -> None:
    with pytest.raises(GraphInputError) as info:
        build_graph(value, root_name="v")
    assert info.value.title == title
    assert "requires_grad" in str(info.value) or "tensor" in str(info.value)


def test_long_chain_folds_and_expands() -> None:
    x = torch.ones(2, requires_grad=True)
    y = x
    for _ in range(200):
        y = y + x
    graph = _graph(y, "y", x=x)
    chains = find_chains(graph)
    assert [len(m) for m in chains.values()] == [200]
    view = build_view(graph, chains)
    assert len(view) == 3
    folded = view.nodes[1]
    assert folded.folded and len(folded.members) == 200
    assert folded.children == (2,)  # 200 edges into x drawn once
    expanded = build_view(graph, chains, expanded=set(chains))
    assert len(expanded) == 202


def test_graph_is_bounded_by_max_nodes() -> None:
    x = torch.ones(1, requires_grad=True)
    y = x
    for _ in range(300):
        y = y * 1.5
    graph = build_graph(y, {}, root_name="y", max_nodes=50)
    assert graph.truncated
    assert len(graph) <= 51
    assert graph.nodes[-1].kind == MORE


def test_topological_order_puts_parents_first() -> None:
    children = [[1, 2], [3], [3], []]
    order = topological_order(children, 0)
    assert order.index(3) > order.index(1) and order.index(3) > order.index(2)
    assert order[0] == 0


def test_layout_caps_lanes() -> None:
    children = [list(range(1, 41))] + [[] for _ in range(40)]
    layout = layout_lanes(children, 0, max_lanes=6)
    assert len(layout) == 41
    assert all(len(row.prefix) <= 2 * 6 + 4 for row in layout.rows)
    assert "┄" in layout.rows[0].prefix

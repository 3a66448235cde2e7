"""The backward graph reader, chain folding and the lane layout."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_lab.core.autograd.examples import EXAMPLES, bound_names, example, fresh_names, rename_bindings
from tui_lab.core.autograd.explain import ExplanationKind, explain_exception
from tui_lab.core.autograd.graph import CONSTANT, LEAF, MORE, GraphInputError, build_graph, tensor_names
from tui_lab.core.autograd.layout import layout_lanes, topological_order
from tui_lab.core.autograd.view import build_view, find_chains


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
    assert [c.label for c in constants] == ["u = y.detach()"]
    assert constants[0].detached_from == "y" and constants[0].var_name == "u"
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


@st.composite
def _dags(draw: st.DrawFn) -> list[list[int]]:
    """Random DAGs rooted at 0: node i only points to larger indices (edges may repeat)."""
    n = draw(st.integers(1, 40))
    children: list[list[int]] = []
    for i in range(n):
        later = list(range(i + 1, n))
        kids = draw(st.lists(st.sampled_from(later), max_size=4)) if later else []
        children.append(kids)
    for i in range(1, n):  # every node reachable from the root
        if not any(i in kids for kids in children[:i]):
            children[draw(st.integers(0, i - 1))].append(i)
    return children


@given(_dags())
@settings(max_examples=150, deadline=None)
def test_layout_invariants_on_random_dags(children: list[list[int]]) -> None:
    layout = layout_lanes(children, 0, max_lanes=64)
    order = [row.node for row in layout.rows]
    assert sorted(order) == list(range(len(children)))  # every node exactly once
    position = {node: i for i, node in enumerate(order)}
    for parent, kids in enumerate(children):
        assert all(position[parent] < position[kid] for kid in kids)  # parents above children
    for row in layout.rows:
        assert row.prefix[2 * row.column] == "●"
        # a lane enters the node's column from above unless it is the root
        if row.node != 0:
            above = layout.rows[position[row.node] - 1].prefix
            assert len(above) > 2 * row.column and above[2 * row.column] != " "


def test_a_comparison_result_is_a_value_with_the_true_reason() -> None:
    x = torch.arange(4.0, requires_grad=True)
    with pytest.raises(GraphInputError) as info:
        build_graph(x == 4 * x, root_name="_", grad_inputs=["x"])
    assert info.value.kind is ExplanationKind.NO_GRAPH
    assert info.value.value_text == "tensor([ True, False, False, False])"
    assert "not differentiable" in str(info.value) and "computed from x, which requires grad" in str(info.value)
    assert "none of the tensors" not in str(info.value)


def test_no_grad_result_names_the_inputs_that_require_grad() -> None:
    w = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        v = w * 2
    with pytest.raises(GraphInputError) as info:
        build_graph(v, root_name="v", grad_inputs=["w"])
    assert "computed from w, which requires grad" in str(info.value) and "no_grad" in str(info.value)
    with pytest.raises(GraphInputError) as info:
        build_graph(v, root_name="v", grad_inputs=[])
    assert "none of the tensors it was computed from requires grad" in str(info.value)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (RuntimeError("Trying to backward through the graph a second time"), ExplanationKind.FREED_GRAPH),
        (RuntimeError("grad can be implicitly created only for scalar outputs"), ExplanationKind.NEEDS_SCALAR),
        (KeyboardInterrupt(), ExplanationKind.INTERRUPTED),
        (ValueError("x"), ExplanationKind.USER_ERROR),
    ],
)
def test_explanations_carry_a_kind(error: BaseException, kind: ExplanationKind) -> None:
    assert explain_exception(error).kind is kind


def test_examples_name_what_they_bind_and_rename_cleanly() -> None:
    import ast

    for case in EXAMPLES:
        binds = bound_names(case.code)
        assert case.root in binds
        mapping = fresh_names(binds, set(binds))
        code = rename_bindings(case.code, mapping)
        ast.parse(code)
        assert set(bound_names(code)) == set(mapping.values())
    assert bound_names(example("dot").code) == ("x", "y")
    assert fresh_names(("x", "y"), {"x", "y", "x2"}) == {"x": "x3", "y": "y3"}

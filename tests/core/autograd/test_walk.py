"""Step-through reverse mode and the backward actions."""

from __future__ import annotations

import torch

from tui_lab.core.autograd.details import Accumulation, node_details, run_backward, zero_grads
from tui_lab.core.autograd.examples import EXAMPLES
from tui_lab.core.autograd.graph import build_graph, tensor_names
from tui_lab.core.autograd.program import run_code
from tui_lab.core.autograd.walk import reverse_walk
from tui_lab.core.workspace import Workspace


def _inspect(workspace: Workspace, code: str):
    result = run_code(code, workspace)
    assert result.error is None, result.error
    tensors = workspace.tensors()
    return result, build_graph(result.value, tensor_names(tensors), root_name=result.root_name, graph_tensors=tensors)


def test_walk_leaf_grads_equal_backward(workspace: Workspace) -> None:
    torch.manual_seed(0)
    _, graph = _inspect(
        workspace,
        "x = torch.randn(3, requires_grad=True)\nw = torch.randn(3, requires_grad=True)\nz = (x * w).sum() + (x ** 2).mean()",
    )
    walk = reverse_walk(graph)
    assert [s.name for s in walk.steps][:2] == ["AddBackward0", "SumBackward0"] or walk.steps[0].name == "AddBackward0"
    assert workspace["x"].grad is None  # the walk leaves .grad alone
    workspace["z"].backward()
    for leaf in graph.leaves:
        variable = graph.objects[leaf].variable
        assert torch.allclose(walk.leaf_grads[leaf], variable.grad)
    assert {s.name for s in walk.steps} >= {"AccumulateGrad", "MulBackward0", "PowBackward0"}


def test_walk_on_every_example_matches_backward(workspace: Workspace) -> None:
    for example in EXAMPLES:
        _, graph = _inspect(workspace, example.code)
        walk = reverse_walk(graph)
        root = graph.objects[graph.root]
        (root.sum() if root.dim() else root).backward(retain_graph=True)
        for leaf in graph.leaves:
            variable = graph.objects[leaf].variable
            assert torch.allclose(walk.leaf_grads[leaf], variable.grad), example.key
            variable.grad = None


def test_walk_steps_are_in_reverse_topological_order(workspace: Workspace) -> None:
    _, graph = _inspect(
        workspace, "x = torch.arange(4.0, requires_grad=True)\nw = torch.ones(4, requires_grad=True)\nz = (x * w).sum()"
    )
    walk = reverse_walk(graph)
    assert [s.name for s in walk.steps] == ["SumBackward0", "MulBackward0", "AccumulateGrad", "AccumulateGrad"]
    mul = walk.steps[1]
    arrived, to_x, to_w = mul.incoming[0], mul.outgoing[0], mul.outgoing[1]
    assert arrived is not None and to_x is not None and to_w is not None  # a gradient flows along every edge
    assert torch.equal(arrived, torch.ones(4))
    assert torch.equal(to_x, torch.ones(4))  # to x: g·w
    assert torch.equal(to_w, torch.arange(4.0))  # to w: g·x
    assert "g·b" in mul.rule


def test_backward_accumulates_and_zero_grads(workspace: Workspace) -> None:
    _, graph = _inspect(workspace, "x = torch.arange(4.0, requires_grad=True)\ny = 2 * torch.dot(x, x)")
    first = run_backward(graph, retain_graph=True)
    assert first.grads == (("x", "[0., 4., 8., 12.]"),)
    second = run_backward(graph, retain_graph=True)
    assert second.grads == (("x", "[0., 8., 16., 24.]"),)
    third = run_backward(graph, retain_graph=True)
    assert third.before == (("x", "[0., 8., 16., 24.]"),) and third.grads == (("x", "[0., 12., 24., 36.]"),)
    assert [r.accumulation for r in (first, second, third)] == [
        Accumulation.STORED,
        Accumulation.DOUBLED,
        Accumulation.ADDED,  # 8x -> 12x is not a doubling
    ]
    zeroed = zero_grads(graph)
    assert zeroed.grads == (("x", "[0., 0., 0., 0.]"),) and zeroed.accumulation is Accumulation.ZEROED
    assert run_backward(graph, retain_graph=True).accumulation is Accumulation.STORED  # zeros held nothing


def test_second_backward_without_retain_is_explained(workspace: Workspace) -> None:
    _, graph = _inspect(workspace, "x = torch.arange(4.0, requires_grad=True)\ny = 2 * torch.dot(x, x)")
    assert run_backward(graph).error is None
    again = run_backward(graph)
    assert again.error is not None and "retain_graph=True" in again.error.message
    assert "freed" in node_details(graph, 1).saved[0][1]


def test_non_scalar_backward_is_explained_and_sum_works(workspace: Workspace) -> None:
    _, graph = _inspect(workspace, "x = torch.arange(4.0, requires_grad=True)\ny = x * x")
    failed = run_backward(graph)
    assert failed.error is not None and "y.sum().backward()" in failed.error.message
    assert run_backward(graph, "sum").grads == (("x", "[0., 2., 4., 6.]"),)
    assert run_backward(graph, "ones").call == "y.backward(gradient=torch.ones_like(y))"


def test_detach_example_gives_u(workspace: Workspace) -> None:
    _, graph = _inspect(workspace, "x = torch.arange(4.0, requires_grad=True)\ny = x * x\nu = y.detach()\nz = u * x")
    run_backward(graph, "sum")
    assert torch.equal(workspace["x"].grad, workspace["u"])


def test_node_details_show_saved_tensors_and_line(workspace: Workspace) -> None:
    code = "x = torch.arange(4.0, requires_grad=True)\ny = 2 * torch.dot(x, x)"
    _, graph = _inspect(workspace, code)
    dot = node_details(graph, 2, code)
    assert dot.title == "DotBackward0"
    assert dict(dot.saved)["_saved_self"] == "(4,) float32 = [0., 1., 2., 3.]"
    assert dot.inputs[0].startswith("input 0: (4,) float32 from x")
    assert dot.outputs == ("() float32",)
    assert dot.line == 2 and dot.code == "y = 2 * torch.dot(x, x)"
    leaf = node_details(graph, 3, code)
    assert leaf.grad == "None (run backward)"

"""The Graph pane's controller driven without Textual: inspect, backward, walk, checks, the info panel."""

from __future__ import annotations

import sys

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_lab.core.autograd.details import Accumulation
from tui_lab.core.autograd.examples import example
from tui_lab.core.autograd.explain import Explanation, ExplanationKind
from tui_lab.core.autograd.graph import build_graph, tensor_names
from tui_lab.core.autograd.walk import MarkState, WalkMark
from tui_lab.core.text import has_controls
from tui_lab.core.workspace import Workspace
from tui_lab.ui.graph.controller import GraphInspection
from tui_lab.ui.graph.info import BackwardShown, ExampleLoaded, InfoBlock, Inspected, NoGraph, WalkStepShown
from tui_lab.ui.graph.model import GraphModel
from tui_lab.ui.graph.outcomes import Check, Offer
from tui_lab.ui.graph.text import info_text

DOT = "x = torch.arange(4.0, requires_grad=True); y = 2 * torch.dot(x, x)"
D2L_CHECK = "x = torch.arange(4.0, requires_grad=True); y = 2 * torch.dot(x, x); y.backward(); x.grad == 4 * x"


def _panel(graph: GraphInspection) -> str:
    return info_text(graph.info).plain


def _rows(graph: GraphInspection) -> list[str]:
    assert graph.model is not None and graph.model.layout is not None
    return [graph.model.row_text(i) for i in range(len(graph.model.layout))]


def test_dot_backward_gives_4x_and_the_walk_marks_are_data(workspace: Workspace) -> None:
    graph = GraphInspection(workspace)
    assert graph.inspect(DOT).new_graph
    assert graph.model is not None and graph.root_var == "y"
    assert [r.split("  ")[1].split()[0] for r in _rows(graph)] == ["y", "MulBackward0", "DotBackward0", "x"]
    assert [b.kind for b in graph.info] == [Inspected]
    graph.backward(retain=True)
    assert workspace["x"].grad.tolist() == [0.0, 4.0, 8.0, 12.0]
    assert "grad=[0., 4., 8., 12.]" in _rows(graph)[3]
    # Step through: each press marks one node, as values; the previous one becomes DONE.
    graph.step()
    first = graph.model.graph.nodes.index(graph.model.graph.nodes[1])
    assert graph.model.marks == {first: WalkMark(1, "1.", MarkState.CURRENT)}
    graph.step()
    assert graph.model.marks[first].state is MarkState.DONE
    assert [m.state for m in graph.model.marks.values()].count(MarkState.CURRENT) == 1
    assert [b.kind for b in graph.info] == [WalkStepShown]
    assert "◀ g=" in "".join(_rows(graph)) and "✓ g=1." in "".join(_rows(graph))
    assert workspace["x"].grad.tolist() == [0.0, 4.0, 8.0, 12.0]  # stepping leaves .grad alone
    # A later backward clears the marks: they described an older pass.
    graph.backward(retain=True)
    assert graph.model.marks == {} and graph.walk is None
    assert not any("◀" in row or "✓" in row for row in _rows(graph))


def test_tips_say_what_backward_did_to_grad(workspace: Workspace) -> None:
    graph = GraphInspection(workspace)
    graph.inspect(DOT)
    accumulations = []
    for _ in range(3):
        graph.backward(retain=True)
        block = graph.info[-1].content
        assert isinstance(block, BackwardShown)
        accumulations.append(block.result.accumulation)
    assert accumulations == [Accumulation.STORED, Accumulation.DOUBLED, Accumulation.ADDED]
    assert workspace["x"].grad.tolist() == [0.0, 12.0, 24.0, 36.0]
    panel = _panel(graph)
    assert "doubled" not in panel and "x: [0., 8., 16., 24.]" in panel  # 8x → 12x is no doubling
    graph.zero_grads()
    assert "Every .grad is zero now" in _panel(graph)


def test_freed_graph_is_explained_then_forgotten_for_a_new_graph(workspace: Workspace) -> None:
    graph = GraphInspection(workspace)
    graph.inspect(DOT)
    graph.backward()
    outcome = graph.backward(retain=True)
    assert outcome.offer is Offer.REBUILD and "Backward through a freed graph" in _panel(graph)
    assert "graph freed by backward()" in graph.summary()
    graph.inspect("a = torch.ones(3, requires_grad=True); b = (a * 3).sum()")
    assert "freed" not in _panel(graph) and "freed" not in graph.summary()
    assert _panel(graph).startswith("b · ")


def test_rebuild_after_a_freed_graph_keeps_grad_and_retains(workspace: Workspace) -> None:
    graph = GraphInspection(workspace)
    graph.inspect(DOT)
    graph.backward()
    assert graph.backward(retain=True).offer is Offer.REBUILD
    assert graph.rebuild(Offer.REBUILD).new_graph
    assert workspace["x"].grad.tolist() == [0.0, 8.0, 16.0, 24.0]
    assert "Rebuilt y from the same leaves" in _panel(graph) and not graph.freed


def test_every_new_inspection_clears_the_previous_results(workspace: Workspace) -> None:
    graph = GraphInspection(workspace)
    graph.inspect(example("control").code, example("control").code)
    graph.check(Check.JACOBIANS)
    assert "J = [[1024.]]" in _panel(graph) and _panel(graph).startswith("d · ")
    graph.inspect("p = torch.ones(2, requires_grad=True); q = p.exp().sum()")
    assert "1024" not in _panel(graph) and _panel(graph).startswith("q · ")
    assert all(block.subject == "q" for block in graph.info)


def test_d2l_check_shows_the_value_and_the_true_reason(workspace: Workspace) -> None:
    graph = GraphInspection(workspace)
    graph.inspect(D2L_CHECK)
    block = graph.info[0].content
    assert isinstance(block, NoGraph) and block.value == "tensor([True, True, True, True])"
    assert block.explanation.kind is ExplanationKind.NO_GRAPH
    panel = _panel(graph)
    assert "tensor([True, True, True, True])" in panel
    assert "none of the tensors it was computed from requires grad" not in panel
    assert "comparisons" in panel and "computed from x, which requires grad" in panel


def test_no_grad_inputs_are_named_truthfully(workspace: Workspace) -> None:
    graph = GraphInspection(workspace)
    graph.inspect("x = torch.arange(4.0); y = x + 1")
    assert "none of the tensors it was computed from requires grad" in _panel(graph)
    assert "tensor([1., 2., 3., 4.])" in _panel(graph)
    graph.inspect("w = torch.ones(2, requires_grad=True)\nwith torch.no_grad():\n    v = w * 2")
    assert "computed from w, which requires grad" in _panel(graph) and "no_grad" in _panel(graph)


def test_example_offers_fresh_names_instead_of_overwriting(workspace: Workspace) -> None:
    workspace.namespace["x"] = torch.tensor([42.0])
    graph = GraphInspection(workspace)
    plan = graph.plan_example("dot")
    assert plan.binds == ("x", "y") and plan.clashes == ("x",)
    loaded = graph.load_example(plan, keep_existing=True)
    graph.inspect(loaded.case.code, loaded.case.code)
    assert workspace["x"].tolist() == [42.0] and "x2" in workspace and graph.root_var == "y2"
    assert isinstance(graph.info[0].content, ExampleLoaded) and "x → x2" in _panel(graph)
    graph.backward()
    assert workspace["x2"].grad.tolist() == [0.0, 4.0, 8.0, 12.0]


def test_a_failed_worker_leaves_a_truthful_summary(workspace: Workspace) -> None:
    graph = GraphInspection(workspace)
    graph.start("Running… (ctrl+c interrupts)")
    assert graph.summary() == " Running… (ctrl+c interrupts)"
    graph.finish(RuntimeError("boom"))
    assert "Running" not in graph.summary() and "RuntimeError: boom" in graph.summary()
    assert "internal error" in _panel(graph)


def test_hostile_names_never_reach_the_rows_or_the_panel(workspace: Workspace) -> None:
    name = "v\x1b]52;c;dmFybmFtZQ==\x07"
    workspace.namespace[name] = torch.ones(2, requires_grad=True)
    workspace.namespace["out"] = (workspace[name] * 2).sum()
    graph = GraphInspection(workspace)
    graph.inspect("out")
    graph.backward()
    assert any("v␛]52;c;dmFybmFtZQ==␇" in row for row in _rows(graph))
    assert not any("\x1b" in row or "\x07" in row for row in _rows(graph))
    assert "\x1b" not in _panel(graph) and "\x07" not in _panel(graph)


def test_controller_does_not_import_textual() -> None:
    import subprocess

    code = "import sys, tui_lab.ui.graph.controller; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("kind", list(Check))
def test_checks_name_the_tensor(workspace: Workspace, kind: Check) -> None:
    graph = GraphInspection(workspace)
    case = example("linreg-dot")
    graph.inspect(case.code, case.code)
    graph.check(kind)
    assert _panel(graph).startswith("z · ")


def test_a_failed_input_is_in_the_summary_until_the_next_operation(workspace: Workspace) -> None:
    graph = GraphInspection(workspace)
    graph.inspect(DOT)
    graph.inspect("y = undefined_name")
    assert graph.summary().startswith(" ⚠ NameError") and "still showing y" in graph.summary()
    graph.backward()
    assert "NameError" not in graph.summary() and "y.backward()" in _panel(graph)


@given(st.text(min_size=1, max_size=24))
@settings(max_examples=40, deadline=None)
def test_any_name_is_drawn_and_explained_without_control_characters(name: str) -> None:
    x = torch.ones(2, requires_grad=True)
    y = (x * 2).sum()
    graph = build_graph(y, tensor_names({name: x, "y": y}), root_name=name, graph_tensors={name: x, "y": y})
    model = GraphModel.build(graph)
    assert model.layout is not None
    assert not any(has_controls(model.row_text(i)) for i in range(len(model.layout)))
    blocks = (InfoBlock(name, Inspected.of(graph)), InfoBlock(name, NoGraph(name, Explanation(name, name))))
    assert not has_controls(info_text(blocks).plain, keep="\n\t")  # tab and newline are laid out by the widget


def test_stepping_after_a_plain_backward_says_the_graph_was_freed_and_offers_a_rebuild(workspace: Workspace) -> None:
    graph = GraphInspection(workspace)
    graph.inspect(DOT)
    graph.backward()
    outcome = graph.step()
    panel = _panel(graph)
    assert outcome.offer is Offer.REBUILD_WALK
    assert "The graph was freed by the last backward()" in panel and "a second time" not in panel
    assert graph.rebuild(Offer.REBUILD_WALK).select is not None  # rebuilt, and the walk shows its first step
    assert "Reverse mode, step 1 of 3: MulBackward0" in _panel(graph)

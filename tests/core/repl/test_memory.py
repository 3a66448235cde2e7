"""The memory view says one thing per name and statement, and that thing is true (issue #21, item 5).

A name bound to a view of another name's tensor shares that memory; it is not "newly allocated".
Each case below checks the view's words against torch's own answer (``untyped_storage().data_ptr()``).
"""

from __future__ import annotations

import pytest
import torch

from tui_lab.core.repl.engine import ReplEngine
from tui_lab.core.repl.memory import MemoryEvent
from tui_lab.core.workspace import Workspace


@pytest.fixture
def engine(workspace: Workspace) -> ReplEngine:
    return ReplEngine(workspace)


def said(engine: ReplEngine, source: str) -> list[tuple[str, str]]:
    result = engine.run(source)
    assert result.error is None, result.error.traceback
    return [(event.name, event.kind) for event in result.memory]


def events_for(engine: ReplEngine, source: str, name: str) -> list[MemoryEvent]:
    result = engine.run(source)
    assert result.error is None, result.error.traceback
    return [event for event in result.memory if event.name == name]


def same_memory(engine: ReplEngine, a: str, b: str) -> bool:
    first, second = engine.workspace[a], engine.workspace[b]
    return bool(first.untyped_storage().data_ptr() == second.untyped_storage().data_ptr())


def test_rebinding_to_a_view_of_another_name_shares_its_memory_and_says_nothing_else(engine: ReplEngine) -> None:
    engine.run("x = torch.arange(12); X = torch.zeros(1)")
    [event] = events_for(engine, "X = x.reshape(3, 4)", "X")
    assert same_memory(engine, "X", "x")
    assert (event.kind, event.other, event.headline) == ("shares memory", "x", "now shares x's memory")
    assert "newly allocated" not in event.describe() and "not a copy" in event.detail


def test_the_issue_input_as_one_line_has_no_contradiction(engine: ReplEngine) -> None:
    events = said(engine, "x = torch.arange(12); X = torch.zeros(1); X = x.reshape(3, 4)")
    assert ("X", "new storage") not in events
    assert events.count(("X", "shares memory")) == 1


def test_rebinding_to_a_copy_is_new_storage_and_shares_nothing(engine: ReplEngine) -> None:
    engine.run("x = torch.arange(12); X = torch.zeros(1)")
    assert said(engine, "X = x.clone()") == [("X", "new storage")]
    assert not same_memory(engine, "X", "x")


def test_reshape_of_a_contiguous_tensor_is_a_view_of_a_non_contiguous_one_a_copy(engine: ReplEngine) -> None:
    engine.run("x = torch.arange(12).reshape(3, 4); X = torch.zeros(1)")
    assert said(engine, "X = x.reshape(12)") == [("X", "shares memory")]
    assert same_memory(engine, "X", "x")
    engine.run("X = torch.zeros(1)")
    assert said(engine, "X = x.t().reshape(12)") == [("X", "new storage")]  # transposed: reshape must copy
    assert not same_memory(engine, "X", "x")


def test_detach_shares_memory_whether_the_name_is_new_or_rebound(engine: ReplEngine) -> None:
    engine.run("x = torch.arange(4.0, requires_grad=True); y = x * x")
    assert said(engine, "u = y.detach()") == [("u", "shares memory")]
    assert said(engine, "u = y.detach()") == [("u", "shares memory")]  # the book's cell run a second time
    assert same_memory(engine, "u", "y")


def test_in_place_operations_are_in_place(engine: ReplEngine) -> None:
    engine.run("X = torch.ones(3); Y = torch.ones(3); Z = torch.zeros(3)")
    assert said(engine, "X += Y") == [("X", "in place")]
    assert said(engine, "Z[:] = X + Y") == [("Z", "in place")]
    assert said(engine, "X.add_(1)") == [("X", "in place")]
    assert said(engine, "Y = Y + X") == [("Y", "new storage")]


def test_a_view_of_its_own_former_memory_is_the_same_storage(engine: ReplEngine) -> None:
    engine.run("X = torch.arange(12)")
    assert said(engine, "X = X.reshape(3, 4)") == [("X", "same storage")]
    assert said(engine, "X = X[1:]") == [("X", "same storage")]  # starts later in the same memory


def test_writing_a_view_is_seen_through_the_name_it_shares_with(engine: ReplEngine) -> None:
    engine.run("x = torch.arange(12); X = x.reshape(3, 4)")
    [event] = events_for(engine, "X[0, 0] = 100", "X")
    assert event.kind == "in place" and "x shares that memory" in event.detail
    assert int(engine.workspace["x"][0]) == 100


def test_each_name_gets_one_line_per_statement(engine: ReplEngine) -> None:
    engine.run("a = torch.arange(6); b = torch.zeros(1); c = torch.zeros(1)")
    result = engine.run("b = a.view(2, 3)\nc = a[::2]")
    per_statement = [(event.line, event.name) for event in result.memory]
    assert len(per_statement) == len(set(per_statement)) and {name for _, name in per_statement} == {"b", "c"}
    assert all(event.kind == "shares memory" for event in result.memory)
    assert torch.equal(engine.workspace["c"], torch.tensor([0, 2, 4]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_views_and_copies_on_the_gpu(engine: ReplEngine) -> None:
    engine.run("x = torch.arange(12, device='cuda'); X = torch.zeros(1, device='cuda')")
    assert said(engine, "X = x.reshape(3, 4)") == [("X", "shares memory")]
    assert said(engine, "X = x.clone()") == [("X", "new storage")]
    assert said(engine, "X += 1") == [("X", "in place")]

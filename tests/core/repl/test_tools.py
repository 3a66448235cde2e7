"""REPL helpers: memory view, broadcasting explainer, history, completion, inspection, examples."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_lab.core.repl.broadcast import evaluate_operands, explain_shapes, explain_source_line
from tui_lab.core.repl.capture import OutputCapture, Stream
from tui_lab.core.repl.complete import complete
from tui_lab.core.repl.engine import ReplEngine
from tui_lab.core.repl.examples import EXAMPLES, example_by_key
from tui_lab.core.repl.history import History, history_path
from tui_lab.core.repl.input import input_state, next_indent
from tui_lab.core.repl.inspect import variable_details, variable_row
from tui_lab.core.repl.memory import diff_memory, take_fingerprints
from tui_lab.core.workspace import Workspace


def test_memory_diff_tells_rebinding_from_in_place() -> None:
    ns = {"X": torch.ones(3), "Y": torch.ones(3), "Z": torch.ones(3)}
    before = take_fingerprints(ns.items())
    ns["Y"] = ns["Y"] + ns["X"]
    ns["X"] += 1
    ns["Z"][:] = 5
    events = {e.name: e.kind for e in diff_memory(before, take_fingerprints(ns.items()), {"Y"})}
    assert events == {"Y": "new storage", "X": "in place", "Z": "in place"}


def test_memory_diff_reports_numpy_and_view_sharing() -> None:
    X = torch.arange(6.0)
    ns = {"X": X, "A": X.numpy(), "V": X.view(2, 3), "C": X.clone()}
    events = diff_memory({}, take_fingerprints(ns.items()), {"A", "V", "C"})
    pairs = {(e.name, e.other) for e in events if e.kind == "shares memory"}
    assert pairs == {("A", "V"), ("A", "X"), ("V", "X")}
    assert any("NumPy array" in e.detail for e in events if e.name == "A")


@pytest.mark.parametrize(
    ("shapes", "axes", "result"),
    [
        ([(3, 1), (1, 2)], ("broadcast", "broadcast"), (3, 2)),
        ([(3, 4), (2, 4)], ("clash", "match"), None),
        ([(3, 4), (3,)], ("broadcast", "clash"), None),
        ([(5, 4), (4,)], ("broadcast", "match"), (5, 4)),
        ([(2, 1, 3), ()], ("broadcast",) * 3, (2, 1, 3)),
    ],
)
def test_explain_shapes_follows_the_rule(shapes: list[tuple[int, ...]], axes: tuple[str, ...], result: object) -> None:
    explanation = explain_shapes(shapes)
    assert explanation.axes == axes and explanation.result == result
    if result is not None:
        assert tuple(torch.broadcast_shapes(*shapes)) == result


def test_explainer_right_aligns_and_marks_the_clash() -> None:
    text = explain_shapes([(3, 4), (2, 4)], ["a", "b"]).as_text().splitlines()
    assert text[0].endswith("3 4") and text[1].endswith("2 4") and text[2].endswith("✗ =")
    assert "cannot broadcast" in text[3]


def test_explainer_finds_the_clashing_operands_of_a_line() -> None:
    C = torch.ones(3, 4)
    explanation = explain_source_line("C / C.sum(axis=1)", {"C": C})
    assert explanation is not None and explanation.labels == ("C", "C.sum(axis=1)")
    assert explanation.shapes == ((3, 4), (3,))


def test_explainer_never_calls_impure_functions() -> None:
    calls: list[int] = []

    def side_effect() -> torch.Tensor:
        calls.append(1)
        return torch.ones(2)

    assert explain_source_line("side_effect() + torch.ones(3)", {"side_effect": side_effect, "torch": torch}) is None
    assert calls == []


def test_explain_two_expressions_and_report_bad_ones() -> None:
    ns = {"a": torch.arange(3).reshape(3, 1), "b": torch.arange(2).reshape(1, 2), "torch": torch}
    assert evaluate_operands(["a", "b"], ns).result == (3, 2)
    with pytest.raises(ValueError, match="NameError"):
        evaluate_operands(["a", "nope"], ns)
    with pytest.raises(ValueError, match="no shape"):
        evaluate_operands(["a", "'text'"], ns)


def test_history_persists_navigates_and_searches(lab_home: Path) -> None:
    history = History.load()
    for entry in ["x = 1", "x = 1", "def f(a):\n    return a", "   ", "y = 2"]:
        history.add(entry)
    assert history.entries == ["x = 1", "def f(a):\n    return a", "y = 2"]
    again = History.load()
    assert again.entries == history.entries and history_path().is_relative_to(lab_home)
    assert again.previous("draft") == "y = 2"
    assert again.previous("ignored") == "def f(a):\n    return a"
    assert again.next() == "y = 2"
    assert again.next() == "draft"
    assert again.next() is None
    assert again.search("X =") == ["x = 1"]


def test_history_survives_a_broken_file(lab_home: Path) -> None:
    history_path().write_text("{not json", encoding="utf-8")
    assert History.load().entries == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("torch.ara", "arange"), ("x.resh", "reshape"), ("pri", "print"), ("y = x.su", "sum"), ("import tor", "torch")],
)
def test_completion_finds_names_and_attributes(text: str, expected: str) -> None:
    ns = {"torch": torch, "x": torch.arange(3)}
    found = complete(text, 1, len(text), ns, timeout=5.0)
    assert expected in found.items


def test_completion_is_bounded_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import jedi

    release = threading.Event()

    class StuckInterpreter:
        def __init__(self, *args: object) -> None:
            release.wait(30)  # jedi never answers while the completion waits

        def complete(self, *args: object) -> list[object]:
            return []

    monkeypatch.setattr(jedi, "Interpreter", StuckInterpreter)
    try:
        found = complete("sorted([3, 1]).", 1, 15, {}, timeout=0.1)
    finally:
        release.set()
    assert found.timed_out and found.items == ()


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("torch.sum(x, di", "dim="),
        ("x.sum(kee", "keepdim="),
        ("sorted([3, 1], ke", "key="),
        ("torch.arange(3, dt", "dtype="),
    ],
)
def test_completion_inside_a_call_offers_keyword_arguments_first(text: str, first: str) -> None:
    ns = {"torch": torch, "x": torch.arange(3)}
    found = complete(text, 1, len(text), ns, timeout=5.0)
    assert found.items[0] == first


def test_completion_outside_calls_is_unchanged() -> None:
    found = complete("di", 1, 2, {}, timeout=5.0)
    assert "dim=" not in found.items and "dir" in found.items


def test_variable_rows_read_metadata_only() -> None:
    assert variable_row("x", torch.arange(12)).summary == "(12,) int64 cpu"
    w = torch.ones(2, requires_grad=True)
    assert variable_row("w", w).summary == "(2,) float32 cpu grad leaf"
    assert variable_row("y", w * 2).summary == "(2,) float32 cpu grad fn=MulBackward0"
    assert variable_row("A", np.zeros((2, 3))).summary == "(2, 3) float64"
    assert variable_row("net", torch.nn.Linear(3, 2)).summary == "Linear 8 params"
    assert variable_row("n", 3.5).summary == "3.5"


def test_variable_details_show_storage_stats_and_grid() -> None:
    X = torch.tensor([[1.0, float("nan")], [3.0, 4.0]])
    prints = take_fingerprints({"X": X, "A": X.numpy()}.items())
    details = dict(variable_details("X", X, prints).fields)
    assert details["strides"] == "(2, 1)" and details["contiguous"] == "True"
    assert details["shares memory"] == "A" and details["NaN"] == "1"
    assert variable_details("X", X, prints).grid == (("1.", "nan"), ("3.", "4."))
    big = variable_details("big", torch.arange(40_000.0).reshape(200, 200))
    assert big.grid is None and big.heat is not None and big.heat[0][0] == 0.0 and big.heat[-1][-1] == 1.0


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.key)
def test_every_course_example_runs(example: object) -> None:
    ws = Workspace()
    ws.load_preloads()
    engine = ReplEngine(ws)
    expect_error = "error" in example.title  # type: ignore[attr-defined]
    result = engine.run(example.code)  # type: ignore[attr-defined]
    assert (result.error is not None) == expect_error, result.error
    assert example_by_key(example.key) is example  # type: ignore[attr-defined]


def test_in_place_shape_errors_are_explained(workspace: Workspace) -> None:
    engine = ReplEngine(workspace)
    result = engine.run("X = torch.ones(3)\nY = torch.ones(3, 3)\nX += Y")
    assert result.error is not None and result.error.broadcast is not None
    explanation = result.error.broadcast
    assert explanation.labels == ("X", "Y") and explanation.axes == ("clash", "match") and not explanation.ok
    assert "in-place op keeps the shape (3,)" in explanation.verdict()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(1, 4), max_size=4), min_size=2, max_size=3))
def test_explain_shapes_agrees_with_numpy(shapes: list[list[int]]) -> None:
    explanation = explain_shapes(shapes)
    try:
        expected: tuple[int, ...] | None = tuple(np.broadcast_shapes(*[tuple(s) for s in shapes]))
    except ValueError:
        expected = None
    assert explanation.result == expected
    assert ("clash" in explanation.axes) == (expected is None)


@pytest.mark.parametrize(
    ("source", "state"),
    [
        ("1+1", "complete"),
        ("def f(a):", "incomplete"),
        ("def f(a):\n    return a * 2", "incomplete"),
        ("def f(a):\n    return a * 2\n", "complete"),
        ("x = [1,", "incomplete"),
        ("x = [1,\n 2]", "complete"),
        ("if x: pass", "complete"),
        ("def f(:", "invalid"),
        ("   ", "incomplete"),
    ],
)
def test_input_state_follows_ipython(source: str, state: str) -> None:
    assert input_state(source) == state


@pytest.mark.parametrize(
    ("line", "indent"),
    [("def f(a):", "    "), ("    x = 1", "    "), ("        return a", "    "), ("pass", ""), ("x = 1  # a:", "")],
)
def test_next_indent(line: str, indent: str) -> None:
    assert next_indent(line) == indent


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["stdout", "stderr"]), st.text(alphabet="ab\n", max_size=60)), max_size=20),
    st.integers(1, 100),
    st.integers(1, 10),
)
def test_capture_keeps_order_and_accounts_for_every_character(
    writes: list[tuple[Stream, str]], max_chars: int, max_lines: int
) -> None:
    capture = OutputCapture(max_chars, max_lines)
    for stream, text in writes:
        capture.write(stream, text)
    kept = "".join(text for _, text in capture.chunks())
    everything = "".join(text for _, text in writes)
    assert everything.startswith(kept)
    assert len(kept) + capture.cut_chars == len(everything)
    assert len(kept) <= max_chars and kept.count("\n") <= max_lines
    assert kept.count("\n") + capture.cut_lines == everything.count("\n")


def test_details_sample_big_tensors_and_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import tui_lab.core.repl.inspect as inspect_module

    monkeypatch.setattr(inspect_module, "STATS_EXACT_LIMIT", 1_000)
    details = variable_details("big", torch.arange(10_000.0))
    fields = dict(details.fields)
    assert "strided sample (625 of 10,000 elements)" in details.note
    assert fields["min"] == "0." and fields["max"] == "9984."
    transposed = variable_details("t", torch.arange(10_000.0).reshape(100, 100).t())
    assert "strided sample" in transposed.note and dict(transposed.fields)["contiguous"] == "False"

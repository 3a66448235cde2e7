"""The headless REPL engine: IPython-like results, errors, interrupts, limits, and the d2l 2.1 examples."""

from __future__ import annotations

import ast
import contextlib
import io
import re
import threading

import pytest

from tui_lab.core.repl.engine import EXIT_MESSAGE, ReplEngine
from tui_lab.core.workspace import Workspace, WorkspaceChange

# The course's ndarray section (d2l 2.1), one input per entry, run in order in one workspace.
D2L_NDARRAY = [
    "x = torch.arange(12, dtype=torch.float32)\nx",
    "x.numel()",
    "x.shape",
    "X = x.reshape(3, 4)\nX",
    "torch.zeros((2, 3, 4))",
    "torch.ones((2, 3, 4))",
    "torch.manual_seed(0)\ntorch.randn(3, 4)",
    "torch.tensor([[2, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])",
    "x = torch.tensor([1.0, 2, 4, 8])\ny = torch.tensor([2, 2, 2, 2])\nx + y, x - y, x * y, x / y, x ** y",
    "torch.exp(x)",
    "X = torch.arange(12, dtype=torch.float32).reshape((3, 4))\nY = torch.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])\ntorch.cat((X, Y), dim=0)",
    "torch.cat((X, Y), dim=1)",
    "X == Y",
    "X.sum()",
    "a = torch.arange(3).reshape((3, 1))\nb = torch.arange(2).reshape((1, 2))\na, b",
    "a + b",
    "X[-1], X[1:3]",
    "X[1, 2] = 9\nX",
    "X[0:2, :] = 12\nX",
    "before = id(Y)\nY = Y + X\nid(Y) == before",
    "Z = torch.zeros_like(Y)\nprint('id(Z):', id(Z) == id(Z))\nbefore = id(Z)\nZ[:] = X + Y\nid(Z) == before",
    "before = id(X)\nX += Y\nid(X) == before",
    "A = X.numpy()\nB = torch.from_numpy(A)\ntype(A), type(B)",
    "a = torch.tensor([3.5])\na, a.item(), float(a), int(a)",
]


def _plain_run(sources: list[str]) -> list[tuple[str, str | None]]:
    """Run the inputs with bare exec/eval, as plain Python would: (stdout, repr of last value)."""
    import numpy
    import torch

    ns: dict[str, object] = {"torch": torch, "np": numpy}
    results = []
    for source in sources:
        tree = ast.parse(source)
        tail = tree.body[-1]
        last = tail if isinstance(tail, ast.Expr) else None
        if last is not None:
            tree.body.pop()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(tree, "<plain>", "exec"), ns)
            value = eval(compile(ast.Expression(last.value), "<plain>", "eval"), ns) if last else None
        shown = None if value is None else re.sub(r"<class '([\w.]+)'>", r"\1", repr(value))  # IPython: numpy.ndarray
        results.append((out.getvalue(), shown))
    return results


@pytest.fixture
def engine(workspace: Workspace) -> ReplEngine:
    return ReplEngine(workspace)


def _squeezed(text: str | None) -> str | None:
    return None if text is None else "".join(text.split())


def test_d2l_ndarray_examples_match_plain_python(engine: ReplEngine) -> None:
    expected = _plain_run(D2L_NDARRAY)
    for source, (stdout, value) in zip(D2L_NDARRAY, expected, strict=True):
        result = engine.run(source)
        assert result.error is None, (source, result.error)
        assert "".join(c.text for c in result.outputs) == stdout, source
        # the same text as plain Python's repr; only the line breaks of tuples of tensors differ
        assert _squeezed(result.value_repr) == _squeezed(value), source
        if value is not None and not value.startswith("("):
            assert result.value_repr == value, source


def test_tuples_of_tensors_show_one_element_per_line(engine: ReplEngine) -> None:
    result = engine.run("x = torch.tensor([1.0, 2, 4, 8])\ny = torch.tensor([2, 2, 2, 2])\nx + y, x - y, x * y")
    assert result.value_repr == (
        "(tensor([ 3.,  4.,  6., 10.]),\n tensor([-1.,  0.,  2.,  6.]),\n tensor([ 2.,  4.,  8., 16.]))"
    )
    pair = engine.run("torch.arange(3).reshape(3, 1), torch.arange(2)").value_repr
    assert pair == "(tensor([[0],\n         [1],\n         [2]]),\n tensor([0, 1]))"
    assert engine.run("(1, 2), [3]").value_repr == "((1, 2), [3])"


def test_tensors_are_laid_out_for_the_given_width_and_the_setting_is_restored(engine: ReplEngine) -> None:
    import torch

    result = engine.run("x = torch.arange(12); x", width=50)
    assert result.value_repr == "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,\n        10, 11])"
    printed = engine.run("print(torch.arange(12))", width=50).outputs[0].text
    assert printed == result.value_repr + "\n"
    assert torch._tensor_str.PRINT_OPTS.linewidth == 80
    assert "\n" not in (engine.run("x", width=120).value_repr or "")
    engine.run("torch.set_printoptions(linewidth=30)", width=50)  # the user's own choice wins and stays
    assert torch._tensor_str.PRINT_OPTS.linewidth == 30
    assert len((engine.run("x", width=50).value_repr or "").splitlines()) > 2
    torch.set_printoptions(linewidth=80)


def test_out_numbering_and_underscore(engine: ReplEngine, workspace: Workspace) -> None:
    first = engine.run("40 + 2")
    assert (first.number, first.value_repr) == (1, "42")
    assert engine.run("None").value_repr is None
    third = engine.run("_ * 2")
    assert third.number == 3 and third.value_repr == "84"
    assert workspace["_oh"][1] == 42 and workspace["_3"] == 84 and workspace["_ih"][-1] == "_ * 2"


def test_stdout_and_stderr_keep_their_order(engine: ReplEngine) -> None:
    result = engine.run("import sys\nprint('a')\nprint('b', file=sys.stderr)\nprint('c')")
    assert [(c.stream, c.text) for c in result.outputs] == [("stdout", "a\n"), ("stderr", "b\n"), ("stdout", "c\n")]


def test_tensor_value_has_torch_repr_and_summary(engine: ReplEngine) -> None:
    result = engine.run("w = torch.ones(2, 3, requires_grad=True)\nw * 2")
    assert result.value_repr is not None and result.value_repr.startswith("tensor([[2., 2., 2.],")
    assert result.value_summary == "shape (2, 3) · torch.float32 · cpu · requires_grad · grad_fn=<MulBackward0>"


def test_traceback_holds_only_user_frames(engine: ReplEngine, workspace: Workspace) -> None:
    engine.run("x = 1")
    result = engine.run("def f(a):\n    return a / 0\nf(2)")
    assert result.error is not None and result.error.type_name == "ZeroDivisionError"
    assert 'File "<In [2]>", line 2, in f' in result.error.traceback
    assert "repl_engine" not in result.error.traceback and "tui_lab" not in result.error.traceback
    assert workspace["x"] == 1


def test_traceback_carets_sit_under_the_operator_on_the_last_line(engine: ReplEngine) -> None:
    result = engine.run("1/0")
    assert result.error is not None
    lines = result.error.traceback.splitlines()
    code, carets = lines[-3], lines[-2]
    assert code.strip() == "1/0" and carets.index("^") == code.index("/")
    two = engine.run("a = 1\na/0").error
    assert two is not None and two.traceback.splitlines()[-2].index("^") == two.traceback.splitlines()[-3].index("/")


def test_syntax_error_shows_the_caret(engine: ReplEngine) -> None:
    result = engine.run("def f(:\n    pass")
    assert result.error is not None and result.error.type_name == "SyntaxError"
    lines = result.error.traceback.splitlines()
    assert lines[1].strip() == "def f(:" and lines[2].strip() == "^"
    assert "ast.py" not in result.error.traceback


def test_interrupt_stops_an_endless_loop(engine: ReplEngine, workspace: Workspace) -> None:
    engine.run("kept = 7")
    entered = threading.Event()
    workspace.namespace["entered"] = entered

    def interrupt_once_running() -> None:
        assert entered.wait(30)
        engine.interrupt()

    helper = threading.Thread(target=interrupt_once_running, daemon=True)
    helper.start()
    result = engine.run("entered.set()\nwhile True: pass")
    helper.join(30)
    assert result.interrupted and result.error is not None and result.error.type_name == "KeyboardInterrupt"
    assert not engine.running and not engine.interrupt()
    assert engine.run("kept + 1").value_repr == "8"


@pytest.mark.parametrize("source", ["exit()", "quit()", "import sys\nsys.exit(3)", "raise SystemExit"])
def test_exit_is_explained_not_obeyed(engine: ReplEngine, source: str) -> None:
    result = engine.run(source)
    assert result.exit_requested and result.error is None
    assert EXIT_MESSAGE in result.outputs[-1].text


def test_input_uses_the_provider_or_fails_clearly(engine: ReplEngine) -> None:
    failed = engine.run("input('name? ')")
    assert failed.error is not None and "input() is not available" in failed.error.message
    engine.input_provider = lambda prompt: f"<{prompt}>"
    result = engine.run("answer = input('name? ')\nanswer")
    assert result.value_repr == "'<name? >'"
    assert result.outputs[0].text == "name? <name? >\n"


def test_huge_output_is_truncated_with_a_count(workspace: Workspace) -> None:
    engine = ReplEngine(workspace, max_chars=1_000, max_lines=50)
    result = engine.run("print('x' * 10_000_000)")
    assert sum(len(c.text) for c in result.outputs) == 1_000
    assert result.truncated_chars == 10_000_001 - 1_000
    note = result.truncation_note()
    assert note is not None and "9,999,001 more characters" in note
    lines = engine.run("for i in range(1000): print(i)")
    assert "".join(c.text for c in lines.outputs).count("\n") == 50 and lines.truncated_lines == 950


def test_huge_repr_is_clipped(workspace: Workspace) -> None:
    engine = ReplEngine(workspace, max_chars=3_000)
    result = engine.run("list(range(100_000))")
    assert result.value_repr is not None and len(result.value_repr) <= 3_000 and result.truncated_chars > 0


def test_listeners_hear_new_and_in_place_names(engine: ReplEngine, workspace: Workspace) -> None:
    heard: list[WorkspaceChange] = []
    workspace.subscribe(heard.append)
    engine.run("Y = torch.ones(3)")
    engine.run("Y += 1")
    assert [sorted(c.changed) for c in heard] == [["Y"], ["Y"]]
    assert all(c.source == "repl" for c in heard)


def test_memory_events_come_with_the_result(engine: ReplEngine) -> None:
    engine.run("Y = torch.ones(3)")
    assert [m.kind for m in engine.run("Y = Y + 1").memory] == ["new storage"]
    assert [m.kind for m in engine.run("Y += 1").memory] == ["in place"]
    assert [(m.kind, m.other) for m in engine.run("A = Y.numpy()").memory] == [("shares memory", "Y")]


def test_saving_memory_example_reports_each_statement_for_what_it_did(engine: ReplEngine) -> None:
    from tui_lab.core.repl.examples import example_by_key

    example = example_by_key("2.1 saving memory")
    assert example is not None
    result = engine.run(example.code)
    events = [(m.line, m.statement, m.name, m.kind) for m in result.memory]
    assert events == [
        (4, "Y = Y + X", "Y", "new storage"),
        (8, "Z[:] = X + Y", "Z", "in place"),
        (9, "X += Y", "X", "in place"),
    ]
    assert all("moved" not in m.describe() for m in result.memory)


def test_writing_through_a_numpy_view_changes_the_tensor(engine: ReplEngine) -> None:
    engine.run("X = torch.zeros(3)")
    result = engine.run("A = X.numpy(); A += 1")
    changed = [(m.name, m.headline) for m in result.memory if m.kind == "in place"]
    assert ("X", "changed through A") in changed and ("A", "in place") in changed
    later = engine.run("A[0] = 5")
    assert [(m.name, m.headline) for m in later.memory] == [("A", "in place"), ("X", "changed through A")]
    assert "X" in later.changed


def test_a_tensor_name_rebound_to_a_number_is_now_an_int_not_deleted(engine: ReplEngine) -> None:
    engine.run("x = torch.ones(2)")
    assert [m.describe() for m in engine.run("x = 12345").memory] == [
        "x: now an int — the name now refers to something else"
    ]
    engine.run("y = torch.ones(2)")
    assert [m.headline for m in engine.run("del y").memory] == ["deleted"]


def test_bare_exit_says_how_to_quit(engine: ReplEngine) -> None:
    for name in ("exit", "quit"):
        result = engine.run(name)
        assert result.value_repr is not None and result.value_repr.startswith("Use ctrl+q to quit")
        assert "function" not in result.value_repr


def test_a_thread_that_prints_after_its_input_finished_is_late_output(engine: ReplEngine, workspace: Workspace) -> None:
    go = threading.Event()
    workspace.namespace["go"] = go
    pending: list[bool] = []
    engine.late.on_pending = lambda: pending.append(True)
    result = engine.run(
        "import threading\n"
        "def later():\n    go.wait(30)\n    print('late hello')\n"
        "t = threading.Thread(target=later)\nt.start()\nprint('on time')"
    )
    assert [c.text for c in result.outputs] == ["on time\n"]
    go.set()
    workspace["t"].join(30)
    assert engine.late.drain() == ([("stdout", "late hello\n")], 0) and pending == [True]
    assert engine.late.drain() == ([], 0)


def test_a_thread_printing_while_its_input_runs_joins_that_output(engine: ReplEngine) -> None:
    result = engine.run(
        "import threading\nt = threading.Thread(target=lambda: print('from a thread'))\nt.start(); t.join()"
    )
    assert [c.text for c in result.outputs] == ["from a thread\n"]


def test_broadcast_error_carries_an_explanation(engine: ReplEngine) -> None:
    result = engine.run("torch.ones(3, 4) + torch.ones(2, 4)")
    assert result.error is not None and result.error.broadcast is not None
    assert result.error.broadcast.shapes == ((3, 4), (2, 4))
    assert result.error.broadcast.axes == ("clash", "match")


def test_big_tensor_repr_says_how_much_torch_elided(engine: ReplEngine) -> None:
    result = engine.run("torch.arange(10**6)")
    assert result.value_repr == "tensor([     0,      1,      2,  ..., 999997, 999998, 999999])"
    assert result.value_note is not None and "6 of 1,000,000 elements (999,994 cut" in result.value_note
    assert engine.run("torch.zeros(10, 10)").value_note is None


def test_output_cache_is_bounded(engine: ReplEngine, workspace: Workspace) -> None:
    from tui_lab.core.repl.engine import OUTPUT_CACHE_SIZE

    for i in range(OUTPUT_CACHE_SIZE + 5):
        engine.run(f"{i} + 1")
    assert len(workspace["_oh"]) == OUTPUT_CACHE_SIZE
    assert "_1" not in workspace and f"_{OUTPUT_CACHE_SIZE + 5}" in workspace


def test_help_prints_documentation_without_a_pager(engine: ReplEngine) -> None:
    result = engine.run("help(torch.arange)")
    assert result.error is None and "arange(" in "".join(c.text for c in result.outputs)


def test_replay_source_keeps_successful_inputs_only_and_is_bounded(workspace: Workspace) -> None:
    from tui_lab.core.repl.engine import REPLAY_INPUTS

    engine = ReplEngine(workspace)
    engine.run("a = 1")
    engine.run("b = undefined_name")
    engine.run("c = a + 1\nc")
    engine.run("sys_exit = exit()")
    assert engine.replay_source() == "a = 1\nc = a + 1\nc\n"
    ast.parse(engine.replay_source())
    for number in range(REPLAY_INPUTS + 5):
        engine.run(f"n = {number}")
    kept = engine.replay_source().splitlines()
    assert len(kept) == REPLAY_INPUTS and kept[-1] == f"n = {REPLAY_INPUTS + 4}" and "a = 1" not in kept

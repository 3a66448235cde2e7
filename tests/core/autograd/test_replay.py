"""Replaying a REPL session in the Graph pane: only what the leaves reach and the root needs re-runs."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import torch

from tui_lab.core.autograd.check import numeric_check
from tui_lab.core.autograd.explain import explain_exception
from tui_lab.core.autograd.program import ForwardProgram, forward_program, run_code
from tui_lab.core.interrupt import ThreadInterrupter
from tui_lab.core.repl.engine import ReplEngine
from tui_lab.core.workspace import Workspace


def _replay(workspace: Workspace, inputs: list[str], leaves: tuple[str, ...], root: str) -> ForwardProgram:
    engine = ReplEngine(workspace)
    for source in inputs:
        assert engine.run(source).ok, source
    program = forward_program(engine.replay_source(), workspace.namespace, leaves, root)
    assert isinstance(program, ForwardProgram), program
    return program


def test_repl_session_replays_only_the_statements_the_root_needs(workspace: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "y.txt"
    inputs = [
        "x = torch.arange(4.0, requires_grad=True)",
        "y = x * 10\nprint(y)",
        f"with open({str(out)!r}, 'w') as fh:\n    fh.write(str(y))",
        "y = 2 * torch.dot(x, x)",
        "y.backward()\nx.grad",
        "x.grad = None",
        "z = y + 1",
    ]
    program = _replay(workspace, inputs, ("x",), "y")
    assert program.statements == ("y = 2 * torch.dot(x, x)",)
    out.unlink()
    x = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert float(program.function()(x)) == 60.0
    workspace["x"].grad = torch.ones(4)
    rebuilt = program.rerun(workspace)
    assert (
        isinstance(rebuilt, torch.Tensor) and float(rebuilt.detach()) == 28.0
    )  # rebuilt in the workspace from the real x
    assert not out.exists()  # the file write read y, but y's value does not need it
    assert torch.equal(workspace["x"].grad, torch.ones(4))  # x.grad = None was not replayed
    single, _ = numeric_check(program.function, [workspace["x"]], ["x"])
    assert single.max_error < 1e-2


def test_an_accumulator_reset_is_replayed_with_its_loop(workspace: Workspace) -> None:
    inputs = [
        "w = torch.ones(3, requires_grad=True)",
        "X = torch.randn(5, 3)",
        "acc = 0",
        "for k in range(3):\n    acc = acc + (X @ w).sum()",
    ]
    program = _replay(workspace, inputs, ("w",), "acc")
    assert program.statements[0] == "acc = 0" and len(program.statements) == 2
    again = program.function()(torch.ones(3))
    assert torch.allclose(again, workspace["acc"])  # not acc's final value plus three more terms


def test_a_root_rebound_from_plain_data_is_not_replayed() -> None:
    result = forward_program("x = torch.ones(2, requires_grad=True)\ny = x * 2\ny = torch.zeros(2)", {}, ("x",), "y")
    assert not isinstance(result, ForwardProgram) and result.title == "No code to replay"


def test_interrupter_stops_endless_graph_code_and_explains_it(workspace: Workspace) -> None:
    interrupter = ThreadInterrupter()
    results = []

    def body() -> None:
        with interrupter.running_here():
            results.append(run_code("spins = 0\nwhile True:\n    spins += 1", workspace))

    thread = threading.Thread(target=body)
    thread.start()
    deadline = time.monotonic() + 5
    while not interrupter.running and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    started = time.monotonic()
    assert interrupter.interrupt()
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - started < 1.0
    error = results[0].error
    assert error is not None and error.title == "Interrupted" and "ctrl+c" in error.message
    assert workspace["spins"] > 0 and not interrupter.running and not interrupter.interrupt()


def test_keyboard_interrupt_explanation_names_the_line() -> None:
    try:
        exec(compile("a = 1\nraise KeyboardInterrupt", "<graph-input>", "exec"), {})
    except KeyboardInterrupt as error:
        explanation = explain_exception(error, "a = 1\nraise KeyboardInterrupt")
    assert explanation.title == "Interrupted" and explanation.line == 2
    assert "At line 2: raise KeyboardInterrupt" in explanation.message


def test_a_training_loop_is_not_replayed(workspace: Workspace) -> None:
    engine = ReplEngine(workspace)
    inputs = [
        "w = torch.zeros(3, requires_grad=True)",
        "X = torch.randn(8, 3)\ny = X @ torch.tensor([1.0, 2.0, 3.0])",
        "for epoch in range(2):\n    l = ((X @ w - y) ** 2).sum()\n    l.backward()\n"
        "    with torch.no_grad():\n        w -= 0.01 * w.grad\n        w.grad.zero_()",
    ]
    for source in inputs:
        assert engine.run(source).ok
    before = workspace["w"].detach().clone()
    result = forward_program(engine.replay_source(), workspace.namespace, ("w",), "l")
    assert not isinstance(result, ForwardProgram)
    assert result.title == "Cannot replay a training step" and "l.backward()" in result.message
    assert torch.equal(workspace["w"].detach(), before)

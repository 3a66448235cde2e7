"""Running code, replaying it as a function, and the gradient checks."""

from __future__ import annotations

import pytest
import torch

from tui_lab.core.autograd.check import compare_jacobians, numeric_check, run_gradcheck
from tui_lab.core.autograd.examples import EXAMPLES, example
from tui_lab.core.autograd.program import ForwardProgram, forward_program, run_code
from tui_lab.core.workspace import Workspace


def _program(workspace: Workspace, code: str, leaves: tuple[str, ...], root: str) -> ForwardProgram:
    result = run_code(code, workspace)
    assert result.error is None
    program = forward_program(code, workspace.namespace, leaves, root)
    assert isinstance(program, ForwardProgram), program
    return program


def test_run_code_picks_expression_or_last_assignment(workspace: Workspace) -> None:
    result = run_code("x = torch.ones(2, requires_grad=True)\nx * 3", workspace)
    assert result.root_name == "_" and result.expression == "x * 3"
    result = run_code("a = torch.ones(2, requires_grad=True)\nb = a * 2", workspace)
    assert result.root_name == "b" and result.value is workspace["b"]


@pytest.mark.parametrize(
    ("code", "title"),
    [
        ("x = = 1", "Syntax error"),
        ("y = undefined_name + 1", "NameError in your code"),
        ("w = torch.ones(2, requires_grad=True)\nw -= 0.1", "In-place change to a leaf that requires grad"),
    ],
)
def test_run_code_explains_errors(workspace: Workspace, code: str, title: str) -> None:
    result = run_code(code, workspace)
    assert result.error is not None and result.error.title == title
    if "In-place" in title:
        assert "torch.no_grad()" in result.error.message and result.error.line == 2


def test_program_skips_leaf_definitions_and_data(workspace: Workspace) -> None:
    program = _program(workspace, example("linreg-matrix").code, ("w",), "z")
    assert program.statements == ("z = ((X @ w - y) ** 2).sum()",)
    f = program.function()
    w = torch.tensor([2.0, -3.4, 1.0])
    assert float(f(w)) < 0.01  # the true weights fit the seeded data


def test_numeric_check_on_linear_regression_is_below_1e3(workspace: Workspace) -> None:
    program = _program(workspace, example("linreg-matrix").code, ("w",), "z")
    single, double = numeric_check(program.function, [workspace["w"]], ["w"])
    assert (single.dtype, double.dtype) == ("float32", "float64")
    assert single.max_error < 1e-3
    assert double.max_error < 1e-6
    assert single.leaves[0].checked == 3


def test_numeric_check_detects_a_wrong_gradient(workspace: Workspace) -> None:
    class Wrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * a  # should be 2 * g * a

    workspace.namespace["Wrong"] = Wrong
    program = _program(
        workspace, "x = torch.arange(1.0, 4.0, requires_grad=True)\ny = Wrong.apply(x).sum()", ("x",), "y"
    )
    assert numeric_check(program.function, [workspace["x"]], ["x"])[0].max_error > 0.5
    assert not run_gradcheck(program.function, [workspace["x"]]).passed


def test_gradcheck_passes_on_the_dot_example(workspace: Workspace) -> None:
    program = _program(workspace, example("dot").code, ("x",), "y")
    result = run_gradcheck(program.function, [workspace["x"]])
    assert result.passed, result.message


def test_jacobians_agree_and_count_passes(workspace: Workspace) -> None:
    program = _program(workspace, "x = torch.arange(4.0, requires_grad=True)\ny = x * x", ("x",), "y")
    result = compare_jacobians(program.function, [workspace["x"]])
    assert (result.inputs, result.outputs, result.forward_passes, result.reverse_passes) == (4, 4, 4, 4)
    assert torch.allclose(result.forward, torch.diag(2 * torch.arange(4.0, dtype=torch.float64)))
    assert result.max_difference == 0.0
    scalar = _program(workspace, example("linreg-dot").code, ("w",), "z")
    result = compare_jacobians(scalar.function, [workspace["w"]])
    assert (result.forward_passes, result.reverse_passes) == (3, 1)
    assert result.max_difference < 1e-9


def test_control_flow_example_checks(workspace: Workspace) -> None:
    program = _program(workspace, example("control").code, ("a",), "d")
    a = workspace["a"]
    assert numeric_check(program.function, [a], ["a"])[-1].max_error < 1e-6
    result = compare_jacobians(program.function, [a])
    assert result.max_difference < 1e-6
    assert torch.allclose(result.reverse.reshape(()), (workspace["d"] / a).double().detach())


def test_every_example_runs(workspace: Workspace) -> None:
    for case in EXAMPLES:
        result = run_code(case.code, workspace)
        assert result.error is None and result.root_name == case.root, case.key

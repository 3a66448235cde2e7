"""The course's autograd cases (d2l §2.5), as code the Graph pane runs and then inspects."""

from __future__ import annotations

import ast
from collections.abc import Collection, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AutogradExample:
    """A named case: the code to run, the tensor to inspect and what to try on it."""

    key: str
    title: str
    code: str
    root: str
    hint: str


EXAMPLES: tuple[AutogradExample, ...] = (
    AutogradExample(
        "dot",
        "y = 2⟨x, x⟩: backward gives x.grad = 4x",
        "x = torch.arange(4.0, requires_grad=True)\ny = 2 * torch.dot(x, x)",
        "y",
        "Backward: x.grad = 4x = [0, 4, 8, 12]. Backward again with retain_graph: it accumulates to 8x.",
    ),
    AutogradExample(
        "accumulate",
        "Gradients accumulate until x.grad.zero_()",
        "x = torch.arange(4.0, requires_grad=True)\ny = x.sum()",
        "y",
        "Backward with retain_graph twice: x.grad goes from ones to twos. Zero grads resets it.",
    ),
    AutogradExample(
        "nonscalar",
        "Non-scalar y = x·x: y.sum().backward()",
        "x = torch.arange(4.0, requires_grad=True)\ny = x * x",
        "y",
        "Backward on a vector fails: choose y.sum().backward() (or a gradient argument) to get 2x.",
    ),
    AutogradExample(
        "detach",
        "Detach: u = y.detach(); z = u·x gives x.grad = u",
        "x = torch.arange(4.0, requires_grad=True)\ny = x * x\nu = y.detach()\nz = u * x",
        "z",
        "u is a constant (the cut): after z.sum().backward(), x.grad equals u, not 3x².",
    ),
    AutogradExample(
        "control",
        "Python control flow: the graph depends on a",
        "def f(a):\n"
        "    b = a * 2\n"
        "    while b.norm() < 1000:\n"
        "        b = b * 2\n"
        "    if b.sum() > 0:\n"
        "        c = b\n"
        "    else:\n"
        "        c = 100 * b\n"
        "    return c\n"
        "torch.manual_seed(0)\n"
        "a = torch.randn(size=(), requires_grad=True)\n"
        "d = f(a)",
        "d",
        "The while loop ran a data-dependent number of times: the chain of MulBackward0 is its trace. "
        "f is piecewise linear, so a.grad == d / a.",
    ),
    AutogradExample(
        "linreg-dot",
        "Linear regression loss z = (⟨x, w⟩ − y)²",
        "x = torch.tensor([1.0, 2.0, 3.0])\nw = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)\n"
        "y = torch.tensor(3.0)\nz = (torch.dot(x, w) - y) ** 2",
        "z",
        "∂z/∂w = 2(⟨x, w⟩ − y)·x. Try the numeric check and forward vs reverse Jacobians.",
    ),
    AutogradExample(
        "linreg-matrix",
        "Linear regression, matrix form: z = ‖Xw − y‖²",
        "torch.manual_seed(0)\nX = torch.randn(10, 3)\ny = X @ torch.tensor([2.0, -3.4, 1.0]) + 0.01 * torch.randn(10)\n"
        "w = torch.zeros(3, requires_grad=True)\nz = ((X @ w - y) ** 2).sum()",
        "z",
        "∂z/∂w = 2Xᵀ(Xw − y). The numeric check compares it with central differences.",
    ),
)


def example(key: str) -> AutogradExample:
    """The example called ``key``; KeyError if there is none."""
    for candidate in EXAMPLES:
        if candidate.key == key:
            return candidate
    raise KeyError(key)


def bound_names(code: str) -> tuple[str, ...]:
    """The workspace names running ``code`` binds at the top level, in order (``x``, ``y``; ``f`` for a def)."""
    from tui_lab.core.autograd.program import _assigned_names

    names: list[str] = []
    for statement in ast.parse(code).body:
        names.extend(_assigned_names(statement))
    return tuple(dict.fromkeys(names))


def fresh_names(names: Collection[str], taken: Collection[str]) -> dict[str, str]:
    """``x -> x2, y -> y2``: one suffix for all ``names`` so that none of the new names is ``taken``."""
    suffix = 2
    while any(f"{name}{suffix}" in taken or f"{name}{suffix}" in names for name in names):
        suffix += 1
    return {name: f"{name}{suffix}" for name in names}


class _Renamer(ast.NodeTransformer):
    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.mapping.get(node.id, node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self.mapping.get(node.arg, node.arg)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        node.name = self.mapping.get(node.name, node.name)
        self.generic_visit(node)
        return node


def rename_bindings(code: str, mapping: Mapping[str, str]) -> str:
    """``code`` with every use of the names in ``mapping`` renamed (so an example keeps the user's names)."""
    if not mapping:
        return code
    tree = _Renamer(mapping).visit(ast.parse(code))
    return ast.unparse(ast.fix_missing_locations(tree))


def renamed(case: AutogradExample, mapping: Mapping[str, str]) -> AutogradExample:
    """``case`` with its names renamed by ``mapping`` (code, root and the hint's mentions of the root)."""
    if not mapping:
        return case
    return AutogradExample(
        case.key, case.title, rename_bindings(case.code, mapping), mapping.get(case.root, case.root), case.hint
    )

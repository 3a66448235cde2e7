"""The course's autograd cases (d2l §2.5), as code the Graph pane runs and then inspects."""

from __future__ import annotations

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

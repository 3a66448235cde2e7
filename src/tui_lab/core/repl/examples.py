"""Runnable snippets from d2l chapters 2.1–2.5, for the REPL's "Insert example…" command.

Each snippet runs on its own in a fresh workspace (torch and np are preloaded); a test
runs every one of them through the engine.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    """One snippet: its chapter section, a title and the code."""

    section: str
    title: str
    code: str

    @property
    def key(self) -> str:
        """A stable identifier for pickers."""
        return f"{self.section} {self.title}"


EXAMPLES: tuple[Example, ...] = (
    Example("2.1", "creation", "x = torch.arange(12, dtype=torch.float32)\nx.shape, x.numel()"),
    Example("2.1", "reshape", "X = torch.arange(12).reshape(3, 4)\nX"),
    Example(
        "2.1",
        "zeros, ones, randn, tensor",
        "torch.zeros((2, 3, 4)), torch.ones((2, 3, 4))\ntorch.randn(3, 4)\ntorch.tensor([[2, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])",
    ),
    Example(
        "2.1",
        "operations",
        "x = torch.tensor([1.0, 2, 4, 8])\ny = torch.tensor([2, 2, 2, 2])\nx + y, x - y, x * y, x / y, x ** y, torch.exp(x)",
    ),
    Example(
        "2.1",
        "concatenate",
        "X = torch.arange(12, dtype=torch.float32).reshape((3, 4))\nY = torch.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])\ntorch.cat((X, Y), dim=0), torch.cat((X, Y), dim=1)",
    ),
    Example("2.1", "broadcasting", "a = torch.arange(3).reshape((3, 1))\nb = torch.arange(2).reshape((1, 2))\na + b"),
    Example(
        "2.1",
        "indexing and slicing",
        "X = torch.arange(12, dtype=torch.float32).reshape((3, 4))\nX[1, 2] = 9\nX[0:2, :] = 12\nX[-1], X[1:3], X",
    ),
    Example(
        "2.1",
        "saving memory",
        "X = torch.ones(3, 4)\nY = torch.ones(3, 4)\nbefore = id(Y)\nY = Y + X\nprint(id(Y) == before)\nZ = torch.zeros_like(Y)\nbefore = id(Z)\nZ[:] = X + Y\nX += Y\nprint(id(Z) == before)",
    ),
    Example(
        "2.1",
        "NumPy conversion",
        "X = torch.ones(2, 3)\nA = X.numpy()\nB = torch.tensor(A)\na = torch.tensor([3.5])\ntype(A), type(B), a, a.item(), float(a), int(a)",
    ),
    Example(
        "2.3",
        "reductions with axis/keepdims",
        "A = torch.arange(20, dtype=torch.float32).reshape(5, 4)\nA.sum(), A.sum(axis=0), A.sum(axis=1), A.mean(axis=0)\nsum_A = A.sum(axis=1, keepdims=True)\nA / sum_A",
    ),
    Example("2.3", "cumsum", "A = torch.arange(20, dtype=torch.float32).reshape(5, 4)\nA.cumsum(axis=0)"),
    Example(
        "2.3",
        "dot, mv, mm",
        "x = torch.arange(4, dtype=torch.float32)\ny = torch.ones(4, dtype=torch.float32)\nA = torch.arange(20, dtype=torch.float32).reshape(5, 4)\nB = torch.ones(4, 3)\ntorch.dot(x, y), torch.mv(A, x), torch.mm(A, B)",
    ),
    Example(
        "2.3",
        "norms",
        "u = torch.tensor([3.0, -4.0])\ntorch.norm(u), torch.abs(u).sum(), torch.norm(torch.ones((4, 9)))",
    ),
    Example(
        "2.3",
        "broadcast error (C / C.sum(axis=1))",
        "C = torch.arange(12, dtype=torch.float32).reshape(3, 4)\nC / C.sum(axis=1)",
    ),
    Example(
        "2.5",
        "autograd basics",
        "x = torch.arange(4.0, requires_grad=True)\ny = 2 * torch.dot(x, x)\ny.backward()\nx.grad, x.grad == 4 * x",
    ),
    Example(
        "2.5",
        "detach",
        "x = torch.arange(4.0, requires_grad=True)\ny = x * x\nu = y.detach()\nz = u * x\nz.sum().backward()\nx.grad == u",
    ),
)


def example_by_key(key: str) -> Example | None:
    """The example whose :attr:`Example.key` is ``key``."""
    return next((e for e in EXAMPLES if e.key == key), None)

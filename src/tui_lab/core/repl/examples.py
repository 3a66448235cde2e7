"""Runnable snippets from d2l chapters 2.1–3.6, for the REPL's "Insert example…" command.

Each snippet runs on its own in a fresh workspace (torch and np are preloaded); a test
runs every one of them through the engine. The ``d2l`` snippets are the book's cells as printed.
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

#: The book's ``d2l`` cells (sections 2.4, 3.2, 3.3, 3.6), as printed: tui-lab provides ``d2l`` when
#: no real one is installed, and draws the plots as text in the log.
D2L_EXAMPLES: tuple[Example, ...] = (
    Example(
        "2.4",
        "d2l.plot: f(x) and its tangent line",
        "%matplotlib inline\nfrom d2l import torch as d2l\nimport numpy as np\n\ndef f(x):\n    return 3 * x ** 2 - 4 * x\n\n"
        "x = np.arange(0, 3, 0.1)\nd2l.plot(x, [f(x), 2 * x - 3], 'x', 'f(x)', legend=['f(x)', 'Tangent line (x=1)'])",
    ),
    Example(
        "3.2",
        "d2l: synthetic data and its scatter plot",
        "%matplotlib inline\nfrom d2l import torch as d2l\nimport torch\n\ntrue_w = d2l.tensor([2, -3.4])\ntrue_b = 4.2\n"
        "features, labels = d2l.synthetic_data(true_w, true_b, 1000)\n"
        "print('features:', features[0],'\\nlabel:', labels[0])\n"
        "d2l.set_figsize()\nd2l.plt.scatter(d2l.numpy(features[:, 1]), d2l.numpy(labels), 1);",
    ),
    Example(
        "3.2",
        "d2l: linear regression from scratch",
        "from d2l import torch as d2l\nimport random\n\ntrue_w = d2l.tensor([2, -3.4])\ntrue_b = 4.2\n"
        "features, labels = d2l.synthetic_data(true_w, true_b, 1000)\n\n"
        "def data_iter(batch_size, features, labels):\n    num_examples = len(features)\n"
        "    indices = list(range(num_examples))\n    random.shuffle(indices)\n"
        "    for i in range(0, num_examples, batch_size):\n"
        "        batch_indices = d2l.tensor(indices[i: min(i + batch_size, num_examples)])\n"
        "        yield features[batch_indices], labels[batch_indices]\n\n"
        "w = torch.normal(0, 0.01, size=(2,1), requires_grad=True)\nb = torch.zeros(1, requires_grad=True)\n"
        "lr, num_epochs, batch_size = 0.03, 3, 10\nnet, loss = d2l.linreg, d2l.squared_loss\n"
        "for epoch in range(num_epochs):\n    for X, y in data_iter(batch_size, features, labels):\n"
        "        l = loss(net(X, w, b), y)\n        l.sum().backward()\n        d2l.sgd([w, b], lr, batch_size)\n"
        "    with torch.no_grad():\n        train_l = loss(net(features, w, b), labels)\n"
        "        print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}')\n"
        "print(f'error in estimating w: {true_w - d2l.reshape(w, true_w.shape)}')\n"
        "print(f'error in estimating b: {true_b - b}')",
    ),
    Example(
        "3.3",
        "d2l: concise linear regression",
        "from d2l import torch as d2l\nfrom torch import nn\n\ntrue_w = d2l.tensor([2, -3.4])\ntrue_b = 4.2\n"
        "features, labels = d2l.synthetic_data(true_w, true_b, 1000)\n"
        "data_iter = d2l.load_array((features, labels), 10)\nnet = nn.Sequential(nn.Linear(2, 1))\n"
        "net[0].weight.data.normal_(0, 0.01)\nnet[0].bias.data.fill_(0)\nloss = nn.MSELoss()\n"
        "trainer = torch.optim.SGD(net.parameters(), lr=0.03)\n"
        "for epoch in range(3):\n    for X, y in data_iter:\n        l = loss(net(X) ,y)\n"
        "        trainer.zero_grad()\n        l.backward()\n        trainer.step()\n"
        "    l = loss(net(features), labels)\n    print(f'epoch {epoch + 1}, loss {l:f}')\n"
        "w = net[0].weight.data\nprint('error in estimating w:', true_w - d2l.reshape(w, true_w.shape))\n"
        "b = net[0].bias.data\nprint('error in estimating b:', true_b - b)",
    ),
    Example(
        "3.6",
        "d2l.Animator: a live training curve",
        "from d2l import torch as d2l\nfrom torch import nn\n\n"
        "features, labels = d2l.synthetic_data(d2l.tensor([2, -3.4]), 4.2, 1000)\n"
        "data_iter = d2l.load_array((features, labels), 10)\nnet = nn.Sequential(nn.Linear(2, 1))\n"
        "loss = nn.MSELoss()\ntrainer = torch.optim.SGD(net.parameters(), lr=0.01)\n"
        "animator = d2l.Animator(xlabel='epoch', ylabel='loss', yscale='log', legend=['train loss'])\n"
        "for epoch in range(10):\n    for X, y in data_iter:\n        trainer.zero_grad()\n"
        "        loss(net(X), y).backward()\n        trainer.step()\n"
        "    with torch.no_grad():\n        animator.add(epoch + 1, float(loss(net(features), labels)))",
    ),
)

EXAMPLES = EXAMPLES + D2L_EXAMPLES


def example_by_key(key: str) -> Example | None:
    """The example whose :attr:`Example.key` is ``key``."""
    return next((e for e in EXAMPLES if e.key == key), None)

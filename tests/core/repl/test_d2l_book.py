"""The book's cells, pasted one by one into the REPL engine, run as printed (d2l 0.17, PyTorch).

Each cell below is written out as the book prints it (sections 3.2 and 3.3, and the calculus
section's tangent-line plot). The tests assert on the results the book shows: three
``epoch N, loss 0.0...`` lines, small errors in ``w`` and ``b``, and plots in the output.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

import pytest
import torch

from tui_lab.core.repl import figures
from tui_lab.core.repl.engine import InputResult, ReplEngine
from tui_lab.core.workspace import Workspace

SCRATCH_CELLS = [
    "%matplotlib inline\nfrom d2l import torch as d2l\nimport torch\nimport random",
    'def synthetic_data(w, b, num_examples):  #@save\n    """Generate y = Xw + b + noise."""\n'
    "    X = d2l.normal(0, 1, (num_examples, len(w)))\n    y = d2l.matmul(X, w) + b\n"
    "    y += d2l.normal(0, 0.01, y.shape)\n    return X, d2l.reshape(y, (-1, 1))",
    "true_w = d2l.tensor([2, -3.4])\ntrue_b = 4.2\nfeatures, labels = synthetic_data(true_w, true_b, 1000)",
    "print('features:', features[0],'\\nlabel:', labels[0])",
    "d2l.set_figsize()\n# The semicolon is for displaying the plot only\n"
    "d2l.plt.scatter(d2l.numpy(features[:, 1]), d2l.numpy(labels), 1);",
    "def data_iter(batch_size, features, labels):\n    num_examples = len(features)\n"
    "    indices = list(range(num_examples))\n    # The examples are read at random, in no particular order\n"
    "    random.shuffle(indices)\n    for i in range(0, num_examples, batch_size):\n"
    "        batch_indices = d2l.tensor(\n            indices[i: min(i + batch_size, num_examples)])\n"
    "        yield features[batch_indices], labels[batch_indices]",
    "batch_size = 10\n\nfor X, y in data_iter(batch_size, features, labels):\n    print(X, '\\n', y)\n    break",
    "w = torch.normal(0, 0.01, size=(2,1), requires_grad=True)\nb = torch.zeros(1, requires_grad=True)",
    'def linreg(X, w, b):  #@save\n    """The linear regression model."""\n    return d2l.matmul(X, w) + b',
    'def squared_loss(y_hat, y):  #@save\n    """Squared loss."""\n'
    "    return (y_hat - d2l.reshape(y, y_hat.shape)) ** 2 / 2",
    'def sgd(params, lr, batch_size):  #@save\n    """Minibatch stochastic gradient descent."""\n'
    "    with torch.no_grad():\n        for param in params:\n"
    "            param -= lr * param.grad / batch_size\n            param.grad.zero_()",
    "lr = 0.03\nnum_epochs = 3\nnet = linreg\nloss = squared_loss",
    "for epoch in range(num_epochs):\n    for X, y in data_iter(batch_size, features, labels):\n"
    "        l = loss(net(X, w, b), y)  # Minibatch loss in `X` and `y`\n"
    "        # Compute gradient on `l` with respect to [`w`, `b`]\n        l.sum().backward()\n"
    "        sgd([w, b], lr, batch_size)  # Update parameters using their gradient\n"
    "    with torch.no_grad():\n        train_l = loss(net(features, w, b), labels)\n"
    "        print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}')",
    "print(f'error in estimating w: {true_w - d2l.reshape(w, true_w.shape)}')\n"
    "print(f'error in estimating b: {true_b - b}')",
]

CONCISE_CELLS = [
    "from d2l import torch as d2l\nimport numpy as np\nimport torch\nfrom torch.utils import data",
    "true_w = d2l.tensor([2, -3.4])\ntrue_b = 4.2\nfeatures, labels = d2l.synthetic_data(true_w, true_b, 1000)",
    'def load_array(data_arrays, batch_size, is_train=True):  #@save\n    """Construct a PyTorch data iterator."""\n'
    "    dataset = data.TensorDataset(*data_arrays)\n    return data.DataLoader(dataset, batch_size, shuffle=is_train)",
    "batch_size = 10\ndata_iter = load_array((features, labels), batch_size)",
    "next(iter(data_iter))",
    "# `nn` is an abbreviation for neural networks\nfrom torch import nn\nnet = nn.Sequential(nn.Linear(2, 1))",
    "net[0].weight.data.normal_(0, 0.01)\nnet[0].bias.data.fill_(0)",
    "loss = nn.MSELoss()",
    "trainer = torch.optim.SGD(net.parameters(), lr=0.03)",
    "num_epochs = 3\nfor epoch in range(num_epochs):\n    for X, y in data_iter:\n        l = loss(net(X) ,y)\n"
    "        trainer.zero_grad()\n        l.backward()\n        trainer.step()\n    l = loss(net(features), labels)\n"
    "    print(f'epoch {epoch + 1}, loss {l:f}')",
    "w = net[0].weight.data\nprint('error in estimating w:', true_w - d2l.reshape(w, true_w.shape))\n"
    "b = net[0].bias.data\nprint('error in estimating b:', true_b - b)",
]

CALCULUS_CELLS = [
    "%matplotlib inline\nfrom d2l import torch as d2l\nfrom matplotlib_inline import backend_inline\n"
    "import numpy as np\n\ndef f(x):\n    return 3 * x ** 2 - 4 * x",
    "def numerical_lim(f, x, h):\n    return (f(x + h) - f(x)) / h\n\nh = 0.1\nfor i in range(5):\n"
    "    print(f'h={h:.5f}, numerical limit={numerical_lim(f, 1, h):.5f}')\n    h *= 0.1",
    "x = np.arange(0, 3, 0.1)\nd2l.plot(x, [f(x), 2 * x - 3], 'x', 'f(x)', legend=['f(x)', 'Tangent line (x=1)'])",
]


@pytest.fixture
def engine(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplEngine]:
    """An engine on a fresh workspace; ``d2l`` is imported afresh by each test, drawing text plots (no matplotlib).

    tests/core/repl/test_figures_book.py runs the same cells with matplotlib's figures.
    """
    monkeypatch.setattr(figures, "matplotlib_available", lambda: False)
    for name in [n for n in sys.modules if n == "d2l" or n.startswith("d2l.")]:
        del sys.modules[name]
    yield ReplEngine(workspace)
    for name in [n for n in sys.modules if n == "d2l" or n.startswith("d2l.")]:
        del sys.modules[name]


def paste(engine: ReplEngine, cells: list[str], width: int = 70) -> list[InputResult]:
    """Run ``cells`` in order, as a learner pasting them; every one must succeed."""
    results = []
    for cell in cells:
        result = engine.run(cell, width=width)
        assert result.error is None, f"{cell!r}\n{result.error.traceback}"
        results.append(result)
    return results


def stdout(result: InputResult) -> str:
    return "".join(c.text for c in result.outputs if c.stream == "stdout")


def blocks(result: InputResult) -> list[str]:
    return [c.text for c in result.outputs if c.stream == "display"]


def check_training(result: InputResult) -> None:
    lines = stdout(result).splitlines()
    assert [line.split(",")[0] for line in lines] == ["epoch 1", "epoch 2", "epoch 3"]
    assert all(re.fullmatch(r"epoch \d, loss 0\.\d{6}", line) for line in lines), lines
    losses = [float(line.rsplit(" ", 1)[1]) for line in lines]
    assert losses[0] < 0.1 and losses[-1] < 0.001, losses


def check_errors(result: InputResult) -> None:
    text = stdout(result)
    w_line, b_line = text.splitlines()[:2]
    assert w_line.startswith("error in estimating w: tensor([") or w_line.startswith("error in estimating w: tensor(")
    numbers = [float(n) for n in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", text)]
    assert numbers and all(abs(n) < 0.02 for n in numbers), text


def test_scratch_section_runs_as_printed(engine: ReplEngine) -> None:
    torch.manual_seed(0)
    results = paste(engine, SCRATCH_CELLS)
    first = results[0]
    assert first.notes and first.notes[0].startswith("%matplotlib inline: skipped")
    assert stdout(results[3]).startswith("features: tensor([")
    scatter = results[4]
    assert scatter.value_repr is None, "the trailing ';' hides Out[n], as in the notebook"
    [picture] = blocks(scatter)
    assert "┌" in picture and "└" in picture and len(picture.splitlines()) >= 8
    assert max(len(line) for line in picture.splitlines()) <= 70
    check_training(results[-2])
    check_errors(results[-1])


def test_concise_section_runs_as_printed(engine: ReplEngine) -> None:
    torch.manual_seed(0)
    results = paste(engine, CONCISE_CELLS)
    assert results[4].value_repr is not None and results[4].value_repr.startswith("[tensor([[")
    check_training(results[-2])
    check_errors(results[-1])


def test_concise_section_with_the_modules_load_array(engine: ReplEngine) -> None:
    torch.manual_seed(1)
    cells = [c for c in CONCISE_CELLS if not c.startswith("def load_array")]
    cells[cells.index("batch_size = 10\ndata_iter = load_array((features, labels), batch_size)")] = (
        "batch_size = 10\ndata_iter = d2l.load_array((features, labels), batch_size)"
    )
    results = paste(engine, cells)
    assert type(engine.workspace["data_iter"]).__name__ == "DataLoader"
    check_training(results[-2])


def test_calculus_tangent_line_plot(engine: ReplEngine) -> None:
    results = paste(engine, CALCULUS_CELLS, width=60)
    assert "h=0.00001, numerical limit=2.00003" in stdout(results[1])
    [picture] = blocks(results[2])
    lines = picture.splitlines()
    assert "f(x)" in picture and "Tangent line (x=1)" in picture and "x" in lines[-1]
    assert all(len(line) <= 60 for line in lines)
    assert results[2].value_repr is None  # d2l.plot returns None

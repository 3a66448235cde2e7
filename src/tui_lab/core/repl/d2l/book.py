"""tui-lab's ``d2l.torch``: the helpers of *Dive into Deep Learning* chapters 2–3, for PyTorch.

Same names, signatures and results as the book's ``d2l`` package (0.17, PyTorch edition),
written afresh: the framework aliases (``d2l.tensor``, ``d2l.reshape``, ``d2l.normal``...),
``synthetic_data``, ``linreg``, ``squared_loss``, ``sgd``, ``load_array``, ``Timer``,
``Accumulator``, ``Animator``, ``plot``, ``set_figsize``, ``use_svg_display``, the softmax
chapter's training helpers, ``try_gpu``/``try_all_gpus`` and ``plt``. With matplotlib
installed, ``d2l.plt`` is the real pyplot and the plots are matplotlib's figures in the REPL log
(``Animator`` the book's, on a figure); without it they are drawn as text (``d2l.plt`` is a
stand-in, :mod:`.pyplot`). Any other name raises an ``AttributeError`` saying where the book
defines it. Imported by ``from d2l import torch as d2l`` when no real ``d2l`` is installed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, SupportsFloat, SupportsInt, TypeAlias

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F  # noqa: F401 - d2l.F, as in the book's module
from torch.utils import data

from tui_lab.core.repl import figures
from tui_lab.core.repl.d2l.animator import Animator as TextAnimator
from tui_lab.core.repl.d2l.animator import FigureAnimator, set_axes
from tui_lab.core.repl.d2l.index import missing_attribute
from tui_lab.core.repl.d2l.pyplot import plt as text_plt
from tui_lab.core.repl.d2l.selection import selected_device

if TYPE_CHECKING:
    from tui_lab.core.repl.d2l.animator import Limits

#: What the book plots: a tensor, a NumPy array, a number or a (nested) sequence of them, as matplotlib takes.
ArrayLike: TypeAlias = "torch.Tensor | np.ndarray | float | Sequence[ArrayLike]"
#: One curve's values or several curves' (``plot(x, [f(x), g(x)])``): a tensor, an array, a list or a tuple.
Curves: TypeAlias = "torch.Tensor | np.ndarray | list[ArrayLike] | tuple[ArrayLike, ...]"
#: A model as the book's training helpers call it: ``net(X)`` (an ``nn.Module`` or a function).
Net: TypeAlias = Callable[[torch.Tensor], torch.Tensor]
#: A loss as the book's training helpers call it: ``loss(y_hat, y)``, one value per example.
Loss: TypeAlias = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
#: Minibatches ``(X, y)``: a ``DataLoader``, or any iterable of pairs.
Batches: TypeAlias = Iterable[tuple[torch.Tensor, torch.Tensor]]

#: The book's pyplot and Animator: matplotlib's where it is installed (chosen by :func:`exported`).
plt: Any = text_plt  # Any: matplotlib's pyplot module or the text stand-in, chosen at run time
Animator: type[TextAnimator | FigureAnimator] = TextAnimator

# -- framework aliases (the book's d2l.torch defines these names for its framework-neutral code) --
ones = torch.ones
zeros = torch.zeros
tensor = torch.tensor
arange = torch.arange
meshgrid = torch.meshgrid
sin, sinh, cos, cosh, tanh = torch.sin, torch.sinh, torch.cos, torch.cosh, torch.tanh
linspace = torch.linspace
exp = torch.exp
log = torch.log
normal = torch.normal
rand = torch.rand
matmul = torch.matmul
int32 = torch.int32
float32 = torch.float32
concat = torch.cat
stack = torch.stack
abs = torch.abs  # noqa: A001 - the book's name
eye = torch.eye


# Any: the aliases below are the book's ``lambda x, *args, **kwargs: x.method(*args, **kwargs)``: what they are
# given goes to torch's method, whose overloads check it.


def numpy(x: torch.Tensor, *args: Any, **kwargs: Any) -> np.ndarray:
    """The tensor as a NumPy array (detached; copied to the CPU first when it lives on a GPU)."""
    return x.detach().cpu().numpy(*args, **kwargs)


def size(x: torch.Tensor, *args: Any, **kwargs: Any) -> int:
    """Number of elements."""
    return x.numel(*args, **kwargs)


def reshape(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    return x.reshape(*args, **kwargs)


def to(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    return x.to(*args, **kwargs)


def reduce_sum(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    return x.sum(*args, **kwargs)


def argmax(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    return x.argmax(*args, **kwargs)


def astype(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    converted: torch.Tensor = x.type(*args, **kwargs)
    return converted


def transpose(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    return x.t(*args, **kwargs)


# -- 2.4 Calculus: plotting -------------------------------------------------------------------


def use_svg_display() -> None:
    """A no-op: the book switches notebooks to SVG; the terminal shows pixels (a figure is saved as SVG with a key)."""


def set_figsize(figsize: Sequence[float] = (3.5, 2.5)) -> None:
    """Size (in the book's inches) of the figures drawn next; the log's width sets the columns."""
    use_svg_display()
    plt.rcParams["figure.figsize"] = tuple(figsize)


def _one_axis(values: ArrayLike) -> bool:
    """True for a 1-D tensor/array, or a list of numbers (not a list of curves)."""
    if hasattr(values, "ndim"):
        return bool(values.ndim == 1)
    return isinstance(values, list) and not hasattr(values[0], "__len__")


def plot(
    X: Curves,
    Y: Curves | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    legend: Sequence[str] | None = None,
    xlim: Limits = None,
    ylim: Limits = None,
    xscale: str = "linear",
    yscale: str = "linear",
    fmts: Sequence[str] = ("-", "m--", "g-.", "r:"),
    figsize: Sequence[float] = (3.5, 2.5),
    axes: Any = None,  # Any: a matplotlib Axes or the text stand-in's (as plt is)
) -> None:
    """Plot one or more curves, as the book's ``d2l.plot``: ``plot(x, [f(x), g(x)], 'x', 'f(x)', legend=[...])``."""
    set_figsize(figsize)
    axes = axes if axes else plt.gca()
    if _one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif _one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts, strict=False):
        if len(x):
            axes.plot(_plain(x), _plain(y), fmt)
        else:
            axes.plot(_plain(y), fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend or [])


def _plain(values: ArrayLike) -> ArrayLike:
    """A tensor as matplotlib takes it (detached, on the CPU): the book plots ``x`` that requires grad."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return values


# -- 3.1–3.3 Linear regression ------------------------------------------------------------------


class Timer:
    """Records several running times (``start``, ``stop``, ``avg``, ``sum``, ``cumsum``)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.start()

    def start(self) -> None:
        """Start timing."""
        self.tik = time.time()

    def stop(self) -> float:
        """Stop, record and return the time since :meth:`start`."""
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def avg(self) -> float:
        return sum(self.times) / len(self.times)

    def sum(self) -> float:
        return sum(self.times)

    def cumsum(self) -> list[float]:
        totals: list[float] = np.array(self.times).cumsum().tolist()
        return totals


def synthetic_data(w: torch.Tensor, b: torch.Tensor | float, num_examples: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``num_examples`` rows of standard normal features and labels ``Xw + b`` plus N(0, 0.01²) noise."""
    X = normal(0, 1, (num_examples, len(w)))
    y = matmul(X, w) + b
    y += normal(0, 0.01, y.shape)
    return X, reshape(y, (-1, 1))


def linreg(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor | float) -> torch.Tensor:
    """The linear regression model ``Xw + b``."""
    out: torch.Tensor = matmul(X, w) + b
    return out


def squared_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Half the squared error, element-wise, in ``y_hat``'s shape."""
    return (y_hat - reshape(y, y_hat.shape)) ** 2 / 2


def sgd(params: Iterable[torch.Tensor], lr: float, batch_size: int) -> None:
    """Minibatch SGD: step each parameter by ``lr * grad / batch_size`` in place, then zero its gradient."""
    with torch.no_grad():
        for param in params:
            grad: Any = param.grad  # Any: None until backward() ran, and then this fails as the book's does
            param -= lr * grad / batch_size
            grad.zero_()


def load_array(data_arrays: Sequence[torch.Tensor], batch_size: int, is_train: bool = True) -> data.DataLoader:
    """A PyTorch ``DataLoader`` over the tensors, shuffled when ``is_train``."""
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


# -- 3.5–3.6 Softmax regression (the parts that need no download) ---------------------------------


def get_fashion_mnist_labels(labels: Iterable[SupportsInt]) -> list[str]:
    """Fashion-MNIST's text labels for numeric ones."""
    names = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]
    return [names[int(i)] for i in labels]


class Accumulator:
    """Sums over ``n`` variables (``add``, ``reset``, indexing)."""

    def __init__(self, n: int) -> None:
        self.data = [0.0] * n

    def add(self, *args: SupportsFloat) -> None:
        self.data = [a + float(b) for a, b in zip(self.data, args, strict=False)]

    def reset(self) -> None:
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx: int) -> float:
        return self.data[idx]


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """How many predictions (argmax of each row when ``y_hat`` has several columns) equal ``y``."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = argmax(y_hat, axis=1)
    cmp = astype(y_hat, y.dtype) == y
    return float(reduce_sum(astype(cmp, y.dtype)))


def evaluate_accuracy(net: Net, data_iter: Batches) -> float:
    """The model's accuracy over a dataset (in eval mode, without gradients)."""
    if isinstance(net, nn.Module):
        net.eval()
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), size(y))
    return metric[0] / metric[1]


def train_epoch_ch3(
    net: Net, train_iter: Batches, loss: Loss, updater: torch.optim.Optimizer | Callable[[int], object]
) -> tuple[float, float]:
    """One training epoch; returns the mean loss and the accuracy over the examples seen."""
    if isinstance(net, nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)  # noqa: E741 - the book's name
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


def train_ch3(
    net: Net,
    train_iter: Batches,
    test_iter: Batches,
    loss: Loss,
    num_epochs: int,
    updater: torch.optim.Optimizer | Callable[[int], object],
) -> None:
    """Train and plot train loss, train and test accuracy live; checks the book's thresholds at the end."""
    animator = Animator(
        xlabel="epoch", xlim=[1, num_epochs], ylim=[0.3, 0.9], legend=["train loss", "train acc", "test acc"]
    )
    for epoch in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        animator.add(epoch + 1, (*train_metrics, test_acc))
    train_loss, train_acc = train_metrics
    assert train_loss < 0.5, train_loss
    assert train_acc <= 1 and train_acc > 0.7, train_acc
    assert test_acc <= 1 and test_acc > 0.7, test_acc


# -- 5.6 GPUs, honouring the device chosen in tui-lab's status bar ------------------------------------


def try_gpu(i: int = 0) -> torch.device:
    """GPU ``i`` if it exists, else the CPU. Inside tui-lab, ``try_gpu()`` is the device chosen with F12."""
    selected = selected_device()
    if selected is not None and i == 0:
        return torch.device(selected)
    if selected == "cpu":
        return torch.device("cpu")
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")


def try_all_gpus() -> list[torch.device]:
    """Every GPU, or ``[cpu]`` when there is none. Inside tui-lab, the device chosen with F12 comes first (cpu: only it)."""
    selected = selected_device()
    if selected is not None and not selected.startswith("cuda"):
        return [torch.device(selected)]
    devices = [torch.device(f"cuda:{i}") for i in range(torch.cuda.device_count())]
    if selected is not None:
        devices.sort(key=lambda device: device != torch.device(selected))
    return devices if devices else [torch.device("cpu")]


_EXPORTED = (
    "ones zeros tensor arange meshgrid sin sinh cos cosh tanh linspace exp log normal rand matmul int32 "
    "float32 concat stack abs eye numpy size reshape to reduce_sum argmax astype transpose "
    "use_svg_display set_figsize set_axes plot Timer synthetic_data linreg squared_loss sgd load_array "
    "get_fashion_mnist_labels Accumulator accuracy evaluate_accuracy train_epoch_ch3 Animator train_ch3 "
    "try_gpu try_all_gpus plt torch nn F np data"
).split()


def exported() -> dict[str, object]:
    """The names ``d2l.torch`` has, as the book's module does (``plt`` and ``Animator`` matplotlib's when installed)."""
    global plt, Animator
    if figures.matplotlib_available():
        figures.select_backend()
        import matplotlib.pyplot

        plt, Animator = matplotlib.pyplot, FigureAnimator
    else:
        plt, Animator = text_plt, TextAnimator
    namespace = globals()
    return {name: namespace[name] for name in _EXPORTED} | {"__getattr__": missing_attribute}

"""Plain-language explanations of the autograd errors a learner meets in the course.

Every :class:`Explanation` carries a :class:`ExplanationKind` besides its human title, so code
decides on the kind (offer a rebuild after a freed graph, a ``.sum()`` for a vector root) and
the title stays free to be reworded.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from enum import Enum

#: The file name the Graph pane compiles its input under, to find user lines in tracebacks.
SOURCE_FILENAME = "<graph-input>"


class ExplanationKind(Enum):
    """What an explanation is about: the value code branches on (never the title)."""

    FREED_GRAPH = "freed-graph"
    NEEDS_SCALAR = "needs-scalar"
    INPLACE_LEAF = "inplace-leaf"
    INPLACE_SAVED = "inplace-saved"
    NO_GRAD_FN = "no-grad-fn"
    INTEGER_GRAD = "integer-grad"
    INTERRUPTED = "interrupted"
    SYNTAX = "syntax"
    USER_ERROR = "user-error"
    NOTHING_TO_RUN = "nothing-to-run"
    NOTHING_TO_INSPECT = "nothing-to-inspect"
    NOT_A_TENSOR = "not-a-tensor"
    LEAF_WITHOUT_GRAPH = "leaf-without-graph"
    NO_GRAPH = "no-graph"
    NO_REPLAY = "no-replay"
    TRAINING_STEP = "training-step"
    UNNAMED_LEAVES = "unnamed-leaves"
    TORCH_NOT_READY = "torch-not-ready"
    CHECK_FAILED = "check-failed"
    INTERNAL_ERROR = "internal-error"


@dataclass(frozen=True)
class Explanation:
    """A titled explanation; ``line`` is the 1-based line of the user's code, when known."""

    title: str
    message: str
    line: int | None = None
    kind: ExplanationKind = ExplanationKind.USER_ERROR


_KNOWN: tuple[tuple[str, ExplanationKind, str, str], ...] = (
    (
        "backward through the graph a second time",
        ExplanationKind.FREED_GRAPH,
        "Backward through a freed graph",
        "backward() frees the intermediate values the graph saved (to save memory), so a second backward "
        "through the same graph fails. Pass retain_graph=True to keep them, or run "
        "the code again to rebuild the graph. Each backward adds into .grad: zero it between runs.",
    ),
    (
        "grad can be implicitly created only for scalar outputs",
        ExplanationKind.NEEDS_SCALAR,
        "Backward needs a scalar",
        "backward() without arguments only works on a scalar (a loss). For a vector y, either reduce it "
        "first, y.sum().backward() (the gradient of the sum is the sum of gradients), or pass the vector "
        "v to contract with: y.backward(gradient=torch.ones_like(y)).",
    ),
    (
        "a leaf Variable that requires grad is being used in an in-place operation",
        ExplanationKind.INPLACE_LEAF,
        "In-place change to a leaf that requires grad",
        "Changing a leaf that requires grad in place (w -= lr * w.grad) would be recorded in the graph "
        "and corrupt it, so autograd forbids it. Parameter updates are not part of the model: run them "
        "without recording, as the course's hand-written SGD does:\n"
        "    with torch.no_grad():\n        w -= lr * w.grad\n        w.grad.zero_()",
    ),
    (
        "has been modified by an inplace operation",
        ExplanationKind.INPLACE_SAVED,
        "A saved value was changed in place",
        "A tensor that backward needs (a saved tensor) was changed in place after it was used, so the "
        "gradient would be wrong. Use an out-of-place op (y = y + 1 instead of y += 1) or clone first.",
    ),
    (
        "does not require grad and does not have a grad_fn",
        ExplanationKind.NO_GRAD_FN,
        "No graph to backpropagate",
        "This tensor has no grad_fn, so autograd recorded nothing to go back through: none of its inputs "
        "required grad, or it was computed under torch.no_grad(), from .detach() or by an operation "
        "without a gradient. Create the input with requires_grad=True, e.g. "
        "x = torch.arange(4.0, requires_grad=True), and compute it again.",
    ),
    (
        "only Tensors of floating point",
        ExplanationKind.INTEGER_GRAD,
        "Integers cannot require grad",
        "Gradients need floating point numbers: use torch.arange(4.0, ...) rather than torch.arange(4, ...) "
        "or pass dtype=torch.float32.",
    ),
)


def user_line(error: BaseException, filename: str = SOURCE_FILENAME) -> int | None:
    """The last line of ``filename`` in ``error``'s traceback (or a SyntaxError's line)."""
    if isinstance(error, SyntaxError) and error.filename == filename:
        return error.lineno
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    return line


def explain_exception(error: BaseException, source: str = "", filename: str = SOURCE_FILENAME) -> Explanation:
    """A clear explanation of ``error`` raised by the user's code or by an autograd call."""
    text = str(error)
    line = user_line(error, filename)
    where = ""
    if line is not None:
        lines = source.splitlines()
        code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        where = f"\nAt line {line}: {code}" if code else f"\nAt line {line}."
    for needle, known, title, message in _KNOWN:
        if needle in text:
            return Explanation(title, f"{message}\n\nPyTorch said: {text.splitlines()[0]}{where}", line, known)
    if isinstance(error, KeyboardInterrupt):
        return Explanation(
            "Interrupted",
            f"ctrl+c stopped your code{where or '.'}\nNames it bound before the stop keep their new values; "
            "the rest of the workspace is unchanged. A long C-level torch call finishes before the stop "
            "takes effect, as in plain Python.",
            line,
            ExplanationKind.INTERRUPTED,
        )
    if isinstance(error, SyntaxError):
        return Explanation("Syntax error", f"{error.msg}{where}", line, ExplanationKind.SYNTAX)
    name = type(error).__name__
    return Explanation(f"{name} in your code" if line else name, f"{name}: {text}{where}", line)

"""Plain-language explanations of the autograd errors a learner meets in the course."""

from __future__ import annotations

import traceback
from dataclasses import dataclass

#: The file name the Graph pane compiles its input under, to find user lines in tracebacks.
SOURCE_FILENAME = "<graph-input>"


@dataclass(frozen=True)
class Explanation:
    """A titled explanation; ``line`` is the 1-based line of the user's code, when known."""

    title: str
    message: str
    line: int | None = None


_KNOWN: tuple[tuple[str, str, str], ...] = (
    (
        "backward through the graph a second time",
        "Backward through a freed graph",
        "backward() frees the intermediate values the graph saved (to save memory), so a second backward "
        "through the same graph fails. Pass retain_graph=True to keep them, or run "
        "the code again to rebuild the graph. Each backward adds into .grad: zero it between runs.",
    ),
    (
        "grad can be implicitly created only for scalar outputs",
        "Backward needs a scalar",
        "backward() without arguments only works on a scalar (a loss). For a vector y, either reduce it "
        "first, y.sum().backward() (the gradient of the sum is the sum of gradients), or pass the vector "
        "v to contract with: y.backward(gradient=torch.ones_like(y)).",
    ),
    (
        "a leaf Variable that requires grad is being used in an in-place operation",
        "In-place change to a leaf that requires grad",
        "Changing a leaf that requires grad in place (w -= lr * w.grad) would be recorded in the graph "
        "and corrupt it, so autograd forbids it. Parameter updates are not part of the model: run them "
        "without recording, as the course's hand-written SGD does:\n"
        "    with torch.no_grad():\n        w -= lr * w.grad\n        w.grad.zero_()",
    ),
    (
        "has been modified by an inplace operation",
        "A saved value was changed in place",
        "A tensor that backward needs (a saved tensor) was changed in place after it was used, so the "
        "gradient would be wrong. Use an out-of-place op (y = y + 1 instead of y += 1) or clone first.",
    ),
    (
        "does not require grad and does not have a grad_fn",
        "No graph to backpropagate",
        "None of the tensors this was computed from requires grad, so autograd recorded nothing. Create "
        "the input with requires_grad=True, e.g. x = torch.arange(4.0, requires_grad=True).",
    ),
    (
        "only Tensors of floating point",
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
    for needle, title, message in _KNOWN:
        if needle in text:
            return Explanation(title, f"{message}\n\nPyTorch said: {text.splitlines()[0]}{where}", line)
    if isinstance(error, KeyboardInterrupt):
        return Explanation(
            "Interrupted",
            f"ctrl+c stopped your code{where or '.'}\nNames it bound before the stop keep their new values; "
            "the rest of the workspace is unchanged. A long C-level torch call finishes before the stop "
            "takes effect, as in plain Python.",
            line,
        )
    if isinstance(error, SyntaxError):
        return Explanation("Syntax error", f"{error.msg}{where}", line)
    kind = type(error).__name__
    return Explanation(f"{kind} in your code" if line else kind, f"{kind}: {text}{where}", line)

"""One-line hints for the errors the book's readers meet, keyed by exception type and message.

A teaching REPL says what to do: ``inputs.fillna(inputs.mean())`` fails on pandas ≥ 2 (the book
was written for pandas 1), ``import matplotlib.pyplot`` fails where matplotlib is not installed,
and autograd's errors name the rule but not the fix. Each :class:`Hint` matches an exception
type (or a subclass) and a pattern on its message, and writes the hint, using the line of the
learner's input that failed where it helps (``inputs.mean(numeric_only=True)``). Hints are text:
names from the learner's line appear in them as written, and the UI shows them as plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

#: A reduction called without arguments on the failing line: ``inputs.mean()``, ``df.iloc[:, 0:2].median()``.
_REDUCTION_CALL = re.compile(r"([A-Za-z_][\w.]*(?:\[[^\]\n]*\])*)\.(mean|median|std|var|sum|prod)\(\s*\)")


@dataclass(frozen=True)
class Hint:
    """A hint for exceptions of ``exception`` (or a subclass) whose message matches ``pattern``."""

    exception: type[BaseException]
    pattern: re.Pattern[str]
    #: (the message's match, the failing line of the learner's input) -> the hint, or None after all.
    write: Callable[[re.Match[str], str], str | None]


def _numeric_only(match: re.Match[str], line: str) -> str | None:
    call = _REDUCTION_CALL.search(line)
    if call is None:
        return (
            "pandas ≥ 2 no longer skips text columns in mean() and other reductions: "
            "pass numeric_only=True, e.g. df.mean(numeric_only=True)"
        )
    name, reduction = call.group(1), call.group(2)
    return (
        f"pandas ≥ 2 no longer skips text columns in {reduction}() (the book was written for pandas 1): "
        f"use {name}.{reduction}(numeric_only=True)"
    )


def _matplotlib(match: re.Match[str], line: str) -> str:
    return (
        "matplotlib is not installed. The book's plots draw as text without it: "
        "`from d2l import torch as d2l`, then d2l.plot(...) or d2l.plt. "
        "For matplotlib itself: pip install 'tui-lab[plots]'"
    )


def _constant(text: str) -> Callable[[re.Match[str], str], str]:
    return lambda match, line: text


HINTS: tuple[Hint, ...] = (
    Hint(
        TypeError,
        re.compile(
            r"Could not convert .* to numeric|Cannot perform reduction '\w+' with string dtype"
            r"|unsupported operand type\(s\) for [+/]: '\w+' and 'str'|can only concatenate str",
            re.S,
        ),
        _numeric_only,
    ),
    Hint(ModuleNotFoundError, re.compile(r"No module named 'matplotlib(\.[\w.]+)?'"), _matplotlib),
    Hint(
        RuntimeError,
        re.compile(r"a leaf Variable that requires grad is being used in an in-place operation"),
        _constant(
            "update parameters inside `with torch.no_grad():` (as the book's sgd does), "
            "so autograd does not record the update"
        ),
    ),
    Hint(
        RuntimeError,
        re.compile(r"grad can be implicitly created only for scalar outputs"),
        _constant(
            "backward() needs a scalar: call y.sum().backward() as the book does (or y.backward(torch.ones_like(y)))"
        ),
    ),
    Hint(
        RuntimeError,
        re.compile(r"element 0 of tensors does not require grad and does not have a grad_fn"),
        _constant(
            "no tensor this was computed from requires a gradient: call x.requires_grad_() "
            "(or create x with requires_grad=True) before computing y from it"
        ),
    ),
    Hint(
        RuntimeError,
        re.compile(r"Trying to backward through the graph a second time"),
        _constant(
            "the graph was freed by the first backward(): compute y again before calling backward(), "
            "or pass retain_graph=True to the first call"
        ),
    ),
    Hint(
        RuntimeError,
        re.compile(
            r"expected (?:scalar type|m1 and m2 to have the same dtype)|"
            r"must have the same dtype|expected .* to have the same dtype|found dtype \w+ but expected \w+"
        ),
        _constant(
            "the tensors have different dtypes (NumPy arrays are float64, torch's default is float32): "
            "convert one, e.g. X.float() or torch.tensor(A, dtype=torch.float32)"
        ),
    ),
)


def hint_for(exc: BaseException, message: str, line: str = "") -> str | None:
    """The hint for ``exc`` (whose formatted ``message`` is given), raised at ``line`` of the input; None if none."""
    for hint in HINTS:
        if isinstance(exc, hint.exception):
            match = hint.pattern.search(message)
            if match is not None:
                text = hint.write(match, line)
                if text is not None:
                    return text
    return None

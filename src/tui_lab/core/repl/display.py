"""How the REPL shows values: tensors laid out for the log's width, tuples of tensors one per line.

:func:`print_width` sets torch's (and NumPy's) print ``linewidth`` to the log's width while
an input runs, so ``x`` and ``print(x)`` wrap rows where torch would, never where the log
would; the user's own setting is honoured and restored. :func:`pretty_repr` lays out a tuple
or list holding tensors the way IPython's pretty printer does: one element per line, the
elements' own lines indented under the bracket, when they do not fit on one line.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: torch's and NumPy's default print widths: a user who kept them gets the log's width.
TORCH_DEFAULT_WIDTH = 80
NUMPY_DEFAULT_WIDTH = 75
#: Containers longer than this are shown with the plain repr.
PRETTY_MAX_ITEMS = 1_000

_lock = threading.Lock()


@contextmanager
def print_width(width: int | None) -> Iterator[None]:
    """Within the block, tensors print ``width`` columns wide unless the user chose a linewidth.

    A linewidth the user set before (anything but torch's default) is kept; one set inside the
    block stays set afterwards; otherwise the previous value is restored.
    """
    torch = sys.modules.get("torch")
    numpy = sys.modules.get("numpy")
    if width is None or width < 20:
        yield
        return
    with _lock:
        torch_before = numpy_before = None
        if torch is not None:
            options = torch._tensor_str.PRINT_OPTS
            torch_before = options.linewidth
            if torch_before == TORCH_DEFAULT_WIDTH:
                options.linewidth = width
        if numpy is not None:
            numpy_before = numpy.get_printoptions()["linewidth"]
            if numpy_before == NUMPY_DEFAULT_WIDTH:
                numpy.set_printoptions(linewidth=width)
    try:
        yield
    finally:
        with _lock:
            if torch is not None and torch_before == TORCH_DEFAULT_WIDTH:
                options = torch._tensor_str.PRINT_OPTS
                if options.linewidth == width:  # the user did not change it meanwhile
                    options.linewidth = torch_before
            if numpy is not None and numpy_before == NUMPY_DEFAULT_WIDTH:
                if numpy.get_printoptions()["linewidth"] == width:
                    numpy.set_printoptions(linewidth=numpy_before)


def _holds_arrays(value: Any, depth: int = 0) -> bool:
    torch = sys.modules.get("torch")
    numpy = sys.modules.get("numpy")
    if torch is not None and isinstance(value, torch.Tensor):
        return True
    if numpy is not None and isinstance(value, numpy.ndarray):
        return True
    if type(value) in (tuple, list) and depth < 4 and len(value) <= PRETTY_MAX_ITEMS:
        return any(_holds_arrays(item, depth + 1) for item in value)
    return False


def pretty_repr(value: Any, width: int = TORCH_DEFAULT_WIDTH) -> str:
    """``repr(value)``, with tuples/lists of tensors broken one element per line when they do not fit."""
    if type(value) not in (tuple, list) or not _holds_arrays(value):
        return repr(value)
    return _layout(value, width)


def _layout(value: Any, width: int) -> str:
    if type(value) not in (tuple, list) or len(value) > PRETTY_MAX_ITEMS:
        return repr(value)
    opening, closing = ("(", ")") if type(value) is tuple else ("[", "]")
    if type(value) is tuple and len(value) == 1:
        closing = ",)"
    parts = [_layout(item, width - 1) for item in value]
    flat = opening + ", ".join(parts) + closing
    if "\n" not in flat and len(flat) <= width:
        return flat
    indented = [part.replace("\n", "\n ") for part in parts]
    return opening + ",\n ".join(indented) + closing

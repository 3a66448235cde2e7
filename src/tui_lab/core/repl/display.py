"""How the REPL shows values: as IPython does, with tensors laid out for the log's width.

:func:`print_width` sets torch's (and NumPy's) print ``linewidth`` to the log's width while
an input runs, so ``x`` and ``print(x)`` wrap rows where torch would, never where the log
would (pandas' ``display.width`` too, so a data frame is laid out by pandas for the log); the user's own setting is honoured and restored. :func:`pretty_repr` is IPython's pretty
printer (``IPython.lib.pretty``) when IPython is installed, and :mod:`tui_lab.core.repl.pretty`,
which follows its rules, when it is not: ``(numpy.ndarray, torch.Tensor)``, sorted sets, dicts in
insertion order, and containers too long for the line one element per line, indented under the
bracket. IPython is imported on the first value shown, never at start-up.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from tui_lab.core.repl.pretty import pretty

#: torch's, NumPy's and pandas' default print widths: a user who kept them gets the log's width.
TORCH_DEFAULT_WIDTH = 80
NUMPY_DEFAULT_WIDTH = 75
PANDAS_DEFAULT_WIDTH = 80
#: pandas' column limit outside a terminal (the book's notebooks); in a terminal it is 0, "fit the
#: terminal", and the terminal is wider than the log, so a run uses this one instead.
PANDAS_NOTEBOOK_COLUMNS = 20
_lock = threading.Lock()


@contextmanager
def print_width(width: int | None) -> Iterator[None]:
    """Within the block, tensors, arrays and data frames print ``width`` columns wide unless the user chose a width.

    A linewidth the user set before (anything but torch's default) is kept; one set inside the
    block stays set afterwards; otherwise the previous value is restored.
    """
    torch = sys.modules.get("torch")
    numpy = sys.modules.get("numpy")
    pandas = sys.modules.get("pandas")
    if width is None or width < 20:
        yield
        return
    with _lock:
        torch_before = numpy_before = pandas_before = columns_before = None
        if torch is not None:
            options = torch._tensor_str.PRINT_OPTS
            torch_before = options.linewidth
            if torch_before == TORCH_DEFAULT_WIDTH:
                options.linewidth = width
        if numpy is not None:
            numpy_before = numpy.get_printoptions()["linewidth"]
            if numpy_before == NUMPY_DEFAULT_WIDTH:
                numpy.set_printoptions(linewidth=width)
        if pandas is not None:
            pandas_before = pandas.get_option("display.width")
            if pandas_before == PANDAS_DEFAULT_WIDTH:
                pandas.set_option("display.width", width)
                columns_before = pandas.get_option("display.max_columns")
                if columns_before == 0:
                    pandas.set_option("display.max_columns", PANDAS_NOTEBOOK_COLUMNS)
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
            if pandas is not None and pandas_before == PANDAS_DEFAULT_WIDTH:
                if pandas.get_option("display.width") == width:
                    pandas.set_option("display.width", pandas_before)
                if columns_before == 0 and pandas.get_option("display.max_columns") == PANDAS_NOTEBOOK_COLUMNS:
                    pandas.set_option("display.max_columns", 0)


@functools.cache
def ipython_pretty() -> Callable[..., str] | None:
    """``IPython.lib.pretty.pretty`` when IPython is installed, else None (looked up once)."""
    try:
        from IPython.lib.pretty import pretty
    except ImportError:
        return None
    except Exception:  # noqa: BLE001 - a broken IPython install: show values with our own printer
        return None
    return cast("Callable[..., str]", pretty)


def pretty_repr(value: Any, width: int = TORCH_DEFAULT_WIDTH) -> str:
    """``value`` as IPython shows it for a line ``width`` columns wide (tensors as torch prints them)."""
    printer = ipython_pretty()
    if printer is not None:
        return printer(value, max_width=width)
    return pretty(value, width)

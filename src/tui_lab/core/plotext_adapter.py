"""The one place that leans on plotext's internals, so a plotext upgrade breaks here and nowhere else.

plotext has no upper pin (nor a typed public API for what follows). Both the REPL's book figures
(``core/repl/d2l/plotting.py``) and the Train pane's loss plot (``ui/train/plot.py``) go through
this module:

* :func:`new_figure` makes a figure of its own: plotext's figure class
  (``plotext._figure._figure_class``, the class its module-level functions drive and
  textual-plotext's ``Plot`` extends). The module-level API draws on one global figure, which a
  REPL thread and the Train plot's worker would share.
* :func:`set_size` sizes a figure exactly: ``plotsize`` cuts a size down to the terminal plotext
  thinks it runs in (the process's, not the widget's), the private ``_set_size`` puts it back
  (textual-plotext does the same, its issue #5).
* :func:`cell_rows` builds a figure without printing it (``_set_sizes``, ``_build_matrix``,
  ``monitor.matrix``): its characters and their colours, row by row. Printing ANSI text and
  decoding it again was two thirds of a Train redraw. ``None`` where plotext has moved them:
  the caller then takes the public, slower way (:func:`ansi_text`).
* :data:`NO_COLOR`, :func:`ansi_cell` and :func:`plain_text` are plotext's public conventions
  (its "does nothing" colour name, ``plotext.colorize`` and ``plotext.uncolorize``), kept here
  next to the rest.

tests/core/test_plotext_adapter.py checks each against the installed plotext.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import plotext
from plotext._figure import _figure_class

__all__ = [
    "NO_COLOR",
    "CellRows",
    "Color",
    "Figure",
    "ansi_cell",
    "ansi_text",
    "cell_rows",
    "new_figure",
    "plain_text",
    "set_size",
]

#: plotext's name for "no colour, no style" (a cell drawn in the terminal's own colours).
NO_COLOR = "default"

#: A plotext figure. Any: plotext ships no types, and its callers drive the figure through its
#: module-like API (``plot``, ``title``, ``xticks``...), which a Protocol here would copy by hand.
Figure: TypeAlias = Any
#: A plotext colour or style: a name ("red", "bold", :data:`NO_COLOR`), a 256-colour index, or RGB
#: (a tuple, or a list as plotext also takes it).
Color: TypeAlias = str | int | Sequence[int]


def new_figure() -> Figure:
    """A figure of its own (no global state), driven like the ``plotext`` module: ``plot``, ``title``, ``build``."""
    return _figure_class()


def set_size(figure: Figure, width: int, height: int) -> None:
    """Draw ``figure`` at exactly ``width`` × ``height`` cells, also when that is larger than the process's terminal."""
    figure.plotsize(width, height)
    figure._set_size(width, height)


def ansi_text(figure: Figure) -> str:
    """The picture as plotext prints it: lines of text with ANSI colour codes."""
    return str(figure.build())


def plain_text(figure: Figure) -> str:
    """The picture as plain text (plotext's colour codes taken out)."""
    return str(plotext.uncolorize(figure.build()))


def ansi_cell(fore: Color, style: Color, back: Color) -> str:
    """One cell ("x") in plotext's colours: what :func:`ansi_text` writes for a cell of ``fore``/``style``/``back``."""
    return str(plotext.colorize("x", fore, style, back))


@dataclass(frozen=True)
class CellRows:
    """A built figure's cells, the top row first: each row's characters and their plotext colours."""

    characters: Sequence[Sequence[str]]
    fore: Sequence[Sequence[Color]]
    style: Sequence[Sequence[Color]]
    back: Sequence[Sequence[Color]]

    @property
    def background(self) -> Color:
        """The figure's own background colour (what its frame's corner is drawn on)."""
        return self.back[-1][0] if self.back and self.back[-1] else NO_COLOR


def cell_rows(figure: Figure) -> CellRows | None:
    """``figure`` built but not printed: its cells, or None where this plotext keeps them elsewhere."""
    try:
        figure._set_sizes()
        figure._build_matrix()
        matrix = figure.monitor.matrix
        rows = list(reversed(matrix.Rows))  # plotext counts rows from the bottom
        return CellRows(
            [matrix.marker[row] for row in rows],
            [matrix.fullground[row] for row in rows],
            [matrix.style[row] for row in rows],
            [matrix.background[row] for row in rows],
        )
    except AttributeError:
        return None

"""``d2l.Animator``: the book's live training curve, drawn in place in the REPL log.

``add(x, y)`` records points at once but redraws only now and then, so the training loop it
sits in keeps its speed: never during the first :data:`FIRST_DRAW_AFTER` seconds (a short
loop shows its curve once, when the input finishes), then at most every
:data:`MIN_INTERVAL` seconds and never more than :data:`DUTY` of the time: a redraw that
took 10 ms waits 10 / DUTY ms for the next, at most :data:`MAX_INTERVAL`. Each redraw
replaces the same display block; the final picture is drawn when the input ends.

:class:`Animator` draws with plotext as text (no matplotlib); :class:`FigureAnimator` is the
book's own Animator on a real matplotlib figure, shown by the REPL's figures
(:mod:`tui_lab.core.repl.figures`), with the same throttle.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, SupportsFloat, TypeAlias

from tui_lab.core.repl.d2l import plotting

if TYPE_CHECKING:
    from typing_extensions import TypeIs

    #: An axis's ``(low, high)`` as the book gives it (``xlim=[1, num_epochs]``), or None for matplotlib's own.
    Limits: TypeAlias = "Sequence[float | None] | None"
    #: What ``Animator.add`` takes for ``x`` or ``y``: one number, or one per curve (numbers, 0-d tensors, None to skip).
    Point: TypeAlias = "float | Sequence[SupportsFloat | None]"

FIRST_DRAW_AFTER = 0.5
MIN_INTERVAL = 0.25
#: The longest wait between redraws, however slow the last one was (a busy machine, a cold start).
MAX_INTERVAL = 2.0
#: The most of the loop's time that redrawing may take.
DUTY = 0.04


def set_axes(
    axes: plotting.Axes,
    xlabel: str | None,
    ylabel: str | None,
    xlim: Limits,
    ylim: Limits,
    xscale: str,
    yscale: str,
    legend: Sequence[str] | None,
) -> None:
    """The book's ``d2l.set_axes``: labels, scales, limits and legend of one axes, with a grid."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


class _Throttle:
    """When the next redraw is due: never in the first FIRST_DRAW_AFTER s, then by MIN_INTERVAL, DUTY, MAX_INTERVAL."""

    def __init__(self) -> None:
        self._next = time.perf_counter() + FIRST_DRAW_AFTER
        #: How many times the picture was redrawn while points were being added (for tests and the bench).
        self.redraws = 0

    def due(self) -> bool:
        return time.perf_counter() >= self._next

    def drew(self, started: float) -> None:
        cost = time.perf_counter() - started
        self.redraws += 1
        self._next = time.perf_counter() + min(MAX_INTERVAL, max(MIN_INTERVAL, cost / DUTY))


def _per_curve(value: Point) -> TypeIs[Sequence[SupportsFloat | None]]:
    """``value`` has one entry per curve (a list, a tuple, a 1-d tensor or array: what has a length), not one number."""
    return hasattr(value, "__len__")


def _points(
    store: tuple[list[list[float]] | None, list[list[float]] | None], x: Point, y: Point
) -> tuple[list[list[float]], list[list[float]]]:
    """The book's Animator.add bookkeeping: one point per curve, ``x`` shared or one per curve."""
    ys = list(y) if _per_curve(y) else [y]
    xs = list(x) if _per_curve(x) else [x] * len(ys)
    X, Y = store
    if not X:
        X = [[] for _ in ys]
    if not Y:
        Y = [[] for _ in ys]
    for index, (a, b) in enumerate(zip(xs, ys, strict=False)):
        if a is not None and b is not None and index < len(X):
            X[index].append(float(a))
            Y[index].append(float(b))
    return X, Y


class FigureAnimator:
    """The book's ``Animator`` on a matplotlib figure (same arguments and attributes), redrawn in place, throttled."""

    def __init__(
        self,
        xlabel: str | None = None,
        ylabel: str | None = None,
        legend: Sequence[str] | None = None,
        xlim: Limits = None,
        ylim: Limits = None,
        xscale: str = "linear",
        yscale: str = "linear",
        fmts: Sequence[str] = ("-", "m--", "g-.", "r:"),
        nrows: int = 1,
        ncols: int = 1,
        figsize: Sequence[float] = (3.5, 2.5),
    ) -> None:
        import matplotlib.pyplot as plt

        from tui_lab.core.repl.figures import show

        legend = list(legend) if legend is not None else []
        self.fig, axes = plt.subplots(nrows, ncols, figsize=tuple(figsize))
        self.axes = [axes] if nrows * ncols == 1 else list(axes.flat)
        self.config_axes = lambda: set_axes(self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
        self.X: list[list[float]] | None = None
        self.Y: list[list[float]] | None = None
        self.fmts = fmts
        self._throttle = _Throttle()
        show.before_show(self.fig, self._compose)  # every picture, live or final, has the latest points

    @property
    def redraws(self) -> int:
        """How many times the picture was redrawn while points were being added."""
        return self._throttle.redraws

    def add(self, x: Point, y: Point) -> None:
        """Add one point per curve; the picture is redrawn when due (and once more when the input ends)."""
        self.X, self.Y = _points((self.X, self.Y), x, y)
        self.fig.stale = True
        if self._throttle.due():
            started = time.perf_counter()
            self.show()
            self._throttle.drew(started)

    def _compose(self) -> None:
        axes = self.axes[0]
        axes.cla()
        for xs, ys, fmt in zip(self.X or [], self.Y or [], self.fmts, strict=False):
            axes.plot(xs, ys, fmt)
        self.config_axes()

    def show(self) -> None:
        """Draw the current picture now (in place)."""
        from tui_lab.core.repl.figures import show

        show.display(self.fig)


class Animator:
    """Plots data incrementally, as the book's ``Animator`` (same arguments and attributes)."""

    def __init__(
        self,
        xlabel: str | None = None,
        ylabel: str | None = None,
        legend: Sequence[str] | None = None,
        xlim: Limits = None,
        ylim: Limits = None,
        xscale: str = "linear",
        yscale: str = "linear",
        fmts: Sequence[str] = ("-", "m--", "g-.", "r:"),
        nrows: int = 1,
        ncols: int = 1,
        figsize: Sequence[float] = (3.5, 2.5),
    ) -> None:
        legend = list(legend) if legend is not None else []
        self.fig = plotting.Figure(figsize, nrows, ncols)
        self.axes = self.fig.axes
        self.fig.prepare = self._compose
        self.config_axes = lambda: set_axes(self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
        self.X: list[list[float]] | None = None
        self.Y: list[list[float]] | None = None
        self.fmts = fmts
        self._created = time.perf_counter()
        self._last_draw = 0.0
        self._next_draw = self._created + FIRST_DRAW_AFTER
        #: How many times the picture was redrawn while points were being added (for tests and the bench).
        self.redraws = 0

    def add(self, x: Point, y: Point) -> None:
        """Add one point per curve (``y`` a number or a sequence, ``x`` shared or one per curve)."""
        ys = list(y) if _per_curve(y) else [y]
        xs = list(x) if _per_curve(x) else [x] * len(ys)
        if not self.X:
            self.X = [[] for _ in ys]
        if not self.Y:
            self.Y = [[] for _ in ys]
        for index, (a, b) in enumerate(zip(xs, ys, strict=False)):
            if a is not None and b is not None and index < len(self.X):
                self.X[index].append(float(a))
                self.Y[index].append(float(b))
        self.fig.touched()
        now = time.perf_counter()
        if now >= self._next_draw:
            self._redraw()
            cost = time.perf_counter() - now
            self.redraws += 1
            self._next_draw = time.perf_counter() + min(MAX_INTERVAL, max(MIN_INTERVAL, cost / DUTY))

    def _redraw(self) -> None:
        self.fig.show()

    def _compose(self) -> None:
        axes = self.axes[0]
        axes.cla()
        for xs, ys in zip(self.X or [], self.Y or [], strict=False):
            axes.series.append(plotting.Series("line", list(xs), list(ys)))
        self.config_axes()

    def show(self) -> None:
        """Draw the current picture now."""
        self._redraw()

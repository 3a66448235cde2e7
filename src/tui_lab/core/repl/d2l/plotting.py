"""Matplotlib-shaped figures that draw as plain text with plotext, for the book's plots.

:class:`Axes` keeps what the book's code asks for (curves, scatters, labels, limits, scales,
a legend) as data; :func:`render_axes` turns it into plain text lines of a given size with
plotext. A :class:`Figure` is shown as a *display block* in the REPL's output (see
:func:`tui_lab.core.repl.capture.show_block`): when ``show()`` is called, or at the end of the
input that drew it, as Jupyter's inline backend does. Outside a REPL run it prints its text.
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui_lab.core.plotext_adapter import new_figure, plain_text
from tui_lab.core.repl import capture
from tui_lab.core.text import visible

#: The book's default figure size, in inches (``d2l.set_figsize``).
DEFAULT_FIGSIZE = (3.5, 2.5)
#: Markers told apart without colour, one per curve in drawing order.
MARKERS = ("braille", "+", "x", "o", "*", "#", "@", "%")
#: Terminal cells are about twice as tall as wide: rows per column for a given aspect ratio.
CELL_ASPECT = 0.45
MIN_ROWS, MIN_COLS = 8, 24
#: Points per column kept for a curve (plotext's cost grows with points; braille has 2 per cell).
LINE_POINTS_PER_COL = 4
MAX_SCATTER_POINTS = 5_000

_draw_lock = threading.Lock()


def values(data: Any) -> list[float]:  # Any: the user's data, checked here (pyplot passes on what it was given)
    """Plain floats from a tensor (any device, with or without grad), an array, a list or a number."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(data, torch.Tensor):
        data = data.detach().to("cpu", torch.float64).reshape(-1).tolist()
    elif hasattr(data, "tolist") and not isinstance(data, list | tuple):
        data = data.tolist()
    if isinstance(data, int | float):
        return [float(data)]
    flat: list[float] = []
    for item in data:
        flat.extend(values(item) if hasattr(item, "__len__") or hasattr(item, "tolist") else [float(item)])
    return flat


def _limits(  # Any: the user's bounds in any of matplotlib's forms; float() checks each
    args: tuple[Any, ...], kwargs: Mapping[str, Any], low: str, high: str
) -> tuple[float, float] | None:
    """matplotlib's ``set_xlim(left, right)``, ``set_xlim((left, right))`` or ``set_xlim(None)``."""
    if len(args) == 1 and isinstance(args[0], list | tuple):
        args = tuple(args[0])
    left = args[0] if args else kwargs.get(low)
    right = args[1] if len(args) > 1 else kwargs.get(high)
    if left is None and right is None:
        return None
    return (float(left) if left is not None else math.nan, float(right) if right is not None else math.nan)


@dataclass
class Series:
    """One thing drawn on an axes: a curve, a scatter, a horizontal line or a histogram."""

    kind: str
    x: list[float]
    y: list[float]
    label: str | None = None

    def __repr__(self) -> str:  # short, like matplotlib's artists: the data can be 1,000s of points
        label = f" {self.label!r}" if self.label else ""
        return f"<{self.kind}{label}: {len(self.y):,} point{'s' if len(self.y) != 1 else ''}>"


@dataclass
class Axes:
    """The pyplot axes calls the book makes (``plot``, ``scatter``, ``set_xlabel``, ``legend``...)."""

    figure: Figure | None = None
    series: list[Series] = field(default_factory=list)
    xlabel: str = ""
    ylabel: str = ""
    title: str = ""
    xlim: tuple[float, float] | None = None
    ylim: tuple[float, float] | None = None
    xscale: str = "linear"
    yscale: str = "linear"
    legend_labels: list[str] | None = None
    show_grid: bool = False

    def __repr__(self) -> str:
        return f"<Axes: {len(self.series)} plotted>"

    @property
    def axes(self) -> Axes:
        """matplotlib's ``ax.axes`` is the axes itself."""
        return self

    def _drew(self) -> None:
        if self.figure is not None:
            self.figure.touched()

    def cla(self) -> None:
        """Clear everything drawn and every setting."""
        figure = self.figure
        self.__init__(figure)  # type: ignore[misc]
        self._drew()

    clear = cla

    def plot(self, *args: object, label: object = None, **_style: object) -> list[Series]:
        """``plot(y)``, ``plot(y, fmt)``, ``plot(x, y)``, ``plot(x, y, fmt, x2, y2, ...)``; colours and styles are ignored."""
        groups: list[tuple[object, object]] = []
        index = 0
        while index < len(args):
            if index + 1 < len(args) and not isinstance(args[index + 1], str):
                groups.append((args[index], args[index + 1]))
                index += 2
            else:
                groups.append((None, args[index]))
                index += 1
            if index < len(args) and isinstance(args[index], str):
                index += 1  # a format string ('m--'): curves are told apart by marker instead
        added = []
        for x_data, y_data in groups:
            y = values(y_data)
            x = values(x_data) if x_data is not None else [float(i) for i in range(len(y))]
            added.append(Series("line", x, y, None if label is None else str(label)))
        self.series.extend(added)
        self._drew()
        return added

    def scatter(
        self, x: object, y: object, s: object = None, *_args: object, label: object = None, **_style: object
    ) -> Series:
        """A scatter of ``x`` against ``y`` (marker size and colours are ignored)."""
        series = Series("scatter", values(x), values(y), None if label is None else str(label))
        self.series.append(series)
        self._drew()
        return series

    def axhline(self, y: float = 0, *_args: object, label: object = None, **_style: object) -> Series:
        """A horizontal line across the axes."""
        series = Series("hline", [], [float(y)], None if label is None else str(label))
        self.series.append(series)
        self._drew()
        return series

    def hist(self, x: object, bins: int = 10, *_args: object, label: object = None, **_style: object) -> Series:
        """A histogram of ``x`` with ``bins`` bins."""
        series = Series("hist", [float(bins)], values(x), None if label is None else str(label))
        self.series.append(series)
        self._drew()
        return series

    def set_xlabel(self, label: object, *_args: object, **_kwargs: object) -> None:
        self.xlabel = "" if label is None else str(label)
        self._drew()

    def set_ylabel(self, label: object, *_args: object, **_kwargs: object) -> None:
        self.ylabel = "" if label is None else str(label)
        self._drew()

    def set_title(self, label: object, *_args: object, **_kwargs: object) -> None:
        self.title = "" if label is None else str(label)
        self._drew()

    def set_xlim(self, *args: object, **kwargs: object) -> None:
        self.xlim = _limits(args, kwargs, "left", "right")
        self._drew()

    def set_ylim(self, *args: object, **kwargs: object) -> None:
        self.ylim = _limits(args, kwargs, "bottom", "top")
        self._drew()

    def set_xscale(self, value: str, **_kwargs: object) -> None:
        self.xscale = "log" if value == "log" else "linear"
        self._drew()

    def set_yscale(self, value: str, **_kwargs: object) -> None:
        self.yscale = "log" if value == "log" else "linear"
        self._drew()

    def legend(self, *args: object, **_kwargs: object) -> None:
        """``legend()`` names curves by their ``label=``; ``legend(['a', 'b'])`` names them in order."""
        labels: Any = args[0] if args else None  # Any: the user's labels, iterated as matplotlib does
        self.legend_labels = [str(item) for item in labels] if labels is not None else []
        self._drew()

    def grid(self, visible: bool | None = True, *_args: object, **_kwargs: object) -> None:
        """Remembered, not drawn: grid lines drawn in text hide the curves."""
        self.show_grid = visible is not False
        self._drew()


class Figure:
    """One or more axes shown together as one display block, drawn when shown."""

    def __init__(self, figsize: Sequence[float] | None = None, nrows: int = 1, ncols: int = 1) -> None:
        self.figsize = tuple(figsize) if figsize is not None else DEFAULT_FIGSIZE
        self.block_id = capture.new_block_id()  # unique among every picture's, figures' too
        self.axes = [Axes(self) for _ in range(max(1, nrows * ncols))]
        self._pending: capture.OutputCapture | None = None
        #: Called before each drawing (the Animator lays its curves out here).
        self.prepare: Callable[[], None] | None = None
        #: Called after each drawing (pyplot closes its current figure then).
        self.on_shown: Callable[[Figure], None] | None = None
        self._dirty = False
        self._discarded = False

    def __repr__(self) -> str:
        return f"<Figure {len(self.axes)} axes, drawn as text in the REPL log>"

    def gca(self) -> Axes:
        return self.axes[0]

    def touched(self) -> None:
        """Something was drawn: show the figure at the end of the running input, as notebooks do."""
        self._dirty = True
        running = capture.current_capture()
        if running is not None and self._pending is not running:
            self._pending = running
            running.at_end(self._show_at_end)

    def _show_at_end(self) -> None:
        self._pending = None
        if self._dirty and not self._discarded:
            self.show()

    def discard(self) -> None:
        """Never draw this figure (``plt.close()``)."""
        self._discarded = True

    def lines(self, width: int, max_rows: int) -> list[str]:
        """The figure as plain text lines ``width`` columns wide (its axes one under another)."""
        fig_w, fig_h = self.figsize
        rows = round(width * (fig_h / max(fig_w, 0.1)) * CELL_ASPECT)
        rows = max(MIN_ROWS, min(rows, max_rows)) if max_rows >= MIN_ROWS else max(3, max_rows)
        per_axes = max(MIN_ROWS, rows // len(self.axes))
        out: list[str] = []
        for ax in self.axes:
            out.extend(render_axes(ax, max(MIN_COLS, width), per_axes))
        return out

    def show(self) -> None:
        """Draw into the REPL's output (replacing this figure's earlier picture), or print outside a REPL run."""
        width, max_rows = capture.display_size()
        try:
            if self.prepare is not None:
                self.prepare()
            self._dirty = False
            text = self.lines(width, max_rows)
        except Exception as error:  # noqa: BLE001 - odd data gives a message, never a broken REPL
            print(f"plot could not be drawn: {type(error).__name__}: {error}", file=sys.stderr)
            return
        if not capture.show_block(self.block_id, text):
            print("\n".join(text))
        if self.on_shown is not None:
            self.on_shown(self)


def _thin(x: list[float], y: list[float], limit: int) -> tuple[list[float], list[float]]:
    """At most ``limit`` evenly spaced points (plotext's time grows with the points it is given)."""
    if len(x) <= limit:
        return x, y
    step = len(x) / limit
    keep = sorted({int(i * step) for i in range(limit)} | {len(x) - 1})
    return [x[i] for i in keep], [y[i] for i in keep]


def _finite(x: list[float], y: list[float], xlog: bool, ylog: bool) -> tuple[list[float], list[float]]:
    pairs = [
        (a, b)
        for a, b in zip(x, y, strict=False)
        if math.isfinite(a) and math.isfinite(b) and (a > 0 or not xlog) and (b > 0 or not ylog)
    ]
    return [a for a, _ in pairs], [b for _, b in pairs]


def render_axes(ax: Axes, width: int, height: int) -> list[str]:
    """``ax`` drawn by plotext as ``height`` lines of plain text, ``width`` columns wide."""
    with _draw_lock:  # plotext keeps some state at module level
        fig = new_figure()
        fig.plotsize(width, height)
        fig.theme("clear")
        xlog, ylog = ax.xscale == "log", ax.yscale == "log"
        names = list(ax.legend_labels or []) if ax.legend_labels is not None else []
        drawn = 0
        for index, series in enumerate(ax.series):
            marker = MARKERS[index % len(MARKERS)]
            label = None
            if ax.legend_labels is not None:
                label = names[index] if index < len(names) else series.label
            label = visible(label) if label else None
            if series.kind == "hline":
                fig.horizontal_line(series.y[0])
                continue
            if series.kind == "hist":
                data = [v for v in series.y if math.isfinite(v)]
                if data:
                    fig.hist(data, bins=int(series.x[0]), label=label)
                    drawn += 1
                continue
            x, y = _finite(series.x, series.y, xlog, ylog)
            if not x:
                continue
            if series.kind == "scatter":
                x, y = _thin(x, y, MAX_SCATTER_POINTS)
                fig.scatter(x, y, marker=marker, label=label)
            else:
                x, y = _thin(x, y, LINE_POINTS_PER_COL * width)
                fig.plot(x, y, marker=marker, label=label)
            drawn += 1
        if not drawn:
            fig.plot([0.0, 1.0], [math.nan, math.nan])
        fig.xlabel(visible(ax.xlabel))
        fig.ylabel(visible(ax.ylabel))
        if ax.title:
            fig.title(visible(ax.title))
        fig.xscale(ax.xscale)
        fig.yscale(ax.yscale)
        for limits, setter in ((ax.xlim, fig.xlim), (ax.ylim, fig.ylim)):
            if limits is not None and all(math.isfinite(v) for v in limits) and limits[0] < limits[1]:
                setter(*limits)
        text = plain_text(fig)
    lines = [visible(line.rstrip()) for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines

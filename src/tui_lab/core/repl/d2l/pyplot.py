"""``d2l.plt``: the pyplot calls the book's chapters 2–3 make, drawing text plots.

Like pyplot there is one *current figure*: ``plt.scatter``/``plt.plot``/``plt.gca()`` draw
into it (making one, sized by ``rcParams['figure.figsize']``, when there is none). It is shown
by ``plt.show()`` or, as in a notebook, when the REPL input that drew it finishes, and then
closed, so the next input starts a new figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

from tui_lab.core.repl.d2l import plotting

#: The pyplot functions this stand-in has (its error message lists them).
PROVIDED = (
    "plot scatter hist axhline xlabel ylabel title legend xlim ylim xscale yscale grid "
    "figure gcf gca subplots show close cla clf rcParams"
)


class PyPlot:
    """A stand-in for ``matplotlib.pyplot`` that draws with plotext as plain text.

    Arguments are the user's values (lists, arrays, tensors, labels), typed ``object``: they are
    passed on to :mod:`~tui_lab.core.repl.d2l.plotting`, which converts them.
    """

    def __init__(self) -> None:
        # Any: the user's code sets any matplotlib key here; only figure.figsize is read, as pyplot would.
        self.rcParams: dict[str, Any] = {"figure.figsize": plotting.DEFAULT_FIGSIZE}
        self._current: plotting.Figure | None = None

    def __repr__(self) -> str:
        return "<tui-lab d2l.plt: pyplot calls drawn as text plots>"

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"tui-lab's d2l.plt has no {name!r}: it draws the plots of the book's chapters 2–3 as text "
            f"and provides {', '.join(PROVIDED.split())}."
        )

    # -- figures ------------------------------------------------------------------------

    def figure(self, *_args: object, figsize: Sequence[float] | None = None, **_kwargs: object) -> plotting.Figure:
        """Start a new current figure."""
        self._current = plotting.Figure(figsize if figsize is not None else self.rcParams.get("figure.figsize"))
        self._current.on_shown = self._forget
        return self._current

    def _forget(self, figure: plotting.Figure) -> None:
        if self._current is figure:
            self._current = None

    def gcf(self) -> plotting.Figure:
        """The current figure (a new one if none is open)."""
        return self._current if self._current is not None else self.figure()

    def gca(self) -> plotting.Axes:
        """The current figure's axes."""
        return self.gcf().gca()

    def subplots(
        self, nrows: int = 1, ncols: int = 1, *_args: object, figsize: Sequence[float] | None = None, **_kwargs: object
    ) -> tuple[plotting.Figure, plotting.Axes | list[plotting.Axes]]:
        """A new figure and its axes: one axes, or a list of them (drawn one under another)."""
        figure = plotting.Figure(figsize or self.rcParams.get("figure.figsize"), nrows, ncols)
        figure.on_shown = self._forget
        self._current = figure
        return figure, figure.axes[0] if nrows * ncols == 1 else list(figure.axes)

    def show(self, *_args: object, **_kwargs: object) -> None:
        """Draw the current figure now and close it."""
        if self._current is not None:
            figure, self._current = self._current, None
            figure.show()

    def close(self, *_args: object, **_kwargs: object) -> None:
        """Close the current figure without drawing it."""
        if self._current is not None:
            self._current.discard()
            self._current = None

    def cla(self) -> None:
        self.gca().cla()

    def clf(self) -> None:
        for axes in self.gcf().axes:
            axes.cla()

    # -- drawing on the current axes -------------------------------------------------------

    def plot(self, *args: object, **kwargs: object) -> list[plotting.Series]:
        return self.gca().plot(*args, **kwargs)

    def scatter(self, x: object, y: object, s: object = None, *args: object, **kwargs: object) -> plotting.Series:
        return self.gca().scatter(x, y, s, *args, **kwargs)

    def hist(self, x: object, bins: int = 10, *args: object, **kwargs: object) -> plotting.Series:
        return self.gca().hist(x, bins, *args, **kwargs)

    def axhline(self, y: float = 0, *args: object, **kwargs: object) -> plotting.Series:
        return self.gca().axhline(y, *args, **kwargs)

    def xlabel(self, label: object, *args: object, **kwargs: object) -> None:
        self.gca().set_xlabel(label)

    def ylabel(self, label: object, *args: object, **kwargs: object) -> None:
        self.gca().set_ylabel(label)

    def title(self, label: object, *args: object, **kwargs: object) -> None:
        self.gca().set_title(label)

    def legend(self, *args: object, **kwargs: object) -> None:
        self.gca().legend(*args, **kwargs)

    def xlim(self, *args: object, **kwargs: object) -> None:
        self.gca().set_xlim(*args, **kwargs)

    def ylim(self, *args: object, **kwargs: object) -> None:
        self.gca().set_ylim(*args, **kwargs)

    def xscale(self, value: str, **kwargs: object) -> None:
        self.gca().set_xscale(value)

    def yscale(self, value: str, **kwargs: object) -> None:
        self.gca().set_yscale(value)

    def grid(self, visible: bool | None = True, *args: object, **kwargs: object) -> None:
        self.gca().grid(visible)


plt = PyPlot()

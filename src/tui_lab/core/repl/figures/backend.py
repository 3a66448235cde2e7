"""tui-lab's matplotlib backend (``module://tui_lab.core.repl.figures.backend``): Agg pictures in the REPL log.

matplotlib imports this module when the REPL's code first uses pyplot (``MPLBACKEND`` names it,
see :func:`tui_lab.core.repl.figures.select_backend`). It draws with Agg and hands pictures to
:mod:`.show`, which decides when they appear:

* ``plt.show()`` shows every open figure and closes them (the module's :func:`show`);
  ``plt.show(block=False)`` and ``plt.pause`` redraw them in place and keep them open;
* ``fig.show()`` shows that figure now; ``fig.canvas.draw()`` redraws it live, in place;
* a figure pyplot makes during an input is shown when the input ends (then closed).

Outside a REPL input (the Graph pane's code, a thread, a script run by a subprocess that
inherited ``MPLBACKEND``) it behaves as Agg: nothing is shown, ``savefig`` works.
"""

from __future__ import annotations

from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tui_lab.core.repl.figures import show as _show

backend_version = "1"


class FigureManagerTuiLab(FigureManagerBase):
    """A figure pyplot manages: shown in the REPL log."""

    def show(self) -> None:
        """``fig.show()``: the picture now (replacing this figure's earlier one in the same input)."""
        _show.display(self.canvas.figure)


class FigureCanvasTuiLab(FigureCanvasAgg):
    """Agg, with an explicit ``draw()`` shown live in the REPL log."""

    manager_class = FigureManagerTuiLab

    def __init__(self, figure: Figure | None = None) -> None:
        super().__init__(figure)
        if self.figure is not None:
            _show.figure_made(self.figure)

    def draw(self) -> None:
        """Draw, and show the new picture in place while an input runs (throttled)."""
        super().draw()
        _show.show_live(self.figure, drawn=True)

    def draw_idle(self, *args: object, **kwargs: object) -> None:
        """Nothing: the figure is drawn when it is shown (interactive code calls this after every change)."""


def show(*args: object, block: bool | None = None, **kwargs: object) -> None:
    """``plt.show()``: every open figure in the log now, then closed, as Jupyter's inline backend does.

    ``plt.show(block=False)`` (and ``plt.pause``, which calls it) keeps the figures open, as a window
    would stay: their pictures are redrawn in place (throttled), so ``plt.clf(); plt.plot(...);
    plt.pause(0.1)`` in a loop animates one picture.
    """
    if block is False:
        from matplotlib._pylab_helpers import Gcf

        for manager in Gcf.get_all_fig_managers():
            _show.show_live(manager.canvas.figure)
        return
    _show.show_all()


FigureCanvas = FigureCanvasTuiLab
FigureManager = FigureManagerTuiLab
_show.install_display_hook()

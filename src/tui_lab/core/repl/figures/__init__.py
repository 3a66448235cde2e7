"""matplotlib's own figures in the REPL log, as Jupyter's inline backend shows them.

When matplotlib is installed, the REPL selects tui-lab's backend (:data:`BACKEND`) through
``MPLBACKEND`` before it runs any code, so matplotlib loads it on its first import and nothing
of matplotlib is imported before that. The backend (:mod:`.backend`) draws with Agg; what a
figure looks like on screen is decided in :mod:`.show`: figures an input made are shown under it
when it ends, ``plt.show()`` shows them at once, a figure drawn again while the input runs
(``fig.canvas.draw()``, IPython's ``display`` with ``clear_output``, ``d2l.Animator``) replaces
its picture in place, and every figure pyplot still holds is closed when the input ends.

A picture travels as a :class:`~.image.FigureImage` (RGBA pixels, the figure's number and size)
inside the run's output; :mod:`.store` keeps the last figures as PNG (and the newest as
matplotlib objects, for SVG), bounded, so a figure can be saved or shown again. Nothing here
imports matplotlib, Textual or Rich until a figure exists.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import MutableMapping

#: matplotlib's name for tui-lab's backend.
BACKEND = "module://tui_lab.core.repl.figures.backend"


def matplotlib_available() -> bool:
    """True when ``import matplotlib`` would work here (nothing is imported to find out)."""
    if "matplotlib" in sys.modules:
        return True
    try:
        return importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):
        return False


def select_backend(environ: MutableMapping[str, str] | None = None) -> bool:
    """Make tui-lab's backend the one matplotlib loads; False when the user chose another (``MPLBACKEND``).

    Called before the REPL runs code. matplotlib reads ``MPLBACKEND`` when it is first imported, so
    this imports nothing; if matplotlib was imported already (before any REPL code ran: by tui-lab's
    ``d2l``, a test, a start-up file), it is switched directly.
    """
    environ = os.environ if environ is None else environ
    chosen = environ.get("MPLBACKEND", "")
    if chosen and chosen != BACKEND:
        return False
    environ["MPLBACKEND"] = BACKEND
    pyplot = sys.modules.get("matplotlib.pyplot")
    matplotlib = sys.modules.get("matplotlib")
    if pyplot is not None:
        if pyplot.get_backend() != BACKEND:
            pyplot.switch_backend(BACKEND)
    elif matplotlib is not None:
        matplotlib.use(BACKEND)
    return True

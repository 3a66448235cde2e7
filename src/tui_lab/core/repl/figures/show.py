"""When a figure is shown in the REPL log, and where: the inline backend's rules, for one input at a time.

* Every figure pyplot holds when an input ends is shown under it and closed (:func:`finish_run`),
  as Jupyter's inline backend does; ``plt.show()`` does the same at once (:func:`show_all`).
* A figure is one picture per input: shown again (``fig`` as the input's value, ``plt.show()`` after
  a live redraw) it replaces its picture in place.
* Drawn again while the input runs (``fig.canvas.draw()``, IPython's ``display(fig)``) it is
  redrawn live (:func:`show_live`), throttled as ``d2l.Animator`` is: at most every
  :data:`MIN_INTERVAL` s and never more than :data:`DUTY` of the time; the last state is shown when
  the input ends.
* At most :data:`FIGURES_PER_RUN` pictures per input; a loop making more has the rest closed
  without drawing (a note says how many), and pyplot never holds more than :data:`OPEN_LIMIT`
  figures during an input (the oldest is shown and closed), so memory stays flat.

Pictures go into the running input's output (:func:`tui_lab.core.repl.capture.current_capture`)
as display blocks carrying a :class:`~.image.FigureImage`; outside an input nothing is shown.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
import weakref
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, TypeGuard

from tui_lab.core.repl import capture as capture_module
from tui_lab.core.repl.capture import DisplayBlock, OutputCapture, current_capture, new_block_id
from tui_lab.core.repl.figures.image import FigureImage, rasterize
from tui_lab.core.repl.figures.store import store

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Pictures one input shows at most (the log keeps this many as pixels, too).
FIGURES_PER_RUN = 20
#: Figures pyplot may hold during an input before the oldest is shown and closed.
OPEN_LIMIT = 10
#: Live redraws: at most one per this many seconds, never more than DUTY of the time, at most MAX_INTERVAL apart.
MIN_INTERVAL = 0.25
DUTY = 0.04
MAX_INTERVAL = 2.0

_numbers = itertools.count(1)
_numbers_lock = threading.Lock()
#: Drawing a figure and saving one never run at once (matplotlib is not thread-safe).
DRAW_LOCK = threading.RLock()
_prepare: weakref.WeakKeyDictionary[Figure, Callable[[], None]] = weakref.WeakKeyDictionary()


def next_number() -> int:
    """The next figure number (1, 2, 3... in this process)."""
    with _numbers_lock:
        return next(_numbers)


def is_figure(value: object) -> TypeGuard[Figure]:
    """True for a matplotlib ``Figure`` (without importing matplotlib)."""
    figure_module = sys.modules.get("matplotlib.figure")
    return figure_module is not None and isinstance(value, figure_module.Figure)


def before_show(figure: Figure, prepare: Callable[[], None]) -> None:
    """Call ``prepare()`` before each picture of ``figure`` is drawn (``d2l.Animator`` lays its curves out there)."""
    _prepare[figure] = prepare


class _Shown:
    """One figure's picture in one input."""

    def __init__(self, figure: Figure, block_id: int, number: int) -> None:
        self.figure = figure
        self.block_id = block_id
        self.number = number
        self.image: FigureImage | None = None
        self.next_live = 0.0
        self.pending = False  # drawn since its last picture, not shown yet (throttled)


class RunFigures:
    """The figures of the input running with ``capture``."""

    def __init__(self, capture: OutputCapture) -> None:
        self.capture = capture
        self.shown: dict[int, _Shown] = {}  # id(figure) -> its picture; the figure is referenced, so ids stay unique
        self.cut = 0
        self.finished = False
        capture.at_end(self.finish)

    def _entry(self, figure: Figure) -> _Shown | None:
        entry = self.shown.get(id(figure))
        if entry is not None or self.finished:
            return entry
        if len(self.shown) >= FIGURES_PER_RUN:
            return None
        entry = _Shown(figure, new_block_id(), next_number())
        self.shown[id(figure)] = entry
        return entry

    def display(self, figure: Figure, *, drawn: bool = False) -> bool:
        """Draw ``figure`` now and show it (replacing its earlier picture in this input); False if over the limit.

        ``drawn``: its Agg canvas has just been drawn (``fig.canvas.draw()``): its pixels are read as they are.
        """
        entry = self._entry(figure)
        if entry is None:
            self.cut += 1
            return False
        prepare = _prepare.get(figure)
        if entry.image is not None and prepare is None and not drawn and not figure.stale:
            entry.pending = False
            return True  # unchanged since its picture (the value shown, then pyplot's figures at the end)
        with DRAW_LOCK:
            if prepare is not None:
                prepare()
            width, height, rgba = rasterize(figure, drawn=drawn and prepare is None)
        entry.image = FigureImage(entry.number, width, height, rgba)
        entry.pending = False
        self.capture.show(DisplayBlock(entry.block_id, (entry.image.alt,), entry.image))
        return True

    def show_live(self, figure: Figure, *, drawn: bool = False, clock: Callable[[], float] = time.perf_counter) -> None:
        """``figure`` was drawn again while the input runs: show it if a redraw is due, else when the input ends."""
        entry = self._entry(figure)
        if entry is None:
            if id(figure) not in self.shown:
                self.cut += 1
            return
        now = clock()
        if entry.image is not None and now < entry.next_live:
            entry.pending = True
            return
        self.display(figure, drawn=drawn)
        cost = clock() - now
        entry.next_live = clock() + min(MAX_INTERVAL, max(MIN_INTERVAL, cost / DUTY))

    def finish(self) -> None:
        """The input ended: show what is pending, show and close pyplot's figures, keep the last pictures."""
        for entry in list(self.shown.values()):
            if entry.pending:
                self.display(entry.figure)
        show_all(self)
        self.finished = True
        for entry in self.shown.values():
            if entry.image is not None:
                store().add(entry.image, entry.figure)
        if self.cut:
            s = "s" if self.cut != 1 else ""
            self.capture.note(
                f"… {self.cut:,} more figure{s} made by this input not shown (an input shows at most {FIGURES_PER_RUN})"
            )
        self.shown.clear()


_runs: weakref.WeakKeyDictionary[OutputCapture, RunFigures] = weakref.WeakKeyDictionary()


def current_run() -> RunFigures | None:
    """The figures of the input running in this thread, or None outside an input."""
    running = current_capture()
    if running is None:
        return None
    run = _runs.get(running)
    if run is None or run.finished:
        if run is not None and run.finished:
            return run  # the end-of-input pass itself: shows, never registers again
        run = _runs[running] = RunFigures(running)
    return run


def display(figure: Figure) -> bool:
    """Show ``figure`` in the running input's output now; False outside an input (or over its limit)."""
    run = current_run()
    return run.display(figure) if run is not None else False


def show_live(figure: Figure, *, drawn: bool = False) -> None:
    """``figure`` was drawn again during the input (``fig.canvas.draw()``): a throttled live picture."""
    run = current_run()
    if run is not None:
        run.show_live(figure, drawn=drawn)


def figure_made(figure: Figure) -> None:
    """pyplot made ``figure`` (from the backend): in an input, it is shown when the input ends; pyplot never holds too many."""
    run = current_run()
    if run is None:
        return
    from matplotlib._pylab_helpers import Gcf

    managers = Gcf.get_all_fig_managers()  # not yet the new figure's: pyplot registers it after this
    while len(managers) >= OPEN_LIMIT:
        oldest = managers.pop(0)
        if oldest.canvas.figure is not figure:
            run.display(oldest.canvas.figure)
            Gcf.destroy(oldest)


def show_all(run: RunFigures | None = None) -> None:
    """``plt.show()``: show every figure pyplot holds, then close them all (as the inline backend does)."""
    run = run if run is not None else current_run()
    if run is None:
        return
    from matplotlib._pylab_helpers import Gcf

    for manager in Gcf.get_all_fig_managers():
        run.display(manager.canvas.figure)
    Gcf.destroy_all()


def display_value(value: object) -> bool:
    """An input's value that is a figure is shown as its picture (once, however often it was shown); True if so."""
    if not is_figure(value):
        return False
    return display(value)


# -- IPython's display() and clear_output() outside a kernel ----------------------------------------

_IPYTHON_DISPLAY = "IPython.core.display_functions"


def ipython_write(frame: FrameType | None, stream: str, text: str) -> bool:
    """A write made by IPython's ``display``/``clear_output`` (outside a kernel they print): True if taken here.

    Outside a kernel ``display(fig)`` prints ``Figure(350x250)`` and ``clear_output()`` prints
    ``ESC[2K\\r``; in the REPL the first shows the figure's picture (replaced in place when displayed
    again: the book's ``Animator``), the second has nothing to clear.
    """
    if frame is None or frame.f_globals.get("__name__") != _IPYTHON_DISPLAY:
        return False
    name = frame.f_code.co_name
    if name == "clear_output":
        return True
    if name != "display":
        return False
    objects = frame.f_locals.get("objs", ())
    if not objects or not all(is_figure(item) for item in objects):
        return False
    if text == str(objects[0]):  # print's first write; the separators and the newline follow
        for figure in objects:
            show_live(figure)
    return True


def install_display_hook() -> None:
    """Let IPython's ``display(fig)`` show pictures in the REPL (called when the backend loads)."""
    capture_module.set_write_interceptor(ipython_write)

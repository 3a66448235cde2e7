"""The figures shown so far, bounded: PNG for the last :data:`KEEP_PNG`, matplotlib objects for the last :data:`KEEP_FIGURES`.

A figure is a value: a folded picture in the log is shown again from its PNG, and a figure is saved
as PNG (its pixels as shown) or SVG (drawn again from the matplotlib figure, while it is kept).
Memory stays flat however many figures a session makes: older entries are forgotten, and the
UI says so. Thread-safe: the REPL's code thread adds, the UI reads and saves. The PNG is made by a
thread of its own (``repl-figures``), so an input's result never waits for it; asking for a figure
before that makes it at once.
"""

from __future__ import annotations

import io
import queue
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui_lab.core.fileio import atomic_write_bytes
from tui_lab.core.repl.figures.image import FigureImage, png_bytes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Figures kept as PNG (a few tens of KB each).
KEEP_PNG = 200
#: At most this many bytes of PNG, whatever the count.
KEEP_PNG_BYTES = 32 * 1024 * 1024
#: Figures kept as matplotlib objects (for SVG); they are closed in pyplot, only referenced here.
KEEP_FIGURES = 20
#: What a figure can be saved as, by file suffix.
FORMATS = ("png", "svg")


class FigureGone(LookupError):
    """The figure is no longer kept (``str()`` says which and why)."""


@dataclass(frozen=True)
class KeptFigure:
    """What the store holds of one figure."""

    number: int
    width: int
    height: int
    png: bytes
    #: The matplotlib figure (None once it has been let go), for saving as SVG.
    figure: Figure | None = None


@dataclass
class _Entry:
    """A figure as held: its pixels until the PNG is made, then the PNG."""

    image: FigureImage | None
    png: bytes | None
    figure: Figure | None


def save_format(path: Path, given: str | None = None) -> str:
    """``png`` or ``svg``: ``given``, else the path's suffix; anything else is a ValueError."""
    fmt = (given or path.suffix.lstrip(".") or "png").lower()
    if fmt not in FORMATS:
        raise ValueError(f"figures are saved as PNG or SVG, not {fmt!r} (name the file .png or .svg)")
    return fmt


class FigureStore:
    """Recently shown figures by number, oldest forgotten first."""

    def __init__(self, keep_png: int = KEEP_PNG, keep_bytes: int = KEEP_PNG_BYTES, keep_figures: int = KEEP_FIGURES):
        self.keep_png, self.keep_bytes, self.keep_figures = keep_png, keep_bytes, keep_figures
        self._kept: OrderedDict[int, _Entry] = OrderedDict()
        self._sizes: dict[int, tuple[int, int]] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self._todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._compressor: threading.Thread | None = None

    def __len__(self) -> int:
        with self._lock:
            return len(self._kept)

    @property
    def png_bytes(self) -> int:
        """The bytes of PNG held now."""
        with self._lock:
            return self._bytes

    def add(self, image: FigureImage, figure: Figure | None = None) -> None:
        """Keep ``image`` (made into PNG soon, in a thread) and ``figure`` (the matplotlib object) under its number."""
        with self._lock:
            old = self._kept.pop(image.number, None)
            if old is not None and old.png is not None:
                self._bytes -= len(old.png)
            self._kept[image.number] = _Entry(image, None, figure)
            self._sizes[image.number] = (image.width, image.height)
            self._bound()
        self._todo.put(image.number)
        if self._compressor is None:
            self._compressor = threading.Thread(target=self._compress_forever, name="repl-figures", daemon=True)
            self._compressor.start()

    def _bound(self) -> None:
        """Forget the oldest beyond the limits; let go of the oldest matplotlib figures (the lock is held)."""
        while len(self._kept) > 1 and (len(self._kept) > self.keep_png or self._bytes > self.keep_bytes):
            number, gone = self._kept.popitem(last=False)
            self._sizes.pop(number, None)
            if gone.png is not None:
                self._bytes -= len(gone.png)
        with_figures = [entry for entry in self._kept.values() if entry.figure is not None]
        for entry in with_figures[: max(0, len(with_figures) - self.keep_figures)]:
            entry.figure = None

    def _compress_forever(self) -> None:
        while True:
            self._compress(self._todo.get())

    def _compress(self, number: int) -> bytes | None:
        """Make figure ``number``'s PNG if it is still to be made; its PNG (None if it is gone)."""
        with self._lock:
            entry = self._kept.get(number)
            if entry is None or entry.png is not None:
                return entry.png if entry is not None else None
            image = entry.image
        assert image is not None
        png = png_bytes(image)
        with self._lock:
            if self._kept.get(number) is entry and entry.png is None:
                entry.png, entry.image = png, None
                self._bytes += len(png)
                self._bound()
            return entry.png

    def numbers(self) -> list[int]:
        """The kept figures' numbers, newest first."""
        with self._lock:
            return list(reversed(self._kept))

    def get(self, number: int) -> KeptFigure:
        """Figure ``number``, or :class:`FigureGone`."""
        png = self._compress(number)
        with self._lock:
            entry = self._kept.get(number)
            size = self._sizes.get(number)
        if entry is None or png is None or size is None:
            raise FigureGone(
                f"figure {number} is no longer kept (tui-lab keeps the last {self.keep_png} figures); run its code again"
            )
        return KeptFigure(number, size[0], size[1], png, entry.figure)

    def size(self, number: int) -> tuple[int, int] | None:
        """Figure ``number``'s (width, height) in pixels, or None when it is no longer kept."""
        with self._lock:
            return self._sizes.get(number)

    def latest(self) -> int | None:
        """The newest figure's number, or None."""
        with self._lock:
            return next(reversed(self._kept), None) if self._kept else None

    def save(self, number: int, path: Path, fmt: str | None = None) -> Path:
        """Write figure ``number`` to ``path`` as PNG or SVG (atomically, following the umask); the path written.

        Raises :class:`FigureGone`, ValueError for an unknown format or an SVG of a figure no longer
        kept as a matplotlib object, and OSError (``fileio``'s refusals) for a bad target.
        """
        kept = self.get(number)
        fmt = save_format(path, fmt)
        if fmt == "png":
            data = kept.png
        else:
            if kept.figure is None:
                raise ValueError(
                    f"figure {number} can only be saved as PNG now: SVG needs the figure itself, and tui-lab keeps "
                    f"the last {self.keep_figures}"
                )
            out = io.BytesIO()
            kept.figure.savefig(out, format="svg")
            data = out.getvalue()
        return atomic_write_bytes(path, data, private=False, create_parents=True)

    def clear(self) -> None:
        """Forget every figure."""
        with self._lock:
            self._kept.clear()
            self._sizes.clear()
            self._bytes = 0


_store = FigureStore()


def store() -> FigureStore:
    """The process's figure store (matplotlib's figures are process-wide too)."""
    return _store

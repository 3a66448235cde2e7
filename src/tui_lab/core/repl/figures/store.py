"""The figures shown so far, bounded: PNG for the last :data:`KEEP_PNG`, matplotlib objects for the last :data:`KEEP_FIGURES`.

A figure is a value: a folded picture in the log is shown again from its PNG, and a figure is saved
as PNG (its pixels as shown) or SVG (drawn again from the matplotlib figure, while it is kept).
Memory stays flat however many figures a session makes: older entries are forgotten, and the
UI says so. Thread-safe: the REPL's code thread adds, the UI reads and saves.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_lab.core.fileio import atomic_write_bytes
from tui_lab.core.repl.figures.image import FigureImage, png_bytes

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
    figure: Any = None


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
        self._kept: OrderedDict[int, KeptFigure] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._kept)

    @property
    def png_bytes(self) -> int:
        """The bytes of PNG held now."""
        with self._lock:
            return self._bytes

    def add(self, image: FigureImage, figure: Any = None) -> None:
        """Keep ``image`` (as PNG) and ``figure`` (the matplotlib object) under ``image.number``."""
        kept = KeptFigure(image.number, image.width, image.height, png_bytes(image), figure)
        with self._lock:
            old = self._kept.pop(image.number, None)
            if old is not None:
                self._bytes -= len(old.png)
            self._kept[image.number] = kept
            self._bytes += len(kept.png)
            while len(self._kept) > 1 and (len(self._kept) > self.keep_png or self._bytes > self.keep_bytes):
                _, gone = self._kept.popitem(last=False)
                self._bytes -= len(gone.png)
            with_figures = [n for n, k in self._kept.items() if k.figure is not None]
            for number in with_figures[: max(0, len(with_figures) - self.keep_figures)]:
                old = self._kept[number]
                self._kept[number] = KeptFigure(old.number, old.width, old.height, old.png, None)

    def numbers(self) -> list[int]:
        """The kept figures' numbers, newest first."""
        with self._lock:
            return list(reversed(self._kept))

    def get(self, number: int) -> KeptFigure:
        """Figure ``number``, or :class:`FigureGone`."""
        with self._lock:
            kept = self._kept.get(number)
        if kept is None:
            raise FigureGone(
                f"figure {number} is no longer kept (tui-lab keeps the last {self.keep_png} figures); run its code again"
            )
        return kept

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
            self._bytes = 0


_store = FigureStore()


def store() -> FigureStore:
    """The process's figure store (matplotlib's figures are process-wide too)."""
    return _store

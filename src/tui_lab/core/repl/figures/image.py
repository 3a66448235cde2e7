"""A figure's picture as pixels: :class:`FigureImage`, and :func:`rasterize` (a matplotlib figure → RGBA).

The REPL sends pictures as RGBA rows (what Agg draws), not as files: the UI scales them to the
log's width for whatever the terminal shows (half-blocks, Kitty, Sixel). PNG is made from the
same pixels for the store (:func:`png_bytes`), so saving a figure needs no second drawing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, eq=False)
class FigureImage:
    """Figure ``number`` (counted from 1 in this process) as ``width`` × ``height`` RGBA pixels, rows top to bottom."""

    number: int
    width: int
    height: int
    rgba: bytes

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0 or len(self.rgba) != self.width * self.height * 4:
            raise ValueError(f"{len(self.rgba)} bytes are not {self.width}×{self.height} RGBA pixels")

    @property
    def size_text(self) -> str:
        """``640×480``."""
        return f"{self.width}×{self.height}"

    @property
    def alt(self) -> str:
        """What the figure is in a text log (a session's log, a notebook export): ``figure 3 (640×480)``."""
        return f"figure {self.number} ({self.size_text})"

    def __repr__(self) -> str:
        return f"<FigureImage {self.alt}>"


def rasterize(figure: Any, *, drawn: bool = False) -> tuple[int, int, bytes]:
    """``figure`` drawn by Agg at its own size and dpi: (width, height, RGBA bytes).

    Works for any matplotlib figure (pyplot's, or ``Figure()`` made directly): a figure whose
    canvas is not Agg's is drawn through a temporary Agg canvas, as ``savefig`` does. ``drawn``:
    its Agg canvas has just drawn it, so its buffer is read as it is.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = figure.canvas
    if isinstance(canvas, FigureCanvasAgg):
        if not drawn:
            FigureCanvasAgg.draw(canvas)  # the class's own draw: a subclass's draw may display the figure
        width, height = canvas.get_width_height(physical=True)
        return width, height, bytes(canvas.buffer_rgba())
    temporary = FigureCanvasAgg(figure)
    try:
        temporary.draw()
        width, height = temporary.get_width_height(physical=True)
        return width, height, bytes(temporary.buffer_rgba())
    finally:
        figure.set_canvas(canvas)


def png_bytes(image: FigureImage, compress_level: int = 1) -> bytes:
    """``image`` as a PNG file's bytes (fast compression: the pixels are plots, mostly flat colour)."""
    from PIL import Image

    picture = Image.frombuffer("RGBA", (image.width, image.height), image.rgba, "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    picture.save(out, format="png", compress_level=compress_level)
    return out.getvalue()


def from_png(number: int, data: bytes) -> FigureImage:
    """A :class:`FigureImage` decoded from PNG bytes (a folded figure shown again)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as picture:
        rgba = picture.convert("RGBA")
        return FigureImage(number, rgba.width, rgba.height, rgba.tobytes())

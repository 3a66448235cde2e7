"""A figure's pixels as terminal cells, sized to the log: half-blocks, Kitty graphics, Sixel, or one line.

:class:`FigureView` lays a :class:`~tui_lab.core.repl.figures.image.FigureImage` out for a width
(cached per width): as wide as the log, its aspect kept, scaled down (never cut) to fit the log's
height. What the cells hold depends on the mode (:mod:`.graphics`):

* **half-blocks**: each cell is ``▀`` (upper pixel as foreground, lower as background) or a space;
  the picture is downscaled keeping its thin strokes (:func:`downscale`). Only text with colours:
  nothing for any filter to catch, and tmux and the browser show it;
* **Kitty**: the picture goes to the terminal with the first line of each layout, as PNG, with a
  virtual placement the size of the cells; the cells are Unicode placeholders (``U+10EEEE`` with
  the row and column as diacritics from kitty's ``rowcolumn-diacritics.txt``, the image id as the
  foreground colour), so the text scrolls and the terminal draws the picture where they are
  (kitty, Ghostty; inside tmux the upload goes through tmux's passthrough);
* **Sixel**: each row of cells carries one band of the picture, the height of a cell, drawn where
  no text is written (textual-image's encoder, ``textual_image._sixel``: its public renderables
  query the terminal when imported, which must not happen once Textual reads the terminal);
* **text**, and a figure *folded* because newer figures hold the pixels: one line
  ``figure 3 (640×480, alt+s to show)``.

The graphics sequences of Kitty and Sixel are Rich *control* segments made here, from pixels and
numbers only (base64, digits, the Sixel alphabet), never from text that came from data: the app's
line filter (``ControlFilter``) passes control segments and shows every control character in text.
:class:`FigureGallery` keeps the pixels of the last :data:`MAX_PIXEL_FIGURES` figures; older ones fold.
"""

from __future__ import annotations

import base64
import io
import itertools
import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.color import Color
from rich.console import Console
from rich.segment import ControlType, Segment
from rich.style import Style
from textual.strip import Strip

from tui_lab.ui.repl.blocks import Laid, LogBlock
from tui_lab.ui.repl.graphics import Graphics, ImageMode, current

if TYPE_CHECKING:
    from PIL.Image import Image

    from tui_lab.core.repl.figures.image import FigureImage

#: Figures the log keeps as pixels; older ones fold to one line.
MAX_PIXEL_FIGURES = 20
#: The key that shows a folded figure again (the Figures… picker), as the fold line names it.
SHOW_KEY = "alt+s"
#: The placeholder cell of the Kitty graphics protocol, and the diacritics that number rows and columns.
KITTY_PLACEHOLDER = "\U0010eeee"
_NULL_CONTROL = ((ControlType.CURSOR_FORWARD, 0),)  # a control segment that moves nothing (as textual-image's)
_WHITE = (255, 255, 255)
#: Colour channels are rounded to this step: near-equal neighbours share one style, so fewer bytes go out.
COLOUR_STEP = 8
# The first diacritics of kitty's rowcolumn-diacritics.txt: enough for 297 rows and columns.
_DIACRITICS = [
    0x0305, 0x030D, 0x030E, 0x0310, 0x0312, 0x033D, 0x033E, 0x033F, 0x0346, 0x034A, 0x034B, 0x034C, 0x0350, 0x0351,
    0x0352, 0x0357, 0x035B, 0x0363, 0x0364, 0x0365, 0x0366, 0x0367, 0x0368, 0x0369, 0x036A, 0x036B, 0x036C, 0x036D,
    0x036E, 0x036F, 0x0483, 0x0484, 0x0485, 0x0486, 0x0487, 0x0592, 0x0593, 0x0594, 0x0595, 0x0597, 0x0598, 0x0599,
    0x059C, 0x059D, 0x059E, 0x059F, 0x05A0, 0x05A1, 0x05A8, 0x05A9, 0x05AB, 0x05AC, 0x05AF, 0x05C4, 0x0610, 0x0611,
    0x0612, 0x0613, 0x0614, 0x0615, 0x0616, 0x0617, 0x0657, 0x0658, 0x0659, 0x065A, 0x065B, 0x065D, 0x065E, 0x06D6,
    0x06D7, 0x06D8, 0x06D9, 0x06DA, 0x06DB, 0x06DC, 0x06DF, 0x06E0, 0x06E1, 0x06E2, 0x06E4, 0x06E7, 0x06E8, 0x06EB,
    0x06EC, 0x0730, 0x0732, 0x0733, 0x0735, 0x0736, 0x073A, 0x073D, 0x073F, 0x0740, 0x0741, 0x0743, 0x0745, 0x0747,
    0x0749, 0x074A, 0x07EB, 0x07EC, 0x07ED, 0x07EE, 0x07EF, 0x07F0, 0x07F1, 0x07F3, 0x0816, 0x0817, 0x0818, 0x0819,
    0x081B, 0x081C, 0x081D, 0x081E, 0x081F, 0x0820, 0x0821, 0x0822, 0x0823, 0x0825, 0x0826, 0x0827, 0x0829, 0x082A,
    0x082B, 0x082C, 0x082D, 0x0951, 0x0953, 0x0954, 0x0F82, 0x0F83, 0x0F86, 0x0F87, 0x135D, 0x135E, 0x135F, 0x17DD,
    0x193A, 0x1A17, 0x1A75, 0x1A76, 0x1A77, 0x1A78, 0x1A79, 0x1A7A, 0x1A7B, 0x1A7C, 0x1B6B, 0x1B6D, 0x1B6E, 0x1B6F,
    0x1B70, 0x1B71, 0x1B72, 0x1B73, 0x1CD0, 0x1CD1, 0x1CD2, 0x1CDA, 0x1CDB, 0x1CE0, 0x1DC0, 0x1DC1, 0x1DC3, 0x1DC4,
    0x1DC5, 0x1DC6, 0x1DC7, 0x1DC8, 0x1DC9, 0x1DCB, 0x1DCC, 0x1DD1, 0x1DD2, 0x1DD3, 0x1DD4, 0x1DD5, 0x1DD6, 0x1DD7,
    0x1DD8, 0x1DD9, 0x1DDA, 0x1DDB, 0x1DDC, 0x1DDD, 0x1DDE, 0x1DDF, 0x1DE0, 0x1DE1, 0x1DE2, 0x1DE3, 0x1DE4, 0x1DE5,
    0x1DE6, 0x1DFE, 0x20D0, 0x20D1, 0x20D4, 0x20D5, 0x20D6, 0x20D7, 0x20DB, 0x20DC, 0x20E1, 0x20E7, 0x20E9, 0x20F0,
    0x2CEF, 0x2CF0, 0x2CF1, 0x2DE0, 0x2DE1, 0x2DE2, 0x2DE3, 0x2DE4, 0x2DE5, 0x2DE6, 0x2DE7, 0x2DE8, 0x2DE9, 0x2DEA,
    0x2DEB, 0x2DEC, 0x2DED, 0x2DEE, 0x2DEF, 0x2DF0, 0x2DF1, 0x2DF2, 0x2DF3, 0x2DF4, 0x2DF5, 0x2DF6, 0x2DF7, 0x2DF8,
    0x2DF9, 0x2DFA, 0x2DFB, 0x2DFC, 0x2DFD, 0x2DFE, 0x2DFF, 0xA66F, 0xA67C, 0xA67D, 0xA6F0, 0xA6F1, 0xA8E0, 0xA8E1,
    0xA8E2, 0xA8E3, 0xA8E4, 0xA8E5, 0xA8E6, 0xA8E7, 0xA8E8, 0xA8E9, 0xA8EA, 0xA8EB, 0xA8EC, 0xA8ED, 0xA8EE, 0xA8EF,
    0xA8F0, 0xA8F1, 0xAAB0, 0xAAB2, 0xAAB3, 0xAAB7, 0xAAB8, 0xAABE, 0xAABF, 0xAAC1, 0xFE20, 0xFE21, 0xFE22, 0xFE23,
    0xFE24, 0xFE25, 0xFE26,
]  # fmt: skip
#: Kitty image ids: 24 bits (the foreground colour), never 0, random start so two tui-labs rarely share one.
_kitty_ids = itertools.count(random.randint(1, 1 << 22))


def fit(width: int, height: int, columns: int, max_rows: int, cell: tuple[int, int]) -> tuple[int, int]:
    """(columns, rows) for a ``width`` × ``height`` picture: ``columns`` wide, its aspect kept, at most ``max_rows``.

    ``cell`` is a cell's (width, height) in the picture's pixels as the terminal shows them.
    """
    cell_w, cell_h = cell
    columns = max(1, columns)
    rows = max(1, round(columns * cell_w * height / (width * cell_h)))
    if rows > max_rows >= 1:
        rows = max_rows
        columns = max(1, min(columns, round(rows * cell_h * width / (height * cell_w))))
    return columns, rows


def _pil(image: FigureImage) -> Image:
    """The figure on white (a transparent figure shows the page it is on, as in a notebook)."""
    from PIL import Image as PILImage

    rgba = PILImage.frombuffer("RGBA", (image.width, image.height), image.rgba, "raw", "RGBA", 0, 1)
    background = PILImage.new("RGB", rgba.size, _WHITE)
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


#: Downscaling samples each cell's pixel SAMPLES × SAMPLES times and weighs the darkest sample this much.
SAMPLES = 3
DARKEST = 0.6


def downscale(picture: Image, size: tuple[int, int]) -> Image:
    """``picture`` (RGB) at ``size``, thin strokes kept: a 1-pixel line must survive a 7× reduction.

    An average alone (a box filter) fades such a line into the page; each output pixel is the
    average of its samples mixed with the darkest of them (the lightest on a dark page).
    """
    import numpy as np
    from PIL import Image as PILImage

    width, height = size
    if min(picture.width / width, picture.height / height) < 2.5:
        return picture.resize(size, PILImage.Resampling.BOX)
    samples = np.asarray(picture.resize((width * SAMPLES, height * SAMPLES), PILImage.Resampling.BOX))
    blocks = samples.reshape(height, SAMPLES, width, SAMPLES, 3)
    corners = samples[[0, -1], [0, -1]].astype(np.int32)
    dark_page = corners.sum() < 3 * 128 * len(corners)
    extreme = blocks.max(axis=(1, 3)) if dark_page else blocks.min(axis=(1, 3))
    mixed = DARKEST * extreme + (1 - DARKEST) * blocks.mean(axis=(1, 3))
    return PILImage.fromarray(mixed.round().astype(np.uint8), "RGB")


#: Each channel rounded to a multiple of :data:`COLOUR_STEP` (a lookup table for ``Image.point``).
_ROUNDED = [min(255, (value + COLOUR_STEP // 2) // COLOUR_STEP * COLOUR_STEP) for value in range(256)] * 3


def half_block_strips(image: FigureImage, columns: int, rows: int) -> list[Strip]:
    """The picture as ``rows`` lines of ``columns`` cells, two pixels a cell (``▀``: upper fg, lower bg)."""
    import numpy as np

    small = np.asarray(downscale(_pil(image), (columns, rows * 2)).point(_ROUNDED), dtype=np.uint32)
    packed = (small[:, :, 0] << 16) | (small[:, :, 1] << 8) | small[:, :, 2]  # one int per pixel: 0xRRGGBB
    styles: dict[tuple[int, int], Style] = {}
    strips: list[Strip] = []
    for row in range(rows):
        upper, lower = packed[2 * row], packed[2 * row + 1]
        # Where the colour pair changes: each run of equal cells becomes one segment.
        starts = [0, *(np.flatnonzero((upper[1:] != upper[:-1]) | (lower[1:] != lower[:-1])) + 1).tolist(), columns]
        tops, bottoms = upper[starts[:-1]].tolist(), lower[starts[:-1]].tolist()
        segments = [
            _cells(top, bottom, end - start, styles)
            for top, bottom, start, end in zip(tops, bottoms, starts, starts[1:], strict=False)
        ]
        strips.append(Strip(segments, columns))
    return strips


def _cells(top: int, bottom: int, count: int, styles: dict[tuple[int, int], Style]) -> Segment:
    """``count`` cells with ``top`` over ``bottom`` (0xRRGGBB): ``▀`` in two colours, or a space on one."""
    style = styles.get((top, bottom))
    if style is None:
        lower = Color.from_rgb(bottom >> 16, (bottom >> 8) & 255, bottom & 255)
        if top == bottom:
            style = Style(bgcolor=lower)
        else:
            style = Style(color=Color.from_rgb(top >> 16, (top >> 8) & 255, top & 255), bgcolor=lower)
        styles[(top, bottom)] = style
    return Segment((" " if top == bottom else "▀") * count, style)


def _kitty_command(payload: str = "", **keys: object) -> str:
    """One Kitty graphics command (keys and payload are numbers, letters and base64 only)."""
    body = ",".join(f"{key}={value}" for key, value in keys.items())
    return f"\x1b_G{body}{';' + payload if payload else ''}\x1b\\"


def tmux_passthrough(sequence: str) -> str:
    """``sequence`` wrapped for tmux to pass on to the terminal (needs ``set -g allow-passthrough on``)."""
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def kitty_upload(image_id: int, png: bytes, columns: int, rows: int, *, tmux: bool = False) -> str:
    """Transmit ``png`` as image ``image_id`` (chunks of 4096) and place it virtually over ``columns`` × ``rows`` cells.

    Inside tmux each command is wrapped in tmux's passthrough; the placeholder cells are plain text
    tmux draws itself, so the picture moves with them.
    """
    data = base64.standard_b64encode(png).decode("ascii")
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)] or [""]
    parts = []
    for index, chunk in enumerate(chunks):
        more = 1 if index < len(chunks) - 1 else 0
        if index == 0:
            parts.append(_kitty_command(chunk, a="t", f=100, t="d", i=image_id, q=2, m=more))
        else:
            parts.append(_kitty_command(chunk, m=more, q=2))
    parts.append(_kitty_command(a="p", U=1, i=image_id, c=columns, r=rows, q=2))
    return "".join(tmux_passthrough(part) if tmux else part for part in parts)


def kitty_delete(image_id: int) -> str:
    """Free image ``image_id`` in the terminal."""
    return _kitty_command(a="d", d="I", i=image_id, q=2)


def kitty_strips(image_id: int, png: bytes, columns: int, rows: int, *, tmux: bool = False) -> list[Strip]:
    """Placeholder cells for image ``image_id``; the first line also carries the upload (a control segment)."""
    if columns > len(_DIACRITICS) or rows > len(_DIACRITICS):
        columns, rows = min(columns, len(_DIACRITICS)), min(rows, len(_DIACRITICS))
    style = Style(color=Color.from_rgb((image_id >> 16) & 255, (image_id >> 8) & 255, image_id & 255))
    strips = []
    for row in range(rows):
        mark = chr(_DIACRITICS[row])
        text = KITTY_PLACEHOLDER + mark + chr(_DIACRITICS[0]) + KITTY_PLACEHOLDER * (columns - 1)
        segments = [Segment(text, style)]
        if row == 0:
            segments.insert(0, Segment(kitty_upload(image_id, png, columns, rows, tmux=tmux), None, _NULL_CONTROL))
        strips.append(Strip(segments, columns))
    return strips


def sixel_strips(image: FigureImage, columns: int, rows: int, cell: tuple[int, int]) -> list[Strip]:
    """Blank cells, each line carrying one band of the picture (a cell high), drawn by Sixel over them."""
    from textual_image._sixel import image_to_sixels  # the encoder only: the package's own detection is not run

    cell_w, cell_h = cell
    picture = _pil(image).resize((columns * cell_w, rows * cell_h))
    strips = []
    for row in range(rows):
        band = picture.crop((0, row * cell_h, columns * cell_w, (row + 1) * cell_h))
        sixels = image_to_sixels(band)
        # The cells first (blank), then back to the line's start to draw the band over them, then back again.
        # No text in these cells (text would erase the band): save the cursor, draw, restore it, step over.
        draw = f"\x1b7{sixels}\x1b8\x1b[{columns}C"
        strips.append(Strip([Segment(draw, None, _NULL_CONTROL)], columns))
    return strips


def fold_lines(number: int, size_text: str, why: str, width: int) -> list[Strip]:
    """``figure 3 (640×480, alt+s to show)``, wrapped at word boundaries to the log's ``width`` (never cut)."""
    import textwrap

    text = f"figure {number} ({size_text}, {why})"
    style = Style(dim=True, italic=True)
    return [Strip([Segment(line, style)], len(line)) for line in textwrap.wrap(text, max(width, 1))]


_BYTES_CONSOLE = Console(file=io.StringIO(), color_system="truecolor", force_terminal=True, width=1_000)


def sent_bytes(lines: Sequence[Strip]) -> int:
    """How many bytes ``lines`` take on the way to a truecolor terminal (styles and graphics sequences included)."""
    return sum(len(strip.render(_BYTES_CONSOLE).encode()) for strip in lines)


class FigureView:
    """One figure in the log, laid out per width; folded, it is one line until shown again.

    Laying out is plain computation (no widget is touched): a worker or the code's thread lays a
    view out for the log's size before the UI shows it, so the UI thread only copies lines.
    """

    def __init__(
        self,
        image: FigureImage,
        *,
        max_rows: Callable[[], int] = lambda: 1_000,
        graphics: Callable[[], Graphics] = current,
        png: Callable[[int], bytes | None] | None = None,
    ) -> None:
        self.number = image.number
        self.size_text = image.size_text
        self._image: FigureImage | None = image
        #: The log's height in rows (a figure taller than that is scaled down).
        self.max_rows = max_rows
        self._graphics = graphics
        self._png = png
        self._cached: tuple[object, list[Strip]] | None = None
        self._kitty_id = 0

    @property
    def folded(self) -> bool:
        """True when the pixels were let go (newer figures hold them)."""
        return self._image is None

    @property
    def image(self) -> FigureImage | None:
        """The pixels, while not folded."""
        return self._image

    def fold(self) -> None:
        """Let the pixels go: the figure is one line now (the store keeps its PNG)."""
        self._image = None
        self._cached = None

    def unfold(self, image: FigureImage) -> None:
        """Hold pixels again (decoded from the store's PNG)."""
        self._image = image
        self._cached = None

    def lines(self, width: int) -> list[Strip]:
        """The figure's lines for a log ``width`` columns wide (computed once per width, height and mode)."""
        graphics = self._graphics()
        max_rows = max(4, self.max_rows())
        key = (width, max_rows, graphics.mode, graphics.cell, self._image is None)
        if self._cached is None or self._cached[0] != key:
            self._cached = (key, self._layout(width, max_rows, graphics))
        return self._cached[1]

    def _layout(self, width: int, max_rows: int, graphics: Graphics) -> list[Strip]:
        image = self._image
        if image is None:
            return fold_lines(self.number, self.size_text, f"{SHOW_KEY} to show", width)
        mode = graphics.mode
        if mode is ImageMode.TEXT:
            return fold_lines(self.number, self.size_text, "images are off: alt+i; F6 saves it", width)
        if mode is ImageMode.KITTY:
            columns, rows = fit(image.width, image.height, width, max_rows, graphics.cell)
            png = self._png(image.number) if self._png is not None else None
            if png is None:
                from tui_lab.core.repl.figures.image import png_bytes

                png = png_bytes(image)
            self._kitty_id = next(_kitty_ids) & 0xFFFFFF or 1
            return kitty_strips(self._kitty_id, png, columns, rows, tmux=graphics.tmux)
        if mode is ImageMode.SIXEL:
            columns, rows = fit(image.width, image.height, width, max_rows, graphics.cell)
            return sixel_strips(image, columns, rows, graphics.cell)
        columns, rows = fit(image.width, image.height, width, max_rows, (1, 2))
        return half_block_strips(image, columns, rows)


class FigureBlock(LogBlock):
    """A :class:`FigureView` as a block of the REPL log, written under :attr:`key` so it can be laid out again.

    Its lines come from the view, which caches them per width, height and mode: the log asks again
    on a resize, and :meth:`~tui_lab.ui.repl.log.ReplLog.relayout` when the view folded or the mode changed.
    """

    def __init__(self, view: FigureView) -> None:
        super().__init__(self._layout)
        self.view = view
        self.key = ("figure", id(self))

    def _layout(self, width: int, console: Console) -> Laid:
        strips = self.view.lines(width)
        return Laid(list(strips), [None] * len(strips))

    def lines(self, width: int, console: Console) -> Laid:
        return self._layout(width, console)


class FigureGallery:
    """The figures in the log, newest last: only the last :data:`MAX_PIXEL_FIGURES` hold pixels.

    ``on_fold(view)`` is told when a figure folds or unfolds, so the log lays it out again.
    """

    def __init__(self, on_change: Callable[[FigureView], None], limit: int = MAX_PIXEL_FIGURES) -> None:
        self._views: list[FigureView] = []
        self._on_change = on_change
        self.limit = limit

    def __len__(self) -> int:
        return len(self._views)

    @property
    def views(self) -> list[FigureView]:
        """Every figure still in the log, oldest first."""
        return list(self._views)

    def add(self, view: FigureView) -> FigureView:
        """A figure written to the log: it holds pixels, the oldest holding them beyond the limit folds."""
        self._views.append(view)
        self._bound(keep=view)
        return view

    def remove(self, view: FigureView) -> None:
        """A figure taken out of the log (a live picture replaced by the final one, a cleared log)."""
        if view in self._views:
            self._views.remove(view)

    def clear(self) -> None:
        self._views.clear()

    def show_again(self, number: int, image: FigureImage) -> FigureView | None:
        """Unfold figure ``number`` (its pixels decoded from the store); the oldest other one folds if need be."""
        view = next((v for v in reversed(self._views) if v.number == number), None)
        if view is None:
            return None
        if view.folded:
            view.unfold(image)
            self._views.remove(view)
            self._views.append(view)  # the most recently shown holds its pixels longest
            self._on_change(view)
            self._bound(keep=view)
        return view

    def _bound(self, keep: FigureView) -> None:
        holding = [v for v in self._views if not v.folded]
        for view in holding[: max(0, len(holding) - self.limit)]:
            if view is not keep:
                view.fold()
                self._on_change(view)

"""What the REPL's log holds: blocks that lay themselves out for a width, on demand.

A :class:`LogBlock` is one piece of the log (an echoed input, some output, a picture) with a layout
function from a width to its lines (:class:`Laid`), cached for the last width asked, so the log
(:mod:`tui_lab.ui.repl.log`) re-wraps everything on a resize and lays out only what changed
otherwise. :func:`text_block` soft-wraps text at the width, as a terminal does, and remembers what
each wrap took out, so a copied selection joins the lines again; with ``hang`` the lines it wraps go
on under their text, not under a prompt (an echoed ``In [n]: `` input, as in a notebook's cell); with
``wrap=False`` (pictures) the lines are kept whole. :func:`renderable_block` renders any Rich renderable at the width. A future
kind (a figure drawn in cells) is one more layout function. Every line is passed through
:func:`tui_lab.core.text.visible`: no segment text with a control character leaves a block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from tui_lab.core.text import has_controls, visible


@dataclass(frozen=True)
class Laid:
    """A block's lines at one width; ``joins[i]`` is None where line ``i`` starts a line of its own, and
    the text the wrap took out (a space, or nothing) where it continues line ``i - 1``; ``indents[i]`` is
    how many cells of blank indent the wrap put before a continued line's text (none if not given)."""

    strips: list[Strip]
    joins: list[str | None]
    indents: list[int] | None = None

    def indent(self, index: int) -> int:
        """The blank cells the wrap put before line ``index``'s text."""
        return self.indents[index] if self.indents is not None else 0

    @property
    def widest(self) -> int:
        """The widest line's cells (a picture may be wider than the log; wrapped text never is)."""
        return max((strip.cell_length for strip in self.strips), default=0)


Layout = Callable[[int, Console], Laid]


class LogBlock:
    """One piece of the log (an echoed input, some output, a picture) and its layout, cached per width.

    ``same_from``: the layout is the same at every width from this one up (a text's longest line;
    0 for a picture), so a resize between such widths lays nothing out again.
    """

    def __init__(self, layout: Layout, *, same_from: int | None = None) -> None:
        self._layout = layout
        self._same_from = same_from
        self._cached: tuple[int, Laid] | None = None

    def lines(self, width: int, console: Console) -> Laid:
        """The block laid out ``width`` columns wide (computed once per width, or once for all wide enough)."""
        cached = self._cached
        if cached is not None:
            same = self._same_from is not None and min(cached[0], width) >= self._same_from
            if cached[0] == width or same:
                return cached[1]
        self._cached = (width, self._layout(width, console))
        return self._cached[1]


def safe_strip(segments: Iterable[Segment]) -> Strip:
    """A line whose texts hold no control character (the log's choke point on the way to the terminal)."""
    safe = [
        Segment(visible(segment.text), segment.style, segment.control)
        if segment.text and has_controls(segment.text)
        else segment
        for segment in segments
        if not segment.control
    ]
    return Strip(safe)


#: Below this many columns for the text, a hanging indent is dropped: the text wraps under its prompt.
MIN_HUNG_WIDTH = 12


def text_block(text: Text, *, wrap: bool = True, hang: int = 0) -> LogBlock:
    """Text, soft-wrapped at the log's width (``wrap=False``: each line kept whole; a wider one scrolls).

    ``hang``: each line's first ``hang`` cells (a prompt, in plain characters) stay on its first row, and the
    rest wraps in the columns after them, so every row it wraps onto starts under the text.
    """

    def pieces_of(line: Text, width: int, console: Console) -> tuple[list[Text], int]:
        if not wrap or line.cell_len <= width:
            return [line], 0
        if hang and width - hang >= MIN_HUNG_WIDTH:
            head, body = line.divide([hang])
            rows = list(body.wrap(console, width - hang, overflow="fold", no_wrap=False))
            return [head + rows[0], *(Text(" " * hang) + row for row in rows[1:])], hang
        return list(line.wrap(console, width, overflow="fold", no_wrap=False)), 0

    def layout(width: int, console: Console) -> Laid:
        strips: list[Strip] = []
        joins: list[str | None] = []
        indents: list[int] = []
        for line in text.split("\n", allow_blank=True):
            line.expand_tabs(8)
            pieces, indent = pieces_of(line, width, console)
            whole, at = line.plain, 0
            for index, piece in enumerate(pieces):
                segments = piece.render(console)  # the spans' styles; the text's own style goes under them
                if piece.style:
                    segments = Segment.apply_style(segments, console.get_style(piece.style, default=Style.null()))
                strips.append(safe_strip(segments))
                own = piece.plain[indent:] if index else piece.plain
                found = whole.find(own, at)  # the wrap drops spaces at a break: remember them
                joins.append(None if index == 0 else whole[at:found] if found >= at else "")
                indents.append(indent if index else 0)
                at = found + len(own) if found >= at else at
        return Laid(strips, joins, indents if any(indents) else None)

    longest = max((cell_len(line) for line in text.plain.split("\n")), default=0) if wrap else 0
    return LogBlock(layout, same_from=longest)


def renderable_block(renderable: RenderableType) -> LogBlock:
    """Any Rich renderable (a table, a group), rendered at the log's width."""

    def layout(width: int, console: Console) -> Laid:
        options = console.options.update_width(width)
        lines = console.render_lines(renderable, options, pad=False)
        return Laid([safe_strip(line) for line in lines], [None] * len(lines))

    return LogBlock(layout)


def as_block(content: RenderableType | LogBlock) -> LogBlock:
    """What :meth:`ReplLog.write` takes, as a block: a string is plain text, never markup."""
    if isinstance(content, LogBlock):
        return content
    if isinstance(content, str):
        return text_block(Text(content))
    if isinstance(content, Text):
        return text_block(content, wrap=not content.no_wrap)
    return renderable_block(content)

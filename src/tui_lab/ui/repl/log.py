"""The REPL's output log: blocks laid out for the log's width, soft-wrapped, replaced in place, bounded.

A Line API widget (a :class:`~textual.scroll_view.ScrollView` drawing with ``render_line``, as
Textualize's toolong draws its ``LogLines``). What is written is kept as blocks
(:mod:`tui_lab.ui.repl.blocks`), not as lines: each block lays itself out for a width on demand, so
a resize re-wraps everything. Text wraps at the log's width as in a terminal, and a copied
selection joins the wrapped lines again; pictures (plots) keep their lines and scroll sideways. A
block written with a ``key`` can be replaced where it stands (a live plot).

The log keeps at most ``max_lines`` lines: older blocks are dropped whole and a first line says how
many lines went. It follows the end while you are at the end; scroll up and it stays where you
are (shift+tab into the log, then ↑/↓, PgUp/PgDn, Home/End, or the mouse). Text selected with
the mouse is highlighted and given to the screen's copy. No segment text with a control character
ever leaves it (:func:`~tui_lab.ui.repl.blocks.safe_strip`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Hashable
from dataclasses import dataclass, field

from rich.console import RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.events import Resize
from textual.geometry import Offset, Size
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

from tui_lab.ui.repl.blocks import Laid, LogBlock, as_block, safe_strip

#: Narrower than this, the log lays out at this width and scrolls sideways.
MIN_WIDTH = 20
_NOTE_STYLE = Style(dim=True, italic=True)


@dataclass(eq=False)
class _Entry:
    block: LogBlock
    key: Hashable | None = None
    laid: Laid = field(default_factory=lambda: Laid([], []))


def _with_offsets(strip: Strip, x: int, y: int) -> Strip:
    """``strip.apply_offsets(x, y)`` (the cell offsets text selection reads), keeping control segments.

    Textual's ``apply_offsets`` makes every segment text: a figure's graphics sequence (a control segment
    made by ``images.py`` from pixels) would become text, and the control filter would show it as ``␛_G…``.
    """
    if not any(segment.control for segment in strip):
        return strip.apply_offsets(x, y)
    segments = []
    for segment in strip:
        if segment.control:
            segments.append(segment)
            continue
        text, style, _ = segment
        offset = Style.from_meta({"offset": (x, y)})
        segments.append(Segment(text, style + offset if style else offset))
        x += len(text)
    return Strip(segments, strip.cell_length)


class ReplLog(ScrollView, can_focus=True):
    """The REPL's output: blocks of text and pictures, wrapped at the log's width, the newest at the end."""

    DEFAULT_CSS = """
    ReplLog {
        background: $surface;
        color: $foreground;
        overflow-y: scroll;
        overflow-x: auto;
        &:focus {
            background-tint: $foreground 5%;
        }
    }
    """

    def __init__(self, *, max_lines: int = 10_000, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.max_lines = max_lines
        self._entries: list[_Entry] = []
        self._keys: dict[Hashable, _Entry] = {}
        #: Each entry's first line, counted from the first line ever laid out at this width.
        self._starts: list[int] = []
        self._end = 0  # one past the last line, on the same count
        self._width = 0  # the width the entries are laid out for (0: not yet known)
        self._widest = 0
        self._dropped = 0  # lines dropped from the top since the log was last cleared
        self._follow = True
        self._moving = False  # the log scrolls itself: that is not the user leaving the end
        self._settling = False  # a _settle is queued (many writes in a row size the view once)
        self._pending_shift = 0  # lines the view's content moved since, while you read above the end
        self._pending_top: tuple[_Entry, int] | None = None  # after a resize: the line to keep at the top

    # -- what is shown ---------------------------------------------------------------------

    @property
    def line_count(self) -> int:
        """Lines at the current width, the note about dropped lines included."""
        return self._end - self._first + (1 if self._dropped else 0)

    @property
    def dropped_lines(self) -> int:
        """How many lines were dropped from the top to keep :attr:`max_lines`."""
        return self._dropped

    @property
    def following(self) -> bool:
        """True while the log keeps its end in view as output arrives (the user has not scrolled up)."""
        return self._follow

    @property
    def lines(self) -> list[Strip]:
        """Every line at the current width, top to bottom (empty until the log has a width)."""
        return [self._line(y) for y in range(self.line_count)]

    @property
    def text(self) -> str:
        """The log as plain text, soft-wrapped lines joined again."""
        return self._extract(Offset(0, 0), None)

    @property
    def _first(self) -> int:
        return self._starts[0] if self._starts else self._end

    # -- writing ---------------------------------------------------------------------------

    def write(self, content: RenderableType | LogBlock, *, key: Hashable | None = None) -> None:
        """Add ``content`` at the end (a string is plain text); with ``key`` it can be replaced later."""
        entry = _Entry(as_block(content), key)
        if key is not None:
            self._keys[key] = entry
        self._entries.append(entry)
        self._starts.append(self._end)
        if self._width:
            entry.laid = entry.block.lines(self._width, self.app.console)
            self._end += len(entry.laid.strips)
            self._widest = max(self._widest, entry.laid.widest)
        self._changed()

    def show(self, key: Hashable, content: RenderableType | LogBlock) -> None:
        """Replace the block written with ``key`` where it stands, or write it at the end if it is gone."""
        entry = self._keys.get(key)
        index = self._index(entry) if entry is not None else None
        if entry is None or index is None:
            self.write(content, key=key)
            return
        entry.block = as_block(content)
        self._relaid(index)

    def relayout(self, key: Hashable) -> bool:
        """Lay the block written with ``key`` out again where it stands (what it draws changed); False if it is gone."""
        entry = self._keys.get(key)
        index = self._index(entry) if entry is not None else None
        if index is None:
            return False
        self._relaid(index)
        return True

    def drop(self, key: Hashable) -> bool:
        """Take the block written with ``key`` out of the log; False if it is no longer there."""
        entry = self._keys.pop(key, None)
        index = self._index(entry) if entry is not None else None
        if index is None:
            return False
        assert entry is not None
        entry.block = LogBlock(lambda width, console: Laid([], []))
        self._relaid(index)
        del self._entries[index]
        del self._starts[index]
        return True

    def clear(self) -> None:
        """Empty the log (and forget every key)."""
        self._entries.clear()
        self._keys.clear()
        self._starts.clear()
        self._end = self._widest = self._dropped = 0
        self._follow = True
        self._changed()

    def _index(self, entry: _Entry | None) -> int | None:
        for index in range(len(self._entries) - 1, -1, -1):  # live blocks are near the end
            if self._entries[index] is entry:
                return index
        return None

    def _relaid(self, index: int) -> None:
        """The block at ``index`` changed: lay it out again and move the lines after it."""
        entry = self._entries[index]
        shift = 0
        if self._width:
            before = len(entry.laid.strips)
            entry.laid = entry.block.lines(self._width, self.app.console)
            delta = len(entry.laid.strips) - before
            for later in range(index + 1, len(self._starts)):
                self._starts[later] += delta
            self._end += delta
            self._widest = max(self._widest, entry.laid.widest)
            top = self._starts[index] - self._first + (1 if self._dropped else 0)
            if top < self.scroll_y:
                shift = delta  # what you are reading stays where it is
        self._changed(shift)

    # -- layout ----------------------------------------------------------------------------

    def on_resize(self, _: Resize) -> None:
        width = max(self.scrollable_content_region.width, MIN_WIDTH) if self.scrollable_content_region.width else 0
        if width and width != self._width:
            self._layout_all(width)

    def _layout_all(self, width: int) -> None:
        """Lay every block out for ``width`` (the first size, or a resize): text re-wraps."""
        top = self._top_line() if not self._follow else None
        self._width = width
        console = self.app.console
        self._end = self._widest = 0
        for index, entry in enumerate(self._entries):
            entry.laid = entry.block.lines(width, console)
            self._starts[index] = self._end
            self._end += len(entry.laid.strips)
            self._widest = max(self._widest, entry.laid.widest)
        self._pending_top = top
        self._changed()

    def _top_line(self) -> tuple[_Entry, int] | None:
        """The block at the top of the view and the line of it there, to keep it in view across a resize."""
        if not self._width or not self._entries:
            return None
        line = self._first + max(int(self.scroll_y) - (1 if self._dropped else 0), 0)
        index = max(bisect_right(self._starts, line) - 1, 0)
        return self._entries[index], max(line - self._starts[index], 0)

    def _changed(self, shift: int = 0) -> None:
        """After any change: drop what is over the limit now; size the view and scroll once, after a burst."""
        if not self._width:  # not laid out yet: the first size lays everything out
            return
        self._pending_shift += shift + self._trim()
        if not self._settling:
            self._settling = True
            self.call_later(self._settle)

    def _settle(self) -> None:
        """Size the view for the lines there are now, then follow the end or keep what you were reading."""
        self._settling = False
        shift, self._pending_shift = self._pending_shift, 0
        top, self._pending_top = self._pending_top, None
        self.virtual_size = Size(max(self._widest, self._width), self.line_count)
        self.refresh()
        if self._follow:
            self._move_to(self.max_scroll_y)
            self.call_after_refresh(self._keep_following)  # once the scrollbars have settled
        elif top is not None and top[0] in self._entries:
            entry, offset = top
            line = self._starts[self._entries.index(entry)] + min(offset, max(len(entry.laid.strips) - 1, 0))
            self._move_to(line - self._first + (1 if self._dropped else 0))
        elif shift:
            self._move_to(max(self.scroll_y + shift, 0))

    def _keep_following(self) -> None:
        if self._follow:
            self._move_to(self.max_scroll_y)

    def _trim(self) -> int:
        """Drop whole blocks from the top while there are more than ``max_lines`` lines (the last block stays).

        Returns how far the view's lines moved up (the dropped lines, less the note's line when it appears).
        """
        excess = self._end - self._first - self.max_lines
        if excess <= 0 or len(self._entries) < 2:
            return 0
        count = min(bisect_left(self._starts, self._first + excess), len(self._entries) - 1)
        gone = self._starts[count] - self._first
        if not gone:
            return 0
        had_note = bool(self._dropped)
        for entry in self._entries[:count]:
            if entry.key is not None and self._keys.get(entry.key) is entry:
                del self._keys[entry.key]
        del self._entries[:count]
        del self._starts[:count]
        self._dropped += gone
        self._widest = max((entry.laid.widest for entry in self._entries), default=0)
        return -gone + (0 if had_note else 1)

    def _move_to(self, y: float) -> None:
        self._moving = True
        try:
            self.scroll_to(y=y, animate=False, immediate=True)
        finally:
            self._moving = False

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._user_moved()

    def watch_scroll_target_y(self, old_value: float, new_value: float) -> None:
        self._user_moved()

    def _user_moved(self) -> None:
        if not self._moving:
            self._follow = round(self.scroll_target_y) >= self.max_scroll_y

    # -- drawing ---------------------------------------------------------------------------

    def _line(self, y: int) -> Strip:
        """Line ``y`` of the view at the current width (0 is the note when lines were dropped)."""
        if self._dropped:
            if y == 0:
                return self._note()
            y -= 1
        line = self._first + y
        index = bisect_right(self._starts, line) - 1
        if index < 0 or line >= self._end:
            return Strip.blank(0)
        return self._entries[index].laid.strips[line - self._starts[index]]

    def _join(self, y: int) -> tuple[str | None, int]:
        """What joins line ``y`` to the line above when it is a soft-wrapped continuation (else None), and the
        blank cells the wrap put before its text."""
        if self._dropped:
            if y == 0:
                return None, 0
            y -= 1
        line = self._first + y
        index = bisect_right(self._starts, line) - 1
        if index < 0 or line >= self._end:
            return None, 0
        laid, at = self._entries[index].laid, line - self._starts[index]
        return laid.joins[at], laid.indent(at)

    def _note(self) -> Strip:
        note = Text(f"… {self._dropped:,} older lines dropped (log keeps {self.max_lines:,})")
        note.stylize(_NOTE_STYLE)
        note.truncate(max(self._width, MIN_WIDTH), overflow="ellipsis")
        return safe_strip(note.render(self.app.console))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        line_y = scroll_y + y
        if line_y >= self.line_count:
            return Strip.blank(width, self.rich_style)
        strip = self._line(line_y)
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(line_y)) is not None:
            strip = self._selected(strip, *span)
        shown = strip.crop_extend(scroll_x, scroll_x + width, None).apply_style(self.rich_style)
        return _with_offsets(shown, scroll_x, line_y)

    def _selected(self, strip: Strip, start: int, end: int) -> Strip:
        end = strip.cell_length if end == -1 else min(end, strip.cell_length)
        if start >= end:
            return strip
        style = self.screen.get_component_rich_style("screen--selection")
        before, chosen, after = strip.divide([start, end, strip.cell_length])
        marked = Strip(Segment.apply_style(chosen, None, style), chosen.cell_length)
        return Strip.join([before, marked, after])

    # -- selection -------------------------------------------------------------------------

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text; lines the log wrapped are joined again, as they were written."""
        return self._extract(selection.start or Offset(0, 0), selection.end), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()

    def _extract(self, start: Offset, end: Offset | None) -> str:
        count = self.line_count
        if not count:
            return ""
        last = count - 1 if end is None else min(end.y, count - 1)
        pieces: list[str] = []
        for y in range(start.y, last + 1):
            text = self._line(y).text
            join, indent = self._join(y)
            right = len(text) if end is None or y != end.y else end.x
            piece = text[max(start.x if y == start.y else 0, indent) : right]  # not the wrap's own indent
            if y > start.y:
                pieces.append("\n" if join is None else join)
            continued = y + 1 <= last and self._join(y + 1)[0] is not None
            pieces.append(piece if continued else piece.rstrip())
        return "".join(pieces)

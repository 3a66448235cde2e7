"""Bounded, ordered capture of stdout and stderr for the thread that runs REPL code.

``sys.stdout``/``sys.stderr`` are replaced once by routing streams: writes from a thread
that has an active :class:`OutputCapture` go there, every other thread's writes go to the
stream that was installed before (the terminal, or Textual's own capture). So the UI
thread never sees the REPL's prints, and the REPL's prints never reach the terminal.

Besides text, a run's output can hold *display blocks* (a plot drawn as text lines, with an
id): :func:`show_block` adds one to the running input's output, or replaces the block with
the same id in place, and tells ``OutputCapture.on_display`` at once so the UI can show it
live while the code still runs. ``at_end`` callbacks run when the input finishes (figures
that were drawn but not shown are shown then, as Jupyter's inline backend does).
"""

from __future__ import annotations

import io
import itertools
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from tui_lab.core.repl.figures.image import FigureImage

Stream = Literal["stdout", "stderr", "display"]
#: Display blocks one run keeps at most (a loop calling plt.show() 10,000 times keeps the first ones).
MAX_BLOCKS = 50

_active = threading.local()
_block_ids = itertools.count(1)
LateSink = Callable[[Stream, str], None]
#: Sees each write of a capturing thread with its caller's frame first; True takes it (figures: IPython's display).
WriteInterceptor = Callable[[FrameType | None, Stream, str], bool]
_interceptor: WriteInterceptor | None = None
#: Threads named so are the app's own (asyncio's default executor runs Textual's thread workers).
_APP_THREAD_PREFIXES = ("asyncio_", "repl-")


class _Ownership:
    """Which threads belong to the REPL's user code, and where their writes go.

    Threads the user's code starts are the REPL's: one that appeared during a run writes into
    that run's capture while it lasts, and afterwards into the late-output sink (the UI shows
    it marked as late) instead of being lost. The UI thread and the app's worker pool are
    never claimed.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.run_capture: OutputCapture | None = None
        self.before: frozenset[int] = frozenset()
        self.owned: set[int] = set()
        self.late_sink: LateSink | None = None


_owners = _Ownership()


def _claimable(thread: threading.Thread) -> bool:
    return thread is not threading.main_thread() and not thread.name.startswith(_APP_THREAD_PREFIXES)


def begin_run(capture: OutputCapture) -> None:
    """A run starts: threads that appear from now on belong to its user code."""
    with _owners.lock:
        _owners.run_capture = capture
        _owners.before = frozenset(t.ident for t in threading.enumerate() if t.ident is not None)


def end_run() -> None:
    """The run ended: threads it started stay the REPL's (their later writes are late output)."""
    with _owners.lock:
        alive = {t.ident: t for t in threading.enumerate() if t.ident is not None}
        _owners.owned &= alive.keys()
        _owners.owned.update(i for i, t in alive.items() if i not in _owners.before and _claimable(t))
        _owners.run_capture = None


def set_late_sink(sink: LateSink | None) -> None:
    """Where writes of the REPL's threads go between runs (called from those threads)."""
    with _owners.lock:
        _owners.late_sink = sink


def _route_foreign(stream: Stream, text: str) -> bool:
    """Send a write from a thread without its own capture to the REPL if the REPL owns that thread."""
    thread = threading.current_thread()
    if not _claimable(thread):
        return False
    ident = threading.get_ident()
    with _owners.lock:
        capture, sink = _owners.run_capture, _owners.late_sink
        if ident not in _owners.owned:
            if capture is None or ident in _owners.before:
                return False
            _owners.owned.add(ident)
    if capture is not None:
        capture.write(stream, text)
        return True
    if sink is not None:
        sink(stream, text)
        return True
    return False


def new_block_id() -> int:
    """A display block id no other block of this process has."""
    return next(_block_ids)


def set_write_interceptor(interceptor: WriteInterceptor | None) -> None:
    """Install the one :data:`WriteInterceptor` (figures installs IPython's ``display`` support)."""
    global _interceptor
    _interceptor = interceptor


@dataclass(frozen=True)
class DisplayBlock:
    """A picture: plain text lines, or a figure's pixels (``lines`` then says what it is); a later block with the same
    ``block_id`` replaces it."""

    block_id: int
    lines: tuple[str, ...]
    figure: FigureImage | None = None


class OutputCapture:
    """Keeps up to ``max_chars`` characters and ``max_lines`` lines, in write order; counts the rest.

    ``display_width`` and ``display_rows`` size the pictures drawn during the run.
    """

    def __init__(self, max_chars: int = 50_000, max_lines: int = 2_000) -> None:
        self.max_chars = max_chars
        self.max_lines = max_lines
        self.display_width = 80
        self.display_rows = 20
        self.on_display: Callable[[DisplayBlock], None] | None = None
        self._blocks: dict[int, int] = {}
        self._figures: dict[int, FigureImage] = {}
        #: One-line notes about the run (figures it made but did not show).
        self.notes: list[str] = []
        self._at_end: list[Callable[[], None]] = []
        self._chunks: list[tuple[Stream, str]] = []
        self._chars = 0
        self._lines = 0
        self.cut_chars = 0
        self.cut_lines = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        """Route this thread's stdout/stderr here."""
        _active.capture = self

    def stop(self) -> None:
        """Stop routing this thread's output here."""
        if getattr(_active, "capture", None) is self:
            _active.capture = None

    @property
    def full(self) -> bool:
        """True once the limits are reached."""
        return self._chars >= self.max_chars or self._lines >= self.max_lines

    def write(self, stream: Stream, text: str) -> None:
        """Keep what fits, count what does not (thread-safe: the user's threads write here too)."""
        if not text:
            return
        with self._lock:
            self._write(stream, text)

    def _write(self, stream: Stream, text: str) -> None:
        if self.full:
            self._cut(text)
            return
        room = self.max_chars - self._chars
        kept = text[:room]
        newlines = kept.count("\n")
        if self._lines + newlines > self.max_lines:
            end = -1
            for _ in range(self.max_lines - self._lines):
                end = kept.index("\n", end + 1)
            kept = kept[: end + 1]
            newlines = self.max_lines - self._lines
        self._chars += len(kept)
        self._lines += newlines
        if self._chunks and self._chunks[-1][0] == stream:
            self._chunks[-1] = (stream, self._chunks[-1][1] + kept)
        else:
            self._chunks.append((stream, kept))
        if len(kept) < len(text):
            self._cut(text[len(kept) :])

    def show(self, block: DisplayBlock) -> None:
        """Add ``block`` to the output, or replace the one with its id where it stands."""
        text = "\n".join(block.lines) + "\n"
        index = self._blocks.get(block.block_id)
        if index is not None:
            self._chunks[index] = ("display", text)
        elif len(self._blocks) < MAX_BLOCKS:
            self._blocks[block.block_id] = len(self._chunks)
            self._chunks.append(("display", text))
        else:
            self._cut(text)
            return
        if block.figure is not None:
            self._figures[block.block_id] = block.figure
        if self.on_display is not None:
            self.on_display(block)

    def block_ids(self) -> list[int | None]:
        """For each chunk of :meth:`chunks`, the display block's id, or None for text."""
        ids: list[int | None] = [None] * len(self._chunks)
        for block_id, index in self._blocks.items():
            ids[index] = block_id
        return ids

    def figure(self, block_id: int | None) -> FigureImage | None:
        """The figure shown by display block ``block_id`` (None for text and text pictures)."""
        return self._figures.get(block_id) if block_id is not None else None

    def note(self, text: str) -> None:
        """Add a one-line note about the run (shown with the run's other notes)."""
        self.notes.append(text)

    def at_end(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (in the running thread, capture active) when the input finishes."""
        self._at_end.append(callback)

    def finish(self) -> None:
        """Run the ``at_end`` callbacks; their failures become stderr text.

        Pictures drawn now are not shown live: the run's result, which holds them, comes next.
        """
        self.on_display = None
        self.start()
        try:
            while self._at_end:
                callback = self._at_end.pop(0)
                try:
                    callback()
                except Exception as error:  # noqa: BLE001 - a failed picture is a message, not a failed run
                    self.write("stderr", f"{type(error).__name__}: {error}\n")
        finally:
            self.stop()

    def _cut(self, text: str) -> None:
        self.cut_chars += len(text)
        self.cut_lines += text.count("\n")

    def clip(self, text: str) -> str:
        """``text`` cut to the room left (at least 2,000 characters), counting the cut as truncated."""
        room = max(self.max_chars - self._chars, 2_000)
        lines = text.split("\n", self.max_lines)
        if len(lines) > self.max_lines:
            kept = "\n".join(lines[: self.max_lines])
        else:
            kept = text
        kept = kept[:room]
        if len(kept) < len(text):
            self._cut(text[len(kept) :])
        return kept

    def chunks(self) -> list[tuple[Stream, str]]:
        """The captured ``(stream, text)`` pieces, in order (consecutive writes merged)."""
        with self._lock:
            return list(self._chunks)


def current_capture() -> OutputCapture | None:
    """The capture of the REPL input running in this thread, if any."""
    return getattr(_active, "capture", None)


def display_size() -> tuple[int, int]:
    """(columns, most rows) for a picture drawn now: the REPL log's size, or 80×20 outside a run."""
    running = current_capture()
    return (running.display_width, running.display_rows) if running is not None else (80, 20)


def show_block(block_id: int, lines: Sequence[str]) -> bool:
    """Show (or replace) display block ``block_id`` in the running input's output; False outside a run."""
    running = current_capture()
    if running is None:
        return False
    running.show(DisplayBlock(block_id, tuple(lines)))
    return True


class RoutingStream(io.TextIOBase):
    """A text stream that sends the capturing thread's writes to its capture."""

    def __init__(self, name: Stream, fallback: object) -> None:
        super().__init__()
        self.name = name
        self.fallback = fallback

    def write(self, text: str) -> int:
        capture: OutputCapture | None = getattr(_active, "capture", None)
        if capture is not None:
            if _interceptor is not None and _interceptor(sys._getframe(1), self.name, text):
                return len(text)
            capture.write(self.name, text)
            return len(text)
        if _route_foreign(self.name, text):
            return len(text)
        return self.fallback.write(text)  # type: ignore[attr-defined,no-any-return]

    def flush(self) -> None:
        if getattr(_active, "capture", None) is None:
            flush = getattr(self.fallback, "flush", None)
            if flush is not None:
                flush()

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


def install_routing() -> None:
    """Wrap the current ``sys.stdout``/``sys.stderr`` in routing streams (idempotent)."""
    if not isinstance(sys.stdout, RoutingStream):
        sys.stdout = RoutingStream("stdout", sys.stdout)
    if not isinstance(sys.stderr, RoutingStream):
        sys.stderr = RoutingStream("stderr", sys.stderr)


class LateOutput:
    """Writes of the REPL's threads after their input finished, kept (bounded) until the UI drains them.

    ``on_pending`` is called (from the writing thread) when the buffer goes from empty to
    non-empty, so the UI is woken once per batch, however fast the thread prints.
    """

    def __init__(self, max_chars: int = 50_000) -> None:
        self.max_chars = max_chars
        self.on_pending: Callable[[], None] | None = None
        self._chunks: list[tuple[Stream, str]] = []
        self._chars = 0
        self._dropped = 0
        self._lock = threading.Lock()

    def append(self, stream: Stream, text: str) -> None:
        """Keep ``text`` if there is room, count it otherwise."""
        with self._lock:
            was_empty = not self._chunks and not self._dropped
            kept = text[: max(self.max_chars - self._chars, 0)]
            self._dropped += len(text) - len(kept)
            if kept:
                self._chars += len(kept)
                if self._chunks and self._chunks[-1][0] == stream:
                    self._chunks[-1] = (stream, self._chunks[-1][1] + kept)
                else:
                    self._chunks.append((stream, kept))
        notify = self.on_pending
        if was_empty and notify is not None:
            notify()

    def drain(self) -> tuple[list[tuple[Stream, str]], int]:
        """The kept pieces and the count of characters dropped since the last drain; empties the buffer."""
        with self._lock:
            chunks, dropped = self._chunks, self._dropped
            self._chunks, self._chars, self._dropped = [], 0, 0
        return chunks, dropped

"""Bounded, ordered capture of stdout and stderr for the thread that runs REPL code.

``sys.stdout``/``sys.stderr`` are replaced once by routing streams: writes from a thread
that has an active :class:`OutputCapture` go there, every other thread's writes go to the
stream that was installed before (the terminal, or Textual's own capture). So the UI
thread never sees the REPL's prints, and the REPL's prints never reach the terminal.
"""

from __future__ import annotations

import io
import sys
import threading
from typing import Literal

Stream = Literal["stdout", "stderr"]

_active = threading.local()


class OutputCapture:
    """Keeps up to ``max_chars`` characters and ``max_lines`` lines, in write order; counts the rest."""

    def __init__(self, max_chars: int = 50_000, max_lines: int = 2_000) -> None:
        self.max_chars = max_chars
        self.max_lines = max_lines
        self._chunks: list[tuple[Stream, str]] = []
        self._chars = 0
        self._lines = 0
        self.cut_chars = 0
        self.cut_lines = 0

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
        """Keep what fits, count what does not."""
        if not text:
            return
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
        return list(self._chunks)


class RoutingStream(io.TextIOBase):
    """A text stream that sends the capturing thread's writes to its capture."""

    def __init__(self, name: Stream, fallback: object) -> None:
        super().__init__()
        self.name = name
        self.fallback = fallback

    def write(self, text: str) -> int:
        capture: OutputCapture | None = getattr(_active, "capture", None)
        if capture is not None:
            capture.write(self.name, text)
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

"""Keys typed while tui-lab starts reach the app as the keys they are.

Until Textual takes the terminal (half a second after start, seconds on a busy machine) it is in
line-editing mode: the line discipline turns Enter into a newline (which arrives as ctrl+j, "add a
line" in the REPL, so a typed-ahead input never ran), takes ctrl+q and ctrl+s as flow control, and
echoes each key over the shell's screen. Right at start the CLI switches those off, as Textual
itself will (signals stay on until then), and gives the terminal back exactly as it found it.
"""

from __future__ import annotations

import sys
from typing import Any

try:
    import termios
except ImportError:  # not a POSIX system: nothing to do
    termios = None  # type: ignore[assignment]


class TypeAhead:
    """The terminal switched to pass keys through as typed; :meth:`restore` puts it back (idempotent)."""

    def __init__(self, fd: int, before: list[Any] | None) -> None:
        self.fd = fd
        self.before = before

    @classmethod
    def start(cls, fd: int | None = None) -> TypeAhead:
        """Switch ``fd`` (stdin) if it is a terminal; otherwise a no-op."""
        if termios is None:
            return cls(-1, None)
        try:
            fd = sys.stdin.fileno() if fd is None else fd
            before = termios.tcgetattr(fd)
        except (termios.error, OSError, ValueError, AttributeError):
            return cls(-1, None)
        attrs = [*before[:6], list(before[6])]
        attrs[0] &= ~(termios.IXON | termios.IXOFF | termios.ICRNL | termios.INLCR | termios.IGNCR)
        attrs[3] &= ~(termios.ECHO | termios.ICANON | termios.IEXTEN)
        attrs[6][termios.VMIN] = 1
        attrs[6][termios.VTIME] = 0
        try:
            termios.tcsetattr(fd, termios.TCSANOW, attrs)
        except (termios.error, OSError):
            return cls(-1, None)
        return cls(fd, before)

    def restore(self) -> None:
        """Give the terminal back as it was before :meth:`start` (Textual restores only what it found)."""
        before, self.before = self.before, None
        if before is not None and termios is not None:
            try:
                termios.tcsetattr(self.fd, termios.TCSANOW, before)
            except (termios.error, OSError):
                pass

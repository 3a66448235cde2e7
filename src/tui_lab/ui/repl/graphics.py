"""How figures reach this terminal: Kitty graphics, Sixel, Unicode half-blocks or a line of text.

:func:`choose` decides, in this order: ``tui-lab --images MODE``, then the saved setting (the
palette's "Images…"), then ``auto``:

* inside tmux (``TMUX``) and in ``tui-lab serve`` (``TEXTUAL_DRIVER``): half-blocks. tmux drops
  graphics sequences unless ``allow-passthrough`` is on, and a browser's terminal draws text only;
* a terminal that names itself (``TERM=xterm-kitty``, ``TERM_PROGRAM=ghostty``, ``WezTerm``,
  ``foot``...): its protocol;
* otherwise the terminal is asked, *before* the app takes it (:func:`query_terminal`): the Kitty
  graphics query and the device-attributes query (DA1, whose ``4`` means Sixel), one write, read
  until the DA1 answer or :data:`QUERY_TIMEOUT`. Sixel wins when both answer (WezTerm and Konsole
  answer the Kitty query but draw no Kitty placeholders; kitty and Ghostty draw no Sixel). Nothing
  is asked when keys typed ahead are already waiting (they are the app's: half-blocks then); keys
  typed during the wait are given back to the terminal's input (``TIOCSTI``, where the system allows
  it). Once Textual reads the terminal, nothing is asked again: an answer would arrive as keys.

Also the size of a cell in pixels (``TIOCGWINSZ``; 10×20 when the terminal does not say), which
Sixel needs and Kitty uses for the picture's aspect. No Textual, Rich or PIL here: the command
line imports this module before the app starts.
"""

from __future__ import annotations

import os
import select
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum


class ImageMode(str, Enum):
    """What ``--images`` takes and the palette sets."""

    AUTO = "auto"
    KITTY = "kitty"
    SIXEL = "sixel"
    BLOCKS = "blocks"
    TEXT = "text"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ImageMode.AUTO: "auto (what this terminal shows best)",
    ImageMode.KITTY: "Kitty graphics protocol (kitty, Ghostty)",
    ImageMode.SIXEL: "Sixel (foot, WezTerm, iTerm2, mlterm, xterm -ti vt340)",
    ImageMode.BLOCKS: "half-blocks: two coloured pixels per cell (any truecolor terminal, tmux, serve)",
    ImageMode.TEXT: "text: one line per figure (save it with F6)",
}
MODES = tuple(mode.value for mode in ImageMode)
#: How long the terminal has to answer the queries (a local terminal answers in a millisecond).
QUERY_TIMEOUT = 0.15
#: A cell's size in pixels when the terminal does not say (a VT340's, as textual-image assumes).
DEFAULT_CELL = (10, 20)

_KITTY_TERMS = ("xterm-kitty", "xterm-ghostty")
_KITTY_PROGRAMS = ("ghostty",)
_SIXEL_PROGRAMS = ("wezterm", "iterm.app", "mlterm", "contour", "rio")
_SIXEL_TERMS = ("foot", "mlterm", "contour")
#: The Kitty graphics query (a 1×1 RGB image, never stored) and DA1; every terminal answers the second.
KITTY_QUERY = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
DA1_QUERY = "\x1b[c"


@dataclass(frozen=True)
class Graphics:
    """The chosen mode, why (for the palette and the docs), and a cell's size in pixels."""

    mode: ImageMode
    reason: str
    cell: tuple[int, int] = DEFAULT_CELL
    #: Inside tmux: Kitty's upload is wrapped in tmux's passthrough (``allow-passthrough on``).
    tmux: bool = False

    def describe(self) -> str:
        """``half-blocks (inside tmux)``."""
        short = {ImageMode.KITTY: "Kitty graphics", ImageMode.SIXEL: "Sixel", ImageMode.BLOCKS: "half-blocks"}
        return f"{short.get(self.mode, self.mode.value)} ({self.reason})"


def parse_mode(text: object) -> ImageMode | None:
    """A saved or typed mode, or None when it is not one (a hand-edited settings file)."""
    if isinstance(text, str) and text.lower() in MODES:
        return ImageMode(text.lower())
    return None


def from_environment(environ: Mapping[str, str]) -> Graphics | None:
    """What the environment alone decides (tmux, serve, a terminal that names itself), or None."""
    if environ.get("TEXTUAL_DRIVER"):
        return Graphics(ImageMode.BLOCKS, "tui-lab serve: the browser draws text")
    if environ.get("TMUX"):
        return Graphics(ImageMode.BLOCKS, "inside tmux; --images kitty with allow-passthrough on")
    term = environ.get("TERM", "").lower()
    program = environ.get("TERM_PROGRAM", "").lower()
    if term in _KITTY_TERMS or environ.get("KITTY_WINDOW_ID") or program in _KITTY_PROGRAMS:
        return Graphics(ImageMode.KITTY, "the terminal says it is kitty or Ghostty")
    if program in _SIXEL_PROGRAMS or term.startswith(_SIXEL_TERMS) or environ.get("KONSOLE_VERSION"):
        return Graphics(ImageMode.SIXEL, f"{program or term or 'Konsole'} draws Sixel")
    if term in ("", "dumb"):
        return Graphics(ImageMode.TEXT, f"TERM={term or 'unset'} has no colours to draw with")
    return None


def choose(
    requested: str | None,
    saved: object,
    environ: Mapping[str, str],
    *,
    ask: Callable[[], tuple[bool, bool] | None] | None = None,
) -> Graphics:
    """The mode for this run: ``requested`` (``--images``), else ``saved`` (the setting), else auto.

    ``ask()`` queries the terminal (:func:`query_terminal`): (Kitty graphics, Sixel), or None when
    it did not answer; it is called only when the environment does not decide.
    """
    for given, source in ((parse_mode(requested), "--images"), (parse_mode(saved), "the Images setting")):
        if given is not None and given is not ImageMode.AUTO:
            return Graphics(given, f"chosen with {source}")
    known = from_environment(environ)
    if known is not None:
        return known
    answer = ask() if ask is not None else None
    if answer is None:
        return Graphics(ImageMode.BLOCKS, "the terminal did not say it draws graphics")
    kitty, sixel = answer
    if sixel:  # first: WezTerm and Konsole answer the Kitty query too, but draw no placeholders; kitty has no Sixel
        return Graphics(ImageMode.SIXEL, "the terminal says it draws Sixel")
    if kitty:
        return Graphics(ImageMode.KITTY, "the terminal answered the Kitty graphics query")
    return Graphics(ImageMode.BLOCKS, "the terminal draws neither Kitty graphics nor Sixel")


def parse_answers(data: bytes) -> tuple[bool, bool, bool, bytes]:
    """(Kitty answered OK, DA1 lists Sixel, DA1 complete, what else was read: keys typed meanwhile)."""
    text = data.decode("latin-1")
    kitty = False
    rest = text
    start = rest.find("\x1b_G")
    while start >= 0:
        end = rest.find("\x1b\\", start)
        if end < 0:
            break
        kitty = kitty or rest[start:end].endswith(";OK")
        rest = rest[:start] + rest[end + 2 :]
        start = rest.find("\x1b_G")
    sixel = complete = False
    start = rest.find("\x1b[?")
    if start >= 0:
        end = rest.find("c", start)
        if end >= 0:
            params = rest[start + 3 : end]
            if all(part.isdigit() for part in params.split(";") if part):
                sixel = "4" in params.split(";")
                complete = True
                rest = rest[:start] + rest[end + 1 :]
    return kitty, sixel, complete, rest.encode("latin-1")


def query_terminal(
    fd_in: int | None = None, fd_out: int | None = None, timeout: float = QUERY_TIMEOUT
) -> tuple[bool, bool] | None:
    """Ask the terminal whether it draws Kitty graphics and Sixel; None if it did not answer in ``timeout``.

    Only before the app starts (Textual's input thread would read the answers as keys). Bytes read
    that are not answers are pushed back into the terminal's input where the system allows it.
    """
    import termios
    import tty

    fd_in = sys.__stdin__.fileno() if fd_in is None and sys.__stdin__ is not None else fd_in
    fd_out = sys.__stdout__.fileno() if fd_out is None and sys.__stdout__ is not None else fd_out
    if fd_in is None or fd_out is None or not (os.isatty(fd_in) and os.isatty(fd_out)):
        return None
    try:
        saved = termios.tcgetattr(fd_in)
    except termios.error:
        return None
    read = b""
    complete = kitty = sixel = False
    try:
        tty.setcbreak(fd_in, termios.TCSANOW)
        if select.select([fd_in], [], [], 0)[0]:
            return None  # keys typed ahead are waiting: never read them here (they are the app's)
        os.write(fd_out, (KITTY_QUERY + DA1_QUERY).encode())
        deadline = time.monotonic() + timeout
        while not complete:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd_in], [], [], left)[0]:
                break
            read += os.read(fd_in, 1024)
            kitty, sixel, complete, _ = parse_answers(read)
    except OSError:
        return None
    finally:
        termios.tcsetattr(fd_in, termios.TCSANOW, saved)
        _, _, _, typed = parse_answers(read)
        _give_back(fd_in, typed)
    return (kitty, sixel) if complete else None


def _give_back(fd: int, typed: bytes) -> None:
    """Push keys read while waiting for the answers back into the terminal's input (best effort)."""
    import fcntl
    import termios

    for byte in typed:
        try:
            fcntl.ioctl(fd, termios.TIOCSTI, bytes([byte]))
        except OSError:
            return  # the system forbids it (Linux >= 6.2 by default): those keys are lost


def cell_size(fd: int | None = None) -> tuple[int, int]:
    """A cell's (width, height) in pixels, from the terminal's window size; :data:`DEFAULT_CELL` if it does not say."""
    import fcntl
    import struct
    import termios

    if fd is None:
        if sys.__stdout__ is None:
            return DEFAULT_CELL
        fd = sys.__stdout__.fileno()
    try:
        rows, columns, width, height = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except (OSError, ValueError):
        return DEFAULT_CELL
    if not (rows and columns and width and height):
        return DEFAULT_CELL
    return max(1, width // columns), max(1, height // rows)


_current = Graphics(ImageMode.BLOCKS, "not chosen yet")
_auto: Graphics | None = None


def current() -> Graphics:
    """The mode figures are drawn in now."""
    return _current


def set_current(graphics: Graphics) -> None:
    """Draw figures in ``graphics.mode`` from now on (the command line at start, the palette later)."""
    global _current
    _current = graphics


def auto_choice(environ: Mapping[str, str]) -> Graphics:
    """What ``auto`` means here: the start's answer when it was worked out then, else what the environment says."""
    if _auto is not None:
        return _auto
    return choose(None, None, environ)


def choose_at_start(requested: str | None, environ: Mapping[str, str] | None = None) -> Graphics:
    """Decide before the app starts (reading the saved setting, asking the terminal if needed), and remember it."""
    from tui_lab.core.repl.figures import matplotlib_available
    from tui_lab.core.state import load_settings

    global _auto
    environ = os.environ if environ is None else environ
    ask = query_terminal if matplotlib_available() else None  # without matplotlib there are no figures to draw
    graphics = choose(requested, load_settings().images, environ, ask=ask)
    if not graphics.reason.startswith("chosen with"):
        _auto = graphics
    if graphics.mode in (ImageMode.KITTY, ImageMode.SIXEL):
        graphics = Graphics(graphics.mode, graphics.reason, cell_size(), tmux=bool(environ.get("TMUX")))
    set_current(graphics)
    return graphics

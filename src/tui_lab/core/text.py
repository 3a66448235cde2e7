"""One sanitiser for untrusted text: control characters become visible escapes.

Everything that came from data (CSV cells, column and file names, REPL output, variable
names, state files) passes through :func:`visible` before it reaches a widget, a
notification or the terminal title. ESC never survives: OSC 52 would write the clipboard,
OSC 0 the window title, CSI clear the screen. C0 controls become the Unicode "control
pictures" (ESC → ``␛``, BEL → ``␇``), DEL becomes ``␡``, C1 controls and the bidi
overrides that reorder text become ``\\x9b`` / ``\\u202e`` style escapes. Tab and newline are
kept only where the caller says the widget handles them.

Code is different: :func:`python_escapes` turns control characters into Python escapes
(``\\x1b``), which mean the same inside a string literal, so a recalled input still runs as
typed. :class:`ShownPaths` remembers which real path a made-visible one stands for, so a dialog
can show a hostile file name safely and still open that file.

This module is plain Python (no Rich, no Textual); ``tui_lab.ui.theme.safe_text`` wraps the
result in a ``rich.text.Text`` so markup brackets in data are shown, never interpreted.
"""

from __future__ import annotations

import os
import re

__all__ = ["CONTROL_CHARACTERS", "ShownPaths", "has_controls", "one_line", "python_escapes", "visible"]

#: Bidirectional overrides and isolates: they make text read differently from how it runs.
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
#: Matches one character that :func:`visible` would change (C0, DEL, C1, bidi overrides).
CONTROL_CHARACTERS = _CONTROL


def _escape(char: str, keep: str) -> str:
    if char in keep:
        return char
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟ (ESC is ␛)
    if code == 0x7F:
        return "\u2421"  # ␡
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def visible(text: str, *, keep: str = "") -> str:
    """``text`` with every control character (except those in ``keep``, e.g. ``"\\n\\t"``) made visible."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda match: _escape(match.group(), keep), text)


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` made visible on a single line (newlines and tabs too), cut to ``limit`` with an ellipsis."""
    shown = visible(text)
    if limit is not None and len(shown) > limit:
        return shown[: max(limit - 1, 0)] + "…"
    return shown


def has_controls(text: str, *, keep: str = "") -> bool:
    """True when ``visible(text, keep=keep)`` would change ``text``."""
    return any(char not in keep for char in _CONTROL.findall(text))


def python_escapes(code: str) -> str:
    """``code`` with every control character but newline and tab written as a Python escape.

    ESC becomes the four characters ``\\x1b``, U+202E ``\\u202e``: inside a string literal they
    mean what the raw characters meant, so recalled code keeps its meaning and can be shown.
    Windows line ends (``\\r\\n``) become newlines first, as Python reads them.
    """
    if not _CONTROL.search(code):
        return code
    code = code.replace("\r\n", "\n")
    return _CONTROL.sub(lambda match: _python_escape(match.group()), code)


def _python_escape(char: str) -> str:
    if char in "\n\t":
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


class ShownPaths:
    """Paths put into an input made visible (one line), and the real paths they stand for.

    A file named ``a\\x1bb.csv`` is shown as ``a␛b.csv``; :meth:`real` turns what the user then
    submits (that name, or its folder followed by more typing) back into the real path.
    """

    def __init__(self) -> None:
        self._real: dict[str, str] = {}

    def show(self, real: str) -> str:
        """``real`` as it may be shown in an input; remembered (with its folder) when it differs."""
        shown = one_line(real)
        if shown != real:
            self._real[shown] = real
            folder = os.path.dirname(real)
            if folder and one_line(folder) != folder:
                self._real[one_line(folder) + os.sep] = folder + os.sep
        return shown

    def real(self, typed: str) -> str:
        """``typed`` with the longest shown path it starts with replaced by the real one."""
        best = max((shown for shown in self._real if typed.startswith(shown)), key=len, default=None)
        return typed if best is None else self._real[best] + typed[len(best) :]

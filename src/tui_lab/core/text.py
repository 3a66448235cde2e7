"""One sanitiser for untrusted text: control characters become visible escapes.

Everything that came from data (CSV cells, column and file names, REPL output, variable
names, state files) passes through :func:`visible` before it reaches a widget, a
notification or the terminal title. ESC never survives: OSC 52 would write the clipboard,
OSC 0 the window title, CSI clear the screen. C0 controls become the Unicode "control
pictures" (ESC → ``␛``, BEL → ``␇``), DEL becomes ``␡``, C1 controls and the bidi
overrides that reorder text become ``\\x9b`` / ``\\u202e`` style escapes. Tab and newline are
kept only where the caller says the widget handles them.

This module is plain Python (no Rich, no Textual); ``tui_lab.ui.theme.safe_text`` wraps the
result in a ``rich.text.Text`` so markup brackets in data are shown, never interpreted.
"""

from __future__ import annotations

import re

__all__ = ["has_controls", "one_line", "visible"]

#: Bidirectional overrides and isolates: they make text read differently from how it runs.
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")


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

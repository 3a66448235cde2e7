"""What a browser may send over a visitor's websocket, checked before anything reaches the app.

textual.js sends text frames holding JSON arrays: ``["stdin", text]``, ``["resize", {"width":
W, "height": H}]``, ``["ping", text]``, ``["focus"]`` and ``["blur"]``. Everything arrives from
the network, so each frame is decoded here into a small typed message: a frame that is not
such an array (not JSON, not a list, a wrong field type, a binary frame) is a
:class:`BadMessage`, on which the server closes the websocket with one log line. A terminal
size is clamped to :data:`MAX_COLUMNS` × :data:`MAX_ROWS`: a 3000 × 3000 screen would make the
app draw frames of megabytes, which a browser (or a client with a frame limit) chokes on.
Unknown message types are ignored, as textual-serve does, so a newer textual.js still works.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Largest frame a browser may send (a paste of this size is already absurd); aiohttp closes
#: the websocket with 1009 "message too big" beyond it.
MAX_MESSAGE_BYTES = 1 << 20
#: The largest terminal a visitor may ask for: a 4K screen at a 6-pixel font.
MAX_COLUMNS, MAX_ROWS = 640, 240
#: The smallest (Textual needs a few cells to draw anything).
MIN_COLUMNS, MIN_ROWS = 10, 5
DEFAULT_COLUMNS, DEFAULT_ROWS = 80, 24
#: Longest ping payload echoed back (textual.js sends a timestamp).
MAX_PING_CHARS = 64


class BadMessage(ValueError):
    """A websocket frame that textual.js never sends; the message says what was wrong."""


@dataclass(frozen=True)
class Stdin:
    """Keys or a paste, as text."""

    text: str


@dataclass(frozen=True)
class Resize:
    """The browser's terminal changed size (already clamped)."""

    width: int
    height: int


@dataclass(frozen=True)
class Ping:
    """A keep-alive, answered with ``["pong", data]``."""

    data: str


@dataclass(frozen=True)
class Focus:
    """The page got (``focused``) or lost the keyboard focus."""

    focused: bool


Message = Stdin | Resize | Ping | Focus


def clamp_size(width: int, height: int) -> tuple[int, int]:
    """``width`` × ``height`` held within the sizes a visitor may ask for."""
    return max(MIN_COLUMNS, min(MAX_COLUMNS, width)), max(MIN_ROWS, min(MAX_ROWS, height))


def _whole(value: object) -> int | None:
    """``value`` as an int when it is a whole JSON number (never a bool, a string or a float with a fraction)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e9:
        return int(value)
    return None


def size_from_query(width: str | None, height: str | None) -> tuple[int, int]:
    """The first size, from the websocket URL's ``?width=&height=`` (80 × 24 when absent or not a number)."""

    def number(text: str | None, default: int) -> int:
        text = (text or "").strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) < 9 else default

    return clamp_size(number(width, DEFAULT_COLUMNS), number(height, DEFAULT_ROWS))


def parse_message(text: str) -> Message | None:
    """The message a text frame holds; None for a well-formed message of a type we do not know.

    Raises :class:`BadMessage` for anything textual.js does not send.
    """
    try:
        envelope = json.loads(text)
    except ValueError:
        raise BadMessage("not JSON") from None
    if not isinstance(envelope, list) or not envelope or not isinstance(envelope[0], str):
        raise BadMessage("not a [type, data] array")
    kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
    if kind == "stdin":
        if not isinstance(data, str):
            raise BadMessage("stdin without text")
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            raise BadMessage("stdin with a lone surrogate") from None
        return Stdin(data)
    if kind == "resize":
        if not isinstance(data, dict):
            raise BadMessage("resize without a size")
        width, height = _whole(data.get("width")), _whole(data.get("height"))
        if width is None or height is None:
            raise BadMessage("resize with a width or height that is not a whole number")
        return Resize(*clamp_size(width, height))
    if kind == "ping":
        if not isinstance(data, str) or len(data) > MAX_PING_CHARS:
            raise BadMessage("ping without a short text")
        return Ping(data)
    if kind in ("focus", "blur"):
        return Focus(kind == "focus")
    return None


def safe_url(url: object) -> str | None:
    """``url`` when a visitor's browser may open it (http or https only), else None.

    textual.js opens what the app asks for with ``window.open(url, "_self")``: a
    ``javascript:`` URL would run in this server's origin.
    """
    if not isinstance(url, str) or len(url) > 4096:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None

"""The access token of ``tui-lab serve`` and the cookie that carries it after the first page.

The token is printed once, inside the ready-to-open URL, and nowhere else: not in logs, not
in the page, not in the child processes' environment. A browser that opened the page with the
right ``?token=`` gets a cookie holding a different random value (the token itself never
travels again), which the static assets, downloads and the websocket then require.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import stat
from pathlib import Path

#: Shortest token accepted from ``--token-file`` (a generated one has 43 characters).
TOKEN_MIN_LENGTH = 16
_TOKEN_RE = re.compile(r"[A-Za-z0-9_\-]+")
_TOKEN_FILE_LIMIT = 4096


class TokenError(ValueError):
    """A token file that cannot be used, with a message for the user."""


def new_token() -> str:
    """A fresh random token: 32 bytes from :mod:`secrets`, URL-safe."""
    return secrets.token_urlsafe(32)


def check_token(token: str) -> str:
    """``token`` if it is long enough and URL-safe, else :class:`TokenError`."""
    if len(token) < TOKEN_MIN_LENGTH:
        raise TokenError(f"the token must have at least {TOKEN_MIN_LENGTH} characters")
    if not _TOKEN_RE.fullmatch(token):
        raise TokenError("the token may hold only letters, digits, '-' and '_' (it goes into a URL)")
    return token


def load_or_create_token_file(path: Path) -> tuple[str, bool]:
    """The token kept in ``path``, creating the file (mode 600) with a new token if it is missing.

    Returns the token and whether the file was created. Refuses anything but a regular file.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        token = new_token()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as error:
            raise TokenError(f"cannot create {path}: {error.strerror}") from None
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(token + "\n")
        return token, True
    except OSError as error:
        raise TokenError(f"cannot read {path}: {error.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise TokenError(f"{path} is not a regular file")
    try:
        with path.open("r", encoding="ascii") as handle:
            text = handle.read(_TOKEN_FILE_LIMIT + 1)
    except (OSError, UnicodeDecodeError) as error:
        raise TokenError(f"cannot read {path}: {error}") from None
    if len(text) > _TOKEN_FILE_LIMIT:
        raise TokenError(f"{path} is too large to be a token file")
    try:
        return check_token(text.strip()), False
    except TokenError as error:
        raise TokenError(f"{path}: {error}") from None


def token_file_is_private(path: Path) -> bool:
    """Whether only the owner may read ``path`` (group and others have no permissions)."""
    try:
        return path.stat().st_mode & 0o077 == 0
    except OSError:
        return True


def _same(expected: bytes, candidate: str | None) -> bool:
    if not candidate:
        return False
    return hmac.compare_digest(expected, candidate.encode("utf-8", "surrogateescape"))


class AccessGate:
    """Decides, in constant time, whether a request holds the token or the session cookie."""

    def __init__(self, token: str, port: int) -> None:
        self._token = token.encode("ascii")
        self._cookie_value = secrets.token_urlsafe(32)
        #: Cookies are shared by every port of a host: the name keeps two servers apart.
        self.cookie_name = f"tui_lab_serve_{port}"

    def __repr__(self) -> str:
        return f"AccessGate(cookie_name={self.cookie_name!r})"

    @property
    def cookie_value(self) -> str:
        """The value of the cookie handed to a browser that showed the token."""
        return self._cookie_value

    def token_ok(self, candidate: str | None) -> bool:
        """Whether ``candidate`` (the ``?token=`` of a request) is the token."""
        return _same(self._token, candidate)

    def cookie_ok(self, candidate: str | None) -> bool:
        """Whether ``candidate`` (the cookie of a request) is this server's session cookie."""
        return _same(self._cookie_value.encode("ascii"), candidate)

"""Where tui-lab keeps its state (history, settings, recent files), and guarded reads and writes of it.

Under platformdirs' user dirs, or under ``$TUI_LAB_HOME`` when set (tests set it, so
they never touch the real home directory).

The state directory is hostile ground: it can be read-only, ``state`` can be a file, the
history can be a directory, half a JSON document, or a document someone crafted. Nothing here
raises for that. A :class:`StateFile` reads and writes one JSON file through one strict type
(``msgspec.json.decode(..., type=..., strict=True)``: exact types, known fields, bounded sizes)
and turns every failure into one sentence (:meth:`StateFile.take_notices`) that the UI shows
once, e.g. "history is read-only: new inputs won't be saved". A file that does not decode is
moved aside as ``<name>.corrupt-<time>``, never silently overwritten; a file that cannot be
read or moved is left alone and never written over. :meth:`StateFile.update` is a
read-merge-write under the file's lock, so two tui-lab instances never lose each other's
entries (the REPL history, the recent files).
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator, Sized
from pathlib import Path
from typing import Annotated, Generic, Literal, TypeVar

import msgspec
from msgspec import Meta

from tui_lab.core.fileio import atomic_write_bytes

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: state files are not locked there
    fcntl = None  # type: ignore[assignment]

HOME_ENV = "TUI_LAB_HOME"
APP_NAME = "tui-lab"

__all__ = [
    "Settings",
    "StateFile",
    "StateLocked",
    "config_dir",
    "load_settings",
    "move_aside",
    "read_regular",
    "settings_path",
    "state_dir",
    "take_notices",
    "update_settings",
]

T = TypeVar("T")
#: State files larger than this are refused unread (a history of 1,000 inputs is far smaller).
STATE_FILE_LIMIT = 32 * 1024 * 1024
#: How long an update waits for another tui-lab's read-merge-write of the same file.
LOCK_WAIT_S = 2.0

_orphan_notices: list[str] = []
_orphan_lock = threading.Lock()


def _base(kind: str) -> Path:
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override) / kind
    import platformdirs

    getter = {"state": platformdirs.user_state_path, "config": platformdirs.user_config_path}[kind]
    return Path(getter(APP_NAME))


def _ensure(path: Path) -> Path:
    """``path`` created when possible; a failure is left for the read or write that follows to report."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # read-only home, or "state" is a file: StateFile says so when it is used
    return path


def state_dir() -> Path:
    """Directory for history and other state; created on demand when possible (never raises)."""
    return _ensure(_base("state"))


def config_dir() -> Path:
    """Directory for settings; created on demand when possible (never raises)."""
    return _ensure(_base("config"))


def _reason(error: OSError, path: Path) -> str:
    if isinstance(error, IsADirectoryError):
        return f"{path} is a directory, not a file"
    if isinstance(error, NotADirectoryError | FileExistsError):
        blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        return f"{blocking or error.filename or 'a parent'} is a file where a folder belongs"
    if isinstance(error, PermissionError):
        return "permission denied"
    return error.strerror or str(error) or type(error).__name__


def move_aside(path: Path) -> Path | None:
    """Rename a damaged ``path`` to ``<name>.corrupt-<YYYYmmdd-HHMMSS>`` (numbered if taken); None if it cannot be."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for attempt in range(100):
        suffix = f".corrupt-{stamp}" + (f"-{attempt}" if attempt else "")
        target = path.with_name(path.name + suffix)
        if target.exists():
            continue
        try:
            path.rename(target)
        except OSError:
            return None
        return target
    return None


class StateLocked(OSError):
    """Another process kept a state file's lock for longer than :data:`LOCK_WAIT_S`."""


@contextlib.contextmanager
def locked(path: Path, wait: float | None = None, clock: Callable[[], float] = time.monotonic) -> Iterator[None]:
    """Hold the exclusive lock of ``path`` (``flock`` on a hidden ``.NAME.lock`` beside it).

    Waits at most ``wait`` seconds, then raises :class:`StateLocked`. The kernel releases the lock
    if the holder dies, so a killed tui-lab never leaves one behind.
    """
    lock_path = path.with_name(f".{path.name}.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        if fcntl is not None:
            deadline = clock() + (LOCK_WAIT_S if wait is None else wait)
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if clock() >= deadline:
                        raise StateLocked(f"{path.name} is being written by another tui-lab") from None
                    time.sleep(0.01)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of ``path`` when it is a regular file within ``limit``; OSError otherwise (never blocks)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(21, "is a directory", str(path))
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path.name} is not a regular file")
        if info.st_size > limit:
            raise OSError(f"{path.name} is implausibly large ({info.st_size:,} bytes)")
        return handle.read(limit + 1)


class StateFile(Generic[T]):
    """One JSON file in the state directory, of type ``schema``; reads and writes never raise, problems are said once.

    ``label`` names the file for people ("history"); ``unsaved`` says what a failed write means
    ("new inputs won't be saved"). After a failed write, a file that could not be read, or a
    damaged file that could not be moved aside, :attr:`writable` is False and :meth:`save` does
    nothing, so nothing is overwritten. ``salvage(text)`` may recover part of a damaged file (its
    result is what :meth:`load` returns).
    """

    def __init__(
        self,
        path: Path,
        label: str,
        schema: type[T],
        *,
        unsaved: str = "changes won't be saved",
        salvage: Callable[[str], T | None] | None = None,
    ) -> None:
        self.path = path
        self.label = label
        self.schema = schema
        self.unsaved = unsaved
        self.salvage = salvage
        self.writable = True
        self.moved_to: Path | None = None
        self._notices: list[str] = []
        self._lock = threading.Lock()

    def _say(self, text: str) -> None:
        with self._lock:
            self._notices.append(text)

    def take_notices(self) -> list[str]:
        """The sentences not yet shown (each problem is reported once), oldest first."""
        with self._lock:
            notices, self._notices = self._notices, []
        return notices

    def load(self) -> T | None:
        """The decoded file; None when it is missing, unreadable or damaged (see :meth:`take_notices`)."""
        try:
            raw = read_regular(self.path, STATE_FILE_LIMIT)
        except FileNotFoundError:
            return None
        except OSError as error:
            self.writable = False
            self._say(f"{self.label} cannot be read ({_reason(error, self.path)}): starting empty; {self.unsaved}.")
            return None
        try:
            return msgspec.json.decode(raw, type=self.schema, strict=True)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            pass
        recovered = None
        if self.salvage is not None:
            try:
                recovered = self.salvage(raw.decode("utf-8", errors="replace"))
            except Exception:  # noqa: BLE001 - salvage is best effort
                recovered = None
        moved = move_aside(self.path)
        kept = f" ({_count(recovered)} recovered)" if recovered else ""
        if moved is None:
            self.writable = False
            self._say(
                f"{self.label} file is damaged{kept} and could not be moved aside: left as it is; {self.unsaved}."
            )
        else:
            self.moved_to = moved
            self._say(f"{self.label} file was damaged{kept}; the original is kept as {moved.name}.")
        return recovered

    def save(self, value: T, *, indent: int | None = None) -> bool:
        """Write ``value`` as JSON atomically; False (and one notice) when it cannot be written."""
        if not self.writable:
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            data = msgspec.json.encode(value)
            if indent is not None:
                data = msgspec.json.format(data, indent=indent)
            atomic_write_bytes(self.path, data)
        except OSError as error:
            self.writable = False
            self._say(f"{self.label} is read-only: {self.unsaved} ({_reason(error, self.path)}).")
            return False
        return True

    def update(self, change: Callable[[T | None], T], *, indent: int | None = None) -> T | None:
        """Read the file, apply ``change`` and write the result, all under the file's lock.

        Returns what was written, or None when nothing could be (said once, as for :meth:`save`).
        While another tui-lab holds the lock beyond :data:`LOCK_WAIT_S`, nothing is written and
        None is returned without a notice: the caller keeps its change and tries again later.
        """
        if not self.writable:
            return None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with locked(self.path):
                value = change(self.load())
                if not self.writable or not self.save(value, indent=indent):
                    return None
                return value
        except StateLocked:
            return None
        except OSError as error:
            self.writable = False
            self._say(f"{self.label} is read-only: {self.unsaved} ({_reason(error, self.path)}).")
            return None


def _count(value: object) -> str:
    if not isinstance(value, Sized):
        return "some entries"
    try:
        return f"{len(value):,} entries"
    except TypeError:
        return "some entries"


def keep_notices(file: StateFile) -> None:
    """Hand ``file``'s problems to the module-level list that :func:`take_notices` empties."""
    notices = file.take_notices()
    with _orphan_lock:
        _orphan_notices.extend(notices)


def take_notices() -> list[str]:
    """Problems met by the module-level helpers (settings, recent files), each reported once."""
    with _orphan_lock:
        notices = list(_orphan_notices)
        _orphan_notices.clear()
    return notices


def settings_path() -> Path:
    """The settings file."""
    return config_dir() / "settings.json"


class Settings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``settings.json``: every setting tui-lab reads (an unknown one moves the file aside, said once)."""

    #: The session size cap: bytes, or text such as ``512M`` (see tui_lab.core.session.policy).
    session_cap: Annotated[int, Meta(ge=0)] | Annotated[str, Meta(max_length=32)] | None = None
    #: How the REPL draws matplotlib's figures (the palette's "Images…"; ``tui-lab --images`` overrides it).
    images: Literal["auto", "kitty", "sixel", "blocks", "text"] | None = None


def _settings_file() -> StateFile[Settings]:
    return StateFile(settings_path(), "settings", Settings, unsaved="changes won't be saved")


def load_settings() -> Settings:
    """Saved settings, or the defaults if there are none or the file is unreadable (never raises)."""
    file = _settings_file()
    data = file.load()
    keep_notices(file)
    return data if data is not None else Settings()


def update_settings(**values: object) -> Settings:
    """Merge ``values`` into the saved settings under the file's lock (a failure becomes a notice).

    An unknown setting name is a TypeError (a bug, not a state problem).
    """
    merged = msgspec.structs.replace(load_settings(), **values)

    def change(stored: Settings | None) -> Settings:
        return msgspec.structs.replace(stored or Settings(), **values)

    file = _settings_file()
    written = file.update(change, indent=2)
    keep_notices(file)
    return written if written is not None else merged

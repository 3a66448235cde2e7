"""Where tui-lab keeps its state (history, settings, recent files), and guarded reads and writes of it.

Under platformdirs' user dirs, or under ``$TUI_LAB_HOME`` when set (tests set it, so
they never touch the real home directory).

The state directory is hostile ground: it can be read-only, ``state`` can be a file, the
history can be a directory or half a JSON document. Nothing here raises for that. A
:class:`StateFile` reads and writes one JSON file and turns every failure into one sentence
(:meth:`StateFile.take_notices`) that the UI shows once, e.g. "history is read-only: new
inputs won't be saved". A file that does not parse is moved aside as
``<name>.corrupt-<time>``, never silently overwritten; a file that cannot be read or moved
is left alone and never written over.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui_lab.core.fileio import atomic_write_text

HOME_ENV = "TUI_LAB_HOME"
APP_NAME = "tui-lab"

__all__ = [
    "StateFile",
    "config_dir",
    "load_settings",
    "move_aside",
    "settings_path",
    "state_dir",
    "take_notices",
    "update_settings",
]

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


class StateFile:
    """One JSON file in the state directory; reads and writes never raise, problems are said once.

    ``label`` names the file for people ("history"); ``unsaved`` says what a failed write means
    ("new inputs won't be saved"); ``valid`` checks the parsed JSON (a list, a dict...). After a
    failed write, a file that could not be read, or a damaged file that could not be moved
    aside, :attr:`writable` is False and :meth:`save` does nothing, so nothing is overwritten.
    ``salvage(text)`` may recover part of a damaged file (its result is what :meth:`load` returns).
    """

    def __init__(
        self,
        path: Path,
        label: str,
        *,
        unsaved: str = "changes won't be saved",
        valid: Callable[[Any], bool] = lambda value: True,
        salvage: Callable[[str], Any] | None = None,
    ) -> None:
        self.path = path
        self.label = label
        self.unsaved = unsaved
        self.valid = valid
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

    def load(self) -> Any | None:
        """The parsed file; None when it is missing, unreadable or damaged (see :meth:`take_notices`)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            self.writable = False
            reason = _reason(error, self.path) if isinstance(error, OSError) else "it is not UTF-8 text"
            self._say(f"{self.label} cannot be read ({reason}): starting empty; {self.unsaved}.")
            return None
        try:
            value = json.loads(text)
            if not self.valid(value):
                raise ValueError("unexpected content")
            return value
        except (ValueError, RecursionError):
            pass
        recovered = None
        if self.salvage is not None:
            try:
                recovered = self.salvage(text)
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

    def save(self, value: Any, *, indent: int | None = None) -> bool:
        """Write ``value`` as JSON atomically; False (and one notice) when it cannot be written."""
        if not self.writable:
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps(value, ensure_ascii=False, indent=indent))
        except OSError as error:
            self.writable = False
            self._say(f"{self.label} is read-only: {self.unsaved} ({_reason(error, self.path)}).")
            return False
        return True


def _count(value: Any) -> str:
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


def _settings_file() -> StateFile:
    return StateFile(settings_path(), "settings", unsaved="changes won't be saved", valid=lambda v: isinstance(v, dict))


def load_settings() -> dict[str, Any]:
    """Saved settings, or an empty dict if there are none or the file is unreadable (never raises)."""
    file = _settings_file()
    data = file.load()
    with _orphan_lock:
        _orphan_notices.extend(file.take_notices())
    return data if isinstance(data, dict) else {}


def update_settings(**values: Any) -> dict[str, Any]:
    """Merge ``values`` into the saved settings and write them atomically (a failure becomes a notice)."""
    settings = load_settings()
    settings.update(values)
    file = _settings_file()
    file.save(settings, indent=2)
    with _orphan_lock:
        _orphan_notices.extend(file.take_notices())
    return settings

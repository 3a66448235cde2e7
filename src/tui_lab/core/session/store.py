"""Sessions on disk: atomic saves, checked loads, bad sessions moved aside, never deleted.

A session ``NAME`` is the directory ``<state>/sessions/NAME/``: ``session.json`` (the manifest,
written last) beside the value files. A save writes a new directory ``.NAME.new-<pid>``,
fsyncs every file and the directory, then swaps it in with two renames (the old one is renamed
to ``.NAME.old-<pid>`` first and removed only after the new one is in place). A kill at any
moment leaves either the old or the new session complete; :func:`load` also finds an old one
whose swap was cut between the two renames. A session that cannot be read (garbage, a missing
or truncated file, a directory where a file belongs, a symlink, a pickle payload, a field the
strict schema of :mod:`tui_lab.core.session.schema` refuses, a newer format) raises
:class:`SessionCorrupt` (defined beside ``SessionFormatError`` in the schema, importable from here);
:func:`move_aside` then renames it to ``NAME.bad-<time>``. Only the process holding a session's
lock (:mod:`tui_lab.core.session.lock`) saves, moves or renames it.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
from msgspec import Meta

from tui_lab.core.session.model import SaveProgress, SaveReport, SaveStopped
from tui_lab.core.session.schema import (
    MANIFEST_LIMIT,
    SessionCorrupt,
    SessionFormatError,
    SessionState,
    decode_manifest,
    encode_manifest,
)
from tui_lab.core.state import read_regular, state_dir

if TYPE_CHECKING:  # numpy, torch and pandas load with the first save or load, not with the app
    import torch

    from tui_lab.core.session.snapshot import SessionSnapshot

MANIFEST = "session.json"
DEFAULT_NAME = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class SessionsOff(Exception):
    """The state directory cannot be written: sessions are off for this run."""


def check_name(name: str) -> str:
    """``name`` when it is a valid session name (letters, digits, ``._-``), else ValueError."""
    if not _NAME.match(name) or name.endswith((".json", ".lock")) or ".bad-" in name:
        raise ValueError(f"{name!r} is not a session name: use letters, digits, '.', '_' or '-' (at most 64)")
    return name


def sessions_root() -> Path:
    """``<state>/sessions``, created and proven writable, or :class:`SessionsOff` saying why."""
    try:
        root = state_dir() / "sessions"
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise SessionsOff(
            f"sessions are off: the state directory cannot be written ({error.strerror or error})"
        ) from None
    return root


def readable_root() -> Path | None:
    """``<state>/sessions`` for reading alone (sessions are off: a full or read-only disk), or None if absent."""
    try:
        root = state_dir() / "sessions"
        return root if root.is_dir() and not root.is_symlink() else None
    except OSError:
        return None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True
    return True


def _clean_leftovers(root: Path, name: str) -> None:
    """Remove half-written ``.NAME.new-PID`` directories whose writer is gone (never a complete session)."""
    for path in root.glob(f".{name}.new-*"):
        pid = path.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _pid_alive(int(pid)) and path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)


def lower_thread_priority(niceness: int = 10) -> None:
    """Make the calling thread yield the CPU to the UI thread under contention (Linux; a no-op elsewhere).

    Only for a thread of its own that ends after its job: a thread cannot raise its priority back,
    so never call it on a pooled worker thread.
    """
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (AttributeError, OSError):
        return


def save_at_low_priority(
    snapshot: SessionSnapshot,
    name: str = DEFAULT_NAME,
    *,
    root: Path | None = None,
    on_progress: Callable[[SaveProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SaveReport:
    """:func:`save` in a thread of its own at a lower priority, waited for; errors are raised here."""
    reports: list[SaveReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        lower_thread_priority()
        try:
            reports.append(save(snapshot, name, root=root, on_progress=on_progress, should_stop=should_stop))
        except BaseException as error:  # handed to the caller's thread below
            errors.append(error)

    thread = threading.Thread(target=run, name="session-save", daemon=True)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return reports[0]


def save(
    snapshot: SessionSnapshot,
    name: str = DEFAULT_NAME,
    *,
    root: Path | None = None,
    on_progress: Callable[[SaveProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SaveReport:
    """Write ``snapshot`` as session ``name`` atomically; raises SaveStopped (nothing changed) or OSError."""
    from tui_lab.core.session.snapshot import write_values

    check_name(name)
    started = time.perf_counter()
    root = root or sessions_root()
    _clean_leftovers(root, name)
    final = root / name
    fresh = root / f".{name}.new-{os.getpid()}"
    if fresh.exists():
        shutil.rmtree(fresh)
    fresh.mkdir(mode=0o700)
    try:
        state, nbytes = write_values(fresh, snapshot, on_progress=on_progress, should_stop=should_stop)
        text = encode_manifest(state)
        manifest = fresh / MANIFEST
        with open(manifest, "xb") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        for sub in [fresh, *(p for p in fresh.rglob("*") if p.is_dir())]:
            _fsync_dir(sub)
        old = root / f".{name}.old-{os.getpid()}"
        if final.exists():
            os.replace(final, old)
        os.replace(fresh, final)
        _fsync_dir(root)
        if old.exists():
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return SaveReport(str(final), nbytes + len(text), time.perf_counter() - started, state, state.not_saved)


def session_dir(name: str, root: Path | None = None) -> Path | None:
    """The directory of session ``name``, recovering an old one left by a swap cut between its renames."""
    root = root or sessions_root()
    final = root / check_name(name)
    if final.exists() or final.is_symlink():
        return final
    olds = sorted(root.glob(f".{name}.old-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in olds:
        if (old / MANIFEST).is_file():
            os.replace(old, final)
            return final
    return None


def _read_manifest(directory: Path) -> SessionState:
    if directory.is_symlink() or not directory.is_dir():
        raise SessionCorrupt(f"{directory.name} is not a session directory")
    manifest = directory / MANIFEST
    if manifest.is_symlink() or not manifest.is_file():
        raise SessionCorrupt(f"{MANIFEST} is missing or is not a regular file")
    try:
        if manifest.stat().st_size > MANIFEST_LIMIT:
            raise SessionFormatError("it is implausibly large")
        from tui_lab.core.session.panes import open_regular

        with os.fdopen(open_regular(manifest), "rb") as handle:
            raw = handle.read(MANIFEST_LIMIT + 1)
        return decode_manifest(raw)
    except (SessionFormatError, OSError) as error:
        raise SessionCorrupt(f"{MANIFEST} cannot be read: {error}") from None


def peek(name: str = DEFAULT_NAME, root: Path | None = None) -> SessionState | None:
    """The manifest of session ``name`` (for the resume prompt), None if there is none; SessionCorrupt if bad."""
    directory = session_dir(name, root)
    return None if directory is None else _read_manifest(directory)


@dataclass
class LoadedSession:
    """A session read back: the manifest, the restored values and pane states, and notes for the person."""

    state: SessionState
    path: Path
    # Any: the restored values, as the workspace's entries: whoever saved them knows their types (tests, the REPL).
    values: dict[str, Any] = field(default_factory=dict)
    #: Module name -> (its state_dict, the REPL inputs that build it): restored only on confirmation.
    modules: dict[str, tuple[dict[str, torch.Tensor], tuple[str, ...]]] = field(default_factory=dict)
    #: Each pane's restored state (live, from its codec, or the record itself), in the manifest's order.
    panes: list[Any] = field(default_factory=list)  # Any: each codec's live state (PaneCodec.decode's), or a PaneState
    notes: list[str] = field(default_factory=list)


def load(
    name: str = DEFAULT_NAME,
    root: Path | None = None,
    *,
    on_progress: Callable[[SaveProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> LoadedSession | None:
    """Read session ``name`` in full, panes rebuilt; None when there is none.

    Raises :class:`SessionCorrupt` when it is bad, and ``RestoreCancelled`` when ``should_stop``
    said so (between files and pipeline steps; nothing was changed anywhere).
    """
    from tui_lab.core.session.contract import RestoreCancelled
    from tui_lab.core.session.reading import SessionReader, read_panes, read_values

    directory = session_dir(name, root)
    if directory is None:
        return None
    state = _read_manifest(directory)
    loaded = LoadedSession(state, directory)
    try:
        reader = SessionReader(directory, on_progress, should_stop)
        read_values(loaded, reader)
        read_panes(loaded, reader)
    except (SessionCorrupt, RestoreCancelled):
        raise
    except SessionFormatError as error:
        raise SessionCorrupt(f"{MANIFEST} cannot be read: {error}") from None
    except Exception as error:  # numpy, safetensors and pandas each raise their own kinds on bad bytes
        raise SessionCorrupt(f"a value file cannot be read: {type(error).__name__}: {error}"[:600]) from None
    return loaded


def move_aside(name: str, root: Path | None = None) -> Path | None:
    """Rename a bad session to ``NAME.bad-<time>`` (never deleted); returns where it went."""
    root = root or sessions_root()
    final = root / check_name(name)
    if not (final.exists() or final.is_symlink()):
        return None
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = root / f"{name}.bad-{stamp}"
    counter = 1
    while target.exists():
        counter += 1
        target = root / f"{name}.bad-{stamp}-{counter}"
    os.replace(final, target)
    return target


def list_sessions(root: Path | None = None) -> list[tuple[str, str]]:
    """(name, saved_at or a problem) for every session, newest first."""
    root = root or sessions_root()
    found: list[tuple[float, str, str]] = []
    for path in root.iterdir():
        if path.name.startswith(".") or ".bad-" in path.name or not path.is_dir() or not _NAME.match(path.name):
            continue
        try:
            state = _read_manifest(path)
            found.append((path.stat().st_mtime, path.name, state.saved_at))
        except (SessionCorrupt, OSError) as error:
            found.append((0.0, path.name, f"unreadable: {error}"))
    return [(name, when) for _, name, when in sorted(found, reverse=True)]


# -- running markers: was the last exit clean? --------------------------------------------------


def _marker(root: Path, name: str) -> Path:
    return root / f".{name}.running"


class RunningMarker(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``.NAME.running``: which process has the session open, and since when (decoded strictly)."""

    pid: Annotated[int, Meta(ge=1, le=2**31)]
    since: float = 0.0


def mark_running(name: str, root: Path | None = None) -> None:
    """Note that this process has session ``name`` open (removed by :func:`mark_clean`).

    Whatever lies at the marker's name (a symlink, a FIFO) is removed first and the marker is
    created afresh, so nothing is ever written through a link planted there.
    """
    root = root or sessions_root()
    marker = _marker(root, check_name(name))
    marker.unlink(missing_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    with os.fdopen(os.open(marker, flags, 0o600), "wb") as handle:
        handle.write(msgspec.json.encode(RunningMarker(os.getpid(), time.time())))


def mark_clean(name: str, root: Path | None = None) -> None:
    """The app closed normally: forget the running marker."""
    root = root or sessions_root()
    _marker(root, check_name(name)).unlink(missing_ok=True)


def unclean_exit(name: str, root: Path | None = None, *, locked: bool = False) -> bool:
    """True when a tui-lab that had session ``name`` open ended without closing it (crash, kill, lost link).

    ``locked``: the caller holds the session's lock, so any other process's marker is a dead one's
    (no pid check, which a reused pid could fool).
    """
    root = root or sessions_root()
    marker = _marker(root, check_name(name))
    try:  # read non-blocking, regular files only: a FIFO planted there never blocks the first frame
        pid = msgspec.json.decode(read_regular(marker, 4096), type=RunningMarker, strict=True).pid
    except FileNotFoundError:
        return False
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):  # damaged or crafted: not a clean exit
        return True
    return pid != os.getpid() and (locked or not _pid_alive(pid))


__all__ = [
    "DEFAULT_NAME", "LoadedSession", "RunningMarker", "SaveStopped", "SessionCorrupt", "SessionsOff", "check_name", "list_sessions",
    "load", "mark_clean", "mark_running", "move_aside", "peek", "save", "session_dir", "sessions_root",
    "unclean_exit",
]  # fmt: skip

"""Safe file writes: regular files only, atomically (temp file + rename), cancellable in chunks.

Every write goes to a hidden temporary file in the target's directory and is renamed over the
target, so readers see the old file or the whole new one. On top of that:

- The target must be a regular file (or not exist yet). Device nodes, FIFOs, sockets and
  directories are refused with :class:`WriteRefused` (``/dev/null`` or ``/dev/full`` are never
  replaced by a regular file, a FIFO never blocks the writer).
- A user export (``private=False``) never writes through a symbolic link: a link as the target's
  name is refused with :class:`WriteRefused` (the export dialog says so before asking anything),
  since replacing whatever a link points to, perhaps far from the folder shown, is never what an
  export means. State files (private) are followed through a link: the state folder is the
  user's own, and a settings file linked into a dotfiles repository keeps working. Links in the
  folders above the name are followed in both cases.
- State files (history, settings, recent files) are private (0600); user exports follow the
  umask (``private=False``), and an export over an existing file keeps that file's mode.
- A missing directory is created only when the caller says so (state directories); an export
  to a folder that does not exist is refused with :class:`MissingDirectory`, so the UI can ask.
- The temporary name carries the writer's pid (``.name.tui-lab-<pid>-xxxx.tmp``); a temp file
  left by a killed process is removed by the next write to that directory
  (:func:`remove_stale_temps`).
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = [
    "MissingDirectory",
    "WriteCancelled",
    "WriteRefused",
    "atomic_write_bytes",
    "atomic_write_chunks",
    "atomic_write_text",
    "check_writable_target",
    "refuse_link",
    "remove_stale_temps",
]

TEMP_TAG = "tui-lab"
_TEMP_NAME = re.compile(rf"^\..*\.{TEMP_TAG}-(\d+)-[^/]*\.tmp$")
#: Characters of the target's name kept in the temporary name (a 255-byte name must still fit).
_NAME_KEPT = 80


class WriteRefused(OSError):
    """The target is not something tui-lab writes to (a device, FIFO, socket or directory)."""


class MissingDirectory(OSError):
    """The target's directory does not exist and the caller did not ask to create it."""

    def __init__(self, directory: Path) -> None:
        super().__init__(f"The folder {directory} does not exist.")
        self.directory = directory


class WriteCancelled(Exception):
    """``should_stop`` returned True during a chunked write; the target was left untouched."""


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def refuse_link(path: str | os.PathLike[str]) -> None:
    """:class:`WriteRefused` when ``path`` itself is a symbolic link (links in its folders do not count)."""
    given = Path(path).expanduser()
    if given.is_symlink():
        try:
            points_to = f" (to {os.readlink(given)})"
        except OSError:
            points_to = ""
        raise WriteRefused(
            f"{given} is a symbolic link{points_to}: tui-lab does not write through links. "
            "Choose another name, or remove the link first."
        )


def check_writable_target(
    path: str | os.PathLike[str], *, create_parents: bool = False, through_links: bool = True
) -> Path:
    """The real path a write to ``path`` replaces (symlinks followed); refuses non-regular targets.

    Raises :class:`WriteRefused` for a device, FIFO, socket or directory, or (without
    ``through_links``) a symbolic link, and :class:`MissingDirectory` when the directory is
    missing and ``create_parents`` is False.
    """
    if not through_links:
        refuse_link(path)
    given = Path(path).expanduser()
    target = Path(os.path.realpath(given))
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise WriteRefused(f"{given} is {_kind(info.st_mode)}, not a regular file: tui-lab only writes regular files.")
    if not target.parent.is_dir():
        if target.parent.exists():
            raise WriteRefused(f"{target.parent} is not a folder.")
        if not create_parents:
            raise MissingDirectory(target.parent)
        target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _umask() -> int:
    """The process umask, read without changing it where Linux allows (else set and restore)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: the process exists, owned by someone else
        return True
    return True


def remove_stale_temps(directory: str | os.PathLike[str]) -> list[Path]:
    """Remove temporary files that a killed tui-lab left in ``directory``; returns what was removed."""
    removed: list[Path] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        match = _TEMP_NAME.match(name)
        if match is None or _alive(int(match.group(1))):
            continue
        path = Path(directory) / name
        try:
            if path.is_file() and not path.is_symlink():
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def atomic_write_chunks(
    path: str | os.PathLike[str],
    chunks: Iterable[bytes],
    *,
    private: bool = True,
    create_parents: bool = True,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Path:
    """Write ``chunks`` to ``path`` atomically; returns the real path written.

    ``private`` gives mode 0600 (state files); otherwise the umask decides (user exports) and an
    existing target keeps its mode. ``should_stop`` is checked before every chunk (then
    :class:`WriteCancelled`, the temp file removed, the target untouched); ``on_progress`` gets the
    bytes written so far. A user export (not ``private``) is refused when ``path`` is a symbolic link.
    """
    target = check_writable_target(path, create_parents=create_parents, through_links=private)
    remove_stale_temps(target.parent)
    if private:
        mode = 0o600
    else:
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
    prefix = f".{target.name[:_NAME_KEPT]}.{TEMP_TAG}-{os.getpid()}-"
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            written = 0
            for chunk in chunks:
                if should_stop is not None and should_stop():
                    raise WriteCancelled
                handle.write(chunk)
                written += len(chunk)
                if on_progress is not None:
                    on_progress(written)
            if should_stop is not None and should_stop():
                raise WriteCancelled
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, private: bool = True, create_parents: bool = True
) -> Path:
    """Write ``data`` to ``path`` so readers see the old file or the whole new one."""
    return atomic_write_chunks(path, [data], private=private, create_parents=create_parents)


def atomic_write_text(
    path: str | os.PathLike[str],
    text: str,
    encoding: str = "utf-8",
    *,
    private: bool = True,
    create_parents: bool = True,
) -> Path:
    """Write ``text`` atomically (see :func:`atomic_write_chunks`)."""
    return atomic_write_bytes(path, text.encode(encoding), private=private, create_parents=create_parents)

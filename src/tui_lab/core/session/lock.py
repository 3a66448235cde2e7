"""One writer per session: a live tui-lab holds an exclusive lock on the session it has open.

The lock is ``flock`` on ``<sessions>/.NAME.lock``, taken without waiting. The kernel releases
it when the process ends, however it ends (``kill -9`` included), so there is no stale lock to
clean up and no pid to guess about. The holder's pid is written into the file only so that a
second instance can say who holds it. A second tui-lab asking for ``default`` while one holds
it gets ``default-2`` (then ``-3``...) from :func:`claim`, and never writes the first one's files.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: sessions are not locked there
    fcntl = None  # type: ignore[assignment]

#: How many numbered alternatives :func:`claim` tries before giving up.
MAX_ALTERNATIVES = 99


class SessionLock:
    """The lock of session ``name`` under ``root``; :meth:`acquire` never waits."""

    def __init__(self, root: Path, name: str) -> None:
        self.root, self.name = root, name
        self.path = root / f".{name}.lock"
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock if no other live process (or other lock object) holds it; True on success."""
        if self._fd is not None:
            return True
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(self.path, flags, 0o600)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "since": time.time()}).encode())
        self._fd = fd
        return True

    def release(self) -> None:
        """Let go (the file stays: removing it would race with a process opening it)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def holder(self) -> int | None:
        """The pid written by the process that holds (or last held) the lock, if readable."""
        try:
            data = json.loads(self.path.read_bytes()[:200])
            pid = data.get("pid") if isinstance(data, dict) else None
        except (OSError, ValueError):
            return None
        return pid if isinstance(pid, int) and not isinstance(pid, bool) else None


def claim(root: Path, wanted: str) -> SessionLock:
    """The lock of ``wanted``, or of ``wanted-2``, ``wanted-3``... when another tui-lab holds it.

    Raises OSError when the lock files cannot be made (the caller turns sessions off).
    """
    from tui_lab.core.session.store import check_name

    for number in range(1, MAX_ALTERNATIVES + 1):
        name = wanted if number == 1 else f"{wanted[:60]}-{number}"
        lock = SessionLock(root, check_name(name))
        if lock.acquire():
            return lock
    raise OSError(f"sessions {wanted} to {wanted}-{MAX_ALTERNATIVES} are all open in other tui-lab instances")

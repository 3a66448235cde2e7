"""Persistent input history for the REPL, kept as JSON in the state directory.

Entries are whole inputs (multi-line ones included). :class:`History` also holds the
Up/Down navigation cursor: ``previous(current)`` remembers the unsent draft so that
walking past the newest entry gives the draft back, as in IPython.
"""

from __future__ import annotations

import json
from pathlib import Path

from tui_lab.core.fileio import atomic_write_text
from tui_lab.core.state import state_dir

HISTORY_FILE = "repl_history.json"
MAX_ENTRIES = 1_000


def history_path() -> Path:
    """Where the REPL history lives."""
    return state_dir() / HISTORY_FILE


class History:
    """Past inputs, oldest first, with an Up/Down cursor and substring search."""

    def __init__(self, path: Path | None = None, max_entries: int = MAX_ENTRIES) -> None:
        self.path = path
        self.max_entries = max_entries
        self.entries: list[str] = []
        self._cursor: int | None = None
        self._draft = ""

    @classmethod
    def load(cls, path: Path | None = None) -> History:
        """Read the history file (a missing or broken file gives an empty history)."""
        history = cls(path or history_path())
        try:
            data = json.loads(history.path.read_text(encoding="utf-8"))  # type: ignore[union-attr]
        except (OSError, ValueError):
            data = []
        if isinstance(data, list):
            history.entries = [e for e in data if isinstance(e, str)][-history.max_entries :]
        return history

    def save(self) -> None:
        """Write the history atomically (no-op for an in-memory history)."""
        if self.path is not None:
            atomic_write_text(self.path, json.dumps(self.entries, ensure_ascii=False))

    def add(self, source: str) -> None:
        """Append an input (blank inputs and repeats of the last one are skipped) and save."""
        self.reset()
        text = source.rstrip()
        if not text.strip() or (self.entries and self.entries[-1] == text):
            return
        self.entries.append(text)
        del self.entries[: -self.max_entries]
        self.save()

    def reset(self) -> None:
        """Leave navigation (after running or editing)."""
        self._cursor = None
        self._draft = ""

    def previous(self, current: str) -> str | None:
        """The entry before the cursor, or None at the oldest; remembers ``current`` as the draft."""
        if not self.entries:
            return None
        if self._cursor is None:
            self._draft = current
            self._cursor = len(self.entries)
        if self._cursor == 0:
            return None
        self._cursor -= 1
        return self.entries[self._cursor]

    def next(self) -> str | None:
        """The entry after the cursor, the draft past the newest, or None when not navigating."""
        if self._cursor is None:
            return None
        self._cursor += 1
        if self._cursor >= len(self.entries):
            draft = self._draft
            self.reset()
            return draft
        return self.entries[self._cursor]

    def search(self, needle: str) -> list[str]:
        """Entries containing ``needle`` (case-insensitive), newest first, without repeats."""
        needle = needle.lower()
        seen: set[str] = set()
        found = []
        for entry in reversed(self.entries):
            if needle in entry.lower() and entry not in seen:
                seen.add(entry)
                found.append(entry)
        return found

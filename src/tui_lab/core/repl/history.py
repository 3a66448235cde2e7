"""Persistent input history for the REPL, kept as JSON in the state directory.

Entries are whole inputs (multi-line ones included). :class:`History` also holds the
Up/Down navigation cursor: ``previous(current)`` remembers the unsent draft so that
walking past the newest entry gives the draft back, as in IPython.

Reading and writing go through :class:`~tui_lab.core.state.StateFile`: the file must be
a JSON list of strings (a strict type, bounded), a read-only or missing state directory
never raises, a damaged file is moved aside (the entries that still parse are kept), and
:meth:`History.take_notices` gives the sentences to show once.

Two tui-lab instances may share the file. Each input is merged into the file under its lock
(read, append this instance's new inputs, write), never written over it, so both instances'
inputs survive; after a merge the instance's list holds the other's inputs too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from msgspec import Meta

from tui_lab.core.state import StateFile, state_dir

HISTORY_FILE = "repl_history.json"
MAX_ENTRIES = 1_000
#: What the file may hold: a list of inputs (a file with more, or longer ones, was not written by tui-lab).
Entries = Annotated[list[Annotated[str, Meta(max_length=1_000_000)]], Meta(max_length=100_000)]


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
        self._read = path is None  # a file-backed history writes nothing before it has read the file
        #: Inputs of this instance not yet merged into the file (kept until a merge succeeds).
        self._unsaved: list[str] = []
        self._file: StateFile[list[str]] | None = (
            StateFile(path, "history", Entries, unsaved="new inputs won't be saved", salvage=salvage_strings)
            if path is not None
            else None
        )

    @classmethod
    def load(cls, path: Path | None = None) -> History:
        """Read the history file; a missing, unreadable or damaged file never raises (see :meth:`take_notices`)."""
        history = cls(path or history_path())
        history.read()
        return history

    def read(self) -> None:
        """Read the file now (the REPL does it after its first frame); inputs added before are kept after it."""
        if self._file is None:
            return
        stored = self._file.load() or []
        typed, self._read = self.entries, True
        self.entries = (stored + typed)[-self.max_entries :]
        if self._file.moved_to is not None:  # a damaged file was moved aside: what was recovered is written anew
            self._unsaved[:0] = stored
        if self._unsaved:
            self.save()

    @property
    def is_read(self) -> bool:
        """True once the file has been read (always for a history in memory)."""
        return self._read

    @property
    def writable(self) -> bool:
        """False once the file could not be written (or must not be, being unreadable)."""
        return self._file is None or self._file.writable

    def take_notices(self) -> list[str]:
        """Problems with the history file not yet shown, e.g. "history is read-only: new inputs won't be saved"."""
        return self._file.take_notices() if self._file is not None else []

    def save(self) -> None:
        """Merge this instance's new inputs into the file (no-op in memory, before the read, or unwritable).

        The file is read, the new inputs appended, and the result written, under the file's lock:
        inputs another tui-lab added meanwhile are kept (and appear here too). When the lock is
        busy the inputs stay pending and go with the next save.
        """
        if self._file is None or not self._read or not self._unsaved:
            return
        pending = list(self._unsaved)

        def merge(stored: list[str] | None) -> list[str]:
            merged = list(stored or [])
            for text in pending:
                if not merged or merged[-1] != text:
                    merged.append(text)
            return merged[-self.max_entries :]

        written = self._file.update(merge)
        if written is not None:
            self._unsaved.clear()
            self.entries = list(written)

    def add(self, source: str) -> None:
        """Append an input (blank inputs and repeats of the last one are skipped) and save."""
        self.reset()
        text = source.rstrip()
        if not text.strip() or (self.entries and self.entries[-1] == text):
            return
        self.entries.append(text)
        del self.entries[: -self.max_entries]
        self._unsaved.append(text)
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


def salvage_strings(text: str) -> list[str] | None:
    """The complete string entries at the start of a damaged JSON list (a truncated history)."""
    decoder = json.JSONDecoder()
    start = text.find("[")
    if start < 0:
        return None
    found: list[str] = []
    index = start + 1
    while True:
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
        try:
            value: Any
            value, index = decoder.raw_decode(text, index)
        except ValueError:
            break
        if isinstance(value, str):
            found.append(value)
    return found or None

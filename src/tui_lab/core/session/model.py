"""What a session holds, as the rest of the app imports it: the schema's records and a few plain types.

The persisted records (:class:`SessionState`, the saved names, each pane's state) are defined
once, strictly typed, in :mod:`tui_lab.core.session.schema` and
:mod:`tui_lab.core.session.panestates`; this module re-exports them beside the types that are
never read from disk (save progress and reports) and :func:`bounded_entry`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui_lab.core.session.panestates import (
    REPL_LOG_ENTRIES,
    REPL_TEXT_CHARS,
    DataState,
    PaneState,
    ReplEntry,
    ReplState,
    RunConfig,
    RunResultState,
    RunState,
    TrainState,
)
from tui_lab.core.session.schema import (
    FORMAT,
    FORMAT_VERSION,
    NotSaved,
    SavedName,
    SessionFormatError,
    SessionState,
)

__all__ = [
    "FORMAT", "FORMAT_VERSION", "REPL_LOG_ENTRIES", "REPL_TEXT_CHARS", "DataState", "NotSaved", "PaneState",
    "ReplEntry", "ReplState", "RunConfig", "RunResultState", "RunState", "SaveProgress", "SaveReport", "SaveStopped",
    "SavedName", "SessionFormatError", "SessionState", "TrainState", "bounded_entry",
]  # fmt: skip


class SaveStopped(Exception):
    """``should_stop`` returned True while a session was being written (nothing was replaced)."""


def bounded_entry(source: str, output: str, ok: bool, changed: tuple[str, ...] = ()) -> ReplEntry:
    """A log entry with its texts cut to :data:`REPL_TEXT_CHARS` (the cut is said in the text)."""

    def cut(text: str) -> str:
        if len(text) <= REPL_TEXT_CHARS:
            return text
        return text[:REPL_TEXT_CHARS] + f"\n… {len(text) - REPL_TEXT_CHARS:,} more characters not kept"

    names = tuple(name for name in changed if name.isidentifier())
    return ReplEntry(source=cut(source), output=cut(output), ok=ok, changed=names)


@dataclass(frozen=True)
class SaveProgress:
    """How far a save (or a restore) has got, in bytes."""

    done: int
    total: int
    name: str = ""

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 1.0


@dataclass(frozen=True)
class SaveReport:
    """What one save wrote: where, how many bytes, and the names it skipped (with the reason)."""

    path: str
    nbytes: int
    seconds: float
    state: SessionState
    skipped: tuple[NotSaved, ...] = ()

"""When to autosave, and how big a session may grow.

Autosave happens on quit, when a run finishes, after a pipeline step, and every
:data:`AUTOSAVE_INTERVAL_S` seconds while something changed. :class:`AutosavePolicy` is the
bookkeeping (a change counter, so a change made while a save runs is not forgotten); the UI
calls it and starts the worker. The size cap is ``$TUI_LAB_SESSION_CAP``, else the
``session_cap`` setting, else 2 GiB; both accept ``512M``, ``2G``, ``1.5GiB`` or plain bytes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from tui_lab.core.state import load_settings

CAP_ENV = "TUI_LAB_SESSION_CAP"
CAP_SETTING = "session_cap"
DEFAULT_CAP = 2 * 1024**3
AUTOSAVE_INTERVAL_S = 60.0
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(text: str | int | float) -> int:
    """``"2G"`` → 2147483648; ValueError for anything else."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if text < 0:
            raise ValueError("a size cannot be negative")
        return int(text)
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgtKMGT]?)(?:i?[bB])?\s*", str(text))
    if not match:
        raise ValueError(f"{text!r} is not a size (try 512M or 2G)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


@dataclass(frozen=True)
class SizeCap:
    """The cap in bytes and where it came from (for the "not saved" reasons and the docs)."""

    nbytes: int
    source: str
    problem: str = ""


def session_cap() -> SizeCap:
    """The configured cap; a bad value falls back to the default with a ``problem`` to report."""
    problem = ""
    for source, raw in ((CAP_ENV, os.environ.get(CAP_ENV)), (f"setting {CAP_SETTING}", load_settings().session_cap)):
        if raw is None or raw == "":
            continue
        try:
            return SizeCap(parse_size(raw), source)
        except ValueError as error:
            problem = f"{source}: {error}; using the default of 2 GiB"
            break
    return SizeCap(DEFAULT_CAP, "default", problem)


class AutosavePolicy:
    """Tracks unsaved changes; ``due`` says when the periodic save should run."""

    def __init__(self, interval: float = AUTOSAVE_INTERVAL_S) -> None:
        self.interval = interval
        self.changes = 0
        self.saved_changes = 0
        self.last_save: float | None = None

    @property
    def dirty(self) -> bool:
        """True when something changed since the last completed save began."""
        return self.changes != self.saved_changes

    def changed(self) -> None:
        """Something worth saving changed."""
        self.changes += 1

    def begin(self) -> int:
        """A save starts now; returns the change count it covers (hand it to :meth:`finished`)."""
        return self.changes

    def finished(self, covered: int, now: float) -> None:
        """A save that began at change count ``covered`` completed at ``now``."""
        self.saved_changes = max(self.saved_changes, covered)
        self.last_save = now

    def due(self, now: float) -> bool:
        """True when a periodic save should run: something changed and the interval has passed."""
        return self.dirty and (self.last_save is None or now - self.last_save >= self.interval)

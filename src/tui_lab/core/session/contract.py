"""The typed contract between the panes and the session.

A pane that keeps state in a session implements :class:`PaneSession` for one state type and
registers with the session when it is mounted; the session never looks inside a pane.

- ``save_state()`` (UI thread, cheap): the pane's state now. For most panes this is a record of
  :mod:`tui_lab.core.session.panestates` (a :class:`PaneState`), saved as it is. A pane whose state
  holds live objects that take work to write or to rebuild (the Data pane's pipeline, the Train
  pane's run records) returns a *live* state instead, and a :class:`PaneCodec` registered for
  that type turns it into its record in the save worker, and back in the restore worker.
- ``restore_state(state)`` (UI thread): show ``state``. The state type's defaults are the empty
  pane, which is what a new session restores.
- ``fingerprint()``: a small hashable value that changes when the state changes in a way worth
  an immediate save (a pipeline step, a finished run); other changes wait for the periodic save.

Adding a piece of pane state therefore touches that pane's state record and its three methods.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from tui_lab.core.session.panestates import PaneState

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from tui_lab.core.data.pipeline import Pipeline
    from tui_lab.core.data.tensors import TensorOptions
    from tui_lab.core.train.history import RunRecord

StateT = TypeVar("StateT")


class PaneSession(Protocol[StateT]):
    """What a pane offers the session: its state out, a state in, and a cheap change marker."""

    def save_state(self) -> StateT:
        """The pane's state now (UI thread; references, no copies of big data)."""
        ...

    def restore_state(self, state: StateT) -> None:
        """Show ``state`` (UI thread); the state type's defaults empty the pane."""
        ...

    def fingerprint(self) -> Hashable:
        """Changes when the state changes in a way that deserves a save now."""
        ...

    def work_in_flight(self) -> bool:
        """Work is running whose changes are not published yet (a REPL input): the quit saves regardless."""
        ...


# -- live states: what the Data and Train panes hand over (written by a codec in the worker) -----


class RestoreCancelled(Exception):
    """``should_stop`` said so while a session was being read (nothing was applied)."""


@dataclass(frozen=True)
class DataView:
    """The Data pane: its pipeline (None without a table), the grid's cursor and the tensor options."""

    pipeline: Pipeline | None = None
    cursor: tuple[int, int] = (0, 0)
    tensor_options: TensorOptions | None = None


@dataclass(frozen=True)
class TrainView:
    """The Train pane: its run records (only finished ones are saved) and the form's text (None: keep the form)."""

    records: tuple[RunRecord, ...] = ()
    form: Mapping[str, str] | None = None


# -- codecs: live state <-> record, in the save and restore workers ------------------------------


class ValueSink(Protocol):
    """Where a codec writes the files beside its record (inside the session being written)."""

    def write_array(self, relative: str, array: np.ndarray) -> str: ...

    def write_frame(self, relative: str, frame: pd.DataFrame) -> str: ...

    def should_stop(self) -> bool: ...


class ValueSource(Protocol):
    """Where a codec reads those files back (inside the session being restored)."""

    directory: Path

    def read_array(self, relative: str) -> np.ndarray: ...

    def read_frame(self, relative: str) -> pd.DataFrame | pd.Series: ...

    def progress(self, what: str) -> None: ...

    def should_stop(self) -> bool: ...


@dataclass
class Decoded:
    """A pane's live state rebuilt from its record, and what the person should be told about it."""

    state: object
    notes: list[str] = field(default_factory=list)


class PaneCodec(Protocol):
    """Turns one live state type into its record (saving) and back (restoring).

    ``encode`` and ``decode`` take Any: each codec takes its own live and record types, and the
    registry holds codecs of different types side by side, picked by ``live_type`` at run time.
    """

    @property
    def live_type(self) -> type:
        """The live state type a pane hands over."""
        ...

    @property
    def saved_type(self) -> type[PaneState]:
        """The record type a session holds."""
        ...

    def encode(self, live: Any, sink: ValueSink) -> PaneState | None:
        """The record of ``live`` (None: nothing to keep); files go through ``sink``."""
        ...

    def decode(self, saved: Any, source: ValueSource) -> Decoded:
        """The live state of ``saved``; SessionFormatError for a malformed record (the session is then bad)."""
        ...


Progress = Callable[[str], None]

"""What the Data pane knows and does, without Textual: loading, the pipeline and its undo stack, exports.

:class:`DataController` is a plain object. The screen calls it from the UI thread and from its
thread workers (the methods marked *any thread* touch no shared state), then shows what it
returns. A test drives it directly: load ``house_tiny.csv``, set the target, fill, one-hot,
undo and redo, make the tensors, all without an app.

Nothing here imports Textual or Rich; display text is built by :mod:`tui_lab.ui.data.views`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from tui_lab.core.data.files import ExportProgress
    from tui_lab.core.data.load import LoadedCsv, LoadOptions, LoadProgress
    from tui_lab.core.data.pipeline import AppliedStep, Pipeline
    from tui_lab.core.data.steps import Step
    from tui_lab.core.data.tensors import TensorOptions, TensorResult


class NotReady(Exception):
    """No table to work on yet (or one is still loading); the message says what to do."""


class StepState(Enum):
    """Where a row of the pipeline list stands."""

    SOURCE = "source"
    APPLIED = "applied"
    UNDONE = "undone"


@dataclass(frozen=True)
class StepRow:
    """One row of the pipeline list: ``read_csv``, an applied step, or an undone one (redo brings it back)."""

    number: int
    title: str
    state: StepState


@dataclass(frozen=True)
class LoadTicket:
    """One requested load; results of a ticket that is no longer current are ignored."""

    serial: int
    path: str
    options: LoadOptions | None = None


@dataclass(frozen=True)
class TableFacts:
    """What the title line says about the table."""

    name: str
    rows: int
    columns: int
    target: tuple[str, ...]
    steps: int


class DataController:
    """The Data pane's state: the load in progress, the pipeline, the tensor options."""

    def __init__(self) -> None:
        self.pipeline: Pipeline | None = None
        self.loading: LoadTicket | None = None
        self.load_notes: tuple[str, ...] = ()
        self._tensor_options: TensorOptions | None = None
        self._serial = 0

    @property
    def tensor_options(self) -> TensorOptions:
        """The tensor names and dtype last chosen (X, y, float32 until changed)."""
        if self._tensor_options is None:
            from tui_lab.core.data.tensors import TensorOptions

            self._tensor_options = TensorOptions()
        return self._tensor_options

    @tensor_options.setter
    def tensor_options(self, options: TensorOptions | None) -> None:
        """Set the options; None goes back to the defaults."""
        self._tensor_options = options

    # -- loading ------------------------------------------------------------------------

    def start_load(self, path: str, options: LoadOptions | None = None) -> LoadTicket:
        """Make ``path`` the current load (a load in progress is superseded)."""
        self._serial += 1
        self.loading = LoadTicket(self._serial, path, options)
        return self.loading

    def is_current(self, ticket: LoadTicket) -> bool:
        """True while ``ticket`` is the load in progress."""
        return self.loading is not None and self.loading.serial == ticket.serial

    @staticmethod
    def read(
        ticket: LoadTicket,
        on_progress: Callable[[LoadProgress], None] | None = None,
        on_preview: Callable[[pd.DataFrame], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> LoadedCsv:
        """Read the ticket's file (any thread); raises ``CsvLoadError`` or ``LoadCancelled``."""
        from tui_lab.core.data.load import load_csv

        return load_csv(
            ticket.path, ticket.options, on_progress=on_progress, on_preview=on_preview, should_stop=should_stop
        )

    def finish_load(self, ticket: LoadTicket, loaded: LoadedCsv) -> bool:
        """Adopt a loaded table as a fresh pipeline; False (nothing changed) for a superseded ticket."""
        from tui_lab.core.data.pipeline import Pipeline

        if not self.is_current(ticket):
            return False
        self.loading = None
        self.pipeline = Pipeline(loaded.path, loaded.frame, loaded.options)
        self.load_notes = loaded.notes
        return True

    def adopt(self, pipeline: Pipeline | None, notes: tuple[str, ...] = ()) -> None:
        """Show ``pipeline`` (a restored session's) instead of any table or load in progress."""
        self.loading = None
        self.pipeline = pipeline
        self.load_notes = notes

    def remember_recent(self) -> str | None:
        """Put the table's file first in the recent list; a message when the state cannot be written."""
        from tui_lab.core.data.files import add_recent

        if self.pipeline is None:
            return None
        try:
            add_recent(self.pipeline.path)
        except OSError as error:
            return f"The recent-files list cannot be saved: {error.strerror or error}"
        return None

    def end_load(self, ticket: LoadTicket | None = None) -> bool:
        """Forget the load (failed or cancelled); False when ``ticket`` was already superseded."""
        if ticket is not None and not self.is_current(ticket):
            return False
        self.loading = None
        return True

    def load_csv_now(self, path: str | os.PathLike[str], options: LoadOptions | None = None) -> LoadedCsv:
        """Load on the calling thread and adopt the table (scripts and tests)."""
        ticket = self.start_load(str(path), options)
        loaded = self.read(ticket)
        self.finish_load(ticket, loaded)
        return loaded

    # -- the pipeline ---------------------------------------------------------------------

    def ready(self) -> Pipeline:
        """The pipeline to work on; :class:`NotReady` while loading or before a table."""
        if self.loading is not None:
            raise NotReady("Still loading; wait or press Esc to cancel.")
        if self.pipeline is None:
            raise NotReady("Open a CSV first (o).")
        return self.pipeline

    def compute(self, step: Step) -> AppliedStep:
        """Run ``step`` on the current frame without committing it (any thread); raises ``StepError``."""
        return self.ready().compute(step)

    def commit(self, applied: AppliedStep) -> None:
        """Append a computed step (UI thread); raises ``StepError`` for a step computed on an older frame."""
        self.ready().commit(applied)

    def apply(self, step: Step) -> AppliedStep:
        """Compute and commit in one go."""
        applied = self.compute(step)
        self.commit(applied)
        return applied

    def sort_step(self, column: str) -> Step:
        """Sort by ``column``; pressing it again on the same column takes back that sort and flips it."""
        from tui_lab.core.data.steps import SortRows

        pipeline = self.ready()
        last = pipeline.applied[-1].step if pipeline.applied else None
        if isinstance(last, SortRows) and last.column == column:
            pipeline.undo()
            pipeline.undone.pop()  # a flip replaces the sort; it is not something to redo
            return SortRows(column, not last.ascending)
        return SortRows(column, True)

    def undo(self) -> AppliedStep | None:
        """Take back the last step (None when there is none)."""
        return self.ready().undo()

    def redo(self) -> AppliedStep | None:
        """Re-apply the last undone step (None when there is none)."""
        return self.ready().redo()

    def step_rows(self) -> list[StepRow]:
        """The pipeline list: ``read_csv``, the applied steps, then the undone ones (next redo first)."""
        pipeline = self.pipeline
        if pipeline is None:
            return []
        rows = [StepRow(0, f"read_csv {pipeline.path.name}", StepState.SOURCE)]
        rows += [
            StepRow(number, applied.step.title(), StepState.APPLIED)
            for number, applied in enumerate(pipeline.applied, start=1)
        ]
        rows += [StepRow(0, applied.step.title(), StepState.UNDONE) for applied in reversed(pipeline.undone)]
        return rows

    def summary_lines(self, index: int) -> list[str]:
        """The before/after summary of row ``index`` of :meth:`step_rows` (the source's for row 0)."""
        pipeline = self.pipeline
        if pipeline is None:
            return []
        if 1 <= index <= len(pipeline.applied):
            return [f"step {index}: before → after"] + pipeline.applied[index - 1].summary.lines()
        rows, columns = pipeline.source.shape
        return [f"source: {rows:,} rows × {columns:,} cols", f"NaN: {pipeline.source_nans:,}", *self.load_notes]

    def facts(self) -> TableFacts | None:
        """Name, shape, target and step count of the current table."""
        pipeline = self.pipeline
        if pipeline is None:
            return None
        rows, columns = pipeline.frame.shape
        return TableFacts(pipeline.path.name, rows, columns, pipeline.target, len(pipeline.applied))

    # -- tensors, code, exports -----------------------------------------------------------------

    def tensor_problems(self) -> list[str]:
        """Why the table cannot become tensors yet (empty when it can)."""
        from tui_lab.core.data.tensors import tensor_problems

        pipeline = self.ready()
        return tensor_problems(pipeline.frame, pipeline.target)

    def to_tensors(self, options: TensorOptions | None = None) -> TensorResult:
        """Make X (and y) from the current table (any thread); raises ``TensorError``."""
        from tui_lab.core.data.tensors import to_tensors

        pipeline = self.ready()
        return to_tensors(pipeline.frame, pipeline.target, options or self.tensor_options)

    def code(self) -> str:
        """The pipeline as a runnable script (read_csv, steps, tensors)."""
        from tui_lab.core.data.codegen import pipeline_code

        return pipeline_code(self.ready(), self.tensor_options)

    def default_export_path(self, suffix: str) -> str:
        """``<source stem>_processed<suffix>`` next to the source file."""
        source = self.pipeline.path if self.pipeline is not None else None
        if source is None:
            return f"processed{suffix}"
        return str(source.with_name(f"{source.stem}_processed{suffix}"))

    def export_csv(
        self,
        path: str,
        *,
        create_folder: bool = False,
        should_stop: Callable[[], bool] | None = None,
        on_progress: Callable[[ExportProgress], None] | None = None,
    ) -> Path:
        """Write the processed table (any thread); raises ``ExportError`` or ``WriteCancelled``."""
        from tui_lab.core.data.files import export_csv

        pipeline = self.ready()
        return export_csv(
            pipeline.frame,
            path,
            pipeline.path,
            create_folder=create_folder,
            should_stop=should_stop,
            on_progress=on_progress,
        )

    def export_code(self, path: str, *, create_folder: bool = False) -> Path:
        """Write the pipeline script; raises ``ExportError``."""
        from tui_lab.core.data.files import export_code

        return export_code(self.code(), path, self.ready().path, create_folder=create_folder)

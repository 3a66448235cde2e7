"""Messages the Data pane's workers post back to its screen (thread-safe: workers only post these)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    import pandas as pd

    from tui_lab.core.data.files import ExportProgress
    from tui_lab.core.data.load import CsvLoadError, LoadedCsv, LoadProgress
    from tui_lab.core.data.pipeline import AppliedStep
    from tui_lab.core.data.preview import RowsPreview
    from tui_lab.core.data.profile import ColumnProfile
    from tui_lab.core.data.tensors import TensorResult
    from tui_lab.ui.data.controller import LoadTicket
    from tui_lab.ui.data.dialogs import StepFormScreen


@dataclass
class CsvLoaded(Message):
    """A CSV finished loading."""

    ticket: LoadTicket
    loaded: LoadedCsv


@dataclass
class CsvLoadFailed(Message):
    """Loading failed or was cancelled; ``message`` says why."""

    ticket: LoadTicket
    message: str
    error: CsvLoadError | None = None
    cancelled: bool = False


@dataclass
class LoadProgressed(Message):
    """Bytes and rows read so far (throttled at the source)."""

    ticket: LoadTicket
    progress: LoadProgress


@dataclass
class PreviewLoaded(Message):
    """The first chunk of a big file is parsed and can be shown."""

    ticket: LoadTicket
    frame: pd.DataFrame


@dataclass
class RowsPreviewed(Message):
    """The first rows of a big file, read without pandas (dtypes still unknown)."""

    preview: RowsPreview


@dataclass
class ProfileComputed(Message):
    """A column profile is ready."""

    key: tuple[int, str]
    profile: ColumnProfile


@dataclass
class ProfileFailed(Message):
    """A column profile raised; ``message`` names the error."""

    key: tuple[int, str]
    message: str


@dataclass
class StepComputed(Message):
    """A step ran in a worker and waits to be committed; ``form`` is the dialog still open for it."""

    applied: AppliedStep
    form: StepFormScreen | None = None


@dataclass
class StepFailed(Message):
    """A step or the tensor conversion could not run; ``message`` says why."""

    message: str
    title: str = "Step not applied"
    form: StepFormScreen | None = None


@dataclass
class TensorsPublished(Message):
    """X (and y) are in the workspace."""

    result: TensorResult


@dataclass
class ExportProgressed(Message):
    """Rows of a CSV export written so far (throttled at the source)."""

    progress: ExportProgress


@dataclass
class ExportEnded(Message):
    """An export finished (``written``), failed (``error``) or was cancelled."""

    written: Path | None = None
    error: str = ""
    cancelled: bool = False
    #: The folder that does not exist, when that is why it failed (the screen offers to create it).
    missing_folder: Path | None = None
    #: What to retry with once the folder is created: (path, suffix).
    retry: tuple[str, str] | None = None

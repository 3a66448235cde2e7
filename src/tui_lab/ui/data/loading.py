"""The Data pane's loading: open dialog, the load worker, previews, progress, cancel and load errors.

A mixin for :class:`tui_lab.ui.data.screen.DataScreen`, kept apart so each file stays readable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import ProgressBar
from textual.worker import get_current_worker

from tui_lab.ui.data.dialogs import ConfirmScreen, OpenCsvScreen

if TYPE_CHECKING:
    from tui_lab.core.data.load import CsvLoadError, LoadedCsv, LoadOptions, LoadProgress
    from tui_lab.core.data.pipeline import Pipeline
    from tui_lab.core.data.preview import RowsPreview
    from tui_lab.ui.data.grid import DataGrid
    from tui_lab.ui.pane import PaneScreen as _ScreenBase
else:
    _ScreenBase = object


@dataclass
class CsvLoaded(Message):
    """A CSV finished loading."""

    loaded: LoadedCsv
    #: The path as requested; a message from a superseded load is ignored.
    path: str = ""


@dataclass
class CsvLoadFailed(Message):
    """Loading failed or was cancelled."""

    path: str
    message: str
    error: CsvLoadError | None = None
    options: LoadOptions | None = None
    cancelled: bool = False


@dataclass
class LoadProgressed(Message):
    """Bytes and rows read so far (throttled at the source)."""

    progress: LoadProgress
    path: str = ""


@dataclass
class RowsPreviewed(Message):
    """The first rows of a big file, read without pandas (dtypes still unknown)."""

    preview: RowsPreview


@dataclass
class PreviewLoaded(Message):
    """The first rows of a big file are ready to show."""

    frame: Any
    path: str = ""


class DataLoading(_ScreenBase):
    """Opening and loading CSVs; expects ``pipeline``, ``grid``, ``refresh_views`` and ``_set_title`` on self."""

    pipeline: Pipeline | None
    loading_path: str | None
    load_notes: tuple[str, ...]
    _previewing: bool

    if TYPE_CHECKING:  # provided by the DataScreen this mixes into

        def refresh_views(self, highlight: int | None = None) -> None: ...
        def _set_title(self, text: Text) -> None: ...

        @property
        def grid(self) -> DataGrid: ...

    # -- opening ----------------------------------------------------------------------

    def action_open_csv(self) -> None:
        def picked(path: str | None) -> None:
            if path:
                self.open_csv(path)

        self.app.push_screen(OpenCsvScreen(), picked)

    def open_csv(self, path: str, options: LoadOptions | None = None) -> None:
        """Start loading ``path`` in a worker (cancelling any load in progress)."""
        self.loading_path = path
        self.add_class("-loading")
        self.query_one("#data-progress", ProgressBar).update(total=100, progress=0)
        self._set_title(Text(f" loading {Path(path).name}… (Esc cancels)", style="italic"))
        from tui_lab.core.data.preview import read_preview

        # A few milliseconds here, on the UI thread, puts rows on screen before pandas (or torch,
        # importing in another thread) can hold the interpreter up.
        preview = read_preview(path, encoding=options.encoding if options else "utf-8")
        if preview is not None:
            self.on_rows_previewed(RowsPreviewed(preview))
        self._load(path, options)

    @work(thread=True, exclusive=True, group="data-load", exit_on_error=False)
    def _load(self, path: str, options: LoadOptions | None) -> None:
        from tui_lab.core.data.load import CsvLoadError, LoadCancelled, load_csv

        worker = get_current_worker()

        last = [0.0]

        def progress(update: LoadProgress) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.1:
                last[0] = now
                self.post_message(LoadProgressed(update, path))

        def preview(frame: Any) -> None:
            self.post_message(PreviewLoaded(frame, path))

        try:
            loaded = load_csv(
                path,
                options,
                on_progress=progress,
                on_preview=preview,
                should_stop=lambda: worker.is_cancelled,
            )
        except LoadCancelled:
            self.post_message(CsvLoadFailed(path, f"Stopped loading {Path(path).name}.", cancelled=True))
        except CsvLoadError as error:
            self.post_message(CsvLoadFailed(path, str(error), error, options))
        except Exception as error:  # an unexpected parser failure must not take the app down
            self.post_message(CsvLoadFailed(path, f"Could not load {path}: {type(error).__name__}: {error}"))
        else:
            if not worker.is_cancelled:
                self.post_message(CsvLoaded(loaded, path))
        finally:
            self.app.release_start_hold()  # type: ignore[attr-defined]  # torch may load now

    def _superseded(self, path: str) -> bool:
        """True for a message from a load that was cancelled or replaced by another."""
        return bool(path) and path != self.loading_path

    def on_load_progressed(self, message: LoadProgressed) -> None:
        if self._superseded(message.path):
            return
        progress = message.progress
        self.query_one("#data-progress", ProgressBar).update(total=100, progress=100 * progress.fraction)
        self._set_title(
            Text(f" loading… {progress.rows:,} rows, {progress.fraction:.0%} (Esc cancels)", style="italic")
        )

    def on_rows_previewed(self, message: RowsPreviewed) -> None:
        if self.loading_path is None:
            return
        self.add_class("-has-table")
        self.grid.set_preview(message.preview)
        self._previewing = True

    def on_preview_loaded(self, message: PreviewLoaded) -> None:
        if self.loading_path is None or self._superseded(message.path):
            return
        self.add_class("-has-table")
        self.grid.set_frame(message.frame, keep_cursor=self._previewing)
        self._previewing = True

    def on_csv_loaded(self, message: CsvLoaded) -> None:
        from tui_lab.core.data.files import add_recent
        from tui_lab.core.data.pipeline import Pipeline

        if self._superseded(message.path):
            return
        loaded = message.loaded
        self.loading_path = None
        self.remove_class("-loading")
        self.pipeline = Pipeline(loaded.path, loaded.frame, loaded.options)
        self.load_notes = loaded.notes
        try:
            add_recent(loaded.path)
        except OSError:
            pass  # a read-only state directory only loses the recent list
        self.add_class("-has-table")
        self.grid.set_frame(loaded.frame, keep_cursor=self._previewing)
        self._previewing = False
        self.refresh_views()
        self.grid.focus()
        rows, cols = loaded.frame.shape
        self.notify(f"{loaded.path.name}: {rows:,} rows × {cols:,} columns in {loaded.seconds:.2f} s", title="Loaded")
        for note in loaded.notes:
            self.notify(note, title="Note", severity="warning", timeout=8)

    def on_csv_load_failed(self, message: CsvLoadFailed) -> None:
        from tui_lab.core.data.load import LoadOptions

        if self._superseded(message.path):
            return
        self._loading_ended(f"could not open {Path(message.path).name}")
        if message.cancelled:
            self.notify(message.message, title="Cancelled")
            return
        error = message.error
        if error is not None and error.offer == "skip_bad_lines":
            old = message.options or LoadOptions()

            def answer(yes: bool | None) -> None:
                if yes:
                    self.open_csv(message.path, LoadOptions(old.encoding, skip_bad_lines=True))

            self.app.push_screen(ConfirmScreen(message.message), answer)
            return
        self.notify(message.message, title="Cannot open CSV", severity="error", timeout=10)

    def _loading_ended(self, why: str) -> None:
        """Back to the previous table (or the empty state) after a failed or cancelled load."""
        self.loading_path = None
        self._previewing = False
        self.remove_class("-loading")
        if self.pipeline is None:
            self.set_class(False, "-has-table")
            self.grid.set_frame(None)
            self._set_title(Text(f" {why} · press o to open a CSV", style="italic"))
        else:
            self.refresh_views()

    def action_cancel_load(self) -> None:
        path = self.loading_path
        if path is None:
            return
        self.workers.cancel_group(self, "data-load")
        self._loading_ended(f"loading {Path(path).name} cancelled")
        self.notify(f"Stopped loading {Path(path).name}.", title="Cancelled")

"""The Data pane's loading: the worker, the previews, progress, and what a failed load offers.

A load gets a ticket from the controller; messages of a superseded ticket (the user opened
another file, or pressed Esc) are ignored. Files over 8 MiB show their first rows read with the
stdlib ``csv`` module at once, then pandas' first chunk, then the whole table. A ragged file
offers to skip its bad lines; a file that reads as one column offers its sniffed delimiter.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from tui_lab.core.text import one_line
from tui_lab.ui.data import jobs, views
from tui_lab.ui.data.dialogs import ConfirmScreen
from tui_lab.ui.data.messages import CsvLoaded, CsvLoadFailed, LoadProgressed, PreviewLoaded, RowsPreviewed

if TYPE_CHECKING:
    from tui_lab.core.data.load import LoadOptions
    from tui_lab.ui.data.screen import DataScreen

#: The worker group of loads (Esc cancels it; a new load replaces it).
LOAD_GROUP = "data-load"


class LoadFlow:
    """One Data screen's loading: which file is being read and what the table shows meanwhile."""

    def __init__(self, screen: DataScreen) -> None:
        self.screen = screen
        #: True while the grid shows a preview the user may have moved the cursor in.
        self.previewing = False

    def open(self, path: str, options: LoadOptions | None = None) -> None:
        """Start loading ``path`` in a worker (a load in progress is superseded)."""
        from tui_lab.core.data.preview import read_preview

        ticket = self.screen.controller.start_load(path, options)
        self.screen.show_progress(views.loading_title(path), 0.0)
        # A few milliseconds here, on the UI thread, puts rows on screen before pandas (or torch,
        # importing in another thread) can hold the interpreter up. A FIFO is never opened.
        preview = read_preview(path, encoding=options.encoding if options else "utf-8")
        if preview is not None:
            self.rows_previewed(RowsPreviewed(preview))
        work = partial(
            jobs.load, self.screen.controller, ticket, self.screen.post_message, self.screen.lab.release_start_hold
        )
        self.screen.run_worker(work, thread=True, exclusive=True, group=LOAD_GROUP, exit_on_error=False)

    def progressed(self, message: LoadProgressed) -> None:
        if self.screen.controller.is_current(message.ticket):
            self.screen.show_progress(
                views.loading_title(message.ticket.path, message.progress), message.progress.fraction
            )

    def rows_previewed(self, message: RowsPreviewed) -> None:
        if self.screen.controller.loading is not None:
            self.screen.add_class("-has-table")
            self.screen.grid.set_preview(message.preview)
            self.previewing = True

    def preview_loaded(self, message: PreviewLoaded) -> None:
        if self.screen.controller.is_current(message.ticket):
            self.screen.add_class("-has-table")
            self.screen.grid.set_frame(message.frame, keep_cursor=self.previewing)
            self.previewing = True

    def loaded(self, message: CsvLoaded) -> None:
        loaded = message.loaded
        if not self.screen.controller.finish_load(message.ticket, loaded):
            return
        self.screen.remove_class("-busy")
        self.screen.add_class("-has-table")
        self.screen.grid.set_frame(loaded.frame, keep_cursor=self.previewing)
        self.previewing = False
        self.screen.refresh_views()
        self.screen.grid.focus()
        problem = self.screen.controller.remember_recent()
        rows, cols = loaded.frame.shape
        self.screen.tell(
            f"{one_line(loaded.path.name)}: {rows:,} rows × {cols:,} columns in {loaded.seconds:.2f} s", "Loaded"
        )
        for note in loaded.notes:
            self.screen.tell(note, "Note", "warning", 8)
        if problem:
            self.screen.tell(problem, "Recent files", "warning", 8)
        if loaded.suggested_sep is not None:
            sep = loaded.suggested_sep
            question = f"{one_line(loaded.path.name)} read as one column. Reload it with sep={sep!r}?"
            reload = partial(self.open, str(loaded.path), replace(loaded.options, sep=sep))
            self.screen.app.push_screen(ConfirmScreen(question), lambda yes: reload() if yes else None)

    def failed(self, message: CsvLoadFailed) -> None:
        from tui_lab.core.data.load import LoadOptions

        if not self.screen.controller.end_load(message.ticket):
            return
        self.ended(f"could not open {Path(message.ticket.path).name}")
        if message.cancelled:
            self.screen.tell(message.message, "Cancelled")
            return
        error = message.error
        if error is not None and error.offer == "skip_bad_lines":
            options = replace(message.ticket.options or LoadOptions(), skip_bad_lines=True)
            retry = partial(self.open, message.ticket.path, options)
            self.screen.app.push_screen(ConfirmScreen(message.message), lambda yes: retry() if yes else None)
            return
        self.screen.tell(message.message, "Cannot open CSV", "error", 10)

    def ended(self, why: str) -> None:
        """Back to the previous table (or the empty state) after a failed or cancelled load."""
        self.previewing = False
        self.screen.remove_class("-busy")
        if self.screen.controller.pipeline is None:
            self.screen.set_class(False, "-has-table")
            self.screen.grid.set_frame(None)
            # status_title fills in "{name}": braces in a file name must not reach str.format.
            braced = why.replace("{", "{{").replace("}", "}}")
            self.screen.set_title(views.status_title(f"{braced} · press o to open a CSV"))
        else:
            self.screen.refresh_views()

    def cancel(self) -> None:
        """Esc: stop the load in progress and go back to what was shown before."""
        path = self.screen.loading_path
        if path is None:
            return
        self.screen.workers.cancel_group(self.screen, LOAD_GROUP)
        self.screen.controller.end_load()
        self.ended(f"loading {Path(path).name} cancelled")
        self.screen.tell(f"Stopped loading {one_line(Path(path).name)}.", "Cancelled")

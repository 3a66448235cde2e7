"""The Data pane's exports: the save dialog, the confirmations, the cancellable export worker.

Every export (``e`` table as CSV, ``E`` pipeline as ``.py``) goes through a save dialog, so no
single key writes a file. Replacing an existing file asks first; a folder that does not exist
is created only after the user says yes. The CSV is written in chunks by a thread worker that
reports progress to the pane's title line; Esc cancels it, and ctrl+q (which cancels every
worker) stops it at the next chunk, so quitting is never held up by an export.
"""

from __future__ import annotations

import os
from functools import partial
from typing import TYPE_CHECKING

from tui_lab.core.text import one_line
from tui_lab.ui.data import jobs, views
from tui_lab.ui.data.controller import NotReady
from tui_lab.ui.data.dialogs import ConfirmScreen, PathPromptScreen

if TYPE_CHECKING:
    from tui_lab.ui.data.messages import ExportEnded, ExportProgressed
    from tui_lab.ui.data.screen import DataScreen

#: The worker group of exports (Esc cancels it).
EXPORT_GROUP = "data-export"


class ExportFlow:
    """One Data screen's export: what is being written, and the steps from dialog to file."""

    def __init__(self, screen: DataScreen) -> None:
        self.screen = screen
        #: The path being written, while an export runs.
        self.target: str | None = None

    @property
    def running(self) -> bool:
        return self.target is not None

    def ask(self, title: str, suffix: str) -> None:
        """Open the save dialog for an export of ``suffix`` (``.csv`` or ``.py``)."""
        screen = self.screen
        try:
            screen.controller.ready()
        except NotReady as reason:
            screen.tell(str(reason), "Not yet")
            return
        if self.running:
            screen.tell("An export is running; Esc cancels it.", "Busy")
            return
        # The default is named after the source: a hostile name gives a visible one, never a new hostile file.
        folder, name = os.path.split(screen.controller.default_export_path(suffix))
        prompt = PathPromptScreen(title, os.path.join(folder, one_line(name)))
        screen.app.push_screen(prompt, lambda path: self._check(path, suffix) if path else None)

    def _check(self, path: str, suffix: str) -> None:
        from tui_lab.core.data.files import ExportError, check_export_target
        from tui_lab.core.fileio import WriteRefused, refuse_link

        screen = self.screen
        try:
            target = check_export_target(path, screen.controller.ready().path)
            refuse_link(target)  # before asking to replace: an export never writes through a link
        except (ExportError, NotReady, WriteRefused) as error:
            screen.tell(str(error), "Export refused", "error", 10)
            return
        if target.is_file():
            export = partial(self.start, path, suffix)
            screen.app.push_screen(
                ConfirmScreen(f"{one_line(str(target))} exists. Replace it?"), lambda yes: export() if yes else None
            )
        else:
            self.start(path, suffix)

    def start(self, path: str, suffix: str, create_folder: bool = False) -> None:
        """Run the export in a thread worker."""
        screen = self.screen
        self.target = path
        screen.show_progress(views.export_title(path, None), 0.0)
        work = partial(jobs.export, screen.controller, path, suffix, create_folder, screen.post_message)
        screen.run_worker(work, thread=True, exclusive=True, group=EXPORT_GROUP, exit_on_error=False)

    def cancel(self) -> None:
        """Esc: stop the export at its next chunk (nothing is written)."""
        self.screen.workers.cancel_group(self.screen, EXPORT_GROUP)

    def progressed(self, message: ExportProgressed) -> None:
        if self.target is not None:
            fraction = message.progress.fraction
            self.screen.show_progress(views.export_title(self.target, fraction), fraction)

    def ended(self, message: ExportEnded) -> None:
        """Say how it ended; a missing folder is offered to be created, then the export runs again."""
        screen = self.screen
        self.target = None
        screen.busy_ended()
        if message.written is not None:
            screen.tell(f"Wrote {one_line(str(message.written))}", "Exported")
        elif message.cancelled:
            screen.tell("Export cancelled: nothing was written.", "Cancelled")
        elif message.missing_folder is not None and message.retry is not None:
            path, suffix = message.retry
            create = partial(self.start, path, suffix, True)
            question = f"The folder {one_line(str(message.missing_folder))} does not exist. Create it and export?"
            screen.app.push_screen(ConfirmScreen(question), lambda yes: create() if yes else None)
        else:
            screen.tell(message.error, "Export refused", "error", 10)

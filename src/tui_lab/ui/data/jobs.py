"""The Data pane's thread-worker bodies: load, profile, step, tensors, export.

Each job is a plain function run by ``screen.run_worker(..., thread=True)``. It calls the
controller or core, never touches a widget, and reports only by posting a message from
:mod:`tui_lab.ui.data.messages`; every failure becomes a message, so the pane's status line
never stays on "loading…". Jobs stop cooperatively: ``worker.is_cancelled`` is passed down as
``should_stop`` (Esc, a newer load, or ctrl+q cancelling every worker on exit).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from textual.message import Message
from textual.worker import get_current_worker

from tui_lab.ui.data.messages import (
    CsvLoaded,
    CsvLoadFailed,
    ExportEnded,
    ExportProgressed,
    LoadProgressed,
    PreviewLoaded,
    ProfileComputed,
    ProfileFailed,
    StepComputed,
    StepFailed,
    TensorsPublished,
)

if TYPE_CHECKING:
    import pandas as pd

    from tui_lab.core.data.files import ExportProgress
    from tui_lab.core.data.load import LoadProgress
    from tui_lab.core.data.steps import Step
    from tui_lab.core.data.tensors import TensorOptions
    from tui_lab.core.workspace import Workspace
    from tui_lab.ui.data.controller import DataController, LoadTicket
    from tui_lab.ui.data.dialogs import StepFormScreen

Post = Callable[[Message], object]
UpdateT = TypeVar("UpdateT")
#: Seconds between progress messages (a few a second, not one per chunk).
PROGRESS_EVERY = 0.1


def _throttled(post: Post, make: Callable[[UpdateT], Message]) -> Callable[[UpdateT], None]:
    last = [0.0]

    def report(update: UpdateT) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            post(make(update))

    return report


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def load(controller: DataController, ticket: LoadTicket, post: Post, release: Callable[[], None]) -> None:
    """Read the ticket's CSV; posts progress, the first chunk, then loaded or failed."""
    from tui_lab.core.data.load import CsvLoadError, LoadCancelled

    worker = get_current_worker()
    name = Path(ticket.path).name

    def progress(update: LoadProgress) -> LoadProgressed:
        return LoadProgressed(ticket, update)

    def preview(frame: pd.DataFrame) -> None:
        post(PreviewLoaded(ticket, frame))

    try:
        loaded = controller.read(
            ticket,
            on_progress=_throttled(post, progress),
            on_preview=preview,
            should_stop=lambda: worker.is_cancelled,
        )
    except LoadCancelled:
        post(CsvLoadFailed(ticket, f"Stopped loading {name}.", cancelled=True))
    except CsvLoadError as error:
        post(CsvLoadFailed(ticket, str(error), error))
    except Exception as error:  # an unexpected parser failure must not leave the pane on "loading…"
        post(CsvLoadFailed(ticket, f"Could not load {name}: {_describe(error)}"))
    else:
        if not worker.is_cancelled:
            post(CsvLoaded(ticket, loaded))
    finally:
        release()


def profile(frame: pd.DataFrame, name: str, key: tuple[int, str], post: Post) -> None:
    """Profile one column."""
    from tui_lab.core.data.profile import profile_column

    try:
        post(ProfileComputed(key, profile_column(frame[name])))
    except Exception as error:
        post(ProfileFailed(key, _describe(error)))


def step(controller: DataController, step: Step, form: StepFormScreen | None, post: Post) -> None:
    """Run a step on the current frame; the screen commits it on the UI thread."""
    from tui_lab.core.data.steps import StepError
    from tui_lab.ui.data.controller import NotReady

    try:
        applied = controller.compute(step)
    except (StepError, NotReady) as error:
        post(StepFailed(str(error), form=form))
    except Exception as error:  # a pandas surprise must not take the app down
        post(StepFailed(f"{step.title()} failed: {_describe(error)}", form=form))
    else:
        post(StepComputed(applied, form))


def tensors(controller: DataController, options: TensorOptions, workspace: Workspace, post: Post) -> None:
    """Make X (and y) and publish them to the workspace."""
    from tui_lab.core.data.tensors import TensorError

    try:
        result = controller.to_tensors(options)
        workspace.publish_many(result.tensors, "data")
    except TensorError as error:
        post(StepFailed(str(error), "To tensors"))
    except Exception as error:  # e.g. out of memory on a huge table
        post(StepFailed(_describe(error), "To tensors"))
    else:
        post(TensorsPublished(result))


def export(controller: DataController, path: str, suffix: str, create_folder: bool, post: Post) -> None:
    """Write the table (CSV, in chunks, cancellable) or the script (.py)."""
    from tui_lab.core.data.files import ExportError, MissingFolder
    from tui_lab.core.fileio import WriteCancelled

    worker = get_current_worker()

    def progress(update: ExportProgress) -> ExportProgressed:
        return ExportProgressed(update)

    try:
        if suffix == ".py":
            written = controller.export_code(path, create_folder=create_folder)
        else:
            written = controller.export_csv(
                path,
                create_folder=create_folder,
                should_stop=lambda: worker.is_cancelled,
                on_progress=_throttled(post, progress),
            )
    except WriteCancelled:
        post(ExportEnded(cancelled=True))
    except MissingFolder as error:
        post(ExportEnded(error=str(error), missing_folder=error.directory, retry=(path, suffix)))
    except ExportError as error:
        post(ExportEnded(error=str(error)))
    except Exception as error:
        post(ExportEnded(error=f"Could not export: {_describe(error)}"))
    else:
        post(ExportEnded(written=written))

"""The Data pane: open a CSV, see the NaNs, build a preprocessing pipeline, publish tensors X, y.

The screen composes widgets and wires events. What the pane knows and does lives in
:class:`tui_lab.ui.data.controller.DataController`; slow work runs in the thread jobs of
:mod:`tui_lab.ui.data.jobs`, which report back with the messages of :mod:`tui_lab.ui.data.messages`;
what the side panel and title say is built by :mod:`tui_lab.ui.data.views`. Layout CSS is in
``data.tcss``. pandas and torch are imported lazily so the app starts without them.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import OptionList, ProgressBar, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from tui_lab.core.text import one_line, visible
from tui_lab.ui.data import jobs, views
from tui_lab.ui.data.controller import DataController, NotReady, StepState
from tui_lab.ui.data.dialogs import CodeScreen, FormValues, OpenCsvScreen, StepFormScreen
from tui_lab.ui.data.exporting import EXPORT_GROUP, ExportFlow
from tui_lab.ui.data.grid import DataGrid
from tui_lab.ui.data.loading import LOAD_GROUP, LoadFlow
from tui_lab.ui.data.messages import (
    CsvLoaded,
    CsvLoadFailed,
    ExportEnded,
    ExportProgressed,
    LoadProgressed,
    PreviewLoaded,
    ProfileComputed,
    ProfileFailed,
    RowsPreviewed,
    StepComputed,
    StepFailed,
    TensorsPublished,
)
from tui_lab.ui.modals import PickerScreen
from tui_lab.ui.pane import PaneScreen
from tui_lab.ui.requests import OpenCsv, PaneRequest
from tui_lab.ui.theme import theme_style

if TYPE_CHECKING:
    from collections.abc import Hashable

    from textual.notifications import SeverityLevel

    from tui_lab.core.data.load import LoadOptions
    from tui_lab.core.data.pipeline import Pipeline
    from tui_lab.core.data.steps import Step
    from tui_lab.core.data.tensors import TensorOptions
    from tui_lab.core.session.contract import DataView
    from tui_lab.ui.data.forms import FormBuilder

PROFILE, STEP, TENSORS = "data-profile", "data-step", "data-tensors"
#: Steps on tables up to this many cells run at once on the UI thread (milliseconds), so keys typed
#: right after Enter reach the table, not a form still waiting for its worker; bigger tables use a worker.
INLINE_CELLS = 200_000


class DataScreen(PaneScreen):
    """A CSV preprocessing viewer: open a CSV, see the NaNs, split inputs and target, fill, one-hot, and publish the tensors X, y to the workspace."""

    PANE = "data"
    CSS_PATH = "data.tcss"  # tui-lab reads it with the app's stylesheet (ui/app.py STYLESHEETS)

    def __init__(self) -> None:
        super().__init__()
        self.controller = DataController()
        self._profile_key: tuple[int, str] | None = None
        self.loads = LoadFlow(self)
        self._grid = DataGrid(id="data-grid")
        self.exports = ExportFlow(self)

    @property
    def pipeline(self) -> Pipeline | None:
        """The pipeline of the table shown (None before a table)."""
        return self.controller.pipeline

    @property
    def loading_path(self) -> str | None:
        """The file being loaded, if any."""
        return self.controller.loading.path if self.controller.loading is not None else None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="data-main"):
            with Vertical(id="data-left"):
                yield Static(views.status_title("no file · press o to open a CSV"), id="data-title")
                yield ProgressBar(id="data-progress", show_eta=False)
                yield Static(views.EMPTY_TEXT, id="data-empty")
                yield self._grid
            with Vertical(id="data-side"):
                yield Static("Column", classes="data-heading")
                yield Static("", id="data-profile")
                yield Static("Pipeline", classes="data-heading")
                yield OptionList(id="data-steps")
                yield Static("", id="data-summary")

    @property
    def grid(self) -> DataGrid:
        """The table (kept, not queried: other code may ask while the screen is being torn down)."""
        return self._grid

    def request(self, request: PaneRequest) -> None:
        """Start an ``OpenCsv`` at once (not after a refresh): the first rows show sooner."""
        if isinstance(request, OpenCsv) and self.is_mounted:
            self.handle_request(request)
        else:
            super().request(request)

    def on_mount(self) -> None:
        # Textual calls PaneScreen.on_mount after this one (handlers run for every class in the MRO).
        opening = [r for r in self._pending_requests if isinstance(r, OpenCsv)]
        self._pending_requests = [r for r in self._pending_requests if not isinstance(r, OpenCsv)]
        for request in opening:
            self.handle_request(request)
        self.lab.session.register(self.PANE, self)  # last: a restored state is shown at once

    def handle_request(self, request: PaneRequest) -> None:
        """``OpenCsv(path)``: load and show that file."""
        if isinstance(request, OpenCsv):
            self.open_csv(request.path)

    def restore_session(
        self, pipeline: Pipeline | None, cursor: tuple[int, int] = (0, 0), tensor_options: TensorOptions | None = None
    ) -> None:
        """Show a pipeline restored from a session (None empties the pane), the cursor where it was, and the
        tensor names and dtype it published with (defaults when None)."""
        self.controller.adopt(pipeline)
        self.controller.tensor_options = tensor_options
        self.set_class(pipeline is not None, "-has-table")
        if pipeline is None:
            self.grid.set_frame(None)
            return
        self.refresh_views()
        self.grid.move_to(*cursor)

    # -- the session (tui_lab.core.session.contract.PaneSession) ----------------------------------

    def save_state(self) -> DataView:
        """The pipeline (a reference: the session's worker writes its recipe), the cursor and the tensor options."""
        from tui_lab.core.session.contract import DataView

        pipeline = self.controller.pipeline
        cursor = (int(self.grid.cursor_row), int(self.grid.cursor_column)) if pipeline is not None else (0, 0)
        return DataView(pipeline, cursor, self.controller.tensor_options)

    def restore_state(self, state: DataView) -> None:
        """Show a restored pipeline (an empty state empties the pane)."""
        self.restore_session(state.pipeline, state.cursor, state.tensor_options)

    def fingerprint(self) -> Hashable:
        """Changes when a step is applied or undone, another table is opened, or the tensor options change."""
        pipeline = self.controller.pipeline
        steps = (id(pipeline), len(pipeline.applied), len(pipeline.undone)) if pipeline is not None else ()
        return steps, self.controller.tensor_options

    def on_unmount(self) -> None:
        """The app is closing: the session stops asking this pane for its state."""
        self.lab.session.unregister(self.PANE, self)

    def tell(self, message: str, title: str = "", severity: SeverityLevel = "information", timeout: float = 5) -> None:
        """A notification whose text may hold names from data (shown as typed, controls visible)."""
        self.notify(
            visible(message, keep="\n"), title=one_line(title), severity=severity, timeout=timeout, markup=False
        )

    # -- views ------------------------------------------------------------------------

    def set_title(self, text: Text) -> None:
        """The title line: the table's name and shape, or what is happening now."""
        self.query_one("#data-title", Static).update(text)

    def refresh_views(self, highlight: int | None = None) -> None:
        """Redraw the table, title, pipeline list and profile from the controller."""
        pipeline, facts = self.controller.pipeline, self.controller.facts()
        if pipeline is None or facts is None:
            return
        if self.grid.frame is not pipeline.frame or self.grid.target != pipeline.target:
            self.grid.set_frame(pipeline.frame, pipeline.target)
        self.set_title(views.table_title(facts))
        steps = self.query_one("#data-steps", OptionList)
        steps.clear_options()
        for row in self.controller.step_rows():
            undone = row.state is StepState.UNDONE
            steps.add_option(
                Option(views.step_prompt(row), id=None if undone else f"step-{row.number}", disabled=undone)
            )
        steps.highlighted = len(pipeline.applied) if highlight is None else highlight
        self._show_summary(steps.highlighted or 0)
        self._request_profile()

    @on(OptionList.OptionHighlighted, "#data-steps")
    def _step_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_summary(event.option_index)

    def _show_summary(self, index: int) -> None:
        self.query_one("#data-summary", Static).update(views.summary_text(self.controller.summary_lines(index)))

    @on(DataGrid.CursorMoved, "#data-grid")
    def _cursor_moved(self) -> None:
        self._request_profile()

    def _request_profile(self) -> None:
        grid, panel = self.grid, self.query_one("#data-profile", Static)
        name = grid.column_name
        if grid.frame is None or name is None:
            self._profile_key = None
            panel.update("")
            return
        key = (id(grid.frame), name)
        if key != self._profile_key:
            self._profile_key = key
            panel.update(views.profile_status(name, "profiling…"))
            work = partial(jobs.profile, grid.frame, name, key, self.post_message)
            self.run_worker(work, thread=True, exclusive=True, group=PROFILE, exit_on_error=False)

    def on_profile_computed(self, message: ProfileComputed) -> None:
        if message.key == self._profile_key:
            style = theme_style(self.app, "error", bold=True)
            self.query_one("#data-profile", Static).update(views.profile_text(message.profile, style))

    def on_profile_failed(self, message: ProfileFailed) -> None:
        if message.key == self._profile_key:
            panel = self.query_one("#data-profile", Static)
            panel.update(views.profile_status(message.key[1], f"profile failed: {message.message}"))

    def worker_failed(self, worker: Worker[object]) -> None:
        """A job raised past its own handling (the app has told the user): make the status line true."""
        if worker.group == LOAD_GROUP and self.controller.loading is not None:
            self.controller.end_load()
            self.loads.ended("loading failed")
        elif worker.group == PROFILE and self._profile_key is not None:
            self.query_one("#data-profile", Static).update(views.profile_status(self._profile_key[1], "profile failed"))
        elif worker.group == EXPORT_GROUP:
            self.on_export_ended(ExportEnded(error="The export failed."))
        elif isinstance(self.app.screen, StepFormScreen) and self.app.screen.running:
            self.app.screen.failed("The step failed.")

    # -- loading ----------------------------------------------------------------------

    def action_open_csv(self) -> None:
        self.app.push_screen(OpenCsvScreen(), lambda path: self.open_csv(path) if path else None)

    def open_csv(self, path: str, options: LoadOptions | None = None) -> None:
        """Start loading ``path`` in a worker (a load in progress is superseded)."""
        self.loads.open(path, options)

    def on_load_progressed(self, message: LoadProgressed) -> None:
        self.loads.progressed(message)

    def on_rows_previewed(self, message: RowsPreviewed) -> None:
        self.loads.rows_previewed(message)

    def on_preview_loaded(self, message: PreviewLoaded) -> None:
        self.loads.preview_loaded(message)

    def on_csv_loaded(self, message: CsvLoaded) -> None:
        self.loads.loaded(message)

    def on_csv_load_failed(self, message: CsvLoadFailed) -> None:
        self.loads.failed(message)

    def action_cancel_load(self) -> None:
        if self.exports.running:
            self.exports.cancel()
            return
        self.loads.cancel()

    # -- steps --------------------------------------------------------------------------

    def _ready(self) -> Pipeline | None:
        try:
            return self.controller.ready()
        except NotReady as reason:
            self.tell(str(reason), "Not yet")
            return None

    def _open_form(self, build_form: FormBuilder) -> None:
        if (pipeline := self._ready()) is None:
            return
        form, build = build_form(pipeline.frame, pipeline.target, self.grid.column_name)
        form.submit = lambda values, form: self._run_step(build(values), form)
        self.app.clear_notifications()  # a toast would sit over the form's buttons
        self.app.push_screen(form)

    def _run_step(self, step: Step, form: StepFormScreen | None = None) -> None:
        pipeline = self.controller.pipeline
        if pipeline is not None and pipeline.frame.size <= INLINE_CELLS:
            jobs.step(self.controller, step, form, self._step_done)
            return
        work = partial(jobs.step, self.controller, step, form, self.post_message)
        self.run_worker(work, thread=True, exclusive=True, group=STEP, exit_on_error=False)

    def _step_done(self, message: object) -> None:
        if isinstance(message, StepComputed):
            self.on_step_computed(message)
        elif isinstance(message, StepFailed):
            self.on_step_failed(message)

    def on_step_computed(self, message: StepComputed) -> None:
        from tui_lab.core.data.steps import StepError

        form = message.form
        if form is not None and form is not self.app.screen:
            return  # the form was cancelled while the step ran
        try:
            self.controller.commit(message.applied)
        except (StepError, NotReady) as error:
            self.on_step_failed(StepFailed(str(error), form=form))
            return
        if isinstance(form, StepFormScreen):
            form.succeeded()
        self.refresh_views()
        summary = message.applied.summary
        counts = f"rows {summary.rows_before:,} → {summary.rows_after:,} · NaN {summary.nans_before:,} → {summary.nans_after:,}"
        self.tell(counts, message.applied.step.title(), timeout=3)

    def on_step_failed(self, message: StepFailed) -> None:
        form = message.form
        if form is self.app.screen and isinstance(form, StepFormScreen):
            form.failed(message.message)  # shown inside the form, with what was typed kept
        elif form is None:
            self.tell(message.message, message.title, "error", 10)

    def action_set_target(self) -> None:
        from tui_lab.ui.data.forms import target_form

        self._open_form(target_form)

    def action_fill_missing(self) -> None:
        from tui_lab.ui.data.forms import fill_form

        self._open_form(fill_form)

    def action_drop_missing(self) -> None:
        from tui_lab.ui.data.forms import drop_missing_form

        self._open_form(drop_missing_form)

    def action_one_hot(self) -> None:
        from tui_lab.ui.data.forms import one_hot_form

        self._open_form(one_hot_form)

    def action_standardize(self) -> None:
        from tui_lab.ui.data.forms import standardize_form

        self._open_form(standardize_form)

    def action_filter_rows(self) -> None:
        from tui_lab.ui.data.forms import filter_form

        self._open_form(filter_form)

    def action_drop_column(self) -> None:
        from tui_lab.core.data.steps import DropColumns

        if self._ready() is not None and (column := self.grid.column_name) is not None:
            self._run_step(DropColumns((column,)))

    def action_sort_rows(self) -> None:
        if self._ready() is not None and (column := self.grid.column_name) is not None:
            self._run_step(self.controller.sort_step(column))

    def action_cast_column(self) -> None:
        from tui_lab.core.data.steps import CAST_DTYPES, CastColumn

        if (pipeline := self._ready()) is None or (column := self.grid.column_name) is None:
            return
        current = str(pipeline.frame[column].dtype)
        choices = [(dtype, f"{dtype}{'  (current)' if dtype == current else ''}") for dtype in CAST_DTYPES]
        picker = PickerScreen(f"Cast {one_line(column, 40)} ({current}) to", choices, filter_placeholder="dtype…")
        self.app.push_screen(picker, lambda dtype: self._run_step(CastColumn(column, dtype)) if dtype else None)

    def action_undo(self) -> None:
        if self._ready() is not None:
            undone = self.controller.undo()
            self.refresh_views()
            self.tell(
                f"Undid: {undone.step.title()}" if undone else "Nothing to undo: this is the table as read.", "Undo"
            )

    def action_redo(self) -> None:
        if self._ready() is not None:
            redone = self.controller.redo()
            self.refresh_views()
            self.tell(f"Redid: {redone.step.title()}" if redone else "Nothing to redo.", "Redo")

    # -- tensors, code, exports -----------------------------------------------------------

    def action_to_tensors(self) -> None:
        from tui_lab.core.data.tensors import TensorOptions
        from tui_lab.ui.data.forms import tensors_form

        if (pipeline := self._ready()) is None:
            return
        problems = self.controller.tensor_problems()
        if problems:
            self.tell("Cannot convert yet:\n• " + "\n• ".join(problems), "To tensors", "error", 12)
            return
        old = self.controller.tensor_options

        def convert(values: FormValues | None) -> None:
            if values is not None:
                options = TensorOptions(values["x_name"], values.get("y_name", old.y_name), values["dtype"])
                self.controller.tensor_options = options
                work = partial(jobs.tensors, self.controller, options, self.workspace, self.post_message)
                self.run_worker(work, thread=True, exclusive=True, group=TENSORS, exit_on_error=False)

        self.app.push_screen(tensors_form(old.x_name, old.y_name, old.dtype, bool(pipeline.target)), convert)

    def on_tensors_published(self, message: TensorsPublished) -> None:
        text = "\n".join(message.result.descriptions) + "\nin the workspace: F2 REPL, F5 Train"
        self.tell(text, "Tensors published")

    def action_show_code(self) -> None:
        if self._ready() is not None:
            self.app.push_screen(CodeScreen(self.controller.code(), self.action_copy_code, self.action_export_code))

    def action_copy_code(self) -> None:
        if self._ready() is not None:
            code = self.controller.code()
            self.app.copy_to_clipboard(code)
            self.tell(f"Copied {len(code.splitlines())} lines (OSC 52).", "Code")

    def action_export_code(self) -> None:
        self.exports.ask("Export pipeline as .py", ".py")

    def action_export_csv(self) -> None:
        self.exports.ask("Export processed table as CSV", ".csv")

    def on_export_progressed(self, message: ExportProgressed) -> None:
        self.exports.progressed(message)

    def on_export_ended(self, message: ExportEnded) -> None:
        self.exports.ended(message)

    def show_progress(self, title: Text, fraction: float) -> None:
        """The progress bar and title line of a load or an export."""
        self.add_class("-busy")
        self.query_one("#data-progress", ProgressBar).update(total=100, progress=100 * fraction)
        self.set_title(title)

    def busy_ended(self) -> None:
        """An export ended: back to the table's own title (unless a load is still running)."""
        if self.controller.loading is None:
            self.remove_class("-busy")
            self.refresh_views()

    def action_first_row(self) -> None:
        self.grid.action_first_row()

    def action_last_row(self) -> None:
        self.grid.action_last_row()

"""The Data pane's step actions: open a step's form, run the step in a worker, undo/redo, to tensors.

A mixin for :class:`tui_lab.ui.data.screen.DataScreen`, kept apart so each file stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import work
from textual.message import Message

from tui_lab.ui.modals import PickerScreen

if TYPE_CHECKING:
    from tui_lab.core.data.pipeline import AppliedStep, Pipeline
    from tui_lab.core.data.steps import Step
    from tui_lab.core.data.tensors import TensorOptions, TensorResult
    from tui_lab.ui.data.dialogs import StepFormScreen
    from tui_lab.ui.data.forms import StepBuilder
    from tui_lab.ui.data.grid import DataGrid


@dataclass
class StepComputed(Message):
    """A step ran in a worker and waits to be committed."""

    applied: AppliedStep


@dataclass
class StepFailed(Message):
    """A step or the tensor conversion could not run; ``message`` says why."""

    message: str
    title: str = "Step not applied"


@dataclass
class TensorsPublished(Message):
    """X (and y) are in the workspace."""

    result: TensorResult


if TYPE_CHECKING:
    from tui_lab.ui.pane import PaneScreen as _ScreenBase
else:
    _ScreenBase = object


class DataStepActions(_ScreenBase):
    """Step, undo/redo and tensor actions; expects ``pipeline``, ``grid`` and ``refresh_views`` on self."""

    pipeline: Pipeline | None
    loading_path: str | None
    _tensor_options: TensorOptions | None = None

    if TYPE_CHECKING:  # provided by the DataScreen this mixes into

        def refresh_views(self, highlight: int | None = None) -> None: ...

        @property
        def grid(self) -> DataGrid: ...

    @property
    def tensor_options(self) -> TensorOptions:
        """The tensor names and dtype last chosen (X, y, float32 until changed)."""
        if self._tensor_options is None:
            from tui_lab.core.data.tensors import TensorOptions

            self._tensor_options = TensorOptions()
        return self._tensor_options

    def _ready_pipeline(self) -> Pipeline | None:
        if self.loading_path is not None:
            self.notify("Still loading; wait or press Esc to cancel.", title="Busy")
            return None
        if self.pipeline is None:
            self.notify("Open a CSV first (o).", title="No table")
        return self.pipeline

    # -- running steps ----------------------------------------------------------------------

    def apply_step(self, step: Step) -> None:
        """Run ``step`` in a worker; the result is committed on the UI thread."""
        if self._ready_pipeline() is not None:
            self._compute_step(step)

    @work(thread=True, exclusive=True, group="data-step", exit_on_error=False)
    def _compute_step(self, step: Step) -> None:
        from tui_lab.core.data.steps import StepError

        pipeline = self.pipeline
        if pipeline is None:
            return
        try:
            applied = pipeline.compute(step)
        except StepError as error:
            self.post_message(StepFailed(str(error)))
        except Exception as error:  # a pandas surprise must not take the app down
            self.post_message(StepFailed(f"{step.title()} failed: {type(error).__name__}: {error}"))
        else:
            self.post_message(StepComputed(applied))

    def on_step_computed(self, message: StepComputed) -> None:
        from tui_lab.core.data.steps import StepError

        if self.pipeline is None:
            return
        try:
            self.pipeline.commit(message.applied)
        except StepError as error:
            self.notify(str(error), title="Step not applied", severity="warning")
            return
        self.refresh_views()
        summary = message.applied.summary
        self.notify(
            f"rows {summary.rows_before:,} → {summary.rows_after:,} · NaN {summary.nans_before:,} → {summary.nans_after:,}",
            title=message.applied.step.title(),
            timeout=3,
        )

    def on_step_failed(self, message: StepFailed) -> None:
        self.notify(message.message, title=message.title, severity="error", timeout=10)

    def _open_form(self, form: tuple[StepFormScreen, StepBuilder]) -> None:
        screen, build = form

        def done(values: dict[str, Any] | None) -> None:
            if values is not None:
                self.apply_step(build(values))

        self.app.push_screen(screen, done)

    # -- the step actions -----------------------------------------------------------------

    def action_set_target(self) -> None:
        if (pipeline := self._ready_pipeline()) is not None:
            from tui_lab.ui.data.forms import target_form

            self._open_form(target_form(pipeline.frame, pipeline.target, self.grid.column_name))

    def action_fill_missing(self) -> None:
        if (pipeline := self._ready_pipeline()) is not None:
            from tui_lab.ui.data.forms import fill_form

            self._open_form(fill_form(pipeline.frame, pipeline.target, self.grid.column_name))

    def action_drop_missing(self) -> None:
        if (pipeline := self._ready_pipeline()) is not None:
            from tui_lab.ui.data.forms import drop_missing_form

            self._open_form(drop_missing_form(pipeline.frame, pipeline.target))

    def action_one_hot(self) -> None:
        if (pipeline := self._ready_pipeline()) is not None:
            from tui_lab.ui.data.forms import one_hot_form

            self._open_form(one_hot_form(pipeline.frame, pipeline.target, self.grid.column_name))

    def action_standardize(self) -> None:
        if (pipeline := self._ready_pipeline()) is not None:
            from tui_lab.ui.data.forms import standardize_form

            self._open_form(standardize_form(pipeline.frame, pipeline.target))

    def action_filter_rows(self) -> None:
        if (pipeline := self._ready_pipeline()) is not None:
            from tui_lab.ui.data.forms import filter_form

            self._open_form(filter_form(pipeline.frame, pipeline.target))

    def action_drop_column(self) -> None:
        if self._ready_pipeline() is not None and self.grid.column_name is not None:
            from tui_lab.core.data.steps import DropColumns

            self.apply_step(DropColumns((self.grid.column_name,)))

    def action_sort_rows(self) -> None:
        pipeline = self._ready_pipeline()
        column = self.grid.column_name
        if pipeline is None or column is None:
            return
        from tui_lab.core.data.steps import SortRows

        last = pipeline.applied[-1].step if pipeline.applied else None
        if isinstance(last, SortRows) and last.column == column:
            pipeline.undo()  # pressing s again flips the order instead of stacking sorts
            self.apply_step(SortRows(column, not last.ascending))
        else:
            self.apply_step(SortRows(column, True))

    def action_cast_column(self) -> None:
        pipeline = self._ready_pipeline()
        column = self.grid.column_name
        if pipeline is None or column is None:
            return
        from tui_lab.core.data.steps import CAST_DTYPES, CastColumn

        current = str(pipeline.frame[column].dtype)
        choices = [(dtype, f"{dtype}{'  (current)' if dtype == current else ''}") for dtype in CAST_DTYPES]

        def picked(dtype: str | None) -> None:
            if dtype:
                self.apply_step(CastColumn(column, dtype))

        self.app.push_screen(
            PickerScreen(f"Cast {column} ({current}) to", choices, filter_placeholder="dtype…"), picked
        )

    # -- undo / redo ------------------------------------------------------------------------

    def action_undo(self) -> None:
        if (pipeline := self._ready_pipeline()) is None:
            return
        undone = pipeline.undo()
        if undone is None:
            self.notify("Nothing to undo: this is the table as read.", title="Undo")
            return
        self.refresh_views()
        self.notify(f"Undid: {undone.step.title()}", title="Undo")

    def action_redo(self) -> None:
        if (pipeline := self._ready_pipeline()) is None:
            return
        redone = pipeline.redo()
        if redone is None:
            self.notify("Nothing to redo.", title="Redo")
            return
        self.refresh_views()
        self.notify(f"Redid: {redone.step.title()}", title="Redo")

    # -- tensors ---------------------------------------------------------------------------

    def action_to_tensors(self) -> None:
        if (pipeline := self._ready_pipeline()) is None:
            return
        from tui_lab.core.data.tensors import TensorOptions, tensor_problems
        from tui_lab.ui.data.forms import tensors_form

        problems = tensor_problems(pipeline.frame, pipeline.target)
        if problems:
            self.notify(
                "Cannot convert yet:\n• " + "\n• ".join(problems), title="To tensors", severity="error", timeout=12
            )
            return
        options = self.tensor_options

        def done(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            self._tensor_options = TensorOptions(
                values["x_name"], values.get("y_name", options.y_name), values["dtype"]
            )
            self._convert(self._tensor_options)

        self.app.push_screen(tensors_form(options.x_name, options.y_name, options.dtype, bool(pipeline.target)), done)

    @work(thread=True, exclusive=True, group="data-tensors", exit_on_error=False)
    def _convert(self, options: TensorOptions) -> None:
        from tui_lab.core.data.tensors import TensorError, to_tensors

        pipeline = self.pipeline
        if pipeline is None:
            return
        try:
            result = to_tensors(pipeline.frame, pipeline.target, options)
            self.workspace.publish_many(result.tensors, "data")
        except TensorError as error:
            self.post_message(StepFailed(str(error), "To tensors"))
        except Exception as error:  # e.g. out of memory on a huge table
            self.post_message(StepFailed(f"{type(error).__name__}: {error}", "To tensors"))
        else:
            self.post_message(TensorsPublished(result))

    def on_tensors_published(self, message: TensorsPublished) -> None:
        self.notify(
            "\n".join(message.result.descriptions) + "\nin the workspace: F2 REPL, F5 Train", title="Tensors published"
        )

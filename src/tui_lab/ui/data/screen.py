"""The Data pane: open a CSV, see the NaNs, build a preprocessing pipeline, publish tensors X, y.

The screen wires widgets to :mod:`tui_lab.core` (loading, steps, profile, code, tensors);
every slow call runs in a thread worker and reports back with a message. pandas and torch
are imported lazily so the app starts without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from tui_lab.ui.data.actions import DataStepActions
from tui_lab.ui.data.dialogs import CodeScreen, PathPromptScreen, default_export_path
from tui_lab.ui.data.grid import DataGrid
from tui_lab.ui.data.loading import DataLoading
from tui_lab.ui.pane import PaneScreen
from tui_lab.ui.requests import OpenCsv, PaneRequest

if TYPE_CHECKING:
    from tui_lab.core.data.pipeline import Pipeline
    from tui_lab.core.data.profile import ColumnProfile

EMPTY_TEXT = (
    "[b]No table yet.[/b]\n\n"
    "Press [b]o[/b] to open a CSV (F6 and F7 in the dialog open the two sample files),\n"
    "or start the app with [b]tui-lab FILE.csv[/b].\n\n"
    "Then: [b]t[/b] target · [b]m[/b] fill missing · [b]h[/b] one-hot · [b]T[/b] to tensors · [b]k[/b] code.\n"
    "Sort (s) and filter (/) are pipeline steps too: [b]u[/b] undoes any step."
)


#: Characters a pipeline-list entry may use before it is cut with an ellipsis (the side panel's width).
STEP_LABEL_WIDTH = 31


def _clip(label: str, style: str = "") -> Text:
    """One line of the pipeline list, cut to fit rather than wrapped."""
    if len(label) > STEP_LABEL_WIDTH:
        label = label[: STEP_LABEL_WIDTH - 1] + "…"
    return Text(label, style=style, no_wrap=True)


@dataclass
class ProfileComputed(Message):
    """A column profile is ready."""

    key: tuple[int, str]
    profile: ColumnProfile


class DataScreen(DataLoading, DataStepActions, PaneScreen):
    """A CSV preprocessing viewer: open a CSV, see the NaNs, split inputs and target, fill, one-hot, and publish the tensors X, y to the workspace."""

    PANE = "data"
    DEFAULT_CSS = """
    #data-main { height: 1fr; }
    #data-left { width: 1fr; }
    #data-side { width: 34; border-left: vkey $panel-lighten-2; padding: 0 0 0 1; }
    #data-title { height: 1; background: $boost; }
    #data-progress { display: none; height: 1; }
    DataScreen.-loading #data-progress { display: block; }
    #data-empty { height: 1fr; padding: 1 2; color: $text-muted; }
    #data-grid { height: 1fr; display: none; }
    DataScreen.-has-table #data-grid { display: block; }
    DataScreen.-has-table #data-empty { display: none; }
    .data-heading { text-style: bold; color: $accent; height: 1; }
    #data-profile { height: auto; max-height: 11; }
    #data-steps { height: 1fr; min-height: 3; border: none; padding: 0; }
    #data-summary { height: auto; max-height: 7; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.pipeline: Pipeline | None = None
        self.loading_path: str | None = None
        self.load_notes: tuple[str, ...] = ()
        self._profile_key: tuple[int, str] | None = None
        self._previewing = False

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="data-main"):
            with Vertical(id="data-left"):
                yield Static(Text(" no file · press o to open a CSV", style="italic"), id="data-title")
                yield ProgressBar(id="data-progress", show_eta=False)
                yield Static(EMPTY_TEXT, id="data-empty")
                yield DataGrid(id="data-grid")
            with Vertical(id="data-side"):
                yield Static("Column", classes="data-heading")
                yield Static("", id="data-profile")
                yield Static("Pipeline", classes="data-heading")
                yield OptionList(id="data-steps")
                yield Static("", id="data-summary")

    @property
    def grid(self) -> DataGrid:
        return self.query_one("#data-grid", DataGrid)

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

    def handle_request(self, request: PaneRequest) -> None:
        """``OpenCsv(path)``: load and show that file."""
        if isinstance(request, OpenCsv):
            self.open_csv(request.path)

    # -- views ------------------------------------------------------------------------

    def _set_title(self, text: Text) -> None:
        self.query_one("#data-title", Static).update(text)

    def refresh_views(self, highlight: int | None = None) -> None:
        """Redraw the table, title, pipeline list and profile from the pipeline."""
        pipeline = self.pipeline
        if pipeline is None:
            return
        frame, target = pipeline.frame, pipeline.target
        if self.grid.frame is not frame or self.grid.target != target:
            self.grid.set_frame(frame, target)
        rows, cols = frame.shape
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(f" {pipeline.path.name}", style="bold")
        title.append(f" · {rows:,} × {cols:,}")
        title.append(f" · target: {', '.join(target) if target else 'none (t)'}")
        title.append(f" · after {len(pipeline.applied)} step(s)", style="italic")
        self._set_title(title)
        steps = self.query_one("#data-steps", OptionList)
        steps.clear_options()
        steps.add_option(Option(_clip(f"0 read_csv {pipeline.path.name}"), id="step-0"))
        for number, applied in enumerate(pipeline.applied, start=1):
            steps.add_option(Option(_clip(f"{number} {applied.step.title()}"), id=f"step-{number}"))
        for applied in reversed(pipeline.undone):
            steps.add_option(Option(_clip(f"↶ {applied.step.title()} (undone)", "dim strike"), disabled=True))
        steps.highlighted = len(pipeline.applied) if highlight is None else highlight
        self._show_summary(steps.highlighted or 0)
        self._request_profile()

    @on(OptionList.OptionHighlighted, "#data-steps")
    def _step_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_summary(event.option_index)

    def _show_summary(self, index: int) -> None:
        pipeline = self.pipeline
        summary = self.query_one("#data-summary", Static)
        if pipeline is None:
            summary.update("")
            return
        if index == 0 or index > len(pipeline.applied):
            source = pipeline.source
            lines = [f"source: {source.shape[0]:,} rows × {source.shape[1]:,} cols", f"NaN: {pipeline.source_nans:,}"]
            lines += list(self.load_notes)
        else:
            applied = pipeline.applied[index - 1]
            lines = [f"step {index}: before → after"] + applied.summary.lines()
        summary.update("\n".join(lines))

    @on(DataGrid.CursorMoved, "#data-grid")
    def _cursor_moved(self) -> None:
        self._request_profile()

    def _request_profile(self) -> None:
        grid = self.grid
        name = grid.column_name
        if grid.frame is None or name is None:
            self.query_one("#data-profile", Static).update("")
            return
        key = (id(grid.frame), name)
        if key != self._profile_key:
            self._profile_key = key
            self._profile(grid.frame, name, key)

    @work(thread=True, exclusive=True, group="data-profile", exit_on_error=False)
    def _profile(self, frame: Any, name: str, key: tuple[int, str]) -> None:
        from tui_lab.core.data.profile import profile_column

        self.post_message(ProfileComputed(key, profile_column(frame[name])))

    def on_profile_computed(self, message: ProfileComputed) -> None:
        if message.key != self._profile_key:
            return
        profile = message.profile
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(profile.name, style="bold")
        for label, value in profile.lines():
            text.append(f"\n{label:<9}", style="dim")
            text.append(value, style="bold red" if label == "missing" and profile.missing else "")
        self.query_one("#data-profile", Static).update(text)

    # -- code and exports ----------------------------------------------------------------

    def pipeline_code(self) -> str | None:
        """The current pipeline as a script, or None (after telling the user) without a table."""
        if self.pipeline is None:
            self.notify("Open a CSV first (o).", title="No table")
            return None
        from tui_lab.core.data.codegen import pipeline_code

        return pipeline_code(self.pipeline, self.tensor_options)

    def action_show_code(self) -> None:
        code = self.pipeline_code()
        if code is not None:
            self.app.push_screen(CodeScreen(code, self.action_copy_code, self.action_export_code))

    def action_copy_code(self) -> None:
        code = self.pipeline_code()
        if code is not None:
            self.app.copy_to_clipboard(code)
            self.notify(f"Copied {len(code.splitlines())} lines (OSC 52).", title="Code")

    def action_export_code(self) -> None:
        self._export("Export pipeline as .py", ".py")

    def action_export_csv(self) -> None:
        self._export("Export processed table as CSV", ".csv")

    def _export(self, title: str, suffix: str) -> None:
        if self.pipeline is None:
            self.notify("Open a CSV first (o).", title="No table")
            return
        source = self.pipeline.path

        def chosen(path: str | None) -> None:
            if path:
                self._write_export(path, suffix)

        self.app.push_screen(PathPromptScreen(title, default_export_path(source, suffix)), chosen)

    @work(thread=True, exclusive=True, group="data-export", exit_on_error=False)
    def _write_export(self, path: str, suffix: str) -> None:
        from tui_lab.core.data.files import ExportError, export_code, export_csv

        pipeline = self.pipeline
        if pipeline is None:
            return
        try:
            if suffix == ".py":
                from tui_lab.core.data.codegen import pipeline_code

                written = export_code(pipeline_code(pipeline, self.tensor_options), path, pipeline.path)
            else:
                written = export_csv(pipeline.frame, path, pipeline.path)
        except ExportError as error:
            self.notify(str(error), title="Export refused", severity="error")
        else:
            self.notify(f"Wrote {written}", title="Exported")

    # -- navigation -------------------------------------------------------------------

    def action_first_row(self) -> None:
        self.grid.action_first_row()

    def action_last_row(self) -> None:
        self.grid.action_last_row()

"""The Train pane: linear regression in a thread worker on the chosen device, with a live loss curve.

The form (left) holds the run's settings; the plot overlays the kept runs; the numbers below
it follow the current run. Training runs in ``core.train_runner.run`` on a thread worker and
reports back through throttled ``RunProgressed`` messages (about 10 Hz), so the UI stays live.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.worker import Worker, WorkerState, get_current_worker

from tui_lab.core.train.config import ConfigError, TrainConfig, parse_config
from tui_lab.core.workspace import WorkspaceChange, is_tensor
from tui_lab.ui.modals import PickerScreen
from tui_lab.ui.pane import PaneScreen
from tui_lab.ui.requests import PaneRequest, UseAsTrainingData
from tui_lab.ui.train.form import TrainForm
from tui_lab.ui.train.plot import LossPlot
from tui_lab.ui.train.summary import TrainStats
from tui_lab.ui.train.sweep import SweepScreen

if TYPE_CHECKING:
    from tui_lab.core.train.history import RunRecord

#: Seconds between live plot redraws (the numbers below it update with every progress message).
PLOT_INTERVAL = 0.5


@dataclass
class RunProgressed(Message):
    """A throttled progress snapshot arrived from the training thread."""

    run_id: int
    progress: Any


@dataclass
class RunFinished(Message):
    """A run ended (finished, stopped, diverged or failed) with its result."""

    run_id: int
    result: Any


@dataclass
class RunRejected(Message):
    """A run never started: its data or device was refused (``field`` is the form field to blame)."""

    run_id: int
    field: str
    message: str


class TrainScreen(PaneScreen):
    """Linear regression (scratch, concise, manual gradient, closed form) with a live loss curve."""

    PANE = "train"

    def __init__(self) -> None:
        super().__init__()
        self.records: list[RunRecord] = []
        self.queue: deque[TrainConfig] = deque()
        self.current: RunRecord | None = None
        self.last_config: TrainConfig | None = None
        self.next_id = 1
        self.log_scale = False
        self._worker: Worker[None] | None = None
        self._last_plot = 0.0

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="train-body"):
            yield TrainForm(TrainConfig(), id="train-form")
            with Vertical(id="train-view"):
                yield LossPlot(id="train-plot")
                yield TrainStats(id="train-stats")

    def on_mount(self) -> None:
        self.query_one(TrainStats).show_idle()
        self.query_one(LossPlot).show_runs([])
        self._refresh_suggestions()

    @property
    def form(self) -> TrainForm:
        """The settings form."""
        return self.query_one(TrainForm)

    @property
    def running(self) -> bool:
        """True while a run is in flight (until its worker thread has returned)."""
        return self.current is not None or self._worker is not None

    # -- starting ---------------------------------------------------------------------------

    def action_start_run(self) -> None:
        """Start a run with the form's settings (or queue it behind the current one)."""
        config = self._form_config()
        if config is not None:
            self._submit([config])

    def action_run_again(self) -> None:
        """Repeat the last run's settings."""
        if self.last_config is None:
            self.action_start_run()
            return
        self._submit([self.last_config])

    def action_lr_sweep(self) -> None:
        """Ask for learning rates (the course's six by default), then run them one after another."""
        config = self._form_config()
        if config is None:
            return
        if config.impl == "closed":
            self.notify("The closed form has no learning rate; pick scratch, concise or manual.", title="Sweep")
            return

        def chosen(rates: tuple[float, ...] | None) -> None:
            if rates:
                self._submit([config.with_changes(lr=lr) for lr in rates])

        self.app.push_screen(SweepScreen(config.label()), chosen)

    def _form_config(self) -> TrainConfig | None:
        try:
            config = parse_config(self.form.values())
        except ConfigError as error:
            self.form.show_errors(error.errors)
            count = len(error.errors)
            self.query_one(TrainStats).show_message(f"Not started: {count} setting(s) need fixing (see the form).")
            return None
        self.form.clear_errors()
        return config

    def _submit(self, configs: list[TrainConfig]) -> None:
        if not self.lab.torch_ready:
            self.notify("torch is still loading; start again in a moment.", title="Train", severity="warning")
            return
        if self.running:
            self.queue.extend(configs)
            assert self.current is not None
            self.notify(f"Queued {len(configs)} run(s) behind #{self.current.run_id}; F7 stops and drops the queue.")
            return
        self.queue.extend(configs[1:])
        self._launch(configs[0])

    def _launch(self, config: TrainConfig) -> None:
        from tui_lab.core.train.history import MAX_RUNS, RunRecord

        record = RunRecord(self.next_id, config, status="running")
        self.next_id += 1
        self.records = [*self.records, record][-MAX_RUNS:]
        self.current, self.last_config = record, config
        device = self.lab.device
        self.query_one(TrainStats).show_preparing(record, device)
        self._redraw()
        self._worker = self._train(record.run_id, config, device)

    @work(thread=True, exclusive=True, group="train", exit_on_error=False)
    def _train(self, run_id: int, config: TrainConfig, device: str) -> None:
        """Train in this thread; only messages go back to the UI."""
        from tui_lab.core.devices import DeviceError
        from tui_lab.core.train.data import DataError
        from tui_lab.core.train.runner import run

        worker = get_current_worker()

        def report(progress: Any) -> None:
            self.post_message(RunProgressed(run_id, progress))

        try:
            result = run(
                config,
                device,
                on_progress=report,
                should_stop=lambda: worker.is_cancelled,
                lookup=self.workspace.get,
            )
        except DataError as error:
            self.post_message(RunRejected(run_id, error.field, str(error)))
            return
        except DeviceError as error:
            self.post_message(RunRejected(run_id, "", str(error)))
            return
        except Exception as error:  # anything else must not take the app down
            self.post_message(RunRejected(run_id, "", f"could not train: {type(error).__name__}: {error}"))
            return
        self.post_message(RunFinished(run_id, result))

    # -- progress and results ----------------------------------------------------------------

    @on(RunProgressed)
    def _progressed(self, message: RunProgressed) -> None:
        record = self.current
        if record is None or record.run_id != message.run_id:
            return
        progress = message.progress
        record.add_steps(progress.new_step_losses, progress.steps_per_epoch, progress.steps_total)
        record.epoch_losses.extend(progress.epoch_losses)
        self.query_one(TrainStats).show_progress(record, progress, self.lab.device, len(self.queue))
        now = time.monotonic()
        if now - self._last_plot >= PLOT_INTERVAL:  # plotext is pure Python: redraw less often than the numbers
            self._last_plot = now
            self._redraw()

    @on(RunFinished)
    def _finished(self, message: RunFinished) -> None:
        record = self._record(message.run_id)
        if record is None:
            return
        result = message.result
        record.finish(result)
        if result.status != "failed":
            self.workspace.publish_many(result.artifacts, "train")
        self._done(record)
        self.query_one(TrainStats).show_result(record, len(self.queue))
        if result.status == "diverged":
            self.notify(result.message, title=f"Run #{record.run_id} diverged", severity="warning")
        elif result.status == "failed":
            self.notify(result.message, title=f"Run #{record.run_id} failed", severity="error")
            self.queue.clear()
        self._next()

    @on(RunRejected)
    def _rejected(self, message: RunRejected) -> None:
        record = self._record(message.run_id)
        if record is not None:
            self.records = [r for r in self.records if r is not record]
            self._done(record)
        self.queue.clear()
        if message.field:
            self.form.show_errors({message.field: message.message})
        self.query_one(TrainStats).show_message(f"Not started: {message.message}")
        self.notify(message.message, title="Train: not started", severity="error")

    def _record(self, run_id: int) -> RunRecord | None:
        return next((r for r in self.records if r.run_id == run_id), None)

    def _done(self, record: RunRecord) -> None:
        if self.current is record:
            self.current = None
        self._redraw()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Start the next queued run once the previous worker thread has really returned."""
        if event.worker is not self._worker or not event.worker.is_finished:
            return
        self._worker = None
        if event.state == WorkerState.ERROR and self.current is not None:
            self.current.status, self.current.message = "failed", str(event.worker.error)
            self.query_one(TrainStats).show_message(f"Run #{self.current.run_id} failed: {event.worker.error}")
            self._done(self.current)
        self._next()

    def _next(self) -> None:
        if self.queue and not self.running:
            self._launch(self.queue.popleft())

    def _redraw(self) -> None:
        current = self.current.run_id if self.current else None
        self.query_one(LossPlot).show_runs(self.records, current)

    # -- other actions -----------------------------------------------------------------------

    def action_stop_run(self) -> None:
        """Stop the current run within a chunk of steps, and drop queued runs."""
        dropped = len(self.queue)
        self.queue.clear()
        if self._worker is None or self.current is None:
            self.notify("Nothing is running.", title="Train")
            return
        self._worker.cancel()
        extra = f" and dropped {dropped} queued run(s)" if dropped else ""
        self.notify(f"Stopping run #{self.current.run_id if self.current else '?'}{extra}.", title="Train")

    def action_clear_runs(self) -> None:
        """Forget finished runs (the running one stays)."""
        self.records = [r for r in self.records if r is self.current]
        self._redraw()
        if self.current is None:
            self.query_one(TrainStats).show_idle()

    def action_toggle_log(self) -> None:
        """Switch the loss axis between linear and log scale."""
        self.log_scale = not self.log_scale
        self.query_one(LossPlot).set_log_scale(self.log_scale)

    def action_reset_form(self) -> None:
        """Put the course's defaults back."""
        self.form.load(TrainConfig())
        self.form.clear_errors()

    def action_pick_data(self) -> None:
        """Choose workspace tensors for X, then y."""
        tensors = self.workspace.tensors()
        if not tensors:
            self.notify("No tensors in the workspace yet (load a CSV in the Data pane, or make some in the REPL).")
            return
        choices = [
            (name, f"{name}  {tuple(t.shape)} {str(t.dtype).replace('torch.', '')}") for name, t in tensors.items()
        ]

        def picked_y(name: str | None) -> None:
            if name:
                self.form.set_value("y_name", name)

        def picked_x(name: str | None) -> None:
            if name:
                self.form.set_value("data", "workspace")
                self.form.set_value("x_name", name)
                self.app.push_screen(PickerScreen("Targets y", choices, filter_placeholder="tensor…"), picked_y)

        self.app.push_screen(PickerScreen("Features X", choices, filter_placeholder="tensor…"), picked_x)

    def action_export_runs(self) -> None:
        """Write the run history to ./tui-lab-runs-<time>.csv and .json (atomically)."""
        from tui_lab.core.fileio import atomic_write_text
        from tui_lab.core.train.history import runs_to_csv, runs_to_json

        done = [r for r in self.records if r.result is not None]
        if not done:
            self.notify("No finished runs to export yet.", title="Export")
            return
        stem = Path.cwd() / f"tui-lab-runs-{datetime.now():%Y%m%d-%H%M%S}"
        try:
            csv_path = atomic_write_text(stem.with_suffix(".csv"), runs_to_csv(done))
            json_path = atomic_write_text(stem.with_suffix(".json"), runs_to_json(done))
        except OSError as error:
            self.notify(f"Could not write the export: {error}", title="Export", severity="error")
            return
        self.notify(f"{len(done)} run(s) written to {csv_path} and {json_path.name}", title="Export")

    # -- other panes ---------------------------------------------------------------------------

    def handle_request(self, request: PaneRequest) -> None:
        """``UseAsTrainingData(name)``: use that tensor as X if it is 2-D (or ``role="X"``), else as y."""
        if not isinstance(request, UseAsTrainingData):
            return
        name = request.name
        value = self.workspace.get(name)
        if not is_tensor(value):
            self.notify(f"{name!r} is not a tensor in the workspace.", title="Train", severity="warning")
            return
        role = request.role if request.role != "auto" else ("X" if value.dim() == 2 else "y")
        field = "x_name" if role == "X" else "y_name"
        self.form.set_value("data", "workspace")
        self.form.set_value(field, name)
        meaning = "features X" if field == "x_name" else "targets y"
        self.notify(f"Training data: {name} {tuple(value.shape)} as {meaning}. F6 starts.", title="Train")

    def on_workspace_change(self, change: WorkspaceChange) -> None:
        self._refresh_suggestions()

    def _refresh_suggestions(self) -> None:
        if self.workspace.ready:
            self.form.set_suggestions(self.workspace.tensors())

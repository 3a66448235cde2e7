"""The Train pane: linear regression or a workspace model, trained in a worker, with a live loss curve.

The form (left) holds the run's settings; the plot overlays the kept runs; the numbers below
it follow the current run. What the pane knows (the runs, the queue, which one is running) lives
in :class:`~tui_lab.ui.train.runs.RunQueue`; this screen composes the widgets and wires events.
A run trains in ``core.train.runner.run`` on a thread worker, or with "processes" above 1 in
``core.train.remote.run_processes`` (``tui-lab train --nproc-per-node N`` in its own process
group), and reports back through throttled ``RunProgressed`` messages (about 10 Hz). A
learning-rate sweep whose runs differ only in the rate trains as one batched program
(``core.train.sweep.run_sweep``) in one worker: each run keeps its own record and curve, F7 stops
them all, and each result publishes ``w``, ``b`` in turn (see :mod:`tui_lab.ui.train.training`).
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input
from textual.worker import Worker, WorkerState, get_current_worker

from tui_lab.core.train.config import ConfigError, TrainConfig, parse_config
from tui_lab.core.train.outcome import RunStatus
from tui_lab.core.workspace import WorkspaceChange, is_tensor
from tui_lab.ui.modals import PickerScreen
from tui_lab.ui.pane import PaneScreen
from tui_lab.ui.requests import PaneRequest, UseAsTrainingData
from tui_lab.ui.theme import escape_markup
from tui_lab.ui.train.folded import Folding, FormLine, settings_summary
from tui_lab.ui.train.form import ChoiceField, TrainForm
from tui_lab.ui.train.plot import LossPlot
from tui_lab.ui.train.runs import RunQueue
from tui_lab.ui.train.summary import TrainStats
from tui_lab.ui.train.sweep import SweepScreen
from tui_lab.ui.train.training import RunFinished, RunProgressed, RunRejected, ThreadLaunch, TrainingEnded

if TYPE_CHECKING:
    from collections import deque
    from collections.abc import Hashable

    from tui_lab.core.session.contract import TrainView
    from tui_lab.core.train.history import RunRecord
    from tui_lab.ui.train.runs import Queued

#: Seconds between live plot redraws (the numbers below it update with every progress message).
PLOT_INTERVAL = 0.5


class TrainScreen(PaneScreen):
    """Linear regression (scratch, concise, manual gradient, closed form) or any workspace model."""

    PANE = "train"
    CSS_PATH = "train.tcss"  # tui-lab reads it with the app's stylesheet (ui/app.py STYLESHEETS)

    def __init__(self) -> None:
        super().__init__()
        self.runs = RunQueue()
        self.log_scale = False
        self._worker: Worker[None] | None = None
        self._launch_handshake = ThreadLaunch()
        self._last_plot = 0.0
        self.folding = Folding()

    def compose_body(self) -> ComposeResult:
        yield FormLine(id="train-settings")
        with Horizontal(id="train-body"):
            yield TrainForm(TrainConfig(), id="train-form")
            with Vertical(id="train-view"):
                yield LossPlot(id="train-plot")
                yield TrainStats(id="train-stats")

    def on_mount(self) -> None:
        self.show_state()
        self.query_one(LossPlot).show_runs(self.runs.records)
        self._refresh_suggestions()
        self.lab.session.register(self.PANE, self)  # last: a restored state is shown at once

    # -- the form, folded or not (ui/train/folded.py) ----------------------------------------

    def _apply_size(self, width: int, height: int) -> None:
        super()._apply_size(width, height)
        self.folding.resized(width, height)
        self._show_folding()

    def _show_folding(self) -> None:
        self.set_class(self.folding.compact, "-compact")
        self.set_class(self.folding.folded, "-folded")
        if self.folding.folded:
            self.query_one(FormLine).show(settings_summary(self.form.values()))

    def fold_form(self, folded: bool) -> None:
        """Fold the form into one line (focus goes to that line) or open it (focus goes to its first field)."""
        self.folding.set(folded)
        self._show_folding()
        if folded and not isinstance(self.focused, FormLine):
            self.set_focus(self.query_one(FormLine))
        elif not folded and not self._form_has_focus():
            self.set_focus(self.form.shown_fields()[0])

    def action_toggle_form(self) -> None:
        """Fold the form into one line, or open it."""
        self.fold_form(not self.folding.folded)

    @on(FormLine.Opened)
    def _open_form(self) -> None:
        self.fold_form(False)

    def watch_focused(self, focused: object) -> None:
        """A field that gets the focus (Tab, an error shown beside it) opens the folded form."""
        if self.folding.folded and self._form_has_focus():
            self.folding.set(False)
            self._show_folding()

    def _form_has_focus(self) -> bool:
        return self.focused is not None and self.form in self.focused.ancestors

    @on(Input.Changed)
    @on(ChoiceField.Changed)
    def _form_changed(self) -> None:
        """Settings changed while folded (F11, ctrl+o, a request from another pane): the line follows."""
        if self.folding.folded:
            self._show_folding()

    @property
    def form(self) -> TrainForm:
        """The settings form."""
        return self.query_one(TrainForm)

    @property
    def records(self) -> list[RunRecord]:
        """The kept runs, oldest first."""
        return self.runs.records

    @property
    def queue(self) -> deque[Queued]:
        """Runs waiting behind the current one."""
        return self.runs.queue

    @property
    def running(self) -> bool:
        """True while a run is in flight (until its worker has returned)."""
        return self.runs.running

    # -- starting ---------------------------------------------------------------------------

    def action_start_run(self) -> None:
        """Start a run with the form's settings (or queue it behind the current one)."""
        config = self._form_config()
        if config is not None:
            self._submit([config])

    def action_run_again(self) -> None:
        """Repeat the last run's settings."""
        if self.runs.last_config is None:
            self.action_start_run()
            return
        self._submit([self.runs.last_config])

    def action_lr_sweep(self) -> None:
        """Ask for learning rates (the course's six by default), then run them: as one batched program when they can."""
        config = self._form_config()
        if config is None:
            return
        if config.impl == "closed":
            self.notify("The closed form has no learning rate; pick scratch, concise or manual.", title="Sweep")
            return

        def chosen(rates: tuple[float, ...] | None) -> None:
            if rates:
                self._submit([config.with_changes(lr=lr) for lr in rates], sweep=True)

        self.app.push_screen(SweepScreen(config), chosen)

    def _form_config(self) -> TrainConfig | None:
        """The form's config, or None after showing every problem (settings and data) at once."""
        from tui_lab.core.train.preflight import preflight

        values = self.form.values()
        try:
            config = parse_config(values)
            errors: dict[str, str] = {}
        except ConfigError as error:
            config, errors = None, dict(error.errors)
        if self.lab.torch_ready:
            try:
                checked = config or parse_config({k: v for k, v in values.items() if k not in errors})
            except ConfigError:
                checked = None
            if checked is not None:
                for name, message in preflight(checked, self.workspace.get, self.lab.device).items():
                    errors.setdefault(name, message)
        if errors:
            self.form.show_errors(errors)
            count = len(errors)
            noun = "setting needs" if count == 1 else "settings need"
            self.query_one(TrainStats).show_message(f"Not started: {count} {noun} fixing (see the form).")
            return None
        self.form.clear_errors()
        return config

    def _submit(self, configs: list[TrainConfig], *, sweep: bool = False) -> None:
        """Launch or queue ``configs``; a sweep batchable on one process becomes one batched launch."""
        if not self.lab.torch_ready:
            self.notify("torch is still loading; start again in a moment.", title="Train", severity="warning")
            return
        if sweep and configs[0].processes == 1:
            from tui_lab.core.train.sweep import batchable

            sweep = batchable(configs)
        submitted = self.runs.submit_batch(configs) if sweep else self.runs.submit(configs)
        if submitted.launch is not None:
            self._launch(submitted.launch)
        else:
            self.notify(submitted.notice(), title="Train")
        if self.folding.run_started():  # a small terminal gives the plot the form's rows
            self._show_folding()
            self.set_focus(self.query_one(FormLine))

    def _launch(self, record: RunRecord) -> None:
        """Start the worker for ``record`` and every run launched with it (a batched sweep)."""
        device = self.lab.device
        records = self.runs.active or [record]
        for launched in records:  # the data's shape now: the same names may hold other data later
            X: object = self.workspace.get(launched.config.x_name) if launched.config.data == "workspace" else None
            launched.data_shape = "×".join(str(n) for n in X.shape) if is_tensor(X) else ""
        self.query_one(TrainStats).show_preparing(record, device, len(records))
        self._redraw()
        self._launch_handshake = ThreadLaunch()
        run_ids, configs = [r.run_id for r in records], [r.config for r in records]
        self._worker = self._train(run_ids, configs, device, self._launch_handshake)

    # Not exclusive: launches are already one at a time (the next waits for TrainingEnded), and an exclusive
    # group would cancel the worker whose thread has just posted TrainingEnded and is returning.
    @work(thread=True, group="train", exit_on_error=False)
    def _train(self, run_ids: list[int], configs: list[TrainConfig], device: str, launch: ThreadLaunch) -> None:
        """Train in this thread (or wait on the processes that do); only messages go back to the UI."""
        from tui_lab.ui.train.training import train_in_thread

        if not launch.start():  # cancelled before it began: the screen has already moved on
            return
        worker = get_current_worker()
        train_in_thread(self.post_message, run_ids, configs, device, self.workspace.get, lambda: worker.is_cancelled)

    # -- progress and results ----------------------------------------------------------------

    @on(RunProgressed)
    def _progressed(self, message: RunProgressed) -> None:
        record = self.runs.progressed(message.run_id, message.progress)
        if record is None:
            return
        if record is self.runs.current:  # in a sweep the numbers follow its first running run
            sweep = len(self.runs.launched) if self.runs.batched else 0  # every run of it, ended ones too
            stats = self.query_one(TrainStats)
            stats.show_progress(record, message.progress, self.lab.device, self.runs.waiting, sweep=sweep)
        now = time.monotonic()
        # The plot is drawn in pure Python (plotext): redraw it less often than the numbers.
        if now - self._last_plot >= PLOT_INTERVAL:
            self._last_plot = now
            self._redraw()

    @on(RunFinished)
    def _finished(self, message: RunFinished) -> None:
        record = self.runs.finished(message.run_id, message.result)
        if record is None:
            return
        result = message.result
        sweep = self.runs.launched if len(self.runs.launched) > 1 else []
        if not sweep:
            self._publish(record)
        self._redraw()
        stats = self.query_one(TrainStats)
        if not sweep:
            stats.show_result(record, self.runs.waiting)
        elif not self.runs.active:  # the sweep's last result: publish its runs in rate order, compare them
            published = [r for r in sweep if self._publish(r)]
            stats.show_sweep(sweep, published[-1] if published else None, self.runs.waiting)
        title = f"Run #{record.run_id} {result.status}"
        if result.status == RunStatus.DIVERGED:
            self.notify(escape_markup(result.message), title=title, severity="warning")
        elif result.status == RunStatus.FAILED:
            self.notify(escape_markup(result.message), title=title, severity="error")
        self._next()

    def _publish(self, record: RunRecord) -> bool:
        """Put a finished run's ``w``, ``b`` (or module) in the workspace; True when it published anything.

        A batched sweep's runs end in any order (a diverged one first): they are published together
        when the sweep ends, in the order of their rates, so the workspace holds the last rate's.
        """
        result = record.result
        published = result is not None and result.status != RunStatus.FAILED and bool(result.artifacts)
        if result is not None and published:
            self.workspace.publish_many(result.artifacts, "train")
        record.release()  # published: the record need not keep the modules alive
        return published

    def show_state(self) -> None:
        """The numbers below the plot, from what the pane holds: the latest run's summary, or how to start one.

        Runs restored from a session count as any other: after ``--resume`` the pane summarises its
        latest run instead of saying that there is none.
        """
        if self.runs.current is not None:  # a run in flight keeps its live numbers
            return
        stats = self.query_one(TrainStats)
        if self.runs.records:
            stats.show_result(self.runs.records[-1], self.runs.waiting)
        else:
            stats.show_idle()

    @on(RunRejected)
    def _rejected(self, message: RunRejected) -> None:
        self.runs.rejected(message.run_id)
        self._redraw()
        if message.field:
            self.form.show_errors({message.field: message.message})
        self.query_one(TrainStats).show_message(f"Not started: {message.message}")
        self.notify(escape_markup(message.message), title="Train: not started", severity="error")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker cancelled before its thread began never says it ended: it ends here (a failure: :meth:`worker_failed`)."""
        if event.worker is self._worker and event.state == WorkerState.CANCELLED:
            if self._launch_handshake.abandon_unless_started():
                self._training_ended()

    @on(TrainingEnded)
    def _training_ended(self) -> None:
        """The training thread has really returned (not merely been cancelled): the next queued run may start."""
        self._worker = None
        self.runs.worker_ended()
        self._redraw()
        self._next()

    def worker_failed(self, worker: Worker[object]) -> None:
        """The training worker raised (the app has said so): the run it carried is marked failed."""
        if worker is not self._worker and self._worker is not None:
            return
        self._worker = None
        failed = self.runs.worker_ended(str(worker.error))
        if failed is not None:
            self.query_one(TrainStats).show_message(f"Run #{failed.run_id} failed: {worker.error}")
            self._redraw()

    def _next(self) -> None:
        record = self.runs.next_run()
        if record is not None:
            self._launch(record)

    def _redraw(self) -> None:
        current = self.runs.current.run_id if self.runs.current else None
        self.query_one(LossPlot).show_runs(self.runs.records, current)

    # -- other actions -----------------------------------------------------------------------

    def action_stop_run(self) -> None:
        """Stop the current run within a chunk of steps (every process of it), and drop queued runs."""
        stopping = self.runs.stop()
        if stopping.run_id is not None and self._worker is not None:
            self._worker.cancel()
        self.notify(stopping.notice(), title="Train")

    def action_clear_runs(self) -> None:
        """Forget finished runs (the running one stays) and free their histories."""
        self.runs.clear()
        self._redraw()
        self.show_state()

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
        from tui_lab.core.train.history import export_runs

        done = self.runs.done_records()
        if not done:
            self.notify("No finished runs to export yet.", title="Export")
            return
        try:
            csv_path, json_path = export_runs(done, Path.cwd() / f"tui-lab-runs-{datetime.now():%Y%m%d-%H%M%S}")
        except OSError as error:
            self.notify(escape_markup(f"Could not write the export: {error}"), title="Export", severity="error")
            return
        self.notify(escape_markup(f"{len(done)} run(s) written to {csv_path} and {json_path.name}"), title="Export")

    # -- other panes ---------------------------------------------------------------------------

    def handle_request(self, request: PaneRequest) -> None:
        """``UseAsTrainingData(name)``: use that tensor as X if it is 2-D (or ``role="X"``), else as y."""
        if not isinstance(request, UseAsTrainingData):
            return
        name = request.name
        value = self.workspace.get(name)
        if not is_tensor(value):
            self.notify(escape_markup(f"{name!r} is not a tensor in the workspace."), title="Train", severity="warning")
            return
        role = request.role if request.role != "auto" else ("X" if value.dim() == 2 else "y")
        field = "x_name" if role == "X" else "y_name"
        self.form.set_value("data", "workspace")
        self.form.set_value(field, name)
        meaning = "features X" if field == "x_name" else "targets y"
        notice = f"Training data: {name} {tuple(value.shape)} as {meaning}. F6 starts."
        self.notify(escape_markup(notice), title="Train")

    def on_workspace_change(self, change: WorkspaceChange) -> None:
        self._refresh_suggestions()

    def restore_session(self, records: list[RunRecord], form: dict[str, str] | None = None) -> None:
        """Show finished runs and form values restored from a session (a run in flight is kept)."""
        self.runs.restore(records)
        known = self.form.values(relevant_only=False)
        for name, text in (form or {}).items():
            widget = self.form.query_one(f"#field-{name}") if name in known else None
            if widget is not None and (not isinstance(widget, ChoiceField) or text in widget.choices):
                self.form.set_value(name, text)
        self._redraw()
        self.show_state()

    # -- the session (tui_lab.core.session.contract.PaneSession) ----------------------------------

    def save_state(self) -> TrainView:
        """The run records (the session keeps the finished ones) and the form's text."""
        from tui_lab.core.session.contract import TrainView

        try:
            form: dict[str, str] | None = dict(self.form.values(relevant_only=False))
        except Exception:  # not composed yet, or being torn down: the form is simply not saved this time
            form = None
        return TrainView(tuple(self.runs.records), form)

    def restore_state(self, state: TrainView) -> None:
        """Show restored runs and form values (an empty state clears the runs and keeps the form)."""
        self.restore_session(list(state.records), dict(state.form) if state.form is not None else None)

    def fingerprint(self) -> Hashable:
        """Changes when a run finishes."""
        return tuple(record.run_id for record in self.runs.records if record.result is not None)

    def on_unmount(self) -> None:
        """The app is closing: the session stops asking this pane for its state."""
        self.lab.session.unregister(self.PANE, self)

    def _refresh_suggestions(self) -> None:
        if not self.workspace.ready:
            return
        import sys

        nn = sys.modules.get("torch.nn")
        modules = [n for n, v in self.workspace.user_items() if nn is not None and isinstance(v, nn.Module)]
        self.form.set_suggestions(self.workspace.tensors(), modules)

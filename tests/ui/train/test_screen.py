"""The Train pane driven by keys: start, validate, stop, queue, sweep, guard, publish, export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.train_fit import fit_of
from tests.ui.conftest import NotificationRecorder
from tests.waiting import until
from tui_lab.core.train.outcome import RunStatus
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.requests import UseAsTrainingData
from tui_lab.ui.train.form import ChoiceField, TrainForm
from tui_lab.ui.train.plot import LossPlot
from tui_lab.ui.train.screen import TrainScreen
from tui_lab.ui.train.summary import TrainStats
from tui_lab.ui.train.sweep import SweepScreen

MakeApp = Callable[..., TuiLabApp]


async def settle(app: TuiLabApp, pilot: Pilot[None], screen: TrainScreen) -> None:
    """Wait until the current run and every queued run have finished."""
    for _ in range(500):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not screen.running and not screen.queue:
            return
    raise AssertionError("runs did not finish")


async def type_into(pilot: Pilot[None], form: TrainForm, field: str, text: str) -> None:
    """Focus a form field and replace its text by typing."""
    widget = form.query_one(f"#field-{field}", Input)
    widget.focus()
    await pilot.press("ctrl+u", *text)


async def torch_ready(app: TuiLabApp, pilot: Pilot[None]) -> None:
    """Wait for the app to announce torch (the fixture preloads it, so this is one or two frames)."""
    for _ in range(100):
        if app.torch_ready:
            return
        await pilot.pause()
    raise AssertionError("torch_ready never became True")


def train_screen(app: TuiLabApp) -> TrainScreen:
    screen = app.screen
    assert isinstance(screen, TrainScreen)
    return screen


async def test_f6_trains_with_the_course_defaults_and_publishes(make_app: MakeApp) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await torch_ready(app, pilot)
        await pilot.press("f5")
        screen = train_screen(app)
        await pilot.press("f6")
        await settle(app, pilot, screen)
        record = screen.records[-1]
        assert record.status is RunStatus.FINISHED and len(record.epoch_losses) == 3
        assert max(abs(e) for e in fit_of(record.result).w_error or (1.0,)) < 0.01
        assert {"w", "b", "net"} <= set(app.workspace.user_names())
        assert torch.allclose(app.workspace["w"], torch.tensor([2.0, -3.4]), atol=0.01)
        assert "finished 3 epochs" in screen.query_one(TrainStats).headline


async def test_invalid_fields_get_messages_and_nothing_starts(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await torch_ready(app, pilot)
        screen = train_screen(app)
        form = screen.form
        await type_into(pilot, form, "lr", "abc")
        await type_into(pilot, form, "batch_size", "0")
        await pilot.press("f6")
        await pilot.pause()
        assert not screen.running and screen.records == []
        lr_error = form.query_one("#error-lr", Static)
        assert lr_error.has_class("-shown") and "not a number" in str(lr_error.render())
        assert "≥ 1" in str(form.query_one("#error-batch_size", Static).render())
        assert app.focused is form.query_one("#field-lr")
        await type_into(pilot, form, "lr", "0.03")
        assert not lr_error.has_class("-shown") and not str(lr_error.render()).strip()  # said of the old text
        assert form.query_one("#error-batch_size", Static).has_class("-shown")  # untouched: still said
        await type_into(pilot, form, "batch_size", "10")
        await pilot.press("f6")
        assert not form.query_one("#error-lr", Static).has_class("-shown")
        await settle(app, pilot, screen)
        assert screen.records[-1].status is RunStatus.FINISHED


async def test_hidden_fields_are_not_checked(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await torch_ready(app, pilot)
        screen = train_screen(app)
        screen.form.set_value("x_name", "2x")  # only used for workspace data
        screen.form.query_one("#field-loss", ChoiceField).focus()
        await pilot.press("right")  # huber: its δ row appears
        await pilot.pause()
        assert not screen.form.query_one("#row-huber_delta").has_class("-hidden")
        assert screen.form.query_one("#row-x_name").has_class("-hidden")
        await pilot.press("f6")
        await settle(app, pilot, screen)
        assert screen.records[-1].status is RunStatus.FINISHED and screen.records[-1].config.loss == "huber"


async def test_up_and_down_move_between_shown_fields(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await torch_ready(app, pilot)
        form = train_screen(app).form
        form.query_one("#field-impl", ChoiceField).focus()
        await pilot.press("up")  # already the first field: stays
        assert app.focused is form.query_one("#field-impl")
        await pilot.press("down", "down")  # impl → data → N
        assert app.focused is form.query_one("#field-n")
        await pilot.press("x")  # typing still goes into the focused Input
        assert form.query_one("#field-n", Input).value.endswith("x")
        await pilot.press("up")
        assert app.focused is form.query_one("#field-data")
        await pilot.press("right")  # ←/→ still cycle a choice: workspace data shows X, y instead of N…
        await pilot.pause()
        assert form.value("data") == "workspace"
        await pilot.press("down", "down")  # …so ↓ skips the hidden synthetic fields
        assert app.focused is form.query_one("#field-y_name")
        await pilot.press("down")  # past y name: csv rows are hidden, lr comes next
        assert app.focused is form.query_one("#field-lr")
        await pilot.press("tab")  # Tab still works
        assert app.focused is form.query_one("#field-batch_size")
        fields = form.shown_fields()
        for _ in range(3):  # keys arriving in one burst (held ↓ over SSH): each one moves on
            form.action_move_field(1)
        assert app.focused is fields[fields.index(form.query_one("#field-batch_size")) + 3]
        fields[-1].focus()
        await pilot.press("down")  # the last field: stays
        assert app.focused is fields[-1] is form.query_one("#field-processes")


async def test_stop_is_prompt_and_keeps_the_ui_live(make_app: MakeApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's first progress report waits at a gate until F7: the stop lands mid-run on any machine."""
    import threading

    from tui_lab.core.train.report import RunReporter

    reached, release = threading.Event(), threading.Event()
    real_report = RunReporter.report

    def gated_report(self: RunReporter, theta: Any = None, *, force: bool = False) -> None:
        real_report(self, theta, force=force)
        if not reached.is_set() and self.losses.count:
            reached.set()
            release.wait(timeout=60)  # the bound only guards a hang

    monkeypatch.setattr(RunReporter, "report", gated_report)
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await torch_ready(app, pilot)
        screen = train_screen(app)
        await type_into(pilot, screen.form, "n", "200000")
        await pilot.press("f6")
        for _ in range(2000):
            if reached.is_set() and screen.records[-1].steps:
                break
            await pilot.pause()
        await pilot.press("f2")  # other panes respond while training
        assert app.current_mode == "repl"
        await pilot.press("f5", "f7")
        release.set()
        await settle(app, pilot, screen)
        record = screen.records[-1]
        assert record.status is RunStatus.STOPPED and record.message.startswith("stopped in epoch 1 at step")
        assert record.steps < 3 * 20_000


async def test_starting_during_a_run_queues_it(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch, notes: NotificationRecorder
) -> None:
    """A second F6 while a run is going queues it; the first run is held open by a gate, not by its size."""
    import threading

    from tui_lab.core.train import runner as train_runner

    gate = threading.Event()
    real_run = train_runner.run

    def gated_run(*args: Any, **kwargs: Any) -> Any:
        gate.wait(timeout=60)  # released below, once the second F6 has been seen; the bound only guards a hang
        return real_run(*args, **kwargs)

    monkeypatch.setattr(train_runner, "run", gated_run)
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await torch_ready(app, pilot)
        screen = train_screen(app)
        await type_into(pilot, screen.form, "n", "1000")
        await type_into(pilot, screen.form, "epochs", "1")
        await pilot.press("f6", "f6")
        assert screen.running
        assert len(screen.queue) == 1
        assert any("1 run waiting behind #1" in n.message for n in notes.notes)
        await pilot.press("f6")
        assert any("2 runs waiting behind #1" in n.message for n in notes.notes)  # the toast counts up
        gate.set()
        await settle(app, pilot, screen)
        assert [r.status for r in screen.records] == ["finished", "finished", "finished"]
        assert [r.run_id for r in screen.records] == [1, 2, 3]


async def test_learning_rate_sweep_overlays_six_labelled_runs(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await torch_ready(app, pilot)
        screen = train_screen(app)
        await pilot.press("ctrl+p", *"Learning-rate sweep")
        await pilot.pause()
        await pilot.press("enter")
        for _ in range(50):
            await pilot.pause()
            if isinstance(app.screen, SweepScreen):
                break
        await pilot.press("enter")  # the dialog opens with the course's six rates
        await pilot.pause()
        await settle(app, pilot, screen)
        labels = [r.label for r in screen.records]
        assert len(labels) == 6
        rates = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
        assert all(f"lr={lr:g}" in label for lr, label in zip(rates, labels, strict=True))
        plot = screen.query_one(LossPlot)
        assert len(plot.records) == 6
        spec = plot.spec()  # the legend names only what differs; the title names what all six share
        assert [c.label for c in spec.curves] == [f"#{i} lr={lr:g}" for i, lr in enumerate(rates, start=1)]
        assert spec.common == "concise sgd B=10"
        await pilot.press("ctrl+l")
        assert plot.log_scale
        await pilot.press("f9")
        assert screen.records == [] and plot.records == []


async def test_divergence_is_caught(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await torch_ready(app, pilot)
        screen = train_screen(app)
        await type_into(pilot, screen.form, "lr", "100")
        await pilot.press("f6")
        await settle(app, pilot, screen)
        record = screen.records[-1]
        assert record.status is RunStatus.DIVERGED and "try a smaller learning rate" in record.message
        assert torch.isfinite(app.workspace["w"]).all()


async def test_train_on_request_and_workspace_checks(make_app: MakeApp) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await torch_ready(app, pilot)
        app.workspace.publish_many({"feats": torch.randn(30, 2), "target": torch.randn(31)}, "data")
        app.send(UseAsTrainingData("feats"))
        await pilot.pause()
        app.send(UseAsTrainingData("target"))
        await pilot.pause()
        screen = train_screen(app)
        form = screen.form
        assert form.query_one("#field-data", ChoiceField).value == "workspace"
        assert (form.value("x_name"), form.value("y_name")) == ("feats", "target")
        await pilot.press("f6")
        await settle(app, pilot, screen)
        error = form.query_one("#error-y_name", Static)
        assert error.has_class("-shown") and "30 rows but target has 31" in str(error.render())
        assert screen.records == []
        app.workspace.publish("target", torch.randn(30), "data")
        await pilot.press("f6")
        await settle(app, pilot, screen)
        assert screen.records[-1].status is RunStatus.FINISHED
        assert fit_of(screen.records[-1].result).w_error is None


async def test_export_writes_csv_and_json(make_app: MakeApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await torch_ready(app, pilot)
        screen = train_screen(app)
        await pilot.press("f6")
        await settle(app, pilot, screen)
        await pilot.press("f8")
        await settle(app, pilot, screen)
        await pilot.press("f10")
        await pilot.pause()
    csv_files, json_files = list(tmp_path.glob("tui-lab-runs-*.csv")), list(tmp_path.glob("tui-lab-runs-*.json"))
    assert len(csv_files) == len(json_files) == 1
    assert csv_files[0].read_text().count("\n") == 1 + 2 * 3


async def test_sweep_dialog_checks_the_rates(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await torch_ready(app, pilot)
        screen = train_screen(app)
        await screen.run_action("lr_sweep")
        await pilot.pause()
        assert isinstance(app.screen, SweepScreen)
        await pilot.press("ctrl+u", *"0.1, x", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SweepScreen)
        error = app.screen.query_one("#sweep-error", Static)
        assert "not a number" in str(error.render())
        await pilot.press("backspace")
        assert not str(error.render()).strip()  # the message was about the old text
        await pilot.press("ctrl+u", *"0.05 0.2", "enter")
        await pilot.pause()
        await settle(app, pilot, screen)
        assert [r.config.lr for r in screen.records] == [0.05, 0.2]


async def test_plot_lines_match_what_plotext_prints() -> None:
    """The worker reads plotext's matrix directly; the picture must equal plotext's own ANSI output."""
    from rich.segment import Segment
    from textual.app import App, ComposeResult

    from tui_lab.core.train.config import TrainConfig
    from tui_lab.core.train.history import RunRecord

    class PlotApp(App[None]):
        def compose(self) -> ComposeResult:
            yield LossPlot()

    def cells(segments: list[Segment]) -> list[tuple[str, object, object]]:
        return [(ch, s.style and s.style.color, s.style and s.style.bgcolor) for s in segments for ch in s.text]

    async with PlotApp().run_test(size=(100, 30)) as pilot:
        plot = pilot.app.query_one(LossPlot)
        records = []
        for run_id in (1, 2, 3):
            status = RunStatus.FINISHED if run_id < 3 else RunStatus.RUNNING
            record = RunRecord(run_id, TrainConfig(lr=0.01 * run_id), status=status)
            record.add_steps(np.array([1.0 / (run_id + step) for step in range(300)]), 100)
            record.epoch_losses = [0.5 / run_id, 0.1 / run_id]
            records.append(record)
        plot.records, plot.current_id = records, 3
        for log_scale in (False, True):
            plot.log_scale = log_scale
            spec = plot.spec()
            printed = plot.draw(spec).split("\n", allow_blank=True)
            lines = plot.lines(spec)
            assert len(lines) == 30 and all(line.cell_length == 100 for line in lines)
            for line, text in zip(lines, printed, strict=False):
                expected = cells(list(text.render(pilot.app.console, end="")))
                assert cells(list(line))[: len(expected)] == expected
            assert any("#3" in line.text for line in lines)  # the legend names the runs


async def test_settings_and_data_problems_are_reported_in_one_round(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await torch_ready(app, pilot)
        screen = train_screen(app)
        form = screen.form
        form.set_value("data", "workspace")
        form.set_value("x_name", "nothing_here")
        await type_into(pilot, form, "lr", "abc")
        await pilot.press("f6")
        await pilot.pause()
        assert "not a number" in str(form.query_one("#error-lr", Static).render())
        assert "no 'nothing_here' in the workspace" in str(form.query_one("#error-x_name", Static).render())
        assert screen.query_one(TrainStats).headline == "Not started: 3 settings need fixing (see the form)."


async def test_an_empty_true_b_says_what_to_type(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await torch_ready(app, pilot)
        screen = train_screen(app)
        await type_into(pilot, screen.form, "true_b", "")
        await type_into(pilot, screen.form, "n", "1e308")
        await pilot.press("f6")
        await pilot.pause()
        assert "empty: give a number, e.g. 4.2" in str(screen.form.query_one("#error-true_b", Static).render())
        assert "must be at most 10000000000" in str(screen.form.query_one("#error-n", Static).render())
        assert screen.records == []


async def test_runs_that_differ_only_in_n_or_epochs_have_different_legends(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await torch_ready(app, pilot)
        screen = train_screen(app)
        await type_into(pilot, screen.form, "epochs", "1")
        await pilot.press("f6")
        await settle(app, pilot, screen)
        await type_into(pilot, screen.form, "n", "500")
        await pilot.press("f6")
        await settle(app, pilot, screen)
        await type_into(pilot, screen.form, "epochs", "2")
        await pilot.press("f6")
        await settle(app, pilot, screen)
        spec = screen.query_one(LossPlot).spec()
        labels = [c.label for c in spec.curves]
        assert labels == ["#1 N=1000 1 ep", "#2 N=500 1 ep", "#3 N=500 2 ep"]
        await pilot.press("ctrl+l")  # on the log axis the legend sits below the plot, not over the curves
        lines = [strip.text for strip in screen.query_one(LossPlot).lines(screen.query_one(LossPlot).spec())]
        legend_at = next(i for i, line in enumerate(lines) if "#1 N=1000 1 ep" in line)
        assert legend_at >= len(lines) - len(spec.legend) and "epoch" in "".join(lines[:legend_at])


async def test_summary_shows_b_and_how_many_weights_are_left_out(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await torch_ready(app, pilot)
        torch.manual_seed(0)
        X = torch.randn(200, 29)
        app.workspace.publish_many({"H": X, "price": X @ torch.ones(29) + 3.0}, "data")
        app.send(UseAsTrainingData("H"))
        app.send(UseAsTrainingData("price"))
        await pilot.pause()
        screen = train_screen(app)
        await type_into(pilot, screen.form, "epochs", "1")
        await pilot.press("f6")
        await settle(app, pilot, screen)
        shown = screen.query_one(TrainStats).plain.splitlines()
        assert any(line.startswith("b ") for line in shown)
        assert shown[-1].startswith("… ") and shown[-1].endswith(" more weights")
        assert len(shown) <= screen.query_one(TrainStats).lines


async def test_progress_counts_steps_within_the_epoch_like_the_stop_message(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_lab.core.train.config import TrainConfig
    from tui_lab.core.train.outcome import Progress

    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await torch_ready(app, pilot)
        screen = train_screen(app)
        record = screen.runs.submit([TrainConfig()]).launch
        assert record is not None
        progress = Progress(2, 3, 150, 300, 100, np.zeros(0), (), (1.0, 2.0), 3.0, 1.0, 10.0, 1.0)
        screen.query_one(TrainStats).show_progress(record, progress, "cpu")
        assert "epoch 2/3 · step 50/100" in screen.query_one(TrainStats).headline
        screen.runs.rejected(record.run_id)
        screen.runs.worker_ended()


async def test_f7_waits_for_the_training_thread_before_the_pane_moves_on(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelling a thread worker marks it cancelled at once while its thread still runs: the pane must wait.

    Before, the run was marked "stopped before it started" (and a queued run could start beside the
    old thread) until the real result arrived; a test's settle could even see that state.
    """
    import threading

    from tui_lab.core.train import runner as train_runner

    inside, gate = threading.Event(), threading.Event()
    real_run = train_runner.run

    def gated_run(*args: Any, **kwargs: Any) -> Any:
        inside.set()
        gate.wait(timeout=60)  # released below, after F7; the bound only guards a hang
        return real_run(*args, **kwargs)

    monkeypatch.setattr(train_runner, "run", gated_run)
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await torch_ready(app, pilot)
        screen = train_screen(app)
        await pilot.press("f6")
        await until(pilot, inside.is_set, "the run is inside its step")
        await pilot.press("f7")
        for _ in range(5):
            await pilot.pause()
        record = screen.records[-1]
        assert screen.running and record.status is RunStatus.RUNNING  # the thread has not returned yet
        gate.set()
        await settle(app, pilot, screen)
        assert (record.status, record.message) == ("stopped", "stopped before the first step")
        assert record.result is not None and record.result.fit is None

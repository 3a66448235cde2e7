"""The learning-rate sweep in the Train pane: one batched worker, a run per rate, stop, divergence, publish."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import torch
from textual.pilot import Pilot

from tests.ui.train.helpers import ready_screen, settle, type_into
from tui_lab.core.train import runner as train_runner
from tui_lab.core.train import sweep as train_sweep
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.train.plot import LossPlot
from tui_lab.ui.train.summary import TrainStats
from tui_lab.ui.train.sweep import SweepScreen

MakeApp = Callable[..., TuiLabApp]


async def sweep_with(app: TuiLabApp, pilot: Pilot[None], rates: str | None) -> None:
    """ctrl+s, then Enter on the course's rates (``None``) or on ``rates`` typed into the dialog."""
    await pilot.press("ctrl+s")
    for _ in range(50):
        await pilot.pause()
        if isinstance(app.screen, SweepScreen):
            break
    assert isinstance(app.screen, SweepScreen)
    if rates is not None:
        await pilot.press("ctrl+u", *rates)
    await pilot.press("enter")
    await pilot.pause()


class Spy:
    """Wraps the real ``run_sweep`` and ``runner.run``: counts calls, and can hold the sweep's first progress report."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, hold_first_report: bool = False) -> None:
        self.sweeps: list[list[Any]] = []
        self.single_runs = 0
        self.reached, self.release = threading.Event(), threading.Event()
        self.threads: set[int] = set()
        real_sweep, real_run = train_sweep.run_sweep, train_runner.run

        def spy_sweep(configs: Any, device: str = "cpu", on_progress: Any = None, *args: Any, **kwargs: Any) -> Any:
            self.sweeps.append(list(configs))

            def report(index: int, progress: Any) -> None:
                self.threads.add(threading.get_ident())
                on_progress(index, progress)
                if hold_first_report and not self.reached.is_set():
                    self.reached.set()
                    self.release.wait(timeout=60)  # the bound only guards a hang

            return real_sweep(configs, device, report, *args, **kwargs)

        def spy_run(*args: Any, **kwargs: Any) -> Any:
            self.single_runs += 1
            return real_run(*args, **kwargs)

        monkeypatch.setattr(train_sweep, "run_sweep", spy_sweep)
        monkeypatch.setattr(train_runner, "run", spy_run)


async def test_the_sweep_runs_as_one_batched_worker_and_each_run_keeps_its_own_result(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    app = make_app(pane="train")
    async with app.run_test(size=(120, 40)) as pilot:  # room for the summary's line per run
        screen = await ready_screen(app, pilot)
        await sweep_with(app, pilot, None)
        await settle(app, pilot, screen)
        assert len(spy.sweeps) == 1 and len(spy.sweeps[0]) == 6 and spy.single_runs == 0
        assert len(spy.threads) == 1  # every run's progress came from the one worker thread
        rates = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
        assert [c.lr for c in spy.sweeps[0]] == list(rates)
        records = screen.records
        assert [r.status for r in records] == ["finished"] * 6
        assert all(r.result.config.lr == lr for r, lr in zip(records, rates, strict=True))
        assert all(len(r.epoch_losses) == 3 and r.steps == 3 * r.steps_per_epoch for r in records)
        losses = [r.result.final_loss for r in records]
        assert losses[3] < 1e-3 < losses[0]  # each curve is its own: lr 0.03 converges, 0.001 does not
        # Published like the sequential sweep: each run in turn, so w, b are the last rate's.
        assert torch.allclose(app.workspace["w"], torch.tensor(records[-1].result.w))
        assert app.workspace["b"].item() == pytest.approx(records[-1].result.b)
        assert all(r.result.notes[0] == "batched sweep: 6 learning rates as one program" for r in records)
        lines = screen.query_one(TrainStats).plain.splitlines()  # the summary compares the six runs
        assert lines[0].startswith("Sweep #1–#6: 6 rates in one program") and len(lines) == 8
        best = min(records, key=lambda r: r.result.final_loss)
        assert [line for line in lines if line.endswith("← best")] == [
            f"#{best.run_id} lr={best.config.lr:<5g} final loss {best.result.final_loss:.6f} ← best"
        ]
        assert lines[-1] == "w, b in the workspace are the last run's: #6"
        assert len(screen.query_one(LossPlot).spec().curves) == 6


async def test_a_diverging_rate_stops_alone_while_the_others_finish(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready_screen(app, pilot)
        await sweep_with(app, pilot, "0.03, 100, 0.01")
        await settle(app, pilot, screen)
        assert len(spy.sweeps) == 1 and spy.single_runs == 0
        first, wild, slow = screen.records
        assert [first.status, wild.status, slow.status] == ["finished", "diverged", "finished"]
        assert "try a smaller learning rate" in wild.message
        assert len(first.epoch_losses) == len(slow.epoch_losses) == 3 and first.result.final_loss < 1e-3
        assert wild.steps < first.steps  # its curve ends where the guard stopped it
        assert any("diverged" in n.message for n in app._notifications)
        assert torch.isfinite(app.workspace["w"]).all()


async def test_f7_stops_every_run_of_the_sweep(make_app: MakeApp, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch, hold_first_report=True)
    app = make_app(pane="train")
    async with app.run_test(size=(120, 40)) as pilot:  # room for the summary's line per run
        screen = await ready_screen(app, pilot)
        await type_into(pilot, screen.form, "n", "200000")
        await sweep_with(app, pilot, None)
        for _ in range(2000):
            if spy.reached.is_set():
                break
            await pilot.pause()
        assert spy.reached.is_set()
        assert len(screen.runs.active) == 6 and screen.runs.batched  # six records in flight at once
        await pilot.press("f7")
        assert any("Stopping the sweep's 6 runs #1–#6" in n.message for n in app._notifications)
        spy.release.set()
        await settle(app, pilot, screen)
        records = screen.records
        assert [r.status for r in records] == ["stopped"] * 6
        assert all(r.message.startswith("stopped in epoch 1 at step") for r in records)
        assert all(r.steps < 20_000 for r in records)  # stopped within the first epoch
        spec = screen.query_one(LossPlot).spec()  # "stopped" once in the title: the legend names all six
        assert spec.common == "concise sgd B=10 · all stopped" and sum(len(line) for line in spec.legend) == 6
        lines = screen.query_one(TrainStats).plain.splitlines()
        assert [line.split(maxsplit=2)[2] for line in lines[1:7]] == [r.message for r in records]


async def test_a_sweep_queued_behind_a_run_waits_as_one_batch(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    real_run = train_runner.run

    def gated_run(*args: Any, **kwargs: Any) -> Any:
        gate.wait(timeout=60)  # released below; the bound only guards a hang
        return real_run(*args, **kwargs)

    monkeypatch.setattr(train_runner, "run", gated_run)
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready_screen(app, pilot)
        await type_into(pilot, screen.form, "n", "500")
        await pilot.press("f6")
        await sweep_with(app, pilot, "0.01, 0.03")
        assert len(screen.queue) == 1 and screen.runs.waiting == 2
        assert any("2 runs waiting behind #1" in n.message for n in app._notifications)
        gate.set()
        await settle(app, pilot, screen)
        assert [r.run_id for r in screen.records] == [1, 2, 3]
        assert [r.status for r in screen.records] == ["finished"] * 3


async def test_a_rate_that_diverges_is_said_at_once_while_the_others_still_train(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    diverged_said, reached, release = threading.Event(), threading.Event(), threading.Event()
    real_sweep = train_sweep.run_sweep

    def spy_sweep(configs: Any, device: str, on_progress: Any, *args: Any, on_end: Any, **kwargs: Any) -> Any:
        def said(index: int, result: Any) -> None:
            on_end(index, result)
            if result.status == "diverged":
                diverged_said.set()

        def report(index: int, progress: Any) -> None:
            on_progress(index, progress)
            if index == 0 and diverged_said.is_set() and not reached.is_set():
                reached.set()  # the diverged result and this progress are posted: hold the sweep here
                release.wait(timeout=60)  # the bound only guards a hang

        return real_sweep(configs, device, report, *args, on_end=said, **kwargs)

    monkeypatch.setattr(train_sweep, "run_sweep", spy_sweep)
    app = make_app(pane="train")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready_screen(app, pilot)
        await type_into(pilot, screen.form, "n", "200000")
        await sweep_with(app, pilot, "0.03, 100")
        for _ in range(2000):
            if reached.is_set() and screen.records[1].status == "diverged":
                break
            await pilot.pause()
        first, wild = screen.records
        assert (first.status, wild.status) == ("running", "diverged")  # said while #1 still trains
        assert any("Run #2 diverged" in (n.title or "") for n in app._notifications)
        await pilot.pause()
        assert "1 of 2 in one batched sweep" in screen.query_one(TrainStats).plain
        await pilot.press("f7")
        release.set()
        await settle(app, pilot, screen)
        assert [r.status for r in screen.records] == ["stopped", "diverged"]

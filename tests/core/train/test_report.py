"""One training outcome, made in one place: the run reporter, the status enum, and who builds what."""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import msgspec
import numpy as np
import pytest

from tests.core.train.pacing import ManualClock
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.outcome import STOPPED_BEFORE_FIRST_STEP, LinearFit, Progress, RunStatus
from tui_lab.core.train.report import RunReporter, linear_fit, stopped_before_first_step
from tui_lab.core.train.runner import run
from tui_lab.core.train.sweep import run_sweep

SRC = Path(__file__).resolve().parents[3] / "src" / "tui_lab"


def _builders(name: str) -> set[str]:
    """The modules of src/ that call ``name(...)`` (by name or as an attribute)."""
    found = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if called == name:
                    found.add(path.relative_to(SRC).as_posix())
    return found


@pytest.mark.parametrize("name", ["TrainingOutcome", "Progress"])
def test_only_the_reporter_makes_outcomes_and_progress_reports(name: str) -> None:
    """#22: the outcome was built in 7 places and Progress in 5; every run now goes through RunReporter."""
    assert _builders(name) == {"core/train/report.py"}


def test_statuses_read_and_write_as_the_words_sessions_and_json_always_had() -> None:
    assert [s.value for s in RunStatus] == ["queued", "running", "finished", "stopped", "diverged", "failed"]
    assert json.dumps({"status": RunStatus.DIVERGED}) == '{"status": "diverged"}'
    assert msgspec.json.encode(RunStatus.STOPPED) == b'"stopped"'
    assert str(RunStatus.FAILED) == f"{RunStatus.FAILED}" == "failed" and RunStatus("finished") is RunStatus.FINISHED
    assert [s.ended for s in RunStatus] == [False, False, True, True, True, True]


def test_progress_is_throttled_on_the_reporters_clock_and_sends_only_what_is_new() -> None:
    clock, seen = ManualClock(start=0.0), list[Progress]()
    config = TrainConfig(epochs=2)
    reporter = RunReporter(config, "cpu", steps_per_epoch=4, on_progress=seen.append, interval=0.1, clock=clock)
    reporter.begin()
    reporter.add_steps([4.0, 3.0], samples=20)
    reporter.report([1.0, 2.0, 0.5])
    assert seen == [] and not reporter.due()  # no time has passed
    clock.advance(0.1)
    assert reporter.due()
    reporter.report([1.0, 2.0, 0.5])
    reporter.add_steps([2.0, 1.0], samples=20)
    reporter.add_epoch(1.5)
    reporter.report(force=True)  # a model: no line
    first, second = seen
    assert isinstance(first, Progress) and first.new_step_losses.tolist() == [4.0, 3.0] and first.epoch == 1
    assert (first.w, first.b, first.step, first.steps_total) == ((1.0, 2.0), 0.5, 2, 8)
    assert first.samples_per_s == pytest.approx(200.0)
    assert first.eta == pytest.approx(0.3) and first.cuda_memory is None
    assert second.new_step_losses.tolist() == [2.0, 1.0] and second.epoch_losses == (1.5,) and second.epoch == 2
    assert second.w == () and math.isnan(second.b)


def test_an_outcome_carries_what_was_recorded() -> None:
    clock = ManualClock(start=0.0)
    reporter = RunReporter(TrainConfig(), "cpu", steps_per_epoch=3, clock=clock)
    reporter.initial_loss, reporter.chunks = 9.0, 2
    reporter.notes.append("ran eagerly")
    reporter.begin()
    reporter.add_steps(np.array([3.0, 2.0, 1.0]), samples=30)
    reporter.add_epoch(0.5)
    clock.advance(2.0)
    fit = linear_fit([1.0, -1.0, 0.25], true_w=(1.0, -1.5), true_b=0.0, closed=[1.0, -1.5, 0.0], closed_loss=0.01)
    outcome = reporter.outcome(RunStatus.FINISHED, "finished 1 epoch", fit=fit)
    assert outcome.step_losses.tolist() == [3.0, 2.0, 1.0] and outcome.step_bucket == 1
    assert (outcome.seconds, outcome.samples, outcome.samples_per_s, outcome.final_loss) == (2.0, 30, 15.0, 0.5)
    assert (outcome.initial_loss, outcome.chunks, outcome.notes, outcome.artifacts) == (9.0, 2, ("ran eagerly",), {})
    assert outcome.fit == LinearFit((1.0, -1.0), 0.25, (1.0, -1.5), 0.0, (1.0, -1.5), 0.0, 0.01)
    assert fit.w_error == (0.0, -0.5) and fit.b_error == -0.25


def test_a_run_stopped_before_its_first_step_learned_no_line() -> None:
    outcome = stopped_before_first_step(TrainConfig(), "cpu", 0.25)
    assert (outcome.status, outcome.message, outcome.seconds) == (RunStatus.STOPPED, STOPPED_BEFORE_FIRST_STEP, 0.25)
    assert outcome.fit is None and len(outcome.step_losses) == 0 and math.isnan(outcome.initial_loss)


def test_a_sweep_counts_its_chunks_and_keeps_its_losses_bounded_as_a_single_run_does() -> None:
    """The batched sweep went through no reporter: no chunk count, and every per-step loss kept as a Python float."""
    configs = [TrainConfig(impl="manual", n=200, epochs=1, lr=lr) for lr in (0.01, 0.03)]
    for outcome in run_sweep(configs):
        alone = run(outcome.config)
        assert outcome.chunks > 0 and outcome.step_losses.dtype == alone.step_losses.dtype == np.float32
        assert outcome.status is RunStatus.FINISHED and outcome.fit is not None

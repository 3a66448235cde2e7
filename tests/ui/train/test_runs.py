"""The run queue without Textual: launch, queue, stop, finish, fail, reject, clear."""

from __future__ import annotations

import numpy as np

from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.history import MAX_RUNS
from tui_lab.core.train.outcome import RunStatus, TrainingOutcome
from tui_lab.ui.train import runs as runs_module
from tui_lab.ui.train.runs import RunQueue


def outcome(status: RunStatus, message: str = "", artifacts: dict[str, object] | None = None) -> TrainingOutcome:
    """A short run's outcome: two steps, one epoch, nothing learned that the queue reads."""
    return TrainingOutcome(
        TrainConfig(), "cpu", status, message, np.array([2.0, 1.0]), (1.0,), 2.0, 0.1, 20, 2,
        artifacts=dict(artifacts or {}),
    )  # fmt: skip


def test_the_first_submit_launches_and_the_rest_queue_behind_it() -> None:
    runs = RunQueue()
    first = runs.submit([TrainConfig(lr=0.1), TrainConfig(lr=0.2)])
    assert first.launch is not None and first.launch.run_id == 1 and runs.current is first.launch
    assert list(runs.queue) == [TrainConfig(lr=0.2)] and runs.running
    again = runs.submit([TrainConfig(lr=0.3)])
    assert again.launch is None and again.behind == 1 and again.waiting == 2
    assert "Queued 1: 2 runs waiting behind #1" in again.notice()
    third = runs.submit([TrainConfig(lr=0.4)])
    assert "3 runs waiting" in third.notice()  # the toast counts up


def test_finished_runs_hand_over_to_the_next_only_after_the_worker_ended() -> None:
    runs = RunQueue()
    runs.submit([TrainConfig(), TrainConfig(epochs=1)])
    record = runs.finished(1, outcome(RunStatus.FINISHED))
    assert record is not None and record.status is RunStatus.FINISHED and runs.current is None
    assert runs.next_run() is None  # the worker thread has not returned yet
    runs.worker_ended()
    following = runs.next_run()
    assert following is not None and following.run_id == 2 and following.config.epochs == 1
    assert not runs.queue


def test_stop_drops_queued_runs() -> None:
    runs = RunQueue()
    runs.submit([TrainConfig(), TrainConfig(), TrainConfig()])
    stopping = runs.stop()
    assert stopping.run_id == 1 and stopping.dropped == 2 and not runs.queue
    assert "dropped 2 queued run(s)" in stopping.notice()
    runs.finished(1, outcome(RunStatus.STOPPED))
    runs.worker_ended()
    assert runs.next_run() is None and not runs.running
    assert RunQueue().stop().notice() == "Nothing is running."


def test_a_failed_run_drops_the_queue_and_a_worker_error_marks_the_run_failed() -> None:
    runs = RunQueue()
    runs.submit([TrainConfig(), TrainConfig()])
    runs.finished(1, outcome(RunStatus.FAILED, message="CUDA out of memory"))
    runs.worker_ended()
    assert not runs.queue and runs.next_run() is None
    runs.submit([TrainConfig(), TrainConfig()])
    failed = runs.worker_ended("boom")
    assert failed is not None and failed.status is RunStatus.FAILED and failed.message == "boom"
    assert runs.current is None and not runs.queue and not runs.running


def test_a_rejected_run_is_forgotten() -> None:
    runs = RunQueue()
    runs.submit([TrainConfig(), TrainConfig()])
    assert runs.rejected(1) == 1
    assert runs.records == [] and runs.current is None
    runs.worker_ended()
    assert not runs.running


def test_only_the_newest_runs_are_kept_and_clear_frees_the_finished_ones() -> None:
    runs = RunQueue()
    for _ in range(MAX_RUNS + 2):
        runs.submit([TrainConfig()])
        runs.finished(runs.next_id - 1, outcome(RunStatus.FINISHED, artifacts={"w": object()}))
        runs.worker_ended()
    assert len(runs.records) == MAX_RUNS == runs_module.MAX_RUNS
    assert runs.records[0].run_id == 3 and len(runs.done_records()) == MAX_RUNS
    kept = runs.records[-1]
    runs.submit([TrainConfig()])
    assert runs.clear() == MAX_RUNS - 1
    assert runs.records == [runs.current] and kept.result is not None and kept.result.artifacts == {}


def test_progress_goes_only_to_the_current_run() -> None:
    from tui_lab.core.train.outcome import Progress

    def progress(epoch_losses: tuple[float, ...]) -> Progress:
        return Progress(1, 3, 3, 30, 10, np.ones(3), epoch_losses, (), float("nan"), 0.1, 30.0, None)

    runs = RunQueue()
    runs.submit([TrainConfig()])
    assert runs.progressed(7, progress(())) is None
    record = runs.progressed(1, progress((0.5,)))
    assert record is not None and record.steps == 3 and record.epoch_losses == [0.5]


def test_restored_runs_come_before_the_running_one_and_ids_continue() -> None:
    from tui_lab.core.train.history import RunRecord

    runs = RunQueue()
    running = runs.submit([TrainConfig()]).launch
    runs.restore([RunRecord(n, TrainConfig(), status=RunStatus.FINISHED) for n in (5, 7)])
    assert [r.run_id for r in runs.records] == [5, 7, 1] and runs.current is running
    assert runs.next_id == 8


def test_a_batch_launches_together_ends_run_by_run_and_stops_together() -> None:
    runs = RunQueue()
    configs = [TrainConfig(lr=lr) for lr in (0.01, 0.03, 0.1)]
    first = runs.submit_batch(configs).launch
    assert first is not None and [r.run_id for r in runs.active] == [1, 2, 3] and runs.batched
    assert runs.current is first and runs.last_config == configs[-1]
    queued = runs.submit_batch(configs[:2])
    assert queued.launch is None and len(runs.queue) == 1 and runs.waiting == 2 == queued.waiting
    assert runs.stop().notice() == "Stopping the sweep's 3 runs #1–#3 and dropped 2 queued run(s)."
    runs.finished(2, outcome(RunStatus.DIVERGED))
    assert [r.run_id for r in runs.active] == [1, 3] and runs.current is first
    runs.finished(1, outcome(RunStatus.STOPPED))
    runs.worker_ended()  # run 3 got no result (a stopped sequential sweep): marked stopped, not left running
    assert [r.status for r in runs.records] == ["stopped", "diverged", "stopped"] and not runs.running


def test_a_rejected_batch_is_forgotten_whole_and_a_failed_one_is_marked_failed() -> None:
    runs = RunQueue()
    runs.submit_batch([TrainConfig(lr=0.1), TrainConfig(lr=0.2)])
    assert runs.rejected(1) == 0 and runs.records == [] and not runs.active
    runs.worker_ended()
    runs.submit_batch([TrainConfig(lr=0.1), TrainConfig(lr=0.2)])
    failed = runs.worker_ended("CUDA out of memory")
    assert failed is not None and [r.status for r in runs.records] == ["failed", "failed"]


def test_a_batch_larger_than_the_plot_keeps_every_run_in_flight() -> None:
    runs = RunQueue(max_runs=3)
    runs.submit([TrainConfig()])
    runs.finished(1, outcome(RunStatus.FINISHED))
    runs.worker_ended()
    runs.submit_batch([TrainConfig(lr=0.01 * i) for i in range(1, 5)])
    assert [r.run_id for r in runs.records] == [2, 3, 4, 5]

"""The Train pane's run queue: which runs exist, which one is running, what starts next.

A plain object (no Textual): the screen asks it what to do and tells it what happened, and a
test drives it directly. It never starts threads or processes itself; :meth:`RunQueue.submit`
and :meth:`RunQueue.next_run` return the record the screen must launch.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui_lab.core.train.config import TrainConfig

if TYPE_CHECKING:  # history needs numpy: imported on the first launch, not when the app starts
    from tui_lab.core.train.history import RunRecord

#: How many runs the plot keeps (the newest ones); equal to ``core.train.history.MAX_RUNS``.
MAX_RUNS = 8


@dataclass(frozen=True)
class Submitted:
    """What :meth:`RunQueue.submit` did: a run to launch now, or runs added to the queue."""

    launch: RunRecord | None
    added: int
    waiting: int
    behind: int | None = None

    def notice(self) -> str:
        """The toast for queued runs; the count is the whole queue, so repeated F6 counts up."""
        runs = "run" if self.waiting == 1 else "runs"
        return (
            f"Queued {self.added}: {self.waiting} {runs} waiting behind #{self.behind}; F7 stops and drops the queue."
        )


@dataclass(frozen=True)
class Stopping:
    """What :meth:`RunQueue.stop` did: the run asked to stop (None if nothing ran) and how many queued runs were dropped."""

    run_id: int | None
    dropped: int

    def notice(self) -> str:
        """The toast for a stop."""
        if self.run_id is None:
            return "Nothing is running." + (f" Dropped {self.dropped} queued run(s)." if self.dropped else "")
        extra = f" and dropped {self.dropped} queued run(s)" if self.dropped else ""
        return f"Stopping run #{self.run_id}{extra}."


class RunQueue:
    """Runs kept for the plot (the newest :data:`MAX_RUNS`), the running one, and the queue behind it."""

    def __init__(self, max_runs: int = MAX_RUNS) -> None:
        self.max_runs = max_runs
        self.records: list[RunRecord] = []
        self.queue: deque[TrainConfig] = deque()
        self.current: RunRecord | None = None
        self.last_config: TrainConfig | None = None
        self.next_id = 1
        #: True from a launch until the screen reports that its worker (thread or process) has ended.
        self.worker_alive = False

    @property
    def running(self) -> bool:
        """True while a run is in flight, until its worker has really returned."""
        return self.current is not None or self.worker_alive

    def record(self, run_id: int) -> RunRecord | None:
        """The kept record with this id."""
        return next((r for r in self.records if r.run_id == run_id), None)

    # -- starting ---------------------------------------------------------------------------

    def submit(self, configs: list[TrainConfig]) -> Submitted:
        """Start the first config now if nothing runs (the rest queue behind it), else queue them all."""
        if not configs:
            return Submitted(None, 0, len(self.queue))
        if self.running:
            self.queue.extend(configs)
            behind = self.current.run_id if self.current is not None else None
            return Submitted(None, len(configs), len(self.queue), behind)
        self.queue.extend(configs[1:])
        return Submitted(self._launch(configs[0]), len(configs) - 1, len(self.queue))

    def next_run(self) -> RunRecord | None:
        """The next queued run to launch, once nothing is running; None otherwise."""
        if self.queue and not self.running:
            return self._launch(self.queue.popleft())
        return None

    def _launch(self, config: TrainConfig) -> RunRecord:
        from tui_lab.core.train.history import RunRecord

        record = RunRecord(self.next_id, config, status="running")
        self.next_id += 1
        self.records = [*self.records, record][-self.max_runs :]
        self.current, self.last_config = record, config
        self.worker_alive = True
        return record

    # -- what happened ----------------------------------------------------------------------

    def progressed(self, run_id: int, progress: Any) -> RunRecord | None:
        """Add a progress snapshot to the current run; None when it belongs to no current run."""
        record = self.current
        if record is None or record.run_id != run_id:
            return None
        record.add_steps(progress.new_step_losses, progress.steps_per_epoch, progress.steps_total)
        record.epoch_losses.extend(progress.epoch_losses)
        return record

    def finished(self, run_id: int, result: Any) -> RunRecord | None:
        """A run ended with a result (finished, stopped, diverged or failed); a failure drops the queue."""
        record = self.record(run_id)
        if record is None:
            return None
        record.finish(result)
        if self.current is record:
            self.current = None
        if result.status == "failed":
            self.queue.clear()
        return record

    def rejected(self, run_id: int) -> int:
        """A run never started (bad data or device): forget it and drop the queue; returns how many were dropped."""
        record = self.record(run_id)
        if record is not None:
            self.records = [r for r in self.records if r is not record]
        if self.current is record:
            self.current = None
        dropped = len(self.queue)
        self.queue.clear()
        return dropped

    def worker_ended(self, error: str | None = None) -> RunRecord | None:
        """The worker returned; with ``error`` (it raised), the current run is marked failed and returned."""
        self.worker_alive = False
        record = self.current
        if error is None or record is None:
            return None
        record.status, record.message = "failed", error
        self.current = None
        self.queue.clear()
        return record

    # -- user actions -------------------------------------------------------------------------

    def stop(self) -> Stopping:
        """Drop the queued runs; the current one (if any) is the screen's to cancel."""
        dropped = len(self.queue)
        self.queue.clear()
        return Stopping(self.current.run_id if self.current is not None else None, dropped)

    def clear(self) -> int:
        """Forget every run except the running one, freeing their histories; returns how many went."""
        gone = [r for r in self.records if r is not self.current]
        for record in gone:
            record.release()
        self.records = [r for r in self.records if r is self.current]
        return len(gone)

    def restore(self, records: list[RunRecord]) -> None:
        """Put finished runs back (from a saved session) before the running one; ids continue after theirs."""
        self.records = [*records, *(r for r in self.records if r is self.current)][-self.max_runs :]
        self.next_id = max([self.next_id - 1, *(r.run_id for r in self.records)]) + 1

    def done_records(self) -> list[RunRecord]:
        """The kept runs that have a result (for export)."""
        return [r for r in self.records if r.result is not None]

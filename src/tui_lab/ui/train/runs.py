"""The Train pane's run queue: which runs exist, which one is running, what starts next.

A plain object (no Textual): the screen asks it what to do and tells it what happened, and a
test drives it directly. It never starts threads or processes itself; :meth:`RunQueue.submit`
and :meth:`RunQueue.next_run` return the record the screen must launch, and :attr:`RunQueue.active`
holds every record that launch carries: one run, or all the runs of a batched learning-rate sweep
(:meth:`RunQueue.submit_batch`), which train together in one worker and end one by one.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.outcome import RunStatus

if TYPE_CHECKING:  # history needs numpy: imported on the first launch, not when the app starts
    from tui_lab.core.train.history import RunRecord
    from tui_lab.core.train.outcome import Progress, TrainingOutcome

#: How many runs the plot keeps (the newest ones); equal to ``core.train.history.MAX_RUNS``.
MAX_RUNS = 8

#: What waits in the queue: one run, or the runs of a batched sweep (launched together).
Queued: TypeAlias = "TrainConfig | tuple[TrainConfig, ...]"


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
    #: Every run the stop reaches (the runs of a batched sweep stop together).
    run_ids: tuple[int, ...] = ()

    def notice(self) -> str:
        """The toast for a stop."""
        if self.run_id is None:
            return "Nothing is running." + (f" Dropped {self.dropped} queued run(s)." if self.dropped else "")
        extra = f" and dropped {self.dropped} queued run(s)" if self.dropped else ""
        if len(self.run_ids) > 1:
            return f"Stopping the sweep's {len(self.run_ids)} runs #{self.run_ids[0]}–#{self.run_ids[-1]}{extra}."
        return f"Stopping run #{self.run_id}{extra}."


class RunQueue:
    """Runs kept for the plot (the newest :data:`MAX_RUNS`), the running one, and the queue behind it."""

    def __init__(self, max_runs: int = MAX_RUNS) -> None:
        self.max_runs = max_runs
        self.records: list[RunRecord] = []
        self.queue: deque[Queued] = deque()
        #: The records the running worker carries that have no result yet, in launch order.
        self.active: list[RunRecord] = []
        #: Every record of the latest launch, kept after they end (a sweep's summary lists them).
        self.launched: list[RunRecord] = []
        #: True while the running worker is a batched sweep (several records in one program).
        self.batched = False
        self.last_config: TrainConfig | None = None
        self.next_id = 1
        #: True from a launch until the screen reports that its worker (thread or process) has ended.
        self.worker_alive = False

    @property
    def current(self) -> RunRecord | None:
        """The first run in flight (the one the numbers follow); None when nothing runs."""
        return self.active[0] if self.active else None

    @property
    def running(self) -> bool:
        """True while a run is in flight, until its worker has really returned."""
        return bool(self.active) or self.worker_alive

    @property
    def waiting(self) -> int:
        """How many runs wait in the queue (a queued sweep counts each of its runs)."""
        return sum(len(item) if isinstance(item, tuple) else 1 for item in self.queue)

    def record(self, run_id: int) -> RunRecord | None:
        """The kept record with this id."""
        return next((r for r in self.records if r.run_id == run_id), None)

    # -- starting ---------------------------------------------------------------------------

    def submit(self, configs: list[TrainConfig]) -> Submitted:
        """Start the first config now if nothing runs (the rest queue behind it), else queue them all."""
        if not configs:
            return Submitted(None, 0, self.waiting)
        if self.running:
            self.queue.extend(configs)
            return Submitted(None, len(configs), self.waiting, self._behind())
        self.queue.extend(configs[1:])
        return Submitted(self._launch(configs[0]), len(configs) - 1, self.waiting)

    def submit_batch(self, configs: list[TrainConfig]) -> Submitted:
        """Runs that train together as one batched program (a sweep): launched now, or queued as one item."""
        if len(configs) < 2:
            return self.submit(configs)
        if self.running:
            self.queue.append(tuple(configs))
            return Submitted(None, len(configs), self.waiting, self._behind())
        return Submitted(self._launch(tuple(configs)), 0, self.waiting)

    def _behind(self) -> int | None:
        return self.current.run_id if self.current is not None else None

    def next_run(self) -> RunRecord | None:
        """The next queued run (the first of a batch: see :attr:`active`) to launch once nothing runs; else None."""
        if self.queue and not self.running:
            return self._launch(self.queue.popleft())
        return None

    def _launch(self, item: Queued) -> RunRecord:
        from tui_lab.core.train.history import RunRecord

        configs = item if isinstance(item, tuple) else (item,)
        launched = [RunRecord(self.next_id + i, config, status=RunStatus.RUNNING) for i, config in enumerate(configs)]
        self.next_id += len(launched)
        kept = [*self.records, *launched]
        overflow = max(0, len(kept) - max(self.max_runs, len(launched)))
        self.records = kept[overflow:]
        self.active, self.launched, self.last_config = launched, list(launched), configs[-1]
        self.batched = len(launched) > 1
        self.worker_alive = True
        return launched[0]

    def active_record(self, run_id: int) -> RunRecord | None:
        """The run in flight with this id."""
        return next((r for r in self.active if r.run_id == run_id), None)

    # -- what happened ----------------------------------------------------------------------

    def progressed(self, run_id: int, progress: Progress) -> RunRecord | None:
        """Add a progress snapshot to the current run; None when it belongs to no current run."""
        record = self.active_record(run_id)
        if record is None:
            return None
        record.add_steps(progress.new_step_losses, progress.steps_per_epoch, progress.steps_total)
        record.epoch_losses.extend(progress.epoch_losses)
        return record

    def finished(self, run_id: int, result: TrainingOutcome) -> RunRecord | None:
        """A run ended with a result (finished, stopped, diverged or failed); a failure drops the queue."""
        record = self.record(run_id)
        if record is None:
            return None
        record.finish(result)
        self.active = [r for r in self.active if r.run_id != record.run_id]
        if result.status == RunStatus.FAILED:
            self.queue.clear()
        return record

    def rejected(self, run_id: int) -> int:
        """A launch never started (bad data or device): forget its runs and drop the queue; returns how many were dropped.

        The runs of a batched sweep share their data and device, so a refusal forgets them all.
        """
        ids = {r.run_id for r in self.active} if self.active_record(run_id) is not None else {run_id}
        self.records = [r for r in self.records if r.run_id not in ids]
        self.active = [r for r in self.active if r.run_id not in ids]
        dropped = self.waiting
        self.queue.clear()
        return dropped

    def worker_ended(self, error: str | None = None) -> RunRecord | None:
        """The worker returned; with ``error`` (it raised), its runs are marked failed and the first returned.

        Without an error, runs it carried that got no result (a sweep stopped before it reached
        them) are marked stopped.
        """
        self.worker_alive = False
        left, self.active, self.batched = self.active, [], False
        for record in left:
            if error is None:
                record.status, record.message = RunStatus.STOPPED, "stopped before it started"
            else:
                record.status, record.message = RunStatus.FAILED, error
        if error is None or not left:
            return None
        self.queue.clear()
        return left[0]

    # -- user actions -------------------------------------------------------------------------

    def stop(self) -> Stopping:
        """Drop the queued runs; the current one (if any) is the screen's to cancel."""
        dropped = self.waiting
        self.queue.clear()
        ids = tuple(r.run_id for r in self.active)
        return Stopping(ids[0] if ids else None, dropped, ids)

    def clear(self) -> int:
        """Forget every run except the running one, freeing their histories; returns how many went."""
        flying = {r.run_id for r in self.active}
        gone = [r for r in self.records if r.run_id not in flying]
        for record in gone:
            record.release()
        self.records = [r for r in self.records if r.run_id in flying]
        return len(gone)

    def restore(self, records: list[RunRecord]) -> None:
        """Put finished runs back (from a saved session) before the running one; ids continue after theirs."""
        flying = {r.run_id for r in self.active}
        self.records = [*records, *(r for r in self.records if r.run_id in flying)][-self.max_runs :]
        self.next_id = max([self.next_id - 1, *(r.run_id for r in self.records)]) + 1

    def done_records(self) -> list[RunRecord]:
        """The kept runs that have a result (for export)."""
        return [r for r in self.records if r.result is not None]

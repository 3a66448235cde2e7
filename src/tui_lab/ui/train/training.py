"""What the Train pane's thread worker does, and the messages it sends back to the screen.

One launch is one worker: a single run (``core.train.runner.run``), a run in several processes
(``core.train.remote.run_processes``), or a batched learning-rate sweep
(``core.train.sweep.run_sweep``: R runs as one program, each with its own progress, guard and
result). The worker touches no widget; it only posts messages (thread-safe).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.outcome import Progress, TrainingOutcome

if TYPE_CHECKING:
    from tui_lab.core.train.data import Lookup


@dataclass
class RunProgressed(Message):
    """A throttled progress snapshot arrived from the training thread."""

    run_id: int
    progress: Progress


@dataclass
class RunFinished(Message):
    """A run ended (finished, stopped, diverged or failed) with its outcome."""

    run_id: int
    result: TrainingOutcome


@dataclass
class RunRejected(Message):
    """A launch never started: its data or device was refused (``field`` is the form field to blame)."""

    run_id: int
    field: str
    message: str


@dataclass
class TrainingEnded(Message):
    """The training thread returned normally, after posting everything it had (a stopped run included)."""

    run_id: int


class ThreadLaunch:
    """The hand-shake between the screen and one training thread.

    Cancelling a thread worker (F7) marks the Worker cancelled at once, while its thread still
    finishes its chunk and posts its results: the screen must wait for :class:`TrainingEnded`, or
    it reports the runs "stopped before it started" and may start the next one beside the old
    thread. Only a worker cancelled before its thread began will never post it; this tells the two
    apart without a race.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started = False
        self._abandoned = False

    def start(self) -> bool:
        """Called first thing in the thread: False when the screen has already given this launch up."""
        with self._lock:
            self._started = not self._abandoned
            return self._started

    def abandon_unless_started(self) -> bool:
        """Called by the screen when the worker was cancelled: True (and the thread will not run) if it had not begun."""
        with self._lock:
            self._abandoned = not self._started
            return self._abandoned


def train_in_thread(
    post: Callable[[Message], object],
    run_ids: Sequence[int],
    configs: Sequence[TrainConfig],
    device: str,
    lookup: Lookup,
    should_stop: Callable[[], bool],
) -> None:
    """Train ``configs`` (several: one batched sweep), post progress and one result per run, then :class:`TrainingEnded`."""
    _train_and_post(post, run_ids, configs, device, lookup, should_stop)
    post(TrainingEnded(run_ids[0]))  # not after a raise: the worker-failure path reports that


def _train_and_post(
    post: Callable[[Message], object],
    run_ids: Sequence[int],
    configs: Sequence[TrainConfig],
    device: str,
    lookup: Lookup,
    should_stop: Callable[[], bool],
) -> None:
    """Train ``configs`` (several: one batched sweep) and post progress and one result per run.

    A refused launch posts :class:`RunRejected` for the first run id. An unexpected error in a
    single run is also a rejection (the app must not go down); in a sweep it propagates, so the
    app's worker-failure handler reports it and the screen marks every run of the sweep failed
    (their curves so far stay in the plot).
    """
    from tui_lab.core.devices import DeviceError
    from tui_lab.core.train.data import DataError

    first = run_ids[0]
    posted: set[int] = set()
    try:
        if len(configs) > 1:
            from tui_lab.core.train import sweep

            def report_run(index: int, progress: Progress) -> None:
                post(RunProgressed(run_ids[index], progress))

            def run_ended(index: int, result: TrainingOutcome) -> None:  # a run that diverges is said at once
                posted.add(run_ids[index])
                post(RunFinished(run_ids[index], result))

            results = sweep.run_sweep(list(configs), device, report_run, should_stop, lookup=lookup, on_end=run_ended)
        else:

            def report(progress: Progress) -> None:
                post(RunProgressed(first, progress))

            config = configs[0]
            if config.processes > 1:
                from tui_lab.core.train.remote import run_processes

                results = [run_processes(config, device, report, should_stop)]
            else:
                from tui_lab.core.train.runner import run

                results = [run(config, device, on_progress=report, should_stop=should_stop, lookup=lookup)]
    except DataError as error:
        post(RunRejected(first, error.field, str(error)))
        return
    except DeviceError as error:
        post(RunRejected(first, "", str(error)))
        return
    except Exception as error:  # a single run must not take the app down
        if len(configs) > 1:
            raise
        post(RunRejected(first, "", f"could not train: {type(error).__name__}: {error}"))
        return
    for run_id, result in zip(run_ids, results, strict=False):  # a stopped sequential sweep returns fewer
        if run_id not in posted:
            post(RunFinished(run_id, result))

"""The one place a run's progress reports and its outcome are made: :class:`RunReporter`.

Every way a run comes to exist records what it measured in a reporter and asks it for
:class:`~tui_lab.core.train.outcome.Progress` and the
:class:`~tui_lab.core.train.outcome.TrainingOutcome`: the single run (``runner``), each run of a
batched sweep (``sweep``), a rank of a data-parallel run (``parallel``), a workspace model
(``model``), a run read from another process (``remote``) and a run restored from a session.
So a new field of the outcome is filled in one place, and the per-step losses of every run are
bounded the same way (:class:`~tui_lab.core.train.history.LossBuffer`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np

from tui_lab.core.train.chunks import PROGRESS_INTERVAL, Clock, default_clock
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.guard import cuda_memory
from tui_lab.core.train.history import LossBuffer
from tui_lab.core.train.outcome import (
    STOPPED_BEFORE_FIRST_STEP,
    LinearFit,
    Progress,
    ProgressCallback,
    RunStatus,
    TrainingOutcome,
)

#: One event of ``--progress-jsonl`` as another process wrote it, decoded from JSON. Any: its values
#: are whatever JSON held; each reader converts the field it takes (``int(...)``, ``_float``) and a
#: malformed one fails the run as a bad event would.
JsonEvent: TypeAlias = dict[str, Any]


class RunReporter:
    """One run's figures as they grow (losses, epochs, samples, chunks, notes), its progress reports and its outcome.

    ``on_progress`` gets a :class:`Progress` at most every ``interval`` seconds of ``clock`` (and
    when forced); without it no per-step loss is kept twice. ``track_new`` keeps the losses of the
    next report anyway (a caller that throttles reports itself, as the batched sweep does).
    """

    def __init__(
        self,
        config: TrainConfig,
        device: str,
        *,
        steps_per_epoch: int = 0,
        on_progress: ProgressCallback | None = None,
        interval: float = PROGRESS_INTERVAL,
        clock: Clock | None = None,
        track_new: bool | None = None,
    ) -> None:
        self.config, self.device, self.steps_per_epoch = config, device, steps_per_epoch
        self.on_progress, self.interval = on_progress, interval
        self.clock = clock or default_clock()
        self.losses = LossBuffer(track_new=on_progress is not None if track_new is None else track_new)
        self.epoch_losses: list[float] = []
        self.initial_loss = math.nan
        self.samples = 0
        self.chunks = 0
        self.notes: list[str] = []
        self.start = self.last_report = self.clock()
        self._sent_epochs = 0

    # -- what the run measured --------------------------------------------------------------

    def begin(self, at: float | None = None) -> None:
        """Training starts (after the preparation): the elapsed time and the throttle count from ``at`` (now)."""
        self.start = self.last_report = self.clock() if at is None else at

    def add_steps(self, losses: Sequence[float] | np.ndarray, samples: int = 0) -> None:
        """Per-step losses of steps that ran, and the samples they took."""
        self.losses.extend(np.asarray(losses, dtype=np.float64))
        self.samples += samples

    def add_epoch(self, loss: float) -> None:
        """An epoch's full-data loss."""
        self.epoch_losses.append(loss)

    @property
    def elapsed(self) -> float:
        """Seconds of the clock since :meth:`begin`."""
        return self.clock() - self.start

    # -- progress ----------------------------------------------------------------------------

    def due(self) -> bool:
        """True when someone listens and ``interval`` has passed since the last report."""
        return self.on_progress is not None and self.clock() - self.last_report >= self.interval

    def progress(self, theta: Sequence[float] | None = None, *, now: float | None = None) -> Progress:
        """What changed since the previous report and where the run stands; ``theta`` is [w…, b] (None: a model)."""
        now = self.clock() if now is None else now
        elapsed = now - self.start
        done, total = self.losses.count, self.steps_per_epoch * self.config.epochs
        values = [] if theta is None else list(theta)
        progress = Progress(
            epoch=min(len(self.epoch_losses) + 1, self.config.epochs),
            epochs=self.config.epochs,
            step=done,
            steps_total=total,
            steps_per_epoch=self.steps_per_epoch,
            new_step_losses=self.losses.take_new(),
            epoch_losses=tuple(self.epoch_losses[self._sent_epochs :]),
            w=tuple(values[:-1]),
            b=values[-1] if values else math.nan,
            elapsed=elapsed,
            samples_per_s=self.samples / elapsed if elapsed > 0 else 0.0,
            eta=elapsed * (total - done) / done if done else None,
            cuda_memory=cuda_memory(self.device),
        )
        self._sent_epochs = len(self.epoch_losses)
        return progress

    def report(self, theta: Sequence[float] | None = None, *, force: bool = False) -> None:
        """Hand ``on_progress`` a :meth:`progress` when one is :meth:`due` (or ``force``)."""
        if self.on_progress is None:
            return
        now = self.clock()
        if not force and now - self.last_report < self.interval:
            return
        self.last_report = now
        self.on_progress(self.progress(theta, now=now))

    # -- the outcome -------------------------------------------------------------------------

    def outcome(
        self,
        status: RunStatus,
        message: str,
        *,
        fit: LinearFit | None = None,
        seconds: float | None = None,
        samples: int | None = None,
        diverged_at: tuple[int, int] | None = None,
        artifacts: dict[str, object] | None = None,
        peak_cuda_memory: int | None = None,
        graph_steps: int = 0,
        curve: tuple[np.ndarray, int] | None = None,
    ) -> TrainingOutcome:
        """How the run ended, from what it recorded; ``curve`` (losses, bucket) replaces the recorded per-step losses.

        ``seconds`` defaults to the time since :meth:`begin`, ``samples`` to the samples recorded.
        """
        step_losses, bucket = curve if curve is not None else (self.losses.values(), self.losses.bucket)
        return TrainingOutcome(
            config=self.config,
            device=self.device,
            status=status,
            message=message,
            step_losses=step_losses,
            epoch_losses=tuple(self.epoch_losses),
            initial_loss=self.initial_loss,
            seconds=self.elapsed if seconds is None else seconds,
            samples=self.samples if samples is None else samples,
            steps_per_epoch=self.steps_per_epoch,
            fit=fit,
            diverged_at=diverged_at,
            artifacts={} if artifacts is None else artifacts,
            notes=tuple(self.notes),
            peak_cuda_memory=peak_cuda_memory,
            chunks=self.chunks,
            graph_steps=graph_steps,
            step_bucket=bucket,
        )


def stopped_before_first_step(config: TrainConfig, device: str, seconds: float) -> TrainingOutcome:
    """The outcome of a run stopped while it prepared: no step, nothing learned, nothing to publish."""
    return RunReporter(config, device).outcome(RunStatus.STOPPED, STOPPED_BEFORE_FIRST_STEP, seconds=seconds)


def linear_fit(
    theta: Sequence[float],
    *,
    true_w: tuple[float, ...] | None,
    true_b: float | None,
    closed: Sequence[float] | None = None,
    closed_loss: float | None = None,
) -> LinearFit:
    """The fit of parameters [w…, b], with the data's truth and the closed form's [w…, b] and loss."""
    values = [float(v) for v in theta]
    solved = None if closed is None else [float(v) for v in closed]
    return LinearFit(
        w=tuple(values[:-1]),
        b=values[-1],
        true_w=true_w,
        true_b=true_b,
        closed_w=None if solved is None else tuple(solved[:-1]),
        closed_b=None if solved is None else solved[-1],
        closed_loss=closed_loss,
    )


def linear_artifacts(theta: Sequence[float]) -> dict[str, object]:
    """What a linear run publishes: ``w`` and ``b`` as tensors."""
    import torch

    values = [float(v) for v in theta]
    return {"w": torch.tensor(values[:-1]), "b": torch.tensor(values[-1])}


def progress_from_event(event: JsonEvent) -> Progress:
    """A ``progress`` event of ``--progress-jsonl`` (another process's run) as a :class:`Progress`."""
    return Progress(
        epoch=int(event["epoch"]),
        epochs=int(event["epochs"]),
        step=int(event["step"]),
        steps_total=int(event["steps_total"]),
        steps_per_epoch=int(event["steps_per_epoch"]),
        new_step_losses=np.asarray(event.get("new_step_losses") or [], dtype=np.float32),
        epoch_losses=tuple(float(v) for v in event.get("epoch_losses") or ()),
        w=tuple(float(v) for v in event.get("w") or ()),
        b=_float(event.get("b")),
        elapsed=float(event.get("elapsed") or 0.0),
        samples_per_s=float(event.get("samples_per_s") or 0.0),
        eta=event.get("eta"),
        cuda_memory=event.get("cuda_memory"),
    )


def _float(value: float | str | None) -> float:
    return math.nan if value is None else float(value)


__all__ = [
    "JsonEvent", "RunReporter", "linear_artifacts", "linear_fit", "progress_from_event", "stopped_before_first_step",
]  # fmt: skip

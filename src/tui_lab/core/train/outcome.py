"""How a training run stands and how it ended: the plain types every engine, the pane and the CLI share.

A leaf of the Train room, importing neither torch nor numpy: the Train pane's screen reads
:class:`RunStatus` when it is imported, before torch has loaded. Outcomes and progress reports
are made in one place, :class:`tui_lab.core.train.report.RunReporter`.

- :class:`RunStatus`: queued, running, then finished, stopped, diverged or failed. The values are
  what sessions, ``--json``, ``--progress-jsonl`` and the exports write.
- :class:`Progress`: a throttled snapshot of a running run.
- :class:`TrainingOutcome`: how any run ended (status, curves, timing, device, notes, memory,
  chunks), with a :class:`LinearFit` when the model was the course's line y = Xw + b.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from tui_lab.core.train.config import TrainConfig

if TYPE_CHECKING:
    import numpy as np

#: What a run stopped while it was still preparing says.
STOPPED_BEFORE_FIRST_STEP = "stopped before the first step"


class RunStatus(str, Enum):
    """Where a run stands; ``str(status)`` and JSON give its value (``"finished"``)."""

    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    FAILED = "failed"

    def __str__(self) -> str:
        return str(self.value)

    @property
    def ended(self) -> bool:
        """True once the run can no longer change (finished, stopped, diverged or failed)."""
        return self not in (RunStatus.QUEUED, RunStatus.RUNNING)


@dataclass(frozen=True, eq=False)
class Progress:
    """A throttled snapshot of a run: what changed since the previous one, and where it stands.

    ``w`` and ``b`` are the line's parameters now (``()`` and NaN for a workspace model).
    """

    epoch: int
    epochs: int
    step: int
    steps_total: int
    steps_per_epoch: int
    new_step_losses: np.ndarray
    epoch_losses: tuple[float, ...]
    w: tuple[float, ...]
    b: float
    elapsed: float
    samples_per_s: float
    eta: float | None
    cuda_memory: int | None = None


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class LinearFit:
    """The line a linear run learned, with the truth it is measured against and the closed form's answer."""

    w: tuple[float, ...]
    b: float
    #: The parameters the data was made with (synthetic data); None for data without a truth.
    true_w: tuple[float, ...] | None = None
    true_b: float | None = None
    #: The closed-form solution on the same data, and its loss.
    closed_w: tuple[float, ...] | None = None
    closed_b: float | None = None
    closed_loss: float | None = None

    @property
    def w_error(self) -> tuple[float, ...] | None:
        """true w − learned w, as the course prints it; None for data without a truth."""
        if self.true_w is None or len(self.true_w) != len(self.w):
            return None
        return tuple(t - v for t, v in zip(self.true_w, self.w, strict=True))

    @property
    def b_error(self) -> float | None:
        """true b − learned b; None for data without a truth."""
        return None if self.true_b is None else self.true_b - self.b


@dataclass(frozen=True, eq=False)
class TrainingOutcome:
    """How a run ended: its status and curves, how long it took where, and what it learned."""

    config: TrainConfig
    device: str
    status: RunStatus
    message: str
    step_losses: np.ndarray
    epoch_losses: tuple[float, ...]
    initial_loss: float
    seconds: float
    samples: int
    steps_per_epoch: int
    #: The learned line and its comparisons (None for a workspace model, or a run that never stepped).
    fit: LinearFit | None = None
    diverged_at: tuple[int, int] | None = None
    #: What the run publishes to the workspace (``w``, ``b``; a trained module and its original).
    artifacts: dict[str, object] = field(default_factory=dict)
    #: What the learner should know about how the run was executed (eager fallbacks, CPU solves).
    notes: tuple[str, ...] = ()
    #: torch.cuda.max_memory_allocated over the run, in bytes (None off CUDA).
    peak_cuda_memory: int | None = None
    #: Chunks the steps ran in (how often ``should_stop`` was polled), and the captured graph's length.
    chunks: int = 0
    graph_steps: int = 0
    #: Steps averaged by each value of ``step_losses`` (1 while the run is within ``history.LOSS_CAP`` steps).
    step_bucket: int = 1

    @property
    def samples_per_s(self) -> float:
        """Training throughput (samples processed per second of training)."""
        return self.samples / self.seconds if self.seconds > 0 else 0.0

    @property
    def final_loss(self) -> float | None:
        """The last full-data loss."""
        return self.epoch_losses[-1] if self.epoch_losses else None

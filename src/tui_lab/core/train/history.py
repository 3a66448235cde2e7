"""The history of training runs: curves that grow with progress, downsampling, export.

The Train pane keeps one :class:`RunRecord` per run. Drawing never walks the whole history:
``curve`` smooths and bucket-averages the per-step losses down to a fixed number of points,
in numpy, so a redraw costs the same at 1k or 1M steps.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tui_lab.core.train.config import TrainConfig

#: How many runs the plot keeps (the newest ones).
MAX_RUNS = 8


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over ``window`` values (shorter at the start), via a cumulative sum."""
    if window <= 1 or len(values) == 0:
        return values.astype(np.float64, copy=True)
    sums = np.cumsum(np.concatenate([[0.0], values]))
    index = np.arange(1, len(values) + 1)
    lower = np.maximum(index - window, 0)
    return (sums[index] - sums[lower]) / (index - lower)


def downsample(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` points: the means of equal buckets (unchanged if already short)."""
    n = len(y)
    if n <= max_points or max_points <= 0:
        return x, y
    edges = np.linspace(0, n, max_points + 1).astype(np.int64)
    starts = edges[:-1]
    counts = np.diff(edges)
    return np.add.reduceat(x, starts) / counts, np.add.reduceat(y, starts) / counts


class BucketedSeries:
    """Per-step losses kept as means of fixed-size buckets (at most ``resolution`` of them).

    The bucket size follows from the run's total step count, so appending is O(new values)
    and a curve never touches more than ``resolution`` numbers, however long the run.
    """

    def __init__(self, total_steps: int, resolution: int = 4096) -> None:
        self.bucket = max(1, -(-total_steps // resolution))
        self.count = 0
        self._means: list[np.ndarray] = []
        self._pending = np.zeros(0)

    def extend(self, values: np.ndarray) -> None:
        """Append new per-step values."""
        if len(values) == 0:
            return
        self.count += len(values)
        pending = np.concatenate([self._pending, np.asarray(values, dtype=np.float64)])
        full = len(pending) // self.bucket * self.bucket
        if full:
            self._means.append(pending[:full].reshape(-1, self.bucket).mean(axis=1))
        self._pending = pending[full:]

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """(step position of each bucket's centre, bucket mean), the partial last bucket included."""
        means = np.concatenate(
            [*self._means, self._pending.mean(keepdims=True)] if len(self._pending) else self._means or [np.zeros(0)]
        )
        if len(self._means) > 1:
            self._means = [np.concatenate(self._means)]
        sizes = np.full(len(means), float(self.bucket))
        if len(self._pending):
            sizes[-1] = len(self._pending)
        centres = np.arange(len(means)) * self.bucket + (sizes + 1) / 2
        return centres, means


@dataclass
class RunRecord:
    """One run as the pane sees it: filled by progress messages, then completed by the result."""

    run_id: int
    config: TrainConfig
    status: str = "queued"
    steps_per_epoch: int = 0
    epoch_losses: list[float] = field(default_factory=list)
    message: str = ""
    result: Any = None  # RunResult, kept untyped so this module never needs torch
    _series: BucketedSeries | None = None

    @property
    def label(self) -> str:
        """Legend text: ``#3 concise sgd lr=0.03 B=10``."""
        return f"#{self.run_id} {self.config.label()}"

    @property
    def steps(self) -> int:
        """How many per-step losses have arrived."""
        return 0 if self._series is None else self._series.count

    def add_steps(self, losses: np.ndarray, steps_per_epoch: int, total_steps: int | None = None) -> None:
        """Append per-step losses that arrived with a progress message."""
        self.steps_per_epoch = steps_per_epoch
        if self._series is None:
            self._series = BucketedSeries(total_steps or steps_per_epoch * self.config.epochs)
        self._series.extend(losses)

    def finish(self, result: Any) -> None:
        """Take the final curves and status from a RunResult."""
        self.result = result
        self.status = result.status
        self.message = result.message
        self.steps_per_epoch = result.steps_per_epoch
        self.epoch_losses = list(result.epoch_losses)
        self._series = None
        self.add_steps(result.step_losses, result.steps_per_epoch, result.steps_per_epoch * result.config.epochs)

    def step_curve(self, max_points: int) -> tuple[np.ndarray, np.ndarray]:
        """Smoothed per-step loss against epochs (x = fraction of epochs done), at most ``max_points``."""
        if self._series is None or self._series.count == 0 or self.steps_per_epoch <= 0:
            return np.zeros(0), np.zeros(0)
        steps, means = self._series.points()
        smooth = moving_average(means, max(1, min(50, len(means) // 20)))
        return downsample(steps / self.steps_per_epoch, smooth, max_points)

    def epoch_curve(self) -> tuple[list[float], list[float]]:
        """Per-epoch full-data losses at x = 1, 2, …"""
        return [float(i) for i in range(1, len(self.epoch_losses) + 1)], list(self.epoch_losses)


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value


def run_summary(record: RunRecord) -> dict[str, Any]:
    """One run as a JSON-ready dict: config, status, curves, parameters, errors, speed."""
    result = record.result
    summary: dict[str, Any] = {
        "run": record.run_id,
        "label": record.config.label(),
        "status": record.status,
        "message": record.message,
        "config": record.config.to_dict(),
        "epoch_losses": [_number(v) for v in record.epoch_losses],
    }
    if result is not None:
        summary.update(
            device=result.device,
            w=list(result.w),
            b=result.b,
            w_error=None if result.w_error is None else list(result.w_error),
            b_error=result.b_error,
            closed_form={"w": list(result.closed_w or ()), "b": result.closed_b, "loss": _number(result.closed_loss)},
            seconds=result.seconds,
            samples_per_s=result.samples_per_s,
            diverged_at=result.diverged_at and list(result.diverged_at),
        )
    return summary


def runs_to_json(records: list[RunRecord]) -> str:
    """The run history as a JSON document."""
    return json.dumps({"runs": [run_summary(r) for r in records]}, indent=2)


CSV_COLUMNS = (
    "run", "impl", "optimizer", "loss_fn", "lr", "batch_size", "epochs", "status", "epoch", "loss",
    "w", "b", "w_error_max", "b_error", "seconds", "samples_per_s",
)  # fmt: skip


def runs_to_csv(records: list[RunRecord]) -> str:
    """The run history as tidy CSV: one row per (run, epoch), run-level columns repeated."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        cfg, result = record.config, record.result
        w = b = w_err = b_err = seconds = rate = ""
        if result is not None:
            w = " ".join(f"{v:.6g}" for v in result.w)
            b = f"{result.b:.6g}"
            if result.w_error is not None:
                w_err = f"{max(abs(e) for e in result.w_error):.6g}"
                b_err = f"{result.b_error:.6g}"
            seconds, rate = f"{result.seconds:.6g}", f"{result.samples_per_s:.6g}"
        common = [record.run_id, cfg.impl, cfg.optimizer, cfg.loss, cfg.lr, cfg.batch_size, cfg.epochs, record.status]
        rows: list[tuple[Any, Any]] = list(enumerate(record.epoch_losses, start=1)) or [("", "")]
        for epoch, loss in rows:
            writer.writerow([*common, epoch, loss, w, b, w_err, b_err, seconds, rate])
    return out.getvalue()

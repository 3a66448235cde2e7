"""The history of training runs: curves that grow with progress, downsampling, export.

The Train pane keeps one :class:`RunRecord` per run. Drawing never walks the whole history:
``curve`` smooths and bucket-averages the per-step losses down to a fixed number of points,
in numpy, so a redraw costs the same at 1k or 1M steps.

Memory per run is bounded whatever its length: the runner keeps per-step losses in a
:class:`LossBuffer` (float32, exact up to ``LOSS_CAP`` = 65,536 steps, then averaged in
buckets that double in size: at most 256 KiB), and a record's curve is a
:class:`BucketedSeries` of at most 4,096 bucket means (32 KiB). Clearing the records frees both.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.outcome import RunStatus, TrainingOutcome

#: How many runs the plot keeps (the newest ones).
MAX_RUNS = 8
#: Per-step losses a run keeps exactly; beyond this, neighbouring buckets are averaged (float32: 256 KiB).
LOSS_CAP = 1 << 16


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over ``window`` values (shorter at the start), via a cumulative sum."""
    if window <= 1 or len(values) == 0:
        return values.astype(np.float64, copy=True)
    sums = np.cumsum(np.concatenate([[0.0], values]))
    index = np.arange(1, len(values) + 1)
    lower = np.maximum(index - window, 0)
    means: np.ndarray = (sums[index] - sums[lower]) / (index - lower)
    return means


def downsample(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` points: the means of equal buckets (unchanged if already short)."""
    n = len(y)
    if n <= max_points or max_points <= 0:
        return x, y
    edges = np.linspace(0, n, max_points + 1).astype(np.int64)
    starts = edges[:-1]
    counts = np.diff(edges)
    return np.add.reduceat(x, starts) / counts, np.add.reduceat(y, starts) / counts


class LossBuffer:
    """Per-step losses in at most ``cap`` float32 numbers: exact at first, then bucket means.

    While the run is shorter than ``cap`` steps every loss is kept as it is (``bucket == 1``).
    When the buffer fills, neighbouring buckets are averaged in pairs and the bucket size doubles,
    so memory stays ``4 × cap`` bytes however long the run, and each stored value is the exact
    mean of ``bucket`` consecutive steps (the newest, still filling, is kept apart as a sum).
    """

    def __init__(self, cap: int = LOSS_CAP, *, track_new: bool = False) -> None:
        if cap < 2:
            raise ValueError("cap must be at least 2")
        self.cap = cap
        #: With ``track_new``, values appended since the last :meth:`take_new` are kept for a progress report.
        self._new: list[np.ndarray] | None = [] if track_new else None
        self.bucket = 1
        self.count = 0
        self._means = np.empty(cap, dtype=np.float32)
        self._stored = 0
        self._partial_sum = 0.0
        self._partial_n = 0

    def __len__(self) -> int:
        return self.count

    @property
    def nbytes(self) -> int:
        """Bytes held for the losses (the bound: ``4 × cap``)."""
        return int(self._means.nbytes)

    def extend(self, values: np.ndarray | list[float]) -> None:
        """Append per-step losses (any length)."""
        data = np.asarray(values, dtype=np.float64).reshape(-1)
        if len(data) == 0:
            return
        self.count += len(data)
        if self._new is not None:
            self._new.append(data.astype(np.float32))
        start, done = 0, []
        if self._partial_n:
            take = min(self.bucket - self._partial_n, len(data))
            self._partial_sum += float(data[:take].sum())
            self._partial_n += take
            start = take
            if self._partial_n == self.bucket:
                done.append(np.array([self._partial_sum / self.bucket]))
                self._partial_sum, self._partial_n = 0.0, 0
        rest = data[start:]
        full = len(rest) // self.bucket * self.bucket
        if full:
            done.append(rest[:full].reshape(-1, self.bucket).mean(axis=1))
        tail = rest[full:]
        if len(tail):  # the partial bucket was empty or just completed: the tail starts a new one
            self._partial_sum, self._partial_n = float(tail.sum()), len(tail)
        if done:
            self._store(np.concatenate(done))

    def _store(self, means: np.ndarray) -> None:
        """Append complete bucket means, halving the resolution as often as needed to stay within ``cap``."""
        if self._stored + len(means) <= self.cap:
            self._means[self._stored : self._stored + len(means)] = means
            self._stored += len(means)
            return
        sequence = np.concatenate([self._means[: self._stored].astype(np.float64), means])
        while len(sequence) > self.cap:
            if len(sequence) % 2:  # the odd last bucket joins the partial one: both fall in the same new bucket
                self._partial_sum += float(sequence[-1]) * self.bucket
                self._partial_n += self.bucket
                sequence = sequence[:-1]
            sequence = sequence.reshape(-1, 2).mean(axis=1)
            self.bucket *= 2
        self._means[: len(sequence)] = sequence
        self._stored = len(sequence)

    def take_new(self) -> np.ndarray:
        """The values appended since the previous call (float32), then forgets them."""
        if not self._new:
            return np.zeros(0, dtype=np.float32)
        new = np.concatenate(self._new)
        self._new.clear()
        return new

    def values(self) -> np.ndarray:
        """The stored bucket means (float32), the partial last bucket's mean included."""
        stored: np.ndarray = self._means[: self._stored].copy()
        if not self._partial_n:
            return stored
        means: np.ndarray = np.append(stored, np.float32(self._partial_sum / self._partial_n))
        return means

    def weights(self) -> np.ndarray:
        """How many steps each of :meth:`values` averages."""
        sizes = np.full(self._stored + (1 if self._partial_n else 0), self.bucket, dtype=np.int64)
        if self._partial_n:
            sizes[-1] = self._partial_n
        return sizes


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

    @classmethod
    def of_means(cls, means: np.ndarray, bucket: int, total_steps: int) -> BucketedSeries:
        """A series holding ``means`` already taken over buckets of ``bucket`` steps (a finished run's curve).

        Nothing is expanded back to steps, so the memory is that of ``means`` whatever ``bucket`` claims
        (a session may claim 2**62: ``np.repeat`` by it crashed the process).
        """
        series = cls(total_steps)
        series.bucket = max(1, bucket)
        kept = np.asarray(means, dtype=np.float64)
        if kept.size:
            series._means = [kept]
        series.count = min(len(kept) * series.bucket, max(total_steps, len(kept)))
        return series

    def extend(self, values: np.ndarray) -> None:
        """Append new per-step values."""
        if len(values) == 0:
            return
        self.count += len(values)
        pending = np.concatenate([self._pending, np.asarray(values, dtype=np.float64)])
        full = len(pending) // self.bucket * self.bucket
        if full:
            self._means.append(pending[:full].reshape(-1, self.bucket).mean(axis=1))
            if len(self._means) > 64:  # one array, not one per progress message: bounded overhead
                self._means = [np.concatenate(self._means)]
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
    status: RunStatus = RunStatus.QUEUED
    steps_per_epoch: int = 0
    epoch_losses: list[float] = field(default_factory=list)
    message: str = ""
    result: TrainingOutcome | None = None
    #: The shape of workspace data when the run started (``1460×330``): names alone do not tell two datasets apart.
    data_shape: str = ""
    _series: BucketedSeries | None = None

    @property
    def label(self) -> str:
        """Legend text: ``#3 concise sgd lr=0.03 B=10``."""
        return f"#{self.run_id} {self.config.label()}"

    def legend_parts(self) -> list[str]:
        """What could tell this run from others in a legend: the config's parts, and the data's shape.

        Two runs on workspace tensors named ``X``, ``y`` (house_tiny, then the Kaggle data loaded over
        it) have the same config: ``X 1460×330`` against ``X 4×3`` tells them apart.
        """
        parts = self.config.legend_parts()
        if self.data_shape and self.config.data == "workspace":
            parts.append(f"{self.config.x_name} {self.data_shape}")
        return parts

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

    def finish(self, result: TrainingOutcome) -> None:
        """Take the final curves and status from the run's outcome.

        The result's per-step losses replace the curve built from progress when they are exact
        (``step_bucket == 1``); bucketed ones only fill a curve that no progress message started.
        """
        self.result = result
        self.status = result.status
        self.message = result.message
        self.steps_per_epoch = result.steps_per_epoch
        self.epoch_losses = list(result.epoch_losses)
        bucket = result.step_bucket
        total = result.steps_per_epoch * result.config.epochs
        if bucket == 1:
            self._series = None
            self.add_steps(result.step_losses, result.steps_per_epoch, total)
        elif self._series is None:
            self._series = BucketedSeries.of_means(np.asarray(result.step_losses, dtype=np.float64), bucket, total)

    def release(self) -> None:
        """Drop what a finished run no longer needs (the curve stays): published objects, per-step losses."""
        if self.result is not None:
            self.result.artifacts.clear()

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


def run_summary(record: RunRecord) -> dict[str, object]:
    """One run as a JSON-ready dict: config, status, curves, parameters, errors, speed."""
    result = record.result
    summary: dict[str, object] = {
        "run": record.run_id,
        "label": record.config.label(),
        "status": record.status,
        "message": record.message,
        "config": record.config.to_dict(),
        "epoch_losses": [_number(v) for v in record.epoch_losses],
    }
    if result is not None:
        fit = result.fit
        summary.update(
            device=result.device,
            w=[] if fit is None else list(fit.w),
            b=_number(math.nan if fit is None else fit.b),
            w_error=None if fit is None or fit.w_error is None else list(fit.w_error),
            b_error=None if fit is None else fit.b_error,
            closed_form={
                "w": list(fit.closed_w or ()) if fit is not None else [],
                "b": None if fit is None else fit.closed_b,
                "loss": None if fit is None else _number(fit.closed_loss),
            },
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
            fit = result.fit
            if fit is not None:
                w = " ".join(f"{v:.6g}" for v in fit.w)
                b = f"{fit.b:.6g}" if math.isfinite(fit.b) else ""
                if fit.w_error is not None and fit.b_error is not None:
                    w_err = f"{max(abs(e) for e in fit.w_error):.6g}"
                    b_err = f"{fit.b_error:.6g}"
            seconds, rate = f"{result.seconds:.6g}", f"{result.samples_per_s:.6g}"
        common = [record.run_id, cfg.impl, cfg.optimizer, cfg.loss, cfg.lr, cfg.batch_size, cfg.epochs, record.status]
        rows: list[tuple[int | str, float | str]] = list(enumerate(record.epoch_losses, start=1)) or [("", "")]
        for epoch, loss in rows:
            writer.writerow([*common, epoch, loss, w, b, w_err, b_err, seconds, rate])
    return out.getvalue()


def export_runs(records: list[RunRecord], stem: Path) -> tuple[Path, Path]:
    """Write the run history as ``stem``.csv and ``stem``.json (each atomically); returns both paths."""
    from tui_lab.core.fileio import atomic_write_text

    return atomic_write_text(stem.with_suffix(".csv"), runs_to_csv(records)), atomic_write_text(
        stem.with_suffix(".json"), runs_to_json(records)
    )

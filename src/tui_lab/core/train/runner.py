"""Run one training configuration on a device, reporting throttled progress.

``run(config, device, on_progress, should_stop)`` is the engine behind both the Train pane (in a
thread worker) and ``tui-lab train``. Its preparation (data, initial loss, the closed form, the
engine, the first permutation) runs while ``should_stop`` is polled every 10 ms; then steps run in
chunks sized from the clock, the first one step long (:mod:`tui_lab.core.train.chunks`). Each chunk
gathers its own shuffled rows (no shuffled copy, no O(N) pause between epochs) and ends with one
device sync that checks its losses (the divergence guard), polls ``should_stop`` and, at most every
``progress_interval`` seconds, calls ``on_progress``. So a stop is seen at any moment before the
first step, right after it, and at least every ~50 ms after that, on every engine and device.

On CUDA, once the chunk size has settled, one chunk of whole steps is captured in a CUDA graph and
replayed (:mod:`tui_lab.core.train.graphs`); capture counts as a chunk. What cannot be captured runs
eagerly (the short last batch of an epoch, an update with host-side state): ``notes`` say so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from tui_lab.core.devices import resolve_device
from tui_lab.core.train.chunks import (
    CHUNK_SAMPLES,
    CHUNK_SECONDS,
    CHUNK_STEPS,
    PROGRESS_INTERVAL,
    Checkpoint,
    Clock,
    StoppedBeforeFirstStep,
    default_clock,
    next_chunk_size,
    unless_stopped,
)
from tui_lab.core.train.closed import ClosedSolution, solve
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.data import Dataset, load_dataset
from tui_lab.core.train.graphs import ChunkGraph
from tui_lab.core.train.guard import (
    BLOWUP_FACTOR,
    cuda_memory,
    divergence_message,
    explain_failure,
    first_bad,
    peak_cuda_memory,
)
from tui_lab.core.train.history import LossBuffer
from tui_lab.core.train.impls import ENGINES, Engine, augment, full_loss, initial_params

#: The chunk sizer's and the guard's names stay importable from here (they moved to ``chunks`` and ``guard``).
__all__ = [
    "BLOWUP_FACTOR", "CHUNK_SAMPLES", "CHUNK_SECONDS", "CHUNK_STEPS", "PROGRESS_INTERVAL", "STOPPED_BEFORE_FIRST_STEP",
    "Progress", "ProgressCallback", "RunResult", "cuda_memory", "divergence_message", "explain_failure", "first_bad",
    "next_chunk_size", "peak_cuda_memory", "run", "stopped_before_first_step",
]  # fmt: skip

#: What a run stopped while it was still preparing says.
STOPPED_BEFORE_FIRST_STEP = "stopped before the first step"


@dataclass(frozen=True, eq=False)
class Progress:
    """A throttled snapshot of a run: what changed since the previous one, and where it stands."""

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


@dataclass(frozen=True, eq=False)
class RunResult:
    """How a run ended, with its curves, parameters, errors and speed."""

    config: TrainConfig
    device: str
    status: str  # finished | stopped | diverged | failed
    message: str
    step_losses: np.ndarray
    epoch_losses: tuple[float, ...]
    initial_loss: float
    w: tuple[float, ...]
    b: float
    true_w: tuple[float, ...] | None
    true_b: float | None
    closed_w: tuple[float, ...] | None
    closed_b: float | None
    closed_loss: float | None
    seconds: float
    samples: int
    steps_per_epoch: int
    diverged_at: tuple[int, int] | None = None
    artifacts: dict[str, Any] = field(default_factory=dict)
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


ProgressCallback = Callable[[Progress], None]


def _never() -> bool:
    return False


def run(
    config: TrainConfig,
    device: str = "cpu",
    on_progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] = _never,
    *,
    dataset: Dataset | None = None,
    lookup: Callable[[str, Any], Any] | None = None,
    progress_interval: float = PROGRESS_INTERVAL,
    use_cuda_graphs: bool = True,
    clock: Clock | None = None,
) -> RunResult:
    """Train ``config`` on ``device``; raises DeviceError/DataError for bad input, returns failures otherwise.

    ``clock`` (``time.perf_counter`` by default) times the chunks, the progress reports and the run.
    """
    device = resolve_device(device)
    clock = clock or default_clock()
    if config.impl == "model":  # a workspace nn.Module: its own loop (core/train/model.py)
        from tui_lab.core.train.model import train_model

        return train_model(config, device, on_progress, should_stop, dataset=dataset, lookup=lookup, clock=clock)
    began = clock()

    def prepare(checkpoint: Checkpoint) -> _Trainer | RunResult:
        data = dataset if dataset is not None else load_dataset(config, lookup, device)
        checkpoint()
        if device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats(device)
        try:
            trainer = _Trainer(
                config, device, data, on_progress, should_stop, progress_interval, use_cuda_graphs, clock
            )
            trainer.prepare(checkpoint)
            return trainer
        except (RuntimeError, MemoryError) as error:
            return _failed(config, device, data, explain_failure(error, device))

    try:
        prepared = unless_stopped(prepare, should_stop)
    except StoppedBeforeFirstStep:
        return stopped_before_first_step(config, device, clock() - began)
    if isinstance(prepared, RunResult):
        return prepared
    try:
        return prepared.train()
    except (RuntimeError, MemoryError) as error:
        return _failed(config, device, prepared.data, explain_failure(error, device))


def stopped_before_first_step(config: TrainConfig, device: str, seconds: float) -> RunResult:
    """The result of a run stopped while it prepared: no step, nothing learned, nothing to publish."""
    return RunResult(
        config, device, "stopped", STOPPED_BEFORE_FIRST_STEP, np.zeros(0), (), math.nan, (), math.nan, None, None,
        None, None, None, seconds, 0, 0,
    )  # fmt: skip


def _failed(config: TrainConfig, device: str, data: Dataset, message: str) -> RunResult:
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    d = data.d
    return RunResult(
        config, device, "failed", message, np.zeros(0), (), math.nan, (0.0,) * d, 0.0, data.true_w, data.true_b,
        None, None, None, 0.0, 0, 0,
    )  # fmt: skip


class _Trainer:
    """One run's state: data on the device, the engine, the loss history."""

    def __init__(
        self,
        config: TrainConfig,
        device: str,
        data: Dataset,
        on_progress: ProgressCallback | None,
        should_stop: Callable[[], bool],
        interval: float,
        use_cuda_graphs: bool,
        clock: Clock,
    ) -> None:
        self.config, self.device, self.data, self.clock = config, device, data, clock
        self.on_progress, self.should_stop, self.interval = on_progress, should_stop, interval
        self.X = data.X.to(device)
        self.y = data.y.to(device)
        self.steps_per_epoch = math.ceil(data.n / config.batch_size)
        self.step_losses = LossBuffer(track_new=on_progress is not None)  # bounded: float32, bucketed beyond a cap
        self.epoch_losses: list[float] = []
        self.sent_steps = 0
        self.sent_epochs = 0
        self.use_graphs = use_cuda_graphs and device.startswith("cuda")
        self.chunk_graph = ChunkGraph(device, config.batch_size)
        self.capture_at = 0  # the chunk length to capture once growth has settled (0: not yet)
        self.chunks = 0
        self.notes: list[str] = []
        self.solution: ClosedSolution | None = None
        self.engine: Engine | None = None
        self.gen = torch.Generator(device=device).manual_seed(config.seed)
        self.first_perm = torch.empty(0)
        self.X_engine = self.X  # [X, 1] for an engine that wants it (made in prepare)

    # -- the run ------------------------------------------------------------------------

    def prepare(self, checkpoint: Checkpoint) -> None:
        """Everything before the first step (the caller polls for a stop meanwhile): O(N) work and slow imports."""
        cfg, data = self.config, self.data
        theta0 = initial_params(data.d, cfg, self.device)
        self.initial_loss = full_loss(self.X, self.y, theta0, cfg)
        self.limit = BLOWUP_FACTOR * max(self.initial_loss, 1e-8)
        checkpoint()
        began = self.clock()
        self.solution = solve(self.X, self.y)  # the answer (closed), or the comparison: a stop then returns at once
        self.solve_seconds = self.clock() - began
        self.notes.extend(self.solution.notes)
        if cfg.impl == "closed":
            return
        checkpoint()
        self.engine = ENGINES[cfg.impl](cfg, data.d, self.device)  # torch.optim's first use imports torch._dynamo
        checkpoint()
        self.first_perm = torch.randperm(data.n, generator=self.gen, device=self.device)
        self.X_engine = augment(self.X) if self.engine.augmented else self.X

    def train(self) -> RunResult:
        cfg, engine, solution = self.config, self.engine, self.solution
        assert solution is not None, "prepare() first"
        if cfg.impl == "closed":
            return self._closed(solution)
        assert engine is not None
        if self.use_graphs and not engine.graphable:
            self.use_graphs = False
            self.notes.append(f"{cfg.impl} with {cfg.optimizer} ran eagerly (its update keeps host-side state)")
        self.start = self.last_report = self.clock()
        status, message, where = self._loop(engine)
        seconds = self.clock() - self.start
        theta = engine.flat().cpu()
        self._report(theta, force=True)
        return self._result(status, message, theta, seconds, solution.theta, where, engine.artifacts())

    def _closed(self, solution: ClosedSolution) -> RunResult:
        theta, seconds = solution.theta, self.solve_seconds
        loss = full_loss(self.X, self.y, theta.to(self.device), self.config)
        self.epoch_losses.append(loss)
        message = f"closed form ({solution.method}): loss {loss:.6f}"
        return self._result("finished", message, theta, seconds, theta, None, {}, samples=self.data.n)

    def _loop(self, engine: Engine) -> tuple[str, str, tuple[int, int] | None]:
        cfg, n, B = self.config, self.data.n, self.config.batch_size
        X = self.X_engine
        cap = max(1, min(CHUNK_STEPS, CHUNK_SAMPLES // B, self.steps_per_epoch))
        losses = torch.zeros(cap, device=self.device)
        hist = torch.zeros(cap + 2, self.data.d + 1, device=self.device)
        hist[0] = engine.flat()
        limit = 1  # the first chunk is one step: a stop is seen after it, however slow the start
        sizes = [min(B, n - s * B) for s in range(self.steps_per_epoch)]
        self.samples = 0
        for epoch in range(1, cfg.epochs + 1):
            perm = self.first_perm if epoch == 1 else torch.randperm(n, generator=self.gen, device=self.device)
            c0 = 0
            while c0 < self.steps_per_epoch:
                k = min(self.graph_steps or limit, self.steps_per_epoch - c0)
                began = self.clock()
                rows = perm[c0 * B : (c0 + k) * B]  # this chunk's shuffled rows, gathered now (bounded work)
                self._run_chunk(engine, X.index_select(0, rows), self.y.index_select(0, rows), c0, k, losses, hist)
                values = [v / sizes[c0 + j] for j, v in enumerate(losses[:k].tolist())]
                seconds = self.clock() - began
                self.chunks += 1
                bad = first_bad(values, self.limit)
                if bad is not None:
                    self.samples += sum(sizes[c0 : c0 + bad])
                    self.step_losses.extend(values[:bad])
                    engine.load_flat(hist[bad])
                    step = c0 + bad + 1
                    return "diverged", divergence_message(epoch, step), (epoch, step)
                self.step_losses.extend(values)
                self.samples += sum(sizes[c0 : c0 + k])
                hist[0] = hist[k].clone()
                c0 += k
                if self.should_stop():
                    return "stopped", f"stopped in epoch {epoch} at step {c0}", None
                if not self.graph_steps and k == limit:
                    grown = next_chunk_size(limit, seconds, cap)
                    if grown <= limit and self.use_graphs and not self.capture_at:
                        self.capture_at = grown  # growth has settled: the next whole chunk is captured at this length
                    limit = grown
                self._report_throttled(engine)
            loss = full_loss(self.X, self.y, engine.flat(), cfg)
            if not math.isfinite(loss) or loss > self.limit:
                engine.load_flat(hist[0])
                return "diverged", divergence_message(epoch, self.steps_per_epoch), (epoch, self.steps_per_epoch)
            self.epoch_losses.append(loss)
            self._report_throttled(engine)
        return "finished", f"finished {cfg.epochs} epoch{'s' if cfg.epochs != 1 else ''}", None

    def _run_chunk(
        self,
        engine: Engine,
        Xc: torch.Tensor,
        yc: torch.Tensor,
        c0: int,
        k: int,
        losses: torch.Tensor,
        hist: torch.Tensor,
    ) -> None:
        """Steps c0 … c0 + k − 1 of an epoch on their rows ``Xc``, ``yc`` (replayed from a CUDA graph when it can)."""
        B = self.config.batch_size
        whole = (c0 + k) * B <= self.data.n  # every step of the chunk has a full batch
        if self.use_graphs and whole and k == (self.graph_steps or self.capture_at):
            failed = self.chunk_graph.run(engine, Xc, yc, k, losses, hist)
            if failed is not None:
                self.use_graphs = False
                self.notes.append(failed)
            return
        if self.graph_steps and not whole and "short last batch" not in " ".join(self.notes):
            self.notes.append(f"the short last batch of each epoch ({self.data.n % B} rows) ran eagerly")
        engine.begin_chunk(hist)
        engine.run_steps(Xc, yc, k, B, losses, hist)
        engine.end_chunk(hist, k)

    @property
    def graph_steps(self) -> int:
        """The captured CUDA graph's chunk length (0: none)."""
        return self.chunk_graph.steps

    # -- progress and results --------------------------------------------------------------

    def _report_throttled(self, engine: Engine) -> None:
        if self.on_progress is None:
            return
        now = self.clock()
        if now - self.last_report >= self.interval:
            self._report(engine.flat(), force=False)

    def _report(self, theta: torch.Tensor, *, force: bool) -> None:
        if self.on_progress is None:
            return
        self.last_report = self.clock()
        elapsed = self.last_report - self.start
        done = len(self.step_losses)
        total = self.steps_per_epoch * self.config.epochs
        rate = getattr(self, "samples", 0) / elapsed if elapsed > 0 else 0.0
        eta = elapsed * (total - done) / done if done else None
        values = theta.tolist()
        progress = Progress(
            epoch=min(len(self.epoch_losses) + 1, self.config.epochs),
            epochs=self.config.epochs,
            step=done,
            steps_total=total,
            steps_per_epoch=self.steps_per_epoch,
            new_step_losses=self.step_losses.take_new(),
            epoch_losses=tuple(self.epoch_losses[self.sent_epochs :]),
            w=tuple(values[:-1]),
            b=values[-1],
            elapsed=elapsed,
            samples_per_s=rate,
            eta=eta,
            cuda_memory=cuda_memory(self.device),
        )
        self.sent_steps, self.sent_epochs = done, len(self.epoch_losses)
        self.on_progress(progress)

    def _result(
        self,
        status: str,
        message: str,
        theta: torch.Tensor,
        seconds: float,
        closed: torch.Tensor,
        where: tuple[int, int] | None,
        extra: dict[str, Any],
        samples: int | None = None,
    ) -> RunResult:
        values, closed_values = theta.tolist(), closed.tolist()
        w = torch.tensor(values[:-1])
        artifacts: dict[str, Any] = {"w": w, "b": torch.tensor(values[-1]), **extra}
        closed_loss = full_loss(self.data.X, self.data.y, closed, self.config)
        return RunResult(
            config=self.config,
            device=self.device,
            status=status,
            message=message,
            step_losses=self.step_losses.values(),
            step_bucket=self.step_losses.bucket,
            epoch_losses=tuple(self.epoch_losses),
            initial_loss=self.initial_loss,
            w=tuple(values[:-1]),
            b=values[-1],
            true_w=self.data.true_w,
            true_b=self.data.true_b,
            closed_w=tuple(closed_values[:-1]),
            closed_b=closed_values[-1],
            closed_loss=closed_loss,
            seconds=seconds,
            samples=self.samples if samples is None else samples,
            steps_per_epoch=self.steps_per_epoch,
            diverged_at=where,
            artifacts=artifacts,
            notes=tuple(self.notes),
            peak_cuda_memory=peak_cuda_memory(self.device),
            chunks=self.chunks,
            graph_steps=self.graph_steps,
        )

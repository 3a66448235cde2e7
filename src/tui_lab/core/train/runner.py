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

import torch

from tui_lab.core.devices import resolve_device
from tui_lab.core.train.chunks import (
    CHUNK_SAMPLES,
    CHUNK_STEPS,
    PROGRESS_INTERVAL,
    Checkpoint,
    Clock,
    StoppedBeforeFirstStep,
    default_clock,
    never,
    next_chunk_size,
    unless_stopped,
)
from tui_lab.core.train.closed import ClosedSolution, solve
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.data import Dataset, Lookup, load_dataset
from tui_lab.core.train.graphs import ChunkGraph
from tui_lab.core.train.guard import (
    BLOWUP_FACTOR,
    divergence_message,
    explain_failure,
    finished_message,
    first_bad,
    peak_cuda_memory,
    stopped_message,
)
from tui_lab.core.train.impls import ENGINES, Engine, augment, full_loss, initial_params
from tui_lab.core.train.outcome import ProgressCallback, RunStatus, TrainingOutcome
from tui_lab.core.train.report import RunReporter, linear_artifacts, linear_fit, stopped_before_first_step


def run(
    config: TrainConfig,
    device: str = "cpu",
    on_progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] = never,
    *,
    dataset: Dataset | None = None,
    lookup: Lookup | None = None,
    progress_interval: float = PROGRESS_INTERVAL,
    use_cuda_graphs: bool = True,
    clock: Clock | None = None,
) -> TrainingOutcome:
    """Train ``config`` on ``device``; raises DeviceError/DataError for bad input, returns failures otherwise.

    ``clock`` (``time.perf_counter`` by default) times the chunks, the progress reports and the run.
    """
    device = resolve_device(device)
    clock = clock or default_clock()
    if config.impl == "model":  # a workspace nn.Module: its own loop (core/train/model.py)
        from tui_lab.core.train.model import train_model

        return train_model(config, device, on_progress, should_stop, dataset=dataset, lookup=lookup, clock=clock)
    began = clock()

    def prepare(checkpoint: Checkpoint) -> _Trainer | TrainingOutcome:
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
    if isinstance(prepared, TrainingOutcome):
        return prepared
    try:
        return prepared.train()
    except (RuntimeError, MemoryError) as error:
        return _failed(config, device, prepared.data, explain_failure(error, device))


def _failed(config: TrainConfig, device: str, data: Dataset, message: str) -> TrainingOutcome:
    """A run that raised: nothing learned (w = 0, b = 0, as the course's initial guess prints), no time counted."""
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    fit = linear_fit((0.0,) * (data.d + 1), true_w=data.true_w, true_b=data.true_b)
    return RunReporter(config, device).outcome(RunStatus.FAILED, message, fit=fit, seconds=0.0)


class _Trainer:
    """One run's state: data on the device, the engine, and its reporter (losses, progress, outcome)."""

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
        self.should_stop = should_stop
        self.X = data.X.to(device)
        self.y = data.y.to(device)
        self.steps_per_epoch = math.ceil(data.n / config.batch_size)
        self.reporter = RunReporter(
            config, device, steps_per_epoch=self.steps_per_epoch, on_progress=on_progress, interval=interval,
            clock=clock,
        )  # fmt: skip
        self.use_graphs = use_cuda_graphs and device.startswith("cuda")
        self.chunk_graph = ChunkGraph(device, config.batch_size)
        self.capture_at = 0  # the chunk length to capture once growth has settled (0: not yet)
        self.solution: ClosedSolution | None = None
        self.engine: Engine | None = None
        self.gen = torch.Generator(device=device).manual_seed(config.seed)
        self.first_perm = torch.empty(0)
        self.X_engine = self.X  # [X, 1] for an engine that wants it (made in prepare)

    # -- the run ------------------------------------------------------------------------

    def prepare(self, checkpoint: Checkpoint) -> None:
        """Everything before the first step (the caller polls for a stop meanwhile): O(N) work and slow imports."""
        cfg, data, reporter = self.config, self.data, self.reporter
        theta0 = initial_params(data.d, cfg, self.device)
        reporter.initial_loss = full_loss(self.X, self.y, theta0, cfg)
        self.limit = BLOWUP_FACTOR * max(reporter.initial_loss, 1e-8)
        checkpoint()
        began = self.clock()
        self.solution = solve(self.X, self.y)  # the answer (closed), or the comparison: a stop then returns at once
        self.solve_seconds = self.clock() - began
        reporter.notes.extend(self.solution.notes)
        if cfg.impl == "closed":
            return
        checkpoint()
        self.engine = ENGINES[cfg.impl](cfg, data.d, self.device)  # torch.optim's first use imports torch._dynamo
        checkpoint()
        self.first_perm = torch.randperm(data.n, generator=self.gen, device=self.device)
        self.X_engine = augment(self.X) if self.engine.augmented else self.X

    def train(self) -> TrainingOutcome:
        cfg, engine, solution = self.config, self.engine, self.solution
        assert solution is not None, "prepare() first"
        if cfg.impl == "closed":
            return self._closed(solution)
        assert engine is not None
        if self.use_graphs and not engine.graphable:
            self.use_graphs = False
            note = f"{cfg.impl} with {cfg.optimizer} ran eagerly (its update keeps host-side state)"
            self.reporter.notes.append(note)
        self.reporter.begin()
        status, message, where = self._loop(engine)
        seconds = self.reporter.elapsed
        theta = engine.flat().cpu().tolist()
        self.reporter.report(theta, force=True)
        return self._outcome(status, message, theta, seconds, solution.theta, where, engine.artifacts())

    def _closed(self, solution: ClosedSolution) -> TrainingOutcome:
        theta = solution.theta
        loss = full_loss(self.X, self.y, theta.to(self.device), self.config)
        self.reporter.add_epoch(loss)
        message = f"closed form ({solution.method}): loss {loss:.6f}"
        values = theta.tolist()
        return self._outcome(
            RunStatus.FINISHED, message, values, self.solve_seconds, theta, None, {}, samples=self.data.n
        )

    def _loop(self, engine: Engine) -> tuple[RunStatus, str, tuple[int, int] | None]:
        cfg, n, B, reporter = self.config, self.data.n, self.config.batch_size, self.reporter
        X = self.X_engine
        cap = max(1, min(CHUNK_STEPS, CHUNK_SAMPLES // B, self.steps_per_epoch))
        losses = torch.zeros(cap, device=self.device)
        hist = torch.zeros(cap + 2, self.data.d + 1, device=self.device)
        hist[0] = engine.flat()
        limit = 1  # the first chunk is one step: a stop is seen after it, however slow the start
        sizes = [min(B, n - s * B) for s in range(self.steps_per_epoch)]
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
                reporter.chunks += 1
                bad = first_bad(values, self.limit)
                if bad is not None:
                    reporter.add_steps(values[:bad], sum(sizes[c0 : c0 + bad]))
                    engine.load_flat(hist[bad])
                    step = c0 + bad + 1
                    return RunStatus.DIVERGED, divergence_message(epoch, step), (epoch, step)
                reporter.add_steps(values, sum(sizes[c0 : c0 + k]))
                hist[0] = hist[k].clone()
                c0 += k
                if self.should_stop():
                    return RunStatus.STOPPED, stopped_message(epoch, c0), None
                if not self.graph_steps and k == limit:
                    grown = next_chunk_size(limit, seconds, cap)
                    if grown <= limit and self.use_graphs and not self.capture_at:
                        self.capture_at = grown  # growth has settled: the next whole chunk is captured at this length
                    limit = grown
                self._report_throttled(engine)
            loss = full_loss(self.X, self.y, engine.flat(), cfg)
            if not math.isfinite(loss) or loss > self.limit:
                engine.load_flat(hist[0])
                where = (epoch, self.steps_per_epoch)
                return RunStatus.DIVERGED, divergence_message(*where), where
            reporter.add_epoch(loss)
            self._report_throttled(engine)
        return RunStatus.FINISHED, finished_message(cfg.epochs), None

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
        B, notes = self.config.batch_size, self.reporter.notes
        whole = (c0 + k) * B <= self.data.n  # every step of the chunk has a full batch
        if self.use_graphs and whole and k == (self.graph_steps or self.capture_at):
            failed = self.chunk_graph.run(engine, Xc, yc, k, losses, hist)
            if failed is not None:
                self.use_graphs = False
                notes.append(failed)
            return
        if self.graph_steps and not whole and "short last batch" not in " ".join(notes):
            notes.append(f"the short last batch of each epoch ({self.data.n % B} rows) ran eagerly")
        engine.begin_chunk(hist)
        engine.run_steps(Xc, yc, k, B, losses, hist)
        engine.end_chunk(hist, k)

    @property
    def graph_steps(self) -> int:
        """The captured CUDA graph's chunk length (0: none)."""
        return self.chunk_graph.steps

    # -- progress and the outcome ------------------------------------------------------------

    def _report_throttled(self, engine: Engine) -> None:
        if self.reporter.due():  # the parameters are read (a device sync) only for a report that goes out
            self.reporter.report(engine.flat().tolist(), force=True)

    def _outcome(
        self,
        status: RunStatus,
        message: str,
        theta: list[float],
        seconds: float,
        closed: torch.Tensor,
        where: tuple[int, int] | None,
        extra: dict[str, object],
        samples: int | None = None,
    ) -> TrainingOutcome:
        closed_loss = full_loss(self.data.X, self.data.y, closed, self.config)
        data = self.data
        fit = linear_fit(theta, true_w=data.true_w, true_b=data.true_b, closed=closed.tolist(), closed_loss=closed_loss)
        return self.reporter.outcome(
            status,
            message,
            fit=fit,
            seconds=seconds,
            samples=samples,
            diverged_at=where,
            artifacts={**linear_artifacts(theta), **extra},
            peak_cuda_memory=peak_cuda_memory(self.device),
            graph_steps=self.graph_steps,
        )

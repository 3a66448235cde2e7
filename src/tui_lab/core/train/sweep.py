"""A learning-rate sweep as one batched program: R runs that share data, batch size, epochs and engine.

Parameters are stacked as Θ (R, d+1); each epoch draws one permutation shared by all runs (the
same one each run draws alone with the same seed), and every step computes all R losses (R,) and
updates at once: manual with matrix products, scratch with the course's ``linreg``,
``squared_loss`` and ``sgd`` broadcast over runs (w is (R, d, 1), a learning rate per run), concise with
``functional_call`` + ``vmap`` over one ``nn.Linear`` and ``torch.optim`` on the stacked
parameters (each run's step scaled by its own rate). A run that diverges is rolled back to its
last good parameters and stops alone; the others go on. Each run gets its own result, equal to
running it alone to float tolerance.

``run_sweep(configs, device, on_progress=lambda index, progress: …)`` falls back to one run after
another when the configs differ in more than the learning rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

from tui_lab.core.devices import resolve_device
from tui_lab.core.train.batched import BatchedEngine
from tui_lab.core.train.chunks import (
    CHUNK_SAMPLES,
    CHUNK_STEPS,
    Checkpoint,
    Clock,
    StoppedBeforeFirstStep,
    default_clock,
    never,
    next_chunk_size,
    unless_stopped,
)
from tui_lab.core.train.closed import solve
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.data import Dataset, Lookup, load_dataset
from tui_lab.core.train.guard import (
    BLOWUP_FACTOR,
    divergence_message,
    finished_message,
    first_bad,
    peak_cuda_memory,
    stopped_message,
)
from tui_lab.core.train.impls import augment, full_loss, initial_params
from tui_lab.core.train.outcome import Progress, RunStatus, TrainingOutcome
from tui_lab.core.train.report import RunReporter, linear_artifacts, linear_fit, stopped_before_first_step
from tui_lab.core.train.runner import run

SweepProgress = Callable[[int, Progress], None]
SweepEnd = Callable[[int, TrainingOutcome], None]
BATCHED_IMPLS = ("scratch", "concise", "manual")


def batchable(configs: Sequence[TrainConfig]) -> bool:
    """True when the runs differ only in learning rate, on an engine and loss the batched program has."""
    if len(configs) < 2:
        return False
    first = configs[0]
    same = all(c.with_changes(lr=first.lr) == first for c in configs[1:])
    return same and first.impl in BATCHED_IMPLS and first.loss in ("mse", "huber")


def run_sweep(
    configs: Sequence[TrainConfig],
    device: str = "cpu",
    on_progress: SweepProgress | None = None,
    should_stop: Callable[[], bool] = never,
    *,
    dataset: Dataset | None = None,
    lookup: Lookup | None = None,
    progress_interval: float = 0.1,
    on_end: SweepEnd | None = None,
    clock: Clock | None = None,
) -> list[TrainingOutcome]:
    """Train every config; batched when :func:`batchable`, else one after another. One result per config.

    ``on_end(index, result)`` is called once per run as soon as that run ends (a run that diverges
    mid-sweep is reported then, not when the sweep ends), from the training thread. A stop asked
    while the batched program prepares ends every run at once ("stopped before the first step").
    """
    clock = clock or default_clock()
    if not batchable(configs):
        results = []
        for index, config in enumerate(configs):
            report = None if on_progress is None else (lambda p, i=index: on_progress(i, p))
            results.append(run(config, device, report, should_stop, dataset=dataset, lookup=lookup, clock=clock))
            if on_end is not None:
                on_end(index, results[-1])
            if should_stop():
                break
        return results
    device = resolve_device(device)
    began = clock()

    def prepare(checkpoint: Checkpoint) -> _Sweep:
        data = dataset if dataset is not None else load_dataset(configs[0], lookup)
        checkpoint()
        if device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats(device)
        sweep = _Sweep(list(configs), device, data, on_progress, should_stop, progress_interval, on_end, clock)
        sweep.prepare(checkpoint)
        return sweep

    try:
        return unless_stopped(prepare, should_stop).train()
    except StoppedBeforeFirstStep:
        stopped = [stopped_before_first_step(config, device, clock() - began) for config in configs]
        for index, result in enumerate(stopped):
            if on_end is not None:
                on_end(index, result)
        return stopped


class _Sweep:
    """The batched loop: chunks sized from measured time, a guard per run, a reporter per run."""

    def __init__(
        self,
        configs: list[TrainConfig],
        device: str,
        data: Dataset,
        on_progress: SweepProgress | None,
        should_stop: Callable[[], bool],
        interval: float,
        on_end: SweepEnd | None,
        clock: Clock,
    ) -> None:
        self.configs, self.device, self.data, self.clock = configs, device, data, clock
        self.on_progress, self.should_stop, self.interval = on_progress, should_stop, interval
        self.on_end = on_end
        self.told: set[int] = set()  # runs whose outcome on_end has had
        self.R, cfg = len(configs), configs[0]
        self.X, self.y = data.X.to(device), data.y.to(device)
        self.steps_per_epoch = math.ceil(data.n / cfg.batch_size)
        tracked = on_progress is not None
        self.reporters = [
            RunReporter(config, device, steps_per_epoch=self.steps_per_epoch, clock=clock, track_new=tracked)
            for config in configs
        ]
        for reporter in self.reporters:
            reporter.notes.append(f"batched sweep: {self.R} learning rates as one program")
        self.ended: dict[int, tuple[RunStatus, str, tuple[int, int] | None, float]] = {}

    def prepare(self, checkpoint: Checkpoint) -> None:
        """Everything before the first step (the caller polls for a stop meanwhile)."""
        cfg = self.configs[0]
        theta0 = initial_params(self.data.d, cfg, self.device)
        initial = full_loss(self.X, self.y, theta0, cfg)
        for reporter in self.reporters:
            reporter.initial_loss = initial
        checkpoint()
        self.closed = solve(self.X, self.y)
        for reporter in self.reporters:
            reporter.notes.extend(self.closed.notes)
        checkpoint()
        self.engine = BatchedEngine(self.configs, self.data.d, self.device)
        checkpoint()
        self.X_engine = augment(self.X) if cfg.impl == "manual" else self.X
        self.gen = torch.Generator(device=self.device).manual_seed(cfg.seed)
        self.first_perm = torch.randperm(self.data.n, generator=self.gen, device=self.device)

    def train(self) -> list[TrainingOutcome]:
        cfg, n, B, R = self.configs[0], self.data.n, self.configs[0].batch_size, self.R
        limit = BLOWUP_FACTOR * max(self.reporters[0].initial_loss, 1e-8)
        engine, X, reporters = self.engine, self.X_engine, self.reporters
        cap = max(1, min(CHUNK_STEPS, CHUNK_SAMPLES // B, self.steps_per_epoch))
        losses = torch.zeros(cap, R, device=self.device)
        hist = torch.zeros(cap + 2, R, self.data.d + 1, device=self.device)
        hist[0] = engine.flat()
        sizes = [min(B, n - s * B) for s in range(self.steps_per_epoch)]
        chunk, self.start = 1, self.clock()
        self.last_report = self.start
        for reporter in reporters:
            reporter.begin(at=self.start)
        self.frozen = torch.zeros(R, dtype=torch.bool, device=self.device)
        for epoch in range(1, cfg.epochs + 1):
            perm = self.first_perm if epoch == 1 else torch.randperm(n, generator=self.gen, device=self.device)
            c0 = 0
            while c0 < self.steps_per_epoch:
                k = min(chunk, self.steps_per_epoch - c0)
                began = self.clock()
                rows = perm[c0 * B : (c0 + k) * B]  # this chunk's shuffled rows, gathered now (bounded work)
                engine.run_steps(X.index_select(0, rows), self.y.index_select(0, rows), k, B, losses, hist)
                values = (losses[:k].T.cpu().double() / torch.tensor(sizes[c0 : c0 + k], dtype=torch.float64)).tolist()
                for r in self.running():
                    reporters[r].chunks += 1
                    bad = first_bad(values[r], limit)
                    kept = k if bad is None else bad
                    reporters[r].add_steps(values[r][:kept], sum(sizes[c0 : c0 + kept]))
                    if bad is not None:
                        self.freeze(engine, r, hist[bad, r], (epoch, c0 + bad + 1))
                self.hold_frozen(engine)
                hist[0] = hist[k].clone()
                c0 += k
                if not self.running():
                    return self.outcomes(engine)
                if self.should_stop():
                    for r in self.running():
                        self.end(r, RunStatus.STOPPED, stopped_message(epoch, c0), None)
                    return self.outcomes(engine)
                chunk = next_chunk_size(chunk, self.clock() - began, cap)
                self.report(engine, force=False)
            epoch_losses = self.full_losses(engine.flat())
            for r in self.running():
                loss = epoch_losses[r]
                if not math.isfinite(loss) or loss > limit:
                    self.freeze(engine, r, hist[0, r], (epoch, self.steps_per_epoch))
                else:
                    reporters[r].add_epoch(loss)
            self.hold_frozen(engine)
            if not self.running():
                return self.outcomes(engine)
            self.report(engine, force=False)
        for r in self.running():
            self.end(r, RunStatus.FINISHED, finished_message(cfg.epochs), None)
        return self.outcomes(engine)

    def full_losses(self, theta: torch.Tensor) -> list[float]:
        """Every run's mean loss over all of (X, y) at once (one (N, R) product instead of R passes)."""
        cfg, d = self.configs[0], self.data.d
        with torch.no_grad():
            error = torch.addmm(theta[:, d], self.X, theta[:, :d].T) - self.y[:, None]
            if cfg.loss == "mse":
                return (error * error).mean(0).tolist()
            size = error.abs()
            clipped = size.clamp(max=cfg.huber_delta)
            return (clipped * (size - clipped / 2)).mean(0).tolist()

    def running(self) -> list[int]:
        return [r for r in range(self.R) if r not in self.ended]

    def end(self, r: int, status: RunStatus, message: str, where: tuple[int, int] | None) -> None:
        self.ended[r] = (status, message, where, self.clock() - self.start)

    def freeze(self, engine: BatchedEngine, r: int, theta: torch.Tensor, where: tuple[int, int]) -> None:
        """Run ``r`` diverged: it stops alone at its last good parameters."""
        self.end(r, RunStatus.DIVERGED, divergence_message(*where), where)
        self.frozen[r] = True
        self.frozen_theta = getattr(self, "frozen_theta", torch.zeros(self.R, self.data.d + 1, device=self.device))
        self.frozen_theta[r] = theta
        if self.on_end is not None:  # said now: the other runs may go on for a long time
            self.report(engine, force=True, only=r, theta=self.frozen_theta)
            self.told.add(r)
            self.on_end(r, self.outcome(r, theta.cpu()))

    def hold_frozen(self, engine: BatchedEngine) -> None:
        if bool(self.frozen.any()):
            engine.load_rows(self.frozen, self.frozen_theta[self.frozen])

    def report(
        self, engine: BatchedEngine, *, force: bool, only: int | None = None, theta: torch.Tensor | None = None
    ) -> None:
        """Every run's progress at once, at most every ``interval`` (one clock for all: they share their chunks)."""
        now = self.clock()
        if self.on_progress is None or (not force and now - self.last_report < self.interval):
            return
        if only is None:
            self.last_report = now
        values = (engine.flat() if theta is None else theta).cpu()
        runs = (
            [only]
            if only is not None
            else [r for r in range(self.R) if r not in self.told]
            if force
            else self.running()
        )
        for r in runs:
            self.on_progress(r, self.reporters[r].progress(values[r].tolist(), now=now))

    def outcomes(self, engine: BatchedEngine) -> list[TrainingOutcome]:
        self.report(engine, force=True)
        theta = engine.flat().cpu()
        out = []
        for r in range(self.R):
            outcome = self.outcome(r, theta[r])
            if self.on_end is not None and r not in self.told:
                self.told.add(r)
                self.on_end(r, outcome)
            out.append(outcome)
        return out

    def outcome(self, r: int, theta: torch.Tensor) -> TrainingOutcome:
        """Run ``r``'s outcome, from its parameters ``theta`` (on the CPU); the run must have ended."""
        if not hasattr(self, "closed_figures"):
            closed = self.closed.theta
            self.closed_figures = (closed.tolist(), full_loss(self.data.X, self.data.y, closed, self.configs[0]))
        closed_values, closed_loss = self.closed_figures
        status, message, where, seconds = self.ended[r]
        values = theta.tolist()
        data = self.data
        fit = linear_fit(values, true_w=data.true_w, true_b=data.true_b, closed=closed_values, closed_loss=closed_loss)
        return self.reporters[r].outcome(
            status,
            message,
            fit=fit,
            seconds=seconds,
            diverged_at=where,
            artifacts=linear_artifacts(values),
            peak_cuda_memory=peak_cuda_memory(self.device),
        )

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
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, vmap

from tui_lab.core.devices import resolve_device
from tui_lab.core.train.closed import solve
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.data import Dataset, load_dataset
from tui_lab.core.train.impls import ADAM_BETAS, ADAM_EPS, augment, full_loss, huber_loss, initial_params, linreg, sgd
from tui_lab.core.train.impls import squared_loss as course_squared_loss
from tui_lab.core.train.runner import (
    BLOWUP_FACTOR,
    CHUNK_SAMPLES,
    CHUNK_STEPS,
    Progress,
    RunResult,
    divergence_message,
    first_bad,
    next_chunk_size,
    peak_cuda_memory,
    run,
)

SweepProgress = Callable[[int, Progress], None]
SweepEnd = Callable[[int, RunResult], None]
BATCHED_IMPLS = ("scratch", "concise", "manual")


def _never() -> bool:
    return False


def batchable(configs: Sequence[TrainConfig]) -> bool:
    """True when the runs differ only in learning rate, on an engine and loss the batched program has."""
    if len(configs) < 2:
        return False
    first = configs[0]
    same = all(c.with_changes(lr=first.lr) == first for c in configs[1:])
    return same and first.impl in BATCHED_IMPLS and first.loss in ("mse", "huber")


class _Optimizer:
    """SGD, momentum and Adam on stacked parameters, with a learning rate per run (row)."""

    def __init__(self, config: TrainConfig, lr: torch.Tensor, params: list[torch.Tensor]) -> None:
        self.kind, self.mu, self.lr = config.optimizer, config.momentum, lr
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.t = 0

    def update(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        self.t += 1
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            lr = self.lr.view(-1, *([1] * (p.dim() - 1)))
            if self.kind == "sgd":
                p.sub_(lr * g)
            elif self.kind == "momentum":
                m.mul_(self.mu).add_(g)
                p.sub_(lr * m)
            else:
                beta1, beta2 = ADAM_BETAS
                m.lerp_(g, 1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                denom = (v / (1 - beta2**self.t)).sqrt_().add_(ADAM_EPS)
                p.sub_(lr / (1 - beta1**self.t) * m / denom)

    def forget(self, rows: torch.Tensor) -> None:
        for state in (*self.m, *self.v):
            state[rows] = 0


class _Batched:
    """R runs of one engine; ``step`` writes Θ before the update into ``hist[j + 1]`` and losses (R,) into ``losses[j]``."""

    def __init__(self, configs: Sequence[TrainConfig], d: int, device: str) -> None:
        cfg = self.config = configs[0]
        self.d, self.R = d, len(configs)
        self.lr = torch.tensor([c.lr for c in configs], device=device)
        theta = initial_params(d, cfg, device).repeat(self.R, 1)
        self.report_scale = 2.0 if cfg.loss == "mse" and cfg.impl == "scratch" else 1.0
        if cfg.impl == "manual":
            self.theta = theta
            self.opt = _Optimizer(cfg, self.lr, [self.theta])
        elif cfg.impl == "scratch":
            self.w = theta[:, :d].reshape(self.R, d, 1).clone().requires_grad_(True)
            self.b = theta[:, d:].reshape(self.R, 1, 1).clone().requires_grad_(True)
            self.opt = _Optimizer(cfg, self.lr, [self.w, self.b])
        else:
            self.module = nn.Linear(d, 1).to(device)
            self.weight = theta[:, :d].reshape(self.R, 1, d).clone().requires_grad_(True)
            self.bias = theta[:, d:].clone().requires_grad_(True)
            stacked = [self.weight, self.bias]
            if cfg.optimizer == "adam":
                self.torch_opt: torch.optim.Optimizer = torch.optim.Adam(stacked, lr=1.0)
            else:
                momentum = cfg.momentum if cfg.optimizer == "momentum" else 0.0
                self.torch_opt = torch.optim.SGD(stacked, lr=1.0, momentum=momentum)
            self.loss = nn.MSELoss() if cfg.loss == "mse" else nn.HuberLoss(delta=cfg.huber_delta)

    def flat(self) -> torch.Tensor:
        if self.config.impl == "manual":
            return self.theta.clone()
        if self.config.impl == "scratch":
            return torch.cat([self.w.detach().view(self.R, -1), self.b.detach().view(self.R, 1)], dim=1)
        return torch.cat([self.weight.detach().view(self.R, -1), self.bias.detach()], dim=1)

    def load_rows(self, rows: torch.Tensor, theta: torch.Tensor) -> None:
        """Set Θ[rows] and forget their optimizer state (a stopped run stays where it was rolled back to)."""
        d = self.d
        with torch.no_grad():
            if self.config.impl == "manual":
                self.theta[rows] = theta
            elif self.config.impl == "scratch":
                self.w[rows] = theta[:, :d].reshape(-1, d, 1)
                self.b[rows] = theta[:, d:].reshape(-1, 1, 1)
            else:
                self.weight[rows] = theta[:, :d].reshape(-1, 1, d)
                self.bias[rows] = theta[:, d:]
                for param in (self.weight, self.bias):
                    for state in self.torch_opt.state.get(param, {}).values():
                        if isinstance(state, torch.Tensor) and state.dim() > 0:
                            state[rows] = 0
        if self.config.impl != "concise":
            self.opt.forget(rows)

    def run_steps(
        self, Xc: torch.Tensor, yc: torch.Tensor, k: int, batch: int, losses: torch.Tensor, hist: torch.Tensor
    ) -> None:
        """Steps 0..k-1 of a chunk: ``hist[j + 1]`` gets Θ before step j, ``losses[j]`` its summed losses (R,)."""
        full = min(k, Xc.shape[0] // batch)
        cfg = self.config
        if cfg.impl == "manual" and cfg.optimizer == "sgd" and cfg.loss == "mse" and full > 0:
            self._manual_sgd(Xc, yc, full, batch, losses, hist)
        else:
            full = 0
        for j in range(full, k):
            hist[j + 1] = self.flat()
            losses[j] = self.step(Xc[j * batch : (j + 1) * batch], yc[j * batch : (j + 1) * batch])

    def _manual_sgd(
        self, Xc: torch.Tensor, yc: torch.Tensor, k: int, batch: int, losses: torch.Tensor, hist: torch.Tensor
    ) -> None:
        """Θ ← Θ − lr·(2/B)(ΘXᵀ − y)X for k full batches, Θ kept in ``hist`` (views made once, no allocation per step)."""
        blocks = Xc[: k * batch].view(k, batch, -1)
        X_batches, Xt_batches = blocks.unbind(0), blocks.transpose(1, 2).contiguous().unbind(0)
        y_batches = yc[: k * batch].view(k, 1, batch).expand(k, self.R, batch).unbind(0)
        thetas, loss_out = hist.unbind(0), losses.unbind(0)
        residual = torch.empty(self.R, batch, device=Xc.device, dtype=Xc.dtype)
        square = torch.empty_like(residual)
        step = (-2.0 / batch * self.lr).unsqueeze(1)
        hist[1].copy_(self.theta)
        for j in range(k):
            torch.addmm(y_batches[j], thetas[j + 1], Xt_batches[j], beta=-1, out=residual)  # ΘXᵀ − y
            torch.mul(residual, residual, out=square)
            torch.sum(square, 1, out=loss_out[j])
            torch.addcmul(thetas[j + 1], step, residual @ X_batches[j], out=thetas[j + 2])
        self.theta.copy_(hist[k + 1])

    def step(self, Xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        """One minibatch for every run; returns the summed losses (R,) as the single runs report them."""
        cfg, batch = self.config, Xb.shape[0]
        if cfg.impl == "manual":
            residual = self.theta @ Xb.T - yb  # Xb is [X, 1]
            if cfg.loss == "mse":
                losses, signal, scale = (residual * residual).sum(1), residual, 2.0 / batch
            else:
                size = residual.abs()
                clipped = size.clamp(max=cfg.huber_delta)
                losses = (clipped * (size - clipped / 2)).sum(1)
                signal, scale = residual.clamp(-cfg.huber_delta, cfg.huber_delta), 1.0 / batch
            self.opt.update([self.theta], [(signal @ Xb).mul_(scale)])
            return losses
        if cfg.impl == "scratch":
            # The course's functions broadcast over runs: X (B, d) @ w (R, d, 1) + b (R, 1, 1) is ŷ (R, B, 1).
            y_hat = linreg(Xb, self.w, self.b)
            y_runs = yb.expand(self.R, -1).unsqueeze(2)
            if cfg.loss == "mse":
                l = course_squared_loss(y_hat, y_runs).sum((1, 2))  # noqa: E741
            else:
                l = huber_loss(y_hat, y_runs, cfg.huber_delta).sum((1, 2))  # noqa: E741
            l.sum().backward()
            if cfg.optimizer == "sgd":
                sgd([self.w, self.b], self.lr.view(-1, 1, 1), batch)  # type: ignore[arg-type]  # the course's sgd, a rate per run
            else:
                assert self.w.grad is not None and self.b.grad is not None
                with torch.no_grad():
                    self.opt.update([self.w, self.b], [self.w.grad / batch, self.b.grad / batch])
                self.w.grad.zero_()
                self.b.grad.zero_()
            return l.detach() * self.report_scale

        def one_linear(weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
            return self.loss(functional_call(self.module, {"weight": weight, "bias": bias}, (Xb,)).view(-1), yb)

        l = vmap(one_linear)(self.weight, self.bias)  # noqa: E741
        self.torch_opt.zero_grad(set_to_none=False)
        l.sum().backward()
        before = [self.weight.detach().clone(), self.bias.detach().clone()]
        self.torch_opt.step()  # at lr 1; each run's step is then scaled by its own rate
        with torch.no_grad():
            for param, old, shape in ((self.weight, before[0], (-1, 1, 1)), (self.bias, before[1], (-1, 1))):
                param.copy_(old + self.lr.view(shape) * (param - old))
        return l.detach() * batch


def run_sweep(
    configs: Sequence[TrainConfig],
    device: str = "cpu",
    on_progress: SweepProgress | None = None,
    should_stop: Callable[[], bool] = _never,
    *,
    dataset: Dataset | None = None,
    lookup: Callable[[str, Any], Any] | None = None,
    progress_interval: float = 0.1,
    on_end: SweepEnd | None = None,
) -> list[RunResult]:
    """Train every config; batched when :func:`batchable`, else one after another. One result per config.

    ``on_end(index, result)`` is called once per run as soon as that run ends (a run that diverges
    mid-sweep is reported then, not when the sweep ends), from the training thread.
    """
    if not batchable(configs):
        results = []
        for index, config in enumerate(configs):
            report = None if on_progress is None else (lambda p, i=index: on_progress(i, p))
            results.append(run(config, device, report, should_stop, dataset=dataset, lookup=lookup))
            if on_end is not None:
                on_end(index, results[-1])
            if should_stop():
                break
        return results
    device = resolve_device(device)
    data = dataset if dataset is not None else load_dataset(configs[0], lookup)
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats(device)
    return _Sweep(list(configs), device, data, on_progress, should_stop, progress_interval, on_end).train()


class _Sweep:
    """The batched loop: chunks sized from measured time, a guard per run, progress per run."""

    def __init__(
        self,
        configs: list[TrainConfig],
        device: str,
        data: Dataset,
        on_progress: SweepProgress | None,
        should_stop: Callable[[], bool],
        interval: float,
        on_end: SweepEnd | None = None,
    ) -> None:
        self.configs, self.device, self.data = configs, device, data
        self.on_progress, self.should_stop, self.interval = on_progress, should_stop, interval
        self.on_end = on_end
        self.told: set[int] = set()  # runs whose result on_end has had
        self.R, cfg = len(configs), configs[0]
        self.X, self.y = data.X.to(device), data.y.to(device)
        self.steps_per_epoch = math.ceil(data.n / cfg.batch_size)
        self.step_losses: list[list[float]] = [[] for _ in configs]
        self.epoch_losses: list[list[float]] = [[] for _ in configs]
        self.sent = [(0, 0)] * self.R
        self.samples = [0] * self.R
        self.ended: dict[int, tuple[str, str, tuple[int, int] | None, float]] = {}

    def train(self) -> list[RunResult]:
        cfg, n, B, R = self.configs[0], self.data.n, self.configs[0].batch_size, self.R
        theta0 = initial_params(self.data.d, cfg, self.device)
        self.initial = full_loss(self.X, self.y, theta0, cfg)
        limit = BLOWUP_FACTOR * max(self.initial, 1e-8)
        self.closed = solve(self.X, self.y)
        engine = _Batched(self.configs, self.data.d, self.device)
        X = augment(self.X) if cfg.impl == "manual" else self.X
        cap = max(1, min(CHUNK_STEPS, CHUNK_SAMPLES // B, self.steps_per_epoch))
        losses = torch.zeros(cap, R, device=self.device)
        hist = torch.zeros(cap + 2, R, self.data.d + 1, device=self.device)
        hist[0] = engine.flat()
        sizes = [min(B, n - s * B) for s in range(self.steps_per_epoch)]
        gen = torch.Generator(device=self.device).manual_seed(cfg.seed)
        chunk, self.start = 1, time.perf_counter()
        self.last_report = self.start
        self.frozen = torch.zeros(R, dtype=torch.bool, device=self.device)
        for epoch in range(1, cfg.epochs + 1):
            perm = torch.randperm(n, generator=gen, device=self.device)
            Xs, ys = X.index_select(0, perm), self.y.index_select(0, perm)
            c0 = 0
            while c0 < self.steps_per_epoch:
                k = min(chunk, self.steps_per_epoch - c0)
                began = time.perf_counter()
                engine.run_steps(Xs[c0 * B : (c0 + k) * B], ys[c0 * B : (c0 + k) * B], k, B, losses, hist)
                values = (losses[:k].T.cpu().double() / torch.tensor(sizes[c0 : c0 + k], dtype=torch.float64)).tolist()
                for r in self.running():
                    bad = first_bad(values[r], limit)
                    kept = k if bad is None else bad
                    self.step_losses[r].extend(values[r][:kept])
                    self.samples[r] += sum(sizes[c0 : c0 + kept])
                    if bad is not None:
                        self.freeze(engine, r, hist[bad, r], "diverged", (epoch, c0 + bad + 1))
                self.hold_frozen(engine)
                hist[0] = hist[k].clone()
                c0 += k
                if not self.running():
                    return self.results(engine)
                if self.should_stop():
                    for r in self.running():
                        self.end(r, "stopped", f"stopped in epoch {epoch} at step {c0}", None)
                    return self.results(engine)
                chunk = next_chunk_size(chunk, time.perf_counter() - began, cap)
                self.report(engine, force=False)
            epoch_losses = self.full_losses(engine.flat())
            for r in self.running():
                loss = epoch_losses[r]
                if not math.isfinite(loss) or loss > limit:
                    self.freeze(engine, r, hist[0, r], "diverged", (epoch, self.steps_per_epoch))
                else:
                    self.epoch_losses[r].append(loss)
            self.hold_frozen(engine)
            if not self.running():
                return self.results(engine)
            self.report(engine, force=False)
        for r in self.running():
            self.end(r, "finished", f"finished {cfg.epochs} epoch{'s' if cfg.epochs != 1 else ''}", None)
        return self.results(engine)

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

    def end(self, r: int, status: str, message: str, where: tuple[int, int] | None) -> None:
        self.ended[r] = (status, message, where, time.perf_counter() - self.start)

    def freeze(self, engine: _Batched, r: int, theta: torch.Tensor, status: str, where: tuple[int, int]) -> None:
        """Run ``r`` stops alone at its last good parameters."""
        self.end(r, status, divergence_message(*where), where)
        self.frozen[r] = True
        self.frozen_theta = getattr(self, "frozen_theta", torch.zeros(self.R, self.data.d + 1, device=self.device))
        self.frozen_theta[r] = theta
        if self.on_end is not None:  # said now: the other runs may go on for a long time
            self.report(engine, force=True, only=r, theta=self.frozen_theta)
            self.told.add(r)
            self.on_end(r, self.result(r, theta.cpu()))

    def hold_frozen(self, engine: _Batched) -> None:
        if bool(self.frozen.any()):
            engine.load_rows(self.frozen, self.frozen_theta[self.frozen])

    def report(
        self, engine: _Batched, *, force: bool, only: int | None = None, theta: torch.Tensor | None = None
    ) -> None:
        now = time.perf_counter()
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
            self.on_progress(r, self.progress(r, values[r], now - self.start))

    def progress(self, r: int, theta: torch.Tensor, elapsed: float) -> Progress:
        cfg, (steps_sent, epochs_sent) = self.configs[r], self.sent[r]
        done, total = len(self.step_losses[r]), self.steps_per_epoch * cfg.epochs
        self.sent[r] = (done, len(self.epoch_losses[r]))
        values = theta.tolist()
        return Progress(
            epoch=min(len(self.epoch_losses[r]) + 1, cfg.epochs),
            epochs=cfg.epochs,
            step=done,
            steps_total=total,
            steps_per_epoch=self.steps_per_epoch,
            new_step_losses=np.asarray(self.step_losses[r][steps_sent:], dtype=np.float64),
            epoch_losses=tuple(self.epoch_losses[r][epochs_sent:]),
            w=tuple(values[:-1]),
            b=values[-1],
            elapsed=elapsed,
            samples_per_s=self.samples[r] / elapsed if elapsed > 0 else 0.0,
            eta=elapsed * (total - done) / done if done else None,
        )

    def results(self, engine: _Batched) -> list[RunResult]:
        self.report(engine, force=True)
        theta = engine.flat().cpu()
        out = []
        for r in range(self.R):
            result = self.result(r, theta[r])
            if self.on_end is not None and r not in self.told:
                self.told.add(r)
                self.on_end(r, result)
            out.append(result)
        return out

    def result(self, r: int, theta: torch.Tensor) -> RunResult:
        """Run ``r``'s result, from its parameters ``theta`` (on the CPU); the run must have ended."""
        if not hasattr(self, "closed_figures"):
            closed = self.closed.theta
            self.closed_figures = (closed.tolist(), full_loss(self.data.X, self.data.y, closed, self.configs[0]))
        closed_values, closed_loss = self.closed_figures
        note = f"batched sweep: {self.R} learning rates as one program"
        config = self.configs[r]
        status, message, where, seconds = self.ended[r]
        values = theta.tolist()
        return RunResult(
            config=config,
            device=self.device,
            status=status,
            message=message,
            step_losses=np.asarray(self.step_losses[r], dtype=np.float64),
            epoch_losses=tuple(self.epoch_losses[r]),
            initial_loss=self.initial,
            w=tuple(values[:-1]),
            b=values[-1],
            true_w=self.data.true_w,
            true_b=self.data.true_b,
            closed_w=tuple(closed_values[:-1]),
            closed_b=closed_values[-1],
            closed_loss=closed_loss,
            seconds=seconds,
            samples=self.samples[r],
            steps_per_epoch=self.steps_per_epoch,
            diverged_at=where,
            artifacts={"w": torch.tensor(values[:-1]), "b": torch.tensor(values[-1])},
            notes=(note, *self.closed.notes),
            peak_cuda_memory=peak_cuda_memory(self.device),
        )

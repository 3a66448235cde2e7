"""One rank of a data-parallel run: the course's engines with gradients summed over ``torch.distributed``.

Every rank holds the whole dataset and draws the same permutation per epoch (same seed, so the
global order equals one process's). Global step s takes rows ``perm[s·G : (s+1)·G]`` with
G = world × batch; rank r trains on its slice of them. Gradients are summed across ranks and
divided by the global batch's row count m (exact for the short last batch too): an ``all_reduce``
of the gradient for scratch (then the course's ``sgd`` with batch m) and manual, and
``DistributedDataParallel`` for concise (its averaging is undone by scaling the summed loss by
world/m). So W processes with batch B follow one process with batch W·B to float tolerance.

Each chunk of steps ends with one ``all_reduce`` of [per-step loss sums…, stop flag, seconds], so
the guard, a stop (SIGINT/SIGTERM on any rank) and the next chunk's size are the same decision on
every rank. The closed form sums XᵀX and Xᵀy over row shards. NCCL on CUDA, gloo on the CPU.
"""

from __future__ import annotations

import math
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import FrameType

import torch
import torch.distributed as dist
from torch import nn

from tui_lab.core.train.chunks import CHUNK_STEPS, next_chunk_size
from tui_lab.core.train.closed import augment, solve
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.data import Dataset, load_dataset
from tui_lab.core.train.distributed import STORE_ENV
from tui_lab.core.train.guard import (
    BLOWUP_FACTOR,
    divergence_message,
    finished_message,
    first_bad,
    peak_cuda_memory,
    stopped_message,
)
from tui_lab.core.train.impls import (
    HandOptimizer,
    full_loss,
    huber_loss,
    initial_params,
    linreg,
    sgd,
    squared_loss,
)
from tui_lab.core.train.outcome import ProgressCallback, RunStatus, TrainingOutcome
from tui_lab.core.train.report import RunReporter, linear_artifacts, linear_fit


@dataclass
class Group:
    """This process's place in the run, and whether a stop was asked for (by a signal)."""

    rank: int
    world: int
    device: str
    backend: str
    stop_requested: bool = False


def join(device: str, timeout_s: float = 120.0) -> Group:
    """Join the process group the environment describes; cuda gives rank r ``cuda:LOCAL_RANK``.

    With :data:`STORE_ENV` (a single-node run) the ranks meet through that ``FileStore``; without
    it, through torchrun's ``env://`` rendezvous (``MASTER_ADDR``/``MASTER_PORT``).
    """
    rank, world, local = (int(os.environ[k]) for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))
    if device.startswith("cuda"):
        if local >= torch.cuda.device_count():
            raise RuntimeError(f"local rank {local} has no GPU: this node has {torch.cuda.device_count()}")
        torch.cuda.set_device(local)
        device, backend = f"cuda:{local}", "nccl"
    else:
        device, backend = "cpu", "gloo"
    timeout = timedelta(seconds=timeout_s)
    store_path = os.environ.get(STORE_ENV)
    if store_path:
        store = dist.FileStore(store_path, world)  # type: ignore[attr-defined]  # re-exported by torch, not in its __all__
        dist.init_process_group(backend, store=store, rank=rank, world_size=world, timeout=timeout)
    else:
        dist.init_process_group(backend, timeout=timeout)
    group = Group(rank, world, device, backend)

    def request_stop(signum: int, frame: FrameType | None) -> None:
        group.stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    return group


def gather_pids() -> list[int]:
    """Every rank's process id, in rank order (a collective: every rank calls it)."""
    pids: list[int] = [0] * dist.get_world_size()  # each rank's slot is overwritten by the gather
    dist.all_gather_object(pids, os.getpid())
    return [int(p) for p in pids]


def leave() -> None:
    """Leave the process group (idempotent)."""
    if dist.is_initialized():
        dist.destroy_process_group()


class _Engine:
    """θ = [w…, b] for one implementation; ``step`` returns this rank's summed loss and updates θ."""

    def __init__(self, config: TrainConfig, d: int, device: str, world: int) -> None:
        self.config, self.d, self.world = config, d, world
        theta = initial_params(d, config, device)
        self.report_scale = 2.0 if config.loss == "mse" else 1.0
        if config.impl == "concise":
            layer = nn.Linear(d, 1).to(device)
            with torch.no_grad():
                layer.weight.copy_(theta[:d].view(1, d))
                layer.bias.copy_(theta[d:])
            self.layer = layer
            self.net = nn.parallel.DistributedDataParallel(nn.Sequential(layer))
            params = list(self.net.parameters())
            if config.optimizer == "adam":
                self.opt: torch.optim.Optimizer = torch.optim.Adam(params, lr=config.lr)
            else:
                momentum = config.momentum if config.optimizer == "momentum" else 0.0
                self.opt = torch.optim.SGD(params, lr=config.lr, momentum=momentum)
            reduction = "sum"
            self.loss: nn.Module = (
                nn.MSELoss(reduction=reduction)
                if config.loss == "mse"
                else nn.HuberLoss(reduction=reduction, delta=config.huber_delta)
            )
            return
        if config.impl == "scratch":
            self.w = theta[:d].reshape(d, 1).clone().requires_grad_(True)
            self.b = theta[d:].clone().requires_grad_(True)
            self.params = [self.w, self.b]
        else:
            self.theta = theta
            self.params = [self.theta]
        self.velocity = torch.zeros(d + 1, device=device)
        self.hand = HandOptimizer(config, self.params) if config.optimizer != "sgd" else None

    def flat(self) -> torch.Tensor:
        if self.config.impl == "concise":
            return torch.cat([self.layer.weight.detach().view(-1), self.layer.bias.detach()])
        if self.config.impl == "scratch":
            return torch.cat([self.w.detach().view(-1), self.b.detach()])
        return self.theta.clone()

    def load_flat(self, theta: torch.Tensor) -> None:
        with torch.no_grad():
            if self.config.impl == "concise":
                self.layer.weight.copy_(theta[: self.d].view(1, self.d))
                self.layer.bias.copy_(theta[self.d :])
            elif self.config.impl == "scratch":
                self.w.copy_(theta[: self.d].view(self.d, 1))
                self.b.copy_(theta[self.d :])
            else:
                self.theta.copy_(theta)

    def step(self, Xb: torch.Tensor, yb: torch.Tensor, m: int) -> torch.Tensor:
        cfg = self.config
        if cfg.impl == "concise":
            total: torch.Tensor = self.loss(self.net(Xb).view(-1), yb)
            self.opt.zero_grad(set_to_none=False)
            (total * (self.world / m)).backward()  # DDP averages over ranks: this makes it the mean over m rows
            self.opt.step()
            return total.detach()
        if cfg.impl == "scratch":
            y_hat = linreg(Xb, self.w, self.b)
            l = squared_loss(y_hat, yb) if cfg.loss == "mse" else huber_loss(y_hat, yb, cfg.huber_delta)  # noqa: E741
            l.sum().backward()
            assert self.w.grad is not None and self.b.grad is not None
            summed = torch.cat([self.w.grad.view(-1), self.b.grad])
            dist.all_reduce(summed)
            with torch.no_grad():
                self.w.grad.copy_(summed[: self.d].view(self.d, 1))
                self.b.grad.copy_(summed[self.d :])
            if self.hand is None:
                sgd([self.w, self.b], cfg.lr, m)  # the course's sgd, over the global batch
            else:
                with torch.no_grad():
                    self.hand.update(self.params, [self.w.grad / m, self.b.grad / m])
                self.w.grad.zero_()
                self.b.grad.zero_()
            return l.sum().detach() * self.report_scale
        X1 = augment(Xb)
        residual = X1 @ self.theta - yb
        if cfg.loss == "mse":
            loss, signal_, scale = residual @ residual, residual, 2.0
        else:
            size = residual.abs()
            clipped = size.clamp(max=cfg.huber_delta)
            loss, signal_, scale = (
                clipped @ (size - clipped / 2),
                residual.clamp(-cfg.huber_delta, cfg.huber_delta),
                1.0,
            )
        grad = X1.T @ signal_
        dist.all_reduce(grad)
        grad.mul_(scale / m)
        if cfg.optimizer == "sgd":
            self.theta.sub_(grad, alpha=cfg.lr)
        elif cfg.optimizer == "momentum":
            self.velocity.mul_(cfg.momentum).add_(grad)
            self.theta.sub_(self.velocity, alpha=cfg.lr)
        else:
            assert self.hand is not None
            self.hand.update([self.theta], [grad])
        return loss


def _shard(n: int, rank: int, world: int) -> slice:
    return slice(rank * n // world, (rank + 1) * n // world)


def run(
    config: TrainConfig,
    group: Group,
    on_progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    *,
    dataset: Dataset | None = None,
    progress_interval: float = 0.1,
) -> TrainingOutcome:
    """Train ``config`` as one rank of ``group``; every rank returns the same outcome."""
    data = dataset if dataset is not None else load_dataset(config)
    device, W = group.device, group.world
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats(device)
    X, y = data.X.to(device), data.y.to(device)
    n, d, B = data.n, data.d, config.batch_size
    G = W * B
    rows = _shard(n, group.rank, W)

    def reduce_sums(A: torch.Tensor, c: torch.Tensor) -> None:
        dist.all_reduce(A)
        dist.all_reduce(c)

    def global_loss(theta: torch.Tensor) -> float:
        with torch.no_grad():
            y_hat = torch.addmv(theta[-1:].expand(X[rows].shape[0]), X[rows], theta[:-1])
            if config.loss == "mse":
                total = torch.nn.functional.mse_loss(y_hat, y[rows], reduction="sum")
            else:
                total = torch.nn.functional.huber_loss(y_hat, y[rows], reduction="sum", delta=config.huber_delta)
            dist.all_reduce(total)
            return float(total) / n

    began = time.perf_counter()
    solution = solve(X[rows], y[rows], reduce=reduce_sums)
    closed_theta = solution.theta
    reporter = RunReporter(
        config, device, steps_per_epoch=1, on_progress=on_progress, interval=progress_interval, clock=time.perf_counter
    )
    reporter.initial_loss = global_loss(initial_params(d, config, device))
    backend = f"{group.backend} on {device.split(':')[0]}"
    reporter.notes.append(f"data parallel: {W} processes ({backend}), global batch {G} = {W} × {B}")
    reporter.notes.extend(solution.notes)
    closed_figures = (closed_theta.tolist(), full_loss(data.X, data.y, closed_theta, config))

    def outcome(
        status: RunStatus,
        message: str,
        theta: list[float],
        where: tuple[int, int] | None,
        seconds: float,
        samples: int | None = None,
    ) -> TrainingOutcome:
        closed, closed_loss = closed_figures
        fit = linear_fit(theta, true_w=data.true_w, true_b=data.true_b, closed=closed, closed_loss=closed_loss)
        return reporter.outcome(
            status, message, fit=fit, diverged_at=where, artifacts=linear_artifacts(theta),
            peak_cuda_memory=peak_cuda_memory(device), seconds=seconds, samples=samples,
        )  # fmt: skip

    def finish(status: RunStatus, message: str, where: tuple[int, int] | None = None) -> TrainingOutcome:
        seconds = reporter.elapsed
        theta = engine.flat().cpu().tolist()
        reporter.report(theta, force=True)
        return outcome(status, message, theta, where, seconds=seconds)

    if config.impl == "closed":
        loss = global_loss(closed_theta.to(device))
        reporter.add_epoch(loss)
        message = f"closed form ({solution.method}, XᵀX and Xᵀy summed over {W} ranks): loss {loss:.6f}"
        seconds = time.perf_counter() - began
        return outcome(RunStatus.FINISHED, message, closed_theta.tolist(), None, seconds=seconds, samples=n)
    engine = _Engine(config, d, device, W)
    steps_per_epoch = math.ceil(n / G)
    reporter.steps_per_epoch = steps_per_epoch
    limit = BLOWUP_FACTOR * max(reporter.initial_loss, 1e-8)
    gen = torch.Generator(device=device).manual_seed(config.seed)
    cap, chunk = max(1, min(CHUNK_STEPS, steps_per_epoch)), 1
    reporter.begin()
    last_good = engine.flat()
    for epoch in range(1, config.epochs + 1):
        perm = torch.randperm(n, generator=gen, device=device)
        s0 = 0
        while s0 < steps_per_epoch:
            k = min(chunk, steps_per_epoch - s0)
            chunk_began = time.perf_counter()
            buffer = torch.zeros(k + 2, device=device, dtype=torch.float64)
            hist, sizes = [], []
            for j in range(k):
                picked = perm[(s0 + j) * G : min((s0 + j + 1) * G, n)]
                m = picked.shape[0]
                mine = picked[_shard(m, group.rank, W)]
                hist.append(engine.flat())
                buffer[j] = engine.step(X.index_select(0, mine), y.index_select(0, mine), m)
                sizes.append(m)
            asked = group.stop_requested or (should_stop is not None and should_stop())
            buffer[k] = 1.0 if asked else 0.0
            buffer[k + 1] = time.perf_counter() - chunk_began
            dist.all_reduce(buffer)
            totals = buffer.tolist()
            values = [totals[j] / sizes[j] for j in range(k)]
            bad = first_bad(values, limit)
            if bad is not None:
                reporter.add_steps(values[:bad], sum(sizes[:bad]))
                engine.load_flat(hist[bad - 1] if bad > 0 else last_good)
                where = (epoch, s0 + bad + 1)
                return finish(RunStatus.DIVERGED, divergence_message(*where), where)
            reporter.add_steps(values, sum(sizes))
            last_good = hist[-1]
            s0 += k
            reporter.chunks += 1
            if totals[k] > 0:
                return finish(RunStatus.STOPPED, stopped_message(epoch, s0))
            chunk = next_chunk_size(chunk, totals[k + 1], cap)  # ranks' seconds summed: at least the slowest's
            if reporter.due():
                reporter.report(engine.flat().tolist(), force=True)
        loss = global_loss(engine.flat())
        if not math.isfinite(loss) or loss > limit:
            engine.load_flat(last_good)
            where = (epoch, steps_per_epoch)
            return finish(RunStatus.DIVERGED, divergence_message(*where), where)
        reporter.add_epoch(loss)
        if reporter.due():
            reporter.report(engine.flat().tolist(), force=True)
    return finish(RunStatus.FINISHED, finished_message(config.epochs))

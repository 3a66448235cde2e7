"""One hand-written update rule for single runs (a scalar rate) and batched sweeps (a rate per row).

``HandOptimizer`` replaced two near-copies (itself and the sweep's ``BatchedOptimizer``). Two
checks that the merge changed no figure: the rule against frozen copies of both old classes, bit
for bit on any machine; and whole runs and sweeps against the figures recorded before the merge
(``data/optimizer_figures.json``, made by ``record_figures`` below), where the platform matches.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import torch

from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.impls import ADAM_BETAS, ADAM_EPS, HandOptimizer
from tui_lab.core.train.runner import RunResult, run
from tui_lab.core.train.sweep import run_sweep

FIGURES = Path(__file__).parent / "data" / "optimizer_figures.json"
OPTIMIZERS = ("sgd", "momentum", "adam")


class OldHandOptimizer:
    """The single-run rule as it was before the merge (frozen here as the reference)."""

    def __init__(self, config: TrainConfig, params: list[torch.Tensor]) -> None:
        self.kind, self.lr, self.mu = config.optimizer, config.lr, config.momentum
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.t = 0

    def update(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        self.t += 1
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            if self.kind == "sgd":
                p.sub_(g, alpha=self.lr)
            elif self.kind == "momentum":
                m.mul_(self.mu).add_(g)
                p.sub_(m, alpha=self.lr)
            else:
                beta1, beta2 = ADAM_BETAS
                m.lerp_(g, 1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                denom = (v / (1 - beta2**self.t)).sqrt_().add_(ADAM_EPS)
                p.addcdiv_(m, denom, value=-self.lr / (1 - beta1**self.t))


class OldBatchedOptimizer:
    """The sweep's rule as it was before the merge (a learning rate per row)."""

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


def _steps(shapes: Sequence[tuple[int, ...]], count: int = 25) -> Iterator[list[torch.Tensor]]:
    gen = torch.Generator().manual_seed(7)
    for _ in range(count):
        yield [torch.randn(shape, generator=gen) * 3 for shape in shapes]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_a_scalar_rate_moves_parameters_exactly_as_the_old_single_run_rule(optimizer: str) -> None:
    config = TrainConfig(optimizer=optimizer, lr=0.037, momentum=0.85)
    shapes = [(3, 1), (1,)]
    new = [torch.linspace(-1, 1, 3).reshape(3, 1), torch.tensor([0.5])]
    old = [p.clone() for p in new]
    ours, theirs = HandOptimizer(config, new), OldHandOptimizer(config, old)
    for grads in _steps(shapes):
        ours.update(new, grads)
        theirs.update(old, grads)
        assert all(torch.equal(a, b) for a, b in zip(new, old, strict=True))


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_a_rate_per_row_moves_parameters_exactly_as_the_old_sweep_rule(optimizer: str) -> None:
    config = TrainConfig(optimizer=optimizer, momentum=0.85)
    rates = torch.tensor([0.003, 0.03, 0.3])
    shapes = [(3, 2, 1), (3, 1, 1)]
    new = [torch.linspace(-1, 1, 6).reshape(3, 2, 1), torch.zeros(3, 1, 1)]
    old = [p.clone() for p in new]
    ours, theirs = HandOptimizer(config, new, rate=rates), OldBatchedOptimizer(config, rates, old)
    for grads in _steps(shapes):
        ours.update(new, grads)
        theirs.update(old, grads)
        assert all(torch.equal(a, b) for a, b in zip(new, old, strict=True))


def test_forget_zeroes_only_the_given_rows_moments() -> None:
    config = TrainConfig(optimizer="adam")
    params = [torch.ones(3, 2)]
    opt = HandOptimizer(config, params, rate=torch.tensor([0.1, 0.2, 0.3]))
    opt.update(params, [torch.ones(3, 2)])
    opt.forget(torch.tensor([False, True, False]))
    assert opt.m[0][1].eq(0).all() and opt.m[0][0].ne(0).all() and opt.v[0][2].ne(0).all()


# -- whole runs against the figures recorded before the merge ---------------------------------


def _configs() -> Iterator[tuple[str, TrainConfig]]:
    for impl in ("scratch", "manual"):
        for optimizer in OPTIMIZERS:
            for loss in ("mse", "huber"):
                config = TrainConfig(impl=impl, optimizer=optimizer, loss=loss, n=205, batch_size=10, epochs=2, lr=0.03)
                yield f"{impl}-{optimizer}-{loss}", config


def _figures(result: RunResult) -> dict[str, Any]:
    return {
        "w": list(result.w),
        "b": result.b,
        "epoch_losses": list(result.epoch_losses),
        "step_losses": [float(v) for v in result.step_losses],
        "status": result.status,
    }


def record_figures() -> dict[str, Any]:
    """Every single run and sweep of :func:`_configs` on one CPU thread (how the JSON was made)."""
    recorded: dict[str, Any] = {"torch": torch.__version__.split("+")[0], "machine": platform.machine()}
    recorded["runs"], recorded["sweeps"] = {}, {}
    for name, config in _configs():
        recorded["runs"][name] = _figures(run(config))
        sweep = [config.with_changes(lr=lr) for lr in (0.01, 0.03, 0.1)]
        recorded["sweeps"][name] = [_figures(r) for r in run_sweep(sweep)]
    return recorded


@pytest.fixture
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_single_runs_and_sweeps_are_bit_identical_to_the_figures_recorded_before_the_merge(one_thread: None) -> None:
    recorded = json.loads(FIGURES.read_text(encoding="utf-8"))
    here = (torch.__version__.split("+")[0], platform.machine())
    if here != (recorded["torch"], recorded["machine"]):  # float kernels differ between builds and CPUs
        pytest.skip(f"figures were recorded with torch {recorded['torch']} on {recorded['machine']}")
    assert record_figures() == recorded

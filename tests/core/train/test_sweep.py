"""Batched sweeps: R learning rates as one program equal R runs alone; a diverging run stops alone."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tui_lab.core.train.batched import BatchedEngine
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.runner import STOPPED_BEFORE_FIRST_STEP, Progress, run
from tui_lab.core.train.sweep import batchable, run_sweep

RATES = (0.003, 0.03, 0.1, 100.0)
#: Adam at lr 100 does not diverge but bounces chaotically, where float rounding decides the path.
ADAM_RATES = (0.003, 0.03, 0.1, 0.3)


@pytest.mark.parametrize("impl", ["scratch", "concise", "manual"])
@pytest.mark.parametrize(("optimizer", "loss"), [("sgd", "mse"), ("momentum", "mse"), ("adam", "huber")])
def test_batched_sweep_equals_each_rate_alone(impl: str, optimizer: str, loss: str) -> None:
    base = TrainConfig(impl=impl, optimizer=optimizer, loss=loss, n=205, batch_size=10, epochs=3, seed=2)
    configs = [base.with_changes(lr=lr) for lr in (ADAM_RATES if optimizer == "adam" else RATES)]
    assert batchable(configs)
    swept = run_sweep(configs)
    for config, got in zip(configs, swept, strict=True):
        alone = run(config)
        assert got.config == config
        assert (got.status, got.diverged_at) == (alone.status, alone.diverged_at), config.lr
        assert got.w == pytest.approx(alone.w, rel=1e-4, abs=1e-5) and got.b == pytest.approx(
            alone.b, rel=1e-4, abs=1e-5
        )
        assert got.epoch_losses == pytest.approx(alone.epoch_losses, rel=1e-4, abs=1e-9)
        assert len(got.step_losses) == len(alone.step_losses) and got.samples == alone.samples
        assert got.step_losses == pytest.approx(alone.step_losses, rel=1e-3, abs=1e-7)
        assert got.message == alone.message


def test_a_diverging_run_stops_alone_while_the_others_finish() -> None:
    configs = [TrainConfig(impl="manual", lr=lr) for lr in (0.03, 100.0, 0.01)]
    results = run_sweep(configs)
    assert [r.status for r in results] == ["finished", "diverged", "finished"]
    assert results[1].diverged_at is not None and "try a smaller learning rate" in results[1].message
    assert results[0].final_loss is not None and results[0].final_loss < 1e-3
    assert len(results[0].epoch_losses) == 3 and all(v == v for v in results[1].w)  # finite, rolled back


def test_progress_is_per_run_and_complete() -> None:
    seen: dict[int, list[Progress]] = {}
    configs = [TrainConfig(impl="scratch", n=2000, epochs=2, lr=lr) for lr in (0.01, 0.03)]
    results = run_sweep(configs, on_progress=lambda i, p: seen.setdefault(i, []).append(p), progress_interval=0)
    for index, result in enumerate(results):
        progress = seen[index]
        assert sum(len(p.new_step_losses) for p in progress) == len(result.step_losses) == 400
        assert [v for p in progress for v in p.epoch_losses] == list(result.epoch_losses)
        assert progress[-1].w == result.w


def test_stop_ends_every_run_after_the_first_step(monkeypatch: pytest.MonkeyPatch) -> None:
    chunks: list[int] = []
    original = BatchedEngine.run_steps

    def counted(self: BatchedEngine, *args: Any) -> None:
        original(self, *args)
        chunks.append(args[2])

    monkeypatch.setattr(BatchedEngine, "run_steps", counted)
    configs = [TrainConfig(impl="concise", n=100_000, lr=lr) for lr in (0.01, 0.03, 0.1)]
    results = run_sweep(configs, should_stop=lambda: bool(chunks))
    assert [r.status for r in results] == ["stopped"] * 3 and all(len(r.step_losses) == 1 for r in results)


def test_a_stop_while_the_batched_program_prepares_ends_every_run_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building the stacked engine blocks (torch.optim's first use imports torch._dynamo): the sweep does not wait."""
    building, release = threading.Event(), threading.Event()
    original = BatchedEngine.__init__

    def slow_build(self: BatchedEngine, *args: Any) -> None:
        building.set()
        release.wait(30)
        original(self, *args)

    monkeypatch.setattr(BatchedEngine, "__init__", slow_build)
    ended: list[int] = []
    configs = [TrainConfig(impl="concise", n=1000, lr=lr) for lr in (0.01, 0.03, 0.1)]
    try:
        results = run_sweep(configs, should_stop=building.is_set, on_end=lambda index, result: ended.append(index))
    finally:
        release.set()
    assert [(r.status, r.message, len(r.step_losses)) for r in results] == [
        ("stopped", STOPPED_BEFORE_FIRST_STEP, 0)
    ] * 3
    assert ended == [0, 1, 2] and [r.config.lr for r in results] == [0.01, 0.03, 0.1]


def test_runs_that_differ_in_more_than_the_rate_run_one_after_another() -> None:
    configs = [TrainConfig(impl="manual", n=100, epochs=1), TrainConfig(impl="manual", n=100, epochs=1, batch_size=20)]
    assert not batchable(configs) and not batchable(configs[:1])
    assert not batchable([TrainConfig(impl="closed"), TrainConfig(impl="closed", lr=0.1)])
    indices: list[int] = []
    results = run_sweep(configs, on_progress=lambda i, p: indices.append(i))
    assert [r.steps_per_epoch for r in results] == [10, 5] and set(indices) == {0, 1}
    assert all("batched" not in " ".join(r.notes) for r in results)


def test_a_diverged_run_is_reported_when_it_diverges_not_when_the_sweep_ends() -> None:
    events: list[tuple[str, int]] = []
    ended: dict[int, object] = {}

    def on_end(index: int, result: object) -> None:
        events.append(("end", index))
        ended[index] = result

    configs = [TrainConfig(impl="manual", lr=lr) for lr in (0.03, 100.0, 0.01)]
    results = run_sweep(
        configs, on_progress=lambda i, p: events.append(("progress", i)), progress_interval=0, on_end=on_end
    )
    assert [index for kind, index in events if kind == "end"] == [1, 0, 2]  # each run once, the diverged one first
    after = events[events.index(("end", 1)) + 1 :]
    assert ("progress", 0) in after and ("progress", 2) in after and ("progress", 1) not in after  # the others went on
    for index, result in enumerate(results):  # what was said early is what the sweep returns
        said = ended[index]
        assert isinstance(said, type(result))
        for field in ("status", "message", "w", "b", "diverged_at", "epoch_losses", "samples", "seconds"):
            assert getattr(said, field) == getattr(result, field), (index, field)
        assert list(said.step_losses) == list(result.step_losses)
    assert results[1].status == "diverged"


def test_runs_one_after_another_are_reported_as_each_ends() -> None:
    configs = [TrainConfig(impl="manual", n=100, epochs=1), TrainConfig(impl="manual", n=100, epochs=1, batch_size=20)]
    ended: list[int] = []
    results = run_sweep(configs, on_end=lambda index, result: ended.append(index))
    assert ended == [0, 1] and len(results) == 2

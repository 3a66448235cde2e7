"""Chunks sized from measured step time: a stop is seen after the first step and whenever steps are slow."""

from __future__ import annotations

import time

import pytest
import torch

from tui_lab.core.train import runner as train_runner
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.impls import ENGINES
from tui_lab.core.train.runner import CHUNK_SECONDS, next_chunk_size, run


def test_chunk_sizes_grow_when_fast_and_shrink_when_slow() -> None:
    assert next_chunk_size(1, 0.0, 256) == 2
    assert next_chunk_size(128, 0.0, 256) == 256 and next_chunk_size(256, 0.0, 256) == 256
    assert next_chunk_size(8, CHUNK_SECONDS / 2, 256) == 8
    assert next_chunk_size(8, CHUNK_SECONDS * 2, 256) == 4 and next_chunk_size(1, 10.0, 256) == 1


@pytest.mark.parametrize("impl", ["scratch", "concise", "manual"])
def test_the_first_stop_poll_comes_after_one_step(impl: str) -> None:
    result = run(TrainConfig(impl=impl, n=200_000, epochs=3), should_stop=lambda: True)
    assert result.status == "stopped" and len(result.step_losses) == 1 and result.chunks == 1


@pytest.mark.parametrize("impl", ["scratch", "concise", "manual"])
def test_slow_steps_are_polled_after_every_step(impl: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each step sleeps longer than a quarter chunk, so chunks never grow past one step."""
    engine = ENGINES[impl]
    original = engine.run_steps

    def slow(self, Xc, yc, k, batch, losses, hist):  # type: ignore[no-untyped-def]
        time.sleep(k * CHUNK_SECONDS / 3)
        original(self, Xc, yc, k, batch, losses, hist)

    monkeypatch.setattr(engine, "run_steps", slow)
    seen: list[int] = []

    def never_stop() -> bool:
        seen.append(1)
        return False

    result = run(TrainConfig(impl=impl, n=60, epochs=1), should_stop=never_stop)
    assert result.status == "finished" and result.chunks == len(seen) == 6


def test_fast_steps_grow_into_fewer_chunks() -> None:
    polls: list[int] = []

    def never_stop() -> bool:
        polls.append(0)
        return False

    result = run(TrainConfig(impl="manual", n=200_000, epochs=1), should_stop=never_stop)
    assert result.status == "finished" and len(result.step_losses) == 20_000
    assert result.chunks == len(polls) < 20_000 / 8


def test_a_stop_mid_run_keeps_every_step_before_it() -> None:
    polls = 0

    def third() -> bool:
        nonlocal polls
        polls += 1
        return polls == 3

    result = run(TrainConfig(impl="scratch", n=100_000, epochs=2), should_stop=third)
    assert result.status == "stopped" and result.chunks == 3
    assert len(result.step_losses) == 1 + 2 + 4 or len(result.step_losses) < 7  # grown 1, 2, 4 unless slowed


def test_results_carry_notes_and_no_cuda_memory_on_cpu() -> None:
    result = run(TrainConfig(impl="manual", n=100, epochs=1))
    assert result.notes == () and result.peak_cuda_memory is None and result.graph_steps == 0


def test_closed_form_notes_its_method() -> None:
    assert run(TrainConfig(impl="closed", n=500)).message.startswith("closed form (lstsq)")


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")


@cuda
@pytest.mark.parametrize("impl", ["scratch", "concise", "manual"])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_cuda_graph_path_equals_eager(impl: str, optimizer: str) -> None:
    config = TrainConfig(impl=impl, optimizer=optimizer, n=20_005, epochs=2, lr=0.01)
    graphed = run(config, "cuda")
    eager = run(config, "cuda", use_cuda_graphs=False)
    assert graphed.status == eager.status == "finished"
    assert graphed.w == pytest.approx(eager.w, abs=1e-5) and graphed.b == pytest.approx(eager.b, abs=1e-5)
    assert graphed.epoch_losses == pytest.approx(eager.epoch_losses, rel=1e-4)
    assert graphed.peak_cuda_memory is not None and graphed.peak_cuda_memory > 0
    if impl == "scratch" and optimizer == "adam":
        assert graphed.graph_steps == 0 and any("eagerly" in note for note in graphed.notes)
    else:
        assert graphed.graph_steps > 0 and any("short last batch" in note for note in graphed.notes)


@cuda
@pytest.mark.parametrize("impl", ["scratch", "concise", "manual"])
def test_cuda_trains_and_stops_after_the_first_step(impl: str) -> None:
    assert run(TrainConfig(impl=impl), "cuda").final_loss < 1e-3  # type: ignore[operator]
    stopped = run(TrainConfig(impl=impl, n=1_000_000, epochs=3), "cuda", should_stop=lambda: True)
    assert stopped.status == "stopped" and len(stopped.step_losses) == 1


@cuda
@pytest.mark.parametrize("impl", ["scratch", "concise", "manual"])
def test_cuda_stop_is_seen_at_every_chunk_through_capture(impl: str) -> None:
    """Polls 1-12 span the eager growth, the capture chunk and replays; the stop ends the run at the 12th."""
    polls = 0

    def twelfth() -> bool:
        nonlocal polls
        polls += 1
        return polls == 12

    result = run(TrainConfig(impl=impl, n=1_000_000, epochs=3), "cuda", should_stop=twelfth)
    assert result.status == "stopped" and result.chunks == polls == 12


def test_runner_module_exposes_the_chunk_budget() -> None:
    assert train_runner.CHUNK_SECONDS == CHUNK_SECONDS <= 0.05

"""Chunks sized from a clock: a stop is seen while a run prepares, after its first step, and whenever steps are slow.

Time comes from :class:`~tests.core.train.pacing.ManualClock` (``run(..., clock=...)``), which moves
only when a test's engine says a step took so long: no test sleeps or reads the wall clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import torch

from tests.core.train.pacing import ManualClock, count_steps
from tests.train_fit import fit_of
from tui_lab.core.train import chunks as train_chunks
from tui_lab.core.train.chunks import CHUNK_SECONDS, StoppedBeforeFirstStep, next_chunk_size, unless_stopped
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.impls import ENGINES
from tui_lab.core.train.outcome import STOPPED_BEFORE_FIRST_STEP, RunStatus
from tui_lab.core.train.runner import run

IMPLS = pytest.mark.parametrize("impl", ["scratch", "concise", "manual"])


def test_chunk_sizes_grow_when_fast_and_shrink_when_slow() -> None:
    assert next_chunk_size(1, 0.0, 256) == 2
    assert next_chunk_size(128, 0.0, 256) == 256 and next_chunk_size(256, 0.0, 256) == 256
    assert next_chunk_size(8, CHUNK_SECONDS / 2, 256) == 8
    assert next_chunk_size(8, CHUNK_SECONDS * 2, 256) == 4 and next_chunk_size(1, 10.0, 256) == 1


@IMPLS
def test_a_stop_asked_while_the_run_prepares_ends_it_without_waiting(
    impl: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine's construction blocks (as torch.optim's first import of torch._dynamo does for ~2 s): the run
    must not wait for it. Without the polled preparation this test would wait for ``release`` (30 s) and train."""
    engine = ENGINES[impl]
    original = engine.__init__
    building, release = threading.Event(), threading.Event()

    def slow_build(self: object, *args: object) -> None:
        building.set()
        release.wait(30)
        original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "__init__", slow_build)
    try:
        result = run(TrainConfig(impl=impl, n=1000), should_stop=building.is_set)
    finally:
        release.set()
    assert (result.status, result.message) == ("stopped", STOPPED_BEFORE_FIRST_STEP)
    assert len(result.step_losses) == 0 and result.chunks == 0 and result.artifacts == {} and result.fit is None


def test_a_stop_asked_before_the_run_starts_is_seen_before_any_work() -> None:
    polls: list[int] = []

    def stop() -> bool:
        polls.append(1)
        return True

    result = run(TrainConfig(impl="manual", n=1000), should_stop=stop)
    assert result.status is RunStatus.STOPPED and len(polls) == 1 and len(result.step_losses) == 0


def test_preparation_errors_and_values_come_back_to_the_caller() -> None:
    assert unless_stopped(lambda checkpoint: 42, lambda: False) == 42

    def bad(checkpoint: object) -> int:
        raise ValueError("bad data")

    with pytest.raises(ValueError, match="bad data"):
        unless_stopped(bad, lambda: False)
    with pytest.raises(StoppedBeforeFirstStep):
        unless_stopped(lambda checkpoint: 42, lambda: True)


def test_an_abandoned_preparation_ends_at_its_next_checkpoint() -> None:
    """The helper thread is not a daemon (exiting under torch aborts the process), so it must not linger."""
    first_stage, release, stages = threading.Event(), threading.Event(), []

    def work(checkpoint: Callable[[], None]) -> int:
        stages.append("first")
        first_stage.set()
        release.wait(30)
        checkpoint()
        stages.append("second")
        return 1

    with pytest.raises(StoppedBeforeFirstStep):
        unless_stopped(work, first_stage.is_set)
    helper = next(t for t in threading.enumerate() if t.name == "tui-lab-run-setup")
    assert not helper.daemon
    release.set()
    helper.join(30)
    assert not helper.is_alive() and stages == ["first"]


@IMPLS
def test_the_first_stop_poll_after_preparing_comes_after_one_step(impl: str, monkeypatch: pytest.MonkeyPatch) -> None:
    steps = count_steps(monkeypatch, impl)
    result = run(TrainConfig(impl=impl, n=200_000, epochs=3), should_stop=lambda: bool(steps))
    assert result.status is RunStatus.STOPPED and len(result.step_losses) == 1 and result.chunks == 1 and steps == [1]
    w = result.artifacts["w"]
    assert isinstance(w, torch.Tensor) and w.shape == (2,)  # what one step learned is published, as for any stop


@IMPLS
def test_slow_steps_are_polled_after_every_step(impl: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each step takes a third of a chunk's budget on the clock, so chunks never grow past one step."""
    clock = ManualClock()
    steps = count_steps(monkeypatch, impl, clock, seconds_per_step=CHUNK_SECONDS / 3)
    polls_after_a_step: list[int] = []

    def never_stop() -> bool:
        if steps:
            polls_after_a_step.append(1)
        return False

    result = run(TrainConfig(impl=impl, n=60, epochs=1), should_stop=never_stop, clock=clock)
    assert result.status is RunStatus.FINISHED and steps == [1] * 6
    assert result.chunks == len(polls_after_a_step) == 6


def test_fast_steps_grow_into_fewer_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a clock that stands still chunks double up to the cap: 1, 2, 4 … 128, then 256 each."""
    steps = count_steps(monkeypatch, "manual")
    result = run(TrainConfig(impl="manual", n=200_000, epochs=1), clock=ManualClock())
    assert result.status is RunStatus.FINISHED and len(result.step_losses) == sum(steps) == 20_000
    growth = [2**i for i in range(8)]
    full, rest = divmod(20_000 - sum(growth), 256)
    assert steps == growth + [256] * full + [rest] and result.chunks == len(steps)


def test_a_stop_mid_run_keeps_every_step_before_it(monkeypatch: pytest.MonkeyPatch) -> None:
    steps = count_steps(monkeypatch, "scratch")
    result = run(
        TrainConfig(impl="scratch", n=100_000, epochs=2), should_stop=lambda: len(steps) == 3, clock=ManualClock()
    )
    assert result.status is RunStatus.STOPPED and result.chunks == 3 and steps == [1, 2, 4]
    assert len(result.step_losses) == 7 and result.message == "stopped in epoch 1 at step 7"


def test_the_progress_throttle_reads_the_same_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reports come at most every ``progress_interval`` seconds of the injected clock, plus the final one."""
    clock = ManualClock()
    count_steps(monkeypatch, "manual", clock, seconds_per_step=0.001)  # 200 steps: 0.2 s
    seen: list[object] = []
    run(TrainConfig(impl="manual", n=2000, epochs=1), on_progress=seen.append, clock=clock, progress_interval=0.05)
    assert 3 <= len(seen) <= 6  # chunks of 1, 2, 4 … steps cross 0.05 s boundaries a few times, never per step


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
    assert graphed.status == eager.status is RunStatus.FINISHED
    assert fit_of(graphed).w == pytest.approx(fit_of(eager).w, abs=1e-5)
    assert fit_of(graphed).b == pytest.approx(fit_of(eager).b, abs=1e-5)
    assert graphed.epoch_losses == pytest.approx(eager.epoch_losses, rel=1e-4)
    assert graphed.peak_cuda_memory is not None and graphed.peak_cuda_memory > 0
    if impl == "scratch" and optimizer == "adam":
        assert graphed.graph_steps == 0 and any("eagerly" in note for note in graphed.notes)
    else:
        assert graphed.graph_steps > 0 and any("short last batch" in note for note in graphed.notes)


@cuda
@pytest.mark.parametrize("impl", ["scratch", "concise", "manual"])
def test_cuda_trains_and_stops_after_the_first_step(impl: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(TrainConfig(impl=impl), "cuda").final_loss < 1e-3  # type: ignore[operator]
    steps = count_steps(monkeypatch, impl)
    stopped = run(TrainConfig(impl=impl, n=1_000_000, epochs=3), "cuda", should_stop=lambda: bool(steps))
    assert stopped.status is RunStatus.STOPPED and len(stopped.step_losses) == 1


@cuda
@pytest.mark.parametrize("impl", ["scratch", "concise", "manual"])
def test_cuda_stop_is_seen_at_every_chunk_through_capture(impl: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Polls 1-12 after the first step span the eager growth, the capture chunk and replays; the 12th stops the run."""
    steps = count_steps(monkeypatch, impl)  # the first chunk always runs eagerly; replays bypass run_steps
    polls = 0

    def twelfth() -> bool:
        nonlocal polls
        polls += 1 if steps else 0
        return polls == 12

    result = run(TrainConfig(impl=impl, n=1_000_000, epochs=3), "cuda", should_stop=twelfth)
    assert result.status is RunStatus.STOPPED and result.chunks == polls == 12


def test_the_chunk_budget_keeps_a_stop_prompt() -> None:
    assert train_chunks.CHUNK_SECONDS == CHUNK_SECONDS <= 0.05

"""Memory estimates: N × (d + 1) × 4 bytes × 2 checked against free memory before anything is allocated."""

from __future__ import annotations

import pytest

from tui_lab.core.train import data as train_data
from tui_lab.core.train import limits
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.data import DataError, load_dataset
from tui_lab.core.train.limits import data_bytes, estimate, format_bytes


def test_the_estimate_is_the_data_and_its_shuffled_copy() -> None:
    assert data_bytes(1000, 2) == 1000 * 3 * 4 * 2
    assert format_bytes(8 * 2**30) == "8 GiB" and format_bytes(1536) == "1.5 KiB" and format_bytes(10) == "10 B"


def test_a_run_that_does_not_fit_is_refused_with_the_numbers() -> None:
    guess = estimate(10**9, 2, "cpu", free=lambda _device: 8 * 2**30)
    assert not guess.fits
    message = guess.refusal(10**9, 2)
    assert "22.4 GiB" in message and "8 GiB is free" in message and "use N ≤ 286,331,153" in message
    assert estimate(1000, 2, "cpu", free=lambda _device: None).fits  # unknown free memory: not refused


def test_synthetic_data_is_refused_before_allocation(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_args: object) -> None:
        raise AssertionError("data was generated although it cannot fit")

    monkeypatch.setattr(limits, "free_ram", lambda: 2**30)
    monkeypatch.setattr(train_data, "synthetic_data", never)
    with pytest.raises(DataError) as caught:
        load_dataset(TrainConfig(n=10**9))
    assert caught.value.field == "n" and "only 1 GiB is free" in str(caught.value)


def test_gpu_memory_is_checked_for_a_cuda_run(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def free(device: str) -> int:
        seen.append(device)
        return 2**40 if device == "cpu" else 2**20

    monkeypatch.setattr(train_data, "estimate", lambda n, d, device: estimate(n, d, device, free=free))
    with pytest.raises(DataError, match="on cuda:0"):
        load_dataset(TrainConfig(n=1_000_000), device="cuda:0")
    assert seen == ["cpu", "cuda:0"]


def test_free_ram_reads_something_here() -> None:
    free = limits.free_ram()
    assert free is None or free > 0

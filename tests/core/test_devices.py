"""Device specs and what exists on this machine (the status bar's text is the UI's: tests/ui/test_device_label.py)."""

from __future__ import annotations

import pytest
import torch

from tui_lab.core.devices import (
    DeviceError,
    available_devices,
    parse_device_spec,
    resolve_device,
)


@pytest.mark.parametrize(
    ("spec", "expected"), [("cpu", "cpu"), (" CUDA ", "cuda"), ("cuda:1", "cuda:1"), ("mps", "mps")]
)
def test_parse_accepts_the_four_forms(spec: str, expected: str) -> None:
    assert parse_device_spec(spec) == expected


@pytest.mark.parametrize("spec", ["gpu", "cuda:x", "cpu:0", "mps:1", "", "cuda:-1"])
def test_parse_rejects_anything_else(spec: str) -> None:
    with pytest.raises(DeviceError, match="use cpu, cuda, cuda:N or mps"):
        parse_device_spec(spec)


def test_cpu_always_exists_and_resolves() -> None:
    assert available_devices()[0] == "cpu"
    assert resolve_device("cpu") == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only message")
def test_cuda_on_a_cpu_only_machine_says_why() -> None:
    with pytest.raises(DeviceError, match=r"cuda is not available: .*Devices here: cpu"):
        resolve_device("cuda")


@pytest.mark.skipif(torch.cuda.device_count() > 7, reason="needs fewer than 8 GPUs")
def test_a_gpu_index_past_the_last_is_refused() -> None:
    with pytest.raises(DeviceError, match="cuda:7 is not available"):
        resolve_device("cuda:7")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_cuda_resolves_to_first_gpu() -> None:
    assert resolve_device("cuda") == "cuda:0"

"""The GPU view from NVML (a fake module), its silent fallbacks, and the faked hosts tests render with."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes_gpu import FakeCard, FakeNvml
from tui_lab.core import devices, gpu
from tui_lab.core.gpu import GpuStatus


def test_two_gpu_host_lists_both_cards_with_load(fake_gpu_host: FakeNvml) -> None:
    cards = gpu.list_gpus()
    assert [c.index for c in cards] == [0, 1] and all(c.source == "nvml" for c in cards)
    busy = cards[0]
    assert busy.name == "NVIDIA H100 80GB HBM3" and busy.utilization == 87 and busy.temperature == 64
    assert busy.memory_used == 12 * 2**30 and busy.memory_free == 68 * 2**30 and busy.processes == 2
    assert busy.summary() == "87% · 12.0/80.0 GiB · 64°C · 2 procs"
    assert cards[1].summary() == "0% · 1.0/80.0 GiB · 33°C · 0 procs"


def test_the_fake_host_lists_and_resolves_its_cards(fake_gpu_host: FakeNvml) -> None:
    assert devices.available_devices() == ["cpu", "cuda:0", "cuda:1"]
    assert devices.resolve_device("cuda") == "cuda:0"
    with pytest.raises(devices.DeviceError, match="this machine has 2 GPU"):
        devices.resolve_device("cuda:2")


def test_cpu_only_host_has_no_gpus_and_says_why(cpu_only_host: None) -> None:
    assert gpu.list_gpus() == [] and gpu.snapshot(0) is None
    assert devices.available_devices() == ["cpu"]
    with pytest.raises(
        devices.DeviceError, match=r"cuda is not available: no NVIDIA GPU is visible\. Devices here: cpu\."
    ):
        devices.resolve_device("cuda")


def test_unsupported_fields_are_none_not_errors(fake_gpu_host: FakeNvml) -> None:
    fake_gpu_host.cards[0].utilization = None
    fake_gpu_host.cards[0].temperature = None
    status = gpu.snapshot(0)
    assert status is not None and status.utilization is None and status.temperature is None
    assert status.summary() == "12.0/80.0 GiB · 2 procs"


def test_a_missing_card_is_none(fake_gpu_host: FakeNvml) -> None:
    assert gpu.snapshot(5) is None


def test_cuda_visible_devices_maps_torch_indices(fake_gpu_host: FakeNvml, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    status = gpu.snapshot(0)
    assert status is not None and status.index == 0 and status.temperature == 33
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-aaaa,GPU-bbbb")
    assert [s.temperature for s in gpu.list_gpus()] == [64, 33]


def test_bytes_names_are_decoded(fake_gpu_host: FakeNvml) -> None:
    fake_gpu_host.cards[0].name = b"NVIDIA A100-SXM4-40GB"  # type: ignore[assignment]  # old pynvml returns bytes
    status = gpu.snapshot(0)
    assert status is not None and status.name == "NVIDIA A100-SXM4-40GB"


def test_nvml_that_fails_to_initialise_is_silently_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    broken: Any = types.ModuleType("pynvml")

    def fail() -> None:
        raise RuntimeError("NVML Shared Library Not Found")

    broken.nvmlInit = fail
    monkeypatch.setitem(sys.modules, "pynvml", broken)
    gpu.reset_nvml()
    devices.override_devices(["cpu"])
    try:
        assert gpu.nvml() is None and gpu.list_gpus() == []
    finally:
        devices.override_devices(None)
        gpu.reset_nvml()


def test_nvml_is_initialised_once() -> None:
    fake = FakeNvml([FakeCard()])
    gpu.set_nvml(fake)
    devices.override_devices(["cpu", "cuda:0"])
    try:
        for _ in range(3):
            assert gpu.snapshot(0) is not None
        assert gpu.nvml() is fake
    finally:
        devices.override_devices(None)
        gpu.reset_nvml()


def test_torch_fallback_fills_name_and_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    gpu.set_nvml(None)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda index: (30 * 2**30, 40 * 2**30))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: "Tesla T4")
    try:
        status = gpu.snapshot(0)
    finally:
        gpu.reset_nvml()
    assert status == GpuStatus(0, "Tesla T4", 10 * 2**30, 40 * 2**30, source="torch")
    assert status.summary() == "10.0/40.0 GiB"


def test_gpu_module_imports_no_ui() -> None:
    import subprocess
    import sys

    code = "import sys, tui_lab.core.gpu; print('textual' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]

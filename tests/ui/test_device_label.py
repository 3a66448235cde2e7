"""The status bar's text for a device: the UI's own (core.devices resolves devices, core.gpu reads cards)."""

from __future__ import annotations

import pytest
import torch

from tests.fakes_gpu import FakeNvml
from tui_lab.core import gpu
from tui_lab.ui.app import device_status_label


def test_cpu_names_its_thread_count() -> None:
    assert device_status_label("cpu") == f"cpu · {torch.get_num_threads()} threads"


def test_a_card_reads_as_nvitop_shows_it(fake_gpu_host: FakeNvml) -> None:
    assert device_status_label("cuda:1") == "cuda:1 · NVIDIA H100 80GB HBM3 · 0% · 1.0/80.0 GiB · 33°C · 0 procs"
    assert device_status_label("cpu") == "cpu · 2 threads"


def test_a_card_that_cannot_be_read_is_unavailable(cpu_only_host: None) -> None:
    assert gpu.snapshot(0) is None
    assert device_status_label("cuda:0") == "cuda:0 · unavailable"


@pytest.mark.parametrize(("device", "label"), [("mps", "mps · Apple GPU"), ("meta", "meta")])
def test_other_devices_are_named(device: str, label: str) -> None:
    assert device_status_label(device) == label

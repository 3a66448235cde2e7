"""Shared fixtures: a redirected home directory and a ready workspace."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from tui_lab.core.workspace import Workspace

# Property tests are deterministic: the same examples on every run (a failure is a defect, not
# luck), and no per-example deadline on a busy 2-core machine. Explore new examples locally with
# `pytest --hypothesis-profile explore`.
settings.register_profile("repeatable", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None)
settings.load_profile("repeatable")


@pytest.fixture(autouse=True)
def lab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every state and config directory at a temporary folder."""
    home = tmp_path / "lab-home"
    monkeypatch.setenv("TUI_LAB_HOME", str(home))
    yield home


@pytest.fixture(autouse=True)
def matplotlib_settings() -> Iterator[None]:
    """matplotlib's settings as matplotlib defines them, again after each test that changed them.

    They are the process's: the book's ``d2l.set_figsize`` run by one test made every later figure in that
    worker 350×250 instead of 640×480, and a test that reads a figure's size failed when it ran after it.
    """
    yield
    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is not None:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close("all")
        matplotlib.rcdefaults()  # every setting but the backend's (matplotlib's style blacklist)


@pytest.fixture
def workspace() -> Workspace:
    """A fresh workspace with torch, nn, F, np and pd already bound, and ``d2l`` importable, as in the app."""
    from tui_lab.core.repl.d2l import hook

    ws = Workspace()
    hook.install(ws)
    ws.load_preloads()
    return ws


@pytest.fixture
def fake_gpu_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A host with two fake H100s (cpu, cuda:0, cuda:1) seen through a fake NVML; yields the FakeNvml.

    Pins torch's thread count to 2 so ``cpu · 2 threads`` reads the same on every machine.
    Training on these cards is not possible: they exist only for device lists, pickers and status bars.
    """
    import torch

    from tests.fakes_gpu import two_gpus
    from tui_lab.core import devices, gpu

    fake = two_gpus()
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    devices.override_devices(["cpu", "cuda:0", "cuda:1"])
    gpu.set_nvml(fake)
    yield fake
    devices.override_devices(None)
    gpu.reset_nvml()


@pytest.fixture
def cpu_only_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A host with only a CPU (2 torch threads) and no NVML, whatever the machine really has."""
    import torch

    from tui_lab.core import devices, gpu

    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    devices.override_devices(["cpu"])
    gpu.set_nvml(None)
    yield
    devices.override_devices(None)
    gpu.reset_nvml()

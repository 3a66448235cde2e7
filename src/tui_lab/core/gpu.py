"""The GPUs in view, as nvitop shows them: utilisation, memory used/total, temperature, processes.

Reads NVML through ``nvidia-ml-py`` (the official binding, imported as ``pynvml``; install the
``tui-lab[gpu]`` extra). Without it, without a driver, or for a field a card does not report,
everything falls back silently to what torch knows (name and memory) or to ``None``. Never
raises: a status bar that polls this once a second must not be able to crash the app.

Indices are torch's (``cuda:N``), mapped to NVML's through ``CUDA_VISIBLE_DEVICES`` (numbers or
``GPU-…`` UUIDs). Tests inject a fake NVML module with :func:`set_nvml` and fake the device list
with ``devices.override_devices``, so no test depends on the host.

API for the UI: ``snapshot(index) -> GpuStatus | None`` (one card, cheap: call it from a worker
about once a second), ``list_gpus() -> list[GpuStatus]`` (every card, for the device picker),
``GpuStatus.summary()`` (``37% · 12.1/79.6 GiB · 41°C · 2 procs``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sized
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from tui_lab.core import devices

T = TypeVar("T")
HandleT = TypeVar("HandleT")


class MemoryInfo(Protocol):
    """What ``nvmlDeviceGetMemoryInfo`` returns (bytes)."""

    @property
    def used(self) -> int: ...
    @property
    def total(self) -> int: ...


class Utilization(Protocol):
    """What ``nvmlDeviceGetUtilizationRates`` returns (percent)."""

    @property
    def gpu(self) -> int: ...


class Nvml(Protocol[HandleT]):
    """The part of ``pynvml`` this module calls; ``HandleT`` is its device handle (opaque to us)."""

    @property
    def NVML_TEMPERATURE_GPU(self) -> int: ...  # noqa: N802 (pynvml's name)
    def nvmlInit(self) -> None: ...  # noqa: N802
    def nvmlDeviceGetHandleByIndex(self, index: int, /) -> HandleT: ...  # noqa: N802
    def nvmlDeviceGetHandleByUUID(self, uuid: str, /) -> HandleT: ...  # noqa: N802
    def nvmlDeviceGetName(self, handle: HandleT, /) -> str | bytes: ...  # noqa: N802
    def nvmlDeviceGetMemoryInfo(self, handle: HandleT, /) -> MemoryInfo: ...  # noqa: N802
    def nvmlDeviceGetUtilizationRates(self, handle: HandleT, /) -> Utilization: ...  # noqa: N802
    def nvmlDeviceGetTemperature(self, handle: HandleT, sensor: int, /) -> int: ...  # noqa: N802
    def nvmlDeviceGetComputeRunningProcesses(self, handle: HandleT, /) -> Sized: ...  # noqa: N802


#: The NVML in use. Any: its handle type is pynvml's (an opaque C pointer) or a fake's, never looked into.
AnyNvml = Nvml[Any]

_lock = threading.Lock()
_nvml: AnyNvml | None = None  # the NVML in use; None when it is unavailable (or not tried yet)
_tried = False  # whether _nvml is settled: loaded, found missing, or injected
_injected = False


@dataclass(frozen=True)
class GpuStatus:
    """One card's state; fields a source cannot report are None."""

    index: int
    name: str
    memory_used: int
    memory_total: int
    utilization: int | None = None  # percent of time a kernel ran over the last sample period
    temperature: int | None = None  # °C
    processes: int | None = None  # compute processes on the card (this one included)
    source: str = "nvml"  # nvml | torch

    @property
    def memory_free(self) -> int:
        """Bytes not in use."""
        return max(0, self.memory_total - self.memory_used)

    def summary(self) -> str:
        """``37% · 12.1/79.6 GiB · 41°C · 2 procs``: what the status bar shows after the device name."""
        parts = [] if self.utilization is None else [f"{self.utilization}%"]
        parts.append(f"{self.memory_used / 2**30:.1f}/{self.memory_total / 2**30:.1f} GiB")
        if self.temperature is not None:
            parts.append(f"{self.temperature}°C")
        if self.processes is not None:
            parts.append(f"{self.processes} proc{'s' if self.processes != 1 else ''}")
        return " · ".join(parts)


def set_nvml(module: AnyNvml | None) -> None:
    """Use ``module`` as NVML (a fake in tests; None: pretend NVML is missing); ``reset_nvml`` undoes it."""
    global _nvml, _tried, _injected
    with _lock:
        _nvml, _tried, _injected = module, True, True


def reset_nvml() -> None:
    """Forget any injected or loaded NVML; the next call loads ``pynvml`` again."""
    global _nvml, _tried, _injected
    with _lock:
        _nvml, _tried, _injected = None, False, False


def nvml() -> AnyNvml | None:
    """The NVML module, initialised once, or None when it cannot be used here."""
    global _nvml, _tried
    with _lock:
        if not _tried:
            try:
                import pynvml  # nvidia-ml-py

                pynvml.nvmlInit()
                _nvml = pynvml
            except Exception:  # ImportError, NVMLError (no driver, no library): all mean "no NVML"
                _nvml = None
            _tried = True
        return _nvml


def _try(read: Callable[[], T]) -> T | None:
    try:
        return read()
    except Exception:  # NVMLError_NotSupported and friends: this field is unknown on this card
        return None


def _handle(lib: Nvml[HandleT], index: int) -> HandleT:
    """NVML's handle for torch's ``cuda:index``, honouring CUDA_VISIBLE_DEVICES."""
    visible = [v.strip() for v in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if v.strip()]
    if "CUDA_VISIBLE_DEVICES" in os.environ and index < len(visible):
        entry = visible[index]
        if entry.isdigit():
            return lib.nvmlDeviceGetHandleByIndex(int(entry))
        return lib.nvmlDeviceGetHandleByUUID(entry)
    return lib.nvmlDeviceGetHandleByIndex(index)


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _from_nvml(lib: Nvml[HandleT], index: int) -> GpuStatus | None:
    handle = _try(lambda: _handle(lib, index))
    if handle is None:
        return None
    memory = _try(lambda: lib.nvmlDeviceGetMemoryInfo(handle))
    if memory is None:
        return None
    rates = _try(lambda: lib.nvmlDeviceGetUtilizationRates(handle))
    temperature = _try(lambda: lib.nvmlDeviceGetTemperature(handle, lib.NVML_TEMPERATURE_GPU))
    processes = _try(lambda: lib.nvmlDeviceGetComputeRunningProcesses(handle))
    return GpuStatus(
        index=index,
        name=_text(_try(lambda: lib.nvmlDeviceGetName(handle)) or f"GPU {index}"),
        memory_used=int(memory.used),
        memory_total=int(memory.total),
        utilization=None if rates is None else int(rates.gpu),
        temperature=None if temperature is None else int(temperature),
        processes=None if processes is None else len(processes),
    )


def _from_torch(index: int) -> GpuStatus | None:
    if devices.devices_overridden():
        return None  # a faked host: never ask the real one
    try:
        import torch

        free, total = torch.cuda.mem_get_info(index)
        return GpuStatus(index, torch.cuda.get_device_name(index), int(total - free), int(total), source="torch")
    except Exception:  # no CUDA, bad index, a driver error: nothing to show
        return None


def snapshot(index: int) -> GpuStatus | None:
    """``cuda:index`` now, from NVML or else torch; None when there is no such card or nothing can be read."""
    lib = nvml()
    if lib is not None:
        status = _from_nvml(lib, index)
        if status is not None:
            return status
    return _from_torch(index)


def list_gpus() -> list[GpuStatus]:
    """Every card torch can use here (``cuda:0``…), each with its current status."""
    count = sum(1 for d in devices.available_devices() if d.startswith("cuda"))
    found = (snapshot(i) for i in range(count))
    return [status for status in found if status is not None]

"""How much memory a run's data needs, and whether this machine has it free.

A run plans for its data twice: ``X`` with ``y`` (N × (d + 1) float32 values) and a working copy
of the same size (``[X, 1]`` for the manual engine, the copy a device or a dtype change makes). :func:`check_memory` compares that estimate with the free RAM
(``MemAvailable``) or the free memory of the GPU *before* anything is allocated, so N = 10⁹ is a
clear refusal instead of a raw allocator error or a visit from the OOM killer.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

#: Bytes per value (float32).
VALUE_BYTES = 4
#: The data and a working copy.
COPIES = 2
#: Share of the free memory a run may plan to use (the rest is for the model, the UI, other users).
USABLE_SHARE = 0.8


@dataclass(frozen=True)
class MemoryEstimate:
    """What a run's data needs on one device, and what that device has free (None when unknown)."""

    device: str
    needed: int
    free: int | None

    @property
    def fits(self) -> bool:
        """True when the data fits in the usable share of the free memory (or the free memory is unknown)."""
        return self.free is None or self.needed <= USABLE_SHARE * self.free

    def refusal(self, n: int, d: int) -> str:
        """A learner-facing sentence saying why the run was not started."""
        free = "unknown" if self.free is None else format_bytes(self.free)
        largest = max(1, int(USABLE_SHARE * (self.free or 0)) // (COPIES * VALUE_BYTES * (d + 1)))
        usable = "" if self.free is None else f", of which a run may use {USABLE_SHARE:.0%}"
        return (
            f"N = {n:,} × {d + 1} values needs about {format_bytes(self.needed)} on {self.device} "
            f"(data and a working copy), but only {free} is free{usable}; use N ≤ {largest:,}"
        )


def data_bytes(n: int, d: int) -> int:
    """Bytes of the data and a working copy: N × (d + 1) × 4 × 2."""
    return n * (d + 1) * VALUE_BYTES * COPIES


def format_bytes(size: float) -> str:
    """``7.9 GiB``, ``512 MiB``, ``12 KiB``."""
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{int(size)} B"


def free_ram() -> int | None:
    """Bytes of RAM available to a new allocation (Linux ``MemAvailable``, else sysconf), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def free_device_memory(device: str) -> int | None:
    """Free bytes on ``device``: RAM for cpu (and mps, which shares it), the GPU's own memory for cuda."""
    if device.startswith("cuda"):
        torch = sys.modules.get("torch")
        if torch is None:
            return None
        try:
            free, _total = torch.cuda.mem_get_info(torch.device(device))
        except (RuntimeError, AssertionError):
            return None
        return int(free)
    return free_ram()


def estimate(
    n: int, d: int, device: str = "cpu", free: Callable[[str], int | None] = free_device_memory
) -> MemoryEstimate:
    """The memory estimate for N samples of d features on ``device`` (``free`` is injectable for tests)."""
    return MemoryEstimate(device, data_bytes(n, d), free(device))

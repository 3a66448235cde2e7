"""A fake ``pynvml`` for tests: cards with fixed names, memory, utilisation and temperature."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace


class NVMLError(Exception):
    """Stands in for pynvml.NVMLError."""


@dataclass
class FakeCard:
    """One fake GPU as NVML reports it."""

    name: str = "NVIDIA H100 80GB HBM3"
    total: int = 80 * 2**30
    used: int = 2 * 2**30
    utilization: int | None = 37
    temperature: int | None = 41
    processes: int = 1
    uuid: str = ""


@dataclass
class FakeNvml:
    """The subset of pynvml that ``tui_lab.core.gpu`` calls; a field set to None raises NotSupported."""

    cards: list[FakeCard] = field(default_factory=list)
    NVML_TEMPERATURE_GPU: int = 0
    calls: int = 0

    NVMLError = NVMLError

    def nvmlInit(self) -> None:  # noqa: N802
        self.calls += 1

    def nvmlDeviceGetCount(self) -> int:  # noqa: N802
        return len(self.cards)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> FakeCard:  # noqa: N802
        self.calls += 1
        if not 0 <= index < len(self.cards):
            raise NVMLError("Invalid Argument")
        return self.cards[index]

    def nvmlDeviceGetHandleByUUID(self, uuid: str) -> FakeCard:  # noqa: N802
        for card in self.cards:
            if card.uuid == uuid:
                return card
        raise NVMLError("Not Found")

    def nvmlDeviceGetName(self, card: FakeCard) -> str:  # noqa: N802
        return card.name

    def nvmlDeviceGetMemoryInfo(self, card: FakeCard) -> SimpleNamespace:  # noqa: N802
        return SimpleNamespace(total=card.total, used=card.used, free=card.total - card.used)

    def nvmlDeviceGetUtilizationRates(self, card: FakeCard) -> SimpleNamespace:  # noqa: N802
        if card.utilization is None:
            raise NVMLError("Not Supported")
        return SimpleNamespace(gpu=card.utilization, memory=card.utilization // 2)

    def nvmlDeviceGetTemperature(self, card: FakeCard, sensor: int) -> int:  # noqa: N802
        if card.temperature is None:
            raise NVMLError("Not Supported")
        return card.temperature

    def nvmlDeviceGetComputeRunningProcesses(self, card: FakeCard) -> list[SimpleNamespace]:  # noqa: N802
        return [SimpleNamespace(pid=1000 + i, usedGpuMemory=2**30) for i in range(card.processes)]


def two_gpus() -> FakeNvml:
    """Two H100s: the first busy and warm, the second idle."""
    return FakeNvml(
        [
            FakeCard(used=12 * 2**30, utilization=87, temperature=64, processes=2, uuid="GPU-aaaa"),
            FakeCard(used=1 * 2**30, utilization=0, temperature=33, processes=0, uuid="GPU-bbbb"),
        ]
    )

"""Test seams for the chunk sizer: a clock that moves only when told, and engines that count their steps."""

from __future__ import annotations

from typing import Any

import pytest

from tui_lab.core.train.impls import ENGINES


class ManualClock:
    """A monotonic clock for ``run(..., clock=...)`` that stands still until :meth:`advance` moves it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass."""
        self.now += seconds


def count_steps(
    monkeypatch: pytest.MonkeyPatch, impl: str, clock: ManualClock | None = None, seconds_per_step: float = 0.0
) -> list[int]:
    """Wrap engine ``impl``'s ``run_steps``: the returned list gets each chunk's step count as it runs.

    With ``clock``, every step takes ``seconds_per_step`` of it (a slow engine, without sleeping).
    """
    engine = ENGINES[impl]
    original = engine.run_steps
    chunks: list[int] = []

    def counted(self: Any, Xc: Any, yc: Any, k: int, batch: int, losses: Any, hist: Any) -> None:
        original(self, Xc, yc, k, batch, losses, hist)
        chunks.append(k)
        if clock is not None:
            clock.advance(k * seconds_per_step)

    monkeypatch.setattr(engine, "run_steps", counted)
    return chunks

"""How a run is paced: chunks of steps sized from a clock, and a start that a stop can interrupt.

Every engine (single runs, batched sweeps, workspace models) trains in chunks: the first is one
step, a chunk doubles while it takes under a quarter of ``CHUNK_SECONDS`` and halves when it takes
longer, and ``should_stop`` is polled after each. The time comes from a :data:`Clock` the caller
passes in (``time.perf_counter`` by default), so tests drive the sizer with a clock they move
themselves instead of sleeping.

Before the first step a run prepares: it loads or copies its data, measures the initial loss,
solves the closed form it is compared with, builds its engine (``torch.optim`` imports
``torch._dynamo`` on first use: 1.5–2.5 s on a CPU) and draws its first permutation. None of that
can be cut short from inside, so :func:`unless_stopped` runs it on a helper thread and polls
``should_stop`` every ``STOP_POLL`` seconds meanwhile: a stop asked at any time before the first
step ends the run at once, with status "stopped", and the abandoned preparation ends after the
stage it is in.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

#: A monotonic clock in seconds.
Clock = Callable[[], float]

#: Most steps in one chunk, and most rows.
CHUNK_STEPS = 256
CHUNK_SAMPLES = 1 << 18
#: Seconds between progress reports.
PROGRESS_INTERVAL = 0.1
#: A chunk slower than this is halved for the next one, one faster than a quarter of it doubled
#: (stop must take effect within 0.5 s).
CHUNK_SECONDS = 0.05
#: How often a run's preparation checks for a stop.
STOP_POLL = 0.01

T = TypeVar("T")


def default_clock() -> Clock:
    """``time.perf_counter``, looked up when a run starts (so a test can replace the module's clock)."""
    return time.perf_counter


def next_chunk_size(steps: int, seconds: float, cap: int) -> int:
    """The next chunk's step count after ``steps`` steps took ``seconds``: grow while well under, shrink when over."""
    if seconds > CHUNK_SECONDS:
        return max(1, steps // 2)
    if seconds < CHUNK_SECONDS / 4:
        return min(cap, steps * 2)
    return min(cap, steps)


class StoppedBeforeFirstStep(Exception):
    """``should_stop`` turned true while the run was still preparing."""


#: What a run's preparation calls between its stages: raises StoppedBeforeFirstStep once the run was stopped.
Checkpoint = Callable[[], None]


def unless_stopped(work: Callable[[Checkpoint], T], should_stop: Callable[[], bool], poll: float = STOP_POLL) -> T:
    """``work(checkpoint)``, run on a helper thread while ``should_stop`` is polled every ``poll`` seconds.

    Returns its value or raises its exception; raises :class:`StoppedBeforeFirstStep` as soon as a
    stop is asked for first. The helper thread then ends at its next ``checkpoint()`` (call it between
    stages); it is not a daemon, so an interpreter that exits meanwhile waits for that stage to end
    instead of tearing torch down under it (which aborts the process).
    """
    if should_stop():
        raise StoppedBeforeFirstStep
    done, abandoned = threading.Event(), threading.Event()
    values: list[T] = []
    errors: list[BaseException] = []

    def checkpoint() -> None:
        if abandoned.is_set():
            raise StoppedBeforeFirstStep

    def prepare() -> None:
        try:
            values.append(work(checkpoint))
        except StoppedBeforeFirstStep:
            pass  # nobody waits for this preparation any more
        except BaseException as error:  # handed to the caller below
            errors.append(error)
        finally:
            done.set()

    threading.Thread(target=prepare, name="tui-lab-run-setup").start()
    while not done.wait(poll):
        if should_stop():
            abandoned.set()
            raise StoppedBeforeFirstStep
    if errors:
        raise errors[0]
    return values[0]

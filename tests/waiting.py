"""One way for a test to wait for a state: ask, let the app (or the process) work, ask again.

* :func:`until`: a Pilot test waits for a condition on the app, one pause at a time.
* :func:`settle`: a Pilot test waits until no worker of the app runs.
* :func:`eventually` (async) and :func:`wait_until` (sync): a test waits for another process, a
  server or a thread, polling every ``interval`` seconds.

Every wait is bounded by its tries (the Pilot ones) or by ``timeout`` (what another process does
takes real time); the bounds are generous for a loaded 2-core machine, and a wall-clock bound,
:data:`SAFETY_S`, stops any wait that would outlive the test's own timeout. A test never waits
*for* time: a wait ends as soon as the condition holds, and a failure says what never happened
and, given ``state``, what was true instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from textual.pilot import Pilot
from textual.worker import WorkerCancelled

__all__ = ["SAFETY_S", "TRIES", "eventually", "settle", "until", "wait_until"]

#: Tries of :func:`until`: each at least ``delay`` (10 ms), so a cold start (torch imported in a thread) fits.
TRIES = 3_000
#: Seconds after which any wait gives up, whatever its tries: longer than anything waited for takes here.
SAFETY_S = 120.0


def _failure(what: str, state: Callable[[], object] | None, tries: int, started: float) -> AssertionError:
    seen = f"; instead: {state()}" if state is not None else ""
    return AssertionError(f"never happened: {what} ({tries} tries, {time.monotonic() - started:.1f} s){seen}")


async def until(
    pilot: Pilot[Any],
    condition: Callable[[], object],
    what: str,
    *,
    tries: int = TRIES,
    delay: float = 0.01,
    between: Callable[[Pilot[Any]], Awaitable[None]] | None = None,
    state: Callable[[], object] | None = None,
) -> None:
    """Wait until ``condition()`` is true: between two asks the app handles what is pending and at least ``delay`` s pass.

    ``between`` replaces that pause (e.g. :func:`settle`, to let workers finish between asks). Fails
    naming ``what``, the screen in front and ``state()``.
    """
    started = time.monotonic()
    for done in range(tries):
        if condition():
            return
        if time.monotonic() - started > SAFETY_S:
            tries = done
            break
        if between is not None:
            await between(pilot)
        else:
            await pilot.pause(delay)
    if condition():
        return

    def front() -> str:
        screen = type(pilot.app.screen).__name__ if pilot.app.is_running else "no screen (the app stopped)"
        return f"front: {screen}" + (f", {state()}" if state is not None else "")

    raise _failure(what, front, tries, started)


async def settle(pilot: Pilot[Any], *, tries: int = 500) -> None:
    """Wait until no worker of the app runs (a finished one may start the next, a cancelled one is waited for again)."""
    app = pilot.app
    for _ in range(tries):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:  # a superseded worker: waited for again below
            pass
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    running = [worker.name for worker in app.workers if not worker.is_finished]
    raise AssertionError(f"never happened: the app settled ({tries} tries); still running: {running}")


def _asks(
    condition: Callable[[], object], what: str, timeout: float, state: Callable[[], object] | None
) -> Iterator[None]:
    """Yield after each ask that found ``condition()`` false; fail once ``timeout`` (at most :data:`SAFETY_S`) is over."""
    started = time.monotonic()
    tries = 0
    while not condition():
        if time.monotonic() - started > min(timeout, SAFETY_S):
            raise _failure(what, state, tries, started)
        tries += 1
        yield


async def eventually(
    condition: Callable[[], object],
    what: str,
    *,
    timeout: float = 30.0,
    interval: float = 0.02,
    state: Callable[[], object] | None = None,
) -> None:
    """In an asyncio test: wait (without blocking the loop) until ``condition()`` is true, at most ``timeout`` s."""
    for _ in _asks(condition, what, timeout, state):
        await asyncio.sleep(interval)


def wait_until(
    condition: Callable[[], object],
    what: str,
    *,
    timeout: float = 30.0,
    interval: float = 0.02,
    state: Callable[[], object] | None = None,
) -> None:
    """Wait until ``condition()`` is true (another process, a thread), at most ``timeout`` s."""
    for _ in _asks(condition, what, timeout, state):
        time.sleep(interval)

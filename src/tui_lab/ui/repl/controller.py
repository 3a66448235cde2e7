"""What the REPL pane knows and does, as a plain object a test drives without Textual.

:class:`ReplController` owns the engine, the input history, the running input (which ``In [n]``,
since when) and the inputs queued behind it; it says what the status line reads, which problems
with the state directory are still to be told, and what a thread printed late. The screen
only composes widgets, forwards keys here and renders what comes back.

Inputs submitted while one runs wait in a queue and run in order, as Jupyter runs cells: each is
in the history at once, and gets its ``In [n]`` when it starts. An input that fails (an exception,
or ctrl+c) drops the queue, as Jupyter does, since what was queued was written expecting it to work.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Literal

from tui_lab.core.repl.capture import Stream
from tui_lab.core.repl.complete import Completion, complete
from tui_lab.core.repl.engine import InputResult, ReplEngine
from tui_lab.core.repl.history import History, history_path
from tui_lab.core.repl.inspect import VariableDetails, variable_details
from tui_lab.core.repl.memory import take_fingerprints
from tui_lab.core.workspace import Workspace

#: What :meth:`ReplController.submit` did with an input.
Submission = Literal["empty", "run", "queued"]


class ReplController:
    """The REPL's engine, history and running input, without any widget.

    ``input_provider`` answers ``input()`` from the running code. The history is created
    empty and read by :meth:`load_state` (the screen calls it after its first frame).
    """

    def __init__(
        self,
        workspace: Workspace,
        *,
        input_provider: Callable[[str], str] | None = None,
        history: History | None = None,
    ) -> None:
        self.workspace = workspace
        self.history = history if history is not None else History(history_path())
        self.engine = ReplEngine(workspace, input_provider=input_provider)
        self.started: float | None = None
        self.running_number = 0
        self.state_loaded = False
        self._queue: deque[str] = deque()

    # -- state ---------------------------------------------------------------------------

    def load_state(self) -> list[str]:
        """Read the history file; the problems met, each one sentence to show once."""
        if not self.state_loaded:
            self.state_loaded = True
            if not self.history.is_read:
                self.history.read()
        return self.history.take_notices()

    def notices(self) -> list[str]:
        """Problems with the state files not told yet (e.g. the history became read-only)."""
        return self.history.take_notices()

    # -- running -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True from :meth:`begin` until :meth:`finish`."""
        return self.started is not None

    @property
    def next_number(self) -> int:
        """The ``In [n]`` the next input gets."""
        return self.engine.execution_count

    @property
    def queued(self) -> tuple[str, ...]:
        """The inputs waiting for the running one, oldest first."""
        return tuple(self._queue)

    def submit(self, source: str) -> Submission:
        """Take ``source``: run it now (the caller starts it), queue it, or ignore a blank one.

        It queues behind the running input, and also behind inputs still queued when none runs (between
        one input's end and the next one's start): nothing overtakes the queue.
        """
        if not source.strip():
            return "empty"
        self.history.add(source)
        if self.running or self._queue:
            self._queue.append(source)
            return "queued"
        self._begin()
        return "run"

    def _begin(self) -> None:
        self.running_number = self.engine.execution_count
        self.started = time.monotonic()

    def next_queued(self) -> str | None:
        """After :meth:`finish`: the next queued input, now begun (the caller runs it), or None."""
        if self.running or not self._queue:
            return None
        self._begin()
        return self._queue.popleft()

    def clear_queue(self) -> int:
        """Drop the queued inputs (they stay in the history); how many there were."""
        dropped = len(self._queue)
        self._queue.clear()
        return dropped

    def run(self, source: str, width: int | None = None) -> InputResult:
        """Run ``source`` (blocking: the screen calls this in a worker thread), laid out for ``width`` columns."""
        self.workspace.wait_ready()
        return self.engine.run(source, width=width)

    def run_detached(self, source: str, width: int | None, closing: Callable[[], bool]) -> InputResult | None:
        """:meth:`run` in a daemon thread, waited for while ``closing()`` is False (then None).

        Quitting never waits for a long C-level call: the daemon thread is left to the interpreter's exit.
        """
        results: list[InputResult] = []
        failures: list[BaseException] = []

        def run() -> None:
            try:
                results.append(self.run(source, width))
            except BaseException as error:  # noqa: BLE001 - re-raised in the waiting thread
                failures.append(error)

        thread = threading.Thread(target=run, name="repl-code", daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(0.05)
            if closing():
                return None
        if failures:
            raise failures[0]
        return results[0]

    def finish(self, ok: bool = True) -> int:
        """The running input is over (its result shown, or the worker failed).

        When it failed, the queue is dropped (Jupyter's rule); returns how many queued inputs that was.
        """
        self.started = None
        return 0 if ok else self.clear_queue()

    def interrupt(self) -> int:
        """ctrl+c while code runs: interrupt it and drop the queue; how many queued inputs were dropped."""
        dropped = self.clear_queue()
        self.engine.interrupt()
        return dropped

    def status(self, torch_ready: bool, now: float | None = None) -> str:
        """The status line: the prompt number, or what is running and for how long."""
        if self.started is not None:
            elapsed = (time.monotonic() if now is None else now) - self.started
            what = "running" if torch_ready else "waiting for torch"
            waiting = f" · {len(self._queue)} queued" if self._queue else ""
            return f"In [{self.running_number}] {what}… {elapsed:.1f} s{waiting} · ctrl+c interrupts"
        if not torch_ready:
            return f"In [{self.next_number}]: (torch is loading; you can type already)"
        return f"In [{self.next_number}]:"

    def take_late_output(self) -> tuple[list[tuple[Stream, str]], int]:
        """What threads of earlier inputs printed since the last call, and how many characters were dropped."""
        return self.engine.late.drain()

    # -- asking about names ----------------------------------------------------------------

    def replay_source(self) -> str:
        """The successful inputs, for the Graph pane's checks."""
        return self.engine.replay_source()

    def complete(self, source: str, line: int, column: int) -> Completion:
        """Completion candidates (blocking, bounded to a second)."""
        return complete(source, line, column, self.workspace.namespace, timeout=1.0)

    def details(self, name: str) -> VariableDetails | str:
        """Details of ``name``, or a one-line reason they could not be computed."""
        value = self.workspace.get(name)
        try:
            return variable_details(name, value, take_fingerprints(self.workspace.user_items()))
        except Exception as error:  # noqa: BLE001 - a strange object gets a message, not a crash
            return f"{name}: {type(error).__name__}: {error}"

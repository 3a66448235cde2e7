"""Interrupting user code that runs in a worker thread, the way ctrl+c stops plain Python.

:class:`ThreadInterrupter` remembers the one thread that is running user code;
:meth:`ThreadInterrupter.interrupt`, called from any thread, raises ``KeyboardInterrupt``
in it at the next Python bytecode. A long C-level call (a big matmul) finishes first, as in
plain Python. The REPL engine and the Graph pane's input both use it.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ThreadInterrupter:
    """Raises ``KeyboardInterrupt`` in the thread registered with :meth:`begin`, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread_id: int | None = None

    @property
    def running(self) -> bool:
        """True while a thread is registered (user code runs)."""
        return self._thread_id is not None

    def begin(self) -> None:
        """Register the calling thread as the one to interrupt."""
        with self._lock:
            self._thread_id = threading.get_ident()

    def end(self) -> None:
        """Forget the registered thread and drop an interrupt that arrived just as the code ended.

        Call it from the registered thread itself. A pending interrupt may still fire while
        this runs, so callers catch ``KeyboardInterrupt`` around it.
        """
        with self._lock:
            self._thread_id = None
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(threading.get_ident()), None)

    def interrupt(self) -> bool:
        """Raise ``KeyboardInterrupt`` in the registered thread; False when none is registered."""
        with self._lock:
            if self._thread_id is None:
                return False
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(self._thread_id), ctypes.py_object(KeyboardInterrupt)
            )
            return True

    @contextmanager
    def running_here(self) -> Iterator[None]:
        """``begin()`` on entry and ``end()`` on exit, around the code that may be interrupted."""
        self.begin()
        try:
            yield
        finally:
            self.end()

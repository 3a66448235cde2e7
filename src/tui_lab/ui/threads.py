"""Handing work from a worker thread to the UI thread without waiting for it.

``App.call_from_thread`` blocks the worker until the UI has run the callback. When the app is
stopping, its loop may never run it: the worker then waits forever (a one-core test run hung at
interpreter exit that way) and Textual's coroutine is left unawaited. Most workers need no
result back, only to say "done, show this". :func:`to_ui` posts the callback to the app's message
queue (thread-safe, as ``post_message`` is) and returns at once; once the app is closing or its
loop is closed it does nothing and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App


def to_ui(app: App[Any], callback: Callable[..., object], *args: Any, **kwargs: Any) -> bool:
    """Run ``callback(*args, **kwargs)`` on the UI thread soon; False when the app can no longer run it."""
    try:
        return app.call_later(callback, *args, **kwargs)
    except RuntimeError:  # the loop closed between Textual's check and the hand-off
        return False

"""The one place that leans on textual-serve's internals, so a textual-serve upgrade breaks here and nowhere else.

tui-lab serve builds its own aiohttp application (a token gate, a seat limit, no download route)
and starts each visitor's app its own way (no shell, a process group and a home of its own). From
textual-serve it takes the browser side and the web driver's protocol:

* :data:`STATIC_DIR`: textual-serve's browser files (``js/textual.js``, ``css/xterm.css``, fonts),
  the folder its own ``Server`` serves as ``/static``.
* :class:`AppProcess`: textual-serve's ``AppService`` (the packets to and from an app under the web
  driver: ``send_bytes``, ``send_meta``, ``set_terminal_size``, ``focus``, ``blur``, ``on_data``),
  with public hooks in place of the private ones it calls: ``start`` runs ``_open_app_process``,
  which builds the environment in ``_build_environment``, keeps the process in ``_process`` and its
  stdin in ``_stdin`` (where the ``send_*`` methods write), then keeps the relay in ``_task``. A
  subclass overrides :meth:`AppProcess.environment` and :meth:`AppProcess.open_process` and reads
  :attr:`AppProcess.process`, :attr:`AppProcess.relay` and :meth:`AppProcess.take_relay`.

tests/serve/test_textual_serve_adapter.py checks each against the installed textual-serve.
"""

from __future__ import annotations

import asyncio
from importlib.resources import files
from pathlib import Path

from textual_serve.app_service import AppService

__all__ = ["STATIC_DIR", "AppProcess"]

#: textual-serve's browser files, served as ``/static``.
STATIC_DIR = Path(str(files("textual_serve") / "static"))


class AppProcess(AppService):
    """One app under Textual's web driver: started by :meth:`open_process`, relayed by ``run``."""

    def environment(self, width: int, height: int) -> dict[str, str]:
        """The app's environment: textual-serve's (the web driver, truecolor, the first size) and os.environ."""
        return super()._build_environment(width=width, height=height)

    async def open_process(self, width: int, height: int) -> asyncio.subprocess.Process:
        """Start the app with :meth:`environment` and pipes for stdin, stdout and stderr (textual-serve: a shell command)."""
        return await super()._open_app_process(width, height)

    @property
    def process(self) -> asyncio.subprocess.Process | None:
        """The app's process, once started."""
        return self._process

    @property
    def relay(self) -> asyncio.Task[None] | None:
        """The task relaying the app's output (``run``), from ``start`` until :meth:`take_relay`."""
        return self._task

    def take_relay(self) -> asyncio.Task[None] | None:
        """The relay task, handed over to the caller to stop (:attr:`relay` is None from then on)."""
        task, self._task = self._task, None
        return task

    # -- textual-serve's private hooks, routed to the public ones above ----------------------

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        return self.environment(width, height)

    async def _open_app_process(self, width: int = 80, height: int = 24) -> asyncio.subprocess.Process:
        process = await self.open_process(width, height)
        if process.stdin is None:
            raise RuntimeError("the app was started without a pipe for its input")
        self._process, self._stdin = process, process.stdin
        return process

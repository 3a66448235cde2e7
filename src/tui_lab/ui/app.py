"""The tui-lab Textual app: four pane modes over one shared workspace."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import signal
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from textual import messages, work
from textual.app import App, SystemCommand
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal
from textual.timer import Timer

from tui_lab.core.devices import DeviceError, available_devices, resolve_device
from tui_lab.core.gc_tuning import freeze_long_lived_objects
from tui_lab.core.text import visible
from tui_lab.core.workspace import Workspace, WorkspaceChange
from tui_lab.ui.pane import PaneScreen, bindings_for
from tui_lab.ui.panes import GLOBAL_ACTIONS, PANE_NAMES, PANES, pane_spec
from tui_lab.ui.textual_adapter import adopt_app_styles, with_control_filter
from tui_lab.ui.threads import to_ui

if TYPE_CHECKING:  # imported when first used, right after the first frame
    from rich.console import RenderableType
    from textual.filter import LineFilter

    from tui_lab.ui.requests import PaneRequest
    from tui_lab.ui.session import SessionController

#: Each pane's screen is imported on first use, so the first frame pays only for the start pane
#: and the others load in the background while torch does.
UI_DIR = Path(__file__).resolve().parent  # resolved, as Textual resolves a screen's CSS_PATH
#: The shell's stylesheet, then every pane room's (``ui/<pane>/<pane>.tcss``), all read before the first
#: frame (a few ms): a pane shown later then brings no new source, so Textual need not re-parse them all.
STYLESHEETS: list[str | PurePath] = [UI_DIR / "app.tcss", *(UI_DIR / pane / f"{pane}.tcss" for pane in PANE_NAMES)]


class QuitPromptExecutor(ThreadPoolExecutor):
    """The pool behind thread workers: at quit it cancels what has not started and waits for nothing.

    Workers are cancelled cooperatively first (``should_stop``); one stuck in C is left to the
    process exit (``tui_lab.cli.run_app`` ends the process without joining it).
    """

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=False, cancel_futures=True)


def device_status_label(device: str) -> str:
    """Status-bar text: ``cpu · 2 threads``, or ``cuda:0 · NVIDIA H100 · 37% · 12.1/79.6 GiB · 41°C`` (nvitop's).

    Without NVML (or a GPU) :mod:`tui_lab.core.gpu` falls back to torch's name and memory silently;
    a card it cannot read at all is ``cuda:N · unavailable``.
    """
    if device.startswith("cuda"):
        from tui_lab.core import gpu

        status = gpu.snapshot(int(device.partition(":")[2] or 0))
        return f"{device} · unavailable" if status is None else f"{device} · {status.name} · {status.summary()}"
    if device == "cpu":
        import torch  # (called once torch is loaded: the device is chosen after the preloads)

        return f"cpu · {torch.get_num_threads()} threads"
    return f"{device} · Apple GPU" if device == "mps" else device


def pane_screen_class(pane: str) -> type[PaneScreen]:
    """Import and return the screen class of ``pane``."""
    module_name, class_name = pane_spec(pane).screen.split(":")
    screen_class: type[PaneScreen] = getattr(importlib.import_module(module_name), class_name)
    return screen_class


def make_pane_screen(pane: str) -> PaneScreen:
    """A new screen for ``pane`` (the factory behind each mode), styled by the app's stylesheet as it is.

    Every pane's CSS is already in that stylesheet (:data:`STYLESHEETS`), so showing the screen for the
    first time needs no re-parse of every stylesheet, which Textual would otherwise do three times (about
    a third of a pane key's time at the first frame, docs/benchmarks.md).
    """
    screen = pane_screen_class(pane)()
    adopt_app_styles(screen)
    return screen


def pane_screen_classes() -> dict[str, type[PaneScreen]]:
    """Every pane's screen class, in tab order."""
    return {pane: pane_screen_class(pane) for pane in PANE_NAMES}


#: C extensions the UI thread loads in the first seconds, after the first frame: tree-sitter's Python
#: grammar (the REPL input's highlighting). Loading one takes glibc's loader lock, which libtorch's
#: ``dlopen`` (:func:`tui_lab.core.preload.preload_libraries`) holds for up to seconds: on the UI thread,
#: that wait holds the GIL too, and the whole app (keys, frames) stood still for it.
UI_EXTENSIONS = ("tree_sitter_python",)


def load_ui_extensions() -> None:
    """Import :data:`UI_EXTENSIONS` (in the torch thread, before torch's libraries); one not installed is skipped."""
    for name in UI_EXTENSIONS:
        with contextlib.suppress(ImportError):  # e.g. Textual without its syntax extra: no highlighting
            importlib.import_module(name)


#: The longest torch waits for a start-up CSV to load before importing anyway.
START_HOLD_LIMIT_S = 10.0


@dataclass
class WorkspaceChanged(Message):
    """The workspace changed (posted from any thread, re-published on the UI thread)."""

    change: WorkspaceChange


class TuiLabApp(App[None]):
    """The terminal workbench: REPL, Data, Graph and Train over one workspace."""

    TITLE = "tui-lab"
    CSS_PATH = STYLESHEETS
    MODES = {pane: partial(make_pane_screen, pane) for pane in PANE_NAMES}
    #: ctrl+p is Textual's own palette binding; the registry lists it for the help screen and docs.
    BINDINGS = bindings_for("app", tuple(a for a in GLOBAL_ACTIONS if a.action != "command_palette"))

    device: reactive[str] = reactive("cpu")
    device_label: reactive[str] = reactive("cpu")
    torch_ready: reactive[bool] = reactive(False)

    def __init__(
        self,
        *,
        csv_path: str | None = None,
        pane: str = "repl",
        device: str | None = None,
        workspace: Workspace | None = None,
        cli_help: str = "",
        session: str = "default",
        resume: bool = False,
    ) -> None:
        start = pane if pane in PANE_NAMES else "repl"
        # The first frame is the start pane itself, not a blank default screen.
        self.DEFAULT_MODE = start  # type: ignore[misc]
        super().__init__()
        self.workspace = workspace if workspace is not None else Workspace()
        self.workspace_changed: Signal[WorkspaceChange] = Signal(self, "workspace-changed")
        self.start_pane = start
        self.requested_device = device
        self.csv_path = csv_path
        self.cli_help = cli_help
        self._ui_thread = threading.get_ident()
        # A CSV named on the command line loads first: importing torch beside it took the
        # interpreter from pandas and made a 1M-row load ~3x slower. Released by the Data pane.
        self._start_hold = threading.Event()
        if not csv_path:
            self._start_hold.set()
        self._memory_timer: Timer | None = None
        self._unsubscribe = self.workspace.subscribe(self._on_workspace_change)
        self._session_name, self._resume = session, resume
        self._session: SessionController | None = None
        #: The first frame is on screen (Ready was handled); a pane made before that draws stand-ins first.
        self.first_frame_shown = False
        #: The app itself decided to exit (ctrl+q's save is done, or there was nothing to save).
        self._leaving = False
        #: A quit asked from outside (the browser, SIGHUP, SIGTERM) is saving the session.
        self._outside_quit = False

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, then the one that makes every control character in any widget's text visible.

        The choke point between the app and the terminal (docs/security.md, "Terminal output").
        """
        return with_control_filter(super().get_line_filters())

    @property
    def session(self) -> SessionController:
        """Autosave, resume and the palette's session commands (docs/sessions.md); made on first use."""
        if self._session is None:
            from tui_lab.ui.session import SessionController

            self._session = SessionController(self, self._session_name, resume=self._resume)
        return self._session

    # -- start-up ---------------------------------------------------------------------

    def on_mount(self) -> None:
        self._ui_thread = threading.get_ident()
        # Thread workers run in the loop's default executor; make it one whose shutdown never waits,
        # so a worker stuck in C (a FIFO, a long torch call) cannot hold up quitting.
        asyncio.get_running_loop().set_default_executor(QuitPromptExecutor(thread_name_prefix="tui-lab-worker"))
        if self.csv_path:
            from tui_lab.ui.requests import OpenCsv

            self.send(OpenCsv(self.csv_path))
        if not self.is_headless and threading.current_thread() is threading.main_thread():
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGHUP, signal.SIGTERM):  # a closed terminal, a dropped SSH link, `kill`
                loop.add_signal_handler(sig, self.quit_from_outside)

    @property
    def exiting(self) -> bool:
        """The app has been asked to exit (its screens may be going away)."""
        return self._leaving

    def exit(self, result: None = None, return_code: int = 0, message: RenderableType | None = None) -> None:
        """Exit the app (what Textual's own exits call too); the app's own exit skips the outside-quit save."""
        self._leaving = True
        super().exit(result, return_code, message)

    def on_exit_app(self, event: messages.ExitApp) -> None:
        """An exit the app did not ask for (serve's browser "quit"): save the session first, as ctrl+q does."""
        if self._leaving:
            return
        event.prevent_default()
        self.quit_from_outside()

    def quit_from_outside(self) -> None:
        """Save the session, then quit (the browser, SIGHUP, SIGTERM); asked again meanwhile, quit at once."""
        if self._outside_quit:
            self.exit(return_code=1)
            return
        self._outside_quit = True
        self.run_worker(self._save_and_quit(), group="quit", exit_on_error=False)

    async def _save_and_quit(self) -> None:
        verdict = await self.session.save_on_quit()
        if not verdict.go:  # the save failed: nobody may be left to quit again (a closed terminal), so go now
            verdict = await self.session.save_on_quit()
        self.exit(return_code=1 if verdict.note else 0, message=verdict.note)

    async def action_quit(self) -> None:
        """Save the session (in a worker thread), then quit; a failed save keeps the app open once."""
        verdict = await self.session.save_on_quit()
        if not verdict.go:
            return
        if verdict.note:
            self.exit(return_code=1, message=verdict.note)
        else:
            self.exit()

    def on_ready(self) -> None:
        """The first frame is on screen: now look at the session on disk and pay for ``import torch`` in a thread."""
        from tui_lab.core.repl.d2l import hook  # (light: no torch)

        self.first_frame_shown = True
        self.session.start()
        # `from d2l import torch as d2l` in every pane's code; installed before the workspace is ready, so no
        # input can run without it (the workspace itself never imports the REPL's room).
        hook.install(self.workspace)
        if self.workspace.ready:
            self._torch_loaded()
        else:
            self._load_torch()

    @work(thread=True, exclusive=True, group="torch", exit_on_error=False)
    def _load_torch(self) -> None:
        load_ui_extensions()  # before libtorch's dlopen, which would hold them up with the GIL held
        pane_screen_classes()  # the other panes first (light, no torch): a pane key then only composes its screen
        self._start_hold.wait(START_HOLD_LIMIT_S)
        try:
            from tui_lab.core.preload import preload_libraries  # (ctypes: not on the first frame's path)

            preload_libraries()  # libtorch's dlopen without the GIL: the UI keeps answering meanwhile
            self.workspace.load_preloads()
        except Exception as error:  # a broken torch install must be a message, not a dead app
            to_ui(
                self,
                self.notify,
                f"{type(error).__name__}: {error}. The REPL, Graph and Train panes need torch; "
                "reinstall it (make run TORCH=...) and restart.",
                title="Could not import torch",
                severity="error",
                timeout=60,
            )
            return
        to_ui(self, self._torch_loaded)

    def release_start_hold(self) -> None:
        """The start-up CSV has loaded (or failed): let torch load. Thread-safe."""
        self._start_hold.set()

    def _torch_loaded(self) -> None:
        freeze_long_lived_objects()
        self.torch_ready = True
        self.select_device("cpu", announce=False)
        wanted = self.requested_device
        if wanted and wanted != "cpu":
            self.select_device(wanted)

    def on_unmount(self) -> None:
        self._unsubscribe()

    # -- workspace ----------------------------------------------------------------------

    def _on_workspace_change(self, change: WorkspaceChange) -> None:
        if threading.get_ident() == self._ui_thread:
            self.workspace_changed.publish(change)
        else:
            self.post_message(WorkspaceChanged(change))

    def on_workspace_changed(self, message: WorkspaceChanged) -> None:
        self.workspace_changed.publish(message.change)

    # -- devices ------------------------------------------------------------------------

    def select_device(self, spec: str, *, announce: bool = True) -> bool:
        """Switch to ``spec`` if it exists here; otherwise say why and stay put."""
        try:
            device = resolve_device(spec)
            label = device_status_label(device)
        except DeviceError as error:
            self.notify(f"{error} Staying on {self.device}.", title="Device not available", severity="warning")
            return False
        except Exception as error:  # a broken driver must not take the app down
            self.notify(f"Could not use {spec}: {error}", title="Device error", severity="error")
            return False
        self.device, self.device_label = device, label
        self.workspace.device = device  # core code (d2l.try_gpu) follows the status bar's device
        if device.startswith("cuda") and self._memory_timer is None:
            self._memory_timer = self.set_interval(1, self._refresh_device_label)
        if announce:
            self.notify(f"Now using {label}", title="Device")
        return True

    @work(thread=True, exclusive=True, group="device-status", exit_on_error=False)
    def _refresh_device_label(self) -> None:
        """About once a second, off the UI thread: the card's utilisation, memory and temperature (NVML)."""
        device = self.device
        try:
            label = device_status_label(device)
        except Exception:  # a driver hiccup only leaves the old figure on screen
            return
        to_ui(self, self._set_device_label, device, label)

    def _set_device_label(self, device: str, label: str) -> None:
        if device == self.device:  # not a stale reading for the card we just left
            self.device_label = label

    def action_select_device(self) -> None:
        """Offer the devices that exist here."""
        from tui_lab.ui.modals import PickerScreen

        if not self.torch_ready:
            self.notify("torch is still loading; try again in a moment.", title="Device")
            return
        choices = []
        for device in available_devices():
            current = "  (current)" if device == self.device else ""
            try:
                choices.append((device, device_status_label(device) + current))
            except Exception as error:
                choices.append((device, f"{device} · unavailable: {error}"))

        def picked(device: str | None) -> None:
            if device:
                self.select_device(device)

        self.push_screen(PickerScreen("Select device", choices, filter_placeholder="device…"), picked)

    # -- panes --------------------------------------------------------------------------

    def action_go(self, pane: str) -> None:
        """Show one of the four panes."""
        if pane in PANE_NAMES and self.current_mode != pane:
            self.switch_mode(pane)

    def send(self, request: PaneRequest) -> None:
        """Show the pane ``request`` is for and hand it over (e.g. ``send(InspectTensor("x"))``)."""
        self.action_go(request.PANE)
        self.pane_screen(request.PANE).request(request)

    def report_worker_failure(self, pane_title: str, error: BaseException | None) -> None:
        """One place turns a failed worker into a log entry and a notification naming the pane."""
        self.log.error(f"{pane_title} worker failed", error)
        detail = visible(f"{type(error).__name__}: {error}" if error is not None else "unknown error")
        self.notify(detail, title=f"{pane_title}: something went wrong", severity="error", timeout=15, markup=False)

    def pane_screen(self, pane: str) -> PaneScreen:
        """The screen of ``pane``, which must be the current mode (``action_go`` makes it so)."""
        for screen in self.screen_stack:
            if isinstance(screen, PaneScreen) and screen.PANE == pane:
                return screen
        raise LookupError(f"the {pane} pane is not the current mode")

    def action_help(self) -> None:
        """Show the help screen, scrolled to the keys of the pane in use."""
        from tui_lab.ui.modals import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        pane = self.screen.PANE_TITLE if isinstance(self.screen, PaneScreen) else None
        self.push_screen(HelpScreen(self.key_sections(), self.cli_help, open_at=pane))

    @staticmethod
    def key_sections() -> list[tuple[str, list[tuple[str, str]]]]:
        """Every key with its description, from the registry: global keys, then each pane's."""
        sections = [("Everywhere", [(a.key_display, a.description) for a in GLOBAL_ACTIONS])]
        for pane in PANES:
            sections.append((pane.title, [(a.key_display, a.description) for a in pane.actions]))
        return sections

    # -- command palette ----------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The app's commands, then the pane in use's (keys as they work there), then the other panes' (by name)."""
        from tui_lab.ui.panes import palette_help, palette_title, panes_from

        callbacks = {"help": self.action_help, "select_device": self.action_select_device}
        callbacks.update({f"go('{pane}')": partial(self.action_go, pane) for pane in PANE_NAMES})
        for action in GLOBAL_ACTIONS:
            if action.action in callbacks:  # Textual's own commands already include the palette and Quit
                yield SystemCommand(
                    action.palette, f"{action.description} ({action.key_display})", callbacks[action.action]
                )
        current = screen.PANE if isinstance(screen, PaneScreen) else None
        for pane in panes_from(current):
            for pane_action in pane.actions:
                yield SystemCommand(
                    palette_title(pane, pane_action),
                    palette_help(pane, pane_action, current),
                    partial(self._run_pane_action, pane.name, pane_action.action),
                )
        yield from self.session.commands()
        yield from super().get_system_commands(screen)

    def _run_pane_action(self, pane: str, action: str) -> None:
        self.action_go(pane)
        self.call_after_refresh(self.pane_screen(pane).run_action, action)

"""Restoring a session (with progress, cancellable with Esc), opening another, starting a new one, exporting.

:class:`SessionFlows` belongs to the :class:`~tui_lab.ui.session.SessionController` and uses only
its public interface and the keeper's. A restore reads the session in a thread worker (values,
then each pane's state: the Data pane's pipeline is replayed there), showing its progress after
a moment; Esc stops it between files and steps, and the session on disk is then left as it was.
The result is applied on the UI thread in one go (values published, each pane given its state
now or when it is mounted): a quit can never catch it half-applied, and a failure while applying
is one message, the session moved aside, never a dead app. REPL inputs (for modules not built of
standard layers, and names that were not saved) run only after the person says yes, and never
replace a value the session restored.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec

from tui_lab.core.session import store
from tui_lab.core.session.capture import restore_module
from tui_lab.core.session.contract import (
    DataView,
    RestoreCancelled,
)
from tui_lab.core.session.model import SaveProgress
from tui_lab.core.text import visible
from tui_lab.ui.modals import PickerScreen
from tui_lab.ui.session_modals import PromptScreen, RestoreProgressScreen, rerun_question

if TYPE_CHECKING:
    import torch

    from tui_lab.core.session.keeper import Applied, SessionKeeper
    from tui_lab.core.session.lock import SessionLock
    from tui_lab.core.session.snapshot import SessionSnapshot
    from tui_lab.ui.app import TuiLabApp
    from tui_lab.ui.session import SessionController

P = ParamSpec("P")
#: Restored modules by name: their saved state_dict and the REPL inputs that build them.
ModuleStates = dict[str, tuple[dict[str, "torch.Tensor"], tuple[str, ...]]]

#: A restore shows its progress (and how to cancel it) once it has taken this long.
PROGRESS_DELAY_S = 0.5
#: Progress reaches the UI at most this often.
PROGRESS_INTERVAL_S = 0.1


@dataclass(frozen=True)
class Leaving:
    """The session being left for another: its last snapshot, written before its lock is let go."""

    snapshot: SessionSnapshot
    name: str
    lock: SessionLock | None


class SessionFlows:
    """The multi-step session actions of one app: restore, open, new, export."""

    def __init__(self, controller: SessionController) -> None:
        self.controller = controller
        self.restoring = False
        self.progress_delay = PROGRESS_DELAY_S
        self._cancel = threading.Event()
        self._closing = False
        self._progress: RestoreProgressScreen | None = None
        self._last_progress = 0.0

    @property
    def app(self) -> TuiLabApp:
        return self.controller.app

    @property
    def keeper(self) -> SessionKeeper:
        return self.controller.keeper

    def _hand(self, callback: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> None:
        """Have the UI thread run ``callback`` (from a worker), without waiting: dropped once the app is closing.

        ``call_later`` posts a message, and ``post_message`` is thread-safe; a worker then never blocks
        on a loop that has stopped (``call_from_thread`` would, or leave its coroutine never awaited).
        """
        if not self._closing:
            self.app.call_later(callback, *args, **kwargs)

    def may_switch(self, title: str) -> bool:
        """False (and why) while a restore is in flight: switching then would lose track of it."""
        if self.restoring:
            self.app.notify("A session is being restored: wait for it, or press Esc to cancel it.", title=title)
            return False
        return True

    # -- restoring ---------------------------------------------------------------------------------

    def load(self, name: str, leaving: Leaving | None = None) -> None:
        """Read session ``name`` in a worker (after writing the one being left), then apply it."""
        self.restoring = self.keeper.restoring = True
        self._cancel.clear()
        self.app.run_worker(
            partial(self._load_worker, name, leaving), thread=True, group="session-load", exit_on_error=False
        )

    def _load_worker(self, name: str, leaving: Leaving | None) -> None:
        while not self.app.workspace.wait_ready(0.1):  # values need torch
            if self._cancel.is_set():
                self._hand(self._cancelled, name)
                return
        if leaving is not None:
            self._write_leaving(leaving)
        self._hand(self._show_progress_later, name)
        try:
            loaded = self.keeper.read(name, on_progress=self._on_progress, should_stop=self._cancel.is_set)
        except RestoreCancelled:
            self._hand(self._cancelled, name)
            return
        except store.SessionCorrupt as error:
            self._hand(self._corrupt, name, error)
            return
        except (OSError, store.SessionsOff) as error:
            self._hand(self._failed, f"The session could not be read: {error}")
            return
        if loaded is None:
            self._hand(self._failed, f"There is no session {name!r} yet.")
            return
        self._hand(self._apply, loaded)

    def _write_leaving(self, leaving: Leaving) -> None:
        try:
            if self.keeper.off is None:
                self.keeper.write(leaving.snapshot, leaving.name)
        except Exception as error:  # the person is told; the session they asked for still opens
            message = visible(f"The session {leaving.name!r} being left could not be saved: {error}")
            self._hand(self.app.notify, message, title="Session", severity="error", markup=False)
        finally:
            if leaving.lock is not None:
                leaving.lock.release()

    def _on_progress(self, progress: SaveProgress) -> None:
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_INTERVAL_S:
            self._last_progress = now
            self._hand(self._show_step, progress)

    def _show_progress_later(self, name: str) -> None:
        if self.progress_delay > 0:
            self.app.set_timer(self.progress_delay, partial(self._show_progress, name))
        else:
            self._show_progress(name)

    def _show_progress(self, name: str) -> None:
        if not self.restoring or self._progress is not None:
            return
        self._progress = RestoreProgressScreen(name)
        self.app.push_screen(self._progress, self._progress_answered)

    def _progress_answered(self, cancel: bool | None) -> None:
        self._progress = None
        if cancel:
            self._cancel.set()

    def _show_step(self, progress: SaveProgress) -> None:
        if self._progress is not None:
            self._progress.show(progress)

    def _end(self) -> None:
        self.restoring = self.keeper.restoring = False
        screen, self._progress = self._progress, None
        if screen is not None and screen.is_attached:
            screen.dismiss(False)

    def _failed(self, message: str) -> None:
        self._end()
        self.app.notify(visible(message), title="Session", severity="error", markup=False)

    def _corrupt(self, name: str, error: Exception) -> None:
        self._end()
        self.report_corrupt(name, error)

    def _cancelled(self, name: str) -> None:
        self._end()
        self.keeper.keep_previous(True)  # the first save keeps it under a dated name: never written over
        self.app.notify(
            visible(f"Restore cancelled. Session {name!r} is kept on disk as it was; this window starts empty."),
            title="Session", severity="warning", timeout=10, markup=False,
        )  # fmt: skip

    def report_corrupt(self, name: str, error: Exception | str) -> None:
        """Move a bad session aside (never delete it) and say what happened, in one message."""
        try:
            moved = self.keeper.move_aside(name)
        except (OSError, store.SessionsOff) as move_error:
            moved = None
            error = f"{error}; it could not be moved aside either ({move_error})"
        where = f" It was moved to {moved} (nothing was deleted)." if moved else ""
        self.app.notify(
            visible(f"The session {name!r} could not be read: {error}.{where} tui-lab starts fresh."),
            title="Session not restored", severity="error", timeout=30, markup=False,
        )  # fmt: skip

    def _apply(self, loaded: store.LoadedSession) -> None:
        """Apply a read session in one go (UI thread); a failure moves it aside with one message."""
        app, state = self.app, loaded.state
        try:
            applied = self.keeper.adopt(loaded)
            if applied.values:
                app.workspace.publish_many(applied.values, "session")
            if state.device != "cpu" and not app.select_device(state.device):
                applied.notes.append(f"device {state.device} is not available here; staying on {app.device}")
        except Exception as error:  # a pane or a value that does not fit: the session is kept aside, the app goes on
            self._end()
            self.report_corrupt(self.keeper.name, f"it could not be applied ({type(error).__name__}: {error})")
            return
        self._end()
        self.controller.settled()
        app.call_later(self._show_restored, loaded, applied)

    async def _show_restored(self, loaded: store.LoadedSession, applied: Applied) -> None:
        """The pane the session was saved in, then what was restored, then the question about inputs (on that pane)."""
        if self.app.current_mode != loaded.state.pane:
            await self.app.switch_mode(loaded.state.pane)
        self._announce(loaded, applied)
        self._offer_rerun(applied, loaded.modules, set(applied.values))

    def _announce(self, loaded: store.LoadedSession, applied: Applied) -> None:
        state = loaded.state
        lines = [f"Restored {state.describe()} from {state.saved_at[11:16]}."]
        if state.not_saved:
            lines.append("Not saved: " + ", ".join(f"{n.name} ({n.type_name})" for n in state.not_saved[:8]) + ".")
        lines += [note[:1].upper() + note[1:] + "." for note in applied.notes]
        self.app.notify(visible("\n".join(lines), keep="\n"), title="Session", timeout=15, markup=False)

    async def quit_while_restoring(self) -> None:
        """The app quits mid-restore: stop it, keep the session on disk, put meanwhile work beside it."""
        self._closing = True
        self._cancel.set()
        message = f"tui-lab: quit during a restore; session {self.keeper.name!r} is kept as it was."
        if self.keeper.policy.dirty:
            snapshot = self.controller.snapshot()
            try:
                side = await asyncio.to_thread(self.keeper.write_aside, snapshot)
                message += f" What you did meanwhile is in session {side!r} (tui-lab --session {side})."
            except Exception as error:  # a full disk: the session being restored is still intact
                message += f" What you did meanwhile could not be saved ({error})."
        self.app.exit(message=visible(message))

    # -- re-running inputs --------------------------------------------------------------------------

    def _offer_rerun(self, applied: Applied, modules: ModuleStates, kept: set[str]) -> None:
        if not applied.rerun_sources:
            return
        sources, targets = list(applied.rerun_sources), set(applied.rerun_names)

        def answered(run: bool | None) -> None:
            if run:
                work = partial(self._rerun, sources, modules, kept - targets)
                self.app.run_worker(work, thread=True, group="session-rerun", exit_on_error=False)

        self.app.push_screen(rerun_question(applied.rerun_names, sources), answered)

    def _rerun(self, sources: list[str], modules: ModuleStates, kept: set[str]) -> None:
        ws = self.app.workspace
        before = ws.snapshot()
        restored = {name: ws.get(name) for name in kept if name in ws}
        problems: list[str] = []
        for number, source in enumerate(sources, start=1):
            try:
                exec(compile(source, f"<session input {number}>", "exec"), ws.namespace)
            except Exception as error:  # the person's own code: report, go on with the next input
                problems.append(f"input {number}: {type(error).__name__}: {error}")
        back = {name: value for name, value in restored.items() if ws.get(name) is not value}
        if back:  # an input also set a name the session had restored: the restored value wins
            ws.publish_many(back, "session")
            problems.append("kept the restored " + ", ".join(sorted(back)))
        ws.notify_since(before, "session")
        for name, (state_dict, inputs) in modules.items():
            if inputs:
                problem = restore_module(ws.get(name), state_dict)
                if problem:
                    problems.append(f"{name}: {problem}")
        message = "Re-ran the saved inputs" + (": " + "; ".join(problems) if problems else "; saved weights loaded.")
        self._hand(self.app.notify, visible(message), title="Session", markup=False)

    # -- open, new, export ----------------------------------------------------------------------------

    def _leave(self, name: str) -> Leaving | None:
        """Take the lock of session ``name`` and empty the app; the session being left (to write), or None."""
        leaving_name = self.keeper.name
        snapshot = self.controller.snapshot() if self.keeper.off is None else None
        old = self.keeper.switch_to(name)  # OSError when another tui-lab holds it: nothing changed
        self._clear()
        return None if snapshot is None else Leaving(snapshot, leaving_name, old)

    def pick_and_open(self) -> None:
        """Offer the saved sessions; the chosen one replaces the workspace (the current one is saved first)."""
        if not self.may_switch("Open session"):
            return
        try:
            sessions = store.list_sessions(self.keeper.sessions_root())
        except (OSError, store.SessionsOff) as error:
            self.app.notify(visible(str(error)), title="Open session", markup=False)
            return
        if not sessions:
            self.app.notify("No saved session yet.", title="Open session")
            return

        def picked(name: str | None) -> None:
            if not name or not self.may_switch("Open session"):
                return
            try:
                leaving = self._leave(name) if name != self.keeper.name else None
            except (OSError, ValueError) as error:
                self.app.notify(visible(str(error)), title="Open session", severity="error", markup=False)
                return
            if name == self.keeper.name and leaving is None:
                self._clear()
            self.load(name, leaving)

        choices = [(n, visible(f"{n} · {when}")) for n, when in sessions]
        self.app.push_screen(PickerScreen("Open session", choices), picked)

    def start_new(self, name: str) -> None:
        """Save the current session, then start an empty one called ``name``."""
        if not self.may_switch("New session"):
            return
        try:
            store.check_name(name)
            leaving = self._leave(name)
        except (OSError, ValueError) as error:
            self.app.notify(visible(str(error)), title="New session", severity="error", markup=False)
            return
        if leaving is not None:
            work = partial(self._write_leaving, leaving)
            self.app.run_worker(work, thread=True, group="session", name="session-save", exit_on_error=False)
        self.app.notify(visible(f"New session {name!r}."), title="Session", markup=False)

    def _clear(self) -> None:
        ws = self.app.workspace
        ws.delete(ws.user_names(), "session")
        self.keeper.clear()
        self.controller.settled()

    def export(self) -> None:
        """Ask for a path and write the session as a notebook (``.ipynb``) or a ``# %%`` script (``.py``)."""
        default = str(Path(os.getcwd()) / f"{self.keeper.name}.ipynb")

        def chosen(path: str | None) -> None:
            if path:
                self._export_to(path)

        self.app.push_screen(
            PromptScreen("Export session as notebook (.ipynb, or .py for a # %% script)", default), chosen
        )

    def _export_to(self, path: str) -> None:
        from tui_lab.core.data.codegen import pipeline_code
        from tui_lab.core.session.snapshot import snapshot_state

        snapshot = self.controller.snapshot()
        data = next((s for s in snapshot.panes if isinstance(s, DataView)), DataView())
        script = pipeline_code(data.pipeline, data.tensor_options) if data.pipeline is not None else None

        def write() -> None:
            from tui_lab.core.session.export import ExportError, export_notebook, export_script

            writer = export_script if path.endswith(".py") else export_notebook
            try:
                written = writer(path, snapshot_state(snapshot), script)
            except ExportError as error:
                self._hand(self.app.notify, visible(str(error)), title="Export", severity="error", markup=False)
                return
            self._hand(self.app.notify, visible(f"Wrote {written}"), title="Export", markup=False)

        self.app.run_worker(write, thread=True, group="session-export", exit_on_error=False)

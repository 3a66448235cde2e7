"""Reading the panes' state for a session, and putting a loaded session back into the app.

Pane state is read through each pane's controller (the Data pane's pipeline, the Train pane's
run queue and form) and restored through one ``restore_session`` method per pane screen.
Loading and replaying the pipeline run in a thread worker; the values are published and the
panes refreshed on the UI thread. REPL inputs (for ``nn.Module``s and names that were not
saved) run only after the person says yes.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_lab.core.session import store
from tui_lab.core.session.capture import Provenance, restore_module
from tui_lab.core.session.contract import DataView, TrainView
from tui_lab.core.text import visible
from tui_lab.ui.modals import PickerScreen
from tui_lab.ui.session_modals import PromptScreen, rerun_question

if TYPE_CHECKING:
    from tui_lab.ui.app import TuiLabApp
    from tui_lab.ui.session import SessionController


def pane_screen_if_open(app: TuiLabApp, pane: str) -> Any:
    """The screen of ``pane`` if its mode was ever shown (modes keep their screens), else None."""
    stacks: dict[str, list[Any]] = getattr(app, "_screen_stacks", {})
    for screen in stacks.get(pane, []):
        if getattr(screen, "PANE", None) == pane:
            return screen
    return None


def _with_records(screen: Any) -> Any:
    for attribute in ("runs", "run_queue", "controller"):
        owner = getattr(screen, attribute, None)
        if isinstance(getattr(owner, "records", None), list):
            return owner
    return screen


@dataclass(frozen=True)
class ReadPanes:
    """The panes' state as the session needs it."""

    pipeline: Any = None
    cursor: tuple[int, int] = (0, 0)
    tensor_options: Any = None
    train_form: dict[str, str] | None = None
    runs: tuple[Any, ...] = ()


def pane_states(app: TuiLabApp) -> ReadPanes:
    """What the Data and Train panes hold now (UI thread)."""
    data = pane_screen_if_open(app, "data")
    pipeline = tensor_options = None
    cursor = (0, 0)
    if data is not None:
        owner = getattr(data, "controller", data)
        pipeline = getattr(owner, "pipeline", None) or getattr(data, "pipeline", None)
        tensor_options = getattr(owner, "tensor_options", None)
        grid = getattr(data, "grid", None) if pipeline is not None else None
        if grid is not None:
            cursor = (int(grid.cursor_row), int(grid.cursor_column))
    train = pane_screen_if_open(app, "train")
    form: dict[str, str] | None = None
    runs: tuple[Any, ...] = ()
    if train is not None:
        runs = tuple(getattr(_with_records(train), "records", ()))
        try:
            form = dict(train.form.values(relevant_only=False))
        except Exception:  # not composed yet, or being torn down: the form is simply not saved this time
            form = None
    return ReadPanes(pipeline, cursor, tensor_options, form, runs)


class SessionRestorer:
    """Loads a session in a worker and applies it to the workspace and the panes."""

    def __init__(self, controller: SessionController) -> None:
        self.controller = controller
        self.busy = False

    @property
    def app(self) -> TuiLabApp:
        return self.controller.app

    # -- loading ---------------------------------------------------------------------------

    def load(self, name: str, save_first: tuple[Any, str] | None = None) -> None:
        """Read session ``name`` (and replay its pipeline) in a worker, then apply it.

        ``save_first`` is (snapshot, name): the session being left, written by the same worker first.
        """
        self.busy = True
        work = partial(self._load_worker, name, save_first)
        self.app.run_worker(work, thread=True, group="session-load", exit_on_error=False)

    def _load_worker(self, name: str, save_first: tuple[Any, str] | None = None) -> None:
        self.app.workspace.wait_ready(120)
        if save_first is not None and self.controller.off is None:
            try:
                self.controller._write(*save_first)
            except Exception as error:  # the person is told; the session they asked for still opens
                message = f"The session being left could not be saved: {error}"
                self.app.call_from_thread(self.app.notify, visible(message), title="Session", markup=False)
        try:
            with self.controller._lock:
                loaded = store.load(name)
        except store.SessionCorrupt as error:
            self.app.call_from_thread(self._corrupt, name, error)
            return
        except (OSError, store.SessionsOff) as error:
            self.app.call_from_thread(self._failed, f"The session could not be read: {error}")
            return
        if loaded is None:
            self.app.call_from_thread(self._failed, f"There is no session {name!r} yet.")
            return
        self.app.call_from_thread(lambda: self.app.run_worker(self._apply(loaded), group="session-load"))

    def _failed(self, message: str) -> None:
        self.busy = False
        self.app.notify(message, title="Session", severity="error", markup=False)

    def _corrupt(self, name: str, error: Exception) -> None:
        self.busy = False
        self.report_corrupt(name, error)

    def report_corrupt(self, name: str, error: Exception) -> None:
        """Move a bad session aside (never delete it) and say what happened."""
        try:
            moved = store.move_aside(name)
        except OSError as move_error:
            moved = None
            error = Exception(f"{error}; it could not be moved aside either ({move_error})")
        where = f" It was moved to {moved} (nothing was deleted)." if moved else ""
        self.app.notify(
            visible(f"The session {name!r} could not be read: {error}.{where} tui-lab starts fresh."),
            title="Session not restored", severity="error", timeout=30, markup=False,
        )  # fmt: skip

    async def _apply(self, loaded: store.LoadedSession) -> None:
        app, state, controller = self.app, loaded.state, self.controller
        try:
            app.workspace.publish_many(loaded.values, "session")
            controller.provenance = Provenance(state.inputs)
            controller.repl_log = list(state.repl)
            controller.not_saved = state.not_saved
            controller.last_state = state
            for live in loaded.panes:
                if isinstance(live, DataView):
                    await app.switch_mode("data")
                    self._restore(pane_screen_if_open(app, "data"), live.pipeline, live.cursor, live.tensor_options)
                elif isinstance(live, TrainView):
                    await app.switch_mode("train")
                    self._restore(pane_screen_if_open(app, "train"), list(live.records), live.form)
            if state.device != "cpu" and not app.select_device(state.device):
                loaded.notes.append(f"device {state.device} is not available here; staying on {app.device}")
            if state.repl:
                await app.switch_mode("repl")
                self._restore(pane_screen_if_open(app, "repl"), state.repl)
            if state.pane in ("repl", "data", "graph", "train"):
                await app.switch_mode(state.pane)
        finally:
            self.busy = False
            controller._fingerprint = controller.pane_fingerprint()
            controller.policy.finished(controller.policy.changes, time.monotonic())
        for name, (_, inputs) in loaded.modules.items():
            if not inputs:
                loaded.notes.append(
                    f"{name} (an nn.Module) was saved as weights only: no REPL input built it, so it is not recreated"
                )
        self._announce(loaded)
        self._offer_rerun(loaded)

    @staticmethod
    def _restore(screen: Any, *args: Any) -> None:
        hook = getattr(screen, "restore_session", None)
        if callable(hook):
            hook(*args)

    def _announce(self, loaded: store.LoadedSession) -> None:
        state = loaded.state
        lines = [f"Restored {state.describe()} from {state.saved_at[11:16]}."]
        if state.not_saved:
            lines.append("Not saved: " + ", ".join(f"{n.name} ({n.type_name})" for n in state.not_saved[:8]) + ".")
        lines += [note[:1].upper() + note[1:] + "." for note in loaded.notes]
        self.app.notify(visible("\n".join(lines), keep="\n"), title="Session", timeout=15, markup=False)

    # -- re-running inputs -----------------------------------------------------------------

    def _offer_rerun(self, loaded: store.LoadedSession) -> None:
        names = [n for n, (_, inputs) in loaded.modules.items() if inputs]
        names += [n.name for n in loaded.state.not_saved if n.inputs]
        sources: list[str] = []
        for name in names:
            inputs = loaded.modules[name][1] if name in loaded.modules else loaded.state.inputs.get(name, ())
            inputs = inputs or next((n.inputs for n in loaded.state.not_saved if n.name == name), ())
            sources += [s for s in inputs if s not in sources]
        if not sources:
            return
        order = {entry.source: i for i, entry in enumerate(loaded.state.repl)}
        sources.sort(key=lambda s: order.get(s, len(order)))

        def answered(run: bool | None) -> None:
            if run:
                self.app.run_worker(lambda: self._rerun(sources, loaded.modules), thread=True, group="session-rerun")

        self.app.push_screen(rerun_question(names, sources), answered)

    def _rerun(self, sources: list[str], modules: dict[str, tuple[dict[str, Any], tuple[str, ...]]]) -> None:
        ws = self.app.workspace
        before = ws.snapshot()
        problems: list[str] = []
        for number, source in enumerate(sources, start=1):
            try:
                exec(compile(source, f"<session input {number}>", "exec"), ws.namespace)
            except Exception as error:  # the person's own code: report, go on with the next input
                problems.append(f"input {number}: {type(error).__name__}: {error}")
        ws.notify_since(before, "session")
        for name, (state_dict, inputs) in modules.items():
            if not inputs:
                continue
            problem = restore_module(ws.get(name), state_dict)
            if problem:
                problems.append(f"{name}: {problem}")
        message = "Re-ran the saved inputs" + (": " + "; ".join(problems) if problems else "; saved weights loaded.")
        self.app.call_from_thread(self.app.notify, visible(message), title="Session", markup=False)

    # -- open, new, export -------------------------------------------------------------------

    def pick_and_open(self) -> None:
        """Offer the saved sessions; the chosen one replaces the workspace (the current one is saved first)."""
        try:
            sessions = store.list_sessions()
        except (OSError, store.SessionsOff) as error:
            self.app.notify(str(error), title="Open session", markup=False)
            return
        if not sessions:
            self.app.notify("No saved session yet.", title="Open session")
            return

        def picked(name: str | None) -> None:
            if name:
                leaving = self.controller.name
                save_first = (self.controller.snapshot(), leaving) if name != leaving else None
                self._clear()
                self.controller.name = name
                store.mark_running(name)
                if name != leaving:
                    store.mark_clean(leaving)
                self.load(name, save_first)

        self.app.push_screen(PickerScreen("Open session", [(n, f"{n} · {when}") for n, when in sessions]), picked)

    def start_new(self, name: str) -> None:
        """Save the current session, then start an empty one called ``name``."""
        try:
            store.check_name(name)
        except ValueError as error:
            self.app.notify(str(error), title="New session", severity="error", markup=False)
            return
        # The session being left is taken now, before the workspace is emptied, and written in a worker:
        # a save still running would otherwise be followed by one of the emptied workspace.
        leaving = (self.controller.snapshot(), self.controller.name) if self.controller.off is None else None
        self._clear()
        self.controller.name = name
        if self.controller.off is None:
            store.mark_running(name)
        if leaving is not None:
            work = partial(self._write_leaving, *leaving)
            self.app.run_worker(work, thread=True, group="session", name="session-save", exit_on_error=False)
        self.app.notify(f"New session {name!r}.", title="Session", markup=False)

    def _write_leaving(self, snapshot: Any, name: str) -> None:
        try:
            self.controller._write(snapshot, name)
        except Exception as error:  # the person is told; the new session goes on
            message = visible(f"The session {name!r} being left could not be saved: {error}")
            self.app.call_from_thread(self.app.notify, message, title="Session", severity="error", markup=False)

    def _clear(self) -> None:
        ws = self.app.workspace
        ws.delete(ws.user_names(), "session")
        self.controller.provenance = Provenance()
        self.controller.repl_log = []
        self._restore(pane_screen_if_open(self.app, "data"), None, (0, 0), None)
        self._restore(pane_screen_if_open(self.app, "train"), [], None)
        self._restore(pane_screen_if_open(self.app, "repl"), ())

    def export(self) -> None:
        """Ask for a path and write the session as a notebook (``.ipynb``) or a ``# %%`` script (``.py``)."""
        default = str(Path(os.getcwd()) / f"{self.controller.name}.ipynb")

        def chosen(path: str | None) -> None:
            if path:
                self._export_to(path)

        self.app.push_screen(PromptScreen("Export session as notebook (.ipynb, or .py for a # %% script)", default), chosen)

    def _export_to(self, path: str) -> None:
        from tui_lab.core.data.codegen import pipeline_code
        from tui_lab.core.session.snapshot import snapshot_state

        snapshot = self.controller.snapshot()
        panes = pane_states(self.app)
        script = pipeline_code(panes.pipeline, panes.tensor_options) if panes.pipeline is not None else None

        def write() -> None:
            from tui_lab.core.session.export import ExportError, export_notebook, export_script

            writer = export_script if path.endswith(".py") else export_notebook
            try:
                written = writer(path, snapshot_state(snapshot), script)
            except ExportError as error:
                self.app.call_from_thread(self.app.notify, str(error), title="Export", severity="error", markup=False)
                return
            self.app.call_from_thread(self.app.notify, f"Wrote {written}", title="Export", markup=False)

        self.app.run_worker(write, thread=True, group="session-export", exit_on_error=False)

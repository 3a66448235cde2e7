"""The app's session controller: autosave in a worker, resume after an unclean exit, the palette's session commands.

The app owns one :class:`SessionController`. It hears every workspace change (and, from the
REPL, which input made it), checks the panes once a second for a new pipeline step or a
finished run, and saves in a thread worker: after such a step or run, every 60 s while
something changed, and on quit. Saving and loading are :mod:`tui_lab.core.session`'s; pane
state is read through the panes' controllers and restored through one ``restore_session``
method per pane screen (see :mod:`tui_lab.ui.session_restore`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand

from tui_lab.core.session import store
from tui_lab.core.session.capture import PaneStates, Provenance, take_snapshot
from tui_lab.core.session.model import NotSaved, ReplEntry, SaveReport, SessionState, bounded_entry
from tui_lab.core.session.policy import AutosavePolicy, session_cap
from tui_lab.core.workspace import WorkspaceChange
from tui_lab.ui.session_modals import PromptScreen, SessionDialog, not_saved_text, resume_question
from tui_lab.ui.session_restore import SessionRestorer, pane_screen_if_open, pane_states

if TYPE_CHECKING:
    from tui_lab.core.repl.engine import RunResult
    from tui_lab.ui.app import TuiLabApp

#: How often the panes are checked for a new step or a finished run (cheap: a few integers).
CHECK_INTERVAL_S = 1.0


class SessionController:
    """Keeps the session ``name`` saved while the app runs, and restores it when asked."""

    def __init__(self, app: TuiLabApp, name: str = store.DEFAULT_NAME, *, resume: bool = False) -> None:
        self.app = app
        self.name = store.check_name(name)
        self.resume = resume
        self.off: str | None = None
        self.policy = AutosavePolicy()
        self.provenance = Provenance()
        self.repl_log: list[ReplEntry] = []
        self.not_saved: tuple[NotSaved, ...] = ()
        self.last_state: SessionState | None = None
        self.restorer = SessionRestorer(self)
        self._fingerprint: tuple[Any, ...] = ()
        self._lock = threading.Lock()
        self._saving = False
        self._again = False
        self._keep_previous = False
        self._told_skipped: set[str] = set()
        #: True while the resume question is open: nothing is saved over the session being offered.
        self.deciding = False

    # -- start and stop -------------------------------------------------------------------

    def start(self) -> None:
        """On mount: check the state directory, offer or perform the resume, start watching."""
        try:
            root = store.sessions_root()
            existing = store.peek(self.name, root)
            unclean = store.unclean_exit(self.name, root)
            store.mark_running(self.name, root)
        except store.SessionsOff as error:
            self.turn_off(str(error))
            return
        except store.SessionCorrupt as error:
            self.restorer.report_corrupt(self.name, error)
            existing, unclean = None, False
        except OSError as error:
            self.turn_off(f"sessions are off: {error}")
            return
        self.app.workspace_changed.subscribe(self.app, self.on_workspace_change)
        self._fingerprint = self.pane_fingerprint()
        self.app.set_interval(CHECK_INTERVAL_S, self.check_panes)
        if existing is None:
            return
        if self.resume:
            self.restorer.load(self.name)
        elif unclean and not existing.empty:  # an empty session is not worth a question
            self._keep_previous = True
            self.deciding = True
            self.app.push_screen(resume_question(existing.saved_at, existing.describe()), self._answered)
        else:
            self._keep_previous = True  # a clean quit's session stays; our first save keeps it under a dated name

    def _answered(self, restore: bool | None) -> None:
        self.deciding = False
        if restore:
            self._keep_previous = False
            self.restorer.load(self.name)

    def turn_off(self, reason: str) -> None:
        """Sessions are off for this run: say so once."""
        if self.off is None:
            self.off = reason
            self.app.notify(reason[:1].upper() + reason[1:] + ".", title="Sessions", severity="warning", markup=False)

    async def save_on_quit(self) -> None:
        """Save (waiting for a save in flight first) and note the clean exit."""
        if self.off is not None or self.deciding:
            return
        while self._saving:
            await asyncio.sleep(0.02)
        if not self.app.torch_ready:
            pass  # quit before torch has loaded: nothing to save, and no waiting for its import
        elif self.policy.dirty or self.pane_fingerprint() != self._fingerprint:
            snapshot = self.snapshot()
            if snapshot is not None:
                if snapshot.total_bytes > 64 * 1024**2:
                    self.app.notify(f"Saving the session ({snapshot.total_bytes / 1024**3:.1f} GiB)…", title="Session")
                try:
                    report = await asyncio.to_thread(self._write, snapshot, self.name)
                    self.policy.finished(self.policy.changes, time.monotonic())
                    self.last_state = report.state
                except Exception as error:  # quitting must not hang on a full disk
                    self.app.notify(f"The session could not be saved: {error}", severity="error", markup=False)
                    return
        try:
            store.mark_clean(self.name)
        except (OSError, store.SessionsOff):
            return

    # -- what changed ------------------------------------------------------------------------

    def on_workspace_change(self, change: WorkspaceChange) -> None:
        """A name changed: remember which REPL input did it, and that there is something to save."""
        if change.source == "session" or change.preloaded:
            return
        if change.source == "repl":
            inputs = self.app.workspace.get("_ih")
            if isinstance(inputs, list) and inputs and isinstance(inputs[-1], str):
                self.provenance.record(inputs[-1], change.changed, change.deleted)
        if change.changed or change.deleted:
            self.policy.changed()

    def record_repl(self, result: RunResult) -> None:
        """One REPL input ran: keep it (and what it printed) for the log and the notebook."""
        output = "".join(chunk.text for chunk in result.outputs)
        if result.value_repr is not None:
            output += result.value_repr + "\n"
        if result.error is not None:
            output += f"{result.error.type_name}: {result.error.message}\n"
        self.repl_log.append(bounded_entry(result.source, output, result.ok, tuple(sorted(result.changed))))
        del self.repl_log[:-200]
        self.policy.changed()

    def _inputs_without_log(self) -> tuple[ReplEntry, ...]:
        """The REPL's inputs (``_ih``) when no run was recorded with its output (an older REPL screen)."""
        inputs = self.app.workspace.get("_ih")
        screen = self.screen_of("repl")
        engine = getattr(screen, "engine", None)
        replay = engine.replay_source() if engine is not None else ""
        if not isinstance(inputs, list):
            return ()
        sources = [s for s in inputs[1:] if isinstance(s, str) and s.strip()]
        return tuple(bounded_entry(s, "", s in replay) for s in sources[-200:])

    def pane_fingerprint(self) -> tuple[Any, ...]:
        """A few values that change when a pipeline step is applied or undone, the tensor options change, or a
        run finishes."""
        states = pane_states(self.app)
        pipeline = states.pipeline
        steps = (id(pipeline), len(pipeline.applied), len(pipeline.undone)) if pipeline is not None else ()
        runs = tuple(r.run_id for r in states.runs if getattr(r, "result", None) is not None)
        return steps, runs, states.tensor_options

    def check_panes(self) -> None:
        """Once a second: save after a pipeline step or a finished run, or when the 60 s autosave is due.

        Not before torch has loaded: a snapshot imports torch, and on the UI thread that would wait for the
        import in flight (nothing worth saving exists before it: the first check after it sees any change).
        """
        if self.off is not None or self.restorer.busy or self.deciding or not self.app.torch_ready:
            return
        fingerprint = self.pane_fingerprint()
        if fingerprint != self._fingerprint:
            self._fingerprint = fingerprint
            self.policy.changed()
            self.save()
        elif self.policy.due(time.monotonic()):
            self.save()

    # -- saving --------------------------------------------------------------------------------

    def snapshot(self) -> Any:
        """The workspace and panes as a snapshot (UI thread; references only)."""
        cap = session_cap()
        notes = (cap.problem,) if cap.problem else ()
        ws = self.app.workspace
        states = pane_states(self.app)
        panes = PaneStates(
            pipeline=states.pipeline,
            cursor=states.cursor,
            tensor_options=states.tensor_options,
            train_form=states.train_form,
            device=str(self.app.device),
            runs=states.runs,
            repl=tuple(self.repl_log) or self._inputs_without_log(),
            pane=str(self.app.current_mode or "repl"),
        )
        return take_snapshot(ws.user_items(), cap.nbytes, panes, self.provenance, notes)

    def _write(self, snapshot: Any, name: str) -> SaveReport:
        with self._lock:
            if self._keep_previous and name == self.name:
                self._keep_previous = False
                self._keep_dated(name)
            return store.save_at_low_priority(snapshot, name)  # the UI keeps the CPU under contention

    def _keep_dated(self, name: str) -> None:
        """Rename the previous run's session to ``NAME-YYYYmmdd-HHMM`` before the first save replaces it."""
        try:
            previous = store.peek(name)
        except store.SessionCorrupt:
            return
        if previous is None:
            return
        stamp = previous.saved_at[:16].replace("-", "").replace("T", "-").replace(":", "")
        root = store.sessions_root()
        target = root / f"{name}-{stamp}"
        counter = 1
        while target.exists():
            counter += 1
            target = root / f"{name}-{stamp}-{counter}"
        (root / name).rename(target)

    def save(self, name: str | None = None, *, announce: bool = False) -> None:
        """Start an autosave (or a "save as") in a worker; a save asked for during another runs after it."""
        if self.off is not None:
            if announce:
                self.app.notify(self.off, title="Sessions", markup=False)
            return
        if self._saving:
            self._again = True
            return
        snapshot = self.snapshot()
        covered = self.policy.begin()
        self._saving = True
        target = name or self.name
        self.app.run_worker(
            partial(self._save_worker, snapshot, target, covered, announce),
            thread=True,
            group="session",
            name="session-save",
            exit_on_error=False,
        )

    def _save_worker(self, snapshot: Any, name: str, covered: int, announce: bool) -> None:
        try:
            report = self._write(snapshot, name)
        except store.SessionsOff as error:
            self._tell_ui(self._save_failed, str(error), True)
            return
        except Exception as error:
            self._tell_ui(self._save_failed, f"the session could not be saved: {type(error).__name__}: {error}", False)
            return
        self._tell_ui(self._saved, report, covered, name, announce)

    def _tell_ui(self, callback: Any, *args: Any) -> None:
        """``callback(*args)`` on the UI thread, unless the app has stopped meanwhile (a save outliving a quit)."""
        if self.app.is_running:
            self.app.call_from_thread(callback, *args)

    def _save_failed(self, message: str, off: bool) -> None:
        self._saving = False
        if off:
            self.turn_off(message)
        else:
            self.app.notify(message, title="Sessions", severity="error", markup=False)

    def _saved(self, report: Any, covered: int, name: str, announce: bool) -> None:
        self._saving = False
        if name == self.name:
            self.policy.finished(covered, time.monotonic())
            self.last_state = report.state
            self.not_saved = report.state.not_saved
        skipped = [n for n in report.skipped if "size cap" in n.reason and n.name not in self._told_skipped]
        if skipped:
            self._told_skipped.update(n.name for n in skipped)
            names = ", ".join(n.name for n in skipped[:6])
            self.app.notify(f"Not saved (over the size cap): {names}", title="Session", severity="warning", markup=False)
        if announce:
            self.app.notify(f"Saved session {name!r} ({report.state.describe()}).", title="Session", markup=False)
        if self._again:
            self._again = False
            self.save()

    # -- palette --------------------------------------------------------------------------------

    def commands(self) -> Iterator[SystemCommand]:
        """The palette's session commands."""
        yield SystemCommand("Save session as…", "Save the workspace, panes and REPL log under a name", self.action_save_as)
        yield SystemCommand("Open session…", "Replace the workspace with a saved session", self.action_open)
        yield SystemCommand("New session", "Start an empty session under a new name", self.action_new)
        yield SystemCommand("Export session as notebook…", "Write an .ipynb (or a # %% .py script)", self.action_export)
        yield SystemCommand("Session: what was not saved", "Names left out of the session, and why", self.action_show_not_saved)

    def action_save_as(self) -> None:
        def chosen(name: str | None) -> None:
            if name:
                try:
                    self.name = store.check_name(name)
                except ValueError as error:
                    self.app.notify(str(error), title="Save session as", severity="error", markup=False)
                    return
                self._keep_previous = False
                store.mark_running(self.name)
                self.save(announce=True)

        self.app.push_screen(PromptScreen("Save session as (a name)", self.name), chosen)

    def action_open(self) -> None:
        self.restorer.pick_and_open()

    def action_new(self) -> None:
        def chosen(name: str | None) -> None:
            if name:
                self.restorer.start_new(name)

        self.app.push_screen(PromptScreen("New session name", placeholder="e.g. chapter-3"), chosen)

    def action_export(self) -> None:
        self.restorer.export()

    def action_show_not_saved(self) -> None:
        entries = self.not_saved or (self.last_state.not_saved if self.last_state else ())
        if not entries:
            self.app.notify("Every name was saved.", title="Session")
            return
        self.app.push_screen(SessionDialog("Not saved in this session", not_saved_text(entries), "OK", "Close"))

    def screen_of(self, pane: str) -> Any:
        """The screen of ``pane`` if it was ever opened, else None."""
        return pane_screen_if_open(self.app, pane)

"""The app's one interface to its session: start, autosave, quit, the panes' registration, the palette.

The app owns one :class:`SessionController` (``app.session``). What the session is and does lives
in the plain :class:`~tui_lab.core.session.keeper.SessionKeeper` (the lock, the panes, what to save,
what came back); this class runs its slow parts in thread workers, says what happened in
notifications and dialogs, and hands restoring, opening, new sessions and exports to
:class:`~tui_lab.ui.session_restore.SessionFlows`. Panes register here when they are mounted
(:meth:`register`), through the typed :class:`~tui_lab.core.session.contract.PaneSession` protocol.

Saves run after a pipeline step or a finished run (a pane's fingerprint changed), every 60 s while
something changed, and on quit; never while a restore is being read.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from tui_lab.core.session import store
from tui_lab.core.session.keeper import RestoreInFlight, SessionKeeper
from tui_lab.core.session.model import NotSaved, ReplEntry, SaveReport, SessionState, bounded_entry
from tui_lab.core.text import visible
from tui_lab.core.workspace import WorkspaceChange
from tui_lab.ui.session_modals import PromptScreen, SessionDialog, not_saved_text, resume_question
from tui_lab.ui.session_restore import SessionFlows
from tui_lab.ui.threads import to_ui

if TYPE_CHECKING:
    from tui_lab.core.repl.engine import InputResult
    from tui_lab.core.session.keeper import AnyPane
    from tui_lab.core.session.snapshot import SessionSnapshot
    from tui_lab.ui.app import TuiLabApp

#: How often the panes are checked for a new step or a finished run (cheap: a few integers).
CHECK_INTERVAL_S = 1.0


@dataclass(frozen=True)
class QuitVerdict:
    """What a quit's save decided: whether the app may go, and a line for the terminal once it has."""

    go: bool
    note: str = ""


class SessionController:
    """Keeps the session saved while the app runs, and restores it when asked."""

    def __init__(self, app: TuiLabApp, name: str = store.DEFAULT_NAME, *, resume: bool = False) -> None:
        self.app = app
        self.keeper = SessionKeeper(name)
        self.resume = resume
        self.flows = SessionFlows(self)
        self._fingerprint: dict[str, Hashable] = {}
        self._saving = False
        self._again = False
        #: Set by the save worker's thread itself when its write is over (never through the app's queue:
        #: ctrl+q's handler waits on it, and the app's queue is busy with that very handler meanwhile).
        self._save_done = threading.Event()
        self._save_done.set()
        #: What the save worker's write came to, until the UI applies it (once: see ``_save_finished``).
        self._outcome: Callable[[], None] | None = None
        self._quitting = False
        self._told_skipped: set[str] = set()
        #: True while the resume question is open: nothing is saved over the session being offered.
        self.deciding = False
        #: The quit's save failed once: the next quit goes even if saving fails again.
        self._quit_save_failed = False

    # -- what the rest of the app reads ---------------------------------------------------------

    @property
    def quitting(self) -> bool:
        """True once the app has begun its quit (its save, then the exit)."""
        return self._quitting

    @property
    def name(self) -> str:
        """The session this instance holds (``default-2`` when another tui-lab holds ``default``)."""
        return self.keeper.name

    @property
    def off(self) -> str | None:
        """Why sessions are off for this run, or None."""
        return self.keeper.off

    @property
    def repl_log(self) -> list[ReplEntry]:
        """The REPL log the session keeps."""
        return self.keeper.repl_log

    @property
    def not_saved(self) -> tuple[NotSaved, ...]:
        """Names left out of the last save (or of the restored session)."""
        return self.keeper.not_saved

    @property
    def last_state(self) -> SessionState | None:
        """The manifest of the last save or restore."""
        return self.keeper.last_state

    @property
    def restoring(self) -> bool:
        """True while a session is being read (saves wait, a quit keeps the session on disk)."""
        return self.flows.restoring

    # -- panes ------------------------------------------------------------------------------------

    def register(self, pane: str, screen: AnyPane) -> None:
        """A pane is mounted: the session now asks it for its state and gives it restored ones.

        Its fingerprint now is its baseline: being opened is not a change worth a save. A restored state
        the pane cannot show is one message (the session is moved aside, kept whole), never a dead app.
        """
        try:
            self.keeper.register(pane, screen)
        except Exception as error:  # the pane's own restore_state failed on a state from disk
            self.flows.report_corrupt(self.name, f"the {pane} pane could not show it ({type(error).__name__}: {error})")
        self._fingerprint[pane] = screen.fingerprint()

    def unregister(self, pane: str, screen: AnyPane) -> None:
        """A pane is unmounted."""
        self.keeper.unregister(pane, screen)

    def screen_of(self, pane: str) -> AnyPane | None:
        """The mounted screen of ``pane``, if it registered."""
        return self.keeper.pane(pane)

    # -- start and stop -------------------------------------------------------------------------

    def start(self) -> None:
        """On the first frame: lock the session, offer or perform the resume, start watching."""
        try:
            opened = self.keeper.open(resume=self.resume)
        except store.SessionsOff as error:
            self._resume_read_only(str(error))
            return
        except OSError as error:
            self._resume_read_only(f"sessions are off: {error.strerror or error}")
            return
        if opened.elsewhere:
            self.app.notify(visible(opened.elsewhere), title="Session", severity="warning", timeout=15, markup=False)
        self.app.workspace_changed.subscribe(self.app, self.on_workspace_change)
        self._fingerprint = self.keeper.fingerprint()
        self.app.set_interval(CHECK_INTERVAL_S, self.check_panes)
        if opened.corrupt is not None:
            self.flows.report_corrupt(self.name, opened.corrupt)
            return
        existing = opened.existing
        if existing is None:
            return
        if self.resume:
            self.flows.load(self.name)
        elif opened.unclean and not existing.empty:  # an empty session is not worth a question
            self.deciding = True
            self.app.push_screen(resume_question(existing.saved_at, existing.describe()), self._answered)

    def _answered(self, restore: bool | None) -> None:
        self.deciding = False
        if restore:
            self.keeper.keep_previous(False)
            self.flows.load(self.name)

    def _resume_read_only(self, reason: str) -> None:
        """Sessions are off for this run; ``--resume`` still restores the saved session, read and never written."""
        if self.resume and self.keeper.open_read_only():
            reason += "; the saved session is restored, but nothing is saved in this run"
        else:
            self.resume = False
        self.turn_off(reason)
        if self.resume:
            self.flows.load(self.name)

    def turn_off(self, reason: str) -> None:
        """Sessions are off for this run: say so once."""
        if self.keeper.off is None:
            self.keeper.off = reason
            self.app.notify(reason[:1].upper() + reason[1:] + ".", title="Sessions", severity="warning", markup=False)

    async def save_on_quit(self) -> QuitVerdict:
        """Save (after a save in flight), note the clean exit and let the session's lock go.

        While a restore is being read, the session on disk is never written: the restore is stopped,
        and what was done meanwhile (if anything) goes to a dated session beside it. A save that fails
        (a full or read-only disk) keeps the app open, once, saying why: the work is still in memory,
        and the person can free space and quit again, or quit again to leave without saving.
        """
        if self.off is not None:
            return QuitVerdict(True)
        if self.deciding:
            self.keeper.close(clean=False)  # the question is asked again next time
            return QuitVerdict(True)
        self._quitting = True
        if self._saving:  # an autosave is writing: let it end, then take its outcome here
            await asyncio.to_thread(self._save_done.wait)
            self._save_finished()
        if self.restoring:
            await self.flows.quit_while_restoring()
            self.keeper.close()
            return QuitVerdict(True)
        if not self.app.torch_ready:
            pass  # quit before torch has loaded: nothing to save, and no waiting for its import
        elif self.keeper.policy.dirty or self.keeper.fingerprint() != self._fingerprint or self.keeper.work_in_flight():
            snapshot = self.snapshot()
            if snapshot.total_bytes > 64 * 1024**2:
                self.app.notify(f"Saving the session ({snapshot.total_bytes / 1024**3:.1f} GiB)…", title="Session")
            try:
                report = await asyncio.to_thread(self.keeper.write, snapshot)
            except Exception as error:  # quitting must not hang on a full disk
                return self._quit_save_failed_with(error)
            self.keeper.policy.finished(self.keeper.policy.changes, time.monotonic())
            self.keeper.last_state = report.state
        self.keeper.close()
        return QuitVerdict(True)

    def _quit_save_failed_with(self, error: Exception) -> QuitVerdict:
        """The quit's save failed: stay open the first time; the second time, go and say what was lost."""
        kept = f"session {self.name!r} is kept as it was last saved"
        if not self._quit_save_failed:
            self._quit_save_failed = True
            self._quitting = False  # the app stays open: autosaves go on
            text = (
                f"The session could not be saved: {error}. Nothing was lost yet: free some space (or fix the "
                f"folder) and quit again to save, or quit again to leave without saving ({kept})."
            )
            self.app.notify(visible(text), title="Not quitting", severity="error", timeout=30, markup=False)
            return QuitVerdict(False)
        self.keeper.close(clean=False)
        return QuitVerdict(
            True, visible(f"tui-lab: the session could not be saved ({error}); {kept}, without what was done since.")
        )

    # -- what changed ---------------------------------------------------------------------------

    def on_workspace_change(self, change: WorkspaceChange) -> None:
        """A name changed: remember which REPL input did it, and that there is something to save."""
        inputs = self.app.workspace.get("_ih")
        last = inputs[-1] if isinstance(inputs, list) and inputs and isinstance(inputs[-1], str) else None
        self.keeper.workspace_changed(change, last)

    def record_repl(self, result: InputResult) -> None:
        """One REPL input ran: keep it (and what it printed) for the log and the notebook."""
        output = "".join(chunk.text for chunk in result.outputs)
        if result.value_repr is not None:
            output += result.value_repr + "\n"
        if result.error is not None:
            output += f"{result.error.type_name}: {result.error.message}\n"
        self.keeper.record_repl(bounded_entry(result.source, output, result.ok, tuple(sorted(result.changed))))

    def check_panes(self) -> None:
        """Once a second: save after a pipeline step or a finished run, or when the 60 s autosave is due.

        Not before torch has loaded: a snapshot imports torch, and on the UI thread that would wait for the
        import in flight (nothing worth saving exists before it: the first check after it sees any change).
        """
        if self.off is not None or self.restoring or self.deciding or not self.app.torch_ready:
            return
        fingerprint = self.keeper.fingerprint()
        if fingerprint != self._fingerprint:
            self._fingerprint = fingerprint
            self.keeper.policy.changed()
            self.save()
        elif self.keeper.policy.due(time.monotonic()):
            self.save()

    def settled(self) -> None:
        """A restore or a new session was applied: what is shown now counts as saved."""
        self._fingerprint = self.keeper.fingerprint()
        self.keeper.policy.finished(self.keeper.policy.changes, time.monotonic())

    # -- saving ----------------------------------------------------------------------------------

    def snapshot(self) -> SessionSnapshot:
        """The workspace and panes as a snapshot (UI thread; references only)."""
        mode = str(self.app.current_mode or "repl")
        return self.keeper.snapshot(self.app.workspace.user_items(), pane=mode, device=str(self.app.device))

    def save(self, *, announce: bool = False) -> None:
        """Start an autosave in a worker; a save asked for during another runs after it."""
        if self.off is not None or self.restoring:
            if announce:
                self.app.notify(self.off or "A session is being restored; it is saved once restored.", markup=False)
            return
        if self._saving:
            self._again = True
            return
        snapshot = self.snapshot()
        covered = self.keeper.policy.begin()
        self._saving = True
        self._save_done.clear()
        work = partial(self._save_worker, snapshot, covered, announce)
        self.app.run_worker(work, thread=True, group="session", name="session-save", exit_on_error=False)

    def _save_worker(self, snapshot: SessionSnapshot, covered: int, announce: bool) -> None:
        outcome: Callable[[], None]
        try:
            report = self.keeper.write(snapshot)
        except RestoreInFlight:
            outcome = partial(self._save_failed, "", False)
        except store.SessionsOff as error:
            outcome = partial(self._save_failed, str(error), True)
        except Exception as error:
            outcome = partial(
                self._save_failed, f"the session could not be saved: {type(error).__name__}: {error}", False
            )
        else:
            outcome = partial(self._saved, report, covered, announce)
        self._outcome = outcome
        self._save_done.set()
        to_ui(self.app, self._save_finished)

    def _save_finished(self) -> None:
        """Apply the save worker's outcome (UI thread); a second call finds it taken and does nothing."""
        outcome, self._outcome = self._outcome, None
        if outcome is not None:
            outcome()

    def _save_failed(self, message: str, off: bool) -> None:
        self._saving = False
        if off:
            self.turn_off(message)
        elif message:
            self.app.notify(visible(message), title="Sessions", severity="error", markup=False)

    def _saved(self, report: SaveReport, covered: int, announce: bool) -> None:
        self._saving = False
        self.keeper.policy.finished(covered, time.monotonic())
        self.keeper.last_state = report.state
        self.keeper.not_saved = report.state.not_saved
        skipped = [n for n in report.skipped if "size cap" in n.reason and n.name not in self._told_skipped]
        if skipped:
            self._told_skipped.update(n.name for n in skipped)
            names = ", ".join(n.name for n in skipped[:6])
            self.app.notify(
                visible(f"Not saved (over the size cap): {names}"), title="Session", severity="warning", markup=False
            )
        if announce:
            text = f"Saved session {self.name!r} ({report.state.describe()})."
            self.app.notify(visible(text), title="Session", markup=False)
        if self._again:
            self._again = False
            if not self._quitting:  # quitting: the quit's own save follows
                self.save()

    # -- palette ----------------------------------------------------------------------------------

    def commands(self) -> Iterator[SystemCommand]:
        """The palette's session commands."""
        yield SystemCommand(
            "Save session as…", "Save the workspace, panes and REPL log under a name", self.action_save_as
        )
        yield SystemCommand("Open session…", "Replace the workspace with a saved session", self.action_open)
        yield SystemCommand("New session", "Start an empty session under a new name", self.action_new)
        yield SystemCommand("Export session as notebook…", "Write an .ipynb (or a # %% .py script)", self.action_export)
        yield SystemCommand(
            "Session: what was not saved", "Names left out of the session, and why", self.action_show_not_saved
        )

    def action_save_as(self) -> None:
        def chosen(name: str | None) -> None:
            if name and self.flows.may_switch("Save session as"):
                try:
                    old = self.keeper.switch_to(name)
                except (ValueError, OSError) as error:
                    self.app.notify(visible(str(error)), title="Save session as", severity="error", markup=False)
                    return
                if old is not None:
                    old.release()
                self.save(announce=True)

        self.app.push_screen(PromptScreen("Save session as (a name)", self.name), chosen)

    def action_open(self) -> None:
        self.flows.pick_and_open()

    def action_new(self) -> None:
        def chosen(name: str | None) -> None:
            if name:
                self.flows.start_new(name)

        self.app.push_screen(PromptScreen("New session name", placeholder="e.g. chapter-3"), chosen)

    def action_export(self) -> None:
        self.flows.export()

    def action_show_not_saved(self) -> None:
        entries = self.not_saved or (self.last_state.not_saved if self.last_state else ())
        if not entries:
            self.app.notify("Every name was saved.", title="Session")
            return
        self.app.push_screen(SessionDialog("Not saved in this session", not_saved_text(entries), "OK", "Close"))

"""One session's life in a running app, in plain Python: its lock, its panes, what to save, what came back.

The app holds one :class:`SessionKeeper`; the UI adapter (:mod:`tui_lab.ui.session`) runs its
slow parts in workers and shows what it says. The keeper

- owns the session: :meth:`open` takes its lock (another tui-lab holding ``default`` makes this
  one ``default-2``, said in one line) and only the lock holder writes, renames or moves it;
- knows the panes only through :class:`~tui_lab.core.session.contract.PaneSession`: a pane
  registers when mounted, gives its state on a save, and is given a restored state (held back
  until it registers when it is not mounted yet);
- keeps what a restore brought that the workspace or a pane has not taken back (modules whose
  inputs were not re-run, a pipeline whose file changed), so a later save never drops it;
- refuses to write while a restore is in flight (:attr:`restoring`): a quit or an autosave then
  never replaces the session being restored with a half-built workspace.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from tui_lab.core.session import store
from tui_lab.core.session.capture import Carried, Provenance, take_snapshot
from tui_lab.core.session.lock import SessionLock, claim
from tui_lab.core.session.model import REPL_LOG_ENTRIES, ReplEntry, ReplState, SaveProgress, SaveReport
from tui_lab.core.session.panestates import PaneState
from tui_lab.core.session.policy import AutosavePolicy, session_cap
from tui_lab.core.session.schema import NotSaved, SavedModule, SessionState
from tui_lab.core.workspace import WorkspaceChange, shadow_reason

if TYPE_CHECKING:
    from tui_lab.core.session.contract import PaneSession
    from tui_lab.core.session.snapshot import SessionSnapshot

#: A registered pane. Any: each pane has its own state type and the keeper holds them all side by
#: side; a state reaches the pane it came from (``_pane_of`` tells which), never another.
AnyPane: TypeAlias = "PaneSession[Any]"


class RestoreInFlight(Exception):
    """A save was asked for while a restore is still being read: nothing was written."""


@dataclass(frozen=True)
class Opened:
    """What :meth:`SessionKeeper.open` found: the session on disk and what to tell the person."""

    existing: SessionState | None = None
    #: The last tui-lab with this session open ended without closing it (crash, kill, lost link).
    unclean: bool = False
    #: One line when this instance got a session of its own because another holds the one asked for.
    elsewhere: str | None = None
    #: The session could not be read (it is to be moved aside): why.
    corrupt: Exception | None = None


@dataclass
class Applied:
    """A loaded session taken into the keeper: the values to publish and the notes to show."""

    values: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Names whose REPL inputs the person may re-run (modules not described, names not saved), and those inputs.
    rerun_names: list[str] = field(default_factory=list)
    rerun_sources: list[str] = field(default_factory=list)


def _pane_of(state: object) -> str:
    """The pane a state belongs to: a record's tag, or the tag of the record its codec writes."""
    from tui_lab.core.session.panes import CODECS

    if isinstance(state, PaneState):
        return str(type(state).__struct_config__.tag)
    for codec in CODECS:
        if isinstance(state, codec.live_type):
            return str(codec.saved_type.__struct_config__.tag)
    raise TypeError(f"{type(state).__name__} is not a pane state")


class SessionKeeper:
    """Keeps session ``wanted`` (or the one this instance gets instead) saved, restored and locked."""

    def __init__(self, wanted: str = store.DEFAULT_NAME, *, root: Path | None = None) -> None:
        self.name = store.check_name(wanted)
        self.root = root
        self.off: str | None = None
        self.policy = AutosavePolicy()
        self.provenance = Provenance()
        self.repl_log: list[ReplEntry] = []
        self.not_saved: tuple[NotSaved, ...] = ()
        self.last_state: SessionState | None = None
        self.carried = Carried()
        #: True while a restore is being read or applied: no save may run.
        self.restoring = False
        self._lock: SessionLock | None = None
        self._panes: dict[str, AnyPane] = {}
        #: Restored states whose pane is not mounted yet, and records a pane could not take back.
        self._pending: dict[str, object] = {}
        self._kept_records: dict[str, PaneState] = {}
        self._write_lock = threading.Lock()
        self._keep_previous = False

    # -- the session on disk -----------------------------------------------------------------

    def sessions_root(self) -> Path:
        """The sessions folder (SessionsOff when it cannot be written)."""
        if self.root is None:
            self.root = store.sessions_root()
        return self.root

    def open(self, *, resume: bool = False) -> Opened:
        """Take the lock of the session (or a numbered one), look at it on disk, note that it is open.

        Raises SessionsOff or OSError when the state folder cannot hold sessions.
        """
        root = self.sessions_root()
        wanted = self.name
        self._lock = claim(root, wanted)
        self.name = self._lock.name
        elsewhere = None
        if self.name != wanted:
            holder = SessionLock(root, wanted).holder()
            by = f" (pid {holder})" if holder else ""
            elsewhere = f"Session {wanted!r} is open in another tui-lab{by}: this one uses session {self.name!r}."
        unclean = store.unclean_exit(self.name, root, locked=True)
        store.mark_running(self.name, root)
        try:
            existing = store.peek(self.name, root)
        except store.SessionCorrupt as error:
            return Opened(None, False, elsewhere, error)
        # after a clean quit (or a "start fresh"), the first save keeps this one under a dated name
        self._keep_previous = existing is not None and not resume
        return Opened(existing, unclean, elsewhere)

    def open_read_only(self) -> bool:
        """Sessions are off (the state folder cannot be written): read from it anyway; False when there is nothing.

        Nothing is locked, marked or saved; the session is only read, so a full or read-only disk
        never keeps a saved session from coming back.
        """
        root = store.readable_root()
        if root is None:
            return False
        self.root = root
        return True

    def keep_previous(self, keep: bool) -> None:
        """Whether the first save keeps the session on disk under a dated name (True after a clean quit)."""
        self._keep_previous = keep

    def move_aside(self, name: str | None = None) -> Path | None:
        """Move a bad session this instance holds to ``NAME.bad-<time>``; where it went."""
        return store.move_aside(name or self.name, self.sessions_root())

    def switch_to(self, name: str) -> SessionLock | None:
        """Hold session ``name`` from now on; OSError (nothing changed) when another tui-lab holds it.

        Returns the lock of the session being left: the caller releases it once that session's last
        save is written (until then no other instance can take it).
        """
        name = store.check_name(name)
        if name == self.name:
            return None
        lock = SessionLock(self.sessions_root(), name)
        if not lock.acquire():
            holder = lock.holder()
            raise OSError(f"session {name!r} is open in another tui-lab" + (f" (pid {holder})" if holder else ""))
        old, self._lock, old_name = self._lock, lock, self.name
        self.name = name
        self._keep_previous = False
        store.mark_running(name, self.sessions_root())
        store.mark_clean(old_name, self.sessions_root())
        return old

    def close(self, *, clean: bool = True) -> None:
        """The app is closing: note the clean exit and let the lock go."""
        try:
            if clean and self.off is None:
                store.mark_clean(self.name, self.sessions_root())
        except (OSError, store.SessionsOff):
            pass
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # -- panes ----------------------------------------------------------------------------------

    def register(self, pane: str, screen: AnyPane) -> None:
        """A pane is mounted: it now gives and takes its state (a state restored before is handed over)."""
        self._panes[pane] = screen
        if pane in self._pending:
            screen.restore_state(self._pending.pop(pane))

    def unregister(self, pane: str, screen: AnyPane) -> None:
        """A pane is gone (the app is closing)."""
        if self._panes.get(pane) is screen:
            del self._panes[pane]

    def pane(self, pane: str) -> AnyPane | None:
        """The mounted pane ``pane``, if it registered."""
        return self._panes.get(pane)

    def work_in_flight(self) -> bool:
        """A mounted pane runs work whose changes are not published yet."""
        return any(screen.work_in_flight() for screen in self._panes.values())

    def pane_states(self) -> list[object]:
        """Every pane's state for a save: the mounted panes' own, else what was restored or kept for them."""
        states: dict[str, object] = dict(self._pending)
        for pane, screen in self._panes.items():
            state = screen.save_state()
            kept = self._kept_records.get(pane)
            if kept is not None and state == type(state)():
                state = kept  # the pane is empty: what it could not take back stays in the session
            elif kept is not None:
                del self._kept_records[pane]  # the pane has a state of its own now
            states[pane] = state
        for pane, record in self._kept_records.items():
            states.setdefault(pane, record)
        if "repl" not in self._panes:
            states["repl"] = ReplState(tuple(self.repl_log[-REPL_LOG_ENTRIES:]))
        return list(states.values())

    def fingerprint(self) -> dict[str, Hashable]:
        """The mounted panes' fingerprints: a change there deserves a save now."""
        return {pane: screen.fingerprint() for pane, screen in self._panes.items()}

    # -- what changed -----------------------------------------------------------------------------

    def workspace_changed(self, change: WorkspaceChange, last_input: str | None = None) -> None:
        """A name changed: which REPL input did it, and that there is something to save."""
        if change.source == "session" or change.preloaded:
            return
        if change.source == "repl" and last_input is not None:
            self.provenance.record(last_input, change.changed, change.deleted)
        self.carried = self.carried.without(change.changed | change.deleted)
        if change.changed or change.deleted:
            self.policy.changed()

    def record_repl(self, entry: ReplEntry) -> None:
        """One REPL input ran: keep it (and what it printed) for the log and the notebook."""
        self.repl_log.append(entry)
        del self.repl_log[:-REPL_LOG_ENTRIES]
        self.policy.changed()

    # -- saving -----------------------------------------------------------------------------------

    def snapshot(
        self, items: Iterable[tuple[str, object]], *, pane: str = "repl", device: str = "cpu"
    ) -> SessionSnapshot:
        """The workspace and panes as a snapshot (UI thread; references only)."""
        cap = session_cap()
        notes = (cap.problem,) if cap.problem else ()
        return take_snapshot(
            items,
            cap.nbytes,
            self.pane_states(),
            self.provenance,
            notes,
            pane=pane,
            device=device,
            carried=self.carried,
        )

    def write(
        self,
        snapshot: SessionSnapshot,
        name: str | None = None,
        on_progress: Callable[[SaveProgress], None] | None = None,
    ) -> SaveReport:
        """Write ``snapshot`` as this session (or ``name``, which this instance must hold); a worker's job.

        Raises :class:`RestoreInFlight` while a restore is being read, OSError on a full or read-only disk.
        """
        target = name or self.name
        with self._write_lock:
            if self.restoring and target == self.name:
                raise RestoreInFlight("the session is being restored: it was not saved over")
            if self._keep_previous and target == self.name:
                self._keep_previous = False
                self._keep_dated(target)
            return store.save_at_low_priority(snapshot, target, root=self.sessions_root(), on_progress=on_progress)

    def _keep_dated(self, name: str) -> None:
        """Rename the previous run's session to ``NAME-YYYYmmdd-HHMM`` before the first save replaces it."""
        root = self.sessions_root()
        try:
            previous = store.peek(name, root)
        except store.SessionCorrupt:
            return
        if previous is None:
            return
        stamp = previous.saved_at[:16].replace("-", "").replace("T", "-").replace(":", "")
        target = root / f"{name}-{stamp}"
        counter = 1
        while target.exists():
            counter += 1
            target = root / f"{name}-{stamp}-{counter}"
        (root / name).rename(target)

    def side_name(self) -> str:
        """A fresh dated name beside this session (``default-20261127-143205``), for work that must not replace it."""
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        root = self.sessions_root()
        name, counter = f"{self.name[:40]}-{stamp}", 1
        while (root / name).exists():
            counter += 1
            name = f"{self.name[:40]}-{stamp}-{counter}"
        return store.check_name(name)

    def write_aside(self, snapshot: SessionSnapshot) -> str:
        """Write ``snapshot`` under :meth:`side_name` (locked while written); returns the name."""
        name = self.side_name()
        lock = SessionLock(self.sessions_root(), name)
        if not lock.acquire():
            raise OSError(f"session {name!r} is open in another tui-lab")
        try:
            store.save(snapshot, name, root=self.sessions_root())
        finally:
            lock.release()
        return name

    # -- restoring ---------------------------------------------------------------------------------

    def read(
        self,
        name: str | None = None,
        *,
        on_progress: Callable[[SaveProgress], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> store.LoadedSession | None:
        """Read a session in full (a worker's job); SessionCorrupt, RestoreCancelled, or None when there is none."""
        with self._write_lock:
            return store.load(name or self.name, self.sessions_root(), on_progress=on_progress, should_stop=should_stop)

    def adopt(self, loaded: store.LoadedSession) -> Applied:
        """Take a loaded session in (UI thread): the log, the provenance, the carried names, the pane states.

        The pane states go to their panes (now when mounted, else when they register); the values are
        returned for the caller to publish in one go.
        """
        from tui_lab.core.session.panes import CODECS

        state = loaded.state
        self.provenance = Provenance(state.inputs)
        self.repl_log = list(state.repl)
        self.not_saved = state.not_saved
        self.last_state = state
        self._kept_records.clear()
        entries = {entry.name: entry for entry in state.names if isinstance(entry, SavedModule)}
        modules = {
            name: (entries[name], state_dict, inputs)
            for name, (state_dict, inputs) in loaded.modules.items()
            if name in entries
        }
        self.carried = Carried(modules, tuple(state.not_saved))
        for live in loaded.panes:
            pane = _pane_of(live)
            wants_live = isinstance(live, PaneState) and any(isinstance(live, c.saved_type) for c in CODECS)
            if wants_live:  # a record its pane could not take back (a pipeline whose file is gone)
                self._kept_records[pane] = live
            else:
                self.give(pane, live)
        applied = Applied(values=dict(loaded.values), notes=list(loaded.notes))
        for name, (_, inputs) in loaded.modules.items():
            if inputs:
                applied.rerun_names.append(name)
            else:
                applied.notes.append(
                    f"{name} (an nn.Module) was saved as weights only: no REPL input built it, so it is not recreated"
                )
        applied.rerun_names += [n.name for n in state.not_saved if n.inputs and shadow_reason(n.name) is None]
        order = {entry.source: i for i, entry in enumerate(state.repl)}
        for name in applied.rerun_names:
            inputs = loaded.modules[name][1] if name in loaded.modules else ()
            inputs = (
                inputs or state.inputs.get(name, ()) or next((n.inputs for n in state.not_saved if n.name == name), ())
            )
            applied.rerun_sources += [s for s in inputs if s not in applied.rerun_sources]
        applied.rerun_sources.sort(key=lambda s: order.get(s, len(order)))
        return applied

    def give(self, pane: str, state: object) -> None:
        """Hand ``state`` to ``pane`` now, or when it registers."""
        screen = self._panes.get(pane)
        if screen is None:
            self._pending[pane] = state
        else:
            self._pending.pop(pane, None)
            screen.restore_state(state)

    def clear(self) -> None:
        """Start empty (a new session, or before opening another): log, provenance, carried names and panes."""
        self.provenance = Provenance()
        self.repl_log = []
        self.not_saved = ()
        self.carried = Carried()
        self._pending.clear()
        self._kept_records.clear()
        for screen in list(self._panes.values()):
            screen.restore_state(type(screen.save_state())())

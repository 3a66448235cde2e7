"""The workspace: one namespace shared by every pane, and the REPL's globals.

The Data pane publishes ``X`` and ``y`` here, the Graph pane reads tensors from here and
the Train pane puts learned parameters back. Listeners hear about every change; they may
be called from any thread, so UI listeners must hop to the UI thread themselves.
"""

from __future__ import annotations

import builtins
import sys
import threading
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeGuard

if TYPE_CHECKING:
    import torch

#: The panes, by the names the app, the CLI and sessions use.
PaneName = Literal["repl", "data", "graph", "train"]
#: Who changed the workspace: a pane, a session being opened or closed, or the workspace's own preloading.
ChangeSource = PaneName | Literal["session", "workspace"]

#: Names the workspace preloads, and the modules they hold.
PRELOADED_MODULES: dict[str, str] = {
    "torch": "torch",
    "nn": "torch.nn",
    "F": "torch.nn.functional",
    "np": "numpy",
    "pd": "pandas",
}


#: Names a session never binds: the preloads (and ``d2l``, which the course imports by that name).
RESERVED_NAMES = frozenset({*PRELOADED_MODULES, "d2l", "In", "Out"})


def shadow_reason(name: str) -> str | None:
    """Why binding ``name`` from a file would break the REPL (a builtin, a dunder, a preload), or None.

    A learner may rebind ``list`` by hand; a session restoring ``__builtins__`` as a dict or ``torch``
    as a string breaks ``print(1)`` and every import, so restores skip such names and say so.
    """
    if name.startswith("_"):
        return "a private or special name (it starts with an underscore)"
    if name in RESERVED_NAMES:
        return "a name tui-lab preloads"
    if hasattr(builtins, name):
        return "a Python builtin"
    return None


@dataclass(frozen=True)
class WorkspaceChange:
    """Names that were set (added or rebound) or deleted, and which pane did it."""

    source: ChangeSource
    changed: frozenset[str] = field(default_factory=frozenset)
    deleted: frozenset[str] = field(default_factory=frozenset)
    #: True when the preloaded modules (torch, np, pd, ...) just became available.
    preloaded: bool = False


@dataclass(frozen=True)
class WorkspaceSummary:
    """Counts shown in the status bar."""

    names: int
    tensors: int


Listener = Callable[[WorkspaceChange], None]


def is_tensor(value: object) -> TypeGuard[torch.Tensor]:
    """True if ``value`` is a torch tensor, without importing torch."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


class Workspace:
    """Owns the shared namespace and tells listeners when names change.

    The namespace dict is handed to ``exec`` as globals, so code run in it sees and
    sets names directly; such code calls :meth:`notify_since` afterwards.
    """

    def __init__(self) -> None:
        # Any: user code binds anything here, and the REPL engine keeps its own typed entries beside
        # (``_ih``, ``_oh``), which it reads back as what it put there.
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        self._listeners: list[Listener] = []
        self._lock = threading.RLock()
        self._ready = threading.Event()
        self._preloaded_ids: dict[str, int] = {}
        #: The device chosen in the app's status bar (F12); ``d2l.try_gpu()`` follows it.
        self.device = "cpu"

    # -- preloads -----------------------------------------------------------------

    def load_preloads(self) -> None:
        """Import torch, numpy and pandas and bind the preloaded names. Slow (~2 s)."""
        import importlib

        modules = {name: importlib.import_module(mod) for name, mod in PRELOADED_MODULES.items()}
        with self._lock:
            self.namespace.update(modules)
            self._preloaded_ids = {name: id(mod) for name, mod in modules.items()}
        self._ready.set()
        self._emit(WorkspaceChange("workspace", frozenset(modules), preloaded=True))

    @property
    def ready(self) -> bool:
        """True once torch and the other preloads are bound."""
        return self._ready.is_set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until the preloads are bound; False on timeout."""
        return self._ready.wait(timeout)

    # -- listeners ----------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` on every change; returns a function that unsubscribes."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _emit(self, change: WorkspaceChange) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(change)

    # -- reading --------------------------------------------------------------------

    def __contains__(self, name: object) -> bool:
        return name in self.namespace

    def __getitem__(self, name: str) -> Any:  # Any: for callers that bound the name and know its type (tests, X)
        return self.namespace[name]

    def get(self, name: str, default: object = None) -> object:
        """The value bound to ``name``, or ``default``."""
        return self.namespace.get(name, default)

    def is_user_name(self, name: str, value: object) -> bool:
        """False for dunders, private names, modules and the untouched preloads."""
        if name.startswith("_") or isinstance(value, types.ModuleType):
            return False
        return self._preloaded_ids.get(name) != id(value)

    def user_items(self) -> Iterator[tuple[str, object]]:
        """(name, value) for every user name, sorted by name."""
        with self._lock:
            items = sorted(self.namespace.items())
        return ((n, v) for n, v in items if self.is_user_name(n, v))

    def user_names(self) -> list[str]:
        """Every user name, sorted."""
        return [name for name, _ in self.user_items()]

    def tensors(self) -> dict[str, torch.Tensor]:
        """The user names bound to tensors."""
        return {name: value for name, value in self.user_items() if is_tensor(value)}

    def summary(self) -> WorkspaceSummary:
        """How many user names there are, and how many are tensors."""
        items = list(self.user_items())
        return WorkspaceSummary(len(items), sum(1 for _, v in items if is_tensor(v)))

    def name_for(self, value: object) -> str | None:
        """The first user name bound to exactly this object, if any."""
        for name, bound in self.user_items():
            if bound is value:
                return name
        return None

    # -- writing --------------------------------------------------------------------

    def publish(self, name: str, value: object, source: ChangeSource) -> None:
        """Bind one name and notify listeners."""
        self.publish_many({name: value}, source)

    def publish_many(self, values: Mapping[str, object], source: ChangeSource) -> None:
        """Bind several names at once and notify listeners once."""
        for name in values:
            if not name.isidentifier():
                raise ValueError(f"{name!r} is not a valid Python name")
        with self._lock:
            self.namespace.update(values)
        self._emit(WorkspaceChange(source, frozenset(values)))

    def delete(self, names: Iterable[str], source: ChangeSource) -> None:
        """Remove names (missing ones are ignored) and notify listeners."""
        with self._lock:
            gone = frozenset(n for n in names if self.namespace.pop(n, _MISSING) is not _MISSING)
        if gone:
            self._emit(WorkspaceChange(source, deleted=gone))

    def snapshot(self) -> dict[str, int]:
        """Identity of every binding, to diff against after running code."""
        with self._lock:
            return {name: id(value) for name, value in self.namespace.items()}

    def notify_since(
        self, before: Mapping[str, int], source: ChangeSource, also: Iterable[str] = ()
    ) -> WorkspaceChange:
        """Notify listeners of what changed since ``before`` (plus ``also``, e.g. in-place edits)."""
        after = self.snapshot()
        changed = {n for n, ident in after.items() if before.get(n) != ident}
        changed.update(n for n in also if n in after)
        change = WorkspaceChange(source, frozenset(changed), frozenset(before.keys() - after.keys()))
        if change.changed or change.deleted:
            self._emit(change)
        return change


_MISSING = object()

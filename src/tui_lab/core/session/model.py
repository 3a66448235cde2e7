"""What a session holds: small frozen dataclasses, JSON-ready, with no torch or pandas inside.

A :class:`SessionState` is what a person expects back after a quit, a crash or a dropped
SSH link: the workspace's names (the values themselves travel separately, see
:mod:`tui_lab.core.session.values`), the Data pane's recipe, the Train pane's form and
finished runs, the REPL log and the open pane. Everything here converts to and from plain
JSON (:meth:`to_json` / ``from_json``); ``from_json`` checks types and raises
:class:`SessionFormatError` on anything unexpected, because a session file is untrusted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

#: The manifest's ``format`` field; anything else is a foreign file.
FORMAT = "tui-lab-session"
#: Bumped when the layout changes; a session with a larger number was written by a newer tui-lab.
FORMAT_VERSION = 1
#: What the REPL log keeps: the newest entries, each cut to this many characters.
REPL_LOG_ENTRIES = 200
REPL_TEXT_CHARS = 10_000


class SaveStopped(Exception):
    """``should_stop`` returned True while a session was being written (nothing was replaced)."""


class SessionFormatError(ValueError):
    """A session's manifest is not one this tui-lab can read; ``str()`` says why."""


T = TypeVar("T")


def _get(data: Any, key: str, kind: type[T] | tuple[type, ...], default: Any = ...) -> T:
    if not isinstance(data, dict):
        raise SessionFormatError(f"expected an object holding {key!r}, found {type(data).__name__}")
    if key not in data:
        if default is ...:
            raise SessionFormatError(f"missing field {key!r}")
        return default  # type: ignore[no-any-return]
    value = data[key]
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise SessionFormatError(f"field {key!r} should be a number")
    if not isinstance(value, kind):
        raise SessionFormatError(f"field {key!r} has the wrong type ({type(value).__name__})")
    return value  # type: ignore[return-value]


def _strings(values: Any, key: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise SessionFormatError(f"field {key!r} should be a list of strings")
    return tuple(values)


def _items(data: Any, key: str, parse: Callable[[Any], T]) -> tuple[T, ...]:
    values = _get(data, key, list, [])
    return tuple(parse(v) for v in values)


@dataclass(frozen=True)
class SavedName:
    """One workspace name and how its value is stored (``kind`` picks the reader)."""

    name: str
    kind: str  # tensor | parameter | ndarray | frame | series | json | module | alias
    type_name: str
    summary: str
    #: File (relative to the session directory) and key inside it; empty for JSON values.
    file: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    nbytes: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "kind": self.kind, "type": self.type_name, "summary": self.summary,
            "file": self.file, "meta": self.meta, "nbytes": self.nbytes,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Any) -> SavedName:
        name = _get(data, "name", str)
        if not name.isidentifier():
            raise SessionFormatError(f"{name!r} is not a valid name")
        file = _get(data, "file", str, "")
        if file.startswith(("/", "\\")) or ".." in file.replace("\\", "/").split("/"):
            raise SessionFormatError(f"file {file!r} points outside the session")
        return cls(
            name, _get(data, "kind", str), _get(data, "type", str, "?"), _get(data, "summary", str, ""),
            file, _get(data, "meta", dict, {}), _get(data, "nbytes", int, 0),
        )  # fmt: skip


@dataclass(frozen=True)
class NotSaved:
    """A name left out, why, and the REPL inputs that defined it (to re-run on confirmation)."""

    name: str
    type_name: str
    reason: str
    inputs: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type_name, "reason": self.reason, "inputs": list(self.inputs)}

    @classmethod
    def from_json(cls, data: Any) -> NotSaved:
        return cls(
            _get(data, "name", str), _get(data, "type", str, "?"), _get(data, "reason", str, ""),
            _strings(_get(data, "inputs", list, []), "inputs"),
        )  # fmt: skip


@dataclass(frozen=True)
class DataState:
    """The Data pane: where the table came from, the steps (applied, then redo-able) and the cursor."""

    path: str
    sha256: str
    options: dict[str, Any]
    #: Every step as ``{"type": ..., "fields": {...}}``: the applied ones, then the undone ones in redo order.
    steps: tuple[dict[str, Any], ...]
    #: How many of ``steps`` are applied (the undo position).
    position: int
    cursor: tuple[int, int] = (0, 0)
    #: File of the stored copy of the source table ("" when none was kept).
    source_copy: str = ""
    tensor_options: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path, "sha256": self.sha256, "options": self.options, "steps": list(self.steps),
            "position": self.position, "cursor": list(self.cursor), "source_copy": self.source_copy,
            "tensor_options": self.tensor_options,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Any) -> DataState:
        steps = tuple(_get(data, "steps", list))
        if not all(isinstance(s, dict) for s in steps):
            raise SessionFormatError("pipeline steps should be objects")
        position = _get(data, "position", int)
        if not 0 <= position <= len(steps):
            raise SessionFormatError(f"undo position {position} is outside 0..{len(steps)}")
        cursor = _get(data, "cursor", list, [0, 0])
        if len(cursor) != 2 or not all(isinstance(c, int) and not isinstance(c, bool) for c in cursor):
            raise SessionFormatError("cursor should be two integers")
        return cls(
            _get(data, "path", str), _get(data, "sha256", str), _get(data, "options", dict, {}), steps, position,
            (cursor[0], cursor[1]), _get(data, "source_copy", str, ""), _get(data, "tensor_options", dict, {}),
        )  # fmt: skip


@dataclass(frozen=True)
class RunState:
    """One finished run: its config, curves and result (the per-step losses live in a .npy file)."""

    run_id: int
    config: dict[str, Any]
    status: str
    message: str
    steps_per_epoch: int
    epoch_losses: tuple[float, ...]
    result: dict[str, Any]
    step_losses_file: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "config": self.config, "status": self.status, "message": self.message,
            "steps_per_epoch": self.steps_per_epoch, "epoch_losses": list(self.epoch_losses),
            "result": self.result, "step_losses_file": self.step_losses_file,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Any) -> RunState:
        losses = _get(data, "epoch_losses", list, [])
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in losses):
            raise SessionFormatError("epoch losses should be numbers")
        return cls(
            _get(data, "run_id", int), _get(data, "config", dict), _get(data, "status", str),
            _get(data, "message", str, ""), _get(data, "steps_per_epoch", int, 0), tuple(float(v) for v in losses),
            _get(data, "result", dict, {}), _get(data, "step_losses_file", str, ""),
        )  # fmt: skip


@dataclass(frozen=True)
class TrainState:
    """The Train pane: the form's text fields, the device and the finished runs."""

    form: dict[str, str]
    device: str
    runs: tuple[RunState, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"form": self.form, "device": self.device, "runs": [r.to_json() for r in self.runs]}

    @classmethod
    def from_json(cls, data: Any) -> TrainState:
        form = _get(data, "form", dict, {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in form.items()):
            raise SessionFormatError("the train form should map names to text")
        return cls(form, _get(data, "device", str, "cpu"), _items(data, "runs", RunState.from_json))


@dataclass(frozen=True)
class ReplEntry:
    """One REPL input and the text it printed (stdout, stderr and the Out value), bounded."""

    source: str
    output: str = ""
    ok: bool = True
    changed: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "output": self.output, "ok": self.ok, "changed": list(self.changed)}

    @classmethod
    def from_json(cls, data: Any) -> ReplEntry:
        return cls(
            _get(data, "source", str), _get(data, "output", str, ""), _get(data, "ok", bool, True),
            _strings(_get(data, "changed", list, []), "changed"),
        )  # fmt: skip


def bounded_entry(source: str, output: str, ok: bool, changed: tuple[str, ...] = ()) -> ReplEntry:
    """A log entry with its texts cut to :data:`REPL_TEXT_CHARS` (the cut is said in the text)."""

    def cut(text: str) -> str:
        if len(text) <= REPL_TEXT_CHARS:
            return text
        return text[:REPL_TEXT_CHARS] + f"\n… {len(text) - REPL_TEXT_CHARS:,} more characters not kept"

    return ReplEntry(cut(source), cut(output), ok, changed)


@dataclass(frozen=True)
class SessionState:
    """Everything but the values' bytes: the manifest of one session."""

    saved_at: str  # ISO 8601, local time with offset
    names: tuple[SavedName, ...] = ()
    not_saved: tuple[NotSaved, ...] = ()
    data: DataState | None = None
    train: TrainState | None = None
    repl: tuple[ReplEntry, ...] = ()
    pane: str = "repl"
    #: Name -> the REPL inputs that defined it, oldest first.
    inputs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    version: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "tui_lab": self.version,
            "saved_at": self.saved_at,
            "pane": self.pane,
            "names": [n.to_json() for n in self.names],
            "not_saved": [n.to_json() for n in self.not_saved],
            "data": None if self.data is None else self.data.to_json(),
            "train": None if self.train is None else self.train.to_json(),
            "repl": [e.to_json() for e in self.repl],
            "inputs": {k: list(v) for k, v in self.inputs.items()},
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: Any) -> SessionState:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise SessionFormatError("this is not a tui-lab session")
        version = _get(data, "format_version", int)
        if version > FORMAT_VERSION:
            written_by = _get(data, "tui_lab", str, "a newer tui-lab")
            raise SessionFormatError(
                f"it was written by tui-lab {written_by} (session format {version}); "
                f"this tui-lab reads format {FORMAT_VERSION}: upgrade tui-lab to open it"
            )
        inputs = _get(data, "inputs", dict, {})
        raw_data, raw_train = data.get("data"), data.get("train")
        return cls(
            saved_at=_get(data, "saved_at", str),
            names=_items(data, "names", SavedName.from_json),
            not_saved=_items(data, "not_saved", NotSaved.from_json),
            data=None if raw_data is None else DataState.from_json(raw_data),
            train=None if raw_train is None else TrainState.from_json(raw_train),
            repl=_items(data, "repl", ReplEntry.from_json),
            pane=_get(data, "pane", str, "repl"),
            inputs={str(k): _strings(v, "inputs") for k, v in inputs.items()},
            notes=_strings(_get(data, "notes", list, []), "notes"),
            version=_get(data, "tui_lab", str, ""),
        )

    @property
    def empty(self) -> bool:
        """Nothing to restore: no names (saved or not), no pipeline, no runs, no REPL log."""
        runs = self.train.runs if self.train else ()
        return not (self.names or self.not_saved or self.data is not None or runs or self.repl)

    def describe(self) -> str:
        """``12 names, pipeline of 4 steps, 6 runs``: what the resume prompt lists."""
        parts = [f"{len(self.names)} name{'s' if len(self.names) != 1 else ''}"]
        if self.data is not None:
            count = self.data.position
            parts.append(f"pipeline of {count} step{'s' if count != 1 else ''}")
        runs = len(self.train.runs) if self.train else 0
        parts.append(f"{runs} run{'s' if runs != 1 else ''}")
        return ", ".join(parts)


@dataclass(frozen=True)
class SaveProgress:
    """How far a save has got, in bytes."""

    done: int
    total: int
    name: str = ""

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 1.0


@dataclass(frozen=True)
class SaveReport:
    """What one save wrote: where, how many bytes, and the names it skipped (with the reason)."""

    path: str
    nbytes: int
    seconds: float
    state: SessionState
    skipped: tuple[NotSaved, ...] = ()

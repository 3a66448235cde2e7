"""Memory view: per statement, which tensor names got new storage and which were updated in place.

This is the course's "saving memory" lesson made visible: ``Y = Y + X`` binds ``Y`` to a
new tensor with new storage, while ``Y[:] = X + Y`` and ``X += Y`` write into the old one.
The engine takes fingerprints between the top-level statements of an input
(:class:`MemoryTracker`), so one input holding both kinds reports each for what it is.

Fingerprints read metadata (ids, data pointers, version counters), never tensor data, so
taking them over hundreds of names costs microseconds. NumPy arrays have no version
counter: an array that shares memory with a tensor (``A = X.numpy()``) also gets a CRC of
its bytes (up to :data:`DIGEST_LIMIT`), so ``A += 1`` is reported as changing ``X``.
"""

from __future__ import annotations

import dataclasses
import sys
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

MemoryKind = Literal["new storage", "in place", "same storage", "deleted", "retyped", "shares memory"]
#: NumPy arrays over a tensor's memory up to this size get a content checksum per statement.
DIGEST_LIMIT = 64 * 2**20


@dataclass(frozen=True)
class Fingerprint:
    """What a tensor or ndarray name pointed at: object id, storage range, version (and a checksum)."""

    object_id: int
    kind: Literal["tensor", "ndarray"]
    start: int
    nbytes: int
    version: int
    digest: int | None = None


@dataclass(frozen=True)
class MemoryEvent:
    """One line of the memory view, e.g. ``Y new storage`` or ``A shares memory with X``.

    ``label`` is the short phrase after the name ("in place", "now an int"); ``line`` and
    ``statement`` say which top-level statement of the input caused it.
    """

    name: str
    kind: MemoryKind
    detail: str
    other: str | None = None
    label: str = ""
    line: int | None = None
    statement: str = ""

    @property
    def headline(self) -> str:
        """What happened, without the name: ``in place``, ``now an int``, ``changed through A``."""
        return self.label or self.kind

    def describe(self) -> str:
        """The event as one sentence."""
        return f"{self.name}: {self.headline}" + (f" — {self.detail}" if self.detail else "")


def _digest(value: Any) -> int | None:
    if value.nbytes > DIGEST_LIMIT:
        return None
    try:
        data = memoryview(value).cast("B") if value.flags.c_contiguous else value.tobytes()
        return zlib.crc32(data)
    except (TypeError, ValueError, BufferError):
        return None


def fingerprint(value: object) -> Fingerprint | None:
    """A fingerprint of a dense CPU/GPU tensor or an ndarray; None for anything else."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        try:
            storage = value.untyped_storage()
            return Fingerprint(id(value), "tensor", storage.data_ptr(), storage.nbytes(), value._version)
        except (RuntimeError, NotImplementedError, TypeError):  # sparse, meta or functional tensors
            return None
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray):
        start = value.__array_interface__["data"][0]
        return Fingerprint(id(value), "ndarray", start, value.nbytes, 0)
    return None


def take_fingerprints(items: Iterable[tuple[str, Any]]) -> dict[str, Fingerprint]:
    """Fingerprints of every tensor/ndarray among ``(name, value)`` pairs (arrays over tensors checksummed)."""
    prints: dict[str, Fingerprint] = {}
    arrays: dict[str, Any] = {}
    for name, value in items:
        fp = fingerprint(value)
        if fp is not None:
            prints[name] = fp
            if fp.kind == "ndarray":
                arrays[name] = value
    if arrays:
        tensors = [fp for fp in prints.values() if fp.kind == "tensor"]
        for name, value in arrays.items():
            fp = prints[name]
            if any(_overlaps(fp, t) for t in tensors):
                prints[name] = dataclasses.replace(fp, digest=_digest(value))
    return prints


def _overlaps(a: Fingerprint, b: Fingerprint) -> bool:
    if a.nbytes == 0 or b.nbytes == 0 or a.start == 0 or b.start == 0:
        return False
    return a.start < b.start + b.nbytes and b.start < a.start + a.nbytes


def _article(type_name: str) -> str:
    return ("an " if type_name[:1].lower() in "aeiou" else "a ") + type_name


def diff_memory(
    before: Mapping[str, Fingerprint],
    after: Mapping[str, Fingerprint],
    changed: Iterable[str] = (),
    present: Mapping[str, str] | None = None,
) -> list[MemoryEvent]:
    """What happened to each tensor name since ``before``, plus sharing for the names just bound.

    ``changed`` names the bindings created or rebound; those that share memory with another
    name (``A = X.numpy()``, ``Z = X.view(-1)``) are reported as sharing. ``present`` maps the
    user names that exist afterwards to their type names, so a tensor name rebound to a number
    is "now an int", not "deleted".
    """
    events: list[MemoryEvent] = []
    reported: set[frozenset[str]] = set()  # pairs already said to share memory
    for name, old in before.items():
        new = after.get(name)
        if old.kind == "ndarray":
            if new is not None and new.object_id == old.object_id and old.digest is not None:
                if new.digest is not None and new.digest != old.digest:
                    events += _written_through(name, new, after)
            continue
        if new is None or new.kind != "tensor":
            type_name = present.get(name) if present is not None else None
            if type_name is None and new is None:
                events.append(MemoryEvent(name, "deleted", "the name no longer exists"))
            else:
                now = "NumPy array" if new is not None else type_name or "something else"
                events.append(
                    MemoryEvent(name, "retyped", "the name now refers to something else", label=f"now {_article(now)}")
                )
        elif new.object_id == old.object_id:
            if new.version != old.version:
                how = "written into its own memory" if new.start == old.start else "its storage was resized"
                seen = [o for o, fp in sorted(after.items()) if o != name and _overlaps(new, fp)]
                also = (
                    f"; {', '.join(seen)} share{'s' if len(seen) == 1 else ''} that memory and see it" if seen else ""
                )
                events.append(MemoryEvent(name, "in place", f"{how}; id({name}) unchanged{also}"))
        else:
            events.append(_rebound(name, old, new, after, reported))
    for name in sorted(set(changed)):
        fp = after.get(name)
        if fp is None:
            continue
        for other, other_fp in sorted(after.items()):
            pair = frozenset((name, other))
            if other == name or pair in reported or not _overlaps(fp, other_fp):
                continue
            reported.add(pair)
            detail = f"{name} ({_noun(fp)}) and {other} ({_noun(other_fp)}) use the same memory: writing one changes the other"
            events.append(MemoryEvent(name, "shares memory", detail, other))
    return events


def _rebound(
    name: str, old: Fingerprint, new: Fingerprint, after: Mapping[str, Fingerprint], reported: set[frozenset[str]]
) -> MemoryEvent:
    """The one event for a tensor name bound to another tensor object: where its memory comes from.

    Over another name's memory (``X = x.reshape(3, 4)``, ``u = y.detach()``) it shares that memory;
    over its own former memory only (``X = X.reshape(3, 4)``, ``X = X[1:]``) it is the same storage;
    only a tensor over memory no name had is newly allocated (``Y = Y + X``, ``X = x.clone()``).
    """
    others = [o for o, fp in sorted(after.items()) if o != name and _overlaps(new, fp)]
    if not others and _overlaps(new, old):
        return MemoryEvent(name, "same storage", "another tensor object viewing the same memory")
    if others:
        reported.update(frozenset((name, other)) for other in others)
        listed = ", ".join(others)
        return MemoryEvent(
            name,
            "shares memory",
            "a view, not a copy: writing one changes the other",
            others[0],
            label=f"now shares {listed}'s memory",
        )
    return MemoryEvent(
        name,
        "new storage",
        f"{name} now names another tensor with its own, newly allocated memory (id({name}) changed)",
    )


def _written_through(name: str, array: Fingerprint, after: Mapping[str, Fingerprint]) -> list[MemoryEvent]:
    """A NumPy array's bytes changed: the array was written, and so was every tensor over its memory."""
    events = [MemoryEvent(name, "in place", f"the NumPy array {name} was written into; id({name}) unchanged")]
    for other, fp in sorted(after.items()):
        if other != name and fp.kind == "tensor" and _overlaps(array, fp):
            events.append(
                MemoryEvent(
                    other,
                    "in place",
                    f"{name} is a NumPy array over {other}'s memory: writing {name} changed {other}",
                    other=name,
                    label=f"changed through {name}",
                )
            )
    return events


def _noun(fp: Fingerprint) -> str:
    return "NumPy array" if fp.kind == "ndarray" else "tensor"


def shared_with(name: str, prints: Mapping[str, Fingerprint]) -> list[str]:
    """The other names whose memory overlaps ``name``'s."""
    fp = prints.get(name)
    if fp is None:
        return []
    return [other for other, other_fp in sorted(prints.items()) if other != name and _overlaps(fp, other_fp)]


class MemoryTracker:
    """Fingerprints before the first statement and after each one; the events, statement by statement."""

    def __init__(self, items: Callable[[], Iterable[tuple[str, Any]]]) -> None:
        self._items = items
        self._prints, self._ids, _ = self._look()
        self.first = self._prints
        self.events: list[MemoryEvent] = []

    def _look(self) -> tuple[dict[str, Fingerprint], dict[str, int], dict[str, str]]:
        items = list(self._items())
        ids = {name: id(value) for name, value in items}
        types = {name: type(value).__name__ for name, value in items}
        return take_fingerprints(items), ids, types

    def step(self, line: int | None = None, statement: str = "") -> None:
        """Record what the statement that just ran (at ``line``) did to tensor memory."""
        prints, ids, types = self._look()
        rebound = {name for name, ident in ids.items() if self._ids.get(name) != ident}
        found = diff_memory(self._prints, prints, rebound, types)
        self.events += [dataclasses.replace(e, line=line, statement=statement) for e in found]
        self._prints, self._ids = prints, ids

    @property
    def written(self) -> set[str]:
        """Names whose memory was written in place by any statement (for change notifications)."""
        return {e.name for e in self.events if e.kind == "in place"}

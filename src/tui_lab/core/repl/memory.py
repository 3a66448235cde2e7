"""Memory view: after a run, which tensor names got new storage and which were updated in place.

This is the course's "saving memory" lesson made visible: ``Y = Y + X`` binds ``Y`` to a
new tensor with new storage, while ``Y[:] = X + Y`` and ``X += Y`` write into the old one.
Fingerprints read only metadata (ids, data pointers, version counters), never the data,
so taking them over hundreds of names, huge tensors included, costs microseconds.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

MemoryKind = Literal["new storage", "in place", "same storage", "deleted", "shares memory"]


@dataclass(frozen=True)
class Fingerprint:
    """What a tensor or ndarray name pointed at: object id, storage range and version."""

    object_id: int
    kind: Literal["tensor", "ndarray"]
    start: int
    nbytes: int
    version: int


@dataclass(frozen=True)
class MemoryEvent:
    """One line of the memory view, e.g. ``Y: new storage`` or ``A shares memory with X``."""

    name: str
    kind: MemoryKind
    detail: str
    other: str | None = None

    def describe(self) -> str:
        """The event as one sentence."""
        return f"{self.name}: {self.kind}" + (f" — {self.detail}" if self.detail else "")


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
    """Fingerprints of every tensor/ndarray among ``(name, value)`` pairs."""
    prints = {}
    for name, value in items:
        fp = fingerprint(value)
        if fp is not None:
            prints[name] = fp
    return prints


def _overlaps(a: Fingerprint, b: Fingerprint) -> bool:
    if a.nbytes == 0 or b.nbytes == 0 or a.start == 0 or b.start == 0:
        return False
    return a.start < b.start + b.nbytes and b.start < a.start + a.nbytes


def diff_memory(
    before: Mapping[str, Fingerprint], after: Mapping[str, Fingerprint], changed: Iterable[str] = ()
) -> list[MemoryEvent]:
    """What happened to each tensor name since ``before``, plus sharing for the names just bound.

    ``changed`` names the bindings the run created or rebound; those that share memory with
    another name (``A = X.numpy()``, ``Z = X.view(-1)``) are reported as sharing.
    """
    events: list[MemoryEvent] = []
    for name, old in before.items():
        if old.kind != "tensor":
            continue
        new = after.get(name)
        if new is None:
            events.append(MemoryEvent(name, "deleted", "the name is gone or no longer a tensor"))
        elif new.object_id == old.object_id:
            if new.version != old.version:
                how = "the same tensor was written to" if new.start == old.start else "storage was resized"
                events.append(MemoryEvent(name, "in place", f"{how}; id(...) unchanged"))
        elif new.kind == "tensor" and new.start == old.start and new.start != 0:
            events.append(MemoryEvent(name, "same storage", "a new tensor object viewing the old memory"))
        else:
            events.append(MemoryEvent(name, "new storage", f"memory moved from {old.start:#x} to {new.start:#x}"))
    reported: set[frozenset[str]] = set()
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


def _noun(fp: Fingerprint) -> str:
    return "NumPy array" if fp.kind == "ndarray" else "tensor"


def shared_with(name: str, prints: Mapping[str, Fingerprint]) -> list[str]:
    """The other names whose memory overlaps ``name``'s."""
    fp = prints.get(name)
    if fp is None:
        return []
    return [other for other, other_fp in sorted(prints.items()) if other != name and _overlaps(fp, other_fp)]

"""A session snapshot (taken on the UI thread) and the writing and reading of its value files.

:class:`SessionSnapshot` holds references only: the names planned by
:func:`~tui_lab.core.session.values.plan_names` and the panes' states. The worker then writes it
with :func:`write_values`, reporting bytes and checking ``should_stop`` between slices; a pane's
live state is turned into its record there by its codec (hashing the Data pane's CSV, storing
its table and the runs' curves). Reading back is :mod:`tui_lab.core.session.reading`.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import msgspec
import numpy as np

from tui_lab import __version__
from tui_lab.core.session.frames import UnsupportedValue, encode_frame
from tui_lab.core.session.model import SaveProgress, SaveStopped
from tui_lab.core.session.panes import CODECS
from tui_lab.core.session.panestates import AnyPaneState, PaneState
from tui_lab.core.session.schema import (
    FrameMeta,
    FrameSpec,
    NotSaved,
    SavedAlias,
    SavedArray,
    SavedFrame,
    SavedJson,
    SavedModule,
    SavedName,
    SavedTensor,
    SessionState,
)
from tui_lab.core.session.tensorfile import write_tensors
from tui_lab.core.session.values import NamePlan

if TYPE_CHECKING:
    import pandas as pd

TENSORS_FILE = "tensors.safetensors"
SavedT = TypeVar("SavedT", SavedTensor, SavedModule, SavedArray, SavedFrame, SavedJson, SavedAlias)


@dataclass(frozen=True)
class SessionSnapshot:
    """What to save, gathered on the UI thread; values are references, written later by a worker."""

    plans: tuple[NamePlan, ...] = ()
    not_saved: tuple[NotSaved, ...] = ()
    inputs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Each pane's state: a record (saved as it is) or a live state written by its codec.
    panes: tuple[object, ...] = ()
    pane: str = "repl"
    device: str = "cpu"
    notes: tuple[str, ...] = ()

    @property
    def total_bytes(self) -> int:
        """Bytes the value files will take (roughly, for progress)."""
        total = sum(p.nbytes for p in self.plans)
        for state in self.panes:
            pipeline = getattr(state, "pipeline", None)
            if pipeline is not None:
                total += int(np.sum(pipeline.source.memory_usage(index=True, deep=False)))
        return total


class _Counter:
    def __init__(self, total: int, on_progress: Callable[[SaveProgress], None] | None) -> None:
        self.done, self.total, self.on_progress = 0, total, on_progress

    def add(self, count: int, name: str) -> None:
        self.done += count
        if self.on_progress is not None:
            self.on_progress(SaveProgress(self.done, max(self.total, self.done), name))


def _save_array(path: Path, array: np.ndarray) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as handle:
        np.save(handle, array, allow_pickle=False)
        handle.flush()
        os.fsync(handle.fileno())
    return path.stat().st_size


def _save_frame(directory: Path, value: pd.DataFrame | pd.Series) -> tuple[FrameSpec, int]:
    arrays: dict[str, np.ndarray] = {}
    spec = encode_frame(value, arrays)
    directory.mkdir(parents=True)
    size = sum(_save_array(directory / f"{key}.npy", array) for key, array in arrays.items())
    return spec, size


class _Writer:
    """The :class:`~tui_lab.core.session.contract.ValueSink` the codecs write through."""

    def __init__(self, directory: Path, counter: _Counter, stop: Callable[[], bool] | None) -> None:
        self.directory, self.counter, self._stop = directory, counter, stop
        self.nbytes = 0
        self.notes: list[str] = []

    def should_stop(self) -> bool:
        return self._stop is not None and self._stop()

    def write_array(self, relative: str, array: np.ndarray) -> str:
        self.nbytes += _save_array(self.directory / relative, array)
        return relative

    def write_frame(self, relative: str, frame: pd.DataFrame) -> str:
        try:
            spec, size = _save_frame(self.directory / relative, frame)
        except UnsupportedValue as error:
            self.notes.append(f"the Data pane's table was not copied ({error}); it is re-read from its file")
            return ""
        spec_bytes = msgspec.json.encode(spec)
        with open(self.directory / relative / "spec.json", "xb") as handle:
            handle.write(spec_bytes)
        self.nbytes += size + len(spec_bytes)
        self.counter.add(size, relative)
        return relative


def _pane_record(state: object, writer: _Writer) -> AnyPaneState | None:
    if isinstance(state, PaneState):
        return cast("AnyPaneState", state)
    for codec in CODECS:
        if isinstance(state, codec.live_type):
            return cast("AnyPaneState | None", codec.encode(state, writer))
    raise TypeError(f"no session codec for pane state {type(state).__name__}")


def _entry(cls: type[SavedT], plan: NamePlan, **fields: Any) -> SavedT:  # Any: the fields of cls
    return cls(
        name=plan.name, type_name=plan.type_name[:1000], summary=plan.summary[:1000], nbytes=plan.nbytes, **fields
    )


def _saved_name(
    plan: NamePlan, directory: Path, counter: _Counter, stop: Callable[[], bool] | None
) -> tuple[SavedName, int]:
    if plan.kind == "tensor":
        return _entry(SavedTensor, plan, file=TENSORS_FILE, meta=plan.meta), 0
    if plan.kind == "module":
        file = f"modules/{plan.name}.safetensors"
        (directory / "modules").mkdir(exist_ok=True)
        size = write_tensors(directory / file, plan.value, on_bytes=counter.add, should_stop=stop)
        return _entry(SavedModule, plan, file=file, meta=plan.meta), size
    if plan.kind == "ndarray":
        file = f"arrays/{plan.name}.npy"
        size = _save_array(directory / file, plan.value)
        counter.add(plan.nbytes, plan.name)
        return _entry(SavedArray, plan, file=file, meta=plan.meta), size
    if plan.kind == "frame":
        file = f"frames/{plan.name}"
        spec, size = _save_frame(directory / file, plan.value)
        counter.add(plan.nbytes, plan.name)
        return _entry(SavedFrame, plan, file=file, meta=FrameMeta(spec=spec)), size
    if plan.kind == "json":
        return _entry(SavedJson, plan, meta=plan.meta), 0
    return _entry(SavedAlias, plan, meta=plan.meta), 0


def write_values(
    directory: Path,
    snapshot: SessionSnapshot,
    *,
    on_progress: Callable[[SaveProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[SessionState, int]:
    """Write every value file of ``snapshot`` into ``directory``; returns the manifest and the bytes written."""
    counter = _Counter(snapshot.total_bytes, on_progress)
    saved: list[SavedName] = []
    not_saved = list(snapshot.not_saved)
    nbytes = 0
    tensors = {p.name: p.value for p in snapshot.plans if p.kind == "tensor"}
    if tensors:
        nbytes += write_tensors(directory / TENSORS_FILE, tensors, on_bytes=counter.add, should_stop=should_stop)
    for plan in snapshot.plans:
        try:
            entry, size = _saved_name(plan, directory, counter, should_stop)
        except UnsupportedValue as error:
            not_saved.append(
                NotSaved(plan.name, plan.type_name[:1000], str(error)[:1000], snapshot.inputs.get(plan.name, ()))
            )
            continue
        nbytes += size
        if should_stop is not None and should_stop():
            raise SaveStopped
        saved.append(entry)
    writer = _Writer(directory, counter, should_stop)
    panes = tuple(record for record in (_pane_record(s, writer) for s in snapshot.panes) if record is not None)
    if should_stop is not None and should_stop():
        raise SaveStopped
    state = SessionState(
        saved_at=_dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        names=tuple(saved),
        not_saved=tuple(sorted(not_saved, key=lambda n: n.name)),
        panes=panes,
        pane=snapshot.pane,  # type: ignore[arg-type]  # the UI's mode names are the schema's pane names
        device=snapshot.device,
        inputs=dict(snapshot.inputs),
        notes=(*snapshot.notes, *writer.notes),
        version=__version__,
    )
    return state, nbytes + writer.nbytes


def snapshot_state(snapshot: SessionSnapshot) -> SessionState:
    """The manifest a snapshot would get, without writing any file (for an export; run it in a worker)."""
    names: list[SavedName] = []
    for plan in snapshot.plans:
        if plan.kind == "frame":
            try:
                names.append(_entry(SavedFrame, plan, meta=FrameMeta(spec=encode_frame(plan.value, {}))))
            except UnsupportedValue:
                continue
        else:
            # Any: _entry's constrained SavedT takes one class, which a union of classes is not.
            kinds: dict[str, Any] = {
                "tensor": SavedTensor, "module": SavedModule, "ndarray": SavedArray, "json": SavedJson,
            }  # fmt: skip
            names.append(_entry(kinds.get(plan.kind, SavedAlias), plan, meta=plan.meta))
    sink = _NoFiles()
    records = tuple(r for r in (_pane_record(state, sink) for state in snapshot.panes) if r is not None)
    return SessionState(
        saved_at=_dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        names=tuple(names),
        not_saved=snapshot.not_saved,
        panes=records,
        pane=snapshot.pane,  # type: ignore[arg-type]
        device=snapshot.device,
        inputs=dict(snapshot.inputs),
        notes=snapshot.notes,
        version=__version__,
    )


class _NoFiles(_Writer):
    """A sink that writes nothing (an export needs the records, not the curves' files)."""

    def __init__(self) -> None:
        super().__init__(Path(), _Counter(0, None), None)

    def write_array(self, relative: str, array: np.ndarray) -> str:
        return ""

    def write_frame(self, relative: str, frame: pd.DataFrame) -> str:
        return ""

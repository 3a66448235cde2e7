"""A session snapshot (taken on the UI thread) and the writing and reading of its value files.

:class:`SessionSnapshot` holds references only: the names planned by
:func:`~tui_lab.core.session.values.plan_names`, the panes' states and a few arrays. The worker
then writes it with :func:`write_values`, reporting bytes and checking ``should_stop`` between
slices. :func:`read_values` reads a session back with readers that never unpickle: the
``safetensors`` library, ``np.load(allow_pickle=False)`` and JSON.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tui_lab import __version__
from tui_lab.core.session.frames import UnsupportedValue, decode_frame, encode_frame
from tui_lab.core.session.model import (
    DataState,
    NotSaved,
    ReplEntry,
    SavedName,
    SaveProgress,
    SaveStopped,
    SessionState,
    TrainState,
)
from tui_lab.core.session.tensorfile import read_tensors, write_tensors
from tui_lab.core.session.values import NamePlan, decode_json, restore_tensor

if TYPE_CHECKING:
    from tui_lab.core.session.store import LoadedSession

TENSORS_FILE = "tensors.safetensors"
SOURCE_DIR = "data-source"


@dataclass(frozen=True)
class SessionSnapshot:
    """What to save, gathered on the UI thread; values are references, written later by a worker."""

    plans: tuple[NamePlan, ...] = ()
    not_saved: tuple[NotSaved, ...] = ()
    inputs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    data: DataState | None = None
    source_frame: Any = None  # the Data pane's table as read, stored when its file may change
    train: TrainState | None = None
    run_losses: dict[int, np.ndarray] = field(default_factory=dict)
    repl: tuple[ReplEntry, ...] = ()
    pane: str = "repl"
    notes: tuple[str, ...] = ()

    @property
    def total_bytes(self) -> int:
        """Bytes the value files will take (roughly, for progress)."""
        total = sum(p.nbytes for p in self.plans) + sum(a.nbytes for a in self.run_losses.values())
        if self.source_frame is not None:
            total += int(np.sum(self.source_frame.memory_usage(index=True, deep=False)))
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


def _save_frame(directory: Path, value: Any) -> tuple[dict[str, Any], int]:
    arrays: dict[str, np.ndarray] = {}
    spec = encode_frame(value, arrays)
    directory.mkdir(parents=True)
    size = sum(_save_array(directory / f"{key}.npy", array) for key, array in arrays.items())
    return spec, size


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
    notes = list(snapshot.notes)
    nbytes = 0
    tensors = {p.name: p.value for p in snapshot.plans if p.kind == "tensor"}
    if tensors:
        nbytes += write_tensors(directory / TENSORS_FILE, tensors, on_bytes=counter.add, should_stop=should_stop)
    for plan in snapshot.plans:
        meta = dict(plan.meta)
        file = ""
        if plan.kind == "tensor":
            file = TENSORS_FILE
        elif plan.kind == "module":
            file = f"modules/{plan.name}.safetensors"
            (directory / "modules").mkdir(exist_ok=True)
            nbytes += write_tensors(directory / file, plan.value, on_bytes=counter.add, should_stop=should_stop)
        elif plan.kind == "ndarray":
            file = f"arrays/{plan.name}.npy"
            nbytes += _save_array(directory / file, plan.value)
            counter.add(plan.nbytes, plan.name)
        elif plan.kind == "frame":
            file = f"frames/{plan.name}"
            try:
                meta["spec"], size = _save_frame(directory / file, plan.value)
            except UnsupportedValue as error:
                not_saved.append(NotSaved(plan.name, plan.type_name, str(error), snapshot.inputs.get(plan.name, ())))
                continue
            nbytes += size
            counter.add(plan.nbytes, plan.name)
        elif plan.kind == "json":
            meta["json"] = plan.value
        if should_stop is not None and should_stop():
            raise SaveStopped
        saved.append(SavedName(plan.name, plan.kind, plan.type_name, plan.summary, file, meta, plan.nbytes))
    train = snapshot.train
    if train is not None:
        runs = []
        for run in train.runs:
            losses = snapshot.run_losses.get(run.run_id)
            if losses is not None:
                file = f"runs/{run.run_id}.npy"
                nbytes += _save_array(directory / file, np.asarray(losses, dtype=np.float64))
                run = replace(run, step_losses_file=file)
            runs.append(run)
        train = replace(train, runs=tuple(runs))
    data = snapshot.data
    if data is not None and snapshot.source_frame is not None:
        try:
            spec, size = _save_frame(directory / SOURCE_DIR, snapshot.source_frame)
            (directory / SOURCE_DIR / "spec.json").write_text(json.dumps(spec, allow_nan=True), encoding="utf-8")
            nbytes += size
            data = replace(data, source_copy=SOURCE_DIR)
        except UnsupportedValue as error:
            notes.append(f"the Data pane's table was not copied ({error}); it is re-read from {data.path}")
    state = SessionState(
        saved_at=_dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        names=tuple(saved),
        not_saved=tuple(sorted(not_saved, key=lambda n: n.name)),
        data=data,
        train=train,
        repl=snapshot.repl,
        pane=snapshot.pane,
        inputs=dict(snapshot.inputs),
        notes=tuple(notes),
        version=__version__,
    )
    return state, nbytes


# -- reading -------------------------------------------------------------------------------------


def safe_file(directory: Path, relative: str, *, folder: bool = False) -> Path:
    """``directory/relative`` when it is a regular file (or folder) inside ``directory``, else SessionCorrupt."""
    from tui_lab.core.session.store import SessionCorrupt

    path = directory / relative
    try:
        inside = path.resolve().is_relative_to(directory.resolve())
    except OSError:
        inside = False
    ok = path.is_dir() if folder else path.is_file()
    if not inside or path.is_symlink() or not ok:
        kind = "folder" if folder else "regular file"
        raise SessionCorrupt(f"{relative} is missing or is not a {kind}")
    return path


def _npy(path: Path) -> np.ndarray:
    array = np.load(path, allow_pickle=False)
    if not isinstance(array, np.ndarray):
        raise UnsupportedValue(f"{path.name} is not a single array")
    return array


def _frame_loader(folder: Path) -> Callable[[str], np.ndarray]:
    def load(key: str) -> np.ndarray:
        return _npy(safe_file(folder, f"{key}.npy"))

    return load


def read_values(directory: Path, loaded: LoadedSession) -> None:
    """Fill ``loaded`` with the values, modules, run curves and source copy of the session in ``directory``."""
    from tui_lab.core.session.store import SessionCorrupt

    state = loaded.state
    tensors: dict[str, Any] | None = None
    for entry in state.names:
        if entry.kind in ("tensor", "parameter"):
            if tensors is None:
                tensors = read_tensors(safe_file(directory, TENSORS_FILE))
            if entry.name not in tensors:
                raise SessionCorrupt(f"{TENSORS_FILE} has no tensor {entry.name!r}")
            tensor, note = restore_tensor(tensors[entry.name], entry.meta)
            if note:
                loaded.notes.append(f"{entry.name} {note}")
            loaded.values[entry.name] = tensor
        elif entry.kind == "module":
            state_dict = read_tensors(safe_file(directory, entry.file))
            loaded.modules[entry.name] = (state_dict, state.inputs.get(entry.name, ()))
        elif entry.kind == "ndarray":
            array = _npy(safe_file(directory, entry.file))
            loaded.values[entry.name] = array[()] if entry.meta.get("scalar") else array
        elif entry.kind == "frame":
            spec = entry.meta.get("spec")
            if not isinstance(spec, dict):
                raise SessionCorrupt(f"the description of {entry.name} is missing")
            loaded.values[entry.name] = decode_frame(spec, _frame_loader(safe_file(directory, entry.file, folder=True)))
        elif entry.kind == "json":
            loaded.values[entry.name] = decode_json(entry.meta.get("json"))
        elif entry.kind != "alias":
            raise SessionCorrupt(f"{entry.name} has an unknown kind {entry.kind!r}")
    for entry in state.names:
        if entry.kind == "alias":
            target = entry.meta.get("target")
            if target in loaded.values:
                loaded.values[entry.name] = loaded.values[target]
    if state.train is not None:
        for run in state.train.runs:
            if run.step_losses_file:
                loaded.run_losses[run.run_id] = _npy(safe_file(directory, run.step_losses_file))
    data = state.data
    if data is not None and data.source_copy:
        folder = safe_file(directory, data.source_copy, folder=True)
        spec = json.loads(safe_file(folder, "spec.json").read_text(encoding="utf-8"))
        loaded.source_copy = decode_frame(spec, _frame_loader(folder))


def snapshot_state(snapshot: SessionSnapshot) -> SessionState:
    """The manifest a snapshot would get, without writing any value (for exports when sessions are off)."""
    names = tuple(SavedName(p.name, p.kind, p.type_name, p.summary, "", {}, p.nbytes) for p in snapshot.plans)
    return SessionState(
        saved_at=_dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        names=names,
        not_saved=snapshot.not_saved,
        data=snapshot.data,
        train=snapshot.train,
        repl=snapshot.repl,
        pane=snapshot.pane,
        inputs=dict(snapshot.inputs),
        notes=snapshot.notes,
        version=__version__,
    )

"""Reading a session's value files back: never unpickled, never through a symlink, never from a FIFO.

:func:`read_values` and :func:`read_panes` fill a :class:`~tui_lab.core.session.store.LoadedSession`
through a :class:`SessionReader`, with readers that cannot run code (the ``safetensors`` library,
``np.load(allow_pickle=False)`` and the strict schema), counting the bytes read for the restore's
progress and checking ``should_stop`` between files (and, in the Data codec, between steps).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
import numpy as np

from tui_lab.core.session.arch import build_module, expected_shapes
from tui_lab.core.session.contract import Decoded, RestoreCancelled
from tui_lab.core.session.frames import UnsupportedValue, decode_frame
from tui_lab.core.session.model import SaveProgress
from tui_lab.core.session.panes import CODECS, open_regular
from tui_lab.core.session.schema import (
    FrameSpec,
    SavedAlias,
    SavedArray,
    SavedFrame,
    SavedJson,
    SavedModule,
    SavedTensor,
    SessionCorrupt,
    SessionFormatError,
)
from tui_lab.core.session.snapshot import TENSORS_FILE
from tui_lab.core.session.tensorfile import read_tensors
from tui_lab.core.session.values import decode_json, restore_tensor
from tui_lab.core.workspace import shadow_reason

if TYPE_CHECKING:
    import pandas as pd
    import torch
    from torch import nn

    from tui_lab.core.session.store import LoadedSession


def safe_file(directory: Path, relative: str, *, folder: bool = False) -> Path:
    """``directory/relative`` when it is a regular file (or folder) inside ``directory``, else SessionCorrupt.

    No part of the path may be a symlink, so nothing outside the session is ever read.
    """
    kind = "folder" if folder else "regular file"
    parts = Path(relative).parts
    if not parts or Path(relative).is_absolute() or ".." in parts:
        raise SessionCorrupt(f"{relative} points outside the session")
    path = directory
    for part in parts:
        path = path / part
        if path.is_symlink():
            raise SessionCorrupt(f"{relative} is a symbolic link, not a {kind}")
    if not (path.is_dir() if folder else path.is_file()):
        raise SessionCorrupt(f"{relative} is missing or is not a {kind}")
    return path


def _npy(path: Path) -> np.ndarray:
    with os.fdopen(open_regular(path), "rb") as handle:
        array = np.load(handle, allow_pickle=False)
    if not isinstance(array, np.ndarray):
        raise UnsupportedValue(f"{path.name} is not a single array")
    return array


class SessionReader:
    """The :class:`~tui_lab.core.session.contract.ValueSource` the codecs read through, counting bytes."""

    def __init__(
        self,
        directory: Path,
        on_progress: Callable[[SaveProgress], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.directory = directory
        self._on_progress, self._stop = on_progress, should_stop
        self.done = 0
        self.total = sum(
            (Path(top) / name).lstat().st_size for top, _dirs, files in os.walk(directory) for name in files
        )
        self.progress("the session's files")

    def should_stop(self) -> bool:
        return self._stop is not None and self._stop()

    def progress(self, what: str) -> None:
        if self._on_progress is not None:
            self._on_progress(SaveProgress(self.done, max(self.total, self.done), what))

    def _read(self, path: Path, what: str) -> None:
        if self.should_stop():
            raise RestoreCancelled
        self.done += path.stat().st_size
        self.progress(what)

    def tensors(self, relative: str) -> dict[str, torch.Tensor]:
        path = safe_file(self.directory, relative)
        tensors = read_tensors(path)
        self._read(path, relative)
        return tensors

    def read_array(self, relative: str) -> np.ndarray:
        path = safe_file(self.directory, relative)
        array = _npy(path)
        self._read(path, relative)
        return array

    def frame(self, relative: str, spec: FrameSpec) -> pd.DataFrame | pd.Series:
        folder = safe_file(self.directory, relative, folder=True)

        def load(key: str) -> np.ndarray:
            path = safe_file(folder, f"{key}.npy")
            array = _npy(path)
            self._read(path, relative)
            return array

        return decode_frame(spec, load)

    def read_frame(self, relative: str) -> pd.DataFrame | pd.Series:
        folder = safe_file(self.directory, relative, folder=True)
        spec_file = safe_file(folder, "spec.json")
        if spec_file.stat().st_size > 64 * 1024 * 1024:
            raise SessionFormatError(f"{relative}/spec.json is implausibly large")
        try:
            spec = msgspec.json.decode(spec_file.read_bytes(), type=FrameSpec, strict=True)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError) as error:
            raise SessionFormatError(f"{relative}/spec.json: {error}") from None
        return self.frame(relative, spec)


def _module(entry: SavedModule, state_dict: dict[str, torch.Tensor], notes: list[str]) -> nn.Module:
    """The module of a described architecture with its weights, on its device (or the CPU, said in ``notes``).

    SessionFormatError when the weights do not fit the architecture (checked before anything is built).
    """
    assert entry.meta.arch is not None
    shapes = {key: tuple(tensor.shape) for key, tensor in state_dict.items()}
    if shapes != expected_shapes(entry.meta.arch):
        raise SessionFormatError(f"the weights of {entry.name} do not fit its saved architecture")
    module = build_module(entry.meta.arch)
    dtypes = {tensor.dtype for tensor in state_dict.values()}
    if len(dtypes) == 1:
        module = module.to(dtypes.pop())
    module.load_state_dict(state_dict, strict=True)
    module.train(entry.meta.training)
    if entry.meta.device != "cpu":
        from tui_lab.core.devices import resolve_device

        try:
            module = module.to(resolve_device(entry.meta.device))
        except Exception as error:  # the device is gone (another machine, no GPU now)
            notes.append(
                f"{entry.name} was on {entry.meta.device}, which is not available here ({error}); restored on the CPU"
            )
    return module


def read_values(loaded: LoadedSession, reader: SessionReader) -> None:
    """Fill ``loaded`` with the values and modules of its session (names that shadow builtins are skipped)."""
    state = loaded.state
    tensors: dict[str, torch.Tensor] | None = None
    for entry in state.names:
        reason = shadow_reason(entry.name)
        if reason is not None:
            loaded.notes.append(f"not restored: {entry.name}, {reason}")
            continue
        if isinstance(entry, SavedTensor):
            if tensors is None:
                tensors = reader.tensors(TENSORS_FILE)
            if entry.name not in tensors:
                raise SessionCorrupt(f"{TENSORS_FILE} has no tensor {entry.name!r}")
            tensor, note = restore_tensor(tensors[entry.name], entry.meta)
            if note:
                loaded.notes.append(f"{entry.name} {note}")
            loaded.values[entry.name] = tensor
        elif isinstance(entry, SavedModule):
            state_dict = reader.tensors(entry.file)
            if entry.meta.arch is not None:
                loaded.values[entry.name] = _module(entry, state_dict, loaded.notes)
            else:
                loaded.modules[entry.name] = (state_dict, state.inputs.get(entry.name, ()))
        elif isinstance(entry, SavedArray):
            array = reader.read_array(entry.file)
            loaded.values[entry.name] = array[()] if entry.meta.scalar else array
        elif isinstance(entry, SavedFrame):
            loaded.values[entry.name] = reader.frame(entry.file, entry.meta.spec)
        elif isinstance(entry, SavedJson):
            loaded.values[entry.name] = decode_json(entry.meta)
    for entry in state.names:
        if isinstance(entry, SavedAlias) and entry.meta.target in loaded.values and shadow_reason(entry.name) is None:
            loaded.values[entry.name] = loaded.values[entry.meta.target]


def read_panes(loaded: LoadedSession, reader: SessionReader) -> None:
    """Decode each pane's record into the live state its pane restores (a codec's, or the record itself)."""
    for record in loaded.state.panes:
        codec = next((c for c in CODECS if isinstance(record, c.saved_type)), None)
        decoded = Decoded(record) if codec is None else codec.decode(record, reader)
        loaded.notes.extend(decoded.notes)
        loaded.panes.append(decoded.state)

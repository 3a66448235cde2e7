"""The Data and Train panes' states as session records, and back.

The pipeline is kept as a recipe: the source file's path and SHA-256, its load options and
each step as ``{"type": class name, "fields": {...}}``. On resume the recipe is replayed on
the file when its hash still matches, otherwise on the stored copy of the table. Only the
step classes of :mod:`tui_lab.core.data.steps` are accepted, so a session can never name
another class to build. Runs come back as :class:`~tui_lab.core.train.history.RunRecord`
objects carrying a rebuilt ``RunResult``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from tui_lab.core.session.model import DataState, RunState, SessionFormatError

HASH_CHUNK = 4 * 1024 * 1024
_hash_cache: dict[tuple[str, int, int], str] = {}


def file_sha256(path: str | os.PathLike[str], should_stop: Callable[[], bool] | None = None) -> str:
    """The SHA-256 of a file, cached by (path, size, mtime) so autosaves do not re-read big CSVs."""
    target = Path(path)
    info = target.stat()
    key = (str(target.resolve()), info.st_size, info.st_mtime_ns)
    if key in _hash_cache:
        return _hash_cache[key]
    digest = hashlib.sha256()
    with open(target, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
            if should_stop is not None and should_stop():
                raise InterruptedError("hashing was stopped")
    _hash_cache[key] = digest.hexdigest()
    return _hash_cache[key]


def step_to_json(step: Any) -> dict[str, Any]:
    """One pipeline step as ``{"type": ..., "fields": {...}}``."""
    from tui_lab.core.data.step_schema import encode_step

    return encode_step(step)


def step_from_json(data: Mapping[str, Any]) -> Any:
    """The step described by :func:`step_to_json`, through the strict step schema; SessionFormatError if refused."""
    from tui_lab.core.data.step_schema import StepDecodeError, decode_step

    if not isinstance(data, Mapping):
        raise SessionFormatError("pipeline steps should be objects")
    extra = sorted(str(key) for key in data if key not in ("type", "fields"))
    if extra:
        raise SessionFormatError(f"a pipeline step holds unknown keys: {', '.join(map(repr, extra))}")
    if not isinstance(data.get("fields"), Mapping):
        raise SessionFormatError("a pipeline step has no fields")
    try:
        return decode_step(data.get("type"), data["fields"])
    except StepDecodeError as error:
        raise SessionFormatError(str(error)) from None


def data_state(pipeline: Any, cursor: tuple[int, int] = (0, 0), tensor_options: Any = None) -> DataState:
    """The recipe of a :class:`~tui_lab.core.data.pipeline.Pipeline`, with the file's current hash."""
    steps = [a.step for a in pipeline.applied] + [a.step for a in reversed(pipeline.undone)]
    try:
        digest = file_sha256(pipeline.path)
    except OSError:
        digest = ""
    options = dataclasses.asdict(pipeline.options)
    tensors = dataclasses.asdict(tensor_options) if tensor_options is not None else {}
    return DataState(
        str(pipeline.path), digest, options, tuple(step_to_json(s) for s in steps), len(pipeline.applied),
        cursor, "", tensors,
    )  # fmt: skip


def tensor_options_from(saved: Mapping[str, Any]) -> tuple[Any, str | None]:
    """The Data pane's tensor options from a session (names and dtype), or the defaults and why not.

    A state file is untrusted: only the known fields are read, each must be text, and the result must
    pass the same check the form applies (valid, distinct names; a known dtype).
    """
    from tui_lab.core.data.tensors import TensorError, TensorOptions

    if not saved:
        return TensorOptions(), None
    fields = {name: saved[name] for name in ("x_name", "y_name", "dtype") if name in saved}
    if not all(isinstance(value, str) for value in fields.values()):
        return TensorOptions(), "the saved tensor names were not text; using X, y and float32"
    options = TensorOptions(**fields)
    try:
        options.check()
    except TensorError as error:
        return TensorOptions(), f"the saved tensor options were refused ({error}); using X, y and float32"
    return options, None


def rebuild_pipeline(state: DataState, source_copy: Any = None, should_stop: Callable[[], bool] | None = None) -> tuple[Any, str]:
    """The pipeline replayed at its undo position, and a note on where the table came from.

    The file is read when its SHA-256 matches the saved one; otherwise the stored copy is used.
    Raises ValueError with a message when neither is available or a step no longer applies.
    """
    from tui_lab.core.data.load import LoadOptions, load_csv
    from tui_lab.core.data.pipeline import Pipeline

    options = LoadOptions(**{k: v for k, v in state.options.items() if k in ("encoding", "skip_bad_lines")})
    path = Path(state.path)
    try:
        current = file_sha256(path)
    except OSError:
        current = ""
    if current and current == state.sha256:
        frame = load_csv(path, options, should_stop=should_stop).frame
        note = f"re-read {path.name} (unchanged, SHA-256 {current[:12]}…)"
    elif source_copy is not None:
        frame = source_copy
        why = "has changed" if current else "is gone"
        note = f"{path.name} {why} since the session was saved; the pipeline uses the table as it was then"
    else:
        raise ValueError(f"{path} {'has changed' if current else 'is gone'} and the session holds no copy of it")
    pipeline = Pipeline(path, frame, options)
    steps = [step_from_json(s) for s in state.steps]
    for step in steps:
        pipeline.apply(step)
    for _ in range(len(steps) - state.position):
        pipeline.undo()
    return pipeline, note


def _number(value: Any) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def run_state(record: Any) -> tuple[RunState, np.ndarray | None]:
    """A finished :class:`RunRecord` as a record, plus its per-step losses (stored beside it)."""
    result = record.result
    fields: dict[str, Any] = {}
    losses = None
    if result is not None:
        fields = {
            "device": result.device, "initial_loss": _number(result.initial_loss), "w": list(result.w),
            "b": result.b, "true_w": None if result.true_w is None else list(result.true_w), "true_b": result.true_b,
            "closed_w": None if result.closed_w is None else list(result.closed_w), "closed_b": result.closed_b,
            "closed_loss": _number(result.closed_loss), "seconds": result.seconds, "samples": result.samples,
            "diverged_at": None if result.diverged_at is None else list(result.diverged_at),
        }  # fmt: skip
        losses = np.asarray(result.step_losses, dtype=np.float64)
    state = RunState(
        record.run_id, record.config.to_dict(), record.status, record.message, record.steps_per_epoch,
        tuple(float(v) for v in record.epoch_losses), fields,
    )  # fmt: skip
    return state, losses


def config_from_json(data: Mapping[str, Any]) -> Any:
    """A TrainConfig from its ``to_dict`` form (unknown fields refused, tuples restored)."""
    from tui_lab.core.train.config import DATA_SOURCES, FIELD_NAMES, IMPLS, LOSSES, OPTIMIZERS, TrainConfig

    unknown = set(data) - set(FIELD_NAMES)
    if unknown:
        raise SessionFormatError(f"unknown training settings: {', '.join(sorted(unknown))}")
    values = dict(data)
    if "true_w" in values:
        values["true_w"] = tuple(float(v) for v in values["true_w"])
    try:
        config = TrainConfig(**values)
    except TypeError as error:
        raise SessionFormatError(f"training settings: {error}") from None
    for name in ("x_name", "y_name"):
        if not str(getattr(config, name)).isidentifier():
            raise SessionFormatError(f"training setting {name} is not a Python name")
    for name, options in (("impl", IMPLS), ("data", DATA_SOURCES), ("optimizer", OPTIMIZERS), ("loss", LOSSES)):
        if getattr(config, name) not in options:
            raise SessionFormatError(f"training setting {name} is not one of {', '.join(options)}")
    return config


def run_record(state: RunState, losses: np.ndarray | None) -> Any:
    """The RunRecord (with a RunResult) the Train pane shows for a saved run."""
    from tui_lab.core.train.history import RunRecord
    from tui_lab.core.train.runner import RunResult

    config = config_from_json(state.config)
    record = RunRecord(state.run_id, config, status=state.status, message=state.message)
    r = state.result
    if not r:
        record.epoch_losses = list(state.epoch_losses)
        return record

    def floats(key: str) -> tuple[float, ...] | None:
        return None if r.get(key) is None else tuple(float(v) for v in r[key])

    result = RunResult(
        config=config, device=str(r.get("device", "cpu")), status=state.status, message=state.message,
        step_losses=np.zeros(0) if losses is None else np.asarray(losses, dtype=np.float64),
        epoch_losses=state.epoch_losses, initial_loss=float(r.get("initial_loss") or math.nan),
        w=floats("w") or (), b=float(r.get("b") or 0.0), true_w=floats("true_w"), true_b=r.get("true_b"),
        closed_w=floats("closed_w"), closed_b=r.get("closed_b"), closed_loss=r.get("closed_loss"),
        seconds=float(r.get("seconds") or 0.0), samples=int(r.get("samples") or 0),
        steps_per_epoch=state.steps_per_epoch,
        diverged_at=None if r.get("diverged_at") is None else (int(r["diverged_at"][0]), int(r["diverged_at"][1])),
    )  # fmt: skip
    record.finish(result)
    return record

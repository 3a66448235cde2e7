"""The Data and Train panes' live states as session records, and back (the codecs).

The pipeline is kept as a recipe: the source file's path and SHA-256, its load options and
each step as ``{"type": class name, "fields": {...}}``. On resume the recipe is replayed on
the file when it is still a regular file with the same hash, otherwise on the stored copy of
the table. Only the step classes of :mod:`tui_lab.core.data.steps` are accepted, so a session
can never name another class to build. Runs come back as
:class:`~tui_lab.core.train.history.RunRecord` objects carrying a rebuilt ``TrainingOutcome``
(made by the run reporter, as a live run's is); every field of the outcome and of its linear fit
is copied by name both ways, so a new field cannot be silently dropped (the schema refuses to
encode a field it does not know, and a test walks every field). A run without a fit (a workspace
model) is saved as today: ``w`` empty and ``b`` NaN.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
import numpy as np

from tui_lab.core.session.contract import (
    DataView,
    Decoded,
    PaneCodec,
    RestoreCancelled,
    TrainView,
    ValueSink,
    ValueSource,
)
from tui_lab.core.session.panestates import (
    DataState,
    LoadOptionsState,
    RunConfig,
    RunResultState,
    RunState,
    StepRecord,
    TensorOptionsState,
    TrainState,
)
from tui_lab.core.session.schema import SessionFormatError
from tui_lab.core.text import visible

if TYPE_CHECKING:
    import pandas as pd

    from tui_lab.core.data.pipeline import Pipeline
    from tui_lab.core.data.steps import Step
    from tui_lab.core.data.tensors import TensorOptions
    from tui_lab.core.train.config import TrainConfig
    from tui_lab.core.train.history import RunRecord

HASH_CHUNK = 4 * 1024 * 1024
#: Tables up to this size get a stored copy beside the recipe (bigger ones rely on the file's hash).
SOURCE_COPY_LIMIT = 256 * 1024 * 1024
SOURCE_DIR = "data-source"
_hash_cache: dict[tuple[str, int, int], str] = {}


class NotRegularFile(OSError):
    """The path is a FIFO, a device, a socket or a folder: never opened for reading."""


def open_regular(path: str | os.PathLike[str]) -> int:
    """A read-only descriptor of ``path`` when it is a regular file; :class:`NotRegularFile` otherwise.

    Opened non-blocking and checked with ``fstat``, so a FIFO (or /dev/zero) swapped in after any
    earlier check can neither block the open nor feed endless bytes.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = (
            "a FIFO"
            if stat.S_ISFIFO(mode)
            else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "not a file"
        )
        raise NotRegularFile(f"{Path(path).name} is {kind}, not a regular file")
    os.set_blocking(fd, True)
    return fd


def file_sha256(
    path: str | os.PathLike[str],
    should_stop: Callable[[], bool] | None = None,
    on_fraction: Callable[[float], None] | None = None,
) -> str:
    """The SHA-256 of a regular file, cached by (path, size, mtime) so autosaves do not re-read big CSVs."""
    target = Path(path)
    fd = open_regular(target)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        key = (str(target.resolve()), info.st_size, info.st_mtime_ns)
        if key in _hash_cache:
            return _hash_cache[key]
        digest = hashlib.sha256()
        done = 0
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if should_stop is not None and should_stop():
                raise InterruptedError("hashing was stopped")
            if on_fraction is not None:
                on_fraction(done / max(info.st_size, 1))
    _hash_cache[key] = digest.hexdigest()
    return _hash_cache[key]


def step_to_json(step: Step) -> dict[str, object]:
    """One pipeline step as ``{"type": ..., "fields": {...}}``."""
    from tui_lab.core.data.step_schema import encode_step

    return encode_step(step)


def step_from_json(data: object) -> Step:
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


def data_state(view: DataView, sink: ValueSink | None = None) -> DataState | None:
    """The recipe of the Data pane's pipeline with the file's hash (a worker: hashing reads the file).

    With a ``sink``, a table up to :data:`SOURCE_COPY_LIMIT` is also stored beside the recipe.
    """
    pipeline = view.pipeline
    if pipeline is None:
        return None
    steps = [a.step for a in pipeline.applied] + [a.step for a in reversed(pipeline.undone)]
    try:
        digest = file_sha256(pipeline.path, sink.should_stop if sink is not None else None)
    except OSError:
        digest = ""
    options = {k: _schema_value(v) for k, v in dataclasses.asdict(pipeline.options).items()}
    tensors = dataclasses.asdict(view.tensor_options) if view.tensor_options is not None else {}
    source_copy = ""
    table = pipeline.source
    if sink is not None and int(np.sum(table.memory_usage(index=True, deep=False))) <= SOURCE_COPY_LIMIT:
        source_copy = sink.write_frame(SOURCE_DIR, table)
    return DataState(
        path=str(pipeline.path), sha256=digest, options=msgspec.convert(options, LoadOptionsState),
        steps=tuple(msgspec.convert(step_to_json(s), StepRecord) for s in steps), position=len(pipeline.applied),
        cursor=(max(0, view.cursor[0]), max(0, view.cursor[1])), source_copy=source_copy,
        tensor_options=msgspec.convert(tensors, TensorOptionsState),
    )  # fmt: skip


def tensor_options_from(saved: TensorOptionsState) -> tuple[TensorOptions, str | None]:
    """The Data pane's tensor options from a session (names and dtype), or the defaults and why not.

    The names and dtype must pass the same check the form applies (valid, distinct names; a known dtype).
    """
    from tui_lab.core.data.tensors import TensorError, TensorOptions

    options = TensorOptions(saved.x_name, saved.y_name, saved.dtype)
    try:
        options.check()
    except TensorError as error:
        return TensorOptions(), f"the saved tensor options were refused ({error}); using X, y and float32"
    return options, None


def _current_hash(
    path: Path, should_stop: Callable[[], bool] | None = None, progress: Callable[[str], None] | None = None
) -> tuple[str, str]:
    """(the file's SHA-256 or "", why it cannot be used) for the path a recipe names."""
    shown = None if progress is None else (lambda f: progress(f"checking {path.name}: {f:.0%}"))
    try:
        return file_sha256(path, should_stop, shown), ""
    except InterruptedError:
        raise RestoreCancelled from None
    except NotRegularFile as error:
        return "", f"{error}"
    except OSError:
        return "", f"{path.name} is gone"


def rebuild_pipeline(
    state: DataState,
    source_copy: pd.DataFrame | None = None,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Pipeline, str]:
    """The pipeline replayed at its undo position, and a note on where the table came from.

    The file is read when it is a regular file whose SHA-256 matches the saved one; otherwise the
    stored copy is used. Raises ValueError with a message when neither is available or a step no
    longer applies, SessionFormatError for a malformed step, RestoreCancelled when stopped.
    """
    from tui_lab.core.data.load import LoadCancelled, LoadOptions, load_csv
    from tui_lab.core.data.pipeline import Pipeline

    steps = [step_from_json(msgspec.to_builtins(record)) for record in state.steps]
    options = LoadOptions(**{k: getattr(state.options, k) for k in LoadOptionsState.__struct_fields__})
    path = Path(state.path)
    current, problem = _current_hash(path, should_stop, progress)
    if current and current == state.sha256:
        shown = None if progress is None else (lambda p: progress(f"reading {path.name}: {p.fraction:.0%}"))
        try:
            frame = load_csv(path, options, should_stop=should_stop, on_progress=shown).frame
        except LoadCancelled:
            raise RestoreCancelled from None
        note = f"re-read {path.name} (unchanged, SHA-256 {current[:12]}…)"
    elif source_copy is not None:
        frame = source_copy
        why = problem or "has changed"
        note = f"{path.name} {why} since the session was saved; the pipeline uses the table as it was then"
        if problem:
            note = f"{problem}; the pipeline uses the table stored in the session"
    else:
        raise ValueError(f"{problem or f'{path} has changed'} and the session holds no copy of it")
    pipeline = Pipeline(path, frame, options)
    for number, step in enumerate(steps, start=1):
        if should_stop is not None and should_stop():
            raise RestoreCancelled
        if progress is not None:
            progress(f"pipeline step {number} of {len(steps)}")
        pipeline.apply(step)
    for _ in range(len(steps) - state.position):
        pipeline.undo()
    return pipeline, note


def _schema_value(value: object) -> object:
    """A value as the schema takes it: tuples stay, NumPy scalars become Python numbers."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return tuple(_schema_value(v) for v in value)
    return value


#: TrainingOutcome fields kept in RunState itself, the one that is not saved (published objects), and
#: the fit, whose own fields are saved flat beside the others (session format 2).
_IN_RUN_STATE = ("config", "status", "message", "step_losses", "epoch_losses", "steps_per_epoch")
NOT_SAVED_RESULT_FIELDS = ("artifacts",)
_FLATTENED = ("fit",)


def run_state(record: RunRecord) -> tuple[RunState, np.ndarray | None]:
    """A finished :class:`RunRecord` as a record, plus its per-step losses (stored beside it).

    Every field of ``TrainingOutcome`` and ``LinearFit`` is copied by name; one the schema does not know is an error.
    """
    result = record.result
    state_result = None
    losses = None
    if result is not None:
        skip = {*_IN_RUN_STATE, *NOT_SAVED_RESULT_FIELDS, *_FLATTENED}
        values = {
            f.name: _schema_value(getattr(result, f.name)) for f in dataclasses.fields(result) if f.name not in skip
        }
        fit = result.fit
        if fit is None:
            values.update(w=(), b=math.nan)  # format 2's shape of a run that learned no line
        else:
            values.update({f.name: _schema_value(getattr(fit, f.name)) for f in dataclasses.fields(fit)})
        initial = values.get("initial_loss")
        if isinstance(initial, float) and not math.isfinite(initial):
            values["initial_loss"] = None
        state_result = msgspec.convert(values, RunResultState)
        losses = np.asarray(result.step_losses, dtype=np.float64)
    state = RunState(
        run_id=record.run_id, config=config_state(record.config), status=record.status,
        message=record.message,
        steps_per_epoch=record.steps_per_epoch, epoch_losses=tuple(float(v) for v in record.epoch_losses),
        result=state_result,
    )  # fmt: skip
    return state, losses


def config_state(config: TrainConfig) -> RunConfig:
    """A TrainConfig as its record (a setting the schema does not know is an error)."""
    return msgspec.convert({k: _schema_value(v) for k, v in config.to_dict().items()}, RunConfig)


def config_from_json(data: RunConfig | Mapping[str, object]) -> TrainConfig:
    """The TrainConfig of a run's record (or of its JSON form, checked by the schema)."""
    from tui_lab.core.train.config import TrainConfig

    if not isinstance(data, RunConfig):
        try:
            data = msgspec.convert(dict(data), RunConfig, strict=True)
        except msgspec.ValidationError as error:
            raise SessionFormatError(f"training settings: {error}") from None
    return TrainConfig(**{f.name: getattr(data, f.name) for f in dataclasses.fields(TrainConfig)})


def run_record(state: RunState, losses: np.ndarray | None) -> RunRecord:
    """The RunRecord (with its TrainingOutcome, rebuilt by the run reporter) the Train pane shows for a saved run."""
    from tui_lab.core.train.history import RunRecord
    from tui_lab.core.train.outcome import LinearFit, RunStatus
    from tui_lab.core.train.report import RunReporter

    config = config_from_json(state.config)
    status = RunStatus(state.status)
    record = RunRecord(state.run_id, config, status=status, message=state.message)
    saved = state.result
    if saved is None:
        record.epoch_losses = list(state.epoch_losses)
        return record
    fit = None
    if saved.w:  # an empty w: the run learned no line (a workspace model, or one stopped before its first step)
        fit = LinearFit(**{f.name: getattr(saved, f.name) for f in dataclasses.fields(LinearFit)})
    reporter = RunReporter(config, saved.device, steps_per_epoch=state.steps_per_epoch)
    reporter.epoch_losses = list(state.epoch_losses)
    reporter.initial_loss = math.nan if saved.initial_loss is None else saved.initial_loss
    reporter.samples, reporter.chunks, reporter.notes = saved.samples, saved.chunks, list(saved.notes)
    curve = np.zeros(0) if losses is None else np.asarray(losses, dtype=np.float64)
    result = reporter.outcome(
        status, state.message, fit=fit, seconds=saved.seconds, diverged_at=saved.diverged_at,
        peak_cuda_memory=saved.peak_cuda_memory, graph_steps=saved.graph_steps, curve=(curve, saved.step_bucket),
    )  # fmt: skip
    record.finish(result)
    return record


# -- the codecs -------------------------------------------------------------------------------------


class DataCodec:
    """The Data pane: a :class:`DataView` (live pipeline) <-> :class:`DataState` (its recipe)."""

    live_type = DataView
    saved_type = DataState

    def encode(self, live: DataView, sink: ValueSink) -> DataState | None:
        return data_state(live, sink)

    def decode(self, saved: DataState, source: ValueSource) -> Decoded:
        options, problem = tensor_options_from(saved.tensor_options)
        notes = [problem] if problem else []
        copy = source.read_frame(saved.source_copy) if saved.source_copy else None
        try:
            pipeline, note = rebuild_pipeline(saved, copy, source.should_stop, source.progress)
        except (SessionFormatError, RestoreCancelled):
            raise
        except Exception as error:  # a changed file, a step that no longer applies: said, the recipe is kept
            notes.append(f"the Data pipeline was not restored: {error}")
            return Decoded(saved, notes)
        return Decoded(DataView(pipeline, saved.cursor, options), [note, *notes])


class TrainCodec:
    """The Train pane: a :class:`TrainView` (live run records) <-> :class:`TrainState`."""

    live_type = TrainView
    saved_type = TrainState

    def encode(self, live: TrainView, sink: ValueSink) -> TrainState | None:
        runs = []
        for record in live.records:
            if record.result is None:
                continue  # running or queued: only finished runs are kept
            state, curve = run_state(record)
            if curve is not None:
                state = msgspec.structs.replace(
                    state, step_losses_file=sink.write_array(f"runs/{state.run_id}.npy", curve)
                )
            runs.append(state)
        if live.form is None and not runs:
            return None
        form = {str(k)[:64]: visible(str(v))[:4096] for k, v in (live.form or {}).items()}
        return TrainState(form=form, runs=tuple(runs))

    def decode(self, saved: TrainState, source: ValueSource) -> Decoded:
        records = []
        for run in saved.runs:
            losses = source.read_array(run.step_losses_file) if run.step_losses_file else None
            try:
                records.append(run_record(run, losses))
            except (TypeError, ValueError) as error:
                raise SessionFormatError(f"run {run.run_id}: {error}") from None
        return Decoded(TrainView(tuple(records), dict(saved.form)))


#: The codecs, by the live type a pane hands over and by the record type a session holds.
CODECS: tuple[PaneCodec, ...] = (DataCodec(), TrainCodec())

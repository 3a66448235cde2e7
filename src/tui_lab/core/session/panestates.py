"""Each pane's saved state: frozen, strictly typed records that the session schema decodes.

A pane that keeps something in a session has one state type here, a subclass of
:class:`PaneState` tagged with the pane's name, whose defaults are the empty pane. The session
stores the panes' states as a list (``"panes": [{"pane": "data", ...}, ...]``) decoded through
:data:`AnyPaneState`, so adding a piece of pane state means editing that pane's class here and
the pane's ``save_state``/``restore_state``, nothing else (see :mod:`tui_lab.core.session.contract`).

Every field is typed exactly (no loose dicts), with ranges and lengths: a session file is input
from outside, whoever wrote it. Checks that msgspec's constraints cannot say (a Python name, a
known training setting) are made in ``__post_init__``; their ``ValueError`` becomes the decode
error, with the field's path.
"""

from __future__ import annotations

import keyword
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from tui_lab.core.train.config import (
    DATA_SOURCES,
    FIELD_NAMES,
    IMPLS,
    LOSSES,
    MAX_EPOCHS,
    MAX_FEATURES,
    MAX_LR,
    MAX_N,
    MAX_PROCESSES,
    MAX_SEED,
    MAX_TRUTH,
    OPTIMIZERS,
)
from tui_lab.core.train.outcome import RunStatus

#: What the REPL log keeps: the newest entries, each cut to this many characters.
REPL_LOG_ENTRIES = 200
REPL_TEXT_CHARS = 10_000
#: Any value typed ``Any`` (a JSON value, a step's fields, a frame's attrs) nests at most this deep.
MAX_DEPTH = 32

# -- field types ------------------------------------------------------------------------------

Count = Annotated[int, Meta(ge=0, le=2**63 - 1)]
Line = Annotated[str, Meta(max_length=1_000)]
Text = Annotated[str, Meta(max_length=1_000_000)]
FilePath = Annotated[str, Meta(max_length=4_096)]
#: A REPL input as typed (pastes included).
Source = Annotated[str, Meta(max_length=1_000_000)]
#: One line of a form: no control character (they would reach the terminal from the input widget).
FormText = Annotated[str, Meta(max_length=4_096, pattern=r"^[^\x00-\x1f\x7f-\x9f]*$")]
DeviceName = Annotated[str, Meta(pattern=r"^(cpu|mps|cuda(:[0-9]{1,3})?)$")]
Float = float
NameText = Annotated[str, Meta(min_length=1, max_length=200)]


def check_name(name: str, what: str = "a name") -> None:
    """ValueError unless ``name`` is a Python identifier (what a workspace name must be)."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"{name!r} is not a valid Python name ({what})")


def check_depth(value: object, limit: int = MAX_DEPTH) -> None:
    """ValueError when a JSON value nests deeper than ``limit`` (lists and objects)."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, tuple, dict)):
            if depth >= limit:
                raise ValueError(f"nested deeper than {limit} levels")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


class Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Base of every persisted record: immutable, and an unknown field is an error."""


class PaneState(Strict, frozen=True, tag_field="pane"):
    """One pane's saved state; a subclass sets ``tag=<pane name>`` and defaults that mean "empty"."""


# -- REPL -----------------------------------------------------------------------------------------


class ReplEntry(Strict, frozen=True):
    """One REPL input and the text it printed (stdout, stderr and the Out value), bounded."""

    source: Annotated[str, Meta(max_length=REPL_TEXT_CHARS + 200)]
    output: Annotated[str, Meta(max_length=REPL_TEXT_CHARS + 200)] = ""
    ok: bool = True
    changed: Annotated[tuple[NameText, ...], Meta(max_length=10_000)] = ()

    def __post_init__(self) -> None:
        for name in self.changed:
            check_name(name, "a name set by a REPL input")


class ReplState(PaneState, frozen=True, tag="repl"):
    """The REPL pane: its log, oldest first."""

    log: Annotated[tuple[ReplEntry, ...], Meta(max_length=REPL_LOG_ENTRIES)] = ()


# -- Data -----------------------------------------------------------------------------------------


class LoadOptionsState(Strict, frozen=True):
    """How the CSV was read (:class:`tui_lab.core.data.load.LoadOptions`)."""

    encoding: Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")] = "utf-8"
    skip_bad_lines: bool = False
    sep: Annotated[str, Meta(min_length=1, max_length=8)] = ","
    compression: Annotated[str, Meta(max_length=16, pattern=r"^[a-z0-9]+$")] | None = None
    text_columns: Annotated[tuple[Line, ...], Meta(max_length=100_000)] = ()


class StepRecord(Strict, frozen=True):
    """One pipeline step as stored: its class name and fields (decoded by ``panes.step_from_json``)."""

    type: Annotated[str, Meta(pattern=r"^[A-Za-z][A-Za-z0-9]{0,63}$")]
    # Any: any JSON value (msgspec decodes Any as such; object would be a custom type to it), depth-checked below.
    fields: dict[Annotated[str, Meta(pattern=r"^[a-z_][a-z0-9_]{0,63}$")], Any]

    def __post_init__(self) -> None:
        check_depth(self.fields, 3)


class TensorOptionsState(Strict, frozen=True):
    """The names and dtype of the tensors the Data pane publishes (checked again when restored)."""

    x_name: NameText = "X"
    y_name: NameText = "y"
    dtype: Annotated[str, Meta(max_length=32)] = "float32"


class DataState(PaneState, frozen=True, tag="data"):
    """The Data pane: where the table came from, the steps (applied, then redo-able) and the cursor."""

    path: FilePath = ""
    sha256: Annotated[str, Meta(pattern=r"^([0-9a-f]{64})?$")] = ""
    options: LoadOptionsState = LoadOptionsState()
    #: The applied steps, then the undone ones in redo order.
    steps: Annotated[tuple[StepRecord, ...], Meta(max_length=10_000)] = ()
    #: How many of ``steps`` are applied (the undo position).
    position: Count = 0
    cursor: tuple[Count, Count] = (0, 0)
    #: Folder of the stored copy of the source table ("" when none was kept).
    source_copy: FilePath = ""
    tensor_options: TensorOptionsState = TensorOptionsState()

    def __post_init__(self) -> None:
        if self.position > len(self.steps):
            raise ValueError(f"undo position {self.position} is outside 0..{len(self.steps)}")


# -- Train ----------------------------------------------------------------------------------------

Finite = Annotated[float, Meta(ge=-MAX_TRUTH, le=MAX_TRUTH)]


class RunConfig(Strict, frozen=True):
    """A run's settings (:class:`tui_lab.core.train.config.TrainConfig`), with the form's ranges."""

    impl: str = "concise"
    data: str = "synthetic"
    n: Annotated[int, Meta(ge=1, le=MAX_N)] = 1000
    true_w: Annotated[tuple[Finite, ...], Meta(min_length=1, max_length=MAX_FEATURES)] = (2.0, -3.4)
    true_b: Finite = 4.2
    noise: Annotated[float, Meta(ge=0, le=MAX_TRUTH)] = 0.01
    data_seed: Annotated[int, Meta(ge=0, le=MAX_SEED)] = 0
    x_name: NameText = "X"
    y_name: NameText = "y"
    csv_path: FilePath = ""
    target: Line = ""
    lr: Annotated[float, Meta(gt=0, le=MAX_LR)] = 0.03
    batch_size: Annotated[int, Meta(ge=1, le=MAX_N)] = 10
    epochs: Annotated[int, Meta(ge=1, le=MAX_EPOCHS)] = 3
    optimizer: str = "sgd"
    momentum: Annotated[float, Meta(ge=0, lt=1)] = 0.9
    loss: str = "mse"
    huber_delta: Annotated[float, Meta(gt=0, le=MAX_TRUTH)] = 1.0
    init_std: Annotated[float, Meta(ge=0, le=1e6)] = 0.01
    seed: Annotated[int, Meta(ge=0, le=MAX_SEED)] = 0
    model_name: NameText = "net"
    processes: Annotated[int, Meta(ge=1, le=MAX_PROCESSES)] = 1

    def __post_init__(self) -> None:
        for name, options in (("impl", IMPLS), ("data", DATA_SOURCES), ("optimizer", OPTIMIZERS), ("loss", LOSSES)):
            if getattr(self, name) not in options:
                raise ValueError(f"training setting {name} is not one of {', '.join(options)}")
        for name in ("x_name", "y_name", "model_name"):
            check_name(getattr(self, name), f"training setting {name}")


Losses = Annotated[tuple[float, ...], Meta(max_length=MAX_EPOCHS)]
Weights = Annotated[tuple[float, ...], Meta(max_length=MAX_FEATURES)]


class RunResultState(Strict, frozen=True):
    """How a run ended: every field of ``TrainingOutcome`` but its config, curves and published objects.

    The outcome's ``LinearFit`` is kept flat here (``w`` … ``closed_loss``), as format 2 has always
    written it; ``w`` empty (and ``b`` NaN) is a run without a fit.
    """

    device: DeviceName = "cpu"
    initial_loss: float | None = None
    w: Weights = ()
    b: float = 0.0
    true_w: Weights | None = None
    true_b: float | None = None
    closed_w: Weights | None = None
    closed_b: float | None = None
    closed_loss: float | None = None
    seconds: Annotated[float, Meta(ge=0)] = 0.0
    samples: Count = 0
    diverged_at: tuple[Count, Count] | None = None
    notes: Annotated[tuple[Text, ...], Meta(max_length=1_000)] = ()
    peak_cuda_memory: Count | None = None
    chunks: Count = 0
    graph_steps: Count = 0
    step_bucket: Annotated[int, Meta(ge=1)] = 1


class RunState(Strict, frozen=True):
    """One finished run: its config, curves and result (the per-step losses live in a .npy file)."""

    run_id: Annotated[int, Meta(ge=1, le=2**31)]
    config: RunConfig
    #: How the run ended (its value: "finished", "stopped", "diverged" or "failed"); a saved run never runs.
    status: RunStatus
    message: Text = ""
    #: A step takes at least one sample, so an epoch has at most MAX_N steps.
    steps_per_epoch: Annotated[int, Meta(ge=0, le=MAX_N)] = 0
    epoch_losses: Losses = ()
    result: RunResultState | None = None
    step_losses_file: FilePath = ""

    def __post_init__(self) -> None:
        if self.status in (RunStatus.QUEUED, RunStatus.RUNNING):
            raise ValueError(f"a saved run cannot be {self.status}")
        total = self.steps_per_epoch * self.config.epochs
        if self.result is not None and self.result.step_bucket > max(1, total):
            raise ValueError(
                f"run {self.run_id}: a loss bucket of {self.result.step_bucket} steps, in a run of {total}"
            )


def _check_form(form: dict[str, str]) -> None:
    unknown = sorted(set(form) - set(FIELD_NAMES))
    if unknown:
        raise ValueError(f"unknown training settings: {', '.join(unknown)}")


class TrainState(PaneState, frozen=True, tag="train"):
    """The Train pane: the form's text fields and the finished runs."""

    form: dict[Annotated[str, Meta(max_length=64)], FormText] = {}
    runs: Annotated[tuple[RunState, ...], Meta(max_length=256)] = ()

    def __post_init__(self) -> None:
        _check_form(self.form)
        ids = [run.run_id for run in self.runs]
        if len(set(ids)) != len(ids):
            raise ValueError("two runs share a number")


# -- Graph ----------------------------------------------------------------------------------------


class GraphState(PaneState, frozen=True, tag="graph"):
    """The Graph pane: the graph node under the cursor."""

    selected: Annotated[int, Meta(ge=0, le=1_000_000)] | None = None


#: Every pane state the session schema decodes (tagged by ``"pane"``).
AnyPaneState = ReplState | DataState | TrainState | GraphState

"""The one strict schema of ``session.json``, and how a manifest is read and written.

Version :data:`FORMAT_VERSION` (2). A manifest is parsed with the standard ``json`` module
(which keeps ``NaN`` and ``Infinity``, as a diverged run's losses need), then converted with
``msgspec.convert(..., strict=True)`` into the frozen records below: exact types (no string
where a number belongs, no bool where an int belongs), enums, ranges, lengths and known field
names only. Anything else raises :class:`SessionFormatError` naming the field
(``$.panes[1].runs[0].result.w[0]``), and the caller moves the whole session aside.

Versions: a manifest of version 1 (tui-lab 0.x before the schema) is migrated in memory when
read: its ``data``, ``train`` and ``repl`` become entries of ``panes`` and the Train pane's
device becomes the session's; every field added since has a default. The next save writes
version 2. A version above :data:`FORMAT_VERSION` was written by a newer tui-lab and is refused.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Final, Literal, TypeVar

import msgspec
from msgspec import Meta

from tui_lab.core.session.arch import ModuleArch
from tui_lab.core.session.panestates import (
    AnyPaneState,
    Count,
    DataState,
    DeviceName,
    Line,
    NameText,
    PaneState,
    ReplEntry,
    ReplState,
    Source,
    Strict,
    Text,
    TrainState,
    check_depth,
    check_name,
)
from tui_lab.core.workspace import PaneName

#: The manifest's ``format`` field; anything else is a foreign file.
FORMAT: Final = "tui-lab-session"
#: Bumped when the layout changes; a session with a larger number was written by a newer tui-lab.
FORMAT_VERSION: Final = 2
#: Manifests larger than this are refused before they are parsed.
MANIFEST_LIMIT = 64 * 1024 * 1024
#: Inputs kept per name (the newest ones).
INPUTS_PER_NAME = 20

PaneT = TypeVar("PaneT", bound=PaneState)


class SessionFormatError(ValueError):
    """A session's manifest is not one this tui-lab can read; ``str()`` says why."""


class SessionCorrupt(Exception):
    """A session that cannot be read; ``str()`` says which file and why (:mod:`.store` moves it aside)."""


# -- frames: a typed column store (see frames.py) ----------------------------------------------

Label = str | int | float | bool | None
Dtype = Annotated[str, Meta(max_length=64, pattern=r"^[A-Za-z0-9\[\], :_/.-]+$")]


class RangeColumn(Strict, frozen=True, tag_field="kind", tag="range"):
    """A RangeIndex: start, stop, step."""

    start: int
    stop: int
    step: int
    name: Label = None

    def __post_init__(self) -> None:
        if self.step == 0:
            raise ValueError("a range's step cannot be 0")


class NumpyColumn(Strict, frozen=True, tag_field="kind", tag="numpy"):
    """A column stored as one ``.npy`` file of this dtype."""

    dtype: Dtype
    name: Label = None


class MaskedColumn(Strict, frozen=True, tag_field="kind", tag="masked"):
    """A pandas nullable column: values plus a mask, both ``.npy``."""

    dtype: Dtype
    name: Label = None


class TextColumn(Strict, frozen=True, tag_field="kind", tag="text"):
    """A text (or object) column kept in the manifest."""

    dtype: Dtype
    values: tuple[Label, ...]
    name: Label = None


PlainColumn = RangeColumn | NumpyColumn | MaskedColumn | TextColumn


class CategoryColumn(Strict, frozen=True, tag_field="kind", tag="category"):
    """A categorical: codes (``.npy``) plus its categories (never themselves categorical)."""

    ordered: bool
    categories: PlainColumn
    name: Label = None


ColumnSpec = PlainColumn | CategoryColumn


class FrameSpec(Strict, frozen=True):
    """A DataFrame (``columns`` and ``labels``) or a Series (``series``), and its index."""

    index: ColumnSpec
    columns: Annotated[tuple[ColumnSpec, ...], Meta(max_length=1_000_000)] | None = None
    labels: ColumnSpec | None = None
    series: ColumnSpec | None = None
    # Any: any JSON value (msgspec decodes Any as such; object would be a custom type to it), depth-checked below.
    attrs: dict[Annotated[str, Meta(max_length=1_000)], Any] = {}

    def __post_init__(self) -> None:
        if (self.series is None) == (self.columns is None) or (self.columns is None) != (self.labels is None):
            raise ValueError("a frame has columns and labels, or a series, not both")
        check_depth(self.attrs, 8)


# -- saved names, one record kind per way of storing a value ---------------------------------


class TensorMeta(Strict, frozen=True):
    """What a tensor needs besides its bytes."""

    dtype: Literal[
        "float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool",
        "complex64", "float8_e4m3fn", "float8_e5m2", "uint16", "uint32", "uint64",
    ]  # fmt: skip
    device: DeviceName = "cpu"
    requires_grad: bool = False
    parameter: bool = False
    had_grad_fn: bool = False


class ModuleMeta(Strict, frozen=True):
    """An ``nn.Module``'s class, state keys and device; ``arch`` when it is built from standard layers."""

    class_name: Line = msgspec.field(default="", name="class")
    keys: Annotated[tuple[Line, ...], Meta(max_length=1_000_000)] = ()
    device: DeviceName = "cpu"
    #: How to build it again without running code (None: only its REPL inputs can).
    arch: ModuleArch | None = None
    training: bool = True


class ArrayMeta(Strict, frozen=True):
    """A NumPy array, or a NumPy scalar (``scalar``)."""

    scalar: bool = False


class FrameMeta(Strict, frozen=True):
    """A DataFrame or Series in the column store."""

    spec: FrameSpec


class ComplexValue(Strict, frozen=True, tag_field="as", tag="complex"):
    """A Python complex number."""

    value: tuple[float, float]


class TupleValue(Strict, frozen=True, tag_field="as", tag="tuple"):
    """A tuple of JSON values."""

    value: tuple[Any, ...]  # Any: as FrameSpec.attrs

    def __post_init__(self) -> None:
        check_depth(self.value)


class PlainValue(Strict, frozen=True, tag_field="as", tag="plain"):
    """A number, string, ``None``, or a list or dict of them (string keys)."""

    value: Any  # Any: as FrameSpec.attrs

    def __post_init__(self) -> None:
        check_depth(self.value)


class JsonMeta(Strict, frozen=True):
    """A value kept in the manifest itself."""

    json: ComplexValue | TupleValue | PlainValue


class AliasMeta(Strict, frozen=True):
    """A second name for a value saved under ``target``."""

    target: NameText

    def __post_init__(self) -> None:
        check_name(self.target, "an alias's target")


def _check_file(file: str) -> None:
    parts = file.replace("\\", "/").split("/")
    if file.startswith(("/", "\\")) or ".." in parts or any(p.startswith("~") for p in parts[:1]):
        raise ValueError(f"file {file!r} points outside the session")


class SavedBase(Strict, frozen=True, tag_field="kind"):
    """One workspace name: how its value is stored (the subclass) and the line shown in lists."""

    name: NameText
    type_name: Line = msgspec.field(default="?", name="type")
    summary: Line = ""
    #: File (relative to the session directory); empty for values kept in the manifest.
    file: Annotated[str, Meta(max_length=512)] = ""
    nbytes: Count = 0

    def __post_init__(self) -> None:
        check_name(self.name)
        _check_file(self.file)


class SavedTensor(SavedBase, frozen=True, kw_only=True, tag="tensor"):
    meta: TensorMeta


class SavedModule(SavedBase, frozen=True, kw_only=True, tag="module"):
    meta: ModuleMeta = ModuleMeta()


class SavedArray(SavedBase, frozen=True, kw_only=True, tag="ndarray"):
    meta: ArrayMeta = ArrayMeta()


class SavedFrame(SavedBase, frozen=True, kw_only=True, tag="frame"):
    meta: FrameMeta


class SavedJson(SavedBase, frozen=True, kw_only=True, tag="json"):
    meta: JsonMeta


class SavedAlias(SavedBase, frozen=True, kw_only=True, tag="alias"):
    meta: AliasMeta


SavedName = SavedTensor | SavedModule | SavedArray | SavedFrame | SavedJson | SavedAlias


class NotSaved(Strict, frozen=True):
    """A name left out, why, and the REPL inputs that defined it (to re-run on confirmation)."""

    name: NameText
    type_name: Line = msgspec.field(default="?", name="type")
    reason: Line = ""
    inputs: Annotated[tuple[Source, ...], Meta(max_length=INPUTS_PER_NAME * 4)] = ()


# -- the manifest -----------------------------------------------------------------------------


class SessionState(Strict, frozen=True, kw_only=True):
    """Everything but the values' bytes: the manifest of one session."""

    format: Literal["tui-lab-session"] = FORMAT
    format_version: int = FORMAT_VERSION
    version: Line = msgspec.field(default="", name="tui_lab")
    saved_at: Annotated[str, Meta(max_length=40, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.+-]+$")]
    pane: PaneName = "repl"
    device: DeviceName = "cpu"
    names: Annotated[tuple[SavedName, ...], Meta(max_length=1_000_000)] = ()
    not_saved: Annotated[tuple[NotSaved, ...], Meta(max_length=1_000_000)] = ()
    panes: tuple[AnyPaneState, ...] = ()
    #: Name -> the REPL inputs that defined it, oldest first.
    inputs: dict[NameText, Annotated[tuple[Source, ...], Meta(max_length=INPUTS_PER_NAME * 4)]] = {}
    notes: Annotated[tuple[Text, ...], Meta(max_length=1_000)] = ()

    def __post_init__(self) -> None:
        for name in self.inputs:
            check_name(name, "a name with REPL inputs")
        tags = [type(state).__struct_config__.tag for state in self.panes]
        if len(set(tags)) != len(tags):
            raise ValueError("a pane's state appears twice")
        names = [entry.name for entry in self.names]
        if len(set(names)) != len(names):
            raise ValueError("a name is saved twice")

    def pane_state(self, kind: type[PaneT]) -> PaneT | None:
        """The saved state of type ``kind`` (one pane's), or None when that pane saved nothing."""
        return next((state for state in self.panes if isinstance(state, kind)), None)

    @property
    def data(self) -> DataState | None:
        """The Data pane's recipe, if it had a table."""
        return self.pane_state(DataState)

    @property
    def train(self) -> TrainState | None:
        """The Train pane's form and runs."""
        return self.pane_state(TrainState)

    @property
    def repl(self) -> tuple[ReplEntry, ...]:
        """The REPL log, oldest first."""
        state = self.pane_state(ReplState)
        return state.log if state is not None else ()

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


def _migrate_v1(data: dict[str, object]) -> dict[str, object]:
    """A version-1 manifest in the version-2 layout (pane states in ``panes``, the device at the top)."""
    data = dict(data)
    panes: list[object] = []
    repl = data.pop("repl", [])
    if repl:
        panes.append({"pane": "repl", "log": repl})
    raw_data = data.pop("data", None)
    if isinstance(raw_data, dict):
        panes.append({"pane": "data", **raw_data})
    raw_train = data.pop("train", None)
    if isinstance(raw_train, dict):
        train = dict(raw_train)
        data["device"] = train.pop("device", "cpu")
        runs = train.get("runs", [])
        if isinstance(runs, list):  # anything else is left for the strict decode to refuse
            runs = [
                {**run, "result": None} if isinstance(run, dict) and run.get("result") == {} else run for run in runs
            ]
        panes.append({"pane": "train", **train, "runs": runs})
    data["panes"] = panes
    data["format_version"] = FORMAT_VERSION
    return data


def decode_manifest(raw: bytes) -> SessionState:
    """The manifest in ``raw``; :class:`SessionFormatError` saying which field is wrong and why."""
    if len(raw) > MANIFEST_LIMIT:
        raise SessionFormatError(f"it is implausibly large ({len(raw):,} bytes)")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SessionFormatError("it is not UTF-8 text") from None
    except RecursionError:
        raise SessionFormatError("it nests too deeply") from None
    except ValueError as error:
        raise SessionFormatError(f"it is not valid JSON ({error})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionFormatError("this is not a tui-lab session")
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SessionFormatError("its format_version is not a version number")
    if version > FORMAT_VERSION:
        written_by = data.get("tui_lab") if isinstance(data.get("tui_lab"), str) else "a newer tui-lab"
        raise SessionFormatError(
            f"it was written by tui-lab {str(written_by)[:40]} (session format {version}); "
            f"this tui-lab reads format {FORMAT_VERSION}: upgrade tui-lab to open it"
        )
    if version == 1:
        data = _migrate_v1(data)
    try:
        return msgspec.convert(data, SessionState, strict=True)
    except msgspec.ValidationError as error:
        raise SessionFormatError(str(error)[:500]) from None
    except RecursionError:
        raise SessionFormatError("it nests too deeply") from None


def encode_manifest(state: SessionState) -> bytes:
    """``state`` as the manifest's bytes (``NaN`` kept as the ``json`` module writes it)."""
    return json.dumps(msgspec.to_builtins(state), ensure_ascii=False, allow_nan=True).encode("utf-8")


__all__ = [
    "FORMAT", "FORMAT_VERSION", "MANIFEST_LIMIT", "AliasMeta", "ArrayMeta", "CategoryColumn", "ColumnSpec",
    "ComplexValue", "FrameMeta", "FrameSpec", "JsonMeta", "MaskedColumn", "ModuleMeta", "NotSaved", "NumpyColumn",
    "PaneName", "PlainColumn", "PlainValue", "RangeColumn", "SavedAlias", "SavedArray", "SavedBase", "SavedFrame",
    "SavedJson", "SavedModule", "SavedName", "SavedTensor", "SessionCorrupt", "SessionFormatError", "SessionState",
    "TensorMeta", "TextColumn", "TupleValue", "decode_manifest", "encode_manifest",
]  # fmt: skip

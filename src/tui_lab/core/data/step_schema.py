"""The strict schema of a stored pipeline step: ``{"type": class name, "fields": {...}}`` and back.

A session file is untrusted input, so :func:`decode_step` accepts only the step classes listed
in :data:`STEP_TYPES`, only their fields, with exact types (``msgspec.convert(strict=True)``:
no ``"True"`` for a bool, no ``1`` for a bool, no ``1.0`` or ``true`` for an int), and then
the step's own checks (enums, ranges, the filter grammar). Whatever fails raises one
:class:`StepDecodeError` with a message saying which field and why; nothing else is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields as dataclass_fields

import msgspec

from tui_lab.core.data.steps import (
    CastColumn,
    DropColumns,
    DropMissing,
    DropMostMissing,
    FillMissing,
    FilterRows,
    OneHot,
    SetTarget,
    SortRows,
    Standardize,
    Step,
    StepError,
)

#: Every step a session may name, by class name (the name is the stored "type").
STEP_TYPES: dict[str, type[Step]] = {
    cls.__name__: cls
    for cls in (
        SetTarget, FillMissing, DropMissing, DropMostMissing, OneHot, Standardize, DropColumns, CastColumn,
        FilterRows, SortRows,
    )
}  # fmt: skip


class StepDecodeError(ValueError):
    """A stored step is not one the schema accepts; the message names the step and field."""


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def decode_step(type_name: object, fields: object) -> Step:
    """The step named ``type_name`` with ``fields``, strictly typed and checked; raises :class:`StepDecodeError`."""
    if type(type_name) is not str or type_name not in STEP_TYPES:
        raise StepDecodeError(f"unknown pipeline step {_shown(type_name)}")
    cls = STEP_TYPES[type_name]
    if not isinstance(fields, Mapping):
        raise StepDecodeError(f"pipeline step {type_name}: the fields should be an object")
    known = {field.name for field in dataclass_fields(cls)}
    for name in fields:
        if name not in known:
            raise StepDecodeError(f"pipeline step {type_name} has no field {_shown(name)}")
    try:
        return msgspec.convert(dict(fields), type=cls, strict=True)
    except msgspec.ValidationError as error:
        raise StepDecodeError(f"pipeline step {type_name}: {error}") from None
    except StepError as error:
        raise StepDecodeError(f"pipeline step {type_name}: {error}") from None


def encode_step(step: Step) -> dict[str, object]:
    """``step`` as ``{"type": class name, "fields": {...}}`` (tuples become lists), for JSON."""
    if STEP_TYPES.get(type(step).__name__) is not type(step):
        raise TypeError(f"{type(step).__name__} is not a stored pipeline step")
    return {"type": type(step).__name__, "fields": msgspec.to_builtins(step)}

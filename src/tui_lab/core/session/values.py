"""Which workspace values a session keeps, how each is written, and how it is read back.

:func:`plan_names` runs on the UI thread and only looks at types and sizes; it decides per
name: a tensor (safetensors), an ``nn.Module`` (its ``state_dict`` in safetensors plus the REPL
inputs that built it), a NumPy array or scalar (``np.save(allow_pickle=False)``), a DataFrame
or Series (:mod:`tui_lab.core.session.frames`), a JSON value (numbers, strings, lists and dicts
of them), an alias of another saved name, or "not saved" with a reason. The size cap applies
smallest-first, so one huge tensor never pushes out a hundred small names. Nothing read back
is ever unpickled.
"""

from __future__ import annotations

import inspect
import io
import json
import math
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch

from tui_lab.core.session.arch import describe_module
from tui_lab.core.session.frames import UnsupportedValue
from tui_lab.core.session.schema import (
    AliasMeta,
    ArrayMeta,
    ComplexValue,
    JsonMeta,
    ModuleMeta,
    NotSaved,
    PlainValue,
    TensorMeta,
    TupleValue,
)
from tui_lab.core.session.tensorfile import unsupported_reason

#: JSON values above this size are not saved (a list of a million floats belongs in a tensor).
JSON_LIMIT = 1_000_000
SAFE_NOTE = "tui-lab saves values only in formats that cannot run code when loaded (no pickle)"


@dataclass(frozen=True)
class NamePlan:
    """One name to save: its kind, the object, its size and the line shown in lists."""

    name: str
    kind: str
    #: By kind: the tensor, the module's state_dict, the ndarray, the DataFrame or Series; None for
    #: json and alias. Any (like ``meta``): its type follows ``kind``, which mypy cannot narrow on.
    value: Any = field(repr=False)
    nbytes: int
    summary: str
    type_name: str
    #: The kind's typed meta (TensorMeta, ModuleMeta, ArrayMeta, JsonMeta, AliasMeta; a frame's is made
    #: when it is written).
    meta: Any = None


def format_bytes(count: float) -> str:
    """``1.5 GiB``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(count) < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"


def _type_name(value: object) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ in ("builtins", "__main__") else f"{kind.__module__}.{kind.__qualname__}"


def tensor_meta(tensor: torch.Tensor) -> TensorMeta:
    """What a tensor needs besides its bytes: dtype, device, grad flags."""
    return TensorMeta(
        dtype=str(tensor.dtype).removeprefix("torch."),  # type: ignore[arg-type]  # checked by DTYPES
        device=_device_name(tensor.device),
        requires_grad=bool(tensor.requires_grad),
        parameter=isinstance(tensor, torch.nn.Parameter),
        had_grad_fn=tensor.grad_fn is not None,
    )


def _device_name(device: torch.device) -> str:
    """``cuda:0``, ``cpu``, ``mps``: the forms a session may hold (other device types come back on the CPU)."""
    if device.type == "cuda":
        return f"cuda:{device.index or 0}"
    return device.type if device.type in ("cpu", "mps") else "cpu"


def _json_value(value: object) -> JsonMeta:
    """``value`` as JSON when it survives a round trip unchanged, else raise UnsupportedValue."""
    if isinstance(value, complex):
        return JsonMeta(json=ComplexValue(value=(value.real, value.imag)))
    try:
        text = json.dumps(value, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        raise UnsupportedValue("it holds objects JSON cannot keep") from None
    if len(text) > JSON_LIMIT:
        raise UnsupportedValue(f"its JSON form is over {format_bytes(JSON_LIMIT)}; keep such data in a tensor")
    back = json.loads(text)
    if isinstance(value, tuple):
        back = tuple(back)
    if not _same(back, value):
        raise UnsupportedValue("it holds tuples, non-text keys or other types JSON would change")
    try:
        if isinstance(value, tuple):
            return JsonMeta(json=TupleValue(value=tuple(back)))
        return JsonMeta(json=PlainValue(value=back))
    except ValueError as error:  # nested deeper than a session keeps
        raise UnsupportedValue(str(error)) from None


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    # b has a's type from here on; the isinstance checks on b only tell mypy so.
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def why_not(value: object) -> str:
    """The reason a value of this type is not saved, in words a learner follows."""
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.LambdaType)):
        return "a function: its code is kept as the REPL input that defined it"
    if inspect.isclass(value):
        return "a class: its code is kept as the REPL input that defined it"
    if inspect.isgenerator(value) or inspect.iscoroutine(value):
        return "a generator or coroutine: its position cannot be saved"
    if isinstance(value, io.IOBase):
        return "an open file: reopen it after resuming"
    if isinstance(value, torch.utils.data.DataLoader):
        return "a DataLoader: it is rebuilt by re-running the REPL input that made it"
    return f"an object of type {_type_name(value)}: {SAFE_NOTE}"


def _plan_one(name: str, value: object, seen: dict[int, str]) -> NamePlan | NotSaved:
    kind = _type_name(value)
    if id(value) in seen and not isinstance(value, (int, float, str, bool, type(None))):
        target = seen[id(value)]
        return NamePlan(name, "alias", None, 0, f"the same object as {target}", kind, AliasMeta(target=target))
    if isinstance(value, torch.Tensor):
        reason = unsupported_reason(value)
        if reason:
            return NotSaved(name, kind, reason)
        meta = tensor_meta(value)
        summary = f"tensor {tuple(value.shape)} {meta.dtype} {meta.device}"
        return NamePlan(name, "tensor", value, value.numel() * value.element_size(), summary, kind, meta)
    if isinstance(value, torch.nn.Module):
        state = value.state_dict()
        bad = [k for k, t in state.items() if not isinstance(t, torch.Tensor) or unsupported_reason(t)]
        if bad:
            return NotSaved(name, kind, f"its state entry {bad[0]!r} cannot be saved safely")
        size = sum(t.numel() * t.element_size() for t in state.values())
        devices = sorted({_device_name(t.device) for t in state.values()}) or ["cpu"]
        module_meta = ModuleMeta(
            class_name=type(value).__qualname__[:1000], keys=tuple(state), device=devices[0],
            arch=describe_module(value), training=bool(value.training),
        )  # fmt: skip
        summary = f"{type(value).__name__} · {len(state)} tensors · {format_bytes(size)}"
        return NamePlan(name, "module", state, size, summary, kind, module_meta)
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.hasobject:
            return NotSaved(name, kind, "a NumPy array of Python objects (it would need pickle)")
        scalar = isinstance(value, np.generic)
        summary = f"{'numpy scalar' if scalar else 'ndarray'} {array.shape} {array.dtype}"
        return NamePlan(name, "ndarray", array, array.nbytes, summary, kind, ArrayMeta(scalar=scalar))
    if isinstance(value, (pd.DataFrame, pd.Series)):
        size = int(np.sum(value.memory_usage(index=True, deep=False)))
        what = "DataFrame" if isinstance(value, pd.DataFrame) else "Series"
        return NamePlan(name, "frame", value, size, f"{what} {value.shape}", kind)
    if isinstance(value, (bool, int, float, complex, str, list, tuple, dict, type(None))):
        try:
            encoded = _json_value(value)
        except UnsupportedValue as error:
            return NotSaved(name, kind, str(error))
        text = repr(value)
        size = len(json.dumps(value if not isinstance(value, complex) else [0.0, 0.0], allow_nan=True))
        return NamePlan(name, "json", None, size, text[:60], kind, encoded)
    return NotSaved(name, kind, why_not(value))


def plan_names(
    items: Iterable[tuple[str, object]], cap: int, inputs: Mapping[str, tuple[str, ...]] | None = None
) -> tuple[list[NamePlan], list[NotSaved]]:
    """What to save of ``items`` within ``cap`` bytes, and what not (with reasons and defining inputs)."""
    inputs = inputs or {}
    plans: list[NamePlan] = []
    skipped: list[NotSaved] = []
    seen: dict[int, str] = {}
    for name, value in items:
        if not isinstance(name, str) or not name.isidentifier():
            skipped.append(NotSaved(str(name), _type_name(value), "not a valid Python name"))
            continue
        try:
            planned = _plan_one(name, value, seen)
        except Exception as error:  # a hostile __len__ or dtype must not stop the save
            planned = NotSaved(name, _type_name(value), f"could not be examined: {type(error).__name__}: {error}")
        if isinstance(planned, NamePlan):
            plans.append(planned)
            if planned.kind != "alias":
                seen.setdefault(id(value), name)
        else:
            skipped.append(NotSaved(name, planned.type_name, planned.reason, inputs.get(name, ())))
    total = 0
    kept: list[NamePlan] = []
    for plan in sorted(plans, key=lambda p: (p.nbytes, p.name)):
        if plan.kind != "alias" and total + plan.nbytes > cap:
            reason = (
                f"{format_bytes(plan.nbytes)} would take the session past its size cap of {format_bytes(cap)} "
                "(TUI_LAB_SESSION_CAP or the session_cap setting raises it)"
            )
            skipped.append(
                NotSaved(name=plan.name, type_name=plan.type_name, reason=reason, inputs=inputs.get(plan.name, ()))
            )
            continue
        total += plan.nbytes
        kept.append(plan)
    kept_names = {p.name for p in kept}
    final = [p for p in kept if p.kind != "alias" or p.meta.target in kept_names]
    for plan in kept:
        if plan not in final:
            skipped.append(NotSaved(plan.name, plan.type_name, f"an alias of {plan.meta.target}, which was not saved"))
    final.sort(key=lambda p: p.name)
    skipped.sort(key=lambda n: n.name)
    return final, skipped


def restore_tensor(tensor: torch.Tensor, meta: TensorMeta) -> tuple[torch.Tensor, str | None]:
    """Put a loaded CPU tensor back on its device with its grad flags; a note when the device is gone."""
    from tui_lab.core.devices import resolve_device

    note = None
    if meta.device != "cpu":
        try:
            tensor = tensor.to(resolve_device(meta.device))
        except Exception as error:
            note = f"was on {meta.device}, which is not available here ({error}); restored on the CPU"
    if meta.parameter:
        tensor = torch.nn.Parameter(tensor, requires_grad=meta.requires_grad)
    elif meta.requires_grad and (tensor.is_floating_point() or tensor.is_complex()):
        tensor.requires_grad_(True)
    return tensor, note


def decode_json(meta: JsonMeta) -> object:
    """The value :func:`_json_value` encoded."""
    encoded = meta.json
    if isinstance(encoded, ComplexValue):
        real, imag = encoded.value
        return complex(real, imag)
    if isinstance(encoded, TupleValue):
        return tuple(encoded.value)
    return encoded.value

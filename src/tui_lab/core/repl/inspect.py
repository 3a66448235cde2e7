"""Variable summaries for the REPL's side panel, and details for the selected variable.

:func:`variable_row` is what the list shows for every name: metadata only (shape, dtype,
device, grad flags, parameter counts), never a pass over the data, so refreshing 200
names costs well under a millisecond each even with a 10⁸-element tensor among them.
:func:`variable_details` is computed for the one selected name, in a worker: strides,
storage, sharing, bounded statistics and a value grid or heatmap.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_lab.core.repl.memory import Fingerprint, shared_with

if TYPE_CHECKING:
    import torch

#: Above this many elements, statistics use an evenly strided sample and say so.
STATS_EXACT_LIMIT = 10_000_000
GRID_MAX_ROWS, GRID_MAX_COLS = 12, 8
HEAT_ROWS, HEAT_COLS = 10, 32


@dataclass(frozen=True)
class VariableRow:
    """One line of the variable list: name, kind and a short metadata summary."""

    name: str
    kind: str
    summary: str


@dataclass(frozen=True)
class VariableDetails:
    """The details of one variable: labelled fields, then a value grid or a heatmap."""

    name: str
    title: str
    fields: tuple[tuple[str, str], ...]
    grid: tuple[tuple[str, ...], ...] | None = None
    heat: tuple[tuple[float, ...], ...] | None = None
    note: str = ""


def _short(text: str, width: int = 40) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _clip(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _dtype_name(dtype: object) -> str:
    return str(dtype).removeprefix("torch.")


def variable_row(name: str, value: object) -> VariableRow:
    """A one-line summary from metadata only (cheap for any size)."""
    torch = sys.modules.get("torch")
    np = sys.modules.get("numpy")
    pd = sys.modules.get("pandas")
    if torch is not None and isinstance(value, torch.Tensor):
        parts = [str(tuple(value.shape)), _dtype_name(value.dtype), str(value.device)]
        if value.requires_grad:
            parts.append("grad")
        if value.grad_fn is not None:
            parts.append(f"fn={type(value.grad_fn).__name__}")
        elif value.requires_grad:
            parts.append("leaf")
        return VariableRow(name, "tensor", " ".join(parts))
    if torch is not None and isinstance(value, torch.nn.Module):
        count = sum(p.numel() for p in value.parameters())
        return VariableRow(name, "module", f"{type(value).__name__} {count:,} params")
    if np is not None and isinstance(value, np.ndarray):
        return VariableRow(name, "ndarray", f"{value.shape} {value.dtype}")
    if pd is not None and isinstance(value, pd.DataFrame):
        dtypes = ",".join(sorted({str(d) for d in value.dtypes}))
        return VariableRow(name, "DataFrame", _short(f"{value.shape} {dtypes}"))
    if pd is not None and isinstance(value, pd.Series):
        return VariableRow(name, "Series", f"{value.shape} {value.dtype}")
    if isinstance(value, bool | int | float | complex) or (np is not None and isinstance(value, np.generic)):
        return VariableRow(name, type(value).__name__, _short(repr(value)))
    if isinstance(value, str):
        return VariableRow(name, "str", _short(repr(value)))
    if isinstance(value, types.FunctionType | types.BuiltinFunctionType):
        return VariableRow(name, "function", _short(f"{value.__name__}()"))
    if isinstance(value, type):
        return VariableRow(name, "class", value.__name__)
    if isinstance(value, list | tuple | dict | set | frozenset):
        return VariableRow(name, type(value).__name__, f"{len(value):,} items")
    return VariableRow(name, type(value).__name__, _short(type(value).__name__))


def variable_details(name: str, value: object, prints: Mapping[str, Fingerprint] | None = None) -> VariableDetails:
    """Details for the selected variable; statistics are exact up to ``STATS_EXACT_LIMIT`` elements."""
    torch = sys.modules.get("torch")
    np = sys.modules.get("numpy")
    pd = sys.modules.get("pandas")
    shares = ", ".join(shared_with(name, prints or {})) or "nothing else"
    if torch is not None and isinstance(value, torch.Tensor):
        return _tensor_details(name, value, shares)
    if np is not None and isinstance(value, np.ndarray):
        fields = [
            ("shape", str(value.shape)),
            ("dtype", str(value.dtype)),
            ("strides", f"{value.strides} bytes"),
            ("contiguous", "C" if value.flags.c_contiguous else "F" if value.flags.f_contiguous else "no"),
            ("owns data", "yes" if value.flags.owndata else "no (a view)"),
            ("nbytes", f"{value.nbytes:,}"),
            ("data ptr", hex(value.__array_interface__["data"][0])),
            ("shares memory", shares),
        ]
        if value.dtype.kind in "biuf" and value.size:
            return _with_values(name, "ndarray", fields, torch.from_numpy(value) if torch else None)
        return VariableDetails(name, "ndarray", tuple(fields))
    if pd is not None and isinstance(value, pd.DataFrame):
        fields = [("shape", str(value.shape))] + [(str(c), str(d)) for c, d in list(value.dtypes.items())[:20]]
        return VariableDetails(name, "DataFrame", tuple(fields), note=_clip(str(value.head(5))))
    if torch is not None and isinstance(value, torch.nn.Module):
        params = list(value.parameters())
        fields = [
            ("parameters", f"{sum(p.numel() for p in params):,}"),
            ("trainable", f"{sum(p.numel() for p in params if p.requires_grad):,}"),
            ("tensors", str(len(params))),
        ]
        return VariableDetails(name, type(value).__name__, tuple(fields), note=_clip(repr(value)))
    text = repr(value)
    return VariableDetails(name, type(value).__name__, (("type", type(value).__name__),), note=_clip(text))


def _tensor_details(name: str, t: torch.Tensor, shares: str) -> VariableDetails:
    fields = [
        ("shape", str(tuple(t.shape))),
        ("dtype", _dtype_name(t.dtype)),
        ("device", str(t.device)),
        ("requires_grad", str(t.requires_grad)),
        ("grad_fn", type(t.grad_fn).__name__ if t.grad_fn is not None else "None"),
        ("is_leaf", str(t.is_leaf)),
    ]
    if t.is_leaf and (t.requires_grad or t.grad is not None):
        fields.append(("grad", _grad_text(t.grad)))
    if t.layout == sys.modules["torch"].strided:
        storage = t.untyped_storage()
        fields += [
            ("strides", str(t.stride())),
            ("contiguous", str(t.is_contiguous())),
            ("storage", f"{storage.nbytes():,} bytes, offset {t.storage_offset()}"),
            ("data_ptr", hex(t.data_ptr())),
            ("shares memory", shares),
        ]
    return _with_values(name, "tensor", fields, t)


def _with_values(name: str, title: str, fields: list[tuple[str, str]], t: torch.Tensor | None) -> VariableDetails:
    """Add bounded statistics and a value grid or heatmap for a numeric tensor."""
    torch = sys.modules.get("torch")
    if torch is None or t is None or t.numel() == 0 or t.is_complex() or t.layout != torch.strided:
        return VariableDetails(name, title, tuple(fields))
    data = t.detach()
    note = ""
    sample = data
    while sample.numel() > STATS_EXACT_LIMIT:  # halve the longest axis: a view, so nothing big is copied
        longest = max(range(sample.dim()), key=lambda axis: sample.shape[axis])
        index: list[slice] = [slice(None)] * sample.dim()
        index[longest] = slice(None, None, 2)
        sample = sample[tuple(index)]
    flat = sample.reshape(-1)
    if sample is not data:
        note = f"statistics from a strided sample ({flat.numel():,} of {data.numel():,} elements)"
    values = flat.float() if not flat.is_floating_point() else flat

    def stat(value: float, floating: bool = flat.is_floating_point()) -> str:
        text = f"{value:.6g}"
        return text + "." if floating and not any(c in text for c in ".en") else text

    fields += [
        ("min", stat(values.min().item())),
        ("max", stat(values.max().item())),
        ("mean", stat(values.mean().item(), True)),
    ]
    if flat.is_floating_point():
        fields += [("NaN", f"{int(torch.isnan(flat).sum()):,}"), ("Inf", f"{int(torch.isinf(flat).sum()):,}")]
    grid = heat = None
    if data.dim() == 1 and data.numel() <= GRID_MAX_ROWS * GRID_MAX_COLS:
        items = [_fmt(v) for v in data.tolist()]
        grid = tuple(tuple(items[i : i + GRID_MAX_COLS]) for i in range(0, len(items), GRID_MAX_COLS))
    elif data.dim() == 2 and data.shape[0] <= GRID_MAX_ROWS and data.shape[1] <= GRID_MAX_COLS:
        grid = tuple(tuple(_fmt(v) for v in row) for row in data.tolist())
    elif data.dim() == 0:
        grid = ((_fmt(data.item()),),)
    elif data.dim() in (1, 2):
        heat = _heatmap(data if data.dim() == 2 else data.reshape(1, -1))
    return VariableDetails(name, title, tuple(fields), grid=grid, heat=heat, note=note)


def _fmt(value: object) -> str:
    """One value as torch writes it: floats keep their point (``0.``, ``1.5``), ints and bools as they are."""
    if isinstance(value, float):
        text = f"{value:.4g}"
        return text if any(c in text for c in ".en") else text + "."
    return str(value)


def _grad_text(grad: torch.Tensor | None) -> str:
    """A leaf's ``.grad`` in a line: its first values, or why there is none yet."""
    if grad is None:
        return "None (no backward() has reached it yet)"
    flat = grad.detach().reshape(-1)
    shown = ", ".join(_fmt(v) for v in flat[:8].tolist())
    more = f", … ({flat.numel():,} values)" if flat.numel() > 8 else ""
    return f"[{shown}{more}] shape {tuple(grad.shape)}"


def _heatmap(matrix: torch.Tensor) -> tuple[tuple[float, ...], ...]:
    """Block means of ``matrix`` on at most HEAT_ROWS × HEAT_COLS cells, scaled to [0, 1]."""
    import torch.nn.functional as F

    m = matrix.detach()
    row_step, col_step = -(-m.shape[0] // 1_000), -(-m.shape[1] // 1_000)
    m = m[::row_step, ::col_step].float()  # at most 1,000 × 1,000 samples: bounded time and memory
    if m.device.type != "cpu":
        m = m.cpu()
    rows, cols = min(HEAT_ROWS, m.shape[0]), min(HEAT_COLS, m.shape[1])
    pooled = F.adaptive_avg_pool2d(m.unsqueeze(0), (rows, cols)).squeeze(0)
    pooled = pooled.nan_to_num(0.0, 0.0, 0.0)
    low, high = pooled.min(), pooled.max()
    scaled = (pooled - low) / (high - low) if high > low else pooled * 0
    return tuple(tuple(float(v) for v in row) for row in scaled.tolist())

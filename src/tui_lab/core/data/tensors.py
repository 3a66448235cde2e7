"""Turn the processed table into tensors ``X`` (inputs) and ``y`` (target).

:func:`to_tensors` makes them with direct calls; :func:`tensor_code` renders the same calls for
the code view and the exported script (the app never runs that code; the tests do, and compare).
``to_numpy(dtype=...)`` converts bool columns from ``get_dummies`` directly; the course's
``df.values`` path goes through an object array and is several times slower.
"""

from __future__ import annotations

import keyword
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas loads with the table, not with the options (the session reads them on the UI thread)
    import pandas as pd

TENSOR_DTYPES = ("float32", "float64")
#: Names the generated script itself uses: a tensor called ``pd`` would shadow pandas.
RESERVED_NAMES = frozenset({"pd", "torch", "data", "target", "inputs"})


class TensorError(Exception):
    """The table cannot become tensors yet; the message lists the columns to fix."""


@dataclass(frozen=True)
class TensorOptions:
    """Names and dtype of the tensors to publish."""

    x_name: str = "X"
    y_name: str = "y"
    dtype: str = "float32"

    def check(self) -> None:
        """Raise :class:`TensorError` for bad names or an unknown dtype."""
        for name in (self.x_name, self.y_name):
            if not name.isidentifier() or keyword.iskeyword(name):
                raise TensorError(f"{name!r} is not a valid Python name.")
            if name in RESERVED_NAMES:
                raise TensorError(f"{name!r} is used by the generated code; choose another name.")
        if self.x_name == self.y_name:
            raise TensorError("X and y need different names.")
        if self.dtype not in TENSOR_DTYPES:
            raise TensorError(f"dtype must be one of {', '.join(TENSOR_DTYPES)}.")


@dataclass(frozen=True)
class TensorResult:
    """The published tensors by name, with a one-line description of each."""

    tensors: dict[str, Any]
    descriptions: tuple[str, ...]


def tensor_problems(frame: pd.DataFrame, target: Sequence[str]) -> list[str]:
    """Why the frame cannot convert: missing targets, non-numeric columns, columns holding NaN."""
    import pandas as pd

    problems = [f"target column {name} no longer exists" for name in target if name not in frame.columns]
    non_numeric = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    if non_numeric:
        problems.append(f"non-numeric: {', '.join(non_numeric)} (one-hot, cast or drop them)")
    numeric = [c for c in frame.columns if str(c) not in non_numeric]
    with_nan = [str(c) for c in numeric if frame[c].isna().any()]
    if with_nan:
        problems.append(f"holding NaN: {', '.join(with_nan)} (fill or drop them)")
    if frame.shape[0] == 0:
        problems.append("the table has no rows")
    if frame.shape[1] - len(target) <= 0:
        problems.append("no input columns are left for X")
    return problems


def tensor_code(target: Sequence[str], options: TensorOptions) -> str:
    """The statements that make ``X`` (and ``y`` when there is a target) from ``data``."""
    dtype = options.dtype
    lines = [
        "inputs = data.drop(columns=target)",
        f"{options.x_name} = torch.tensor(inputs.to_numpy(dtype={dtype!r}))",
    ]
    if len(target) == 1:
        lines.append(f"{options.y_name} = torch.tensor(data[target[0]].to_numpy(dtype={dtype!r}))")
    elif target:
        lines.append(f"{options.y_name} = torch.tensor(data[target].to_numpy(dtype={dtype!r}))")
    return "\n".join(lines)


def to_tensors(frame: pd.DataFrame, target: Sequence[str], options: TensorOptions | None = None) -> TensorResult:
    """Convert ``frame`` into tensors; raises :class:`TensorError` listing what to fix first."""
    import torch

    options = options or TensorOptions()
    options.check()
    problems = tensor_problems(frame, target)
    if problems:
        raise TensorError("Cannot convert yet: " + "; ".join(problems) + ".")
    dtype = options.dtype
    inputs = frame.drop(columns=list(target))
    tensors: dict[str, Any] = {options.x_name: torch.tensor(inputs.to_numpy(dtype=dtype))}
    if len(target) == 1:
        tensors[options.y_name] = torch.tensor(frame[target[0]].to_numpy(dtype=dtype))
    elif target:
        tensors[options.y_name] = torch.tensor(frame[list(target)].to_numpy(dtype=dtype))
    descriptions = tuple(
        f"{name}: {tuple(t.shape)} {str(t.dtype).removeprefix('torch.')}" for name, t in tensors.items()
    )
    return TensorResult(tensors, descriptions)

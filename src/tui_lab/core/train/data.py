"""Data for linear regression: the course's synthetic y = Xw + b + ε, workspace tensors, or a CSV.

Every loader returns a :class:`Dataset` of float32 CPU tensors (X is N×d, y has N values)
or raises :class:`DataError` naming the form field to blame, with a message a learner can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import torch

from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.limits import estimate

if TYPE_CHECKING:
    import numpy as np

#: What ``lookup`` is given as the default: tells a missing name from one bound to None.
MISSING = object()
#: How a run reads the workspace: ``workspace.get`` (name, default) → the value bound, or the default.
Lookup: TypeAlias = Callable[[str, object], object]
#: Largest |value| accepted in X or y: squared (as every loss does) it stays far inside float32.
MAX_ABS_DATA = 1e18


class DataError(ValueError):
    """Data that cannot be trained on; ``field`` is the config field the message belongs beside."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features ``X`` (N×d), targets ``y`` (N,), and the true parameters when they are known."""

    X: torch.Tensor
    y: torch.Tensor
    true_w: tuple[float, ...] | None
    true_b: float | None
    source: str
    feature_names: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        """Number of features."""
        return int(self.X.shape[1])


def synthetic_data(
    true_w: tuple[float, ...], true_b: float, n: int, noise: float = 0.01, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """The course's ``synthetic_data``: X ~ N(0, 1), y = Xw + b + ε with ε ~ N(0, noise²), seeded."""
    gen = torch.Generator().manual_seed(seed)
    w = torch.tensor(true_w, dtype=torch.float32)
    X = torch.normal(0.0, 1.0, (n, len(w)), generator=gen)
    y = torch.mv(X, w) + true_b
    if noise > 0:
        y += torch.normal(0.0, noise, y.shape, generator=gen)
    return X, y


def as_features(value: object, name: str, field: str = "x_name") -> torch.Tensor:
    """``value`` as an N×d float32 tensor (a 1-D tensor becomes one column), or DataError."""
    tensor = _as_tensor(value, name, field)
    if tensor.dim() == 1:
        tensor = tensor.unsqueeze(1)
    if tensor.dim() != 2:
        raise DataError(field, f"{name} must be 2-D (samples × features), got shape {tuple(tensor.shape)}")
    if tensor.shape[0] == 0 or tensor.shape[1] == 0:
        raise DataError(field, f"{name} is empty (shape {tuple(tensor.shape)})")
    return tensor


def as_targets(value: object, name: str, field: str = "y_name") -> torch.Tensor:
    """``value`` as a 1-D float32 tensor (N×1 is flattened), or DataError."""
    tensor = _as_tensor(value, name, field)
    if tensor.dim() == 2 and tensor.shape[1] == 1:
        tensor = tensor[:, 0]
    if tensor.dim() != 1:
        raise DataError(field, f"{name} must be 1-D or N×1 (one target per sample), got shape {tuple(tensor.shape)}")
    if tensor.shape[0] == 0:
        raise DataError(field, f"{name} is empty")
    return tensor


def _as_tensor(value: object, name: str, field: str) -> torch.Tensor:
    if value is MISSING or value is None:
        raise DataError(field, f"no {name!r} in the workspace (load a CSV in the Data pane, or set it in the REPL)")
    if isinstance(value, torch.Tensor):
        given = value
    else:
        try:
            given = torch.as_tensor(_numeric_array(value))
        except (TypeError, ValueError, RuntimeError) as error:
            raise DataError(field, f"{name} is a {type(value).__name__}, not numeric data: {error}") from None
    if given.is_complex() or given.dtype == torch.bool:
        raise DataError(field, f"{name} has dtype {given.dtype}; need real numbers")
    original = given.detach()
    if not bool(torch.isfinite(original).all()):
        bad = int((~torch.isfinite(original)).sum())
        raise DataError(field, f"{name} has {bad} NaN/Inf value(s); fill or drop them first")
    tensor: torch.Tensor = original.to("cpu", torch.float32)
    if not bool(torch.isfinite(tensor).all()):
        largest = float(original.abs().max())
        raise DataError(field, f"data overflow: {name} has values up to {largest:.3g}, beyond float32's ±3.4e38")
    check_scale(tensor, name, field)
    return tensor


def check_scale(tensor: torch.Tensor, name: str, field: str) -> None:
    """DataError when squares of ``tensor``'s values would overflow float32 (the loss squares them)."""
    largest = float(tensor.abs().max()) if tensor.numel() else 0.0
    if largest > MAX_ABS_DATA:
        raise DataError(
            field,
            f"data overflow: {name} has values up to {largest:.3g}; squared they exceed float32's 3.4e38. "
            f"Scale it down first (e.g. divide by {10 ** (len(str(int(largest))) - 4):.0e})",
        )


def _numeric_array(value: object) -> np.ndarray:
    import numpy as np

    to_numpy = getattr(value, "to_numpy", None)
    array = np.asarray(to_numpy() if callable(to_numpy) else value)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"dtype {array.dtype} is not numeric")
    return array


def workspace_data(x_name: str, y_name: str, lookup: Lookup) -> Dataset:
    """X and y from the workspace (``lookup`` is ``workspace.get``), checked for shape and values."""
    X = as_features(lookup(x_name, MISSING), x_name)
    y = as_targets(lookup(y_name, MISSING), y_name)
    if X.shape[0] != y.shape[0]:
        message = f"{x_name} has {X.shape[0]} rows but {y_name} has {y.shape[0]} values"
        raise DataError("y_name", message)
    return Dataset(X, y, None, None, f"workspace {x_name}, {y_name}")


def csv_data(path: str, target: str) -> Dataset:
    """The course's preprocessing (2.2): the target column as y, the rest one-hot encoded and mean-filled as X."""
    import os
    import stat

    import pandas as pd

    try:  # a FIFO or a device would block read_csv forever: refuse it before opening
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        regular = True  # missing or unreadable: read_csv below says which
    if not regular:
        raise DataError("csv_path", f"{path} is not a regular file (a FIFO, device or directory); give a CSV file")
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise DataError("csv_path", f"no such file: {path}") from None
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise DataError("csv_path", f"cannot read {path}: {error}") from None
    if target not in frame.columns:
        raise DataError("target", f"no column {target!r}; columns are {', '.join(map(str, frame.columns))}")
    labels = frame[target]
    if not pd.api.types.is_numeric_dtype(labels) or pd.api.types.is_bool_dtype(labels):
        raise DataError("target", f"target {target!r} is not numeric (dtype {labels.dtype})")
    if labels.isna().any():
        raise DataError("target", f"target {target!r} has {int(labels.isna().sum())} missing value(s)")
    inputs = frame.drop(columns=[target])
    if inputs.shape[1] == 0:
        raise DataError("target", "the CSV has no columns besides the target")
    numeric = inputs.select_dtypes(include="number").columns
    inputs[numeric] = inputs[numeric].fillna(inputs[numeric].mean())
    inputs = pd.get_dummies(inputs, dummy_na=True, dtype=float)
    inputs = inputs.loc[:, inputs.notna().all()]
    if inputs.shape[1] == 0:
        raise DataError("csv_path", "no usable feature columns (all missing)")
    import numpy as np

    with np.errstate(over="ignore"):  # values beyond float32 become Inf, refused just below
        X = torch.tensor(inputs.to_numpy(dtype="float32"))
        y = torch.tensor(labels.to_numpy(dtype="float32"))
    for tensor, name, field in ((X, "the CSV's features", "csv_path"), (y, f"target {target!r}", "target")):
        if not bool(torch.isfinite(tensor).all()):
            raise DataError(field, f"data overflow: {name} has values beyond float32's ±3.4e38")
        check_scale(tensor, name, field)
    return Dataset(X, y, None, None, f"csv {path}", tuple(map(str, inputs.columns)))


def check_memory(n: int, d: int, device: str = "cpu", field: str = "n") -> None:
    """DataError (blaming ``field``) when N × (d + 1) × 4 bytes × 2 does not fit the free memory of ``device``."""
    devices = ["cpu"] if device == "cpu" else ["cpu", device]  # generated on the CPU, then copied
    for where in devices:
        guess = estimate(n, d, where)
        if not guess.fits:
            raise DataError(field, guess.refusal(n, d))


def check_synthetic(config: TrainConfig, device: str = "cpu") -> None:
    """Refuse synthetic data that does not fit in memory, before any of it is allocated."""
    check_memory(config.n, len(config.true_w), device)


def _check_generated(X: torch.Tensor, y: torch.Tensor, config: TrainConfig) -> None:
    """Name an overflow of the generated data after the setting that caused it, not the learning rate."""
    if bool(torch.isfinite(y).all()) and float(y.abs().max()) <= MAX_ABS_DATA:
        return
    scales = {"true_w": max(abs(v) for v in config.true_w), "true_b": abs(config.true_b), "noise": config.noise}
    field = max(scales, key=lambda name: scales[name])
    label = {"true_w": "true w", "true_b": "true b", "noise": "noise σ"}[field]
    raise DataError(field, f"data overflow: y = Xw + b + ε leaves float32's range with {label} = {scales[field]:g}")


def load_dataset(config: TrainConfig, lookup: Lookup | None = None, device: str = "cpu") -> Dataset:
    """The dataset ``config`` asks for; workspace data needs ``lookup`` (e.g. ``workspace.get``).

    Synthetic data is checked against the free memory of the CPU and ``device`` before it is made;
    data that exists already is checked before it is copied to ``device``.
    """
    if config.data == "synthetic":
        check_synthetic(config, device)
        X, y = synthetic_data(config.true_w, config.true_b, config.n, config.noise, config.data_seed)
        _check_generated(X, y, config)
        return Dataset(X, y, tuple(config.true_w), config.true_b, "synthetic")
    if config.data == "workspace":
        if lookup is None:
            raise DataError("data", "workspace data needs the app's workspace; use --csv on the command line")
        data = workspace_data(config.x_name, config.y_name, lookup)
        check_memory(data.n, data.d, device, "x_name")
        return data
    if config.data == "csv":
        data = csv_data(config.csv_path, config.target)
        check_memory(data.n, data.d, device, "csv_path")
        return data
    raise DataError("data", f"unknown data source {config.data!r}")

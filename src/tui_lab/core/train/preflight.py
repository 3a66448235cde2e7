"""Cheap checks of the data (and model) a run names, before anything is loaded or copied: the form's preflight.

The Train form shows these together with its own parse errors, instead of in a second round after
the run was refused. It reads :mod:`.data`'s loaders' rules and :mod:`.model`'s checks of a
workspace module (on two rows), so neither of those needs the other.
"""

from __future__ import annotations

import os
import stat
from typing import Protocol, runtime_checkable

import torch

from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.data import MISSING, DataError, Lookup, as_features, as_targets, check_synthetic
from tui_lab.core.train.model import check_model, find_module


@runtime_checkable
class _Rows(Protocol):
    """Data that slices by rows (a tensor, an array, a frame)."""

    def __getitem__(self, rows: slice, /) -> object: ...


def _shape(value: object) -> tuple[int, ...] | None:
    shape = getattr(value, "shape", None)
    try:
        return None if shape is None else tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        return None


def preflight(config: TrainConfig, lookup: Lookup | None, device: str = "cpu") -> dict[str, str]:
    """Cheap checks of the data (and model) a config names, without loading or copying any of it.

    Field name → message, so the form shows these together with its own parse errors instead of
    in a second round after the run was refused.
    """
    errors: dict[str, str] = {}
    look: Lookup = lookup or (lambda _name, default: default)
    try:
        if config.data == "synthetic":
            check_synthetic(config, device)
        elif config.data == "csv":
            try:
                if not stat.S_ISREG(os.stat(config.csv_path).st_mode):
                    errors["csv_path"] = f"{config.csv_path} is not a regular file"
            except OSError as error:
                errors["csv_path"] = f"cannot open {config.csv_path}: {error.strerror or error}"
    except DataError as error:
        errors[error.field] = str(error)
    if config.data == "workspace":
        shapes = {}
        for field, name in (("x_name", config.x_name), ("y_name", config.y_name)):
            value = look(name, MISSING)
            if value is MISSING or value is None:
                errors[field] = f"no {name!r} in the workspace (load a CSV in the Data pane, or set it in the REPL)"
            elif (shape := _shape(value)) is None:
                errors[field] = f"{name} is a {type(value).__name__}, not a tensor or array"
            else:
                shapes[field] = shape
        x_shape, y_shape = shapes.get("x_name"), shapes.get("y_name")
        if x_shape is not None and y_shape is not None and x_shape[:1] != y_shape[:1]:
            rows = x_shape[0] if x_shape else 0
            values = y_shape[0] if y_shape else 0
            errors["y_name"] = f"{config.x_name} has {rows} rows but {config.y_name} has {values} values"
    if config.impl == "model" and "model_name" not in errors and not errors:
        errors.update(_model_preflight(config, look))
    return errors


def _model_preflight(config: TrainConfig, lookup: Lookup) -> dict[str, str]:
    """The model's checks on two rows of the data (made up for synthetic data), before the run."""
    try:
        module = find_module(config.model_name, lookup)
        if config.data == "workspace":
            rows = lookup(config.x_name, MISSING)
            X = as_features(rows[:2] if isinstance(rows, _Rows) else rows, config.x_name)
            y = as_targets(lookup(config.y_name, MISSING), config.y_name)
        elif config.data == "synthetic":
            X, y = torch.zeros(2, len(config.true_w)), torch.zeros(2)
        else:
            return {}
        check_model(module, config.model_name, X, y, config.loss)
    except DataError as error:
        return {error.field: str(error)}
    return {}

"""The configuration of one linear-regression run, and its validation.

Pure Python (no torch): the form, the CLI and the runner share it. Parsing returns a
message per field, so the form can show each one beside its widget.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

IMPLS = ("scratch", "concise", "manual", "closed")
OPTIMIZERS = ("sgd", "momentum", "adam")
LOSSES = ("mse", "huber")
DATA_SOURCES = ("synthetic", "workspace", "csv")
#: The course's learning rates for the sweep.
DEFAULT_SWEEP = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
MAX_FEATURES = 10_000
#: Most learning rates one sweep runs: as many runs as the plot keeps.
MAX_SWEEP = 8


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run; the defaults are the course's (d2l 3.2 and 3.3)."""

    impl: str = "concise"
    data: str = "synthetic"
    n: int = 1000
    true_w: tuple[float, ...] = (2.0, -3.4)
    true_b: float = 4.2
    noise: float = 0.01
    data_seed: int = 0
    x_name: str = "X"
    y_name: str = "y"
    csv_path: str = ""
    target: str = ""
    lr: float = 0.03
    batch_size: int = 10
    epochs: int = 3
    optimizer: str = "sgd"
    momentum: float = 0.9
    loss: str = "mse"
    huber_delta: float = 1.0
    init_std: float = 0.01
    seed: int = 0

    def label_parts(self) -> list[str]:
        """The pieces of :meth:`label`, so an overlay can show only the ones that differ."""
        if self.impl == "closed":
            return ["closed form"]
        parts = [self.impl, self.optimizer, f"lr={self.lr:g}", f"B={self.batch_size}"]
        return parts if self.loss == "mse" else [*parts, f"huber δ={self.huber_delta:g}"]

    def label(self) -> str:
        """Short legend text: ``concise sgd lr=0.03 B=10``."""
        return " ".join(self.label_parts())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        data = asdict(self)
        data["true_w"] = list(self.true_w)
        return data

    def with_changes(self, **changes: Any) -> TrainConfig:
        """A copy with some fields replaced (not re-validated)."""
        return replace(self, **changes)


class ConfigError(ValueError):
    """One or more invalid fields; ``errors`` maps field name to message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {msg}" for name, msg in self.errors.items()))


def _parse_int(text: str, *, minimum: int | None = None, what: str = "a whole number") -> int:
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        try:
            as_float = float(text)
        except ValueError:
            raise ValueError(f"{text.strip() or 'empty'!r} is not {what}") from None
        if not as_float.is_integer():
            raise ValueError(f"{text.strip()!r} is not {what}") from None
        value = int(as_float)
    if minimum is not None and value < minimum:
        raise ValueError(f"must be ≥ {minimum}, got {value}")
    return value


def _parse_float(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"{text.strip() or 'empty'!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"must be finite, got {text.strip()}")
    return value


def _parse_floats(text: str) -> tuple[float, ...]:
    parts = [p for p in text.replace(";", ",").replace(" ", ",").strip("[]() ").split(",") if p.strip()]
    if not parts:
        raise ValueError("give at least one weight, e.g. 2, -3.4")
    values = tuple(_parse_float(p) for p in parts)
    if len(values) > MAX_FEATURES:
        raise ValueError(f"at most {MAX_FEATURES} weights")
    return values


def _positive(value: float, name: str) -> float:
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value:g}")
    return value


def _choice(text: str, options: tuple[str, ...]) -> str:
    value = text.strip().lower()
    if value not in options:
        raise ValueError(f"{text!r} is not one of {', '.join(options)}")
    return value


#: Field name -> parser of its text form.
_PARSERS: dict[str, Any] = {
    "impl": lambda t: _choice(t, IMPLS),
    "data": lambda t: _choice(t, DATA_SOURCES),
    "n": lambda t: _parse_int(t, minimum=1),
    "true_w": _parse_floats,
    "true_b": _parse_float,
    "noise": lambda t: _nonnegative(_parse_float(t), "noise σ"),
    "data_seed": lambda t: _parse_int(t, minimum=0),
    "x_name": lambda t: _identifier(t),
    "y_name": lambda t: _identifier(t),
    "csv_path": lambda t: t.strip(),
    "target": lambda t: t.strip(),
    "lr": lambda t: _positive(_parse_float(t), "learning rate"),
    "batch_size": lambda t: _parse_int(t, minimum=1),
    "epochs": lambda t: _parse_int(t, minimum=1),
    "optimizer": lambda t: _choice(t, OPTIMIZERS),
    "momentum": lambda t: _unit_interval(_parse_float(t)),
    "loss": lambda t: _choice(t, LOSSES),
    "huber_delta": lambda t: _positive(_parse_float(t), "δ"),
    "init_std": lambda t: _nonnegative(_parse_float(t), "init std"),
    "seed": lambda t: _parse_int(t, minimum=0),
}

FIELD_NAMES = tuple(f.name for f in fields(TrainConfig))


def _nonnegative(value: float, name: str) -> float:
    if value < 0:
        raise ValueError(f"{name} must be ≥ 0, got {value:g}")
    return value


def _unit_interval(value: float) -> float:
    if not 0 <= value < 1:
        raise ValueError(f"momentum must be in [0, 1), got {value:g}")
    return value


def _identifier(text: str) -> str:
    name = text.strip()
    if not name.isidentifier():
        raise ValueError(f"{name or 'empty'!r} is not a workspace name")
    return name


def check_config(config: TrainConfig) -> dict[str, str]:
    """Cross-field checks on an already-typed config; {} when it is fine."""
    errors: dict[str, str] = {}
    if config.data == "csv":
        if not config.csv_path:
            errors["csv_path"] = "give the path of a CSV file"
        if not config.target:
            errors["target"] = "name the target column"
    return errors


def parse_config(values: Mapping[str, str], base: TrainConfig | None = None) -> TrainConfig:
    """Build a config from text fields (missing ones keep ``base``); raise ConfigError listing every bad field."""
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {}
    for name, text in values.items():
        parser = _PARSERS.get(name)
        if parser is None:
            errors[name] = "unknown setting"
            continue
        try:
            changes[name] = parser(str(text))
        except ValueError as error:
            errors[name] = str(error)
    if errors:
        raise ConfigError(errors)
    config = replace(base or TrainConfig(), **changes)
    problems = check_config(config)
    if problems:
        raise ConfigError(problems)
    return config


def parse_learning_rates(text: str) -> tuple[float, ...]:
    """``"0.001, 0.01 0.1"`` as learning rates (each > 0, at most 8); ValueError saying what is wrong."""
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p.strip()]
    if not parts:
        raise ValueError("give at least one learning rate, e.g. 0.01, 0.03, 0.1")
    if len(parts) > MAX_SWEEP:
        raise ValueError(f"at most {MAX_SWEEP} learning rates (the plot keeps {MAX_SWEEP} runs), got {len(parts)}")
    return tuple(_positive(_parse_float(p), "learning rate") for p in parts)


def field_text(config: TrainConfig, name: str) -> str:
    """The text form of one field, as the form shows it."""
    value = getattr(config, name)
    if name == "true_w":
        return ", ".join(f"{v:g}" for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)

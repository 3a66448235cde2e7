"""The configuration of one linear-regression run, and its validation.

Pure Python (no torch): the form, the CLI and the runner share it. Parsing returns a
message per field, so the form can show each one beside its widget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

IMPLS = ("scratch", "concise", "manual", "closed", "model")
OPTIMIZERS = ("sgd", "momentum", "adam")
LOSSES = ("mse", "huber", "cross_entropy")
DATA_SOURCES = ("synthetic", "workspace", "csv")
#: The course's learning rates for the sweep.
DEFAULT_SWEEP = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
MAX_FEATURES = 10_000
#: Most learning rates one sweep runs: as many runs as the plot keeps.
MAX_SWEEP = 8

# Ranges of the numeric settings. Data and losses are float32 (largest value ~3.4e38), so the
# synthetic truth and noise stay far below it: a loss squares the targets and sums a batch.
MAX_N = 10**10
MAX_EPOCHS = 10**6
MAX_SEED = 2**63 - 1
MAX_TRUTH = 1e12
MAX_LR = 1e6
MAX_INIT_STD = 1e6
MAX_PROCESSES = 256


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
    #: The workspace ``nn.Module`` the ``model`` implementation trains.
    model_name: str = "net"
    #: Processes to train with: 1 is the pane's own worker thread, more run ``tui-lab train --nproc-per-node``.
    processes: int = 1

    def label_parts(self) -> list[str]:
        """The pieces of :meth:`label`, so an overlay can show only the ones that differ."""
        if self.impl == "closed":
            return ["closed form"]
        impl = f"model {self.model_name}" if self.impl == "model" else self.impl
        parts = [impl, self.optimizer, f"lr={self.lr:g}", f"B={self.batch_size}"]
        if self.loss == "huber":
            parts.append(f"huber δ={self.huber_delta:g}")
        elif self.loss == "cross_entropy":
            parts.append("cross-entropy")
        return parts if self.processes == 1 else [*parts, f"{self.processes} procs"]

    def legend_parts(self) -> list[str]:
        """:meth:`label_parts` plus the data and length of the run, so two runs never share a legend entry."""
        if self.data == "synthetic":
            data = [f"N={self.n}", f"w={','.join(f'{v:g}' for v in self.true_w)}", f"b={self.true_b:g}"]
            data += [f"σ={self.noise:g}", f"data seed={self.data_seed}"]
        elif self.data == "workspace":
            data = [f"{self.x_name},{self.y_name}"]
        else:
            data = [f"csv {self.csv_path}:{self.target}"]
        length = [] if self.impl == "closed" else [f"{self.epochs} ep", f"seed={self.seed}"]
        return [*self.label_parts(), *data, *length]

    def label(self) -> str:
        """Short legend text: ``concise sgd lr=0.03 B=10``."""
        return " ".join(self.label_parts())

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (tuples become lists)."""
        data = asdict(self)
        data["true_w"] = list(self.true_w)
        return data

    # Any: each value is for the field its name says; mypy checks ** values against every field's type.
    def with_changes(self, **changes: Any) -> TrainConfig:
        """A copy with some fields replaced (not re-validated)."""
        return replace(self, **changes)


class ConfigError(ValueError):
    """One or more invalid fields; ``errors`` maps field name to message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {msg}" for name, msg in self.errors.items()))


def _show(value: float) -> str:
    """A number as a message shows it: ``1000``, ``1e+12``, ``1.5``."""
    if isinstance(value, int) and abs(value) < 10**20:
        return str(value)
    return f"{float(value):g}"


def _parse_int(text: str, *, minimum: int = 0, maximum: int, what: str = "a whole number") -> int:
    """A whole number in [minimum, maximum]; ``1e3`` and ``1_000`` are accepted."""
    stripped = text.strip()
    if not stripped:
        raise ValueError(f"empty: give {what}")
    try:
        value = int(stripped.replace("_", ""))
    except ValueError:
        try:
            as_float = float(stripped)
        except ValueError:
            raise ValueError(f"{stripped!r} is not {what}") from None
        if math.isinf(as_float):
            raise ValueError(f"{stripped!r} is too large: at most {_show(maximum)}") from None
        if not as_float.is_integer():
            raise ValueError(f"{stripped!r} is not {what}") from None
        value = int(as_float)
    if value < minimum:
        raise ValueError(f"must be ≥ {minimum}, got {_show(value)}")
    if value > maximum:
        raise ValueError(f"must be at most {_show(maximum)}, got {_show(value)}")
    return value


def _parse_float(text: str, example: str = "0.5") -> float:
    stripped = text.strip()
    if not stripped:
        raise ValueError(f"empty: give a number, e.g. {example}")
    try:
        value = float(stripped)
    except ValueError:
        raise ValueError(f"{stripped!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {stripped}")
    return value


def _within(value: float, limit: float, name: str) -> float:
    """``value`` if |value| ≤ limit, else a message that says why the limit exists."""
    if abs(value) > limit:
        raise ValueError(f"{name} must be within ±{limit:g} (float32 data would overflow), got {value:g}")
    return value


def _parse_floats(text: str) -> tuple[float, ...]:
    """``2, -3.4`` (commas, semicolons or spaces); an empty item such as ``2,,3`` is an error, not skipped."""
    body = text.strip().strip("[]()").strip()
    if not body:
        raise ValueError("give at least one weight, e.g. 2, -3.4")
    items = [item.strip() for item in body.replace(";", ",").split(",")]
    if items and not items[-1]:
        items.pop()  # one trailing comma is harmless
    if any(not item for item in items):
        raise ValueError(f"an empty weight between commas in {body!r}; write e.g. 2, 0, 3")
    parts = [part for item in items for part in item.split()]
    if len(parts) > MAX_FEATURES:
        raise ValueError(f"at most {MAX_FEATURES} weights, got {len(parts)}")
    return tuple(_within(_parse_float(p, "2"), MAX_TRUTH, "each true weight") for p in parts)


def _positive(value: float, name: str, maximum: float | None = None) -> float:
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value:g}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum:g}, got {value:g}")
    return value


def _choice(text: str, options: tuple[str, ...]) -> str:
    value = text.strip().lower()
    if value not in options:
        raise ValueError(f"{text!r} is not one of {', '.join(options)}")
    return value


#: Field name -> parser of its text form.
_PARSERS: dict[str, Callable[[str], object]] = {
    "impl": lambda t: _choice(t, IMPLS),
    "data": lambda t: _choice(t, DATA_SOURCES),
    "n": lambda t: _parse_int(t, minimum=1, maximum=MAX_N),
    "true_w": _parse_floats,
    "true_b": lambda t: _within(_parse_float(t, "4.2"), MAX_TRUTH, "true b"),
    "noise": lambda t: _nonnegative(_within(_parse_float(t, "0.01"), MAX_TRUTH, "noise σ"), "noise σ"),
    "data_seed": lambda t: _parse_int(t, maximum=MAX_SEED),
    "x_name": lambda t: _identifier(t),
    "y_name": lambda t: _identifier(t),
    "csv_path": lambda t: t.strip(),
    "target": lambda t: t.strip(),
    "lr": lambda t: _positive(_parse_float(t, "0.03"), "learning rate", MAX_LR),
    "batch_size": lambda t: _parse_int(t, minimum=1, maximum=MAX_N),
    "epochs": lambda t: _parse_int(t, minimum=1, maximum=MAX_EPOCHS),
    "optimizer": lambda t: _choice(t, OPTIMIZERS),
    "momentum": lambda t: _unit_interval(_parse_float(t, "0.9")),
    "loss": lambda t: _choice(t, LOSSES),
    "huber_delta": lambda t: _positive(_parse_float(t, "1"), "δ", MAX_TRUTH),
    "init_std": lambda t: _nonnegative(_within(_parse_float(t, "0.01"), MAX_INIT_STD, "init std"), "init std"),
    "seed": lambda t: _parse_int(t, maximum=MAX_SEED),
    "model_name": lambda t: _identifier(t),
    "processes": lambda t: _parse_int(t, minimum=1, maximum=MAX_PROCESSES),
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
    if config.loss == "cross_entropy" and config.impl != "model":
        errors["loss"] = "cross-entropy needs impl model (a network with one output per class)"
    if config.processes > 1:
        if config.impl == "model" or config.data == "workspace":
            errors["processes"] = "several processes cannot see the workspace: use 1, or synthetic/CSV data"
    return errors


def parse_config(values: Mapping[str, str], base: TrainConfig | None = None) -> TrainConfig:
    """Build a config from text fields (missing ones keep ``base``); raise ConfigError listing every bad field.

    Cross-field problems are reported in the same error as unparsable fields (one round of fixes,
    not two), except for fields that are already wrong on their own.
    """
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {}  # Any: as in TrainConfig.with_changes
    for name, text in values.items():
        parser = _PARSERS.get(name)
        if parser is None:
            errors[name] = "unknown setting"
            continue
        try:
            changes[name] = parser(str(text))
        except ValueError as error:
            errors[name] = str(error)
    config = replace(base or TrainConfig(), **changes)
    for name, message in check_config(config).items():
        errors.setdefault(name, message)
    if errors:
        raise ConfigError(errors)
    return config


def parse_learning_rates(text: str) -> tuple[float, ...]:
    """``"0.001, 0.01 0.1"`` as learning rates (each > 0, at most 8); ValueError saying what is wrong."""
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p.strip()]
    if not parts:
        raise ValueError("give at least one learning rate, e.g. 0.01, 0.03, 0.1")
    if len(parts) > MAX_SWEEP:
        raise ValueError(f"at most {MAX_SWEEP} learning rates (the plot keeps {MAX_SWEEP} runs), got {len(parts)}")
    return tuple(_positive(_parse_float(p, "0.03"), "learning rate", MAX_LR) for p in parts)


def field_text(config: TrainConfig, name: str) -> str:
    """The text form of one field, as the form shows it."""
    value = getattr(config, name)
    if name == "true_w":
        return ", ".join(f"{v:g}" for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)

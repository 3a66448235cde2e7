"""Preprocessing steps: small frozen dataclasses that check themselves, transform a frame, and render their code.

A step's fields are checked when it is made (exact types, enums, ranges: see
:mod:`tui_lab.core.data.fields`), so an ill-typed step cannot exist, whether it came from a
form or from a session file. Against a frame, a step first makes a :class:`Plan`: it resolves
its choices (``columns=None`` means "every numeric input column"), refuses what does not fit
with a :class:`StepError`, and names the literal values of the pandas call. From that one plan,
:meth:`Step.apply` calls pandas directly, and :meth:`Step.code` renders the same call from a
fixed template and those values as literals (:mod:`tui_lab.core.data.render`). The app runs
steps, never code; the tests run the rendered code and check it gives the same frames.
The code reads and rebinds ``data`` (the table) and ``target`` (a list of column names).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import pandas as pd

from tui_lab.core.data.fields import StepError, check_field_types
from tui_lab.core.data.query import FilterError, check_filter, unknown_columns
from tui_lab.core.data.render import render

__all__ = [
    "CAST_DTYPES", "FILL_METHODS", "CastColumn", "DropColumns", "DropMissing", "DropMostMissing", "FillMissing",
    "FilterRows", "OneHot", "Plan", "SetTarget", "SortRows", "Standardize", "Step", "StepError",
    "is_numeric_column", "numeric_inputs",
]  # fmt: skip

FILL_METHODS = ("mean", "median", "mode", "constant")
CAST_DTYPES = ("float32", "float64", "int64", "Int64", "bool", "str", "category")
DROP_HOW = ("any", "all")
AXES = (0, 1)
MAX_THRESH = 1_000_000_000
Target = tuple[str, ...]


def is_numeric_column(series: pd.Series) -> bool:
    """True for int/float columns (not bool, not text): holds on pandas 3, where text is ``str``."""
    dtype = series.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def numeric_inputs(frame: pd.DataFrame, target: Sequence[str]) -> list[str]:
    """The numeric columns that are not targets, in frame order."""
    return [c for c in frame.columns if c not in target and is_numeric_column(frame[c])]


def _require(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise StepError(f"No such column(s): {', '.join(map(str, missing))}.")
    if not columns:
        raise StepError("Choose at least one column.")


def _short(columns: Sequence[str] | None, empty: str = "numeric inputs") -> str:
    if not columns:
        return empty
    shown = ", ".join(map(str, columns[:3]))
    return shown + (f" +{len(columns) - 3}" if len(columns) > 3 else "")


def _names(columns: Sequence[object]) -> list[str]:
    return [str(c) for c in columns]


#: A plan's literals by template slot. Any: each step puts its own kinds of value in (column
#: lists, numbers, strings, None) and only that step's ``_transform`` reads them back.
PlanValues: TypeAlias = dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """What a step does to one frame: a fixed code template and the literal values it names."""

    template: str
    values: PlanValues


@dataclass(frozen=True)
class Step(ABC):
    """Base class: ``title`` for the pipeline list, ``plan`` for this frame, ``_transform`` to do it."""

    def __post_init__(self) -> None:
        check_field_types(self)
        self.check()

    def check(self) -> None:  # noqa: B027 (optional: only steps with enums or ranges override it)
        """Refuse field values outside their enum or range (types are checked before); raises StepError."""

    @abstractmethod
    def title(self) -> str:
        """One line for the pipeline list."""

    @abstractmethod
    def plan(self, frame: pd.DataFrame, target: Sequence[str]) -> Plan:
        """The step resolved against ``frame``; raises :class:`StepError` when it does not fit."""

    @abstractmethod
    def _transform(self, data: pd.DataFrame, target: Target, values: PlanValues) -> tuple[pd.DataFrame, Target]:
        """Do what the plan's template says, with its values, on ``data`` (a shallow copy, free to modify)."""

    def _run(self, frame: pd.DataFrame, target: Sequence[str], plan: Plan) -> tuple[pd.DataFrame, Target]:
        return self._transform(frame.copy(deep=False), tuple(target), plan.values)

    def apply(self, frame: pd.DataFrame, target: Sequence[str]) -> tuple[pd.DataFrame, Target]:
        """The frame and target after this step (``frame`` itself is left intact)."""
        return self._run(frame, target, self.plan(frame, target))

    def code(self, frame: pd.DataFrame, target: Sequence[str]) -> str:
        """The pandas statements that do what :meth:`apply` does, made of a template and literals."""
        plan = self.plan(frame, target)
        return render(plan.template, **plan.values)

    def run(self, frame: pd.DataFrame, target: Sequence[str]) -> tuple[pd.DataFrame, Target, str]:
        """:meth:`apply` and :meth:`code` from one plan: the new frame, the new target and the code."""
        plan = self.plan(frame, target)
        code = render(plan.template, **plan.values)
        data, new_target = self._run(frame, target, plan)
        return data, new_target, code


@dataclass(frozen=True)
class SetTarget(Step):
    """Split inputs from the target: ``target`` columns become ``y``, the rest ``X``."""

    columns: tuple[str, ...]

    def title(self) -> str:
        return f"target = {_short(self.columns, 'none')}"

    def plan(self, frame: pd.DataFrame, target: Sequence[str]) -> Plan:
        if self.columns:
            _require(frame, self.columns)
        return Plan("target = COLUMNS", {"COLUMNS": _names(self.columns)})

    def _transform(self, data: pd.DataFrame, target: Target, values: PlanValues) -> tuple[pd.DataFrame, Target]:
        return data, tuple(values["COLUMNS"])


@dataclass(frozen=True)
class FillMissing(Step):
    """Fill NaN with the column mean, median, mode or a constant."""

    method: str = "mean"
    columns: tuple[str, ...] | None = None
    constant: str = "0"

    def check(self) -> None:
        if self.method not in FILL_METHODS:
            raise StepError(f"Unknown fill method {self.method!r}; use one of {', '.join(FILL_METHODS)}.")

    def title(self) -> str:
        how = f"constant {self.constant!r}" if self.method == "constant" else self.method
        return f"fill NaN ({how}): {_short(self.columns)}"

    def plan(self, frame: pd.DataFrame, target: Sequence[str]) -> Plan:
        columns = list(self.columns) if self.columns else numeric_inputs(frame, target)
        if not columns:
            raise StepError("There are no numeric input columns to fill; choose columns explicitly.")
        _require(frame, columns)
        if self.method in ("mean", "median"):
            text = [str(c) for c in columns if not is_numeric_column(frame[c])]
            if text:
                raise StepError(
                    f"The {self.method} needs numbers, but {', '.join(text)} is not numeric: "
                    "fill it with the mode or a constant, or one-hot encode it."
                )
            template = "data = data.fillna(data[COLUMNS].mean())"
            if self.method == "median":
                template = "data = data.fillna(data[COLUMNS].median())"
            return Plan(template, {"COLUMNS": _names(columns)})
        if self.method == "mode":
            columns = [c for c in columns if frame[c].notna().any()]
            if not columns:
                raise StepError("Every chosen column is entirely NaN: there is no mode to fill with.")
            return Plan("data = data.fillna(data[COLUMNS].mode().iloc[0])", {"COLUMNS": _names(columns)})
        values = {str(c): self._constant_for(frame[c]) for c in columns}
        return Plan("data = data.fillna(VALUES)", {"VALUES": values})

    def _transform(self, data: pd.DataFrame, target: Target, values: PlanValues) -> tuple[pd.DataFrame, Target]:
        if self.method == "constant":
            return data.fillna(values["VALUES"]), target
        chosen = data[values["COLUMNS"]]
        if self.method == "mean":
            return data.fillna(chosen.mean()), target
        if self.method == "median":
            return data.fillna(chosen.median()), target
        return data.fillna(chosen.mode().iloc[0]), target

    def _constant_for(self, series: pd.Series) -> object:
        if not is_numeric_column(series):
            return self.constant
        text = self.constant.strip()
        for parse in (int, float):
            try:
                number = parse(text)
            except ValueError:
                continue
            if number != number or number in (float("inf"), float("-inf")):
                raise StepError(f"{series.name} is numeric; fill it with a finite number, not {self.constant!r}.")
            return number
        raise StepError(f"{series.name} is numeric; {self.constant!r} is not a number.")


@dataclass(frozen=True)
class DropMissing(Step):
    """``dropna`` with axis, how, thresh and subset."""

    axis: int = 0
    how: str = "any"
    thresh: int | None = None
    subset: tuple[str, ...] | None = None

    def check(self) -> None:
        if self.axis not in AXES:
            raise StepError("axis must be 0 (rows) or 1 (columns).")
        if self.how not in DROP_HOW:
            raise StepError("how must be 'any' or 'all'.")
        if self.thresh is not None and not 0 <= self.thresh <= MAX_THRESH:
            raise StepError(f"thresh must be between 0 and {MAX_THRESH:,}.")

    def title(self) -> str:
        what = "rows" if self.axis == 0 else "columns"
        rule = f"with < {self.thresh} values" if self.thresh is not None else f"with {self.how} NaN"
        scope = f" in {_short(self.subset)}" if self.subset else ""
        return f"drop {what} {rule}{scope}"

    def plan(self, frame: pd.DataFrame, target: Sequence[str]) -> Plan:
        options: dict[str, int | str | list[str]] = {"axis": self.axis}
        if self.thresh is not None:
            options["thresh"] = self.thresh
        else:
            options["how"] = self.how
        if self.subset:
            if self.axis == 0:
                _require(frame, self.subset)
            options["subset"] = _names(self.subset)
        return Plan("data = data.dropna(**OPTIONS)", {"OPTIONS": options})

    def _transform(self, data: pd.DataFrame, target: Target, values: PlanValues) -> tuple[pd.DataFrame, Target]:
        return data.dropna(**values["OPTIONS"]), target


@dataclass(frozen=True)
class DropMostMissing(Step):
    """The course's exercise: drop the row (or column) with the most missing values."""

    axis: int = 0

    def check(self) -> None:
        if self.axis not in AXES:
            raise StepError("axis must be 0 (rows) or 1 (columns).")

    def title(self) -> str:
        return f"drop the {'row' if self.axis == 0 else 'column'} with most NaN"

    def plan(self, frame: pd.DataFrame, target: Sequence[str]) -> Plan:
        if not frame.isna().to_numpy().any():
            raise StepError("No value is missing: there is nothing to drop.")
        if self.axis == 0:
            return Plan("data = data.drop(index=data.isna().sum(axis=1).idxmax())", {})
        return Plan("data = data.drop(columns=data.isna().sum().idxmax())", {})

    def _transform(self, data: pd.DataFrame, target: Target, values: PlanValues) -> tuple[pd.DataFrame, Target]:
        if self.axis == 0:
            return data.drop(index=data.isna().sum(axis=1).idxmax()), target
        return data.drop(columns=data.isna().sum().idxmax()), target


@dataclass(frozen=True)
class OneHot(Step):
    """``pd.get_dummies`` on chosen columns, with an optional NaN indicator column."""

    columns: tuple[str, ...]
    dummy_na: bool = True

    def title(self) -> str:
        return f"one-hot {_short(self.columns)}" + (" (+NaN)" if self.dummy_na else "")

    def plan(self, frame: pd.DataFrame, target: Sequence[str]) -> Plan:
        _require(frame, self.columns)
        clash = [c for c in self.columns if c in target]
        if clash:
            raise StepError(f"{', '.join(clash)} is the target; unset it as target before encoding it.")
        self._check_new_names(frame)
        template = "data = pd.get_dummies(data, columns=COLUMNS, dummy_na=DUMMY_NA)"
        return Plan(template, {"COLUMNS": _names(self.columns), "DUMMY_NA": self.dummy_na})

    def _transform(self, data: pd.DataFrame, target: Target, values: PlanValues) -> tuple[pd.DataFrame, Target]:
        return pd.get_dummies(data, columns=values["COLUMNS"], dummy_na=values["DUMMY_NA"]), target

    def _check_new_names(self, frame: pd.DataFrame) -> None:
        """Refuse when a new column's name (``a_x``) is already taken: pandas would make two of them."""
        taken = {str(c) for c in frame.columns if c not in self.columns}
        made: set[str] = set()
        for column in self.columns:
            levels = [str(v) for v in pd.unique(frame[column].dropna())] + (["nan"] if self.dummy_na else [])
            for level in levels:
                name = f"{column}_{level}"
                if name in taken or name in made:
                    where = "already exists" if name in taken else "would be made twice"
                    raise StepError(
                        f"One-hot of {column} would make a column {name}, which {where}; "
                        f"rename or drop {name} first (or encode one column at a time)."
                    )
                made.add(name)


@dataclass(frozen=True)
class Standardize(Step):
    """(x − mean) / std on numeric columns, as the course's Kaggle chapter does."""

    columns: tuple[str, ...] | None = None

    def title(self) -> str:
        return f"standardize {_short(self.columns)}"

    def plan(self, frame: pd.DataFrame, target: Sequence[str]) -> Plan:
        columns = list(self.columns) if self.columns else numeric_inputs(frame, target)
        if not columns:
            raise StepError("There are no numeric input columns to standardize.")
        _require(frame, columns)
        text = [str(c) for c in columns if not is_numeric_column(frame[c])]
        if text:
            raise StepError(f"Only numeric columns can be standardized; {', '.join(text)} is not numeric.")
        template = "cols = COLUMNS\ndata[cols] = data[cols].apply(lambda x: (x - x.mean()) / x.std())"
        return Plan(template, {"COLUMNS": _names(columns)})

    def _transform(self, data: pd.DataFrame, target: Target, values: PlanValues) -> tuple[pd.DataFrame, Target]:
        cols = values["COLUMNS"]
        data[cols] = data[cols].apply(lambda x: (x - x.mean()) / x.std())
        return data, target


@dataclass(frozen=True)
class DropColumns(Step):
    """Drop columns."""

    columns: tuple[str, ...]

    def title(self) -> str:
        return f"drop column {_short(self.columns)}"

    def plan(self, frame: pd.DataFrame, target: Sequence[str]) -> Plan:
        _require(frame, self.columns)
        clash = [c for c in self.columns if c in target]
        if clash:
            raise StepError(f"{', '.join(clash)} is the target; unset it as target before dropping it.")
        return Plan("data = data.drop(columns=COLUMNS)", {"COLUMNS": _names(self.columns)})

    def _transform(self, data: pd.DataFrame, target: Target, values: PlanValues) -> tuple[pd.DataFrame, Target]:
        return data.drop(columns=values["COLUMNS"]), target


@dataclass(frozen=True)
class CastColumn(Step):
    """Change one column's dtype."""

    column: str
    dtype: str

    def check(self) -> None:
        if self.dtype not in CAST_DTYPES:
            raise StepError(f"Unknown dtype {self.dtype!r}; use one of {', '.join(CAST_DTYPES)}.")

    def title(self) -> str:
        return f"cast {self.column} → {self.dtype}"

    def plan(self, frame: pd.DataFrame, target: Sequence[str]) -> Plan:
        _require(frame, [self.column])
        if self.dtype in ("int64", "bool") and frame[self.column].isna().any():
            hint = "Int64 (nullable)" if self.dtype == "int64" else "a fill step first"
            raise StepError(f"{self.column} holds NaN, which {self.dtype} cannot store; use {hint}.")
        return Plan("data = data.astype(DTYPES)", {"DTYPES": {self.column: self.dtype}})

    def _transform(self, data: pd.DataFrame, target: Target, values: PlanValues) -> tuple[pd.DataFrame, Target]:
        return data.astype(values["DTYPES"]), target


@dataclass(frozen=True)
class FilterRows(Step):
    """Keep the rows where an expression is true, e.g. ``Price > 130000`` or ``Alley.isna()``.

    The expression is user code by nature (``DataFrame.query``), so it must stay inside the
    grammar of :mod:`tui_lab.core.data.query`, and every name in it must be a column.
    """

    expression: str

    def check(self) -> None:
        try:
            check_filter(self.expression)
        except FilterError as error:
            raise StepError(str(error)) from None

    def title(self) -> str:
        return f"filter: {self.expression}"

    def plan(self, frame: pd.DataFrame, target: Sequence[str]) -> Plan:
        unknown = unknown_columns(check_filter(self.expression), frame.columns)
        if unknown:
            raise StepError(
                f"The filter reads {', '.join(unknown)}, which is not a column; "
                "backquote names with spaces: `Lot Area` > 5000."
            )
        return Plan("data = data.query(EXPRESSION, engine='python')", {"EXPRESSION": self.expression})

    def _transform(self, data: pd.DataFrame, target: Target, values: PlanValues) -> tuple[pd.DataFrame, Target]:
        return data.query(values["EXPRESSION"], engine="python"), target


@dataclass(frozen=True)
class SortRows(Step):
    """Sort rows by one column (stable, NaN last)."""

    column: str
    ascending: bool = True

    def title(self) -> str:
        return f"sort by {self.column} {'↑' if self.ascending else '↓'}"

    def plan(self, frame: pd.DataFrame, target: Sequence[str]) -> Plan:
        _require(frame, [self.column])
        template = "data = data.sort_values(COLUMN, ascending=ASCENDING, kind='stable')"
        return Plan(template, {"COLUMN": self.column, "ASCENDING": self.ascending})

    def _transform(self, data: pd.DataFrame, target: Target, values: PlanValues) -> tuple[pd.DataFrame, Target]:
        return data.sort_values(values["COLUMN"], ascending=values["ASCENDING"], kind="stable"), target

"""Preprocessing steps: each is a small frozen dataclass that checks itself and writes its pandas code.

A step never transforms a frame directly. It resolves its choices against the current frame
(``columns=None`` means "every numeric input column") and returns the exact pandas statements
that do the work; :mod:`tui_lab.core.data.pipeline` runs those statements. So the code view
shows precisely what was run, and running the exported script gives the same tensors.
The statements read and rebind ``data`` (the table) and ``target`` (a list of column names).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

FILL_METHODS = ("mean", "median", "mode", "constant")
CAST_DTYPES = ("float32", "float64", "int64", "Int64", "bool", "str", "category")


class StepError(Exception):
    """A step cannot apply to this frame; the message says why and what to do instead."""


def is_numeric_column(series: pd.Series) -> bool:
    """True for int/float columns (not bool, not text): holds on pandas 3, where text is ``str``."""
    dtype = series.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def numeric_inputs(frame: pd.DataFrame, target: Sequence[str]) -> list[str]:
    """The numeric columns that are not targets, in frame order."""
    return [c for c in frame.columns if c not in target and is_numeric_column(frame[c])]


def _names(columns: Sequence[str]) -> str:
    return "[" + ", ".join(repr(str(c)) for c in columns) + "]"


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


@dataclass(frozen=True)
class Step:
    """Base class: ``title`` for the pipeline list, ``code`` for the exact statements."""

    def title(self) -> str:
        raise NotImplementedError

    def code(self, frame: pd.DataFrame, target: Sequence[str]) -> str:
        """The pandas statements for this frame; raises :class:`StepError` when the step does not fit."""
        raise NotImplementedError


@dataclass(frozen=True)
class SetTarget(Step):
    """Split inputs from the target: ``target`` columns become ``y``, the rest ``X``."""

    columns: tuple[str, ...]

    def title(self) -> str:
        return f"target = {_short(self.columns, 'none')}"

    def code(self, frame: pd.DataFrame, target: Sequence[str]) -> str:
        if self.columns:
            _require(frame, self.columns)
        return f"target = {_names(self.columns)}"


@dataclass(frozen=True)
class FillMissing(Step):
    """Fill NaN with the column mean, median, mode or a constant."""

    method: str = "mean"
    columns: tuple[str, ...] | None = None
    constant: str = "0"

    def title(self) -> str:
        how = f"constant {self.constant!r}" if self.method == "constant" else self.method
        return f"fill NaN ({how}): {_short(self.columns)}"

    def code(self, frame: pd.DataFrame, target: Sequence[str]) -> str:
        if self.method not in FILL_METHODS:
            raise StepError(f"Unknown fill method {self.method!r}; use one of {', '.join(FILL_METHODS)}.")
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
            return f"data = data.fillna(data[{_names(columns)}].{self.method}())"
        if self.method == "mode":
            columns = [c for c in columns if frame[c].notna().any()]
            if not columns:
                raise StepError("Every chosen column is entirely NaN: there is no mode to fill with.")
            return f"data = data.fillna(data[{_names(columns)}].mode().iloc[0])"
        values = {str(c): self._constant_for(frame[c]) for c in columns}
        return f"data = data.fillna({values!r})"

    def _constant_for(self, series: pd.Series) -> object:
        if not is_numeric_column(series):
            return self.constant
        text = self.constant.strip()
        for parse in (int, float):
            try:
                return parse(text)
            except ValueError:
                continue
        raise StepError(f"{series.name} is numeric; {self.constant!r} is not a number.")


@dataclass(frozen=True)
class DropMissing(Step):
    """``dropna`` with axis, how, thresh and subset."""

    axis: int = 0
    how: str = "any"
    thresh: int | None = None
    subset: tuple[str, ...] | None = None

    def title(self) -> str:
        what = "rows" if self.axis == 0 else "columns"
        rule = f"with < {self.thresh} values" if self.thresh is not None else f"with {self.how} NaN"
        scope = f" in {_short(self.subset)}" if self.subset else ""
        return f"drop {what} {rule}{scope}"

    def code(self, frame: pd.DataFrame, target: Sequence[str]) -> str:
        if self.axis not in (0, 1):
            raise StepError("axis must be 0 (rows) or 1 (columns).")
        args = [f"axis={self.axis}"]
        if self.thresh is not None:
            if self.thresh < 0:
                raise StepError("thresh must be 0 or more.")
            args.append(f"thresh={self.thresh}")
        elif self.how in ("any", "all"):
            args.append(f"how={self.how!r}")
        else:
            raise StepError("how must be 'any' or 'all'.")
        if self.subset:
            if self.axis == 0:
                _require(frame, self.subset)
            args.append(f"subset={_names(self.subset)}")
        return f"data = data.dropna({', '.join(args)})"


@dataclass(frozen=True)
class DropMostMissing(Step):
    """The course's exercise: drop the row (or column) with the most missing values."""

    axis: int = 0

    def title(self) -> str:
        return f"drop the {'row' if self.axis == 0 else 'column'} with most NaN"

    def code(self, frame: pd.DataFrame, target: Sequence[str]) -> str:
        if not frame.isna().to_numpy().any():
            raise StepError("No value is missing: there is nothing to drop.")
        if self.axis == 0:
            return "data = data.drop(index=data.isna().sum(axis=1).idxmax())"
        return "data = data.drop(columns=data.isna().sum().idxmax())"


@dataclass(frozen=True)
class OneHot(Step):
    """``pd.get_dummies`` on chosen columns, with an optional NaN indicator column."""

    columns: tuple[str, ...]
    dummy_na: bool = True

    def title(self) -> str:
        return f"one-hot {_short(self.columns)}" + (" (+NaN)" if self.dummy_na else "")

    def code(self, frame: pd.DataFrame, target: Sequence[str]) -> str:
        _require(frame, self.columns)
        clash = [c for c in self.columns if c in target]
        if clash:
            raise StepError(f"{', '.join(clash)} is the target; unset it as target before encoding it.")
        self._check_new_names(frame)
        return f"data = pd.get_dummies(data, columns={_names(self.columns)}, dummy_na={self.dummy_na})"

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

    def code(self, frame: pd.DataFrame, target: Sequence[str]) -> str:
        columns = list(self.columns) if self.columns else numeric_inputs(frame, target)
        if not columns:
            raise StepError("There are no numeric input columns to standardize.")
        _require(frame, columns)
        text = [str(c) for c in columns if not is_numeric_column(frame[c])]
        if text:
            raise StepError(f"Only numeric columns can be standardized; {', '.join(text)} is not numeric.")
        return f"cols = {_names(columns)}\ndata[cols] = data[cols].apply(lambda x: (x - x.mean()) / x.std())"


@dataclass(frozen=True)
class DropColumns(Step):
    """Drop columns."""

    columns: tuple[str, ...]

    def title(self) -> str:
        return f"drop column {_short(self.columns)}"

    def code(self, frame: pd.DataFrame, target: Sequence[str]) -> str:
        _require(frame, self.columns)
        clash = [c for c in self.columns if c in target]
        if clash:
            raise StepError(f"{', '.join(clash)} is the target; unset it as target before dropping it.")
        return f"data = data.drop(columns={_names(self.columns)})"


@dataclass(frozen=True)
class CastColumn(Step):
    """Change one column's dtype."""

    column: str
    dtype: str

    def title(self) -> str:
        return f"cast {self.column} → {self.dtype}"

    def code(self, frame: pd.DataFrame, target: Sequence[str]) -> str:
        _require(frame, [self.column])
        if self.dtype not in CAST_DTYPES:
            raise StepError(f"Unknown dtype {self.dtype!r}; use one of {', '.join(CAST_DTYPES)}.")
        if self.dtype in ("int64", "bool") and frame[self.column].isna().any():
            hint = "Int64 (nullable)" if self.dtype == "int64" else "a fill step first"
            raise StepError(f"{self.column} holds NaN, which {self.dtype} cannot store; use {hint}.")
        return f"data = data.astype({{{str(self.column)!r}: {self.dtype!r}}})"


@dataclass(frozen=True)
class FilterRows(Step):
    """Keep the rows where a pandas expression is true, e.g. ``Price > 130000`` or ``Alley.isna()``."""

    expression: str

    def title(self) -> str:
        return f"filter: {self.expression}"

    def code(self, frame: pd.DataFrame, target: Sequence[str]) -> str:
        if not self.expression.strip():
            raise StepError("Type an expression, e.g. Price > 130000 or Alley.isna().")
        problem = filter_syntax_error(self.expression)
        if problem is not None:
            raise StepError(problem)
        return f"data = data.query({self.expression!r}, engine='python')"


def filter_syntax_error(expression: str) -> str | None:
    """A message pointing at the column of a syntax error in ``expression`` (1-based), or None."""
    # pandas lets `backquoted names` hold spaces; stand each in by a name of the same length,
    # so the error's column is the column in what the user typed.
    checked = re.sub(r"`[^`]*`", lambda match: "_" * len(match.group()), expression)
    try:
        compile(checked, "<filter>", "eval")
    except SyntaxError as error:
        offset = error.offset or 0
        if offset < 1 or offset > len(expression):
            where = "at the end (the expression stops too early)"
        else:
            where = f"at column {offset} ({expression[offset - 1]!r})"
        return f"Syntax error in filter {where}: {error.msg}."
    return None


@dataclass(frozen=True)
class SortRows(Step):
    """Sort rows by one column (stable, NaN last)."""

    column: str
    ascending: bool = True

    def title(self) -> str:
        return f"sort by {self.column} {'↑' if self.ascending else '↓'}"

    def code(self, frame: pd.DataFrame, target: Sequence[str]) -> str:
        _require(frame, [self.column])
        return f"data = data.sort_values({str(self.column)!r}, ascending={self.ascending}, kind='stable')"

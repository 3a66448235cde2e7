"""DataFrames and Series as a typed column store: one ``.npy`` per numeric column, JSON for text.

Why not pickle, Parquet or CSV (see docs/sessions.md): pickle runs code on load; Parquet needs
pyarrow (55 MB, and installing it switches pandas 3's string columns to Arrow storage for every
pane); CSV turns floats into text and loses dtypes. Here each column keeps its exact dtype and
bits: numbers, bools, datetimes and pandas' nullable types go to ``np.save(allow_pickle=False)``
(plus a mask), text goes to JSON, categoricals to codes plus their categories, and the index
and column labels are stored the same way. Anything else raises :class:`UnsupportedValue`,
which the caller turns into a "not saved" entry with that reason.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Literal, overload

import numpy as np
import pandas as pd

from tui_lab.core.session.schema import (
    CategoryColumn,
    ColumnSpec,
    FrameSpec,
    MaskedColumn,
    NumpyColumn,
    RangeColumn,
    TextColumn,
)

Arrays = dict[str, np.ndarray]
NUMPY_KINDS = "biufcmM"
#: Scalar types a text/object column, a label or a name may hold.
PLAIN = (str, int, float, bool, type(None))


class UnsupportedValue(ValueError):
    """A value (or one of its columns) has no safe encoding; ``str()`` says which and why."""


def _plain(value: object, what: str) -> str | int | float | bool | None:
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, PLAIN):
        raise UnsupportedValue(f"{what} holds a {type(value).__name__}, which is not saved")
    return value


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def encode_array(values: pd.Series | pd.Index, key: str, arrays: Arrays) -> ColumnSpec:
    """The spec of one column or index; its arrays are added to ``arrays`` under names starting with ``key``."""
    name = _plain(values.name, "a name")
    dtype = values.dtype
    if isinstance(values, pd.RangeIndex):
        return RangeColumn(start=values.start, stop=values.stop, step=values.step, name=name)
    if isinstance(dtype, pd.CategoricalDtype):
        cat = values.array if isinstance(values, pd.Series) else values.values
        arrays[f"{key}.codes"] = np.asarray(cat.codes)
        categories = encode_array(pd.Index(dtype.categories), f"{key}.cat", arrays)
        if isinstance(categories, CategoryColumn):
            raise UnsupportedValue(f"column {name!r} has categories that are themselves categorical")
        return CategoryColumn(ordered=bool(dtype.ordered), categories=categories, name=name)
    if isinstance(dtype, np.dtype) and dtype.kind in NUMPY_KINDS:
        arrays[key] = values.to_numpy()
        return NumpyColumn(dtype=str(dtype), name=name)
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and numpy_dtype is not None and numpy_dtype.kind in "biuf":
        mask = values.isna()
        arrays[f"{key}.mask"] = np.asarray(mask, dtype=bool)
        fill = False if numpy_dtype.kind == "b" else 0
        arrays[key] = values.to_numpy(dtype=numpy_dtype, na_value=fill)
        return MaskedColumn(dtype=str(dtype), name=name)
    if isinstance(dtype, pd.StringDtype) or (isinstance(dtype, np.dtype) and dtype.kind == "O"):
        items = [None if _missing(v) and not isinstance(v, float) else _plain(v, f"column {name!r}") for v in values]
        if isinstance(dtype, pd.StringDtype):
            items = [None if _missing(v) else v for v in items]
        return TextColumn(dtype=str(dtype), values=tuple(items), name=name)
    raise UnsupportedValue(f"column {name!r} has dtype {dtype}, which is not saved")


def _dtype(text: str) -> np.dtype | pd.api.extensions.ExtensionDtype:
    """A dtype named in a spec, resolved by pandas (ValueError/TypeError for an unknown one)."""
    return pd.api.types.pandas_dtype(text)


@overload
def decode_array(
    spec: ColumnSpec, key: str, load: Callable[[str], np.ndarray], *, index: Literal[True]
) -> pd.Index: ...
@overload
def decode_array(
    spec: ColumnSpec, key: str, load: Callable[[str], np.ndarray], *, index: Literal[False]
) -> pd.Series: ...
def decode_array(spec: ColumnSpec, key: str, load: Callable[[str], np.ndarray], *, index: bool) -> pd.Index | pd.Series:
    """A Series (or an Index when ``index``) from :func:`encode_array`'s spec and arrays."""
    name = spec.name
    if isinstance(spec, RangeColumn):
        return pd.RangeIndex(spec.start, spec.stop, spec.step, name=name)
    if isinstance(spec, CategoryColumn):
        categories = decode_array(spec.categories, f"{key}.cat", load, index=True)
        values: np.ndarray | pd.Categorical | pd.api.extensions.ExtensionArray = pd.Categorical.from_codes(
            load(f"{key}.codes"), categories=categories, ordered=spec.ordered
        )
    elif isinstance(spec, NumpyColumn):
        values = load(key)
        if str(values.dtype) != spec.dtype:
            raise UnsupportedValue(f"stored dtype {values.dtype} does not match {spec.dtype}")
    elif isinstance(spec, MaskedColumn):
        values = pd.array(load(key), dtype=_dtype(spec.dtype))
        mask = load(f"{key}.mask")
        if mask.dtype != bool or mask.shape != values.shape:
            raise UnsupportedValue("a nullable column's mask does not fit its values")
        values[mask] = pd.NA
    else:
        items = list(spec.values)
        if spec.dtype == "object":
            values = np.array(items + [None], dtype=object)[:-1]
        else:
            values = pd.array(items, dtype=_dtype(spec.dtype))
    keep = {"dtype": object} if isinstance(spec, TextColumn) and spec.dtype == "object" else {}
    return pd.Index(values, name=name, **keep) if index else pd.Series(values, name=name, **keep)


def encode_frame(value: pd.DataFrame | pd.Series, arrays: Arrays) -> FrameSpec:
    """The spec of a DataFrame or Series; its arrays are added to ``arrays``."""
    if isinstance(value, pd.Series):
        return FrameSpec(series=encode_array(value, "v", arrays), index=encode_array(value.index, "i", arrays))
    if isinstance(value.columns, pd.MultiIndex) or isinstance(value.index, pd.MultiIndex):
        raise UnsupportedValue("MultiIndex frames are not saved")
    columns = tuple(encode_array(value.iloc[:, i], f"c{i}", arrays) for i in range(value.shape[1]))
    attrs = json.loads(json.dumps(value.attrs, default=lambda _: None)) if value.attrs else {}
    return FrameSpec(
        columns=columns, labels=encode_array(value.columns, "l", arrays), index=encode_array(value.index, "i", arrays),
        attrs=attrs,
    )  # fmt: skip


def decode_frame(spec: FrameSpec, load: Callable[[str], np.ndarray]) -> pd.DataFrame | pd.Series:
    """A DataFrame or Series from :func:`encode_frame`'s spec; :class:`UnsupportedValue` on bad input."""
    try:
        index = decode_array(spec.index, "i", load, index=True)
        if spec.series is not None:
            series = decode_array(spec.series, "v", load, index=False)
            series.index = index
            return series
        assert spec.labels is not None and spec.columns is not None  # the schema checked it
        labels = decode_array(spec.labels, "l", load, index=True)
        columns = [decode_array(c, f"c{i}", load, index=False) for i, c in enumerate(spec.columns)]
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, UnsupportedValue):
            raise
        raise UnsupportedValue(f"the frame's description does not fit its arrays ({error})") from None
    if len(labels) != len(columns):
        raise UnsupportedValue("the frame's labels do not match its columns")
    frame = pd.DataFrame(dict(enumerate(columns)), index=None if columns else index)
    if columns:
        frame.index = index
    frame.columns = labels
    frame.attrs.update(spec.attrs)
    return frame

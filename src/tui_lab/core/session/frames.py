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
from typing import Any

import numpy as np
import pandas as pd

Arrays = dict[str, np.ndarray]
NUMPY_KINDS = "biufcmM"
#: Scalar types a text/object column, a label or a name may hold.
PLAIN = (str, int, float, bool, type(None))


class UnsupportedValue(ValueError):
    """A value (or one of its columns) has no safe encoding; ``str()`` says which and why."""


def _plain(value: Any, what: str) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, PLAIN):
        raise UnsupportedValue(f"{what} holds a {type(value).__name__}, which is not saved")
    return value


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def encode_array(values: pd.Series | pd.Index, key: str, arrays: Arrays) -> dict[str, Any]:
    """The spec of one column or index; its arrays are added to ``arrays`` under names starting with ``key``."""
    name = _plain(values.name, "a name")
    dtype = values.dtype
    if isinstance(values, pd.RangeIndex):
        return {"kind": "range", "start": values.start, "stop": values.stop, "step": values.step, "name": name}
    if isinstance(dtype, pd.CategoricalDtype):
        cat = values.array if isinstance(values, pd.Series) else values.values
        arrays[f"{key}.codes"] = np.asarray(cat.codes)
        categories = encode_array(pd.Index(dtype.categories), f"{key}.cat", arrays)
        return {"kind": "category", "ordered": bool(dtype.ordered), "categories": categories, "name": name}
    if isinstance(dtype, np.dtype) and dtype.kind in NUMPY_KINDS:
        arrays[key] = values.to_numpy()
        return {"kind": "numpy", "dtype": str(dtype), "name": name}
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and numpy_dtype is not None and numpy_dtype.kind in "biuf":
        mask = values.isna()
        arrays[f"{key}.mask"] = np.asarray(mask, dtype=bool)
        fill = False if numpy_dtype.kind == "b" else 0
        arrays[key] = values.to_numpy(dtype=numpy_dtype, na_value=fill)
        return {"kind": "masked", "dtype": str(dtype), "name": name}
    if isinstance(dtype, pd.StringDtype) or (isinstance(dtype, np.dtype) and dtype.kind == "O"):
        items = [None if _missing(v) and not isinstance(v, float) else _plain(v, f"column {name!r}") for v in values]
        if isinstance(dtype, pd.StringDtype):
            items = [None if _missing(v) else v for v in items]
        return {"kind": "text", "dtype": str(dtype), "values": items, "name": name}
    raise UnsupportedValue(f"column {name!r} has dtype {dtype}, which is not saved")


def decode_array(spec: dict[str, Any], key: str, load: Callable[[str], np.ndarray], *, index: bool) -> Any:
    """A Series (or an Index when ``index``) from :func:`encode_array`'s spec and arrays."""
    kind, name = spec.get("kind"), spec.get("name")
    if kind == "range":
        return pd.RangeIndex(int(spec["start"]), int(spec["stop"]), int(spec["step"]), name=name)
    if kind == "category":
        categories = decode_array(spec["categories"], f"{key}.cat", load, index=True)
        values: Any = pd.Categorical.from_codes(load(f"{key}.codes"), categories=categories, ordered=spec["ordered"])
    elif kind == "numpy":
        values = load(key)
        if str(values.dtype) != spec["dtype"]:
            raise UnsupportedValue(f"stored dtype {values.dtype} does not match {spec['dtype']}")
    elif kind == "masked":
        values = pd.array(load(key), dtype=str(spec["dtype"]))
        mask = load(f"{key}.mask")
        if mask.dtype != bool or mask.shape != values.shape:
            raise UnsupportedValue("a nullable column's mask does not fit its values")
        values[mask] = pd.NA
    elif kind == "text":
        items = spec["values"]
        if not isinstance(items, list) or not all(isinstance(v, PLAIN) for v in items):
            raise UnsupportedValue("a text column holds something other than text and numbers")
        dtype = str(spec["dtype"])
        values = pd.array(items, dtype=dtype) if dtype != "object" else np.array(items + [None], dtype=object)[:-1]
    else:
        raise UnsupportedValue(f"unknown column kind {kind!r}")
    keep = {"dtype": object} if kind == "text" and spec["dtype"] == "object" else {}
    return pd.Index(values, name=name, **keep) if index else pd.Series(values, name=name, **keep)


def encode_frame(value: pd.DataFrame | pd.Series, arrays: Arrays) -> dict[str, Any]:
    """The JSON spec of a DataFrame or Series; its arrays are added to ``arrays``."""
    if isinstance(value, pd.Series):
        return {"series": encode_array(value, "v", arrays), "index": encode_array(value.index, "i", arrays)}
    if isinstance(value.columns, pd.MultiIndex) or isinstance(value.index, pd.MultiIndex):
        raise UnsupportedValue("MultiIndex frames are not saved")
    columns = [encode_array(value.iloc[:, i], f"c{i}", arrays) for i in range(value.shape[1])]
    spec = {"columns": columns, "labels": encode_array(value.columns, "l", arrays)}
    spec["index"] = encode_array(value.index, "i", arrays)
    spec["attrs"] = json.loads(json.dumps(value.attrs, default=lambda _: None)) if value.attrs else {}
    return spec


def decode_frame(spec: dict[str, Any], load: Callable[[str], np.ndarray]) -> pd.DataFrame | pd.Series:
    """A DataFrame or Series from :func:`encode_frame`'s spec; :class:`UnsupportedValue` on bad input."""
    try:
        index = decode_array(spec["index"], "i", load, index=True)
        if "series" in spec:
            series = decode_array(spec["series"], "v", load, index=False)
            series.index = index
            return series
        labels = decode_array(spec["labels"], "l", load, index=True)
        columns = [decode_array(c, f"c{i}", load, index=False) for i, c in enumerate(spec["columns"])]
    except (KeyError, TypeError) as error:
        raise UnsupportedValue(f"the frame's description is incomplete ({error})") from None
    if len(labels) != len(columns):
        raise UnsupportedValue("the frame's labels do not match its columns")
    frame = pd.DataFrame(dict(enumerate(columns)), index=None if columns else index)
    if columns:
        frame.index = index
    frame.columns = labels
    if isinstance(spec.get("attrs"), dict):
        frame.attrs.update(spec["attrs"])
    return frame

"""The first rows of a big CSV, read with the stdlib ``csv`` module only, for an instant preview.

Importing pandas takes about half a second, and longer while torch imports in another thread;
this module needs neither, so the Data pane shows the first rows of a big file almost at once,
then swaps in the real table (with dtypes) when pandas has read it.
"""

from __future__ import annotations

import csv
import os
import stat
from dataclasses import dataclass

from tui_lab.core.data.sniff import allow_long_fields

#: Files smaller than this load in well under a second; they get no stdlib preview.
PREVIEW_MIN_BYTES = 8 * 1024 * 1024
#: pandas' default missing-value markers (the ones a CSV preview is likely to meet).
NA_TEXTS = frozenset(["", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "null", "NULL", "None", "#N/A", "<NA>"])


@dataclass(frozen=True)
class RowsPreview:
    """Header, the first rows as text, and per column whether every value looks like a number."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]


def _looks_numeric(values: list[str]) -> bool:
    seen = False
    for value in values:
        if value in NA_TEXTS:
            continue
        try:
            float(value)
        except ValueError:
            return False
        seen = True
    return seen


def read_preview(path: str | os.PathLike[str], rows: int = 200, encoding: str = "utf-8") -> RowsPreview | None:
    """The first ``rows`` records of ``path``, or None when it is small, special, unreadable or not plain CSV text.

    Compressed files give None (their bytes do not decode); a FIFO or device is never opened.
    """
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size < PREVIEW_MIN_BYTES:
            return None
        allow_long_fields()
        with open(path, encoding=encoding, newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if not header or any("\x00" in name for name in header):
                return None
            width = len(header)
            records: list[tuple[str, ...]] = []
            for record in reader:
                if len(records) >= rows:
                    break
                records.append(tuple((record + [""] * width)[:width]))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    if not records:
        return None
    numeric = tuple(_looks_numeric([r[j] for r in records]) for j in range(width))
    return RowsPreview(tuple(header), tuple(records), numeric)

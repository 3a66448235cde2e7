"""A column profile: dtype, counts, missing, unique; numeric stats or the top categories."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tui_lab.core.data.steps import is_numeric_column


@dataclass(frozen=True)
class ColumnProfile:
    """Everything the profile panel shows for one column."""

    name: str
    dtype: str
    count: int
    missing: int
    unique: int
    numeric: bool
    mean: float | None = None
    std: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    top: tuple[tuple[str, int], ...] = ()

    @property
    def rows(self) -> int:
        return self.count + self.missing

    @property
    def missing_percent(self) -> float:
        return 100.0 * self.missing / self.rows if self.rows else 0.0

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) pairs for display."""
        out = [
            ("dtype", self.dtype),
            ("count", f"{self.count:,}"),
            ("missing", f"{self.missing:,} ({self.missing_percent:.1f}%)"),
            ("unique", f"{self.unique:,}"),
        ]
        if self.numeric:
            for label, stat in (("mean", self.mean), ("std", self.std), ("min", self.minimum), ("max", self.maximum)):
                out.append((label, "NaN" if stat is None or stat != stat else f"{stat:.6g}"))
        for category, count in self.top:
            out.append((f"  {category}", f"{count:,}"))
        return out


def profile_column(series: pd.Series, top: int = 5) -> ColumnProfile:
    """Profile one column (a single pass for the counts, value_counts for text)."""
    missing = int(series.isna().sum())
    count = len(series) - missing
    unique = int(series.nunique(dropna=True))
    name, dtype = str(series.name), str(series.dtype)
    if is_numeric_column(series):
        values = series.astype("float64")
        stats = (values.mean(), values.std(), values.min(), values.max()) if count else (None,) * 4
        mean, std, minimum, maximum = (None if v is None else float(v) for v in stats)
        return ColumnProfile(name, dtype, count, missing, unique, True, mean, std, minimum, maximum)
    counts = series.value_counts(dropna=True).head(top)
    pairs = tuple((str(value), int(n)) for value, n in counts.items())
    return ColumnProfile(name, dtype, count, missing, unique, False, top=pairs)

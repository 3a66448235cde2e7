"""The filter grammar: what pandas' query would run is refused unless it is columns, literals and allowed methods."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.core.data.scripts import working_directory
from tui_lab.core.data.pipeline import Pipeline
from tui_lab.core.data.query import COLUMN_METHODS, STR_METHODS, FilterError, check_filter
from tui_lab.core.data.steps import FilterRows, StepError

FRAME = pd.DataFrame(
    {
        "Price": [127500, 106000, 178100, 140000],
        "Alley": ["Pave", None, "Grvl", None],
        "Lot Area": [1.0, 9.0, 3.0, np.nan],
        "data": [1, 2, 3, 4],  # a column named like the code's own variables
        "prix é": [1, 2, 3, 4],
    }
)


def kept(expression: str) -> list[int]:
    pipeline = Pipeline(Path("f.csv"), FRAME)
    return pipeline.apply(FilterRows(expression)).frame.index.tolist()


@pytest.mark.parametrize(
    ("expression", "rows"),
    [
        ("Price > 130000", [2, 3]),
        ("Alley.isna()", [1, 3]),
        ("Alley.notna() and Price < 150000", [0]),
        ("`Lot Area` >= 3 | Alley.isnull()", [1, 2, 3]),
        ("Alley in ['Pave', 'Grvl']", [0, 2]),
        ("Alley not in ('Pave',)", [1, 2, 3]),
        ("Price.isin([106000, -1, 2.5])", [1]),
        ("Price.between(100000, 140000, inclusive='left')", [0, 1]),
        ("Alley.str.startswith('P', na=False)", [0]),
        ("Alley.str.contains('rv', regex=False, na=False)", [2]),
        ("Alley.str.lower() == 'pave'", [0]),
        ("Alley.str.len() == 4", [0, 2]),
        ("100000 < Price < 130000", [0, 1]),
        ("-Price < -150000", [2]),
        ("~(Price % 3 == 0) or data == 4", [1, 2, 3]),
        ("(Price / 1000 - 100).abs() < 10", [1]),
        ("data > 2", [2, 3]),
        ("`prix é` == 1", [0]),
        ("not Price > 130000", [0, 1]),
    ],
)
def test_the_grammar_keeps_what_people_filter_with(expression: str, rows: list[int]) -> None:
    assert kept(expression) == rows == FRAME.query(expression, engine="python").index.tolist()


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os').system('touch PWNED')", "system is not an allowed column method"),
        ("Price.to_csv('PWNED')", "Price.to_csv\\('PWNED'\\)\" \\(column 1\\): to_csv is not an allowed"),
        ("Alley.str.cat(Alley)", "cat is not an allowed .str method"),
        ("Price.__class__.__init__.__globals__", "an attribute is allowed only as a method call"),
        ("Price.values > 1", "'Price.values' \\(column 1\\): an attribute is allowed only"),
        ("@secret == 1", "Syntax error in filter at column 1"),
        ("Price @ Price", "that operator is not part of a filter"),
        ("Price ** 9999999 > 1", "that operator is not part of a filter"),
        ("Alley * 1000000000 == 'x'", None),  # allowed by the grammar; a number column is not text
        ("'x' * 1000000000 == Alley", "'x'.*arithmetic on text"),
        ("Price[0] > 1", "indexing with"),
        ("(lambda: 1)() == 1", "only column methods can be called"),
        ("Price.isin([Price])", "method arguments and list items must be literals"),
        ("Price.isin(Price.to_csv('x'))", "method arguments and list items must be literals"),
        ("Price.between(1, 2, foo=1)", "between takes only these keywords: inclusive"),
        ("Price.isin(*[1])", "method arguments"),
        ("f'{Price}' == 'x'", "an f-string"),
        ("[c for c in Price] == 1", "a comprehension"),
        ("Price > 1\nimport os", "control character at column 10"),
        ("Price > '\\x41'", "backslash"),
        ("'`' + Price.to_csv('x') + '`' == 1", "arithmetic on text"),
        ("'''a'`b`''' == Alley", "must stand alone, outside any string"),
        ("`Lot``Area` > 1", "holds a backquote or a quote"),
        ("`a'b` > 1", "holds a backquote or a quote"),
        ("`Price > 1", "never closed"),
        ("Price`Lot Area` > 1", "a backquoted name must stand alone"),
        ("-" * 60 + "Price", "nested more than"),
        ("x" * 1001, "at most 1,000"),
        ("   ", "Type an expression"),
    ],
)
def test_everything_else_is_refused_pointing_at_the_part(expression: str, message: str | None, tmp_path: Path) -> None:
    with working_directory(tmp_path):
        if message is None:
            check_filter(expression)
            return
        with pytest.raises(FilterError, match=message):
            check_filter(expression)
        with pytest.raises(StepError, match=message):
            FilterRows(expression)
    assert list(tmp_path.iterdir()) == []


def test_names_must_be_columns_so_pandas_never_looks_elsewhere(tmp_path: Path) -> None:
    pipeline = Pipeline(Path("f.csv"), FRAME)
    for expression in ("frame.isna().any()", "pd.notna(Price)", "values == 1", "index > 0", "Nope > 1"):
        with pytest.raises(StepError):
            pipeline.apply(FilterRows(expression))
    with pytest.raises(StepError, match="The filter reads Nope, index, which is not a column"):
        pipeline.apply(FilterRows("Nope > 1 and index > 0"))
    assert pipeline.applied == []


def test_the_columns_a_filter_reads_are_named() -> None:
    checked = check_filter("`Lot Area` > 1 and Price.between(1, 2) or `Lot Area` < 0")
    assert checked.columns == ("Lot Area", "Price")


def test_the_allowlists_hold_no_method_that_writes_or_reaches_objects() -> None:
    for name in [*COLUMN_METHODS, *STR_METHODS]:
        assert not name.startswith("_") and not name.startswith("to_")
        assert name not in {"apply", "map", "pipe", "eval", "query", "agg", "transform", "cat", "format"}

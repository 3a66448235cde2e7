"""Property: for any stored value of any step field, decoding refuses, or gives a step that runs no code.

This is issue #20's "state never becomes code" as a hypothesis test. Every field of every step
type gets arbitrary JSON-ish values (hostile strings with quotes, newlines, ``)`` and
``__import__``, bools, ints, floats, None, lists, objects) or plausible ones (columns, enums,
filters). :func:`decode_step` either raises StepDecodeError, or the step's rendered code parses
to a tree of the allowed names and calls with literal arguments, applying the step creates no
file, and running its rendered code (in a temporary working directory) creates none either and
gives exactly the frame the step gave.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.core.data.scripts import assert_only_template_and_literals, working_directory
from tui_lab.core.data.pipeline import Pipeline
from tui_lab.core.data.step_schema import STEP_TYPES, StepDecodeError, decode_step
from tui_lab.core.data.steps import CAST_DTYPES, FILL_METHODS, SetTarget, Step, StepError

PAYLOADS = [
    "True); __import__('os').system('touch PWNED'); dict(a=1",
    "x'); open('PWNED', 'w'); ('",
    'a"""; open("PWNED", "w"); """',
    "a\nimport os; os.system('touch PWNED')",
    "__import__('os').system('touch PWNED')",
    "Price.to_csv('PWNED')",
    "NumRooms.to_csv('PWNED') > 0",
    "NumRooms.__class__.__init__.__globals__",
    "@os",
    "`x` + `y`",
    ")",
    "\\",
    "\x1b]52;c;UFdORUQ=\x07",
    "nan",
    "inf",
    "1e400",
    "",
]
HOSTILE_NUMBER = "x'); open('PWNED','w'); ('"
HOSTILE_TEXT = "a\nimport os; open('PWNED','w')"
FRAME = pd.DataFrame(
    {
        "NumRooms": [np.nan, 2.0, 4.0, np.nan],
        "Alley": ["Pave", None, None, "Grvl"],
        "Price": [127500, 106000, 178100, 140000],
        HOSTILE_NUMBER: [1.0, np.nan, 3.0, 4.0],
        HOSTILE_TEXT: ["u", "v", None, "u"],
    }
)
COLUMNS = [str(c) for c in FRAME.columns]
#: Filters that pandas' query would run as code: each writes a file or reaches objects.
HOSTILE_FILTERS = [
    "Price.to_csv('PWNED')",
    "NumRooms.to_csv('PWNED') > 0",
    "Alley.to_pickle('PWNED')",
    "NumRooms.__class__.__init__.__globals__['__builtins__']['open']('PWNED', 'w')",
    "@pd.DataFrame().to_csv('PWNED')",
    "'`' + Price.to_csv('PWNED') + '`' == 1",
]
FILTERS = [
    "Price > 130000",
    "Alley.isna()",
    "NumRooms.notna() and Price < 150000",
    "Alley.str.startswith('P', na=False)",
    "Price.isin([106000, 1])",
    "Price.between(1, 140000)",
    "Alley in ['Pave']",
    "Nope > 1",
]

texts = st.one_of(st.sampled_from(PAYLOADS + COLUMNS), st.text(max_size=20))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-2, 3), st.floats(allow_nan=True, allow_infinity=True), texts
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=2), max_leaves=4
)
some_columns = st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=3, unique=True)
column_lists = st.one_of(some_columns, some_columns, st.lists(st.one_of(st.sampled_from(COLUMNS), texts), max_size=3))
filter_text = st.text(alphabet="NumRoomsPriceAlley.()[]'\"`_ <>=!&|~@,0123456789isnaotn", max_size=30)
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "columns": column_lists,
    "subset": st.one_of(st.none(), column_lists),
    "column": st.one_of(st.sampled_from(COLUMNS), st.sampled_from(COLUMNS), texts),
    "method": st.sampled_from([*FILL_METHODS, *FILL_METHODS, "max", "__class__"]),
    "constant": st.one_of(st.sampled_from(["0", "-1.5", "1_000", "None", "nan"]), texts),
    "axis": st.sampled_from([0, 1, 0, 1, 2, -1, True]),
    "how": st.sampled_from(["any", "all", "any", "all", "some"]),
    "thresh": st.one_of(st.none(), st.integers(-1, 5), st.integers()),
    "dtype": st.sampled_from([*CAST_DTYPES, "object", "float16"]),
    "ascending": st.one_of(st.booleans(), st.booleans(), st.sampled_from(PAYLOADS[:1] + ["True", 1])),
    "dummy_na": st.one_of(st.booleans(), st.booleans(), st.sampled_from(PAYLOADS[:1] + ["False", 0])),
    "expression": st.one_of(st.sampled_from(FILTERS), st.sampled_from(HOSTILE_FILTERS + PAYLOADS), filter_text, texts),
}


@st.composite
def stored_fields(draw: st.DrawFn, type_name: str) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    for field in fields(STEP_TYPES[type_name]):
        if draw(st.integers(0, 9)) == 0:
            continue  # left out: the default, or a missing required field
        arbitrary = draw(st.integers(0, 4)) == 0
        stored[field.name] = draw(json_values if arbitrary else PLAUSIBLE[field.name])
    if draw(st.integers(0, 19)) == 0:
        stored[draw(st.sampled_from(["__class__", "code", "type"]))] = draw(json_values)
    return stored


def frames_equal(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left, right, check_exact=True)


@pytest.mark.parametrize("type_name", sorted(STEP_TYPES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), with_target=st.booleans())
def test_a_stored_step_is_refused_or_runs_no_code(type_name: str, data: st.DataObject, with_target: bool) -> None:
    values = data.draw(stored_fields(type_name))
    try:
        step = decode_step(type_name, values)
    except StepDecodeError:
        event("refused by the schema")
        return
    assert isinstance(step, Step)
    source = FRAME.copy(deep=True)
    pipeline = Pipeline(Path("house.csv"), source)
    if with_target:
        pipeline.apply(SetTarget(("Price",)))
    base, target = pipeline.frame, pipeline.target
    with tempfile.TemporaryDirectory() as folder, working_directory(folder):
        try:
            applied = pipeline.compute(step)
        except StepError:
            event(f"{type_name}: decoded, does not fit the frame")
            assert os.listdir(folder) == []
            frames_equal(source, FRAME)
            return
        assert os.listdir(folder) == []
        event(f"{type_name}: applied and rendered")
        assert_only_template_and_literals(applied.code)
        namespace: dict[str, Any] = {"pd": pd, "data": base.copy(deep=True), "target": list(target)}
        exec(
            compile(applied.code, "<rendered step>", "exec"), namespace
        )  # the tests run rendered code; the app never does
        assert os.listdir(folder) == []
    frames_equal(namespace["data"], applied.frame)
    assert tuple(namespace["target"]) == applied.target
    frames_equal(source, FRAME)  # the step left the frame it ran on intact


def test_plausible_values_reach_every_step_type() -> None:
    """Guard against a property test that only ever sees refusals: every type decodes and applies here."""
    examples = {
        "SetTarget": {"columns": ["Price"]},
        "FillMissing": {"method": "constant", "columns": [HOSTILE_NUMBER, HOSTILE_TEXT], "constant": "-1.5"},
        "DropMissing": {"axis": 0, "how": "all", "subset": [HOSTILE_NUMBER]},
        "DropMostMissing": {"axis": 1},
        "OneHot": {"columns": [HOSTILE_TEXT], "dummy_na": True},
        "Standardize": {"columns": [HOSTILE_NUMBER]},
        "DropColumns": {"columns": [HOSTILE_TEXT]},
        "CastColumn": {"column": HOSTILE_NUMBER, "dtype": "float32"},
        "FilterRows": {"expression": "Price > 130000"},
        "SortRows": {"column": HOSTILE_NUMBER, "ascending": False},
    }
    assert set(examples) == set(STEP_TYPES)
    for type_name, values in examples.items():
        applied = Pipeline(Path("house.csv"), FRAME).compute(decode_step(type_name, values))
        assert_only_template_and_literals(applied.code)
        assert not math.isnan(len(applied.frame))

"""Steps check their own fields, and the strict schema decodes only known steps with exact types."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import pytest

from tui_lab.core.data.step_schema import STEP_TYPES, StepDecodeError, decode_step, encode_step
from tui_lab.core.data.steps import (
    CastColumn,
    DropColumns,
    DropMissing,
    DropMostMissing,
    FillMissing,
    FilterRows,
    OneHot,
    SetTarget,
    SortRows,
    Standardize,
    Step,
    StepError,
)

EVERY_STEP: list[Step] = [
    SetTarget(("Price",)),
    SetTarget(()),
    FillMissing("constant", ("Alley",), "None"),
    FillMissing(),
    DropMissing(1, "all", 2, ("a", "b")),
    DropMostMissing(1),
    OneHot(("Alley",), False),
    Standardize(("NumRooms",)),
    Standardize(None),
    DropColumns(("a b",)),
    CastColumn("Price", "Int64"),
    FilterRows("`Lot Area` > 5000 and Alley.isna()"),
    SortRows("Price", False),
]


def test_every_step_class_is_in_the_schema() -> None:
    assert set(STEP_TYPES) == {type(step).__name__ for step in EVERY_STEP}


@pytest.mark.parametrize("step", EVERY_STEP, ids=repr)
def test_every_step_round_trips_through_json(step: Step) -> None:
    stored = json.loads(json.dumps(encode_step(step)))
    assert set(stored) == {"type", "fields"}
    assert set(stored["fields"]) == {f.name for f in fields(step)}
    assert decode_step(stored["type"], stored["fields"]) == step


@pytest.mark.parametrize(
    ("type_name", "stored", "message"),
    [
        ("Pipeline", {}, "unknown pipeline step 'Pipeline'"),
        ("Step", {}, "unknown pipeline step 'Step'"),
        (["SortRows"], {}, "unknown pipeline step"),
        ("SortRows", [["column", "a"]], "the fields should be an object"),
        ("SetTarget", {"columns": ["a"], "__class__": 1}, "SetTarget has no field '__class__'"),
        ("SortRows", {"ascending": True}, "missing required field `column`"),
        ("SortRows", {"column": "a", "ascending": "True"}, r"Expected `bool`, got `str` - at `\$.ascending`"),
        ("SortRows", {"column": "a", "ascending": 1}, "Expected `bool`, got `int`"),
        ("OneHot", {"columns": ["a"], "dummy_na": None}, "Expected `bool`, got `null`"),
        ("OneHot", {"columns": "a"}, "Expected `array`, got `str`"),
        ("OneHot", {"columns": ["a", 1]}, r"Expected `str`, got `int` - at `\$.columns\[1\]`"),
        ("DropMissing", {"axis": True}, "Expected `int`, got `bool`"),
        ("DropMissing", {"axis": 1.0}, "Expected `int`, got `float`"),
        ("DropMissing", {"axis": 2}, "axis must be 0 .rows. or 1 .columns."),
        ("DropMissing", {"how": "some"}, "how must be 'any' or 'all'"),
        ("DropMissing", {"thresh": -1}, "thresh must be between 0 and"),
        ("DropMissing", {"thresh": 2**80}, "thresh must be between 0 and"),
        ("DropMostMissing", {"axis": -1}, "axis must be 0"),
        ("FillMissing", {"method": "max"}, "Unknown fill method 'max'"),
        ("FillMissing", {"constant": 0}, "Expected `str`, got `int`"),
        ("CastColumn", {"column": "a", "dtype": "object"}, "Unknown dtype 'object'"),
        ("FilterRows", {"expression": "Price.to_csv('PWNED')"}, "to_csv is not an allowed column method"),
        ("FilterRows", {"expression": ""}, "Type an expression"),
    ],
)
def test_bad_stored_steps_are_refused_with_one_exception_and_a_clear_message(
    type_name: object, stored: Any, message: str
) -> None:
    with pytest.raises(StepDecodeError, match=message):
        decode_step(type_name, stored)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SortRows("a", "True"), "SortRows.ascending must be a bool, not str 'True'"),  # type: ignore[arg-type]
        (lambda: SortRows("a", 1), "SortRows.ascending must be a bool, not int 1"),  # type: ignore[arg-type]
        (lambda: OneHot(["a"]), "OneHot.columns must be a tuple of str, not list"),  # type: ignore[arg-type]
        (lambda: OneHot((b"a",)), "OneHot.columns must be a tuple of str, not tuple"),  # type: ignore[arg-type]
        (lambda: DropMissing(True), "DropMissing.axis must be an int, not bool"),
        (lambda: DropMissing(0, "any", 1.5), r"DropMissing.thresh must be an int, or None, not float"),  # type: ignore[arg-type]
        (lambda: Standardize(("a", None)), "Standardize.columns must be a tuple of str, or None"),  # type: ignore[arg-type]
        (lambda: CastColumn("a", "float16"), "Unknown dtype 'float16'"),
        (lambda: FillMissing("mode", None, 0), "FillMissing.constant must be a str, not int"),  # type: ignore[arg-type]
    ],
)
def test_an_ill_typed_step_cannot_be_made(make: Any, message: str) -> None:
    with pytest.raises(StepError, match=message):
        make()


def test_encode_refuses_a_step_outside_the_schema() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Rogue(SortRows):
        pass

    with pytest.raises(TypeError, match="not a stored pipeline step"):
        encode_step(Rogue("a"))

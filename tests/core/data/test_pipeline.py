"""Pipeline steps, undo/redo and before/after summaries, on the course's house_tiny and small frames."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tui_lab.core.data.load import load_csv
from tui_lab.core.data.pipeline import Pipeline
from tui_lab.core.data.steps import (
    CastColumn,
    DropColumns,
    DropMissing,
    DropMostMissing,
    FillMissing,
    FilterRows,
    OneHot,
    Plan,
    SetTarget,
    SortRows,
    Standardize,
    Step,
    StepError,
    is_numeric_column,
)

HOUSE_TINY = Path(__file__).resolve().parents[3] / "sample_data" / "house_tiny.csv"


@pytest.fixture
def tiny() -> Pipeline:
    loaded = load_csv(HOUSE_TINY)
    return Pipeline(loaded.path, loaded.frame, loaded.options)


def frame_pipeline(frame: pd.DataFrame) -> Pipeline:
    return Pipeline(Path("/nonexistent/frame.csv"), frame)


def test_numeric_detection_holds_on_pandas_3_text(tiny: Pipeline) -> None:
    frame = tiny.frame
    assert is_numeric_column(frame["NumRooms"]) and is_numeric_column(frame["Price"])
    assert not is_numeric_column(frame["Alley"])
    assert not is_numeric_column(pd.Series([True, False]))


def test_course_pipeline(tiny: Pipeline) -> None:
    tiny.apply(SetTarget(("Price",)))
    filled = tiny.apply(FillMissing("mean"))
    assert filled.code == "data = data.fillna(data[['NumRooms']].mean())"
    assert tiny.frame["NumRooms"].tolist() == [3.0, 2.0, 4.0, 3.0]
    assert filled.summary.nans_before == 5 and filled.summary.nans_after == 3
    encoded = tiny.apply(OneHot(("Alley",), dummy_na=True))
    assert list(tiny.frame.columns) == ["NumRooms", "Price", "Alley_Pave", "Alley_nan"]
    assert encoded.summary.columns_added == ("Alley_Pave", "Alley_nan")
    assert encoded.summary.columns_removed == ("Alley",)
    assert tiny.target == ("Price",)


def test_mean_on_a_text_column_is_refused_with_advice(tiny: Pipeline) -> None:
    with pytest.raises(StepError, match="Alley is not numeric.*mode or a constant"):
        tiny.apply(FillMissing("mean", ("NumRooms", "Alley")))
    assert tiny.applied == []


@pytest.mark.parametrize(
    ("method", "columns", "expected"),
    [
        ("median", None, [3.0, 2.0, 4.0, 3.0]),
        ("constant", ("NumRooms",), [-1.0, 2.0, 4.0, -1.0]),
    ],
)
def test_fill_variants(tiny: Pipeline, method: str, columns: tuple[str, ...] | None, expected: list[float]) -> None:
    tiny.apply(FillMissing(method, columns, constant="-1"))
    assert tiny.frame["NumRooms"].tolist() == expected


def test_fill_mode_and_constant_on_text(tiny: Pipeline) -> None:
    tiny.apply(FillMissing("mode", ("Alley",)))
    assert tiny.frame["Alley"].tolist() == ["Pave"] * 4
    tiny.undo()
    tiny.apply(FillMissing("constant", ("Alley",), constant="None"))
    assert tiny.frame["Alley"].tolist() == ["Pave", "None", "None", "None"]


def test_constant_must_be_a_number_for_numeric_columns(tiny: Pipeline) -> None:
    with pytest.raises(StepError, match="not a number"):
        tiny.apply(FillMissing("constant", ("NumRooms",), constant="abc"))


def test_dropna_variants() -> None:
    frame = pd.DataFrame({"a": [1.0, np.nan, np.nan, 4.0], "b": [1.0, np.nan, 3.0, 4.0], "c": [np.nan] * 4})
    pipeline = frame_pipeline(frame)
    assert len(pipeline.compute(DropMissing(0, "any")).frame) == 0
    assert pipeline.compute(DropMissing(0, "all")).frame.index.tolist() == [0, 2, 3]
    assert pipeline.compute(DropMissing(0, thresh=2)).frame.index.tolist() == [0, 3]
    assert pipeline.compute(DropMissing(0, "any", subset=("a",))).frame.index.tolist() == [0, 3]
    assert list(pipeline.compute(DropMissing(1, "all")).frame.columns) == ["a", "b"]
    assert list(pipeline.compute(DropMissing(1, "any")).frame.columns) == []
    with pytest.raises(StepError, match="how must be"):
        pipeline.compute(DropMissing(0, "some"))


def test_drop_the_row_and_the_column_with_most_missing(tiny: Pipeline) -> None:
    row = tiny.apply(DropMostMissing(0))
    assert tiny.frame.index.tolist() == [0, 1, 2]
    assert row.summary.rows_before - row.summary.rows_after == 1
    tiny.undo()
    tiny.apply(DropMostMissing(1))
    assert list(tiny.frame.columns) == ["NumRooms", "Price"]
    clean = frame_pipeline(pd.DataFrame({"a": [1, 2]}))
    with pytest.raises(StepError, match="nothing to drop"):
        clean.apply(DropMostMissing(0))


def test_standardize_numeric_inputs_only(tiny: Pipeline) -> None:
    tiny.apply(SetTarget(("Price",)))
    tiny.apply(FillMissing("mean"))
    tiny.apply(Standardize())
    values = tiny.frame["NumRooms"]
    assert values.mean() == pytest.approx(0.0)
    assert values.std() == pytest.approx(1.0)
    assert tiny.frame["Price"].tolist() == [127500, 106000, 178100, 140000]
    with pytest.raises(StepError, match="Alley is not numeric"):
        tiny.apply(Standardize(("Alley",)))


def test_drop_and_cast(tiny: Pipeline) -> None:
    tiny.apply(CastColumn("Price", "float32"))
    assert str(tiny.frame["Price"].dtype) == "float32"
    assert tiny.applied[-1].summary.dtype_changes == (("Price", "int64", "float32"),)
    with pytest.raises(StepError, match="NaN.*Int64"):
        tiny.apply(CastColumn("NumRooms", "int64"))
    tiny.apply(CastColumn("NumRooms", "Int64"))
    assert str(tiny.frame["NumRooms"].dtype) == "Int64"
    tiny.apply(DropColumns(("Alley",)))
    assert list(tiny.frame.columns) == ["NumRooms", "Price"]


def test_target_columns_are_protected(tiny: Pipeline) -> None:
    tiny.apply(SetTarget(("Price",)))
    with pytest.raises(StepError, match="target"):
        tiny.apply(DropColumns(("Price",)))
    with pytest.raises(StepError, match="target"):
        tiny.apply(OneHot(("Price",)))


def test_filter_and_sort(tiny: Pipeline) -> None:
    tiny.apply(FilterRows("Price > 130000"))
    assert tiny.frame["Price"].tolist() == [178100, 140000]
    tiny.undo()
    tiny.apply(FilterRows("Alley.isna()"))
    assert tiny.frame.index.tolist() == [1, 2, 3]
    tiny.apply(SortRows("Price", ascending=False))
    assert tiny.frame["Price"].tolist() == [178100, 140000, 106000]


def test_filter_errors_are_clear(tiny: Pipeline) -> None:
    with pytest.raises(StepError, match="Syntax error in filter"):
        tiny.apply(FilterRows("Price >"))
    with pytest.raises(StepError, match="The filter reads Nope, which is not a column"):
        tiny.apply(FilterRows("Nope > 1"))
    with pytest.raises(StepError, match="filter: Alley > 1 failed: TypeError"):
        tiny.apply(FilterRows("Alley > 1"))


def test_undo_and_redo_restore_exact_frames(tiny: Pipeline) -> None:
    raw = tiny.frame.copy()
    tiny.apply(SetTarget(("Price",)))
    tiny.apply(FillMissing("mean"))
    filled = tiny.frame.copy()
    tiny.apply(OneHot(("Alley",)))
    tiny.undo()
    pd.testing.assert_frame_equal(tiny.frame, filled)
    tiny.undo()
    tiny.undo()
    pd.testing.assert_frame_equal(tiny.frame, raw)
    assert tiny.undo() is None
    tiny.redo()
    tiny.redo()
    pd.testing.assert_frame_equal(tiny.frame, filled)
    assert tiny.target == ("Price",)
    tiny.apply(DropColumns(("Alley",)))
    assert tiny.redo() is None  # a new step clears the redo stack


def test_stale_step_is_refused(tiny: Pipeline) -> None:
    stale = tiny.compute(FillMissing("mean"))
    tiny.apply(DropColumns(("Alley",)))
    with pytest.raises(StepError, match="changed while the step ran"):
        tiny.commit(stale)


def test_summary_lines_read_well(tiny: Pipeline) -> None:
    applied = tiny.apply(DropMostMissing(0))
    lines = applied.summary.lines()
    assert lines[0] == "rows: 4 → 3 (1 removed)"
    assert "NaN: 5 → 3 (2 filled or dropped)" in lines


def test_filter_accepts_backquoted_names() -> None:
    pipeline = frame_pipeline(pd.DataFrame({"Lot Area": [1, 9, 3], "b": [1, 2, 3]}))
    pipeline.apply(FilterRows("`Lot Area` > 2 and b < 3"))
    assert pipeline.frame["Lot Area"].tolist() == [9]


@pytest.mark.parametrize(
    ("expression", "where"),
    [
        ("Price = 3", "at column 7 ('=')"),
        ("`Lot Area` > > 3", "at column 14 ('>')"),
        ("Price >", "at the end (the expression stops too early)"),
    ],
)
def test_filter_syntax_errors_point_at_the_column_typed(tiny: Pipeline, expression: str, where: str) -> None:
    with pytest.raises(StepError, match="Syntax error in filter") as info:
        tiny.apply(FilterRows(expression))
    assert where in str(info.value) and "column 0" not in str(info.value)


def test_one_hot_name_collision_with_an_existing_column_is_a_clear_message() -> None:
    frame = pd.DataFrame({"a": ["x", "y", None], "a_x": [1, 2, 3]})
    pipeline = Pipeline(Path("collide.csv"), frame)
    with pytest.raises(StepError, match="would make a column a_x, which already exists; rename or drop a_x"):
        pipeline.apply(OneHot(("a",), dummy_na=True))
    assert pipeline.applied == []


def test_one_hot_names_made_twice_are_a_clear_message() -> None:
    frame = pd.DataFrame({"a": ["b_c", None], "a_b": ["c", "d"]})  # a + b_c and a_b + c both give a_b_c
    pipeline = Pipeline(Path("twice.csv"), frame)
    with pytest.raises(StepError, match="a_b_c, which would be made twice"):
        pipeline.apply(OneHot(("a", "a_b"), dummy_na=False))


@dataclass(frozen=True)
class _RenameToA(Step):
    """A step that makes two columns called a."""

    def title(self) -> str:
        return "rename"

    def plan(self, frame: pd.DataFrame, target: Sequence[str]) -> Plan:
        return Plan("data.columns = NAMES", {"NAMES": ["a", "a"]})

    def _transform(
        self, data: pd.DataFrame, target: tuple[str, ...], values: dict[str, Any]
    ) -> tuple[pd.DataFrame, tuple[str, ...]]:
        data.columns = values["NAMES"]
        return data, target


def test_a_step_giving_duplicate_names_is_a_clear_message_not_attribute_error() -> None:
    pipeline = Pipeline(Path("dup.csv"), pd.DataFrame({"a": [1.0], "b": [2.0]}))
    with pytest.raises(StepError, match="two columns named a; rename or drop one"):
        pipeline.apply(_RenameToA())

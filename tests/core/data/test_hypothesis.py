"""Property tests on random frames with NaNs and mixed dtypes: undo is exact, exported code reproduces tensors."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.core.data.scripts import run_generated
from tui_lab.core.data.codegen import pipeline_code
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
    SetTarget,
    SortRows,
    Standardize,
    Step,
    StepError,
    is_numeric_column,
)
from tui_lab.core.data.tensors import TensorOptions, tensor_problems, to_tensors

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

floats = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 3)))
ints = st.integers(-1000, 1000)
texts = st.one_of(st.none(), st.sampled_from(["red", "green", "blue", "a b"]))


@st.composite
def csv_frames(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(1, 12))
    kinds = draw(st.lists(st.sampled_from(["float", "int", "text", "bool"]), min_size=2, max_size=5))
    columns = {}
    for i, kind in enumerate(kinds):
        element = {"float": floats, "int": ints, "text": texts, "bool": st.booleans()}[kind]
        columns[f"{kind}{i}"] = draw(st.lists(element, min_size=rows, max_size=rows))
    return pd.DataFrame(columns)


@st.composite
def steps_for(draw: st.DrawFn, frame: pd.DataFrame) -> Step:
    columns = [str(c) for c in frame.columns]
    if not columns:
        return DropMissing(0, "any")
    some = st.lists(st.sampled_from(columns), min_size=1, max_size=len(columns), unique=True).map(tuple)
    one = st.sampled_from(columns)
    numeric = [c for c in columns if is_numeric_column(frame[c])]
    options: list[st.SearchStrategy[Step]] = [
        st.builds(SetTarget, st.lists(st.sampled_from(columns), max_size=1, unique=True).map(tuple)),
        st.builds(FillMissing, st.sampled_from(["mean", "median", "mode", "constant"]), st.one_of(st.none(), some)),
        st.builds(DropMissing, st.sampled_from([0, 1]), st.sampled_from(["any", "all"])),
        st.builds(DropMostMissing, st.sampled_from([0, 1])),
        st.builds(OneHot, some, st.booleans()),
        st.builds(Standardize),
        st.builds(DropColumns, some),
        st.builds(CastColumn, one, st.sampled_from(["float64", "float32", "str", "Int64"])),
        st.builds(SortRows, one, st.booleans()),
    ]
    if numeric:
        options.append(st.builds(FilterRows, st.sampled_from(numeric).map(lambda c: f"`{c}` > 0")))
    return draw(st.one_of(options))


def load(frame: pd.DataFrame, folder: str) -> Pipeline:
    path = Path(folder) / "random.csv"
    frame.to_csv(path, index=False)
    loaded = load_csv(path)
    return Pipeline(loaded.path, loaded.frame, loaded.options)


@SETTINGS
@given(frame=csv_frames(), data=st.data())
def test_undo_restores_the_exact_previous_frame(frame: pd.DataFrame, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        pipeline = load(frame, folder)
        for _ in range(data.draw(st.integers(1, 5))):
            before, before_copy, target = pipeline.frame, pipeline.frame.copy(deep=True), pipeline.target
            step = data.draw(steps_for(before))
            try:
                pipeline.apply(step)
            except StepError:
                continue
            undone = pipeline.undo()
            assert undone is not None
            assert pipeline.frame is before
            pd.testing.assert_frame_equal(pipeline.frame, before_copy)
            assert pipeline.target == target
            pipeline.redo()
            assert pipeline.frame is undone.frame


def make_convertible(pipeline: Pipeline) -> None:
    """Finish any pipeline so it converts: one-hot the text, fill the numbers, drop what is left with NaN."""
    frame, target = pipeline.frame, pipeline.target
    text = tuple(str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c].dtype) and c not in target)
    for step in (OneHot(text, True) if text else None, FillMissing("mean"), DropMissing(1, "any")):
        if step is not None:
            try:
                pipeline.apply(step)
            except StepError:
                pass


@SETTINGS
@given(frame=csv_frames(), data=st.data(), dtype=st.sampled_from(["float32", "float64"]))
def test_exported_code_reproduces_the_tensors(frame: pd.DataFrame, data: st.DataObject, dtype: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        pipeline = load(frame, folder)
        for _ in range(data.draw(st.integers(0, 4))):
            try:
                pipeline.apply(data.draw(steps_for(pipeline.frame)))
            except StepError:
                continue
        make_convertible(pipeline)
        assume(not tensor_problems(pipeline.frame, pipeline.target))
        options = TensorOptions(dtype=dtype)
        expected = to_tensors(pipeline.frame, pipeline.target, options).tensors
        namespace = run_generated(pipeline_code(pipeline, options))
        for name, tensor in expected.items():
            assert torch.equal(namespace[name], tensor), name

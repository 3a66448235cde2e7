"""To tensors, the exported code, exports and recent files, and the column profile."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tests.core.data.scripts import run_generated
from tui_lab.core.data.codegen import pipeline_code
from tui_lab.core.data.files import (
    ExportError,
    add_recent,
    complete_path,
    export_code,
    export_csv,
    load_recent,
    sample_files,
)
from tui_lab.core.data.load import load_csv
from tui_lab.core.data.pipeline import Pipeline
from tui_lab.core.data.profile import profile_column
from tui_lab.core.data.steps import FillMissing, OneHot, SetTarget
from tui_lab.core.data.tensors import TensorError, TensorOptions, tensor_problems, to_tensors

HOUSE_TINY = Path(__file__).resolve().parents[3] / "sample_data" / "house_tiny.csv"


def course_pipeline() -> Pipeline:
    loaded = load_csv(HOUSE_TINY)
    pipeline = Pipeline(loaded.path, loaded.frame, loaded.options)
    pipeline.apply(SetTarget(("Price",)))
    pipeline.apply(FillMissing("mean"))
    pipeline.apply(OneHot(("Alley",), dummy_na=True))
    return pipeline


def test_course_tensors_exactly() -> None:
    pipeline = course_pipeline()
    result = to_tensors(pipeline.frame, pipeline.target)
    X, y = result.tensors["X"], result.tensors["y"]
    assert X.dtype == torch.float32 and y.dtype == torch.float32
    assert X.tolist() == [[3, 1, 0], [2, 0, 1], [4, 0, 1], [3, 0, 1]]
    assert y.tolist() == [127500, 106000, 178100, 140000]
    assert result.descriptions == ("X: (4, 3) float32", "y: (4,) float32")


def test_float64_and_custom_names() -> None:
    pipeline = course_pipeline()
    result = to_tensors(pipeline.frame, pipeline.target, TensorOptions("inputs_t", "price", "float64"))
    assert set(result.tensors) == {"inputs_t", "price"}
    assert result.tensors["inputs_t"].dtype == torch.float64


def test_bad_tensor_options() -> None:
    for options in (TensorOptions("1x"), TensorOptions("X", "X"), TensorOptions(dtype="int8")):
        with pytest.raises(TensorError):
            options.check()


def test_refuses_listing_non_numeric_and_nan_columns() -> None:
    loaded = load_csv(HOUSE_TINY)
    problems = tensor_problems(loaded.frame, ("Price",))
    assert problems == [
        "non-numeric: Alley (one-hot, cast or drop them)",
        "holding NaN: NumRooms (fill or drop them)",
    ]
    with pytest.raises(TensorError, match="non-numeric: Alley.*holding NaN: NumRooms"):
        to_tensors(loaded.frame, ("Price",))


def test_no_target_gives_only_x() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": [True, False]})
    result = to_tensors(frame, ())
    assert set(result.tensors) == {"X"}
    assert result.tensors["X"].tolist() == [[1, 1], [2, 0]]


def test_two_targets_give_a_2d_y() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": [3, 4], "c": [5, 6]})
    result = to_tensors(frame, ("b", "c"))
    assert result.tensors["y"].shape == (2, 2)


def test_generated_code_reproduces_the_tensors() -> None:
    pipeline = course_pipeline()
    code = pipeline_code(pipeline)
    assert "pd.read_csv(" in code and "pd.get_dummies(" in code and "to_numpy(dtype='float32')" in code
    namespace = run_generated(code)
    result = to_tensors(pipeline.frame, pipeline.target)
    assert torch.equal(namespace["X"], result.tensors["X"])
    assert torch.equal(namespace["y"], result.tensors["y"])


def test_generated_code_runs_as_a_plain_python_script(tmp_path: Path) -> None:
    script = tmp_path / "pipeline.py"
    script.write_text(pipeline_code(course_pipeline(), TensorOptions("X", "y", "float64")))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True).stdout
    assert "X (4, 3) torch.float64" in out and "y (4,) torch.float64" in out


def test_exports_are_atomic_and_never_overwrite_the_source(tmp_path: Path) -> None:
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    source = tmp_path / "data.csv"
    source.write_text("a\n1\n")
    frame = pd.DataFrame({"a": [1.5, np.nan]})
    with pytest.raises(ExportError, match="Refusing to overwrite the source"):
        export_csv(frame, source, source)
    assert source.read_text() == "a\n1\n"
    with pytest.raises(ExportError, match="directory"):
        export_csv(frame, tmp_path, source)
    written = export_csv(frame, tmp_path / "out.csv", source)
    pd.testing.assert_frame_equal(pd.read_csv(written), frame)
    code_path = export_code("print(1)\n", tmp_path / "p.py", source)
    assert code_path.read_text() == "print(1)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "out.csv", "p.py"]


def test_recent_files(tmp_path: Path) -> None:
    assert load_recent() == []
    for i in range(12):
        add_recent(tmp_path / f"f{i}.csv")
    add_recent(tmp_path / "f3.csv")
    recent = load_recent()
    assert len(recent) == 10
    assert recent[0].endswith("f3.csv") and recent[1].endswith("f11.csv")


def test_samples_and_completion(tmp_path: Path) -> None:
    names = [p.name for p in sample_files()]
    assert names[0] == "house_tiny.csv"
    (tmp_path / "sub").mkdir()
    (tmp_path / "table.csv").write_text("a\n1\n")
    assert complete_path(str(tmp_path / "ta")) == str(tmp_path / "table.csv")
    assert complete_path(str(tmp_path / "su")) == str(tmp_path / "sub") + "/"
    assert complete_path(str(tmp_path / "zz")) is None


def test_profiles() -> None:
    loaded = load_csv(HOUSE_TINY)
    rooms = profile_column(loaded.frame["NumRooms"])
    assert (rooms.count, rooms.missing, rooms.unique, rooms.mean, rooms.minimum, rooms.maximum) == (
        2,
        2,
        2,
        3.0,
        2.0,
        4.0,
    )
    assert rooms.missing_percent == 50.0
    alley = profile_column(loaded.frame["Alley"])
    assert not alley.numeric and alley.top == (("Pave", 1),) and alley.missing == 3
    labels = [label for label, _ in alley.lines()]
    assert labels[:4] == ["dtype", "count", "missing", "unique"]
    empty = profile_column(pd.Series([np.nan, np.nan], name="e"))
    assert empty.mean is None and "NaN" in dict(empty.lines()).values()


def test_generated_code_keeps_the_load_options(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("city,n,price\nMálaga,1,10\nZürich,2,20\nbad,row,with,extra\n".encode("latin-1"))
    from tui_lab.core.data.load import LoadOptions

    loaded = load_csv(path, LoadOptions(skip_bad_lines=True))
    assert loaded.options == LoadOptions("latin-1", True)
    pipeline = Pipeline(loaded.path, loaded.frame, loaded.options)
    pipeline.apply(SetTarget(("price",)))
    pipeline.apply(OneHot(("city",), dummy_na=False))
    code = pipeline_code(pipeline)
    assert "encoding='latin-1'" in code and "on_bad_lines='skip'" in code
    namespace = run_generated(code)
    assert namespace["X"].tolist() == [[1, 1, 0], [2, 0, 1]]
    assert torch.equal(namespace["y"], to_tensors(pipeline.frame, pipeline.target).tensors["y"])

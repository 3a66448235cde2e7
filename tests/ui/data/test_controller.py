"""The Data pane's controller, driven without Textual: the course's pipeline, undo/redo, tensors, exports."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from tui_lab.core.data.load import LoadOptions
from tui_lab.core.data.steps import FillMissing, OneHot, SetTarget, SortRows
from tui_lab.ui.data.controller import DataController, NotReady, StepState

HOUSE_TINY = Path(__file__).resolve().parents[3] / "sample_data" / "house_tiny.csv"


def test_controller_runs_the_course_pipeline_with_undo_and_redo_without_textual() -> None:
    controller = DataController()
    controller.load_csv_now(HOUSE_TINY)
    controller.apply(SetTarget(("Price",)))
    controller.apply(FillMissing("mean"))
    filled = controller.ready().frame
    controller.apply(OneHot(("Alley",), dummy_na=True))
    assert controller.undo() is not None
    assert controller.ready().frame is filled
    assert [row.state for row in controller.step_rows()] == [
        StepState.SOURCE,
        StepState.APPLIED,
        StepState.APPLIED,
        StepState.UNDONE,
    ]
    assert controller.redo() is not None
    result = controller.to_tensors()
    assert result.tensors["X"].tolist() == [[3, 1, 0], [2, 0, 1], [4, 0, 1], [3, 0, 1]]
    assert result.tensors["y"].tolist() == [127500, 106000, 178100, 140000]
    assert "pd.get_dummies(data, columns=['Alley'], dummy_na=True)" in controller.code()
    assert controller.facts() is not None and controller.facts().target == ("Price",)  # type: ignore[union-attr]
    assert controller.summary_lines(2)[0] == "step 2: before → after"
    assert controller.summary_lines(0)[0] == "source: 4 rows × 3 cols"


def test_controller_module_imports_neither_textual_nor_rich() -> None:
    import subprocess

    code = "import sys, tui_lab.ui.data.controller; print(sorted(m for m in ('textual', 'rich', 'pandas') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_superseded_load_changes_nothing() -> None:
    controller = DataController()
    first = controller.start_load(str(HOUSE_TINY))
    second = controller.start_load(str(HOUSE_TINY), LoadOptions())
    loaded = controller.read(first)
    assert not controller.finish_load(first, loaded)
    assert controller.pipeline is None and controller.is_current(second)
    with pytest.raises(NotReady, match="Still loading"):
        controller.ready()
    assert controller.finish_load(second, controller.read(second))
    assert controller.ready().path == HOUSE_TINY.resolve()


def test_nothing_to_work_on_is_a_clear_message() -> None:
    with pytest.raises(NotReady, match="Open a CSV first"):
        DataController().ready()


def test_sorting_the_same_column_again_flips_it_instead_of_stacking() -> None:
    controller = DataController()
    controller.load_csv_now(HOUSE_TINY)
    controller.apply(controller.sort_step("Price"))
    step = controller.sort_step("Price")
    assert step == SortRows("Price", False)
    controller.apply(step)
    pipeline = controller.ready()
    assert len(pipeline.applied) == 1 and pipeline.undone == []
    assert pipeline.frame["Price"].tolist() == [178100, 140000, 127500, 106000]


def test_exports_go_next_to_the_source_and_follow_the_pipeline(tmp_path: Path) -> None:
    source = tmp_path / "house.csv"
    source.write_bytes(HOUSE_TINY.read_bytes())
    controller = DataController()
    controller.load_csv_now(source)
    controller.apply(SetTarget(("Price",)))
    assert controller.default_export_path(".csv") == str(tmp_path / "house_processed.csv")
    written = controller.export_csv(controller.default_export_path(".csv"))
    pd.testing.assert_frame_equal(pd.read_csv(written), pd.read_csv(HOUSE_TINY))
    script = controller.export_code(str(tmp_path / "pipeline.py"))
    assert "target = ['Price']" in script.read_text()

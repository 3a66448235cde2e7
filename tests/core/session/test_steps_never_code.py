"""Issue #20, break 1: a crafted pipeline step in session.json must never run code on resume.

The payloads are the issue's: a string where SortRows.ascending and OneHot.dummy_na hold a bool.
Before the fix, step_from_json accepted them, the step wrote them into its code unquoted, and
the pipeline exec'd that code, so ``tui-lab --resume`` ran ``id > PWNED``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.core.data.scripts import working_directory
from tui_lab.core.data.pipeline import Pipeline
from tui_lab.core.data.steps import OneHot, SortRows, StepError
from tui_lab.core.session.model import SessionFormatError
from tui_lab.core.session.panes import step_from_json, step_to_json

PAYLOAD = "True); __import__('os').system('id > PWNED'); dict(a=1"
CRAFTED = [
    {"type": "SortRows", "fields": {"column": "NumRooms", "ascending": PAYLOAD}},
    {"type": "OneHot", "fields": {"columns": ["Alley"], "dummy_na": PAYLOAD}},
]


def _house() -> Pipeline:
    frame = pd.DataFrame({"NumRooms": [None, 2.0, 4.0, None], "Alley": ["Pave", None, None, None]})
    return Pipeline(Path("house_tiny.csv"), frame)


@pytest.mark.parametrize("crafted", CRAFTED, ids=["SortRows.ascending", "OneHot.dummy_na"])
def test_the_issues_payload_is_refused_and_nothing_runs(
    crafted: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    stored = json.loads(json.dumps(crafted))  # exactly what session.json holds
    pipeline = _house()
    with pytest.raises(SessionFormatError, match=r"Expected `bool`, got `str`"):
        pipeline.apply(step_from_json(stored))  # what a resume does with each stored step
    assert pipeline.applied == []
    assert list(tmp_path.iterdir()) == []  # no PWNED


@pytest.mark.parametrize(
    "fields",
    [{"column": "NumRooms", "ascending": 1}, {"column": "NumRooms", "ascending": "False"}, {"column": 3}],
)
def test_a_bool_or_a_column_of_the_wrong_type_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(SessionFormatError, match="pipeline step SortRows"):
        step_from_json({"type": "SortRows", "fields": fields})


def test_a_step_made_in_python_with_the_payload_cannot_exist(tmp_path: Path) -> None:
    with working_directory(tmp_path):
        with pytest.raises(StepError, match="SortRows.ascending must be a bool, not str"):
            SortRows("NumRooms", PAYLOAD)  # type: ignore[arg-type]
        with pytest.raises(StepError, match="OneHot.dummy_na must be a bool, not str"):
            OneHot(("Alley",), PAYLOAD)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_good_steps_still_round_trip_and_a_hostile_column_name_stays_a_literal(tmp_path: Path) -> None:
    frame = pd.DataFrame({PAYLOAD: [3.0, 1.0, 2.0], "Alley": ["Pave", None, "Grvl"]})
    pipeline = Pipeline(Path("house.csv"), frame)
    for step in (SortRows(PAYLOAD, False), OneHot(("Alley",), True)):
        stored = json.loads(json.dumps(step_to_json(step)))
        assert step_from_json(stored) == step
        with working_directory(tmp_path):
            pipeline.apply(step_from_json(stored))
    assert pipeline.frame[PAYLOAD].tolist() == [3.0, 2.0, 1.0]
    assert pipeline.applied[0].code == f"data = data.sort_values({PAYLOAD!r}, ascending=False, kind='stable')"
    assert list(tmp_path.iterdir()) == []


def test_unknown_keys_beside_type_and_fields_are_refused() -> None:
    with pytest.raises(SessionFormatError, match="unknown keys"):
        step_from_json({"type": "SortRows", "fields": {"column": "a"}, "code": "import os"})

"""Snapshots of the panes in use, at 80×24 and 120×40: what a learner sees after doing something.

- REPL after the course's tensors (``x = torch.arange(12)``, ``x.reshape(3, 4)``);
- Data mid-pipeline on house_tiny.csv (target Price, NumRooms filled with the mean);
- Train with two finished runs overlaid (N = 100, seeds fixed, lr 0.03 and 0.1).

The Graph pane after backward with a step-through walk is in ``tests/ui/graph/test_snapshots.py``.
Hermetic: a CPU-only host with 2 threads (``cpu_only_host``), a temporary state directory, seeded
data, and a frozen training clock (the summary's seconds and samples/s would differ per run).
Each ``run_before`` waits for the workers it started, never for time, and clears toasts (their
timeout is wall-clock). Update after an intended change with
``pytest tests/ui/test_snapshots_in_use.py --snapshot-update``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from tests.ui.conftest import settle_app as settle
from tui_lab.core.workspace import Workspace
from tui_lab.ui.app import TuiLabApp

HOUSE_TINY = Path(__file__).resolve().parents[2] / "sample_data" / "house_tiny.csv"
SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


class FrozenClock:
    """The ``time`` module as the training runner sees it, with ``perf_counter`` standing still."""

    @staticmethod
    def perf_counter() -> float:
        return 1000.0

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture(autouse=True)
def hermetic(cpu_only_host: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Device facts from a fake CPU-only host; run times from a clock that does not move."""
    monkeypatch.setattr("tui_lab.core.train.chunks.time", FrozenClock())


def _app(pane: str, csv_path: str | None = None) -> TuiLabApp:
    workspace = Workspace()
    workspace.load_preloads()
    return TuiLabApp(pane=pane, workspace=workspace, csv_path=csv_path)


async def still(pilot: Any) -> None:
    """Settle, drop the toasts and stop cursors blinking (a steady cursor), so no clock is in the picture."""
    await settle(pilot)
    pilot.app.clear_notifications()
    for field in pilot.app.screen.query("TextArea, Input"):
        field.cursor_blink = False  # type: ignore[attr-defined]
    await pilot.pause()


async def repl_after_the_course_tensors(pilot: Any) -> None:
    await settle(pilot)
    for line in ("x = torch.arange(12)", "x.reshape(3, 4)"):
        await pilot.press(*line, "enter")
        await settle(pilot)
    await still(pilot)
    text = "\n".join(strip.text for strip in pilot.app.screen.query_one("#repl-log").lines)
    assert "tensor([[ 0,  1,  2,  3]," in text  # the picture is of a finished run, not of a pending one


async def data_mid_pipeline(pilot: Any) -> None:
    await settle(pilot)
    for keys in (("t", "down", "down", "space", "enter"), ("m", "enter")):
        await pilot.press(*keys)
        await settle(pilot)
    await still(pilot)
    pipeline = pilot.app.screen.pipeline
    assert pipeline.target == ("Price",) and pipeline.frame["NumRooms"].tolist() == [3.0, 2.0, 4.0, 3.0]


async def train_two_overlaid_runs(pilot: Any) -> None:
    app = pilot.app
    await settle(pilot)
    screen = app.screen
    for field, text in (("n", "100"), ("lr", "0.03")):
        widget = screen.query_one(f"#field-{field}", Input)
        widget.focus()
        await pilot.press("ctrl+u", *text)
    await pilot.press("f6")
    await settle(pilot)
    lr = screen.query_one("#field-lr", Input)
    lr.focus()
    await pilot.press("ctrl+u", *"0.1", "f6")
    await settle(pilot)
    screen.set_focus(None)
    await still(pilot)
    runs = screen.records
    assert [(r.status, r.config.n, r.config.lr) for r in runs] == [("finished", 100, 0.03), ("finished", 100, 0.1)]


@SIZES
def test_repl_after_the_course_tensors(size: tuple[int, int], snap_compare: Any) -> None:
    assert snap_compare(_app("repl"), run_before=repl_after_the_course_tensors, terminal_size=size)


@SIZES
def test_data_mid_pipeline_on_house_tiny(size: tuple[int, int], snap_compare: Any) -> None:
    app = _app("data", csv_path=str(HOUSE_TINY))
    assert snap_compare(app, run_before=data_mid_pipeline, terminal_size=size)


@SIZES
def test_train_with_two_overlaid_finished_runs(size: tuple[int, int], snap_compare: Any) -> None:
    assert snap_compare(_app("train"), run_before=train_two_overlaid_runs, terminal_size=size)


def test_train_with_two_overlaid_finished_runs_at_the_smallest_size(snap_compare: Any) -> None:
    """60×20, the smallest size the app supports: the form folds and the curves keep six rows."""
    assert snap_compare(_app("train"), run_before=train_two_overlaid_runs, terminal_size=(60, 20))

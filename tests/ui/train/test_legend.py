"""Overlaid runs that can be told apart: labels name what differs, styles never repeat, divergence does not flatten.

Issue #21.10: every legend entry was ``━``; runs on house_tiny and on the Kaggle data (both as
workspace ``X``, ``y``) were both ``#2 lr=0.03``; two runs shared a colour; a diverged run stretched
the axis to 2e14; a sweep said "w, b … are the last run's: #7" when #9 was last.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from tests.ui.train.helpers import ready_screen, settle, type_into
from tests.ui.train.test_summary import fake_result
from tests.ui.train.test_sweep_pane import sweep_with
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.history import RunRecord
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.requests import UseAsTrainingData
from tui_lab.ui.train.plot import CUT_NOTE, LINE_MARKER, RUN_COLOURS, RUN_MARKERS, LossPlot, assign_styles, cut_at
from tui_lab.ui.train.summary import TrainStats

MakeApp = Callable[..., TuiLabApp]


def finished(run_id: int, losses: list[float], status: str = "finished", **config: object) -> RunRecord:
    """A kept run with these per-step losses (one epoch of them)."""
    cfg = TrainConfig(**config)  # type: ignore[arg-type]
    record = RunRecord(run_id, cfg)
    record.finish(
        fake_result(
            config=cfg, status=status, step_losses=np.asarray(losses), steps_per_epoch=len(losses), epoch_losses=()
        )
    )
    return record


def test_styles_stay_distinct_for_eight_runs_whatever_their_ids() -> None:
    """Ids are not consecutive (rejected runs, clear, a restore): id % 8 gave #1 and #9 one colour."""
    slots = assign_styles([1, 2, 4, 5, 6, 7, 8, 9], {})
    assert sorted(slots.values()) == list(range(8))
    held = assign_styles([4, 5, 9, 10], slots)  # runs that stay keep their style; a new one takes a free one
    assert all(held[run_id] == slots[run_id] for run_id in (4, 5, 9)) and held[10] not in (slots[4], slots[5], slots[9])
    assert len(set(RUN_COLOURS)) == len(set(RUN_MARKERS)) == 8 and LINE_MARKER not in RUN_MARKERS


async def test_the_legend_shows_each_runs_own_colour_and_marker(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready_screen(app, pilot)
        plot = screen.query_one(LossPlot)
        records = [finished(run_id, [3.0, 2.0, 1.0], lr=0.01 * run_id) for run_id in (1, 2, 3, 4, 9, 10, 11, 12)]
        plot.show_runs(records)
        spec = plot.spec()
        entries = [entry for line in spec.legend for entry in line]
        assert len(entries) == 8
        assert len({colour for _, colour, _ in entries}) == 8
        assert len({marker for _, _, marker in entries}) == 8  # with NO_COLOR the markers still differ
        drawn = {c.run_id: (c.marker, c.braille) for c in spec.curves}
        assert drawn[12][1] and all(not braille for run_id, (_, braille) in drawn.items() if run_id != 12)
        lines = [strip.text for strip in plot.lines(spec)]
        assert any(f"{LINE_MARKER} #12 " in line for line in lines)  # the newest, in braille, has a line
        marker_of_1 = next(c.marker for c in spec.curves if c.run_id == 1)
        assert any(f"{marker_of_1} #1 " in line for line in lines)  # the legend shows the marker the curve uses
        await app.workers.wait_for_complete()  # no worker (the plot's, the session's) outlives the app


async def test_runs_on_workspace_data_of_other_shapes_have_other_labels(make_app: MakeApp) -> None:
    """house_tiny, then the Kaggle data, both loaded as X, y: the labels must not both read ``#n lr=0.03``."""
    app = make_app(pane="train")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready_screen(app, pilot)
        torch.manual_seed(0)
        for rows, columns in ((4, 3), (60, 5)):
            X = torch.randn(rows, columns)
            app.workspace.publish_many({"X": X, "y": X.sum(1)}, "test")
            app.send(UseAsTrainingData("X"))
            app.send(UseAsTrainingData("y"))
            await pilot.pause()
            await type_into(pilot, screen.form, "epochs", "1")
            await pilot.press("f6")
            await settle(app, pilot, screen)
        labels = [c.label for c in screen.query_one(LossPlot).spec().curves]
        assert labels == ["#1 X 4×3", "#2 X 60×5"]


async def test_a_diverged_run_does_not_set_the_linear_axis(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready_screen(app, pilot)
        plot = screen.query_one(LossPlot)
        calm = finished(1, [30.0, 3.0, 0.3, 0.03], lr=0.03)
        wild = finished(2, [30.0, 3e3, 3e8, 2e14], status="diverged", lr=100.0)
        plot.show_runs([calm, wild])
        spec = plot.spec()
        assert spec.y_range is not None and spec.y_range[1] <= 30.0  # fitted to the run that did not diverge
        cut = next(c for c in spec.curves if c.run_id == 2)
        assert max(cut.y) <= spec.y_range[1] and CUT_NOTE in cut.label  # and the legend says so
        assert all(spec.y_range[0] <= t <= spec.y_range[1] for t in spec.y_ticks)
        lines = [strip.text for strip in plot.lines(spec)]  # plotext draws it (handed 2e14, it would not return)
        assert any(CUT_NOTE in line for line in lines) and not any("e14" in line for line in lines)
        await pilot.press("ctrl+l")  # a log axis shows every run whole
        assert plot.spec().y_range is None and CUT_NOTE not in " ".join(c.label for c in plot.spec().curves)
        await app.workers.wait_for_complete()  # no worker (the plot's, the session's) outlives the app


def test_cutting_a_curve_ends_it_on_the_axis_edge() -> None:
    x, y = cut_at([0.0, 1.0, 2.0], [1.0, 3.0, 7.0], 5.0)
    assert x == [0.0, 1.0, pytest.approx(1.5)] and y == [1.0, 3.0, 5.0]
    assert cut_at([0.0, 1.0], [9.0, 1.0], 5.0) == ([], [])
    assert cut_at([0.0, 1.0], [2.0, 1.0], 5.0) == ([0.0, 1.0], [2.0, 1.0])


async def test_a_sweep_publishes_its_last_rate_even_when_it_diverged_first(make_app: MakeApp) -> None:
    """The last rate diverges early and ends first: the workspace and the summary still name the last rate."""
    app = make_app(pane="train")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready_screen(app, pilot)
        await sweep_with(app, pilot, "0.03, 0.01, 100")
        await settle(app, pilot, screen)
        first, second, last = screen.records
        assert last.status == "diverged" and last.run_id == 3
        assert torch.allclose(app.workspace["w"], torch.tensor(last.result.w))
        assert screen.query_one(TrainStats).plain.splitlines()[-1] == "w, b in the workspace are the last run's: #3"

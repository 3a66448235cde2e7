"""The Train pane at 60×20, 80×24 and 120×40: room for the curve, a final loss never cut, a truthful summary.

At 80×24 the form used to keep 34 columns, leaving the plot 4–6 rows of curve (1 at 60×20). On a
small terminal the form now folds into one line when a run starts (ctrl+f, Enter on that line or a
field that gets the focus opens it again), and the numbers below the plot take five lines.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from tests.ui.train.helpers import ready_screen, settle, type_into
from tui_lab.core.train.config import TrainConfig
from tui_lab.core.train.history import RunRecord
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.train.folded import Folding, FormLine, settings_summary
from tui_lab.ui.train.form import TrainForm
from tui_lab.ui.train.plot import LossPlot
from tui_lab.ui.train.screen import TrainScreen
from tui_lab.ui.train.summary import TrainStats

MakeApp = Callable[..., TuiLabApp]


def curve_rows(plot: LossPlot) -> int:
    """Rows between the plot's top and bottom frame lines: the room the curves get."""
    lines = [strip.text for strip in plot.lines(plot.spec())]
    top = next(i for i, line in enumerate(lines) if "┌" in line)
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    return bottom - top - 1


async def one_run(app: TuiLabApp, pilot: Pilot[None], screen: TrainScreen) -> None:
    await type_into(pilot, screen.form, "epochs", "1")
    await pilot.press("f6")
    await settle(app, pilot, screen)


@pytest.mark.parametrize(("size", "rows"), [((60, 20), 6), ((80, 24), 10)])
async def test_a_small_terminal_folds_the_form_and_gives_the_curve_room(
    make_app: MakeApp, size: tuple[int, int], rows: int
) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=size) as pilot:
        screen = await ready_screen(app, pilot)
        assert screen.folding.compact and not screen.folding.folded  # the form is open to be filled in
        await one_run(app, pilot, screen)
        assert screen.folding.folded and isinstance(app.focused, FormLine)
        assert not screen.query_one(TrainForm).display and screen.query_one(FormLine).display
        assert curve_rows(screen.query_one(LossPlot)) >= rows
        stats = screen.query_one(TrainStats)
        first = stats.plain.splitlines()[0]
        loss = screen.records[-1].result.final_loss
        shown = first.index(f"final loss {loss:.6f}") + len(f"final loss {loss:.6f}")
        assert shown <= stats.content_region.width  # the final loss is never cut off
        assert len(stats.plain.splitlines()) <= stats.lines


async def test_the_folded_form_opens_with_enter_tab_a_field_or_ctrl_e(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready_screen(app, pilot)
        await one_run(app, pilot, screen)
        line = screen.query_one(FormLine)
        assert line.summary == "concise sgd lr=0.03 B=10 1 ep · synthetic N=1000"
        await pilot.press("enter")
        assert not screen.folding.folded and app.focused is screen.form.shown_fields()[0]
        await pilot.press("ctrl+f")
        assert screen.folding.folded and app.focused is line
        await pilot.press("tab")
        assert not screen.folding.folded
        await pilot.press("ctrl+f")
        await type_into(pilot, screen.form, "lr", "0.1")  # a field that gets the focus opens the form
        assert not screen.folding.folded


async def test_the_folded_line_follows_changes_made_while_folded(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready_screen(app, pilot)
        await one_run(app, pilot, screen)
        await pilot.press("f11")  # reset the form: the course's defaults
        await pilot.pause()
        assert screen.folding.folded and screen.query_one(FormLine).summary.endswith("3 ep · synthetic N=1000")


async def test_a_large_terminal_keeps_the_form_open(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready_screen(app, pilot)
        await one_run(app, pilot, screen)
        assert not screen.folding.compact and not screen.folding.folded and screen.query_one(TrainForm).display
        assert curve_rows(screen.query_one(LossPlot)) >= 20
        await pilot.press("ctrl+f")  # still foldable by hand
        assert screen.folding.folded


async def test_growing_the_terminal_opens_a_form_folded_for_room(make_app: MakeApp) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready_screen(app, pilot)
        await one_run(app, pilot, screen)
        assert screen.folding.folded
        await pilot.resize_terminal(120, 40)
        for _ in range(20):
            await pilot.pause()
            if not screen.folding.folded:
                break
        assert not screen.folding.compact and not screen.folding.folded


def test_the_settings_line_says_what_the_next_run_uses() -> None:
    values = {"impl": "manual", "optimizer": "adam", "lr": "0.1", "batch_size": "32", "epochs": "5"}
    assert settings_summary({**values, "data": "workspace", "x_name": "X", "y_name": "y"}) == (
        "manual adam lr=0.1 B=32 5 ep · X=X y=y"
    )
    assert settings_summary({"impl": "closed", "data": "csv", "csv_path": "h.csv", "target": "Price"}) == (
        "closed · csv h.csv → Price"
    )


async def test_after_a_restore_the_pane_summarises_its_latest_run(make_app: MakeApp) -> None:
    """--resume plotted the restored runs while the text said "No run yet: fill in the form…"."""
    from tests.ui.train.test_summary import fake_result

    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready_screen(app, pilot)
        stats = screen.query_one(TrainStats)
        assert stats.headline.startswith("No run yet")
        records = []
        for run_id in (1, 2):
            record = RunRecord(run_id, TrainConfig(lr=0.01 * run_id))
            record.finish(fake_result(config=TrainConfig(lr=0.01 * run_id)))
            records.append(record)
        screen.restore_session(records)
        await pilot.pause()
        assert "No run yet" not in stats.plain
        assert stats.plain.splitlines()[0].startswith("#2 final loss 0.010000 · finished 3 epochs")
        await pilot.press("f9")  # clearing the runs brings the how-to back
        assert stats.headline.startswith("No run yet")
        await app.workers.wait_for_complete()  # no worker (the plot's, the session's) outlives the app


def test_folding_follows_the_terminal_runs_and_the_learner() -> None:
    folding = Folding()
    folding.resized(120, 40)
    assert not folding.run_started() and not folding.folded  # room for both: the form stays
    folding.resized(80, 24)
    assert folding.run_started() and folding.folded and folding.for_room
    assert not folding.run_started()  # already folded
    folding.resized(120, 40)
    assert not folding.folded  # folded for room, and now there is room
    folding.set(True)  # by hand: stays folded at any size
    folding.resized(80, 24)
    folding.resized(130, 50)
    assert folding.folded

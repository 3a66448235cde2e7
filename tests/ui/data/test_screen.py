"""The Data pane driven by keys: the course's walk-through, bad inputs, big tables, dialogs and exports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from textual.content import Content
from textual.widgets import OptionList
from textual.worker import WorkerCancelled

from tests.ui.conftest import NotificationRecorder
from tui_lab.core.data import load as csv_loader
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.data.dialogs import CodeScreen, ConfirmScreen, OpenCsvScreen, StepFormScreen
from tui_lab.ui.data.grid import DataGrid
from tui_lab.ui.data.screen import DataScreen

AppFactory = Callable[..., TuiLabApp]
HOUSE_TINY = Path(__file__).resolve().parents[3] / "sample_data" / "house_tiny.csv"


async def settle(pilot: Any) -> None:
    for _ in range(3):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:  # a superseded load: expected, and waited for again below
            continue
        await pilot.pause()
    await pilot.pause()


def data_screen(app: TuiLabApp) -> DataScreen:
    return next(screen for screen in reversed(app.screen_stack) if isinstance(screen, DataScreen))


async def test_course_walkthrough_publishes_x_and_y_and_undo_goes_back(make_app: AppFactory) -> None:
    app = make_app(csv_path=str(HOUSE_TINY), pane="data")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = data_screen(app)
        grid = screen.grid
        assert grid.frame is not None and grid.frame.shape == (4, 3)
        assert "NaN" in grid.render_line(2).text  # row 0: NumRooms is missing
        profile = screen.query_one("#data-profile").render()
        assert isinstance(profile, Content) and profile.plain.startswith("NumRooms")
        await pilot.press("right", "right", "t")
        assert isinstance(app.screen, StepFormScreen)
        await pilot.press("space", "enter")  # the list starts on the cursor's column, Price
        await settle(pilot)
        assert screen.pipeline is not None and screen.pipeline.target == ("Price",)
        await pilot.press("m", "enter")
        await settle(pilot)
        filled = screen.pipeline.frame.copy()
        assert filled["NumRooms"].tolist() == [3.0, 2.0, 4.0, 3.0]
        await pilot.press("h", "enter")
        await settle(pilot)
        assert list(screen.pipeline.frame.columns) == ["NumRooms", "Price", "Alley_Pave", "Alley_nan"]
        await pilot.press("T", "enter")
        await settle(pilot)
        assert app.workspace["X"].tolist() == [[3, 1, 0], [2, 0, 1], [4, 0, 1], [3, 0, 1]]
        assert app.workspace["y"].tolist() == [127500, 106000, 178100, 140000]
        await pilot.press("k")
        assert isinstance(app.screen, CodeScreen)
        assert "pd.get_dummies(data, columns=['Alley'], dummy_na=True)" in app.screen.code
        await pilot.press("escape", "u")
        pd.testing.assert_frame_equal(screen.pipeline.frame, filled)
        await pilot.press("u", "u")
        assert screen.pipeline.applied == []
        assert grid.frame is screen.pipeline.source
        await pilot.press("U")
        assert screen.pipeline.target == ("Price",)
        steps = screen.query_one("#data-steps", OptionList)
        assert steps.option_count == 4  # read_csv, target, and two undone steps


#: The README's course walkthrough, key for key, from a fresh launch on house_tiny.csv (docs/panes/data.md).
WALKTHROUGH_KEYS = ("t", "down", "down", "space", "enter", "m", "enter", "h", "enter", "T", "enter")


async def test_the_readme_walkthrough_typed_literally_ends_with_the_documented_x_and_y(make_app: AppFactory) -> None:
    app = make_app(csv_path=str(HOUSE_TINY), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*WALKTHROUGH_KEYS)
        await settle(pilot)
        assert data_screen(app).pipeline.target == ("Price",)  # type: ignore[union-attr]
        assert app.workspace["X"].tolist() == [[3, 1, 0], [2, 0, 1], [4, 0, 1], [3, 0, 1]]
        assert app.workspace["y"].tolist() == [127500, 106000, 178100, 140000]
    docs = (Path(__file__).resolve().parents[3] / "docs" / "panes" / "data.md").read_text()
    assert "`t` `↓` `↓` `Space` `Enter` · `m` `Enter` · `h` `Enter` · `T` `Enter`" in docs


async def test_open_dialog_loads_a_sample_with_one_key(make_app: AppFactory) -> None:
    app = make_app(pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")
        assert isinstance(app.screen, OpenCsvScreen)
        await pilot.press("f6")
        await settle(pilot)
        screen = data_screen(app)
        assert screen.pipeline is not None and screen.pipeline.path.name == "house_tiny.csv"
        await pilot.press("o")
        listed = app.screen.query_one("#open-list")
        assert any("recent" in str(o.prompt) or "house_tiny" in str(o.prompt) for o in listed.options)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("make_path", "expected"),
    [
        (lambda tmp: tmp / "missing.csv", "No such file"),
        (lambda tmp: tmp, "is a directory"),
        (lambda tmp: (tmp / "blob.csv", (tmp / "blob.csv").write_bytes(bytes(range(256))))[0], "binary"),
    ],
)
async def test_bad_paths_give_a_clear_message_and_the_app_stays_up(
    make_app: AppFactory, tmp_path: Path, make_path: Callable[[Path], Path], expected: str, notes: NotificationRecorder
) -> None:
    app = make_app(csv_path=str(make_path(tmp_path)), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert any(expected in m for m in notes.texts)
        assert data_screen(app).pipeline is None
        await pilot.press("o", "f6")
        await settle(pilot)
        assert data_screen(app).pipeline is not None  # still alive and working


async def test_ragged_file_offers_to_skip_bad_lines(make_app: AppFactory, tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5\n6,7\n")
    app = make_app(csv_path=str(path), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "line(s) 3" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        screen = data_screen(app)
        assert screen.pipeline is not None and screen.pipeline.frame.shape == (2, 2)
        assert screen.pipeline.options.skip_bad_lines


async def test_filter_syntax_error_is_shown_in_the_form(make_app: AppFactory) -> None:
    app = make_app(csv_path=str(HOUSE_TINY), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"Price >", "enter")
        assert isinstance(app.screen, StepFormScreen)
        assert "Syntax error" in str(app.screen.query_one("#form-error").render())
        await pilot.press("backspace", *"> 130000", "enter")
        await settle(pilot)
        screen = data_screen(app)
        assert screen.pipeline is not None and screen.pipeline.frame["Price"].tolist() == [178100, 140000]
        await pilot.press("s")  # sort by the cursor column (NumRooms), a step as well
        await settle(pilot)
        assert len(screen.pipeline.applied) == 2


async def test_to_tensors_refuses_with_the_columns_to_fix(make_app: AppFactory, notes: NotificationRecorder) -> None:
    app = make_app(csv_path=str(HOUSE_TINY), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("T")
        assert not isinstance(app.screen, StepFormScreen)
        assert any("non-numeric: Alley" in m and "holding NaN: NumRooms" in m for m in notes.texts)
        assert "X" not in app.workspace


async def test_big_table_jumps_to_the_last_row(make_app: AppFactory, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame({"a": rng.normal(size=200_000), "b": rng.integers(0, 9, 200_000)}).to_csv(path, index=False)
    app = make_app(csv_path=str(path), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = data_screen(app).grid
        assert grid.row_count == 200_000
        await pilot.press("end")
        assert grid.cursor_row == 199_999
        await pilot.pause()
        last_line = grid.render_line(grid.body_height + 1).text
        assert last_line.lstrip().startswith("199999")
        await pilot.press("home", "pagedown")
        assert grid.cursor_row == grid.body_height
        await pilot.press("G", "g")
        assert grid.cursor_row == 0


async def test_escape_cancels_a_slow_load(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, notes: NotificationRecorder
) -> None:
    monkeypatch.setattr(csv_loader, "WHOLE_READ_BYTES", 0)
    monkeypatch.setattr(csv_loader, "CHUNK_ROWS", 5)
    path = tmp_path / "slow.csv"
    pd.DataFrame({"a": np.arange(100_000)}).to_csv(path, index=False)
    app = make_app(pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = data_screen(app)
        screen.open_csv(str(path))
        await pilot.pause()
        assert screen.loading_path is not None
        await pilot.press("escape")
        await settle(pilot)
        assert screen.loading_path is None and screen.pipeline is None
        assert sum("Stopped loading" in m for m in notes.texts) == 1
        assert "cancelled" in str(screen.query_one("#data-title").render())


async def test_export_csv_writes_a_new_file_and_refuses_the_source(
    make_app: AppFactory, tmp_path: Path, notes: NotificationRecorder
) -> None:
    source = tmp_path / "house.csv"
    source.write_bytes(HOUSE_TINY.read_bytes())
    app = make_app(csv_path=str(source), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("x")  # drop NumRooms
        await settle(pilot)
        await pilot.press("e", "enter")
        await settle(pilot)
        written = tmp_path / "house_processed.csv"
        assert pd.read_csv(written).columns.tolist() == ["Alley", "Price"]
        await pilot.press("E")
        app.screen.query_one("#prompt-path").value = str(source)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert any("Refusing to overwrite the source" in m for m in notes.texts)
        assert source.read_bytes() == HOUSE_TINY.read_bytes()


async def test_grid_marks_nan_and_shows_dtypes(make_app: AppFactory) -> None:
    app = make_app(csv_path=str(HOUSE_TINY), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = data_screen(app).query_one(DataGrid)
        assert "float64" in grid.render_line(1).text and "str" in grid.render_line(1).text
        nan_styles = [seg.style for seg in grid.render_line(2) if "NaN" in seg.text]
        assert nan_styles and nan_styles[0] is not None and nan_styles[0].italic
        row = grid.render_line(3).text  # row 1: "2.0" right-aligned under NumRooms
        assert row.index("2.0") + 3 == grid.render_line(0).text.index("NumRooms") + len("NumRooms")


async def test_big_file_shows_a_stdlib_preview_before_pandas_has_read_it(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_lab.core.data import preview as data_preview
    from tui_lab.ui.data.messages import RowsPreviewed

    monkeypatch.setattr(data_preview, "PREVIEW_MIN_BYTES", 0)
    app = make_app(pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = data_screen(app)
        ticket = screen.controller.start_load(str(HOUSE_TINY))
        preview = data_preview.read_preview(HOUSE_TINY)
        assert preview is not None
        screen.on_rows_previewed(RowsPreviewed(preview))
        await pilot.pause()
        grid = screen.grid
        assert grid.frame is None and grid.row_count == 4
        assert "…" in grid.render_line(1).text and "NaN" in grid.render_line(2).text
        await pilot.press("end")
        assert grid.cursor_row == 3
        from tui_lab.core.data.load import load_csv
        from tui_lab.ui.data.messages import CsvLoaded

        screen.on_csv_loaded(CsvLoaded(ticket, load_csv(HOUSE_TINY)))
        await settle(pilot)
        assert grid.frame is not None and grid.cursor_row == 3  # the cursor stayed where the user put it
        assert "float64" in grid.render_line(1).text


async def test_a_thousand_columns_scroll_sideways(make_app: AppFactory, tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    pd.DataFrame(np.arange(3000).reshape(3, 1000), columns=[f"c{i}" for i in range(1000)]).to_csv(path, index=False)
    app = make_app(csv_path=str(path), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = data_screen(app).grid
        assert "c0" in grid.render_line(0).text
        await pilot.press("ctrl+right")
        await pilot.pause()
        assert grid.column_name == "c999"
        header = grid.render_line(0).text
        assert "c999" in header and "c0 " not in header
        assert "2999" in grid.render_line(4).text
        await pilot.press("left")
        assert grid.column_name == "c998"


async def test_palette_actions_run_on_the_data_screen(make_app: AppFactory) -> None:
    app = make_app(csv_path=str(HOUSE_TINY), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = data_screen(app)
        await screen.run_action("show_code")
        assert isinstance(app.screen, CodeScreen)
        await pilot.press("escape")
        await screen.run_action("last_row")
        assert screen.grid.cursor_row == 3
        await screen.run_action("open_csv")
        await pilot.pause()
        assert isinstance(app.screen, OpenCsvScreen)
        assert app.screen.focused is app.screen.query_one("#open-path")


async def test_selecting_a_step_shows_its_before_after_summary(make_app: AppFactory) -> None:
    app = make_app(csv_path=str(HOUSE_TINY), pane="data")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = data_screen(app)
        await pilot.press("n")
        form = app.screen
        assert isinstance(form, StepFormScreen)
        form.query_one("#field-mode").value = "rows-most"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("x")  # drop the cursor's column, NumRooms
        await settle(pilot)
        assert screen.pipeline is not None and len(screen.pipeline.applied) == 2
        summary = screen.query_one("#data-summary")
        assert "columns removed: NumRooms" in str(summary.render())
        await pilot.press("tab", "up")
        assert "rows: 4 → 3 (1 removed)" in str(summary.render())
        await pilot.press("up")
        assert "source: 4 rows × 3 cols" in str(summary.render())


async def test_opening_another_file_mid_load_wins(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, notes: NotificationRecorder
) -> None:
    monkeypatch.setattr(csv_loader, "WHOLE_READ_BYTES", 0)
    monkeypatch.setattr(csv_loader, "CHUNK_ROWS", 5)
    slow = tmp_path / "slow.csv"
    pd.DataFrame({"a": np.arange(50_000)}).to_csv(slow, index=False)
    app = make_app(pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = data_screen(app)
        screen.open_csv(str(slow))
        await pilot.pause()
        screen.open_csv(str(HOUSE_TINY))
        await settle(pilot)
        assert screen.pipeline is not None and screen.pipeline.path.name == "house_tiny.csv"
        assert screen.grid.frame is screen.pipeline.source and screen.loading_path is None
        assert not any("Cancelled" in m or "Cannot" in m for m in notes.texts)


def test_snapshot_course_frame_after_fill(snap_compare: Any, workspace: Any) -> None:
    """house_tiny after target = Price and fill mean, at 80×24: NaN marks, dtypes, profile, pipeline list."""

    async def steps(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("right", "right", "t", "space", "enter")
        await settle(pilot)
        await pilot.press("m", "enter")
        await settle(pilot)
        await pilot.press("left", "left")
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(2)  # the status bar names the thread count
    try:
        app = TuiLabApp(csv_path=str(HOUSE_TINY), pane="data", workspace=workspace)
        assert snap_compare(app, run_before=steps, terminal_size=(80, 24))
    finally:
        torch.set_num_threads(threads)

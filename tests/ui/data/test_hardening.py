"""The Data pane against hostile files and impatient users: escapes, markup, FIFOs, exports, quitting."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from textual.widgets import Input, Static

from tests.ui.conftest import NotificationRecorder
from tui_lab.core.data import files as data_files
from tui_lab.core.data import load as csv_loader
from tui_lab.core.data.files import ExportProgress, add_recent
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.data.controller import DataController
from tui_lab.ui.data.dialogs import TICKED, ConfirmScreen, OpenCsvScreen, PathPromptScreen, StepFormScreen
from tui_lab.ui.data.screen import DataScreen

from .test_screen import HOUSE_TINY, settle

AppFactory = Callable[..., TuiLabApp]
HOSTILE_HEADER = ["[/]", "[/x]", "Name [i]note", "osc\x1b]52;c;cHduZWQ=\x07"]


def data_screen(app: TuiLabApp) -> DataScreen:
    return next(screen for screen in reversed(app.screen_stack) if isinstance(screen, DataScreen))


def screen_text(app: TuiLabApp) -> str:
    """Everything the terminal would be sent for the current screen, as text with its escapes."""
    return app.export_screenshot()


def hostile_csv(folder: Path) -> Path:
    path = folder / "nope[b]\x1b]0;TITLE\x07[i].csv"
    frame = pd.DataFrame(
        {
            HOSTILE_HEADER[0]: [1.0, None, 3.0],
            HOSTILE_HEADER[1]: ["\x1b]52;c;cHduZWQ=\x07", "\x1b[2J", "[b]bold[/b]"],
            HOSTILE_HEADER[2]: ["a", "b", "c"],
            HOSTILE_HEADER[3]: [1, 2, 3],
        }
    )
    frame.to_csv(path, index=False)
    return path


async def test_hostile_cells_names_and_file_names_never_reach_the_terminal_raw(
    make_app: AppFactory, tmp_path: Path
) -> None:
    path = hostile_csv(tmp_path)
    app = make_app(csv_path=str(path), pane="data")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = data_screen(app)
        assert screen.pipeline is not None and list(screen.pipeline.frame.columns) == HOSTILE_HEADER
        grid = screen.grid
        header = grid.render_line(0).text
        assert "[/]" in header and "[/x]" in header and "Name [i]note" in header and "osc␛]52" in header
        body = "".join(grid.render_line(y).text for y in range(2, 5))
        assert "␛]52;c;" in body and "␛[2J" in body and "[b]bold[/b]" in body
        assert "\x1b" not in header + body and "\x07" not in body
        await pilot.press("x")  # drop "[/]": the step title and summary hold the name
        await settle(pilot)
        assert list(screen.pipeline.frame.columns) == HOSTILE_HEADER[1:]
        assert "drop column [/]" in str(screen.query_one("#data-steps").render_line(1).text)
        for _ in range(3):
            await pilot.press("right")
            await settle(pilot)
        profile = screen.query_one("#data-profile", Static).render()
        assert "osc␛]52" in str(profile)
        shot = screen_text(app)
        assert "cHduZWQ" not in shot.replace("␛]52;c;cHduZWQ", "")  # only ever the visible form
        assert "\x1b]52" not in shot and "\x1b]0;" not in shot and "\x1b[2J" not in shot


async def test_missing_file_with_markup_in_its_name_is_a_message_not_a_crash(
    make_app: AppFactory, tmp_path: Path, notes: NotificationRecorder
) -> None:
    app = make_app(csv_path=str(tmp_path / "nope[/x].csv"), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert any("No such file" in m and "nope[/x].csv" in m for m in notes.texts)
        assert "could not open x].csv" in str(data_screen(app).query_one("#data-title", Static).render())


async def test_a_recent_file_with_markup_is_listed_as_typed(make_app: AppFactory, tmp_path: Path) -> None:
    (tmp_path / "Name [i]note [").mkdir()
    weird = tmp_path / "Name [i]note [" / "].csv"  # the recent list holds ".../Name [i]note [/].csv"
    weird.write_bytes(HOUSE_TINY.read_bytes())
    add_recent(weird)
    app = make_app(pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")
        assert isinstance(app.screen, OpenCsvScreen)
        listed = [str(option.prompt) for option in app.screen.query_one("#open-list").options]  # type: ignore[attr-defined]
        assert any("Name [i]note [/].csv" in text for text in listed)


async def test_a_fifo_is_refused_up_front_and_the_app_stays_usable(
    make_app: AppFactory, tmp_path: Path, notes: NotificationRecorder
) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    app = make_app(csv_path=str(fifo), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert any("FIFO (named pipe), not a regular file" in m for m in notes.texts)
        assert data_screen(app).loading_path is None
        await pilot.press("o", "f6")
        await settle(pilot)
        assert data_screen(app).pipeline is not None


async def test_ctrl_q_during_a_load_cancels_it_and_exits(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, reading = threading.Event(), threading.Event()
    real = DataController.read

    def slow_read(ticket: Any, **kwargs: Any) -> Any:
        should_stop = kwargs["should_stop"]

        def stop() -> bool:
            reading.set()
            gate.wait(timeout=30)
            return bool(should_stop())

        return real(ticket, **{**kwargs, "should_stop": stop})

    monkeypatch.setattr(DataController, "read", staticmethod(slow_read))
    monkeypatch.setattr(csv_loader, "WHOLE_READ_BYTES", 0)
    path = tmp_path / "slow.csv"
    pd.DataFrame({"a": range(1000)}).to_csv(path, index=False)
    app = make_app(csv_path=str(path), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        while not reading.is_set():
            await pilot.pause()
        worker = next(w for w in app.workers if w.group == "data-load")
        await pilot.press("ctrl+q")
        assert worker.is_cancelled  # the thread sees it at its next chunk and returns
        gate.set()
    assert app.return_code == 0


EXPORT_DONE = threading.Event()


@pytest.fixture
def gated_export(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """CSV exports write one chunk, say so, then wait at a gate before every further chunk.

    ``EXPORT_DONE`` is set once the export call has returned or raised (its temp file is gone).
    """
    gate, started = threading.Event(), threading.Event()
    EXPORT_DONE.clear()
    real_export = DataController.export_csv

    def export_csv(self: DataController, path: str, **kwargs: Any) -> Path:
        try:
            return real_export(self, path, **kwargs)
        finally:
            EXPORT_DONE.set()

    monkeypatch.setattr(DataController, "export_csv", export_csv)

    def chunks(frame: pd.DataFrame, rows: int | None = None, on_progress: Any = None) -> Iterator[bytes]:
        for start in range(len(frame)):
            if start:
                gate.wait(timeout=30)
            yield frame.iloc[start : start + 1].to_csv(index=False, header=start == 0).encode()
            if on_progress is not None:
                on_progress(ExportProgress(start + 1, len(frame)))
            started.set()

    monkeypatch.setattr(data_files, "csv_chunks", chunks)
    return gate, started


async def test_a_csv_export_shows_progress_and_escape_cancels_it(
    make_app: AppFactory,
    tmp_path: Path,
    gated_export: tuple[threading.Event, threading.Event],
    notes: NotificationRecorder,
) -> None:
    gate, started = gated_export
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    source = tmp_path / "house.csv"
    source.write_bytes(HOUSE_TINY.read_bytes())
    app = make_app(csv_path=str(source), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = data_screen(app)
        await pilot.press("e")
        assert isinstance(app.screen, PathPromptScreen)  # a key never writes a file by itself
        await pilot.press("enter")
        while not started.is_set():
            await pilot.pause()
        await pilot.pause()
        assert screen.has_class("-busy")
        assert "exporting house_processed.csv" in str(screen.query_one("#data-title", Static).render())
        await pilot.press("escape")
        gate.set()
        await settle(pilot)
        assert any("Export cancelled: nothing was written" in m for m in notes.texts)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["house.csv"]
        assert not screen.has_class("-busy")


async def test_ctrl_q_during_an_export_cancels_it_and_exits(
    make_app: AppFactory, tmp_path: Path, gated_export: tuple[threading.Event, threading.Event]
) -> None:
    gate, started = gated_export
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    source = tmp_path / "house.csv"
    source.write_bytes(HOUSE_TINY.read_bytes())
    app = make_app(csv_path=str(source), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("e", "enter")
        while not started.is_set():
            await pilot.pause()
        worker = next(w for w in app.workers if w.group == "data-export")
        await pilot.press("ctrl+q")
        assert worker.is_cancelled
        gate.set()
    assert app.return_code == 0
    assert EXPORT_DONE.wait(timeout=30)  # the thread stopped at its next chunk and removed its temp file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["house.csv"]


async def test_an_export_to_a_missing_folder_asks_before_creating_it(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app(csv_path=str(HOUSE_TINY), pane="data")
    target = tmp_path / "new" / "pipeline.py"
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("E")
        app.screen.query_one("#prompt-path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and "does not exist" in app.screen.question
        assert not target.parent.exists()
        await pilot.press("y")
        await settle(pilot)
        assert "target = []" in target.read_text()


async def test_replacing_an_existing_export_is_confirmed(make_app: AppFactory, tmp_path: Path) -> None:
    source = tmp_path / "house.csv"
    source.write_bytes(HOUSE_TINY.read_bytes())
    existing = tmp_path / "house_processed.csv"
    existing.write_text("keep me")
    app = make_app(csv_path=str(source), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("e", "enter")
        assert isinstance(app.screen, ConfirmScreen) and "Replace it?" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert existing.read_text() == "keep me"


async def test_an_export_onto_a_symlink_is_refused_before_asking(make_app: AppFactory, tmp_path: Path) -> None:
    """#20.13: exports never write through a link (README and docs/panes/data.md say so)."""
    source = tmp_path / "house.csv"
    source.write_bytes(HOUSE_TINY.read_bytes())
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("keep me")
    (tmp_path / "house_processed.csv").symlink_to(elsewhere)
    app = make_app(csv_path=str(source), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("e", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen) and isinstance(app.screen, DataScreen)
    assert elsewhere.read_text() == "keep me" and (tmp_path / "house_processed.csv").is_symlink()


async def test_a_filter_failing_at_run_time_keeps_its_form_and_the_expression(make_app: AppFactory) -> None:
    app = make_app(csv_path=str(HOUSE_TINY), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"Nope > 1", "enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, StepFormScreen)
        assert "Nope" in str(form.query_one("#form-error", Static).render())
        await pilot.press("e")  # lands in the expression, never on the table's export key
        assert form.query_one("#field-expression", Input).value == "Nope > 1e"
        assert not any(isinstance(s, PathPromptScreen) for s in app.screen_stack)
        await pilot.press(*["backspace"] * 9, *"Price > 130000", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, StepFormScreen)
        assert data_screen(app).pipeline.frame["Price"].tolist() == [178100, 140000]  # type: ignore[union-attr]


async def test_row_labels_keep_their_width_after_a_sort(make_app: AppFactory, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    pd.DataFrame({"v": range(1500)}).to_csv(path, index=False)
    app = make_app(csv_path=str(path), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s", "s")  # descending: the last row's label is 0, the first 1499
        await settle(pilot)
        grid = data_screen(app).grid
        await pilot.press("end")
        await pilot.pause()
        last = grid.render_line(grid.body_height + 1).text
        first_cell = grid.render_line(0).text.index("v") - 1
        assert last[:first_cell].rstrip() == "   0" and grid.render_line(0).text[:first_cell].strip() == ""
        await pilot.press("home")
        await pilot.pause()
        assert grid.render_line(2).text.startswith("1499 ")


async def test_the_target_form_at_80x24_shows_apply_and_cancel_and_ticks_without_colour(
    make_app: AppFactory,
) -> None:
    housing = HOUSE_TINY.with_name("housing.csv")
    app = make_app(csv_path=str(housing), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, StepFormScreen)
        for button in ("#form-apply", "#form-cancel"):
            region = form.query_one(button).region
            assert region.height >= 1 and region.bottom <= 24 and region.right <= 80, button
        columns = form.query_one("#field-columns")
        assert TICKED not in columns.render_line(0).text  # nothing is pre-ticked
        await pilot.press("space")
        assert columns.render_line(0).text.lstrip().startswith(f"▐{TICKED}▌")
        assert columns.render_line(1).text.lstrip().startswith("▐ ▌")


async def test_a_failing_load_or_profile_never_leaves_the_status_on_loading(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch, notes: NotificationRecorder
) -> None:
    from tui_lab.core.data import profile as data_profile

    def broken_read(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(DataController, "read", staticmethod(broken_read))
    app = make_app(csv_path=str(HOUSE_TINY), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = data_screen(app)
        title = str(screen.query_one("#data-title", Static).render())
        assert "loading" not in title and "could not open house_tiny.csv" in title
        assert any("disk on fire" in m for m in notes.texts) and not screen.has_class("-busy")
        monkeypatch.undo()

        def broken_profile(series: Any, top: int = 5) -> Any:
            raise ValueError("profile exploded")

        monkeypatch.setattr(data_profile, "profile_column", broken_profile)
        await pilot.press("o", "f6")
        await settle(pilot)
        profile = str(screen.query_one("#data-profile", Static).render())
        assert "profile failed: ValueError: profile exploded" in profile and "profiling" not in profile


async def test_a_semicolon_file_offers_its_delimiter_and_reloads(make_app: AppFactory, tmp_path: Path) -> None:
    path = tmp_path / "euro.csv"
    path.write_text("a;b;c\n1,5;2;x\n3;4;y\n")
    app = make_app(csv_path=str(path), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and "sep=';'" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        pipeline = data_screen(app).pipeline
        assert pipeline is not None and list(pipeline.frame.columns) == ["a", "b", "c"]
        assert "sep=';'" in data_screen(app).controller.code()


async def test_a_job_raising_past_its_own_handling_leaves_a_truthful_status(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch, notes: NotificationRecorder
) -> None:
    from tui_lab.ui.data import jobs

    def exploding_load(*args: Any) -> None:
        raise RuntimeError("load job exploded")

    def exploding_profile(*args: Any) -> None:
        raise RuntimeError("profile job exploded")

    monkeypatch.setattr(jobs, "load", exploding_load)
    app = make_app(csv_path=str(HOUSE_TINY), pane="data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = data_screen(app)
        assert screen.loading_path is None and not screen.has_class("-busy")
        assert "loading failed" in str(screen.query_one("#data-title", Static).render())
        assert any("load job exploded" in m for m in notes.texts)  # the app's one failure handler
        monkeypatch.undo()
        monkeypatch.setattr(jobs, "profile", exploding_profile)
        await pilot.press("o", "f6")
        await settle(pilot)
        profile = str(screen.query_one("#data-profile", Static).render())
        assert "profile failed" in profile and "profiling" not in profile

"""The Train summary's parameter table: b always, then as many weights as fit, then how many more."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_lab.ui.train.summary import params_table, table_room

if TYPE_CHECKING:
    from tui_lab.core.train.runner import RunResult


def test_b_is_always_shown_then_weights_that_fit_then_how_many_more() -> None:
    w = [float(i) for i in range(29)]
    lines = params_table(w, 4.2, None, None, max_rows=5).plain.splitlines()
    assert lines[1].startswith("b ") and lines[2].startswith("w[0]") and lines[4].startswith("w[2]")
    assert lines[-1] == "… 26 more weights" and len(lines) == 1 + 5


def test_a_short_model_shows_every_weight_and_no_note() -> None:
    lines = params_table([2.0, -3.4], 4.2, (2.0, -3.4), 4.2, max_rows=5).plain.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["b", "w[0]", "w[1]"]
    assert "more" not in lines[-1]


def test_table_room_leaves_the_headline_and_header() -> None:
    assert table_room(8, 2) == 5 and table_room(3, 2) == 1


def test_the_legend_keeps_the_newest_runs_when_space_runs_out() -> None:
    from tui_lab.ui.train.plot import legend_lines

    entries = [(f"#{i} concise lr=0.0{i} B=10", "cyan+", "+") for i in range(1, 6)]
    lines = legend_lines(entries, 40, 2)
    assert len(lines) == 2 and lines[-1][-1][0].startswith("#5")
    assert all(2 + sum(len(label) + 2 for label, _, _ in line) + 3 * (len(line) - 1) <= 44 for line in lines)


def test_the_sweep_dialog_does_not_list_the_swept_rate_among_shared_settings() -> None:
    from tui_lab.core.train.config import TrainConfig
    from tui_lab.ui.train.sweep import shared_settings

    assert shared_settings(TrainConfig(lr=0.5)) == "concise sgd B=10"


def fake_result(**changes: object) -> RunResult:
    """A real RunResult of a short finished run, with ``changes`` (notes, peak memory, device) applied."""
    import dataclasses

    import numpy as np

    from tui_lab.core.train.config import TrainConfig
    from tui_lab.core.train.runner import RunResult

    result = RunResult(
        TrainConfig(), "cpu", "finished", "finished 3 epochs", np.array([1.0, 0.5]), (0.5, 0.1, 0.01), 10.0,
        (2.0, -3.4), 4.2, (2.0, -3.4), 4.2, (2.0, -3.4), 4.2, 0.0001, 0.5, 3000, 100,
    )  # fmt: skip
    return dataclasses.replace(result, **changes)  # type: ignore[arg-type]


def test_notes_and_peak_memory_are_one_sanitised_line_each() -> None:
    from tui_lab.ui.train.summary import run_notes

    hostile = "closed form solved on the CPU: \x1b]52;c;aGk=\x07 cusolver\nrefused"
    lines = run_notes(fake_result(notes=(hostile, "last batch ran eagerly"), peak_cuda_memory=3 * 2**20 + 2**19))
    plain = [line.plain for line in lines]
    assert len(plain) == 3 and all("\x1b" not in p and "\x07" not in p and "\n" not in p for p in plain)
    assert plain[0].startswith("note: closed form solved on the CPU: ") and "␛" in plain[0]
    assert plain[1] == "note: last batch ran eagerly"
    assert plain[2] == "peak CUDA memory 3.5 MiB on cpu"
    assert run_notes(fake_result()) == []  # no notes, no CUDA: nothing added
    assert run_notes(fake_result(peak_cuda_memory=5 * 2**30))[0].plain.startswith("peak CUDA memory 5.00 GiB")


async def test_the_summary_shows_notes_and_peak_memory_below_the_table(make_app: object) -> None:
    from tui_lab.core.train.history import RunRecord
    from tui_lab.ui.train.screen import TrainScreen
    from tui_lab.ui.train.summary import TrainStats

    app = make_app(pane="train")  # type: ignore[operator]
    async with app.run_test(size=(120, 40)) as pilot:  # room for both notes below the table
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrainScreen)
        record = RunRecord(1, fake_result().config)
        record.finish(
            fake_result(device="cuda:0", notes=("the tail batch ran eagerly\x1b[2J",), peak_cuda_memory=2**21)
        )
        stats = screen.query_one(TrainStats)
        stats.show_result(record)
        await pilot.pause()
        lines = stats.plain.splitlines()
        assert lines[0].startswith("#1 concise") and "cuda:0" in lines[1]
        assert lines[2].split() == ["learned", "true", "error", "closed"]  # the table, then the notes
        assert lines[-2] == "note: the tail batch ran eagerly␛[2J" and lines[-1] == "peak CUDA memory 2.0 MiB on cuda:0"
        assert "\x1b" not in stats.plain and len(lines) <= stats.lines

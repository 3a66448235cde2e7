"""The Train summary's parameter table: b always, then as many weights as fit, then how many more."""

from __future__ import annotations

from tui_lab.ui.train.summary import params_table, table_room


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

    entries = [(f"#{i} concise lr=0.0{i} B=10", "cyan+") for i in range(1, 6)]
    lines = legend_lines(entries, 40, 2)
    assert len(lines) == 2 and lines[-1][-1][0].startswith("#5")
    assert all(2 + sum(len(label) + 2 for label, _ in line) + 3 * (len(line) - 1) <= 44 for line in lines)


def test_the_sweep_dialog_does_not_list_the_swept_rate_among_shared_settings() -> None:
    from tui_lab.core.train.config import TrainConfig
    from tui_lab.ui.train.sweep import shared_settings

    assert shared_settings(TrainConfig(lr=0.5)) == "concise sgd B=10"

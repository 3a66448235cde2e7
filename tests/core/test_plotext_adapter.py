"""core.plotext_adapter against the installed plotext: each private it touches, and the public conventions."""

from __future__ import annotations

import plotext
from rich.console import Console
from rich.style import Style
from rich.text import Text

from tui_lab.core.plotext_adapter import NO_COLOR, ansi_cell, ansi_text, cell_rows, new_figure, plain_text, set_size

CONSOLE = Console(color_system="truecolor", force_terminal=True, width=200)


def _figure(width: int = 40, height: int = 12, theme: str = "clear"):
    figure = new_figure()
    set_size(figure, width, height)
    figure.theme(theme)
    figure.title("loss")
    figure.plot([0.0, 1.0, 2.0, 3.0], [3.0, 1.0, 0.5, 0.2], color="red", marker="x")
    return figure


def _style_of(ansi: str) -> Style:
    text = Text.from_ansi(ansi)
    return text.get_style_at_offset(CONSOLE, 0) if text.spans else Style.null()


def test_new_figures_are_their_own_and_leave_plotexts_global_figure_alone() -> None:
    plotext.clear_figure()
    first, second = new_figure(), new_figure()
    set_size(first, 30, 8)
    set_size(second, 30, 8)
    first.title("first")
    second.title("second")
    first.plot([1, 2, 3])
    assert "first" in plain_text(first) and "second" not in plain_text(first)
    assert "second" in plain_text(second) and "first" not in plain_text(second)
    assert "first" not in plotext.uncolorize(plotext.build())


def test_set_size_draws_at_exactly_that_size_also_past_the_terminals() -> None:
    figure = _figure(40, 12)
    lines = plain_text(figure).rstrip("\n").split("\n")
    assert (len(lines), {len(line) for line in lines}) == (12, {40})
    set_size(figure, 400, 150)  # plotsize alone would cut this down to the process's terminal (80×24 under pytest)
    lines = plain_text(figure).rstrip("\n").split("\n")
    assert (len(lines), {len(line) for line in lines}) == (150, {400})


def test_cell_rows_hold_the_characters_and_colours_that_plotext_prints() -> None:
    for theme in ("clear", "dark"):
        figure = _figure(theme=theme)
        cells = cell_rows(figure)
        assert cells is not None, "this plotext keeps its matrix elsewhere: the Train plot takes the slow way"
        printed = Text.from_ansi(ansi_text(figure).rstrip("\n")).split("\n", allow_blank=True)
        assert ["".join(row) for row in cells.characters] == [line.plain for line in printed]
        for row, line in enumerate(printed):
            for column in range(0, len(line.plain), 7):
                colours = (cells.fore[row][column], cells.style[row][column], cells.back[row][column])
                assert _style_of(ansi_cell(*colours)) == line.get_style_at_offset(CONSOLE, column), (theme, row, column)
        assert any("red" in str(fore) or fore == 1 for row in cells.fore for fore in row)  # the curve's colour
        assert (cells.background == NO_COLOR) == (theme == "clear")
        assert cells.background == cells.back[-1][0] == cells.back[0][0]


def test_the_public_conventions() -> None:
    assert ansi_cell(NO_COLOR, NO_COLOR, NO_COLOR) == "x"  # "default" draws in the terminal's own colours
    red = _style_of(ansi_cell("red", "bold", NO_COLOR))
    assert red.bold and red.color is not None and red.color.number == 1 and red.bgcolor is None
    assert "\x1b" in ansi_text(_figure(theme="dark"))
    assert "\x1b" not in plain_text(_figure(theme="dark"))

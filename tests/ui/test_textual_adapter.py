"""ui.textual_adapter against the installed Textual: the control filter, the suggestion, the toggle glyph, the plot
theme, and screens that take the app's styles as they stand."""

from __future__ import annotations

import re

import pytest
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.color import Color
from textual.css.stylesheet import Stylesheet
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Input, SelectionList, Static
from textual_plotext import PlotextPlot

from tui_lab.core.plotext_adapter import cell_rows, set_size
from tui_lab.core.text import CONTROL_CHARACTERS
from tui_lab.core.workspace import Workspace
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.textual_adapter import (
    CONTROL_FILTER,
    ControlFilter,
    pending_suggestion,
    plotext_theme,
    toggle_inner,
    with_control_filter,
)

OSC52 = "\x1b]52;c;UFdORUQ=\x1b\\"
BLACK = Color(0, 0, 0)


def test_the_filter_makes_controls_visible_and_keeps_the_width() -> None:
    bold = Style(bold=True)
    line = [Segment("ab", bold), Segment(f"c{OSC52}\x1b[2J.csv", bold), Segment("   ", None)]
    out = ControlFilter().apply(line, BLACK)
    text = "".join(segment.text for segment in out)
    assert not CONTROL_CHARACTERS.search(text)
    assert text.startswith("abc␛]52;c;UFdORUQ=␛\\␛[2J")
    assert Segment.get_line_length(out) == Segment.get_line_length(line)
    assert out[0].style == bold


def test_the_filter_leaves_clean_lines_and_control_segments_alone() -> None:
    clean = [Segment("plain ␛ text", Style(italic=True))]
    assert ControlFilter().apply(clean, BLACK) is clean
    control = [Segment("\x1b[?25l", None, [(1,)]), Segment("x\x07", None)]  # type: ignore[list-item]
    out = ControlFilter().apply(control, BLACK)
    assert out[0] is control[0] and out[1].text == "x"  # BEL made visible, then cut back to one cell


def test_the_filter_drops_a_hyperlink_that_holds_a_control() -> None:
    line = [Segment("click", Style(link=f"https://x{OSC52}")), Segment("ok", Style(link="https://example.org"))]
    out = ControlFilter().apply(line, BLACK)
    assert out[0].style is not None and not out[0].style.link
    assert out[1].style is not None and out[1].style.link == "https://example.org"


class _Shows(App[None]):
    def compose(self) -> ComposeResult:
        yield Static(Text(f"name {OSC52}\x1b]0;title\x07 end"), id="hostile")

    def get_line_filters(self):
        return with_control_filter(super().get_line_filters())


async def test_a_widget_rendering_controls_shows_them_through_the_app_filter() -> None:
    app = _Shows()
    async with app.run_test(size=(60, 4)):
        widget = app.query_one("#hostile", Static)
        strips = widget.render_lines(Region(0, 0, widget.size.width, 1))
        text = "".join(segment.text for segment in strips[0])
        assert "name ␛]52;c;UFdORUQ=␛\\␛]0;title" in text
        assert not CONTROL_CHARACTERS.search(text)
        assert sum(segment.cell_length for segment in strips[0]) == widget.size.width


def test_the_app_installs_the_filter_after_textuals_own() -> None:
    filters = TuiLabApp().get_line_filters()
    assert filters[-1] is CONTROL_FILTER
    assert sum(isinstance(f, ControlFilter) for f in filters) == 1


class _Suggests(App[None]):
    def compose(self) -> ComposeResult:
        from textual.suggester import SuggestFromList

        yield Input(suggester=SuggestFromList(["alpha"]), id="field")
        yield SelectionList(("one", 1), id="choices")


async def test_pending_suggestion_and_the_toggle_glyph_match_textual() -> None:
    app = _Suggests()
    async with app.run_test() as pilot:
        field = app.query_one("#field", Input)
        assert pending_suggestion(field) == ""
        await pilot.press("a", "l")
        for _ in range(100):
            if pending_suggestion(field):
                break
            await pilot.pause()
        assert pending_suggestion(field) == "alpha"
        row = app.query_one("#choices", SelectionList).render_line(0)
        assert toggle_inner() in [segment.text for segment in row]


class _Plots(App[None]):
    def compose(self) -> ComposeResult:
        yield PlotextPlot(id="plot")


def _background(plot: PlotextPlot, theme: str) -> object:
    figure = plot.plt
    figure.clear_figure()
    set_size(figure, 20, 6)
    figure.theme(theme)
    figure.plot([1.0, 2.0])
    cells = cell_rows(figure)
    assert cells is not None
    return cells.background


async def test_plotext_theme_is_the_one_the_plot_registered_from_the_app_theme() -> None:
    app = _Plots()
    async with app.run_test() as pilot:
        plot = app.query_one(PlotextPlot)
        surface = Color.parse(app.theme_variables["surface"]).rgb
        assert _background(plot, plotext_theme(plot)) == surface  # a name plotext does not know draws its default
        assert _background(plot, "no such theme") != surface
        plot.theme = "dark"
        await pilot.pause()
        assert plotext_theme(plot) == "dark"


def _count_reparses(app: TuiLabApp, monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """A list that grows by one each time the app re-parses its whole stylesheet."""
    reparses: list[None] = []
    reparse = app.stylesheet.reparse

    def counted() -> None:
        reparses.append(None)
        reparse()

    monkeypatch.setattr(app.stylesheet, "reparse", counted)
    return reparses


async def test_showing_each_pane_for_the_first_time_reparses_no_stylesheet(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = TuiLabApp(workspace=workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        reparses = _count_reparses(app, monkeypatch)
        for key, pane in (("f3", "data"), ("f4", "graph"), ("f5", "train")):
            await pilot.press(key)
            await pilot.pause()
            assert app.current_mode == pane
        assert reparses == []  # it was two or three for each new pane's first show
        await pilot.press("f2")  # the start pane's first return: Textual re-parsed there too
        await pilot.pause()
        await pilot.press("f3")
        await pilot.pause()
        assert reparses == []


def _foreground_alpha(widget: Widget) -> float:
    foreground = widget.visual_style.foreground
    return 0.0 if foreground is None else foreground.a


@pytest.mark.parametrize("start", ["repl", "data", "graph", "train"])
async def test_the_start_pane_draws_in_the_apps_colours_with_no_reparse(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, start: str
) -> None:
    """Textual re-parses every stylesheet before a mode's first screen is shown (about 20 ms of the first frame);
    the start screen skips that, and its widgets still draw in the app's colours, not in a colour styled before
    the app was (the Data pane's title was drawn in its own background colour)."""
    reparses: list[None] = []
    reparse = Stylesheet.reparse

    def counted(self: Stylesheet) -> None:
        reparses.append(None)
        reparse(self)

    monkeypatch.setattr(Stylesheet, "reparse", counted)
    app = TuiLabApp(workspace=workspace, pane=start)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.current_mode == start
        assert reparses == []
        unstyled = [repr(widget) for widget in app.screen.query("*") if _foreground_alpha(widget) == 0]
        assert unstyled == []
        assert app.screen.visual_style.foreground == app.styles.color


async def test_a_theme_change_still_restyles_every_pane_made_before_or_after_it(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = TuiLabApp(workspace=workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")  # the Data pane, made before the change
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        app.theme = "textual-light"
        await pilot.pause()
        light = app.screen.styles.background
        reparses = _count_reparses(app, monkeypatch)
        for key in ("f3", "f4"):  # Data, made before the change; Graph, made after it
            await pilot.press(key)
            await pilot.pause()
            assert app.screen.styles.background == light
        assert len(reparses) == 1  # the Data pane's restyle; the Graph pane needs none


def _picture(app: TuiLabApp) -> str:
    return re.sub(r"terminal-\d+", "terminal", app.export_screenshot())


async def test_a_pane_shown_by_its_key_looks_as_it_does_as_the_start_pane(workspace: Workspace) -> None:
    pictures: dict[str, str] = {}
    for start in ("data", "repl"):
        app = TuiLabApp(workspace=workspace, pane=start)
        async with app.run_test(size=(80, 24)) as pilot:
            if start != "data":
                await pilot.press("f3")
            await pilot.pause()
            assert app.current_mode == "data"
            pictures[start] = _picture(app)
    assert pictures["repl"] == pictures["data"]

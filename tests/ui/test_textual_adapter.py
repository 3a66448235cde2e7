"""ui.textual_adapter against the installed Textual: the control filter, the suggestion, the toggle glyph."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.color import Color
from textual.geometry import Region
from textual.widgets import Input, SelectionList, Static

from tui_lab.core.text import CONTROL_CHARACTERS
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.textual_adapter import (
    CONTROL_FILTER,
    ControlFilter,
    pending_suggestion,
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

    def get_line_filters(self):  # type: ignore[no-untyped-def]
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

"""The one place that leans on Textual's internals, so a Textual upgrade breaks here and nowhere else.

* :class:`ControlFilter` is the choke point between the app and the terminal: a line filter
  (``textual.filter.LineFilter``, which Textual applies to every line a widget renders, e.g. for
  ``NO_COLOR``) that turns every control character in segment text into a visible escape
  (``␛``, ``\\x9b``), and drops a hyperlink whose target holds one. Sanitising at each source is
  not enough: some value will miss it (an input's default, a pasted line, a restored form), and
  the terminal obeys ESC wherever it comes from (OSC 52 writes the clipboard, OSC 0 the title,
  CSI clears the screen). Segments that *are* control codes (Rich's ``Segment.control``) are
  code's own and pass unchanged; Textual's cursor moves and modes are added after the filters.
  ``TuiLabApp.get_line_filters`` (a public App method) puts it after Textual's own filters;
  ``textual.filter`` calls filters internal, hence this module. Its quick check reads Rich's ``Style._link`` (the public property costs ten times as much, on
  every new line); bench/line_filter.py measures the whole filter per frame.
* :class:`KeepControls` runs one of Textual's own filters on a line's *text* segments only: Textual's
  filters (``ANSIToTruecolor``, on by default) rebuild every segment as text, which turned the REPL's
  figure graphics (Kitty, Sixel: control segments made from pixels by ``ui/repl/images.py``) into text
  that the control filter then showed as ``␛_G…``.
* :func:`pending_suggestion` reads the completion an ``Input`` shows (``Input._suggestion``,
  private), for dialogs where Tab accepts it before moving focus.
* :func:`adopt_app_styles` marks a new screen as styled by the app's stylesheet as it stands
  (``Screen._css_update_count``, private): Textual re-parses every stylesheet and restyles the
  whole app when a screen whose count differs is first shown, twice for a mode's first screen,
  even when the screen brings no CSS the app has not read. For the start screen that re-parse cost
  232 → 215 ms of the first frame (bench/startup.py, quiet machine).
* :func:`toggle_inner` is the glyph ``SelectionList`` draws inside every row's button
  (``textual.widgets._toggle_button.ToggleButton.BUTTON_INNER``, a private module), so a list can
  draw ticked and unticked rows differently instead of by colour alone.
* :func:`plotext_theme` is the plotext theme a ``PlotextPlot`` draws with (textual-plotext's
  ``_get_plotext_theme_name``: ``textual-auto-<app theme>``, which the widget registers with
  plotext, unless the plot names a plotext theme), for a plot that builds its picture itself.

tests/ui/test_textual_adapter.py checks each against the installed Textual.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter

from tui_lab.core.text import CONTROL_CHARACTERS, visible

if TYPE_CHECKING:  # the app imports this module before its first frame; widgets come with their dialogs
    from textual.screen import Screen
    from textual.widgets import Input
    from textual_plotext import PlotextPlot

__all__ = [
    "CONTROL_FILTER",
    "ControlFilter",
    "KeepControls",
    "adopt_app_styles",
    "pending_suggestion",
    "plotext_theme",
    "toggle_inner",
    "with_control_filter",
]


def _has_control(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


class ControlFilter(LineFilter):
    """Every control character in a line's text made visible; the line keeps its width in cells.

    Control characters take no cells, their visible forms one or more, so a line that had any is
    cut back to its width (the last few cells of a hostile line are lost, the layout is not).
    """

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        # The common case, checked at the cost of one join and one regex search per line.
        if CONTROL_CHARACTERS.search("".join([text for text, _, _ in segments])) is None and not any(
            [style._link for _, style, _ in segments if style is not None]  # Style.link costs 10x as much
        ):
            return segments
        changed = False
        out: list[Segment] = []
        for segment in segments:
            text, style, control = segment
            if control:
                out.append(segment)
                continue
            link = style.link if style is not None else None
            if _has_control(text) or (link and _has_control(link)):
                changed = True
                if link and _has_control(link):
                    style = _without_link(style)
                segment = Segment(visible(text), style)
            out.append(segment)
        if not changed:
            return segments
        width = Segment.get_line_length(segments)
        if Segment.get_line_length(out) > width:
            out = Segment.adjust_line_length(out, width)
        return out


def _without_link(style: Style | None) -> Style | None:
    return None if style is None else style.update_link(None)


#: One filter for the whole app (Textual caches filtered lines per filter object).
CONTROL_FILTER = ControlFilter()


class KeepControls(LineFilter):
    """``inner`` (one of Textual's filters) applied to a line's text segments; its control segments pass as they are."""

    def __init__(self, inner: LineFilter) -> None:
        super().__init__(enabled=inner.enabled)
        self.inner = inner

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if not any([control for _, _, control in segments]):
            return self.inner.apply(segments, background)
        texts = [segment for segment in segments if not segment.control]
        filtered = self.inner.apply(texts, background)
        if len(filtered) != len(texts):  # not one for one: the graphics go first, where a figure's line has them
            return [segment for segment in segments if segment.control] + filtered
        replaced = iter(filtered)
        return [segment if segment.control else next(replaced) for segment in segments]


#: One wrapper per Textual filter object (Textual caches filtered lines per filter object).
_kept: dict[int, tuple[LineFilter, KeepControls]] = {}


def _keeping_controls(inner: LineFilter) -> KeepControls:
    found = _kept.get(id(inner))
    if found is None or found[0] is not inner:
        found = _kept[id(inner)] = (inner, KeepControls(inner))
    return found[1]


def with_control_filter(filters: Sequence[LineFilter]) -> list[LineFilter]:
    """``filters`` (Textual's own, e.g. for NO_COLOR; passing control segments on) followed by the control filter."""
    return [*(_keeping_controls(inner) for inner in filters), CONTROL_FILTER]


def pending_suggestion(field: Input) -> str:
    """The completion ``field`` shows after its cursor ("" when it shows none)."""
    suggestion = field._suggestion
    return suggestion if isinstance(suggestion, str) else ""


def adopt_app_styles(screen: Screen[Any]) -> None:
    """Mark ``screen``, made in a running app, as styled by the app's stylesheet as it stands now.

    Textual styles a screen's widgets from that stylesheet as they mount; what the count adds is a
    full re-parse and restyle at the first show, needed only when the stylesheet changed since (a
    theme change bumps the app's count, so a screen made before it is still refreshed), or when the
    screen brings CSS the app has not read (Textual reads that and restyles the app anyway).

    The start screen is made while the app composes, before Textual styles the app itself, and its
    widgets can draw before that: each keeps the colours it first drew with, so a widget drew its text in
    no colour at all (the Data pane's title, in its background's). Textual's re-parse styled the app
    first; here the app is styled from the stylesheet as read, which parses each source once.
    """
    app = screen.app
    if not app.screen_stack:  # the start screen
        app.stylesheet.apply(app)
    screen._css_update_count = app._css_update_count


@cache
def toggle_inner() -> str:
    """The character inside a ``SelectionList`` row's toggle button (the same ticked or not)."""
    from textual.widgets._toggle_button import ToggleButton

    return ToggleButton.BUTTON_INNER


def plotext_theme(plot: PlotextPlot) -> str:
    """The plotext theme ``plot`` draws with: its own, or the one made from the app's theme (when "auto")."""
    return str(plot._get_plotext_theme_name(plot.app.theme))

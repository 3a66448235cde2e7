"""Theme variables as Rich styles, and the one way untrusted text becomes a renderable.

Line-API widgets (the data grid, the graph view, the variable list, the loss plot) need Rich
styles; they get them from :func:`theme_style` (a theme variable such as ``"accent"`` or
``"error"``) or from their own component classes, never from literal colours.

Text that came from data goes through :func:`safe_text`: control characters are made visible by
:func:`tui_lab.core.text.visible` and the result is a ``Text`` object, so ``[b]`` or ``[/]`` in a
column name is shown as typed and can neither restyle nor crash a widget.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import App
from textual.color import Color
from textual.markup import escape

from tui_lab.core.text import one_line, visible

__all__ = ["escape_markup", "safe_line", "safe_text", "theme_style"]


def safe_text(text: object, style: str | Style = "", *, keep: str = "\n\t") -> Text:
    """Untrusted ``text`` as a Rich ``Text``: controls shown as escapes, markup never parsed."""
    return Text(visible(str(text), keep=keep), style=style)


def safe_line(text: object, style: str | Style = "", limit: int | None = None) -> Text:
    """Untrusted ``text`` on one line (newlines shown as ``␊``), optionally cut to ``limit`` cells."""
    return Text(one_line(str(text), limit), style=style, no_wrap=True, overflow="ellipsis")


def escape_markup(text: object) -> str:
    """Untrusted ``text`` for a place that only takes a markup string (a notification, a title)."""
    return escape(visible(str(text)))


def theme_style(app: App[object], variable: str, *, bold: bool = False, background: str | None = None) -> Style:
    """A Rich style whose colour is the app theme's ``$variable`` (e.g. ``"accent"``, ``"error"``)."""
    variables = app.get_css_variables()

    def colour(name: str | None) -> str | None:
        value = variables.get(name) if name else None
        if not value:
            return None
        try:
            return Color.parse(value).hex
        except Exception:  # a theme without that variable: fall back to the terminal's default
            return None

    return Style(color=colour(variable), bgcolor=colour(background), bold=bold or None)

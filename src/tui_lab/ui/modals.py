"""Modal screens: the help screen and a generic filterable picker."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui_lab.ui.panes import PANES

#: Width of the key column, the same in every section so the sections line up as one table.
KEY_COLUMN = 12


class HelpScreen(ModalScreen[None]):
    """Keys, panes and the command line, in one scrollable page that starts with the keys of the pane in use."""

    BINDINGS = [
        Binding("escape", "dismiss_help", "Close"),
        Binding("f1", "dismiss_help", "Close", show=False),
        Binding("q", "dismiss_help", "Close", show=False),
    ]

    def __init__(
        self,
        key_sections: Sequence[tuple[str, Sequence[tuple[str, str]]]],
        cli_help: str = "",
        *,
        open_at: str | None = None,
    ) -> None:
        super().__init__(id="help-screen")
        self.key_sections = key_sections
        self.cli_help = cli_help or "Run `tui-lab --help` (and `tui-lab train --help`) for the command line."
        #: The section (a pane's title) that leads the page, so the screen opens at it; None: the registry's order.
        self.open_at = open_at

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(Text("tui-lab help  (Esc closes, arrows scroll)", style="bold"), id="help-title")
            tables = [
                self._keys_table(section, keys, first=index == 0, in_use=section == self.open_at)
                for index, (section, keys) in enumerate(self.ordered_sections())
            ]
            yield Static(Group(*tables), id="help-keys")
            yield Static(self._panes_table(), id="help-panes")
            yield Static(Text("Command line", style="bold"))
            yield Static(Text(self.cli_help.rstrip()), id="help-cli")
            yield Static(
                Text(
                    "Notes: every action is also in the command palette (ctrl+p). "
                    "Keys such as ctrl+enter are lost in many terminals and in tmux, "
                    "so none of them is the only way to do something."
                ),
                id="help-notes",
            )

    def ordered_sections(self) -> list[tuple[str, Sequence[tuple[str, str]]]]:
        """The key sections as shown: the pane in use first (F1 opens at its keys), then the rest in order."""
        return sorted(self.key_sections, key=lambda section: section[0] != self.open_at)

    @property
    def leading_section(self) -> str:
        """The key section the page starts with (the pane in use, when there is one)."""
        return self.ordered_sections()[0][0]

    @staticmethod
    def _keys_table(section: str, keys: Sequence[tuple[str, str]], *, first: bool, in_use: bool = False) -> Table:
        """One section's keys (the first with the page's "Keys" title), columns aligned across sections."""
        table = Table(title="Keys" if first else None, title_justify="left", expand=True, show_edge=False)
        table.add_column("key", style="bold", no_wrap=True, width=KEY_COLUMN)
        table.add_column("action", ratio=1)
        table.show_header = first
        table.add_row(Text(section, style="italic underline"), Text("the pane in use" if in_use else "", style="dim"))
        for key, description in keys:
            table.add_row(key, description)
        return table

    def _panes_table(self) -> Table:
        table = Table(title="Panes", title_justify="left", expand=True, show_edge=False, show_header=False)
        table.add_column("pane", style="bold", no_wrap=True)
        table.add_column("what it does")
        for pane in PANES:
            table.add_row(f"{pane.title} ({pane.key.upper()})", pane.description)
        return table

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


class PickerScreen(ModalScreen[str | None]):
    """Pick one of ``choices`` (value, label): type to filter, Enter picks, Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, choices: Sequence[tuple[str, str]], *, filter_placeholder: str = "filter…"):
        super().__init__(classes="picker")
        self.title_text = title
        self.choices = list(choices)
        self.filter_placeholder = filter_placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box"):
            yield Static(Text(self.title_text, style="bold"), id="picker-title")
            yield Input(placeholder=self.filter_placeholder, id="picker-filter")
            yield OptionList(*self._options(""), id="picker-options")

    def _options(self, needle: str) -> list[Option]:
        needle = needle.lower()
        return [Option(label, id=value) for value, label in self.choices if needle in label.lower()]

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        options = self.query_one("#picker-options", OptionList)
        options.clear_options()
        options.add_options(self._options(event.value))
        if options.option_count:
            options.highlighted = 0

    def on_mount(self) -> None:
        options = self.query_one("#picker-options", OptionList)
        if options.option_count:
            options.highlighted = 0

    @on(Input.Submitted, "#picker-filter")
    def _submit_filter(self) -> None:
        options = self.query_one("#picker-options", OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    def on_key(self, event: events.Key) -> None:
        key = event.key
        if key in ("down", "up") and self.focused is self.query_one("#picker-filter"):
            options = self.query_one("#picker-options", OptionList)
            if key == "down":
                options.action_cursor_down()
            else:
                options.action_cursor_up()
            event.stop()

    @on(OptionList.OptionSelected, "#picker-options")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)

"""The Train pane's settings form: one row per field, its error message right under it.

Text fields are one-line ``Input`` widgets; choices are :class:`ChoiceField` (←/→ or space
cycles), so the whole form is driven with Tab, arrows and typing: ↑/↓ move to the previous or
next shown field, as in a settings dialog.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from tui_lab.core.text import one_line
from tui_lab.core.train.config import (
    DATA_SOURCES,
    IMPLS,
    LOSSES,
    OPTIMIZERS,
    TrainConfig,
    field_text,
)

#: (field, label, choices or None for text), in form order.
FIELDS: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("impl", "impl", IMPLS),
    ("model_name", "model", None),
    ("data", "data", DATA_SOURCES),
    ("n", "N", None),
    ("true_w", "true w", None),
    ("true_b", "true b", None),
    ("noise", "noise σ", None),
    ("data_seed", "data seed", None),
    ("x_name", "X name", None),
    ("y_name", "y name", None),
    ("csv_path", "CSV path", None),
    ("target", "target", None),
    ("lr", "lr", None),
    ("batch_size", "batch", None),
    ("epochs", "epochs", None),
    ("optimizer", "optimizer", OPTIMIZERS),
    ("momentum", "momentum", None),
    ("loss", "loss", LOSSES),
    ("huber_delta", "huber δ", None),
    ("init_std", "init std", None),
    ("seed", "seed", None),
    ("processes", "processes", None),
)

#: The longest text a field is given from elsewhere (a path may be long; a number never is).
VALUE_LIMIT = 4096

#: Fields shown only for one data source / optimizer / loss.
ONLY_WHEN = {
    **{name: ("data", "synthetic") for name in ("n", "true_w", "true_b", "noise", "data_seed")},
    "x_name": ("data", "workspace"),
    "y_name": ("data", "workspace"),
    "csv_path": ("data", "csv"),
    "target": ("data", "csv"),
    "momentum": ("optimizer", "momentum"),
    "huber_delta": ("loss", "huber"),
    "model_name": ("impl", "model"),
}


class ChoiceField(Widget, can_focus=True):
    """One of a few values; ←/→ or space cycles, the value shows as ``‹ concise ›``."""

    DEFAULT_CSS = """
    ChoiceField {
        width: 1fr;
        height: 1;
        background: $boost;
        padding: 0 1;
    }
    ChoiceField:focus {
        background: $accent 40%;
        text-style: bold;
    }
    """
    BINDINGS = [
        Binding("left", "cycle(-1)", "Previous", show=False),
        Binding("right,space", "cycle(1)", "Next", show=False),
    ]

    value: reactive[str] = reactive("")

    @dataclass
    class Changed(Message):
        """The choice changed."""

        choice: ChoiceField
        value: str

    def __init__(self, choices: tuple[str, ...], value: str, *, id: str) -> None:  # noqa: A002
        super().__init__(id=id)
        self.choices = choices
        self.set_reactive(ChoiceField.value, value)

    def render(self) -> Text:
        return Text(f"‹ {self.value} ›")

    def action_cycle(self, delta: int) -> None:
        """Move to the next (or previous) choice."""
        index = self.choices.index(self.value) if self.value in self.choices else 0
        self.value = self.choices[(index + delta) % len(self.choices)]

    def on_click(self) -> None:
        self.action_cycle(1)

    def watch_value(self, value: str) -> None:
        self.post_message(self.Changed(self, value))


class TrainForm(VerticalScroll, can_focus=False):
    """Every setting of a run, validated as a whole by :func:`parse_config` on start."""

    BINDINGS = [
        Binding("up", "move_field(-1)", "Previous field", show=False),
        Binding("down", "move_field(1)", "Next field", show=False),
    ]

    def __init__(self, config: TrainConfig, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.initial = config

    def compose(self) -> ComposeResult:
        for name, label, choices in FIELDS:
            with Horizontal(classes="field-row", id=f"row-{name}"):
                yield Label(label, classes="field-label")
                text = field_text(self.initial, name)
                if choices is None:
                    yield Input(text, id=f"field-{name}", select_on_focus=False)
                else:
                    yield ChoiceField(choices, text, id=f"field-{name}")
            yield Static("", classes="field-error", id=f"error-{name}")

    def on_mount(self) -> None:
        self._apply_visibility()

    def values(self, *, relevant_only: bool = True) -> dict[str, str]:
        """The text of each field by config field name; hidden fields (e.g. N for workspace data) are left out."""
        out: dict[str, str] = {}
        for name, _label, _choices in FIELDS:
            if relevant_only and self._hidden(name):
                continue
            widget = self.query_one(f"#field-{name}")
            out[name] = widget.value if isinstance(widget, (Input, ChoiceField)) else ""
        return out

    def value(self, name: str) -> str:
        """The text of one field, shown or not."""
        return self.values(relevant_only=False)[name]

    def set_value(self, name: str, text: str) -> None:
        """Set one field's text (another pane's names, a session's form: both untrusted).

        The text is put in as one line with its control characters visible (``␛``), cut to
        :data:`VALUE_LIMIT` characters: a restored ``n`` holding OSC 52 shows as typed and is
        then refused by the form's checks, never sent to the terminal.
        """
        widget = self.query_one(f"#field-{name}")
        if isinstance(widget, (Input, ChoiceField)):
            widget.value = one_line(text, VALUE_LIMIT)
        self._apply_visibility()

    def load(self, config: TrainConfig) -> None:
        """Show ``config`` in every field."""
        for name, _label, _choices in FIELDS:
            self.set_value(name, field_text(config, name))

    def shown_fields(self) -> list[Widget]:
        """The field widgets that apply to the current choices, in form order."""
        return [self.query_one(f"#field-{name}") for name, _label, _choices in FIELDS if not self._hidden(name)]

    def action_move_field(self, delta: int) -> None:
        """Focus the previous (−1) or next (+1) shown field; stays put at either end."""
        fields = self.shown_fields()
        focused = self.screen.focused
        if focused not in fields:
            target = fields[0] if delta > 0 else fields[-1]
        else:
            index = fields.index(focused) + delta
            if not 0 <= index < len(fields):
                return
            target = fields[index]
        self.screen.set_focus(target)  # at once, not later as focus() does: fast repeats must each move on

    def show_errors(self, errors: dict[str, str]) -> None:
        """Show each message beside its field (clearing the others) and focus the first bad field."""
        first = None
        for name, _label, _choices in FIELDS:
            message = errors.get(name, "")
            error = self.query_one(f"#error-{name}", Static)
            error.update(Text(f"↑ {message}") if message else "")
            error.set_class(bool(message), "-shown")
            if message and first is None:
                first = name
        if first is not None:
            self._reveal(first)
            widget = self.query_one(f"#field-{first}")
            widget.focus()
            self.call_after_refresh(self.scroll_to_widget, self.query_one(f"#error-{first}"))

    def clear_errors(self) -> None:
        """Hide every message."""
        self.show_errors({})

    def set_suggestions(self, names: Iterable[str], modules: Iterable[str] = ()) -> None:
        """Offer workspace tensor names as completions in the X and y fields, module names in the model field."""
        listing = sorted(names)
        for name in ("x_name", "y_name"):
            self.query_one(f"#field-{name}", Input).suggester = SuggestFromList(listing, case_sensitive=True)
        module_names = sorted(modules)
        self.query_one("#field-model_name", Input).suggester = SuggestFromList(module_names, case_sensitive=True)

    def _reveal(self, name: str) -> None:
        rule = ONLY_WHEN.get(name)
        if rule is not None and isinstance(rule, tuple):
            owner, wanted = rule
            widget = self.query_one(f"#field-{owner}")
            if isinstance(widget, ChoiceField) and widget.value != wanted:
                widget.value = wanted
        self._apply_visibility()

    def _hidden(self, name: str) -> bool:
        """True when ``name`` does not apply to the current choices (e.g. N for workspace data)."""
        rule = ONLY_WHEN.get(name)
        return rule is not None and self.query_one(f"#field-{rule[0]}", ChoiceField).value != rule[1]

    def _apply_visibility(self) -> None:
        for name in ONLY_WHEN:
            hidden = self._hidden(name)
            self.query_one(f"#row-{name}").set_class(hidden, "-hidden")
            self.query_one(f"#error-{name}").set_class(hidden, "-hidden")

    @on(ChoiceField.Changed)
    def _choice_changed(self) -> None:
        self._apply_visibility()

    @on(Input.Changed)
    def _edited(self, event: Input.Changed) -> None:
        """A field's message was about its old text: it goes as soon as the text changes."""
        field = event.input.id or ""
        if not field.startswith("field-"):
            return
        for error in self.query(f"#error-{field.removeprefix('field-')}").results(Static):
            error.update("")
            error.set_class(False, "-shown")

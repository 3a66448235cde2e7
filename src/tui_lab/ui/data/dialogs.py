"""Modal dialogs of the Data pane: open a CSV, type a path, fill in a step's options, confirm.

File names, recent files and column names are shown through ``safe_line`` (markup shown as
typed, control characters visible). A path put into an input (a completion, an export's default
name) is made visible on one line too, and :class:`~tui_lab.core.text.ShownPaths` maps what is
submitted back to the real file, so a hostile name can still be opened. Check lists draw ``▐✓▌``
for ticked and ``▐ ▌`` for unticked rows, so the state reads without colour (NO_COLOR).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.strip import Strip
from textual.suggester import Suggester
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, SelectionList, Static
from textual.widgets.option_list import Option

from tui_lab.core.data.files import complete_path, load_recent, sample_files
from tui_lab.core.text import ShownPaths, one_line
from tui_lab.ui.modal import LabModal
from tui_lab.ui.textual_adapter import pending_suggestion, toggle_inner
from tui_lab.ui.theme import safe_line, safe_text

#: The check glyph of a ticked row; an unticked row shows a blank, so colour is not needed to tell.
TICKED, UNTICKED = "✓", " "


class PathSuggester(Suggester):
    """Completes file-system paths as you type (→ or End accepts, Tab too in the dialogs).

    A completion is shown as :meth:`ShownPaths.show` makes it (one line, controls visible); the
    dialog turns the submitted text back into the real path with ``paths.real``.
    """

    def __init__(self, paths: ShownPaths) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.paths = paths

    async def get_suggestion(self, value: str) -> str | None:
        completion = complete_path(self.paths.real(value))
        return self.paths.show(completion) if completion is not None else None


ResultT = TypeVar("ResultT")


class DataDialog(LabModal[ResultT]):
    """The Data pane's dialogs: fields on the theme's boost colour, each under a muted label; Tab takes a completion.

    Tab accepts a path suggestion before it moves the focus.
    """

    DEFAULT_CSS = """
    DataDialog Label {
        margin-top: 1;
        color: $text-muted;
    }
    DataDialog Input, DataDialog Select, DataDialog SelectionList, DataDialog OptionList {
        background: $boost;
    }
    DataDialog SelectionList {
        height: auto;
        max-height: 7;
    }
    DataDialog OptionList {
        height: auto;
        max-height: 10;
    }
    """

    def _accept_suggestion(self) -> bool:
        focused = self.focused
        suggestion = pending_suggestion(focused) if isinstance(focused, Input) else ""
        if isinstance(focused, Input) and suggestion and focused.cursor_at_end:
            focused.value = suggestion
            focused.cursor_position = len(focused.value)
            return True
        return False

    async def on_key(self, event: events.Key) -> None:
        if event.key == "tab" and self._accept_suggestion():
            event.stop()
            event.prevent_default()


class OpenCsvScreen(DataDialog[str]):
    """Pick a CSV: a path with completion, the two sample files (F6, F7) and recent files."""

    AUTO_FOCUS = "#open-path"
    BINDINGS = [
        Binding("f6", "sample(0)", "house_tiny.csv"),
        Binding("f7", "sample(1)", "housing.csv"),
    ]

    def __init__(self, start: str = "") -> None:
        super().__init__("Open CSV")
        #: Paths shown in the input (completions, ``start``) and the real ones they stand for.
        self.paths = ShownPaths()
        self.start = start
        self.samples = sample_files()
        self.recent = [p for p in load_recent() if p not in {str(s) for s in self.samples}]

    def on_mount(self) -> None:
        from tui_lab.core.state import take_notices

        for notice in take_notices():  # a damaged or read-only recent-files list, said once
            self.notify(notice, title="Recent files", severity="warning", markup=False)

    def compose_body(self) -> ComposeResult:
        yield Input(
            self.paths.show(self.start),
            placeholder="path/to/file.csv",
            suggester=PathSuggester(self.paths),
            id="open-path",
            compact=True,
        )
        yield Static("Enter opens · Tab/→ completes · ↓ to the list · Esc cancels", classes="modal-help")
        yield Static("", classes="modal-error", id="open-error")
        options = [
            Option(Text.assemble((f"F{6 + i} ", "bold"), "sample: ", safe_line(p.name)), id=str(p))
            for i, p in enumerate(self.samples)
        ]
        if not self.samples:
            options.append(Option("sample_data/ not found next to the app or here", disabled=True))
        options += [Option(Text.assemble("recent: ", safe_line(p)), id=p) for p in self.recent]
        yield OptionList(*options, id="open-list", compact=True)

    @on(Input.Submitted, "#open-path")
    def _submit(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value:
            self.query_one("#open-error", Static).update("Type a path, or pick a file below.")
            return
        self.dismiss(self.paths.real(value))

    @on(OptionList.OptionSelected, "#open-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(event.option.id)

    def action_sample(self, index: int) -> None:
        if index < len(self.samples):
            self.dismiss(str(self.samples[index]))
        else:
            self.query_one("#open-error", Static).update("That sample file is not here (sample_data/ missing).")

    async def on_key(self, event: events.Key) -> None:
        await super().on_key(event)
        if event.key == "down" and isinstance(self.focused, Input):
            options = self.query_one("#open-list", OptionList)
            options.focus()
            if options.highlighted is None and options.option_count:
                options.highlighted = 0
            event.stop()


class PathPromptScreen(DataDialog[str]):
    """Ask for a file path to write to."""

    def __init__(self, title: str, default: str) -> None:
        super().__init__(safe_line(title))
        self.title_text, self.default = title, default
        #: The default (often named after a hostile source file) as shown, and the real path behind it.
        self.paths = ShownPaths()

    def compose_body(self) -> ComposeResult:
        yield Input(self.paths.show(self.default), suggester=PathSuggester(self.paths), id="prompt-path", compact=True)
        yield Static("Enter writes (atomically) · Esc cancels", classes="modal-help")

    @on(Input.Submitted, "#prompt-path")
    def _submit(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(self.paths.real(event.value.strip()))


class ConfirmScreen(DataDialog[bool]):
    """A yes/no question: y or Enter says yes, n or Esc says no."""

    BINDINGS = [Binding("y,enter", "answer(True)", "Yes"), Binding("n", "answer(False)", "No")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose_body(self) -> ComposeResult:
        yield Static(safe_text(self.question))
        yield Static("y / Enter: yes · n / Esc: no", classes="modal-help")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_cancel(self) -> None:
        self.dismiss(False)


@dataclass(frozen=True)
class ColumnsField:
    """Tick columns (space toggles)."""

    name: str
    label: str
    columns: Sequence[str]
    selected: frozenset[str] = frozenset()
    #: The column the list starts on (highlighted, not ticked).
    start: str | None = None


@dataclass(frozen=True)
class ChoiceField:
    """One of a few options."""

    name: str
    label: str
    options: Sequence[tuple[str, str]]
    value: str


@dataclass(frozen=True)
class TextField:
    """A line of text."""

    name: str
    label: str
    value: str = ""
    placeholder: str = ""


@dataclass(frozen=True)
class CheckField:
    """An on/off option."""

    name: str
    label: str
    value: bool = False


Field = ColumnsField | ChoiceField | TextField | CheckField


class _SubmitOnEnter:
    """Mixin for form fields: Enter applies the whole form (space still changes the field)."""

    def action_submit_form(self) -> None:
        screen = self.screen  # type: ignore[attr-defined]
        if isinstance(screen, StepFormScreen):
            screen.action_apply()


class _FormSelectionList(_SubmitOnEnter, SelectionList[str]):
    """Space toggles a column; Enter applies the form. Ticked rows show ✓, unticked a blank."""

    BINDINGS = [Binding("enter", "submit_form", "Apply", show=False)]

    def action_select(self) -> None:
        """Space ticks at once: Textual ticks on a message queued behind keys already typed, so an Enter
        right behind Space (a fast typist, tmux send-keys) applied the form without the tick."""
        if self.highlighted is not None:
            self.toggle(self.get_option_at_index(self.highlighted))

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        if len(segments) < 2 or segments[1].text != toggle_inner():
            return strip
        index = self.scroll_offset.y + y
        try:
            ticked = self.get_option_at_index(index).value in self.selected
        except Exception:  # no option on this line
            return strip
        glyph, style, control = segments[1]
        segments[1] = type(segments[1])(TICKED if ticked else UNTICKED, style, control)
        return Strip(segments, strip.cell_length)


class _FormSelect(_SubmitOnEnter, Select[str]):
    """Space or ↓ opens the choices; Enter applies the form."""

    BINDINGS = [Binding("enter", "submit_form", "Apply", show=False)]


class _FormCheckbox(_SubmitOnEnter, Checkbox):
    """Space toggles; Enter applies the form. Ticked shows ✓, unticked a blank."""

    BINDINGS = [Binding("enter", "submit_form", "Apply", show=False)]

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802  # Textual's class constant, per state here
        return TICKED if self.value else UNTICKED


#: A form's values by field name. Any: each value's type follows its field's kind (ticked columns a
#: tuple of str, text and choices a str, a check a bool), which the builder that named the field knows.
FormValues: TypeAlias = dict[str, Any]


class StepFormScreen(DataDialog[FormValues]):
    """A step's options; Enter (or Apply) checks them with ``validate``, then runs them with ``submit``.

    With ``submit`` the form stays open while the step runs: the screen calls :meth:`succeeded`
    (which closes it) or :meth:`failed` (which shows the error inside, keeping what was typed).
    Without ``submit`` the values are returned through ``dismiss``.
    """

    DEFAULT_CSS = """
    StepFormScreen .form-fields {
        height: auto;
        max-height: 55vh;
    }
    """
    AUTO_FOCUS = ".form-fields *"  # the first focusable field, not the scrollable dialog

    def __init__(
        self,
        title: str,
        help_text: str,
        fields: Sequence[Field],
        validate: Callable[[FormValues], str | None] | None = None,
        submit: Callable[[FormValues, StepFormScreen], None] | None = None,
    ) -> None:
        super().__init__(title)
        self.title_text, self.help_text, self.fields, self.validate = title, help_text, list(fields), validate
        self.submit = submit
        #: True while the submitted step runs (a second Enter does nothing).
        self.running = False

    def compose_body(self) -> ComposeResult:
        yield Static(
            self.help_text + "\nSpace toggles · Enter applies · Tab next field · Esc cancels", classes="modal-help"
        )
        with VerticalScroll(classes="form-fields", can_focus=False):
            for field in self.fields:
                yield from self._compose_field(field)
        yield Static("", classes="modal-error", id="form-error")

    def compose_buttons(self) -> ComposeResult:
        yield Button("Apply", variant="primary", id="form-apply", compact=True)
        yield Button("Cancel", id="form-cancel", compact=True)

    def _compose_field(self, field: Field) -> ComposeResult:
        if isinstance(field, CheckField):
            yield _FormCheckbox(field.label, field.value, id=f"field-{field.name}", compact=True)
            return
        yield Label(field.label)
        if isinstance(field, ColumnsField):
            yield _FormSelectionList(
                *[(safe_line(name), name, name in field.selected) for name in field.columns],
                id=f"field-{field.name}",
                compact=True,
            )
        elif isinstance(field, ChoiceField):
            yield _FormSelect(
                list(field.options), value=field.value, allow_blank=False, id=f"field-{field.name}", compact=True
            )
        else:
            # A default may come from a session file (a tensor name): one line, controls visible.
            yield Input(one_line(field.value), placeholder=field.placeholder, id=f"field-{field.name}", compact=True)

    def on_mount(self) -> None:
        # Focusing the first field before layout scrolls its label away; start at the top.
        fields = self.query_one(".form-fields", VerticalScroll)
        self.call_after_refresh(fields.scroll_home, animate=False)
        for field in self.fields:
            if isinstance(field, ColumnsField) and field.columns:
                widget = self.query_one(f"#field-{field.name}", _FormSelectionList)
                start = field.start if field.start in field.columns else None
                widget.highlighted = list(field.columns).index(start) if start is not None else 0

    def values(self) -> FormValues:
        """The form's current values by field name."""
        out: FormValues = {}
        for field in self.fields:
            widget = self.query_one(f"#field-{field.name}")
            if isinstance(field, ColumnsField):
                chosen = set(widget.selected)  # type: ignore[attr-defined]
                out[field.name] = tuple(c for c in field.columns if c in chosen)
            else:
                out[field.name] = widget.value  # type: ignore[attr-defined]
        return out

    def action_apply(self) -> None:
        if self.running:
            return
        values = self.values()
        problem = self.validate(values) if self.validate else None
        if problem:
            self.failed(problem)
            return
        if self.submit is None:
            self.dismiss(values)
            return
        self.running = True
        self.query_one("#form-error", Static).update(Text("Running…", style="italic"))
        self.submit(values, self)

    def failed(self, message: str) -> None:
        """Show why the step did not apply; the form stays open with its values."""
        self.running = False
        self.query_one("#form-error", Static).update(safe_text(message))

    def succeeded(self) -> None:
        """The step applied: close the form."""
        self.running = False
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#form-apply")
    def _apply_pressed(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)


class CodeScreen(DataDialog[None]):
    """The pipeline as a runnable script: c copies it (OSC 52), e exports it as .py."""

    DEFAULT_CSS = """
    CodeScreen > .modal-frame {
        width: 100;
        height: 90%;
    }
    CodeScreen TextArea {
        height: 1fr;
    }
    """
    BINDINGS = [
        Binding("c", "copy", "Copy"),
        Binding("e", "export", "Export .py"),
        Binding("q", "cancel", "Close", show=False),
    ]

    def __init__(self, code: str, on_copy: Callable[[], None], on_export: Callable[[], None]) -> None:
        super().__init__("Pipeline code: read_csv → steps → tensors")
        self.code, self.on_copy, self.on_export = code, on_copy, on_export

    def compose_body(self) -> ComposeResult:
        from textual.widgets import TextArea

        yield Static("c copy (OSC 52) · e export .py · Esc close", classes="modal-help")
        yield TextArea(self.code, language="python", read_only=True, id="code-text", show_line_numbers=True)

    def action_copy(self) -> None:
        self.on_copy()

    def action_export(self) -> None:
        self.dismiss(None)
        self.on_export()

"""The REPL screen's helpers around the code it runs: the variable pane, completion, history search and examples.

:class:`ReplAssist` is the base of :class:`~tui_lab.ui.repl.screen.ReplScreen`: its actions (registry actions of
the REPL pane, guarded until the pane's body is built, as every pane's are) act on the variable pane and the
input, and its two thread workers ask the screen's controller for completions and a variable's details. Running
code, the log and the session stay in the screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import work

from tui_lab.core.text import visible
from tui_lab.ui.pane import PaneScreen
from tui_lab.ui.theme import escape_markup
from tui_lab.ui.threads import to_ui

if TYPE_CHECKING:  # the widgets and the controller load right after the app's first frame (first_frame.py)
    from tui_lab.core.repl.complete import Completion
    from tui_lab.core.repl.history import History
    from tui_lab.ui.repl.controller import ReplController
    from tui_lab.ui.repl.editor import ReplInput
    from tui_lab.ui.repl.variables import VariablePane


class ReplAssist(PaneScreen):
    """The variable pane's actions, completion, history search and examples of the REPL screen (no ``PANE``: the
    screen that subclasses it is the pane)."""

    #: The controller (engine, history, queue), made in a thread right after the first frame.
    controller: ReplController | None

    @property
    def history(self) -> History | None:
        """The input history (None until it has been read, right after the first frame)."""
        return self.controller.history if self.controller is not None else None

    @property
    def editor(self) -> ReplInput:
        """The input."""
        return cast("ReplInput", self.query_one("#repl-input"))

    @property
    def variables(self) -> VariablePane:
        """The variable pane."""
        return cast("VariablePane", self.query_one("#repl-side"))

    def action_toggle_variables(self) -> None:
        """Hide or show the variable pane (the log takes the whole width; the next output uses it)."""
        hidden = not self.has_class("-variables-hidden")
        self.set_class(hidden, "-variables-hidden")
        if hidden and self.focused is not None and self.focused in self.variables.walk_children():
            self.editor.focus()

    def action_toggle_focus(self) -> None:
        """Move focus between the input and the variable list."""
        if self.focused is self.variables.options:
            self.editor.focus()
        else:
            self.set_class(False, "-variables-hidden")
            self.variables.options.focus()
            if self.variables.options.cursor < 0 and self.variables.options.row_count:
                self.variables.options.cursor = 0

    def action_search_history(self) -> None:
        """Pick a past input by substring."""
        entries = self.history.search("") if self.history is not None else []
        if not entries:
            self.notify("No history yet.", title="History")
            return
        choices = [(str(i), visible(entry.replace("\n", " ⏎ ")), entry) for i, entry in enumerate(entries)]
        self._pick_code("Search history (newest first)", "contains…", choices)

    def action_insert_example(self) -> None:
        """Insert a course snippet into the input."""
        from tui_lab.core.repl.examples import EXAMPLES

        choices = [(e.key, f"{e.section} · {e.title}", e.code) for e in EXAMPLES]
        self._pick_code("Insert example (d2l chapter 2)", "topic…", choices)

    def _pick_code(self, title: str, placeholder: str, choices: list[tuple[str, str, str]]) -> None:
        """Offer ``(id, label, code)`` choices in a picker; the picked code goes into the input."""
        codes = {key: code for key, _, code in choices}

        def picked(key: str | None) -> None:
            if key is not None and key in codes:
                self._load_input(codes[key])
            else:
                self.editor.focus()

        labels = [(key, label) for key, label, _ in choices]
        from tui_lab.ui.modals import PickerScreen

        self.app.push_screen(PickerScreen(title, labels, filter_placeholder=placeholder), picked)

    def _load_input(self, text: str) -> None:
        self.editor.replace_text(text)
        self.editor.focus()

    def action_explain_broadcasting(self) -> None:
        """Explain how two expressions broadcast."""
        from tui_lab.ui.repl.modals import BroadcastScreen

        selected = self.variables.selected

        def closed(_: None) -> None:
            self.editor.focus()

        self.app.push_screen(BroadcastScreen(self.workspace.namespace, f"{selected}, " if selected else ""), closed)

    def _selected_or_warn(self) -> str | None:
        name = self.variables.selected
        if name is None:
            self.notify("Select a variable first: ctrl+f, then ↑/↓.", title="No variable selected", severity="warning")
        return name

    def action_inspect_graph(self) -> None:
        """Open the selected variable in the Graph pane."""
        name = self._selected_or_warn()
        if name is not None:  # the source lets the Graph pane's checks re-evaluate name from its leaves
            source = self.controller.replay_source() if self.controller is not None else ""
            from tui_lab.ui.requests import InspectTensor

            self.lab.send(InspectTensor(name, source))

    def action_use_as_training_data(self) -> None:
        """Send the selected variable to the Train pane."""
        name = self._selected_or_warn()
        if name is not None:
            from tui_lab.ui.requests import UseAsTrainingData

            self.lab.send(UseAsTrainingData(name))

    def action_delete_variable(self) -> None:
        """Delete the selected variable from the workspace."""
        name = self._selected_or_warn()
        if name is not None:
            self.workspace.delete([name], "repl")
            self.notify(f"Deleted {escape_markup(name)}.", title="Workspace")

    # -- completion and details -----------------------------------------------------------

    def on_repl_input_completion_requested(self, event: ReplInput.CompletionRequested) -> None:
        event.stop()
        if self.controller is None:  # a Tab in the first moments: nothing to complete from yet
            self.app.bell()
            return
        self._complete_in_worker(event.source, event.line, event.column)

    @work(thread=True, exclusive=True, group="repl-complete", exit_on_error=False)
    def _complete_in_worker(self, source: str, line: int, column: int) -> None:
        assert self.controller is not None
        found = self.controller.complete(source, line, column)
        to_ui(self.app, self._show_completions, found)

    def _show_completions(self, found: Completion) -> None:
        """Show what completion found; the list is mounted on the first Tab (not part of the first frame)."""
        if self.editor.popup is None:
            from textual.widgets import OptionList

            popup = OptionList(id="repl-completions")
            self.query_one("#repl-main").mount(popup, before=self.query_one("#repl-status"))
            self.editor.popup = popup
        self.editor.show_completions(found)

    def on_variable_pane_variable_highlighted(self, event: VariablePane.VariableHighlighted) -> None:
        self._load_details(event.name)

    def _load_details(self, name: str | None) -> None:
        if name is None or self.controller is None:
            self.variables.show_details(None)
        else:
            self._details_in_worker(name)

    @work(thread=True, exclusive=True, group="repl-details", exit_on_error=False)
    def _details_in_worker(self, name: str) -> None:
        assert self.controller is not None
        details = self.controller.details(name)
        if isinstance(details, str):
            to_ui(self.app, self.variables.show_details, None, details)
        else:
            to_ui(self.app, self.variables.show_details, details)

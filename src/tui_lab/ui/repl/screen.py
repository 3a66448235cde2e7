"""The REPL pane: a tensor REPL over the shared workspace, with a variable pane and memory view.

The screen wires widgets to the headless :class:`~tui_lab.core.repl.engine.ReplEngine`:
code runs in a thread worker (the UI stays live; ctrl+c interrupts it), results are
rendered into a bounded log, and the variable pane follows every workspace change.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import OptionList, RichLog, Static
from textual.worker import Worker, WorkerState

from tui_lab.core.repl.complete import complete
from tui_lab.core.repl.engine import ReplEngine, RunResult
from tui_lab.core.repl.examples import EXAMPLES, example_by_key
from tui_lab.core.repl.history import History
from tui_lab.core.repl.inspect import variable_details
from tui_lab.core.repl.memory import take_fingerprints
from tui_lab.core.workspace import WorkspaceChange
from tui_lab.ui.modals import PickerScreen
from tui_lab.ui.pane import PaneScreen
from tui_lab.ui.repl.editor import ReplInput
from tui_lab.ui.repl.keys import BANNER, LOG_MAX_LINES
from tui_lab.ui.repl.modals import BroadcastScreen, InputPromptScreen
from tui_lab.ui.repl.render import ResultStyles, echo_input, render_result
from tui_lab.ui.repl.variables import VariablePane
from tui_lab.ui.requests import InsertCode, InspectTensor, PaneRequest, UseAsTrainingData


class ReplScreen(PaneScreen):
    """A tensor REPL as good as IPython: code runs in the shared workspace, a variable pane that knows tensors, a memory view and a broadcasting explainer."""

    PANE = "repl"
    DEFAULT_CSS = """
    ReplScreen #repl-columns { height: 1fr; }
    ReplScreen #repl-main { width: 1fr; }
    ReplScreen #repl-log { height: 1fr; scrollbar-size-vertical: 1; }
    ReplScreen #repl-completions { display: none; height: auto; max-height: 8; border: round $accent; }
    ReplScreen #repl-status { height: 1; color: $text-muted; padding: 0 1; }
    ReplScreen #repl-status.-running { color: $warning; text-style: bold; }
    ReplScreen #repl-side { width: 38%; min-width: 28; max-width: 56; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.history = History.load()
        self.engine: ReplEngine | None = None
        self._started: float | None = None
        self._running_number = 0
        self._closing = False
        self._ticker: Timer | None = None
        self._styles: ResultStyles | None = None

    # -- layout -----------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="repl-columns"):
            with Vertical(id="repl-main"):
                yield RichLog(
                    id="repl-log", max_lines=LOG_MAX_LINES, min_width=20, wrap=True, markup=False, highlight=False
                )
                yield OptionList(id="repl-completions")
                yield Static(id="repl-status")
                yield ReplInput(self.history, id="repl-input")
            yield VariablePane(id="repl-side")

    @property
    def editor(self) -> ReplInput:
        """The input."""
        return self.query_one("#repl-input", ReplInput)

    @property
    def log_view(self) -> RichLog:
        """The output log."""
        return self.query_one("#repl-log", RichLog)

    @property
    def variables(self) -> VariablePane:
        """The variable pane."""
        return self.query_one("#repl-side", VariablePane)

    @property
    def styles_for_results(self) -> ResultStyles:
        """Theme-derived styles (rebuilt when the theme changes)."""
        if self._styles is None:
            self._styles = ResultStyles(self.app.get_css_variables())
        return self._styles

    def on_mount(self) -> None:
        self.engine = ReplEngine(self.workspace, input_provider=self._ask_input)
        self.editor.popup = self.query_one("#repl-completions", OptionList)
        for line in BANNER:
            self.log_view.write(Text(line, style="dim"))
        self._ticker = self.set_interval(0.1, self._tick, pause=True)
        self.watch(self.app, "torch_ready", self._torch_ready_changed)
        self.watch(self.app, "theme", self._theme_changed, init=False)
        self.editor.focus()

    def on_unmount(self) -> None:
        """The app is closing: stop running code, so its thread does not keep the process alive."""
        self._closing = True
        if self.engine is not None:
            self.engine.interrupt()

    def on_key(self, event: events.Key) -> None:
        """A printable key typed in the variable list goes to the input (Enter and arrows stay with the list)."""
        if self.focused is self.variables.options and event.is_printable and event.character:
            self.editor.focus()
            self.editor.insert(event.character)
            event.stop()

    def on_screen_resume(self) -> None:
        """Back from another pane or a modal: keep typing where you were, or in the input."""
        if self.focused is None or self.focused is self.log_view:
            self.editor.focus()

    def _theme_changed(self, _theme: str) -> None:
        self._styles = None

    def _torch_ready_changed(self, _ready: bool) -> None:
        self.variables.refresh_rows(self.workspace)
        self._set_status()

    def _set_status(self) -> None:
        status = self.query_one("#repl-status", Static)
        running = self._started is not None
        status.set_class(running, "-running")
        number = self.engine.execution_count if self.engine else 1
        if running and self._started is not None:
            elapsed = time.monotonic() - self._started
            what = "running" if self.lab.torch_ready else "waiting for torch"
            status.update(f"In [{self._running_number}] {what}… {elapsed:.1f} s · ctrl+c interrupts")
        elif not self.lab.torch_ready:
            status.update(f"In [{number}]: (torch is loading; you can type already)")
        else:
            status.update(f"In [{number}]:")

    def _tick(self) -> None:
        self._set_status()

    # -- running ----------------------------------------------------------------------

    @on(ReplInput.Submitted)
    def _submitted(self, event: ReplInput.Submitted) -> None:
        event.stop()
        self.run_source(event.source)

    def run_source(self, source: str) -> None:
        """Echo ``source`` as ``In [n]`` and run it in a worker."""
        if not source.strip() or self.engine is None:
            return
        if self._started is not None:
            self.notify("Code is still running; ctrl+c interrupts it.", title="REPL", severity="warning")
            return
        self.history.add(source)
        self.editor.clear()
        self._running_number = self.engine.execution_count
        for line in echo_input(self.engine.execution_count, source.rstrip("\n"), self.styles_for_results):
            self.log_view.write(line)
        self._started = time.monotonic()
        if self._ticker is not None:
            self._ticker.resume()
        self._set_status()
        self._run_in_worker(source)

    @work(thread=True, exclusive=True, group="repl-run", exit_on_error=False)
    def _run_in_worker(self, source: str) -> RunResult | None:
        """Run in a daemon thread and wait for it, so quitting never waits for a long C-level call."""
        engine = self.engine
        assert engine is not None
        results: list[RunResult] = []
        failures: list[BaseException] = []

        def run() -> None:
            try:
                self.workspace.wait_ready()
                results.append(engine.run(source))
            except BaseException as error:  # noqa: BLE001 - reported by the worker below
                failures.append(error)

        thread = threading.Thread(target=run, name="repl-code", daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(0.05)
            if self._closing:
                return None
        if failures:
            raise failures[0]
        self.app.call_from_thread(self._show_result, results[0])
        return results[0]

    def _show_result(self, result: RunResult) -> None:
        for renderable in render_result(result, self.styles_for_results):
            self.log_view.write(renderable)
        if result.exit_requested:
            self.notify("tui-lab keeps running. Press ctrl+q to quit.", title="exit() ignored")
        self._finish_run()
        self.variables.refresh_rows(self.workspace)
        if self.variables.selected in result.changed or any(e.name == self.variables.selected for e in result.memory):
            self._load_details(self.variables.selected)

    def _finish_run(self) -> None:
        self._started = None
        if self._ticker is not None:
            self._ticker.pause()
        self._set_status()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "repl-run" and event.state == WorkerState.ERROR:
            self.log_view.write(Text(f"internal error: {event.worker.error!r}", style="bold"))
            self._finish_run()

    def _ask_input(self, prompt: str) -> str:
        """Answer ``input()`` from the worker thread with a modal on the UI thread."""
        done = threading.Event()
        answer: list[str | None] = []

        def received(value: str | None) -> None:
            answer.append(value)
            done.set()

        self.app.call_from_thread(self.app.push_screen, InputPromptScreen(prompt), received)
        while not done.wait(0.05):
            if self._closing:
                raise KeyboardInterrupt("the app is closing")
        if answer[0] is None:
            raise KeyboardInterrupt("input() cancelled")
        return answer[0]

    # -- actions ------------------------------------------------------------------------

    def action_run_input(self) -> None:
        """Run the input as it is."""
        self.run_source(self.editor.text)

    def action_insert_newline(self) -> None:
        """Add a line to the input (the editor handles ctrl+j itself when it has focus)."""
        self.editor.focus()
        self.editor.insert_newline()

    def action_interrupt(self) -> None:
        """Interrupt running code, or clear the input when nothing runs."""
        if self.engine is not None and self.engine.running:
            self.engine.interrupt()
            self.query_one("#repl-status", Static).update("interrupting…")
            return
        self.editor.hide_completions()
        self.editor.clear()
        self.history.reset()
        self.editor.focus()

    def action_clear_output(self) -> None:
        """Empty the output log."""
        self.log_view.clear()

    def action_toggle_focus(self) -> None:
        """Move focus between the input and the variable list."""
        if self.focused is self.variables.options:
            self.editor.focus()
        else:
            self.variables.options.focus()
            if self.variables.options.cursor < 0 and self.variables.options.row_count:
                self.variables.options.cursor = 0

    def action_search_history(self) -> None:
        """Pick a past input by substring."""
        entries = self.history.search("")
        if not entries:
            self.notify("No history yet.", title="History")
            return
        choices = [(str(i), entry.replace("\n", " ⏎ ")) for i, entry in enumerate(entries)]

        def picked(value: str | None) -> None:
            if value is not None:
                self._load_input(entries[int(value)])
            else:
                self.editor.focus()

        self.app.push_screen(
            PickerScreen("Search history (newest first)", choices, filter_placeholder="contains…"), picked
        )

    def action_insert_example(self) -> None:
        """Insert a course snippet into the input."""
        choices = [(e.key, f"{e.section} · {e.title}") for e in EXAMPLES]

        def picked(key: str | None) -> None:
            example = example_by_key(key) if key else None
            if example is not None:
                self._load_input(example.code)
            else:
                self.editor.focus()

        self.app.push_screen(
            PickerScreen("Insert example (d2l chapter 2)", choices, filter_placeholder="topic…"), picked
        )

    def _load_input(self, text: str) -> None:
        self.editor.load_text(text)
        self.editor.move_cursor(self.editor.document.end)
        self.editor.focus()

    def action_explain_broadcasting(self) -> None:
        """Explain how two expressions broadcast."""
        selected = self.variables.selected

        def closed(_: None) -> None:
            self.editor.focus()

        self.app.push_screen(BroadcastScreen(self.workspace.namespace, f"{selected}, " if selected else ""), closed)

    def _selected_or_warn(self) -> str | None:
        name = self.variables.selected
        if name is None:
            self.notify("Select a variable first: F6, then ↑/↓.", title="No variable selected", severity="warning")
        return name

    def action_inspect_graph(self) -> None:
        """Open the selected variable in the Graph pane."""
        name = self._selected_or_warn()
        if name is not None:  # the source lets the Graph pane's checks re-evaluate name from its leaves
            source = self.engine.replay_source() if self.engine is not None else ""
            self.lab.send(InspectTensor(name, source))

    def action_use_as_training_data(self) -> None:
        """Send the selected variable to the Train pane."""
        name = self._selected_or_warn()
        if name is not None:
            self.lab.send(UseAsTrainingData(name))

    def action_delete_variable(self) -> None:
        """Delete the selected variable from the workspace."""
        name = self._selected_or_warn()
        if name is not None:
            self.workspace.delete([name], "repl")
            self.notify(f"Deleted {name}.", title="Workspace")

    # -- completion and details -----------------------------------------------------------

    @on(ReplInput.CompletionRequested)
    def _complete(self, event: ReplInput.CompletionRequested) -> None:
        event.stop()
        self._complete_in_worker(event.source, event.line, event.column)

    @work(thread=True, exclusive=True, group="repl-complete", exit_on_error=False)
    def _complete_in_worker(self, source: str, line: int, column: int) -> None:
        found = complete(source, line, column, self.workspace.namespace, timeout=1.0)
        self.app.call_from_thread(self.editor.show_completions, found)

    @on(VariablePane.VariableHighlighted)
    def _highlighted(self, event: VariablePane.VariableHighlighted) -> None:
        self._load_details(event.name)

    def _load_details(self, name: str | None) -> None:
        if name is None:
            self.variables.show_details(None)
        else:
            self._details_in_worker(name)

    @work(thread=True, exclusive=True, group="repl-details", exit_on_error=False)
    def _details_in_worker(self, name: str) -> None:
        value: Any = self.workspace.get(name)
        try:
            details = variable_details(name, value, take_fingerprints(self.workspace.user_items()))
        except Exception as error:  # noqa: BLE001 - show why, keep the pane alive
            self.app.call_from_thread(self.variables.show_details, None, f"{name}: {type(error).__name__}: {error}")
            return
        self.app.call_from_thread(self.variables.show_details, details)

    # -- workspace ------------------------------------------------------------------------

    def on_workspace_change(self, change: WorkspaceChange) -> None:
        self.variables.refresh_rows(self.workspace)
        selected = self.variables.selected
        if selected is not None and change.source != "repl" and selected in change.changed:
            self._load_details(selected)

    def handle_request(self, request: PaneRequest) -> None:
        """``InsertCode(code)`` puts code into the input; with ``run=True`` it runs it."""
        if not isinstance(request, InsertCode):
            return
        if request.run:
            self.run_source(request.code)
        else:
            self._load_input(request.code)

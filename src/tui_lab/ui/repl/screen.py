"""The REPL pane: a tensor REPL over the shared workspace, with a variable pane and memory view.

The screen composes widgets and wires them to a plain
:class:`~tui_lab.ui.repl.controller.ReplController` (engine, history, running input and the queue
behind it): code runs in a thread worker (the UI stays live; ctrl+c interrupts it and drops the
queue), inputs given meanwhile wait their turn (listed as ``In [*]``), results are rendered into a
bounded log laid out for its width, and the variable pane follows every workspace change. Layout
lives in ``repl.tcss``. The first frame pays only for the widgets: the controller is made in a
thread right after it (with the history), then the variable pane's first fill and highlighting.
The variable pane's actions, completion, history search and examples are the screen's base,
:class:`~tui_lab.ui.repl.assist.ReplAssist`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widget import MountError
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from tui_lab.core.workspace import WorkspaceChange
from tui_lab.ui.repl.assist import ReplAssist
from tui_lab.ui.repl.first_frame import (
    KeyBuffer,
    LogStandIn,
    SideStandIn,
    mount_real_widgets,
    real_input,
    real_log,
    real_side,
)
from tui_lab.ui.repl.render import (
    LivePictures,
    ResultStyles,
    echo_input,
    render_blocks,
    render_full_traceback,
    render_late_output,
    restored_log,
    write_blocks,
)
from tui_lab.ui.theme import escape_markup, safe_line
from tui_lab.ui.threads import to_ui

if TYPE_CHECKING:  # the widgets load right after the app's first frame (first_frame.py); the engine too
    from tui_lab.core.repl.engine import InputResult, ReplEngine
    from tui_lab.core.repl.history import History
    from tui_lab.core.session.model import ReplEntry, ReplState
    from tui_lab.ui.repl.controller import ReplController
    from tui_lab.ui.repl.editor import ReplInput
    from tui_lab.ui.repl.figures import ScreenFigures
    from tui_lab.ui.repl.log import ReplLog
    from tui_lab.ui.requests import PaneRequest


#: How many queued inputs the queue line lists before "… and N more".
QUEUE_SHOWN = 3


def queued_text(sources: Sequence[str]) -> Text:
    """``In [*]: c2 = 2`` for each queued input (its first line, ``…`` when it has more), as Jupyter marks cells
    waiting to run; one line each, cut at the pane's edge."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for index, source in enumerate(sources[:QUEUE_SHOWN]):
        first, _, rest = source.strip("\n").partition("\n")
        text.append("\n" if index else "")
        text.append("In [*]: ", style="bold")
        text.append(safe_line(first + (" …" if rest.strip() else "")))
    if len(sources) > QUEUE_SHOWN:
        text.append(f"\n… and {len(sources) - QUEUE_SHOWN} more queued")
    return text


class LateOutputArrived(Message):
    """A thread started by an earlier input printed after that input finished."""


class ReplScreen(ReplAssist):
    """A tensor REPL as good as IPython: code runs in the shared workspace, a variable pane that knows tensors, a memory view and a broadcasting explainer."""

    PANE = "repl"
    CSS_PATH = "repl.tcss"  # tui-lab reads it with the app's stylesheet (ui/app.py STYLESHEETS)

    def __init__(self) -> None:
        super().__init__()
        self.controller: ReplController | None = None
        self._closing = False
        self._ticker: Timer | None = None
        self._styles: ResultStyles | None = None
        self._live: LivePictures | None = None  # plots (a d2l.Animator) drawn while code runs
        self._figures: ScreenFigures | None = None  # matplotlib's figures in the log
        self._last_error: InputResult | None = None  # its full traceback is a key away
        self._built = False  # the real log, input and variable pane are mounted
        self._when_built: list[Sequence[ReplEntry]] = []  # a session's log, restored before they were
        self._early: list[str] = []  # inputs run before the controller was made (right after the first frame)

    # -- layout -----------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        # In the app's first frame the log, input and variable pane are stand-ins (first_frame.py),
        # swapped for the real widgets right after it; a REPL opened later gets them at once.
        self._built = self.lab.first_frame_shown
        with Horizontal(id="repl-columns"):
            with Vertical(id="repl-main"):
                yield real_log() if self._built else LogStandIn(id="repl-log-standin")
                yield Static(id="repl-status")
                yield real_input() if self._built else KeyBuffer(id="repl-input-standin")
            yield real_side() if self._built else SideStandIn(id="repl-side-standin")

    @property
    def body_ready(self) -> bool:
        """The real log, input and variable pane are mounted (right after the app's first frame)."""
        return self._built

    def work_in_flight(self) -> bool:
        """An input is running now: its changes to the workspace are published when it ends."""
        return self.controller is not None and self.controller.running

    @property
    def engine(self) -> ReplEngine | None:
        """The engine (None before the screen is mounted)."""
        return self.controller.engine if self.controller is not None else None

    @property
    def log_view(self) -> ReplLog:
        """The output log."""
        return cast("ReplLog", self.query_one("#repl-log"))

    @property
    def styles_for_results(self) -> ResultStyles:
        """Theme-derived styles (rebuilt when the theme changes)."""
        if self._styles is None:
            self._styles = ResultStyles(self.app)
        return self._styles

    @property
    def figures(self) -> ScreenFigures:
        """The figures in the log and their actions (save, show again, the image mode)."""
        if self._figures is None:
            from tui_lab.ui.repl.figures import ScreenFigures

            self._figures = ScreenFigures(self, self.log_view, self._figure_rows)
        return self._figures

    def _figure_rows(self) -> int:
        """The most rows a figure takes: the log's height, less a line for its prompt."""
        return max(8, self.log_view.scrollable_content_region.height - 1)

    def log_width(self) -> int | None:
        """The log's width in columns (what tensors are laid out for); None before layout."""
        width = self.log_view.scrollable_content_region.width
        return width if width >= 20 else None

    def on_mount(self) -> None:
        if self._built:  # made after the app's first frame: the session may know it now
            self.lab.session.register(self.PANE, self)
        self._ticker = self.set_interval(0.1, self._set_status, pause=True)
        self.watch(self.app, "theme", self._theme_changed, init=False)
        self._set_status()
        if self._built:
            self.editor.focus()
            self.call_after_refresh(self._after_first_frame)
        else:
            self.set_focus(self.query_one(KeyBuffer))
            self.call_after_refresh(self._build_body)

    async def _build_body(self) -> None:
        """The first frame is on screen: the real widgets take the stand-ins' places, then the keys typed meanwhile.

        The start pane registers with the session here, not before its first frame: the session's modules
        (its schema, msgspec, the store) cost the first frame about 20 ms, and the session starts after it.
        """
        if self.lab.exiting:  # quit at the first frame: nothing to build
            return
        self.lab.session.register(self.PANE, self)
        try:
            buffer = await mount_real_widgets(self)
        except MountError:
            if self.lab.exiting or self._closing:  # the app began to exit while the widgets were mounting
                return
            raise
        buffer.call_later(self._hand_over, buffer)  # after every key already on its way to the buffer

    async def _hand_over(self, buffer: KeyBuffer) -> None:
        if self.focused is None or self.focused is buffer:
            self.set_focus(self.editor)
        buffer.hand_over(self.editor)
        self._built = True
        for entries in self._when_built:
            self.restore_session(entries)
        self._when_built.clear()
        self.flush_requests()
        self._after_first_frame()
        buffer.call_later(buffer.remove)  # once anything still queued there has been passed on

    def _after_first_frame(self) -> None:
        """What the first frame does not need: the engine, the history file, the variable list, state problems."""
        self._make_controller()

    @work(thread=True, exclusive=True, group="repl-controller", exit_on_error=False)
    def _make_controller(self) -> None:
        """Import and make the controller in a thread: its modules (the engine's) may wait for the thread that
        is importing torch, and the UI must not (keys typed meanwhile still go to the input, inputs wait)."""
        from tui_lab.core.repl.history import History, history_path

        # The history first: it needs no torch, and ↑ at the first frame recalls the last input.
        history = History.load(history_path())
        to_ui(self.app, self._history_read, history)
        from tui_lab.ui.repl.controller import ReplController

        controller = ReplController(self.workspace, input_provider=self._ask_input, history=history)
        notices = controller.load_state()
        to_ui(self.app, self._controller_made, controller, notices)

    def _history_read(self, history: History) -> None:
        if self.controller is None and not self._closing:
            self.editor.attach_history(history)

    def _controller_made(self, controller: ReplController, notices: list[str]) -> None:
        if self.controller is not None or self._closing:
            return
        controller.engine.late.on_pending = self._late_output_pending
        self._live = LivePictures(controller.engine, self.log_view, self.figures.live)
        self.controller = controller
        self._tell(notices)
        self.editor.attach_history(controller.history)
        self.watch(self.app, "torch_ready", self._torch_ready_changed)
        early, self._early = self._early, []
        for source in early:
            self.run_source(source)
        self._show_queue()

    def _late_output_pending(self) -> None:
        """Called from a user thread: wake the UI once to show what it printed."""
        self.post_message(LateOutputArrived())

    def _tell(self, notices: Iterable[str]) -> None:
        for notice in notices:
            self.notify(escape_markup(notice), title="REPL state", severity="warning", timeout=10)

    def on_unmount(self) -> None:
        """The app is closing: stop running code, so its thread does not keep the process alive."""
        self.lab.session.unregister(self.PANE, self)
        self._closing = True
        if self.controller is not None:
            self.controller.engine.late.on_pending = None
            self.controller.interrupt()

    def on_key(self, event: events.Key) -> None:
        """A printable key typed in the variable list goes to the input (Enter and arrows stay with the list)."""
        if self._built and self.focused is self.variables.options and event.is_printable and event.character:
            self.editor.focus()
            self.editor.insert(event.character)
            event.stop()

    @on(events.Resize)
    def _figures_follow_the_log(self) -> None:
        """A figure is as tall as the log at most: lay figures out again once the log has its new size."""
        if self._figures is not None:
            self.call_after_refresh(self._figures.relayout_all)

    def on_screen_resume(self) -> None:
        """Back from another pane or a modal: keep typing where you were, or in the input."""
        if self._built and (self.focused is None or self.focused is self.log_view):
            self.editor.focus()

    def _theme_changed(self, _theme: str) -> None:
        self._styles = None

    def _torch_ready_changed(self, _ready: bool) -> None:
        self.variables.refresh_rows(self.workspace)
        self._set_status()

    def _set_status(self) -> None:
        status = self.query_one("#repl-status", Static)
        controller = self.controller
        running = controller is not None and controller.running
        status.set_class(running, "-running")
        status.update(controller.status(self.lab.torch_ready) if controller is not None else "In [1]:")

    # -- running ----------------------------------------------------------------------

    def on_repl_input_submitted(self, event: ReplInput.Submitted) -> None:
        event.stop()
        self.run_source(event.source)

    def run_source(self, source: str) -> None:
        """Run ``source`` now, or queue it behind the running input (shown as ``In [*]``), as Jupyter does.

        Inputs given before the controller exists (right after the first frame) wait, in order, for it.
        """
        controller = self.controller
        if controller is None:
            if source.strip():
                self._early.append(source)
                self._show_queue()
            return
        submitted = controller.submit(source)
        if submitted == "run":
            self._start(source)
        elif submitted == "queued" and not controller.running:
            self._run_next()  # between two inputs: the oldest waiting one goes first
        self._show_queue()

    def _start(self, source: str) -> None:
        """Echo ``source`` as ``In [n]`` (the controller has begun it) and run it in a worker."""
        assert self.controller is not None
        number = self.controller.running_number
        self._tell(self.controller.notices())
        for line in echo_input(number, source.rstrip("\n"), self.styles_for_results):
            self.log_view.write(line)
        if self._live is not None:
            self._live.start(number)
        if self._ticker is not None:
            self._ticker.resume()
        self._set_status()
        figure_size = (self.log_view.scrollable_content_region.width or 80, self._figure_rows())
        self._run_in_worker(source, self.log_width(), figure_size)

    def _show_queue(self) -> None:
        """List the inputs waiting to run (``In [*]: …``) above the status line (which counts them); hidden when none."""
        waiting = [*self._early, *(self.controller.queued if self.controller is not None else ())]
        panels = self.query("#repl-queue").results(Static)
        panel = next(panels, None)
        if panel is None and waiting:  # mounted when first needed: not part of the first frame
            panel = Static(id="repl-queue")
            self.query_one("#repl-main").mount(panel, before=self.query_one("#repl-status"))
        if panel is not None:
            panel.display = bool(waiting)
            panel.update(queued_text(waiting))
        self._set_status()

    def _run_next(self) -> None:
        """Start the next queued input, if any (after the previous one's result is in the log)."""
        if self.controller is None or self._closing:
            return
        source = self.controller.next_queued()
        if source is not None:
            self._start(source)
        self._show_queue()

    @work(thread=True, exclusive=True, group="repl-run", exit_on_error=False)
    def _run_in_worker(self, source: str, width: int | None, figure_size: tuple[int, int]) -> InputResult | None:
        """Run in a daemon thread and wait for it, so quitting never waits for a long C-level call."""
        assert self.controller is not None
        result = self.controller.run_detached(source, width, closing=lambda: self._closing)
        if result is not None:
            for chunk in result.outputs:  # figures are laid out here, not on the UI thread
                if chunk.figure is not None:
                    self.figures.prepare(chunk.figure, *figure_size)
            to_ui(self.app, self._show_result, result)
        return result

    def _show_result(self, result: InputResult) -> None:
        if self._live is not None:
            self._live.finish()  # the result holds the final pictures, in order
        write_blocks(
            self.log_view, render_blocks(result, self.styles_for_results, self.log_width(), self.figures.block)
        )
        if result.error is not None:
            self._last_error = result
        if result.exit_requested:
            self.notify("tui-lab keeps running. Press ctrl+q to quit.", title="exit() ignored")
        self._finish_run(ok=result.ok)
        self.lab.session.record_repl(result)  # the session keeps the log and which input set which names
        self.variables.refresh_rows(self.workspace)
        if self.variables.selected in result.changed or any(e.name == self.variables.selected for e in result.memory):
            self._load_details(self.variables.selected)

    @on(LateOutputArrived)
    def _late_output(self, event: LateOutputArrived) -> None:
        event.stop()
        if self.controller is None:
            return
        chunks, dropped = self.controller.take_late_output()
        if chunks or dropped:
            write_blocks(self.log_view, render_late_output(list(chunks), dropped, self.styles_for_results))

    def _finish_run(self, ok: bool = True) -> None:
        """The running input is over; the next queued one starts, or, when this one failed, the queue is dropped."""
        dropped = self.controller.finish(ok) if self.controller is not None else 0
        if self._live is not None:
            self._live.finish()
        if self._ticker is not None:
            self._ticker.pause()
        self._set_status()
        if dropped:
            self._tell_dropped(dropped, "the input before them failed")
        self.call_later(self._run_next)

    def _tell_dropped(self, dropped: int, why: str) -> None:
        inputs = f"{dropped} queued input{'s' if dropped != 1 else ''}"
        self.notify(f"{inputs} not run: {why}. ↑ recalls them from the history.", title="REPL", severity="warning")
        self._show_queue()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "repl-run" and event.state == WorkerState.ERROR:
            self.log_view.write(Text(f"internal error: {event.worker.error!r}", style="bold"))
            self._finish_run(ok=False)

    def _ask_input(self, prompt: str) -> str:
        """Answer ``input()`` from the code's thread with a modal on the UI thread."""
        from tui_lab.ui.repl.modals import ask_in_modal

        return ask_in_modal(self.app, prompt, closing=lambda: self._closing)

    # -- actions ------------------------------------------------------------------------

    def action_run_input(self) -> None:
        """Run the input as it is."""
        self.editor.submit()

    def action_insert_newline(self) -> None:
        """Add a line to the input (the editor handles ctrl+j itself when it has focus)."""
        self.editor.focus()
        self.editor.insert_newline()

    def action_interrupt(self) -> None:
        """Interrupt running code and drop the queued inputs; otherwise copy the text selected in the log,
        or clear the input."""
        if self.controller is not None and self.controller.running:
            dropped = self.controller.interrupt()
            self.query_one("#repl-status", Static).update("interrupting…")
            if dropped:
                self._tell_dropped(dropped, "ctrl+c interrupted the running one")
            return
        if self.get_selected_text():  # text selected in the log with the mouse: copied, as a terminal does
            self.action_copy_text()
            self.clear_selection()
            self.notify("Copied the selected text.", title="REPL")
            return
        if self._early:  # before the controller exists: the waiting inputs go, as a queue would
            dropped, self._early = len(self._early), []
            self._tell_dropped(dropped, "ctrl+c")
        self.editor.hide_completions()
        self.editor.clear()
        if self.history is not None:
            self.history.reset()
        self.editor.focus()

    def action_clear_output(self) -> None:
        """Empty the output log."""
        self.log_view.clear()
        if self._live is not None:
            self._live.forget()
        self.figures.cleared()

    def action_show_full_traceback(self) -> None:
        """Write the last error's traceback again, with every library frame."""
        if self._last_error is None:
            self.notify("No error yet.", title="Traceback")
            return
        write_blocks(self.log_view, render_full_traceback(self._last_error, self.styles_for_results))

    def action_save_figure(self) -> None:
        """Save the newest figure as PNG next to the session."""
        self.figures.save_newest()

    def action_figures(self) -> None:
        """Pick a figure to show again or save."""
        self.figures.pick()

    def action_choose_images(self) -> None:
        """Choose how figures are drawn."""
        self.figures.choose_mode()

    # -- workspace ------------------------------------------------------------------------

    def restore_session(self, entries: Sequence[ReplEntry]) -> None:
        """Show the REPL log restored from a session: each input and what it printed, then a rule."""
        if not self._built:  # restored before the real log is mounted (right after the first frame)
            self._when_built.append(entries)
            return
        for line in restored_log(entries, self.styles_for_results):
            self.log_view.write(line)

    # -- the session (tui_lab.core.session.contract.PaneSession) ----------------------------------

    def save_state(self) -> ReplState:
        """The REPL log the session keeps (the session records each input as it runs)."""
        from tui_lab.core.session.model import REPL_LOG_ENTRIES, ReplState

        return ReplState(tuple(self.lab.session.repl_log[-REPL_LOG_ENTRIES:]))

    def restore_state(self, state: ReplState) -> None:
        """Show a restored log (an empty one shows nothing)."""
        self.restore_session(state.log)

    def fingerprint(self) -> Hashable:
        """Nothing: each input already counts as a change for the periodic save."""
        return ()

    def on_workspace_change(self, change: WorkspaceChange) -> None:
        if self.controller is None or not self.controller.state_loaded:
            return  # the first fill comes after the first frame
        self.variables.refresh_rows(self.workspace)
        selected = self.variables.selected
        if selected is not None and change.source != "repl" and selected in change.changed:
            self._load_details(selected)

    def handle_request(self, request: PaneRequest) -> None:
        """``InsertCode(code)`` puts code into the input; with ``run=True`` it runs it."""
        from tui_lab.ui.requests import InsertCode

        if not isinstance(request, InsertCode):
            return
        if request.run:
            self.run_source(request.code)
        else:
            self._load_input(request.code)

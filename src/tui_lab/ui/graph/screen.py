"""The Graph pane: an autograd inspector over the shared workspace.

The screen composes the input line, the summary, the graph (:class:`GraphView`) and the info
panel, and wires keys to :class:`~tui_lab.ui.graph.controller.GraphInspection`, which holds
what the pane knows and does. Work that touches torch runs in one thread worker at a time;
when it ends, the screen redraws from the controller. Layout lives in ``graph.tcss``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.events import DescendantFocus, Key, Resize
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static
from textual.worker import Worker, get_current_worker

from tui_lab.core.text import visible
from tui_lab.core.workspace import WorkspaceChange
from tui_lab.ui.graph.controller import GraphInspection, StopCheck
from tui_lab.ui.graph.info import ExampleLoaded
from tui_lab.ui.graph.model import LEGEND
from tui_lab.ui.graph.outcomes import Check, Offer, Outcome
from tui_lab.ui.graph.text import Palette, info_text, key
from tui_lab.ui.graph.view import GraphView
from tui_lab.ui.modals import PickerScreen
from tui_lab.ui.pane import PaneScreen
from tui_lab.ui.requests import InspectTensor, PaneRequest
from tui_lab.ui.theme import escape_markup, safe_line, theme_style
from tui_lab.ui.threads import to_ui

if TYPE_CHECKING:
    from tui_lab.core.session.panestates import GraphState

#: From this width on, the info panel sits beside the graph instead of below it.
WIDE = 110

RUNNING = "Running… (ctrl+c interrupts)"


class GraphScreen(PaneScreen):
    """An autograd inspector: draws the grad_fn graph of a workspace tensor, runs backward and shows the gradients flowing back to the leaves."""

    PANE = "graph"
    CSS_PATH = "graph.tcss"  # tui-lab reads it with the app's stylesheet (ui/app.py STYLESHEETS)
    AUTO_FOCUS = "#graph-input"

    def __init__(self) -> None:
        super().__init__()
        self._inspection: GraphInspection | None = None
        self.palette = Palette()
        #: Step presses that arrived while the walk was being recorded: applied when it is ready.
        self._queued_steps = 0
        self._stepping = False
        #: Keys typed on the graph go to the input until it has the focus.
        self._redirecting = False
        self._restored_node: int | None = None

    @property
    def inspection(self) -> GraphInspection:
        """The pane's controller (made on first use: it needs the app's workspace)."""
        if self._inspection is None:
            self._inspection = GraphInspection(self.workspace)
        return self._inspection

    def compose_body(self) -> ComposeResult:
        with Vertical(id="graph-main"):
            with Horizontal(id="graph-input-row"):
                yield Static("▶", id="graph-prompt")
                yield Input(
                    id="graph-input",
                    placeholder="code or a tensor name, e.g. y = 2 * torch.dot(x, x)   (Enter runs)",
                    select_on_focus=False,
                )
            yield Static(id="graph-summary")
            with Container(id="graph-split"):
                with Vertical(id="graph-left"):
                    yield GraphView(id="graph-view")
                    yield Static(LEGEND, id="graph-legend")
                with VerticalScroll(id="graph-info-box"):
                    yield Static(id="graph-info")

    def on_mount(self) -> None:
        self._refresh_names()
        self.watch(self.query_one(GraphView), "selected_node", self._update_summary, init=False)
        self.watch(self.app, "theme", self._theme_changed, init=True)
        self._update_summary()
        self.lab.session.register(self.PANE, self)

    def on_unmount(self) -> None:
        """The app is closing: stop running code, so its thread does not keep the process alive."""
        self.lab.session.unregister(self.PANE, self)
        self.inspection.interrupter.interrupt()

    # -- the session (tui_lab.core.session.contract.PaneSession) ----------------------------------

    def save_state(self) -> GraphState:
        """The node under the cursor (or the restored one, until a graph is shown)."""
        from tui_lab.core.session.panestates import GraphState

        views = self.query(GraphView)  # none before compose, or while the app tears the screen down
        view = views.first() if views else None
        return GraphState(view.selected if view is not None and view.model is not None else self._restored_node)

    def restore_state(self, state: GraphState) -> None:
        """Put the cursor on the saved node when a graph is shown, else keep it for the session."""
        self._restored_node = state.selected
        views = self.query(GraphView)
        if state.selected is not None and views:
            views.first().go_to_node(state.selected)

    def fingerprint(self) -> Hashable:
        """The node under the cursor (the saved one while the view is not composed yet: the session's check
        may come between the screen's registration and its compose)."""
        views = self.query(GraphView)
        return views.first().selected_node if views else self._restored_node

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width >= WIDE, "-wide")

    def _apply_size(self, width: int, height: int) -> None:
        super()._apply_size(width, height)
        self.set_class(width >= WIDE, "-wide")

    def _theme_changed(self, *_: object) -> None:
        """Good/bad/warning styles from the theme's variables, then redraw the panel with them."""
        app = self.app
        self.palette = Palette(theme_style(app, "success"), theme_style(app, "error"), theme_style(app, "warning"))
        self._show_info()

    # -- drawing from the controller ---------------------------------------------------------

    def _show_info(self) -> None:
        self.query_one("#graph-info", Static).update(info_text(self.inspection.info, self.palette))
        self.query_one("#graph-info-box", VerticalScroll).scroll_home(animate=False)

    def _update_summary(self, selected: int | None = None) -> None:
        text = self.inspection.summary(selected if selected is not None else self.query_one(GraphView).selected)
        self.query_one("#graph-summary", Static).update(safe_line(text), layout=False)

    def _done(self, outcome: Outcome) -> None:
        """An operation ended (UI thread): redraw, move the cursor, and offer what comes next."""
        graph = self.inspection
        graph.finish()
        self._stepping = False
        new_graph = outcome.new_graph
        while self._queued_steps and graph.model is not None and not graph.walk_pending:
            self._queued_steps -= 1
            outcome = graph.step()
        self._queued_steps = 0
        view = self.query_one(GraphView)
        if new_graph or outcome.new_graph:
            view.set_model(graph.model)
        else:
            view.refresh_labels()
        if outcome.select is not None:
            view.go_to_node(outcome.select)
        self._show_info()
        self._update_summary()
        if outcome.offer is not None:
            self._offer(outcome.offer, outcome.retain)

    def worker_failed(self, worker: Worker[object]) -> None:
        """A worker raised: the app has notified; the summary and the panel say so, never "Running…"."""
        self._stepping, self._queued_steps = False, 0
        self.inspection.finish(worker.error)
        self._show_info()
        self._update_summary()

    # -- running -------------------------------------------------------------------------------

    def _idle(self) -> bool:
        """True when nothing runs; otherwise say so (one operation at a time keeps the graph consistent)."""
        if self.inspection.busy is None:
            return True
        self.notify("The Graph pane is still running (ctrl+c interrupts).", title="Graph")
        return False

    def _start(self, what: str = RUNNING) -> None:
        self.inspection.start(what)
        self._update_summary()

    @work(thread=True, exclusive=True, group="graph", exit_on_error=False)
    def _run(self, operation: Callable[[StopCheck], Outcome]) -> None:
        """Thread: one controller operation; the result is drawn on the UI thread."""
        worker = get_current_worker()
        outcome = operation(lambda: worker.is_cancelled)
        if not worker.is_cancelled:
            to_ui(self.app, self._done, outcome)

    def _operate(self, operation: Callable[[StopCheck], Outcome], what: str = RUNNING) -> None:
        """Run ``operation`` on the inspected tensor, if there is one and nothing else runs."""
        if self.inspection.model is None:
            self.notify(
                f"Inspect a tensor first: type code above, {key('pick_tensor')} to pick one, "
                f"{key('load_example')} for examples.",
                title="Graph",
            )
            return
        if self._idle():
            self._start(what)
            self._run(operation)

    @on(Input.Submitted, "#graph-input")
    def _submitted(self, event: Input.Submitted) -> None:
        """Run the line; it stays, selected: typing replaces it, an arrow key edits it."""
        text = event.value.strip()
        if text:
            event.input.select_all()
            self.inspect(text)

    def inspect(self, text: str, source: str | None = None) -> None:
        """Run ``text`` (code or a name) and draw the resulting tensor's graph."""
        if not self._idle():
            return
        if not self.lab.torch_ready and not self.workspace.ready:
            self.notify("torch is still loading; your input runs as soon as it is ready.", title="Graph")
        self._start()
        self._run(lambda stop: self.inspection.inspect(text, source, stop))

    def _prefill(self, text: str) -> None:
        """Put ``text`` in the input, selected, so that typing replaces it."""
        field = self.query_one("#graph-input", Input)
        field.value = text
        field.select_all()

    def handle_request(self, request: PaneRequest) -> None:
        """``InspectTensor(name, source)``: draw ``name``'s graph; ``source`` is the code that built it, for the checks."""
        if not isinstance(request, InspectTensor) or not request.name:
            return
        self.inspection.remember_source(request.name, request.source)
        self._prefill(visible(request.name))
        self.inspect(request.name)

    def action_pick_tensor(self) -> None:
        """Offer the workspace tensors by name."""
        tensors = self.workspace.tensors()
        if not tensors:
            self.notify(
                f"The workspace has no tensors yet. Type code above or load an example ({key('load_example')}).",
                title="Graph",
            )
            return
        choices = []
        for name, value in tensors.items():
            graph = (
                f"grad_fn={type(value.grad_fn).__name__}"
                if value.grad_fn is not None
                else ("leaf, requires grad" if value.requires_grad else "no grad")
            )
            label = f"{name}  {tuple(value.shape)} {str(value.dtype).removeprefix('torch.')}  {graph}"
            choices.append((name, escape_markup(label)))

        def picked(name: str | None) -> None:
            if name:
                self._prefill(name)
                self.inspect(name)

        self.app.push_screen(PickerScreen("Inspect a workspace tensor", choices, filter_placeholder="name…"), picked)

    def action_load_example(self) -> None:
        """Offer the course's autograd cases, saying which names each binds."""
        from tui_lab.core.autograd.examples import EXAMPLES, bound_names

        def picked(example_key: str | None) -> None:
            if example_key:
                self._plan_example(example_key)

        choices = [(case.key, f"{case.title} · binds {', '.join(bound_names(case.code))}") for case in EXAMPLES]
        self.app.push_screen(PickerScreen("Load autograd example", choices, filter_placeholder="example…"), picked)

    def _plan_example(self, example_key: str) -> None:
        """Run the example, or first ask whether to keep the user's values of the names it binds."""
        from tui_lab.core.autograd.examples import fresh_names

        graph = self.inspection
        plan = graph.plan_example(example_key)
        if not plan.clashes:
            self._run_example(graph.load_example(plan))
            return
        clashing = ", ".join(plan.clashes)
        fresh = fresh_names(plan.binds, set(self.workspace.namespace))
        choices = [
            ("keep", escape_markup(f"Keep your {clashing}: run the example as {', '.join(fresh.values())}")),
            ("replace", escape_markup(f"Replace {clashing} with the example's values")),
        ]

        def chosen(choice: str | None) -> None:
            if choice:
                self._run_example(graph.load_example(plan, keep_existing=choice == "keep"))

        title = f"{clashing} already {'exists' if len(plan.clashes) == 1 else 'exist'} in the workspace"
        self.app.push_screen(PickerScreen(escape_markup(title), choices), chosen)

    def _run_example(self, loaded: ExampleLoaded) -> None:
        code = loaded.case.code
        self._prefill("; ".join(code.splitlines()) if "def " not in code else "")
        self.inspect(code, source=code)

    def on_key(self, event: Key) -> None:
        """Typing while the graph has the focus starts a new input line with what is typed."""
        view = self.query_one(GraphView)
        if self.focused is view and event.is_printable and event.character and event.key != "space":
            field = self.query_one("#graph-input", Input)
            if not self._redirecting:  # the first key: a new line (later keys may arrive before the focus moves)
                self._redirecting = True
                field.value = ""
                field.focus()
            field.insert_text_at_cursor(event.character)
            event.stop()

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        if event.widget.id == "graph-input":
            self._redirecting = False

    def action_interrupt(self) -> None:
        """Raise KeyboardInterrupt in the code the pane is running, or clear the input when idle."""
        if self.inspection.interrupter.interrupt():
            self._start("Interrupting… (a long C-level torch call finishes first)")
            return
        field = self.query_one("#graph-input", Input)
        field.value = ""
        field.focus()

    def action_focus_graph(self) -> None:
        """Move the focus to the graph."""
        self.query_one(GraphView).focus()

    # -- the graph widget ------------------------------------------------------------------------

    @on(GraphView.NodeOpened)
    def _opened(self, event: GraphView.NodeOpened) -> None:
        self._details(event.index)

    @on(GraphView.FoldToggled)
    def _fold(self, event: GraphView.FoldToggled) -> None:
        self._toggle_fold(event.index)

    def action_show_details(self) -> None:
        """Details of the node under the graph cursor."""
        selected = self.query_one(GraphView).selected
        if self.inspection.model is None or selected is None:
            self.notify("Nothing is selected: inspect a tensor first.", title="Graph")
            return
        self._details(selected)

    def _details(self, index: int) -> None:
        if self.inspection.model is not None and self.inspection.busy is None:
            self.inspection.details(index)
            self._show_info()

    def action_toggle_fold(self) -> None:
        """Fold or unfold the chain under the cursor."""
        view, model = self.query_one(GraphView), self.inspection.model
        if model is None or view.selected is None:
            return
        head = model.chain_of(view.selected)
        if head is None:
            self.notify("The selected node is not part of a chain.", title="Graph")
            return
        self._toggle_fold(head)

    def _toggle_fold(self, head: int) -> None:
        model = self.inspection.model
        if model is None or self.inspection.busy is not None:
            return
        self.inspection.toggle_fold(head)
        self.query_one(GraphView).set_model(model, select=head)
        self._update_summary(head)

    # -- workspace -------------------------------------------------------------------------------

    def on_workspace_change(self, change: WorkspaceChange) -> None:
        if change.source != "graph":  # rebound elsewhere: the code kept for these names is stale
            self.inspection.forget_sources(change.changed | change.deleted)
        self._refresh_names()
        if self.inspection.model is not None and change.source != "graph" and self.inspection.busy is None:
            self.inspection.refresh_grads()
            self.query_one(GraphView).refresh_labels()

    def _refresh_names(self) -> None:
        """Offer tensor names as completions (only plain identifiers: a suggestion is drawn as typed)."""
        names = sorted(n for n in self.workspace.tensors() if n.isidentifier()) if self.workspace.ready else []
        self.query_one("#graph-input", Input).suggester = SuggestFromList(names, case_sensitive=True)

    # -- actions on the inspected tensor ------------------------------------------------------------

    def action_backward(self) -> None:
        """backward() on the root, as the course writes it."""
        self._operate(lambda _stop: self.inspection.backward("plain", False))

    def action_backward_retain(self) -> None:
        """backward(retain_graph=True): the graph survives for another backward."""
        self._operate(lambda _stop: self.inspection.backward("plain", True))

    def action_zero_grads(self) -> None:
        """x.grad.zero_() on every leaf."""
        self._operate(lambda _stop: self.inspection.zero_grads())

    def action_step(self) -> None:
        """Next node of the reverse walk (recording the walk, in a worker, on the first press)."""
        graph = self.inspection
        if graph.busy is not None and self._stepping:
            self._queued_steps += 1
            return
        if graph.model is not None and not graph.walk_pending and graph.busy is None:
            self._done(graph.step())
            return
        self._operate(graph.step)
        self._stepping = graph.busy is not None

    def action_numeric_check(self) -> None:
        """Autograd's gradient against central finite differences, per leaf."""
        self._operate(lambda stop: self.inspection.check(Check.NUMERIC, stop))

    def action_gradcheck(self) -> None:
        """torch.autograd.gradcheck in float64."""
        self._operate(lambda stop: self.inspection.check(Check.GRADCHECK, stop))

    def action_jacobians(self) -> None:
        """Jacobians by forward (jvp) and reverse (vjp) mode, with pass counts."""
        self._operate(lambda stop: self.inspection.check(Check.JACOBIANS, stop))

    def _offer(self, offer: Offer, retain: bool = False) -> None:
        """A picker for what to do after a vector root or a freed graph."""
        graph = self.inspection
        name = graph.subject or "y"
        if offer is Offer.NON_SCALAR:
            choices = [
                ("sum", escape_markup(f"{name}.sum().backward()   (the gradient of the sum)")),
                ("ones", escape_markup(f"{name}.backward(gradient=torch.ones_like({name}))")),
            ]
            title = f"{name} is not a scalar: backward how?"

            def mode_picked(mode: str | None) -> None:
                if mode:
                    self._operate(lambda _stop: graph.backward(mode, retain))

            self.app.push_screen(PickerScreen(escape_markup(title), choices), mode_picked)
            return
        then = "step through it" if offer is Offer.REBUILD_WALK else "backward(retain_graph=True)"
        choices = [("rebuild", escape_markup(f"Re-run the code for {name} (same leaves, .grad kept), then {then}"))]

        def rebuild_picked(choice: str | None) -> None:
            if choice:
                self._operate(lambda stop: graph.rebuild(offer, stop))

        self.app.push_screen(PickerScreen("The graph was freed by backward()", choices), rebuild_picked)

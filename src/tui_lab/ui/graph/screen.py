"""The Graph pane: an autograd inspector over the shared workspace.

An input line runs code (or names a tensor); the tensor's backward graph is drawn as a DAG
(:mod:`tui_lab.ui.graph.view`); keys run backward, zero grads, walk reverse mode one node at
a time and check gradients. All torch work runs in thread workers; the info panel below (or
beside, on wide terminals) shows details, results and plain-language explanations.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.events import Key, Resize
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static

from tui_lab.core.interrupt import ThreadInterrupter
from tui_lab.core.workspace import WorkspaceChange
from tui_lab.ui.graph.checks import GraphChecks
from tui_lab.ui.graph.text import WELCOME
from tui_lab.ui.graph.view import LEGEND, GraphModel, GraphView
from tui_lab.ui.modals import PickerScreen
from tui_lab.ui.requests import InspectTensor, PaneRequest

#: From this width on, the info panel sits beside the graph instead of below it.
WIDE = 110


class GraphScreen(GraphChecks):
    """An autograd inspector: draws the grad_fn graph of a workspace tensor, runs backward and shows the gradients flowing back to the leaves."""

    PANE = "graph"
    AUTO_FOCUS = "#graph-input"
    DEFAULT_CSS = """
    GraphScreen #graph-input-row { height: 1; }
    GraphScreen #graph-prompt { width: 2; color: $accent; text-style: bold; }
    GraphScreen #graph-input { border: none; height: 1; padding: 0; width: 1fr; background: $boost; }
    GraphScreen #graph-input:focus { background: $boost; }
    GraphScreen #graph-summary { height: 1; background: $panel; color: $text-muted; }
    GraphScreen #graph-split { layout: vertical; height: 1fr; }
    GraphScreen #graph-left { height: 1fr; }
    GraphScreen #graph-view { height: 1fr; }
    GraphScreen #graph-legend { height: auto; color: $text-muted; background: $panel; }
    GraphScreen #graph-info-box { height: 8; background: $surface; padding: 0 1; }
    GraphScreen.-wide #graph-split { layout: horizontal; }
    GraphScreen.-wide #graph-info-box { height: 1fr; width: 45%; border-left: vkey $panel; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.model: GraphModel | None = None
        self.root_var: str | None = None
        self.sources: dict[str, str] = {}
        self._example_shown = False
        self._info_text = Text(WELCOME)
        self.interrupter = ThreadInterrupter()

    def compose_body(self) -> ComposeResult:
        with Vertical(id="graph-main"):
            with Horizontal(id="graph-input-row"):
                yield Static("▶", id="graph-prompt")
                yield Input(
                    id="graph-input", placeholder="code or a tensor name, e.g. y = 2 * torch.dot(x, x)   (Enter runs)"
                )
            yield Static(" No graph yet: type code above, or F6 for the course's examples.", id="graph-summary")
            with Container(id="graph-split"):
                with Vertical(id="graph-left"):
                    yield GraphView(id="graph-view")
                    yield Static(LEGEND, id="graph-legend")
                with VerticalScroll(id="graph-info-box"):
                    yield Static(Text(WELCOME), id="graph-info")

    def on_mount(self) -> None:
        self._refresh_names()
        self.watch(self.app, "theme", self.theme_changed, init=True)

    def on_unmount(self) -> None:
        """The app is closing: stop running code, so its thread does not keep the process alive."""
        self.interrupter.interrupt()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width >= WIDE, "-wide")

    def _apply_size(self, width: int, height: int) -> None:
        super()._apply_size(width, height)
        self.set_class(width >= WIDE, "-wide")

    # -- choosing what to inspect ----------------------------------------------------------

    @on(Input.Submitted, "#graph-input")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text:
            self.inspect(text)

    def inspect(self, text: str, source: str | None = None) -> None:
        """Run ``text`` (code or a name) and draw the resulting tensor's graph."""
        if not self.lab.torch_ready and not self.workspace.ready:
            self.notify("torch is still loading; your input runs as soon as it is ready.", title="Graph")
        self.query_one("#graph-summary", Static).update(" Running… (ctrl+c interrupts)", layout=False)
        self.run_input(text, source)

    def handle_request(self, request: PaneRequest) -> None:
        """``InspectTensor(name, source)``: draw ``name``'s graph; ``source`` is the code that built it, for the checks."""
        if not isinstance(request, InspectTensor):
            return
        name, source = request.name, request.source
        if source is not None and source.strip():
            if name in self._assigned(source) or name not in self.sources:  # keep the Graph pane's own code
                self.sources[name] = source
        if name:
            self.query_one("#graph-input", Input).value = name
            self.inspect(name)

    def action_pick_tensor(self) -> None:
        """Offer the workspace tensors by name."""
        tensors = self.workspace.tensors()
        if not tensors:
            self.notify("The workspace has no tensors yet. Type code above or load an example (F6).", title="Graph")
            return
        choices = []
        for name, value in tensors.items():
            graph = (
                f"grad_fn={type(value.grad_fn).__name__}"
                if value.grad_fn is not None
                else ("leaf, requires grad" if value.requires_grad else "no grad")
            )
            choices.append((name, f"{name}  {tuple(value.shape)} {str(value.dtype).removeprefix('torch.')}  {graph}"))

        def picked(name: str | None) -> None:
            if name:
                self.query_one("#graph-input", Input).value = name
                self.inspect(name)

        self.app.push_screen(PickerScreen("Inspect a workspace tensor", choices, filter_placeholder="name…"), picked)

    def action_load_example(self) -> None:
        """Offer the course's autograd cases."""
        from tui_lab.core.autograd.examples import EXAMPLES, example

        def picked(key: str | None) -> None:
            if not key:
                return
            case = example(key)
            one_line = "; ".join(case.code.splitlines()) if "def " not in case.code else ""
            self.query_one("#graph-input", Input).value = one_line
            self.show_info(
                Text(f"Example: {case.title}\n", style="bold")
                + Text(case.code + "\n\n")
                + Text(case.hint, style="italic")
            )
            self._example_shown = True
            self.inspect(case.code, source=case.code)

        choices = [(case.key, case.title) for case in EXAMPLES]
        self.app.push_screen(PickerScreen("Load autograd example", choices, filter_placeholder="example…"), picked)

    def on_key(self, event: Key) -> None:
        """Typing while the graph has the focus goes to the input line."""
        view = self.query_one(GraphView)
        if self.focused is view and event.is_printable and event.character and event.key != "space":
            field = self.query_one("#graph-input", Input)
            field.focus()
            field.insert_text_at_cursor(event.character)
            event.stop()

    def action_interrupt(self) -> None:
        """Raise KeyboardInterrupt in the code the pane is running, or clear the input when idle."""
        if self.interrupter.interrupt():
            note = " Interrupting… (a long C-level torch call finishes first)"
            self.query_one("#graph-summary", Static).update(note, layout=False)
            return
        field = self.query_one("#graph-input", Input)
        field.value = ""
        field.focus()

    def action_focus_graph(self) -> None:
        """Move the focus to the graph."""
        self.query_one(GraphView).focus()

    # -- showing ------------------------------------------------------------------------------

    def show_info(self, text: Text) -> None:
        """Replace the info panel's content."""
        self._info_text = text
        self.query_one("#graph-info", Static).update(text)
        self.query_one("#graph-info-box", VerticalScroll).scroll_home(animate=False)

    def show_model(self, model: GraphModel, root_var: str, note: Text | None) -> None:
        """Draw a freshly built graph."""
        self.model, self.root_var = model, root_var
        self.walk, self.freed = None, False
        if model.source:
            for name in self._assigned(model.source):
                self.sources[name] = model.source
        self.query_one(GraphView).set_model(model)
        self.update_summary()
        if note is not None:
            self.show_info(self._info_text + Text("\n\n") + note if self._example_shown else note)
        self._example_shown = False

    def update_summary(self, selected: int | None = None) -> None:
        model = self.model
        if model is None:
            return
        graph = model.graph
        folded = sum(1 for head in model.chains if head not in model.expanded)
        leaves = len(graph.leaves)
        parts = [f" {graph.root_name or 'root'}: {len(graph)} nodes, {leaves} lea{'f' if leaves == 1 else 'ves'}"]
        if self.freed:
            parts.append("graph freed by backward()")
        if folded:
            parts.append(f"{folded} chain(s) folded")
        if graph.truncated:
            parts.append("cut at the node limit")
        if selected is not None:
            node = graph.nodes[selected]
            parts.append(f"at {node.label if node.kind != 'function' else node.name}")
        self.query_one("#graph-summary", Static).update(" · ".join(parts), layout=False)

    @on(GraphView.NodeHighlighted)
    def _highlighted(self, event: GraphView.NodeHighlighted) -> None:
        self.update_summary(event.index)

    @on(GraphView.NodeOpened)
    def _opened(self, event: GraphView.NodeOpened) -> None:
        self.show_details(event.index)

    @on(GraphView.FoldToggled)
    def _fold(self, event: GraphView.FoldToggled) -> None:
        self.toggle_fold(event.index)

    def action_show_details(self) -> None:
        """Details of the node under the graph cursor."""
        selected = self.query_one(GraphView).selected
        if self.model is None or selected is None:
            self.notify("Nothing is selected: inspect a tensor first.", title="Graph")
            return
        self.show_details(selected)

    def action_toggle_fold(self) -> None:
        """Fold or unfold the chain under the cursor."""
        view = self.query_one(GraphView)
        if self.model is None or view.selected is None:
            return
        head = next((h for h, members in self.model.chains.items() if view.selected in members), None)
        if head is None:
            self.notify("The selected node is not part of a chain.", title="Graph")
            return
        self.toggle_fold(head)

    def toggle_fold(self, head: int) -> None:
        """Fold or unfold the chain that starts at graph node ``head``."""
        if self.model is None:
            return
        self.model.expanded ^= {head}
        self.model.relayout()
        self.query_one(GraphView).set_model(self.model, select=head)
        self.update_summary(head)

    # -- workspace ----------------------------------------------------------------------------

    def on_workspace_change(self, change: WorkspaceChange) -> None:
        if change.source != "graph":  # rebound elsewhere: the code kept for these names is stale
            for name in change.changed | change.deleted:
                self.sources.pop(name, None)
        self._refresh_names()
        if self.model is not None and change.source != "graph":
            self.refresh_grads()

    def _refresh_names(self) -> None:
        names = sorted(self.workspace.tensors()) if self.workspace.ready else []
        self.query_one("#graph-input", Input).suggester = SuggestFromList(names, case_sensitive=True)

    @work(thread=True, exclusive=True, group="graph-run", exit_on_error=False)
    def run_input(self, text: str, source: str | None) -> None:
        """Run the input (thread) and hand the built graph to the UI thread."""
        self.build_from_input(text, source)

"""The Graph pane's actions that touch torch: building graphs, backward, the walk and the checks.

Each runs in a thread worker and comes back to the UI thread through ``call_from_thread``;
every failure becomes an explanation in the info panel, never a traceback.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.worker import get_current_worker

from tui_lab.core.autograd.explain import Explanation, explain_exception
from tui_lab.core.interrupt import ThreadInterrupter
from tui_lab.ui.graph.text import (
    Palette,
    backward_text,
    details_text,
    explanation_text,
    step_text,
)
from tui_lab.ui.graph.view import GraphModel, GraphView
from tui_lab.ui.pane import PaneScreen

if TYPE_CHECKING:
    from tui_lab.core.autograd.walk import ReverseWalk

FREED = "Backward through a freed graph"

#: Leaves beyond this count do not get their .grad drawn in the graph rows.
MAX_GRAD_LABELS = 2_000


class GraphOps(PaneScreen):
    """Torch-side actions of the Graph pane (the screen subclasses this)."""

    model: GraphModel | None
    root_var: str | None
    sources: dict[str, str]
    walk: ReverseWalk | None = None
    walk_step: int = -1
    freed: bool = False
    #: Raises KeyboardInterrupt in the worker that runs the user's code (ctrl+c), as the REPL does.
    interrupter: ThreadInterrupter

    def show_info(self, text: Text) -> None:
        """Replace the info panel (the screen implements it)."""
        raise NotImplementedError

    def show_model(self, model: GraphModel, root_var: str, note: Text | None) -> None:
        """Draw a built graph (the screen implements it)."""
        raise NotImplementedError

    def update_summary(self, selected: int | None = None) -> None:
        """Rewrite the summary line (the screen implements it)."""
        raise NotImplementedError

    @property
    def palette(self) -> Palette:
        """Good/bad/warning colours of the current theme (read on the UI thread, safe from workers)."""
        return self._palette

    _palette: Palette = Palette()

    def theme_changed(self, *_: object) -> None:
        """Take the good/bad/warning colours from the app's theme (UI thread)."""
        variables = self.app.theme_variables
        self._palette = Palette(
            variables.get("success", "green"), variables.get("error", "red"), variables.get("warning", "yellow")
        )

    def explain(self, explanation: Explanation) -> None:
        """Show an explanation (UI thread)."""
        self.show_info(explanation_text(explanation, self.palette))

    # -- building --------------------------------------------------------------------------

    def build_from_input(self, text: str, source: str | None) -> None:
        """Thread body: run code or look a name up, then read and lay out its graph."""
        from tui_lab.core.autograd.program import RunResult, run_code

        worker = get_current_worker()
        workspace = self.workspace
        if not workspace.wait_ready(120):
            self.app.call_from_thread(self.explain, Explanation("torch did not load", "Try again in a moment."))
            return
        if source is None and text.isidentifier() and text in workspace:
            result = RunResult(self.sources.get(text, ""), text, workspace.get(text))
        else:
            try:
                with self.interrupter.running_here():
                    result = run_code(source or text, workspace)
            except KeyboardInterrupt as error:  # ctrl+c landed just after the code finished
                result = RunResult(source or text, error=explain_exception(error))
        if result.error is not None or result.root_name is None:
            self.app.call_from_thread(self._failed, result.error or Explanation("Nothing to inspect", ""))
            return
        label = result.expression or result.root_name
        built = self._model_for(result.value, label, result.source)
        if isinstance(built, Explanation):
            self.app.call_from_thread(self._failed, built)
        elif not worker.is_cancelled:
            self.app.call_from_thread(self.show_model, built[0], result.root_name, built[1])

    def _model_for(self, value: Any, label: str, source: str) -> tuple[GraphModel, Text | None] | Explanation:
        """Thread: read, fold and lay out the graph of ``value``."""
        from tui_lab.core.autograd.details import leaf_grad_texts
        from tui_lab.core.autograd.graph import GraphInputError, build_graph, tensor_names, workspace_modules

        worker = get_current_worker()
        tensors = self.workspace.tensors()
        modules = workspace_modules(self.workspace.user_items())
        try:
            graph = build_graph(
                value,
                tensor_names(tensors, modules),
                root_name=label,
                graph_tensors=tensors,
                should_stop=lambda: worker.is_cancelled,
            )
        except GraphInputError as error:
            return Explanation(error.title, str(error))
        model = GraphModel.build(graph, source)
        if len(graph.leaves) <= MAX_GRAD_LABELS:
            model.grads = dict(leaf_grad_texts(graph))
        notes = [f"✂ {n.note}" for n in graph.nodes if n.kind == "constant" and n.note][:3]
        if graph.truncated:
            notes.append(
                f"This graph is larger than {len(graph) - 1:,} nodes: the pane read the nodes nearest the root "
                "and marks the rest with ⋯. Long chains of one op are folded (⊞, Space unfolds)."
            )
        return model, Text("\n".join(notes), style="italic") if notes else None

    def _failed(self, explanation: Explanation) -> None:
        from textual.widgets import Static

        still = f" · still showing {self.model.graph.root_name}" if self.model is not None else ""
        self.query_one("#graph-summary", Static).update(f" {explanation.title}{still}", layout=False)
        self.explain(explanation)

    @staticmethod
    def _assigned(source: str) -> list[str]:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return []
        return [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]

    # -- details and grads (UI thread, cheap) -----------------------------------------------------

    def show_details(self, index: int) -> None:
        """Details of graph node ``index``."""
        from tui_lab.core.autograd.details import node_details

        if self.model is None:
            return
        try:
            details = node_details(self.model.graph, index, self.model.source)
        except Exception as error:  # a freed or odd node must not take the pane down
            self.explain(explain_exception(error))
            return
        self.show_info(details_text(details, self.palette))

    def refresh_grads(self) -> None:
        """Redraw every leaf's .grad in the graph rows."""
        from tui_lab.core.autograd.details import leaf_grad_texts

        if self.model is None or len(self.model.graph.leaves) > MAX_GRAD_LABELS:
            return
        self.model.grads = dict(leaf_grad_texts(self.model.graph))
        self.query_one(GraphView).refresh_labels()

    def _ready(self) -> bool:
        if self.model is None:
            self.notify("Inspect a tensor first: type code above, ctrl+l to pick one, F6 for examples.", title="Graph")
            return False
        return True

    # -- backward -------------------------------------------------------------------------------

    def action_backward(self) -> None:
        """backward() on the root, as the course writes it."""
        if self._ready():
            self.run_backward("plain", False)

    def action_backward_retain(self) -> None:
        """backward(retain_graph=True): the graph survives for another backward."""
        if self._ready():
            self.run_backward("plain", True)

    def action_zero_grads(self) -> None:
        """x.grad.zero_() on every leaf."""
        if self._ready():
            self.run_torch(self._zero_body)

    def _zero_body(self) -> Text:
        from tui_lab.core.autograd.details import zero_grads

        assert self.model is not None
        return backward_text(zero_grads(self.model.graph), self.model.graph, self.palette)

    @work(thread=True, exclusive=True, group="graph-op", exit_on_error=False)
    def run_backward(self, mode: str, retain: bool) -> None:
        """Thread: one backward call; a non-scalar root offers the two fixes."""
        from tui_lab.core.autograd.details import run_backward

        assert self.model is not None
        result = run_backward(self.model.graph, mode, retain)
        if result.error is not None:
            self.app.call_from_thread(self.explain, result.error)
            if result.error.title == "Backward needs a scalar":
                self.app.call_from_thread(self._offer_non_scalar, retain)
            elif result.error.title == FREED:
                self.app.call_from_thread(self._offer_rebuild, mode)
            return
        text = backward_text(result, self.model.graph, self.palette)
        self.app.call_from_thread(self._after_op, text, not retain)

    def _offer_non_scalar(self, retain: bool) -> None:
        from tui_lab.ui.modals import PickerScreen

        name = self.model.graph.root_name if self.model else "y"
        choices = [
            ("sum", f"{name}.sum().backward()   (the gradient of the sum)"),
            ("ones", f"{name}.backward(gradient=torch.ones_like({name}))"),
        ]

        def picked(mode: str | None) -> None:
            if mode:
                self.run_backward(mode, retain)

        self.app.push_screen(PickerScreen(f"{name} is not a scalar: backward how?", choices), picked)

    def _offer_rebuild(self, mode: str) -> None:
        from tui_lab.ui.modals import PickerScreen

        name = self.root_var or "y"
        then = "step through it" if mode == "walk" else "backward(retain_graph=True)"
        choices = [("rebuild", f"Re-run the code for {name} (same leaves, .grad kept), then {then}")]

        def picked(choice: str | None) -> None:
            if choice:
                self.rebuild_and_backward(mode)

        self.app.push_screen(PickerScreen("The graph was freed by backward()", choices), picked)

    @work(thread=True, exclusive=True, group="graph-op", exit_on_error=False)
    def rebuild_and_backward(self, mode: str) -> None:
        """Thread: recompute the root from the same leaves, draw it, then backward with retain_graph."""
        from tui_lab.core.autograd.details import run_backward
        from tui_lab.core.autograd.program import ForwardProgram, forward_program

        model, root_var = self.model, self.root_var
        if model is None or root_var is None:
            return
        graph = model.graph
        leaves = [graph.nodes[i].var_name or "" for i in graph.leaves]
        program = forward_program(model.source, self.workspace.namespace, leaves, root_var)
        if not isinstance(program, ForwardProgram):
            self.app.call_from_thread(self.explain, program)
            return
        try:
            with self.interrupter.running_here():
                value = program.rerun(self.workspace)
        except (Exception, KeyboardInterrupt) as error:  # the user's code failed on re-run, or ctrl+c
            self.app.call_from_thread(self.explain, explain_exception(error, model.source))
            return
        built = self._model_for(value, graph.root_name or root_var, model.source)
        if isinstance(built, Explanation):
            self.app.call_from_thread(self.explain, built)
            return
        self.app.call_from_thread(self.show_model, built[0], root_var, None)
        if mode == "walk":
            self._walk_body(built[0])
            return
        result = run_backward(built[0].graph, mode, True)
        if result.error is not None:
            self.app.call_from_thread(self.explain, result.error)
            return
        text = Text(f"Rebuilt {root_var} from the same leaves (their .grad kept).\n", style="italic")
        self.app.call_from_thread(self._after_op, text + backward_text(result, built[0].graph, self.palette), False)

    def _after_op(self, text: Text, freed: bool | None = None) -> None:
        self.show_info(text)
        if freed is not None:
            self.freed = freed
            self.update_summary()
        self.refresh_grads()

    @work(thread=True, exclusive=True, group="graph-op", exit_on_error=False)
    def run_torch(self, body: Callable[[], Text]) -> None:
        """Thread: run ``body`` and show its text, or explain its error."""
        try:
            with self.interrupter.running_here():
                text = body()
        except (Exception, KeyboardInterrupt) as error:  # every failure (and ctrl+c) is explained
            self.app.call_from_thread(self.explain, explain_exception(error))
            return
        self.app.call_from_thread(self._after_op, text)

    # -- step-through -----------------------------------------------------------------------------

    def action_step(self) -> None:
        """Next node of the reverse walk (computing the walk on the first press)."""
        if not self._ready():
            return
        if self.walk is None or self.walk_step >= len(self.walk.steps) - 1:
            self.run_walk()
            return
        self._show_step(self.walk_step + 1)

    @work(thread=True, exclusive=True, group="graph-op", exit_on_error=False)
    def run_walk(self) -> None:
        """Thread: record one reverse pass with hooks."""
        assert self.model is not None
        self._walk_body(self.model)

    def _walk_body(self, model: GraphModel) -> None:
        from tui_lab.core.autograd.walk import reverse_walk

        worker = get_current_worker()
        try:
            walk = reverse_walk(model.graph, should_stop=lambda: worker.is_cancelled)
        except Exception as error:  # freed graph, truncated graph, odd Functions: explain
            explanation = explain_exception(error)
            self.app.call_from_thread(self.explain, explanation)
            if explanation.title == FREED:
                self.app.call_from_thread(self._offer_rebuild, "walk")
            return
        self.app.call_from_thread(self._start_walk, walk, model)

    def _start_walk(self, walk: ReverseWalk, model: GraphModel) -> None:
        if model is not self.model:
            return
        self.walk = walk
        if self.model is not None:
            self.model.marks.clear()
        if not walk.steps:
            self.notify("Nothing to step through.", title="Graph")
            return
        self._show_step(0)

    def _show_step(self, number: int) -> None:
        from tui_lab.core.autograd.details import format_values

        assert self.walk is not None and self.model is not None
        self.walk_step = number
        step = self.walk.steps[number]
        for mark_node, mark in list(self.model.marks.items()):
            if mark.startswith("◀"):
                self.model.marks[mark_node] = "✓" + mark[1:].split(" (step", 1)[0]
        arrived = format_values(step.incoming[0], limit=4) if step.incoming and step.incoming[0] is not None else "—"
        self.model.marks[step.node] = f"◀ g={arrived} (step {number + 1})"
        view = self.query_one(GraphView)
        if self.model.view is not None:
            key = self.model.view.view_of.get(step.node)
            if key is not None:
                view._trail = []
                view._go(key)
        view.refresh_labels()
        self.show_info(step_text(self.walk, number, self.model.graph, self.palette))

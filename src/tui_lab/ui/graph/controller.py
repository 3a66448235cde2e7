"""What the Graph pane knows and does, without Textual: the inspected graph, its walk, the info panel.

:class:`GraphInspection` runs the input (code or a name), reads the graph, runs backward, zero
grads, the step-through and the gradient checks, and keeps the info panel's blocks
(:mod:`tui_lab.ui.graph.info`) and the summary line as data. The screen calls the methods that
touch torch from a thread worker and redraws from this object afterwards; a test calls them
directly. Methods replace what the UI reads (the model, its ``grads`` and ``marks`` dicts, the
info blocks) with one assignment, never editing them in place, so a frame drawn meanwhile sees
the old or the new value, never half of one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tui_lab.core.autograd.explain import Explanation, ExplanationKind, explain_exception
from tui_lab.core.autograd.walk import MarkState, ReverseWalk, WalkMark
from tui_lab.core.interrupt import ThreadInterrupter
from tui_lab.core.workspace import ChangeSource, Workspace
from tui_lab.ui.graph.info import (
    WELCOME,
    BackwardShown,
    Content,
    ExampleLoaded,
    InfoBlock,
    Inspected,
    NoGraph,
    NumericChecked,
    Rebuilt,
    WalkStepShown,
)
from tui_lab.ui.graph.model import GraphModel
from tui_lab.ui.graph.outcomes import Check, ExamplePlan, Offer, Outcome, assigned_names

#: Leaves beyond this count do not get their .grad drawn in the graph rows.
MAX_GRAD_LABELS = 2_000

StopCheck = Callable[[], bool]


def _never() -> bool:
    return False


class GraphInspection:
    """The inspected graph, its walk, the backward/zero-grads/step/check operations and the info panel."""

    def __init__(self, workspace: Workspace, source_name: ChangeSource = "graph") -> None:
        self.workspace = workspace
        self.source_name = source_name
        self.model: GraphModel | None = None
        #: The workspace name that holds the inspected tensor (``_`` for an expression).
        self.root_var: str | None = None
        #: The code that built each name, for the checks and the rebuild (a replay needs it).
        self.sources: dict[str, str] = {}
        self.walk: ReverseWalk | None = None
        self.walk_step = -1
        self.freed = False
        self.info: tuple[InfoBlock, ...] = WELCOME
        #: What runs now ("Running…"), set by the screen when it starts a worker; None when idle.
        self.busy: str | None = None
        #: The last problem, shown in the summary until the next success.
        self.problem: str | None = None
        self.interrupter = ThreadInterrupter()
        #: Names bound by code this pane ran (rebinding them again needs no question).
        self.own_names: set[str] = set()
        self._example: ExampleLoaded | None = None

    # -- state the screen reads ------------------------------------------------------------

    @property
    def subject(self) -> str | None:
        """The inspected tensor's label (``y``, or the expression ``x * 3``)."""
        return self.model.graph.root_name if self.model is not None else None

    def summary(self, selected: int | None = None) -> str:
        """The one-line summary under the input: what is shown, or what runs, or what went wrong."""
        if self.busy is not None:
            return f" {self.busy}"
        model = self.model
        still = f" · still showing {model.graph.root_name}" if model is not None else ""
        if self.problem is not None:
            return f" ⚠ {self.problem}{still}"
        if model is None:
            return " No graph yet: type code above, or load one of the course's examples."
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
        if selected is not None and 0 <= selected < len(graph.nodes):
            node = graph.nodes[selected]
            parts.append(f"at {node.label if node.kind != 'function' else node.name}")
        return " · ".join(parts)

    def start(self, what: str) -> None:
        """A worker is about to run ``what`` (UI thread)."""
        self.busy = what

    def finish(self, error: BaseException | None = None) -> None:
        """The worker ended; ``error`` when it raised (the summary and panel then say so)."""
        self.busy = None
        if error is not None:
            self._say(
                Explanation(
                    "The Graph pane hit an internal error",
                    f"{type(error).__name__}: {error}\nThe graph and the workspace are as they were before. "
                    "The full traceback is in the log (textual console).",
                    None,
                    ExplanationKind.INTERNAL_ERROR,
                )
            )
            self.problem = f"failed: {type(error).__name__}: {error}"

    def _say(self, *contents: Content) -> None:
        """Replace the panel with ``contents``, about the inspected tensor (an older problem is over)."""
        self.problem = None
        self._say_about(self.subject, *contents)

    def _say_about(self, subject: str | None, *contents: Content) -> None:
        self.info = tuple(InfoBlock(subject, c) for c in contents)

    # -- choosing what to inspect ------------------------------------------------------------

    def remember_source(self, name: str, source: str | None) -> None:
        """Another pane says ``source`` built ``name``; the Graph pane's own code for it wins."""
        if source is not None and source.strip():
            if name in assigned_names(source) or name not in self.sources:
                self.sources[name] = source

    def forget_sources(self, names: Iterable[str]) -> None:
        """These names were rebound elsewhere: the code kept for them is stale."""
        for name in names:
            self.sources.pop(name, None)
            self.own_names.discard(name)

    def plan_example(self, key: str) -> ExamplePlan:
        """The example ``key``, the names it binds, and which of them hold values this pane did not make."""
        from tui_lab.core.autograd.examples import bound_names, example

        case = example(key)
        binds = bound_names(case.code)
        users = set(self.workspace.user_names()) - self.own_names
        return ExamplePlan(case, binds, tuple(n for n in binds if n in users))

    def load_example(self, plan: ExamplePlan, keep_existing: bool = False) -> ExampleLoaded:
        """The example to run (renamed to fresh names when ``keep_existing``); the next inspection shows it."""
        from tui_lab.core.autograd.examples import fresh_names, renamed

        mapping = fresh_names(plan.binds, set(self.workspace.namespace)) if keep_existing and plan.clashes else {}
        self._example = ExampleLoaded(renamed(plan.case, mapping), mapping)
        return self._example

    def inspect(self, text: str, source: str | None = None, should_stop: StopCheck = _never) -> Outcome:
        """Run ``text`` (code, or a workspace name) and read the resulting tensor's graph (worker thread)."""
        from tui_lab.core.autograd.program import ProgramRun, run_code

        example, self._example = self._example, None
        workspace = self.workspace
        if not workspace.wait_ready(120):
            self._say_about(
                None, Explanation("torch did not load", "Try again in a moment.", None, ExplanationKind.TORCH_NOT_READY)
            )
            self.problem = "torch did not load"
            return Outcome()
        if source is None and text.isidentifier() and text in workspace:
            result = ProgramRun(self.sources.get(text, ""), text, workspace.get(text))
        else:
            try:
                with self.interrupter.running_here():
                    result = run_code(source or text, workspace, self.source_name)
            except KeyboardInterrupt as interrupt:  # ctrl+c landed just after the code finished
                result = ProgramRun(source or text, error=explain_exception(interrupt))
            self.own_names.update(assigned_names(source or text))
        if result.error is not None or result.root_name is None:
            error = result.error or Explanation("Nothing to inspect", "", None, ExplanationKind.NOTHING_TO_INSPECT)
            self.problem = error.title
            self._say_about(None, error)
            return Outcome()
        label = result.expression or result.root_name
        built = self._build(result.value, label, result.source, self._grad_inputs(result.reads), should_stop)
        if isinstance(built, NoGraph):
            self.problem = f"{label}: {built.explanation.title}"
            self._say_about(label, built)
            return Outcome()
        if should_stop():
            return Outcome()
        self._show(built, result.root_name)
        blocks: list[Content] = [example] if example is not None else []
        self._say(*blocks, Inspected.of(built.graph))
        return Outcome(new_graph=True)

    def _grad_inputs(self, reads: tuple[str, ...] | None) -> list[str] | None:
        """The names among ``reads`` that hold tensors requiring grad (None when unknown)."""
        if reads is None:
            return None
        tensors = self.workspace.tensors()
        return [n for n in reads if n in tensors and getattr(tensors[n], "requires_grad", False)]

    def _build(
        self, value: object, label: str, source: str, grad_inputs: list[str] | None, should_stop: StopCheck
    ) -> GraphModel | NoGraph:
        """Read, fold and lay out the graph of ``value``."""
        from tui_lab.core.autograd.details import leaf_grad_texts
        from tui_lab.core.autograd.graph import GraphInputError, build_graph, tensor_names, workspace_modules

        tensors = self.workspace.tensors()
        modules = workspace_modules(self.workspace.user_items())
        try:
            graph = build_graph(
                value,
                tensor_names(tensors, modules),
                root_name=label,
                graph_tensors=tensors,
                should_stop=should_stop,
                grad_inputs=grad_inputs,
            )
        except GraphInputError as error:
            return NoGraph(error.value_text, error.explanation())
        model = GraphModel.build(graph, source)
        if len(graph.leaves) <= MAX_GRAD_LABELS:
            model.grads = dict(leaf_grad_texts(graph))
        return model

    def _show(self, model: GraphModel, root_var: str) -> None:
        self.model, self.root_var = model, root_var
        self.walk, self.walk_step, self.freed, self.problem = None, -1, False, None
        if model.source:
            for name in assigned_names(model.source):
                self.sources[name] = model.source

    # -- backward and zero grads --------------------------------------------------------------

    def backward(self, mode: str = "plain", retain: bool = False) -> Outcome:
        """``backward()`` on the root (worker thread); a vector root or a freed graph comes with an offer."""
        from tui_lab.core.autograd.details import run_backward

        model = self._model()
        result = run_backward(model.graph, mode, retain)
        if result.error is not None:
            self._say(result.error)
            if result.error.kind is ExplanationKind.NEEDS_SCALAR:
                return Outcome(offer=Offer.NON_SCALAR, retain=retain)
            if result.error.kind is ExplanationKind.FREED_GRAPH:
                self.freed = True
                return Outcome(offer=Offer.REBUILD)
            return Outcome()
        self._after_backward(model, not retain)
        self._say(BackwardShown(result, model.graph.truncated))
        return Outcome()

    def _after_backward(self, model: GraphModel, freed: bool) -> None:
        """.grad changed: redraw the leaves' grads; the walk's marks describe an older pass, so they go."""
        self.freed = freed
        self.walk, self.walk_step = None, -1
        model.marks = {}
        self.refresh_grads()

    def zero_grads(self) -> Outcome:
        """``x.grad.zero_()`` on every leaf."""
        from tui_lab.core.autograd.details import zero_grads

        model = self._model()
        result = zero_grads(model.graph)
        self.walk, self.walk_step = None, -1
        model.marks = {}
        self.refresh_grads()
        self._say(BackwardShown(result, model.graph.truncated))
        return Outcome()

    def rebuild(self, then: Offer, should_stop: StopCheck = _never) -> Outcome:
        """Re-run the code for the root from the same leaves, then backward(retain_graph=True) or step."""
        from tui_lab.core.autograd.details import run_backward
        from tui_lab.core.autograd.program import ForwardProgram, forward_program

        model, root_var = self._model(), self.root_var or ""
        graph = model.graph
        leaves = [graph.nodes[i].var_name or "" for i in graph.leaves]
        program = forward_program(model.source, self.workspace.namespace, leaves, root_var)
        if not isinstance(program, ForwardProgram):
            self._say(program)
            return Outcome()
        try:
            with self.interrupter.running_here():
                value = program.rerun(self.workspace, self.source_name)
        except (Exception, KeyboardInterrupt) as error:  # the user's code failed on re-run, or ctrl+c
            self._say(explain_exception(error, model.source))
            return Outcome()
        built = self._build(value, graph.root_name or root_var, model.source, None, should_stop)
        if isinstance(built, NoGraph):
            self._say(built)
            return Outcome()
        self._show(built, root_var)
        if then is Offer.REBUILD_WALK:
            walked = self._walk(should_stop)
            return Outcome(new_graph=True, select=walked.select, offer=walked.offer)
        result = run_backward(built.graph, "plain", True)
        if result.error is not None:
            self._say(result.error)
            return Outcome(new_graph=True)
        self._after_backward(built, False)
        self._say(Rebuilt(), BackwardShown(result, built.graph.truncated))
        return Outcome(new_graph=True)

    def refresh_grads(self) -> None:
        """Re-read every leaf's .grad for the graph rows."""
        from tui_lab.core.autograd.details import leaf_grad_texts

        if self.model is not None and len(self.model.graph.leaves) <= MAX_GRAD_LABELS:
            self.model.grads = dict(leaf_grad_texts(self.model.graph))

    # -- step-through ---------------------------------------------------------------------------

    @property
    def walk_pending(self) -> bool:
        """True when the next step needs a new reverse pass (worker thread), False for a cheap step."""
        return self.walk is None or self.walk_step >= len(self.walk.steps) - 1

    def step(self, should_stop: StopCheck = _never) -> Outcome:
        """The next node of the reverse walk, recording a new walk first when none is under way."""
        self._model()
        if self.walk_pending:
            return self._walk(should_stop)
        return self._show_step(self.walk_step + 1)

    def _walk(self, should_stop: StopCheck) -> Outcome:
        from tui_lab.core.autograd.walk import reverse_walk

        model = self._model()
        try:
            walk = reverse_walk(model.graph, should_stop=should_stop)
        except Exception as error:  # freed graph, truncated graph, odd Functions: explain
            explanation = explain_exception(error)
            if explanation.kind is ExplanationKind.FREED_GRAPH:  # no second backward was asked for: say what is missing
                self._say(
                    Explanation(
                        "The graph was freed by the last backward()",
                        "Stepping through replays the reverse pass, which needs the values the graph saved; a "
                        "backward() without retain_graph=True freed them (F10 keeps them). Rebuild the graph "
                        "from its code to step through it.",
                        None,
                        ExplanationKind.FREED_GRAPH,
                    )
                )
                return Outcome(offer=Offer.REBUILD_WALK)
            self._say(explanation)
            return Outcome()
        self.walk, self.walk_step = walk, -1
        model.marks = {}
        if not walk.steps:
            self._say(Explanation("Nothing to step through", "This graph has no Functions to walk.", None))
            return Outcome()
        return self._show_step(0)

    def _show_step(self, number: int) -> Outcome:
        from tui_lab.core.autograd.details import format_values

        model, walk = self._model(), self.walk
        assert walk is not None
        self.walk_step = number
        step = walk.steps[number]
        marks = {node: mark.passed() for node, mark in model.marks.items()}
        arrived = format_values(step.incoming[0], limit=4) if step.incoming and step.incoming[0] is not None else "—"
        marks[step.node] = WalkMark(number + 1, arrived, MarkState.CURRENT)
        model.marks = marks
        self._say(WalkStepShown(walk, number, model.graph))
        return Outcome(select=step.node)

    # -- details, folding, checks ---------------------------------------------------------------

    def details(self, index: int) -> None:
        """Details of graph node ``index`` in the panel (cheap: UI thread)."""
        from tui_lab.core.autograd.details import node_details

        model = self._model()
        try:
            self._say(node_details(model.graph, index, model.source))
        except Exception as error:  # a freed or odd node must not take the pane down
            self._say(explain_exception(error))

    def toggle_fold(self, head: int) -> None:
        """Fold or unfold the chain that starts at graph node ``head``."""
        model = self._model()
        model.expanded = model.expanded ^ {head}
        model.relayout()

    def check(self, kind: Check, should_stop: StopCheck = _never) -> Outcome:
        """A gradient check of the inspected tensor, re-evaluated as a function of its leaves."""
        from tui_lab.core.autograd.check import compare_jacobians, numeric_check, run_gradcheck
        from tui_lab.core.autograd.program import replay_of

        model = self._model()
        replay = replay_of(model.graph, model.source, self.workspace.namespace, self.root_var or "")
        if isinstance(replay, Explanation):
            self._say(replay)
            return Outcome()
        f, values = replay.program.function, replay.leaves
        try:
            with self.interrupter.running_here():
                if kind is Check.NUMERIC:
                    self._say(NumericChecked(numeric_check(f, values, replay.names, should_stop)))
                elif kind is Check.GRADCHECK:
                    self._say(run_gradcheck(f, values))
                else:
                    self._say(compare_jacobians(f, values, should_stop))
        except (Exception, KeyboardInterrupt) as error:  # the replayed code failed, a limit, or ctrl+c
            self._say(explain_exception(error, model.source))
        return Outcome()

    def _model(self) -> GraphModel:
        if self.model is None:
            raise LookupError("Nothing is inspected yet.")
        return self.model

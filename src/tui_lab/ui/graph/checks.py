"""The Graph pane's gradient checks: numeric check, gradcheck and forward vs reverse Jacobians.

They re-evaluate the inspected tensor from its leaves (see ``autograd_program``) in a thread
worker; the result or a plain explanation lands in the info panel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.worker import get_current_worker

from tui_lab.core.autograd.explain import Explanation
from tui_lab.ui.graph.ops import GraphOps
from tui_lab.ui.graph.text import explanation_text, gradcheck_text, jacobian_text, numeric_text


class GraphChecks(GraphOps):
    """Gradient-check actions of the Graph pane (the screen subclasses this)."""

    # -- checks -----------------------------------------------------------------------------------

    def _make_function(self) -> tuple[Callable[[bool], Callable[..., Any]], list[Any], list[str]] | Explanation:
        from tui_lab.core.autograd.program import ForwardProgram, forward_program

        assert self.model is not None and self.root_var is not None
        graph = self.model.graph
        names = [graph.nodes[i].var_name for i in graph.leaves]
        if not names or any(n is None or not n.isidentifier() for n in names):
            return Explanation(
                "Leaves need plain names",
                "The checks re-run your code with new leaf values, so each leaf must be bound to a plain "
                "workspace name (w = torch.zeros(3, requires_grad=True)). Leaves here: "
                + ", ".join(n or "unnamed" for n in names),
            )
        leaf_names = [n for n in names if n is not None]
        program = forward_program(self.model.source, self.workspace.namespace, leaf_names, self.root_var)
        if not isinstance(program, ForwardProgram):
            return program
        values = [graph.objects[i].variable for i in graph.leaves]
        return program.function, values, leaf_names

    def _check(self, kind: str) -> Text:
        from tui_lab.core.autograd.check import compare_jacobians, numeric_check, run_gradcheck

        made = self._make_function()
        if isinstance(made, Explanation):
            return explanation_text(made, self.palette)
        make, values, names = made
        worker = get_current_worker()
        if kind == "numeric":
            return numeric_text(numeric_check(make, values, names, lambda: worker.is_cancelled), self.palette)
        if kind == "gradcheck":
            return gradcheck_text(run_gradcheck(make, values), self.palette)
        return jacobian_text(compare_jacobians(make, values, lambda: worker.is_cancelled), self.palette)

    def action_numeric_check(self) -> None:
        """Autograd's gradient against central finite differences, per leaf."""
        if self._ready():
            self.run_torch(lambda: self._check("numeric"))

    def action_gradcheck(self) -> None:
        """torch.autograd.gradcheck in float64."""
        if self._ready():
            self.run_torch(lambda: self._check("gradcheck"))

    def action_jacobians(self) -> None:
        """Jacobians by forward (jvp) and reverse (vjp) mode, with pass counts."""
        if self._ready():
            self.run_torch(lambda: self._check("jacobians"))

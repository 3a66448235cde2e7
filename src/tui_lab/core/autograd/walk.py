"""Step-through reverse mode: record, node by node, the gradients flowing back to the leaves.

Hooks on every Function (``register_hook``) record what arrives at it (the gradient of the
root with respect to its output) and what it passes on to each input (the local chain-rule
product). The pass runs through ``torch.autograd.grad`` with ``retain_graph=True``, so the
inspected graph and the leaves' ``.grad`` are left untouched. Each leaf's step sums the
contributions that reached it; those sums equal what ``.backward()`` puts in ``.grad``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from tui_lab.core.autograd.graph import FUNCTION, LEAF, AutogradGraph, function_name

if TYPE_CHECKING:
    import torch

#: Gradients along a Function's edges, as autograd hooks see them (None where no gradient flows).
Grads = tuple["torch.Tensor | None", ...]

#: Local derivative of the common Functions, as the step text shows it ("g" is the incoming gradient).
LOCAL_RULES: dict[str, str] = {
    "MulBackward0": "out = a·b: passes g·b to a and g·a to b",
    "MulBackward1": "out = a·c (c a number): passes g·c to a",
    "DotBackward0": "out = ⟨a, b⟩: passes g·b to a and g·a to b",
    "AddBackward0": "out = a + b: passes g to a and g to b (∂out/∂a = 1)",
    "AddBackward1": "out = a + c: passes g to a",
    "SubBackward0": "out = a − b: passes g to a and −g to b",
    "SubBackward1": "out = a − c: passes g to a",
    "RsubBackward1": "out = c − a: passes −g to a",
    "SumBackward0": "out = Σ aᵢ: passes g to every element (∂out/∂aᵢ = 1), expanded to a's shape",
    "SumBackward1": "out = Σ over dims: passes g expanded back over the summed dims",
    "MeanBackward0": "out = mean(a): passes g / n to every element",
    "PowBackward0": "out = aᵖ: passes g·p·aᵖ⁻¹ to a",
    "DivBackward0": "out = a / b: passes g / b to a and −g·a / b² to b",
    "DivBackward1": "out = a / c: passes g / c to a",
    "MvBackward0": "out = A v: passes g vᵀ to A and Aᵀ g to v",
    "MmBackward0": "out = A B: passes g Bᵀ to A and Aᵀ g to B",
    "ExpBackward0": "out = exp(a): passes g·exp(a) to a",
    "LogBackward0": "out = log(a): passes g / a to a",
    "ReluBackward0": "out = max(a, 0): passes g where a > 0, else 0",
    "TanhBackward0": "out = tanh(a): passes g·(1 − out²) to a",
    "SigmoidBackward0": "out = σ(a): passes g·out·(1 − out) to a",
    "NegBackward0": "out = −a: passes −g to a",
    "ExpandBackward0": "out = a broadcast: passes g summed back to a's shape",
    "ViewBackward0": "out = a.view(...): passes g reshaped to a's shape",
    "SelectBackward0": "out = a[i]: passes g into position i of a zero tensor",
    "StackBackward0": "out = stack(aᵢ): passes slice i of g to aᵢ",
    "CloneBackward0": "out = a.clone(): passes g to a",
}


LEAF_RULE = "leaf: .grad += the sum of every gradient that arrived here"


def local_rule(name: str) -> str:
    """The step text's chain-rule line for a Function named ``name``."""
    return LOCAL_RULES.get(name, f"{name}: passes g times the local derivative ∂out/∂input to each input")


@dataclass(frozen=True)
class WalkStep:
    """One node of the reverse pass: what arrived and what it passed on (per input edge)."""

    node: int
    name: str
    incoming: Grads
    outgoing: Grads
    targets: tuple[int | None, ...]
    rule: str


@dataclass(frozen=True)
class ReverseWalk:
    """The steps in execution (reverse topological) order and the leaves' summed gradients."""

    steps: tuple[WalkStep, ...]
    leaf_grads: dict[int, torch.Tensor]
    seeded_with_ones: bool


class MarkState(Enum):
    """Where a node stands in the step-through: the step shown now, or one already passed."""

    CURRENT = "current"
    DONE = "done"


@dataclass(frozen=True)
class WalkMark:
    """The step-through's mark on one node: its step number, the gradient that arrived, its state."""

    step: int
    gradient: str
    state: MarkState

    def passed(self) -> WalkMark:
        """The same mark once the walk has moved on."""
        return WalkMark(self.step, self.gradient, MarkState.DONE)


class WalkError(RuntimeError):
    """The walk cannot run (graph freed, truncated or too large)."""


def reverse_walk(graph: AutogradGraph, should_stop: Callable[[], bool] | None = None) -> ReverseWalk:
    """Run one recorded reverse pass over ``graph`` (seeded with ones for a non-scalar root)."""
    import torch

    if graph.truncated:
        raise WalkError("This graph was cut at the node limit; the step-through needs the whole graph.")
    root = graph.objects[graph.root]
    functions = [n.index for n in graph.nodes if n.kind == FUNCTION]
    events: list[tuple[int, Grads, Grads]] = []
    handles = []

    def recorder(index: int) -> Callable[..., None]:
        def hook(grad_inputs: Grads, grad_outputs: Grads) -> None:
            if should_stop is not None and should_stop():
                raise WalkError("Step-through cancelled.")
            events.append((index, _detached(grad_outputs), _detached(grad_inputs)))

        return hook

    try:
        for index in functions:
            handles.append(graph.objects[index].register_hook(recorder(index)))
        leaves = [graph.objects[i].variable for i in graph.leaves]
        seed = torch.ones_like(root)
        if leaves:
            torch.autograd.grad(root, leaves, grad_outputs=seed, retain_graph=True, allow_unused=True)
        else:
            torch.autograd.backward(root, seed, retain_graph=True)
    finally:
        for handle in handles:
            handle.remove()
    return _steps(graph, events, root.dim() > 0)


def _detached(grads: Grads) -> Grads:
    return tuple(g.detach().clone() if g is not None else None for g in grads)


def _steps(graph: AutogradGraph, events: list[tuple[int, Grads, Grads]], ones: bool) -> ReverseWalk:
    """Turn hook events into steps, inserting each leaf's step after its last contribution."""
    remaining: dict[int, int] = {}
    for leaf in graph.leaves:
        remaining[leaf] = sum(1 for p in graph.nodes[leaf].parents for c in graph.nodes[p].children if c == leaf)
    sums: dict[int, torch.Tensor] = {}
    steps: list[WalkStep] = []
    for index, incoming, outgoing in events:
        fn = graph.objects[index]
        slot_children = _slot_targets(graph, index)
        targets = [slot_children[slot] if slot < len(slot_children) else None for slot in range(len(outgoing))]
        name = function_name(fn)
        steps.append(WalkStep(index, name, incoming, outgoing, tuple(targets), local_rule(name)))
        for target, grad in zip(targets, outgoing, strict=True):
            if target is None or graph.nodes[target].kind != LEAF or grad is None:
                continue
            sums[target] = grad if target not in sums else sums[target] + grad
            remaining[target] -= 1
            if remaining[target] == 0:
                steps.append(WalkStep(target, "AccumulateGrad", (sums[target],), (), (), LEAF_RULE))
    for leaf, count in remaining.items():
        if count > 0 and leaf in sums:
            steps.append(WalkStep(leaf, "AccumulateGrad", (sums[leaf],), (), (), LEAF_RULE))
    return ReverseWalk(tuple(steps), sums, ones)


def _slot_targets(graph: AutogradGraph, index: int) -> list[int | None]:
    """For each ``next_functions`` slot of node ``index``, the graph node it leads to."""
    fn = graph.objects[index]
    lookup = {id(graph.objects[c]): c for c in graph.nodes[index].children}
    return [lookup.get(id(child)) if child is not None else None for child, _ in fn.next_functions]

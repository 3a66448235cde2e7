"""Node details (saved tensors, input/output shapes, creating line) and backward actions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from tui_lab.core.autograd.explain import SOURCE_FILENAME, Explanation, explain_exception
from tui_lab.core.autograd.graph import CONSTANT, FUNCTION, LEAF, MORE, ROOT, AutogradGraph, dtype_text, shape_text

if TYPE_CHECKING:
    import torch
    from torch.autograd.graph import Node

#: Tensors up to this many elements are shown with their values.
SMALL = 16


def format_values(tensor: torch.Tensor, limit: int = SMALL) -> str:
    """``[0., 4., 8., 12.]`` for small tensors, a min/mean/max summary for large ones."""
    t = tensor.detach()
    if t.numel() == 0:
        return "[]"
    if t.numel() > limit or t.dim() > 2:
        f = t.double()
        return f"{shape_text(tuple(t.shape))} min {f.min().item():.4g}, mean {f.mean().item():.4g}, max {f.max().item():.4g}"
    if t.is_complex():
        return str(t.tolist())

    def number(v: float | int | bool) -> str:
        if isinstance(v, float):
            text = f"{v:.4g}"
            return text + "." if text.lstrip("-").isdigit() else text
        return str(v)

    if t.dim() == 0:
        return number(t.item())
    values = t.tolist()
    if t.dim() == 1:
        return "[" + ", ".join(number(v) for v in values) + "]"
    return "[" + ", ".join("[" + ", ".join(number(v) for v in row) + "]" for row in values) + "]"


def describe_tensor(tensor: torch.Tensor) -> str:
    """``(4,) float32 = [0., 1., 2., 3.]``."""
    return f"{shape_text(tuple(tensor.shape))} {dtype_text(tensor.dtype)} = {format_values(tensor)}"


@dataclass(frozen=True)
class NodeDetails:
    """What the details view shows for one node."""

    title: str
    kind: str
    saved: tuple[tuple[str, str], ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    line: int | None
    code: str | None
    note: str
    grad: str | None


def _creating_line(fn: Node, source: str, filename: str) -> tuple[int | None, str | None]:
    """The user line recorded by anomaly mode in ``fn.metadata['traceback_']``."""
    try:
        # torch's Node ABC declares metadata as a method; the C++ nodes expose it as a property.
        frames = fn.metadata.get("traceback_") or []  # type: ignore[attr-defined]
    except (AttributeError, RuntimeError):
        return None, None
    marker = f'File "{filename}", line '
    line = None
    for frame in frames:
        at = frame.find(marker)
        if at >= 0:
            digits = frame[at + len(marker) :].split(",", 1)[0]
            if digits.isdigit():
                line = int(digits)
    if line is None:
        return None, None
    lines = source.splitlines()
    return line, lines[line - 1].strip() if 0 < line <= len(lines) else None


def _saved(fn: Node) -> tuple[tuple[str, str], ...]:
    import torch

    rows = []
    for attr in sorted(a for a in dir(fn) if a.startswith("_saved_")):
        try:
            value = getattr(fn, attr)
        except RuntimeError:
            return (("(saved tensors)", "freed by backward(); rebuild the graph or use retain_graph=True"),)
        if isinstance(value, torch.Tensor):
            rows.append((attr, describe_tensor(value)))
        elif value is not None:
            rows.append((attr, repr(value)))
    return tuple(rows)


def node_details(graph: AutogradGraph, index: int, source: str = "", filename: str = SOURCE_FILENAME) -> NodeDetails:
    """Details of node ``index`` read from the live graph."""
    node = graph.nodes[index]
    obj = graph.objects[index]
    if node.kind in (ROOT, CONSTANT):
        label = "root tensor" if node.kind == ROOT else "constant (no gradient flows here)"
        grad = describe_tensor(obj.grad) if node.kind == ROOT and obj.grad is not None else None
        return NodeDetails(
            f"{node.label}: {label}", node.kind, (), (), (describe_tensor(obj),), None, None, node.note, grad
        )
    if node.kind == MORE:
        return NodeDetails(
            "⋯ graph continues",
            MORE,
            (),
            (),
            (),
            None,
            None,
            "The graph has more nodes than the pane reads (the node limit). Inspect a tensor nearer the leaves.",
            None,
        )
    if node.kind == LEAF:
        variable = obj.variable
        grad = describe_tensor(variable.grad) if variable.grad is not None else "None (run backward)"
        return NodeDetails(
            f"{node.label}: leaf (AccumulateGrad)",
            LEAF,
            (),
            (),
            (describe_tensor(variable),),
            None,
            None,
            "AccumulateGrad adds every gradient arriving here into .grad, which is why it grows on each backward.",
            grad,
        )
    inputs = []
    for slot, (child, number) in enumerate(obj.next_functions):
        if child is None:
            inputs.append(f"input {slot}: constant (no grad)")
            continue
        try:
            meta = child._input_metadata[number]
            shape = f"{shape_text(tuple(meta.shape))} {dtype_text(meta.dtype)}"
        except (AttributeError, IndexError, RuntimeError):
            shape = "?"
        inputs.append(f"input {slot}: {shape} from {_child_label(graph, index, child)}")
    outputs = []
    try:
        for meta in obj._input_metadata:
            outputs.append(f"{shape_text(tuple(meta.shape))} {dtype_text(meta.dtype)}")
    except (AttributeError, RuntimeError):
        outputs.append("?")
    line, code = _creating_line(obj, source, filename)
    return NodeDetails(node.name, FUNCTION, _saved(obj), tuple(inputs), tuple(outputs), line, code, node.note, None)


def _child_label(graph: AutogradGraph, index: int, child: Node) -> str:
    for c in graph.nodes[index].children:
        if graph.objects[c] is child:
            node = graph.nodes[c]
            return f"{node.label} (AccumulateGrad)" if node.kind == LEAF else node.label
    return str(child.name()).rsplit("::", 1)[-1]


class Accumulation(Enum):
    """What a backward or zero-grads call did to the leaves' ``.grad`` (for a tip that tells the truth)."""

    STORED = "stored"  #: every .grad was None or zero before: backward stored the gradient
    DOUBLED = "doubled"  #: the same gradient was added again: every .grad is exactly twice what it was
    ADDED = "added"  #: the gradient was added to what .grad held (not a doubling: 8x -> 12x)
    ZEROED = "zeroed"  #: x.grad.zero_() on every leaf


@dataclass(frozen=True)
class BackwardResult:
    """Leaf gradients after a backward call (and before it), or why it failed."""

    call: str
    grads: tuple[tuple[str, str], ...] = ()
    error: Explanation | None = None
    before: tuple[tuple[str, str], ...] = ()
    accumulation: Accumulation | None = None


def leaf_tensors(graph: AutogradGraph) -> list[tuple[str, torch.Tensor]]:
    """(label, tensor) of every leaf."""
    return [(graph.nodes[i].label, graph.objects[i].variable) for i in graph.leaves]


def _grads_now(graph: AutogradGraph) -> list[torch.Tensor | None]:
    return [t.grad.detach().clone() if t.grad is not None else None for _, t in leaf_tensors(graph)]


def accumulation(before: Sequence[torch.Tensor | None], after: Sequence[torch.Tensor | None]) -> Accumulation:
    """Compare the leaves' .grad before and after a backward call."""
    held = [(b, a) for b, a in zip(before, after, strict=True) if b is not None and bool(b.ne(0).any())]
    if not held:
        return Accumulation.STORED
    if all(a is not None and a.shape == b.shape and bool((a == 2 * b).all()) for b, a in held):
        return Accumulation.DOUBLED
    return Accumulation.ADDED


def run_backward(graph: AutogradGraph, mode: str = "plain", retain_graph: bool = False) -> BackwardResult:
    """``backward()`` on the root: ``mode`` is ``plain``, ``sum`` (``.sum().backward()``) or ``ones``."""
    import torch

    root = graph.objects[graph.root]
    name = graph.root_name or "root"
    retain = ", retain_graph=True" if retain_graph else ""
    before = _grads_now(graph)
    before_text = tuple((label, _grad_text(t)) for label, t in leaf_tensors(graph))
    try:
        if mode == "sum":
            call = f"{name}.sum().backward({retain.lstrip(', ')})"
            root.sum().backward(retain_graph=retain_graph)
        elif mode == "ones":
            call = f"{name}.backward(gradient=torch.ones_like({name}){retain})"
            root.backward(torch.ones_like(root), retain_graph=retain_graph)
        else:
            call = f"{name}.backward({retain.lstrip(', ')})"
            root.backward(retain_graph=retain_graph)
    except RuntimeError as error:
        return BackwardResult(call, error=explain_exception(error))
    grads = tuple((label, _grad_text(t)) for label, t in leaf_tensors(graph))
    return BackwardResult(call, grads, None, before_text, accumulation(before, _grads_now(graph)))


def zero_grads(graph: AutogradGraph) -> BackwardResult:
    """``x.grad.zero_()`` for every leaf that has a gradient."""
    before_text = tuple((label, _grad_text(t)) for label, t in leaf_tensors(graph))
    for _, tensor in leaf_tensors(graph):
        if tensor.grad is not None:
            tensor.grad.zero_()
    return BackwardResult(
        "x.grad.zero_() for every leaf",
        tuple((label, _grad_text(t)) for label, t in leaf_tensors(graph)),
        None,
        before_text,
        Accumulation.ZEROED,
    )


def _grad_text(tensor: torch.Tensor) -> str:
    return format_values(tensor.grad) if tensor.grad is not None else "None"


def leaf_grad_texts(graph: AutogradGraph) -> Mapping[int, str]:
    """``node index -> formatted .grad`` for the leaves that have one."""
    found = {}
    for index in graph.leaves:
        grad = graph.objects[index].variable.grad
        if grad is not None:
            found[index] = format_values(grad, limit=8)
    return found


def names_of(graph: AutogradGraph, indices: Sequence[int]) -> list[str]:
    """Labels of the given nodes."""
    return [graph.nodes[i].label for i in indices]

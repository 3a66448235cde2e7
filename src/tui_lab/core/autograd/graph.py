"""Read a tensor's backward graph (``grad_fn`` / ``next_functions``) into a plain DAG.

Each autograd Function appears once however many edges lead into it; leaves are the
``AccumulateGrad`` nodes, named after the workspace tensor they accumulate into; an input
that carries no gradient but is a named or detached tensor is kept as a *constant* node
(the ``detach()`` cut). Reading stops after ``max_nodes`` nodes (nearest the root first), so
a 100,000-node graph gives a bounded graph with a "more" marker, never a hang.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from tui_lab.core.autograd.explain import Explanation, ExplanationKind

if TYPE_CHECKING:
    import torch
    from torch.autograd.graph import Node

#: Default cap on the nodes read from one graph.
MAX_NODES = 20_000

#: (data pointer, shape): how a detached copy is matched to the tensor it came from.
StorageKey = tuple[int, tuple[int, ...]]

ROOT, FUNCTION, LEAF, CONSTANT, MORE = "root", "function", "leaf", "constant", "more"


class GraphInputError(ValueError):
    """The value cannot be inspected; ``title``, ``kind`` and the message say why and what to do.

    ``value_text`` is the value itself (``tensor([True, True])``, ``12.0``), shown because a
    result without a graph is still an answer.
    """

    def __init__(
        self, title: str, message: str, kind: ExplanationKind = ExplanationKind.NO_GRAPH, value_text: str | None = None
    ) -> None:
        super().__init__(message)
        self.title = title
        self.kind = kind
        self.value_text = value_text

    def explanation(self) -> Explanation:
        """The same as an :class:`Explanation`."""
        return Explanation(self.title, str(self), None, self.kind)


@dataclass(frozen=True)
class GraphNode:
    """One node of the backward graph. ``children`` point toward the inputs (may repeat)."""

    index: int
    kind: str
    name: str
    label: str
    children: tuple[int, ...] = ()
    parents: tuple[int, ...] = ()
    shape: tuple[int, ...] | None = None
    dtype: str | None = None
    var_name: str | None = None
    note: str = ""
    #: For a detached constant, the workspace tensor it was detached from.
    detached_from: str | None = None


@dataclass(frozen=True)
class AutogradGraph:
    """The DAG of one root tensor; ``objects[i]`` is node i's live Function or tensor.

    ``objects`` stays ``Any``: its type is told by ``nodes[i].kind`` (the root and constants are
    tensors, functions autograd ``Node``s, leaves ``AccumulateGrad`` Nodes whose ``.variable`` no stub
    declares, the "more" marker None), which mypy cannot narrow on.
    """

    nodes: tuple[GraphNode, ...]
    root: int
    root_name: str | None
    truncated: bool
    objects: tuple[Any, ...] = field(repr=False, default=())  # Any: typed by nodes[i].kind, see above

    def __len__(self) -> int:
        return len(self.nodes)

    @cached_property
    def leaves(self) -> tuple[int, ...]:
        """Indices of the AccumulateGrad leaves, in reading order."""
        return tuple(n.index for n in self.nodes if n.kind == LEAF)

    @cached_property
    def function_count(self) -> int:
        """How many Function nodes (including leaves) were read."""
        return sum(1 for n in self.nodes if n.kind in (FUNCTION, LEAF))


def function_name(fn: Node) -> str:
    """``MulBackward0`` for a Function, ``AccumulateGrad`` without the ``torch::autograd::`` prefix."""
    return str(fn.name()).rsplit("::", 1)[-1]


def shape_text(shape: tuple[int, ...] | None) -> str:
    """``(4,)`` / ``()`` / ``?``."""
    if shape is None:
        return "?"
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def dtype_text(dtype: torch.dtype) -> str:
    """``float32`` for ``torch.float32``."""
    return str(dtype).removeprefix("torch.")


#: Characters of a value's text shown when it has no graph.
VALUE_TEXT_LIMIT = 2_000


def value_text(value: object, limit: int = VALUE_TEXT_LIMIT) -> str:
    """The value as Python prints it (``tensor([True, True, True, True])``), cut to ``limit`` characters."""
    try:
        text = repr(value)
    except Exception as error:  # a broken __repr__ must not take the pane down
        text = f"<{type(value).__name__}: repr failed with {type(error).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def explain_not_inspectable(
    value: object, name: str | None, grad_inputs: Sequence[str] | None = None
) -> GraphInputError | None:
    """Why ``value`` has no backward graph to draw, or None if it has one.

    ``grad_inputs`` are the names the computation read that hold tensors requiring grad (None
    when unknown, e.g. a name looked up in the workspace): with them the reason can be told
    truthfully instead of guessing "none of its inputs requires grad".
    """
    import torch

    label = name or "the value"
    shown = value_text(value)
    if not isinstance(value, torch.Tensor):
        return GraphInputError(
            "Not a tensor",
            f"{label} is a {type(value).__name__}, not a tensor, so it has no graph. The Graph pane draws the "
            "autograd graph of a tensor, e.g. y = 2 * torch.dot(x, x) with x = torch.arange(4.0, requires_grad=True).",
            ExplanationKind.NOT_A_TENSOR,
            shown,
        )
    if value.grad_fn is not None:
        return None
    if value.requires_grad:
        return GraphInputError(
            "A leaf has no graph",
            f"{label} is a leaf: you created it with requires_grad=True, so it has no grad_fn. "
            f"Compute something from it, e.g. y = 2 * {name or 'x'} * {name or 'x'}, and inspect y.",
            ExplanationKind.LEAF_WITHOUT_GRAPH,
            shown,
        )
    dtype = dtype_text(value.dtype)
    if not (value.is_floating_point() or value.is_complex()):
        why = (
            f"{label} is a {dtype} tensor: comparisons (==, <, >) and integer results are not differentiable, so "
            "autograd records no graph for them whatever they were computed from. The value above is the answer; "
            "to see a graph, inspect a floating-point result such as the y in y.backward()."
        )
        if grad_inputs:
            why += f" (It was computed from {_names(grad_inputs)}, which {_requires(grad_inputs)} grad.)"
        return GraphInputError("A value, not a graph", why, ExplanationKind.NO_GRAPH, shown)
    if grad_inputs:
        return GraphInputError(
            "No graph was recorded",
            f"{label} was computed from {_names(grad_inputs)}, which {_requires(grad_inputs)} grad, yet it has no "
            "grad_fn: it was computed under torch.no_grad() (or inference mode), from .detach() or .data, or by an "
            "operation without a gradient (.item(), argmax, rounding). The value above is the answer.",
            ExplanationKind.NO_GRAPH,
            shown,
        )
    if grad_inputs is not None:
        return GraphInputError(
            "No graph",
            f"{label} has no grad_fn: none of the tensors it was computed from requires grad, so autograd "
            "recorded nothing. Create the input with requires_grad=True (torch.arange(4.0, requires_grad=True)) "
            "or call x.requires_grad_() before computing, then run the code again.",
            ExplanationKind.NO_GRAPH,
            shown,
        )
    return GraphInputError(
        "No graph",
        f"{label} has no grad_fn and does not require grad, so autograd recorded nothing for it: either none of "
        "the tensors it was computed from required grad, or it was computed under torch.no_grad() or detached. "
        "Create the input with requires_grad=True (torch.arange(4.0, requires_grad=True)) and compute it again.",
        ExplanationKind.NO_GRAPH,
        shown,
    )


def _names(names: Sequence[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def _requires(names: Sequence[str]) -> str:
    return "require" if len(names) > 1 else "requires"


def _saved_tensors(fn: Node) -> list[tuple[str, torch.Tensor]]:
    """(attribute, tensor) for the tensors a Function saved; empty once they were freed."""
    import torch

    found = []
    for attr in dir(fn):
        if not attr.startswith("_saved_") or attr == "_saved_result":
            continue
        try:
            value = getattr(fn, attr)
        except RuntimeError:
            return []
        if isinstance(value, torch.Tensor):
            found.append((attr, value))
    return found


def _constant_for(
    fn: Node, slot: int, slots: int, names: Mapping[int, str], owners: Mapping[StorageKey, str]
) -> torch.Tensor | None:
    """The saved tensor that fed input ``slot`` of ``fn`` without a gradient, if it is worth drawing."""
    saved = _saved_tensors(fn)
    if not saved:
        return None
    candidates = [t for _, t in saved if not t.requires_grad]
    if len(saved) == slots and not saved[slot][1].requires_grad:
        tensor = saved[slot][1]
    elif candidates:
        tensor = candidates[0]
    else:
        return None
    if id(tensor) in names or _storage_key(tensor) in owners:
        return tensor
    return None


def _storage_key(tensor: torch.Tensor) -> StorageKey:
    return (tensor.data_ptr(), tuple(tensor.shape))


def build_graph(
    root: object,
    names: Mapping[int, str] | None = None,
    *,
    root_name: str | None = None,
    max_nodes: int = MAX_NODES,
    graph_tensors: Mapping[str, torch.Tensor] | None = None,
    should_stop: Callable[[], bool] | None = None,
    grad_inputs: Sequence[str] | None = None,
) -> AutogradGraph:
    """Read the backward graph of ``root`` breadth first, at most ``max_nodes`` nodes.

    ``names`` maps ``id(tensor)`` to workspace names (for leaves and constants);
    ``graph_tensors`` are the workspace tensors, used to recognise detached copies;
    ``grad_inputs`` the names the code read that require grad (see :func:`explain_not_inspectable`).
    Raises :class:`GraphInputError` for a non-tensor or a tensor without a graph.
    """
    problem = explain_not_inspectable(root, root_name, grad_inputs)
    if problem is not None:
        raise problem
    import torch

    assert isinstance(root, torch.Tensor)  # explain_not_inspectable let only a tensor through
    names = dict(names or {})
    owners = {
        _storage_key(t): n
        for n, t in (graph_tensors or {}).items()
        if (t.requires_grad or t.grad_fn is not None) and t.numel() > 0
    }
    kinds: list[str] = [ROOT]
    objects: list[Any] = [root]  # Any: see AutogradGraph.objects
    children: list[list[int]] = [[]]
    notes: list[str] = [""]
    index_of: dict[int, int] = {}
    truncated = False
    more_index = -1
    origins: dict[int, str | None] = {}

    def add(kind: str, obj: object, note: str = "") -> int:
        kinds.append(kind)
        objects.append(obj)
        children.append([])
        notes.append(note)
        return len(kinds) - 1

    first = add(FUNCTION, root.grad_fn)
    index_of[id(root.grad_fn)] = first
    children[0].append(first)
    queue: deque[int] = deque([first])
    while queue:
        if should_stop is not None and should_stop():
            truncated = True
            break
        current = queue.popleft()
        fn = objects[current]
        edges = fn.next_functions
        for slot, (child, _) in enumerate(edges):
            if child is None:
                tensor = _constant_for(fn, slot, len(edges), names, owners)
                if tensor is not None:
                    origin = owners.get(_storage_key(tensor))
                    origin = origin if origin != names.get(id(tensor)) else None
                    children[current].append(add(CONSTANT, tensor, _detach_note(tensor, names, owners)))
                    origins[children[current][-1]] = origin
                continue
            known = index_of.get(id(child))
            if known is None:
                if len(kinds) >= max_nodes:
                    truncated = True
                    if more_index < 0:
                        more_index = add(MORE, None)
                    children[current].append(more_index)
                    continue
                known = add(LEAF if hasattr(child, "variable") else FUNCTION, child)
                index_of[id(child)] = known
                queue.append(known)
            children[current].append(known)
    return _freeze(kinds, objects, children, notes, names, root_name, truncated, origins)


def _detach_note(tensor: torch.Tensor, names: Mapping[int, str], owners: Mapping[StorageKey, str]) -> str:
    name = names.get(id(tensor), "this input")
    owner = owners.get(_storage_key(tensor))
    if owner is not None and owner != name:
        return (
            f"{name} shares its values with {owner} but does not require grad (it is {owner}.detach()): "
            f"autograd treats it as a constant, so no gradient flows back through it to {owner}'s inputs."
        )
    return f"{name} does not require grad, so autograd treats it as a constant: no gradient flows through it."


def _freeze(
    kinds: list[str],
    objects: list[Any],  # Any: see AutogradGraph.objects
    children: list[list[int]],
    notes: list[str],
    names: Mapping[int, str],
    root_name: str | None,
    truncated: bool,
    origins: Mapping[int, str | None],
) -> AutogradGraph:
    parents: list[list[int]] = [[] for _ in kinds]
    for index, kids in enumerate(children):
        for child in dict.fromkeys(kids):
            parents[child].append(index)
    nodes = []
    for index, kind in enumerate(kinds):
        obj = objects[index]
        shape = dtype = var_name = None
        if kind == ROOT:
            name, var_name = "tensor", root_name
            shape, dtype = tuple(obj.shape), dtype_text(obj.dtype)
            label = root_name or "root"
        elif kind == FUNCTION:
            name = label = function_name(obj)
        elif kind == LEAF:
            variable = obj.variable
            name, var_name = "AccumulateGrad", names.get(id(variable))
            shape, dtype = tuple(variable.shape), dtype_text(variable.dtype)
            label = var_name or "leaf"
        elif kind == CONSTANT:
            name, var_name = "constant", names.get(id(obj))
            shape, dtype = tuple(obj.shape), dtype_text(obj.dtype)
            label = var_name or "constant"
            if origins.get(index):
                label = f"{var_name or ''} = {origins[index]}.detach()".lstrip(" =")
        else:
            name, label = "more", "⋯ graph continues"
        nodes.append(
            GraphNode(
                index=index,
                kind=kind,
                name=name,
                label=label,
                children=tuple(children[index]),
                parents=tuple(parents[index]),
                shape=shape,
                dtype=dtype,
                var_name=var_name,
                note=notes[index],
                detached_from=origins.get(index),
            )
        )
    return AutogradGraph(tuple(nodes), 0, root_name, truncated, tuple(objects))


def tensor_names(
    tensors: Mapping[str, torch.Tensor], modules: Mapping[str, torch.nn.Module] | None = None
) -> dict[int, str]:
    """``id(tensor) -> name`` for workspace tensors, then ``net.weight`` for modules' parameters."""
    names: dict[int, str] = {}
    for name, tensor in tensors.items():
        names.setdefault(id(tensor), name)
    for module_name, module in (modules or {}).items():
        for parameter_name, parameter in module.named_parameters():
            names.setdefault(id(parameter), f"{module_name}.{parameter_name}")
    return names


def workspace_modules(items: Iterable[tuple[str, object]]) -> dict[str, torch.nn.Module]:
    """The ``torch.nn.Module`` values among workspace ``(name, value)`` pairs."""
    import torch

    return {name: value for name, value in items if isinstance(value, torch.nn.Module)}

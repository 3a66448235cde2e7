"""Run the Graph pane's input in the workspace, and replay it as a function of its leaves.

:func:`run_code` executes code like the REPL does (in ``workspace.namespace``), with anomaly
mode on so every Function remembers the user line that created it, and says which tensor to
inspect: the value of a final expression, else the last assigned name.

:class:`ForwardProgram` keeps only the statements that depend on the leaves (plus ``def``s
and imports), so the root can be recomputed from new leaf values, which is what the numeric
check and the Jacobians need. Leaf definitions and plain data (``X = torch.randn(...)``) are
not re-run: their current values are used.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import CodeType
from typing import TYPE_CHECKING

from tui_lab.core.autograd.explain import SOURCE_FILENAME, Explanation, ExplanationKind, explain_exception
from tui_lab.core.autograd.graph import AutogradGraph
from tui_lab.core.workspace import ChangeSource, Workspace

if TYPE_CHECKING:
    import torch

#: The name a final expression's value is bound to (like the Python REPL's ``_``).
RESULT_NAME = "_"


@dataclass(frozen=True)
class ProgramRun:
    """What running the input did: the name and value to inspect, or an explanation.

    ``reads`` are the names read by the statement that produced the value (the final
    expression, or the last assignment to ``root_name``): the inputs it was computed from.
    """

    source: str
    root_name: str | None = None
    value: object = None
    error: Explanation | None = None
    expression: str | None = None
    reads: tuple[str, ...] | None = None


def _assigned_names(statement: ast.stmt) -> list[str]:
    """Names a top-level statement binds."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in statement.names]
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, (ast.AugAssign, ast.AnnAssign)):
        targets = [statement.target]
    elif isinstance(statement, (ast.For, ast.AsyncFor)):
        targets = [statement.target]
    names: list[str] = []
    for target in targets:
        names.extend(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    if isinstance(statement, (ast.For, ast.While, ast.If, ast.With, ast.Try)):
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.append(node.id)
    return list(dict.fromkeys(names))


def _read_names(statement: ast.stmt) -> set[str]:
    names = {n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    if isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name):
        names.add(statement.target.id)  # y += x reads y
    return names


def _killed_names(statement: ast.stmt) -> set[str]:
    """Names a statement surely rebinds as a whole (``y = ...``, ``def f``), dropping their old value."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
        return set(_assigned_names(statement))
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        targets = [statement.target]
    names: set[str] = set()
    while targets:
        target = targets.pop()
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            targets.extend(target.elts)
        elif isinstance(target, ast.Starred):
            targets.append(target.value)
    return names


def _exec_recording_lines(code: CodeType, namespace: dict[str, object]) -> None:
    """Run ``code`` with anomaly mode on, so each autograd node records the user line that made it."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.set_detect_anomaly(True, check_nan=False):
            exec(code, namespace)


def run_code(source: str, workspace: Workspace, source_name: ChangeSource = "graph") -> ProgramRun:
    """Execute ``source`` in the workspace and pick the tensor to inspect."""

    try:
        tree = ast.parse(source, SOURCE_FILENAME, "exec")
    except SyntaxError as error:
        return ProgramRun(source, error=explain_exception(error, source))
    if not tree.body:
        return ProgramRun(
            source,
            error=Explanation("Nothing to run", "Type code or a tensor's name.", None, ExplanationKind.NOTHING_TO_RUN),
        )
    last = tree.body[-1]
    expression = None
    if isinstance(last, ast.Expr):
        expression = ast.get_source_segment(source, last) or RESULT_NAME
        tree.body[-1] = ast.copy_location(
            ast.Assign(targets=[ast.Name(RESULT_NAME, ast.Store())], value=last.value), last
        )
        ast.fix_missing_locations(tree)
    code = compile(tree, SOURCE_FILENAME, "exec")
    before = workspace.snapshot()
    try:
        _exec_recording_lines(code, workspace.namespace)
    except (Exception, KeyboardInterrupt) as error:  # the user's code (or ctrl+c): explained, never raised
        return ProgramRun(source, error=explain_exception(error, source))
    finally:
        workspace.notify_since(before, source_name)
    candidates: list[tuple[str, ast.stmt]] = [(RESULT_NAME, tree.body[-1])] if expression is not None else []
    for statement in reversed(tree.body[:-1] if expression is not None else tree.body):
        candidates.extend((name, statement) for name in reversed(_assigned_names(statement)))
    for name, statement in candidates:
        value = workspace.get(name)
        if name == RESULT_NAME and value is None:
            continue
        reads = tuple(sorted(_read_names(statement)))
        return ProgramRun(source, name, value, expression=expression if name == RESULT_NAME else None, reads=reads)
    return ProgramRun(
        source,
        error=Explanation(
            "Nothing to inspect",
            "The code assigned no name and had no value. End it with a tensor.",
            None,
            ExplanationKind.NOTHING_TO_INSPECT,
        ),
    )


@dataclass(frozen=True)
class ForwardProgram:
    """The statements that recompute ``root_name`` from the leaves ``leaf_names``."""

    source: str
    leaf_names: tuple[str, ...]
    root_name: str
    statements: tuple[str, ...]
    namespace: Mapping[str, object] = field(repr=False)
    _module: ast.Module = field(repr=False)

    def function(self, as_double: bool = False) -> Callable[..., torch.Tensor]:
        """``f(*leaf_values) -> root``; ``as_double`` casts the float tensors it reads to float64."""
        import torch

        code = compile(self._module, SOURCE_FILENAME, "exec")
        reads = set().union(*(_read_names(s) for s in self._module.body)) if self._module.body else set()
        base = dict(self.namespace)
        if as_double:
            for name in reads:
                value = base.get(name)
                if isinstance(value, torch.Tensor) and value.is_floating_point() and name not in self.leaf_names:
                    base[name] = value.detach().double()

        def f(*values: torch.Tensor) -> torch.Tensor:
            scope = dict(base)
            scope.update(zip(self.leaf_names, values, strict=False))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(code, scope)
            root = scope[self.root_name]
            if not isinstance(root, torch.Tensor):
                raise TypeError(
                    f"re-run with new leaf values, {self.root_name} is a {type(root).__name__}, not a tensor"
                )
            return root

        return f

    def rerun(self, workspace: Workspace, source_name: ChangeSource = "graph") -> object:
        """Re-run the kept statements in the workspace itself: a fresh graph over the same leaves."""
        before = workspace.snapshot()
        try:
            _exec_recording_lines(compile(self._module, SOURCE_FILENAME, "exec"), workspace.namespace)
        finally:
            workspace.notify_since(before, source_name)
        return workspace.get(self.root_name)


def _slice(body: list[ast.stmt], leaves: set[str], root_name: str) -> list[ast.stmt] | None:
    """The statements of ``body`` that the leaves reach AND ``root_name`` needs, in order.

    Forward: a statement reading a leaf, or a name computed from one, is *dirty*. Backward from
    the root: a statement is kept only when it binds a name a later kept statement reads (a
    name rebound whole, ``y = ...``, is no longer needed before that statement). Dirty
    statements are re-run; a clean one only when it resets a name that dirty code changes
    afterwards (``y = 0`` before ``y = y + x``), since the workspace holds that name's final value.
    Statements that bind nothing needed (``print(y)``, ``y.backward()``, writing a file, leaf
    definitions and ``x.grad = None``) are never re-run. ``None`` when the root is not reached.
    """
    dirty = set(leaves)
    is_dirty: list[bool] = []
    for statement in body:
        reads_dirty = bool(_read_names(statement) & dirty)
        is_dirty.append(reads_dirty)
        if reads_dirty:
            dirty.update(set(_assigned_names(statement)) - leaves)
        else:
            dirty -= _killed_names(statement) - leaves
    if root_name not in dirty:
        return None
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
    needed = {root_name}
    kept: list[ast.stmt] = []
    for statement, reads_dirty in zip(reversed(body), reversed(is_dirty), strict=True):
        bound = (set(_assigned_names(statement)) - leaves) & needed
        if not bound or not (reads_dirty or isinstance(statement, definitions) or bound & dirty):
            continue
        kept.append(statement)
        needed -= _killed_names(statement)
        needed.update(_read_names(statement))
    return kept[::-1]


def _root_name(node: ast.expr) -> str | None:
    """``w`` for ``w``, ``w.grad``, ``w[0]`` or ``w.grad.data``."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _side_effect(statements: list[ast.stmt], leaves: set[str]) -> tuple[ast.AST, str] | None:
    """The first node in ``statements`` that runs backward() or changes a leaf in place (a training step)."""
    for statement in statements:
        for node in ast.walk(statement):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                method = node.func.attr
                if method == "backward":
                    return node, "runs backward()"
                if method.endswith("_") and not method.startswith("_") and _root_name(node.func.value) in leaves:
                    return node, f"changes the leaf {_root_name(node.func.value)} in place ({method})"
            if isinstance(node, ast.AugAssign) and _root_name(node.target) in leaves:
                return node, f"changes the leaf {_root_name(node.target)} in place"
    return None


def forward_program(
    source: str, namespace: Mapping[str, object], leaf_names: Iterable[str], root_name: str
) -> ForwardProgram | Explanation:
    """The replayable part of ``source``, or an explanation of why there is none."""
    leaves = tuple(leaf_names)
    try:
        tree = ast.parse(source, SOURCE_FILENAME, "exec")
    except SyntaxError as error:
        return explain_exception(error, source)
    body = list(tree.body)
    if body and isinstance(body[-1], ast.Expr) and root_name == RESULT_NAME:
        body[-1] = ast.copy_location(
            ast.Assign(targets=[ast.Name(RESULT_NAME, ast.Store())], value=body[-1].value), body[-1]
        )
    last_root = max((i for i, s in enumerate(body) if root_name in _assigned_names(s)), default=-1)
    if last_root < 0:
        return Explanation(
            "No code to replay",
            f"{root_name} was not computed by the code run here, so there is nothing to re-evaluate. "
            "Type the code that builds it in the input line (or load an example), then check again.",
            None,
            ExplanationKind.NO_REPLAY,
        )
    kept = _slice(body[: last_root + 1], set(leaves), root_name)
    if kept is None:
        return Explanation(
            "No code to replay",
            f"{root_name} does not depend on the leaves {', '.join(leaves)}.",
            None,
            ExplanationKind.NO_REPLAY,
        )
    effect = _side_effect(kept, set(leaves))
    if effect is not None:
        node, what = effect
        line = ast.get_source_segment(source, node) or ast.unparse(node)
        return Explanation(
            "Cannot replay a training step",
            f"The code that computes {root_name} also {what}: {line}\n"
            f"Re-running it with nudged leaf values would update the leaves or their .grad as it goes, so "
            f"the checks would compare different functions. Compute {root_name} in a statement of its own "
            "(outside the loop), then check again.",
            None,
            ExplanationKind.TRAINING_STEP,
        )
    module = ast.fix_missing_locations(ast.Module(body=kept, type_ignores=[]))
    segments = tuple(ast.get_source_segment(source, s) or ast.unparse(s) for s in kept)
    return ForwardProgram(source, leaves, root_name, segments, dict(namespace), module)


@dataclass(frozen=True)
class Replay:
    """The inspected tensor as a function of its leaves: the program, the leaves' tensors and names."""

    program: ForwardProgram
    leaves: tuple[torch.Tensor, ...]
    names: tuple[str, ...]


def replay_of(
    graph: AutogradGraph, source: str, namespace: Mapping[str, object], root_name: str
) -> Replay | Explanation:
    """What the gradient checks re-run for ``graph``'s root, or why they cannot."""
    names = [graph.nodes[i].var_name for i in graph.leaves]
    if not names or any(n is None or not n.isidentifier() for n in names):
        return Explanation(
            "Leaves need plain names",
            "The checks re-run your code with new leaf values, so each leaf must be bound to a plain "
            "workspace name (w = torch.zeros(3, requires_grad=True)). Leaves here: "
            + ", ".join(n or "unnamed" for n in names),
            None,
            ExplanationKind.UNNAMED_LEAVES,
        )
    leaf_names = tuple(n for n in names if n is not None)
    program = forward_program(source, namespace, leaf_names, root_name)
    if not isinstance(program, ForwardProgram):
        return program
    return Replay(program, tuple(graph.objects[i].variable for i in graph.leaves), leaf_names)

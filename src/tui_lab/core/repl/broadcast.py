"""Broadcasting explainer: line operand shapes up from the right and mark each axis.

:func:`explain_shapes` does the arithmetic of the broadcasting rule. :func:`explain_error`
works out the operand shapes of a failed binary operation, from NumPy's message or by
re-evaluating the side-effect-free operands of the failing line (names, attributes,
indexing and a short list of pure tensor functions; nothing else is ever evaluated).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Literal

AxisStatus = Literal["match", "broadcast", "clash"]

#: Calls the explainer may re-evaluate: they build or reshape tensors without side effects.
PURE_CALLS = frozenset(
    "arange ones zeros randn rand empty full tensor eye linspace ones_like zeros_like "
    "reshape view sum mean max min prod std var exp log abs sqrt t unsqueeze squeeze "
    "flatten transpose permute expand float double int long clone detach numpy array "
    "asarray from_numpy norm cumsum matmul mm mv dot T".split()
)

_SIZE_MISMATCH = re.compile(
    r"size of tensor a \((\d+)\) must match the size of tensor b \((\d+)\) at non-singleton dimension (\d+)"
)
_IN_PLACE = re.compile(
    r"output (?:operand )?with shape [\[(]([\d, ]*)[\])] doesn't match the broadcast shape [\[(]([\d, ]*)[\])]"
)
_NUMPY_SHAPES = re.compile(r"operands could not be broadcast together with shapes? ((?:\([\d, ]*\)\s*)+)")
_BROADCAST_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.BitAnd, ast.BitOr)


@dataclass(frozen=True)
class BroadcastExplanation:
    """Operand shapes right-aligned, one status per aligned axis, and the result shape."""

    labels: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    axes: tuple[AxisStatus, ...]
    result: tuple[int, ...] | None
    #: Set when broadcasting works but an in-place op cannot store the result (``X += Y``).
    note: str = ""

    @property
    def ok(self) -> bool:
        """True when the shapes broadcast."""
        return self.result is not None

    def rows(self) -> list[list[str]]:
        """Each operand's sizes right-aligned to ``len(axes)`` columns ('' where it has no axis)."""
        width = len(self.axes)
        return [[""] * (width - len(s)) + [str(n) for n in s] for s in self.shapes]

    def as_text(self) -> str:
        """A plain-text table: sizes right-aligned, a marker row, then the verdict."""
        rows = self.rows()
        cell = max([len(c) for row in rows for c in row] + [1]) + 1
        label_width = max(len(label) for label in self.labels) if self.labels else 0
        lines = [
            f"{label:>{label_width}}  " + "".join(f"{c:>{cell}}" for c in row)
            for label, row in zip(self.labels, rows, strict=False)
        ]
        marks = {"match": "=", "broadcast": "↕", "clash": "✗"}
        lines.append(" " * (label_width + 2) + "".join(f"{marks[a]:>{cell}}" for a in self.axes))
        lines.append(self.verdict())
        return "\n".join(lines)

    def verdict(self) -> str:
        """One sentence: the result shape, or which axes clash."""
        if self.note:
            return self.note
        if self.result is not None:
            stretched = [i - len(self.axes) for i, a in enumerate(self.axes) if a == "broadcast"]
            how = f"; axes {stretched} are stretched" if stretched else "; no axis needs stretching"
            return f"broadcasts to {tuple(self.result)}{how} (= same size, ↕ size 1 or missing is stretched)"
        clashes = [i - len(self.axes) for i, a in enumerate(self.axes) if a == "clash"]
        return f"cannot broadcast: axes {clashes} (counted from the right) differ and neither is 1 (✗ marks them)"


def explain_shapes(shapes: Sequence[Sequence[int]], labels: Sequence[str] | None = None) -> BroadcastExplanation:
    """Apply the broadcasting rule to ``shapes`` (aligned from the trailing axis)."""
    norm = tuple(tuple(int(n) for n in s) for s in shapes)
    names = tuple(labels) if labels is not None else tuple("abcdefgh"[i] for i in range(len(norm)))
    width = max((len(s) for s in norm), default=0)
    axes: list[AxisStatus] = []
    result: list[int] = []
    for axis in range(width):
        sizes = [s[len(s) - width + axis] for s in norm if len(s) - width + axis >= 0]
        distinct = {n for n in sizes if n != 1}
        if len(distinct) > 1:
            axes.append("clash")
            result.append(-1)
        elif len(sizes) == len(norm) and len(set(sizes)) == 1:
            axes.append("match")
            result.append(sizes[0])
        else:
            axes.append("broadcast")
            result.append(distinct.pop() if distinct else 1)
    ok = "clash" not in axes
    return BroadcastExplanation(names, norm, tuple(axes), tuple(result) if ok else None)


def shape_of(value: object) -> tuple[int, ...] | None:
    """The shape of a tensor, ndarray or Python scalar (``()``); None for anything else."""
    if isinstance(value, bool | int | float | complex):
        return ()
    shape = getattr(value, "shape", None)
    if shape is None:
        return None
    try:
        return tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        return None


def is_broadcast_error(error: BaseException) -> bool:
    """True for the shape errors of element-wise ops in torch and NumPy."""
    text = str(error)
    return bool(_SIZE_MISMATCH.search(text) or _NUMPY_SHAPES.search(text) or _IN_PLACE.search(text))


def explain_error(
    error: BaseException, tb: TracebackType | None, user_file_prefix: str = "<In ["
) -> BroadcastExplanation | None:
    """Explain a failed element-wise op, or None if it was not one or its operands are unknown."""
    text = str(error)
    numpy_match = _NUMPY_SHAPES.search(text)
    if numpy_match:
        found = re.findall(r"\(([\d, ]*)\)", numpy_match.group(1))
        shapes = [tuple(int(n) for n in part.replace(" ", "").split(",") if n) for part in found]
        return explain_shapes(shapes)
    in_place = _IN_PLACE.search(text)
    if not _SIZE_MISMATCH.search(text) and not in_place:
        return None
    frame = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith(user_file_prefix):
            frame = tb.tb_frame
            line = tb.tb_lineno
        tb = tb.tb_next
    if frame is None:
        return None
    import linecache

    source = linecache.getline(frame.f_code.co_filename, line).strip()
    scope = {**frame.f_globals, **frame.f_locals}
    explanation = explain_source_line(source, scope, in_place=in_place is not None)
    if explanation is None and in_place is not None:
        target, result = (_parse_shape(g) for g in in_place.groups())
        return in_place_explanation(explain_shapes([target, result], ["output", "broadcast"]))
    return explanation


def _parse_shape(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in text.replace(" ", "").split(",") if n)


def in_place_explanation(explanation: BroadcastExplanation) -> BroadcastExplanation:
    """Mark the axes where an in-place op's target would have to grow to hold the broadcast result."""
    if explanation.result is None:
        return explanation
    target = explanation.shapes[0]
    width = len(explanation.axes)
    padded = (None,) * (width - len(target)) + target
    axes: tuple[AxisStatus, ...] = tuple(
        "clash" if size != full else status
        for size, full, status in zip(padded, explanation.result, explanation.axes, strict=True)
    )
    note = (
        f"the operands broadcast to {explanation.result}, but an in-place op keeps the shape "
        f"{target} of its left side (✗ marks the axes that would grow); use the out-of-place form, e.g. X = X + Y"
    )
    return BroadcastExplanation(explanation.labels, explanation.shapes, axes, None, note)


def explain_source_line(
    source: str, scope: Mapping[str, object], in_place: bool = False
) -> BroadcastExplanation | None:
    """Find the first element-wise op in ``source`` whose operands clash, evaluating only pure parts.

    With ``in_place``, only augmented assignments (``X += Y``) are considered, and a result that
    would not fit the left side counts as the clash.
    """
    try:
        tree = ast.parse(source.rstrip(":"), mode="exec")
    except SyntaxError:
        return None
    pairs: list[tuple[ast.expr, ast.expr]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, _BROADCAST_OPS):
            pairs.append((node.left, node.right))
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, _BROADCAST_OPS):
            pairs.append((node.target, node.value))
            if in_place:
                pairs = [(node.target, node.value)]
                break
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            pairs.append((node.left, node.comparators[0]))
    for left, right in reversed(pairs):  # innermost operations come last in ast.walk order
        shapes = [_pure_shape(left, scope), _pure_shape(right, scope)]
        if shapes[0] is None or shapes[1] is None:
            continue
        labels = [_label(left), _label(right)]
        explanation = explain_shapes([shapes[0], shapes[1]], labels)
        if in_place:
            explanation = in_place_explanation(explanation)
        if not explanation.ok:
            return explanation
    return None


def _label(node: ast.expr) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 24 else text[:23] + "…"


def _is_pure(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if name not in PURE_CALLS:
                return False
        elif not isinstance(
            sub,
            ast.Name
            | ast.Attribute
            | ast.Constant
            | ast.Subscript
            | ast.Slice
            | ast.Tuple
            | ast.List
            | ast.Load
            | ast.Store
            | ast.UnaryOp
            | ast.USub
            | ast.keyword
            | ast.BinOp
            | ast.operator,
        ):
            return False
    return True


def _pure_shape(node: ast.expr, scope: Mapping[str, object]) -> tuple[int, ...] | None:
    if not _is_pure(node):
        return None
    expr = ast.Expression(body=_as_load(node))
    try:
        value = eval(compile(ast.fix_missing_locations(expr), "<broadcast>", "eval"), dict(scope))  # noqa: S307
    except Exception:
        return None
    return shape_of(value)


def _as_load(node: ast.expr) -> ast.expr:
    """A copy of ``node`` usable in an expression (AugAssign targets have Store context)."""
    return ast.parse(ast.unparse(node), mode="eval").body


def evaluate_operands(expressions: Sequence[str], namespace: Mapping[str, object]) -> BroadcastExplanation:
    """Evaluate user-typed expressions (the palette command) and explain their shapes.

    Raises ``ValueError`` with a readable message when an expression fails or has no shape.
    """
    shapes = []
    for text in expressions:
        try:
            value = eval(text, dict(namespace))  # noqa: S307 - the user typed it, like a REPL line
        except Exception as error:
            raise ValueError(f"{text!r} failed: {type(error).__name__}: {error}") from error
        shape = shape_of(value)
        if shape is None:
            raise ValueError(f"{text!r} is a {type(value).__name__}, which has no shape")
        shapes.append(shape)
    return explain_shapes(shapes, [t.strip() for t in expressions])

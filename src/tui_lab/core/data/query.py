"""The filter grammar: what a FilterRows expression may say, checked with ``ast`` before pandas sees it.

A filter is user code by nature: it goes to ``DataFrame.query(expression, engine='python')``, and
pandas evaluates attribute chains, method calls and ``@`` local variables there
(``Price.to_csv('x')`` writes a file, ``Price.__class__.__init__.__globals__`` reaches the
builtins). So an expression passes only if it is one line in this small grammar:

- column names, bare (``Price``) or backquoted (```Lot Area```);
- literals: numbers, strings, True, False, None, and lists or tuples of them;
- comparisons (``== != < <= > >= in not in``, chained), ``and or not``, ``& | ~``,
  arithmetic ``+ - * / // %`` (no string operand) and unary ``-`` / ``+``;
- calls of the column methods in :data:`COLUMN_METHODS` and ``.str`` methods in
  :data:`STR_METHODS`, with literal arguments and only the keywords listed.

Anything else (other names or attributes, ``@``, subscripts, lambdas, ``**``, backslashes,
control characters) is refused with a message naming the offending part and its column.
The names must also be columns of the frame the filter runs on (:func:`unknown_columns`), so
pandas never looks a name up anywhere else.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

MAX_LENGTH = 1000
MAX_DEPTH = 40

#: Column methods a filter may call: name → (most positional arguments, allowed keywords).
COLUMN_METHODS: dict[str, tuple[int, frozenset[str]]] = {
    "isna": (0, frozenset()),
    "notna": (0, frozenset()),
    "isnull": (0, frozenset()),
    "notnull": (0, frozenset()),
    "isin": (1, frozenset()),
    "between": (3, frozenset({"inclusive"})),
    "abs": (0, frozenset()),
}
#: ``.str`` methods a filter may call, the same way.
STR_METHODS: dict[str, tuple[int, frozenset[str]]] = {
    "contains": (1, frozenset({"case", "regex", "na"})),
    "startswith": (1, frozenset({"na"})),
    "endswith": (1, frozenset({"na"})),
    "len": (0, frozenset()),
    "lower": (0, frozenset()),
    "upper": (0, frozenset()),
    "strip": (0, frozenset()),
    "isdigit": (0, frozenset()),
    "isalpha": (0, frozenset()),
    "isalnum": (0, frozenset()),
    "isnumeric": (0, frozenset()),
    "isspace": (0, frozenset()),
    "islower": (0, frozenset()),
    "isupper": (0, frozenset()),
}
_BOOL_OPS = (ast.And, ast.Or)
_UNARY_OPS = (ast.Not, ast.Invert, ast.USub, ast.UAdd)
_LOGIC_OPS = (ast.BitAnd, ast.BitOr)
_ARITH_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)
_COMPARE_OPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)
_CONSTANTS = (str, int, float, bool, type(None))
_KINDS = {
    "Subscript": "indexing with [...]",
    "IfExp": "an if/else expression",
    "Lambda": "a lambda",
    "JoinedStr": "an f-string",
    "ListComp": "a comprehension",
    "SetComp": "a comprehension",
    "DictComp": "a comprehension",
    "GeneratorExp": "a comprehension",
    "NamedExpr": "an assignment (:=)",
    "Starred": "unpacking with *",
    "Dict": "a dict",
    "Set": "a set",
    "Slice": "a slice",
}


class FilterError(ValueError):
    """The expression is outside the filter grammar; the message points at the part refused."""


@dataclass(frozen=True)
class CheckedFilter:
    """An expression inside the grammar, with the column names it reads."""

    expression: str
    columns: tuple[str, ...]


def _split_backquoted(expression: str) -> tuple[str, dict[int, str]]:
    """Stand each ```name``` in by underscores of the same length; return the text and {start: name}.

    Quotes are tracked the way pandas splits backquotes (a backquote inside a string literal is
    text); backslashes are refused before this, so no quote is ever escaped.
    """
    out: list[str] = []
    names: dict[int, str] = {}
    quote: str | None = None
    index = 0
    while index < len(expression):
        char = expression[index]
        if quote is None and char == "`":
            end = expression.find("`", index + 1)
            if end < 0:
                raise FilterError(f"The backquote at column {index + 1} is never closed.")
            name = expression[index + 1 : end]
            if expression[end + 1 : end + 2] == "`" or "'" in name or '"' in name:
                raise FilterError(
                    f"The backquoted name at column {index + 1} holds a backquote or a quote: "
                    "rename that column to filter on it."
                )
            names[index] = name
            out.append("_" * (end + 1 - index))
            index = end + 1
            continue
        if quote is None and char in "'\"":
            quote = char
        elif char == quote:
            quote = None
        out.append(char)
        index += 1
    return "".join(out), names


def _syntax_message(expression: str, error: SyntaxError) -> str:
    offset = error.offset or 0
    if offset < 1 or offset > len(expression):
        where = "at the end (the expression stops too early)"
    else:
        where = f"at column {offset} ({expression[offset - 1]!r})"
    return f"Syntax error in filter {where}: {error.msg}."


class _Checker:
    """Walks the parsed expression, collecting column names and refusing whatever is not allowed."""

    def __init__(self, expression: str, checked: str, backquoted: dict[int, str]) -> None:
        self.expression, self.checked, self.backquoted = expression, checked, backquoted
        self.columns: list[str] = []
        self.placed: set[int] = set()

    def _span(self, node: ast.AST) -> tuple[int, int]:
        """Character columns of ``node`` (ast gives UTF-8 byte offsets on the line)."""
        encoded = self.checked.encode("utf-8")
        start = len(encoded[: getattr(node, "col_offset", 0)].decode("utf-8"))
        end_offset = getattr(node, "end_col_offset", None)
        end = len(encoded[:end_offset].decode("utf-8")) if end_offset is not None else start + 1
        return start, end

    def refuse(self, node: ast.AST, why: str) -> FilterError:
        start, end = self._span(node)
        part = self.expression[start:end]
        shown = part if len(part) <= 40 else part[:37] + "…"
        return FilterError(f"Filters cannot use {shown!r} (column {start + 1}): {why}.")

    def expression_node(self, node: ast.AST, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            raise self.refuse(node, f"it is nested more than {MAX_DEPTH} levels deep")
        deeper = depth + 1
        if isinstance(node, ast.Name):
            self.name(node)
        elif isinstance(node, ast.Constant):
            self.constant(node)
        elif isinstance(node, (ast.List, ast.Tuple)):
            for item in node.elts:
                self.literal(item)
        elif isinstance(node, ast.BoolOp) and isinstance(node.op, _BOOL_OPS):
            for value in node.values:
                self.expression_node(value, deeper)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, _UNARY_OPS):
            self.expression_node(node.operand, deeper)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, _LOGIC_OPS + _ARITH_OPS):
            if isinstance(node.op, _ARITH_OPS):
                for side in (node.left, node.right):
                    if isinstance(side, ast.Constant) and isinstance(side.value, str):
                        raise self.refuse(side, "arithmetic on text is not part of a filter")
            self.expression_node(node.left, deeper)
            self.expression_node(node.right, deeper)
        elif isinstance(node, ast.Compare) and all(isinstance(op, _COMPARE_OPS) for op in node.ops):
            for part in (node.left, *node.comparators):
                self.expression_node(part, deeper)
        elif isinstance(node, ast.Call):
            self.call(node, deeper)
        elif isinstance(node, ast.Attribute):
            raise self.refuse(node, "an attribute is allowed only as a method call, e.g. Alley.isna()")
        elif isinstance(node, (ast.BinOp, ast.BoolOp, ast.UnaryOp, ast.Compare)):
            raise self.refuse(node, "that operator is not part of a filter (** and @ are not)")
        else:
            kind = _KINDS.get(type(node).__name__, f"the syntax {type(node).__name__}")
            raise self.refuse(node, f"{kind} is not part of a filter")

    def name(self, node: ast.Name) -> None:
        start, end = self._span(node)
        if start in self.backquoted and end - start == len(self.backquoted[start]) + 2:
            self.columns.append(self.backquoted[start])
            self.placed.add(start)
        elif "`" in self.expression[start:end]:
            raise self.refuse(node, "a backquoted name must stand alone")
        else:
            self.columns.append(node.id)

    def constant(self, node: ast.Constant) -> None:
        if not isinstance(node.value, _CONSTANTS):
            raise self.refuse(node, f"a {type(node.value).__name__} literal is not part of a filter")

    def literal(self, node: ast.AST) -> None:
        """A list item or a method argument: a constant, or a negated number."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            node = node.operand
            if isinstance(node, ast.Constant) and type(node.value) in (int, float):
                return
        if isinstance(node, ast.Constant):
            self.constant(node)
            return
        if isinstance(node, (ast.List, ast.Tuple)):
            for item in node.elts:
                if isinstance(item, (ast.List, ast.Tuple)):
                    raise self.refuse(item, "lists inside lists are not part of a filter")
                self.literal(item)
            return
        raise self.refuse(node, "method arguments and list items must be literals (numbers, text, True/False/None)")

    def call(self, node: ast.Call, depth: int) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute):
            raise self.refuse(node, "only column methods can be called, e.g. Alley.isna()")
        receiver = func.value
        if isinstance(receiver, ast.Attribute) and receiver.attr == "str":
            methods, kind, receiver = STR_METHODS, ".str method", receiver.value
        else:
            methods, kind = COLUMN_METHODS, "column method"
        if func.attr not in methods:
            allowed = ", ".join(methods)
            raise self.refuse(node, f"{func.attr} is not an allowed {kind} (allowed: {allowed})")
        most, keywords = methods[func.attr]
        if len(node.args) > most:
            raise self.refuse(node, f"{func.attr} takes at most {most} argument(s) here")
        for argument in node.args:
            self.literal(argument)
        for keyword in node.keywords:
            if keyword.arg is None or keyword.arg not in keywords:
                allowed = ", ".join(sorted(keywords)) or "none"
                raise self.refuse(keyword.value, f"{func.attr} takes only these keywords: {allowed}")
            self.literal(keyword.value)
        self.expression_node(receiver, depth)


def check_filter(expression: str) -> CheckedFilter:
    """Parse ``expression`` and check it against the filter grammar; raises :class:`FilterError`."""
    if type(expression) is not str:
        raise FilterError(f"A filter is text, not {type(expression).__name__}.")
    if not expression.strip():
        raise FilterError("Type an expression, e.g. Price > 130000 or Alley.isna().")
    if len(expression) > MAX_LENGTH:
        raise FilterError(f"The filter is {len(expression):,} characters long; at most {MAX_LENGTH:,} are allowed.")
    for index, char in enumerate(expression):
        if not char.isprintable():
            raise FilterError(f"The filter holds a control character at column {index + 1} ({char!r}).")
        if char == "\\":
            raise FilterError(f"Filters cannot use a backslash (column {index + 1}).")
    checked, backquoted = _split_backquoted(expression)
    try:
        tree = ast.parse(checked, "<filter>", "eval")
    except SyntaxError as error:
        raise FilterError(_syntax_message(expression, error)) from None
    except (ValueError, RecursionError, MemoryError):
        raise FilterError("The filter is nested too deeply.") from None
    checker = _Checker(expression, checked, backquoted)
    checker.expression_node(tree.body)
    stray = sorted(set(backquoted) - checker.placed)
    if stray:
        raise FilterError(f"The backquoted name at column {stray[0] + 1} must stand alone, outside any string.")
    return CheckedFilter(expression, tuple(dict.fromkeys(checker.columns)))


def unknown_columns(checked: CheckedFilter, columns: Iterable[object]) -> list[str]:
    """The names the filter reads that are not columns of the frame."""
    present = {str(column) for column in columns}
    return [name for name in checked.columns if name not in present]

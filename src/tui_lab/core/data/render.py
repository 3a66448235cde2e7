"""Python code rendered from typed values: a fixed template whose placeholders become literals.

A step's code (the ``k`` view, the exported script) is a rendering of the step, never what the
app runs. Its template is constant text written in this package (``data.fillna(VALUES)``); each
UPPERCASE name in it is replaced by an ``ast`` literal node built from a value (str, int, finite
float, bool, None, and lists, tuples and str-keyed dicts of them), and ``**KWARGS`` by one
keyword per item. ``ast.unparse`` then writes the code, so whatever a value holds (quotes,
newlines, ``__import__``), it is a string or number constant and never a statement.
"""

from __future__ import annotations

import ast
import math
import re

_PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_]*\Z")


def literal(value: object) -> ast.expr:
    """``value`` as an ``ast`` literal node; TypeError/ValueError for anything that is not plain data."""
    if value is None or type(value) is bool or type(value) is int or type(value) is str:
        return ast.Constant(value)
    if type(value) is float:
        if not math.isfinite(value):
            raise ValueError(f"{value!r} cannot be written as a literal")
        return ast.Constant(value)
    if type(value) is list:
        return ast.List([literal(item) for item in value], ast.Load())
    if type(value) is tuple:
        return ast.Tuple([literal(item) for item in value], ast.Load())
    if type(value) is dict:
        if not all(type(key) is str for key in value):
            raise TypeError("only dicts with str keys can be written as literals")
        return ast.Dict([literal(key) for key in value], [literal(item) for item in value.values()])
    raise TypeError(f"a {type(value).__name__} cannot be written as a literal")


class _Fill(ast.NodeTransformer):
    """Replace placeholder names by literal nodes, and ``**KWARGS`` by keywords."""

    def __init__(self, values: dict[str, object]) -> None:
        self.values = values
        self.used: set[str] = set()

    def _value(self, name: str) -> object:
        if name not in self.values:
            raise KeyError(f"the template's placeholder {name} has no value")
        self.used.add(name)
        return self.values[name]

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if not _PLACEHOLDER.match(node.id):
            return node
        return ast.copy_location(literal(self._value(node.id)), node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        keywords: list[ast.keyword] = []
        for keyword in node.keywords:
            if keyword.arg is None and isinstance(keyword.value, ast.Name) and _PLACEHOLDER.match(keyword.value.id):
                items = self._value(keyword.value.id)
                if type(items) is not dict or not all(type(k) is str and k.isidentifier() for k in items):
                    raise TypeError(f"{keyword.value.id} should map keyword names to values")
                keywords.extend(ast.keyword(name, literal(item)) for name, item in items.items())
            else:
                keywords.append(keyword)
        node.keywords = keywords
        self.generic_visit(node)
        return node


def render(template: str, **values: object) -> str:
    """``template`` with each UPPERCASE placeholder replaced by a literal of its value.

    ``template`` must be constant code from this package, never text from data: data goes in
    ``values`` only. A value without a placeholder, or a placeholder without a value, is a bug.
    """
    fill = _Fill(values)
    tree = fill.visit(ast.parse(template))
    unused = set(values) - fill.used
    if unused:
        raise KeyError(f"values without a placeholder: {', '.join(sorted(unused))}")
    return ast.unparse(ast.fix_missing_locations(tree))

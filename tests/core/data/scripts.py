"""Read and run rendered pipeline code, as only the tests do: the app applies step objects, never code."""

from __future__ import annotations

import ast
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tui_lab.core.data.query import check_filter


@contextlib.contextmanager
def working_directory(path: str | Path) -> Iterator[None]:
    """Run the block with ``path`` as the working directory (contextlib.chdir needs Python 3.11)."""
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def run_generated(code: str) -> dict[str, Any]:
    """Run a generated script as plain Python (not as ``__main__``) and return its globals."""
    namespace: dict[str, Any] = {"__name__": "tui_lab_generated"}
    exec(compile(code, "<generated>", "exec"), namespace)
    return namespace


#: What rendered step code may name and call: the template's own vocabulary, nothing from data.
ALLOWED_NAMES = {"data", "target", "pd", "cols", "x"}
ALLOWED_ATTRIBUTES = {
    "fillna", "mean", "median", "mode", "iloc", "dropna", "drop", "isna", "sum", "idxmax", "get_dummies",
    "apply", "std", "astype", "query", "sort_values",
}  # fmt: skip


def is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except ValueError:
        return False
    return True


def check_value(node: ast.AST) -> None:
    """A literal (where data lives), or template vocabulary whose arguments are checked the same way."""
    if is_literal(node):
        return
    check_active(node)


def check_active(node: ast.AST) -> None:
    """Template vocabulary only: allowed names, allowed attributes and calls on them, never a literal receiver."""
    if isinstance(node, ast.Name):
        assert node.id in ALLOWED_NAMES, node.id
    elif isinstance(node, ast.Attribute):
        assert node.attr in ALLOWED_ATTRIBUTES, node.attr
        check_active(node.value)
    elif isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Attribute), ast.dump(node)
        check_active(node.func)
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            assert not isinstance(argument, ast.Starred)
            check_value(argument)
        assert all(k.arg is not None for k in node.keywords)
        if node.func.attr == "query":
            expression = node.args[0]
            assert isinstance(expression, ast.Constant) and isinstance(expression.value, str)
            check_filter(expression.value)  # the filter inside is in the grammar too
    elif isinstance(node, ast.Subscript):
        check_active(node.value)
        check_value(node.slice)
    elif isinstance(node, ast.Lambda):
        assert [a.arg for a in node.args.args] == ["x"] and not node.args.defaults
        check_active(node.body)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Sub, ast.Div)):
        check_active(node.left)
        check_active(node.right)
    else:
        raise AssertionError(f"not template vocabulary: {ast.dump(node)}")


def assert_only_template_and_literals(code: str) -> None:
    """Every statement assigns a literal or template vocabulary to ``data``, ``target``, ``cols`` or ``data[cols]``."""
    for statement in ast.parse(code).body:
        assert isinstance(statement, ast.Assign) and len(statement.targets) == 1, ast.dump(statement)
        (target,) = statement.targets
        if isinstance(target, ast.Subscript):
            check_active(target)
        else:
            assert isinstance(target, ast.Name) and target.id in ALLOWED_NAMES
        check_value(statement.value)

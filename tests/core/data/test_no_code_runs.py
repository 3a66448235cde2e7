"""The Data pane runs step objects: nothing in core/data or ui/data runs code text (issue #20, design)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src" / "tui_lab"
MODULES = sorted([*(SRC / "core" / "data").glob("*.py"), *(SRC / "ui" / "data").glob("*.py")])
RUNNERS = {"exec", "eval", "compile", "__import__", "runpy", "execfile"}


@pytest.mark.parametrize("module", MODULES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_module_of_the_data_pane_runs_code_text(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in RUNNERS, f"{module.name}:{node.lineno} calls {node.func.id}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            assert attr not in {"exec", "eval", "run_path", "run_module"}, f"{module.name}:{node.lineno} calls {attr}"
            if attr == "query":  # the one pandas evaluation: FilterRows', whose text passed the filter grammar
                assert module.name == "steps.py", f"{module.name}:{node.lineno} calls query"
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = {alias.name for alias in node.names} | {getattr(node, "module", None) or ""}
            assert not names & {"runpy", "code", "codeop"}, f"{module.name}:{node.lineno}"


def test_the_modules_were_found() -> None:
    assert {"steps.py", "pipeline.py", "codegen.py", "tensors.py", "forms.py"} <= {m.name for m in MODULES}

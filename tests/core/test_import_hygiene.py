"""tui_lab.core never pulls in the UI layer, and the CLI's --help/--version stay light."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import tui_lab.core


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return result.stdout


def test_every_core_module_imports_without_textual() -> None:
    names = [m.name for m in pkgutil.walk_packages(tui_lab.core.__path__, prefix="tui_lab.core.")]
    assert {"tui_lab.core.workspace", "tui_lab.core.repl.engine", "tui_lab.core.train.runner"} <= set(names)
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'textual_plotext')"
        " or m.startswith('tui_lab.ui')))"
    )
    assert _run(code).strip() == "[]"


def test_help_and_version_import_neither_torch_nor_textual() -> None:
    for flag in ("--help", "--version"):
        code = (
            "import sys\n"
            "from tui_lab.cli import main\n"
            f"try:\n    main([{flag!r}])\nexcept SystemExit:\n    pass\n"
            "print('LOADED', sorted(m for m in ('torch', 'textual', 'pandas', 'numpy') if m in sys.modules))"
        )
        out = _run(code)
        assert "LOADED []" in out, out

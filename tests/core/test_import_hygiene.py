"""tui_lab.core never pulls in the UI layer, and the CLI's --help/--version stay light."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

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


def test_nothing_of_matplotlib_loads_with_the_app_until_code_plots(tmp_path: Path) -> None:
    """Start-up (the command line's image mode, the first frame, torch, the REPL's engine) imports no plotting package."""
    code = (
        "import sys\n"
        "from tui_lab.ui.repl.graphics import choose_at_start\n"
        "choose_at_start(None)\n"
        "from tui_lab.ui.app import TuiLabApp\n"
        "class Timed(TuiLabApp):\n"
        "    def on_ready(self):\n"
        "        super().on_ready()\n"
        "        self.watch(self, 'torch_ready', self._done)\n"
        "    def _done(self, ready):\n"
        "        if ready:\n"
        "            self.set_timer(0.5, self.exit)  # the REPL's engine is made right after the first frame\n"
        "Timed().run(headless=True, size=(80, 24))\n"
        "import os\n"
        "print('LOADED', sorted(m for m in ('matplotlib', 'PIL', 'textual_image', 'IPython') if m in sys.modules))\n"
        "print('BACKEND', os.environ.get('MPLBACKEND'))"
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"} | {"TUI_LAB_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert "LOADED []" in result.stdout, result.stdout + result.stderr
    assert "BACKEND module://tui_lab.core.repl.figures.backend" in result.stdout, "the REPL chose its backend"

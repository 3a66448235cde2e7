"""Fixtures for pty tests: each test gets its own TUI_LAB_HOME and a ``TERM=xterm-256color`` terminal.

``spawn(*args, size=(80, 24))`` starts the ``tui-lab`` console script in a pty (with this checkout's
sources first, through PYTHONPATH, where the tests run from a checkout) and kills it at teardown if the
test did not close it. Nothing is shared between tests, so they run under pytest-xdist.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.terminal.harness import Terminal, lab_environment

ROOT = Path(__file__).resolve().parents[2]
IMPORT_GATE = Path(__file__).resolve().parent / "import_gate"

#: The two sizes every journey is written for: the smallest supported, and a roomy one.
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def terminal_environment(home: Path) -> dict[str, str]:
    """This checkout's sources first (as the console script honours PYTHONPATH), in a fresh home."""
    source = str(ROOT / "src")
    path = os.environ.get("PYTHONPATH", "")
    paths = [source, *(p for p in path.split(os.pathsep) if p and p != source)]
    return lab_environment(home, extra={"PYTHONPATH": os.pathsep.join(paths)})


@pytest.fixture
def spawn(lab_home: Path) -> Iterator[Callable[..., Terminal]]:
    """Start ``tui-lab *args`` in a pty; every terminal started is killed at teardown."""
    started: list[Terminal] = []

    def start(*args: str, size: tuple[int, int] = (80, 24), cwd: Path = ROOT, **env: str) -> Terminal:
        environment = terminal_environment(lab_home)
        environment.update(env)
        term = Terminal.spawn(args, size=size, env=environment, cwd=cwd)
        started.append(term)
        return term

    yield start
    for term in started:
        term.kill()


class ImportGate:
    """A gate the app's imports of ``held`` wait at (tests/terminal/import_gate/sitecustomize.py)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "import-gate"
        self.report = folder / "import-gate.ui"

    def open(self) -> None:
        """Let the held imports go on."""
        self.path.touch()

    def ui_imports(self) -> str:
        """Which held imports the UI (main) thread asked for while the gate was shut, with where from."""
        return self.report.read_text(encoding="utf-8") if self.report.exists() else ""


@pytest.fixture
def gated_spawn(spawn: Callable[..., Terminal], tmp_path: Path) -> Callable[..., tuple[Terminal, ImportGate]]:
    """``spawn``, with the app's imports of ``held`` (torch, numpy, pandas) held until ``gate.open()``."""

    def start(
        *args: str, held: str = "torch,numpy,pandas", size: tuple[int, int] = (80, 24)
    ) -> tuple[Terminal, ImportGate]:
        gate = ImportGate(tmp_path)
        path = os.pathsep.join([str(IMPORT_GATE), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])
        env = {"PYTHONPATH": path.rstrip(os.pathsep), "TUI_LAB_TEST_IMPORT_GATE": str(gate.path),
               "TUI_LAB_TEST_IMPORT_HELD": held}  # fmt: skip
        return spawn(*args, size=size, **env), gate

    return start

"""Test-only start-up hook (put first on PYTHONPATH by tests/terminal): hold torch's import on a gate.

While the file named by ``TUI_LAB_TEST_IMPORT_GATE`` does not exist, importing torch, numpy or pandas
(or the top-level modules listed in ``TUI_LAB_TEST_IMPORT_HELD``) waits, in whichever thread imports it; an import from the main (UI) thread is written to ``<gate>.ui``
first, so a test can say which import would have frozen the app. With torch held, the panes, the palette
and the help must still answer: nothing on the UI thread may wait for torch.

The wait is in the loader, under the module's own lock only (``find_spec`` runs under Python's global
import lock, and waiting there would hold up every import in every thread).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from importlib.abc import Loader
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import Any

GATE = os.environ.get("TUI_LAB_TEST_IMPORT_GATE", "")
HELD = frozenset(filter(None, os.environ.get("TUI_LAB_TEST_IMPORT_HELD", "torch,numpy,pandas").split(",")))


def wait_at_gate(name: str) -> None:
    if os.path.exists(GATE):
        return
    if threading.current_thread() is threading.main_thread():
        with open(GATE + ".ui", "a", encoding="utf-8") as report:
            report.write(f"{name}\n{''.join(traceback.format_stack(limit=16))}\n")
    while not os.path.exists(GATE):
        time.sleep(0.005)


class GatedLoader(Loader):
    """The real loader, once the gate is open."""

    def __init__(self, spec: ModuleSpec, loader: Any) -> None:
        self.spec, self.loader = spec, loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        wait_at_gate(spec.name)
        spec.loader = self.loader  # from here on the module is the real loader's, as if never held
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)


class ImportGate:
    """Finds torch, numpy and pandas as Python would, with a loader that waits for the gate first."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if name not in HELD or os.path.exists(GATE):
            return None
        spec = PathFinder.find_spec(name, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = GatedLoader(spec, spec.loader)
        return spec


if GATE:
    sys.meta_path.insert(0, ImportGate())

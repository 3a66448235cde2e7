"""torch's and numpy's libraries loaded ahead of their imports (the GIL released), and the imports still work."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHILD = """
import sys
from tui_lab.core.preload import preload_libraries
loaded = preload_libraries()
assert "torch" not in sys.modules and "numpy" not in sys.modules, "preloading imports nothing"
import torch, numpy
assert torch.tensor([1.0, 2.0]).sum().item() == 3.0 and numpy.arange(3).sum() == 3
print(loaded, preload_libraries())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the preload is Linux's dlopen")
def test_the_libraries_load_before_the_imports_and_the_imports_work() -> None:
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=300)
    loaded, again = out.stdout.split()
    assert int(loaded) >= 3  # torch's global deps, libtorch_python (with libtorch), numpy's core
    assert again == "0"  # once torch and numpy are imported there is nothing left to do

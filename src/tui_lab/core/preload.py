"""Load torch's and numpy's shared libraries with the GIL released, before their imports load them holding it.

``import torch`` maps libtorch (~400 MB on disk) and runs its static initialisers: 0.5–1 s on a quiet
machine, several on a busy one. Python's import machinery does that ``dlopen`` while holding the GIL,
so for that long no other thread of the process runs: the UI thread and the thread that reads keys
stand still, and a key pressed then waits. A foreign call through ctypes releases the GIL, so the same
``dlopen`` done that way first costs the other threads nothing; the import then finds the libraries
already loaded and only initialises the Python module.

The libraries are opened as the imports would open them (torch's global dependencies ``RTLD_GLOBAL``,
the rest ``RTLD_LOCAL``); one that fails to load is left to the import, which reports it as it always
has. Linux only; anywhere else, or with ``TORCH_USE_RTLD_GLOBAL`` set, nothing is done.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
from pathlib import Path


def _library_files() -> list[tuple[Path, int]]:
    """(path, dlopen mode) of the libraries to load, in the order the imports load them."""
    files: list[tuple[Path, int]] = []
    torch = importlib.util.find_spec("torch")
    if torch is not None and torch.origin is not None:
        lib = Path(torch.origin).parent / "lib"
        files.append((lib / "libtorch_global_deps.so", os.RTLD_NOW | os.RTLD_GLOBAL))
        files.append((lib / "libtorch_python.so", os.RTLD_NOW | os.RTLD_LOCAL))  # with libtorch, libtorch_cpu, libc10
    numpy = importlib.util.find_spec("numpy")
    if numpy is not None and numpy.origin is not None:
        core = Path(numpy.origin).parent / "_core"
        files += [(path, os.RTLD_NOW | os.RTLD_LOCAL) for path in sorted(core.glob("_multiarray_umath.*.so"))]
    return files


def preload_libraries() -> int:
    """Load the libraries of torch (and numpy) not yet imported, the GIL released; how many loaded."""
    if not sys.platform.startswith("linux") or os.environ.get("TORCH_USE_RTLD_GLOBAL"):
        return 0
    if "torch" in sys.modules and "numpy" in sys.modules:
        return 0
    try:
        dlopen = ctypes.CDLL(None).dlopen
    except (OSError, AttributeError):
        return 0
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    dlopen.restype = ctypes.c_void_p
    loaded = 0
    for path, mode in _library_files():
        if path.is_file() and dlopen(os.fsencode(path), mode):
            loaded += 1
    return loaded

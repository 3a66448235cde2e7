"""The torch floor in pyproject.toml has every dtype the session's tensor file names."""

from __future__ import annotations

import re
from pathlib import Path

from tui_lab.core.session.tensorfile import DTYPES

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"
#: The first torch release with each dtype that came after torch 2.0 (torch's release notes).
DTYPE_SINCE = {"uint16": (2, 3), "uint32": (2, 3), "uint64": (2, 3), "float8_e4m3fn": (2, 1), "float8_e5m2": (2, 1)}


def torch_floor() -> tuple[int, int]:
    match = re.search(r'^\s*"torch>=(\d+)\.(\d+)', PYPROJECT.read_text(), re.MULTILINE)  # no tomllib on 3.10
    assert match, "pyproject.toml names no torch floor"
    return int(match[1]), int(match[2])


def test_the_torch_floor_has_every_dtype_a_session_saves() -> None:
    names = {str(dtype).removeprefix("torch.") for dtype in DTYPES}
    needed = max(DTYPE_SINCE.get(name, (2, 0)) for name in names)
    assert torch_floor() >= needed, f"pyproject allows torch {torch_floor()}, the tensor file needs {needed}"

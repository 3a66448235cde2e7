"""Shared fixtures: a redirected home directory and a ready workspace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_lab.core.workspace import Workspace


@pytest.fixture(autouse=True)
def lab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every state and config directory at a temporary folder."""
    home = tmp_path / "lab-home"
    monkeypatch.setenv("TUI_LAB_HOME", str(home))
    yield home


@pytest.fixture
def workspace() -> Workspace:
    """A fresh workspace with torch, nn, F, np and pd already bound."""
    ws = Workspace()
    ws.load_preloads()
    return ws

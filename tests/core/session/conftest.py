"""Fixtures for the session tests: a sessions root inside the redirected home."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_lab.core.session.store import sessions_root


@pytest.fixture
def root(lab_home: Path) -> Path:
    """The sessions directory of the temporary home."""
    return sessions_root()

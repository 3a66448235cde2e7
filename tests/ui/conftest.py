"""Fixtures for Pilot tests: an app whose workspace is already loaded, so tests never race torch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tui_lab.core.workspace import Workspace
from tui_lab.ui.app import TuiLabApp


@pytest.fixture
def make_app(workspace: Workspace) -> Callable[..., TuiLabApp]:
    """Build a TuiLabApp over the preloaded ``workspace`` fixture."""

    def factory(**kwargs: Any) -> TuiLabApp:
        kwargs.setdefault("workspace", workspace)
        return TuiLabApp(**kwargs)

    return factory

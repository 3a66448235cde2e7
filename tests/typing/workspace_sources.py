"""Checked by mypy only: a workspace change names a pane (or the session), never free text.

Each ``# type: ignore[...]`` below must be needed (``--warn-unused-ignores`` on this module).
"""

from __future__ import annotations

from tui_lab.core.workspace import Workspace


def wrong_sources(workspace: Workspace) -> None:
    workspace.publish("x", 1, "data")  # right: a pane
    workspace.delete(["x"], "session")  # right: a session being opened
    workspace.publish("x", 1, "Data")  # type: ignore[arg-type]
    workspace.publish_many({"x": 1}, "test")  # type: ignore[arg-type]

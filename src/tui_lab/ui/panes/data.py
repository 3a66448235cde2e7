"""The Data pane."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui_lab.ui.base import PaneScreen


class DataScreen(PaneScreen):
    """A CSV preprocessing viewer: open a CSV, see the NaNs, split inputs and target, fill, one-hot, and publish the tensors X, y to the workspace."""

    PANE = "data"
    PANE_TITLE = "Data"

    def compose_body(self) -> ComposeResult:
        yield Static(
            "[b]Data[/b]\n\nA CSV preprocessing viewer: open a CSV, see the NaNs, split inputs and target, fill, one-hot, and publish the tensors X, y to the workspace.\n\nThis pane is being built; see the issue tracker.",
            classes="placeholder",
        )

"""The Train pane."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui_lab.ui.base import PaneScreen


class TrainScreen(PaneScreen):
    """Linear regression (from scratch, concise, closed form) trained in a worker thread on the selected device, with a live loss curve."""

    PANE = "train"
    PANE_TITLE = "Train"

    def compose_body(self) -> ComposeResult:
        yield Static(
            "[b]Train[/b]\n\nLinear regression (from scratch, concise, closed form) trained in a worker thread on the selected device, with a live loss curve.\n\nThis pane is being built; see the issue tracker.",
            classes="placeholder",
        )

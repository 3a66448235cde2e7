"""The Graph pane."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui_lab.ui.base import PaneScreen


class GraphScreen(PaneScreen):
    """An autograd inspector: draws the grad_fn graph of a workspace tensor, runs backward and shows the gradients flowing back to the leaves."""

    PANE = "graph"
    PANE_TITLE = "Graph"

    def compose_body(self) -> ComposeResult:
        yield Static(
            "[b]Graph[/b]\n\nAn autograd inspector: draws the grad_fn graph of a workspace tensor, runs backward and shows the gradients flowing back to the leaves.\n\nThis pane is being built; see the issue tracker.",
            classes="placeholder",
        )

"""The REPL pane."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui_lab.ui.base import PaneScreen


class ReplScreen(PaneScreen):
    """A tensor REPL as good as IPython: code runs in the shared workspace, a variable pane that knows tensors, a memory view and a broadcasting explainer."""

    PANE = "repl"
    PANE_TITLE = "REPL"

    def compose_body(self) -> ComposeResult:
        yield Static(
            "[b]REPL[/b]\n\nA tensor REPL as good as IPython: code runs in the shared workspace, a variable pane that knows tensors, a memory view and a broadcasting explainer.\n\nThis pane is being built; see the issue tracker.",
            classes="placeholder",
        )

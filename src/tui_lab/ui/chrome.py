"""The chrome around every pane: the tab strip (from the registry) and the status bar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from tui_lab.core.workspace import WorkspaceChange
from tui_lab.ui.panes import PANES

if TYPE_CHECKING:
    from tui_lab.ui.app import TuiLabApp


class PaneTabs(Static):
    """One line naming the four panes and their keys, the current one highlighted."""

    def __init__(self, current: str) -> None:
        super().__init__(id="pane-tabs")
        self.current = current

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" tui-lab ", style="bold")
        for pane in PANES:
            text.append(" ")
            label = f" {pane.key.upper()} {pane.title} "
            text.append(label, style="reverse bold" if pane.name == self.current else "")
        text.append("   F1 help", style="dim")
        return text


class StatusBar(Static):
    """Device, torch state and a workspace summary, kept current by the app's signals."""

    def __init__(self) -> None:
        super().__init__(id="status-bar")

    @property
    def lab(self) -> TuiLabApp:
        return self.app  # type: ignore[return-value]

    def on_mount(self) -> None:
        self.watch(self.app, "device_label", self._refresh_text)
        self.watch(self.app, "torch_ready", self._refresh_text)
        self.lab.workspace_changed.subscribe(self, self._on_change)

    def _on_change(self, _change: WorkspaceChange) -> None:
        self._refresh_text()

    def _refresh_text(self, *_: object) -> None:
        self.update(self.build_text())

    def build_text(self) -> Text:
        """The status line: ``cpu · 2 threads │ 3 names, 2 tensors``."""
        lab = self.lab
        text = Text(no_wrap=True, overflow="ellipsis")
        if lab.torch_ready:
            text.append(f" {lab.device_label}", style="bold")
            summary = lab.workspace.summary()
            names = "name" if summary.names == 1 else "names"
            tensors = "tensor" if summary.tensors == 1 else "tensors"
            text.append(f" │ workspace: {summary.names} {names}, {summary.tensors} {tensors}")
        else:
            text.append(" loading torch…", style="italic")
            text.append(f" │ device: {lab.device}")
        return text

"""The screen every pane is built on: tab strip, body, status bar and footer.

A pane subclasses :class:`PaneScreen`, sets ``PANE``/``PANE_TITLE``, yields its widgets
from :meth:`compose_body`, lists its actions in ``PANE_COMMANDS`` (the command palette
offers every one of them from any pane) and overrides the hooks it needs (Textual runs every class's ``on_mount`` in the MRO,
so an override need not call ``super().on_mount()``):
:meth:`handle_request` for requests from other panes and :meth:`on_workspace_change`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.containers import Container
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui_lab.core.workspace import Workspace, WorkspaceChange
from tui_lab.ui.chrome import PaneTabs, StatusBar

if TYPE_CHECKING:
    from tui_lab.ui.app import TuiLabApp

#: Below this size the app shows a "terminal too small" note instead of a broken layout.
MIN_WIDTH, MIN_HEIGHT = 60, 20


@dataclass(frozen=True)
class PaneCommand:
    """A command-palette entry that runs ``action`` on its pane (switching there first)."""

    title: str
    help: str
    action: str


class PaneScreen(Screen[None]):
    """Base class of the four pane screens."""

    PANE: ClassVar[str] = ""
    PANE_TITLE: ClassVar[str] = ""
    PANE_COMMANDS: ClassVar[tuple[PaneCommand, ...]] = ()

    def __init__(self) -> None:
        super().__init__(id=f"{self.PANE}-screen")
        self._pending_requests: list[dict[str, Any]] = []
        self._subscribed = False

    @property
    def lab(self) -> TuiLabApp:
        """The running tui-lab app, typed."""
        return self.app  # type: ignore[return-value]

    @property
    def workspace(self) -> Workspace:
        """The shared workspace."""
        return self.lab.workspace

    def compose(self) -> ComposeResult:
        yield PaneTabs(self.PANE)
        with Container(id="pane-body", classes="pane-body"):
            yield from self.compose_body()
        yield Static(
            f"Terminal too small: tui-lab needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\nMake the window larger.",
            id="too-small",
        )
        yield StatusBar()
        yield Footer(compact=True)

    def compose_body(self) -> ComposeResult:
        """The pane's own widgets."""
        yield from ()

    def on_mount(self) -> None:
        # Textual calls on_mount of every class in the MRO: subclasses need not (and should not)
        # call super().on_mount(); the flag keeps a stray call from subscribing twice.
        if self._subscribed:
            return
        self._subscribed = True
        self.lab.workspace_changed.subscribe(self, self.on_workspace_change)
        self._apply_size(self.app.size.width, self.app.size.height)
        if self._pending_requests:
            requests, self._pending_requests = self._pending_requests, []
            for request in requests:
                self.call_after_refresh(self.handle_request, request)

    def on_resize(self, event: Resize) -> None:
        self._apply_size(event.size.width, event.size.height)

    def _apply_size(self, width: int, height: int) -> None:
        self.set_class(width < MIN_WIDTH or height < MIN_HEIGHT, "-too-small")

    def request(self, request: dict[str, Any]) -> None:
        """Queue ``request`` for :meth:`handle_request`, once this screen is mounted."""
        if self.is_mounted:
            self.call_after_refresh(self.handle_request, request)
        else:
            self._pending_requests.append(request)

    def handle_request(self, request: dict[str, Any]) -> None:
        """Act on a request from another pane or the CLI, e.g. ``{"open_csv": path}``."""

    def on_workspace_change(self, change: WorkspaceChange) -> None:
        """Called on the UI thread after the workspace changed."""

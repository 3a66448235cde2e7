"""The screen every pane is built on: tab strip, body, status bar and footer.

A pane subclasses :class:`PaneScreen`, sets ``PANE`` (its registry name), yields its widgets
from :meth:`compose_body` and implements ``action_<name>`` for each action its
``ui/<pane>/keys.py`` declares: the bindings are generated from the registry when the class
is created, so keys, footer, help and palette cannot drift apart. Those methods may live in a base
class without ``PANE`` (a screen split along a seam); every one is skipped until the pane's body is
built, wherever it is defined. It overrides the hooks it
needs (Textual runs every class's ``on_mount`` in the MRO, so an override need not call
``super().on_mount()``): :meth:`handle_request` for typed requests from other panes and
:meth:`on_workspace_change`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Concatenate, ParamSpec, TypeVar

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from tui_lab.core.workspace import Workspace, WorkspaceChange
from tui_lab.ui.actions import PaneAction
from tui_lab.ui.chrome import PaneTabs, StatusBar
from tui_lab.ui.panes import pane_spec

if TYPE_CHECKING:  # the requests are imported by the panes that make and take them
    from tui_lab.ui.app import TuiLabApp
    from tui_lab.ui.requests import PaneRequest

#: Below this size the app shows a "terminal too small" note instead of a broken layout.
MIN_WIDTH, MIN_HEIGHT = 60, 20


#: F1 leads every pane's footer, so "all keys" is never the part an 80-column footer cuts off.
HELP_FIRST = Binding("f1", "app.help", "All keys", tooltip="Help: every key, the panes and the command line")


class PaneFooter(Footer):
    """Textual's compact footer, with the palette key covering the footer's last cell.

    Compact footers give every key a one-cell right margin, the palette key too; docked right, that
    margin showed the last column of whatever key ran underneath it (``^p palettel`` at 60 columns).
    The key keeps its place and fills that cell with padding instead.
    """

    DEFAULT_CSS = """
    PaneFooter.-compact FooterKey.-command-palette {
        margin-right: 0;
        padding-right: 1;
    }
    """


def bindings_for(pane: str, actions: tuple[PaneAction, ...]) -> list[BindingType]:
    """Textual bindings for the registry's ``actions`` of ``pane`` (each with a stable id)."""
    return [
        Binding(
            action.key,
            action.action,
            action.label,
            show=action.show,
            priority=action.priority,
            tooltip=action.description,
            id=action.binding_id(pane),
        )
        for action in actions
        if action.key is not None
    ]


_Pane = TypeVar("_Pane", bound="PaneScreen")
_Args = ParamSpec("_Args")
_Result = TypeVar("_Result")


def _once_body_ready(
    method: Callable[Concatenate[_Pane, _Args], _Result],
) -> Callable[Concatenate[_Pane, _Args], _Result]:
    """``method``, skipped while the pane's body is not built yet: the key then goes on to the focused
    widget (the REPL's key buffer, which hands it to the input once that exists)."""

    @functools.wraps(method)
    def action(self: _Pane, /, *args: _Args.args, **kwargs: _Args.kwargs) -> _Result:
        if not self.body_ready:
            raise SkipAction()
        return method(self, *args, **kwargs)

    _GUARDED.add(action)
    return action


#: The actions :func:`_once_body_ready` made, so one inherited from a pane's base is not wrapped twice.
_GUARDED: set[Callable[..., object]] = set()


class PaneScreen(Screen[None]):
    """Base class of the four pane screens."""

    PANE: ClassVar[str] = ""
    PANE_TITLE: ClassVar[str] = ""
    #: The registry's actions of this pane (set when the class is created).
    ACTIONS: ClassVar[tuple[PaneAction, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:  # Any: passed on to Textual's (inherit_css, inherit_bindings...)
        spec = pane_spec(cls.PANE) if cls.PANE else None
        if spec is not None:  # set before Textual's __init_subclass__, which merges BINDINGS with the bases'
            cls.PANE_TITLE, cls.ACTIONS = spec.title, spec.actions
            cls.BINDINGS = [HELP_FIRST, *bindings_for(cls.PANE, spec.actions), *vars(cls).get("EXTRA_BINDINGS", [])]
        super().__init_subclass__(**kwargs)
        if spec is None:
            return
        missing = [a.action for a in spec.actions if not callable(getattr(cls, f"action_{a.action}", None))]
        if missing:
            raise TypeError(f"{cls.__name__} lacks action_ methods for registry actions: {missing}")
        for action in spec.actions:  # the pane's own methods and those of its bases (a screen split along a seam)
            method = getattr(cls, f"action_{action.action}")
            if method not in _GUARDED:
                setattr(cls, f"action_{action.action}", _once_body_ready(method))

    def __init__(self) -> None:
        super().__init__(id=f"{self.PANE}-screen")
        self._pending_requests: list[PaneRequest] = []
        self._subscribed = False

    @property
    def lab(self) -> TuiLabApp:
        """The running tui-lab app, typed."""
        return self.app  # type: ignore[return-value]

    @property
    def workspace(self) -> Workspace:
        """The shared workspace."""
        return self.lab.workspace

    def work_in_flight(self) -> bool:
        """The session contract: work whose changes are not published yet (none, unless a pane says so)."""
        return False

    def compose(self) -> ComposeResult:
        yield PaneTabs(self.PANE)
        with Container(id="pane-body", classes="pane-body"):
            yield from self.compose_body()
        yield Static(
            f"Terminal too small: tui-lab needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\nMake the window larger.",
            id="too-small",
        )
        yield StatusBar()
        yield PaneFooter(compact=True)

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
        if self.body_ready:
            self.flush_requests()

    @property
    def body_ready(self) -> bool:
        """The pane's widgets are all mounted (the REPL builds its body right after the app's first frame)."""
        return True

    def flush_requests(self) -> None:
        """Hand the requests that came before the body was ready to :meth:`handle_request`, in order."""
        requests, self._pending_requests = self._pending_requests, []
        for request in requests:
            self.call_after_refresh(self.handle_request, request)

    def on_resize(self, event: Resize) -> None:
        self._apply_size(event.size.width, event.size.height)

    def _apply_size(self, width: int, height: int) -> None:
        self.set_class(width < MIN_WIDTH or height < MIN_HEIGHT, "-too-small")

    def request(self, request: PaneRequest) -> None:
        """Queue ``request`` for :meth:`handle_request`, once this screen is mounted and its body ready."""
        if self.is_mounted and self.body_ready:
            self.call_after_refresh(self.handle_request, request)
        else:
            self._pending_requests.append(request)

    def handle_request(self, request: PaneRequest) -> None:
        """Act on a typed request from another pane or the CLI (``app.send`` routes each type to its pane)."""

    @on(Worker.StateChanged)
    def _report_failed_worker(self, event: Worker.StateChanged) -> None:
        """Any worker of this pane that raised: one notification naming the pane, then the pane's own clean-up."""
        if event.state != WorkerState.ERROR:
            return
        self.lab.report_worker_failure(self.PANE_TITLE, event.worker.error)
        self.worker_failed(event.worker)

    def worker_failed(self, worker: Worker[object]) -> None:
        """Make the pane's status line truthful after ``worker`` raised (the app has already told the user)."""

    def on_workspace_change(self, change: WorkspaceChange) -> None:
        """Called on the UI thread after the workspace changed."""

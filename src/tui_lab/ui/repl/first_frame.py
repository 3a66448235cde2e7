"""The REPL pane as the app's first frame: light stand-ins, swapped for the real widgets right after it.

Importing and styling the real log, input (a TextArea) and variable pane cost about as much
as Textual's whole start-up, so the first frame draws what they will look like with plain Statics,
and :class:`~tui_lab.ui.repl.screen.ReplScreen` mounts the real widgets once it is on screen
(~0.1 s later). Nothing typed meanwhile is lost: :class:`KeyBuffer` stands where the input will be,
holds the focus, keeps every key and paste, and hands them to the real input in the order they came;
the app's own keys (F1–F5, F12) go on to the app at once, so a pane switch never waits for the input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from tui_lab.ui.repl.keys import BANNER, LOG_MAX_LINES

if TYPE_CHECKING:  # the real widgets are imported when they are made, after the first frame
    from tui_lab.ui.repl.editor import ReplInput
    from tui_lab.ui.repl.log import ReplLog
    from tui_lab.ui.repl.variables import VariablePane


def real_log() -> ReplLog:
    """The output log, with the banner."""
    from tui_lab.ui.repl.log import ReplLog

    log = ReplLog(id="repl-log", max_lines=LOG_MAX_LINES)
    for line in BANNER:
        log.write(Text(line, style="dim"))
    return log


def real_input() -> ReplInput:
    """The input."""
    from tui_lab.ui.repl.editor import ReplInput

    return ReplInput(id="repl-input")


def real_side() -> VariablePane:
    """The variable pane."""
    from tui_lab.ui.repl.variables import VariablePane

    return VariablePane(id="repl-side")


async def mount_real_widgets(screen: Screen[None]) -> KeyBuffer:
    """Mount the real log, input and variable pane where their stand-ins are, and take those away.

    The key buffer stays, hidden, and is returned: it still has keys to hand over.
    """
    # Stand-ins out first, so the log's first width is its own (it wraps the banner at the width it is first
    # given), and no frame in between: the swap is drawn as one.
    with screen.app.batch_update():
        await screen.query("#repl-log-standin, #repl-side-standin").remove()
        main = screen.query_one("#repl-main")
        await main.mount(real_log(), before="#repl-status")
        await main.mount(real_input(), after="#repl-status")
        await screen.query_one("#repl-columns").mount(real_side())
    buffer = screen.query_one(KeyBuffer)
    buffer.display = False
    return buffer


class LogStandIn(Static):
    """The output log before it exists: the banner, as the log will show it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("\n".join(BANNER), style="dim"), id=id)


class SideStandIn(Static):
    """The variable pane before it exists: its title."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text(" Variables", style="bold"), id=id)


class KeyBuffer(Static, can_focus=True):
    """Where the input will be: keeps keys and pastes until :meth:`hand_over`, then passes them on (the app's own
    keys are not kept: they reach the app's bindings at once)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._held: list[events.Key | events.Paste] = []
        self._target: Widget | None = None

    @property
    def held(self) -> int:
        """How many keys and pastes wait for the real input."""
        return len(self._held)

    def on_key(self, event: events.Key) -> None:
        if self._is_app_key(event.key):
            return  # F1–F5, F12…: on to the app's bindings now (a pane switch must not wait for the input)
        event.stop()
        event.prevent_default()
        self._keep(events.Key(event.key, event.character))

    def _is_app_key(self, key: str) -> bool:
        """``key`` is bound by the app itself (not by the REPL pane, whose keys need the input)."""
        binding = self.app.active_bindings.get(key)
        return binding is not None and binding.node is self.app

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        self._keep(events.Paste(event.text))

    def _keep(self, event: events.Key | events.Paste) -> None:
        if self._target is None:
            self._held.append(event)
        else:  # came in after the hand-over, but was already queued here: after the held ones, in order
            self._pass(event)

    def hand_over(self, target: Widget) -> None:
        """Give ``target`` everything held, oldest first, and anything still on its way here."""
        self._target = target
        held, self._held = self._held, []
        for event in held:
            self._pass(event)

    def _pass(self, event: events.Key | events.Paste) -> None:
        assert self._target is not None
        # As the app hands a key to the focused widget: marked forwarded, so if the input leaves it
        # unhandled it bubbles up to the screen's and app's bindings instead of being sent back down.
        self._target._forward_event(event)

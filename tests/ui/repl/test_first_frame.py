"""The REPL as the app's first frame: stand-ins first, the real widgets right after, nothing typed lost.

Elsewhere ``TuiLabApp.run_test`` returns once the pane is built (tests/ui/conftest.py); these tests
use Textual's own ``App.run_test`` and hold the build back (the screen's ``_build_body`` is queued by
hand), so what happens before the real widgets exist is tested deterministically, not by racing them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import TextArea

from tests.ui.repl.helpers import wait_for_run
from tests.waiting import until
from tui_lab.core.session.model import ReplEntry
from tui_lab.core.workspace import Workspace
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.repl.first_frame import KeyBuffer
from tui_lab.ui.repl.screen import ReplScreen
from tui_lab.ui.requests import InsertCode

HELD_BUILDS: list[ReplScreen] = []


@pytest.fixture
def held_build(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[ReplScreen], None]]:
    """Keep the REPL's body from being built until the test releases it (in the screen's own queue)."""
    build = ReplScreen._build_body

    async def hold(self: ReplScreen) -> None:
        HELD_BUILDS.append(self)

    monkeypatch.setattr(ReplScreen, "_build_body", hold)

    def release(screen: ReplScreen) -> None:
        assert HELD_BUILDS == [screen], "the build was not queued after the first frame"
        HELD_BUILDS.clear()
        screen.call_later(build, screen)

    yield release
    HELD_BUILDS.clear()


async def at_first_frame(pilot: Pilot[None]) -> ReplScreen:
    """Wait for the app's first frame (the build held back) and return the REPL screen it shows."""
    app = pilot.app
    assert isinstance(app, TuiLabApp)
    await until(pilot, lambda: app.first_frame_shown, "the first frame")
    screen = app.screen
    assert isinstance(screen, ReplScreen)
    return screen


async def test_first_frame_shows_stand_ins_where_the_widgets_will_be(
    make_app: Callable[..., TuiLabApp], held_build: Callable[[ReplScreen], None]
) -> None:
    app = make_app()
    async with App.run_test(app, size=(100, 30)) as pilot:
        screen = await at_first_frame(pilot)
        assert not screen.body_ready
        assert isinstance(app.focused, KeyBuffer)
        stand_ins = {
            "#repl-log": screen.query_one("#repl-log-standin").region,
            "#repl-input": screen.query_one("#repl-input-standin").region,
            "#repl-side": screen.query_one("#repl-side-standin").region,
        }
        banner = screen.query_one("#repl-log-standin").render()
        assert "torch, nn, F, np and pd are preloaded" in str(banner)

        held_build(screen)
        await until(pilot, lambda: screen.body_ready, "the body was built")
        await pilot.pause()
        assert not screen.query(KeyBuffer)
        assert app.focused is screen.editor
        for selector, region in stand_ins.items():  # the swap moves nothing
            assert screen.query_one(selector).region == region, selector
        await until(  # the log lays its lines out once it has a size
            pilot,
            lambda: any("torch, nn, F, np and pd are preloaded" in strip.text for strip in screen.log_view.lines),
            "the banner in the real log, wrapped at the log's own width",
        )


async def test_keys_typed_before_the_input_exists_run_once_it_does(
    make_app: Callable[..., TuiLabApp], held_build: Callable[[ReplScreen], None], workspace: Workspace
) -> None:
    app = make_app()
    async with App.run_test(app, size=(80, 24)) as pilot:
        screen = await at_first_frame(pilot)
        await pilot.press(*"answer = 6 * 7", "f9")  # F9 is a pane binding: held too, then run by the input's screen
        buffer = screen.query_one(KeyBuffer)
        assert buffer.held == len("answer = 6 * 7") + 1
        assert "answer" not in workspace.namespace

        held_build(screen)
        await until(pilot, lambda: screen.body_ready, "the body was built")
        await wait_for_run(pilot, 1)
        assert workspace.namespace["answer"] == 42
        assert screen.editor.text == ""


async def test_a_request_and_a_restored_log_wait_for_the_body(
    make_app: Callable[..., TuiLabApp], held_build: Callable[[ReplScreen], None]
) -> None:
    app = make_app()
    async with App.run_test(app, size=(80, 24)) as pilot:
        screen = await at_first_frame(pilot)
        screen.restore_session([ReplEntry("z = 5", "", True, ("z",))])
        app.send(InsertCode("print('from Data')"))
        await pilot.pause()

        held_build(screen)
        await until(
            pilot,
            lambda: screen.body_ready and screen.editor.text == "print('from Data')",
            "the request reached the input",
        )
        lines = [strip.text for strip in screen.log_view.lines]
        assert any("z = 5" in line for line in lines)


class _Target(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyBuffer(id="buffer")


async def test_key_buffer_hands_keys_and_pastes_over_in_order() -> None:
    app = _Target()
    async with app.run_test() as pilot:
        buffer = app.query_one(KeyBuffer)
        buffer.focus()
        await pilot.press("a", "b")
        app.post_message(events.Paste("XY"))
        await pilot.pause()
        assert buffer.held == 3

        target = TextArea()
        await app.mount(target)
        target.focus()
        buffer.hand_over(target)
        await pilot.press("c")
        await pilot.pause()
        assert target.text == "abXYc"
        assert buffer.held == 0


async def test_a_pane_key_at_the_first_frame_switches_at_once(
    make_app: Callable[..., TuiLabApp], held_build: Callable[[ReplScreen], None]
) -> None:
    app = make_app()
    async with App.run_test(app, size=(80, 24)) as pilot:
        screen = await at_first_frame(pilot)
        await pilot.press("x", "f3")  # F3 is the app's: it does not wait for the REPL's input
        await until(pilot, lambda: app.current_mode == "data", "the Data pane in front")
        assert screen.query_one(KeyBuffer).held == 1  # the "x" waits for the REPL's input

        held_build(screen)
        await until(pilot, lambda: screen.body_ready and screen.editor.text == "x", "the x reached the input")


async def test_every_repl_action_waits_for_the_body_the_inherited_ones_too(
    make_app: Callable[..., TuiLabApp], held_build: Callable[[ReplScreen], None]
) -> None:
    """The variable pane's actions live in the screen's base (ui/repl/assist.py); at the first frame they are
    skipped like the screen's own (the key goes on to the key buffer), never run against stand-ins."""
    from tui_lab.ui.pane import _GUARDED
    from tui_lab.ui.panes import pane_spec

    actions = [action.action for action in pane_spec("repl").actions]
    assert [name for name in actions if getattr(ReplScreen, f"action_{name}") not in _GUARDED] == []
    app = make_app()
    async with App.run_test(app, size=(100, 30)) as pilot:
        screen = await at_first_frame(pilot)
        for name in ("toggle_focus", "toggle_variables", "delete_variable", "search_history"):
            await screen.run_action(name)  # skipped: nothing to query yet
        await pilot.pause()
        assert not screen.body_ready and not screen.has_class("-variables-hidden")
        held_build(screen)
        await until(pilot, lambda: screen.body_ready, "the body was built")
        await screen.run_action("toggle_variables")
        assert screen.has_class("-variables-hidden")

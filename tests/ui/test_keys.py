"""The registry is the single source of keys, and the key map has no dangerous collisions."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from textual.binding import Binding
from textual.widgets import Static

from tui_lab.cli import build_parser
from tui_lab.ui.actions import Effect
from tui_lab.ui.app import TuiLabApp, pane_screen_class
from tui_lab.ui.chrome import PaneTabs
from tui_lab.ui.modals import HelpScreen
from tui_lab.ui.pane import PaneFooter, PaneScreen
from tui_lab.ui.panes import GLOBAL_ACTIONS, PANE_NAMES, PANES, key_map_markdown, palette_title

DOCS_KEYS = Path(__file__).resolve().parents[2] / "docs" / "keys.md"


def test_each_screen_binds_exactly_its_registry_actions() -> None:
    for pane in PANES:
        screen = pane_screen_class(pane.name)
        bound = {
            (b.key, b.action, b.id)
            for b in screen.BINDINGS
            if isinstance(b, Binding) and b.description and not b.action.startswith("app.")  # F1 leads the footer
        }
        declared = {(a.key, a.action, a.binding_id(pane.name)) for a in pane.actions if a.key}
        assert bound == declared, pane.name
        # What Textual dispatches on (merged when the class was made): every registry key is live.
        merged = screen._merged_bindings
        assert merged is not None
        live = {(key, b.action) for key, bindings in merged.key_to_bindings.items() for b in bindings}
        assert {(key, action) for key, action, _ in declared} <= live, pane.name


def test_the_cli_offers_exactly_the_registry_panes() -> None:
    pane_option = next(a for a in build_parser()._actions if "--pane" in a.option_strings)
    assert tuple(pane_option.choices or ()) == PANE_NAMES


async def test_help_tabs_and_palette_list_exactly_the_registry(make_app: Callable[..., TuiLabApp]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        tabs = str(app.screen.query_one(PaneTabs).render())
        assert [pane.title for pane in PANES] == [t for t in (p.title for p in PANES) if f"{t} " in tabs]
        palette = [c.title for c in app.get_system_commands(app.screen)]
        registry = [a.palette for a in GLOBAL_ACTIONS if a.action not in ("command_palette", "quit")]
        registry += [palette_title(pane, a) for pane in PANES for a in pane.actions]  # the REPL's, in use, first
        assert palette[: len(registry)] == registry
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        sections = dict(app.screen.key_sections)
        assert list(sections) == ["Everywhere", *(pane.title for pane in PANES)]
        for pane in PANES:
            assert [key for key, _ in sections[pane.title]] == [a.key_display for a in pane.actions]


def test_keys_that_change_work_mean_the_same_kind_of_thing_everywhere() -> None:
    """A key that changes data or gradients in one pane never does something harmless in another.

    Otherwise a key pressed twice (ctrl+g: open the graph, then ctrl+g again there) changes work by
    surprise. Keys that take the learner to another pane must not change anything anywhere.
    """
    uses: dict[str, list[tuple[str, Effect, str]]] = defaultdict(list)
    for pane in PANES:
        for action in pane.actions:
            if action.key:
                uses[action.key].append((pane.name, action.effect, action.action))
    global_keys = {a.key for a in GLOBAL_ACTIONS}
    for key, bound in uses.items():
        assert key not in global_keys, f"{key} is a global key and also bound in {bound}"
        panes = [p for p, _, _ in bound]
        assert len(panes) == len(set(panes)), f"{key} is bound twice in one pane: {bound}"
        effects = {e for _, e, _ in bound}
        if Effect.CHANGE in effects:
            assert effects == {Effect.CHANGE}, f"{key} changes work in one pane but not in another: {bound}"


def test_the_published_key_map_is_current() -> None:
    assert DOCS_KEYS.read_text(encoding="utf-8") == key_map_markdown(), "regenerate docs/keys.md from the registry"


def test_no_key_is_one_that_tmux_or_the_terminal_keeps() -> None:
    """ctrl+b is tmux's prefix, ctrl+z suspends, ctrl+\\ quits: such keys never reach the app."""
    swallowed = {"ctrl+b", "ctrl+z", "ctrl+backslash", "ctrl+enter", "ctrl+shift+enter"}
    for pane in PANES:
        for action in pane.actions:
            assert action.key not in swallowed, f"{pane.name}.{action.action} uses {action.key}"


async def test_the_palette_shows_each_key_as_it_works_in_the_pane_in_use(make_app: Callable[..., TuiLabApp]) -> None:
    """In the Train pane ctrl+l switches the log scale: the REPL's "clear output" must not claim that key there."""
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert commands["Train: Toggle log scale"].endswith("(ctrl+l)")
        clear = commands["REPL: Clear output"]
        assert clear == "Empty the output log; names stay in the workspace (ctrl+l in the REPL pane)"
        for pane in PANES:
            for action in pane.actions:
                title = palette_title(pane, action)
                assert title.startswith(f"{pane.title}: ") and title in commands
                here = pane.name == "train"
                assert commands[title].endswith(f"({action.key_display})") == here, title
                assert commands[title].endswith(f"({action.key_display} in the {pane.title} pane)") != here, title


async def test_a_command_of_another_pane_runs_there(make_app: Callable[..., TuiLabApp]) -> None:
    from tests.ui.conftest import run_palette

    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await run_palette(app, pilot, "REPL: Clear output")
        assert app.current_mode == "repl"


async def test_f1_opens_the_help_at_the_keys_of_the_pane_in_use(make_app: Callable[..., TuiLabApp]) -> None:
    for pane in PANES:
        app = make_app(pane=pane.name)
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(100):
                await pilot.pause()
                if isinstance(app.screen, PaneScreen) and app.screen.body_ready:
                    break
            await pilot.press("f1")
            for _ in range(20):
                await pilot.pause()
                if isinstance(app.screen, HelpScreen):
                    break
            assert isinstance(app.screen, HelpScreen)
            assert app.screen.leading_section == pane.title, pane.name  # its keys open the page
            assert app.screen.query_one("#help-body").scroll_offset.y == 0
            console = Console(width=100, file=io.StringIO())
            console.print(app.screen.query_one("#help-keys", Static).content)
            shown = console.file.getvalue()  # type: ignore[attr-defined]
            heading = next(line for line in shown.splitlines() if "the pane in use" in line)
            assert heading.split()[0] == pane.title and shown.index(heading) < shown.index("Everywhere")


async def test_the_footer_ends_with_the_palette_key_at_60_columns(make_app: Callable[..., TuiLabApp]) -> None:
    """The palette key is flush right: no column of a key it covers shows after it (``^p palettel``)."""
    app = make_app(pane="data")
    async with app.run_test(size=(60, 20)) as pilot:
        for pane in ("data", "repl", "graph", "train"):
            await app.run_action(f"go('{pane}')")
            for _ in range(5):
                await pilot.pause()
            footer = app.screen.query_one(PaneFooter)
            palette_key = footer.query_one(".-command-palette")
            assert palette_key.region.right == footer.region.right == 60, pane

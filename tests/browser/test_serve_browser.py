"""``tui-lab serve`` in a real browser: headless Chromium (Debian's) driven by Playwright.

One server and one app start for the whole walk: open the link with the token, wait for the
REPL, compute ``1 + 1``, go to Train through the command palette, start a run there through
the palette too (browsers keep some F-keys for themselves) and see it finish, then keep a
screenshot. Deselect with ``-m "not browser"``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.harness import browser_missing, chromium_page, screen_text, served, wait_for_screen

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or ""),
]

#: The app process imports torch on a busy 2-core machine: generous bounds, all on conditions.
START_S = 90.0


def palette(page: object, command: str) -> None:
    """Run ``command`` through the command palette (ctrl+p, type, wait for the match, Enter)."""
    page.keyboard.press("Control+p")  # type: ignore[attr-defined]
    wait_for_screen(page, r"Search for commands", 30)
    page.keyboard.type(command)  # type: ignore[attr-defined]
    name = re.escape(command)
    wait_for_screen(page, rf"{name}[\s\S]*{name}", 30)  # typed in the search box, and listed below it
    page.keyboard.press("Enter")  # type: ignore[attr-defined]


def test_the_app_in_the_browser_computes_and_trains(tmp_path: Path) -> None:
    with served(["--max-sessions", "2"], tmp_path / "home") as server, chromium_page(tmp_path / "profile") as page:
        page.goto(server.url)
        wait_for_screen(page, r"In \[1\]", START_S)
        assert "token" not in page.url, "the token stays out of the address bar once the cookie is set"
        page.focus(".xterm-helper-textarea")

        page.keyboard.type("1 + 1")
        wait_for_screen(page, r"1 \+ 1", 30)
        page.keyboard.press("Enter")
        wait_for_screen(page, r"Out\[1\]: 2", START_S)

        palette(page, "Go to Train")
        wait_for_screen(page, r"true w .*2, -3\.4", 30)  # the Train form
        palette(page, "Train: Start")
        screen = wait_for_screen(page, r"finished \d+ epochs?", START_S)
        assert "#1 concise" in screen, screen

        shot = tmp_path / "serve-train.png"
        page.screenshot(path=str(shot))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "Out[1]" not in screen_text(page)  # the Train pane is showing, not the REPL

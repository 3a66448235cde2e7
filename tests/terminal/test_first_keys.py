"""Keys at the first frame: pane keys, the palette and the help answer while torch is still importing, the
stand-in first frame costs no key, and keys typed before the app has the terminal arrive as typed.

torch's import is held on a gate (tests/terminal/import_gate): nothing on the UI thread may wait for it,
so every step below must happen with the gate shut. Were the UI thread to import torch, numpy or pandas,
it would wait at the gate (the step would time out) and the gate would say from where.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.terminal.conftest import ImportGate
from tests.terminal.harness import Terminal

pytestmark = pytest.mark.terminal

Gated = Callable[..., tuple[Terminal, ImportGate]]

#: What each pane shows once it is in front, before torch has loaded.
PANE_SHOWN = {"F3": r"Press o to open a CSV", "F4": r"No graph yet", "F5": r"No run yet", "F2": r"In \[1\]"}


def test_panes_palette_and_help_answer_while_torch_is_still_importing(gated_spawn: Gated) -> None:
    term, gate = gated_spawn("--pane", "repl")
    term.wait_for(r"F3 Data")  # the first frame (the REPL's stand-ins)
    term.type("x = 6 * 7")  # typed into the stand-in first frame: kept for the input
    term.keys("enter")
    for key in ("F3", "F4", "F5"):
        term.keys(key)
        term.wait_for(PANE_SHOWN[key])
    term.keys("F1")
    term.wait_for(r"tui-lab help")  # (it opens at the pane in use: "Everywhere" may be below the fold)
    term.keys("escape")
    term.wait_gone(r"tui-lab help")
    term.keys("ctrl+p")
    term.wait_for(r"Search for commands")
    term.keys("escape")
    term.wait_gone(r"Search for commands")
    term.keys("F2")
    term.wait_for(r"In \[1\]: x = 6 \* 7")  # echoed: it waits for torch
    assert "torch" in term.text() and "x 42" not in term.text()
    assert not gate.ui_imports(), f"the UI thread waited for a held import:\n{gate.ui_imports()}"

    gate.open()
    term.wait_for(r"cpu · \d+ thread")
    term.wait_for(r"x +42")  # the typed-ahead input ran once torch was there
    assert term.close() == 0


def test_keys_typed_before_the_app_has_the_terminal_arrive_as_typed(gated_spawn: Gated) -> None:
    term, gate = gated_spawn("--pane", "repl", held="textual")
    # The app waits at `import textual`: the CLI has started, Textual has not taken the terminal yet.
    term.wait_until(lambda: "textual" in gate.ui_imports(), "the app to reach its Textual import")
    term.write(b"y = 7\r")  # not read until the app runs: Enter as the terminal sends it, CR
    gate.open()
    term.wait_for(r"cpu · \d+ thread")
    term.wait_for(r"y +7")  # Enter ran it (the line discipline would have made it a ctrl+j: a new line)
    assert "In [1]: y = 7" in term.text()
    assert term.close() == 0

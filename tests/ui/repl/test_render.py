"""The log's text path: whatever user code prints, no control character reaches the terminal."""

from __future__ import annotations

import io
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from tui_lab.core.text import has_controls
from tui_lab.ui.repl.render import output_text

CONTROLS = st.sampled_from([chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]] + ["\x1b[31m", "\x1b]52;c;eA==\x07"])
SGR_ONLY = re.compile(r"(?:\x1b\[[0-9;]*m|[^\x1b\x07\x80-\x9f])*", re.S)
HOSTILE = st.lists(
    st.one_of(st.text(max_size=8), CONTROLS, st.sampled_from(["[b]", "[/]", "\x1b[1;3", "m"])), max_size=12
)


@settings(max_examples=300, deadline=None)
@given(HOSTILE)
def test_only_sgr_colours_survive_as_styles(pieces: list[str]) -> None:
    text = output_text("".join(pieces))
    assert not has_controls(text.plain, keep="\n\t")  # the characters themselves are all visible
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=60)
    console.print(text)
    written = console.file.getvalue()  # type: ignore[attr-defined]
    assert SGR_ONLY.fullmatch(written), written  # Rich's own colour codes are the only escapes written


def test_progress_bars_show_their_last_state() -> None:
    assert output_text(" 10%\r 50%\r100%").plain == "100%"
    assert output_text("done\r\nnext").plain == "done\nnext"

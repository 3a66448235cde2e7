"""The harness itself: keys are the bytes xterm sends, typing arrives key by key, pastes are bracketed only
when the app asked for it, and pyte reads what Textual writes (alternate screen, truecolor, synchronized
output) as a person sees it, at 80×24 and 120×40."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest

from tests.terminal.conftest import SIZES
from tests.terminal.harness import BRACKETED_ON, SYNC_START, Terminal, key_bytes

pytestmark = pytest.mark.terminal

#: A program that reports each read() it gets from the terminal, one line per read, in raw mode.
READS = r"""
import os, sys, tty
tty.setraw(0)
if len(sys.argv) > 1:
    os.write(1, b"\x1b[?2004h")
os.write(1, b"ready\r\n")
while True:
    data = os.read(0, 4096)
    os.write(1, repr(data).encode() + b"\r\n")
    if data.endswith(b"\x11"):
        break
"""


def read_reporter(*args: str) -> Terminal:
    term = Terminal.spawn(args, size=(80, 24), program=[sys.executable, "-c", READS])
    term.wait_for("^ready$")
    return term


def reads(term: Terminal) -> list[str]:
    return [line for line in term.text().splitlines()[1:] if line]


def test_keys_are_the_bytes_xterm_sends() -> None:
    assert key_bytes("F1") == b"\x1bOP" and key_bytes("f3") == b"\x1bOR" and key_bytes("F9") == b"\x1b[20~"
    assert key_bytes("F12") == b"\x1b[24~" and key_bytes("F5") == b"\x1b[15~"
    assert key_bytes("ctrl+q") == b"\x11" and key_bytes("ctrl+c") == b"\x03" and key_bytes("ctrl+j") == b"\n"
    assert key_bytes("enter") == b"\r" and key_bytes("tab") == b"\t" and key_bytes("backspace") == b"\x7f"
    assert key_bytes("up") == key_bytes("↑") == b"\x1b[A" and key_bytes("shift+tab") == b"\x1b[Z"
    assert key_bytes("escape") == b"\x1b" and key_bytes("alt+x") == b"\x1bx" and key_bytes("é") == "é".encode()
    with pytest.raises(ValueError):
        key_bytes("hyper+q")


def test_typing_arrives_key_by_key_and_a_burst_in_one_read() -> None:
    term = read_reporter()
    try:
        term.type("ab")
        term.keys("enter", "F3")
        term.type("cd", burst=True)
        term.wait_for("'cd'")
        assert reads(term) == ["b'a'", "b'b'", "b'\\r'", "b'\\x1bOR'", "b'cd'"]
        term.keys("escape")  # a lone ESC, then a key: the focus report keeps Esc a key of its own
        term.type("x")
        term.wait_for(r"x'$")
        assert reads(term)[-2:] == ["b'\\x1b'", "b'\\x1b[Ix'"]
    finally:
        term.kill()


def test_a_paste_is_bracketed_only_once_the_app_asked_for_it() -> None:
    plain = read_reporter()
    plain.paste("a = 1\nb = 2\n")
    plain.wait_for("2")
    assert reads(plain) == ["b'a = 1\\rb = 2\\r'"]  # one write, newlines as CR (as xterm and tmux send them)
    plain.kill()

    asking = read_reporter("bracketed")
    assert asking.bracketed_paste and BRACKETED_ON in asking.raw
    asking.paste("a = 1\nb = 2")
    asking.paste("c", bracketed=False)
    asking.wait_for("'c'")
    assert reads(asking) == ["b'\\x1b[200~a = 1\\rb = 2\\x1b[201~'", "b'c'"]
    asking.kill()


@pytest.mark.parametrize("size", SIZES)
def test_the_screen_reads_as_textual_draws_it(spawn: Callable[..., Terminal], size: tuple[int, int]) -> None:
    columns, rows = size
    term = spawn("--pane", "repl", size=size)
    term.wait_for(r"^ tui-lab +F2 REPL +F3 Data +F4 Graph +F5 Train +F1 help")
    term.wait_for(r"cpu · \d+ thread")  # torch has loaded: the status bar names the device
    screen = term.screen()
    assert len(screen) == rows and all(len(line) == columns for line in screen)
    assert screen[-1].rstrip().endswith("^p palette")  # the footer, on the last line
    assert "torch, nn, F, np and pd are" in term.text()  # the banner, in the log
    assert any(line.startswith(" In [1]:") for line in screen)
    raw = term.raw
    assert b"\x1b[?1049h" in raw  # the alternate screen
    assert SYNC_START in raw and term.frames > 1  # frames came whole, between ?2026h and ?2026l
    assert b"38;2;" in raw  # truecolor SGR, which pyte reads as colour, not text
    tab = term.cell(0, 1)
    assert tab.data == "t" and len(tab.fg) == 6 and int(tab.fg, 16) >= 0
    assert term.bracketed_paste
    assert term.close() == 0
    assert b"\x1b[?1049l" in term.raw  # the terminal given back


#: A program that draws one synchronized frame in two writes, the second once a key comes.
HALF_FRAME = r"""
import os, tty
tty.setraw(0)
os.write(1, b"ready\r\n\x1b[?2026hhalf")
os.read(0, 1)
os.write(1, b" whole\x1b[?2026l")
os.read(0, 1)
"""


def test_a_frame_is_read_once_it_is_whole() -> None:
    term = Terminal.spawn([], size=(40, 5), program=[sys.executable, "-c", HALF_FRAME])
    try:
        term.wait_until(lambda: b"half" in term.raw, "the first half of the frame")
        assert "half" not in term.text()  # inside ESC[?2026h … ESC[?2026l: not shown yet
        term.keys("x")
        term.wait_for("^half whole$")
    finally:
        term.kill()

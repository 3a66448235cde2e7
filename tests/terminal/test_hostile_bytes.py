"""The real tui-lab in a pty: hostile names and values never put a sequence of their own on the wire.

Issue #20.2. Each test drives routes by which data reached an input (the Open dialog's completion
and recent files, an export's default name, a Train form restored from a session, a REPL history
entry, REPL output) and then parses every byte the app wrote: each ESC must begin a sequence
Textual itself emits (SGR, cursor position, its private modes and queries, the kitty keyboard
flags, the pointer shape), and no other control character may appear. So no OSC 52 (clipboard),
no OSC 0/2 (title), no ``ESC[2J`` and no stray BEL, whichever widget showed the value.

The terminal is the shared harness (tests/terminal/harness.py): keys go in as xterm sends them, each
read before the next, and every wait is for a state of the screen.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.terminal.harness import Terminal
from tui_lab.ui.repl.graphics import DA1_QUERY, KITTY_QUERY

pytestmark = pytest.mark.terminal

ROOT = Path(__file__).resolve().parents[2]
HOUSE_TINY = ROOT / "sample_data" / "house_tiny.csv"

CLIPBOARD = "\x1b]52;c;UFdORUQ=\x1b\\"
TITLE = "\x1b]0;PWNED-TITLE\x1b\\"
CLEAR = "\x1b[2J"

#: Every sequence Textual writes in a full-screen session (textual/drivers/linux_driver.py, the compositor).
TEXTUAL_SEQUENCE = re.compile(
    r"\x1b\[[0-9;]*m"  # SGR: colours and attributes
    r"|\x1b\[\d+;\d+H"  # cursor position (the compositor's moves)
    r"|\x1b\[\?\d+[hl]"  # private modes: alt screen, mouse, focus, bracketed paste, synchronized output, cursor
    r"|\x1b\[\?\d+\$p"  # DECRQM: does the terminal support a mode?
    r"|\x1b\[>\d+u|\x1b\[<u"  # kitty keyboard protocol on / off
    r"|\x1b\]22;[a-z-]+\x07"  # pointer shape (kitty), ended by BEL
)
Spawn = Callable[..., Terminal]
#: The bound on each wait (it ends as soon as the screen shows the state): room for a loaded machine.
WAIT_S = 120.0


def across_lines(text: str) -> str:
    """A regex for ``text`` as a dialog shows it: possibly wrapped anywhere (the folder's length varies)."""
    return r"(?:[^\n]*\n[^\n]*?)?".join(re.escape(char) for char in text)


def foreign_sequences(raw: bytes) -> list[str]:
    """Every control sequence or character in ``raw`` that Textual does not emit itself."""
    text = raw.decode("utf-8", errors="replace")
    text = TEXTUAL_SEQUENCE.sub("", text).replace("\r\n", "")
    found = []
    for match in re.finditer(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text):
        found.append(repr(text[match.start() : match.start() + 24]))
    return found


def assert_only_textuals_sequences(raw: bytes) -> None:
    for sequence in ("\x1b]52", "\x1b]0;", "\x1b]2;", CLEAR):
        assert sequence.encode() not in raw, f"{sequence!r} from data reached the terminal"
    # tui-lab's own question, once, before the app starts: does the terminal draw Kitty graphics or Sixel?
    query = (KITTY_QUERY + DA1_QUERY).encode()
    assert raw.count(query) <= 1 and (query not in raw or raw.startswith(query)), "asked once, before anything else"
    foreign = foreign_sequences(raw.replace(query, b"", 1))
    assert not foreign, f"sequences Textual does not write: {foreign[:10]}"


def test_the_parser_catches_what_data_could_send() -> None:
    """The check itself: Textual's own frame passes; each attack, framed by Textual's sequences, does not."""
    frame = "\x1b[?1049h\x1b[?25l\x1b[1;1H\x1b[38;2;1;2;3mtext\x1b[0m\r\n\x1b]22;default\x07\x1b[?1049l"
    assert foreign_sequences(frame.encode()) == []
    for attack in (CLIPBOARD, TITLE, CLEAR, "\x07", "\x9b2J", "\x1b[3J", "\x1b[K", "\u202e", "a\nb"):
        assert foreign_sequences((frame + attack + frame).encode()), attack


def finish(term: Terminal) -> bytes:
    """Quit with ctrl+q and return every byte the app wrote, start to end."""
    term.close(timeout=WAIT_S)
    return term.raw


def test_hostile_file_names_in_the_open_and_export_dialogs(spawn: Spawn, tmp_path: Path) -> None:
    from tui_lab.core.data.files import add_recent

    source = tmp_path / f"t{TITLE}.csv"
    source.write_bytes(HOUSE_TINY.read_bytes())
    (tmp_path / f"c{CLIPBOARD}{CLEAR}.csv").write_bytes(HOUSE_TINY.read_bytes())
    recent = tmp_path / f"r[bold]\nx{CLIPBOARD}.csv"
    recent.write_bytes(HOUSE_TINY.read_bytes())
    add_recent(recent)  # the app reads the same TUI_LAB_HOME
    term = spawn(source.name, cwd=tmp_path)
    term.wait_for(r"4 × 3", timeout=WAIT_S)
    term.keys("e")  # the export dialog's default is named after the hostile source
    term.wait_for(r"t␛]0;PWNED-TITLE␛\\_processed\.csv", timeout=WAIT_S)
    term.keys("escape")
    term.wait_gone(r"_processed", timeout=WAIT_S)
    term.keys("o")
    term.wait_for(across_lines("r[bold]␊x␛]52"), timeout=WAIT_S)  # the recent file: its newline shown, markup as typed
    term.keys("c")  # the completion of the attacker's file, accepted with Tab
    term.wait_for(r"c␛]52;c;UFdORUQ=␛\\␛\[2J\.csv", timeout=WAIT_S)
    term.keys("tab", "enter")  # accepted and opened: the real file behind the visible name loads
    term.wait_for(r"c␛]52;c;UFdORUQ=␛\\␛\[2J\.csv · 4 × 3", timeout=WAIT_S)
    assert_only_textuals_sequences(finish(term))


def test_a_restored_train_form_history_and_repl_output(spawn: Spawn, tmp_path: Path) -> None:
    from tui_lab.core.repl.history import History
    from tui_lab.core.session import store
    from tui_lab.core.session.capture import take_snapshot
    from tui_lab.core.session.contract import TrainView

    # A form value holding OSC 52: the schema refuses it on reading, so the session is moved aside with a
    # message (the message names the field; it must reach the terminal as text, never as a sequence).
    report = store.save(take_snapshot([], 1 << 20, (TrainView((), {"n": "10"}),), pane="train"))
    manifest = Path(report.path) / "session.json"  # the attacker's edit: raw escapes in the form (JSON-escaped)
    text = manifest.read_text(encoding="utf-8").replace('"n": "10"', '"n": ' + json.dumps(f"10{CLIPBOARD}{CLEAR}"))
    manifest.write_text(text, encoding="utf-8")
    history = History.load()
    history.add("s = '" + CLIPBOARD.replace("\\", "\\\\") + TITLE.replace("\\", "\\\\") + "'")
    term = spawn("--resume", "--pane", "train", cwd=tmp_path)
    term.wait_for(r"Session not restored", timeout=WAIT_S)  # refused: the session is moved aside, said once
    term.keys("f2")
    term.wait_for(r"In \[1\]", timeout=WAIT_S)
    term.keys("up")  # the history entry, with Python escapes
    term.wait_for(r"'\\x1b\]52;c;UFdORUQ=", timeout=WAIT_S)
    term.keys("enter")  # it still means what it meant: s holds the raw sequences
    term.wait_for(r"In \[2\]", timeout=WAIT_S)
    term.type("print(s + chr(27) + '[2J' + chr(7) + 'done')")
    term.keys("enter")
    term.wait_for(r"␛\]52;c;UFdORUQ=␛\\␛\]0;PWNED-TITLE␛\\␛\[2J␇done", timeout=WAIT_S)  # REPL output, shown not obeyed
    assert_only_textuals_sequences(finish(term))


def test_a_ticked_box_differs_from_an_unticked_one_without_colour(spawn: Spawn, tmp_path: Path) -> None:
    """Issue #21.15: with NO_COLOR the target form's ticked row showed ``▐ ▌`` like the others."""
    term = spawn(str(HOUSE_TINY), cwd=tmp_path, NO_COLOR="1")
    term.wait_for(r"4 × 3", timeout=WAIT_S)
    term.keys("t")
    term.wait_for(r"▐ ▌", timeout=WAIT_S)
    term.keys("space")
    term.wait_for(r"▐✓▌", timeout=WAIT_S)
    assert "▐ ▌" in term.text()  # the other rows, unticked, still read as unticked
    term.keys("escape")
    assert_only_textuals_sequences(finish(term))

"""The real tui-lab in a pty: hostile names and values never put a sequence of their own on the wire.

Issue #20.2. Each test drives routes by which data reached an input (the Open dialog's completion
and recent files, an export's default name, a Train form restored from a session, a REPL history
entry, REPL output) and then parses every byte the app wrote: each ESC must begin a sequence
Textual itself emits (SGR, cursor position, its private modes and queries, the kitty keyboard
flags, the pointer shape), and no other control character may appear. So no OSC 52 (clipboard),
no OSC 0/2 (title), no ``ESC[2J`` and no stray BEL, whichever widget showed the value.

The terminal here is a small local one (ptyprocess + pyte, waiting for screen states only); the
shared harness ``tests/terminal/harness.py`` had not landed when this was written.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ptyprocess = pytest.importorskip("ptyprocess")
pyte = pytest.importorskip("pyte")

ROOT = Path(__file__).resolve().parents[2]
HOUSE_TINY = ROOT / "sample_data" / "house_tiny.csv"
#: A bound on each wait, for a loaded machine; every wait ends as soon as the screen shows its state.
WAIT_S = 120.0

CLIPBOARD = "\x1b]52;c;UFdORUQ=\x1b\\"
TITLE = "\x1b]0;PWNED-TITLE\x1b\\"
CLEAR = "\x1b[2J"

#: Every sequence Textual writes in a full-screen session (textual/drivers/linux_driver.py, the compositor).
TEXTUAL_SEQUENCE = re.compile(
    r"\x1b\[[0-9;]*m"  # SGR: colours and attributes
    r"|\x1b\[\d+;\d+H"  # cursor position (the compositor's moves)
    r"|\x1b\[\?\d+[hl]"  # private modes: alt screen, mouse, focus, bracketed paste, sync, cursor
    r"|\x1b\[\?\d+\$p"  # DECRQM: does the terminal support a mode?
    r"|\x1b\[>\d+u|\x1b\[<u"  # kitty keyboard protocol on / off
    r"|\x1b\]22;[a-z-]+\x07"  # pointer shape (kitty), ended by BEL
)
KEYS = {"enter": "\r", "tab": "\t", "escape": "\x1b", "up": "\x1b[A", "space": " ", "ctrl+q": "\x11", "f2": "\x1bOQ"}


class Terminal:
    """tui-lab in a pty of ``size``, its output kept raw (``raw``) and fed to a pyte screen."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, size: tuple[int, int] = (80, 24)) -> None:
        columns, lines = size
        self._screen = pyte.Screen(columns, lines)
        self._stream = pyte.ByteStream(self._screen)
        self._changed = threading.Condition()
        self.raw = bytearray()
        self.process = ptyprocess.PtyProcess.spawn(
            [sys.executable, "-m", "tui_lab", *args], env=env, cwd=str(cwd), dimensions=(lines, columns)
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = self.process.read(65536)
            except EOFError:
                break
            with self._changed:
                self.raw.extend(data)
                self._stream.feed(data)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def screen(self) -> str:
        with self._changed:
            return "\n".join(self._screen.display)

    def wait_for(self, pattern: str) -> str:
        """The screen, once ``pattern`` (a regex) is on it; fails with the screen after :data:`WAIT_S`."""
        regex = re.compile(pattern)
        with self._changed:
            shown = self._changed.wait_for(
                lambda: regex.search("\n".join(self._screen.display)) is not None or not self._reader.is_alive(),
                timeout=WAIT_S,
            )
            text = "\n".join(self._screen.display)
        assert shown and regex.search(text), f"never shown: {pattern!r}\n{text}"
        return text

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.process.write(KEYS.get(key, key).encode())

    def quit(self) -> bytes:
        """ctrl+q, then everything the app wrote until it closed the pty."""
        self.keys("ctrl+q")
        self._reader.join(WAIT_S)
        assert not self._reader.is_alive(), f"tui-lab did not quit\n{self.screen()}"
        self.process.close()
        return bytes(self.raw)

    def close(self) -> None:
        if self.process.isalive():
            self.process.terminate(force=True)


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
    foreign = foreign_sequences(raw)
    assert not foreign, f"sequences Textual does not write: {foreign[:10]}"


@pytest.fixture
def lab_env(lab_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TEXTUAL", "COLUMNS", "LINES")}
    env.update(TERM="xterm-256color", TUI_LAB_HOME=str(lab_home), PYTHONPATH=str(ROOT / "src"))
    return env


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    started: list[Terminal] = []
    yield started
    for terminal in started:
        terminal.close()


def test_the_parser_catches_what_data_could_send() -> None:
    """The check itself: Textual's own frame passes; each attack, framed by Textual's sequences, does not."""
    frame = "\x1b[?1049h\x1b[?25l\x1b[1;1H\x1b[38;2;1;2;3mtext\x1b[0m\r\n\x1b]22;default\x07\x1b[?1049l"
    assert foreign_sequences(frame.encode()) == []
    for attack in (CLIPBOARD, TITLE, CLEAR, "\x07", "\x9b2J", "\x1b[3J", "\x1b[K", "\u202e", "a\nb"):
        assert foreign_sequences((frame + attack + frame).encode()), attack


def test_hostile_file_names_in_the_open_and_export_dialogs(
    lab_env: dict[str, str], tmp_path: Path, terminals: list[Terminal]
) -> None:
    from tui_lab.core.data.files import add_recent

    source = tmp_path / f"t{TITLE}.csv"
    source.write_bytes(HOUSE_TINY.read_bytes())
    (tmp_path / f"c{CLIPBOARD}{CLEAR}.csv").write_bytes(HOUSE_TINY.read_bytes())
    recent = tmp_path / f"r[bold]\nx{CLIPBOARD}.csv"
    recent.write_bytes(HOUSE_TINY.read_bytes())
    add_recent(recent)  # the child reads the same TUI_LAB_HOME
    term = Terminal([source.name], lab_env, tmp_path)
    terminals.append(term)
    term.wait_for(r"4 (rows )?× 3")
    term.keys("e")  # the export dialog's default is named after the hostile source
    term.wait_for(r"t␛]0;PWNED-TITLE␛\\_processed\.csv")
    term.keys("escape")
    term.wait_for(r"(?s)^(?!.*_processed).*$")
    term.keys("o")
    term.wait_for(r"r\[bold\]␊x␛]52")  # the recent file: its newline shown, markup as typed
    term.keys("c")  # the completion of the attacker's file, accepted with Tab
    term.wait_for(r"c␛]52;c;UFdORUQ=␛\\␛\[2J\.csv")
    term.keys("tab")
    screen = term.wait_for(r"c␛]52;c;UFdORUQ=␛\\␛\[2J\.csv")
    assert "PWNED-TITLE" not in screen.replace("t␛]0;PWNED-TITLE␛\\", "")
    assert_only_textuals_sequences(term.quit())


def test_a_restored_train_form_history_and_repl_output(
    lab_env: dict[str, str], tmp_path: Path, terminals: list[Terminal]
) -> None:
    from tui_lab.core.repl.history import History
    from tui_lab.core.session import store
    from tui_lab.core.session.capture import PaneStates, take_snapshot

    store.save(take_snapshot([], 1 << 20, PaneStates(train_form={"n": f"10{CLIPBOARD}{CLEAR}"}, pane="train")))
    history = History.load()
    history.add("s = '" + CLIPBOARD.replace("\\", "\\\\") + TITLE.replace("\\", "\\\\") + "'")
    term = Terminal(["--resume", "--pane", "train"], lab_env, tmp_path)
    terminals.append(term)
    term.wait_for(r"10␛]52;c;UFdORUQ=␛\\")  # the restored N field (cut at its width)
    term.keys("f2")
    term.wait_for(r"In \[1\]")
    term.keys("up")  # the history entry, with Python escapes
    term.wait_for(r"'\\x1b\]52;c;UFdORUQ=")
    term.keys("enter")  # it still means what it meant: s holds the raw sequences
    term.wait_for(r"In \[2\]")
    for key in "print(s + chr(27) + '[2J' + chr(7) + 'done')":
        term.keys(key)
    term.keys("enter")
    term.wait_for(r"␛\]52;c;UFdORUQ=␛\\␛\]0;PWNED-TITLE␛\\␛\[2J␇done")  # REPL output, shown not obeyed
    assert_only_textuals_sequences(term.quit())


def test_a_ticked_box_differs_from_an_unticked_one_without_colour(
    lab_env: dict[str, str], tmp_path: Path, terminals: list[Terminal]
) -> None:
    """Issue #21.15: with NO_COLOR the target form's ticked row showed ``▐ ▌`` like the others."""
    term = Terminal([str(HOUSE_TINY)], {**lab_env, "NO_COLOR": "1"}, tmp_path)
    terminals.append(term)
    term.wait_for(r"4 (rows )?× 3")
    term.keys("t")
    term.wait_for(r"▐ ▌")
    term.keys("space")
    screen = term.wait_for(r"▐✓▌")
    assert "▐ ▌" in screen  # the other rows, unticked, still read as unticked
    term.keys("escape")
    assert_only_textuals_sequences(term.quit())

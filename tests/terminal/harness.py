"""The real ``tui-lab`` in a pseudo-terminal, its output read through a terminal emulator (pyte).

Pilot hands Textual key events; a person's terminal hands the app bytes. Here the console script runs
in a pty, as in tmux: keys are the bytes xterm sends, pastes are one write (bracketed as
``ESC[200~ … ESC[201~`` only once the app has turned bracketed paste on), and what the app writes
goes through pyte, so a test reads the screen a person reads.

Everything waits for states, never for time:

* :meth:`Terminal.wait_for` polls the emulated screen for a pattern (the timeout is only an upper
  bound; on timeout the assertion shows the screen);
* typing key by key waits, after each key, until the app has *read* it from the tty (the kernel says
  so: ``poll`` on the pty's slave side flushes the pty's pending input and reports whether any is left
  unread), so each key arrives in a read of its own, as a person's keys do;
* a frame is only looked at once it is complete: the harness answers Textual's query for synchronized
  output (``ESC[?2026$p``) as modern terminals do, so each frame comes between ``ESC[?2026h`` and
  ``ESC[?2026l``, and the screen is taken at the end of each.

    term = Terminal.spawn(["--pane", "repl"], size=(80, 24), env=env)
    term.wait_for(r"In \\[1\\]:")
    term.type("x = 6 * 7")
    term.keys("enter")
    term.wait_for(r"In \\[2\\]:")
    term.close()
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import ptyprocess
import pyte

ESC = "\x1b"
SYNC_START = b"\x1b[?2026h"
SYNC_END = b"\x1b[?2026l"
SYNC_QUERY = b"\x1b[?2026$p"
#: "mode 2026 is supported and reset" (DECRPM): Textual then wraps every frame in ESC[?2026h … ESC[?2026l.
SYNC_REPLY = b"\x1b[?2026;2$y"
BRACKETED_ON = b"\x1b[?2004h"
BRACKETED_OFF = b"\x1b[?2004l"
PASTE_START, PASTE_END = b"\x1b[200~", b"\x1b[201~"
#: A terminal's focus-in report (the app turned focus reporting on): it ends a lone ESC at once, so the
#: app reads Esc as a key and not as the Alt prefix of the next character, without waiting for ESCDELAY.
FOCUS_IN = b"\x1b[I"
_MARKERS = (SYNC_START, SYNC_END, SYNC_QUERY)
#: Linux's TIOCGPTN: the number of a pty master's slave (/dev/pts/N).
_TIOCGPTN = 0x80045430

#: What xterm (and tmux with TERM=xterm-256color) sends for each key, in normal cursor-key mode.
KEYS: dict[str, str] = {
    "enter": "\r",
    "tab": "\t",
    "shift+tab": "\x1b[Z",
    "backspace": "\x7f",
    "escape": ESC,
    "space": " ",
    "up": "\x1b[A",
    "down": "\x1b[B",
    "right": "\x1b[C",
    "left": "\x1b[D",
    "home": "\x1b[H",
    "end": "\x1b[F",
    "insert": "\x1b[2~",
    "delete": "\x1b[3~",
    "pageup": "\x1b[5~",
    "pagedown": "\x1b[6~",
    "f1": "\x1bOP",
    "f2": "\x1bOQ",
    "f3": "\x1bOR",
    "f4": "\x1bOS",
    "f5": "\x1b[15~",
    "f6": "\x1b[17~",
    "f7": "\x1b[18~",
    "f8": "\x1b[19~",
    "f9": "\x1b[20~",
    "f10": "\x1b[21~",
    "f11": "\x1b[23~",
    "f12": "\x1b[24~",
    "ctrl+space": "\x00",
    "ctrl+backslash": "\x1c",
}
KEYS |= {f"ctrl+{letter}": chr(ord(letter) - ord("a") + 1) for letter in "abcdefghijklmnopqrstuvwxyz"}
_ARROWS = {"up": "A", "down": "B", "right": "C", "left": "D", "home": "H", "end": "F"}
_MODIFIER_CODES = {"shift": 2, "alt": 3, "ctrl": 5, "ctrl+shift": 6}
KEYS |= {
    f"{mod}+{name}": f"\x1b[1;{code}{final}" for mod, code in _MODIFIER_CODES.items() for name, final in _ARROWS.items()
}
#: The README's key names.
KEYS |= {"esc": ESC, "↑": KEYS["up"], "↓": KEYS["down"], "←": KEYS["left"], "→": KEYS["right"]}


def key_bytes(name: str) -> bytes:
    """The bytes a terminal sends for the key ``name`` ("F3", "ctrl+q", "up", "alt+x", or one character)."""
    lowered = name.lower()
    if lowered in KEYS:
        return KEYS[lowered].encode()
    if lowered.startswith("alt+") and len(name) == 5:
        return (ESC + name[4]).encode()
    if len(name) == 1:
        return name.encode()
    raise ValueError(f"no terminal sequence known for the key {name!r}")


def tui_lab_script() -> str:
    """The ``tui-lab`` console script beside this interpreter (the venv's, or the installed one in CI)."""
    beside = Path(sys.executable).parent / "tui-lab"
    if beside.exists():
        return str(beside)
    found = shutil.which("tui-lab")
    if found is None:
        raise RuntimeError("the tui-lab console script is not installed (pip install -e .)")
    return found


class TerminalTimeout(AssertionError):
    """A state the test waited for did not come; the message shows the screen."""


class Terminal:
    """A program in a pty whose output feeds a pyte screen; keys and pastes go in as a terminal sends them."""

    def __init__(self, process: ptyprocess.PtyProcess, size: tuple[int, int], *, sync_output: bool = True) -> None:
        self.process = process
        self.size = size
        self.sync_output = sync_output
        columns, rows = size
        self._screen = pyte.Screen(columns, rows)
        self._stream = pyte.ByteStream(self._screen)
        self._raw = bytearray()
        self._carry = b""
        self._in_sync = False
        self._frame: list[str] = self._screen.display
        self._frames = 0
        self._changed = threading.Condition()
        self._write_lock = threading.Lock()
        self._lone_escape = False
        self._bracketed = False
        self._eof = False
        self._reader = threading.Thread(target=self._read_loop, name="pty-reader", daemon=True)
        self._reader.start()

    # -- starting and stopping ------------------------------------------------------------

    @classmethod
    def spawn(
        cls,
        args: Sequence[str] = (),
        *,
        size: tuple[int, int] = (80, 24),
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        program: Sequence[str] | None = None,
        sync_output: bool = True,
    ) -> Terminal:
        """Start ``tui-lab args`` (or ``program``) in a pty of ``size`` (columns, rows)."""
        argv = [*(program if program is not None else [tui_lab_script()]), *args]
        columns, rows = size
        process = ptyprocess.PtyProcess.spawn(
            argv, cwd=str(cwd) if cwd is not None else None, env=dict(env) if env is not None else None,
            dimensions=(rows, columns),
        )  # fmt: skip
        return cls(process, size, sync_output=sync_output)

    @property
    def alive(self) -> bool:
        """The program still runs."""
        return bool(self.process.isalive())

    @property
    def exit_status(self) -> int | None:
        """The program's exit status once it has ended (a signal's number as a negative value)."""
        if self.process.isalive():
            return None
        if self.process.signalstatus is not None:
            return -int(self.process.signalstatus)
        return int(self.process.exitstatus) if self.process.exitstatus is not None else None

    def close(self, timeout: float = 60.0) -> int | None:
        """Quit as a person does (ctrl+q), wait for the program to end, and return its exit status."""
        if self.alive:
            self.keys("ctrl+q", wait=False)
            self.wait_until(lambda: not self.alive, "the app to exit after ctrl+q", timeout=timeout)
        self.kill()
        return self.exit_status

    def kill(self) -> None:
        """End the program at once (teardown), and stop reading."""
        if self.process.isalive():
            try:
                self.process.kill(signal.SIGKILL)
            except OSError:
                pass
            deadline = time.monotonic() + 10
            while self.process.isalive() and time.monotonic() < deadline:
                time.sleep(0.01)
        self._reader.join(timeout=5)
        try:
            self.process.close(force=True)
        except OSError:
            pass

    # -- what the program wrote ---------------------------------------------------------------

    @property
    def raw(self) -> bytes:
        """Every byte the program has written to the terminal so far."""
        with self._changed:
            return bytes(self._raw)

    @property
    def bracketed_paste(self) -> bool:
        """The program has turned bracketed paste on (``ESC[?2004h``) and not off since."""
        with self._changed:
            return self._bracketed

    @property
    def frames(self) -> int:
        """How many complete frames (synchronized updates) have been shown."""
        with self._changed:
            return self._frames

    def screen(self) -> list[str]:
        """The screen's lines as a person sees them (the last complete frame), each ``columns`` wide."""
        with self._changed:
            return list(self._frame)

    def cell(self, row: int, column: int) -> pyte.screens.Char:
        """One cell of the screen as pyte holds it now: its character, colours (``"rrggbb"`` for truecolor) and attributes."""
        with self._changed:
            return self._screen.buffer[row][column]

    def text(self) -> str:
        """The screen as one string, trailing blanks of each line removed."""
        return "\n".join(line.rstrip() for line in self.screen())

    def show(self) -> str:
        """The screen in a frame, for assertion messages."""
        columns, _ = self.size
        lines = [f"┌{'─' * columns}┐", *(f"│{line}│" for line in self.screen()), f"└{'─' * columns}┘"]
        status = "running" if self.alive else f"exited ({self.exit_status})"
        return "\n".join(lines) + f"\n(program {status}, {len(self.raw)} bytes received)"

    def in_raw_mode(self) -> bool:
        """The program has switched the terminal out of line-editing (canonical) mode."""
        lflag = termios.tcgetattr(self.process.fd)[3]
        return not lflag & termios.ICANON

    # -- waiting -------------------------------------------------------------------------------

    def wait_until(self, predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
        """Wait until ``predicate()`` holds (checked on every change of the screen); ``timeout`` only bounds it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                if predicate():
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(min(left, 0.2))
        raise TerminalTimeout(f"waited {timeout:.0f} s for {what}; the screen:\n{self.show()}{self.stacks()}")

    def stacks(self) -> str:
        """Every thread's Python stack in the program, when py-spy is installed (for a wait that timed out)."""
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if not self.process.isalive() or not Path(spy).exists():
            return ""
        try:
            dump = subprocess.run(
                [spy, "dump", "--pid", str(self.process.pid)], capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.SubprocessError) as error:
            return f"\n(py-spy: {error})"
        return f"\nthe program's threads (py-spy dump):\n{dump.stdout}{dump.stderr}"

    def wait_for(self, pattern: str | re.Pattern[str], timeout: float = 60.0) -> re.Match[str]:
        """Wait until the screen shows ``pattern`` (a regular expression, matched line-wise) and return the match."""
        regex = re.compile(pattern, re.MULTILINE) if isinstance(pattern, str) else pattern
        found: list[re.Match[str]] = []

        def shown() -> bool:
            match = regex.search(self.text())
            if match is not None:
                found.append(match)
            return match is not None or self._eof

        self.wait_until(shown, f"the screen to show {regex.pattern!r}", timeout)
        if not found:
            raise TerminalTimeout(f"the program ended before the screen showed {regex.pattern!r}:\n{self.show()}")
        return found[0]

    def wait_gone(self, pattern: str | re.Pattern[str], timeout: float = 60.0) -> None:
        """Wait until the screen no longer shows ``pattern``."""
        regex = re.compile(pattern, re.MULTILINE) if isinstance(pattern, str) else pattern
        self.wait_until(lambda: regex.search(self.text()) is None, f"{regex.pattern!r} to leave the screen", timeout)

    def wait_read(self, timeout: float = 60.0) -> None:
        """Wait until the program has read everything written to it (nothing left in the tty's input)."""
        deadline = time.monotonic() + timeout
        while self._input_pending():
            if time.monotonic() > deadline:
                raise TerminalTimeout(f"the program did not read its input within {timeout:.0f} s:\n{self.show()}")
            time.sleep(0.002)

    def _input_pending(self) -> bool:
        """Bytes written to the program that it has not read yet.

        ``poll`` on the slave side first pushes the pty's buffered input through (a write to the master
        reaches the slave asynchronously), then says whether any of it is still unread. In line-editing
        mode only a whole line counts as readable, which is what the program could read then too.
        """
        if not self.alive:
            return False
        number = struct.unpack("I", fcntl.ioctl(self.process.fd, _TIOCGPTN, struct.pack("I", 0)))[0]
        try:
            slave = os.open(f"/dev/pts/{number}", os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError:
            return False  # the program has ended and the pty is gone
        try:
            poller = select.poll()
            poller.register(slave, select.POLLIN)
            return bool(poller.poll(0))
        finally:
            os.close(slave)

    # -- input ---------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Write raw bytes to the program, as one write (one read, for a program that keeps up)."""
        if self._lone_escape and not data.startswith(ESC.encode()):
            data = FOCUS_IN + data  # so a pressed Esc stays a key, not an Alt prefix of ``data``
        self._lone_escape = data.endswith(ESC.encode())
        with self._write_lock:
            view = memoryview(data)
            while view:
                written = os.write(self.process.fd, view)
                view = view[written:]

    def keys(self, *names: str, wait: bool = True) -> None:
        """Press keys one after the other ("F3", "ctrl+q", "up", "enter", "a"); each is read before the next goes."""
        for name in names:
            self.write(key_bytes(name))
            if wait:
                self.wait_read()

    def type(self, text: str, *, burst: bool = False, per_char_delay: float | None = None) -> None:
        """Type ``text``: key by key, each read by the app before the next (a person typing), or in one burst.

        ``burst`` writes it all at once, as ``tmux send-keys`` does (one read: the app sees the keys at
        once). ``per_char_delay`` adds a pause between keys on top of waiting for each to be read (typing
        at a person's speed; never needed for a test to pass). A newline is typed as Enter.
        """
        data = text.replace("\n", "\r")
        if burst:
            self.write(data.encode())
            self.wait_read()
            return
        for character in data:
            self.write(character.encode())
            self.wait_read()
            if per_char_delay:
                time.sleep(per_char_delay)

    def paste(self, text: str, *, bracketed: bool = True) -> None:
        """Paste ``text`` as a terminal does: one write, newlines sent as CR (as xterm and tmux do).

        With ``bracketed`` the text is wrapped in ``ESC[200~ … ESC[201~``, but only if the app has turned
        bracketed paste on; ``bracketed=False`` is a terminal without it (or ``tmux paste-buffer`` without -p).
        """
        data = text.replace("\r\n", "\n").replace("\n", "\r").encode()
        if bracketed and self.bracketed_paste:
            data = PASTE_START + data + PASTE_END
        self.write(data)
        self.wait_read()

    def resize(self, size: tuple[int, int]) -> None:
        """Resize the terminal to (columns, rows), as a window resize does (SIGWINCH)."""
        columns, rows = size
        with self._changed:
            self.size = size
            self._screen.resize(rows, columns)
        self.process.setwinsize(rows, columns)

    # -- reading -------------------------------------------------------------------------------

    def _read_loop(self) -> None:
        fd = self.process.fd
        while True:
            try:
                ready, _, _ = select.select([fd], [], [], 0.2)
            except (OSError, ValueError):
                break
            if not ready:
                if not self.process.isalive():
                    break
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the program ended and closed the terminal
                break
            if not data:
                break
            self._received(data)
        with self._changed:
            self._eof = True
            self._changed.notify_all()

    def _received(self, data: bytes) -> None:
        with self._changed:
            self._raw += data
            self._note_modes(data)
            buffer, self._carry = self._carry + data, b""
            held = _partial_marker_length(buffer)
            if held:
                buffer, self._carry = buffer[:-held], buffer[-held:]
            position = 0
            for match in re.finditer(b"|".join(re.escape(m) for m in _MARKERS), buffer):
                self._stream.feed(buffer[position : match.end()])
                position = match.end()
                marker = match.group(0)
                if marker == SYNC_START:
                    self._in_sync = True
                elif marker == SYNC_END:
                    self._in_sync = False
                    self._take_frame()
                elif self.sync_output:
                    self._reply(SYNC_REPLY)
            self._stream.feed(buffer[position:])
            if not self._in_sync:
                self._take_frame()
            self._changed.notify_all()

    def _note_modes(self, data: bytes) -> None:
        tail = self._raw[-(len(data) + len(BRACKETED_ON)) :]
        on, off = tail.rfind(BRACKETED_ON), tail.rfind(BRACKETED_OFF)
        if on != off:  # -1 for both when neither came
            self._bracketed = on > off

    def _take_frame(self) -> None:
        self._frame = self._screen.display
        self._frames += 1

    def _reply(self, data: bytes) -> None:
        """Answer a query the program sent, as a terminal does (from the reading thread)."""
        with self._write_lock:
            try:
                os.write(self.process.fd, data)
            except OSError:
                pass


def _partial_marker_length(buffer: bytes) -> int:
    """How many bytes at the end of ``buffer`` could be the start of a marker split across reads (not a whole one)."""
    longest = max(len(m) for m in _MARKERS) - 1
    for size in range(min(longest, len(buffer)), 0, -1):
        tail = buffer[-size:]
        if any(len(tail) < len(marker) and marker.startswith(tail) for marker in _MARKERS):
            return size
    return 0


def lab_environment(home: Path, *, extra: Mapping[str, str] | None = None, drop: Iterable[str] = ()) -> dict[str, str]:
    """The environment of a person's terminal: this one's, with ``TERM=xterm-256color``, truecolor, UTF-8 and ``home``.

    Variables that would change how Textual draws or where state goes are left out.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "PYTEST_", "COLUMNS", "LINES"))}
    for name in ("NO_COLOR", "COLORTERM", "TMUX", "TERM_PROGRAM", "ESCDELAY", *drop):
        env.pop(name, None)
    env.update(TERM="xterm-256color", COLORTERM="truecolor", LANG="C.UTF-8", LC_ALL="C.UTF-8", TUI_LAB_HOME=str(home))
    env.update(extra or {})
    return env

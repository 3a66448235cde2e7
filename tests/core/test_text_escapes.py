"""core.text: Python escapes for recalled code, and shown paths that still find the real file."""

from __future__ import annotations

import ast
import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tui_lab.core.text import CONTROL_CHARACTERS, ShownPaths, one_line, python_escapes, visible

OSC52 = "\x1b]52;c;UFdORUQ=\x1b\\"


def test_python_escapes_keep_newlines_and_tabs_and_escape_the_rest() -> None:
    code = "s = '\x1b[2J'\nif s:\n\tprint(s, '\u202e', '\x9b', '\x7f')"
    escaped = python_escapes(code)
    assert escaped == "s = '\\x1b[2J'\nif s:\n\tprint(s, '\\u202e', '\\x9b', '\\x7f')"
    assert python_escapes("a = 1\r\nb = 2") == "a = 1\nb = 2"
    assert python_escapes("plain = 'text'") == "plain = 'text'"


#: Any text but a backslash, a quote or a carriage return (which Python source reads as a line end).
LITERAL_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_characters='\\"\r'), max_size=40)


@given(LITERAL_TEXT)
def test_python_escapes_keep_a_string_literal_meaning_the_same(text: str) -> None:
    source = '"""' + text + '"""'  # a literal holding raw control characters
    shown = python_escapes(source)
    assert not CONTROL_CHARACTERS.search(shown.replace("\n", "").replace("\t", ""))
    assert ast.literal_eval(shown) == text
    if "\x00" not in text:  # Python refuses a raw NUL in source; escaped, the literal works
        assert ast.literal_eval(source) == text


def test_control_characters_is_what_visible_changes() -> None:
    for code in [*range(0x20), *range(0x7F, 0xA0), 0x202E, 0x2066]:
        char = chr(code)
        assert CONTROL_CHARACTERS.fullmatch(char) and visible(char) != char
    assert not CONTROL_CHARACTERS.search("plain text ␛ é 中")


def test_shown_paths_show_one_line_and_give_back_the_real_path(tmp_path: Path) -> None:
    real = str(tmp_path / f"c{OSC52}\x1b[2J.csv")
    paths = ShownPaths()
    shown = paths.show(real)
    assert shown == one_line(real) and "\x1b" not in shown
    assert paths.real(shown) == real
    assert paths.real("elsewhere.csv") == "elsewhere.csv"
    assert paths.show("plain.csv") == "plain.csv" and paths.real("plain.csv") == "plain.csv"


def test_shown_paths_map_a_hostile_folder_under_more_typing(tmp_path: Path) -> None:
    folder = tmp_path / "two\nlines"
    paths = ShownPaths()
    shown = paths.show(str(folder / "a_processed.csv"))
    assert "\n" not in shown and "two␊lines" in shown
    typed = shown.replace("a_processed.csv", "other.csv")
    assert paths.real(typed) == str(folder / "other.csv")
    assert paths.real(shown.rsplit(os.sep, 1)[0] + os.sep) == str(folder) + os.sep

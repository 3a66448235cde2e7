"""When Enter runs the REPL input: IPython's rule for typed code, codeop's for code that came whole."""

from __future__ import annotations

import pytest

from tui_lab.core.repl.input import input_state


@pytest.mark.parametrize(
    ("source", "typed", "whole"),
    [
        ("def f(a):\n    return a * 2", "incomplete", "complete"),  # a pasted def cell: one Enter
        ("with open('f') as h:\n    h.read()", "incomplete", "complete"),
        ("for i in range(3):\n    print(i)\nprint('done')", "complete", "complete"),
        ("for i in range(3):", "incomplete", "incomplete"),  # an open block is open either way
        ("x = [1,\n 2", "incomplete", "incomplete"),
        ("def f(:", "invalid", "invalid"),
        ("x = 1\ny = 2", "complete", "complete"),
        ("", "incomplete", "incomplete"),
    ],
)
def test_code_that_came_whole_runs_once_it_compiles(source: str, typed: str, whole: str) -> None:
    assert input_state(source) == typed
    assert input_state(source, whole=True) == whole

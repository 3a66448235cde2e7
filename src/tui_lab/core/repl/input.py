"""When Enter should run the REPL input, and how to indent the next line (IPython's rules).

Plain functions over text, so the editor widget stays thin and the rules are tested here.
"""

from __future__ import annotations

import ast
from typing import Literal

InputState = Literal["complete", "incomplete", "invalid"]


def input_state(source: str, *, whole: bool = False) -> InputState:
    """Whether Enter should run ``source`` (IPython's rule, on top of ``codeop``).

    Incomplete when ``codeop`` wants more lines, or, for typed code, when a multi-line input ends
    on an indented line (a block is open until a blank line). Code that came ``whole`` (a paste, a
    recalled input) runs as soon as it compiles, as Jupyter's and qtconsole's Enter does: a
    pasted ``def`` cell needs no second Enter. Invalid input runs, to show the error.
    """
    import codeop

    if not source.strip():
        return "incomplete"
    lines = source.split("\n")
    try:
        code = codeop.compile_command(source, "<input>", "exec")
    except (SyntaxError, ValueError, OverflowError):
        return "invalid"
    if code is None:
        return "incomplete"
    if not whole and len(lines) > 1 and lines[-1].strip() and _ends_in_block(source):
        return "incomplete"
    return "complete"


def _ends_in_block(source: str) -> bool:
    """True when the last top-level statement is a compound one (def, for, if, with, ...)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and hasattr(body[-1], "body") and body[-1].lineno != body[-1].end_lineno


def next_indent(line: str) -> str:
    """The indentation for the line after ``line``: one level deeper after ``:``, shallower after ``return``."""
    indent = line[: len(line) - len(line.lstrip())]
    words = line.split()
    if _ends_with_colon(line):
        return indent + "    "
    if words and words[0] in {"return", "pass", "break", "continue", "raise"}:
        return indent[:-4] if indent.endswith("    ") else ""
    return indent


def _ends_with_colon(line: str) -> bool:
    """True when the last real token of ``line`` is ``:`` (comments and strings ignored)."""
    import io
    import tokenize

    last = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline):
            if token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER):
                last = token
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # an open bracket or string: the tokens read so far still tell
    return last is not None and last.type == tokenize.OP and last.string == ":"

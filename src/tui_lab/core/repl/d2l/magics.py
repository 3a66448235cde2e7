"""IPython magics at the start of a pasted cell (``%matplotlib inline``), accepted as no-ops.

The book's cells start with ``%matplotlib inline``; a plain Python REPL would stop at the
``%`` with a SyntaxError. :func:`strip_leading_magics` blanks such lines (keeping the line
numbers of everything after them, so tracebacks still point at the right line) and returns
one note per skipped line.
"""

from __future__ import annotations

import io
import re
import tokenize

from tui_lab.core.text import one_line

#: ``%name ...`` or ``%%name ...`` (a line or cell magic), as IPython spells them.
_MAGIC = re.compile(r"^\s*(%%?)([A-Za-z_][\w.]*)(.*)$")

_EXPLAINED = {
    "matplotlib": "figures are shown inline in the log already",
    "config": "IPython configuration does not apply here",
    "load_ext": "IPython extensions do not load here",
    "autoreload": "modules are not reloaded automatically here",
}


def strip_leading_magics(source: str) -> tuple[str, tuple[str, ...]]:
    """``source`` with the magic lines before its first statement blanked, and a note for each."""
    lines = source.split("\n")
    notes: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _MAGIC.match(line)
        if match is None:
            break
        kind, name = match.group(1), match.group(2)
        why = _EXPLAINED.get(name, "IPython magics do not run in tui-lab's REPL")
        scope = "cell magic: the rest of the cell ran as plain Python" if kind == "%%" else "skipped"
        notes.append(f"{one_line(stripped, 60)}: {scope} ({why}).")
        lines[index] = ""
    return "\n".join(lines), tuple(notes)


def ends_with_semicolon(source: str) -> bool:
    """True when the cell's last token is ``;``: IPython then shows no ``Out[n]`` (``d2l.plt.scatter(...);``)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return False
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT}
    meaningful = [t for t in tokens if t.type not in skip]
    return bool(meaningful) and meaningful[-1].string == ";"

"""A crafted session exports without a control character, and its markdown holds only plain words.

Issue #20.11: REPL output and run status went raw into the script's comments and the notebook's
markdown, so ``cat session.py`` could set the clipboard (OSC 52) or the terminal title.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

from tui_lab.core.session.export import build_notebook, build_script, export_notebook, plain
from tui_lab.core.session.model import NotSaved, ReplEntry, RunState, SessionState, TrainState
from tui_lab.core.session.panestates import ReplState, RunConfig, RunResultState
from tui_lab.core.text import CONTROL_CHARACTERS

OSC52 = "\x1b]52;c;UFdORUQ=\x1b\\"
TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"
#: What a markdown cell may hold: tui-lab's words, numbers, names, and ``#`` / `` ` `` / ``-`` / ``[]`` of its own layout.
MARKDOWN_CHARS = re.compile(r"[A-Za-z0-9 .,:;'()/=+\-δσ?_#`\[\]\n…|]*")


def hostile_state() -> SessionState:
    """A state no decoded file can hold (the schema refuses such fields on disk): the export must still
    neither crash nor write a control character."""
    config = RunConfig(impl="scratch", lr=0.03, batch_size=10, epochs=2, seed=1)
    run = RunState(
        run_id=1,
        config=config,
        status=f"done{OSC52}",  # type: ignore[arg-type]
        message=f"finished {TITLE}",
        steps_per_epoch=100,
        epoch_losses=(0.5, 0.25),
        result=RunResultState(w=(1.5, "abc", 10**400), b=f"{CLEAR}"),  # type: ignore[arg-type]
    )
    return SessionState(
        saved_at=f"2024-01-01T10:00:00{TITLE}",
        not_saved=(
            NotSaved("gen", f"generator{OSC52}", f"cannot pickle <script>alert(1)</script> {CLEAR}"),
            NotSaved(f"bad{TITLE}", "int", "not a name"),
        ),
        panes=(
            TrainState(form={}, runs=(run,)),
            ReplState(
                log=(
                    ReplEntry(
                        source="print('" + OSC52.replace("\\", "\\\\") + "')", output=f"{OSC52}{TITLE}{CLEAR}done\n"
                    ),
                    ReplEntry(source="x = 1  # \u202e evil", output=f"line\r{CLEAR}\n"),
                )
            ),
        ),
        version=f"0.4{TITLE}",
    )


def test_the_script_holds_no_control_character_and_parses() -> None:
    script = build_script(hostile_state())
    assert not CONTROL_CHARACTERS.search(script.replace("\n", "")), "a control character reached the script"
    tree = ast.parse(script)  # comments and code stay apart: the output never became code
    printed = [
        node for node in ast.walk(tree) if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print"
    ]
    # The input keeps its meaning: the escape inside the literal is still the ESC it was.
    assert printed and ast.literal_eval(printed[0].args[0]) == OSC52
    assert "# | ␛]52;c;UFdORUQ=␛\\␛]0;pwned␇␛[2Jdone" in script


def test_markdown_cells_hold_only_plain_words() -> None:
    notebook = build_notebook(hostile_state())
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    assert markdown
    for source in markdown:
        assert MARKDOWN_CHARS.fullmatch(source), source
    head = next(source for source in markdown if source.startswith("### Run 1"))
    assert "Status ?;" in head and "learned w = [1.5, ?, ?], b = ?." in head
    everything = "\n".join(markdown)
    assert "<script>" not in everything and "bad" not in everything  # a name that is not a name is left out
    assert "Saved at an unknown time" in everything and "(unknown version)" in everything


def test_notebook_outputs_show_escapes_and_the_file_has_no_esc(tmp_path: Path) -> None:
    path = export_notebook(tmp_path / "s.ipynb", hostile_state())
    raw = path.read_text(encoding="utf-8")
    assert "\x1b" not in raw and "\\u001b" not in raw  # neither raw nor JSON-escaped ESC
    notebook = nbformat.read(path, as_version=4)
    outputs = [out.text for cell in notebook.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]
    assert outputs[0].startswith("␛]52;c;UFdORUQ=␛\\")
    assert outputs[1] == "line␍␛[2J\n"


def test_plain_keeps_words_and_numbers_only() -> None:
    assert plain("too large: 3.2 GB (limit 1 GB)") == "too large: 3.2 GB (limit 1 GB)"
    assert plain("a *b* [c](d) <e>") == "a ?b? ?c?(d) ?e?"
    assert plain("x" * 300, limit=10) == "x" * 9 + "…"

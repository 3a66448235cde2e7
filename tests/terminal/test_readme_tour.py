"""README.md's "The first two minutes", typed into the real tui-lab in a pty at 80×24, checked on the screen.

The keys are the README's own (parsed by ``tests/ui/test_readme_tour.py``, which runs the same tour through
Pilot), typed one by one as bytes a terminal sends, each read by the app before the next. A person looks
before typing into what a key opened: where the README's next key goes into a dialog or depends on a
result, the test waits for that state on the screen (``SEEN``), never for time. Each result the README
names is then read off the screen: the course's X and y as the REPL prints them, two finished runs
overlaid, the graph's nodes, the walk's last step and ``w.grad``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.terminal.harness import Terminal
from tests.ui.test_readme_tour import COURSE_X, COURSE_Y, README, Press, TourStep, read_tour

pytestmark = pytest.mark.terminal

#: What a person waits to see after a key before typing the next: (pane, group, key index) → pattern.
SEEN: dict[tuple[str, int, int], str] = {
    ("Data", 0, 0): r"house_tiny\.csv · 4 × 3",
    ("Data", 1, 0): r"│ Split inputs / target",
    ("Data", 1, 4): r"target: Price",
    ("Data", 2, 0): r"│ Fill missing values",
    ("Data", 2, 1): r"\d fill NaN \(mean\): NumRooms",
    ("Data", 3, 0): r"│ One-hot encode",
    ("Data", 3, 1): r"\d one-hot Alley \(\+NaN\)",
    ("Data", 4, 0): r"│ To tensors",
    ("Data", 4, 1): r"Tensors published",
    ("REPL", 0, 0): r"In \[1\]:",
    ("REPL", 1, 1): r"shape \(4, 3\) · torch\.float32",
    ("REPL", 2, 1): r"shape \(4,\) · torch\.float32",
    ("Train", 0, 0): r"impl ",
    ("Train", 1, 0): r"│ Features X",
    ("Train", 1, 2): r"│ Targets y",
    ("Train", 1, 4): r"y name +y\b",
    ("Train", 2, 0): r"#1 .*finished",
    ("Train", 3, 0): r"#2 .*finished",
    ("Graph", 0, 0): r"▶",
    ("Graph", 1, 1): r"MvBackward0",
    ("Graph", 2, 4): r"step 5 of 5",
    ("Graph", 3, 0): r"grad=\[",
}
#: What a person waits to see go: the dialog a key closed (a key pressed while it still shows goes to it).
GONE: dict[tuple[str, int, int], str] = {
    ("Data", 1, 4): r"│ Split inputs / target",
    ("Data", 2, 1): r"│ Fill missing values",
    ("Data", 3, 1): r"│ One-hot encode",
    ("Data", 4, 1): r"│ To tensors",
    ("Train", 1, 2): r"│ Features X",
    ("Train", 1, 4): r"│ Targets y",
}


#: A notification's left edge and text: it covers what is under it until it times out.
TOAST = r"▌ \S"


def log_rows(term: Terminal) -> list[str]:
    """The REPL log's lines as shown (the part left of the variable pane)."""
    return [line.split("│")[0].rstrip() for line in term.screen()]


def printed_tensor(rows: list[str], start: str) -> list[list[float]]:
    """The values of the tensor printed from the row starting with ``start`` to its closing ``])``."""
    first = next(i for i, row in enumerate(rows) if row.startswith(start))
    text = ""
    for row in rows[first:]:
        text += row
        if row.endswith(")"):
            break
    body = re.fullmatch(r"tensor\((.*)\)", text.replace(" ", ""))
    assert body, f"not a tensor as torch prints it: {text!r}"
    values = eval(body.group(1), {"__builtins__": {}})  # digits, dots, commas and brackets only, checked above
    return values if isinstance(values[0], list) else [values]


def check_data(term: Terminal, step: TourStep) -> None:
    text = term.text()  # the notification that says what was published
    assert "X: (4, 3) float32" in text and "y: (4,) float32" in text and "float32" in step.prose
    assert "workspace: 2 names" in text


def check_repl(term: Terminal, step: TourStep) -> None:
    term.wait_gone(TOAST)  # a person reads the log once the notification over it has gone
    rows = log_rows(term)
    for shown in re.findall(r"`(tensor\(\[[^`]*?)(?: …)?`", step.prose):
        assert any(row.startswith(shown) for row in rows), f"the README says the REPL prints {shown!r}:\n{term.show()}"
    assert printed_tensor(rows, "tensor([[") == COURSE_X
    assert printed_tensor(rows, "tensor([1") == [COURSE_Y]
    text = term.text()
    assert re.search(r"X \(4, 3\) float32 cpu", text) and re.search(r"y \(4,\) float32 cpu", text)


def check_train(term: Terminal, step: TourStep) -> None:
    text = term.text()
    # Each run has its own marker in the legend (the older drawn with a marker, the newest in braille).
    assert re.search(r"\S #1\b.*\S #2\b", text), "the second run is overlaid on the first"
    # At 80x24 the form folds into its summary line while runs are shown: the workspace's X and y.
    assert re.search(r"▸ settings concise .*X=X y=y", text)
    assert re.search(r"workspace: [4-9] names", text), "w and b land in the workspace"


def check_graph(term: Terminal, step: TourStep) -> None:
    text = term.text()
    listed = re.search(r"\(([^)]*MvBackward0[^)]*)\)", step.prose)
    assert listed
    for node in re.findall(r"\w+Backward0", listed.group(1)):
        assert node in text
    assert "-8.634e+05, …" in step.prose
    assert "grad=[-8.634e+05, -6.375e+04, -2.12e+05]" in text


CHECKS: dict[str, Callable[[Terminal, TourStep], None]] = {
    "Data": check_data,
    "REPL": check_repl,
    "Train": check_train,
    "Graph": check_graph,
}


def press(term: Terminal, key: Press) -> None:
    if key.typed:
        term.type(key.text)
    else:
        term.keys(key.text)


@pytest.mark.timeout(600)
def test_the_first_two_minutes_typed_in_a_terminal_end_as_documented(spawn: Callable[..., Terminal]) -> None:
    steps = read_tour(README.read_text(encoding="utf-8"))
    term = spawn("sample_data/house_tiny.csv", size=(80, 24))  # as `make run` starts it
    term.wait_for(r"house_tiny\.csv · 4 × 3")
    term.wait_for(r"cpu · \d+ thread", timeout=120)  # a person starts once the app is up
    for step in steps:
        for g, group in enumerate(step.groups):
            for k, key in enumerate(group):
                press(term, key)
                if (step.pane, g, k) in SEEN:
                    term.wait_for(SEEN[step.pane, g, k], timeout=120)
                if (step.pane, g, k) in GONE:
                    term.wait_gone(GONE[step.pane, g, k], timeout=120)
            if step.pane == "Graph" and group[0].text == "ctrl+t":
                assert "step 5 of 5" in term.text() and "w: [-8.634e+05, -6.375e+04, -2.12e+05]" in term.text()
        CHECKS[step.pane](term, step)
    assert term.close() == 0

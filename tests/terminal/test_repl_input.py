"""The REPL's input as a student meets it in tmux: pasting the book's cells, and typing while a cell runs.

One app per journey (a pty test costs a process and torch's import), at 80×24 and 120×40.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.terminal.conftest import SIZES
from tests.terminal.harness import Terminal

pytestmark = pytest.mark.terminal

#: d2l §3.4's ``sgd``: a def holding a with holding a for (the cell came out with its lines out of order).
SGD = '''def sgd(params, lr, batch_size):  #@save
    """Minibatch stochastic gradient descent."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()'''

#: Uses ``sgd`` as the book does: a wrong order or indentation gives another answer, or an error.
USE_SGD = (
    "p = torch.ones(2, requires_grad=True); (p * 4).sum().backward(); sgd([p], 0.5, 1); p.tolist(), p.grad.tolist()"
)
SGD_RESULT = r"Out\[\d+\]: \(\[-1\.0, -1\.0\], \[0\.0, 0\.0\]\)"


def started(spawn: Callable[..., Terminal], size: tuple[int, int]) -> Terminal:
    term = spawn("--pane", "repl", size=size)
    term.wait_for(r"cpu · \d+ thread")
    return term


def prompt(term: Terminal, number: int) -> None:
    """Wait for the idle prompt ``In [number]:``."""
    term.wait_for(rf"^ In \[{number}\]:\s*(│|$)")


def log(term: Terminal) -> str:
    """The log's text (left of the variable pane), lines joined."""
    return "\n".join(line.split("│")[0].rstrip() for line in term.screen())


@pytest.mark.parametrize("size", SIZES)
def test_pasted_cells_run_with_one_enter_and_keep_their_lines(
    spawn: Callable[..., Terminal], size: tuple[int, int]
) -> None:
    term = started(spawn, size)
    # A bracketed paste of a cell that ends inside a block (16 of the book's 103 cells), then one Enter.
    term.paste("def double(x):\n    return 2 * x")
    term.keys("enter")
    prompt(term, 2)
    term.paste("double(21)")  # the next cell: not joined to the block
    term.keys("enter")
    term.wait_for(r"Out\[2\]: 42")
    term.paste(SGD)
    term.keys("enter")
    prompt(term, 4)
    term.paste(USE_SGD)
    term.keys("enter")
    term.wait_for(SGD_RESULT)

    # A terminal without bracketed paste: the lines arrive as typed keys, Enter after each, all in one read.
    term.keys("ctrl+l")  # a clear log, so what follows is on screen
    term.paste(SGD.replace("def sgd", "def sgd2") + "\n", bracketed=False)
    term.keys("enter")  # the paste's last newline left an empty line: this Enter runs the cell
    prompt(term, 6)
    assert "Error" not in log(term), log(term)
    term.paste(USE_SGD.replace("sgd(", "sgd2(") + "\n", bracketed=False)
    term.wait_for(SGD_RESULT)
    term.paste("a = 1\nb = a + 1\nc = b + 1\n", bracketed=False)  # three inputs, queued behind each other
    prompt(term, 10)
    term.paste("c\n", bracketed=False)
    term.wait_for(r"Out\[10\]: 3")
    assert term.close() == 0


@pytest.mark.parametrize("size", SIZES)
def test_lines_typed_while_a_cell_runs_are_queued_and_run_in_order(
    spawn: Callable[..., Terminal], size: tuple[int, int], tmp_path: Path
) -> None:
    term = started(spawn, size)
    gate = tmp_path / "go"
    hold = f"import os, time\nwhile not os.path.exists({str(gate)!r}): time.sleep(0.01)\n"
    term.paste(hold)
    term.keys("enter")
    term.wait_for(r"In \[1\] running…")
    # Typed at a person's pace while In [1] runs: each key read before the next.
    for line in ("c1 = 1", "c2 = c1 + 1", "c3 = c2 + 1"):
        term.type(line)
        term.keys("enter")
    term.wait_for(r"In \[\*\]: c3 = c2 \+ 1")
    assert re.search(r"In \[\*\]: c1 = 1\n In \[\*\]: c2 = c1 \+ 1\n In \[\*\]: c3", log(term)), term.show()
    assert "3 queued" in term.text()
    # A person who waits to see each line queued before typing the next.
    term.type("b1 = 1")
    term.keys("enter")
    term.wait_for(r"4 queued")
    term.type("b2 = b1 + c3")
    term.keys("enter")
    term.wait_for(r"5 queued")
    term.keys("ctrl+l")  # an empty log: the five inputs' echoes all fit on the screen
    term.wait_gone(r"In \[1\]: import os")  # cleared before In [1] ends (else it could clear In [2]'s echo)
    gate.touch()
    term.wait_for(r"In \[6\]: b2 = b1 \+ c3")
    prompt(term, 7)
    text = log(term)
    lines = ("c1 = 1", "c2 = c1 + 1", "c3 = c2 + 1", "b1 = 1", "b2 = b1 + c3")
    order = [text.find(f"In [{n}]: {line}") for n, line in enumerate(lines, 2)]
    assert -1 not in order and order == sorted(order), term.show()
    term.type("b2")
    term.keys("enter")
    term.wait_for(r"Out\[7\]: 4")

    # ctrl+c interrupts the running input and drops the queue (each dropped input stays in the history).
    gate.unlink()
    term.paste(hold)
    term.keys("enter")
    term.wait_for(r"In \[8\] running…")
    term.type("never = 1")
    term.keys("enter")
    term.wait_for(r"In \[\*\]: never = 1")
    term.keys("ctrl+c")
    term.wait_for(r"KeyboardInterrupt")
    term.wait_for(r"1 queued input not run")
    prompt(term, 9)
    assert "In [*]" not in term.text()
    term.keys("up")
    term.wait_for(r"never = 1")  # recalled from the history
    assert term.close() == 0

"""matplotlib's figures in a real terminal (issue #24): the real ``tui-lab`` in a pty, read through pyte.

Half-block mode only: pyte draws text cells, not Kitty or Sixel graphics. A figure is coloured
``▀`` cells under the input that made it, as wide as the log; the book's cells run with matplotlib
installed; tmux gets half-blocks without being asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.terminal.harness import Terminal

pytest.importorskip("matplotlib", reason="the plots extra (the test extra installs it)")
pytestmark = pytest.mark.terminal

Spawn = Callable[..., Terminal]


def wait_ready(term: Terminal) -> None:
    term.wait_for(r"In \[1\]:")
    term.wait_for(r"cpu ·")  # torch has loaded: the status bar names the device


def run_cell(term: Terminal, code: str, number: int) -> None:
    """Paste ``code`` as one input, run it, and wait for the next prompt."""
    term.paste(code)
    term.keys("f9")
    term.wait_for(rf"In \[{number + 1}\]:", timeout=180)


def figure_rows(term: Terminal, below: int = 0) -> list[int]:
    """Rows (from ``below`` on) holding half-block cells whose colours are not the terminal's defaults."""
    columns, rows = term.size
    found = []
    for row in range(below, rows):
        for column in range(columns):
            cell = term.cell(row, column)
            if cell.data == "▀" and cell.fg != "default" and cell.bg != "default":
                found.append(row)
                break
    return found


def row_of(term: Terminal, pattern: str) -> int:
    for index, line in enumerate(term.screen()):
        if re.search(pattern, line):
            return index
    raise AssertionError(f"{pattern!r} is not on the screen:\n{term.show()}")


def test_plt_plot_draws_coloured_cells_under_its_input(spawn: Spawn) -> None:
    term = spawn("--images", "blocks", size=(120, 40))
    wait_ready(term)
    run_cell(term, "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9])", 1)
    term.wait_for(r"Out\[1\]: \[<matplotlib\.lines\.Line2D")
    prompt = row_of(term, r"In \[1\]:")
    rows = figure_rows(term, below=prompt + 1)
    assert len(rows) >= 10, f"a figure of coloured half-blocks under In [1]:\n{term.show()}"
    assert rows[-1] < row_of(term, r"Out\[1\]"), "between the input and its value"
    colours = {term.cell(row, column).fg for row in rows for column in range(120)} - {"default"}
    assert len(colours) >= 3, "the axes, the ticks and the curve are drawn in their own colours"
    term.close()


def right_edge(term: Terminal) -> int:
    """The rightmost column of the figure's half-block cells (-1 when none is on screen)."""
    columns, _ = term.size
    return max((c for r in figure_rows(term) for c in range(columns) if term.cell(r, c).data == "▀"), default=-1)


def drawn(term: Terminal) -> int:
    """Wait until the figure's pixels are on screen (they can come a frame after the next prompt); its right edge."""
    term.wait_until(lambda: len(figure_rows(term)) > 20, "the figure on screen", timeout=120)
    return right_edge(term)


def test_a_resize_draws_the_figure_again_at_the_new_width(spawn: Spawn) -> None:
    term = spawn("--images", "blocks", size=(120, 40))
    wait_ready(term)
    run_cell(term, "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9]);", 1)
    wide = drawn(term)
    assert wide > 60, term.show()
    term.resize((90, 40))
    term.wait_until(lambda: 0 < right_edge(term) < wide - 8, "the figure drawn again, narrower", timeout=120)
    assert right_edge(term) < 90, "the whole figure fits the new width"
    term.close()


def test_a_lower_terminal_draws_the_figure_again_within_the_log(spawn: Spawn) -> None:
    term = spawn("--images", "blocks", size=(120, 40))
    wait_ready(term)
    run_cell(term, "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9]);", 1)
    wide = drawn(term)
    tall = len(figure_rows(term))
    term.resize((120, 24))

    term.wait_until(
        lambda: 0 < right_edge(term) < wide - 8,
        "scaled down to the lower log (so narrower: it keeps its aspect)",
        timeout=120,
    )
    assert len(figure_rows(term)) < tall
    term.close()


def test_inside_tmux_figures_are_half_blocks_without_asking(spawn: Spawn) -> None:
    term = spawn(size=(120, 40), TMUX="/tmp/tmux-1000/default,1,0")
    wait_ready(term)
    run_cell(term, "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9]);", 1)
    term.wait_until(lambda: len(figure_rows(term)) >= 10, "the figure in half-blocks", timeout=120)
    assert b"\x1b_G" not in term.raw and b"\x1bP" not in term.raw, "no Kitty or Sixel sequence went out"
    term.close()


def test_text_mode_shows_one_line_per_figure(spawn: Spawn) -> None:
    term = spawn("--images", "text", size=(120, 40))
    wait_ready(term)
    run_cell(term, "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9]);", 1)
    term.wait_for(r"figure \d+ \(640×480, images are off")
    assert not figure_rows(term), term.show()
    term.close()


def test_the_books_calculus_and_linear_regression_cells_run_with_matplotlib(spawn: Spawn) -> None:
    from tests.core.repl.test_d2l_book import CALCULUS_CELLS, SCRATCH_CELLS

    term = spawn("--images", "blocks", size=(120, 40))
    wait_ready(term)
    number = 1
    for cell in CALCULUS_CELLS:
        run_cell(term, cell, number)
        number += 1
    term.wait_until(lambda: len(figure_rows(term)) >= 10, "the tangent-line plot", timeout=120)
    for cell in SCRATCH_CELLS:
        run_cell(term, cell, number)
        number += 1
    text = term.text()
    assert "error in estimating w" in text and "Traceback" not in text, term.show()
    term.close()


def test_kitty_graphics_reach_the_terminal_and_data_escapes_do_not(spawn: Spawn) -> None:
    """pyte draws no pictures, so the bytes say it: the upload and the placeholder cells went out; printed ESC did not."""
    term = spawn("--images", "kitty", size=(120, 40))
    wait_ready(term)
    run_cell(term, "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9]);", 1)
    term.wait_until(  # the pixels can come a frame after the next prompt
        lambda: b"\x1b_Ga=t,f=100" in term.raw and "\U0010eeee".encode() in term.raw,
        "the PNG went out, and the cells that show it",
        timeout=120,
    )
    run_cell(term, "print('\\x1b_Ga=t,f=100,i=7;AAAA\\x1b\\\\')", 2)
    term.wait_for("␛_Ga=t,f=100,i=7;AAAA")
    assert term.raw.count(b"\x1b_Ga=t,f=100,i=7") == 0, "a printed graphics command is shown as text, never sent"
    term.close()


def test_sixel_bands_reach_the_terminal(spawn: Spawn) -> None:
    term = spawn("--images", "sixel", size=(120, 40))
    wait_ready(term)
    run_cell(term, "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9]);", 1)
    assert term.raw.count(b'\x1bP0;0;0q"1;1;') >= 10, "one band per row of cells"
    term.close()


def test_ctrl_q_while_a_figure_is_drawn_again_and_again_quits_cleanly(spawn: Spawn) -> None:
    term = spawn("--images", "blocks", size=(120, 40))
    wait_ready(term)
    loop = "import matplotlib.pyplot as plt\nfor i in range(100_000):\n    plt.clf()\n    plt.plot([0, i % 7])\n    plt.pause(0.01)"
    term.paste(loop)
    term.keys("f9")
    term.wait_until(lambda: len(figure_rows(term)) > 20, "the figure drawn while the loop runs", timeout=120)
    term.wait_for(r"In \[1\] running")
    assert term.close() == 0, f"ctrl+q ends the app while the loop draws:\n{term.show()}"
    assert b"\x1b[?1049l" in term.raw[-2_000:], "the terminal's own screen is given back"


def test_alt_s_and_alt_i_open_their_pickers_while_typing_in_the_input(spawn: Spawn) -> None:
    term = spawn("--images", "blocks", size=(120, 40))
    wait_ready(term)
    run_cell(term, "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9]);", 1)
    term.keys("alt+s")  # ESC s, as a terminal sends it: the input must not take it for an "s"
    term.wait_for(r"save figure 1")
    term.keys("esc")
    term.wait_until(lambda: "save figure 1" not in term.show(), "the picker closed")
    term.keys("alt+i")
    term.wait_for(r"Images: now")
    term.keys("esc")
    term.wait_until(lambda: "Images: now" not in term.show(), "the picker closed")
    prompt = row_of(term, r"In \[2\]:")
    typed = term.screen()[prompt + 2].split("▎")[0].strip(" ▊")
    assert typed == "", f"nothing was typed into the input:\n{term.show()}"
    term.close()

"""What the REPL log draws: tensors laid out for its width, long lines wrapped, errors folded with a hint,
no escape reaching the terminal, late output, state problems said once, and the editing details users noticed."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from textual.geometry import Offset
from textual.selection import Selection
from textual.widgets import OptionList

from tests.ui.conftest import NotificationRecorder
from tests.ui.repl.helpers import enter_and_wait, run_cell
from tests.waiting import until
from tui_lab.core.repl.display import print_width
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.repl.editor import ReplInput
from tui_lab.ui.repl.log import ReplLog
from tui_lab.ui.repl.screen import ReplScreen
from tui_lab.ui.repl.variables import VariableList

AppFactory = Callable[..., TuiLabApp]


def log_lines(app: TuiLabApp) -> list[str]:
    log = app.screen.query_one("#repl-log", ReplLog)
    return [strip.text.rstrip() for strip in log.lines]


def drawn_text(app: TuiLabApp) -> str:
    """Every segment the log and the variable list would send to the terminal."""
    log = app.screen.query_one("#repl-log", ReplLog)
    rows = app.screen.query_one("#repl-vars", VariableList)
    parts = [segment.text for strip in log.lines for segment in strip]
    parts += [segment.text for y in range(rows.size.height) for segment in rows.render_line(y)]
    return "".join(parts)


def torch_lines(expression: Callable[[], object], width: int) -> list[str]:
    with print_width(width):
        return repr(expression()).splitlines()


def contains_run(lines: list[str], wanted: list[str]) -> bool:
    """``wanted`` appears in ``lines`` as consecutive, whole lines."""
    return any(lines[i : i + len(wanted)] == wanted for i in range(len(lines) - len(wanted) + 1))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_tensor_rows_are_laid_out_by_torch_for_the_log_never_rewrapped(
    make_app: AppFactory, size: tuple[int, int]
) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        assert isinstance(screen, ReplScreen)
        width = screen.log_width()
        assert width is not None
        await run_cell(pilot, "x = torch.arange(12); x")
        await run_cell(pilot, "torch.manual_seed(0)\ntorch.randn(3, 10)")
        lines = [re.sub(r"^Out\[\d+\]: ", "", line) for line in log_lines(app)]
        arange = torch_lines(lambda: torch.arange(12), width)
        torch.manual_seed(0)
        randn = torch.randn(3, 10)
        rows = torch_lines(lambda: randn, width)
        assert contains_run(lines, arange) and contains_run(lines, rows)
        assert all(len(line) <= width for line in lines if line.startswith(("tensor", " ")))
        if size == (120, 40):
            assert "Out[1]: tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11])" in log_lines(app)


async def test_hiding_the_variable_pane_widens_the_log(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReplScreen)
        narrow = screen.log_width()
        await pilot.press("ctrl+s")
        await pilot.pause()
        wide = screen.log_width()
        assert narrow is not None and wide is not None and wide > narrow + 20
        assert not screen.variables.display or not screen.variables.region.width
        await run_cell(pilot, "torch.arange(12)")
        assert "Out[1]: tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11])" in log_lines(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen.log_width() == narrow


async def test_escape_sequences_from_output_and_names_never_reach_the_terminal(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(120, 40)) as pilot:
        await run_cell(pilot, 'print("\\x1b]52;c;U1RUZXJt\\x1b\\\\")')
        await run_cell(pilot, 'globals()["v\\x1b]52;c;dmFybmFtZQ==\\x07"] = 1')
        await run_cell(pilot, 'print("\\x1b[2J\\x1b]0;TITLE\\x07 and \\x9b31m")')
        await run_cell(pilot, 'raise ValueError("\\x1b]52;c;RVJS\\x07")')
        await run_cell(pilot, "print('\\x1b[31mred\\x1b[0m plain')")
        drawn = drawn_text(app)
        assert "\x1b" not in drawn and "\x07" not in drawn and "\x9b" not in drawn
        lines = log_lines(app)
        assert "␛]52;c;U1RUZXJt␛\\" in lines
        assert any("␛]52;c;RVJS␇" in line for line in lines)
        rows = app.screen.query_one("#repl-vars", VariableList)
        assert any(name.startswith("v\x1b") for name, _ in rows.rows)  # the name itself is kept
        assert "v␛]52;c;dmFybmFtZQ==␇" in drawn
        red = next(strip for strip in app.screen.query_one("#repl-log", ReplLog).lines if "red plain" in strip.text)
        colour = next(seg.style for seg in red if seg.text.startswith("red"))
        assert colour is not None and colour.color is not None  # SGR colours survive, as styles


async def test_a_thread_printing_after_its_input_shows_late_output(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await run_cell(pilot, "import threading\ngo = threading.Event()")
        await run_cell(pilot, "t = threading.Thread(target=lambda: (go.wait(30), print('late hello')))\nt.start()")
        app.workspace["go"].set()
        app.workspace["t"].join(30)
        await until(pilot, lambda: "late hello" in log_lines(app), "the thread's late line in the log")
        lines = log_lines(app)
        assert "late hello" in lines
        assert any(line.startswith("late output") for line in lines[: lines.index("late hello")])


async def test_the_saving_memory_example_reads_as_the_course_says(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+o")
        await pilot.press(*"saving memory", "enter")
        await enter_and_wait(pilot)
        text = "\n".join(log_lines(app))
        view = text[text.index("memory view:") :]
        assert "line 8: Z[:] = X + Y" in view and "Z in place" in view
        assert "line 9: X += Y" in view and "X in place" in view
        assert "Y new storage" in view and "X new storage" not in view and "moved" not in view


async def test_memory_lines_wrap_with_an_indent(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await run_cell(pilot, "Y = torch.ones(3)")
        await run_cell(pilot, "Y = Y + 1")
        lines = log_lines(app)
        start = next(i for i, line in enumerate(lines) if "Y new storage" in line)
        assert lines[start + 1].startswith("    ") and lines[start + 1].strip()


async def test_bare_exit_and_carets(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await run_cell(pilot, "exit")
        assert any("Use ctrl+q to quit tui-lab" in line for line in log_lines(app))
        await run_cell(pilot, "1/0")
        lines = log_lines(app)
        code = next(i for i, line in enumerate(lines) if line.strip() == "1/0" and "In [" not in line)
        assert lines[code + 1].index("^") == lines[code].index("/")


async def test_backspace_in_indentation_removes_one_level(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        editor = app.screen.query_one("#repl-input", ReplInput)
        await pilot.press(*"for i in range(2):", "enter", *"if i:", "enter")
        assert editor.text.endswith("\n        ")
        await pilot.press("backspace")
        assert editor.text.endswith("\n    ")
        await pilot.press("backspace")
        assert editor.text == "for i in range(2):\n    if i:\n"
        await pilot.press(*"x = 1 ", "backspace")
        assert editor.text.endswith("\nx = 1")


async def test_completion_inside_a_call_offers_keyword_arguments(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await run_cell(pilot, "x = torch.ones(3)")
        await pilot.press(*"torch.sum(x, di", "tab")
        await app.workers.wait_for_complete()
        await pilot.pause()
        popup = app.screen.query_one("#repl-completions", OptionList)
        assert popup.display and str(popup.get_option_at_index(0).prompt) == "dim="
        await pilot.press("enter")
        assert app.screen.query_one("#repl-input", ReplInput).text == "torch.sum(x, dim="


async def test_state_problems_are_said_once_and_the_repl_still_runs(
    make_app: AppFactory, lab_home: Path, notes: NotificationRecorder
) -> None:
    lab_home.mkdir(parents=True, exist_ok=True)
    (lab_home / "state").write_text("a file where the state folder belongs")
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await run_cell(pilot, "a = 1")
        await run_cell(pilot, "b = 2")
        await pilot.press("up")
        assert app.screen.query_one("#repl-input", ReplInput).text == "b = 2"
        said = [n.message for n in notes.notes if "history" in n.message]
        assert len(said) == 1 and "new inputs won" in said[0]
        assert app.workspace["b"] == 2


async def test_long_output_and_error_lines_wrap_at_80x24_and_rewrap_on_resize(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReplScreen)
        width = screen.log_width()
        assert width is not None and width < 60
        await run_cell(pilot, "print('word ' * 40)")
        await run_cell(pilot, "from d2l import torch as d2l\nd2l.load_data_fashion_mnist(256)")
        lines = log_lines(app)
        assert all(len(line) <= width for line in lines)
        assert sum(line.split().count("word") for line in lines) == 40, "no word is cut off"
        text = screen.log_view.text
        assert "has no 'load_data_fashion_mnist': the book defines it in section 3.5" in text
        narrow = len(lines)
        await pilot.resize_terminal(120, 40)
        await until(pilot, lambda: len(log_lines(app)) < narrow, "the log re-wrapped at the new width")
        wide = screen.log_width()
        assert wide is not None and wide > width and all(len(line) <= wide for line in log_lines(app))
        assert screen.log_view.text == text, "the same output, wrapped anew"


async def test_library_frames_are_folded_with_a_hint_and_ctrl_e_shows_them_all(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(120, 40)) as pilot:
        await run_cell(
            pilot,
            'import io\ndata = pd.read_csv(io.StringIO("NumRooms,Alley,Price\\nNA,Pave,127500\\n2,NA,106000\\n"))\n'
            "inputs = data.iloc[:, 0:2]",
        )
        await run_cell(pilot, "inputs = inputs.fillna(inputs.mean())")
        text = app.screen.query_one("#repl-log", ReplLog).text
        assert re.search(r"… \d+ library frames \(pandas\)", text)
        assert "hint: pandas ≥ 2 no longer skips text columns in mean()" in text
        assert "use inputs.mean(numeric_only=True)" in text and "ctrl+e shows the full traceback" in text
        folded = text.count('  File "')
        await pilot.press("ctrl+e")
        await pilot.pause()
        text = app.screen.query_one("#repl-log", ReplLog).text
        full = text[text.index("full traceback of In [2]:") :]
        assert full.count('  File "') > folded and "…" not in full.split("hint:")[0]


async def test_ctrl_c_copies_text_selected_in_the_log_and_otherwise_clears_the_input(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await run_cell(pilot, "print('word ' * 40)")
        log = app.screen.query_one("#repl-log", ReplLog)
        rows = log_lines(app)
        first = next(i for i, line in enumerate(rows) if line.startswith("word"))
        app.screen.selections = {log: Selection(Offset(0, first), Offset(4, first + 3))}
        await pilot.press("ctrl+c")
        assert app.clipboard == " ".join(["word"] * 31), "four wrapped lines copied as the one line printed"
        assert not app.screen.selections
        editor = app.screen.query_one("#repl-input", ReplInput)
        editor.replace_text("draft")
        await pilot.press("ctrl+c")
        assert editor.text == "" and app.clipboard == " ".join(["word"] * 31)

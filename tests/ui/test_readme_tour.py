"""README.md's "The first two minutes", typed literally into the app at 80×24 and checked step by step.

The tour stays prose and is still machine-readable: inside each numbered step, the line made
only of backticked keys (``·`` groups them, ``×5`` repeats one) is what a person types. A key
name (``Enter``, ``↓``, ``F6``, ``ctrl+o``, one character) is pressed; anything else in
backticks is typed character by character. The app is launched as ``make run`` launches it, and
every result the README names (X, y, the REPL's output, two finished runs, the graph, the walk,
``w.grad``) is checked against the README's own text and against the course's numbers.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from tests.ui.conftest import settle_app as settle
from tui_lab.cli import build_parser
from tui_lab.core.workspace import Workspace
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.graph.view import GraphView
from tui_lab.ui.repl.log import ReplLog
from tui_lab.ui.repl.variables import VariableList
from tui_lab.ui.train.plot import LossPlot
from tui_lab.ui.train.screen import TrainScreen

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

#: The course's answers (d2l §2.2 on house_tiny.csv, and -½·Xᵀy for the Graph step's loss at w = 0).
COURSE_X = [[3, 1, 0], [2, 0, 1], [4, 0, 1], [3, 0, 1]]
COURSE_Y = [127500, 106000, 178100, 140000]
GRAD_AT_ZERO = [-863450, -63750, -212050]

#: README key names → Textual key names; F-keys, ctrl+… and single characters map to themselves.
KEY_NAMES = {"Enter": "enter", "Space": "space", "Tab": "tab", "Esc": "escape", "↓": "down", "↑": "up"}
KEY_NAMES |= {"←": "left", "→": "right", "Backspace": "backspace"}
TOKEN = re.compile(r"`([^`]+)`(?:\s*×(\d+))?")
KEY_LINE = re.compile(rf"(?:{TOKEN.pattern}\s*·?\s*)+")
STEP = re.compile(r"^\d+\. \*\*(\w+) \((F\d+)\)\*\*", re.MULTILINE)


@dataclass(frozen=True)
class Press:
    """One README token: a key to press (``typed`` False) or text to type key by key."""

    text: str
    typed: bool


@dataclass(frozen=True)
class TourStep:
    """A numbered step: its pane, its prose, and its key line split into ``·`` groups."""

    pane: str
    pane_key: str
    prose: str
    groups: tuple[tuple[Press, ...], ...]


def press_of(token: str) -> Press:
    """What a backticked token means: a named key, an F-key, ctrl+…, one character, else typed text."""
    if token in KEY_NAMES:
        return Press(KEY_NAMES[token], typed=False)
    if re.fullmatch(r"F\d{1,2}", token) or re.fullmatch(r"ctrl\+\S", token):
        return Press(token.lower(), typed=False)
    if len(token) == 1:
        return Press(token, typed=False)
    return Press(token, typed=True)


def read_tour(readme: str) -> list[TourStep]:
    """The numbered steps of the README's "The first two minutes" section."""
    start = readme.index("## The first two minutes\n")
    end = readme.index("\n## ", start + 1)
    section = readme[start:end]
    heads = list(STEP.finditer(section))
    steps = []
    for head, after in zip(heads, [*heads[1:], None], strict=True):
        prose = section[head.start() : after.start() if after else len(section)]
        lines = [line.strip() for line in prose.splitlines() if KEY_LINE.fullmatch(line.strip())]
        assert len(lines) == 1, f"step {head.group(1)} must have exactly one line of keys, found {lines}"
        groups = []
        for group in lines[0].split(" · "):
            presses: list[Press] = []
            for match in TOKEN.finditer(group):
                presses += [press_of(match.group(1))] * int(match.group(2) or 1)
            groups.append(tuple(presses))
        steps.append(TourStep(head.group(1), head.group(2), prose, tuple(groups)))
    return steps


def documented(prose: str, name: str) -> Any:
    """The literal the README gives for ``name`` (as in `` `X = [[3,1,0],…]` ``)."""
    match = re.search(rf"`{re.escape(name)} = (\[[^`]*\])`", prose)
    assert match, f"the README no longer documents {name}"
    return ast.literal_eval(match.group(1))


def make_run_app(workspace: Workspace) -> TuiLabApp:
    """The app as ``make run`` starts it: the Makefile's ``run`` recipe, parsed as ``tui-lab`` parses it."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^run:.*\n((?:\t.*\n?)+)", makefile, re.MULTILINE)
    assert recipe, "the Makefile has no run target"
    launch = [line.strip() for line in recipe.group(1).splitlines() if line.strip().startswith("$(BIN)/tui-lab")]
    assert len(launch) == 1, f"the run target should start tui-lab once: {recipe.group(1)!r}"
    words = shlex.split(launch[0])
    args = build_parser().parse_args(words[1:])
    csv_path = str(ROOT / args.csv_path) if args.csv_path else None
    pane = args.pane or ("data" if csv_path else "repl")
    return TuiLabApp(csv_path=csv_path, pane=pane, workspace=workspace, cli_help=build_parser().format_help())


async def type_group(pilot: Any, group: tuple[Press, ...]) -> None:
    """Type one ``·`` group, waiting after each key for what it started (as a person watching would)."""
    for press in group:
        if press.typed:
            await pilot.press(*press.text)
        else:
            await pilot.press(press.text)
        await settle(pilot)


def log_text(app: TuiLabApp) -> str:
    return "\n".join(strip.text.rstrip() for strip in app.screen.query_one("#repl-log", ReplLog).lines)


def static_text(app: TuiLabApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def check_data(app: TuiLabApp, step: TourStep) -> None:
    x, y = app.workspace["X"], app.workspace["y"]
    assert x.tolist() == documented(step.prose, "X") == COURSE_X
    assert y.tolist() == documented(step.prose, "y") == COURSE_Y
    assert str(x.dtype) == str(y.dtype) == "torch.float32" and "float32" in step.prose


def check_repl(app: TuiLabApp, step: TourStep) -> None:
    text = log_text(app)
    assert "In [1]: X" in text and "In [2]: y" in text
    shown_in_readme = re.findall(r"`(tensor\(\[[^`]*?)(?: …)?`", step.prose)
    assert len(shown_in_readme) == 2
    for shown in shown_in_readme:
        assert shown in text, f"the README says the REPL prints {shown!r}"
    rows = dict(app.screen.query_one("#repl-vars", VariableList).rows)
    assert rows["X"] == "(4, 3) float32 cpu" and rows["y"] == "(4,) float32 cpu"


def check_train(app: TuiLabApp, step: TourStep) -> None:
    screen = app.screen
    assert isinstance(screen, TrainScreen)
    runs = screen.records
    assert [r.status for r in runs] == ["finished", "finished"], [r.message for r in runs]
    assert all((r.config.data, r.config.x_name, r.config.y_name) == ("workspace", "X", "y") for r in runs)
    first = runs[0].result
    assert 1e9 < float(first.step_losses[0]) < 1e11  # "from about 10¹⁰"
    assert first.epoch_losses[-1] < first.epoch_losses[0] < first.step_losses[0]  # the loss falls
    assert [c.run_id for c in screen.query_one(LossPlot).spec().curves] == [1, 2]  # overlaid
    w, b = app.workspace["w"], app.workspace["b"]
    assert tuple(w.shape) == (3,) and tuple(b.shape) == ()


def check_graph_walk(app: TuiLabApp, step: TourStep) -> None:
    drawn = app.screen.query_one(GraphView).drawn_lines()
    listed = re.search(r"\(([^)]*MvBackward0[^)]*)\)", step.prose)
    assert listed, "the README no longer lists the graph's nodes"
    order = re.findall(r"\w+Backward0", listed.group(1))
    assert order == ["MeanBackward0", "PowBackward0", "SubBackward0", "MvBackward0"]
    names = [line.split()[1] if len(line.split()) > 1 else "" for line in drawn]
    assert [n for n in names if n.endswith("Backward0")] == order
    assert any("◆" in line and " w  (3,) float32" in line for line in drawn)
    assert any(" X  (4, 3)  constant" in line for line in drawn)
    info = static_text(app, "#graph-info")
    assert "step 5 of 5" in info and "w: [-8.634e+05, -6.375e+04, -2.12e+05]" in info
    assert app.workspace["w"].grad is None  # the walk left .grad alone


def check_graph(app: TuiLabApp, step: TourStep) -> None:
    grad = app.workspace["w"].grad
    assert grad is not None and grad.tolist() == documented(step.prose, "w.grad") == GRAD_AT_ZERO
    drawn = app.screen.query_one(GraphView).drawn_lines()
    assert any("grad=[-8.634e+05, -6.375e+04, -2.12e+05]" in line for line in drawn)
    assert "-8.634e+05, …" in step.prose


CHECKS: dict[str, Callable[[TuiLabApp, TourStep], None]] = {
    "Data": check_data,
    "REPL": check_repl,
    "Train": check_train,
    "Graph": check_graph,
}


def test_the_readme_tour_is_four_steps_of_keys() -> None:
    steps = read_tour(README.read_text(encoding="utf-8"))
    assert [(s.pane, s.pane_key) for s in steps] == [("Data", "F3"), ("REPL", "F2"), ("Train", "F5"), ("Graph", "F4")]
    for step in steps:
        assert step.groups[0] == (Press(step.pane_key.lower(), typed=False),)  # each step starts on its pane


@pytest.mark.timeout(240)
async def test_the_first_two_minutes_typed_from_the_readme_end_as_documented(
    workspace: Workspace, cpu_only_host: None
) -> None:
    steps = read_tour(README.read_text(encoding="utf-8"))
    app = make_run_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.start_pane == "data" and app.csv_path and app.csv_path.endswith("house_tiny.csv")
        for step in steps:
            for group in step.groups:
                await type_group(pilot, group)
                if step.pane == "Graph" and group[0].text == "ctrl+t":
                    check_graph_walk(app, step)
            assert type(app.screen).__name__.lower().startswith(step.pane.lower()), app.screen
            CHECKS[step.pane](app, step)

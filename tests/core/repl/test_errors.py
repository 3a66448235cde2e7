"""Errors a teaching REPL explains: library frames folded, the full traceback kept, a hint per known error.

Each hint of :data:`tui_lab.core.repl.hints.HINTS` is met here through the engine with the real
error it is for (issue #21, item 7).
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tui_lab.core.repl.engine import ReplEngine
from tui_lab.core.repl.hints import HINTS, hint_for
from tui_lab.core.workspace import Workspace

HOUSE_TINY = (
    "import io\n"
    'data = pd.read_csv(io.StringIO("NumRooms,Alley,Price\\nNA,Pave,127500\\n2,NA,106000\\n'
    '4,NA,178100\\nNA,NA,140000\\n"))\n'
    "inputs, outputs = data.iloc[:, 0:2], data.iloc[:, 2]"
)


@pytest.fixture
def engine(workspace: Workspace) -> ReplEngine:
    return ReplEngine(workspace)


def failed(engine: ReplEngine, source: str):  # type: ignore[no-untyped-def]
    result = engine.run(source)
    assert result.error is not None, f"{source!r} ran without an error"
    return result.error


class _Hidden(importlib.abc.MetaPathFinder):
    """Hides a package as if it were not installed."""

    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname.split(".")[0] == self.name:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


@pytest.fixture
def no_matplotlib(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in [n for n in sys.modules if n.split(".")[0] == "matplotlib"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_Hidden("matplotlib"), *sys.meta_path])
    yield


def test_the_books_pandas_cell_folds_pandas_and_names_the_fix(engine: ReplEngine) -> None:
    engine.run(HOUSE_TINY)
    error = failed(engine, "inputs = inputs.fillna(inputs.mean())")
    assert error.type_name == "TypeError"
    assert error.hint is not None and "use inputs.mean(numeric_only=True)" in error.hint
    shown = error.traceback.splitlines()
    assert shown[1] == '  File "<In [2]>", line 1, in <module>'
    fold = next(line for line in shown if line.startswith("  … "))
    assert fold == f"  … {error.hidden_frames} library frames (pandas)" and error.hidden_frames >= 3
    frames = [line for line in shown if line.startswith('  File "')]
    assert len(frames) == 2 and frames[1].startswith('  File "…/pandas/'), (
        "the learner's frame, then the one that raised"
    )
    assert f'File "{Path(pd.__file__).parent}/' in error.full_traceback, "the full traceback has whole paths"
    assert shown[-1] == error.message
    full = error.full_traceback.splitlines()
    assert len([line for line in full if line.startswith('  File "')]) == 2 + error.hidden_frames
    assert "…" not in error.full_traceback and full[-1] == error.message


def test_the_fixed_cell_runs(engine: ReplEngine) -> None:
    engine.run(HOUSE_TINY)
    result = engine.run("inputs = inputs.fillna(inputs.mean(numeric_only=True))")
    assert result.error is None
    assert engine.workspace["inputs"]["NumRooms"].tolist() == [3.0, 2.0, 4.0, 3.0]


def test_a_library_calling_back_into_the_learners_code_keeps_both_ends(engine: ReplEngine) -> None:
    error = failed(engine, "def f(v):\n    return v / 0\n\npd.Series([1, 2]).apply(f)")
    shown = error.traceback
    assert 'File "<In [1]>", line 4, in <module>' in shown and 'File "<In [1]>", line 2, in f' in shown
    assert "library frames (pandas" in shown and error.hidden_frames >= 1
    assert [line for line in shown.splitlines() if line.startswith('  File "')][-1].endswith("in f")


def test_errors_in_the_learners_own_code_are_not_folded(engine: ReplEngine) -> None:
    error = failed(engine, "def g():\n    return 1 / 0\n\ng()")
    assert error.hidden_frames == 0 and error.traceback == error.full_traceback and error.hint is None
    assert "tui_lab" not in error.full_traceback


def test_a_syntax_error_shows_only_the_caret(engine: ReplEngine) -> None:
    error = failed(engine, "x = (1,")
    assert error.type_name == "SyntaxError" and "File" in error.traceback and "ast.py" not in error.full_traceback


def test_importing_matplotlib_without_it_points_to_d2l_plt_and_the_extra(
    engine: ReplEngine, no_matplotlib: None
) -> None:
    error = failed(engine, "import matplotlib.pyplot as plt")
    assert error.type_name == "ModuleNotFoundError"
    assert error.hint is not None and "d2l.plt" in error.hint and "pip install 'tui-lab[plots]'" in error.hint


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("w = torch.ones(2, requires_grad=True)\nw -= 0.1", "with torch.no_grad():"),
        ("x = torch.ones(2, requires_grad=True)\n(2 * x).backward()", "y.sum().backward()"),
        ("x = torch.ones(2)\nx.sum().backward()", "x.requires_grad_()"),
        ("x = torch.ones(2, requires_grad=True)\ny = (x * x).sum()\ny.backward()\ny.backward()", "retain_graph=True"),
        ("torch.ones(2, 3) @ torch.from_numpy(np.ones((3, 2)))", "X.float()"),
        ("torch.nn.Linear(3, 1)(torch.from_numpy(np.ones((2, 3))))", "X.float()"),
    ],
)
def test_autograd_and_dtype_errors_say_what_to_do(engine: ReplEngine, source: str, words: str) -> None:
    error = failed(engine, source)
    assert error.hint is not None and words in error.hint, (error.message, error.hint)


def test_every_hint_is_met_by_a_test() -> None:
    tested = {"TypeError", "ModuleNotFoundError"} | {"RuntimeError"}
    assert {hint.exception.__name__ for hint in HINTS} <= tested
    assert len(HINTS) == 7, "a new hint needs its own test above"


def test_no_hint_for_other_errors_and_the_pandas_hint_without_a_call_on_the_line() -> None:
    assert hint_for(ValueError("x"), "ValueError: x") is None
    assert hint_for(TypeError("x"), "TypeError: unsupported operand type(s) for +: 'int' and 'NoneType'") is None
    generic = hint_for(TypeError(), "TypeError: Could not convert ['PaveNaN'] to numeric", "df.agg('mean')")
    assert generic is not None and "numeric_only=True" in generic

"""Values are shown as IPython shows them, with IPython installed and without it (issue #21, item 6).

Every rule is checked twice through the engine: once with IPython's own pretty printer, once with
``IPython`` hidden (``sys.modules["IPython"] = None`` makes its import fail), where
:mod:`tui_lab.core.repl.pretty` follows the same rules. The expected texts are IPython's.
"""

from __future__ import annotations

import collections
import sys
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_lab.core.repl import display
from tui_lab.core.repl.engine import ReplEngine
from tui_lab.core.repl.pretty import pretty
from tui_lab.core.workspace import Workspace


@pytest.fixture(params=["IPython", "without IPython"])
def printer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "IPython":
        pytest.importorskip("IPython.lib.pretty", reason="the test extra installs IPython")
    else:
        monkeypatch.setitem(sys.modules, "IPython", None)
        monkeypatch.setitem(sys.modules, "IPython.lib", None)
        monkeypatch.setitem(sys.modules, "IPython.lib.pretty", None)
    display.ipython_pretty.cache_clear()
    yield request.param
    display.ipython_pretty.cache_clear()


@pytest.fixture
def engine(workspace: Workspace, printer: str) -> ReplEngine:
    return ReplEngine(workspace)


def shown(engine: ReplEngine, source: str, width: int = 80) -> str | None:
    result = engine.run(source, width=width)
    assert result.error is None, result.error.traceback
    return result.value_repr


def test_the_printer_in_use_is_the_one_the_environment_has(printer: str) -> None:
    assert (display.ipython_pretty() is not None) == (printer == "IPython")


def test_types_are_module_and_qualified_name(engine: ReplEngine) -> None:
    assert shown(engine, "A = np.ones(2)\nB = torch.ones(2)\ntype(A), type(B)") == "(numpy.ndarray, torch.Tensor)"
    assert shown(engine, "int, type(None), torch.nn.Linear") == "(int, NoneType, torch.nn.modules.linear.Linear)"
    assert (
        shown(engine, "class Point:\n    class Inner: pass\nPoint, Point.Inner")
        == "(__main__.Point, __main__.Point.Inner)"
    )


def test_functions_show_their_signature(engine: ReplEngine) -> None:
    assert shown(engine, "def f(x, y=2):\n    return x\nf") == "<function __main__.f(x, y=2)>"
    assert shown(engine, "len") == "<function len(obj, /)>"
    assert shown(engine, "lambda a: a").startswith("<function __main__.<lambda>(a)>")  # type: ignore[union-attr]


def test_dicts_keep_their_insertion_order(engine: ReplEngine) -> None:
    assert shown(engine, "{'b': 1, 'a': 2, 'c': {3: 'x'}}") == "{'b': 1, 'a': 2, 'c': {3: 'x'}}"
    assert shown(engine, "from collections import OrderedDict\nOrderedDict(b=1, a=2)") == (
        "OrderedDict([('b', 1), ('a', 2)])"
    )
    assert shown(engine, "from collections import defaultdict\ndefaultdict(list, {'k': [1]})") == (
        "defaultdict(list, {'k': [1]})"
    )


def test_sets_are_sorted(engine: ReplEngine) -> None:
    assert shown(engine, "{3, 1, 2}") == "{1, 2, 3}"
    assert shown(engine, "frozenset({'b', 'a'})") == "frozenset({'a', 'b'})"
    assert shown(engine, "set(), frozenset()") == "(set(), frozenset())"


def test_long_containers_break_one_element_per_line_at_the_width(engine: ReplEngine) -> None:
    assert shown(engine, "list(range(12))", width=80) == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]"
    assert shown(engine, "list(range(12))", width=30) == "[" + ",\n ".join(str(i) for i in range(12)) + "]"
    nested = shown(engine, "{'first': list(range(8)), 'second': 'a' * 30}", width=40)
    assert nested == "{'first': [0, 1, 2, 3, 4, 5, 6, 7],\n 'second': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}"
    assert shown(engine, "(1,)") == "(1,)"


def test_more_than_a_thousand_elements_end_in_an_ellipsis(engine: ReplEngine) -> None:
    text = shown(engine, "list(range(1500))", width=80)
    assert text is not None and text.endswith("999,\n ...]") and "1000" not in text


def test_tensors_in_a_tuple_go_one_per_line_under_the_bracket(engine: ReplEngine) -> None:
    text = shown(engine, "X = torch.arange(6).reshape(2, 3)\nX, X.sum()", width=80)
    assert text == "(tensor([[0, 1, 2],\n         [3, 4, 5]]),\n tensor(15))"
    assert shown(engine, "torch.ones(2), torch.zeros(2)") == "(tensor([1., 1.]), tensor([0., 0.]))"


def test_objects_without_a_repr_and_exceptions(engine: ReplEngine) -> None:
    text = shown(engine, "class Plain: pass\nPlain()")
    assert text is not None and text.startswith("<__main__.Plain at 0x") and text.endswith(">")
    assert shown(engine, "ValueError('bad', 3)") == "ValueError('bad', 3)"
    assert shown(engine, "import types\ntypes.SimpleNamespace(a=1, b='x')") == "namespace(a=1, b='x')"


def test_a_broken_repr_is_reported_not_raised(engine: ReplEngine) -> None:
    text = shown(engine, "class Bad:\n    def __repr__(self):\n        raise RuntimeError('no')\nBad()")
    assert text is not None and "RuntimeError" in text


LEAVES = st.one_of(
    st.integers(-(10**9), 10**9),
    st.text("ab c'\"\\n", max_size=20),
    st.none(),
    st.booleans(),
    st.sampled_from([int, np.ndarray, torch.Tensor, len, torch.float32, collections.Counter("abca"), range(3)]),
)
KEYS = st.one_of(st.integers(-1000, 1000), st.text("abc", max_size=6))
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=12),
        st.lists(inner, max_size=5).map(tuple),
        st.dictionaries(KEYS, inner, max_size=6),
        st.sets(KEYS, max_size=12),
        st.frozensets(st.integers(0, 50), max_size=5),
    ),
    max_leaves=60,
)


@settings(max_examples=400)
@given(VALUES, st.integers(5, 100))
def test_the_fallback_lays_out_as_ipython_does(value: object, width: int) -> None:
    ipython = pytest.importorskip("IPython.lib.pretty", reason="the test extra installs IPython")
    assert pretty(value, width) == ipython.pretty(value, max_width=width)


def test_data_frames_are_laid_out_by_pandas_for_the_log(engine: ReplEngine) -> None:
    import pandas as pd

    before = pd.get_option("display.width"), pd.get_option("display.max_columns")
    text = shown(engine, "pd.DataFrame(np.arange(24).reshape(2, 12) * 1000)", width=50)
    assert text is not None and max(len(line) for line in text.splitlines()) <= 50
    assert "\\" in text, "pandas split the columns into blocks for 50 columns"
    assert (pd.get_option("display.width"), pd.get_option("display.max_columns")) == before, "restored"
    shown(engine, "pd.set_option('display.width', 200)")
    wide = shown(engine, "pd.DataFrame(np.arange(24).reshape(2, 12) * 1000)", width=50)
    assert wide is not None and max(len(line) for line in wide.splitlines()) > 50, "the learner's own width is kept"
    shown(engine, "pd.reset_option('display.width')")

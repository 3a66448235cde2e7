"""Generated code holds data only as literals: hostile column and file names never become statements."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.data.scripts import assert_only_template_and_literals, run_generated
from tui_lab.core.data.codegen import comment_text, pipeline_code
from tui_lab.core.data.load import load_csv
from tui_lab.core.data.pipeline import Pipeline
from tui_lab.core.data.steps import (
    CastColumn,
    DropColumns,
    FillMissing,
    FilterRows,
    OneHot,
    SetTarget,
    SortRows,
    StepError,
)
from tui_lab.core.data.tensors import TensorError, TensorOptions, tensor_code, to_tensors

HOSTILE = [
    "a\nimport os; open('/tmp/PWNED','w').write('x')",
    'a""";open("PWNED2","w");"""',
    "\x1b]52;c;cHduZWQ=\x07",
    "[/]",
    "[/x]",
    "Name [i]note",
    "x\r# y",
    "p\u2028import os",
    "q\x85r",
    "'",
    "\\",
    "#",
    "\x00nul",
    "\udcffsurrogate",
]
names = st.one_of(st.sampled_from(HOSTILE), st.text(min_size=1, max_size=12))
file_names = st.one_of(
    st.sampled_from([h for h in HOSTILE if "/" not in h and "\x00" not in h]),
    st.text(min_size=1, max_size=12).filter(lambda t: "/" not in t and "\x00" not in t and t not in (".", "..")),
).map(lambda n: n + ".csv")

#: The only names a generated script may use: anything else would be code smuggled in by data.
ALLOWED_NAMES = {"pd", "torch", "data", "target", "inputs", "cols", "x", "X", "y", "print", "tuple", "__name__"}


def module_statements(code: str) -> list[str]:
    return [ast.dump(node) for node in ast.parse(code).body]


def expected_statements(pipeline: Pipeline, options: TensorOptions) -> list[ast.stmt]:
    return [stmt for applied in pipeline.applied for stmt in ast.parse(applied.code).body] + ast.parse(
        tensor_code(pipeline.target, options)
    ).body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    columns=st.lists(names, min_size=3, max_size=3, unique=True),
    file_name=file_names,
    constant=names,
)
def test_generated_script_is_exactly_the_pipelines_statements_for_hostile_names(
    columns: list[str], file_name: str, constant: str
) -> None:
    number, text, price = columns
    frame = pd.DataFrame({number: [3.0, np.nan, 4.0], text: ["Pave", None, "Grvl"], price: [127500, 106000, 178100]})
    pipeline = Pipeline(Path("/data") / file_name, frame)
    for step in (
        SetTarget((price,)),
        FillMissing("mean", (number,)),
        FillMissing("constant", (text,), constant),
        CastColumn(number, "float32"),
        SortRows(number, False),
        OneHot((text,), True),
        DropColumns((f"{text}_{constant}",)),
    ):
        try:
            pipeline.apply(step)
        except StepError:
            continue
    options = TensorOptions()
    code = pipeline_code(pipeline, options)
    tree = ast.parse(code)  # never a SyntaxError, whatever the names
    body = tree.body
    docstring = body[0]
    assert isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant)
    assert isinstance(docstring.value.value, str) and file_name in docstring.value.value
    assert [ast.dump(n) for n in body[1:3]] == module_statements("import pandas as pd\nimport torch")
    read = body[3]
    assert isinstance(read, ast.Assign) and isinstance(read.value, ast.Call)
    assert [a.value for a in read.value.args if isinstance(a, ast.Constant)] == [str(pipeline.path)]
    assert ast.dump(body[4]) == module_statements("target = []")[0]
    steps = expected_statements(pipeline, options)
    assert [ast.dump(n) for n in body[5 : 5 + len(steps)]] == [ast.dump(n) for n in steps]
    rest = body[5 + len(steps) :]
    assert len(rest) == 1 and isinstance(rest[0], ast.If)
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert used <= ALLOWED_NAMES
    assert not [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))][2:]


@given(st.text())
def test_a_comment_never_spans_a_line(text: str) -> None:
    source = f"x = 1  # {comment_text(text)}\ny = 2\n"
    assert module_statements(source) == module_statements("x = 1\ny = 2")


def test_the_issues_injection_column_and_file_name_give_a_harmless_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "a\nimport os; open('PWNED','w').write('x')"
    path = tmp_path / 'a""";open("PWNED2","w");""".csv'
    pd.DataFrame({name: [1.0, 2.0], "b": [2.0, 3.0]}).to_csv(path, index=False)
    loaded = load_csv(path)
    assert list(loaded.frame.columns) == [name, "b"]
    pipeline = Pipeline(loaded.path, loaded.frame, loaded.options)
    pipeline.apply(DropColumns((name,)))
    monkeypatch.chdir(tmp_path)
    namespace = run_generated(pipeline_code(pipeline))
    assert namespace["X"].tolist() == [[2.0], [3.0]]
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no PWNED, no PWNED2


@pytest.mark.parametrize("bad", ["class", "pd", "data", "1x", "a b"])
def test_tensor_names_that_would_break_the_script_are_refused(bad: str) -> None:
    with pytest.raises(TensorError):
        TensorOptions(x_name=bad).check()


PAYLOAD = "True); __import__('os').system('id > PWNED'); dict(a=1"


def test_the_code_view_of_hostile_names_and_values_holds_them_only_as_literals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    number, text = PAYLOAD, "a\nimport os; open('PWNED2','w')"
    path = tmp_path / 'a""";open("PWNED3","w");""".csv'
    frame = pd.DataFrame({number: [3.0, np.nan, 1.0], text: ["Pave", None, "Grvl"], "Price": [127500, 106000, 178100]})
    frame.to_csv(path, index=False)
    loaded = load_csv(path)
    pipeline = Pipeline(loaded.path, loaded.frame, loaded.options)
    for step in (
        SetTarget(("Price",)),
        SortRows(number, False),
        FillMissing("constant", (text,), PAYLOAD),
        FillMissing("mean", (number,)),
        OneHot((text,), True),
        CastColumn(number, "float64"),
        FilterRows("Price > 0"),
        DropColumns((f"{text}_{PAYLOAD}",)),
    ):
        pipeline.apply(step)
    for applied in pipeline.applied:
        assert_only_template_and_literals(applied.code)
    code = pipeline_code(pipeline)  # what `k` shows and `E` exports
    tree = ast.parse(code)
    assert {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} <= ALLOWED_NAMES
    # the payloads' words are inside string literals or comments, never code tokens
    words = {t.string for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type == tokenize.NAME}
    assert not words & {"__import__", "os", "system", "open", "dict", "id", "PWNED", "PWNED2", "PWNED3"}
    expected = to_tensors(pipeline.frame, pipeline.target, TensorOptions()).tensors
    monkeypatch.chdir(tmp_path)
    namespace = run_generated(code)
    for name, tensor in expected.items():
        assert torch.equal(namespace[name], tensor), name
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no PWNED, PWNED2 or PWNED3

"""The book's cells run the same with and without IPython, and with and without matplotlib (issue #21, item 8).

Installing IPython brings ``matplotlib-inline`` without matplotlib, and the calculus section imports
``from matplotlib_inline import backend_inline``. Each environment is a fresh interpreter whose
missing packages are hidden by an import blocker at the front of ``sys.meta_path``; the cells'
outputs, values and errors must be identical in all four. Nothing of this is imported at start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.core.repl.hidden_packages import ENGINE_WITH_HIDDEN_PACKAGES
from tests.core.repl.test_d2l_book import CALCULUS_CELLS, SCRATCH_CELLS

SRC = str(Path(__file__).resolve().parents[3] / "src")
ROOT = str(Path(__file__).resolve().parents[3])
OPTIONAL = ("IPython", "matplotlib", "matplotlib_inline")

#: Runs the cells given on stdin in a fresh engine, with the packages named in argv[1] hidden.
SCRIPT = ENGINE_WITH_HIDDEN_PACKAGES + textwrap.dedent(
    """
    at_start = sorted(name for name in ("IPython", "matplotlib", "matplotlib_inline") if name in sys.modules)
    results = []
    for cell in json.loads(sys.stdin.read()):
        result = engine.run(cell, width=60)
        results.append({
            # A picture is a matplotlib figure where matplotlib is installed, text without it (tests/*/test_figures*.py)
            "outputs": [[c.stream, "<picture>" if c.stream == "display" else c.text] for c in result.outputs],
            "figures": sum(1 for c in result.outputs if c.figure is not None),
            "value": result.value_repr,
            "error": None if result.error is None else result.error.traceback,
        })
    print(json.dumps({"at_start": at_start, "results": results}))
    """
)

CELLS = [
    "import random\nrandom.seed(0)\ntorch.manual_seed(0);",
    *CALCULUS_CELLS,
    "backend_inline.set_matplotlib_formats('svg')\nd2l.use_svg_display()",
    *SCRATCH_CELLS,
    "A = np.ones(2)\nB = torch.ones(2)\ntype(A), type(B)",
]

ENVIRONMENTS = {
    "IPython and matplotlib": (),
    "IPython without matplotlib": ("matplotlib",),
    "matplotlib without IPython": ("IPython", "matplotlib_inline"),
    "neither": OPTIONAL,
}


def test_the_books_cells_run_the_same_in_all_four_environments(tmp_path: Path) -> None:
    pytest.importorskip("IPython", reason="the test extra installs IPython")
    pytest.importorskip("matplotlib", reason="the test extra installs matplotlib")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, ROOT]), "TUI_LAB_HOME": str(tmp_path)}
    running = {
        name: subprocess.Popen(
            [sys.executable, "-c", SCRIPT, ",".join(hidden)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        for name, hidden in ENVIRONMENTS.items()
    }
    seen = {}
    for name, process in running.items():
        out, err = process.communicate(json.dumps(CELLS), timeout=240)
        assert process.returncode == 0, f"{name}: {err}"
        seen[name] = json.loads(out)
    for name, report in seen.items():
        assert report["at_start"] == [], f"{name}: imported at start: {report['at_start']}"
        errors = [
            (cell, result["error"]) for cell, result in zip(CELLS, report["results"], strict=True) if result["error"]
        ]
        assert not errors, f"{name}: {errors}"

    def same(results: list[dict[str, object]]) -> list[dict[str, object]]:
        return [{key: value for key, value in result.items() if key != "figures"} for result in results]

    first = seen["IPython and matplotlib"]["results"]
    for name, report in seen.items():
        assert same(report["results"]) == same(first), f"{name} differs from IPython and matplotlib"
    assert first[-1]["value"] == "(numpy.ndarray, torch.Tensor)"
    assert any(stream == "display" for stream, _ in first[len(CALCULUS_CELLS)]["outputs"]), "the tangent-line plot"
    tangent = len(CALCULUS_CELLS)  # CELLS starts with the seed cell
    for name, report in seen.items():  # a figure with matplotlib, a text plot without it
        assert report["results"][tangent]["figures"] == (0 if "without matplotlib" in name or name == "neither" else 1)

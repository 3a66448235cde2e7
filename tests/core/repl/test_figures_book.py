"""The book's cells with matplotlib installed: ``d2l.plt`` is the real pyplot, figures come out as printed.

And the four environments (with and without matplotlib, with and without IPython), each a fresh
interpreter whose missing packages are hidden by an import blocker: nothing of them is imported at
start, figures where matplotlib is, text plots and the install hint where it is not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("matplotlib", reason="the plots extra (the test extra installs it)")

from tests.core.repl.hidden_packages import ENGINE_WITH_HIDDEN_PACKAGES  # noqa: E402
from tests.core.repl.test_d2l_book import (  # noqa: E402
    CALCULUS_CELLS,
    CONCISE_CELLS,
    SCRATCH_CELLS,
    check_errors,
    check_training,
    paste,
)
from tui_lab.core.repl.capture import DisplayBlock  # noqa: E402
from tui_lab.core.repl.d2l import animator  # noqa: E402
from tui_lab.core.repl.engine import InputResult, ReplEngine  # noqa: E402
from tui_lab.core.workspace import Workspace  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]


def _forget_d2l() -> None:
    for name in [n for n in sys.modules if n.split(".")[0] in ("d2l", "matplotlib_inline")]:
        del sys.modules[name]


@pytest.fixture
def engine(workspace: Workspace) -> Iterator[ReplEngine]:
    _forget_d2l()
    yield ReplEngine(workspace)
    _forget_d2l()
    import matplotlib.pyplot as plt

    plt.close("all")


def figures_of(result: InputResult) -> list[tuple[int, int]]:
    return [(c.figure.width, c.figure.height) for c in result.outputs if c.figure is not None]


def test_d2l_plt_is_matplotlibs_pyplot(engine: ReplEngine) -> None:
    import matplotlib.pyplot

    paste(engine, ["from d2l import torch as d2l"])
    assert engine.workspace.namespace["d2l"].plt is matplotlib.pyplot


def test_the_calculus_plot_is_a_figure_of_the_books_size(engine: ReplEngine) -> None:
    results = paste(engine, CALCULUS_CELLS)
    assert figures_of(results[-1]) == [(350, 250)], "d2l.set_figsize's 3.5 × 2.5 inches at 100 dpi"
    assert results[-1].value_repr is None


def test_the_linear_regression_chapters_run_with_figures(engine: ReplEngine) -> None:
    import torch

    torch.manual_seed(0)
    scratch = paste(engine, SCRATCH_CELLS)
    assert figures_of(scratch[4]) == [(350, 250)], "the scatter of the synthetic data"
    assert scratch[4].value_repr is None, "the trailing ';' hides Out[n]"
    check_training(scratch[-2])
    check_errors(scratch[-1])
    concise = paste(engine, CONCISE_CELLS)
    check_training(concise[-2])
    check_errors(concise[-1])


def test_d2l_plot_takes_tensors_that_need_grad(engine: ReplEngine) -> None:
    result = paste(
        engine, ["from d2l import torch as d2l\nw = torch.arange(5.0, requires_grad=True)\nd2l.plot(w, [w * w, 2 * w])"]
    )
    assert figures_of(result[0]) == [(350, 250)]


def test_the_animator_redraws_one_figure_in_place(engine: ReplEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(animator, "FIRST_DRAW_AFTER", 0.0)
    monkeypatch.setattr(animator, "MIN_INTERVAL", 0.0)
    monkeypatch.setattr(animator, "DUTY", 1e9)  # every add redraws: no waiting on time
    seen: list[DisplayBlock] = []
    engine.display_listener = seen.append
    [_, result] = paste(
        engine,
        [
            "from d2l import torch as d2l",
            "animator = d2l.Animator(xlabel='epoch', xlim=[1, 5], legend=['train loss', 'test acc'])\n"
            "for epoch in range(5):\n    animator.add(epoch + 1, (1 / (epoch + 1), epoch / 5))\nanimator.redraws",
        ],
    )
    assert result.value_repr == "5"
    assert len(seen) >= 5 and {b.block_id for b in seen} == {seen[0].block_id}
    assert figures_of(result) == [(350, 250)], "the final picture, where the live one was"
    figure = engine.workspace.namespace["animator"].fig
    lines = figure.axes[0].get_lines()
    assert [len(line.get_xdata()) for line in lines] == [5, 5], "the final picture has every point"


def test_a_short_loop_draws_its_animator_once_at_the_end(engine: ReplEngine) -> None:
    seen: list[DisplayBlock] = []
    engine.display_listener = seen.append
    [_, result] = paste(
        engine,
        [
            "from d2l import torch as d2l",
            "animator = d2l.Animator(xlabel='epoch', legend=['loss'])\nfor epoch in range(3):\n"
            "    animator.add(epoch + 1, 1 / (epoch + 1))",
        ],
    )
    assert engine.workspace.namespace["animator"].redraws == 0, "no redraw in the first half second"
    assert len(figures_of(result)) == 1


# -- the four environments -------------------------------------------------------------------------

#: Runs the cells given on stdin in a fresh engine, with the packages named in argv[1] hidden.
SCRIPT = ENGINE_WITH_HIDDEN_PACKAGES + textwrap.dedent(
    """
    at_start = sorted(m for m in ("IPython", "matplotlib", "PIL") if m in sys.modules)
    results = []
    for cell in json.loads(sys.stdin.read()):
        result = engine.run(cell, width=60)
        results.append({
            "figures": [[c.figure.width, c.figure.height] for c in result.outputs if c.figure is not None],
            "text_plots": sum(1 for c in result.outputs if c.stream == "display" and c.figure is None),
            "stdout": "".join(c.text for c in result.outputs if c.stream == "stdout"),
            "error": None if result.error is None else result.error.type_name,
            "hint": None if result.error is None else result.error.hint,
        })
    print(json.dumps({"at_start": at_start, "results": results}))
    """
)

CELLS = [
    "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9])",
    "%matplotlib inline\nfrom d2l import torch as d2l\nimport numpy as np\n"
    "x = np.arange(0, 3, 0.1)\nd2l.plot(x, [3 * x ** 2 - 4 * x, 2 * x - 3], 'x', 'f(x)', legend=['f(x)', 'Tangent line (x=1)'])",
    "from IPython import display\nprint('IPython')",
]

ENVIRONMENTS = {
    "matplotlib and IPython": (),
    "matplotlib without IPython": ("IPython", "matplotlib_inline"),
    "IPython without matplotlib": ("matplotlib",),
    "neither": ("IPython", "matplotlib", "matplotlib_inline"),
}


def test_the_four_environments(tmp_path: Path) -> None:
    pytest.importorskip("IPython", reason="the test extra installs IPython")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]), "TUI_LAB_HOME": str(tmp_path)}
    env.pop("MPLBACKEND", None)
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
        out, err = process.communicate(json.dumps(CELLS), timeout=300)
        assert process.returncode == 0, f"{name}: {err}"
        seen[name] = json.loads(out)
    for name, report in seen.items():
        assert report["at_start"] == [], f"{name}: imported at start: {report['at_start']}"
        plot, book, ipython = report["results"]
        with_matplotlib = "without matplotlib" not in name and name != "neither"
        if with_matplotlib:
            assert plot["figures"] == [[640, 480]] and plot["error"] is None, name
            assert book["figures"] == [[350, 250]] and book["text_plots"] == 0, name
        else:
            assert plot["error"] == "ModuleNotFoundError", name
            assert "tui-lab[plots]" in (plot["hint"] or ""), f"{name}: the hint says how to get matplotlib"
            assert book["figures"] == [] and book["text_plots"] == 1, f"{name}: the book's plot as text"
        assert book["error"] is None, name
        with_ipython = "without IPython" not in name and name != "neither"
        assert (ipython["error"] is None) == with_ipython, name

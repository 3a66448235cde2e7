"""tui-lab's d2l module: the import hook, a real d2l winning, missing names, devices, plots, Animator, magics."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from tui_lab.core.autograd.program import run_code
from tui_lab.core.repl import figures
from tui_lab.core.repl.capture import DisplayBlock
from tui_lab.core.repl.d2l import animator, hook
from tui_lab.core.repl.d2l.magics import ends_with_semicolon, strip_leading_magics
from tui_lab.core.repl.engine import ReplEngine
from tui_lab.core.workspace import Workspace

OURS = ("d2l", "matplotlib_inline")


def _forget_imports() -> None:
    for name in [n for n in sys.modules if n.split(".")[0] in OURS]:
        del sys.modules[name]


@pytest.fixture
def engine(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplEngine]:
    """An engine whose ``d2l`` draws text plots, as without matplotlib (test_figures*.py cover matplotlib)."""
    monkeypatch.setattr(figures, "matplotlib_available", lambda: False)
    _forget_imports()
    yield ReplEngine(workspace)
    _forget_imports()


def ok(engine: ReplEngine, source: str, width: int = 60):
    result = engine.run(source, width=width)
    assert result.error is None, result.error.traceback
    return result


def test_finder_is_installed_once_after_pythons_own(workspace: Workspace) -> None:
    hook.install(Workspace())
    hook.install(workspace)
    finders = [f for f in sys.meta_path if isinstance(f, hook.BookFinder)]
    assert len(finders) == 1 and sys.meta_path.index(finders[0]) > sys.meta_path.index(
        next(f for f in sys.meta_path if getattr(f, "__name__", "") == "PathFinder")
    )


def test_real_d2l_on_sys_path_is_the_one_used_and_said_once(
    engine: ReplEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "d2l"
    package.mkdir()
    (package / "__init__.py").write_text("__version__ = '9.9.9'\n")
    (package / "torch.py").write_text("WHO = 'the real d2l'\ndef synthetic_data(*a):\n    return 'real'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    first = ok(engine, "from d2l import torch as d2l\nd2l.WHO, d2l.synthetic_data()")
    assert first.value_repr == "('the real d2l', 'real')"
    assert len(first.notes) == 1 and "real d2l 9.9.9" in first.notes[0] and str(package) in first.notes[0]
    again = ok(engine, "from d2l import torch as d2l\nd2l.WHO")
    assert again.notes == ()
    assert not hasattr(sys.modules["d2l"], hook.MARKER)


def test_ours_is_used_without_a_real_one_and_says_nothing(engine: ReplEngine) -> None:
    result = ok(engine, "from d2l import torch as d2l\nd2l.synthetic_data.__module__")
    assert result.value_repr == "'tui_lab.core.repl.d2l.book'" and result.notes == ()


def test_missing_names_say_where_the_book_defines_them(engine: ReplEngine) -> None:
    result = engine.run("from d2l import torch as d2l\nd2l.load_data_fashion_mnist(256)")
    assert result.error is not None and result.error.type_name == "AttributeError"
    assert "3.5 The Image Classification Dataset" in result.error.message
    typo = engine.run("d2l.synthetic_dta")
    assert typo.error is not None and "check the spelling" in typo.error.message
    plt = engine.run("d2l.plt.imshow")
    assert plt.error is not None and "imshow" in plt.error.message and "scatter" in plt.error.message
    other = engine.run("from d2l import mxnet as d2l")
    assert other.error is not None and "from d2l import torch as d2l" in other.error.message


def test_chapter_helpers_behave_as_the_books(engine: ReplEngine) -> None:
    ok(engine, "from d2l import torch as d2l")
    d2l = sys.modules["d2l.torch"]
    X = d2l.arange(6, dtype=d2l.float32)
    assert d2l.size(X) == 6 and d2l.reshape(X, (2, 3)).shape == (2, 3)
    assert d2l.numpy(X.requires_grad_()).tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    acc = d2l.Accumulator(2)
    acc.add(1, torch.tensor(2.0))
    acc.add(3, 4)
    assert (acc[0], acc[1]) == (4.0, 6.0)
    timer = d2l.Timer()
    assert timer.stop() >= 0 and len(timer.cumsum()) == 1
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    assert d2l.accuracy(y_hat, torch.tensor([0, 2])) == 1.0
    loader = d2l.load_array((torch.ones(10, 2), torch.zeros(10, 1)), 4, is_train=False)
    assert [len(X) for X, _ in loader] == [4, 4, 2]
    w = torch.ones(2, 1, requires_grad=True)
    d2l.squared_loss(d2l.linreg(torch.ones(3, 2), w, 0.0), torch.zeros(3)).sum().backward()
    d2l.sgd([w], 0.1, 3)
    assert torch.allclose(w, torch.full((2, 1), 0.8)) and w.grad is not None and not w.grad.any()


def test_try_gpu_follows_the_device_chosen_in_the_app(engine: ReplEngine) -> None:
    ok(engine, "from d2l import torch as d2l")
    d2l = sys.modules["d2l.torch"]
    engine.workspace.device = "cpu"
    assert d2l.try_gpu() == torch.device("cpu") and d2l.try_all_gpus() == [torch.device("cpu")]
    engine.workspace.device = "cuda:1"  # a device the status bar chose (no GPU is needed to name it)
    assert d2l.try_gpu() == torch.device("cuda:1")
    engine.workspace.device = "mps"
    assert d2l.try_gpu() == torch.device("mps") and d2l.try_all_gpus() == [torch.device("mps")]


def test_graph_pane_input_imports_it_too(workspace: Workspace) -> None:
    _forget_imports()
    result = run_code(
        "from d2l import torch as d2l\nx = d2l.arange(4.0, requires_grad=True)\ny = (x * x).sum()", workspace
    )
    assert result.error is None and result.root_name == "y"
    _forget_imports()


def test_magics_at_the_start_are_skipped_with_a_note() -> None:
    source, notes = strip_leading_magics("# setup\n%matplotlib inline\n%%time\nx = 1\n%notamagic_after_code")
    assert source.split("\n") == ["# setup", "", "", "x = 1", "%notamagic_after_code"]
    assert notes[0].startswith("%matplotlib inline: skipped") and "cell magic" in notes[1]
    assert ends_with_semicolon("plt.scatter(x, y);  # comment\n") and not ends_with_semicolon("x = 'a;'")


def test_magic_line_keeps_tracebacks_on_the_right_line(engine: ReplEngine) -> None:
    result = engine.run("%matplotlib inline\n1 / 0")
    assert result.error is not None and "line 2" in result.error.traceback


def test_pyplot_cells_of_the_probability_section(engine: ReplEngine) -> None:
    ok(
        engine,
        "from d2l import torch as d2l\nestimates = torch.rand(50, 6).cumsum(0) / torch.arange(1, 51).reshape(-1, 1)",
    )
    cell = textwrap.dedent(
        """
        d2l.set_figsize((6, 4.5))
        for i in range(6):
            d2l.plt.plot(estimates[:, i].numpy(),
                         label=("P(die=" + str(i + 1) + ")"))
        d2l.plt.axhline(y=0.167, color='black', linestyle='dashed')
        d2l.plt.gca().set_xlabel('Groups of experiments')
        d2l.plt.gca().set_ylabel('Estimated probability')
        d2l.plt.legend();
        """
    )
    result = ok(engine, cell, width=70)
    [block] = [c for c in result.outputs if c.stream == "display"]
    assert "P(die=6)" in block.text and "Groups of experiments" in block.text
    nothing_left = ok(engine, "1")
    assert not [c for c in nothing_left.outputs if c.stream == "display"], "a shown figure is closed"


def test_hostile_labels_are_made_visible(engine: ReplEngine) -> None:
    result = ok(
        engine,
        "from d2l import torch as d2l\nd2l.plot([1.0, 2.0], [3.0, 4.0], 'x\\x1b]52;c;aGk=\\x07', legend=['\\x1b[2J'])",
    )
    [block] = [c for c in result.outputs if c.stream == "display"]
    assert "\x1b" not in block.text and "\x07" not in block.text and "␛" in block.text


def test_animator_updates_one_block_live_then_shows_the_final_curve(
    engine: ReplEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(animator, "FIRST_DRAW_AFTER", 0.0)
    monkeypatch.setattr(animator, "MIN_INTERVAL", 0.0)
    monkeypatch.setattr(animator, "DUTY", 1e12)  # no wait after a redraw
    seen: list[DisplayBlock] = []
    engine.display_listener = seen.append
    ok(engine, "from d2l import torch as d2l")
    result = ok(
        engine,
        "a = d2l.Animator(xlabel='epoch', ylabel='loss', legend=['train', 'test'], xlim=[1, 5])\n"
        "for epoch in range(5):\n    a.add(epoch + 1, (1 / (epoch + 1), torch.tensor(0.5)))\n"
        "a.redraws",
    )
    assert result.value_repr == "5" and len(seen) == 5 and len({b.block_id for b in seen}) == 1
    [block] = [c for c in result.outputs if c.stream == "display"]
    assert block.block_id == seen[0].block_id and "train" in block.text and "epoch" in block.text


def test_animator_stays_quiet_in_a_short_loop(engine: ReplEngine) -> None:
    seen: list[DisplayBlock] = []
    engine.display_listener = seen.append
    ok(engine, "from d2l import torch as d2l")
    result = ok(engine, "a = d2l.Animator()\nfor i in range(3):\n    a.add(i, i * i)\na.redraws")
    assert result.value_repr == "0", "no live redraw inside the first half second"
    assert not seen, "nothing live: the final picture is drawn once the input ended, into its result"
    assert len([c for c in result.outputs if c.stream == "display"]) == 1


def test_matplotlib_inline_is_always_the_stand_in(engine: ReplEngine) -> None:
    """The real one is an IPython kernel's backend: it would import matplotlib and start an IPython shell."""
    result = ok(engine, "from matplotlib_inline import backend_inline\nbackend_inline.set_matplotlib_formats('svg')")
    assert result.error is None
    assert getattr(sys.modules["matplotlib_inline"], hook.MARKER, False)
    assert getattr(sys.modules["matplotlib_inline.backend_inline"], hook.MARKER, False)
    assert "IPython.core.interactiveshell" not in sys.modules or not _shell_started()


def _shell_started() -> bool:
    from IPython.core.interactiveshell import InteractiveShell

    return bool(InteractiveShell.initialized())


def test_plots_take_tensors_that_need_grad(engine: ReplEngine) -> None:
    result = ok(
        engine, "from d2l import torch as d2l\nw = torch.arange(5.0, requires_grad=True)\nd2l.plot(w, [w * w, 2 * w])"
    )
    assert [c for c in result.outputs if c.stream == "display"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_book_code_on_the_gpu_chosen_in_the_app(engine: ReplEngine) -> None:
    engine.workspace.device = "cuda:0"
    result = ok(
        engine,
        "from d2l import torch as d2l\nX = torch.arange(6.0, device=d2l.try_gpu(), requires_grad=True)\n"
        "d2l.plot(X, [X * X], 'x')\nfloat(d2l.numpy(X).sum()), X.device.type",
    )
    assert result.value_repr == "(15.0, 'cuda')"
    assert [c for c in result.outputs if c.stream == "display"]

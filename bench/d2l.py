"""d2l figures: does ``d2l.Animator`` slow the book's training loop? And what does a plot cost?

Runs the book's linear-regression-from-scratch loop (section 3.2: 1,000 examples, batch 10,
lr 0.03) through ``ReplEngine.run`` as a pasted cell, with and without
``animator.add(epoch + 1, loss)`` every epoch, interleaved so both see the same machine load.

1. The book's loop as printed (3 epochs, ~50 ms): too short for a live redraw, so the
   Animator only records points; its picture is drawn once the code has finished.
2. The same loop for 60 epochs (~1 s): the Animator redraws live (throttled), and a display
   listener stands in for the REPL pane by rendering each block with Rich as the log would.

For each: the median time of the code itself (``InputResult.duration``), the median wall time of
``run`` including the final picture, and the speed ratio (without / with Animator) of the
code's time. Target: ratio ≥ 0.9.

    python bench/d2l.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from rich.console import Console

from tui_lab.core.repl.capture import DisplayBlock
from tui_lab.core.repl.d2l import hook
from tui_lab.core.repl.engine import ReplEngine
from tui_lab.core.workspace import Workspace

SETUP = """\
from d2l import torch as d2l
import random
true_w = d2l.tensor([2, -3.4])
true_b = 4.2
features, labels = d2l.synthetic_data(true_w, true_b, 1000)
def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = d2l.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]
lr, batch_size, net, loss = 0.03, 10, d2l.linreg, d2l.squared_loss
"""

LOOP = """\
w = torch.normal(0, 0.01, size=(2,1), requires_grad=True)
b = torch.zeros(1, requires_grad=True)
{animator}for epoch in range({epochs}):
    for X, y in data_iter(batch_size, features, labels):
        l = loss(net(X, w, b), y)
        l.sum().backward()
        d2l.sgd([w, b], lr, batch_size)
    with torch.no_grad():
        train_l = loss(net(features, w, b), labels)
        {add}
"""


def cell(epochs: int, animated: bool) -> str:
    if animated:
        return LOOP.format(
            epochs=epochs,
            animator=f"animator = d2l.Animator(xlabel='epoch', ylabel='loss', yscale='log', xlim=[1, {epochs}])\n",
            add="animator.add(epoch + 1, float(train_l.mean()))",
        )
    return LOOP.format(epochs=epochs, animator="", add="float(train_l.mean())")


def pane_stand_in() -> tuple[list[float], object]:
    """A display listener that renders each block as the REPL log does (Rich, 80 columns)."""
    console = Console(width=80, file=open("/dev/null", "w"), color_system=None)  # noqa: SIM115
    costs: list[float] = []

    def listener(block: DisplayBlock) -> None:
        started = time.perf_counter()
        list(console.render_lines("\n".join(block.lines)))
        costs.append(time.perf_counter() - started)

    return costs, listener


def measure(engine: ReplEngine, epochs: int, runs: int) -> None:
    plain_code, plain_wall, anim_code, anim_wall = [], [], [], []
    for run in range(runs):
        for animated in (False, True) if run % 2 == 0 else (True, False):
            torch.manual_seed(run)
            started = time.perf_counter()
            result = engine.run(cell(epochs, animated), width=80)
            wall = time.perf_counter() - started
            assert result.error is None, result.error.traceback
            (anim_code if animated else plain_code).append(result.duration)
            (anim_wall if animated else plain_wall).append(wall)
    redraws = engine.workspace["animator"].redraws
    p, a = statistics.median(plain_code), statistics.median(anim_code)
    print(f"  without Animator: code {p * 1000:8.1f} ms   wall {statistics.median(plain_wall) * 1000:8.1f} ms")
    print(
        f"  with Animator:    code {a * 1000:8.1f} ms   wall {statistics.median(anim_wall) * 1000:8.1f} ms"
        f"   ({redraws} live redraws in the last run)"
    )
    verdict = "ok" if p / a >= 0.9 else "MISSED"
    print(f"  speed ratio (without / with, medians of the code's time): {p / a:.3f}   (target ≥ 0.9: {verdict})")


def main() -> None:
    # This script is bench/d2l.py: with bench/ on sys.path, `import d2l` would find it (a "real" d2l wins).
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    ws = Workspace()
    hook.install(ws)  # as the app does: `from d2l import torch as d2l` finds tui-lab's
    ws.load_preloads()
    engine = ReplEngine(ws)
    costs, listener = pane_stand_in()
    engine.display_listener = listener  # type: ignore[assignment]
    assert engine.run(SETUP).error is None
    engine.run(cell(1, True), width=80)  # warm up (first plot imports and caches)
    print(f"1. the book's loop as printed: 3 epochs, {args.runs} runs each")
    measure(engine, 3, args.runs)
    print(f"2. the same loop for 60 epochs (live redraws), {max(3, args.runs // 3)} runs each")
    measure(engine, 60, max(3, args.runs // 3))
    if costs:
        print(f"  rendering a block as the log would: median {statistics.median(costs) * 1000:.1f} ms")


if __name__ == "__main__":
    main()

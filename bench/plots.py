"""matplotlib's figures in the REPL log (issue #24): time, bytes and memory, measured, never asserted.

1. Enter → pixels on screen, in the real app in a pty at 120×40 (half-blocks, read through pyte):
   the first figure of a fresh app (matplotlib's import included) and later ones, beside a trivial
   input (``1 + 1`` → ``Out``) in the same app, so the app's own round trip is seen next to it.
   Targets: first ≤ 0.8 s, later ≤ 150 ms.
2. Bytes the app writes to the pty for a still figure (Enter to the next prompt), beside ``1 + 1``;
   and for a live ``d2l.Animator`` during a training loop of about 10 s, per second. Targets: ≤ 96 KiB,
   ≤ 64 KiB/s.
3. ``d2l.Animator`` over 3 epochs of the book's concise softmax regression (synthetic data shaped like
   Fashion-MNIST: 60,000 28×28 images, batch 256), against the same loop with an Animator that draws
   nothing; rounds interleaved, medians and their ratio. Target ≤ 1.2×.
4. Laying a 640×480 figure out for an 85-column log, per mode (on the UI thread, once per width).
5. Memory (RSS) while one input makes 10,000 figures (``plt.figure(); plt.plot(...); plt.show()``).

    python bench/plots.py [--runs 3] [--skip-pty]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # bench/d2l.py must not be `d2l`

SIZE = (120, 40)

from tests.terminal.conftest import terminal_environment  # noqa: E402 - after the path is set
from tests.terminal.harness import Terminal  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- 1 and 2: the real app in a pty ------------------------------------------------------------------


def spawn(home: Path, *args: str) -> Terminal:
    term = Terminal.spawn(["--images", "blocks", *args], size=SIZE, env=terminal_environment(home), cwd=ROOT)
    term.wait_for(r"In \[1\]:", timeout=300)
    term.wait_for(r"cpu ·", timeout=300)  # torch has loaded
    return term


def figure_cells(term: Terminal) -> int:
    """Coloured half-block cells on screen."""
    columns, rows = SIZE
    return sum(
        1
        for row in range(rows)
        for column in range(columns)
        if (cell := term.cell(row, column)).data == "▀" and cell.fg != "default"
    )


def enter(term: Terminal, code: str, until: Callable[[], bool], what: str) -> tuple[float, int]:
    """Type ``code`` (one burst), press Enter; (seconds until ``until()``, bytes written meanwhile)."""
    term.type(code, burst=True)
    before = len(term.raw)
    started = time.monotonic()
    term.keys("enter")
    term.wait_until(until, what, timeout=300)
    took = time.monotonic() - started
    return took, len(term.raw) - before


def prompt(term: Terminal, number: int) -> Callable[[], bool]:
    pattern = re.compile(rf"^ ?In \[{number}\]:", re.MULTILINE)
    return lambda: pattern.search(term.text()) is not None


def clear(term: Terminal) -> None:
    term.keys("ctrl+l")
    term.wait_until(lambda: figure_cells(term) == 0, "a clear log", timeout=60)


def one_app(home: Path) -> dict[str, list[float]]:
    """One fresh app: a trivial input, the first figure, three later ones, a still figure's bytes."""
    term = spawn(home)
    found: dict[str, list[float]] = {"trivial": [], "first": [], "later": [], "still bytes": [], "trivial bytes": []}
    out = re.compile(r"Out\[1\]: 2")
    took, sent = enter(term, "1 + 1", lambda: out.search(term.text()) is not None, "Out[1]")
    found["trivial"].append(took)
    found["trivial bytes"].append(sent)
    cells = figure_cells(term)
    code = "import matplotlib.pyplot as plt; plt.plot([1, 4, 9])"
    took, _ = enter(term, code, lambda: figure_cells(term) > cells + 200, "the figure")
    found["first"].append(took)
    term.wait_until(prompt(term, 3), "In [3]", timeout=300)
    for number in range(3, 6):
        clear(term)
        took, _ = enter(term, f"plt.plot([1, {number}, 9]);", lambda: figure_cells(term) > 200, "the figure")
        found["later"].append(took)
        term.wait_until(prompt(term, number + 1), f"In [{number + 1}]", timeout=300)
    clear(term)
    term.wait_until(prompt(term, 6), "In [6]", timeout=300)
    _, sent = enter(term, "plt.plot([9, 4, 1]);", prompt(term, 7), "In [7]")
    found["still bytes"].append(sent)
    term.close()
    return found


def pty_figures(runs: int) -> None:
    found: dict[str, list[float]] = {}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as home:
            for key, values in one_app(Path(home)).items():
                found.setdefault(key, []).extend(values)
    trivial, first, later = median(found["trivial"]), median(found["first"]), median(found["later"])
    print(f"1. Enter → pixels on screen (pty {SIZE[0]}×{SIZE[1]}, half-blocks), medians of {runs} fresh apps")
    print(f"   1 + 1 → Out[1]: 2 on screen (the app's round trip): {ms(trivial)}")
    print(
        f"   first figure (matplotlib imported in it):      {ms(first)}   target ≤ 800 ms   ({first / trivial:.1f}× the round trip)"
    )
    print(
        f"   later figures ({len(found['later'])}):                          {ms(later)}   target ≤ 150 ms   ({later / trivial:.1f}× the round trip)"
    )
    print("2. bytes written to the pty, Enter to the next prompt")
    print(f"   1 + 1:          {median(found['trivial bytes']) / 1024:7.1f} KiB")
    print(f"   a still figure: {median(found['still bytes']) / 1024:7.1f} KiB   target ≤ 96 KiB")


ANIMATED = """\
from d2l import torch as d2l
import time
animator = d2l.Animator(xlabel='epoch', ylabel='loss', xlim=[0, 100], legend=['train', 'test'])
started = time.perf_counter()
for step in range(100):
    time.sleep(0.1)
    animator.add(step, (1 / (step + 1), 1 / (step + 2)))
print(f'loop took {time.perf_counter() - started:.2f} s, {animator.redraws} redraws')
"""


def pty_animation() -> None:
    with tempfile.TemporaryDirectory() as home:
        term = spawn(Path(home))
        term.paste(ANIMATED)
        before = len(term.raw)
        started = time.monotonic()
        term.keys("f9")
        report = re.compile(r"loop took [\d.]+ s, \d+ redraws")
        term.wait_until(lambda: report.search(term.text()) is not None, "the loop's report", timeout=600)
        took = time.monotonic() - started
        sent = len(term.raw) - before
        line = report.search(term.text())
        term.close()
    print(f"   a live Animator over a {took:.1f} s loop: {sent / 1024:7.1f} KiB, {sent / 1024 / took:5.1f} KiB/s"
          f"   target ≤ 64 KiB/s   ({line.group(0) if line else 'no report'})")  # fmt: skip


FIRST_FIGURE = r"""
import sys, time
sys.path[:0] = {paths!r}
from tui_lab.core.workspace import Workspace
from tui_lab.core.repl.engine import ReplEngine
from tui_lab.ui.repl.images import FigureView
from tui_lab.ui.repl.graphics import Graphics, ImageMode
from tui_lab.core.repl.d2l import hook
ws = Workspace(); hook.install(ws); ws.load_preloads(); engine = ReplEngine(ws)
engine.run("1 + 1")
def figure(code):
    wall, cpu = time.perf_counter(), time.process_time()
    result = engine.run(code, width=85)
    [image] = [c.figure for c in result.outputs if c.figure is not None]
    FigureView(image, max_rows=lambda: 36, graphics=lambda: Graphics(ImageMode.BLOCKS, "bench")).lines(85)
    return time.perf_counter() - wall, time.process_time() - cpu
first = figure("import matplotlib.pyplot as plt\nplt.plot([1, 4, 9]);")
later = [figure(f"plt.plot([1, {{n}}, 9]);") for n in range(5)]
print(first[0], first[1], *[w for w, _ in later], *[c for _, c in later])
"""


def in_process(runs: int) -> None:
    """Code to half-block lines without the terminal: wall and CPU seconds (CPU time hardly depends on load)."""
    import subprocess

    walls, cpus, later_walls, later_cpus = [], [], [], []
    for _ in range(runs):
        code = FIRST_FIGURE.format(paths=[str(ROOT / "src"), str(ROOT)])
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        numbers = [float(n) for n in out]
        walls.append(numbers[0])
        cpus.append(numbers[1])
        later_walls += numbers[2:7]
        later_cpus += numbers[7:12]
    print(f"1b. in-process, the input to its half-block lines (no terminal), medians of {runs} fresh interpreters")
    print(f"   first figure: wall {ms(median(walls))}, CPU {ms(median(cpus))}")
    print(f"   later ones:   wall {ms(median(later_walls))}, CPU {ms(median(later_cpus))}")


# -- 3: the Animator's cost in the book's concise softmax regression -----------------------------------

SOFTMAX_SETUP = """\
from d2l import torch as d2l
import torch
from torch import nn
from torch.utils import data
torch.manual_seed(0)
W_true = torch.randn(784, 10)
def images(n):
    X = torch.randn(n, 1, 28, 28)
    return X, (X.reshape(n, -1) @ W_true).argmax(dim=1)
train_iter = data.DataLoader(data.TensorDataset(*images({train})), 256, shuffle=True)
test_iter = data.DataLoader(data.TensorDataset(*images({test})), 256)
class Quiet:
    '''An Animator that draws nothing.'''
    def __init__(self, **kwargs):
        pass
    def add(self, x, y):
        pass
"""

SOFTMAX_LOOP = """\
net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
net[1].weight.data.normal_(0, 0.01)
loss = nn.CrossEntropyLoss(reduction='none')
trainer = torch.optim.SGD(net.parameters(), lr=0.1)
num_epochs = 3
animator = {animator}(xlabel='epoch', xlim=[1, num_epochs], ylim=[0.3, 0.9], legend=['train loss', 'train acc', 'test acc'])
for epoch in range(num_epochs):
    train_metrics = d2l.train_epoch_ch3(net, train_iter, loss, trainer)
    test_acc = d2l.evaluate_accuracy(net, test_iter)
    animator.add(epoch + 1, train_metrics + (test_acc,))
"""


def animator_cost(runs: int, examples: int) -> None:
    from tui_lab.core.repl.d2l import hook
    from tui_lab.core.repl.engine import ReplEngine
    from tui_lab.core.repl.figures import show
    from tui_lab.core.workspace import Workspace

    drawing = [0.0]
    display = show.RunFigures.display

    def timed(self: show.RunFigures, *args: object, **kwargs: object) -> bool:  # the Animator's own cost
        started = time.perf_counter()
        try:
            return display(self, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            drawing[0] += time.perf_counter() - started

    show.RunFigures.display = timed  # type: ignore[method-assign]
    ws = Workspace()
    hook.install(ws)  # as the app does: `from d2l import torch as d2l` finds tui-lab's
    ws.load_preloads()
    engine = ReplEngine(ws)
    assert engine.run(SOFTMAX_SETUP.format(train=examples, test=max(examples // 6, 256))).error is None
    shares: list[float] = []
    timings: dict[str, list[float]] = {"d2l.Animator": [], "Quiet": []}
    walls: dict[str, list[float]] = {"d2l.Animator": [], "Quiet": []}
    cpus: dict[str, list[float]] = {"d2l.Animator": [], "Quiet": []}
    for run in range(runs + 1):
        order = ("d2l.Animator", "Quiet") if run % 2 == 0 else ("Quiet", "d2l.Animator")
        for animator in order:
            drawing[0] = 0.0
            started, cpu = time.perf_counter(), time.process_time()
            result = engine.run(SOFTMAX_LOOP.format(animator=animator), width=85)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            assert result.error is None, result.error.traceback
            if run:  # the first round warms up (imports, first figure)
                timings[animator].append(result.duration)
                walls[animator].append(wall)
                cpus[animator].append(cpu)
                if animator == "d2l.Animator":
                    shares.append(drawing[0] / (wall - drawing[0]))
    redraws = ws["animator"].redraws if hasattr(ws["animator"], "redraws") else "?"
    drawn, quiet = median(timings["d2l.Animator"]), median(timings["Quiet"])
    drawn_wall, quiet_wall = median(walls["d2l.Animator"]), median(walls["Quiet"])
    print(
        f"3. d2l.Animator, 3 epochs of concise softmax regression ({examples:,} synthetic 28×28 images), {runs} rounds"
    )
    print(f"   drawing nothing:  code {ms(quiet)}   wall {ms(quiet_wall)}")
    print(f"   d2l.Animator:     code {ms(drawn)}   wall {ms(drawn_wall)}   (live redraws in a round: {redraws})")
    drawn_cpu, quiet_cpu = median(cpus["d2l.Animator"]), median(cpus["Quiet"])
    print(f"   ratio (Animator / nothing): code {drawn / quiet:.3f}×, wall with the final picture "
          f"{drawn_wall / quiet_wall:.3f}×, CPU seconds of the process {drawn_cpu / quiet_cpu:.3f}×"
          "   target ≤ 1.2×")  # fmt: skip
    share = median(shares)
    print(
        f"   the Animator's own drawing (live redraws and the final picture, timed inside each round): "
        f"{share * 100:.1f}% of the loop's time, i.e. {1 + share:.3f}× (rounds vary more than that on a shared machine)"
    )


# -- 4: layout per mode ---------------------------------------------------------------------------------


def layout_costs(runs: int) -> None:
    from tui_lab.core.repl.d2l import hook
    from tui_lab.core.repl.engine import ReplEngine
    from tui_lab.core.workspace import Workspace
    from tui_lab.ui.repl.graphics import Graphics, ImageMode
    from tui_lab.ui.repl.images import FigureView

    ws = Workspace()
    hook.install(ws)  # as the app does: `from d2l import torch as d2l` finds tui-lab's
    ws.load_preloads()
    engine = ReplEngine(ws)
    result = engine.run("import matplotlib.pyplot as plt\nplt.plot([1, 4, 9]);")
    [image] = [chunk.figure for chunk in result.outputs if chunk.figure is not None]
    print("4. a 640×480 figure laid out for 85 columns (UI thread, once per width)")
    for mode in (ImageMode.BLOCKS, ImageMode.KITTY, ImageMode.SIXEL):
        costs = []
        for _ in range(runs * 3):
            view = FigureView(image, max_rows=lambda: 36, graphics=lambda mode=mode: Graphics(mode, "bench", (10, 20)))
            started = time.perf_counter()
            view.lines(85)
            costs.append(time.perf_counter() - started)
        print(f"   {mode.value:7s} {ms(median(costs))}")


# -- 5: memory -----------------------------------------------------------------------------------------

MANY = """\
import matplotlib.pyplot as plt
rss = []
for i in range(10_000):
    plt.figure()
    plt.plot([i, i + 1])
    plt.show()
    if i % 2_000 == 1_999:
        rss.append(int(open('/proc/self/statm').read().split()[1]) * {page} // 2**20)
rss
"""


def memory() -> None:
    from tui_lab.core.repl.d2l import hook
    from tui_lab.core.repl.engine import ReplEngine
    from tui_lab.core.workspace import Workspace

    ws = Workspace()
    hook.install(ws)  # as the app does: `from d2l import torch as d2l` finds tui-lab's
    ws.load_preloads()
    engine = ReplEngine(ws)
    started = time.perf_counter()
    result = engine.run(MANY.format(page=os.sysconf("SC_PAGE_SIZE")))
    assert result.error is None, result.error.traceback
    shown = sum(1 for chunk in result.outputs if chunk.figure is not None)
    print(f"5. one input making 10,000 figures ({time.perf_counter() - started:.0f} s): RSS in MiB after each 2,000: "
          f"{result.value_repr}; {shown} shown, {result.notes[-1] if result.notes else ''}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-pty", action="store_true", help="only the in-process measures (3, 4, 5)")
    parser.add_argument("--examples", type=int, default=60_000, help="training images for 3 (Fashion-MNIST has 60,000)")
    args = parser.parse_args()
    os.environ.setdefault("TUI_LAB_HOME", tempfile.mkdtemp())
    load = os.getloadavg()[0]
    print(
        f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, load average {load:.1f}, Python {sys.version.split()[0]}"
    )
    if not args.skip_pty:
        pty_figures(args.runs)
    in_process(args.runs)
    if not args.skip_pty:
        pty_animation()
    animator_cost(args.runs, args.examples)
    layout_costs(args.runs)
    memory()


if __name__ == "__main__":
    main()

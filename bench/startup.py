"""Start-up figures: time to the first frame and until torch is usable, against a trivial Textual app.

Each run is a fresh process (headless, 80×24) timed from just before it is spawned, so Python's own
start-up and every import count. The trivial app and tui-lab alternate, so machine noise hits both.

Then, as a person meets it: the real ``tui-lab`` in a pseudo-terminal read through pyte (the harness of
tests/terminal), F3 pressed the moment the tab bar first shows, timed until the Data pane is on the
screen (and whether torch had loaded by then).

    python bench/startup.py [--runs 7] [--key-runs 7] [--against OTHER/src]

``--against`` takes the ``src`` folder of another checkout (``git worktree add /tmp/base <commit>``, or
``git archive <commit> src | tar -x -C /tmp/base``): its tui-lab runs in the same rounds as this one's,
child by child, so a before/after on a shared, noisy machine compares like with like.

Targets: tui-lab's first frame ≤ 1.2× the trivial app's, never waiting for torch; a pane key pressed at
the first frame takes effect within 0.3 s on an idle machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Prepended to every child: print the moment the first frame is written to the terminal (App._display,
#: where every frame goes out). Ready comes later: it is a message that waits behind work already queued.
PAINT = """
import time as _time
from textual.app import App as _App
_display = _App._display
def _timed_display(self, screen, renderable):
    _display(self, screen, renderable)
    if renderable is not None and not getattr(_App, "_painted", False):
        _App._painted = True
        print("PAINT", _time.time(), flush=True)
_App._display = _timed_display
"""

TRIVIAL = """
import time
from textual.app import App
from textual.widgets import Footer, Static

class Trivial(App):
    def compose(self):
        yield Static("hello")
        yield Footer()
    def on_ready(self):
        print("READY", time.time(), flush=True)
        self.exit()

Trivial().run(headless=True, size=(80, 24))
"""

#: The same trivial app shown as a mode, as tui-lab shows each pane: Textual re-parses every stylesheet when a
#: mode's screen is first shown (the start screen included), a cost the plain trivial app does not have.
TRIVIAL_MODE = """
import time
from textual.app import App
from textual.screen import Screen
from textual.widgets import Footer, Static

class Only(Screen):
    def compose(self):
        yield Static("hello")
        yield Footer()

class TrivialMode(App):
    MODES = {"only": Only}
    DEFAULT_MODE = "only"
    def on_ready(self):
        print("READY", time.time(), flush=True)
        self.exit()

TrivialMode().run(headless=True, size=(80, 24))
"""

SHELL_ONLY = """
import sys, time
from tui_lab.ui import app as app_module
from tui_lab.ui.pane import PaneScreen

class EmptyPane(PaneScreen):
    pass  # the shell (tabs, status bar, footer) around an empty body; no registry actions

app_module.pane_screen_class = lambda pane: EmptyPane  # the mode factory looks it up at call time

class Timed(app_module.TuiLabApp):
    def on_ready(self):
        print("READY", time.time(), flush=True)
        self.exit()

Timed().run(headless=True, size=(80, 24))
"""

TUI_LAB = """
import sys, time
from tui_lab.ui.app import TuiLabApp

class Timed(TuiLabApp):
    def on_ready(self):
        plots = [m for m in ("matplotlib", "PIL", "textual_image") if m in sys.modules]
        print("READY", time.time(), "torch_loaded=%s,plots_loaded=%s" % ("torch" in sys.modules, bool(plots)), flush=True)
        self.watch(self, "torch_ready", self._done)
    def _done(self, ready):
        if ready:
            print("TORCH", time.time(), flush=True)
            self.exit()

Timed().run(headless=True, size=(80, 24))
"""


#: This checkout's sources: every tui-lab child imports them first (or ``--against``'s, for the other rows).
SRC = Path(__file__).resolve().parents[1] / "src"


def run_once(code: str, src: Path = SRC) -> dict[str, float | str]:
    with tempfile.TemporaryDirectory(prefix="tui-lab-bench-") as home:
        env = dict(os.environ, TUI_LAB_HOME=home, PYTHONPATH=str(src))
        start = time.time()
        out = subprocess.run([sys.executable, "-c", PAINT + code], capture_output=True, text=True, env=env, timeout=120)
    if out.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{out.stderr}")
    marks: dict[str, float | str] = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if parts and parts[0] in ("READY", "TORCH", "PAINT"):
            marks[parts[0]] = float(parts[1]) - start
            if len(parts) > 2:
                marks["note"] = parts[2]
    return marks


def first_key_once(src: Path = SRC) -> dict[str, float | bool]:
    """Spawn tui-lab in a pty; press F3 when the tab bar first shows; time until the Data pane is shown."""
    from tests.terminal.harness import Terminal, lab_environment

    with tempfile.TemporaryDirectory(prefix="tui-lab-bench-") as home:
        start = time.monotonic()
        env = lab_environment(Path(home), extra={"PYTHONPATH": str(src)})
        term = Terminal.spawn(["--pane", "repl"], size=(80, 24), env=env)
        try:
            term.wait_for(r"F3 Data", timeout=120)
            frame = time.monotonic()
            term.keys("F3")
            term.wait_for(r"Press o to open a CSV", timeout=120)
            switched = time.monotonic()
            torch_loaded = "cpu · " in term.text()
            term.wait_for(r"cpu · ", timeout=120)
        finally:
            term.kill()
    return {"frame": frame - start, "key": switched - frame, "switched": switched - start, "torch": torch_loaded}


def describe(name: str, values: list[float]) -> str:
    return (
        f"{name:<48} median {statistics.median(values) * 1000:7.0f} ms"
        f"   min {min(values) * 1000:7.0f} ms   max {max(values) * 1000:7.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--key-runs", type=int, default=7, help="pty runs for the first key (0 skips them)")
    parser.add_argument("--against", type=Path, help="another checkout's src folder, measured in the same rounds")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.terminal.harness, for the pty rows
    against: Path | None = args.against.resolve() if args.against else None
    if against is not None and not (against / "tui_lab").is_dir():
        raise SystemExit(f"--against wants a src folder holding tui_lab: {against}")

    # As `make run` does, and as any second launch finds it: tui-lab's modules byte-compiled, like the
    # trivial app's Textual (pip compiles what it installs; an editable install and PYTHONDONTWRITEBYTECODE do not).
    for src in (SRC, against):
        if src is not None:
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=True)
    run_once(TRIVIAL), run_once(TUI_LAB)  # warm the file cache
    #: name -> (child code, the sources it imports)
    children: dict[str, tuple[str, Path]] = {
        "trivial Textual app": (TRIVIAL, SRC),
        "trivial Textual app, shown as a mode": (TRIVIAL_MODE, SRC),
        "tui-lab shell, empty pane": (SHELL_ONLY, SRC),
        "tui-lab, REPL pane": (TUI_LAB, SRC),
    }
    if against is not None:
        children["tui-lab, REPL pane, --against"] = (TUI_LAB, against)
    figures: dict[str, dict[str, list[float]]] = {name: {"PAINT": [], "READY": []} for name in children}
    torch_usable: dict[str, list[float]] = {name: [] for name, (code, _) in children.items() if code is TUI_LAB}
    torch_before_frame = plots_before_frame = 0
    for _ in range(args.runs):
        for name, (code, src) in children.items():  # alternating, so machine noise hits them all
            marks = run_once(code, src)
            for mark in ("PAINT", "READY"):
                figures[name][mark].append(float(marks[mark]))
            if code is TUI_LAB:
                torch_usable[name].append(float(marks["TORCH"]))
                note = str(marks.get("note", ""))
                torch_before_frame += "torch_loaded=True" in note
                plots_before_frame += "plots_loaded=True" in note

    print(f"start-up, {args.runs} runs each, headless 80x24, whole process from spawn, modules byte-compiled")
    for name, series in figures.items():
        print(describe(f"{name}: first frame written", series["PAINT"]))
        print(describe(f"{name}: Ready handled", series["READY"]))
    for name, usable in torch_usable.items():
        print(describe(f"{name}: torch usable", usable))
    trivial = figures["trivial Textual app"]
    for name in list(children)[1:]:
        for mark, what in (("PAINT", "first frame written"), ("READY", "Ready handled")):
            ratio = statistics.median(figures[name][mark]) / statistics.median(trivial[mark])
            target = "   (target <= 1.2x)" if name.startswith("tui-lab, REPL pane") and mark == "PAINT" else ""
            print(f"ratio {name} / trivial, {what} (medians): {ratio:.2f}x{target}")
    # Each round runs the children back to back, so a round's ratio sees one state of a noisy machine.
    for name in torch_usable:
        paired = [repl / base for repl, base in zip(figures[name]["PAINT"], trivial["PAINT"], strict=True)]
        print(
            f"ratio {name} / trivial, first frame written (median of the {args.runs} rounds' ratios): "
            f"{statistics.median(paired):.2f}x"
        )
    print(f"runs where torch was imported before the first frame: {torch_before_frame} (target 0)")
    print(f"runs where matplotlib, PIL or textual-image was imported by then: {plots_before_frame} (target 0)")
    if args.key_runs:
        sources = {"": SRC} | ({", --against": against} if against is not None else {})
        keys: dict[str, list[dict[str, float | bool]]] = {label: [] for label in sources}
        for _ in range(args.key_runs):
            for label, src in sources.items():  # alternating, as above
                keys[label].append(first_key_once(src))
        print(f"\nfirst key, {args.key_runs} runs: tui-lab in a pty at 80x24 (pyte), F3 pressed when the tab bar shows")
        for label, runs in keys.items():
            print(describe(f"spawn to the first frame on the terminal{label}", [float(k["frame"]) for k in runs]))
            print(
                describe(f"F3 at the first frame to the Data pane{label}", [float(k["key"]) for k in runs])
                + ("   (target 0.3 s)" if not label else "")
            )
            print(describe(f"spawn to the first key that switched panes{label}", [float(k["switched"]) for k in runs]))
            print(f"runs where torch had loaded before the pane switched{label}: {sum(bool(k['torch']) for k in runs)}")


if __name__ == "__main__":
    main()

"""The REPL pane's controller, driven without Textual: running, refusing, status, history, late output."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from tui_lab.core.repl.history import history_path
from tui_lab.core.workspace import Workspace
from tui_lab.ui.repl.controller import ReplController


def test_the_controller_imports_neither_textual_nor_rich() -> None:
    code = "import sys, tui_lab.ui.repl.controller; print('textual' in sys.modules, 'rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_an_input_runs_with_its_number_and_status(workspace: Workspace) -> None:
    controller = ReplController(workspace)
    assert controller.status(torch_ready=True) == "In [1]:"
    assert controller.submit("x = torch.arange(12); x") == "run"
    assert controller.running and controller.started is not None
    assert controller.status(True, now=controller.started + 1.25).startswith("In [1] running… 1.2 s")
    result = controller.run("x = torch.arange(12); x", width=50)
    assert controller.finish(result.ok) == 0
    assert result.value_repr == "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,\n        10, 11])"
    assert not controller.running and controller.status(True) == "In [2]:"
    assert controller.submit("   ") == "empty" and not controller.running


def run_through(controller: ReplController, source: str) -> bool:
    """What the screen does with a begun input: run it, finish it; True when it succeeded."""
    result = controller.run(source)
    controller.finish(result.ok)
    return result.ok


def test_inputs_submitted_while_one_runs_are_queued_and_run_in_order(workspace: Workspace) -> None:
    controller = ReplController(workspace)
    assert controller.submit("c1 = 1") == "run"
    assert [controller.submit(s) for s in ("c2 = c1 + 1", "", "c3 = c2 + 1")] == ["queued", "empty", "queued"]
    assert controller.queued == ("c2 = c1 + 1", "c3 = c2 + 1")
    assert controller.status(True, now=controller.started).startswith("In [1] running… 0.0 s · 2 queued")
    assert controller.next_queued() is None  # not while one runs
    ran = ["c1 = 1"]
    assert run_through(controller, "c1 = 1")
    while (source := controller.next_queued()) is not None:
        assert controller.running and controller.running_number == len(ran) + 1
        ran.append(source)
        assert run_through(controller, source)
    assert ran == ["c1 = 1", "c2 = c1 + 1", "c3 = c2 + 1"] and workspace.namespace["c3"] == 3
    assert controller.history.entries[-3:] == ran  # each in the history when it was submitted


def test_nothing_overtakes_the_queue_between_two_inputs(workspace: Workspace) -> None:
    controller = ReplController(workspace)
    controller.submit("a = 1")
    controller.submit("b = a + 1")
    assert run_through(controller, "a = 1")
    # The first input is over and the next has not started yet (the screen starts it a moment later):
    assert not controller.running and controller.submit("c = b + 1") == "queued"
    ran = [source for source in iter(controller.next_queued, None) if run_through(controller, source)]
    assert ran == ["b = a + 1", "c = b + 1"] and workspace.namespace["c"] == 3


def test_a_failing_input_drops_the_queue_as_jupyter_does(workspace: Workspace) -> None:
    controller = ReplController(workspace)
    controller.submit("1 / 0")
    controller.submit("after = 1")
    controller.submit("after = 2")
    result = controller.run("1 / 0")
    assert controller.finish(result.ok) == 2
    assert controller.queued == () and controller.next_queued() is None and not controller.running
    assert "after = 2" in controller.history.entries  # ↑ recalls what was dropped


def test_ctrl_c_interrupts_and_drops_the_queue(workspace: Workspace) -> None:
    controller = ReplController(workspace)
    go = threading.Event()
    workspace.namespace["go"] = go
    controller.submit("go.wait(30)")
    controller.submit("never = 1")
    assert controller.interrupt() == 1  # nothing runs in the engine yet: only the queue goes
    assert controller.queued == () and controller.running  # the begun input still has to be run and finished
    go.set()
    assert run_through(controller, "go.wait(30)") and "never" not in workspace.namespace


def test_history_is_read_late_and_problems_are_told_once(workspace: Workspace, lab_home: Path) -> None:
    history_path().parent.mkdir(parents=True, exist_ok=True)
    history_path().write_text('["old = 1", "tru')  # cut short
    controller = ReplController(workspace)
    assert controller.history.entries == []  # nothing read before the first frame
    notices = controller.load_state()
    assert controller.history.entries == ["old = 1"] and len(notices) == 1 and ".corrupt-" in notices[0]
    assert controller.load_state() == [] and controller.notices() == []


def test_late_output_is_collected_for_the_ui(workspace: Workspace) -> None:
    controller = ReplController(workspace)
    go = threading.Event()
    workspace.namespace["go"] = go
    woken: list[bool] = []
    controller.engine.late.on_pending = lambda: woken.append(True)
    controller.run("import threading\nt = threading.Thread(target=lambda: (go.wait(30), print('late')))\nt.start()")
    go.set()
    workspace.namespace["t"].join(30)
    assert controller.take_late_output() == ([("stdout", "late\n")], 0) and woken == [True]


def test_details_of_a_strange_object_are_a_message(workspace: Workspace) -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    workspace.namespace["odd"] = Broken()
    controller = ReplController(workspace)
    assert controller.details("odd") == "odd: RuntimeError: no repr"

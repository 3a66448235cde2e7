"""The REPL pane driven with real keys: running, errors, interrupt, editing, history, completion, views."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

from rich.console import Console
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from tests.ui.repl.helpers import enter_and_wait, run_cell
from tests.waiting import until, wait_until
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.modals import HelpScreen, PickerScreen
from tui_lab.ui.repl.editor import ReplInput
from tui_lab.ui.repl.log import ReplLog
from tui_lab.ui.repl.modals import BroadcastScreen, InputPromptScreen
from tui_lab.ui.repl.screen import ReplScreen
from tui_lab.ui.repl.variables import VariableList
from tui_lab.ui.requests import InspectTensor, PaneRequest, UseAsTrainingData

AppFactory = Callable[..., TuiLabApp]


def log_text(app: TuiLabApp) -> str:
    log = app.screen.query_one("#repl-log", ReplLog)
    return "\n".join(strip.text.rstrip() for strip in log.lines)


def static_text(app: TuiLabApp, selector: str) -> str:
    """The plain text a Static shows (rendered through a recording console)."""
    console = Console(width=100, file=io.StringIO())
    console.print(app.screen.query_one(selector, Static).content)
    return console.file.getvalue()  # type: ignore[attr-defined]


def editor(app: TuiLabApp) -> ReplInput:
    return app.screen.query_one("#repl-input", ReplInput)


async def type_and_enter(pilot: Pilot[Any], text: str) -> None:
    """Type ``text`` key by key, then press Enter and wait for the run's result."""
    await run_cell(pilot, text, typed=True)


async def test_run_shows_torch_repr_and_the_variable(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await type_and_enter(pilot, "x = torch.arange(12)")
        await type_and_enter(pilot, "x.reshape(3, 4)")
        text = log_text(app)
        assert "In [2]: x.reshape(3, 4)" in text and "tensor([[ 0,  1,  2,  3]," in text
        assert "shape (3, 4) · torch.int64 · cpu" in text
        rows = app.screen.query_one("#repl-vars", VariableList)
        assert rows.rows == [("x", "(12,) int64 cpu")]


async def test_errors_are_shown_and_the_app_lives(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await type_and_enter(pilot, "1/0")
        assert "ZeroDivisionError: division by zero" in log_text(app)
        await type_and_enter(pilot, "torch.ones(3, 4) + torch.ones(2, 4)")
        text = log_text(app)
        assert "broadcasting explainer" in text and "3 4" in text and "2 4" in text and "✗ =" in text
        await type_and_enter(pilot, "1+1")
        assert "Out[3]: 2" in log_text(app)


async def test_ctrl_c_interrupts_an_endless_loop(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"while True: pass", "enter")
        screen = app.screen
        assert isinstance(screen, ReplScreen) and screen.engine is not None
        engine = screen.engine
        await until(pilot, lambda: engine.running, "the loop started")
        assert "running" in static_text(app, "#repl-status")
        await pilot.press("ctrl+c")  # the latency is measured by bench/repl.py
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "KeyboardInterrupt" in log_text(app)
        await type_and_enter(pilot, "1+1")
        assert "Out[2]: 2" in log_text(app)


async def test_ctrl_c_clears_the_input_when_idle(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"x = 1")
        await pilot.press("ctrl+c")
        assert editor(app).text == ""
        assert app.is_running


async def test_enter_continues_blocks_and_runs_when_complete(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"def f(a):", "enter")
        assert editor(app).text == "def f(a):\n    "
        await pilot.press(*"return a * 2", "enter")
        assert editor(app).text == "def f(a):\n    return a * 2\n"
        await enter_and_wait(pilot)
        await type_and_enter(pilot, "f(3)")
        assert "Out[2]: 6" in log_text(app)
        await pilot.press(*"x = 1", "ctrl+j")
        assert editor(app).text == "x = 1\n"


async def test_history_recalls_and_persists(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await type_and_enter(pilot, "a = 1")
        await type_and_enter(pilot, "b = 2")
        await pilot.press("up")
        assert editor(app).text == "b = 2"
        await pilot.press("up")
        assert editor(app).text == "a = 1"
        await pilot.press("down", "down")
        assert editor(app).text == ""
    again = make_app(pane="repl")
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.press("up")
        assert editor(again).text == "b = 2"
        await pilot.press("ctrl+r")
        picker = again.screen
        assert isinstance(picker, PickerScreen)
        await pilot.press(*"a =", "enter")
        assert editor(again).text == "a = 1"


async def test_tab_completes_and_lists_choices(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"torch.ara", "tab")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert editor(app).text == "torch.arange"
        await pilot.press("ctrl+c")
        await type_and_enter(pilot, "x = torch.arange(3)")
        await pilot.press(*"x.su", "tab")
        await app.workers.wait_for_complete()
        await pilot.pause()
        popup = app.screen.query_one("#repl-completions", OptionList)
        assert popup.display and popup.option_count >= 4
        prompts = [str(popup.get_option_at_index(i).prompt) for i in range(popup.option_count)]
        assert "sum" in prompts
        for _ in range(prompts.index("sum")):
            await pilot.press("down")
        await pilot.press("enter")
        assert editor(app).text == "x.sum" and not popup.display


async def test_memory_view_tells_new_storage_from_in_place(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(120, 40)) as pilot:
        await type_and_enter(pilot, "Y = torch.ones(3)")
        await type_and_enter(pilot, "Y = Y + 1")
        assert "Y new storage" in log_text(app)
        await type_and_enter(pilot, "Y += 1")
        assert "Y in place" in log_text(app)
        await type_and_enter(pilot, "A = Y.numpy()")
        assert "A (NumPy array) and Y (tensor) use the same memory" in log_text(app).replace("\n", " ")


async def test_huge_output_is_cut_and_help_still_opens(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await type_and_enter(pilot, "print('x' * 10_000_000)")
        assert "output truncated: 9,950,001 more characters" in log_text(app).replace("\n", " ")
        await pilot.press("f1")  # how fast it opens is measured by bench/repl.py
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "shift+tab" in static_text(app, "#help-keys")  # the way into the log, to scroll it


async def test_input_prompts_in_a_modal_and_exit_is_explained(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"name = input('who? ')", "enter")
        await until(pilot, lambda: isinstance(app.screen, InputPromptScreen), "the input() prompt")
        await pilot.press(*"Ada", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.workspace["name"] == "Ada" and "who? Ada" in log_text(app)
        await type_and_enter(pilot, "exit()")
        assert "press ctrl+q to quit" in log_text(app).replace("\n", " ") and app.is_running


async def test_variable_actions_details_and_deletion(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    opened: list[PaneRequest] = []

    def send(request: PaneRequest) -> None:
        opened.append(request)

    app.send = send  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await type_and_enter(pilot, "w = torch.ones(2, 3, requires_grad=True)")
        await pilot.press("ctrl+f")
        await app.workers.wait_for_complete()
        await pilot.pause()
        details = static_text(app, "#repl-details")
        assert "strides" in details and "(3, 1)" in details and "values" in details
        await pilot.press("ctrl+g")
        await pilot.press("ctrl+n")
        source = "w = torch.ones(2, 3, requires_grad=True)\n"
        assert opened == [InspectTensor("w", source), UseAsTrainingData("w")]
        await pilot.press("delete")
        await pilot.pause()
        assert "w" not in app.workspace and app.screen.query_one("#repl-vars", VariableList).row_count == 0


async def test_other_panes_publishing_refreshes_the_list(make_app: AppFactory) -> None:
    import torch

    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        app.workspace.publish_many({"X": torch.zeros(5, 2), "y": torch.zeros(5)}, "data")
        await pilot.pause()
        rows = app.screen.query_one("#repl-vars", VariableList)
        assert [name for name, _ in rows.rows] == ["X", "y"]


async def test_palette_commands_insert_examples_and_explain_broadcasting(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"cumsum", "enter")
        assert "cumsum(axis=0)" in editor(app).text
        await enter_and_wait(pilot)  # Enter on the inserted example runs it
        await type_and_enter(pilot, "a = torch.arange(3).reshape(3, 1)")
        await pilot.press("ctrl+t")
        assert isinstance(app.screen, BroadcastScreen)
        await pilot.press(*"a, torch.ones(2)", "enter")
        shown = static_text(app, "#broadcast-result")
        assert "broadcasts to (3, 2)" in shown
        await pilot.press("escape")
        assert isinstance(app.screen, ReplScreen)


async def test_palette_entry_runs_the_repl_action(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"Insert example")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)


async def test_cancelling_input_interrupts_the_code(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"answer = input()", "enter")
        await until(pilot, lambda: isinstance(app.screen, InputPromptScreen), "the input() prompt")
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "KeyboardInterrupt" in log_text(app) and "answer" not in app.workspace
        assert isinstance(app.screen, ReplScreen) and app.screen.focused is editor(app)


async def test_quitting_while_code_runs_stops_it(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"while True: pass", "enter")
        screen = app.screen
        assert isinstance(screen, ReplScreen) and screen.engine is not None
        engine = screen.engine
        await until(pilot, lambda: engine.running, "the loop started")
        await pilot.press("ctrl+q")
    wait_until(lambda: not engine.running, "the interrupt stopped the loop (at its next bytecode)")


async def test_inspect_graph_lets_the_graph_pane_check_repl_tensors(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await type_and_enter(pilot, "x = torch.arange(4.0, requires_grad=True)")
        await type_and_enter(pilot, "y = 2 * torch.dot(x, x)")
        await type_and_enter(pilot, "print(y)")
        await pilot.press("ctrl+f", "down")
        assert app.screen.query_one("#repl-vars", VariableList).selected == "y"
        await pilot.press("ctrl+g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.current_mode == "graph" and app.screen.query_one("#graph-input", Input).value == "y"
        await pilot.press("ctrl+n")
        await app.workers.wait_for_complete()
        await pilot.pause()
        info = str(app.screen.query_one("#graph-info", Static).render())
        assert "No code to replay" not in info
        error = float(info.split("x: max |autograd − numeric| = ")[1].split()[0])
        assert error < 1e-2
        await pilot.press("f2")
        await type_and_enter(pilot, "y = x.sum()")  # rebinding y makes the code handed over stale
        await pilot.press("f4")
        field = app.screen.query_one("#graph-input", Input)
        field.value = "y"
        field.focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("ctrl+n")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "No code to replay" in str(app.screen.query_one("#graph-info", Static).render())


async def test_typing_in_the_variable_list_goes_to_the_input(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await type_and_enter(pilot, "a = 1; b = 2")
        await pilot.press("ctrl+f", "down")
        rows = app.screen.query_one("#repl-vars", VariableList)
        assert app.screen.focused is rows and rows.selected == "b"  # arrows keep their list meaning
        await pilot.press("f2", "f3", "f2")  # away to the Data pane and back: the list keeps the focus
        assert app.screen.focused is rows
        await pilot.press(*"a + b")
        assert app.screen.focused is editor(app) and editor(app).text == "a + b"
        await enter_and_wait(pilot)
        assert "Out[2]: 3" in log_text(app)


async def test_typing_before_highlighting_starts_keeps_the_cursor(make_app: AppFactory) -> None:
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        field = editor(app)
        field.language = None  # as in the first moments after start-up, before highlighting is turned on
        await pilot.press(*"x = 1", "ctrl+j", *"y = 2")
        field._start_highlighting()  # what the timer set after the first frame calls
        assert field.language == "python" and field.cursor_location == (1, 5)
        await enter_and_wait(pilot)
        assert app.workspace["x"] == 1 and app.workspace["y"] == 2


async def test_inputs_typed_while_one_runs_are_queued_and_run_in_order(
    make_app: Callable[..., TuiLabApp], workspace: Any
) -> None:
    gate = threading.Event()
    workspace.namespace["gate"] = gate
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReplScreen) and screen.controller is not None
        controller = screen.controller
        # As tmux send-keys or a fast typist delivers them: all in one burst, the later Enters while the first runs.
        for key in [*"gate.wait(); y = 1", "enter", *"y + 1", "enter", *"z = y * 10", "enter"]:
            app.post_message(events.Key(key, "\r" if key == "enter" else key))
        await until(pilot, lambda: len(controller.queued) == 2, "two inputs queued behind the running one")
        assert editor(app).text == "" and controller.running
        queue = static_text(app, "#repl-queue")
        assert "In [*]: y + 1" in queue and "In [*]: z = y * 10" in queue
        assert "2 queued" in static_text(app, "#repl-status")
        gate.set()
        await until(pilot, lambda: controller.next_number == 4 and not controller.running, "the queue ran")
        text = log_text(app)
        assert text.index("In [2]: y + 1") < text.index("Out[2]: 2") < text.index("In [3]: z = y * 10")
        assert workspace.namespace["z"] == 10 and not app.screen.query_one("#repl-queue").display


async def test_ctrl_c_interrupts_the_running_input_and_drops_the_queue(
    make_app: Callable[..., TuiLabApp], workspace: Any
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReplScreen) and screen.controller is not None
        controller = screen.controller
        await pilot.press(*"while True: pass", "enter")
        await until(pilot, lambda: controller.engine.running, "the loop started")
        await pilot.press(*"never = 1", "enter")
        await until(pilot, lambda: controller.queued == ("never = 1",), "the input queued")
        await pilot.press("ctrl+c")
        await until(pilot, lambda: not controller.running, "the loop was interrupted")
        assert controller.queued == () and "never" not in workspace.namespace
        assert "KeyboardInterrupt" in log_text(app) and "In [2]" not in log_text(app)
        await pilot.press("up")
        assert editor(app).text == "never = 1"  # the dropped input is in the history


async def test_a_restored_log_prompts_and_wraps_each_input_as_it_was_echoed(make_app: AppFactory) -> None:
    from tui_lab.core.session.model import ReplEntry

    body = "1 + " * 20 + "1"
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReplScreen)
        await until(pilot, lambda: screen.body_ready, "the REPL's body is built")
        screen.restore_session([ReplEntry(f"def f():\n    return {body}", "", True, ("f",))])
        await pilot.pause()
        lines = [strip.text.rstrip() for strip in screen.log_view.lines]
        start = lines.index("In [·]: def f():")
        assert lines[start + 1].startswith("   ...:     return 1 + ")
        assert lines[start + 2].startswith(" " * 8) and lines[start + 2].strip()[0] in "1+", lines[start : start + 4]
        assert f"In [·]: def f():\n   ...:     return {body}" in screen.log_view.text

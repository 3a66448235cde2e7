"""The Graph pane driven by keys, as a learner would use it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from textual.widgets import Input, Static

from tests.waiting import until
from tui_lab.core.workspace import Workspace
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.graph.view import GraphView
from tui_lab.ui.modals import PickerScreen
from tui_lab.ui.requests import InspectTensor

AppFactory = Callable[..., TuiLabApp]
DOT = "x = torch.arange(4.0, requires_grad=True); y = 2 * torch.dot(x, x)"


async def _settle(app: TuiLabApp, pilot: object) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


async def _run(app: TuiLabApp, pilot: object, code: str) -> None:
    field = app.screen.query_one("#graph-input", Input)
    field.focus()
    field.value = code
    await pilot.press("enter")  # type: ignore[attr-defined]
    await _settle(app, pilot)


def _info(app: TuiLabApp) -> str:
    return str(app.screen_stack[0].query_one("#graph-info", Static).render())


def _rows(app: TuiLabApp) -> list[str]:
    """Every row of the graph (also those scrolled away), from the model the widget draws."""
    view = app.screen_stack[0].query_one(GraphView)
    assert view.model is not None and view.model.layout is not None
    return [view.model.row_text(i) for i in range(len(view.model.layout))]


def _selected_label(app: TuiLabApp) -> str:
    view = app.screen_stack[0].query_one(GraphView)
    assert view.model is not None and view.selected is not None
    return view.model.graph.nodes[view.selected].label


async def test_dot_example_draws_x_once_and_backward_accumulates(make_app: AppFactory, workspace: Workspace) -> None:
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        await _run(app, pilot, DOT)
        rows = _rows(app)
        assert [r.split("  ")[1].split()[0] for r in rows] == ["y", "MulBackward0", "DotBackward0", "x"]
        assert rows[2].startswith("●─┐") and rows[3].startswith("◆─┘")  # x once, two edges into it
        await pilot.press("f9")
        await _settle(app, pilot)
        assert workspace["x"].grad.tolist() == [0.0, 4.0, 8.0, 12.0]
        assert "grad=[0., 4., 8., 12.]" in _rows(app)[3]
        # The plain backward freed the graph: backward with retain_graph explains and offers a rebuild.
        await pilot.press("f10")
        await _settle(app, pilot)
        assert "Backward through a freed graph" in _info(app)
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("enter")
        await _settle(app, pilot)
        assert workspace["x"].grad.tolist() == [0.0, 8.0, 16.0, 24.0]
        await pilot.press("f10")
        await _settle(app, pilot)
        assert workspace["x"].grad.tolist() == [0.0, 12.0, 24.0, 36.0]
        await pilot.press("f11")
        await _settle(app, pilot)
        assert workspace["x"].grad.tolist() == [0.0, 0.0, 0.0, 0.0]
        assert "x.grad = [0., 0., 0., 0.]" in _info(app)


async def test_arrows_follow_edges_and_enter_shows_details(make_app: AppFactory) -> None:
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        await _run(
            app,
            pilot,
            "a = torch.ones(2, requires_grad=True); b = torch.ones(2, requires_grad=True); c = (a * b).sum()",
        )
        view = app.screen.query_one(GraphView)
        view.focus()
        names = lambda: _selected_label(app)  # noqa: E731
        assert names() == "c"
        await pilot.press("down", "down")
        assert names() == "MulBackward0"
        await pilot.press("down")
        first = names()
        await pilot.press("right")
        assert {first, names()} == {"a", "b"}
        await pilot.press("up")
        assert names() == "MulBackward0"
        await pilot.press("enter")
        info = _info(app)
        assert "MulBackward0" in info and "_saved_other" in info and "_saved_self" in info
        assert "created by line 1" in info


async def test_step_through_shows_each_incoming_gradient(make_app: AppFactory, workspace: Workspace) -> None:
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        await _run(
            app,
            pilot,
            "x = torch.arange(4.0, requires_grad=True); w = torch.ones(4, requires_grad=True); z = (x * w).sum()",
        )
        seen = []
        for _ in range(4):
            await pilot.press("ctrl+t")
            await _settle(app, pilot)
            seen.append(_info(app).splitlines()[0])
        assert [s.split(": ", 1)[1] for s in seen] == [
            "SumBackward0",
            "MulBackward0",
            "x (AccumulateGrad)",
            "w (AccumulateGrad)",
        ]
        assert "w: [0., 1., 2., 3.]" in _info(app)
        assert workspace["x"].grad is None  # stepping leaves .grad alone


async def test_detach_example_from_the_palette_command(make_app: AppFactory, workspace: Workspace) -> None:
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"detach", "enter")
        await _settle(app, pilot)
        rows = _rows(app)
        assert any("✂ u = y.detach()" in row and row.startswith("◇") for row in rows)
        await pilot.press("f9")
        await _settle(app, pilot)
        assert isinstance(app.screen, PickerScreen)  # non-scalar: choose how
        await pilot.press("enter")  # z.sum().backward()
        await _settle(app, pilot)
        assert torch.equal(workspace["x"].grad, workspace["u"])


async def test_numeric_check_on_linear_regression(make_app: AppFactory) -> None:
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+o")
        await pilot.press(*"matrix", "enter")
        await _settle(app, pilot)
        await pilot.press("ctrl+n")
        await _settle(app, pilot)
        info = _info(app)
        assert "in float32" in info and "in float64" in info
        error = float(info.split("max |autograd − numeric| = ")[1].split()[0])
        assert error < 1e-3
        await pilot.press("ctrl+y")
        await _settle(app, pilot)
        assert "3 passes, one per input" in _info(app) and "1 pass, one per output" in _info(app)
        await pilot.press("ctrl+g")
        await _settle(app, pilot)
        assert "gradcheck passed" in _info(app)


async def test_bad_input_is_explained(make_app: AppFactory) -> None:
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        await _run(app, pilot, "x = torch.arange(4.0); y = x + 1")
        assert "No graph" in _info(app) and "requires_grad=True" in _info(app)
        await _run(app, pilot, "s = 'hello'")
        assert "Not a tensor" in _info(app)
        await _run(app, pilot, "y = (")
        assert "Syntax error" in _info(app)
        await _run(app, pilot, "w = torch.ones(3, requires_grad=True); w -= 0.1 * w")
        assert "torch.no_grad()" in _info(app)
        await _run(app, pilot, "x = torch.arange(4.0, requires_grad=True); y = x * 2")
        await pilot.press("ctrl+t", "ctrl+t")
        await _settle(app, pilot)
        assert app.is_running


async def test_ten_thousand_additions_fold_and_stay_navigable(make_app: AppFactory) -> None:
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        await _run(app, pilot, "x = torch.ones(3, requires_grad=True)\ny = x\nfor i in range(10000):\n    y = y + x")
        rows = _rows(app)
        assert len(rows) == 3 and "AddBackward0 ×10000" in rows[1]
        view = app.screen.query_one(GraphView)
        view.focus()
        await pilot.press("down", "space")
        await pilot.pause()
        assert view.model is not None and view.model.layout is not None and len(view.model.layout) == 10002
        await pilot.press("end")
        assert _selected_label(app) == "x"


async def test_hundred_thousand_nodes_are_cut(make_app: AppFactory) -> None:
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        await _run(app, pilot, "x = torch.ones(1, requires_grad=True)\ny = x\nfor i in range(100000):\n    y = y * 1.0")
        view = app.screen.query_one(GraphView)
        assert view.model is not None and view.model.graph.truncated
        assert "cut at the node limit" in str(app.screen.query_one("#graph-summary", Static).render())


async def test_inspect_request_from_another_pane(make_app: AppFactory, workspace: Workspace) -> None:
    workspace.namespace["p"] = torch.ones(2, requires_grad=True)
    workspace.namespace["q"] = workspace["p"] * 3
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        app.send(InspectTensor("q"))
        await pilot.pause()
        await _settle(app, pilot)
        assert app.current_mode == "graph"
        assert app.screen.query_one("#graph-input", Input).value == "q"
        assert [r.split("  ")[1].split()[0] for r in _rows(app)] == ["q", "MulBackward0", "p"]
        await pilot.press("ctrl+n")
        await _settle(app, pilot)
        assert "No code to replay" in _info(app)
        app.send(InspectTensor("q", "q = p * 3"))
        await pilot.pause()
        await _settle(app, pilot)
        await pilot.press("ctrl+n")
        await _settle(app, pilot)
        assert "p: max |autograd − numeric|" in _info(app)


async def test_pick_tensor_with_ctrl_l(make_app: AppFactory, workspace: Workspace) -> None:
    workspace.namespace["a"] = torch.ones(2, requires_grad=True)
    workspace.namespace["b"] = workspace["a"].exp()
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+l")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("b", "enter")
        await _settle(app, pilot)
        assert "ExpBackward0" in "".join(_rows(app))


async def test_wide_terminal_puts_info_beside_the_graph(make_app: AppFactory) -> None:
    app = make_app(pane="graph")
    async with app.run_test(size=(120, 40)) as pilot:
        await _run(app, pilot, DOT)
        assert app.screen.has_class("-wide")
        box = app.screen.query_one("#graph-info-box")
        assert box.region.x > 60


async def test_typing_on_the_graph_goes_to_the_input(make_app: AppFactory) -> None:
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        await _run(app, pilot, DOT)
        await pilot.press("escape")
        view = app.screen.query_one(GraphView)
        assert app.screen.focused is view
        field = app.screen.query_one("#graph-input", Input)
        field.value = ""
        await pilot.press("y")
        assert app.screen.focused is field and field.value == "y"
        await pilot.press("enter")
        await _settle(app, pilot)
        assert "MulBackward0" in "".join(_rows(app))


async def test_ctrl_c_stops_endless_code_and_the_pane_stays_usable(make_app: AppFactory) -> None:
    from tui_lab.ui.graph.screen import GraphScreen

    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        interrupter = screen.inspection.interrupter
        field = screen.query_one("#graph-input", Input)
        field.focus()
        field.value = "while True: pass"
        await pilot.press("enter")
        await until(pilot, lambda: interrupter.running, "the worker runs the user's code")
        await pilot.press("ctrl+c")
        await _settle(app, pilot)
        assert "Interrupted" in _info(app) and "ctrl+c stopped your code" in _info(app)
        assert "while True: pass" in _info(app) and not interrupter.running
        assert "Running" not in _summary(app)
        await _run(app, pilot, DOT)
        assert "DotBackward0" in "".join(_rows(app))
        await pilot.press("ctrl+c")  # idle: clears the input line
        assert field.value == "" and screen.focused is field


async def test_interrupt_palette_entry_is_listed(make_app: AppFactory) -> None:
    app = make_app(pane="graph")
    async with app.run_test(size=(100, 30)) as pilot:
        await _run(app, pilot, DOT)
        await pilot.press("ctrl+p")
        await pilot.press(*"Graph: interrupt")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#graph-input", Input).value == ""


def _drawn(app: TuiLabApp) -> list[str]:
    """The graph's visible rows exactly as GraphView.render_line draws them."""
    return app.screen_stack[0].query_one(GraphView).drawn_lines()


def _summary(app: TuiLabApp) -> str:
    return str(app.screen_stack[0].query_one("#graph-summary", Static).render())


async def test_drawn_rows_show_grads_walk_marks_and_the_cursor(make_app: AppFactory) -> None:
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        await _run(app, pilot, DOT)
        await pilot.press("f10")  # backward(retain_graph=True): the walk needs the graph afterwards
        await _settle(app, pilot)
        drawn = _drawn(app)
        assert drawn[0].startswith("◎  y  () float32  inspected tensor")
        assert drawn[3].startswith("◆─┘  x  (4,) float32  AccumulateGrad  grad=[0., 4., 8., 12.]")
        await pilot.press("ctrl+t", "ctrl+t")
        await _settle(app, pilot)
        drawn = _drawn(app)
        assert drawn[1].rstrip().endswith("✓ g=1.") and drawn[2].rstrip().endswith("◀ g=2. (step 2)")
        view = app.screen.query_one(GraphView)
        cursor, other = view.render_line(2), view.render_line(0)
        assert cursor.text.startswith("●─┐  DotBackward0")  # the cursor follows the walk
        assert {s.style and s.style.bgcolor for s in cursor} != {s.style and s.style.bgcolor for s in other}
        await pilot.press("f10")  # a later backward clears the marks
        await _settle(app, pilot)
        assert not any("◀" in line or "✓" in line for line in _drawn(app))


async def test_a_failing_worker_never_leaves_running(make_app: AppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui_lab.ui.graph.controller import GraphInspection

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("graph build exploded")

    monkeypatch.setattr(GraphInspection, "inspect", broken)
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        field = app.screen.query_one("#graph-input", Input)
        field.focus()
        field.value = DOT
        await pilot.press("enter")
        await _settle(app, pilot)
        assert "Running" not in _summary(app) and "graph build exploded" in _summary(app)
        assert "internal error" in _info(app)
        monkeypatch.undo()
        await _run(app, pilot, DOT)  # the pane is usable again
        assert "y: 4 nodes" in _summary(app)


async def test_d2l_check_typed_in_the_input_shows_its_value(make_app: AppFactory) -> None:
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        await _run(
            app,
            pilot,
            "x = torch.arange(4.0, requires_grad=True); y = 2 * torch.dot(x, x); y.backward(); x.grad == 4 * x",
        )
        info = _info(app)
        assert "tensor([True, True, True, True])" in info
        assert "none of the tensors it was computed from requires grad" not in info
        assert "not differentiable" in info


async def test_a_prefilled_name_is_replaced_by_typing(make_app: AppFactory, workspace: Workspace) -> None:
    workspace.namespace["p"] = torch.ones(2, requires_grad=True)
    workspace.namespace["q"] = workspace["p"] * 3
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        app.send(InspectTensor("q"))
        await pilot.pause()
        await _settle(app, pilot)
        field = app.screen.query_one("#graph-input", Input)
        assert field.value == "q" and field.selection.start == 0 and field.selection.end == 1
        field.focus()
        await pilot.pause()
        await pilot.press(*"z = q * 2")
        assert field.value == "z = q * 2"


async def test_an_example_keeps_the_users_names_when_asked(make_app: AppFactory, workspace: Workspace) -> None:
    workspace.namespace["x"] = torch.tensor([42.0])
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"4x", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen) and "x already exists" in app.screen.title_text
        await pilot.press("enter")  # the first choice keeps them
        await _settle(app, pilot)
        assert workspace["x"].tolist() == [42.0] and "y2" in workspace
        assert "x → x2" in _info(app) and _drawn(app)[0].startswith("◎  y2")


async def test_a_new_input_forgets_the_freed_graph_warning(make_app: AppFactory) -> None:
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        await _run(app, pilot, DOT)
        await pilot.press("f9")
        await _settle(app, pilot)
        await pilot.press("f9")
        await _settle(app, pilot)
        assert "Backward through a freed graph" in _info(app)
        await pilot.press("escape")  # decline the rebuild
        await _run(app, pilot, "a = torch.ones(3, requires_grad=True); b = (a * a).sum()")
        assert "freed" not in _info(app) and "freed" not in _summary(app)
        assert _info(app).startswith("b · ")


async def test_hostile_names_never_reach_the_terminal(make_app: AppFactory, workspace: Workspace) -> None:
    name = "v\x1b]52;c;dmFybmFtZQ==\x07[/]"
    workspace.namespace[name] = torch.ones(2, requires_grad=True)
    workspace.namespace["out"] = (workspace[name] * 2).sum()
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        await _run(app, pilot, "out")
        await pilot.press("f9")
        await _settle(app, pilot)
        drawn = "\n".join(_drawn(app))
        assert "v␛]52;c;dmFybmFtZQ==␇[/]" in drawn
        for text in (drawn, _info(app), _summary(app)):
            assert "\x1b" not in text and "\x07" not in text
        assert app.is_running


async def test_typing_after_a_run_replaces_the_line(make_app: AppFactory) -> None:
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        await _run(app, pilot, DOT)
        await pilot.press("y", "enter")
        await _settle(app, pilot)
        assert app.screen.query_one("#graph-input", Input).value == "y"
        assert _summary(app).startswith(" y: 4 nodes")


async def test_every_step_press_counts_even_while_the_walk_is_recorded(make_app: AppFactory) -> None:
    app = make_app(pane="graph")
    async with app.run_test(size=(80, 24)) as pilot:
        await _run(app, pilot, DOT)
        await pilot.press("ctrl+t", "ctrl+t", "ctrl+t")  # the first press records the walk in a worker
        await _settle(app, pilot)
        assert _info(app).startswith("y · Reverse mode, step 3 of 3: x (AccumulateGrad)")
        assert "Done. Each leaf's gradient" in _info(app)


def test_the_fingerprint_of_a_screen_not_yet_composed_is_its_saved_node() -> None:
    """The session's once-a-second check can run between the screen's registration and its compose: the
    fingerprint raised NoMatches there (an unhandled error in a timer, seen under load in the suite)."""
    from tui_lab.ui.graph.screen import GraphScreen

    assert GraphScreen().fingerprint() is None


def test_save_and_restore_of_a_screen_without_its_view_keep_the_node() -> None:
    """The quit's save can come while the app tears the screen down (NoMatches GraphView in save_state,
    seen once under load in the suite), and a session's state can come before the compose."""
    from tui_lab.core.session.panestates import GraphState
    from tui_lab.ui.graph.screen import GraphScreen

    screen = GraphScreen()
    assert screen.save_state() == GraphState(None)
    screen.restore_state(GraphState(3))
    assert screen.save_state() == GraphState(3) and screen.fingerprint() == 3

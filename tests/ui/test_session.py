"""A session built through the panes survives quit and ``--resume``: names, pipeline, runs, REPL log, "not saved"."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pandas as pd
import torch
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from tests.train_fit import fit_of
from tests.ui.conftest import NotificationRecorder
from tests.waiting import until
from tui_lab.core.data.tensors import TensorOptions
from tui_lab.core.session import store
from tui_lab.core.workspace import Workspace
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.session_modals import SessionDialog

MakeApp = Callable[..., TuiLabApp]
HOUSE_TINY = Path(__file__).resolve().parents[2] / "sample_data" / "house_tiny.csv"
REPL_INPUTS = (
    "a = torch.arange(6.).reshape(2, 3)",
    "g = torch.ones(3, requires_grad=True)",
    "arr = np.linspace(0, 1, 5)",
    "df = pd.DataFrame({'k': [1, 2], 's': ['x', None]})",
    "col = df['k'] * 2",
    "n, msg, lrs = 3, 'hi', [0.1, 0.03]",
    "model = nn.Linear(2, 1)",
    "square = lambda v: v * v",
)


def asking(app: TuiLabApp) -> bool:
    """A session question is on screen, mounted and focused (so its keys work)."""
    focused = app.focused
    return isinstance(app.screen, SessionDialog) and focused is not None and focused.id == "session-yes"


async def settle(pilot: Pilot[Any]) -> None:
    """Let the workers run a few rounds (a restore may start the next one); not a wait for a state."""
    for _ in range(4):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            continue
        await pilot.pause()


def screen_of(app: TuiLabApp, pane: str) -> Any:
    return app.session.screen_of(pane)


async def build_workspace(app: TuiLabApp, pilot: Pilot[Any]) -> None:
    """Data pipeline → X, y; REPL names of every kind; two training runs."""
    await until(pilot, lambda: app.torch_ready, "torch ready", between=settle)
    await until(
        pilot, lambda: getattr(screen_of(app, "data"), "pipeline", None) is not None, "CSV loaded", between=settle
    )
    for keys in (
        ("right", "right", "t", "space", "enter"),
        ("m", "enter"),
        ("h", "enter"),
        ("T", "enter"),
        ("z", "enter"),
    ):
        await pilot.press(*keys)
        await settle(pilot)
    await pilot.press("u")  # undo the standardize: the session keeps the undo position
    await settle(pilot)
    await pilot.press("f2")
    await settle(pilot)
    for source in REPL_INPUTS:
        await pilot.press(*source, "enter")
        await settle(pilot)
    await pilot.press("f5")
    await settle(pilot)
    for _ in range(2):
        await pilot.press("f6")
        await until(pilot, lambda: not screen_of(app, "train").running, "run finished", between=settle)
    await settle(pilot)


async def test_quit_and_resume_restores_the_session(
    make_app: MakeApp, workspace: Workspace, tmp_path: Path, lab_home: Path
) -> None:
    csv = tmp_path / "house.csv"
    shutil.copy(HOUSE_TINY, csv)
    first = make_app(csv_path=str(csv), pane="data")
    async with first.run_test(size=(120, 40)) as pilot:
        await build_workspace(first, pilot)
        saved = {name: first.workspace[name] for name in first.workspace.user_names()}
        data = screen_of(first, "data")
        frame, applied, undone = data.pipeline.frame, len(data.pipeline.applied), len(data.pipeline.undone)
        runs = [(r.run_id, fit_of(r.result).w, fit_of(r.result).b) for r in screen_of(first, "train").records]
        assert len(runs) == 2 and applied == 3 and undone == 1
        data.controller.tensor_options = TensorOptions("X", "y", "float64")  # as the tensors form (T) would set
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert store.peek() is not None and not store.unclean_exit("default")

    fresh = Workspace()
    fresh.load_preloads()
    second = make_app(workspace=fresh, resume=True)
    async with second.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: asking(second), "the re-run question", between=settle)
        question = second.screen
        assert isinstance(question, SessionDialog)
        # model (an nn.Linear) and the Train pane's net come back from their saved architecture: only
        # the function needs its input re-run
        assert "square" in str(question.title_text) and "model" not in str(question.title_text)
        await pilot.press("y")  # re-run the input that built square
        await until(pilot, lambda: "square" in fresh, "re-run inputs", between=settle)
        ws = second.workspace
        for name in ("X", "y", "a", "g"):
            assert torch.equal(ws[name], saved[name]) and ws[name].dtype == saved[name].dtype, name
        assert ws["g"].requires_grad
        assert np.array_equal(ws["arr"], saved["arr"])
        assert isinstance(ws["df"], pd.DataFrame) and ws["df"].equals(saved["df"])
        assert ws["col"].equals(saved["col"])
        assert (ws["n"], ws["msg"], ws["lrs"]) == (3, "hi", [0.1, 0.03])
        assert torch.equal(ws["model"].weight, saved["model"].weight) and torch.equal(
            ws["model"].bias, saved["model"].bias
        )
        trained = saved["net"].state_dict()  # the Train pane's nn.Sequential, as its last run left it
        assert type(ws["net"]) is torch.nn.Sequential
        assert all(torch.equal(ws["net"].state_dict()[k], v) for k, v in trained.items())
        assert torch.equal(ws["w"], saved["w"]) and ws["b"] == saved["b"]  # the Train pane's published parameters
        not_saved = {entry.name: entry for entry in second.session.not_saved}
        assert set(not_saved) == {"square"} and "function" in not_saved["square"].reason
        assert screen_of(second, "data") is None  # not opened yet: its pipeline waits for it
        await pilot.press("f3")
        await until(pilot, lambda: screen_of(second, "data") is not None, "the Data pane", between=settle)
        data = screen_of(second, "data")
        assert data.pipeline.frame.equals(frame)
        assert (len(data.pipeline.applied), len(data.pipeline.undone)) == (applied, undone)
        assert data.controller.tensor_options == TensorOptions("X", "y", "float64")
        train = screen_of(second, "train")
        assert [(r.run_id, fit_of(r.result).w, fit_of(r.result).b) for r in train.records] == runs
        assert len(train.query_one("LossPlot").records) == 2  # the runs are on the plot
        assert [e.source for e in second.session.repl_log if e.ok] == list(REPL_INPUTS)


async def test_an_unclean_exit_asks_before_restoring(make_app: MakeApp, workspace: Workspace, lab_home: Path) -> None:
    from tui_lab.core.session.capture import take_snapshot

    root = store.sessions_root()
    store.save(take_snapshot([("kept", torch.arange(3))], 1 << 30), "default", root=root)
    (root / ".default.running").write_text('{"pid": 4194303999}')  # a tui-lab that died
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: asking(app), "the resume question", between=settle)
        question = app.screen
        assert isinstance(question, SessionDialog)
        assert str(question.title_text).startswith("Restore the session from ")
        assert "(1 name, 0 runs)?" in str(question.title_text)
        await pilot.press("y")
        await until(pilot, lambda: "kept" in app.workspace, "restored names", between=settle)
        assert torch.equal(app.workspace["kept"], torch.arange(3))


async def test_an_unclean_exit_of_an_empty_session_asks_nothing(make_app: MakeApp, lab_home: Path) -> None:
    import json
    import os

    from tui_lab.core.session.capture import take_snapshot

    root = store.sessions_root()
    store.save(take_snapshot([], 1 << 30), "default", root=root)
    marker = root / ".default.running"
    marker.write_text('{"pid": 4194303999}')  # a tui-lab that died with nothing in its session
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(
            pilot, lambda: json.loads(marker.read_text())["pid"] == os.getpid(), "the session checked", between=settle
        )
        await pilot.pause()
        assert not isinstance(app.screen, SessionDialog)


async def test_a_corrupt_session_is_moved_aside_with_a_message(
    make_app: MakeApp, lab_home: Path, notes: NotificationRecorder
) -> None:
    root = store.sessions_root()
    (root / "default").mkdir()
    (root / "default" / "session.json").write_bytes(b"\x80\x04garbage")
    app = make_app(resume=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        texts = [n.message for n in notes.notes]
        assert any("could not be read" in t and "moved" in t for t in texts), texts
    assert any(p.name.startswith("default.bad-") for p in root.iterdir())


async def test_palette_saves_under_a_name_exports_a_notebook_and_opens_a_session(
    make_app: MakeApp, tmp_path: Path, lab_home: Path
) -> None:
    import nbformat

    from tests.ui.conftest import run_palette
    from tui_lab.ui.session_modals import PromptScreen

    app = make_app(pane="repl")
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.torch_ready, "torch ready", between=settle)
        for source in ("t = torch.arange(4.)", "print(t.sum())"):
            await pilot.press(*source, "enter")
            await settle(pilot)
        await run_palette(app, pilot, "Save session as")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen), "the name prompt", between=settle)
        await pilot.press("ctrl+u", *"ch3", "enter")
        await until(pilot, lambda: store.peek("ch3") is not None, "session ch3 saved", between=settle)
        assert app.session.name == "ch3"
        target = tmp_path / "out" / "lab.ipynb"
        await run_palette(app, pilot, "Export session as notebook")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen), "the path prompt", between=settle)
        await pilot.press("ctrl+u", *str(target), "enter")
        await until(pilot, target.exists, "the notebook", between=settle)
        notebook = nbformat.read(target, as_version=4)
        nbformat.validate(notebook)
        cells = [c for c in notebook.cells if c.cell_type == "code"]
        assert any(c.source == "print(t.sum())" and "tensor(6.)" in c.outputs[0]["text"] for c in cells)
        app.workspace.delete(["t"], "repl")
        await run_palette(app, pilot, "Open session")
        await pilot.press(*"ch3", "enter")
        await until(pilot, lambda: "t" in app.workspace, "the session opened", between=settle)
        assert torch.equal(app.workspace["t"], torch.arange(4.0))


async def test_new_session_saves_the_old_one_and_starts_empty(make_app: MakeApp, lab_home: Path) -> None:
    from tests.ui.conftest import run_palette
    from tui_lab.ui.session_modals import PromptScreen

    app = make_app(pane="repl")
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.torch_ready, "torch ready", between=settle)
        await pilot.press(*"kept = torch.arange(3.)", "enter")
        await until(pilot, lambda: "kept" in app.workspace, "the input ran", between=settle)
        await settle(pilot)
        await run_palette(app, pilot, "New session")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen), "the name prompt", between=settle)
        await pilot.press(*"chapter-3", "enter")
        await until(pilot, lambda: app.session.name == "chapter-3", "the new session", between=settle)
        assert "kept" not in app.workspace and not list(app.workspace.user_names())
        await settle(pilot)
        old = store.load("default")
        assert old is not None and torch.equal(old.values["kept"], torch.arange(3.0))


async def test_the_graph_panes_selected_node_is_kept_by_the_session(make_app: MakeApp, lab_home: Path) -> None:
    """The Graph pane's state is one record (GraphState) and its three PaneSession methods, nothing else."""
    from textual.widgets import Input

    from tui_lab.ui.graph.view import GraphView

    app = make_app(pane="graph")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.torch_ready, "torch ready", between=settle)
        field = app.screen.query_one("#graph-input", Input)
        field.focus()
        field.value = "a = torch.ones(2, requires_grad=True); c = (a * 3).sum()"
        await pilot.press("enter")
        view = app.screen.query_one(GraphView)
        await until(pilot, lambda: view.selected is not None, "the graph", between=settle)
        view.focus()
        await pilot.press("down", "down")
        chosen = view.selected
        assert chosen is not None and chosen != view.model.graph.root  # type: ignore[union-attr]
        await pilot.press("ctrl+q")
        await settle(pilot)
    saved = store.peek()
    assert saved is not None and {"pane": "graph", "selected": chosen} in [msgspec.to_builtins(p) for p in saved.panes]
    second = make_app(pane="repl", resume=True)
    async with second.run_test(size=(120, 40)) as pilot:
        await until(
            pilot,
            lambda: second.session.restoring is False and second.current_mode == "graph",
            "the restore",
            between=settle,
        )
        await until(pilot, lambda: screen_of(second, "graph") is not None, "the Graph pane", between=settle)
        assert screen_of(second, "graph").save_state().selected == chosen

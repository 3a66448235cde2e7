"""Sessions that no file can subvert, no second window and no early quit can lose (issue #20, items 3, 4, 5, 9)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import torch
from textual.pilot import Pilot

from tests.ui.conftest import NotificationRecorder
from tests.ui.test_session import settle
from tests.waiting import until
from tui_lab.core.repl.history import history_path
from tui_lab.core.session import store
from tui_lab.core.session.capture import take_snapshot
from tui_lab.core.session.contract import RestoreCancelled
from tui_lab.core.session.keeper import SessionKeeper
from tui_lab.core.session.panestates import DataState
from tui_lab.core.train.outcome import RunStatus
from tui_lab.core.workspace import Workspace
from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.session_modals import RestoreProgressScreen

MakeApp = Callable[..., TuiLabApp]


async def _run(pilot: Pilot[Any], source: str) -> None:
    await pilot.press(*source, "enter")
    app = cast(TuiLabApp, pilot.app)
    await until(pilot, lambda: source.split(" =")[0] in app.workspace, f"{source} ran")


def _save_default(**values: Any) -> Path:
    root = store.sessions_root()
    store.save(take_snapshot(sorted(values.items()), 1 << 30), "default", root=root)
    return root


class Gate:
    """Holds every session read at its start until opened (a slow disk, without any sleep)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered = threading.Event()
        self.open = threading.Event()
        original = SessionKeeper.read

        def gated(keeper: SessionKeeper, name: str | None = None, **kwargs: Any) -> Any:
            self.entered.set()
            should_stop = kwargs.get("should_stop")
            while not self.open.wait(0.01):
                if should_stop is not None and should_stop():
                    raise RestoreCancelled
            return original(keeper, name, **kwargs)

        monkeypatch.setattr(SessionKeeper, "read", gated)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    held = Gate(monkeypatch)
    yield held
    held.open.set()


# -- #20.4: two instances on one state directory ----------------------------------------------


async def test_a_second_app_gets_its_own_session_and_both_keep_their_work(
    make_app: MakeApp, lab_home: Path, notes: NotificationRecorder
) -> None:
    first = make_app(pane="repl")
    second_ws = Workspace()
    second_ws.load_preloads()
    second = make_app(pane="repl", workspace=second_ws)
    async with first.run_test(size=(100, 30)) as a:
        await until(a, lambda: first.torch_ready, "torch in A", between=settle)
        await _run(a, "a_work = 1")
        async with second.run_test(size=(100, 30)) as b:
            await until(b, lambda: second.torch_ready, "torch in B", between=settle)
            assert second.session.name == "default-2" and first.session.name == "default"
            told = [m for m in notes.told(second) if "open in another tui-lab" in m]
            assert len(told) == 1 and "'default-2'" in told[0]
            await _run(b, "b_work = 2")
            await b.press("ctrl+q")
            await settle(b)
        await _run(a, "a_more = 3")
        await a.press("ctrl+q")
        await settle(a)
    root = store.sessions_root()
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == ["default", "default-2"]
    a_saved, b_saved = store.load("default", root=root), store.load("default-2", root=root)
    assert a_saved is not None and set(a_saved.values) == {"a_work", "a_more"}
    assert b_saved is not None and set(b_saved.values) == {"b_work"}
    history = json.loads(history_path().read_text())
    assert {"a_work = 1", "b_work = 2", "a_more = 3"} <= set(history)


# -- #20.3: quitting during a restore -----------------------------------------------------------------


async def test_quitting_during_a_restore_keeps_the_session_and_puts_new_work_beside_it(
    make_app: MakeApp, lab_home: Path, gate: Gate
) -> None:
    root = _save_default(kept=torch.arange(1000.0))
    manifest = (root / "default" / "session.json").read_bytes()
    app = make_app(pane="repl", resume=True)
    app.session.flows.progress_delay = 3600  # no progress dialog: the person types meanwhile
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, gate.entered.is_set, "the restore started")
        await _run(pilot, "x_new = 1")
        assert app.session.restoring
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not app.is_running, "the quit")
    assert (root / "default" / "session.json").read_bytes() == manifest  # untouched
    sides = [p.name for p in root.iterdir() if p.name.startswith("default-")]
    assert len(sides) == 1
    side = store.load(sides[0], root=root)
    assert side is not None and side.values == {"x_new": 1}


async def test_a_restore_shows_progress_and_esc_cancels_it_leaving_the_session_as_it_was(
    make_app: MakeApp, lab_home: Path, gate: Gate, notes: NotificationRecorder
) -> None:
    root = _save_default(kept=torch.arange(4.0))
    manifest = (root / "default" / "session.json").read_bytes()
    app = make_app(pane="repl", resume=True)
    app.session.flows.progress_delay = 0
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, RestoreProgressScreen), "the progress dialog")
        assert "Esc cancels" in str(app.screen.query("Static").last().render())
        await pilot.press("escape")
        await until(pilot, lambda: not app.session.restoring, "the cancel")
        assert "kept" not in app.workspace
        assert any("Restore cancelled" in m and "kept on disk as it was" in m for m in notes.messages)
        assert (root / "default" / "session.json").read_bytes() == manifest
        await _run(pilot, "z = 1")
        await pilot.press("ctrl+q")
        await settle(pilot)
    kept = [p.name for p in root.iterdir() if p.name.startswith("default-")]
    assert len(kept) == 1 and (root / kept[0] / "session.json").read_bytes() == manifest
    latest = store.load("default", root=root)
    assert latest is not None and set(latest.values) == {"z"}


@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
async def test_a_data_path_that_is_a_fifo_or_a_device_never_hangs_the_restore(
    make_app: MakeApp, lab_home: Path, tmp_path: Path, special: str, notes: NotificationRecorder
) -> None:
    path = tmp_path / "table.csv"
    if special == "fifo":
        os.mkfifo(path)
    else:
        path = Path(special)
    recipe = DataState(path=str(path), sha256="0" * 64)
    store.save(take_snapshot([("kept", 1)], 1 << 30, (recipe,)), "default", root=store.sessions_root())
    app = make_app(pane="repl", resume=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: "kept" in app.workspace, "the restore", between=settle)
        told = " ".join(notes.messages)
        assert "Data pipeline was not restored" in told and "not a regular file" in told


# -- #20.5 and #20.9: a bad or hostile session never kills the app ---------------------------------------


async def test_a_malformed_run_is_one_message_and_the_session_is_moved_aside(
    make_app: MakeApp, lab_home: Path, notes: NotificationRecorder
) -> None:
    from tui_lab.core.session.contract import TrainView
    from tui_lab.core.train.config import TrainConfig
    from tui_lab.core.train.history import RunRecord
    from tui_lab.core.train.runner import run

    config = TrainConfig(epochs=1, n=50)
    record = RunRecord(1, config, status=RunStatus.RUNNING)
    record.finish(run(config))
    root = store.sessions_root()
    store.save(take_snapshot([], 1 << 30, (TrainView((record,), {}),)), "default", root=root)
    manifest = root / "default" / "session.json"
    data = json.loads(manifest.read_text())
    next(p for p in data["panes"] if p["pane"] == "train")["runs"][0]["result"]["w"] = ["abc"]
    manifest.write_text(json.dumps(data))
    for _ in range(2):  # the next resume starts clean: the bad session is out of the way
        app = make_app(pane="repl", resume=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await _run(pilot, "alive = 1")
            told = [m for m in notes.messages if "could not be read" in m]
        if told:
            assert len(told) == 1 and "result.w[0]" in told[0] and ".bad-" in told[0]
    assert len([p for p in root.iterdir() if ".bad-" in p.name]) == 1


async def test_a_pane_that_cannot_show_its_restored_state_is_one_message(
    make_app: MakeApp, lab_home: Path, monkeypatch: pytest.MonkeyPatch, notes: NotificationRecorder
) -> None:
    from tui_lab.core.session.contract import TrainView
    from tui_lab.ui.train.screen import TrainScreen

    root = store.sessions_root()
    store.save(take_snapshot([("kept", 1)], 1 << 30, (TrainView((), {"lr": "0.5"}),)), "default", root=root)

    def broken(self: TrainScreen, state: TrainView) -> None:
        raise RuntimeError("the form is not there")

    monkeypatch.setattr(TrainScreen, "restore_state", broken)
    app = make_app(pane="repl", resume=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: "kept" in app.workspace, "the restore", between=settle)
        await pilot.press("f5")
        await until(pilot, lambda: any("could not show it" in m for m in notes.messages), "the message", between=settle)
        await settle(pilot)
        assert app.is_running
    assert any(".bad-" in p.name for p in root.iterdir())


async def test_a_session_cannot_shadow_builtins_or_the_preloads(
    make_app: MakeApp, lab_home: Path, notes: NotificationRecorder
) -> None:
    """#20.9: after restoring ``__builtins__`` (a dict) and ``torch`` (a string), ``print(1)`` failed."""
    root = _save_default(kept=2)
    manifest = root / "default" / "session.json"
    data = json.loads(manifest.read_text())
    for name, value in (("__builtins__", {"print": None}), ("torch", "a string")):
        data["names"].append({"kind": "json", "name": name, "meta": {"json": {"as": "plain", "value": value}}})
    manifest.write_text(json.dumps(data))
    app = make_app(pane="repl", resume=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: "kept" in app.workspace, "the restore", between=settle)
        assert app.workspace["torch"] is torch and app.workspace["__builtins__"] != {"print": None}
        await _run(pilot, "shown = print(1) or torch.ones(1)")
        assert torch.equal(app.workspace["shown"], torch.ones(1))
        assert any("Not restored: __builtins__" in m for m in notes.messages)


# -- ctrl+q while an autosave is writing ------------------------------------------------------------


@pytest.mark.timeout(120)  # without the fix the app never quits: fail then, not at the suite's 300 s
async def test_ctrl_q_while_an_autosave_writes_waits_for_it_and_quits(
    make_app: MakeApp, lab_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quit waits for the autosave's write itself, not for a callback queued behind ctrl+q's own handler.

    (It waited on a flag that only the autosave's callback on the app's queue cleared, while ctrl+q's handler
    held that queue: the app stayed open, idle, forever. The pty README tour met it under load.)
    """
    writing, release = threading.Event(), threading.Event()
    original = SessionKeeper.write

    def slow_write(keeper: SessionKeeper, snapshot: Any) -> Any:
        writing.set()
        assert release.wait(60), "the test never let the write end"
        return original(keeper, snapshot)

    monkeypatch.setattr(SessionKeeper, "write", slow_write)
    app = make_app(pane="repl")
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.torch_ready, "torch", between=settle)
        await _run(pilot, "first = 1")
        app.session.save()  # the autosave, held inside its write
        await until(pilot, writing.is_set, "the autosave writing")
        await _run(pilot, "second = 2")  # work after the autosave's snapshot: the quit's own save keeps it

        def end_the_write_once_quitting() -> None:
            while not app.session.quitting:  # the state, checked as the UI reaches it (no wall clock)
                if release.wait(0.005):
                    return
            release.set()

        threading.Thread(target=end_the_write_once_quitting, daemon=True).start()
        app.call_later(app.action_quit)  # what ctrl+q runs, on the app's queue
        await until(pilot, lambda: not app.is_running, "the quit")
    release.set()
    saved = store.load("default", root=store.sessions_root())
    assert saved is not None and set(saved.values) == {"first", "second"}
    assert not store.unclean_exit("default")


async def test_ctrl_q_while_an_input_runs_saves_what_it_set_so_far(make_app: MakeApp, lab_home: Path) -> None:
    """``x = 5`` then a long call, and ctrl+q during it: x is in the namespace, so the session keeps it.

    (The input's changes are published when it ends; the quit saw nothing changed and saved nothing.)
    """
    app = make_app(pane="repl")
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.torch_ready, "torch", between=settle)
        await _run(pilot, "first = 1")
        # Sleeps in short steps forever: Python code between them, so the quit's interrupt ends it.
        await pilot.press(*"import time; x = 5; [time.sleep(0.01) for _ in iter(int, 1)]", "enter")
        await until(pilot, lambda: app.workspace.get("x") == 5, "x set by the running input")
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not app.is_running, "the quit")
    saved = store.load("default", root=store.sessions_root())
    assert saved is not None and saved.values.get("x") == 5 and saved.values.get("first") == 1


async def test_resume_on_a_state_folder_that_cannot_be_written_still_restores_and_saves_nothing(
    make_app: MakeApp, lab_home: Path, monkeypatch: pytest.MonkeyPatch, notes: NotificationRecorder
) -> None:
    """A full or read-only disk turned sessions off, and ``--resume`` then restored nothing: the saved session
    was readable, but only a writable folder was ever read from."""
    root = _save_default(kept=2)
    before = sorted(p.name for p in root.iterdir())
    manifest = (root / "default" / "session.json").read_bytes()

    def unwritable() -> Path:
        raise store.SessionsOff("sessions are off: the state directory cannot be written (Read-only file system)")

    monkeypatch.setattr(store, "sessions_root", unwritable)
    app = make_app(pane="repl", resume=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: "kept" in app.workspace, "the restore")
        assert any("(Read-only file system); the saved session is restored, but nothing is saved" in m
                   for m in notes.messages)  # fmt: skip
        await _run(pilot, "more = 3")
        await until(pilot, lambda: "more" in app.workspace, "more ran")
        await pilot.press("ctrl+q")
    assert sorted(p.name for p in root.iterdir()) == before  # nothing locked, marked or written
    assert (root / "default" / "session.json").read_bytes() == manifest

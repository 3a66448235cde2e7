"""The app shell: pane keys, help, palette, device picker, status bar and small terminals."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.widgets import OptionList

from tests.ui.conftest import NotificationRecorder, run_palette
from tests.waiting import until
from tui_lab.ui.app import TuiLabApp, pane_screen_class
from tui_lab.ui.chrome import StatusBar
from tui_lab.ui.modals import HelpScreen, PickerScreen
from tui_lab.ui.pane import PaneScreen
from tui_lab.ui.panes import PANES, palette_title
from tui_lab.ui.requests import InspectTensor, PaneRequest, UseAsTrainingData

AppFactory = Callable[..., TuiLabApp]


async def test_function_keys_switch_panes(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.current_mode == "repl"
        for key, pane in (("f3", "data"), ("f4", "graph"), ("f5", "train"), ("f2", "repl")):
            await pilot.press(key)
            await pilot.pause()
            assert app.current_mode == pane
            assert isinstance(app.screen, pane_screen_class(pane))


async def test_f1_opens_help_with_keys_and_cli(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = [key for _, section in app.key_sections() for key, _ in section]
        assert {"F1", "F2", "F3", "F4", "F5", "F12", "ctrl+q", "ctrl+p"} <= set(keys)
        cli = str(app.screen.query_one("#help-cli").render())
        assert "--device DEVICE" in cli
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PaneScreen)


async def test_start_pane_comes_from_the_cli(make_app: AppFactory) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.current_mode == "train"


async def test_palette_lists_every_pane_and_device_command(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for title in ("Help", "Go to REPL", "Go to Data", "Go to Graph", "Go to Train", "Select device"):
            assert title in titles
        for pane in PANES:
            for action in pane.actions:
                assert palette_title(pane, action) in titles
        await run_palette(app, pilot, "Insert example")
        assert app.current_mode == "repl"
        assert isinstance(app.screen, PickerScreen)


async def test_f12_opens_the_device_picker(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f12")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PaneScreen)


async def test_palette_device_command_lists_only_existing_devices(make_app: AppFactory) -> None:
    import torch

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await run_palette(app, pilot, "Select device")
        assert isinstance(app.screen, PickerScreen)
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        expected = ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
        assert ids[: len(expected)] == expected
        await pilot.press("enter")
        await pilot.pause()
        assert app.device == "cpu"


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="checks the CPU-only path")
async def test_missing_device_warns_and_stays_on_cpu(make_app: AppFactory, notes: NotificationRecorder) -> None:
    app = make_app(device="cuda")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.torch_ready
        assert app.device == "cpu"
        messages = [n.message for n in notes.notes]
        assert any("cuda is not available" in m and "Staying on cpu" in m for m in messages)
        assert app.select_device("cuda:7") is False
        assert app.device == "cpu"


async def test_status_bar_shows_device_and_workspace_counts(make_app: AppFactory) -> None:
    import torch

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        bar = app.screen.query_one(StatusBar)
        assert "cpu · " in str(bar.build_text())
        app.workspace.publish_many({"X": torch.ones(2, 2), "lr": 0.1}, "data")
        await pilot.pause()
        assert "workspace: 2 names, 1 tensor" in str(bar.build_text())


async def test_status_bar_says_torch_is_loading_until_it_is_ready() -> None:
    import threading

    from tui_lab.core.workspace import Workspace

    gate = threading.Event()

    class GatedWorkspace(Workspace):
        def load_preloads(self) -> None:
            gate.wait(10)
            super().load_preloads()

    app = TuiLabApp(workspace=GatedWorkspace())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        bar = app.screen.query_one(StatusBar)
        assert "loading torch" in str(bar.build_text())
        assert not app.torch_ready
        gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.torch_ready
        assert "cpu · " in str(bar.render())


async def test_the_app_makes_d2l_importable_and_try_gpu_follows_its_device() -> None:
    """The workspace never imports the REPL's room (#22): the app installs the d2l hook, bound to its workspace."""
    from tui_lab.core.repl.d2l import hook, selection
    from tui_lab.core.workspace import Workspace

    app = TuiLabApp(workspace=Workspace())
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.torch_ready and hook.finder() is not None
        app.workspace.device = "mps"  # what F12 sets (no such device is needed to name it)
        assert selection.selected_device() == "mps"


async def test_workspace_change_from_a_thread_reaches_the_status_bar(make_app: AppFactory) -> None:
    import threading

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        worker = threading.Thread(target=app.workspace.publish, args=("w", 1.5, "train"))
        worker.start()
        worker.join()
        for _ in range(100):  # the change is re-published on the UI thread through a message
            await pilot.pause()
            if "workspace: 1 name" in str(app.screen.query_one(StatusBar).build_text()):
                break
        assert "workspace: 1 name, 0 tensors" in str(app.screen.query_one(StatusBar).build_text())


async def test_tiny_terminal_shows_a_note_and_survives_resizing(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for size in ((40, 10), (59, 24), (80, 19), (120, 40), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            too_small = size[0] < 60 or size[1] < 20
            assert app.screen.has_class("-too-small") is too_small
            assert app.screen.query_one("#too-small").display is too_small
        await pilot.press("f3")
        await pilot.pause()
        assert app.current_mode == "data"


async def test_ctrl_q_quits_with_status_zero(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


async def test_palette_pane_command_runs_on_its_pane_from_another_pane(make_app: AppFactory) -> None:
    app = make_app(pane="train")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await run_palette(app, pilot, "Insert example")
        assert app.current_mode == "repl"
        assert isinstance(app.screen, PickerScreen)


async def test_send_hands_each_typed_request_to_its_pane(make_app: AppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, PaneRequest]] = []

    def record(self: PaneScreen, request: PaneRequest) -> None:
        seen.append((self.PANE, request))

    for pane in ("graph", "train"):
        monkeypatch.setattr(pane_screen_class(pane), "handle_request", record)
    app = make_app(pane="repl")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.send(InspectTensor("x"))  # a pane never shown yet
        await pilot.pause()
        assert app.current_mode == "graph"
        app.send(UseAsTrainingData("X"))
        await pilot.pause()
        app.send(InspectTensor("y", "y = x * 2"))  # a pane already mounted
        await pilot.pause()
    assert seen == [
        ("graph", InspectTensor("x")),
        ("train", UseAsTrainingData("X")),
        ("graph", InspectTensor("y", "y = x * 2")),
    ]


@pytest.mark.parametrize("csv", ["sample_data/house_tiny.csv", "sample_data/no-such-file.csv"])
async def test_torch_waits_for_the_start_up_csv_then_loads(csv: str) -> None:
    from pathlib import Path

    from tui_lab.core.workspace import Workspace

    path = str(Path(__file__).resolve().parents[2] / csv)
    app = TuiLabApp(csv_path=path, workspace=Workspace())
    assert not app._start_hold.is_set()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.torch_ready, "torch loaded after the start-up CSV")
        assert app._start_hold.is_set()  # released by the Data pane, loaded or not
        assert app.torch_ready
        assert app.current_mode == "data"


async def test_a_broken_torch_install_is_a_message_not_a_crash(notes: NotificationRecorder) -> None:
    from tui_lab.core.workspace import Workspace

    class BrokenWorkspace(Workspace):
        def load_preloads(self) -> None:
            raise ImportError("libtorch_cpu.so: cannot open shared object file")

    app = TuiLabApp(workspace=BrokenWorkspace())
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app.torch_ready
        titles = [n.title for n in notes.notes]
        assert "Could not import torch" in titles
        await pilot.press("f3")
        await pilot.pause()
        assert app.current_mode == "data"


async def test_the_ui_extensions_load_before_torchs_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    """libtorch's dlopen holds glibc's loader lock: an extension the UI thread loaded meanwhile froze the app."""
    from tui_lab.core import preload
    from tui_lab.core.workspace import Workspace
    from tui_lab.ui import app as app_module

    steps: list[str] = []
    monkeypatch.setattr(app_module, "load_ui_extensions", lambda: steps.append("ui extensions"))

    def preload_libraries() -> int:
        steps.append("torch libraries")
        return 0

    monkeypatch.setattr(preload, "preload_libraries", preload_libraries)

    class NoTorch(Workspace):
        def load_preloads(self) -> None:
            steps.append("import torch")

    app = TuiLabApp(workspace=NoTorch())
    async with app.run_test(size=(80, 24)):
        await app.workers.wait_for_complete()
    assert steps == ["ui extensions", "torch libraries", "import torch"]
    assert "tree_sitter_python" in app_module.UI_EXTENSIONS  # the REPL input's grammar, loaded on the UI thread

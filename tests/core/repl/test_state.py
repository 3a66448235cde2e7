"""The state directory never crashes the REPL: guarded reads and writes, damaged files moved aside, said once."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from tui_lab.core.repl.history import History, history_path
from tui_lab.core.repl.inspect import variable_details
from tui_lab.core.state import Settings, StateFile, load_settings, state_dir, take_notices, update_settings

needs_permissions = pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[list[Path]]:
    """Folders made read-only by a test, made writable again afterwards so tmp_path can be removed."""
    folders: list[Path] = []
    yield folders
    for folder in folders:
        folder.chmod(stat.S_IRWXU)


def test_a_history_save_into_a_read_only_state_dir_is_said_once(read_only: list[Path]) -> None:
    history = History.load()
    history.add("x = 1")
    folder = state_dir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    read_only.append(folder)
    if os.geteuid() == 0:
        pytest.skip("root ignores file permissions")
    history.add("y = 2")
    history.add("z = 3")
    assert history.entries == ["x = 1", "y = 2", "z = 3"]  # kept in memory for ↑ and ctrl+r
    assert history.take_notices() == ["history is read-only: new inputs won't be saved (permission denied)."]
    assert history.take_notices() == [] and not history.writable
    assert json.loads(history_path().read_text()) == ["x = 1"]


def test_a_directory_where_the_history_belongs(lab_home: Path) -> None:
    history_path().mkdir(parents=True)
    history = History.load()
    history.add("x = 1")
    notices = history.take_notices()
    assert len(notices) == 1 and "is a directory" in notices[0] and "new inputs won't be saved" in notices[0]
    assert history_path().is_dir() and history.entries == ["x = 1"]


def test_state_being_a_file(lab_home: Path) -> None:
    lab_home.mkdir(parents=True, exist_ok=True)
    (lab_home / "state").write_text("not a folder")
    history = History.load()
    history.add("x = 1")
    notices = history.take_notices()
    assert len(notices) == 1 and f"{lab_home / 'state'} is a file where a folder belongs" in notices[0]
    assert "new inputs won't be saved" in notices[0] and history.entries == ["x = 1"]
    assert (lab_home / "state").read_text() == "not a folder"


@needs_permissions
def test_a_read_only_home(lab_home: Path, read_only: list[Path]) -> None:
    lab_home.mkdir(parents=True, exist_ok=True)
    lab_home.chmod(stat.S_IRUSR | stat.S_IXUSR)
    read_only.append(lab_home)
    history = History.load()
    history.add("x = 1")
    assert [n.split(" (")[0] for n in history.take_notices()] == ["history is read-only: new inputs won't be saved"]
    assert update_settings(session_cap="1G") == Settings(session_cap="1G") and load_settings() == Settings()
    assert len(take_notices()) == 1


@needs_permissions
def test_an_unreadable_history_is_never_overwritten(read_only: list[Path]) -> None:
    History.load().add("precious = 1")
    history_path().chmod(0)
    try:
        history = History.load()
        history.add("x = 1")
        assert not history.writable
        notices = history.take_notices()
        assert len(notices) == 1 and "cannot be read (permission denied)" in notices[0]
    finally:
        history_path().chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert json.loads(history_path().read_text()) == ["precious = 1"]


def test_a_truncated_history_is_moved_aside_and_its_entries_kept() -> None:
    entries = [f"x = {i}" for i in range(500)]
    text = json.dumps(entries)
    history_path().parent.mkdir(parents=True, exist_ok=True)
    history_path().write_text(text[: len(text) - 7])  # cut inside the last entry
    history = History.load()
    assert history.entries == entries[:499]
    notices = history.take_notices()
    assert len(notices) == 1 and "499 entries recovered" in notices[0] and ".corrupt-" in notices[0]
    aside = [p for p in history_path().parent.iterdir() if p.name.startswith("repl_history.json.corrupt-")]
    assert len(aside) == 1 and aside[0].read_text() == text[: len(text) - 7]
    history.add("new = 1")
    assert json.loads(history_path().read_text()) == entries[:499] + ["new = 1"]


def test_garbage_history_is_moved_aside_not_overwritten() -> None:
    history_path().parent.mkdir(parents=True, exist_ok=True)
    history_path().write_bytes(b"\x00garbage{")
    history = History.load()
    history.add("x = 1")
    assert history.entries == ["x = 1"] and len(history.take_notices()) == 1
    aside = [p for p in history_path().parent.iterdir() if ".corrupt-" in p.name]
    assert [p.read_bytes() for p in aside] == [b"\x00garbage{"]


def test_a_history_of_the_wrong_shape_is_moved_aside() -> None:
    history_path().parent.mkdir(parents=True, exist_ok=True)
    history_path().write_text('{"a": 1}')
    assert History.load().entries == []
    assert any(".corrupt-" in p.name for p in history_path().parent.iterdir())


def test_history_loaded_late_keeps_inputs_typed_before() -> None:
    History.load().add("old = 1")
    history = History(history_path())
    history.add("new = 2")
    history.read()
    assert history.entries == ["old = 1", "new = 2"]


def test_state_file_round_trip_and_validation(tmp_path: Path) -> None:
    file = StateFile(tmp_path / "sub" / "recent.json", "recent files", list[str])
    assert file.load() is None and file.take_notices() == []
    assert file.save(["a", "b"]) and file.load() == ["a", "b"]
    (tmp_path / "sub" / "recent.json").write_text('["a", 2]')  # strict: one wrong item moves the file aside
    assert file.load() is None and "damaged" in file.take_notices()[0]


def test_variable_details_show_floats_as_floats_and_a_leafs_grad() -> None:
    x = torch.arange(4.0, requires_grad=True)
    details = variable_details("x", x)
    assert details.grid == (("0.", "1.", "2.", "3."),)
    assert dict(details.fields)["grad"].startswith("None")
    (2 * torch.dot(x, x)).backward()
    fields = dict(variable_details("x", x).fields)
    assert fields["grad"] == "[0., 4., 8., 12.] shape (4,)" and fields["max"] == "3."
    assert variable_details("i", torch.arange(3)).grid == (("0", "1", "2"),)


def test_a_permission_error_on_write_is_said_once_even_as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    import tui_lab.core.state as state

    def refuse(path: object, data: bytes) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    history = History.load()
    monkeypatch.setattr(state, "atomic_write_bytes", refuse)
    history.add("x = 1")
    history.add("y = 2")
    assert history.take_notices() == ["history is read-only: new inputs won't be saved (permission denied)."]
    assert history.entries == ["x = 1", "y = 2"] and not history_path().exists()


def test_a_permission_error_on_read_keeps_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    import tui_lab.core.state as state

    History.load().add("precious = 1")
    original = state.read_regular

    def refuse(path: Path, limit: int) -> bytes:
        if path == history_path():
            raise PermissionError(13, "Permission denied", str(path))
        return original(path, limit)

    with monkeypatch.context() as patch:
        patch.setattr(state, "read_regular", refuse)
        history = History.load()
        history.add("x = 1")
    assert history.take_notices() == [
        "history cannot be read (permission denied): starting empty; new inputs won't be saved."
    ]
    assert json.loads(history_path().read_text()) == ["precious = 1"]


def test_two_instances_merge_their_inputs_instead_of_overwriting() -> None:
    """#20.4: B's history write used to replace A's whole file (and A's then replaced B's)."""
    first, second = History.load(), History.load()
    first.add("a_work = 1")
    second.add("b_work = 2")
    first.add("a_more = 3")
    assert json.loads(history_path().read_text()) == ["a_work = 1", "b_work = 2", "a_more = 3"]
    assert first.entries == ["a_work = 1", "b_work = 2", "a_more = 3"]  # ↑ in A now reaches B's input too
    assert History.load().entries == first.entries


def test_a_busy_lock_keeps_the_input_and_saves_it_with_the_next_one(monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl

    import tui_lab.core.state as state

    monkeypatch.setattr(state, "LOCK_WAIT_S", 0.0)
    history = History.load()
    history.add("first = 1")
    lock = history_path().with_name(f".{history_path().name}.lock")
    with open(lock, "a") as holder:  # another tui-lab in the middle of its read-merge-write
        fcntl.flock(holder, fcntl.LOCK_EX)
        history.add("second = 2")
        assert json.loads(history_path().read_text()) == ["first = 1"] and history.take_notices() == []
    history.add("third = 3")
    assert json.loads(history_path().read_text()) == ["first = 1", "second = 2", "third = 3"]


WRITER = """
import sys
from pathlib import Path
from tui_lab.core.repl.history import History
history = History.load(Path(sys.argv[1]))
for i in range(int(sys.argv[3])):
    history.add(f"{sys.argv[2]}_{i} = {i}")
"""


def test_two_processes_adding_at_once_lose_no_input(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "history.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, "60"], env=env) for name in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    entries = json.loads(path.read_text())
    assert sorted(entries) == sorted(f"{n}_{i} = {i}" for n in ("a", "b") for i in range(60))


def test_deep_and_huge_history_files_are_refused_cleanly() -> None:
    history_path().parent.mkdir(parents=True, exist_ok=True)
    history_path().write_text("[" * 100_000 + "]" * 100_000)
    history = History.load()
    assert history.entries == [] and "damaged" in history.take_notices()[0]
    with open(history_path(), "wb") as handle:
        handle.truncate(33 * 1024 * 1024)  # sparse: refused by its size, never read
    history = History.load()
    history.add("x = 1")
    notices = history.take_notices()
    assert len(notices) == 1 and "implausibly large" in notices[0] and not history.writable

"""State directories, settings and atomic writes."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_lab.core import fileio
from tui_lab.core.fileio import atomic_write_text
from tui_lab.core.state import Settings, config_dir, load_settings, state_dir, update_settings


def test_dirs_live_under_the_redirected_home(lab_home: Path) -> None:
    assert state_dir() == lab_home / "state"
    assert config_dir() == lab_home / "config"
    assert state_dir().is_dir()


def test_settings_round_trip_and_merge() -> None:
    assert load_settings() == Settings()
    update_settings(session_cap="1G")
    assert load_settings() == Settings(session_cap="1G")
    update_settings(session_cap=1024)
    assert load_settings().session_cap == 1024


def test_corrupt_settings_read_as_empty() -> None:
    (config_dir() / "settings.json").write_text("{not json", encoding="utf-8")
    assert load_settings() == Settings()


@pytest.mark.parametrize(
    "text", ['{"session_cap": true}', '{"session_cap": "1G", "theme": "x"}', '["1G"]', '{"session_cap": -1}']
)
def test_ill_typed_or_unknown_settings_move_the_file_aside_with_one_message(text: str) -> None:
    from tui_lab.core import state

    state.take_notices()
    (config_dir() / "settings.json").write_text(text, encoding="utf-8")
    assert load_settings() == Settings()
    notices = state.take_notices()
    assert len(notices) == 1 and "settings file was damaged" in notices[0]
    kept = [p for p in config_dir().iterdir() if p.name.startswith("settings.json.corrupt-")]
    assert [p.read_text() for p in kept] == [text]


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out" / "runs.csv"
    atomic_write_text(target, "old")
    atomic_write_text(target, "new contents")
    assert target.read_text() == "new contents"
    assert [p.name for p in target.parent.iterdir()] == ["runs.csv"]


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "keep.txt"
    atomic_write_text(target, "precious")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(fileio.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "half-written")
    assert target.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


# -- exports and state writes: regular files only, symlinks followed, umask, stale temps ----------


def test_a_device_node_is_never_replaced_by_a_regular_file() -> None:
    with pytest.raises(fileio.WriteRefused, match="a device"):
        atomic_write_text("/dev/null", "x", private=False)
    assert Path("/dev/null").is_char_device()


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(fileio.WriteRefused, match="FIFO"):
        atomic_write_text(fifo, "x", private=False)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_socket_and_a_directory_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        with pytest.raises(fileio.WriteRefused, match="socket"):
            atomic_write_text(path, "x", private=False)
    finally:
        server.close()
    with pytest.raises(fileio.WriteRefused, match="directory"):
        atomic_write_text(tmp_path, "x", private=False)


def test_an_export_never_writes_through_a_symlink(tmp_path: Path) -> None:
    """#20.13: the README promised this while exports wrote through links; now both say "refused"."""
    real = tmp_path / "real.csv"
    real.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "nowhere" / "x.csv")
    for path in (link, dangling):
        with pytest.raises(fileio.WriteRefused, match="is a symbolic link .*: tui-lab does not write through links"):
            atomic_write_text(path, "new", private=False)
    assert link.is_symlink() and real.read_text() == "old" and not (tmp_path / "nowhere").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling.csv", "link.csv", "real.csv"]


def test_a_state_file_is_written_through_its_symlink_and_linked_folders_are_followed(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "settings.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "settings.json"
    link.symlink_to(real)
    assert atomic_write_text(link, "new") == real
    assert link.is_symlink() and real.read_text() == "new"
    (tmp_path / "exports").symlink_to(real.parent, target_is_directory=True)
    assert atomic_write_text(tmp_path / "exports" / "out.csv", "x", private=False) == real.parent / "out.csv"


def test_user_exports_follow_the_umask_and_state_files_stay_private(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        export = atomic_write_text(tmp_path / "export.csv", "a", private=False)
        state = atomic_write_text(tmp_path / "state.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(export.stat().st_mode) == 0o640
    assert stat.S_IMODE(state.stat().st_mode) == 0o600


def test_overwriting_an_export_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "shared.csv"
    target.write_text("old")
    target.chmod(0o664)
    atomic_write_text(target, "new", private=False)
    assert stat.S_IMODE(target.stat().st_mode) == 0o664


def test_a_missing_export_folder_is_not_created_without_asking(tmp_path: Path) -> None:
    with pytest.raises(fileio.MissingDirectory, match="does not exist") as info:
        atomic_write_text(tmp_path / "a" / "b" / "out.csv", "x", private=False, create_parents=False)
    assert info.value.directory == tmp_path / "a" / "b"
    assert not (tmp_path / "a").exists()


def test_a_killed_writers_temp_file_is_removed_by_the_next_write(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".out.csv.tui-lab-{dead.pid}-abc123.tmp"
    stale.write_text("half")
    live = tmp_path / f".out.csv.tui-lab-{os.getpid()}-def456.tmp"
    live.write_text("mine, in progress")
    unrelated = tmp_path / ".out.csv.tmp"
    unrelated.write_text("not ours")
    atomic_write_text(tmp_path / "other.csv", "x", private=False)
    assert not stale.exists()
    assert live.exists() and unrelated.exists()


def test_a_cancelled_chunked_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "big.csv"
    target.write_text("old")
    written: list[int] = []

    def chunks() -> Iterator[bytes]:
        yield b"a" * 10
        yield b"b" * 10

    with pytest.raises(fileio.WriteCancelled):
        fileio.atomic_write_chunks(
            target, chunks(), private=False, should_stop=lambda: bool(written), on_progress=written.append
        )
    assert written == [10]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["big.csv"]


def test_garbage_in_the_recent_files_is_moved_aside_and_said_once(lab_home: Path) -> None:
    from tui_lab.core import state
    from tui_lab.core.data.files import add_recent, load_recent

    state.take_notices()  # what earlier tests left in the module-level list
    recent = state.state_dir() / "data_recent.json"
    recent.parent.mkdir(parents=True, exist_ok=True)
    recent.write_bytes(b"\x00garbage{")
    assert load_recent() == []
    notices = state.take_notices()
    assert len(notices) == 1 and "recent files" in notices[0] and "damaged" in notices[0]
    kept = [p for p in recent.parent.iterdir() if p.name.startswith("data_recent.json.corrupt-")]
    assert len(kept) == 1 and kept[0].read_bytes() == b"\x00garbage{"  # never silently overwritten
    add_recent(lab_home / "a.csv")
    assert load_recent() == [str((lab_home / "a.csv").resolve())] and state.take_notices() == []


def test_recent_files_of_the_wrong_type_are_moved_aside_and_two_writers_merge(lab_home: Path) -> None:
    from tui_lab.core import state
    from tui_lab.core.data.files import _recent_file, add_recent, load_recent

    state.take_notices()
    recent = state.state_dir() / "data_recent.json"
    recent.parent.mkdir(parents=True, exist_ok=True)
    recent.write_text('[{"path": "/etc/passwd"}]')
    assert load_recent() == [] and len(state.take_notices()) == 1
    add_recent(lab_home / "a.csv")
    other = _recent_file()  # another tui-lab adds a file between this one's read and write
    other.update(lambda stored: [str(lab_home / "b.csv"), *(stored or [])])
    add_recent(lab_home / "c.csv")
    assert load_recent() == [str(lab_home / n) for n in ("c.csv", "b.csv", "a.csv")]

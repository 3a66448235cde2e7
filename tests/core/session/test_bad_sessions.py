"""Corrupted, truncated, foreign, newer and pickle-laden sessions give clear messages and are moved aside."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tui_lab.core.session import store
from tui_lab.core.session.capture import take_snapshot


class _Payload:
    """Unpickling this creates ``path`` (what an attacker's code would do)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def _save(root: Path, name: str = "s") -> Path:
    values = {
        "X": torch.arange(6.0).reshape(3, 2),
        "arr": np.arange(4),
        "frame": pd.DataFrame({"a": [1.0, 2.0]}),
        "net": torch.nn.Linear(2, 1),
    }
    store.save(take_snapshot(sorted(values.items()), 1 << 30), name, root=root)
    return root / name


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


def test_a_pickle_payload_in_any_file_is_never_unpickled(root: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Payload(marker))
    count = len(_files(_save(root)))
    assert count >= 5
    for index in range(count):
        directory = _save(root)
        victim = _files(directory)[index]
        victim.write_bytes(payload)
        with pytest.raises(store.SessionCorrupt) as caught:
            store.load("s", root=root)
        assert not marker.exists(), victim.name
        assert str(caught.value), victim.name
        moved = store.move_aside("s", root=root)
        assert moved is not None and moved.exists()


def test_an_object_npy_holding_a_payload_is_refused(root: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    directory = _save(root)
    (victim,) = directory.glob("arrays/*.npy")
    victim.unlink()
    np.save(victim, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    with pytest.raises(store.SessionCorrupt, match="pickle|Object arrays"):
        store.load("s", root=root)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "session.json").write_bytes(b"\x00\xff garbage"), "session.json cannot be read"),
        (lambda d: (d / "session.json").write_text('{"format": "something-else"}'), "not a tui-lab session"),
        (lambda d: (d / "session.json").unlink(), "session.json is missing"),
        (lambda d: (d / "tensors.safetensors").unlink(), "tensors.safetensors is missing"),
        (lambda d: _truncate(d / "tensors.safetensors"), "cannot be read"),
        (lambda d: _replace_by_folder(d / "tensors.safetensors"), "not a regular file"),
        (lambda d: _newer(d / "session.json"), "newer|upgrade tui-lab"),
        (lambda d: _escape(d / "session.json"), "outside the session|not a regular file"),
    ],
    ids=["garbage", "foreign", "no-manifest", "missing-file", "truncated", "folder", "newer", "path-escape"],
)
def test_damaged_sessions_give_a_clear_message_and_are_moved_aside(root: Path, damage, message: str) -> None:
    directory = _save(root)
    damage(directory)
    with pytest.raises(store.SessionCorrupt, match=message):
        store.load("s", root=root)
    moved = store.move_aside("s", root=root)
    assert moved is not None and moved.exists() and ".bad-" in moved.name
    assert store.load("s", root=root) is None
    assert store.list_sessions(root) == []


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _replace_by_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _newer(path: Path) -> None:
    data = json.loads(path.read_text())
    data["format_version"] = 99
    data["tui_lab"] = "9.0"
    path.write_text(json.dumps(data))


def _escape(path: Path) -> None:
    data = json.loads(path.read_text())
    data["names"][0]["file"] = "../../../etc/passwd"
    path.write_text(json.dumps(data))


def test_a_state_directory_that_cannot_be_written_turns_sessions_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("TUI_LAB_HOME", str(blocker / "home"))
    with pytest.raises(store.SessionsOff, match="sessions are off"):
        store.sessions_root()


def test_names_that_could_escape_the_sessions_folder_are_refused() -> None:
    for bad in ("", "../x", "a/b", ".hidden", "x" * 65, "s.bad-1"):
        with pytest.raises(ValueError):
            store.check_name(bad)
    assert store.check_name("course-3.2_run") == "course-3.2_run"


def test_an_unclean_exit_is_noticed_and_a_clean_one_is_not(root: Path) -> None:
    assert not store.unclean_exit("s", root=root)
    (root / ".s.running").write_text(json.dumps({"pid": 2**22 + 12345, "since": 0}))
    assert store.unclean_exit("s", root=root)
    store.mark_running("s", root=root)
    assert not store.unclean_exit("s", root=root)  # this very process holds it
    store.mark_clean("s", root=root)
    assert not store.unclean_exit("s", root=root)


@pytest.mark.parametrize(
    "content",
    ['{"pid": 1e999}', '{"pid": "4242"}', '{"pid": true}', '{"pid": -1}', "[]", "{" * 100_000, "\xff\xfe"],
    ids=["infinite-pid", "text-pid", "bool-pid", "negative-pid", "list", "deep", "not-utf8"],
)
def test_a_crafted_running_marker_reads_as_an_unclean_exit_and_never_raises(root: Path, content: str) -> None:
    # {"pid": 1e999} raised OverflowError out of unclean_exit: every start ended in a traceback.
    (root / ".s.running").write_bytes(content.encode("utf-8", "surrogateescape"))
    assert store.unclean_exit("s", root=root, locked=True)


def test_a_fifo_as_the_running_marker_never_blocks_the_start(root: Path) -> None:
    # A FIFO there hung tui-lab before its first frame (reading it waited for a writer forever).
    import os
    import threading

    os.mkfifo(root / ".s.running")
    answers: list[bool] = []
    reader = threading.Thread(
        target=lambda: answers.append(store.unclean_exit("s", root=root, locked=True)), daemon=True
    )
    reader.start()
    reader.join(timeout=30)
    if reader.is_alive():
        with open(root / ".s.running", "wb"):  # let the blocked reader go, so the test process can end
            pass
        pytest.fail("unclean_exit blocked on a FIFO")
    assert answers == [True]
    store.mark_running("s", root=root)  # the FIFO is replaced by a regular marker
    assert (root / ".s.running").is_file() and not store.unclean_exit("s", root=root)


def test_the_running_marker_is_never_written_through_a_symlink(root: Path, tmp_path: Path) -> None:
    victim = tmp_path / "bashrc"
    victim.write_text("precious\n")
    (root / ".s.running").symlink_to(victim)
    store.mark_running("s", root=root)
    assert victim.read_text() == "precious\n"
    marker = root / ".s.running"
    assert marker.is_file() and not marker.is_symlink() and not store.unclean_exit("s", root=root)


# -- an attacker's files: each refused with a message, never read through, never unpickled --------


def _torch_zip(path: Path, marker: Path) -> None:
    """``torch.save`` output (a zip holding a pickle) where a safetensors or .npy file belongs."""
    path.unlink()
    torch.save({"x": torch.ones(2), "payload": _Payload(marker)}, path)


@pytest.mark.parametrize("pattern", ["tensors.safetensors", "modules/*.safetensors", "arrays/*.npy", "frames/*/*.npy"])
def test_a_torch_save_zip_in_place_of_a_value_file_is_refused(root: Path, tmp_path: Path, pattern: str) -> None:
    marker = tmp_path / "pwned"
    directory = _save(root)
    victim = sorted(directory.glob(pattern))[0]
    _torch_zip(victim, marker)
    with pytest.raises(store.SessionCorrupt, match="cannot be read"):
        store.load("s", root=root)
    assert not marker.exists()


def _outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside"
    secret.mkdir(exist_ok=True)
    np.save(secret / "secret.npy", np.arange(3))
    return secret


@pytest.mark.parametrize(
    "swap",
    [
        lambda d, out: (
            (d / "session.json").rename(out / "session.json") or (d / "session.json").symlink_to(out / "session.json")
        ),
        lambda d, out: _link((d / "arrays" / "arr.npy"), out / "secret.npy"),
        lambda d, out: _link(d / "arrays", out),
        lambda d, out: _link(d / "frames" / "frame", out),
        lambda d, out: _link(d / "tensors.safetensors", out / "secret.npy"),
    ],
    ids=["manifest", "value-file", "value-folder", "frame-folder", "tensors"],
)
def test_symlinks_inside_a_session_are_never_followed(root: Path, tmp_path: Path, swap) -> None:
    directory = _save(root)
    swap(directory, _outside(tmp_path))
    with pytest.raises(store.SessionCorrupt, match="symbolic link|not a regular file|not a folder"):
        store.load("s", root=root)
    moved = store.move_aside("s", root=root)
    assert moved is not None and moved.is_dir() and not moved.is_symlink()
    assert (tmp_path / "outside" / "secret.npy").is_file()  # nothing outside was moved or changed


def test_a_session_folder_that_is_a_symlink_is_refused(root: Path, tmp_path: Path) -> None:
    real = _save(root, "real")
    (root / "s").symlink_to(real, target_is_directory=True)
    with pytest.raises(store.SessionCorrupt, match="not a session directory"):
        store.load("s", root=root)
    moved = store.move_aside("s", root=root)
    assert moved is not None and moved.is_symlink()  # the link is moved aside, its target left alone
    assert (real / "session.json").is_file()


def _link(path: Path, target: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        import shutil

        shutil.rmtree(path)
    else:
        path.unlink()
    path.symlink_to(target)


@pytest.mark.parametrize("what", ["fifo", "device"])
def test_a_fifo_or_a_device_in_place_of_a_file_never_blocks(root: Path, what: str) -> None:
    import os

    directory = _save(root)
    victim = directory / "arrays" / "arr.npy"
    victim.unlink()
    if what == "fifo":
        os.mkfifo(victim)
    else:
        victim.symlink_to("/dev/zero")
    with pytest.raises(store.SessionCorrupt):
        store.load("s", root=root)


def test_a_huge_manifest_is_refused_before_it_is_read(root: Path) -> None:
    directory = _save(root)
    with open(directory / "session.json", "r+b") as handle:
        handle.truncate(65 * 1024 * 1024)  # sparse: nothing is written, nothing is read
    with pytest.raises(store.SessionCorrupt, match="implausibly large"):
        store.load("s", root=root)


def test_names_that_shadow_builtins_or_preloads_are_skipped_with_a_note(root: Path) -> None:
    """#20.9: restoring ``__builtins__`` (a dict) and ``torch`` (a string) broke ``print(1)``."""
    directory = _save(root)
    data = json.loads((directory / "session.json").read_text())
    for name, value in (("__builtins__", {"print": None}), ("torch", "not a module"), ("print", 1), ("kept", 2)):
        data["names"].append({"kind": "json", "name": name, "meta": {"json": {"as": "plain", "value": value}}})
    (directory / "session.json").write_text(json.dumps(data))
    loaded = store.load("s", root=root)
    assert loaded is not None and loaded.values["kept"] == 2
    assert not {"__builtins__", "torch", "print"} & set(loaded.values)
    notes = " ".join(loaded.notes)
    assert "not restored: __builtins__" in notes and "not restored: torch" in notes and "builtin" in notes

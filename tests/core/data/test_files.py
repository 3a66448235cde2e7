"""Data exports: chunked and cancellable, regular files only, the umask, folders created only when asked."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tui_lab.core.data import files
from tui_lab.core.data.files import ExportError, ExportProgress, MissingFolder, export_code, export_csv
from tui_lab.core.fileio import WriteCancelled


def frame(rows: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    values = rng.normal(size=rows)
    values[::5] = np.nan
    return pd.DataFrame({"x": values, "t": np.array(["a", "b,c", None], dtype=object)[np.arange(rows) % 3]})


def test_a_chunked_csv_export_is_byte_identical_to_one_to_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "EXPORT_CHUNK_ROWS", 7)
    table = frame()
    progress: list[ExportProgress] = []
    written = export_csv(table, tmp_path / "out.csv", None, on_progress=progress.append)
    assert written.read_bytes() == table.to_csv(index=False).encode()
    assert progress[-1].rows == 1000 and progress[-1].fraction == 1.0
    assert len(progress) == -(-1000 // 7)


def test_an_empty_table_exports_its_header(tmp_path: Path) -> None:
    written = export_csv(pd.DataFrame({"a": [], "b": []}), tmp_path / "empty.csv", None)
    assert written.read_text() == "a,b\n"


def test_a_cancelled_export_leaves_no_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "EXPORT_CHUNK_ROWS", 10)
    seen: list[ExportProgress] = []
    with pytest.raises(WriteCancelled):
        export_csv(frame(), tmp_path / "out.csv", None, on_progress=seen.append, should_stop=lambda: len(seen) >= 3)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_export_folder_is_refused_until_the_user_agrees(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "out.py"
    with pytest.raises(MissingFolder, match="does not exist") as info:
        export_code("print(1)\n", target, None)
    assert info.value.directory == target.parent and not (tmp_path / "new").exists()
    assert export_code("print(1)\n", target, None, create_folder=True).read_text() == "print(1)\n"


def test_exports_to_a_fifo_or_device_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(ExportError, match="FIFO"):
        export_csv(frame(3), fifo, None)
    with pytest.raises(ExportError, match="a device"):
        export_code("x = 1\n", "/dev/null", None)


def test_exports_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o002)
    try:
        written = export_csv(frame(3), tmp_path / "shared.csv", None)
    finally:
        os.umask(old)
    assert stat.S_IMODE(written.stat().st_mode) == 0o664


def test_an_export_onto_a_symlink_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_text("old")
    (tmp_path / "link.py").symlink_to(real)
    with pytest.raises(ExportError, match="is a symbolic link"):
        export_code("new\n", tmp_path / "link.py", None)
    assert real.read_text() == "old" and (tmp_path / "link.py").is_symlink()

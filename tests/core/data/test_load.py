"""The CSV loader: every bad input in the issue gets a clear error or a note; big files load in chunks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tui_lab.core.data import load as csv_loader
from tui_lab.core.data.load import CsvLoadError, LoadCancelled, LoadOptions, load_csv

REPO = Path(__file__).resolve().parents[3]
HOUSE_TINY = REPO / "sample_data" / "house_tiny.csv"


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def test_house_tiny_loads_with_nans() -> None:
    loaded = load_csv(HOUSE_TINY)
    assert loaded.frame.shape == (4, 3)
    assert list(loaded.frame.columns) == ["NumRooms", "Alley", "Price"]
    assert int(loaded.frame.isna().sum().sum()) == 5
    assert loaded.notes == ()


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(CsvLoadError, match="No such file") as info:
        load_csv(tmp_path / "nope.csv")
    assert info.value.kind == "missing"


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(CsvLoadError, match="is a directory") as info:
        load_csv(tmp_path)
    assert info.value.kind == "directory"


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    with pytest.raises(CsvLoadError, match="empty") as info:
        load_csv(write(tmp_path, "empty.csv", content))
    assert info.value.kind == "empty"


def test_header_only(tmp_path: Path) -> None:
    with pytest.raises(CsvLoadError, match="header .3 columns. but no rows") as info:
        load_csv(write(tmp_path, "header.csv", "a,b,c\n"))
    assert info.value.kind == "header_only"


def test_binary_file(tmp_path: Path) -> None:
    data = bytes(range(256)) * 10
    with pytest.raises(CsvLoadError, match="binary") as info:
        load_csv(write(tmp_path, "blob.csv", data))
    assert info.value.kind == "binary"


def test_latin1_file_loads_with_a_note(tmp_path: Path) -> None:
    path = write(tmp_path, "latin.csv", "name,city\nJosé,Málaga\nRenée,Zürich\n".encode("latin-1"))
    loaded = load_csv(path)
    assert loaded.options.encoding == "latin-1"
    assert loaded.frame["city"].tolist() == ["Málaga", "Zürich"]
    assert any("latin-1" in note for note in loaded.notes)


def test_ragged_rows_report_line_numbers_and_can_be_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, "ragged.csv", "a,b\n1,2\n3,4,5\n6,7\n8,9,10,11\n")
    with pytest.raises(CsvLoadError) as info:
        load_csv(path)
    assert info.value.kind == "ragged"
    assert info.value.bad_lines == (3, 5)
    assert "line(s) 3, 5" in str(info.value)
    assert info.value.offer == "skip_bad_lines"
    loaded = load_csv(path, LoadOptions(skip_bad_lines=True))
    assert loaded.frame.to_numpy().tolist() == [[1, 2], [6, 7]]
    assert loaded.options.read_csv_kwargs() == {"on_bad_lines": "skip"}


def test_duplicate_column_names_are_noted(tmp_path: Path) -> None:
    loaded = load_csv(write(tmp_path, "dup.csv", "a,b,a\n1,2,3\n"))
    assert list(loaded.frame.columns) == ["a", "b", "a.1"]
    assert any("Duplicate column names a" in note for note in loaded.notes)


def test_a_thousand_columns(tmp_path: Path) -> None:
    header = ",".join(f"c{i}" for i in range(1000))
    row = ",".join(str(i) for i in range(1000))
    loaded = load_csv(write(tmp_path, "wide.csv", f"{header}\n{row}\n{row}\n"))
    assert loaded.frame.shape == (2, 1000)
    assert any("1,000 columns" in note for note in loaded.notes)


def test_quoted_field_with_newline(tmp_path: Path) -> None:
    loaded = load_csv(write(tmp_path, "multi.csv", 'id,text\n1,"line one\nline two"\n2,plain\n'))
    assert loaded.frame["text"].tolist() == ["line one\nline two", "plain"]
    assert any("line breaks" in note for note in loaded.notes)


@pytest.fixture
def chunky(monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the chunked path on small files."""
    monkeypatch.setattr(csv_loader, "WHOLE_READ_BYTES", 0)
    monkeypatch.setattr(csv_loader, "PREVIEW_ROWS", 10)
    monkeypatch.setattr(csv_loader, "CHUNK_ROWS", 100)


def make_frame(rows: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    values = rng.normal(size=rows)
    values[::7] = np.nan
    text = np.array(["a", "b", None], dtype=object)[rng.integers(0, 3, rows)]
    text[:150] = None  # the first chunks hold no text at all
    return pd.DataFrame({"x": values, "n": np.arange(rows), "t": text})


def test_chunked_load_matches_whole_read_and_reports(tmp_path: Path, chunky: None) -> None:
    path = tmp_path / "big.csv"
    make_frame().to_csv(path, index=False)
    progress, previews = [], []
    loaded = load_csv(path, on_progress=progress.append, on_preview=previews.append)
    whole = pd.read_csv(path)
    pd.testing.assert_frame_equal(loaded.frame, whole)
    assert len(previews) == 1 and len(previews[0]) == 10
    assert progress[-1].rows == 1000 and progress[-1].fraction == 1.0
    assert [p.rows for p in progress] == sorted(p.rows for p in progress)


def test_cancel_stops_a_chunked_load(tmp_path: Path, chunky: None) -> None:
    path = tmp_path / "big.csv"
    make_frame().to_csv(path, index=False)
    calls = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(LoadCancelled):
        load_csv(path, should_stop=should_stop)
    assert len(calls) == 3


def test_stdlib_preview_of_a_big_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui_lab.core.data import preview as data_preview

    path = write(tmp_path, "big.csv", "a,b,c\n1,x,\n2.5,NA,3\n")
    assert data_preview.read_preview(path) is None  # small files need no preview
    monkeypatch.setattr(data_preview, "PREVIEW_MIN_BYTES", 0)
    preview = data_preview.read_preview(path, rows=1)
    assert preview is not None
    assert preview.header == ("a", "b", "c") and preview.rows == (("1", "x", ""),)
    assert preview.numeric == (True, False, False)  # c holds only missing values in the first row
    assert data_preview.read_preview(write(tmp_path, "bin.csv", b"\x00\x01\x02,\n")) is None
    assert data_preview.read_preview(tmp_path / "missing.csv") is None


def test_preview_module_does_not_import_pandas() -> None:
    import subprocess
    import sys

    code = "import sys, tui_lab.core.data.preview; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

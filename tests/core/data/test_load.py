"""The CSV loader: every bad input in the issue gets a clear error or a note; big files load in chunks."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tui_lab.core.data import load as csv_loader
from tui_lab.core.data.load import CsvLoadError, LoadCancelled, LoadOptions, LoadProgress, load_csv
from tui_lab.core.data.sniff import inspect_file

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
    progress: list[LoadProgress] = []
    previews: list[pd.DataFrame] = []
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


# -- hostile and unusual files (issue 11 item 7 and 11, issue 12 item 12) ----------------------


def test_a_fifo_is_refused_up_front_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(CsvLoadError, match="FIFO .named pipe., not a regular file") as info:
        load_csv(fifo)  # opening a FIFO for reading would block until a writer came: never opened
    assert info.value.kind == "special"


def test_a_device_is_refused() -> None:
    with pytest.raises(CsvLoadError, match="a device, not a regular file"):
        load_csv("/dev/zero")


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.bz2", ".csv.xz", ".zip"])
def test_compressed_files_load_like_pandas_reads_them(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"house{suffix}"
    pd.read_csv(HOUSE_TINY).to_csv(path, index=False)  # pandas compresses by the suffix
    loaded = load_csv(path)
    pd.testing.assert_frame_equal(loaded.frame, pd.read_csv(HOUSE_TINY))
    assert loaded.options.read_csv_kwargs() == {}


def test_a_gzip_file_without_the_suffix_loads_and_its_code_says_so(tmp_path: Path, chunky: None) -> None:
    path = tmp_path / "secretly.csv"
    path.write_bytes(gzip.compress(make_frame().to_csv(index=False).encode()))
    loaded = load_csv(path)
    assert loaded.options.read_csv_kwargs() == {"compression": "gzip"}
    pd.testing.assert_frame_equal(loaded.frame, pd.read_csv(path, compression="gzip"))
    assert any("gzip-compressed" in note for note in loaded.notes)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_with_a_byte_order_mark_loads(tmp_path: Path, encoding: str) -> None:
    text = "name,city\nJosé,Málaga\nRenée,Zürich\n"
    data = text.encode(encoding) if encoding == "utf-16" else b"\xfe\xff" + text.encode(encoding)
    loaded = load_csv(write(tmp_path, "wide.csv", data))
    assert loaded.frame["city"].tolist() == ["Málaga", "Zürich"]
    assert loaded.options.encoding == "utf-16"
    assert any("UTF-16" in note for note in loaded.notes)


def test_utf16_without_a_byte_order_mark_is_named_not_called_binary(tmp_path: Path) -> None:
    loaded = load_csv(write(tmp_path, "nobom.csv", "a,b\n1,2\n".encode("utf-16-le")))
    assert loaded.frame.to_numpy().tolist() == [[1, 2]]
    assert loaded.options.encoding == "utf-16-le"


def test_a_header_field_over_128_kib_loads(tmp_path: Path) -> None:
    long_name = "h" * 200_000
    loaded = load_csv(write(tmp_path, "long.csv", f"{long_name},b\n1,2\n"))
    assert list(loaded.frame.columns) == [long_name, "b"]


@pytest.mark.parametrize(("sep", "name"), [(";", "semicolon"), ("\t", "tab")])
def test_a_semicolon_or_tab_file_offers_its_delimiter(tmp_path: Path, sep: str, name: str) -> None:
    path = write(tmp_path, "euro.csv", f"a{sep}b{sep}c\n1,5{sep}2{sep}x\n3{sep}4{sep}y\n")
    loaded = load_csv(path)
    assert loaded.frame.shape[1] == 1 and loaded.suggested_sep == sep
    assert any(f"{name}-separated" in note for note in loaded.notes)
    again = load_csv(path, LoadOptions(sep=sep))
    assert list(again.frame.columns) == ["a", "b", "c"] and again.suggested_sep is None
    assert again.options.read_csv_kwargs() == {"sep": sep}


def test_skipping_bad_lines_says_how_many(tmp_path: Path) -> None:
    path = write(tmp_path, "ragged.csv", "a,b\n1,2\n3,4,5\n6,7\n8,9,10,11\n12,13\n")
    loaded = load_csv(path, LoadOptions(skip_bad_lines=True))
    assert loaded.frame.shape == (3, 2)
    assert "Skipped 2 bad line(s) with the wrong number of fields." in loaded.notes


def test_empty_header_names_get_a_clear_note(tmp_path: Path) -> None:
    loaded = load_csv(write(tmp_path, "blank.csv", "a,,\n1,2,3\n"))
    assert list(loaded.frame.columns) == ["a", "Unnamed: 1", "Unnamed: 2"]
    assert any("Column(s) 2, 3 have no name in the header" in note for note in loaded.notes)
    assert not any("Duplicate" in note for note in loaded.notes)


def test_a_file_deleted_mid_load_is_a_clear_message(tmp_path: Path, chunky: None) -> None:
    path = tmp_path / "going.csv"
    make_frame().to_csv(path, index=False)
    with pytest.raises(CsvLoadError, match="deleted or moved while it was loading") as info:
        load_csv(path, on_preview=lambda frame: path.unlink())
    assert info.value.kind == "vanished"


def test_a_file_deleted_before_pandas_opens_it_is_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "going.csv", "a\n1\n")
    real = inspect_file  # what load calls, as load imported it

    def inspect_then_delete(target: Path) -> object:
        facts = real(target)
        target.unlink()
        return facts

    monkeypatch.setattr(csv_loader, "inspect_file", inspect_then_delete)
    with pytest.raises(CsvLoadError, match="deleted or moved"):
        load_csv(path)


def numbers_then_text(path: Path, rows: int = 1000) -> None:
    values = [str(i) for i in range(rows)] + ["abc", "007", ""]
    path.write_text("x,y\n" + "".join(f"{v},{i}\n" for i, v in enumerate(values)))


def test_chunked_and_whole_reads_agree_on_a_column_numeric_first_and_text_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mixed.csv"
    numbers_then_text(path)
    whole = load_csv(path)
    monkeypatch.setattr(csv_loader, "WHOLE_READ_BYTES", 0)
    monkeypatch.setattr(csv_loader, "PREVIEW_ROWS", 10)
    monkeypatch.setattr(csv_loader, "CHUNK_ROWS", 100)
    chunked = load_csv(path)
    pd.testing.assert_frame_equal(chunked.frame, whole.frame)
    script = pd.read_csv(path, **chunked.options.read_csv_kwargs())  # what the exported code runs
    pd.testing.assert_frame_equal(chunked.frame, script)
    assert chunked.options.text_columns == ("x",)
    assert chunked.frame["x"].tolist()[-3:-1] == ["abc", "007"]  # read as text: "007" keeps its zeros
    assert {type(v) for v in chunked.frame["x"].dropna()} == {str}
    assert any("read as text" in note for note in chunked.notes)

"""Load a CSV into a pandas DataFrame with progress, cancel and a clear message for every bad input.

pandas' C engine is the fastest reader measured here (``bench/data.py``), so the loader reads
with it in chunks: a small first chunk becomes a preview (the table shows rows before a big
file has finished), then large chunks report progress by bytes and check ``should_stop``.
Each failure raises :class:`CsvLoadError` with a message meant for a person and, where there
is one, the fix to offer (another encoding, skipping bad lines).
"""

from __future__ import annotations

import csv
import os
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pandas as pd

#: Rows in the first chunk (the preview) and in every later chunk.
PREVIEW_ROWS = 2_000
CHUNK_ROWS = 250_000
#: Files up to this size are read in one call (chunking only pays off for big files).
WHOLE_READ_BYTES = 32 * 1024 * 1024
#: Bytes sniffed for NUL bytes and the header.
SNIFF_BYTES = 64 * 1024
WIDE_COLUMNS = 500
FALLBACK_ENCODING = "latin-1"


class CsvLoadError(Exception):
    """A CSV could not be loaded; ``str(error)`` says why in plain words."""

    def __init__(self, message: str, kind: str, *, bad_lines: tuple[int, ...] = (), offer: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.bad_lines = bad_lines
        #: "skip_bad_lines" or an encoding name: what the UI can offer to retry with.
        self.offer = offer


class LoadCancelled(Exception):
    """``should_stop`` returned True while loading."""


@dataclass(frozen=True)
class LoadOptions:
    """How to read the file; these become the ``pd.read_csv`` arguments in the generated code."""

    encoding: str = "utf-8"
    skip_bad_lines: bool = False

    def read_csv_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``pd.read_csv`` beyond the path (only non-defaults)."""
        kwargs: dict[str, Any] = {}
        if self.encoding != "utf-8":
            kwargs["encoding"] = self.encoding
        if self.skip_bad_lines:
            kwargs["on_bad_lines"] = "skip"
        return kwargs


@dataclass(frozen=True)
class LoadProgress:
    """How far a load has got."""

    bytes_read: int
    total_bytes: int
    rows: int

    @property
    def fraction(self) -> float:
        return min(1.0, self.bytes_read / self.total_bytes) if self.total_bytes else 1.0


@dataclass(frozen=True)
class LoadedCsv:
    """A loaded table, how it was read, and notes worth telling the user."""

    path: Path
    frame: pd.DataFrame
    options: LoadOptions
    notes: tuple[str, ...] = field(default_factory=tuple)
    seconds: float = 0.0


def check_path(path: str | os.PathLike[str]) -> Path:
    """The resolved path, or :class:`CsvLoadError` for a missing path, a directory, an empty or binary file."""
    target = Path(path).expanduser()
    if not target.exists():
        raise CsvLoadError(f"No such file: {target}", "missing")
    if target.is_dir():
        raise CsvLoadError(f"{target} is a directory, not a CSV file.", "directory")
    try:
        size = target.stat().st_size
        with target.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as error:
        raise CsvLoadError(f"Cannot read {target}: {error.strerror or error}", "unreadable") from None
    if size == 0 or not head.strip():
        raise CsvLoadError(f"{target.name} is empty: there is no header and no rows.", "empty")
    if b"\x00" in head:
        raise CsvLoadError(f"{target.name} looks like a binary file (it holds NUL bytes), not a CSV.", "binary")
    return target.resolve()


def _header(path: Path, encoding: str) -> list[str]:
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        return next(csv.reader(handle), [])


def find_bad_lines(path: Path, encoding: str, limit: int = 5) -> tuple[int, ...]:
    """1-based line numbers of the first ``limit`` records whose field count differs from the header's."""
    bad: list[int] = []
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        for record in reader:
            if record and len(record) != len(header):
                bad.append(reader.line_num)
                if len(bad) >= limit:
                    break
    return tuple(bad)


def _is_utf8(path: Path) -> bool:
    """True when the file decodes as UTF-8 (checked in 1 MiB blocks, stopping at the first error)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


class _CountingReader:
    """A binary file wrapper that counts the bytes pandas has pulled, for progress."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.bytes_read += len(data)
        return data

    def __iter__(self) -> Any:
        return iter(self.handle)


def _unify_text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Give text columns the dtype one whole read would give (chunks can disagree, e.g. all-NaN then text)."""
    fixes = {}
    for name in [c for c in frame.columns if pd.api.types.is_object_dtype(frame[c].dtype)]:
        if pd.api.types.infer_dtype(frame[name], skipna=True) in ("string", "empty"):
            fixes[name] = "str"
    return frame.astype(fixes) if fixes else frame


def _read(
    path: Path,
    options: LoadOptions,
    on_progress: Callable[[LoadProgress], None] | None,
    on_preview: Callable[[pd.DataFrame], None] | None,
    should_stop: Callable[[], bool] | None,
) -> tuple[pd.DataFrame, list[str]]:
    total = path.stat().st_size
    kwargs = options.read_csv_kwargs()
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if total <= WHOLE_READ_BYTES:
            frame = pd.read_csv(path, **kwargs)
        else:
            with path.open("rb") as raw:
                counter = _CountingReader(raw)
                chunks: list[pd.DataFrame] = []
                rows = 0
                with pd.read_csv(counter, chunksize=CHUNK_ROWS, **kwargs) as reader:  # type: ignore[call-overload]
                    size = PREVIEW_ROWS
                    while True:
                        if should_stop is not None and should_stop():
                            raise LoadCancelled
                        try:
                            chunk = reader.get_chunk(size)
                        except StopIteration:
                            break
                        chunks.append(chunk)
                        rows += len(chunk)
                        if size == PREVIEW_ROWS and on_preview is not None:
                            on_preview(chunk)
                        size = CHUNK_ROWS
                        if on_progress is not None:
                            on_progress(LoadProgress(counter.bytes_read, total, rows))
                frame = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
                frame = _unify_text_columns(frame)
    skipped = [w for w in caught if "Skipping line" in str(w.message) or "Expected" in str(w.message)]
    if skipped:
        notes.append(f"Skipped {len(skipped)} bad line(s).")
    return frame, notes


def load_csv(
    path: str | os.PathLike[str],
    options: LoadOptions | None = None,
    *,
    on_progress: Callable[[LoadProgress], None] | None = None,
    on_preview: Callable[[pd.DataFrame], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> LoadedCsv:
    """Read ``path``; raises :class:`CsvLoadError` with a clear message, or :class:`LoadCancelled`."""
    start = time.perf_counter()
    target = check_path(path)
    options = options or LoadOptions()
    notes: list[str] = []
    try:
        frame, read_notes = _read(target, options, on_progress, on_preview, should_stop)
    except UnicodeDecodeError:
        if options.encoding == FALLBACK_ENCODING or _is_utf8(target):
            raise CsvLoadError(f"{target.name} is not valid {options.encoding} text.", "encoding") from None
        latin = LoadOptions(FALLBACK_ENCODING, options.skip_bad_lines)
        frame, read_notes = _read(target, latin, on_progress, on_preview, should_stop)
        options = latin
        notes.append(f"{target.name} is not UTF-8: it was decoded as {FALLBACK_ENCODING}.")
    except pd.errors.EmptyDataError:
        raise CsvLoadError(f"{target.name} is empty: there is no header and no rows.", "empty") from None
    except pd.errors.ParserError as error:
        bad = find_bad_lines(target, options.encoding)
        where = f"line(s) {', '.join(map(str, bad))}" if bad else str(error).splitlines()[-1]
        raise CsvLoadError(
            f"{target.name} has rows with the wrong number of fields: {where}. Skip the bad lines?",
            "ragged",
            bad_lines=bad,
            offer="skip_bad_lines",
        ) from None
    except (OSError, MemoryError) as error:
        raise CsvLoadError(f"Could not read {target.name}: {error}", "unreadable") from None
    notes.extend(read_notes)
    notes.extend(_describe(target, frame, options))
    if len(frame.columns) and len(frame) == 0:
        raise CsvLoadError(f"{target.name} has a header ({len(frame.columns)} columns) but no rows.", "header_only")
    return LoadedCsv(target, frame, options, tuple(notes), time.perf_counter() - start)


def _describe(path: Path, frame: pd.DataFrame, options: LoadOptions) -> list[str]:
    """Notes on duplicate names, very wide tables and fields with line breaks."""
    notes = []
    header = _header(path, options.encoding)
    duplicates = sorted(name for name, count in Counter(header).items() if count > 1)
    if duplicates:
        notes.append(
            f"Duplicate column names {', '.join(duplicates)}: pandas renamed the copies (e.g. {duplicates[0]}.1)."
        )
    if len(frame.columns) >= WIDE_COLUMNS:
        notes.append(
            f"{len(frame.columns):,} columns: the table scrolls sideways; the profile shows one column at a time."
        )
    text_columns = [c for c in frame.columns if pd.api.types.is_string_dtype(frame[c].dtype)]
    head = frame[text_columns].head(10_000) if text_columns else None
    if head is not None and any(head[c].astype("str").str.contains("\n", regex=False).any() for c in text_columns):
        notes.append("Some fields hold line breaks (quoted); the table shows them as ↵.")
    return notes

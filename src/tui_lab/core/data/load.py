"""Load a CSV into a pandas DataFrame with progress, cancel and a clear message for every bad input.

pandas' C engine is the fastest reader measured here (``bench/data.py``), so the loader reads
with it in chunks: a small first chunk becomes a preview (the table shows rows before a big
file has finished), then large chunks report progress by bytes and check ``should_stop``.
Each failure raises :class:`CsvLoadError` with a message meant for a person and, where there
is one, the fix to offer (another encoding, skipping bad lines).

What the pane shows is what the exported script's single ``pd.read_csv`` gives: every choice
(encoding, delimiter, compression, columns read as text) is a :class:`LoadOptions` field that
becomes a ``read_csv`` argument, and a column whose type changes part-way through the file
(numbers first, text later) is re-read as text in both, instead of a mix of ints and strings.
"""

from __future__ import annotations

import os
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TypedDict

import pandas as pd

from tui_lab.core.data.sniff import (
    FileFacts,
    SniffError,
    find_bad_lines,
    inspect_file,
    is_utf8,
    read_header,
    sniff_delimiter,
)

#: Rows in the first chunk (the preview) and in every later chunk.
PREVIEW_ROWS = 2_000
CHUNK_ROWS = 250_000
#: Files up to this size are read in one call (chunking only pays off for big files).
WHOLE_READ_BYTES = 32 * 1024 * 1024
WIDE_COLUMNS = 500
FALLBACK_ENCODING = "latin-1"
_DELIMITER_NAMES = {";": "semicolon", "\t": "tab", "|": "pipe"}


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


class ReadCsvKwargs(TypedDict, total=False):
    """The ``pd.read_csv`` keyword arguments tui-lab sets (beyond the path and chunk size)."""

    encoding: str
    sep: str
    compression: str | None  # None: not compressed (pandas would infer from the name)
    dtype: dict[str, str]
    on_bad_lines: str


@dataclass(frozen=True)
class LoadOptions:
    """How to read the file; these become the ``pd.read_csv`` arguments in the generated code."""

    encoding: str = "utf-8"
    skip_bad_lines: bool = False
    sep: str = ","
    #: Set only when pandas cannot infer it from the file name (a gzip file called data.csv).
    compression: str | None = None
    #: Columns read as text because their values change type part-way through the file.
    text_columns: tuple[str, ...] = ()

    def read_csv_kwargs(self) -> ReadCsvKwargs:
        """Keyword arguments for ``pd.read_csv`` beyond the path (only non-defaults)."""
        kwargs: ReadCsvKwargs = {}
        if self.encoding != "utf-8":
            kwargs["encoding"] = self.encoding
        if self.sep != ",":
            kwargs["sep"] = self.sep
        if self.compression is not None:
            kwargs["compression"] = self.compression
        if self.text_columns:
            kwargs["dtype"] = {name: "str" for name in self.text_columns}
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
    #: A delimiter to offer when the file read as one column but looks separated by it.
    suggested_sep: str | None = None


def check_path(path: str | os.PathLike[str]) -> Path:
    """The resolved path, or :class:`CsvLoadError` for a missing path, a directory, a FIFO, an empty or binary file."""
    return _inspect(path)[0]


def _inspect(path: str | os.PathLike[str]) -> tuple[Path, FileFacts]:
    target = Path(path).expanduser()
    if target.is_dir():
        raise CsvLoadError(f"{target} is a directory, not a CSV file.", "directory")
    try:
        facts = inspect_file(target)
    except SniffError as error:
        raise CsvLoadError(str(error), error.kind) from None
    return target.resolve(), facts


class _CountingReader:
    """A binary file wrapper that counts the bytes pandas has pulled, for progress."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.bytes_read += len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.handle)


def _unify_text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Give text columns the dtype one whole read would give (chunks can disagree, e.g. all-NaN then text)."""
    fixes = {}
    for name in [c for c in frame.columns if pd.api.types.is_object_dtype(frame[c].dtype)]:
        if pd.api.types.infer_dtype(frame[name], skipna=True) in ("string", "empty"):
            fixes[name] = "str"
    return frame.astype(fixes) if fixes else frame


def _mixed_columns(frame: pd.DataFrame) -> list[str]:
    """Object columns holding values of several types (numbers from one part of the file, text from another)."""
    out = []
    for name in frame.columns:
        if pd.api.types.is_object_dtype(frame[name].dtype):
            if pd.api.types.infer_dtype(frame[name], skipna=True).startswith("mixed"):
                out.append(str(name))
    return out


def _read(
    path: Path,
    facts: FileFacts,
    options: LoadOptions,
    on_progress: Callable[[LoadProgress], None] | None,
    on_preview: Callable[[pd.DataFrame], None] | None,
    should_stop: Callable[[], bool] | None,
) -> tuple[pd.DataFrame, int]:
    """The frame and the number of bad lines pandas skipped."""
    total = facts.size
    kwargs = options.read_csv_kwargs()
    if options.skip_bad_lines:
        kwargs["on_bad_lines"] = "warn"  # same rows as "skip", but pandas says which it dropped
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if total <= WHOLE_READ_BYTES or facts.compression == "zip":
            frame = pd.read_csv(path, **kwargs)
        else:
            kwargs["compression"] = facts.compression
            with path.open("rb") as raw:
                counter = _CountingReader(raw)
                chunks: list[pd.DataFrame] = []
                rows = 0
                with pd.read_csv(counter, chunksize=CHUNK_ROWS, **kwargs) as reader:
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
    skipped = sum(str(w.message).count("Skipping line") for w in caught)
    return frame, skipped


def _read_consistently(
    path: Path,
    facts: FileFacts,
    options: LoadOptions,
    on_progress: Callable[[LoadProgress], None] | None,
    on_preview: Callable[[pd.DataFrame], None] | None,
    should_stop: Callable[[], bool] | None,
) -> tuple[pd.DataFrame, int, LoadOptions, list[str]]:
    """Read; a column of mixed types is read again as text, so every read of the file agrees."""
    frame, skipped = _read(path, facts, options, on_progress, on_preview, should_stop)
    mixed = [name for name in _mixed_columns(frame) if name not in options.text_columns]
    if not mixed:
        return frame, skipped, options, []
    options = replace(options, text_columns=options.text_columns + tuple(mixed))
    frame, skipped = _read(path, facts, options, on_progress, None, should_stop)
    names = ", ".join(mixed)
    note = f"{names}: numbers in some rows and text in others, so read as text (dtype str, also in the code)."
    return frame, skipped, options, [note]


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
    target, facts = _inspect(path)
    options = options or LoadOptions()
    notes: list[str] = []
    if facts.compression_kwarg is not None and options.compression is None:
        options = replace(options, compression=facts.compression_kwarg)
        notes.append(f"{target.name} is {facts.compression_kwarg}-compressed: read with compression=.")
    if facts.encoding is not None and facts.encoding.startswith("utf-16") and options.encoding == "utf-8":
        options = replace(options, encoding=facts.encoding)
        notes.append(f"{target.name} is UTF-16 text: read with encoding={facts.encoding!r}.")
    try:
        return _load(target, facts, options, notes, start, on_progress, on_preview, should_stop)
    except FileNotFoundError:
        raise CsvLoadError(f"{target.name} was deleted or moved while it was loading.", "vanished") from None


def _load(
    target: Path,
    facts: FileFacts,
    options: LoadOptions,
    notes: list[str],
    start: float,
    on_progress: Callable[[LoadProgress], None] | None,
    on_preview: Callable[[pd.DataFrame], None] | None,
    should_stop: Callable[[], bool] | None,
) -> LoadedCsv:
    try:
        frame, skipped, options, read_notes = _read_consistently(
            target, facts, options, on_progress, on_preview, should_stop
        )
    except UnicodeDecodeError:
        if options.encoding == FALLBACK_ENCODING or options.encoding.startswith("utf-16"):
            raise CsvLoadError(f"{target.name} is not valid {options.encoding} text.", "encoding") from None
        if is_utf8(target, facts.compression):
            raise CsvLoadError(f"{target.name} is not valid {options.encoding} text.", "encoding") from None
        options = replace(options, encoding=FALLBACK_ENCODING)
        frame, skipped, options, read_notes = _read_consistently(
            target, facts, options, on_progress, on_preview, should_stop
        )
        notes.append(f"{target.name} is not UTF-8: it was decoded as {FALLBACK_ENCODING}.")
    except pd.errors.EmptyDataError:
        raise CsvLoadError(f"{target.name} is empty: there is no header and no rows.", "empty") from None
    except pd.errors.ParserError as error:
        bad = find_bad_lines(target, options.encoding, facts.compression, options.sep)
        where = f"line(s) {', '.join(map(str, bad))}" if bad else str(error).splitlines()[-1]
        raise CsvLoadError(
            f"{target.name} has rows with the wrong number of fields: {where}. Skip the bad lines?",
            "ragged",
            bad_lines=bad,
            offer="skip_bad_lines",
        ) from None
    except FileNotFoundError:
        raise
    except (OSError, MemoryError, EOFError) as error:
        raise CsvLoadError(f"Could not read {target.name}: {error}", "unreadable") from None
    notes.extend(read_notes)
    if skipped:
        notes.append(f"Skipped {skipped:,} bad line(s) with the wrong number of fields.")
    elif options.skip_bad_lines:
        notes.append("Skip bad lines is on, but no line was skipped.")
    notes.extend(_describe(target, facts, frame, options))
    suggested = None
    if len(frame.columns) == 1 and options.sep == ",":
        suggested = sniff_delimiter(facts.head, options.encoding if options.encoding != "utf-8" else "utf-8-sig")
        if suggested is not None:
            name = _DELIMITER_NAMES.get(suggested, repr(suggested))
            notes.append(f"{target.name} read as one column but looks {name}-separated: reload with sep={suggested!r}?")
    if len(frame.columns) and len(frame) == 0:
        raise CsvLoadError(f"{target.name} has a header ({len(frame.columns)} columns) but no rows.", "header_only")
    return LoadedCsv(target, frame, options, tuple(notes), time.perf_counter() - start, suggested)


def _describe(path: Path, facts: FileFacts, frame: pd.DataFrame, options: LoadOptions) -> list[str]:
    """Notes on unnamed and duplicate columns, very wide tables and fields with line breaks."""
    notes = []
    header = read_header(path, options.encoding, facts.compression, options.sep)
    unnamed = [i for i, name in enumerate(header) if not name.strip()]
    if unnamed and len(header) == len(frame.columns):
        positions = ", ".join(str(i + 1) for i in unnamed[:5]) + (" …" if len(unnamed) > 5 else "")
        given = ", ".join(str(frame.columns[i]) for i in unnamed[:3])
        notes.append(f"Column(s) {positions} have no name in the header: pandas calls them {given}.")
    duplicates = sorted(name for name, count in Counter(n for n in header if n.strip()).items() if count > 1)
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

"""Look at a file before pandas reads it: regular file or not, compression, text encoding, delimiter.

Everything here reads at most the first :data:`SNIFF_BYTES` (decompressed) bytes, except
:func:`find_bad_lines`, which the loader calls only after pandas has reported a ragged row.
A FIFO, a device or a socket is refused before it is opened for reading, so a load can never
block on a pipe nobody writes to.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import lzma
import os
import stat
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

#: Bytes sniffed for NUL bytes, the encoding, the header and the delimiter.
SNIFF_BYTES = 64 * 1024
#: Delimiters offered when a file reads as one column.
OTHER_DELIMITERS = (";", "\t", "|")

#: Compression by magic bytes; pandas infers the same from these file extensions.
_MAGIC = (
    (b"\x1f\x8b", "gzip", (".gz",)),
    (b"BZh", "bz2", (".bz2",)),
    (b"PK\x03\x04", "zip", (".zip",)),
    (b"\xfd7zXZ\x00", "xz", (".xz",)),
)
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class SniffError(Exception):
    """The file cannot be a CSV tui-lab reads; ``kind`` says why (``fifo``, ``binary``, ...)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class FileFacts:
    """What the first bytes say: compression (None, or pandas' name), encoding, and the head as bytes."""

    compression: str | None
    #: Compression that pandas would not infer from the file name (then it goes into read_csv's kwargs).
    compression_kwarg: str | None
    encoding: str | None
    head: bytes
    size: int


def allow_long_fields() -> None:
    """Let the ``csv`` module read fields as long as pandas does (its default limit is 128 KiB)."""
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:
            limit //= 2


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _compression(path: Path, head: bytes) -> tuple[str | None, str | None]:
    if head.startswith(_ZSTD_MAGIC):
        raise SniffError(f"{path.name} is zstd-compressed; decompress it first (zstd -d).", "compressed")
    for magic, name, suffixes in _MAGIC:
        if head.startswith(magic):
            inferred = path.suffix.lower() in suffixes
            return name, None if inferred else name
    return None, None


def _decompressed_head(path: Path, compression: str) -> bytes:
    try:
        with open_binary(path, compression) as handle:
            return handle.read(SNIFF_BYTES)
    except (OSError, EOFError, zipfile.BadZipFile, lzma.LZMAError) as error:
        raise SniffError(f"{path.name} looks {compression}-compressed but cannot be read: {error}", "binary") from None


def _encoding(path: Path, head: bytes) -> str | None:
    """``utf-16`` for a byte-order mark, a UTF-16 variant for text with NULs in every other byte."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if b"\x00" not in head:
        return None
    sample = head[: len(head) - len(head) % 2][:4096]
    odd, even = sample[1::2], sample[0::2]
    if sample and odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if sample and even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    raise SniffError(f"{path.name} looks like a binary file (it holds NUL bytes), not a CSV.", "binary")


def inspect_file(path: Path) -> FileFacts:
    """Facts about ``path``; :class:`SniffError` for a non-regular, empty, binary or zstd file.

    The file is opened non-blocking and checked with ``fstat`` before anything is read, so a
    FIFO swapped in after a ``stat`` still cannot block.
    """
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise SniffError(
                f"{path.name} is {_kind(info.st_mode)}, not a regular file: tui-lab reads CSVs from files only.",
                "special",
            )
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            opened = os.fstat(handle.fileno())
            if not stat.S_ISREG(opened.st_mode):
                raise SniffError(f"{path.name} is {_kind(opened.st_mode)}, not a regular file.", "special")
            head = handle.read(SNIFF_BYTES)
    except FileNotFoundError:
        raise SniffError(f"No such file: {path}", "missing") from None
    except OSError as error:
        raise SniffError(f"Cannot read {path}: {error.strerror or error}", "unreadable") from None
    compression, kwarg = _compression(path, head)
    if compression is not None:
        head = _decompressed_head(path, compression)
    if info.st_size == 0 or not head.strip(b" \t\r\n\x00\xff\xfe"):
        raise SniffError(f"{path.name} is empty: there is no header and no rows.", "empty")
    return FileFacts(compression, kwarg, _encoding(path, head), head, info.st_size)


@contextmanager
def open_binary(path: Path, compression: str | None) -> Iterator[IO[bytes]]:
    """The file's (decompressed) bytes; a zip's first member."""
    if compression == "gzip":
        with gzip.open(path, "rb") as handle:
            yield cast(IO[bytes], handle)
    elif compression == "bz2":
        with bz2.open(path, "rb") as handle:
            yield handle
    elif compression == "xz":
        with lzma.open(path, "rb") as handle:
            yield handle
    elif compression == "zip":
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            if not names:
                raise OSError("the zip archive holds no file")
            with archive.open(names[0]) as handle:
                yield handle
    else:
        with open(path, "rb") as handle:
            yield handle


@contextmanager
def open_text(path: Path, encoding: str, compression: str | None) -> Iterator[IO[str]]:
    """The file as text for the ``csv`` module (undecodable bytes replaced)."""
    with open_binary(path, compression) as raw:
        yield io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")


def read_header(path: Path, encoding: str, compression: str | None, sep: str = ",") -> list[str]:
    """The first record as the ``csv`` module reads it (any field length)."""
    allow_long_fields()
    with open_text(path, encoding, compression) as handle:
        return next(csv.reader(handle, delimiter=sep), [])


def find_bad_lines(
    path: Path, encoding: str, compression: str | None, sep: str = ",", limit: int = 5
) -> tuple[int, ...]:
    """1-based line numbers of the first ``limit`` records whose field count differs from the header's."""
    allow_long_fields()
    bad: list[int] = []
    with open_text(path, encoding, compression) as handle:
        reader = csv.reader(handle, delimiter=sep)
        header = next(reader, [])
        for record in reader:
            if record and len(record) != len(header):
                bad.append(reader.line_num)
                if len(bad) >= limit:
                    break
    return tuple(bad)


def sniff_delimiter(head: bytes, encoding: str) -> str | None:
    """``;``, tab or ``|`` when the first lines are consistently split by one of them, else None."""
    text = head.decode(encoding, errors="replace")
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if len(text) >= SNIFF_BYTES - 4 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut off
    if not lines:
        return None
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters="".join(OTHER_DELIMITERS))
    except csv.Error:
        return None
    delimiter = dialect.delimiter
    counts = {line.count(delimiter) for line in lines}
    return delimiter if delimiter in OTHER_DELIMITERS and len(counts) == 1 and min(counts) > 0 else None


def is_utf8(path: Path, compression: str | None) -> bool:
    """True when the (decompressed) file decodes as UTF-8, checked in 1 MiB blocks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open_binary(path, compression) as handle:
            while block := handle.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True

"""Files around the Data pane: the sample CSVs, recently opened files, and safe exports."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from msgspec import Meta

from tui_lab.core.fileio import MissingDirectory, WriteCancelled, WriteRefused, atomic_write_chunks
from tui_lab.core.state import StateFile, keep_notices, state_dir

SAMPLE_FILES = ("house_tiny.csv", "housing.csv")
RECENT_LIMIT = 10

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ExportError", "ExportProgress", "MissingFolder", "WriteCancelled", "export_code", "export_csv"]


class ExportError(Exception):
    """An export was refused or failed; the message says why."""


class MissingFolder(ExportError):
    """The export's folder does not exist; the UI may ask, then export with ``create_folder=True``."""

    def __init__(self, directory: Path) -> None:
        super().__init__(f"The folder {directory} does not exist.")
        self.directory = directory


#: Rows per chunk of a CSV export: small enough that a cancel (Esc, ctrl+q) lands within a second.
EXPORT_CHUNK_ROWS = 20_000


@dataclass(frozen=True)
class ExportProgress:
    """Rows of the table written so far."""

    rows: int
    total: int

    @property
    def fraction(self) -> float:
        return self.rows / self.total if self.total else 1.0


def sample_data_dir() -> Path | None:
    """``sample_data/`` next to the checkout (src layout), else under the working directory, else None."""
    candidates = [Path(__file__).resolve().parents[3] / "sample_data", Path.cwd() / "sample_data"]
    for candidate in candidates:
        if (candidate / SAMPLE_FILES[0]).is_file():
            return candidate
    return None


def sample_files() -> list[Path]:
    """The sample CSVs that exist here."""
    folder = sample_data_dir()
    return [] if folder is None else [folder / name for name in SAMPLE_FILES if (folder / name).is_file()]


def _recent_path() -> Path:
    return state_dir() / "data_recent.json"


#: The recent-files file: a short list of paths (no NUL, bounded), anything else is moved aside.
RecentPaths = Annotated[
    list[Annotated[str, Meta(min_length=1, max_length=4_096, pattern=r"^[^\x00]*$")]], Meta(max_length=100)
]


def _recent_file() -> StateFile[list[str]]:
    return StateFile(_recent_path(), "recent files", RecentPaths, unsaved="the list of recent files won't be updated")


def load_recent() -> list[str]:
    """Recently opened CSV paths, newest first; a damaged file is moved aside and said once (``state.take_notices``)."""
    file = _recent_file()
    data = file.load()
    keep_notices(file)
    return data or []


def add_recent(path: str | os.PathLike[str]) -> list[str]:
    """Put ``path`` first in the recent list (deduplicated, at most ``RECENT_LIMIT``); never raises.

    The list is merged under the file's lock, so another tui-lab's recent files are kept.
    """
    text = str(Path(path).resolve())

    def change(stored: list[str] | None) -> list[str]:
        return ([text] + [p for p in stored or [] if p != text])[:RECENT_LIMIT]

    file = _recent_file()
    written = file.update(change, indent=1)
    keep_notices(file)
    return written if written is not None else change(load_recent())


def check_export_target(path: str | os.PathLike[str], source: Path | None) -> Path:
    """The export path, or :class:`ExportError` for no name, a directory, or the source file itself."""
    target = Path(path).expanduser()
    if not target.name:
        raise ExportError("Give a file name to export to.")
    if target.is_dir():
        raise ExportError(f"{target} is a directory; give a file name.")
    if source is not None and target.resolve() == source.resolve():
        raise ExportError(f"Refusing to overwrite the source file {source.name}; choose another name.")
    return target


def _write(
    target: Path,
    chunks: Iterable[bytes],
    create_folder: bool,
    should_stop: Callable[[], bool] | None = None,
) -> Path:
    try:
        return atomic_write_chunks(target, chunks, private=False, create_parents=create_folder, should_stop=should_stop)
    except MissingDirectory as error:
        raise MissingFolder(error.directory) from None
    except WriteRefused as error:
        raise ExportError(str(error)) from None
    except OSError as error:
        raise ExportError(f"Could not write {target}: {error.strerror or error}") from None


def csv_chunks(
    frame: pd.DataFrame, rows: int | None = None, on_progress: Callable[[ExportProgress], None] | None = None
) -> Iterator[bytes]:
    """``frame.to_csv(index=False)`` as UTF-8 bytes, ``rows`` rows at a time (the header first)."""
    rows = rows or EXPORT_CHUNK_ROWS
    total = len(frame)
    if total == 0:
        yield frame.to_csv(index=False).encode("utf-8")
        return
    for start in range(0, total, rows):
        part = frame.iloc[start : start + rows]
        yield part.to_csv(index=False, header=start == 0).encode("utf-8")
        if on_progress is not None:
            on_progress(ExportProgress(min(start + rows, total), total))


def export_csv(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    source: Path | None,
    *,
    create_folder: bool = False,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[ExportProgress], None] | None = None,
) -> Path:
    """Write ``frame`` as CSV atomically, in chunks; never over the ``source`` file.

    Raises :class:`ExportError` (:class:`MissingFolder` for a missing folder) or
    :class:`tui_lab.core.fileio.WriteCancelled` when ``should_stop`` said so (nothing written).
    """
    target = check_export_target(path, source)
    return _write(target, csv_chunks(frame, on_progress=on_progress), create_folder, should_stop)


def export_code(code: str, path: str | os.PathLike[str], source: Path | None, *, create_folder: bool = False) -> Path:
    """Write the pipeline script atomically; never over the ``source`` file."""
    target = check_export_target(path, source)
    return _write(target, [code.encode("utf-8")], create_folder)


def complete_path(text: str) -> str | None:
    """The first existing path that extends ``text`` (directories end with ``/``), for the open dialog."""
    if not text:
        return None
    expanded = os.path.expanduser(text)
    folder, prefix = os.path.split(expanded)
    try:
        names = sorted(os.listdir(folder or "."))
    except OSError:
        return None
    for name in names:
        if name.startswith(prefix) and (prefix.startswith(".") or not name.startswith(".")):
            full = os.path.join(folder, name)
            completion = name + ("/" if os.path.isdir(full) else "")
            if completion == prefix:
                continue
            return text[: len(text) - len(prefix)] + completion
    return None

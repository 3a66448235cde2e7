"""Files around the Data pane: the sample CSVs, recently opened files, and safe exports."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from tui_lab.core.fileio import atomic_write_text
from tui_lab.core.state import state_dir

SAMPLE_FILES = ("house_tiny.csv", "housing.csv")
RECENT_LIMIT = 10

if TYPE_CHECKING:
    import pandas as pd


class ExportError(Exception):
    """An export was refused or failed; the message says why."""


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


def load_recent() -> list[str]:
    """Recently opened CSV paths, newest first (unreadable state gives an empty list)."""
    try:
        data = json.loads(_recent_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [str(p) for p in data if isinstance(p, str)] if isinstance(data, list) else []


def add_recent(path: str | os.PathLike[str]) -> list[str]:
    """Put ``path`` first in the recent list (deduplicated, at most ``RECENT_LIMIT``)."""
    text = str(Path(path).resolve())
    recent = [text] + [p for p in load_recent() if p != text]
    recent = recent[:RECENT_LIMIT]
    atomic_write_text(_recent_path(), json.dumps(recent, indent=1))
    return recent


def _check_target(path: str | os.PathLike[str], source: Path | None) -> Path:
    target = Path(path).expanduser()
    if not target.name:
        raise ExportError("Give a file name to export to.")
    if target.is_dir():
        raise ExportError(f"{target} is a directory; give a file name.")
    if source is not None and target.resolve() == source.resolve():
        raise ExportError(f"Refusing to overwrite the source file {source.name}; choose another name.")
    return target


def export_csv(frame: pd.DataFrame, path: str | os.PathLike[str], source: Path | None) -> Path:
    """Write ``frame`` as CSV atomically; never over the ``source`` file."""
    target = _check_target(path, source)
    try:
        return atomic_write_text(target, frame.to_csv(index=False))
    except OSError as error:
        raise ExportError(f"Could not write {target}: {error.strerror or error}") from None


def export_code(code: str, path: str | os.PathLike[str], source: Path | None) -> Path:
    """Write the pipeline script atomically; never over the ``source`` file."""
    target = _check_target(path, source)
    try:
        return atomic_write_text(target, code)
    except OSError as error:
        raise ExportError(f"Could not write {target}: {error.strerror or error}") from None


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

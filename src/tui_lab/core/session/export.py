"""A session as a Jupyter notebook (``nbformat``) or a plain ``# %%`` script.

Sections follow the course's headings: setup, data preprocessing (the Data pane's own
generated code), the REPL's successful inputs with their text output, then one section per
kept training run written as the course's code with that run's hyperparameters, seeded as
the pane seeds it, so running the cells in order reproduces ``X``, ``y`` and each run's
learned ``w`` and ``b`` (they end up as ``w_run<N>`` and ``b_run<N>``).

The session file is untrusted, and an export is read in editors, notebooks and with ``cat``:
user text reaches generated code only as ``repr()`` literals; markdown cells hold tui-lab's own
words, identifiers, numbers and plain words (:func:`plain`: letters, digits, spaces and ``.,:;'()/=+-``,
anything else becomes ``?``), so a crafted status or reason can neither style the notebook nor
inject HTML. REPL inputs keep their text with control characters written as Python escapes, and
what they printed is shown with control characters made visible (``␛``), in the notebook's
outputs and in the script's ``# |`` comments alike: no ESC is ever written to the file.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from tui_lab.core.session.model import RunState, SessionState
from tui_lab.core.session.train_code import run_code
from tui_lab.core.text import python_escapes, visible

if TYPE_CHECKING:
    from nbformat import NotebookNode

SETUP = "import numpy as np\nimport pandas as pd\nimport torch\nfrom torch import nn\nimport torch.nn.functional as F"


class ExportError(Exception):
    """The export could not be written; ``str()`` says why."""


#: What :func:`plain` keeps; everything else becomes ``?``.
_PLAIN = re.compile(r"[^A-Za-z0-9 .,:;'()/=+\-δσ]")
#: A version as packaging writes one (``0.4.0``, ``1.0rc1+local``).
_VERSION = re.compile(r"[0-9][0-9A-Za-z.+!-]{0,40}")


def plain(text: str, limit: int = 200) -> str:
    """``text`` as plain words for a markdown cell: other characters become ``?``, cut to ``limit``."""
    shown = _PLAIN.sub("?", text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _name(text: object) -> str:
    """``text`` if it is a (dotted) Python name such as ``torch.Tensor``, else ``?``."""
    return text if isinstance(text, str) and all(part.isidentifier() for part in text.split(".")) else "?"


def _number(value: object) -> str:
    """A saved number (``"abc"`` or a list in a crafted file shows as ``?``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "?"
    if isinstance(value, int) and abs(value) < 10**15:
        return str(value)
    try:
        number = float(value)
    except OverflowError:
        return "?"
    return f"{number:.6g}" if math.isfinite(number) else str(number)


def _when(saved_at: str) -> str:
    try:
        return datetime.fromisoformat(saved_at).strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return "at an unknown time"


def _cells(state: SessionState, pipeline_script: str | None) -> list[tuple[str, str, str]]:
    """(kind, source, output) triples: kind is "markdown" or "code"."""
    when = _when(state.saved_at)
    version = state.version if _VERSION.fullmatch(state.version) else "(unknown version)"
    cells: list[tuple[str, str, str]] = [
        ("markdown", f"# tui-lab session\n\nSaved {when}: {state.describe()}. Exported by tui-lab {version}.", ""),
        ("markdown", "## Setup\n\nThe names the tui-lab REPL preloads.", ""),
        ("code", SETUP, ""),
    ]
    if state.data is not None and pipeline_script is not None:
        count = state.data.position
        cells.append(
            (
                "markdown",
                f"## Data preprocessing\n\nThe Data pane's pipeline: reading the CSV, {count} step(s), then the tensors.",
                "",
            )
        )
        cells.append(("code", python_escapes(pipeline_script.rstrip("\n")), ""))
    entries = [e for e in state.repl if e.ok and e.source.strip()]
    if entries:
        cells.append(
            ("markdown", "## The REPL\n\nEvery input that ran without an error, in order, with what it printed.", "")
        )
        cells.extend(("code", python_escapes(e.source.rstrip("\n")), visible(e.output, keep="\n\t")) for e in entries)
    runs = [r for r in (state.train.runs if state.train else ()) if r.result]
    if runs:
        cells.append(
            ("markdown", "## Training\n\nEach kept run as the course's code, with that run's settings and seed.", "")
        )
        for run in runs:
            cells.extend(_run_cells(run))
    if state.not_saved:
        lines = [
            f"- `{n.name}` (`{_name(n.type_name)}`): {plain(n.reason)}"
            for n in state.not_saved
            if n.name.isidentifier()
        ]
        cells.append(("markdown", "## Not saved\n\n" + "\n".join(lines), ""))
    return cells


def _run_cells(run: RunState) -> list[tuple[str, str, str]]:
    from tui_lab.core.session.panes import config_from_json

    config = config_from_json(run.config)
    learned = run.result
    assert learned is not None  # only runs with a result are exported
    w = ", ".join(_number(v) for v in learned.w)
    final = _number(run.epoch_losses[-1]) if run.epoch_losses else "n/a"
    number = _number(run.run_id)
    # Settings that are numbers, flags or names; strings such as a CSV path are in the code cell, as literals.
    settings = ", ".join(
        f"{key}={value!r}"
        for key, value in sorted(msgspec.structs.asdict(run.config).items())
        if key != "true_w"
        and (isinstance(value, (bool, int, float)) or (isinstance(value, str) and _name(value) == value))
    )
    head = (
        f"### Run {number}: {plain(config.label())}\n\n"
        f"Status {_name(run.status)}; final loss {final}; learned w = [{w}], b = {_number(learned.b)}.\n\n"
        f"Settings: `{settings}`"
    )
    curve = f"### Loss curve of run {number}\n\n```\n{text_plot(run.epoch_losses)}\n```"
    return [("markdown", head, ""), ("code", python_escapes(run_code(config, run.run_id)), ""), ("markdown", curve, "")]


def text_plot(values: Sequence[float], width: int = 40) -> str:
    """Per-epoch losses as a small bar chart in text."""
    finite = [v for v in values if v == v and abs(v) != float("inf")]
    if not finite:
        return "(no finished epoch)"
    top = max(finite) or 1.0
    lines = []
    for epoch, value in enumerate(values, start=1):
        bar = "#" * max(1, round(width * value / top)) if value in finite else "?"
        lines.append(f"epoch {epoch:>3}  {value:12.6g}  {bar}")
    return "\n".join(lines)


def build_notebook(state: SessionState, pipeline_script: str | None = None) -> NotebookNode:
    """The session as an ``nbformat`` v4 notebook node (validated)."""
    import nbformat
    from nbformat import v4

    notebook: NotebookNode = v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    for kind, source, output in _cells(state, pipeline_script):
        if kind == "markdown":
            notebook.cells.append(v4.new_markdown_cell(source))
            continue
        outputs = [v4.new_output("stream", name="stdout", text=output)] if output else []
        notebook.cells.append(v4.new_code_cell(source, outputs=outputs))
    nbformat.validate(notebook)
    return notebook


def build_script(state: SessionState, pipeline_script: str | None = None) -> str:
    """The session as a ``# %%`` percent-format script (runs as plain Python, opens as cells in editors)."""
    parts: list[str] = []
    for kind, source, output in _cells(state, pipeline_script):
        if kind == "markdown":
            parts.append("# %% [markdown]\n" + "\n".join(f"# {line}".rstrip() for line in source.splitlines()))
        else:
            shown = "".join(f"\n# | {line}".rstrip() for line in output.splitlines()[:50]) if output else ""
            parts.append("# %%\n" + source + shown)
    return "\n\n".join(parts) + "\n"


def write_export(path: str | os.PathLike[str], text: str) -> Path:
    """Write an export atomically with the umask's permissions (a temp file, fsync, rename)."""
    target = Path(path).expanduser()
    if not target.name or target.is_dir():
        raise ExportError(f"{target} is a directory; give a file name.")
    if target.exists() and not target.is_file():
        raise ExportError(f"{target} is not a regular file; refusing to write over it.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        name = tempfile.mktemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(name, target)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise ExportError(f"Could not write {target}: {error.strerror or error}") from None
    return target


def export_notebook(path: str | os.PathLike[str], state: SessionState, pipeline_script: str | None = None) -> Path:
    """Write the notebook to ``path`` (``.ipynb``) atomically."""
    import nbformat

    return write_export(path, nbformat.writes(build_notebook(state, pipeline_script)))


def export_script(path: str | os.PathLike[str], state: SessionState, pipeline_script: str | None = None) -> Path:
    """Write the ``# %%`` script to ``path`` atomically."""
    return write_export(path, build_script(state, pipeline_script))

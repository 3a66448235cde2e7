"""A session as a Jupyter notebook (``nbformat``) or a plain ``# %%`` script.

Sections follow the course's headings: setup, data preprocessing (the Data pane's own
generated code), the REPL's successful inputs with their text output, then one section per
kept training run written as the course's code with that run's hyperparameters, seeded as
the pane seeds it, so running the cells in order reproduces ``X``, ``y`` and each run's
learned ``w`` and ``b`` (they end up as ``w_run<N>`` and ``b_run<N>``). User text reaches
generated code only as ``repr()`` literals; markdown cells hold only identifiers and numbers.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from tui_lab.core.session.model import RunState, SessionState
from tui_lab.core.session.train_code import run_code

SETUP = "import numpy as np\nimport pandas as pd\nimport torch\nfrom torch import nn\nimport torch.nn.functional as F"


class ExportError(Exception):
    """The export could not be written; ``str()`` says why."""


def _cells(state: SessionState, pipeline_script: str | None) -> list[tuple[str, str, str]]:
    """(kind, source, output) triples: kind is "markdown" or "code"."""
    when = state.saved_at.replace("T", " ")
    cells: list[tuple[str, str, str]] = [
        ("markdown", f"# tui-lab session\n\nSaved {when}: {state.describe()}. Exported by tui-lab {state.version}.", ""),
        ("markdown", "## Setup\n\nThe names the tui-lab REPL preloads.", ""),
        ("code", SETUP, ""),
    ]
    if state.data is not None and pipeline_script is not None:
        count = state.data.position
        cells.append(
            ("markdown", f"## Data preprocessing\n\nThe Data pane's pipeline: reading the CSV, {count} step(s), then the tensors.", "")
        )
        cells.append(("code", pipeline_script.rstrip("\n"), ""))
    entries = [e for e in state.repl if e.ok and e.source.strip()]
    if entries:
        cells.append(("markdown", "## The REPL\n\nEvery input that ran without an error, in order, with what it printed.", ""))
        cells.extend(("code", e.source.rstrip("\n"), e.output) for e in entries)
    runs = [r for r in (state.train.runs if state.train else ()) if r.result]
    if runs:
        cells.append(("markdown", "## Training\n\nEach kept run as the course's code, with that run's settings and seed.", ""))
        for run in runs:
            cells.extend(_run_cells(run))
    if state.not_saved:
        lines = [f"- `{n.name}` ({n.type_name}): {n.reason}" for n in state.not_saved if n.name.isidentifier()]
        cells.append(("markdown", "## Not saved\n\n" + "\n".join(lines), ""))
    return cells


def _run_cells(run: RunState) -> list[tuple[str, str, str]]:
    from tui_lab.core.session.panes import config_from_json

    config = config_from_json(run.config)
    learned = run.result
    assert learned is not None  # only runs with a result are exported
    w = ", ".join(f"{float(v):.6g}" for v in learned.w)
    settings = ", ".join(f"{k}={v!r}" for k, v in sorted(msgspec.structs.asdict(run.config).items()) if k != "true_w")
    final = f"{run.epoch_losses[-1]:.6g}" if run.epoch_losses else "n/a"
    head = (
        f"### Run {run.run_id}: {config.label()}\n\n"
        f"Status {run.status}; final loss {final}; learned w = [{w}], b = {learned.b:.6g}.\n\n"
        f"Settings: `{settings}`"
    )
    curve = f"### Loss curve of run {run.run_id}\n\n```\n{text_plot(run.epoch_losses)}\n```"
    return [("markdown", head, ""), ("code", run_code(config, run.run_id), ""), ("markdown", curve, "")]


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


def build_notebook(state: SessionState, pipeline_script: str | None = None) -> Any:
    """The session as an ``nbformat`` v4 notebook node (validated)."""
    import nbformat
    from nbformat import v4

    notebook = v4.new_notebook()
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

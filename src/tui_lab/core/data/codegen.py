"""The whole pipeline as one script: ``read_csv``, every step's rendered code, then the tensors.

The app never runs this script: the pipeline applies step objects, and each step's code is a
rendering of the same plan from a fixed template and literals (:mod:`tui_lab.core.data.render`).
Names and paths come from data, so they enter the script only as ``repr()`` literals, and
comments are made of printable characters only: a column named ``"a\\nimport os"`` or a file
named ``a\"\"\";x.csv`` stays text and never becomes a statement. Only the tests run the script,
to check it gives the same tensors as the pane.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tui_lab.core.data.load import LoadOptions
from tui_lab.core.data.pipeline import Pipeline
from tui_lab.core.data.tensors import TensorOptions, tensor_code


def comment_text(text: str) -> str:
    """``text`` safe inside a ``#`` comment: every non-printable character (newlines too) escaped."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def _read_line(path: Path, options: LoadOptions) -> str:
    args = [repr(str(path))] + [f"{key}={value!r}" for key, value in options.read_csv_kwargs().items()]
    return f"data = pd.read_csv({', '.join(args)})"


def generate_code(
    path: Path,
    options: LoadOptions,
    steps: Sequence[tuple[str, str]],
    target: Sequence[str],
    tensors: TensorOptions | None = None,
) -> str:
    """A script from ``(title, code)`` steps; the tensors part is left out when ``tensors`` is None."""
    lines = [
        repr(f"Preprocessing for {path.name}, exported from tui-lab's Data pane."),
        "",
        "import pandas as pd",
        "import torch",
        "",
        _read_line(path, options),
        "target = []",
    ]
    for number, (title, code) in enumerate(steps, start=1):
        lines.append("")
        lines.append(f"# {number}. {comment_text(title)}")
        lines.extend(code.split("\n"))
    if tensors is not None:
        lines.append("")
        lines.append("# To tensors")
        lines.extend(tensor_code(target, tensors).split("\n"))
        names = [tensors.x_name] + ([tensors.y_name] if target else [])
        lines.append("")
        lines.append('if __name__ == "__main__":')
        for name in names:
            lines.append(f"    print({name!r}, tuple({name}.shape), {name}.dtype)")
    return "\n".join(lines) + "\n"


def pipeline_code(pipeline: Pipeline, tensors: TensorOptions | None = None) -> str:
    """The script for ``pipeline`` as it stands (applied steps only)."""
    steps = [(applied.step.title(), applied.code) for applied in pipeline.applied]
    return generate_code(pipeline.path, pipeline.options, steps, pipeline.target, tensors or TensorOptions())

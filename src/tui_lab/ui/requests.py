"""Typed requests one pane (or the command line) sends another.

Each request is a small frozen dataclass that names its target pane in ``PANE``. The app's
``send(request)`` shows that pane and hands it the request; the pane's ``handle_request``
takes exactly its own request types. A misspelt field or a request no pane understands is a
mypy error (``tests/typing/``), never a silent no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from tui_lab.core.workspace import PaneName


@dataclass(frozen=True)
class OpenCsv:
    """Data pane: open (load and show) the CSV at ``path``."""

    PANE: ClassVar[PaneName] = "data"
    path: str


@dataclass(frozen=True)
class InspectTensor:
    """Graph pane: draw the graph of workspace tensor ``name``; ``source`` is the code that built it."""

    PANE: ClassVar[PaneName] = "graph"
    name: str
    source: str | None = None


@dataclass(frozen=True)
class UseAsTrainingData:
    """Train pane: train on workspace tensor ``name`` (as X when 2-D, else as y, unless ``role`` says)."""

    PANE: ClassVar[PaneName] = "train"
    name: str
    role: Literal["auto", "X", "y"] = "auto"


@dataclass(frozen=True)
class InsertCode:
    """REPL pane: put ``code`` into the input (``run=True`` also runs it)."""

    PANE: ClassVar[PaneName] = "repl"
    code: str
    run: bool = False


#: Every request a pane understands.
PaneRequest = OpenCsv | InspectTensor | UseAsTrainingData | InsertCode

"""Checked by mypy only (``make test``): sending a pane a request it does not understand is a type error.

Each ``# type: ignore[...]`` below must be needed: mypy runs with ``--warn-unused-ignores`` on this
module, so if a wrong call ever type-checked, the unused ignore would fail the build.
"""

from __future__ import annotations

from tui_lab.ui.app import TuiLabApp
from tui_lab.ui.requests import InspectTensor, OpenCsv, UseAsTrainingData


def wrong_requests(app: TuiLabApp) -> None:
    app.send(InspectTensor("x", source="x = torch.ones(2)"))  # right: typed, checked
    app.send({"inspect": "x"})  # type: ignore[arg-type]
    app.send("graph")  # type: ignore[arg-type]
    app.send(OpenCsv(path=3))  # type: ignore[arg-type]
    app.send(InspectTensor(name="x", extra=1))  # type: ignore[call-arg]
    app.send(UseAsTrainingData("X", role="features"))  # type: ignore[arg-type]

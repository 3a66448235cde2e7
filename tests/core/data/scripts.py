"""Run a generated pipeline script, as only the tests do: the app applies step objects, never code."""

from __future__ import annotations

from typing import Any


def run_generated(code: str) -> dict[str, Any]:
    """Run a generated script as plain Python (not as ``__main__``) and return its globals."""
    namespace: dict[str, Any] = {"__name__": "tui_lab_generated"}
    exec(compile(code, "<generated>", "exec"), namespace)
    return namespace

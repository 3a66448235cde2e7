"""The Graph pane's vocabulary between controller and screen: follow-up offers, checks, example plans, outcomes."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from enum import Enum

from tui_lab.core.autograd.examples import AutogradExample


class Offer(Enum):
    """A follow-up the screen offers after an operation (a picker), decided on data, not titles."""

    NON_SCALAR = "non-scalar"  #: backward on a vector: .sum().backward() or a gradient argument
    REBUILD = "rebuild"  #: the graph was freed: re-run its code, then backward with retain_graph
    REBUILD_WALK = "rebuild-walk"  #: the graph was freed: re-run its code, then step through it


class Check(Enum):
    """The gradient checks: central differences, torch's gradcheck, forward vs reverse Jacobians."""

    NUMERIC = "numeric"
    GRADCHECK = "gradcheck"
    JACOBIANS = "jacobians"


@dataclass(frozen=True)
class ExamplePlan:
    """A course example about to run: the names it binds and those that already hold the user's values."""

    case: AutogradExample
    binds: tuple[str, ...]
    clashes: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """What an operation asks the screen to do next besides redrawing."""

    new_graph: bool = False  #: hand the new model to the graph widget
    offer: Offer | None = None
    select: int | None = None  #: graph node to move the cursor to (the walk's current step)
    retain: bool = False  #: the backward that needs a choice was asked to retain the graph


def assigned_names(source: str) -> list[str]:
    """Every name ``source`` stores to (anywhere), for remembering which code built which name."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]

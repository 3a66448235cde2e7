"""What the Graph pane's info panel shows, as data: one block per thing said, each about a tensor.

The controller (:mod:`tui_lab.ui.graph.controller`) decides which blocks the panel holds; the
screen renders them with :func:`tui_lab.ui.graph.text.info_text`. ``subject`` names the
inspected tensor a block is about, so nothing shown can be mistaken for another tensor's result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tui_lab.core.autograd.check import GradcheckResult, JacobianComparison, NumericCheck
from tui_lab.core.autograd.details import BackwardResult, NodeDetails
from tui_lab.core.autograd.examples import AutogradExample
from tui_lab.core.autograd.explain import Explanation
from tui_lab.core.autograd.graph import AutogradGraph
from tui_lab.core.autograd.walk import ReverseWalk


@dataclass(frozen=True)
class Welcome:
    """What to type and which keys do what (before anything was inspected)."""


@dataclass(frozen=True)
class ExampleLoaded:
    """A course example was run: its code, its hint, and the names it was renamed to keep the user's."""

    case: AutogradExample
    renamed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Inspected:
    """A new graph is shown: its size, its leaves and notes (detach cuts, the node limit)."""

    nodes: int
    leaves: tuple[str, ...]
    shape: tuple[int, ...] | None
    dtype: str | None
    truncated: bool
    notes: tuple[str, ...] = ()

    @classmethod
    def of(cls, graph: AutogradGraph) -> Inspected:
        """What to say about a freshly read graph (at most three detach notes, and the node limit)."""
        notes = [f"✂ {n.note}" for n in graph.nodes if n.kind == "constant" and n.note][:3]
        if graph.truncated:
            notes.append(
                f"This graph is larger than {len(graph) - 1:,} nodes: the pane read the nodes nearest the root "
                "and marks the rest with ⋯. Long chains of one op are folded (⊞, Space unfolds)."
            )
        root = graph.nodes[graph.root]
        leaves = tuple(graph.nodes[i].label for i in graph.leaves[:8])
        return cls(len(graph), leaves, root.shape, root.dtype, graph.truncated, tuple(notes))


@dataclass(frozen=True)
class NoGraph:
    """The value has no graph: the value itself, and why it has none."""

    value: str | None
    explanation: Explanation


@dataclass(frozen=True)
class Rebuilt:
    """The root was recomputed from the same leaves (their .grad kept)."""


@dataclass(frozen=True)
class WalkStepShown:
    """Step ``number`` (0-based) of the reverse walk over ``graph``."""

    walk: ReverseWalk
    number: int
    graph: AutogradGraph = field(repr=False)


@dataclass(frozen=True)
class NumericChecked:
    """The numeric check's rows, one check per dtype."""

    checks: tuple[NumericCheck, ...]


@dataclass(frozen=True)
class BackwardShown:
    """A backward or zero-grads call and what it did; ``truncated`` when only some leaves are listed."""

    result: BackwardResult
    truncated: bool = False


Content = (
    Welcome
    | ExampleLoaded
    | Inspected
    | NoGraph
    | Explanation
    | Rebuilt
    | BackwardShown
    | NodeDetails
    | WalkStepShown
    | NumericChecked
    | GradcheckResult
    | JacobianComparison
)


@dataclass(frozen=True)
class InfoBlock:
    """One block of the info panel; ``subject`` is the tensor it is about (None: not about one)."""

    subject: str | None
    content: Content

    @property
    def kind(self) -> type[Content]:
        """The content's type, for tests and dispatch."""
        return type(self.content)


WELCOME = (InfoBlock(None, Welcome()),)

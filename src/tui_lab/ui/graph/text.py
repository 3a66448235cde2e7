"""Rich text for the Graph pane's info panel: details, backward results, steps and checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

from tui_lab.core.autograd.check import GradcheckResult, JacobianComparison, NumericCheck
from tui_lab.core.autograd.details import BackwardResult, NodeDetails, format_values
from tui_lab.core.autograd.explain import Explanation
from tui_lab.core.autograd.graph import AutogradGraph
from tui_lab.core.autograd.walk import ReverseWalk


@dataclass(frozen=True)
class Palette:
    """Styles for good, bad and warning text, taken from the app's theme by the screen."""

    good: str = "green"
    bad: str = "red"
    warn: str = "yellow"


DEFAULT = Palette()

WELCOME = (
    "Type code in the line above and press Enter, e.g.\n"
    "  x = torch.arange(4.0, requires_grad=True); y = 2 * torch.dot(x, x)\n"
    "or a tensor's name (ctrl+l lists them), or load one of the course's cases (F6).\n\n"
    "Then: ctrl+r backward · ctrl+g backward with retain_graph · ctrl+o zero grads · "
    "ctrl+t step through reverse mode · ctrl+n numeric check · F9 gradcheck (float64) · "
    "ctrl+y forward vs reverse Jacobians. Tab moves to the graph: arrows follow edges, Enter shows details."
)


def heading(title: str, style: str = "bold") -> Text:
    """A bold first line."""
    return Text(title + "\n", style=style)


def explanation_text(explanation: Explanation, palette: Palette = DEFAULT) -> Text:
    """An error explained."""
    text = heading(f"⚠ {explanation.title}", f"bold {palette.bad}")
    text.append(explanation.message)
    return text


def details_text(details: NodeDetails, palette: Palette = DEFAULT) -> Text:
    """The Enter view of one node."""
    text = heading(details.title)
    if details.line is not None:
        text.append("created by line ", style="dim")
        text.append(f"{details.line}: {details.code or ''}\n", style="italic")
    if details.outputs:
        text.append("output: " if details.kind != "leaf" else "value: ", style="dim")
        text.append(", ".join(details.outputs) + "\n")
    if details.grad is not None:
        text.append(".grad: ", style="dim")
        text.append(details.grad + "\n", style=palette.good)
    for line in details.inputs:
        text.append(f"{line}\n")
    if details.saved:
        text.append("saved for backward:\n", style="dim")
        for name, value in details.saved:
            text.append(f"  {name}: ", style="bold")
            text.append(f"{value}\n")
    elif details.kind == "function":
        text.append("saved for backward: nothing (its derivative needs no forward values)\n", style="dim")
    if details.note:
        text.append(details.note, style="italic")
    return text


def backward_text(result: BackwardResult, graph: AutogradGraph, palette: Palette = DEFAULT) -> Text:
    """What a backward or zero-grads call did to every leaf."""
    text = heading(result.call)
    for label, grad in result.grads:
        text.append(f"{label}.grad = ", style="bold")
        text.append(f"{grad}\n", style=palette.good)
    if graph.truncated:
        text.append("(only the leaves within the node limit are listed)\n", style="dim")
    text.append(
        "Backward adds into .grad: run it again (with retain_graph) and the gradients double; "
        "zero them (ctrl+o) between steps, as training loops do.",
        style="dim",
    )
    return text


def step_text(walk: ReverseWalk, number: int, graph: AutogradGraph, palette: Palette = DEFAULT) -> Text:
    """Step ``number`` of the reverse walk."""
    step = walk.steps[number]
    node = graph.nodes[step.node]
    label = f"{node.label} (AccumulateGrad)" if step.name == "AccumulateGrad" else step.name
    text = heading(f"Reverse mode, step {number + 1} of {len(walk.steps)}: {label}")
    if number == 0 and walk.seeded_with_ones:
        text.append("The root is not a scalar: the walk starts from ones (as y.sum().backward()).\n", style="dim")
    arrived = ", ".join(format_values(g) if g is not None else "None" for g in step.incoming)
    text.append("arriving gradient g = ", style="dim")
    text.append(arrived + "\n", style="bold")
    text.append("local rule: ", style="dim")
    text.append(step.rule + "\n", style="italic")
    for target, grad in zip(step.targets, step.outgoing, strict=True):
        to = graph.nodes[target].label if target is not None else "a constant input"
        shown = format_values(grad) if grad is not None else "nothing (no grad needed)"
        text.append(f"  → {to}: ", style="dim")
        text.append(shown + "\n")
    if number == len(walk.steps) - 1:
        text.append("\nDone. Each leaf's gradient is the sum of what reached it:\n", style="bold")
        for leaf, grad in walk.leaf_grads.items():
            text.append(f"  {graph.nodes[leaf].label}: {format_values(grad)}\n", style=palette.good)
        text.append("These are exactly what .backward() puts in .grad (the walk used hooks and left .grad alone).")
    else:
        text.append("\nctrl+t: next step", style="dim")
    return text


def numeric_text(checks: Sequence[NumericCheck], palette: Palette = DEFAULT) -> Text:
    """Max absolute error per leaf between autograd and central differences, per dtype."""
    text = heading("Numeric check: autograd vs central differences (f(x + h) − f(x − h)) / 2h")
    for check in checks:
        text.append(f"in {check.dtype}, h = {check.step:g}:\n", style="dim")
        for leaf in check.leaves:
            ok = leaf.max_abs_error < (1e-3 if check.dtype != "float64" else 1e-6)
            text.append(f"  {leaf.name}: ", style="bold")
            text.append(
                f"max |autograd − numeric| = {leaf.max_abs_error:.3g}", style=palette.good if ok else palette.bad
            )
            sampled = f" ({leaf.checked} of {leaf.total} elements, sampled)" if leaf.checked < leaf.total else ""
            text.append(f"{sampled}\n")
    text.append(
        "Each partial derivative is approximated one element at a time. float32 keeps about 7 digits, so the "
        "difference quotient loses some: its error is larger than float64's, not a bug in autograd.",
        style="dim",
    )
    return text


def gradcheck_text(result: GradcheckResult, palette: Palette = DEFAULT) -> Text:
    """gradcheck's verdict."""
    text = heading("torch.autograd.gradcheck (float64)")
    text.append(result.message, style=palette.good if result.passed else palette.bad)
    return text


def jacobian_text(result: JacobianComparison, palette: Palette = DEFAULT) -> Text:
    """Forward versus reverse mode: agreement and pass counts."""
    text = heading(f"Jacobian {result.outputs}×{result.inputs} ({result.dtype}): forward vs reverse mode")
    text.append(f"forward mode (jvp): {_passes(result.forward_passes)}, one per input (n = {result.inputs})\n")
    text.append(f"reverse mode (vjp): {_passes(result.reverse_passes)}, one per output (m = {result.outputs})\n")
    agree = result.max_difference < 1e-5
    text.append(f"max |J_fwd − J_rev| = {result.max_difference:.3g}\n", style=palette.good if agree else palette.bad)
    if result.forward.numel() <= 16:
        text.append(f"J = {format_values(result.reverse)}\n")
    if result.outputs == result.inputs:
        verdict = "both modes need the same number of passes."
    else:
        cheaper = "reverse" if result.outputs < result.inputs else "forward"
        verdict = f"{cheaper} mode needs fewer passes."
    text.append(
        f"With m = {result.outputs} output(s) and n = {result.inputs} input(s), {verdict} Training has one "
        "scalar loss and many weights (m = 1, n large): that is why it uses reverse mode.",
        style="dim",
    )
    return text


def _passes(count: int) -> str:
    return f"{count} pass" if count == 1 else f"{count} passes"

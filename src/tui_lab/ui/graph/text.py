"""Rich text for the Graph pane's info panel, rendered from the controller's blocks.

Every block names the tensor it is about; every piece of text that came from the user (names,
code, values, PyTorch's messages quoting them) goes through :func:`tui_lab.ui.theme.safe_text`.
Colours come from the theme (:class:`Palette` is built with ``theme_style``); the defaults carry
no colour at all. Keys are read from the pane's registry, so a tip never names a stale key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from tui_lab.core.autograd.check import GradcheckResult, JacobianComparison, NumericCheck
from tui_lab.core.autograd.details import Accumulation, NodeDetails, format_values
from tui_lab.core.autograd.explain import Explanation
from tui_lab.core.autograd.graph import shape_text
from tui_lab.ui.graph.info import (
    BackwardShown,
    ExampleLoaded,
    InfoBlock,
    Inspected,
    NoGraph,
    NumericChecked,
    Rebuilt,
    WalkStepShown,
    Welcome,
)
from tui_lab.ui.graph.keys import ACTIONS
from tui_lab.ui.theme import safe_text


@dataclass(frozen=True)
class Palette:
    """Styles for good, bad and warning text; the screen fills it from the theme with ``theme_style``."""

    good: Style = Style()
    bad: Style = Style()
    warn: Style = Style()


DEFAULT = Palette()


def key(action: str) -> str:
    """The key the registry binds to ``action`` (``F9``), or its palette name when it has none."""
    for candidate in ACTIONS:
        if candidate.action == action:
            return candidate.key_display if candidate.key else f"palette: {candidate.palette}"
    return f"the {action.replace('_', ' ')} command"


def welcome_text() -> str:
    """What to type, and the keys that do things to the inspected tensor."""
    return (
        "Type code in the line above and press Enter, e.g.\n"
        "  x = torch.arange(4.0, requires_grad=True); y = 2 * torch.dot(x, x)\n"
        f"or a tensor's name ({key('pick_tensor')} lists them), or load one of the course's cases "
        f"({key('load_example')}).\n\n"
        f"Then: {key('backward')} backward · {key('backward_retain')} backward with retain_graph · "
        f"{key('zero_grads')} zero grads · {key('step')} step through reverse mode · "
        f"{key('numeric_check')} numeric check · {key('gradcheck')} gradcheck (float64) · "
        f"{key('jacobians')} forward vs reverse Jacobians. Escape moves to the graph: arrows follow edges, "
        "Enter shows details."
    )


def heading(title: str, subject: str | None = None, style: str | Style = "bold") -> Text:
    """A bold first line; ``subject`` (the tensor) in front of it when given."""
    text = Text(style=style)
    if subject is not None:
        text.append_text(safe_text(subject, keep=""))
        text.append(" · ")
    text.append_text(safe_text(title, keep=""))
    text.append("\n")
    return text


def info_text(blocks: Sequence[InfoBlock], palette: Palette = DEFAULT) -> Text:
    """The whole panel: each block rendered, separated by a blank line."""
    text = Text()
    for number, block in enumerate(blocks):
        if number:
            text.append("\n\n")
        text.append_text(block_text(block, palette))
    return text


def block_text(block: InfoBlock, palette: Palette = DEFAULT) -> Text:
    """One block of the panel."""
    content, subject = block.content, block.subject
    if isinstance(content, Welcome):
        return Text(welcome_text())
    if isinstance(content, ExampleLoaded):
        return example_text(content)
    if isinstance(content, Inspected):
        return inspected_text(content, subject)
    if isinstance(content, NoGraph):
        return no_graph_text(content, subject, palette)
    if isinstance(content, Explanation):
        return explanation_text(content, palette, subject)
    if isinstance(content, Rebuilt):
        return Text(f"Rebuilt {subject} from the same leaves (their .grad kept).", style="italic")
    if isinstance(content, BackwardShown):
        return backward_text(content, palette)
    if isinstance(content, NodeDetails):
        return details_text(content, subject, palette)
    if isinstance(content, WalkStepShown):
        return step_text(content, subject, palette)
    if isinstance(content, NumericChecked):
        return numeric_text(content.checks, subject, palette)
    if isinstance(content, GradcheckResult):
        return gradcheck_text(content, subject, palette)
    return jacobian_text(content, subject, palette)


def example_text(loaded: ExampleLoaded) -> Text:
    """An example's title, its code and what to try."""
    text = heading(f"Example: {loaded.case.title}")
    if loaded.renamed:
        pairs = ", ".join(f"{old} → {new}" for old, new in loaded.renamed.items())
        text.append(f"Your names were kept: the example's names were renamed ({pairs}).\n", style="italic")
    text.append_text(safe_text(loaded.case.code + "\n\n"))
    text.append(loaded.case.hint, style="italic")
    return text


def inspected_text(inspected: Inspected, subject: str | None) -> Text:
    """The new graph: its size, its leaves, and what to do with it."""
    text = heading(f"{shape_text(inspected.shape)} {inspected.dtype} tensor, {inspected.nodes} nodes", subject)
    text.append("leaves: ", style="dim")
    text.append_text(safe_text(", ".join(inspected.leaves) if inspected.leaves else "none", keep=""))
    text.append("\n")
    for note in inspected.notes:
        text.append_text(safe_text(note + "\n", style="italic"))
    text.append(
        f"{key('backward')} backward · {key('step')} step through reverse mode · "
        f"{key('numeric_check')} numeric check · Escape moves to the graph.",
        style="dim",
    )
    return text


def no_graph_text(block: NoGraph, subject: str | None, palette: Palette = DEFAULT) -> Text:
    """A value without a graph: the value first (it is the answer), then why there is no graph."""
    text = heading(block.explanation.title, subject, Style(bold=True) + palette.warn)
    if block.value is not None:
        text.append_text(safe_text(block.value + "\n\n", style="bold"))
    text.append_text(safe_text(block.explanation.message))
    return text


def explanation_text(explanation: Explanation, palette: Palette = DEFAULT, subject: str | None = None) -> Text:
    """An error explained."""
    text = heading(f"⚠ {explanation.title}", subject, Style(bold=True) + palette.bad)
    text.append_text(safe_text(explanation.message))
    return text


def details_text(details: NodeDetails, subject: str | None = None, palette: Palette = DEFAULT) -> Text:
    """The Enter view of one node."""
    text = heading(details.title, subject)
    if details.line is not None:
        text.append("created by line ", style="dim")
        text.append_text(safe_text(f"{details.line}: {details.code or ''}\n", style="italic"))
    if details.outputs:
        text.append("output: " if details.kind != "leaf" else "value: ", style="dim")
        text.append_text(safe_text(", ".join(details.outputs) + "\n"))
    if details.grad is not None:
        text.append(".grad: ", style="dim")
        text.append_text(safe_text(details.grad + "\n", style=palette.good))
    for line in details.inputs:
        text.append_text(safe_text(f"{line}\n"))
    if details.saved:
        text.append("saved for backward:\n", style="dim")
        for name, value in details.saved:
            text.append(f"  {name}: ", style="bold")
            text.append_text(safe_text(f"{value}\n"))
    elif details.kind == "function":
        text.append("saved for backward: nothing (its derivative needs no forward values)\n", style="dim")
    if details.note:
        text.append_text(safe_text(details.note, style="italic"))
    return text


def accumulation_tip(block: BackwardShown) -> str:
    """A tip that says what this call did to .grad (stored, doubled, or added: 8x → 12x is no doubling)."""
    kind = block.result.accumulation
    zero = key("zero_grads")
    if kind is Accumulation.ZEROED:
        return f"Every .grad is zero now; the next backward stores a fresh gradient. ({key('backward')} backward)"
    if kind is Accumulation.DOUBLED:
        return (
            "Backward adds into .grad: the same gradient was added to the one already there, so .grad doubled. "
            f"Zero it ({zero}) between steps, as training loops do."
        )
    if kind is Accumulation.ADDED:
        before = "; ".join(f"{label}: {grad}" for label, grad in block.result.before)
        return (
            f"Backward adds into .grad: this gradient was added to what was there ({before}), so .grad grew by "
            f"one more gradient. Zero it ({zero}) between steps, as training loops do."
        )
    return (
        f".grad held nothing, so backward stored the gradient. Backward adds into .grad: run it again "
        f"({key('backward_retain')} keeps the graph) and .grad grows by one gradient per call; zero it ({zero}) "
        "between steps, as training loops do."
    )


def backward_text(block: BackwardShown, palette: Palette = DEFAULT) -> Text:
    """What a backward or zero-grads call did to every leaf."""
    result = block.result
    text = heading(result.call)
    for label, grad in result.grads:
        text.append_text(safe_text(f"{label}.grad = ", style="bold", keep=""))
        text.append_text(safe_text(f"{grad}\n", style=palette.good))
    if block.truncated:
        text.append("(only the leaves within the node limit are listed)\n", style="dim")
    text.append_text(safe_text(accumulation_tip(block), style="dim"))
    return text


def step_text(shown: WalkStepShown, subject: str | None = None, palette: Palette = DEFAULT) -> Text:
    """Step ``number`` of the reverse walk."""
    walk, number, graph = shown.walk, shown.number, shown.graph
    step = walk.steps[number]
    node = graph.nodes[step.node]
    label = f"{node.label} (AccumulateGrad)" if step.name == "AccumulateGrad" else step.name
    text = heading(f"Reverse mode, step {number + 1} of {len(walk.steps)}: {label}", subject)
    if number == 0 and walk.seeded_with_ones:
        text.append("The root is not a scalar: the walk starts from ones (as y.sum().backward()).\n", style="dim")
    arrived = ", ".join(format_values(g) if g is not None else "None" for g in step.incoming)
    text.append("arriving gradient g = ", style="dim")
    text.append(arrived + "\n", style="bold")
    text.append("local rule: ", style="dim")
    text.append(step.rule + "\n", style="italic")
    for target, grad in zip(step.targets, step.outgoing, strict=True):
        to = graph.nodes[target].label if target is not None else "a constant input"
        shown_grad = format_values(grad) if grad is not None else "nothing (no grad needed)"
        text.append_text(safe_text(f"  → {to}: ", style="dim", keep=""))
        text.append(shown_grad + "\n")
    if number == len(walk.steps) - 1:
        text.append("\nDone. Each leaf's gradient is the sum of what reached it:\n", style="bold")
        for leaf, grad in walk.leaf_grads.items():
            text.append_text(safe_text(f"  {graph.nodes[leaf].label}: {format_values(grad)}\n", style=palette.good))
        text.append("These are exactly what .backward() puts in .grad (the walk used hooks and left .grad alone).")
    else:
        text.append(f"\n{key('step')}: next step", style="dim")
    return text


def numeric_text(checks: Sequence[NumericCheck], subject: str | None = None, palette: Palette = DEFAULT) -> Text:
    """Max absolute error per leaf between autograd and central differences, per dtype."""
    text = heading("numeric check: autograd vs central differences (f(x + h) − f(x − h)) / 2h", subject)
    for check in checks:
        text.append(f"in {check.dtype}, h = {check.step:g}:\n", style="dim")
        for leaf in check.leaves:
            ok = leaf.max_abs_error < (1e-3 if check.dtype != "float64" else 1e-6)
            text.append_text(safe_text(f"  {leaf.name}: ", style="bold", keep=""))
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


def gradcheck_text(result: GradcheckResult, subject: str | None = None, palette: Palette = DEFAULT) -> Text:
    """gradcheck's verdict."""
    text = heading("torch.autograd.gradcheck (float64)", subject)
    text.append_text(safe_text(result.message, style=palette.good if result.passed else palette.bad))
    return text


def jacobian_text(result: JacobianComparison, subject: str | None = None, palette: Palette = DEFAULT) -> Text:
    """Forward versus reverse mode: agreement and pass counts."""
    text = heading(f"Jacobian {result.outputs}×{result.inputs} ({result.dtype}): forward vs reverse mode", subject)
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

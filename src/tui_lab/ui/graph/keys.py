"""The Graph pane's actions.

Keys that change gradients (backward, zero grads) are function keys that no other pane uses
for something harmless; ctrl+g and ctrl+n, which take the learner here from the REPL, only
look at things in this pane, so pressing one again after arriving changes nothing.
"""

from __future__ import annotations

from tui_lab.ui.actions import Effect, PaneAction

C = Effect.CHANGE

#: The Graph pane's actions (the registry in ``tui_lab.ui.panes`` gathers them).
ACTIONS: tuple[PaneAction, ...] = (
    PaneAction("backward", "f9", "Backward", "Run backward() on the inspected tensor", "Graph: backward", C, show=True),
    PaneAction(
        "backward_retain",
        "f10",
        "Retain",
        "backward(retain_graph=True): you can run it twice",
        "Graph: backward with retain_graph",
        C,
    ),
    PaneAction("zero_grads", "f11", "Zero grads", "x.grad.zero_() for every leaf", "Graph: zero grads", C, show=True),
    PaneAction(
        "step",
        "ctrl+t",
        "Step",
        "Step through reverse mode, one node per press, with the chain rule",
        "Graph: step through reverse mode",
        show=True,
    ),
    PaneAction(
        "numeric_check",
        "ctrl+n",
        "Num check",
        "Autograd vs central finite differences",
        "Graph: numeric check",
        show=False,
    ),
    PaneAction(
        "gradcheck", "ctrl+g", "gradcheck", "torch.autograd.gradcheck in float64", "Graph: gradcheck in float64"
    ),
    PaneAction(
        "jacobians",
        "ctrl+y",
        "Jacobians",
        "Forward (jvp) vs reverse (vjp) Jacobians, and how many passes",
        "Graph: forward vs reverse Jacobians",
    ),
    PaneAction(
        "pick_tensor",
        "ctrl+l",
        "Pick tensor",
        "Pick a workspace tensor by name and draw its graph",
        "Graph: inspect a workspace tensor…",
    ),
    PaneAction(
        "load_example",
        "ctrl+o",
        "Examples",
        "The course's cases: 2⟨x,x⟩, detach, control flow, …",
        "Load autograd example…",
        show=True,
    ),
    PaneAction(
        "show_details",
        "ctrl+s",
        "Details",
        "Saved tensors, shapes and the creating line of the selected node",
        "Graph: node details",
    ),
    PaneAction(
        "toggle_fold", "ctrl+f", "Fold", "Fold or unfold the selected chain of one op", "Graph: fold/unfold chain"
    ),
    PaneAction(
        "interrupt",
        "ctrl+c",
        "Interrupt",
        "Interrupt the code the Graph pane runs (while True: pass), or clear its input line",
        "Graph: interrupt / clear input",
        priority=True,
    ),
    PaneAction(
        "focus_graph", "escape", "Focus graph", "Move focus from the input to the graph", "Graph: focus the graph"
    ),
)

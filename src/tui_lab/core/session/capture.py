"""Gathering a snapshot from the workspace and the panes, and putting a loaded session back.

:class:`Provenance` remembers which REPL inputs defined each name (fed from workspace changes
whose source is the REPL), so a name that cannot be saved, or an ``nn.Module``, comes back
as the inputs to re-run. :func:`take_snapshot` runs on the UI thread and only collects
references; the bytes are written later by :func:`tui_lab.core.session.store.save` in a worker.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui_lab.core.session.model import REPL_LOG_ENTRIES, DataState, ReplEntry, TrainState

if TYPE_CHECKING:  # these need numpy, pandas and torch: imported with the first snapshot
    from tui_lab.core.session.snapshot import SessionSnapshot

#: Inputs kept per name (the newest ones).
INPUTS_PER_NAME = 20
#: Tables up to this size get a stored copy beside the recipe (bigger ones rely on the file's hash).
SOURCE_COPY_LIMIT = 256 * 1024 * 1024


class Provenance:
    """Name -> the REPL inputs that set it, oldest first; a later ``del`` forgets the name."""

    def __init__(self, initial: Mapping[str, Iterable[str]] | None = None) -> None:
        self.inputs: dict[str, list[str]] = {k: list(v) for k, v in (initial or {}).items()}

    def record(self, source: str, changed: Iterable[str], deleted: Iterable[str] = ()) -> None:
        """``source`` (one REPL input) set ``changed`` and deleted ``deleted``."""
        for name in changed:
            if name.startswith("_"):
                continue
            kept = self.inputs.setdefault(name, [])
            if not kept or kept[-1] != source:
                kept.append(source)
            del kept[:-INPUTS_PER_NAME]
        for name in deleted:
            self.inputs.pop(name, None)

    def snapshot(self) -> dict[str, tuple[str, ...]]:
        """A frozen copy for a session."""
        return {k: tuple(v) for k, v in self.inputs.items()}


@dataclass(frozen=True)
class PaneStates:
    """What the panes hand over for a snapshot (any of them may be missing)."""

    pipeline: Any = None
    cursor: tuple[int, int] = (0, 0)
    tensor_options: Any = None
    train_form: Mapping[str, str] | None = None
    device: str = "cpu"
    runs: tuple[Any, ...] = ()
    repl: tuple[ReplEntry, ...] = ()
    pane: str = "repl"


def take_snapshot(
    items: Iterable[tuple[str, Any]],
    cap: int,
    panes: PaneStates,
    provenance: Provenance | None = None,
    notes: Iterable[str] = (),
) -> SessionSnapshot:
    """Plan the workspace names within ``cap`` and collect the panes' states (references only)."""
    import numpy as np

    from tui_lab.core.session.panes import data_state, run_state
    from tui_lab.core.session.snapshot import SessionSnapshot
    from tui_lab.core.session.values import plan_names

    inputs = provenance.snapshot() if provenance is not None else {}
    plans, skipped = plan_names(list(items), cap, inputs)
    data: DataState | None = None
    source = None
    if panes.pipeline is not None:
        data = data_state(panes.pipeline, panes.cursor, panes.tensor_options)
        table = panes.pipeline.source
        if int(np.sum(table.memory_usage(index=True, deep=False))) <= SOURCE_COPY_LIMIT:
            source = table
    train = None
    losses = {}
    if panes.train_form is not None or panes.runs:
        states = []
        for record in panes.runs:
            if record.result is None:
                continue  # running or queued: only finished runs are kept
            state, curve = run_state(record)
            states.append(state)
            if curve is not None:
                losses[state.run_id] = curve
        train = TrainState(dict(panes.train_form or {}), panes.device, tuple(states))
    module_inputs = {p.name: inputs.get(p.name, ()) for p in plans if p.kind == "module"}
    return SessionSnapshot(
        plans=tuple(plans),
        not_saved=tuple(skipped),
        inputs={**{k: v for k, v in inputs.items() if k in {n.name for n in skipped}}, **module_inputs},
        data=data,
        source_frame=source,
        train=train,
        run_losses=losses,
        repl=tuple(panes.repl[-REPL_LOG_ENTRIES:]),
        pane=panes.pane,
        notes=tuple(notes),
    )


def restore_module(module: Any, state_dict: Mapping[str, Any]) -> str | None:
    """Load a saved state_dict into a rebuilt module; None on success, else what did not fit."""
    import torch

    if not isinstance(module, torch.nn.Module):
        return f"re-running the inputs gave a {type(module).__name__}, not an nn.Module"
    try:
        module.load_state_dict(dict(state_dict), strict=True)
    except (RuntimeError, ValueError) as error:
        return f"the saved weights do not fit the rebuilt module: {error}"
    return None

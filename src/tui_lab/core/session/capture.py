"""Gathering a snapshot from the workspace and the panes, and putting a loaded session back.

:class:`Provenance` remembers which REPL inputs defined each name (fed from workspace changes
whose source is the REPL), so a name that cannot be saved, or an ``nn.Module``, comes back
as the inputs to re-run. :func:`take_snapshot` runs on the UI thread and only collects
references; the bytes are written later by :func:`tui_lab.core.session.store.save` in a worker.
:class:`Carried` keeps what a restored session held that the workspace has not got back (modules
whose inputs were not re-run, names that were not saved), so a later save never drops them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui_lab.core.session.schema import INPUTS_PER_NAME, NotSaved, SavedModule

if TYPE_CHECKING:  # these need numpy, pandas and torch: imported with the first snapshot
    import torch

    from tui_lab.core.session.snapshot import SessionSnapshot


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
class Carried:
    """What a restored session holds that the workspace does not have yet, kept by every later save.

    ``modules``: name -> (its saved entry, its state_dict, the REPL inputs that build it), for modules
    whose inputs were not re-run (yet). ``not_saved``: names that were not saved, with their inputs.
    A name bound or deleted in the workspace since is dropped from both (see :meth:`without`).
    """

    modules: Mapping[str, tuple[SavedModule, Mapping[str, torch.Tensor], tuple[str, ...]]] = field(default_factory=dict)
    not_saved: tuple[NotSaved, ...] = ()

    def without(self, names: Iterable[str]) -> Carried:
        """The carry without ``names`` (they were bound or deleted in the workspace)."""
        gone = set(names)
        if not gone:
            return self
        modules = {k: v for k, v in self.modules.items() if k not in gone}
        return Carried(modules, tuple(n for n in self.not_saved if n.name not in gone))


def take_snapshot(
    items: Iterable[tuple[str, object]],
    cap: int,
    panes: Iterable[object] = (),
    provenance: Provenance | None = None,
    notes: Iterable[str] = (),
    *,
    pane: str = "repl",
    device: str = "cpu",
    carried: Carried | None = None,
) -> SessionSnapshot:
    """Plan the workspace names within ``cap`` and collect the panes' states (references only)."""
    from tui_lab.core.session.snapshot import SessionSnapshot
    from tui_lab.core.session.values import NamePlan, plan_names

    items = list(items)
    inputs = provenance.snapshot() if provenance is not None else {}
    plans, skipped = plan_names(items, cap, inputs)
    bound = {name for name, _ in items}
    if carried is not None:
        for name, (entry, state_dict, kept) in carried.modules.items():
            if name not in bound:
                plans.append(
                    NamePlan(name, "module", state_dict, entry.nbytes, entry.summary, entry.type_name, entry.meta)
                )
                inputs.setdefault(name, kept)
        known = bound | {n.name for n in skipped}
        skipped += [n for n in carried.not_saved if n.name not in known]
    plans.sort(key=lambda p: p.name)
    skipped_names = {n.name for n in skipped}
    module_inputs = {p.name: inputs.get(p.name, ()) for p in plans if p.kind == "module" and p.meta.arch is None}
    return SessionSnapshot(
        plans=tuple(plans),
        not_saved=tuple(skipped),
        inputs={**{k: v for k, v in inputs.items() if k in skipped_names}, **module_inputs},
        panes=tuple(panes),
        pane=pane,
        device=device,
        notes=tuple(notes),
    )


def restore_module(module: object, state_dict: Mapping[str, torch.Tensor]) -> str | None:
    """Load a saved state_dict into a rebuilt module; None on success, else what did not fit."""
    import torch

    if not isinstance(module, torch.nn.Module):
        return f"re-running the inputs gave a {type(module).__name__}, not an nn.Module"
    try:
        module.load_state_dict(dict(state_dict), strict=True)
    except (RuntimeError, ValueError) as error:
        return f"the saved weights do not fit the rebuilt module: {error}"
    return None

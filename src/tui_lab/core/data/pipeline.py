"""The preprocessing pipeline: a source table, applied steps with undo/redo, and before/after summaries.

Applying a step is split in two so the UI can do the slow half in a worker:
:meth:`Pipeline.compute` (pure, any thread) applies the step object to the current frame (plain
pandas calls; no code text is ever run) and keeps the code rendered from the same plan for the
code view, in an :class:`AppliedStep`; :meth:`Pipeline.commit` (UI thread) appends it. Every applied
step keeps its result frame, so undo and redo restore exact frames without recomputing
(pandas' copy-on-write shares the columns a step did not touch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from tui_lab.core.data.load import LoadOptions
from tui_lab.core.data.steps import FillMissing, Standardize, Step, StepError, numeric_inputs


@dataclass(frozen=True)
class StepSummary:
    """What one step changed: rows, columns, NaNs and dtypes."""

    rows_before: int
    rows_after: int
    columns_added: tuple[str, ...]
    columns_removed: tuple[str, ...]
    nans_before: int
    nans_after: int
    dtype_changes: tuple[tuple[str, str, str], ...]
    target_before: tuple[str, ...] = ()
    target_after: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The summary as short human lines."""
        out = [f"rows: {self.rows_before:,} → {self.rows_after:,}"]
        if self.rows_after < self.rows_before:
            out[-1] += f" ({self.rows_before - self.rows_after:,} removed)"
        if self.columns_added:
            out.append(f"columns added: {', '.join(self.columns_added)}")
        if self.columns_removed:
            out.append(f"columns removed: {', '.join(self.columns_removed)}")
        out.append(f"NaN: {self.nans_before:,} → {self.nans_after:,}")
        if self.nans_after < self.nans_before:
            out[-1] += f" ({self.nans_before - self.nans_after:,} filled or dropped)"
        for name, before, after in self.dtype_changes:
            out.append(f"dtype {name}: {before} → {after}")
        if self.target_before != self.target_after:
            out.append(f"target: {list(self.target_before)} → {list(self.target_after)}")
        return out


@dataclass(frozen=True)
class AppliedStep:
    """A step that ran: its result, what changed, and its code (a rendering of what ran)."""

    step: Step
    code: str
    frame: pd.DataFrame = field(repr=False)
    target: tuple[str, ...]
    summary: StepSummary
    #: The frame the step ran on (identity check in :meth:`Pipeline.commit`).
    base: pd.DataFrame = field(repr=False)


def count_nans(frame: pd.DataFrame) -> int:
    """Missing cells in the whole frame."""
    return int(frame.isna().to_numpy().sum()) if frame.size else 0


def summarize(
    before: pd.DataFrame,
    after: pd.DataFrame,
    target_before: Sequence[str] = (),
    target_after: Sequence[str] = (),
    nans_before: int | None = None,
) -> StepSummary:
    """Compare two frames: rows, added/removed columns, NaN counts and dtype changes.

    ``nans_before`` skips recounting when the caller already knows it (the previous step's count).
    """
    old, new = list(before.columns), list(after.columns)
    kept = [c for c in old if c in set(new)]
    changes = tuple(
        (str(c), str(before[c].dtype), str(after[c].dtype)) for c in kept if before[c].dtype != after[c].dtype
    )
    return StepSummary(
        len(before),
        len(after),
        tuple(str(c) for c in new if c not in set(old)),
        tuple(str(c) for c in old if c not in set(new)),
        count_nans(before) if nans_before is None else nans_before,
        count_nans(after),
        changes,
        tuple(target_before),
        tuple(target_after),
    )


class Pipeline:
    """The source table plus applied steps; the current frame is the last step's result."""

    def __init__(self, path: Path, frame: pd.DataFrame, options: LoadOptions | None = None) -> None:
        self.path = path
        self.source = frame
        self.options = options or LoadOptions()
        self.applied: list[AppliedStep] = []
        self.undone: list[AppliedStep] = []
        self._source_nans: int | None = None

    @property
    def source_nans(self) -> int:
        """Missing cells in the table as read (counted once)."""
        if self._source_nans is None:
            self._source_nans = count_nans(self.source)
        return self._source_nans

    @property
    def frame(self) -> pd.DataFrame:
        """The table after every applied step."""
        return self.applied[-1].frame if self.applied else self.source

    @property
    def target(self) -> tuple[str, ...]:
        """The target columns (``y``); empty until a target step."""
        return self.applied[-1].target if self.applied else ()

    def compute(self, step: Step) -> AppliedStep:
        """Run ``step`` on the current frame without committing it; raises :class:`StepError`."""
        base, target = self.frame, self.target
        if isinstance(step, (FillMissing, Standardize)) and step.columns is None:
            # Record which columns "every numeric input" meant here, for the list and the code comment.
            step = replace(step, columns=tuple(str(c) for c in numeric_inputs(base, target)) or None)
        try:
            frame, new_target, code = step.run(base, target)
        except StepError:
            raise
        except Exception as error:
            raise StepError(f"{step.title()} failed: {type(error).__name__}: {error}") from None
        duplicated = [str(c) for c in frame.columns[frame.columns.duplicated()]]
        if duplicated:
            raise StepError(
                f"{step.title()} would give two columns named {', '.join(duplicated[:3])}; "
                "rename or drop one of them first."
            )
        known = self.applied[-1].summary.nans_after if self.applied else self.source_nans
        summary = summarize(base, frame, target, new_target, known)
        return AppliedStep(step, code, frame, new_target, summary, base)

    def commit(self, applied: AppliedStep) -> None:
        """Append a computed step; clears redo. Refuses a step computed on an older frame."""
        if applied.base is not self.frame:
            raise StepError("The table changed while the step ran; apply it again.")
        self.applied.append(applied)
        self.undone.clear()

    def apply(self, step: Step) -> AppliedStep:
        """Compute and commit in one go (tests, scripts)."""
        applied = self.compute(step)
        self.commit(applied)
        return applied

    def undo(self) -> AppliedStep | None:
        """Take back the last step; returns it, or None when there is nothing to undo."""
        if not self.applied:
            return None
        step = self.applied.pop()
        self.undone.append(step)
        return step

    def redo(self) -> AppliedStep | None:
        """Re-apply the last undone step; returns it, or None."""
        if not self.undone:
            return None
        step = self.undone.pop()
        self.applied.append(step)
        return step

    @property
    def codes(self) -> list[str]:
        """The rendered code of every applied step, in order."""
        return [applied.code for applied in self.applied]

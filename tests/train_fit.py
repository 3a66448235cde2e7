"""Tests' way into a run's outcome: ``fit_of(outcome).w``, ``outcome_of(record)``, ``final_loss_of(record)``.

Each asserts what it reaches for exists (a linear run's fit, a record's outcome, a run's last epoch loss),
so a test fails there, plainly, instead of on an attribute of None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_lab.core.train.history import RunRecord
    from tui_lab.core.train.outcome import LinearFit, TrainingOutcome


def fit_of(outcome: TrainingOutcome | None) -> LinearFit:
    """The outcome's linear fit; an assertion error when there is no outcome or it learned no line."""
    assert outcome is not None and outcome.fit is not None, "a linear run's outcome has a fit"
    return outcome.fit


def outcome_of(record: RunRecord) -> TrainingOutcome:
    """The outcome a record ended with."""
    assert record.result is not None, f"run #{record.run_id} has ended"
    return record.result


def final_loss_of(record: RunRecord) -> float:
    """The last full-data loss of a record's run."""
    loss = outcome_of(record).final_loss
    assert loss is not None, f"run #{record.run_id} finished an epoch"
    return loss

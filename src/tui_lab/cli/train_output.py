"""What ``tui-lab train`` prints: the course's text, ``--json``, and quiet handling of a closed pipe.

The text shows at most :data:`WEIGHTS_SHOWN` weights and says how many more there are, as the
Train pane does (a CSV with 330 columns would print them all on one line); ``--json`` keeps
every one.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tui_lab.core.train.outcome import LinearFit, RunStatus

if TYPE_CHECKING:
    from tui_lab.core.train.outcome import TrainingOutcome

#: What a run that learned no line prints for it (stopped before its first step): w [], b NaN, no truth.
NO_FIT = LinearFit(w=(), b=math.nan)


def result_json(result: TrainingOutcome) -> dict[str, object]:
    """The JSON object ``--json`` prints (also used by the pane's export)."""
    fit = result.fit or NO_FIT
    return {
        "config": result.config.to_dict(),
        "device": result.device,
        "status": str(result.status),
        "message": result.message,
        "initial_loss": result.initial_loss,
        "epoch_losses": list(result.epoch_losses),
        "w": list(fit.w),
        "b": fit.b,
        "true_w": None if fit.true_w is None else list(fit.true_w),
        "true_b": fit.true_b,
        "w_error": None if fit.w_error is None else list(fit.w_error),
        "b_error": fit.b_error,
        "closed_form": {"w": list(fit.closed_w or ()), "b": fit.closed_b, "loss": fit.closed_loss},
        "seconds": result.seconds,
        "samples": result.samples,
        "samples_per_s": result.samples_per_s,
        "diverged_at": None
        if result.diverged_at is None
        else {"epoch": result.diverged_at[0], "step": result.diverged_at[1]},
    }


def finite_json(value: object) -> object:
    """``value`` with NaN/Inf floats replaced by None, so the output is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite_json(v) for v in value]
    return value


#: Weights printed in the text output; beyond, "… N more weights" (one more is printed rather than that line).
WEIGHTS_SHOWN = 6


def _vector(values: Sequence[float]) -> str:
    """``[0.100000, …]`` with the first :data:`WEIGHTS_SHOWN` values and the count of the others."""
    shown = values if len(values) <= WEIGHTS_SHOWN + 1 else values[:WEIGHTS_SHOWN]
    more = len(values) - len(shown)
    return "[" + ", ".join([f"{v:.6f}" for v in shown] + ([f"… {more} more weights"] if more else [])) + "]"


def print_text(result: TrainingOutcome) -> None:
    """The course's printout: epoch lines, then w, b and their errors."""
    if result.config.impl == "closed":
        print(f"closed form (lstsq on [X, 1]), loss {result.final_loss:f}")
    for epoch, loss in enumerate(result.epoch_losses, start=1):
        if result.config.impl != "closed":
            print(f"epoch {epoch}, loss {loss:f}")
    if result.status != RunStatus.FINISHED:
        print(result.message, file=sys.stderr)
    fit = result.fit or NO_FIT
    print(f"w: {_vector(fit.w)}   b: {fit.b:.6f}")
    if fit.w_error is not None and fit.b_error is not None:
        print(f"error in estimating w: {_vector(fit.w_error)}")
        print(f"error in estimating b: {fit.b_error:.6f}")
    else:
        print("error in estimating w, b: n/a (no true parameters for this data)")
    print(f"{result.seconds:.3f} s, {result.samples_per_s:,.0f} samples/s on {result.device}")


def write_output(result: TrainingOutcome, as_json: bool) -> None:
    """Print the result; a reader that went away (``tui-lab train | head -1``) ends it quietly."""
    try:
        if as_json:
            print(json.dumps(finite_json(result_json(result))))
            if result.status != RunStatus.FINISHED:
                print(result.message, file=sys.stderr)
        else:
            print_text(result)
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()


def silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's flush at exit does not raise BrokenPipeError again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor (captured in tests)
        pass

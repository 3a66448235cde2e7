"""The divergence guard and the words a run ends with: shared by every engine and the command line."""

from __future__ import annotations

import math

import torch

#: A loss this many times the initial loss counts as blown up.
BLOWUP_FACTOR = 1e4


def first_bad(values: list[float], limit: float) -> int | None:
    """Index of the first NaN/Inf or blown-up loss, or None."""
    for index, value in enumerate(values):
        if not math.isfinite(value) or value > limit:
            return index
    return None


def divergence_message(epoch: int, step: int) -> str:
    """The guard's message, as the CLI and the pane show it."""
    return f"diverged at epoch {epoch}, step {step}; try a smaller learning rate"


def cuda_memory(device: str) -> int | None:
    """Bytes of CUDA memory allocated by tensors on ``device``, or None off CUDA."""
    return int(torch.cuda.memory_allocated(device)) if device.startswith("cuda") else None


def peak_cuda_memory(device: str) -> int | None:
    """torch.cuda.max_memory_allocated on ``device`` since the last reset, or None off CUDA."""
    return int(torch.cuda.max_memory_allocated(device)) if device.startswith("cuda") else None


def explain_failure(error: BaseException, device: str) -> str:
    """A learner-facing message for an exception raised while training."""
    if isinstance(error, torch.cuda.OutOfMemoryError):
        return f"CUDA out of memory on {device}: try a smaller N or batch size, or train on cpu"
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"training failed on {device}: {text}"

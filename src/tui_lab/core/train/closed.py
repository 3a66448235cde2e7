"""The closed form θ* = argmin ‖[X, 1]θ − y‖² for any N that fits in memory.

Small problems go straight to ``torch.linalg.lstsq`` on [X, 1] (the most accurate route).
Large ones accumulate the normal equations A = [X, 1]ᵀ[X, 1] and c = [X, 1]ᵀy in float64 over
row chunks, so no N×(d+1) float64 copy is ever made, then solve the small (d+1)×(d+1) system:
Jacobi-scaled (columns of very different size, such as raw house prices, stay solvable), with a
rank check, Cholesky when A has full rank and ``lstsq`` (gelsd on the CPU) when it is singular.
A device whose solver refuses falls back to the CPU, and the solution says so in ``notes``.
Data-parallel training sums A and c over ranks (``torch.distributed``) before the same solve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

#: Up to this many rows, lstsq on [X, 1] directly.
DIRECT_ROWS = 100_000
#: Rows per chunk of the normal-equation accumulation.
CHUNK_ROWS = 1 << 20


@dataclass(frozen=True, eq=False)
class ClosedSolution:
    """θ = [w…, b] as float32 on the CPU, how it was found, and anything the learner should know."""

    theta: torch.Tensor
    method: str  # lstsq | normal equations | normal equations (lstsq, rank r)
    notes: tuple[str, ...] = ()


def augment(X: torch.Tensor) -> torch.Tensor:
    """[X, 1]: a column of ones so θ's last entry is the bias."""
    return torch.cat([X, torch.ones(X.shape[0], 1, dtype=X.dtype, device=X.device)], dim=1)


def normal_equations(X: torch.Tensor, y: torch.Tensor, rows: int = CHUNK_ROWS) -> tuple[torch.Tensor, torch.Tensor]:
    """A = [X, 1]ᵀ[X, 1] and c = [X, 1]ᵀy in float64, accumulated over chunks of ``rows`` rows."""
    d1 = X.shape[1] + 1
    A = torch.zeros(d1, d1, dtype=torch.float64, device=X.device)
    c = torch.zeros(d1, dtype=torch.float64, device=X.device)
    for start in range(0, X.shape[0], max(1, rows)):
        X1 = augment(X[start : start + rows].double())
        A.addmm_(X1.T, X1)
        c.addmv_(X1.T, y[start : start + rows].double())
    return A, c


def solve_normal_equations(A: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, str]:
    """θ from Aθ = c (float64, A's device); lstsq when A is singular. Raises RuntimeError if the solver refuses."""
    scale = A.diagonal().clamp(min=0).sqrt()
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    As = A / scale[:, None] / scale[None, :]  # unit diagonal: the rank check and solve see comparable columns
    cs = c / scale
    rank = int(torch.linalg.matrix_rank(As, hermitian=True))
    if rank == As.shape[0]:
        factor, info = torch.linalg.cholesky_ex(As)
        if int(info) == 0:
            return torch.cholesky_solve(cs[:, None], factor)[:, 0] / scale, "normal equations"
    driver = "gelsd" if As.device.type == "cpu" else None
    z = torch.linalg.lstsq(As, cs[:, None], driver=driver).solution[:, 0]
    return z / scale, f"normal equations (lstsq, rank {rank} of {As.shape[0]})"


def _direct(X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, str]:
    X1 = augment(X.double())
    if X1.device.type != "cpu" and int(torch.linalg.matrix_rank(X1.T @ X1)) < X1.shape[1]:
        X1, y = X1.cpu(), y.cpu()  # CUDA only has gels, which needs full rank (one-hot columns often are not)
    driver = "gelsd" if X1.device.type == "cpu" else None  # gelsd copes with collinear columns
    return torch.linalg.lstsq(X1, y.double().to(X1.device).unsqueeze(1), driver=driver).solution[:, 0], "lstsq"


def solve(
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    direct_rows: int = DIRECT_ROWS,
    rows: int = CHUNK_ROWS,
    reduce: Callable[[torch.Tensor, torch.Tensor], None] | None = None,
) -> ClosedSolution:
    """The least-squares θ for (X, y) on X's device; ``reduce`` sums A, c in place across ranks (forces the chunked path)."""
    notes: list[str] = []
    if X.device.type == "mps":  # no float64 on Apple GPUs
        X, y = X.cpu(), y.cpu()
        notes.append("closed form solved on the CPU (no float64 on mps)")
    if reduce is None and X.shape[0] <= direct_rows:
        try:
            theta, method = _direct(X, y)
        except RuntimeError as error:
            theta, method = _direct(X.cpu(), y.cpu())
            notes.append(f"closed form solved on the CPU ({X.device} refused: {_first_line(error)})")
        return ClosedSolution(theta.float().cpu(), method, tuple(notes))
    A, c = normal_equations(X, y, rows)
    if reduce is not None:
        reduce(A, c)
    try:
        theta, method = solve_normal_equations(A, c)
    except RuntimeError as error:
        if A.device.type == "cpu":
            raise
        theta, method = solve_normal_equations(A.cpu(), c.cpu())
        notes.append(f"closed form's small system solved on the CPU ({A.device} refused: {_first_line(error)})")
    return ClosedSolution(theta.float().cpu(), method, tuple(notes))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__

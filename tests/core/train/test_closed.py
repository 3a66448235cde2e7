"""The closed form at any N: the chunked normal equations against float64 lstsq, singular systems, fallbacks."""

from __future__ import annotations

import pytest
import torch

from tui_lab.core.train import closed
from tui_lab.core.train.closed import augment, normal_equations, solve
from tui_lab.core.train.data import synthetic_data


def reference(X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    X1 = augment(X.double())
    return torch.linalg.lstsq(X1, y.double().unsqueeze(1), driver="gelsd").solution[:, 0]


@pytest.mark.parametrize("rows", [1, 7, 1000])
def test_chunked_normal_equations_match_lstsq(rows: int) -> None:
    X, y = synthetic_data((2.0, -3.4, 0.5), 4.2, 500, 0.1, 3)
    solution = solve(X, y, direct_rows=0, rows=rows)
    assert solution.method == "normal equations"
    expected = reference(X, y)
    assert torch.allclose(solution.theta.double(), expected, rtol=1e-6, atol=1e-6)


def test_accumulation_is_the_full_gram_matrix() -> None:
    X, y = torch.randn(37, 4, dtype=torch.float64), torch.randn(37, dtype=torch.float64)
    A, c = normal_equations(X, y, rows=5)
    X1 = augment(X)
    assert torch.allclose(A, X1.T @ X1) and torch.allclose(c, X1.T @ y)


def test_columns_of_very_different_scale_still_solve() -> None:
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(2000, 3, generator=gen) * torch.tensor([1e4, 1.0, 1e-3])
    y = X @ torch.tensor([3e-4, 2.0, 500.0]) + 7.0
    theta = solve(X, y, direct_rows=0).theta.double()
    assert torch.allclose(theta, reference(X, y), rtol=1e-5, atol=1e-5)


def test_singular_systems_use_lstsq_on_the_small_system() -> None:
    X = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])  # one-hot columns sum to the bias column
    y = torch.tensor([3.0, 5.0, 3.0, 5.0])
    solution = solve(X, y, direct_rows=0, rows=3)
    assert solution.method.startswith("normal equations (lstsq, rank 2 of 3)")
    assert torch.allclose(augment(X) @ solution.theta, y, atol=1e-4)


def test_a_refusing_solver_falls_back_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    direct = closed._direct

    def refuse_once(X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("cusolver error: CUSOLVER_STATUS_INVALID_VALUE\nmore")
        return direct(X, y)

    monkeypatch.setattr(closed, "_direct", refuse_once)
    X, y = synthetic_data((1.0,), 0.5, 50, 0.0, 0)
    solution = solve(X, y)
    assert calls == 2 and solution.notes and "CUSOLVER_STATUS_INVALID_VALUE" in solution.notes[0]
    assert "more" not in solution.notes[0]
    assert solution.theta.tolist() == pytest.approx([1.0, 0.5], abs=1e-5)


def test_reduce_sees_the_sums_before_the_solve() -> None:
    X, y = synthetic_data((2.0,), 1.0, 100, 0.0, 0)
    half = solve(X[:50], y[:50], reduce=lambda A, c: (A.mul_(2), c.mul_(2)) and None)
    assert half.theta.tolist() == pytest.approx(solve(X[:50], y[:50]).theta.tolist(), abs=1e-5)


def test_two_million_rows_on_the_cpu_in_chunks() -> None:
    """N = 10M is timed by bench/train.py (its float64 lstsq reference alone takes seconds here)."""
    X, y = synthetic_data((2.0, -3.4), 4.2, 2_000_000, 0.01, 0)
    solution = solve(X, y)
    assert solution.method == "normal equations"
    assert torch.allclose(solution.theta.double(), reference(X, y), rtol=1e-6, atol=1e-7)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_ten_million_rows_on_cuda() -> None:
    X, y = synthetic_data((2.0, -3.4), 4.2, 10_000_000, 0.01, 0)
    on_gpu = solve(X.cuda(), y.cuda())
    assert torch.allclose(on_gpu.theta.double(), reference(X, y), rtol=1e-6, atol=1e-7)

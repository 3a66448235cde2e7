"""Checking gradients: central finite differences, gradcheck in float64, jvp versus vjp.

Every check takes ``make_function(as_double) -> f`` where ``f(*leaf_values)`` recomputes
the inspected tensor (see :class:`~tui_lab.core.autograd.program.ForwardProgram`), and the
leaves' current values. A non-scalar output is checked through its sum, as ``.sum().backward()``
would. Checks try float64 first and fall back to the leaves' own dtype when the code mixes
dtypes (e.g. float32 data from the workspace), saying which one was used.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import torch

#: ``make_function(as_double)`` returns ``f(*leaf_values)``, which recomputes the inspected tensor.
MakeFunction = Callable[[bool], Callable[..., "torch.Tensor"]]
_T = TypeVar("_T")

#: Elements per leaf checked by finite differences (the rest are sampled, seeded).
MAX_FD_ELEMENTS = 512
#: Finite-difference step per dtype: float32 keeps ~7 digits, so a tiny step drowns in rounding.
STEPS = {"float64": 1e-6, "float32": 2e-2, "float16": 1e-1, "bfloat16": 1e-1}
#: Largest n or m for the Jacobian comparison (one pass per input or output).
MAX_JACOBIAN_DIM = 256


@dataclass(frozen=True)
class LeafError:
    """Max absolute error between autograd's and the numeric gradient of one leaf."""

    name: str
    max_abs_error: float
    checked: int
    total: int


@dataclass(frozen=True)
class NumericCheck:
    """Per-leaf errors, the dtype the function ran in and the step used."""

    leaves: tuple[LeafError, ...]
    dtype: str
    step: float

    @property
    def max_error(self) -> float:
        """The worst leaf's error."""
        return max((leaf.max_abs_error for leaf in self.leaves), default=0.0)


@dataclass(frozen=True)
class GradcheckResult:
    """Whether ``torch.autograd.gradcheck`` passed in float64, and its message if not."""

    passed: bool
    message: str


@dataclass(frozen=True)
class JacobianComparison:
    """Jacobians by forward mode (n JVP passes) and reverse mode (m VJP passes)."""

    inputs: int
    outputs: int
    forward_passes: int
    reverse_passes: int
    max_difference: float
    forward: torch.Tensor
    reverse: torch.Tensor
    dtype: str


def _scalar(value: torch.Tensor) -> torch.Tensor:
    return value.sum() if value.dim() > 0 else value


def _with_fallback(
    make_function: MakeFunction,
    leaves: Sequence[torch.Tensor],
    run: Callable[[Callable[..., torch.Tensor], list[torch.Tensor]], _T],
) -> _T:
    """Run ``run(f, values, dtype)`` in float64, or in the leaves' dtype if float64 fails."""
    doubles = [leaf.detach().double() for leaf in leaves]
    try:
        return run(make_function(True), doubles)
    except (RuntimeError, TypeError):
        natives = [leaf.detach().clone() for leaf in leaves]
        return run(make_function(False), natives)


def numeric_check(
    make_function: MakeFunction,
    leaves: Sequence[torch.Tensor],
    names: Sequence[str],
    should_stop: Callable[[], bool] | None = None,
    seed: int = 0,
) -> tuple[NumericCheck, ...]:
    """Compare autograd's gradient with central differences ``(f(x+h) − f(x−h)) / 2h`` per leaf.

    The first check runs in the leaves' own dtype (float32 in the course); a second one in
    float64 follows when the leaves are not float64 already and the code runs in float64.
    """
    import torch

    def run(f: Callable[..., torch.Tensor], values: list[torch.Tensor]) -> NumericCheck:
        dtype = values[0].dtype
        step = STEPS.get(str(dtype).removeprefix("torch."), 1e-2)
        params = [v.clone().requires_grad_(True) for v in values]
        grads = torch.autograd.grad(_scalar(f(*params)), params, allow_unused=True)
        generator = torch.Generator().manual_seed(seed)
        rows = []
        with torch.no_grad():
            for name, value, grad in zip(names, values, grads, strict=True):
                flat = value.reshape(-1)
                auto = grad.reshape(-1).double() if grad is not None else torch.zeros(flat.numel(), dtype=torch.float64)
                picks: list[int] = list(range(flat.numel()))
                if flat.numel() > MAX_FD_ELEMENTS:
                    picks = torch.randperm(flat.numel(), generator=generator)[:MAX_FD_ELEMENTS].tolist()
                worst = 0.0
                for i in picks:
                    if should_stop is not None and should_stop():
                        raise InterruptedError("numeric check cancelled")
                    original = flat[i].item()
                    flat[i] = original + step
                    up = float(_scalar(f(*values)).double())
                    flat[i] = original - step
                    down = float(_scalar(f(*values)).double())
                    flat[i] = original
                    worst = max(worst, abs((up - down) / (2 * step) - float(auto[i])))
                rows.append(LeafError(name, worst, len(picks), flat.numel()))
        return NumericCheck(tuple(rows), str(dtype).removeprefix("torch."), step)

    native = run(make_function(False), [leaf.detach().clone() for leaf in leaves])
    if native.dtype == "float64":
        return (native,)
    try:
        return native, run(make_function(True), [leaf.detach().double() for leaf in leaves])
    except (RuntimeError, TypeError):
        return (native,)


def run_gradcheck(make_function: MakeFunction, leaves: Sequence[torch.Tensor]) -> GradcheckResult:
    """``torch.autograd.gradcheck`` of the scalar function of the leaves, in float64."""
    import torch

    f = make_function(True)
    inputs = tuple(leaf.detach().double().requires_grad_(True) for leaf in leaves)
    if sum(i.numel() for i in inputs) > 4 * MAX_JACOBIAN_DIM:
        return GradcheckResult(
            False, f"Skipped: gradcheck needs one pass per input element (here {sum(i.numel() for i in inputs)})."
        )
    try:
        torch.autograd.gradcheck(lambda *a: _scalar(f(*a)), inputs, eps=1e-6, atol=1e-5)
    except Exception as error:  # GradcheckError or the code failing in float64: both are the answer
        first = str(error).strip().splitlines()
        return GradcheckResult(False, f"{type(error).__name__}: {first[0] if first else error}")
    return GradcheckResult(True, "gradcheck passed: analytical and numerical Jacobians agree in float64.")


def compare_jacobians(
    make_function: MakeFunction, leaves: Sequence[torch.Tensor], should_stop: Callable[[], bool] | None = None
) -> JacobianComparison:
    """The Jacobian of the output (flattened) w.r.t. all leaves (concatenated), both ways."""
    import torch
    from torch.func import jvp, vjp

    shapes = [leaf.shape for leaf in leaves]
    sizes = [leaf.numel() for leaf in leaves]

    def run(f: Callable[..., torch.Tensor], values: list[torch.Tensor]) -> JacobianComparison:
        flat = torch.cat([v.reshape(-1) for v in values])

        def g(vector: torch.Tensor) -> torch.Tensor:
            parts = torch.split(vector, sizes)
            return f(*(p.reshape(s) for p, s in zip(parts, shapes, strict=True))).reshape(-1)

        n = flat.numel()
        m = g(flat).numel()
        if max(n, m) > MAX_JACOBIAN_DIM:
            raise ValueError(f"The Jacobian is {m}×{n}; the comparison is limited to {MAX_JACOBIAN_DIM} per side.")
        eye_n = torch.eye(n, dtype=flat.dtype)
        columns = []
        for j in range(n):
            if should_stop is not None and should_stop():
                raise InterruptedError("Jacobian comparison cancelled")
            with warnings.catch_warnings():
                # torch's forward-mode AD loads its jvp decompositions through torch.jit.script on first use,
                # which warns that jit.script is deprecated: torch's own business, not the user's.
                warnings.filterwarnings(
                    "ignore", message=r"`torch\.jit\.script` is deprecated", category=DeprecationWarning
                )
                columns.append(jvp(g, (flat,), (eye_n[j],))[1])
        forward = torch.stack(columns, dim=1)
        pulled = vjp(g, flat)
        out, pullback = pulled[0], pulled[1]
        eye_m = torch.eye(m, dtype=out.dtype)
        rows = [pullback(eye_m[i])[0] for i in range(m)]
        reverse = torch.stack(rows, dim=0)
        difference = float((forward - reverse).abs().max()) if forward.numel() else 0.0
        return JacobianComparison(n, m, n, m, difference, forward, reverse, str(flat.dtype).removeprefix("torch."))

    return _with_fallback(make_function, leaves, run)

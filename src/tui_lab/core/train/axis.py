"""Loss-axis ticks: a few round values inside the data's range, labelled compactly.

Losses span from ``0.0012`` to raw house prices squared (``1.97e10``); printed in full, the
latter (``19702956032.0``) takes a third of a small plot's width. :func:`axis_ticks` picks
round values (1, 2, 2.5, 5 × 10ᵏ; decades on a log axis) strictly inside [lo, hi], since a
plotting library that is handed ticks outside the data's range may stretch the axis to them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Multiples of a power of ten that make round steps.
NICE_FACTORS = (1.0, 2.0, 2.5, 5.0, 10.0)
#: Relative slack when deciding whether a round value lies inside [lo, hi] (float noise).
SLACK = 1e-9


@dataclass(frozen=True)
class Ticks:
    """Tick positions (data values) and their labels, same length."""

    values: tuple[float, ...]
    labels: tuple[str, ...]


def compact_number(value: float, digits: int = 3) -> str:
    """``19702956032`` → ``1.97e10``; ``3.9`` → ``3.9``; ``0.0012`` → ``0.0012``; ``1e-05`` → ``1e-5``."""
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return str(value)
    text = f"{value:.{max(1, digits)}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def nice_step(span: float, intervals: int) -> float:
    """The smallest round step (1, 2, 2.5, 5 × 10ᵏ) that covers ``span`` in at most ``intervals`` steps."""
    raw = span / max(1, intervals)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next(f * magnitude for f in NICE_FACTORS if f * magnitude >= raw * (1 - SLACK))


def linear_ticks(lo: float, hi: float, count: int) -> tuple[float, ...]:
    """Multiples of a round step inside [lo, hi]: at most ``count`` of them, at least two when lo < hi."""
    if not hi > lo:
        return (lo,)
    step = nice_step(hi - lo, max(1, count - 1))
    first = math.ceil(lo / step - SLACK)
    last = math.floor(hi / step + SLACK)
    return tuple(0.0 if k == 0 else k * step for k in range(first, last + 1))


def log_ticks(lo: float, hi: float, count: int) -> tuple[float, ...]:
    """Powers of ten inside [lo, hi] (every few if there are many); 2× and 5× as well over a short range."""
    if not (0 < lo < hi):
        return linear_ticks(lo, hi, count)
    k0 = math.ceil(math.log10(lo) - SLACK)
    k1 = math.floor(math.log10(hi) + SLACK)
    decades = [10.0**k for k in range(k0, k1 + 1)]
    if len(decades) >= 2:
        stride = math.ceil(len(decades) / max(1, count))
        return tuple(decades[::stride])
    inside = [
        m * 10.0**k
        for k in range(k0 - 1, k1 + 1)
        for m in (1.0, 2.0, 5.0)
        if lo * (1 - SLACK) <= m * 10.0**k <= hi * (1 + SLACK)
    ]
    if 2 <= len(inside) <= count:
        return tuple(inside)
    return linear_ticks(lo, hi, count)


def axis_ticks(lo: float, hi: float, count: int = 5, log_scale: bool = False) -> Ticks:
    """Round ticks inside [lo, hi] with compact labels that tell neighbouring ticks apart."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return Ticks((), ())
    lo, hi = min(lo, hi), max(lo, hi)
    values: tuple[float, ...] = ()
    for more in range(4):  # a short axis may fit only one round value at first: allow a finer step
        values = log_ticks(lo, hi, count + more) if log_scale else linear_ticks(lo, hi, count + more)
        if len(values) >= 2 or not hi > lo:
            break
    return Ticks(values, labels_for(values))


def labels_for(values: tuple[float, ...]) -> tuple[str, ...]:
    """Compact labels with enough significant digits to tell the closest neighbours apart."""
    if len(values) < 2:
        return tuple(compact_number(v) for v in values)
    gap = min(b - a for a, b in zip(values, values[1:], strict=False))
    biggest = max(abs(v) for v in values)
    # one digit past the gap's leading digit (2.5-type steps), three at least, as round values need
    digits = math.floor(math.log10(biggest)) - math.floor(math.log10(gap)) + 2 if gap > 0 else 3
    return tuple(compact_number(v, min(max(digits, 3), 17)) for v in values)  # 17: all a float has

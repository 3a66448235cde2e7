"""Loss-axis ticks: round values inside the range, compact distinct labels, linear and log."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from tui_lab.core.train.axis import axis_ticks, compact_number, linear_ticks, log_ticks


def test_compact_number_examples() -> None:
    assert compact_number(19702956032.0) == "1.97e10"
    assert compact_number(3.9) == "3.9"
    assert compact_number(0.0012) == "0.0012"
    assert compact_number(1e-05) == "1e-5"
    assert compact_number(0.0) == "0"
    assert compact_number(-2.5e-7) == "-2.5e-7"


def test_house_price_losses_get_short_round_labels() -> None:
    ticks = axis_ticks(2.4e9, 2.19e10, 5)
    assert ticks.labels == ("5e9", "1e10", "1.5e10", "2e10")
    assert ticks.values == (5e9, 1e10, 1.5e10, 2e10)


def test_small_losses_and_a_narrow_range() -> None:
    assert axis_ticks(0.00048, 0.00438, 5).labels == ("0.001", "0.002", "0.003", "0.004")
    narrow = axis_ticks(0.012345, 0.012351, 4)
    assert len(set(narrow.labels)) == len(narrow.labels) >= 2  # neighbours stay distinguishable
    assert all(0.012345 <= v <= 0.012351 for v in narrow.values)


def test_log_axis_uses_decades_or_one_two_five() -> None:
    assert log_ticks(3e-5, 40.0, 5) == (1e-4, 1e-2, 1.0)  # every other decade: at most five ticks
    assert axis_ticks(2e-5, 1e-4, 5, log_scale=True).labels == ("2e-5", "5e-5", "0.0001")
    assert linear_ticks(1.0, 1.0, 5) == (1.0,)
    assert axis_ticks(math.nan, 1.0).values == ()


@given(
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    st.floats(min_value=1e-6, max_value=1e12),
    st.integers(min_value=2, max_value=8),
)
def test_linear_ticks_lie_inside_and_read_back(lo: float, span: float, count: int) -> None:
    hi = lo + span
    if hi - lo < 1e-9 * max(abs(lo), abs(hi), 1e-300):
        return  # below float resolution there is no round value to pick
    ticks = axis_ticks(lo, hi, count)
    assert 2 <= len(ticks.values) <= count + 3
    assert list(ticks.values) == sorted(set(ticks.values))
    step = ticks.values[1] - ticks.values[0]
    for value, label in zip(ticks.values, ticks.labels, strict=True):
        assert lo - 1e-6 * step <= value <= hi + 1e-6 * step
        assert abs(float(label) - value) <= 0.01 * step
    assert len(set(ticks.labels)) == len(ticks.labels)


@given(st.floats(min_value=1e-12, max_value=1e12), st.floats(min_value=1.01, max_value=1e15))
def test_log_ticks_lie_inside(lo: float, ratio: float) -> None:
    hi = lo * ratio
    ticks = axis_ticks(lo, hi, 5, log_scale=True)
    assert len(ticks.values) >= 1
    assert all(lo * (1 - 1e-6) <= v <= hi * (1 + 1e-6) for v in ticks.values)
    assert len(set(ticks.labels)) == len(ticks.labels)

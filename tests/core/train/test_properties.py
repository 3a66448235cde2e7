"""Property tests: config text round-trips, and bucketed history equals the plain means."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_lab.core.train.config import FIELD_NAMES, IMPLS, LOSSES, OPTIMIZERS, TrainConfig, field_text, parse_config
from tui_lab.core.train.history import BucketedSeries

positive = st.floats(min_value=1e-6, max_value=1e3, allow_nan=False, allow_infinity=False)
configs = st.builds(
    TrainConfig,
    impl=st.sampled_from(IMPLS),
    n=st.integers(1, 10**7),
    true_w=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=6).map(tuple),
    true_b=st.floats(-1e3, 1e3, allow_nan=False),
    lr=positive,
    batch_size=st.integers(1, 10**6),
    epochs=st.integers(1, 1000),
    optimizer=st.sampled_from(OPTIMIZERS),
    loss=st.sampled_from([loss for loss in LOSSES if loss != "cross_entropy"]),
    huber_delta=positive,
    seed=st.integers(0, 2**31),
)


@settings(max_examples=200, deadline=None)
@given(configs)
def test_form_text_round_trips(config: TrainConfig) -> None:
    texts = {name: field_text(config, name) for name in FIELD_NAMES}
    parsed = parse_config(texts)
    for name in FIELD_NAMES:
        expected, got = getattr(config, name), getattr(parsed, name)
        if isinstance(expected, float):
            assert got == float(f"{expected:g}")
        elif isinstance(expected, tuple):
            assert got == tuple(float(f"{v:g}") for v in expected)
        else:
            assert got == expected


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=3000),
    st.integers(2, 64),
    st.lists(st.integers(1, 500), min_size=1, max_size=40),
)
def test_bucketed_series_matches_plain_bucket_means(values: list[float], resolution: int, cuts: list[int]) -> None:
    data = np.asarray(values)
    series = BucketedSeries(len(data), resolution=resolution)
    start = 0
    for size in cuts * (len(data) // max(1, sum(cuts)) + 1):
        series.extend(data[start : start + size])
        start += size
        if start >= len(data):
            break
    steps, means = series.points()
    bucket = series.bucket
    expected = [data[i : i + bucket].mean() for i in range(0, len(data), bucket)]
    assert series.count == len(data) and len(means) <= resolution
    assert np.allclose(means, expected)
    assert np.allclose(steps, [i + (min(bucket, len(data) - i) + 1) / 2 for i in range(0, len(data), bucket)])

"""Seeded draws: repeatable, in range, different per seed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hemsnet.physics.draws import Draws, mix, uniform


@given(st.integers(-(2**70), 2**70), st.integers(2, 1000))
def test_draws_repeat_and_stay_in_range(key: int, limit: int) -> None:
    a, b = Draws(key), Draws(key)
    for _ in range(20):
        value = a.random()
        assert value == b.random() and 0.0 <= value < 1.0
        assert 0 <= a.below(limit) < limit
        b.below(limit)
        assert 2.0 <= a.between(2.0, 3.0) <= 3.0
        b.between(2.0, 3.0)


def test_streams_differ_by_key_and_position() -> None:
    assert mix(1, 1) != mix(2, 1) and mix(1, 1) != mix(1, 2)
    values = [uniform(7, n) for n in range(10_000)]
    assert 0.45 < sum(values) / len(values) < 0.55

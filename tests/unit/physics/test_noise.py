"""Value noise: the knots are the stream's draws, and it eases between them."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from hemsnet.physics.draws import uniform
from hemsnet.physics.noise import ValueNoise


@given(
    key=st.integers(0, 2**64 - 1),
    knot_minutes=st.integers(1, 60),
    index=st.integers(0, 50 * 527_040),
)
def test_noise_passes_through_the_knots_and_stays_between_them(
    key: int, knot_minutes: int, index: int
) -> None:
    noise = ValueNoise(key, knot_minutes)
    knot = index // knot_minutes
    here, there = uniform(key, knot), uniform(key, knot + 1)
    value = noise.at(index)
    assert 0.0 <= value < 1.0
    assert min(here, there) <= value <= max(here, there)
    assert noise.at(knot * knot_minutes) == here


def test_noise_eases_in_and_out_of_each_knot() -> None:
    noise = ValueNoise(7, 15)
    values = [noise.at(i) for i in range(15 * 100, 15 * 101 + 1)]
    steps = [b - a for a, b in pairwise(values)]
    # smoothstep: the steps next to the knots are smaller than the one halfway
    assert abs(steps[0]) < abs(steps[7]) and abs(steps[-1]) < abs(steps[7])

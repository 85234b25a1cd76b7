"""Raw counts from exact registers: units, coefficient, multiplier, digits, demand."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from hemsnet.meter.config import MeterConfig
from hemsnet.meter.scaling import JOULES_PER_KWH, MeterScaling


def scaling(**changes: int) -> MeterScaling:
    return MeterScaling(dataclasses.replace(MeterConfig(), **changes))


def test_reference_example() -> None:
    # reference §8.1: raw 123456 at 0.1 kWh x 40 x 1 is 493,824 kWh
    s = scaling(energy_unit=0x01, coefficient=40, multiplier_code=0x00)
    assert s.energy.raw(493_824 * JOULES_PER_KWH) == 123_456
    assert s.energy.raw(493_824 * JOULES_PER_KWH - 1) == 123_455  # rounded down


def test_counters_wrap_at_their_digits() -> None:
    s = scaling(energy_unit=0x00, energy_digits=4)
    assert s.energy.raw(9_999 * JOULES_PER_KWH) == 9_999
    assert s.energy.raw(10_001 * JOULES_PER_KWH) == 1


def test_demand_is_twice_the_half_hour_energy_in_the_demand_unit() -> None:
    s = scaling(energy_unit=0x01, demand_unit=0x00)
    assert s.demand(1_000, 1_150) == 30  # 15 kWh in 30 min: 30 kW
    assert s.demand(1_000, 1_154) == 30  # 30.8 kW rounded down to 1 kW steps
    wrapped = scaling(energy_unit=0x01, demand_unit=0x01, energy_digits=5)
    assert wrapped.demand(99_990, 10) == 40  # across the wrap: 2 kWh -> 4 kW


@given(st.integers(0, 10**7), st.integers(0, 10**6))
def test_demand_never_exceeds_the_energy(start: int, counts: int) -> None:
    s = scaling(energy_unit=0x02, demand_unit=0x01, coefficient=3, multiplier_code=0x01)
    demand = s.demand(start, start + counts)
    twice = 2 * counts * s.energy_kwh
    assert demand * s.demand_kw <= twice < (demand + 1) * s.demand_kw


def test_demand_fits_the_digits() -> None:
    s = scaling(demand_unit=0x01, demand_digits=4)  # up to 999.9 kW
    assert s.demand_fits(900_000)
    assert not s.demand_fits(1_100_000)
    assert not scaling(energy_unit=0x03, energy_digits=3).demand_fits(10_000)  # wraps in 30 min


def test_cumulative_maximum_unit_conversion() -> None:
    s = scaling(demand_unit=0x01, max_demand_unit=0x0A)
    assert s.to_max_demand(12_345) == 123  # 1234.5 kW in 10 kW counts

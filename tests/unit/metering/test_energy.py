"""Energy between cumulative readings: scale, digits and the counter wrap (reference §8.1)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from hemsnet.devices.model import Quantity
from hemsnet.devices.units import Scale
from hemsnet.metering.attributes import (
    AttributeVersion,
    Register,
    RegisterHistory,
    register_epcs,
)
from hemsnet.metering.energy import interval_energy
from hemsnet.metering.series import HALF_HOUR
from tests.unit.store.builders import ARRIVED, ATTRIBUTES, T0, reading

HOUR = timedelta(hours=1)


def _history(*changes: tuple[int, datetime, bytes | None], **base: bytes) -> RegisterHistory:
    """The test meter's attributes (``E5=b"\\x06"`` overrides one) recorded at ARRIVED, then
    ``changes`` as (EPC, valid from, EDT)."""
    edts = {**ATTRIBUTES, **{int(name, 16): edt for name, edt in base.items()}}
    versions = {
        epc: [AttributeVersion(ARRIVED, edts[epc])] for epc in register_epcs(Quantity.ACTIVE_ENERGY)
    }
    for epc, valid_from, edt in changes:
        versions[epc].append(AttributeVersion(valid_from, edt))
    return RegisterHistory(Quantity.ACTIVE_ENERGY, versions)


def test_energy_is_scaled_exactly() -> None:
    register = Register(Scale(0x01, 40, 0x00), 8)  # 0.1 kWh x 40, reference §8.1
    assert register.energy(123456, 123466) == Decimal("40.0")


def test_energy_across_the_counter_wrap() -> None:
    register = Register(Scale(0x02, 3, 0x01), 6)  # wraps at 10**6; 0.01 kWh x 3 x 0.1
    assert register.energy(999_990, 5) == Decimal("0.0450")  # 15 counts
    with pytest.raises(ValueError, match="more than 6 digits"):
        register.energy(999_990, 1_000_000)


def test_the_register_follows_the_attribute_history() -> None:
    history = _history((0xE6, ARRIVED + HOUR, b"\x02"))
    tenth, hundredth = Register(Scale(0x01), 8), Register(Scale(0x02), 8)
    assert history.at(ARRIVED - HOUR) == tenth  # the first version holds from the start
    assert history.at(ARRIVED) == tenth
    assert history.at(ARRIVED + HOUR - timedelta(microseconds=1)) == tenth
    assert history.at(ARRIVED + HOUR) == hundredth


def test_an_absent_or_invalid_attribute_leaves_the_register_unknown() -> None:
    history = _history((0xE5, ARRIVED + HOUR, None), (0xE5, ARRIVED + 2 * HOUR, b"\x09"))
    assert history.at(ARRIVED) is not None
    assert history.at(ARRIVED + HOUR) is None  # absent
    assert history.at(ARRIVED + 2 * HOUR) is None  # 9 digits: not a valid 0xE5
    assert history.missing() == []


def test_missing_lists_the_attributes_never_recorded() -> None:
    versions = {0xE5: [AttributeVersion(ARRIVED, None)], 0xE6: [AttributeVersion(ARRIVED, b"\x01")]}
    history = RegisterHistory(Quantity.ACTIVE_ENERGY, versions)
    assert history.missing() == [0xE5, 0xD3, 0xD4]
    assert history.at(ARRIVED) is None


def test_interval_energy_of_consecutive_readings_across_a_wrap() -> None:
    history = _history(E5=b"\x06")
    previous = reading(1, 999_998, T0)
    current = reading(1, 3, T0 + HALF_HOUR, arrived=HALF_HOUR)
    assert interval_energy(previous, current, history) == Decimal("0.5")  # 5 x 0.1 kWh


def test_interval_energy_is_unknown_without_two_real_readings() -> None:
    history = _history()
    real, void = reading(1, 10, T0), reading(1, None, T0 + HALF_HOUR)
    assert interval_energy(None, real, history) is None
    assert interval_energy(real, None, history) is None
    assert interval_energy(real, void, history) is None
    assert interval_energy(void, real, history) is None


def test_interval_energy_is_unknown_across_a_change_of_register() -> None:
    history = _history((0xD3, ARRIVED + HOUR, b"\x00\x00\x00\x02"))
    before = reading(1, 10, T0)
    after = reading(1, 20, T0 + HALF_HOUR, arrived=HOUR)
    same = reading(1, 20, T0 + HALF_HOUR, arrived=HOUR / 2)
    assert interval_energy(before, after, history) is None
    assert interval_energy(before, same, history) == Decimal("1.0")


def test_interval_energy_is_unknown_for_counts_beyond_the_digits() -> None:
    history = _history(E5=b"\x04")
    assert interval_energy(reading(1, 9_999, T0), reading(1, 10_000, T0), history) is None

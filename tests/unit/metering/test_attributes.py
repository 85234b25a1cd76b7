"""From the meter's attributes to scales and registers: one function for every reader."""

from __future__ import annotations

from decimal import Decimal

from hemsnet.devices.model import Quantity
from hemsnet.devices.units import Scale
from hemsnet.metering.attributes import (
    MeterScales,
    Register,
    attribute_code,
    register_epcs,
    register_of,
    scale_of,
)
from tests.unit.store.builders import ATTRIBUTES


def test_scale_of_each_quantity_uses_its_unit_and_the_shared_coefficient() -> None:
    attributes = {**ATTRIBUTES, 0xD3: (40).to_bytes(4, "big"), 0xD4: b"\x01"}
    assert scale_of(attributes, Quantity.ACTIVE_ENERGY) == Scale(0x01, 40, 0x01)
    assert scale_of(attributes, Quantity.DEMAND) == Scale(0x02, 40, 0x01)
    assert scale_of(attributes, Quantity.REACTIVE_ENERGY) == Scale(0x00, 40, 0x01)


def test_a_missing_or_invalid_attribute_leaves_the_scale_unknown() -> None:
    without_unit = {epc: edt for epc, edt in ATTRIBUTES.items() if epc != 0xE6}
    assert scale_of(without_unit, Quantity.ACTIVE_ENERGY) is None
    assert scale_of({**ATTRIBUTES, 0xD4: b"\x09"}, Quantity.ACTIVE_ENERGY) is None
    assert scale_of({**ATTRIBUTES, 0xE6: None}, Quantity.ACTIVE_ENERGY) is None  # absent
    assert attribute_code(0xE5, b"\x09") is None  # 9 digits: not a valid 0xE5


def test_register_of_adds_the_quantitys_digits() -> None:
    assert register_epcs(Quantity.ACTIVE_ENERGY) == (0xE5, 0xE6, 0xD3, 0xD4)
    assert register_epcs(Quantity.REACTIVE_ENERGY) == (0xCC, 0xCD, 0xD3, 0xD4)
    register = register_of({**ATTRIBUTES, 0xE5: b"\x06"}, Quantity.ACTIVE_ENERGY)
    assert register == Register(Scale(0x01), 6)
    assert register.energy(999_999, 1) == Decimal("0.2")  # across the wrap at 10**6


def test_meter_scales_find_the_scale_of_each_reading_epc() -> None:
    scales = MeterScales(ATTRIBUTES)
    assert scales.scale_for(0xE7) == Scale(0x01)  # kWh: E6
    assert scales.scale_for(0xC6) == Scale(0x02)  # kW: C5
    assert scales.scale_for(0xCE) == Scale(0x00)  # kvarh: CD
    assert scales.scale_for(0xEA) is None  # W: no scale to apply
    assert MeterScales({}).scale_for(0xE7) is None

"""Readings and meters for the store tests, scaled as a meter with E6 = 0.1 kWh would be."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Final

from hemsnet.devices.units import Scale
from hemsnet.metering.series import Series, Source
from hemsnet.store import Store
from hemsnet.store.model import Reading

__all__ = ["ARRIVED", "ATTRIBUTES", "T0", "TENTH", "add_exported_meter", "add_meter", "reading"]

#: Meter time of the first half-hour in the tests.
T0: Final = datetime(2026, 11, 14)
#: The controller's clock when the first readings arrive.
ARRIVED: Final = datetime(2026, 11, 14, 0, 3, 7, 250_000)
TENTH: Final = Scale(unit_code=0x01)

#: E5 8 digits, E6 0.1 kWh, D3 1, D4 x1; C4 8 digits, C5 0.01 kW; CC 8 digits, CD 1 kvarh.
ATTRIBUTES: Final = {
    0xE5: b"\x08",
    0xE6: b"\x01",
    0xD3: b"\x00\x00\x00\x01",
    0xD4: b"\x00",
    0xC4: b"\x08",
    0xC5: b"\x02",
    0xCC: b"\x08",
    0xCD: b"\x00",
}


def add_meter(
    store: Store,
    key: str = "00000001",
    address: str = "fe80::1%veth0",
    attributes: Mapping[int, bytes] = ATTRIBUTES,
) -> int:
    """A meter seen at ``ARRIVED`` with its ``attributes`` recorded then."""
    meter_id = store.meter(key, address, ARRIVED)
    for epc, edt in attributes.items():
        store.record_attribute(meter_id, epc, edt, ARRIVED)
    return meter_id


def reading(
    meter_id: int,
    raw: int | None,
    at: datetime = T0,
    series: Series = Series.ENERGY_NORMAL,
    *,
    source: Source = Source.NOTIFICATION,
    arrived: datetime | timedelta = ARRIVED,
    scale: Scale = TENTH,
) -> Reading:
    """A reading whose value is ``raw`` scaled by ``scale``; ``arrived`` may be an offset
    from :data:`ARRIVED`."""
    if isinstance(arrived, timedelta):
        arrived = ARRIVED + arrived
    return Reading(meter_id, series, at, raw, scale.apply(raw), source, arrived)


def add_exported_meter(store: Store, key: str = "00000001") -> int:
    """Two hours of readings over a counter wrap, for the export tests.

    Energy counts (0.1 kWh, 6 digits) 999 990, 999 998, 5, 12 at 00:00..01:30; no reverse
    measurement (void); demand (0.01 kW) 16, 20, 14 at 00:30..01:30; nothing at 02:00.
    """
    meter_id = add_meter(store, key, attributes={**ATTRIBUTES, 0xE5: b"\x06"})
    half = timedelta(minutes=30)
    energy = [(0, 999_990), (1, 999_998), (2, 5), (3, 12)]
    store.record(
        [reading(meter_id, raw, T0 + half * i, arrived=half * i) for i, raw in energy]
        + [
            reading(meter_id, None, T0 + half * i, Series.ENERGY_REVERSE, arrived=half * i)
            for i, _ in energy
        ]
        + [
            reading(meter_id, raw, T0 + half * i, Series.DEMAND_NORMAL, scale=Scale(0x02))
            for i, raw in [(1, 16), (2, 20), (3, 14)]
        ]
    )
    return meter_id

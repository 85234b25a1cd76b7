"""A real SQLite store filled through the Store API with readings the tests know.

The meter counts active energy in 0.1 kWh with 6 digits (it wraps at 99 999.9 kWh), demand
in 0.1 kW, reactive energy in 0.1 kvarh with 6 digits; coefficient 1, multiplier 1; billing
months start on the 15th.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final

from hemsnet.metering.series import Series, Source
from hemsnet.store.model import Reading
from hemsnet.store.store import Store

KEY: Final = "fe80::1"
ATTRIBUTES_AT: Final = datetime(2026, 1, 1)
#: EPC -> EDT as a meter answers them.
ATTRIBUTES: Final = {
    0x82: bytes.fromhex("00005200"),  # Release R
    0x8A: bytes.fromhex("000077"),  # maker 0x000077
    0x8D: b"HV0000000042",
    0xC0: bytes.fromhex("00000077") + bytes(range(12)),
    0xD3: (1).to_bytes(4, "big"),
    0xD4: b"\x00",  # multiplier 1
    0xE5: b"\x06",  # 6 digits of active energy
    0xE6: b"\x01",  # 0.1 kWh
    0xC4: b"\x06",
    0xC5: b"\x01",  # 0.1 kW
    0xCC: b"\x06",
    0xCD: b"\x01",  # 0.1 kvarh
    0xE0: bytes([15]),  # billing month from the 15th
}
TENTH: Final = Decimal("0.1")


class Stored:
    """A store with one meter and helpers to add readings in its units."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.store = Store.open(path)
        self.meter_id = self.store.meter(KEY, f"{KEY}%veth0", ATTRIBUTES_AT)
        for epc, edt in ATTRIBUTES.items():
            self.store.record_attribute(self.meter_id, epc, edt, ATTRIBUTES_AT)

    def add(
        self,
        series: Series,
        at: datetime,
        raw: int | None,
        *,
        scale: Decimal = TENTH,
        source: Source = Source.POLL,
        arrived: datetime | None = None,
    ) -> None:
        value = None if raw is None else raw * scale
        arrived_at = arrived or at + timedelta(seconds=1)
        reading = Reading(self.meter_id, series, at, raw, value, source, arrived_at)
        self.store.record([reading])

    def close(self) -> None:
        self.store.close()

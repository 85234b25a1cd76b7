"""The meter's identity and the health of its record: link, gaps, missing and recovered
half-hours, faults and request counters (/api/health)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

from hemsnet.controller.config import ControllerConfig
from hemsnet.devices.lv_meter import LV_METER_CLASS
from hemsnet.devices.registry import decode_property
from hemsnet.devices.units import MULTIPLIER_CODES, UNIT_CODES_BIDIR
from hemsnet.errors import InvalidValue
from hemsnet.metering.gaps import GapStatus
from hemsnet.metering.series import HALF_HOUR, Series, Source
from hemsnet.store.model import Meter
from hemsnet.store.store import Store
from hemsnet.web.common import iso
from hemsnet.web.link import link

__all__ = ["health", "identity"]

_RECENT_GAPS: Final = 50


def _decoded(attributes: dict[int, bytes], epc: int, class_id: int) -> Any:
    """The decoded value of ``epc`` of the meter's class [MRA], ``None`` when absent or
    undecodable."""
    edt = attributes.get(epc)
    if edt is None:
        return None
    try:
        return decode_property(class_id, epc, edt).value
    except InvalidValue:  # the store keeps what the meter said, even when it is wrong
        return None


def _unit(code: Any, unit: str) -> str | None:
    factor = UNIT_CODES_BIDIR.get(code) if isinstance(code, int) else None
    return None if factor is None else f"{format(factor, 'f')} {unit}"


def _multiplier(code: Any) -> str | None:
    factor: Decimal | None = MULTIPLIER_CODES.get(code) if isinstance(code, int) else None
    return None if factor is None else format(factor, "f")


def identity(store: Store, meter: Meter) -> dict[str, Any]:
    """IDENTITY: who the meter is and how its counters read, from its stored attributes."""
    attributes = store.attributes(meter.id)

    def value(epc: int) -> Any:
        return _decoded(attributes, epc, meter.class_id)

    maker = value(0x8A)
    route_b = value(0xC0)
    release = value(0x82)
    if meter.class_id == LV_METER_CLASS:  # E1, D3 (1 when absent), D7; no demand [MRA 0x0288]
        coefficient = value(0xD3)
        units = {"energy": _unit(value(0xE1), "kWh"), "demand": None, "reactive": None}
        digits = {"energy": value(0xD7), "demand": None, "reactive": None}
        multiplier, fixed_date = None, None
    else:
        coefficient = value(0xD3)
        units = {
            "energy": _unit(value(0xE6), "kWh"),
            "demand": _unit(value(0xC5), "kW"),
            "reactive": _unit(value(0xCD), "kvarh"),
        }
        digits = {"energy": value(0xE5), "demand": value(0xC4), "reactive": value(0xCC)}
        multiplier, fixed_date = _multiplier(value(0xD4)), value(0xE0)
    return {
        "key": meter.key,
        "class": f"{meter.class_id:04X}",
        "address": meter.address,
        "maker_code": None if maker is None else f"{maker:06X}",
        "production_number": value(0x8D),
        "route_b_id": None if route_b is None else route_b.raw.hex().upper(),
        "release": None if release is None else release.release,
        "coefficient": coefficient,
        "multiplier": multiplier,
        "units": units,
        "digits": digits,
        "fixed_date": fixed_date,
        "absent": [f"0x{epc:02X}" for epc in sorted(store.absent(meter.id))],
    }


def _missing_half_hours(
    store: Store, meter: Meter, today: date, controller: ControllerConfig
) -> int:
    """ENERGY_NORMAL half-hours without a real reading between the first real one (or the
    oldest day the controller backfills) and the latest (docs/dashboard.md D5), at most to the
    end of the meter's today (a reading dated later is a meter clock gone wrong)."""
    first = store.first(meter.id, Series.ENERGY_NORMAL)
    latest = store.latest(meter.id, Series.ENERGY_NORMAL)
    if first is None or latest is None:
        return 0
    oldest = datetime.combine(today - timedelta(days=controller.history_days), time())
    tomorrow = datetime.combine(today + timedelta(days=1), time())
    start = max(first.measured_at, oldest)
    end = tomorrow if latest.measured_at >= tomorrow else latest.measured_at + HALF_HOUR
    return len(store.missing_half_hours(meter.id, Series.ENERGY_NORMAL, start, end))


def health(
    store: Store, meter: Meter, now: datetime, today: date, controller: ControllerConfig
) -> dict[str, Any]:
    """/api/health."""
    gaps = store.gaps(meter.id)
    recent = sorted(gaps, key=lambda g: (g.opened_at, g.id), reverse=True)[:_RECENT_GAPS]
    return {
        "meter": identity(store, meter),
        "link": link(store, meter, now, controller),
        "gaps": {
            **{s.value: sum(1 for g in gaps if g.status is s) for s in GapStatus},
            "recent": [
                {
                    "series": g.series.value,
                    "start": iso(g.start),
                    "end": iso(g.end),
                    "status": g.status.value,
                    "opened_at": iso(g.opened_at),
                    "closed_at": iso(g.closed_at),
                }
                for g in recent
            ],
        },
        "missing_half_hours": _missing_half_hours(store, meter, today, controller),
        "recovered_half_hours": store.count_by_source(meter.id, Series.ENERGY_NORMAL)[
            Source.HISTORY
        ],
        "faults": [
            {"start": iso(f.start), "end": iso(f.end)} for f in reversed(store.faults(meter.id))
        ],
        "requests": asdict(store.stats(meter.id)),
    }

"""From decoded 0x028F values to samples: series, time stamps and scaled values."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from hemsnet.devices import hv_meter_bidir as meter
from hemsnet.devices.values import HalfHourHistory, PhaseCurrents, TimedNormalReverse
from hemsnet.errors import InvalidValue
from hemsnet.metering.attributes import MeterScales
from hemsnet.metering.samples import Sample, samples_of
from hemsnet.metering.series import Series
from tests.unit.store.builders import ATTRIBUTES

SCALES = MeterScales(ATTRIBUTES)  # E6 0.1 kWh, C5 0.01 kW, CD 1 kvarh
READ_AT = datetime(2026, 11, 14, 10, 12, 5, 400_000)


def test_a_fixed_time_pair_fills_the_normal_and_reverse_series() -> None:
    at = datetime(2026, 11, 14, 10, 0)
    edt = meter.FIXED_TIME_ENERGY.encode(TimedNormalReverse(at, 1234, None))
    assert samples_of(0xE3, edt, SCALES, read_at=READ_AT) == [
        Sample(Series.ENERGY_NORMAL, at, 1234, Decimal("123.4")),
        Sample(Series.ENERGY_REVERSE, at, None, None),  # no data stays void, never 0
    ]


def test_a_day_history_stamps_each_slot_from_the_day_asked() -> None:
    edt = meter.DEMAND_HISTORY_NORMAL.encode(HalfHourHistory(1, (5, None, *range(46))))
    found = samples_of(0xC6, edt, SCALES, read_at=READ_AT, day=date(2026, 11, 13))
    assert found[0] == Sample(Series.DEMAND_NORMAL, datetime(2026, 11, 13), 5, Decimal("0.05"))
    assert found[1].raw is None
    assert found[-1].measured_at == datetime(2026, 11, 13, 23, 30)
    with pytest.raises(ValueError, match="needs the day"):
        samples_of(0xC6, edt, SCALES, read_at=READ_AT)


def test_power_and_currents_carry_the_reading_time_to_the_second() -> None:
    stamp = datetime(2026, 11, 14, 10, 12, 5)
    power = meter.INSTANTANEOUS_POWER.encode(2500)
    assert samples_of(0xEA, power, SCALES, read_at=READ_AT) == [
        Sample(Series.POWER, stamp, 2500, Decimal(2500))
    ]
    currents = meter.INSTANTANEOUS_CURRENTS.encode(PhaseCurrents(Decimal("12.5"), None))
    assert samples_of(0xEB, currents, SCALES, read_at=READ_AT) == [
        Sample(Series.CURRENT_R, stamp, 125, Decimal("12.5")),
        Sample(Series.CURRENT_T, stamp, None, None),
    ]


def test_an_unknown_scale_is_a_lookup_error_for_the_caller_to_hold() -> None:
    edt = meter.FIXED_TIME_ENERGY.encode(TimedNormalReverse(datetime(2026, 11, 14, 10, 0), 1, 2))
    with pytest.raises(LookupError):
        samples_of(0xE3, edt, MeterScales({}), read_at=READ_AT)


def test_an_edt_its_row_refuses_is_invalid_and_other_epcs_give_nothing() -> None:
    with pytest.raises(InvalidValue):
        samples_of(0xE3, b"\x07\xe8", SCALES, read_at=READ_AT)
    assert samples_of(0x80, b"\x30", SCALES, read_at=READ_AT) == []

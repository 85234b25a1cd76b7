"""The dashboard's query functions against a real SQLite file filled through the Store API."""

from __future__ import annotations

import io
import math
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from hemsnet.controller.config import ControllerConfig
from hemsnet.metering.series import Series, Source
from hemsnet.store.export import ExportQuantity, build_table, write_csv
from hemsnet.store.model import Meter
from hemsnet.store.store import Store
from hemsnet.web.common import ApiError, meter_today, pick_meter
from hemsnet.web.config import DashboardConfig
from hemsnet.web.demand import demand_day, forecast, month_max
from hemsnet.web.energy import energy_days
from hemsnet.web.health import health, identity
from hemsnet.web.link import link
from hemsnet.web.live import now_reading
from tests.unit.web.stored import KEY, Stored

DAY = date(2026, 11, 20)
T0 = datetime(2026, 11, 20, 10, 0)
HALF = timedelta(minutes=30)


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[Stored]:
    db = Stored(tmp_path / "hemsnet.db")
    yield db
    db.close()


def meter_of(stored: Stored) -> Meter:
    return pick_meter(stored.store, None)


def target(kw: float) -> DashboardConfig:
    return DashboardConfig(target_kw=kw, warning=0.9, alarm=1.0)


# --- forecast -----------------------------------------------------------------------------


def test_forecast_projects_the_energy_so_far_to_the_period(stored: Stored) -> None:
    stored.add(Series.ENERGY_NORMAL, T0, 1000)  # 100.0 kWh at 10:00
    stored.add(Series.MINUTE_ENERGY_NORMAL, T0 + timedelta(minutes=12), 1010)  # +1.0 kWh
    result = forecast(stored.store, meter_of(stored), target(6.0))
    assert result is not None
    assert result["period_start"] == "2026-11-20T10:00:00"
    assert result["period_end"] == "2026-11-20T10:30:00"
    assert result["at"] == "2026-11-20T10:12:00"
    assert result["elapsed_s"] == 720
    assert result["energy_kwh"] == pytest.approx(1.0)
    assert result["forecast_kw"] == pytest.approx(5.0)  # 1 kWh in 12 min: 5 kW on average
    assert result["level"] == "normal"  # 5 < 0.9 * 6
    assert (result["target_kw"], result["warning_kw"], result["alarm_kw"]) == pytest.approx(
        (6.0, 5.4, 6.0)
    )


def test_forecast_follows_live_power_not_the_first_minutes_pace(stored: Stored) -> None:
    # The demo: 402 kW of pace in the first minute, live power back at 225 kW.
    stored.add(Series.MINUTE_ENERGY_NORMAL, T0, 1000)  # x 0.1 kWh
    stored.add(Series.MINUTE_ENERGY_NORMAL, T0 + timedelta(minutes=1), 1067)
    for seconds in range(60, 71, 10):
        stored.add(Series.POWER, T0 + timedelta(seconds=seconds), 225_000, scale=Decimal(1))
    result = forecast(stored.store, meter_of(stored), target(380.0))
    assert result is not None
    assert result["forecast_kw"] == pytest.approx((6.7 * 3600 + 225 * 1740) / 1800, rel=1e-3)
    assert result["low_kw"] < result["forecast_kw"] < result["high_kw"] < 380
    assert result["level"] == "normal"


@pytest.mark.parametrize(
    ("target_kw", "level"),
    # At 5.0 kW the band (+-0.36 kW) leaves it uncertain: an alarm needs 5.0 - 0.09 >= target.
    [(0, "unknown"), (5.5, "warning"), (5.0, "warning"), (4.8, "alarm"), (5.6, "normal")],
)
def test_forecast_levels(stored: Stored, target_kw: float, level: str) -> None:
    stored.add(Series.ENERGY_NORMAL, T0, 1000)
    stored.add(Series.MINUTE_ENERGY_NORMAL, T0 + timedelta(minutes=12), 1010)
    result = forecast(stored.store, meter_of(stored), target(target_kw))
    assert result is not None
    assert result["level"] == level


def test_forecast_prefers_the_minute_reading_at_the_start_and_the_newer_end(
    stored: Stored,
) -> None:
    stored.add(Series.ENERGY_NORMAL, T0, 990)  # stale E3 at :00 (the minute value wins)
    stored.add(Series.MINUTE_ENERGY_NORMAL, T0, 1000)
    stored.add(Series.MINUTE_ENERGY_NORMAL, T0 + timedelta(minutes=6), 1004)
    stored.add(Series.PRESENT_ENERGY_NORMAL, T0 + timedelta(minutes=9), 1006)  # newer: E2
    result = forecast(stored.store, meter_of(stored), target(0))
    assert result is not None
    assert result["at"] == "2026-11-20T10:09:00"
    assert result["energy_kwh"] == pytest.approx(0.6)
    assert result["forecast_kw"] == pytest.approx(4.0)  # 0.6 kWh in 9 min


def test_forecast_across_a_counter_wrap(stored: Stored) -> None:
    stored.add(Series.ENERGY_NORMAL, T0, 999_995)  # 99 999.5 kWh
    stored.add(Series.MINUTE_ENERGY_NORMAL, T0 + timedelta(minutes=6), 5)  # wrapped: +1.0
    result = forecast(stored.store, meter_of(stored), target(0))
    assert result is not None
    assert result["energy_kwh"] == pytest.approx(1.0)
    assert result["forecast_kw"] == pytest.approx(10.0)


def test_no_forecast_without_a_start_or_in_the_first_minute(stored: Stored) -> None:
    meter = meter_of(stored)
    assert forecast(stored.store, meter, target(5)) is None  # nothing at all
    stored.add(Series.MINUTE_ENERGY_NORMAL, T0 + timedelta(minutes=5), 1000)
    assert forecast(stored.store, meter, target(5)) is None  # no reading at 10:00
    stored.add(Series.ENERGY_NORMAL, T0 + HALF, 1002)
    stored.add(Series.PRESENT_ENERGY_NORMAL, T0 + HALF + timedelta(seconds=59), 1003)
    assert forecast(stored.store, meter, target(5)) is None  # 59 s into 10:30
    stored.add(Series.PRESENT_ENERGY_NORMAL, T0 + HALF + timedelta(seconds=60), 1003)
    result = forecast(stored.store, meter, target(5))
    assert result is not None
    assert result["forecast_kw"] == pytest.approx(6.0)  # 0.1 kWh in a minute


# --- demand and the month's maximum -------------------------------------------------------


def test_demand_slots_of_a_day(stored: Stored) -> None:
    stored.add(Series.DEMAND_NORMAL, datetime(2026, 11, 20, 0, 30), 123)
    stored.add(Series.DEMAND_NORMAL, datetime(2026, 11, 21, 0, 0), 45)  # the day's last slot
    stored.add(Series.DEMAND_NORMAL, datetime(2026, 11, 20, 0, 0), 99)  # the day before's
    stored.add(Series.DEMAND_REVERSE, datetime(2026, 11, 20, 0, 30), None)  # void: no reverse
    result = demand_day(stored.store, meter_of(stored), DAY, target(50), DAY)
    slots = result["slots"]
    assert len(slots) == 48
    assert slots[0] == {
        "end": "2026-11-20T00:30:00",
        "normal_kw": 12.3,
        "reverse_kw": None,
        "provisional": False,
    }
    assert slots[-1] == {
        "end": "2026-11-21T00:00:00",
        "normal_kw": 4.5,
        "reverse_kw": None,
        "provisional": False,
    }
    assert all(s["normal_kw"] is None for s in slots[1:-1])
    assert result["has_reverse"] is False
    assert (result["target_kw"], result["warning_kw"], result["alarm_kw"]) == (50, 45, 50)
    assert result["unit"] == "kW"
    assert result["date"] == "2026-11-20"


def test_demand_without_target_has_no_levels(stored: Stored) -> None:
    stored.add(Series.DEMAND_REVERSE, datetime(2026, 11, 20, 0, 30), 7)
    result = demand_day(stored.store, meter_of(stored), DAY, DashboardConfig(), DAY)
    assert (result["target_kw"], result["warning_kw"], result["alarm_kw"]) == (None, None, None)
    assert result["has_reverse"] is True
    assert result["slots"][0]["reverse_kw"] == pytest.approx(0.7)


def test_month_max_and_when_it_was_reached(stored: Stored) -> None:
    # 00:00 on the 15th closes the old billing month (hemsnet.meter.billing), so it is not it.
    stored.add(Series.DEMAND_NORMAL, datetime(2026, 11, 15, 0, 0), 123)
    stored.add(Series.DEMAND_NORMAL, datetime(2026, 11, 16, 10, 30), 123)
    stored.add(Series.DEMAND_NORMAL, datetime(2026, 11, 17, 11, 0), 123)
    stored.add(Series.DEMAND_NORMAL, datetime(2026, 11, 18, 9, 0), 110)
    stored.add(Series.MAX_DEMAND_NORMAL, datetime(2026, 11, 20, 10, 5, 7), 123)
    stored.add(Series.MAX_DEMAND_REVERSE, datetime(2026, 11, 20, 10, 5, 7), 0)
    result = month_max(stored.store, meter_of(stored), DAY)
    assert result == {
        "normal_kw": pytest.approx(12.3),
        "reverse_kw": 0.0,
        "read_at": "2026-11-20T10:05:07",
        "at": "2026-11-16T10:30:00",
        "month_start": "2026-11-15",
    }


def test_month_max_before_the_fixed_date_and_without_c1(stored: Stored) -> None:
    result = month_max(stored.store, meter_of(stored), date(2026, 3, 2))
    assert result == {
        "normal_kw": None,
        "reverse_kw": None,
        "read_at": None,
        "at": None,
        "month_start": "2026-02-15",
    }


# --- energy and power factor --------------------------------------------------------------


def fill_day(stored: Stored, day: date, start_raw: int, step: int, reactive_step: int) -> None:
    """49 cumulative readings 00:00 .. next 00:00 of the active and reactive counters."""
    midnight = datetime.combine(day, datetime.min.time())
    for i in range(49):
        at = midnight + i * HALF
        stored.add(Series.ENERGY_NORMAL, at, (start_raw + i * step) % 1_000_000)
        stored.add(Series.ENERGY_REVERSE, at, None)
        stored.add(Series.REACTIVE_NORMAL, at, i * reactive_step)


def test_daily_energy_across_a_wrap_equals_the_export(stored: Stored) -> None:
    fill_day(stored, DAY, 999_000, 40, 30)  # wraps at 999 999 -> 0 in the afternoon
    meter = meter_of(stored)
    result = energy_days(stored.store, meter, DAY, DAY + timedelta(days=1))
    (day,) = result["days"]
    assert day["date"] == "2026-11-20"
    assert day["imported_kwh"] == pytest.approx(48 * 4.0)
    assert day["exported_kwh"] is None  # the meter measures no reverse energy
    assert day["reactive_kvarh"] == pytest.approx(48 * 3.0)
    assert day["power_factor"] == pytest.approx(0.8)  # 4 / sqrt(4² + 3²)
    assert day["complete"] is True
    table = build_table(
        stored.store,
        meter.id,
        [ExportQuantity.ENERGY],
        datetime(2026, 11, 20),  # one day, one rule: the same bounds as the dashboard's day
        datetime(2026, 11, 21),
    )
    exported = sum((values[0] for _, values in table.rows if values[0] is not None), Decimal(0))
    assert day["imported_kwh"] == float(exported)
    assert result["months"] == [
        {
            "month": "2026-11",
            "imported_kwh": pytest.approx(192.0),
            "exported_kwh": None,
            "days": 1,
            "days_in_month": 30,
            "complete": False,
        }
    ]
    assert result["units"] == {"energy": "kWh", "reactive": "kvarh"}


def test_a_day_with_a_missing_reading_is_incomplete(stored: Stored) -> None:
    fill_day(stored, DAY, 1000, 10, 0)
    stored.store.close()
    with sqlite3.connect(stored.path) as db:  # a hole the Store API cannot make
        db.execute(
            "DELETE FROM reading WHERE series = 'energy_normal' AND measured_at LIKE '%T12:00:00'"
        )
    stored.store = Store.open(stored.path)
    (day,) = energy_days(stored.store, meter_of(stored), DAY, DAY + timedelta(days=1))["days"]
    assert day["complete"] is False
    assert day["imported_kwh"] == pytest.approx(46 * 1.0)  # two half-hours need 12:00
    assert day["power_factor"] == 1.0  # no reactive energy at all


def test_months_split_the_range(stored: Stored) -> None:
    fill_day(stored, date(2026, 10, 31), 0, 10, 10)
    fill_day(stored, date(2026, 11, 1), 480, 20, 10)
    result = energy_days(stored.store, meter_of(stored), date(2026, 10, 31), date(2026, 11, 3))
    assert [d["imported_kwh"] for d in result["days"]] == pytest.approx([48.0, 96.0, None])
    assert result["days"][1]["power_factor"] == pytest.approx(2 / math.hypot(2, 1))
    assert result["months"] == [
        {
            "month": "2026-10",
            "imported_kwh": pytest.approx(48.0),
            "exported_kwh": None,
            "days": 1,
            "days_in_month": 31,
            "complete": False,  # one day of 31: no monthly total
        },
        {
            "month": "2026-11",
            "imported_kwh": pytest.approx(96.0),
            "exported_kwh": None,
            "days": 1,
            "days_in_month": 30,
            "complete": False,
        },
    ]


def test_a_whole_month_is_complete(stored: Stored) -> None:
    first = date(2026, 2, 1)
    for n in range(28):
        fill_day(stored, first + timedelta(days=n), n * 480, 10, 0)
    result = energy_days(stored.store, meter_of(stored), first, date(2026, 3, 1))
    (month,) = result["months"]
    assert (month["days"], month["days_in_month"], month["complete"]) == (28, 28, True)


def test_a_closed_half_hour_without_its_demand_is_provisional_from_the_energy(
    stored: Stored,
) -> None:
    """Until C3 arrives (notified 1 to 299 s after, or fetched at :05/:35), the bar comes from
    the one-minute readings at both ends, else the 30-minute ones: energy / 0.5 h."""
    stored.add(Series.MINUTE_ENERGY_NORMAL, datetime(2026, 11, 20, 10, 0), 1000)
    stored.add(Series.MINUTE_ENERGY_NORMAL, datetime(2026, 11, 20, 10, 30), 1025)  # 2.5 kWh
    stored.add(Series.ENERGY_NORMAL, datetime(2026, 11, 20, 9, 30), 990)
    stored.add(Series.ENERGY_NORMAL, datetime(2026, 11, 20, 10, 0), 1000)  # 1.0 kWh
    stored.add(Series.DEMAND_NORMAL, datetime(2026, 11, 20, 9, 30), 11)
    slots = {
        s["end"]: s
        for s in demand_day(stored.store, meter_of(stored), DAY, target(50), DAY)["slots"]
    }
    assert slots["2026-11-20T10:30:00"]["normal_kw"] == pytest.approx(5.0)
    assert slots["2026-11-20T10:30:00"]["provisional"] is True
    assert slots["2026-11-20T10:00:00"]["normal_kw"] == pytest.approx(2.0)  # from E3
    assert slots["2026-11-20T10:00:00"]["provisional"] is True
    assert slots["2026-11-20T09:30:00"] | {} == {
        "end": "2026-11-20T09:30:00",
        "normal_kw": pytest.approx(1.1),
        "reverse_kw": None,
        "provisional": False,  # the meter's own C3: confirmed
    }
    assert slots["2026-11-20T11:00:00"]["normal_kw"] is None  # not closed yet
    assert slots["2026-11-20T11:00:00"]["provisional"] is False


# --- link, health, identity ---------------------------------------------------------------

NOW = datetime(2026, 11, 20, 12, 0)


@pytest.mark.parametrize(
    ("age", "instant", "state"),
    [
        (timedelta(seconds=90), 10.0, "up"),  # 3 x 10 s < the 90 s floor
        (timedelta(seconds=91), 10.0, "stale"),
        (timedelta(seconds=150), 60.0, "up"),  # 3 x 60 s = 180 s
        (timedelta(seconds=181), 60.0, "stale"),
        (timedelta(minutes=15), 10.0, "stale"),
        (timedelta(minutes=15, seconds=1), 10.0, "down"),
    ],
)
def test_link_state_at_each_threshold(
    stored: Stored, age: timedelta, instant: float, state: str
) -> None:
    stored.add(Series.POWER, NOW - age, 1234, scale=Decimal(1), arrived=NOW - age)
    result = link(stored.store, meter_of(stored), NOW, ControllerConfig(instant_interval=instant))
    assert result["state"] == state
    assert result["last_answer_at"] == (NOW - age).isoformat()
    assert result["since"] == (None if state == "up" else (NOW - age).isoformat())
    assert result["in_fault"] is False


def test_link_down_without_any_reading_and_fault_while_one_is_open(stored: Stored) -> None:
    meter = meter_of(stored)
    assert link(stored.store, meter, NOW, ControllerConfig())["state"] == "down"
    stored.add(Series.POWER, NOW, 1, scale=Decimal(1), arrived=NOW)
    stored.add(
        Series.ENERGY_NORMAL, T0, 1, source=Source.NOTIFICATION, arrived=T0 + timedelta(seconds=3)
    )
    stored.add(Series.ENERGY_NORMAL, T0 + HALF, 2, arrived=T0 + HALF + timedelta(minutes=5))
    stored.store.fault_started(meter.id, NOW - timedelta(minutes=3))
    result = link(stored.store, meter, NOW, ControllerConfig())
    assert result == {
        "state": "fault",
        "last_answer_at": NOW.isoformat(),
        "last_notification_at": "2026-11-20T10:00:03",  # the 10:30 E3 came by a poll
        "in_fault": True,
        "since": (NOW - timedelta(minutes=3)).isoformat(),
    }
    stored.add(
        Series.DEMAND_NORMAL,
        T0 + HALF,
        1,
        source=Source.NOTIFICATION,
        arrived=T0 + HALF + timedelta(seconds=2),
    )
    stored.store.fault_ended(meter.id, NOW)
    result = link(stored.store, meter, NOW, ControllerConfig())
    assert result["state"] == "up"
    assert result["last_notification_at"] == "2026-11-20T10:30:02"


def test_now_reading(stored: Stored) -> None:
    stored.add(Series.POWER, NOW, 123_456, scale=Decimal(1), arrived=NOW)
    stored.add(Series.CURRENT_R, NOW, 123)
    result = now_reading(stored.store, meter_of(stored), NOW, ControllerConfig())
    assert result["meter"] == KEY
    assert result["at"] == NOW.isoformat()
    assert result["power_w"] == 123_456
    assert result["current_r_a"] == pytest.approx(12.3)
    assert result["current_t_a"] is None
    assert result["link"]["state"] == "up"


def test_identity_is_decoded_from_the_attributes(stored: Stored) -> None:
    meter = meter_of(stored)
    stored.store.mark_absent(meter.id, 0xC2, NOW)
    stored.store.mark_absent(meter.id, 0xCD, NOW)
    assert identity(stored.store, meter) == {
        "key": KEY,
        "class": "028F",
        "address": f"{KEY}%veth0",
        "maker_code": "000077",
        "production_number": "HV0000000042",
        "route_b_id": "00000077000102030405060708090A0B",
        "release": "R",
        "coefficient": 1,
        "multiplier": "1",
        "units": {"energy": "0.1 kWh", "demand": "0.1 kW", "reactive": None},
        "digits": {"energy": 6, "demand": 6, "reactive": 6},
        "fixed_date": 15,
        "absent": ["0xC2", "0xCD"],
    }


def test_health_counts_missing_and_recovered_half_hours_gaps_and_faults(stored: Stored) -> None:
    meter = meter_of(stored)
    stored.add(Series.ENERGY_NORMAL, T0 - 4 * HALF, None, source=Source.HISTORY)  # before: void
    for i in (0, 1, 4, 5):  # 11:00 and 11:30 missing
        source = Source.HISTORY if i < 2 else Source.NOTIFICATION
        stored.add(Series.ENERGY_NORMAL, T0 + i * HALF, 100 + i, source=source)
    gap = stored.store.open_gap(meter.id, Series.ENERGY_NORMAL, T0 + 2 * HALF, T0 + 4 * HALF, NOW)
    stored.store.open_gap(meter.id, Series.DEMAND_NORMAL, T0, T0 + HALF, NOW - HALF)
    stored.store.mark_unrecoverable(gap.id, NOW + timedelta(minutes=1))
    stored.store.fault_started(meter.id, NOW - 2 * HALF)
    stored.store.fault_ended(meter.id, NOW - HALF)
    stored.store.fault_started(meter.id, NOW)
    stored.store.count(meter.id, sent=5, answered=3, timed_out=2)
    result = health(stored.store, meter, NOW, DAY, ControllerConfig())
    assert result["missing_half_hours"] == 2
    assert result["recovered_half_hours"] == 2
    assert result["gaps"]["open"] == 1
    assert result["gaps"]["unrecoverable"] == 1
    assert result["gaps"]["filled"] == 0
    assert [g["series"] for g in result["gaps"]["recent"]] == ["energy_normal", "demand_normal"]
    assert result["gaps"]["recent"][0] == {
        "series": "energy_normal",
        "start": "2026-11-20T11:00:00",
        "end": "2026-11-20T12:00:00",
        "status": "unrecoverable",
        "opened_at": "2026-11-20T12:00:00",
        "closed_at": "2026-11-20T12:01:00",
    }
    assert result["faults"] == [
        {"start": "2026-11-20T12:00:00", "end": None},
        {"start": "2026-11-20T11:00:00", "end": "2026-11-20T11:30:00"},
    ]
    assert result["requests"] == {
        "sent": 5,
        "answered": 3,
        "refused": 0,
        "timed_out": 2,
        "late_discarded": 0,
        "foreign_dropped": 0,
        "malformed": 0,
        "unsolicited": 0,
        "rejected": 0,
        "disputed": 0,
    }
    assert result["link"]["state"] == "fault"
    assert result["meter"]["key"] == KEY


def test_missing_half_hours_stop_at_the_backfill_window(stored: Stored) -> None:
    stored.add(Series.ENERGY_NORMAL, datetime(2026, 11, 1, 0, 0), 1)
    stored.add(Series.ENERGY_NORMAL, T0, 2)
    meter = meter_of(stored)
    window = ControllerConfig(history_days=1)  # from 2026-11-19 00:00
    assert health(stored.store, meter, NOW, DAY, window)["missing_half_hours"] == 48 + 20
    everything = health(stored.store, meter, NOW, DAY, ControllerConfig())
    assert everything["missing_half_hours"] == 19 * 48 + 20 - 1


def test_the_meter_and_its_today(stored: Stored) -> None:
    meter = meter_of(stored)
    assert meter_today(stored.store, meter.id, NOW) == NOW.date()
    stored.add(Series.ENERGY_NORMAL, datetime(2026, 11, 21, 0, 0), 1)
    assert meter_today(stored.store, meter.id, NOW) == date(2026, 11, 21)
    with pytest.raises(ApiError, match="no meter 'x'") as caught:
        pick_meter(stored.store, "x")
    assert caught.value.status == 404
    stored.store.meter("later", "fe80::2", datetime(2026, 11, 22))
    assert pick_meter(stored.store, None).key == "later"  # the most recently seen
    assert pick_meter(stored.store, KEY).key == KEY


def test_a_store_without_meter_is_waiting(tmp_path: Path) -> None:
    with Store.open(tmp_path / "empty.db") as store, pytest.raises(ApiError) as caught:
        pick_meter(store, None)
    assert caught.value.status == 404
    assert caught.value.body == {"error": "no meter stored yet", "waiting": True}


def test_csv_of_the_export_builder(stored: Stored) -> None:
    """The export route's builder writes what hemsnet export writes (shared code)."""
    fill_day(stored, DAY, 0, 10, 0)
    table = build_table(
        stored.store, meter_of(stored).id, [ExportQuantity.ENERGY], T0, T0 + HALF * 2
    )
    out = io.StringIO()
    write_csv(table, out)
    assert out.getvalue() == (
        "time,energy_normal_kwh,energy_reverse_kwh\n"
        "2026-11-20T10:30:00,1.0,\n"
        "2026-11-20T11:00:00,1.0,\n"
    )

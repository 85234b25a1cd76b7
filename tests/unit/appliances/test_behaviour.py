"""Appliance behaviour over simulated hours: energy adds up, limits hold, the sun sets."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hemsnet.appliances.aircon import AirConditioner
from hemsnet.appliances.base import Appliance
from hemsnet.appliances.battery import CHARGE_W, RATED_WH, Battery
from hemsnet.appliances.ev import CAPACITY_WH, ElectricVehicle
from hemsnet.appliances.solar import Solar
from hemsnet.appliances.water_heater import TANK_L, WaterHeater
from hemsnet.devices.air_conditioner import AirconMode
from hemsnet.devices.ev_charger import EvMode, VehicleConnection
from hemsnet.devices.storage_battery import BatteryMode
from hemsnet.devices.water_heater import HeatingSetting

START = datetime(2026, 7, 15, 12, 0)  # a Wednesday


def _run(appliance: Appliance, hours: float, every: timedelta = timedelta(minutes=7)) -> None:
    end = appliance.now + timedelta(hours=hours)
    while appliance.now < end:
        appliance.advance(min(end, appliance.now + every))


def test_battery_state_of_charge_integrates_power_and_clamps_at_full() -> None:
    battery = Battery(START)
    battery.accept(0xDA, BatteryMode.CHARGING)
    before = battery.stored_wh
    _run(battery, 1)
    assert battery.stored_wh - before == pytest.approx(CHARGE_W * 1.0)
    assert float(battery.charged.kwh()) == CHARGE_W / 1000
    _run(battery, 10)
    assert battery.stored_wh == RATED_WH and battery.percent() == 100
    assert battery.power() == 0
    assert battery.working_status() is BatteryMode.STANDBY
    assert battery.charged.wh == pytest.approx(RATED_WH - before)  # nothing beyond full


def test_battery_discharges_to_empty_and_stops() -> None:
    battery = Battery(START, seed=3)
    battery.accept(0xDA, BatteryMode.DISCHARGING)
    stored = battery.stored_wh
    _run(battery, 12)
    assert battery.stored_wh == 0 and battery.power() == 0
    assert round(battery.discharged.wh) == round(stored)


def test_battery_auto_charges_at_night_and_discharges_in_the_evening() -> None:
    battery = Battery(START)
    battery.stored_wh = RATED_WH / 2
    _run(battery, 6)  # to 18:00
    assert battery.power() < 0
    battery.stored_wh = RATED_WH / 2
    _run(battery, 8)  # to 02:00
    assert battery.power() > 0


def test_advancing_in_one_jump_or_in_small_steps_gives_the_same_energy() -> None:
    one, many = Battery(START), Battery(START)
    one.accept(0xDA, BatteryMode.CHARGING)
    many.accept(0xDA, BatteryMode.CHARGING)
    one.advance(START + timedelta(hours=3))
    _run(many, 3, every=timedelta(seconds=13))
    assert abs(one.stored_wh - many.stored_wh) < 1e-6


def test_pv_is_zero_at_night_and_positive_at_noon_and_counts_its_energy() -> None:
    pv = Solar(datetime(2026, 5, 3, 0, 0), seed=1)
    _run(pv, 2)
    assert pv.power() == 0
    assert pv.generated.wh == 0
    noon = []
    for day in range(10):
        pv.advance(datetime(2026, 5, 4 + day, 12, 0))
        noon.append(pv.power())
    assert all(watts > 0 for watts in noon)
    assert max(noon) > 2000  # a clear May day on a 4.5 kW roof
    assert len(set(noon)) > 1  # the weather changes from day to day
    assert 5 < float(pv.generated.kwh()) / 10.5 < 30  # kWh per day


# Pinned from the PV model as the meter computes it (a LoadModel with pv_kw = 4.5, noise 0):
# morning, clear and cloudy noons, afternoon, winter and night, on four seeds.
PV_TIMES = (
    datetime(2026, 5, 3, 6, 30), datetime(2026, 5, 3, 12, 0), datetime(2026, 6, 18, 10, 5),
    datetime(2026, 6, 18, 15, 45), datetime(2026, 8, 10, 12, 30, 40), datetime(2026, 12, 21, 9, 0),
    datetime(2026, 12, 21, 12, 0), datetime(2026, 12, 21, 22, 0),
)  # fmt: skip


@pytest.mark.parametrize(
    ("seed", "watts"),
    [
        (0, (791, 906, 810, 428, 1406, 1763, 672, 0)),
        (1, (197, 3624, 609, 253, 734, 1638, 2498, 0)),
        (7, (446, 906, 3241, 428, 739, 532, 806, 0)),
        (2**40, (717, 3287, 3147, 1663, 892, 1614, 2461, 0)),
    ],
)
def test_pv_power_is_the_meters_pv_model_for_its_rating(seed: int, watts: tuple[int, ...]) -> None:
    assert tuple(Solar(at, seed).power() for at in PV_TIMES) == watts


def test_ev_charges_only_while_plugged_in() -> None:
    ev = ElectricVehicle(datetime(2026, 7, 15, 3, 0))
    assert ev.connection() is VehicleConnection.CHARGEABLE_DISCHARGEABLE
    _run(ev, 6)  # 09:00 on a Wednesday: the car is out
    assert ev.connection() is VehicleConnection.NOT_CONNECTED
    assert ev.power() == 0
    away = ev.stored_wh
    _run(ev, 12)  # 21:00: back, with a trip's energy used
    assert ev.connected
    assert ev.power() > 0 or ev.stored_wh == CAPACITY_WH
    ev.accept(0xDA, EvMode.DISCHARGE)
    assert ev.power() < 0
    assert ev.charged.wh > 0 and away > 0


def test_aircon_cools_the_room_towards_the_set_temperature() -> None:
    aircon = AirConditioner(datetime(2026, 8, 10, 10, 0))
    aircon.switch(False)
    _run(aircon, 4)  # the room warms up towards the outdoor air
    warm = aircon.room
    aircon.switch(True)
    aircon.accept(0xB0, AirconMode.COOLING)
    aircon.accept(0xB3, 24)
    first = aircon.power()
    _run(aircon, 3)
    assert aircon.room < warm
    assert abs(aircon.room - 24) < 1.5
    settled = aircon.power()
    assert settled < first  # less work once the gap closes
    aircon.accept(0xB3, 18)
    assert aircon.power() > settled  # a bigger gap, more power


def test_water_heater_heats_at_night_and_supplies_in_the_evening() -> None:
    heater = WaterHeater(datetime(2026, 1, 20, 22, 0))
    heater.hot_l = 100
    heater.accept(0xC0, 0x42)  # no daytime reheating
    _run(heater, 2)  # 00:00
    assert heater.heating and heater.power() == 1200
    _run(heater, 7)  # 07:00
    assert heater.hot_l > 300
    _run(heater, 12.5)  # 19:30: bath time
    assert heater.draw_rate() > 0
    assert not heater.heating
    heater.accept(0xB0, HeatingSetting.MANUAL_NO_HEATING)
    _run(heater, 6)  # 01:30, night: but heating is off by setting
    assert not heater.heating and heater.hot_l < TANK_L

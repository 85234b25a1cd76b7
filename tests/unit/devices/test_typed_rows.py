"""The named rows keep their value type from class table to caller.

The first tests are for ``mypy --strict`` as much as for pytest (``make typecheck`` checks
``src`` only; run ``mypy --strict tests/unit/devices/test_typed_rows.py``): ``assert_type``
fails the type check if a row's ``decode`` stops returning its value type, and the
``type: ignore`` on a wrong ``encode`` becomes an unused ignore, an error under ``--strict``,
if ``encode`` stops refusing other types. At run time the other tests check that every named
row is the very object in its class table and that it decodes to the type it is annotated with.
"""

from __future__ import annotations

import typing
from datetime import datetime
from decimal import Decimal
from types import ModuleType, UnionType
from typing import Any, assert_type

import pytest

from hemsnet.devices import (
    ev_charger,
    hv_meter,
    hv_meter_bidir,
    lv_meter,
    solar,
    storage_battery,
    superclass,
)
from hemsnet.devices.codecs.primitives import Enumerated, OrNone, UInt
from hemsnet.devices.codecs.readings import Currents, DayHistory, Segments, TimedPair
from hemsnet.devices.hv_meter_bidir import (
    ENERGY_HISTORY_2,
    ENERGY_HISTORY_NORMAL,
    FAULT_STATUS,
    FIXED_TIME_ENERGY,
    HISTORY_DAY,
    HISTORY_DAY_2,
    HV_METER_BIDIR,
    INSTANTANEOUS_CURRENTS,
    INSTANTANEOUS_POWER,
    STANDARD_VERSION,
)
from hemsnet.devices.model import ClassDef, PropertyDef, Quantity
from hemsnet.devices.values import (
    FaultStatus,
    HalfHourHistory,
    HistorySelector,
    NormalReverse,
    OperationStatus,
    PhaseCurrents,
    SegmentHistory,
    StandardVersion,
    TimedNormalReverse,
    TimedReading,
)
from hemsnet.errors import InvalidValue
from tests.unit.devices.test_tables import DT7, sample_edts

AT = datetime(2024, 11, 21, 10, 30)


def test_codecs_decode_to_their_value_types() -> None:
    assert assert_type(UInt(1).decode(b"\x07"), int) == 7
    assert assert_type(OrNone(UInt(1), (b"\xff",)).decode(b"\xff"), int | None) is None
    status = Enumerated(OperationStatus).decode(b"\x31")
    assert assert_type(status, OperationStatus) is OperationStatus.OFF
    timed = TimedPair(Quantity.ACTIVE_ENERGY).decode(DT7 + bytes(8))
    assert assert_type(timed, TimedNormalReverse) == TimedNormalReverse(AT, 0, 0)
    day = DayHistory(Quantity.ACTIVE_ENERGY).decode(bytes(194))
    assert assert_type(day, HalfHourHistory) == HalfHourHistory(0, (0,) * 48)
    segments = Segments(Quantity.ACTIVE_ENERGY).decode(DT7[:6] + b"\x01" + bytes(8))
    assert assert_type(segments, SegmentHistory) == SegmentHistory(AT, (NormalReverse(0, 0),))
    currents = Currents(2).decode(bytes(4))
    assert assert_type(currents, PhaseCurrents) == PhaseCurrents(Decimal(0), Decimal(0))


def test_meter_rows_decode_to_their_value_types() -> None:
    energy = TimedNormalReverse(AT, 1234567, None)
    decoded_energy = FIXED_TIME_ENERGY.decode(FIXED_TIME_ENERGY.encode(energy))
    assert assert_type(decoded_energy, TimedNormalReverse) == energy
    history = HalfHourHistory(1, (None,) * 48)
    decoded_history = ENERGY_HISTORY_NORMAL.decode(ENERGY_HISTORY_NORMAL.encode(history))
    assert assert_type(decoded_history, HalfHourHistory) == history
    minutes = SegmentHistory(AT, (NormalReverse(1, 2),))
    decoded_minutes = ENERGY_HISTORY_2.decode(ENERGY_HISTORY_2.encode(minutes))
    assert assert_type(decoded_minutes, SegmentHistory) == minutes
    currents = PhaseCurrents(Decimal("12.3"), None)
    decoded_currents = INSTANTANEOUS_CURRENTS.decode(INSTANTANEOUS_CURRENTS.encode(currents))
    assert assert_type(decoded_currents, PhaseCurrents) == currents
    assert assert_type(INSTANTANEOUS_POWER.decode(b"\x7f\xff\xff\xfe"), int | None) is None
    assert assert_type(HISTORY_DAY.validate_set(b"\x03"), int | None) == 3
    selector = HISTORY_DAY_2.validate_set(HISTORY_DAY_2.encode(HistorySelector(AT, 10)))
    assert assert_type(selector, HistorySelector) == HistorySelector(AT, 10)
    fixed_time = lv_meter.FIXED_TIME_ENERGY_NORMAL.decode(DT7 + bytes(4))
    assert assert_type(fixed_time, TimedReading) == TimedReading(AT, 0)


def test_super_class_rows_keep_their_types_through_a_class_s_rules() -> None:
    status = superclass.OPERATION_STATUS.decode(b"\x30")
    assert assert_type(status, OperationStatus) is OperationStatus.ON
    assert assert_type(FAULT_STATUS.decode(b"\x42"), FaultStatus) is FaultStatus.NO_FAULT
    version = STANDARD_VERSION.decode(b"\x00\x00R\x00")
    assert assert_type(version, StandardVersion) == StandardVersion("R")
    watts = storage_battery.CHARGING_DISCHARGING_POWER.decode(b"\xff\xff\xff\x9c")
    assert assert_type(watts, int) == -100
    assert assert_type(ev_charger.CHARGING_DISCHARGING_POWER.decode(bytes(4)), int) == 0
    assert assert_type(solar.GENERATED_POWER.decode(b"\x01\x00"), int) == 256
    assert assert_type(superclass.INSTANTANEOUS_POWER.decode(b"\x00\x64"), int) == 100


def test_a_lookup_by_epc_cannot_know_the_type() -> None:
    assert_type(HV_METER_BIDIR[0xE3], PropertyDef[Any])


def test_a_row_refuses_another_type_statically_and_at_run_time() -> None:
    with pytest.raises(InvalidValue):
        FIXED_TIME_ENERGY.encode(HalfHourHistory(0, (None,) * 48))  # type: ignore[arg-type]


# --- every named row -----------------------------------------------------------------------

#: Each class table module and its table; the super class rows are named in ``superclass``.
TABLES: dict[ModuleType, ClassDef] = {
    superclass: superclass.SUPER_CLASS,
    hv_meter_bidir: hv_meter_bidir.HV_METER_BIDIR,
    hv_meter: hv_meter.HV_METER,
    lv_meter: lv_meter.LV_METER,
    solar: solar.SOLAR,
    storage_battery: storage_battery.STORAGE_BATTERY,
    ev_charger: ev_charger.EV_CHARGER,
}
#: The tables whose every row is named.
FULLY_NAMED = (superclass, hv_meter_bidir, hv_meter, lv_meter)


def _named_rows(module: ModuleType) -> dict[str, PropertyDef[Any]]:
    return {
        name: getattr(module, name)
        for name in module.__all__
        if isinstance(getattr(module, name), PropertyDef)
    }


def _value_type(module: ModuleType, name: str) -> Any:
    """The ``T`` of ``name: Final[PropertyDef[T]]``; an inherited row (``Final`` alone) has the
    type of the super class row it inherits."""
    # typing.get_type_hints refuses a module holding a bare Final (3.11), so each annotation is
    # evaluated as it would: in the module's namespace.
    annotation = eval(module.__annotations__[name], vars(module))
    if annotation is typing.Final:
        return _value_type(superclass, name)
    (row_type,) = typing.get_args(annotation)  # Final[PropertyDef[T]]
    (value_type,) = typing.get_args(row_type)
    return value_type


def _is_instance(value: object, value_type: Any) -> bool:
    if isinstance(value_type, UnionType):
        return any(_is_instance(value, member) for member in typing.get_args(value_type))
    if value_type is None or value_type is type(None):
        return value is None
    return isinstance(value, typing.get_origin(value_type) or value_type)


NAMED = [(module, name) for module in TABLES for name in _named_rows(module)]


@pytest.mark.parametrize(
    ("module", "name"), NAMED, ids=[f"{m.__name__.split('.')[-1]}.{n}" for m, n in NAMED]
)
def test_a_named_row_is_its_table_s_row_and_decodes_to_its_annotated_type(
    module: ModuleType, name: str
) -> None:
    prop = getattr(module, name)
    assert TABLES[module][prop.epc] is prop
    value_type = _value_type(module, name)
    for edt in sample_edts(prop.codec):
        value = prop.decode(edt)
        assert _is_instance(value, value_type), (edt.hex(), value, value_type)


@pytest.mark.parametrize("module", FULLY_NAMED, ids=lambda m: m.__name__)
def test_every_row_of_the_meter_and_super_class_tables_is_named(module: ModuleType) -> None:
    named = {prop.epc: prop for prop in _named_rows(module).values()}
    own = set(TABLES[module].properties)
    if module is not superclass:  # super class rows a class does not restate stay unnamed
        own -= {p.epc for p in superclass.SUPER_CLASS_ROWS if TABLES[module][p.epc] is p}
    assert set(named) == own
    assert all(TABLES[module][epc] is prop for epc, prop in named.items())

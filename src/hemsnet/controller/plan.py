"""What the controller asks a meter of each class for: the plan its procedures follow.

The sequences are those of AIF chapter 3 for every class; the EPCs differ. The bidirectional
high-voltage meter (0x028F) is the AIF's [AIF 2.3, 3]; the low-voltage meter (0x0288) of a home
has the same sequences over its own EPCs [MRA 0x0288, reference §9.2]: 0xE5 selects the day of
its 30-minute histories 0xE2/0xE4, 0xEF the minute of its one-minute history 0xEE, its fixed-time
energies 0xEA/0xEB are notified every half-hour, 0xE7/0xE8 are its power and currents, and it
scales by 0xE1, 0xD3 and 0xD7 (C38).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from hemsnet.devices import hv_meter_bidir, lv_meter
from hemsnet.devices.hv_meter_bidir import HV_METER_BIDIR, HV_METER_BIDIR_CLASS
from hemsnet.devices.lv_meter import LV_METER, LV_METER_CLASS
from hemsnet.devices.model import ClassDef, PropertyDef
from hemsnet.devices.values import HalfHourHistory, HistorySelector, SegmentHistory
from hemsnet.echonet.eoj import Eoj
from hemsnet.metering.samples import HISTORY_ROWS, LV_HISTORY_ROWS
from hemsnet.metering.series import Series

__all__ = ["HV_PLAN", "LV_PLAN", "PLANS", "SEARCHED", "MeterPlan", "plan_of"]


@dataclass(frozen=True, slots=True)
class MeterPlan:
    """The EPCs of one meter class for each sequence of AIF chapter 3."""

    class_id: int
    table: ClassDef
    attributes: tuple[int, ...]  # [AIF 3.1.4(1)] or the class's like
    optional_attributes: frozenset[int]
    scheduled: Mapping[int, Series]  # notified at :00/:30 [AIF 3.2.1], and the series filled
    instant: tuple[int, ...]  # power and currents
    minute: tuple[int, ...]  # the latest minute's energies [AIF 3.3.4]
    present: tuple[int, ...]  # the energies now [AIF 3.3.2]
    day_selector: PropertyDef[int | None]  # [AIF 3.3.3]
    day_histories: Mapping[int, tuple[PropertyDef[HalfHourHistory], Series]]
    minute_selector: PropertyDef[HistorySelector]  # [AIF 3.3.5]
    minute_history: PropertyDef[SegmentHistory]
    clock: int | None  # a reading stamped to the second, that teaches the meter's clock (C5)

    @property
    def search(self) -> Eoj:
        """Every instance of the class [AIF 3.1.2]."""
        return Eoj.of(self.class_id, 0x00)

    @property
    def history_epcs(self) -> dict[Series, int]:
        return {series: epc for epc, (_, series) in self.day_histories.items()}


HV_PLAN: Final = MeterPlan(
    class_id=HV_METER_BIDIR_CLASS,
    table=HV_METER_BIDIR,
    attributes=(0x8D, 0xC0, 0xD3, 0xD4, 0xE0, 0xE5, 0xE6, 0xC4, 0xC5, 0xC7, 0xCC, 0xCD),
    optional_attributes=frozenset({0x8D, 0xC7, 0xCC, 0xCD}),
    scheduled=MappingProxyType(
        {0xE3: Series.ENERGY_NORMAL, 0xC3: Series.DEMAND_NORMAL, 0xCB: Series.REACTIVE_NORMAL}
    ),
    instant=(0xEA, 0xEB),
    minute=(0xD0,),
    # E2 and the power-factor energies [AIF 3.3.2]; C1, the month's maximum demand the contract
    # demand is judged by, changes at most every half-hour and rides along.
    present=(0xE2, 0xE4, 0xCA, 0xC1),
    day_selector=hv_meter_bidir.HISTORY_DAY,
    day_histories=HISTORY_ROWS,
    minute_selector=hv_meter_bidir.HISTORY_DAY_2,
    minute_history=hv_meter_bidir.ENERGY_HISTORY_2,
    clock=hv_meter_bidir.CUMULATIVE_ENERGY.epc,
)

LV_PLAN: Final = MeterPlan(
    class_id=LV_METER_CLASS,
    table=LV_METER,
    attributes=(0x8D, 0xC0, 0xD3, 0xD7, 0xE1),
    optional_attributes=frozenset({0x8D, 0xD3}),
    scheduled=MappingProxyType({0xEA: Series.ENERGY_NORMAL, 0xEB: Series.ENERGY_REVERSE}),
    instant=(0xE7, 0xE8),
    minute=(0xD0,),
    present=(0xE0, 0xE3),
    day_selector=lv_meter.HISTORY_DAY,
    day_histories=LV_HISTORY_ROWS,
    minute_selector=lv_meter.HISTORY_DAY_3,
    minute_history=lv_meter.ENERGY_HISTORY_3,
    clock=None,  # E0/E3 carry no time, D0 and EA/EB sit on the grid (C39)
)

#: The plans by class id; the search asks each class in turn until a meter answers.
PLANS: Final[Mapping[int, MeterPlan]] = MappingProxyType(
    {HV_METER_BIDIR_CLASS: HV_PLAN, LV_METER_CLASS: LV_PLAN}
)
SEARCHED: Final = tuple(plan.search for plan in PLANS.values())


def plan_of(eoj: Eoj | None) -> MeterPlan:
    """The plan of a meter object (0x028F's before one is found)."""
    if eoj is None:
        return HV_PLAN
    return PLANS.get(eoj.class_id, HV_PLAN)

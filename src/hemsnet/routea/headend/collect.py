"""How the meter's 30-minute data reaches the head-end over the utility network (A1).

The head-end reads each meter with ECHONET Lite, as a controller node of its own
(:class:`~hemsnet.aio.client.EchonetClient`: the Route B controller's request discipline, one
request outstanding per meter, a fresh TID per attempt), on the meter's class plan
(:mod:`hemsnet.controller.plan`):

1. the attributes that scale the energy register (0xD3 and 0xE1 of a 0x0288 meter [AIF 3.1.4]);
2. the latest 30-minute cumulative energies (0xEA and 0xEB; 0xE3 on a 0x028F);
3. for today and each of the last ``history_days`` days the MDMS does not yet hold in full,
   the day's 30-minute history (Set 0xE5 the day, Get 0xE2, then 0xE4, one history per request
   [AIF 2.4.4]; 0xE1, 0xE7 and 0xE8 on a 0x028F [AIF 3.3.3]), which fills what a lost round
   missed;
4. the latest energies once more: if the meter's date turned meanwhile, the histories read
   are dropped (their "today" is no longer known) and read again next round.

A meter that does not answer or answers nonsense costs one log line and its own round only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

from hemsnet.aio.client import EchonetClient
from hemsnet.aio.udp import Address, Interface
from hemsnet.controller.plan import PLANS, MeterPlan
from hemsnet.devices.lv_meter import LV_METER_CLASS
from hemsnet.devices.model import Quantity
from hemsnet.echonet.eoj import Eoj
from hemsnet.errors import HemsnetError, RequestRefused
from hemsnet.metering.attributes import MeterScales, register_epcs
from hemsnet.metering.samples import Sample, samples_of
from hemsnet.metering.series import Series
from hemsnet.routea.headend.config import MeterTarget
from hemsnet.routea.headend.store import MdmsStore, StoredReading

__all__ = ["Collector", "MeterRound", "read_meter"]

log = logging.getLogger(__name__)

ENERGY: Final = (Series.ENERGY_NORMAL, Series.ENERGY_REVERSE)
_SLOTS_PER_DAY: Final = 48


@dataclass(frozen=True, slots=True)
class MeterRound:
    """One meter's part of a collection round: readings new to the MDMS, or what failed."""

    meter_id: str
    new: int
    latest: datetime | None
    error: str | None = None


async def read_meter(
    client: EchonetClient,
    peer: Address,
    class_id: int,
    *,
    history_days: int,
    timeout: float,
    held: Callable[[date], int],
) -> list[Sample]:
    """The meter's 30-minute cumulative energies (steps 1-4 above); ``held(day)`` is how many
    readings of the day the MDMS has already. Raises HemsnetError or LookupError (a scale the
    meter's attributes do not give)."""
    plan = PLANS[class_id]
    eoj = Eoj.of(class_id, 0x01)
    quantity = Quantity.LV_ACTIVE_ENERGY if class_id == LV_METER_CLASS else Quantity.ACTIVE_ENERGY
    try:
        attributes = await client.get(peer, eoj, register_epcs(quantity), timeout=timeout)
    except RequestRefused as refused:  # an optional attribute (0x0288's 0xD3) may be absent
        attributes = refused.accepted
    scales = MeterScales(attributes, class_id)

    async def latest() -> list[Sample]:
        epcs = [epc for epc, series in plan.scheduled.items() if series in ENERGY]
        values = await client.get(peer, eoj, epcs, timeout=timeout)
        now = datetime.now()
        found = [
            s
            for epc, edt in values.items()
            for s in samples_of(epc, edt, scales, read_at=now, class_id=class_id)
        ]
        return [s for s in found if s.series in ENERGY]

    first = await latest()
    if not first:
        return []
    today = max(s.measured_at for s in first).date()
    history: list[Sample] = []
    for back in range(history_days + 1):
        day = today - timedelta(days=back)
        if back > 0 and held(day) >= _SLOTS_PER_DAY * len(ENERGY):
            continue
        history += await _day(client, peer, eoj, plan, scales, back, day, timeout)
    again = await latest()
    if again and max(s.measured_at for s in again).date() != today:
        log.info("the meter's date turned during the round: its histories are read next round")
        history = []
    return [*first, *history, *again]


async def _day(
    client: EchonetClient,
    peer: Address,
    eoj: Eoj,
    plan: MeterPlan,
    scales: MeterScales,
    back: int,
    day: date,
    timeout: float,
) -> list[Sample]:
    selector = plan.day_selector
    await client.set(peer, eoj, {selector.epc: selector.encode(back)}, timeout=timeout)
    found = []
    for epc, (_, series) in plan.day_histories.items():
        if series not in ENERGY:
            continue
        # one history property per request [AIF 2.4.4]
        edt = (await client.get(peer, eoj, [epc], timeout=timeout))[epc]
        found += samples_of(
            epc, edt, scales, read_at=datetime.now(), day=day, class_id=plan.class_id
        )
    return found


class Collector:
    """Collects every configured meter into the MDMS, one client per utility interface."""

    def __init__(
        self,
        store: MdmsStore,
        meters: Sequence[MeterTarget],
        *,
        history_days: int,
        timeout: float,
    ) -> None:
        self.store = store
        self.meters = tuple(meters)
        self.history_days = history_days
        self.timeout = timeout
        self._clients: dict[str, EchonetClient] = {}

    def open(self) -> None:
        """Bind a client to each interface of the meters (call from the running loop)."""
        for meter in self.meters:
            if meter.iface not in self._clients:
                self._clients[meter.iface] = EchonetClient.open(meter.iface)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    async def collect(self) -> list[MeterRound]:
        """One round: every meter at once (each meter's requests in turn)."""
        return list(await asyncio.gather(*(self._one(meter) for meter in self.meters)))

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        """A round every ``interval`` seconds until ``stop``."""
        while not stop.is_set():
            rounds = await self.collect()
            new = sum(r.new for r in rounds)
            failed = [r.meter_id for r in rounds if r.error is not None]
            log.info("collected %d new readings; %d meters failed", new, len(failed))
            with contextlib.suppress(TimeoutError):  # the interval passed: the next round
                await asyncio.wait_for(stop.wait(), interval)

    async def _one(self, meter: MeterTarget) -> MeterRound:
        client = self._clients[meter.iface]
        peer = Address(meter.address, scope_id=Interface.lookup(meter.iface).index)
        try:
            samples = await read_meter(
                client,
                peer,
                meter.class_id,
                history_days=self.history_days,
                timeout=self.timeout,
                held=lambda day: self.store.readings_on(meter.meter_id, day),
            )
        except (HemsnetError, LookupError) as exc:
            log.warning("meter %s at %s: %s", meter.meter_id, meter.address, exc)
            return MeterRound(meter.meter_id, 0, None, str(exc))
        readings = [
            StoredReading(s.series.value, s.measured_at, s.raw, s.value)
            for s in samples
            if s.raw is not None and s.value is not None
        ]
        try:
            new = self.store.add_readings(meter.meter_id, readings, datetime.now(UTC))
        except sqlite3.Error as exc:  # a full disk, a locked file: the next round tries again
            log.error("meter %s: the MDMS could not store its readings: %s", meter.meter_id, exc)
            return MeterRound(meter.meter_id, 0, None, f"not stored: {exc}")
        latest = max((r.measured_at for r in readings), default=None)
        return MeterRound(meter.meter_id, new, latest)

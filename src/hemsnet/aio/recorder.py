"""Writes what the controller engine reports to the store, and reads back what it held.

Readings of one engine call go in one transaction; a gap is settled only after the readings
that filled it are on disk (the store refuses to close a gap that still misses data). Counters
are added up per call.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime, timedelta
from typing import Final

from hemsnet.controller.coverage import Held
from hemsnet.controller.events import (
    DISCARD_COUNTERS,
    AttributeAbsent,
    AttributeRead,
    Counted,
    Event,
    FaultEnded,
    FaultStarted,
    GapOpened,
    GapSettled,
    MeterPaired,
    ReadingDisputed,
    ReadingRejected,
    Recorded,
    RegisterRestarted,
    Warned,
)
from hemsnet.echonet.engine import FrameDiscarded
from hemsnet.metering.gaps import GapStatus
from hemsnet.metering.series import HALF_HOUR_SERIES, MINUTE_SERIES, Series
from hemsnet.store.model import Reading, WireEvent
from hemsnet.store.store import Store

__all__ = ["Recorder"]

log = logging.getLogger(__name__)

_DEMANDS: Final = (Series.DEMAND_NORMAL, Series.DEMAND_REVERSE)
_WIRE_KINDS: Final = {
    ReadingRejected: "rejected",
    ReadingDisputed: "disputed",
    RegisterRestarted: "restarted",
}


class Recorder:
    """Applies a controller engine's events to a :class:`Store`."""

    def __init__(self, store: Store, key_of: Callable[[Hashable], str] = str) -> None:
        self.store = store
        self.key_of = key_of
        self.meter_id: int | None = None

    def pair(self, address: Hashable, now: datetime, class_id: int = 0x028F) -> int:
        self.meter_id = self.store.meter(self.key_of(address), str(address), now, class_id)
        return self.meter_id

    def held(self, now: datetime, *, days: int, minute_hours: float) -> Held:
        """What the store holds for the paired meter in the window the controller looks at."""
        assert self.meter_id is not None
        held = Held()
        end = now + timedelta(days=1)
        windows = [(s, now - timedelta(days=days + 1)) for s in HALF_HOUR_SERIES]
        windows += [(s, now - timedelta(hours=minute_hours + 1)) for s in MINUTE_SERIES]
        for series, start in windows:
            for reading in self.store.readings(self.meter_id, series, start, end):
                if series in _DEMANDS and reading.value is not None:
                    peak = abs(reading.value)
                    held.peak_kw = peak if held.peak_kw is None else max(held.peak_kw, peak)
                if reading.raw is None:
                    held.void.setdefault(series, set()).add(reading.measured_at)
                else:
                    held.real.setdefault(series, {})[reading.measured_at] = reading.raw
        for series in Series:
            latest = self.store.latest(self.meter_id, series) if series.cumulative else None
            if latest is not None and latest.raw is not None:
                held.latest[series] = (latest.measured_at, latest.raw)
        held.open_gaps = {
            (gap.series, gap.start, gap.end)
            for gap in self.store.gaps(self.meter_id, GapStatus.OPEN)
        }
        return held

    def apply(self, events: Iterable[Event], now: datetime) -> None:
        readings: list[Reading] = []
        wire: list[WireEvent] = []
        counters: Counter[str] = Counter()
        for event in events:
            if isinstance(event, MeterPaired):
                self.pair(event.address, now, event.eoj.class_id)
                continue
            meter_id = self.meter_id
            if meter_id is None:
                continue
            if isinstance(event, Recorded):
                readings += _readings(meter_id, event, now)
                continue
            if isinstance(event, Counted):
                counters[event.counter] += 1
                continue
            if isinstance(event, FrameDiscarded):
                counters[DISCARD_COUNTERS[event.kind]] += 1
                continue
            if isinstance(event, ReadingRejected | ReadingDisputed | RegisterRestarted):
                kind = _WIRE_KINDS[type(event)]
                wire.append(
                    WireEvent(
                        now, kind, event.series, event.measured_at, event.reason, event.evidence
                    )
                )
                if kind != "restarted":
                    counters[kind] += 1
                else:  # before the readings after it, so no energy is computed across it
                    self.store.record_restart(meter_id, event.series, event.measured_at)
                continue
            if readings:
                self.store.record(readings)
                readings = []
            self._apply_one(meter_id, event, now)
        if self.meter_id is None:
            return
        if readings:
            self.store.record(readings)
        if wire:
            self.store.log_wire_events(self.meter_id, wire)
        if counters:
            self.store.count(self.meter_id, now, **counters)

    def _apply_one(self, meter_id: int, event: Event, now: datetime) -> None:
        store = self.store
        if isinstance(event, AttributeRead):
            store.record_attribute(meter_id, event.epc, event.edt, now)
        elif isinstance(event, AttributeAbsent):
            store.mark_absent(meter_id, event.epc, now)
        elif isinstance(event, GapOpened):
            store.open_gap(meter_id, event.series, event.start, event.end, now)
        elif isinstance(event, GapSettled):
            gap = store.open_gap(meter_id, event.series, event.start, event.end, now)
            if gap.status is GapStatus.OPEN:
                if event.filled:
                    store.close_gap(gap.id, now)
                else:
                    store.mark_unrecoverable(gap.id, now)
        elif isinstance(event, FaultStarted):
            store.fault_started(meter_id, now)
        elif isinstance(event, FaultEnded):
            store.fault_ended(meter_id, now)
        elif isinstance(event, Warned):
            log.warning("%s", event.message)


def _readings(meter_id: int, event: Recorded, now: datetime) -> list[Reading]:
    """The store rows of the samples, each checked on its own: one the store would refuse (a
    bug: the engine vets them) is logged and left out, and the others are still written."""
    rows = []
    for s in event.samples:
        try:
            rows.append(
                Reading(meter_id, s.series, s.measured_at, s.raw, s.value, event.source, now)
            )
        except ValueError as exc:
            log.error("a %s reading was not stored: %s", s.series.value, exc)
    return rows

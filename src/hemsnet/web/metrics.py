"""``GET /metrics``: what the store holds now, in the Prometheus text format (prometheus-client).

Read from the store at each scrape (one collector, no state of its own), so ``hemsnet
dashboard`` beside a controller, ``controller --web`` and ``demo`` serve the same numbers. Per
meter (label ``meter``, its store key):

======================================  =======  ==========================================
metric                                  type     from
======================================  =======  ==========================================
``hemsnet_meter_power_watts``           gauge    EA, the latest
``hemsnet_meter_current_amperes``       gauge    EB, ``phase`` r and t
``hemsnet_meter_energy_kwh_total``      counter  the newest of E3, E2, D0; ``direction``
                                                 imported (normal) or exported (reverse)
``hemsnet_meter_demand_kw``             gauge    C3 of the latest half-hour, ``direction``
``hemsnet_meter_demand_month_max_kw``   gauge    C1
``hemsnet_meter_requests_total``        counter  the request counters, ``outcome``
``hemsnet_meter_link_state``            gauge    1 for the link's ``state``, 0 for the others
``hemsnet_meter_gaps``                  gauge    gaps by ``status``
``hemsnet_meter_faults_total``          counter  faults (0x88 = 0x41) recorded
``hemsnet_appliance_power_watts``       gauge    each appliance's latest power (``key``,
                                                 ``eoj``, ``class``)
``hemsnet_appliance_reachable``         gauge    1 while its node answers
======================================  =======  ==========================================

The counter wraps at 10^digits on the meter (0xE5): Prometheus takes the drop as a counter
reset, as it should.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Final

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hemsnet.controller.config import ControllerConfig
from hemsnet.metering.gaps import GapStatus
from hemsnet.metering.series import Series
from hemsnet.store.model import Reading
from hemsnet.store.store import Store
from hemsnet.web.link import link

__all__ = ["CONTENT_TYPE", "metrics_text"]

#: The text format, version 0.0.4 [Prometheus exposition formats].
CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
_LINK_STATES: Final = ("up", "stale", "down", "fault")
_CUMULATIVE: Final = {
    "imported": (
        Series.ENERGY_NORMAL,
        Series.PRESENT_ENERGY_NORMAL,
        Series.MINUTE_ENERGY_NORMAL,
    ),
    "exported": (
        Series.ENERGY_REVERSE,
        Series.PRESENT_ENERGY_REVERSE,
        Series.MINUTE_ENERGY_REVERSE,
    ),
}
_DEMAND: Final = {"imported": Series.DEMAND_NORMAL, "exported": Series.DEMAND_REVERSE}


def _newest(readings: list[Reading | None]) -> Decimal | None:
    known = [r for r in readings if r is not None and r.value is not None]
    return max(known, key=lambda r: r.measured_at).value if known else None


class _StoreCollector(Collector):
    """Everything above, read at one instant (``now``, controller time, for the link)."""

    def __init__(self, store: Store, now: datetime, controller: ControllerConfig) -> None:
        self.store = store
        self.now = now
        self.controller = controller

    def collect(self) -> Iterator[Metric]:
        store = self.store
        power = GaugeMetricFamily("hemsnet_meter_power_watts", "EA", labels=["meter"])
        current = GaugeMetricFamily(
            "hemsnet_meter_current_amperes", "EB", labels=["meter", "phase"]
        )
        energy = CounterMetricFamily(
            "hemsnet_meter_energy_kwh",
            "cumulative active energy (newest of E3, E2, D0)",
            labels=["meter", "direction"],
        )
        demand = GaugeMetricFamily(
            "hemsnet_meter_demand_kw",
            "30-minute demand of the latest half-hour (C3)",
            labels=["meter", "direction"],
        )
        month_max = GaugeMetricFamily(
            "hemsnet_meter_demand_month_max_kw",
            "this billing month's maximum (C1)",
            labels=["meter"],
        )
        requests = CounterMetricFamily(
            "hemsnet_meter_requests", "requests to the meter", labels=["meter", "outcome"]
        )
        link_state = GaugeMetricFamily(
            "hemsnet_meter_link_state", "1 for the meter link's state", labels=["meter", "state"]
        )
        gaps = GaugeMetricFamily("hemsnet_meter_gaps", "gaps by status", labels=["meter", "status"])
        faults = CounterMetricFamily("hemsnet_meter_faults", "faults recorded", labels=["meter"])
        for meter in store.meters():
            key = meter.key
            latest = {s: store.latest(meter.id, s) for s in Series}

            def value(series: Series) -> Decimal | None:
                reading = latest[series]  # noqa: B023 (used at once, in this iteration)
                return None if reading is None else reading.value

            if (watts := value(Series.POWER)) is not None:
                power.add_metric([key], float(watts))
            for phase, series in (("r", Series.CURRENT_R), ("t", Series.CURRENT_T)):
                if (amperes := value(series)) is not None:
                    current.add_metric([key, phase], float(amperes))
            for direction, cumulative in _CUMULATIVE.items():
                if (kwh := _newest([latest[s] for s in cumulative])) is not None:
                    energy.add_metric([key, direction], float(kwh))
                if (kw := value(_DEMAND[direction])) is not None:
                    demand.add_metric([key, direction], float(kw))
            if (kw := value(Series.MAX_DEMAND_NORMAL)) is not None:
                month_max.add_metric([key], float(kw))
            for outcome, count in asdict(store.stats(meter.id)).items():
                requests.add_metric([key, outcome], count)
            state = link(store, meter, self.now, self.controller)["state"]
            for name in _LINK_STATES:
                link_state.add_metric([key, name], 1.0 if name == state else 0.0)
            stored = store.gaps(meter.id)
            for status in GapStatus:
                count = sum(1 for gap in stored if gap.status is status)
                gaps.add_metric([key, status.value], count)
            faults.add_metric([key], len(store.faults(meter.id)))
        yield from (power, current, energy, demand, month_max, requests, link_state, gaps, faults)
        yield from self._appliances()

    def _appliances(self) -> Iterator[Metric]:
        labels = ["key", "eoj", "class"]
        power = GaugeMetricFamily(
            "hemsnet_appliance_power_watts", "latest power of an appliance", labels=labels
        )
        reachable = GaugeMetricFamily(
            "hemsnet_appliance_reachable", "1 while its node answers", labels=labels
        )
        for appliance in self.store.appliances():
            names = [appliance.key, appliance.eoj, appliance.class_name]
            reachable.add_metric(names, 1.0 if appliance.reachable else 0.0)
            latest = self.store.latest_appliance_power(appliance.id)
            if latest is not None and latest.watts is not None:
                power.add_metric(names, latest.watts)
        yield from (power, reachable)


def metrics_text(store: Store, now: datetime, controller: ControllerConfig) -> bytes:
    """The exposition of ``store`` at ``now`` (blocks: run it in a worker thread)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_StoreCollector(store, now, controller))
    return generate_latest(registry)

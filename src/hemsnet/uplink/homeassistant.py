"""The controller's meter and appliances on MQTT, with Home Assistant discovery.

:class:`HomeAssistantBridge` is an :class:`~hemsnet.aio.controller_service.EventSink`: the
controller hands it each engine's events on the event loop's thread, and it only queues
messages on its :class:`~hemsnet.uplink.mqtt.MqttLink`, so a broker that is slow or away never
holds the Route B engine. Every state message is retained (the latest value of each topic is
kept and published again at each reconnection, see :mod:`hemsnet.uplink.mqtt`).

Topics (``P`` the topic prefix, ``hemsnet``; ``NODE`` a store key with every character outside
``A-Za-z0-9_-`` made ``_``, e.g. ``fe80__1_1``)::

    P/status                                online | offline (birth and last will)
    P/meter/NODE/power                      W, EA                     [AIF Table 2-4]
    P/meter/NODE/current_r, current_t       A, EB
    P/meter/NODE/energy_imported            kWh, the newest of E3, E2, D0 (normal)
    P/meter/NODE/energy_exported            kWh, the same, reverse
    P/meter/NODE/demand, demand_exported    kW, C3 of the half-hour that closed last
    P/meter/NODE/month_max_demand           kW, C1
    P/meter/NODE/link                       searching | up | stale | down | fault
    P/appliance/NODE/EOJ/power              W (signed for a battery or EV charger)
    P/appliance/NODE/EOJ/operation          ON | OFF (0x80)
    P/appliance/NODE/EOJ/availability       online | offline (found, lost)
    P/appliance/NODE/EOJ/operation/set      ON | OFF: a command, for controllable objects only
    P/.../set/result                        {"accepted": ..., "reason": ...} (not retained)

Discovery [Home Assistant, MQTT discovery]: ``D/<component>/hemsnet_NODE/<object>/config``,
retained, one device per meter and per appliance object. The cumulative energies are
``device_class: energy``, ``state_class: total_increasing``, kWh, which the Energy dashboard
takes as grid consumption and return as they are; power, currents and demand are
``measurement``. A cumulative value older than the one published is never published (a
backfill's history would look like a counter reset).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from hemsnet import __version__
from hemsnet.aio.appliance_recorder import class_name
from hemsnet.aio.clock import wait_for_stop
from hemsnet.aio.controller_service import ControllerService
from hemsnet.aio.udp import peer_key
from hemsnet.controller.appliance_events import (
    ApplianceCommanded,
    ApplianceEvent,
    ApplianceFound,
    ApplianceLost,
    AppliancePower,
)
from hemsnet.controller.config import ControllerConfig, link_state
from hemsnet.controller.events import (
    Event,
    FaultEnded,
    FaultStarted,
    MeterPaired,
    Recorded,
)
from hemsnet.echonet.eoj import Eoj
from hemsnet.errors import RequestNotAllowed
from hemsnet.metering.series import Series
from hemsnet.uplink.config import MqttConfig
from hemsnet.uplink.mqtt import MqttLink, MqttMessage

__all__ = ["Commander", "HomeAssistantBridge", "attach", "node_id"]

log = logging.getLogger(__name__)

#: Sends a command to an appliance object: (store key, EOJ, EPC, EDT); raises
#: RequestNotAllowed when it cannot be sent (:meth:`ControllerService.command`).
Commander = Callable[[str, Eoj, int, bytes], None]

_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_-]")
_WATCH: Final = 10.0  # s of real time between looks at the link state
_OPERATION: Final = 0x80
_ON_OFF: Final = {"ON": b"\x30", "OFF": b"\x31"}  # 0x80 [MRA]


def node_id(key: str) -> str:
    """A store key as one topic level and id: ``fe80::1:1`` -> ``fe80__1_1``."""
    return _UNSAFE.sub("_", key)


@dataclass(frozen=True, slots=True)
class _Entity:
    """One Home Assistant entity of the meter's device."""

    name: str
    component: str
    fields: tuple[tuple[str, Any], ...]


def _sensor(name: str, device_class: str, state_class: str, unit: str) -> _Entity:
    fields = (
        ("device_class", device_class),
        ("state_class", state_class),
        ("unit_of_measurement", unit),
    )
    return _Entity(name, "sensor", fields)


_LINK_STATES: Final = ["searching", "up", "stale", "down", "fault"]
#: The meter's entities, by the last level of their state topic.
_METER: Final = {
    "power": _sensor("Power", "power", "measurement", "W"),
    "current_r": _sensor("Current, phase R", "current", "measurement", "A"),
    "current_t": _sensor("Current, phase T", "current", "measurement", "A"),
    "energy_imported": _sensor("Energy imported", "energy", "total_increasing", "kWh"),
    "energy_exported": _sensor("Energy exported", "energy", "total_increasing", "kWh"),
    "demand": _sensor("30-minute demand", "power", "measurement", "kW"),
    "demand_exported": _sensor("30-minute demand, exported", "power", "measurement", "kW"),
    "month_max_demand": _sensor("Maximum demand this month", "power", "measurement", "kW"),
    "link": _Entity(
        "Link",
        "sensor",
        (("device_class", "enum"), ("options", _LINK_STATES), ("entity_category", "diagnostic")),
    ),
}
#: Which series feed which state topic (several: the newest reading wins).
_FROM_SERIES: Final = {
    Series.POWER: "power",
    Series.CURRENT_R: "current_r",
    Series.CURRENT_T: "current_t",
    Series.ENERGY_NORMAL: "energy_imported",
    Series.PRESENT_ENERGY_NORMAL: "energy_imported",
    Series.MINUTE_ENERGY_NORMAL: "energy_imported",
    Series.ENERGY_REVERSE: "energy_exported",
    Series.PRESENT_ENERGY_REVERSE: "energy_exported",
    Series.MINUTE_ENERGY_REVERSE: "energy_exported",
    Series.DEMAND_NORMAL: "demand",
    Series.DEMAND_REVERSE: "demand_exported",
    Series.MAX_DEMAND_NORMAL: "month_max_demand",
}


def _text(value: Decimal) -> str:
    return format(value, "f")


class HomeAssistantBridge:
    """Publishes what a controller reads to MQTT, and takes commands for the objects the
    config names as controllable (nothing else)."""

    def __init__(
        self,
        link: MqttLink,
        config: MqttConfig,
        controller: ControllerConfig,
        now: Callable[[], datetime],
        commander: Commander | None = None,
    ) -> None:
        self.link = link
        self.config = config
        self.controller = controller
        self.now = now
        self.commander = commander
        prefix = config.topic_prefix
        self.status_topic = f"{prefix}/status"
        self._meter: str | None = None  # the meter's NODE
        self._last_answer: datetime | None = None
        self._in_fault = False
        self._link = ""
        self._measured: dict[str, datetime] = {}  # state topic -> time of the value published
        self._appliances: dict[tuple[str, str], tuple[str, Eoj]] = {}  # (NODE, EOJ) -> key, eoj
        link.subscribe(f"{prefix}/meter/+/+/set", self._on_command)
        link.subscribe(f"{prefix}/appliance/+/+/+/set", self._on_command)
        self._publish(self.status_topic, "online")  # the birth: first at every connection

    @classmethod
    def connect(
        cls,
        config: MqttConfig,
        controller: ControllerConfig,
        now: Callable[[], datetime],
        commander: Commander | None = None,
    ) -> HomeAssistantBridge:
        """The bridge on a new link to ``config.broker``, with ``P/status`` as its last will."""
        assert config.broker is not None
        status = f"{config.topic_prefix}/status"
        link = MqttLink(
            config.broker,
            client_id=config.identifier,
            will=MqttMessage(status, b"offline", 1, retain=True),
        )
        return cls(link, config, controller, now, commander)

    # --- EventSink ---------------------------------------------------------------------------

    def meter_events(self, events: Sequence[Event], now: datetime) -> None:
        for event in events:
            if isinstance(event, MeterPaired):
                self._meter = node_id(peer_key(event.address))
                self._discover_meter(peer_key(event.address), event.eoj)
                self._last_answer = now
            elif isinstance(event, Recorded):
                self._last_answer = now
                self._recorded(event)
            elif isinstance(event, FaultStarted | FaultEnded):
                self._in_fault = isinstance(event, FaultStarted)
        self._update_link(now)

    def appliance_events(self, events: Sequence[ApplianceEvent], now: datetime) -> None:
        for event in events:
            key = peer_key(event.address)
            base = self._appliance_topic(key, event.eoj)
            if isinstance(event, ApplianceFound):
                self._discover_appliance(key, event.eoj)
                self._publish(f"{base}/availability", "online")
            elif isinstance(event, ApplianceLost):
                self._publish(f"{base}/availability", "offline")
            elif isinstance(event, AppliancePower):
                if event.watts is not None:
                    self._publish(f"{base}/power", str(event.watts))
                if event.operating is not None:
                    self._publish(f"{base}/operation", "ON" if event.operating else "OFF")
            elif isinstance(event, ApplianceCommanded):
                self._result(f"{base}/operation/set", event.accepted, event.reason)

    async def run(self, stop: asyncio.Event) -> None:
        """Keep the broker connection, and the link state current while nothing arrives."""
        watch = asyncio.create_task(self._watch(stop))
        try:
            await self.link.run(stop)
        finally:
            watch.cancel()

    # --- inside ------------------------------------------------------------------------------

    def _publish(self, topic: str, payload: str) -> None:
        self.link.publish(topic, payload, qos=self.config.qos, retain=True)

    def _meter_topic(self, name: str) -> str:
        return f"{self.config.topic_prefix}/meter/{self._meter}/{name}"

    def _appliance_topic(self, key: str, eoj: Eoj) -> str:
        return f"{self.config.topic_prefix}/appliance/{node_id(key)}/{eoj}"

    def _recorded(self, event: Recorded) -> None:
        for sample in event.samples:
            name = _FROM_SERIES.get(sample.series)
            if name is None or sample.value is None:
                continue
            topic = self._meter_topic(name)
            published = self._measured.get(topic)
            if published is not None and sample.measured_at < published:
                continue  # older than what is out there: history, or a late answer
            self._measured[topic] = sample.measured_at
            value = sample.value
            self._publish(topic, str(int(value)) if name == "power" else _text(value))

    def _update_link(self, now: datetime) -> None:
        if self._meter is None:
            state = "searching"
        elif self._in_fault:
            state = "fault"
        else:
            state = link_state(self.controller, self._last_answer, now)
        if state != self._link:
            self._link = state
            if self._meter is not None:
                self._publish(self._meter_topic("link"), state)

    async def _watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await wait_for_stop(stop, _WATCH)
            self._update_link(self.now())

    def _device_fields(self) -> dict[str, Any]:
        return {
            "availability": [{"topic": self.status_topic}],
            "origin": {"name": "hemsnet", "sw_version": __version__},
        }

    def _discovery(self, component: str, node: str, name: str, config: dict[str, Any]) -> None:
        if not self.config.discovery_prefix:
            return
        topic = f"{self.config.discovery_prefix}/{component}/hemsnet_{node}/{name}/config"
        self.link.publish(topic, json.dumps(config, separators=(",", ":")), qos=1, retain=True)

    def _discover_meter(self, key: str, eoj: Eoj) -> None:
        node = node_id(key)
        device = {
            "identifiers": [f"hemsnet_meter_{node}"],
            "name": f"Smart meter {key}",
            "model": f"{class_name(eoj)} (0x{eoj.class_id:04X})",
            "manufacturer": "ECHONET Lite",
        }
        for name, entity in _METER.items():
            self._discovery(
                entity.component,
                node,
                name,
                {
                    "name": entity.name,
                    "unique_id": f"hemsnet_{node}_{name}",
                    "state_topic": self._meter_topic(name),
                    **dict(entity.fields),
                    **self._device_fields(),
                    "device": device,
                },
            )

    def _discover_appliance(self, key: str, eoj: Eoj) -> None:
        node = node_id(key)
        base = self._appliance_topic(key, eoj)
        self._appliances[node, str(eoj)] = (key, eoj)
        object_id = f"{node}_{eoj}"
        common = {
            "availability": [
                {"topic": self.status_topic},
                {"topic": f"{base}/availability"},
            ],
            "availability_mode": "all",
            "origin": {"name": "hemsnet", "sw_version": __version__},
            "device": {
                "identifiers": [f"hemsnet_{object_id}"],
                "name": f"{class_name(eoj)} {eoj} at {key}",
                "model": f"{class_name(eoj)} (0x{eoj.class_id:04X})",
                "manufacturer": "ECHONET Lite",
            },
        }
        self._discovery(
            "sensor",
            object_id,
            "power",
            {
                "name": "Power",
                "unique_id": f"hemsnet_{object_id}_power",
                "state_topic": f"{base}/power",
                "device_class": "power",
                "state_class": "measurement",
                "unit_of_measurement": "W",
                **common,
            },
        )
        operation: dict[str, Any] = {
            "name": "Operation",
            "unique_id": f"hemsnet_{object_id}_operation",
            "state_topic": f"{base}/operation",
            "payload_on": "ON",
            "payload_off": "OFF",
            **common,
        }
        if self.config.allows(key, eoj):
            component = "switch"
            operation["command_topic"] = f"{base}/operation/set"
        else:
            component = "binary_sensor"
            operation["device_class"] = "running"
        self._discovery(component, object_id, "operation", operation)

    def _on_command(self, topic: str, payload: bytes) -> None:
        """A message on a ``…/set`` topic: sent on when it names a controllable object's
        operation and ON or OFF; otherwise refused, with the reason on ``…/set/result``."""
        parts = topic.split("/")[len(self.config.topic_prefix.split("/")) :]
        command = payload.decode(errors="replace").strip()
        if parts[0] != "appliance" or len(parts) != 5:
            self._result(topic, False, "the meter takes no commands")
            return
        _, node, eoj_text, name, _ = parts
        known = self._appliances.get((node, eoj_text))
        if known is None or not self.config.allows(*known):
            self._result(topic, False, f"{node}/{eoj_text} is not configured as controllable")
            return
        key, eoj = known
        if name != "operation" or command not in _ON_OFF:
            self._result(topic, False, f"{name} takes no commands; operation takes ON or OFF")
            return
        if self.commander is None:
            self._result(topic, False, "this controller reads no HEMS network")
            return
        try:
            self.commander(key, eoj, _OPERATION, _ON_OFF[command])
        except RequestNotAllowed as exc:
            self._result(topic, False, str(exc))
            return
        log.info("MQTT command: %s %s", topic, command)

    def _result(self, set_topic: str, accepted: bool, reason: str) -> None:
        if not accepted:
            log.warning("MQTT command on %s refused: %s", set_topic, reason)
        body = json.dumps({"accepted": accepted, "reason": reason})
        self.link.publish(f"{set_topic}/result", body, qos=1)


def attach(service: ControllerService, config: MqttConfig) -> str:
    """Publish ``service``'s meter and appliances to ``config.broker``; the words for the start
    line (``; MQTT mqtt://host:1883``)."""
    assert config.broker is not None
    setup = service.setup
    bridge = HomeAssistantBridge.connect(config, setup.config, setup.clock.now, service.command)
    service.add_sink(bridge)
    return f"; MQTT {config.broker}"

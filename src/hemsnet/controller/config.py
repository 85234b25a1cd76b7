"""The Route B controller's configuration: what a ``controller.toml`` sets.

Every key is optional; the defaults follow the spec's minimums and a sane polling plan. Values
below the spec's minimums are refused, not raised: response-wait timer 1 at least 40 s, timer 2
at least 180 s [AIF 2.4.2, Table 2-5]; at most 12 properties per request, what a meter must
accept [AIF 2.4.4]; the scheduled-data fetch no earlier than 5 minutes after :00/:30
[AIF 3.3.1]. The default plan asks about 180 times an hour, and the pace keeps everything
together (polls, history, retries) within one request per 10 s [AIF 2.4.1 note] (C32).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from hemsnet.devices.codecs.readings import HISTORY_DAY_MAX
from hemsnet.echonet.timers import TIMER_1_MIN, TIMER_2_MIN
from hemsnet.tomlconfig import TomlTable, read_toml

__all__ = [
    "ApplianceConfig",
    "ControllerConfig",
    "RouteBConfig",
    "link_state",
    "load_config",
    "parse_config",
]

_METER_OPC_MIN: Final = 12  # what a meter must accept in one request [AIF 2.4.4]
_FETCH_AFTER_MIN: Final = 300.0  # "05 and 35 minutes after every hour or later" [AIF 3.3.1]
_DAY: Final = 86_400.0
_MAC_DIGITS: Final = 16
_CHANNEL_MIN: Final = 33  # the 920 MHz band's channels [ARIB STD-T108]
_CHANNEL_MAX: Final = 60
_UP_FLOOR: Final = timedelta(seconds=90)
#: Tables of the same file that others read: the dashboard (hemsnet.web), the MQTT uplink
#: (hemsnet.uplink), where the controller runs (hemsnet.cli.deployment), demand control
#: (hemsnet.control.plan), the Route C uplink to the provider (hemsnet.uplink.routec_config).
_OTHER_TABLES: Final = ("dashboard", "mqtt", "link", "store", "demand", "openadr", "routec")
_STALE_WITHIN: Final = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class ApplianceConfig:
    """How the controller reads the appliances on its HEMS network(s) [G.9958 6.3.1, 6.4.2].

    ECHONET Lite sets no response-wait time for home appliances (Route B's 40 s timer 1 is for
    the meter's radio link [AIF 2.4.2]); on a home LAN an answer takes milliseconds, so 5 s
    leaves a slow appliance room and a poll with its retry still ends within a third of the
    interval. Times are in seconds of controller time.
    """

    interval: float = 30.0  # Get 0x80 and the power EPC of each appliance object
    discovery_interval: float = 300.0  # multicast Get 0xD6 of every node profile
    timeout: float = 5.0  # response wait of one appliance request; shorter than interval
    retries: int = 1  # attempts after a timeout, each under a fresh TID, before a poll misses
    unreachable_after: int = 3  # polls missed in a row before a node is marked unreachable


@dataclass(frozen=True, slots=True)
class RouteBConfig:
    """``[routeb]``: Route B through a Wi-SUN dongle (SKSTACK IP) instead of an interface.

    The Route B ID and password are read from files (or the environment), never from this
    table: a config file is often shared, the secrets must not be [docs/skstack.md].
    """

    dongle: str | None = None  # the serial port, e.g. /dev/ttyUSB0
    id_file: str | None = None  # a file holding the 32-character Route B ID
    password_file: str | None = None  # a file holding the 12-character password
    channel: int | None = None  # the meter's PAN, when known: no scan
    pan_id: int | None = None
    meter_mac: str | None = None  # 16 hexadecimal digits
    baud: int = 115_200


@dataclass(frozen=True, slots=True)
class ControllerConfig:
    """How the controller talks to its meter. Times are in seconds of controller time."""

    timer_1: float = TIMER_1_MIN
    timer_2: float = TIMER_2_MIN
    max_opc: int = _METER_OPC_MIN
    pace: float = 10.0  # seconds per request on average, everything included; 0: unpaced
    search_interval: float = TIMER_1_MIN  # a search is a request: timer 1 before the next
    instant_interval: float = 20.0  # EA, EB; 0 switches the poll off
    minute_interval: float = 60.0  # D0
    present_interval: float = 300.0  # E2 (and E4, CA when the meter has them), C1
    attribute_interval: float = _DAY  # re-acquire 3.1.3 and 3.1.4
    fault_check_interval: float = 300.0  # Get 0x88 while the meter reports a fault
    fetch_after: float = _FETCH_AFTER_MIN  # Get E3/C3/CB when their INF has not come by then
    history_days: int = HISTORY_DAY_MAX  # how far back a backfill asks for (E1 days)
    minute_history_hours: float = 24.0  # one-minute data (ED) recovered this far back
    retry_base: float = 60.0  # history retry back-off: base * 2**n plus jitter up to base
    retry_max: float = 1800.0
    history_retries: int = 5  # day mismatches in a row before a day waits for the next pass
    seed: int = 0  # of the retry jitter: controllers sharing a meter should differ
    appliances: ApplianceConfig = ApplianceConfig()  # on the HEMS network(s) (--hems-iface)
    routeb: RouteBConfig = RouteBConfig()  # through a Wi-SUN dongle (--dongle)

    def __post_init__(self) -> None:
        if self.timer_1 < TIMER_1_MIN or self.timer_2 < TIMER_2_MIN:
            raise ValueError("response-wait timers below 40 s / 180 s break AIF 2.4.2")
        if not 1 <= self.max_opc <= _METER_OPC_MIN:
            raise ValueError("max_opc is 1..12")
        if self.pace < 0:
            raise ValueError("pace is 0 (unpaced) or more seconds")

    @property
    def up_within(self) -> timedelta:
        """How recent the meter's last answer keeps the link ``up``: 3 instant polls (EA,
        EB), at least 90 s."""
        return max(3 * timedelta(seconds=self.instant_interval), _UP_FLOOR)


def link_state(config: ControllerConfig, last_answer: datetime | None, now: datetime) -> str:
    """The meter link by its last answer (controller time): ``up`` within
    :attr:`ControllerConfig.up_within`, ``stale`` within 15 minutes, else ``down``; the one
    rule of the dashboard, the metrics and the MQTT uplink (a fault is told apart by them)."""
    if last_answer is not None and now - last_answer <= config.up_within:
        return "up"
    if last_answer is not None and now - last_answer <= _STALE_WITHIN:
        return "stale"
    return "down"


_KEYS: Final = {
    "timers": ("timer_1", "timer_2"),
    "requests": ("max_opc", "pace", "search_interval"),
    "polling": ("instant", "minute", "present", "attributes", "fault_check"),
    "recovery": (
        "fetch_after",
        "history_days",
        "minute_history_hours",
        "retry_base",
        "retry_max",
        "history_retries",
        "seed",
    ),
    "routeb": (
        "dongle",
        "id_file",
        "password_file",
        "channel",
        "pan_id",
        "meter_mac",
        "baud",
    ),
    "appliances": (
        "interval",
        "discovery_interval",
        "timeout",
        "retries",
        "unreachable_after",
    ),
}


def parse_config(data: Mapping[str, Any], source: str = "config") -> ControllerConfig:
    """A config from parsed TOML; a ConfigError names ``source`` and the key path."""
    root = TomlTable(data, source, "", (*_KEYS, *_OTHER_TABLES))
    timers = root.table("timers", _KEYS["timers"])
    requests = root.table("requests", _KEYS["requests"])
    polling = root.table("polling", _KEYS["polling"])
    recovery = root.table("recovery", _KEYS["recovery"])
    default = ControllerConfig()

    def interval(table: TomlTable, key: str, value: float) -> float:
        """A poll interval in seconds: 0 (off) or at least 1 s."""
        seconds = table.number(key, value, 0.0)
        if 0 < seconds < 1:
            raise table.error(key, f"{seconds:g} s is too short (0 switches it off, else >= 1)")
        return seconds

    retry_base = recovery.number("retry_base", default.retry_base, 1.0)
    timer_1 = timers.number("timer_1", default.timer_1, TIMER_1_MIN)
    return ControllerConfig(
        timer_1=timer_1,
        timer_2=timers.number("timer_2", default.timer_2, TIMER_2_MIN),
        max_opc=requests.integer("max_opc", default.max_opc, 1, _METER_OPC_MIN),
        pace=requests.number("pace", default.pace, 0.0),
        search_interval=requests.number(
            "search_interval", max(default.search_interval, timer_1), timer_1
        ),
        instant_interval=interval(polling, "instant", default.instant_interval),
        minute_interval=interval(polling, "minute", default.minute_interval),
        present_interval=interval(polling, "present", default.present_interval),
        attribute_interval=polling.number("attributes", default.attribute_interval, 60.0),
        fault_check_interval=polling.number("fault_check", default.fault_check_interval, 10.0),
        fetch_after=recovery.number("fetch_after", default.fetch_after, _FETCH_AFTER_MIN, 1500.0),
        history_days=recovery.integer("history_days", default.history_days, 0, HISTORY_DAY_MAX),
        minute_history_hours=recovery.number(
            "minute_history_hours", default.minute_history_hours, 0.0, 24.0 * 99
        ),
        retry_base=retry_base,
        retry_max=recovery.number("retry_max", default.retry_max, retry_base),
        history_retries=recovery.integer("history_retries", default.history_retries, 1, 100),
        seed=recovery.integer("seed", default.seed, 0, 2**63 - 1),
        appliances=_appliances(root.table("appliances", _KEYS["appliances"])),
        routeb=_routeb(root.table("routeb", _KEYS["routeb"])),
    )


def _routeb(table: TomlTable) -> RouteBConfig:
    """The ``[routeb]`` table: paths as given, the PAN checked."""

    def text(key: str) -> str | None:
        value = table.raw(key, str, "a string")
        return None if value is None else str(value)

    mac = text("meter_mac")
    if mac is not None:
        digits = mac.replace(":", "").replace("-", "").upper()
        if len(digits) != _MAC_DIGITS or any(c not in "0123456789ABCDEF" for c in digits):
            raise table.error("meter_mac", f"{mac!r} is not 16 hexadecimal digits")
        mac = digits
    channel = table.raw("channel", int, "an integer")
    if channel is not None:
        channel = table.integer("channel", 0, _CHANNEL_MIN, _CHANNEL_MAX)
    pan_id = table.raw("pan_id", int, "an integer")
    if pan_id is not None:
        pan_id = table.integer("pan_id", 0, 0, 0xFFFE)
    return RouteBConfig(
        dongle=text("dongle"),
        id_file=text("id_file"),
        password_file=text("password_file"),
        channel=channel,
        pan_id=pan_id,
        meter_mac=mac,
        baud=table.integer("baud", RouteBConfig().baud, 1200, 4_000_000),
    )


def _appliances(table: TomlTable) -> ApplianceConfig:
    """The ``[appliances]`` table: a response wait shorter than the poll interval."""
    default = ApplianceConfig()
    interval = table.number("interval", default.interval, 1.0)
    timeout = table.number("timeout", default.timeout, 0.0, above=True)
    if timeout >= interval:
        raise table.error(
            "timeout", f"{timeout:g} s is not shorter than the interval ({interval:g} s)"
        )
    return ApplianceConfig(
        interval=interval,
        discovery_interval=table.number("discovery_interval", default.discovery_interval, 1.0),
        timeout=timeout,
        retries=table.integer("retries", default.retries, 0, 10),
        unreachable_after=table.integer("unreachable_after", default.unreachable_after, 1, 100),
    )


def load_config(path: Path) -> ControllerConfig:
    return parse_config(read_toml(path), str(path))

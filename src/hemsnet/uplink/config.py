"""The ``[mqtt]`` table of the controller's TOML file, and the broker's URL.

Nothing here imports the MQTT client (:mod:`hemsnet.uplink.mqtt`), so reading a config file
does not load it.

::

    [mqtt]
    url = "mqtt://127.0.0.1:1883"    # mqtt:// or mqtts://, user and password optional;
                                     # --mqtt URL wins; empty: no MQTT
    password_file = ""               # the password from this file instead (systemd credentials)
    client_id = ""                   # empty: hemsnet-HOSTNAME
    topic_prefix = "hemsnet"         # state and command topics start here
    discovery_prefix = "homeassistant"  # Home Assistant discovery; "" switches it off
    qos = 1                          # of state messages (0 or 1)
    controllable = []                # appliances that take commands: "013001" (any node) or
                                     # "013001@fe80::5:1" (one node); nothing else does
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from hemsnet.echonet.eoj import Eoj, parse_eoj
from hemsnet.errors import ConfigError
from hemsnet.tomlconfig import TomlTable

__all__ = ["Broker", "Controllable", "MqttConfig", "parse_broker", "parse_mqtt", "with_url"]

_KEYS: Final = (
    "url",
    "password_file",
    "client_id",
    "topic_prefix",
    "discovery_prefix",
    "qos",
    "controllable",
)
_TOPIC_PART: Final = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")
_PORTS: Final = {"mqtt": 1883, "mqtts": 8883}


@dataclass(frozen=True, slots=True)
class Broker:
    """Where the broker is and how to log in: ``mqtt://[user[:password]@]host[:port]``
    (``mqtts://`` for TLS: the system's CAs, or ``ca_file``'s; a client certificate when
    ``cert_file`` and ``key_file`` are given)."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{host}:{self.port}"


def parse_broker(text: str) -> Broker:
    """A broker URL; ``ValueError`` says what is wrong. The password never appears in
    ``str(broker)``."""
    parts = urlsplit(text.strip())
    if parts.scheme not in _PORTS:
        raise ValueError(f"{text!r}: the URL must start with mqtt:// or mqtts://")
    if not parts.hostname:
        raise ValueError(f"{text!r}: no host (e.g. mqtt://127.0.0.1:1883)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{text!r}: a broker URL has no path or query")
    try:
        port = parts.port or _PORTS[parts.scheme]
    except ValueError:
        raise ValueError(f"{text!r}: the port is not a number 1..65535") from None
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return Broker(parts.hostname, port, parts.scheme == "mqtts", username, password)


@dataclass(frozen=True, slots=True)
class Controllable:
    """An appliance object that takes commands: on any node (``key`` None) or on one."""

    eoj: Eoj
    key: str | None = None

    def allows(self, key: str, eoj: Eoj) -> bool:
        return eoj == self.eoj and (self.key is None or self.key == key)

    def __str__(self) -> str:
        return str(self.eoj) if self.key is None else f"{self.eoj}@{self.key}"


@dataclass(frozen=True, slots=True)
class MqttConfig:
    """Where to publish and what may be commanded; ``broker`` None: no MQTT."""

    broker: Broker | None = None
    password: str | None = None  # from password_file: for the broker of --mqtt too
    client_id: str = ""
    topic_prefix: str = "hemsnet"
    discovery_prefix: str = "homeassistant"
    qos: int = 1
    controllable: tuple[Controllable, ...] = ()

    @property
    def identifier(self) -> str:
        """The MQTT client id: the configured one, else ``hemsnet-HOSTNAME``."""
        return self.client_id or f"hemsnet-{socket.gethostname()}"

    def allows(self, key: str, eoj: Eoj) -> bool:
        """Whether the appliance object ``eoj`` of node ``key`` takes commands."""
        return any(entry.allows(key, eoj) for entry in self.controllable)


def with_url(config: MqttConfig, url: str) -> MqttConfig:
    """``--mqtt URL``: the config with that broker (ConfigError when the URL is not one)."""
    try:
        broker = parse_broker(url)
    except ValueError as exc:
        raise ConfigError(f"--mqtt: {exc}") from None
    if broker.password is None:
        broker = replace(broker, password=config.password)
    return replace(config, broker=broker)


def _controllable(table: TomlTable, text: object) -> Controllable:
    if not isinstance(text, str):
        raise table.error("controllable", f"expected strings EOJ or EOJ@ADDRESS, got {text!r}")
    eoj_text, _, key = text.partition("@")
    try:
        eoj = parse_eoj(eoj_text)
    except ValueError as exc:
        raise table.error("controllable", f"{text!r}: {exc}") from None
    if eoj.instance == 0:
        raise table.error("controllable", f"{text!r}: name one object (instance 01..7F)")
    return Controllable(eoj, key.strip("[]") or None)


def _prefix(table: TomlTable, key: str, default: str, *, may_be_empty: bool) -> str:
    value = table.raw(key, str, "a string")
    if value is None:
        return default
    if (value or not may_be_empty) and not _TOPIC_PART.match(value):
        raise table.error(key, f"{value!r} is not a topic of letters, digits, _ and - levels")
    return str(value)


def parse_mqtt(data: Mapping[str, Any], source: str = "config") -> MqttConfig:
    """The ``[mqtt]`` table of a parsed TOML document (no MQTT when absent or ``url`` is
    empty); a ConfigError names ``source`` and the key."""
    value = data.get("mqtt", {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: mqtt: expected a table ([mqtt])")
    table = TomlTable(value, source, "mqtt", _KEYS)
    broker = None
    if url := table.raw("url", str, "a string mqtt://HOST:PORT"):
        try:
            broker = parse_broker(url)
        except ValueError as exc:
            raise table.error("url", str(exc)) from None
    password = None
    if password_file := table.raw("password_file", str, "a path"):
        try:
            password = Path(password_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise table.error("password_file", f"{password_file}: {exc.strerror}") from None
        if broker is not None:
            broker = replace(broker, password=password)
    default = MqttConfig()
    return MqttConfig(
        broker=broker,
        password=password,
        client_id=table.raw("client_id", str, "a string") or "",
        topic_prefix=_prefix(table, "topic_prefix", default.topic_prefix, may_be_empty=False),
        discovery_prefix=_prefix(
            table, "discovery_prefix", default.discovery_prefix, may_be_empty=True
        ),
        qos=table.integer("qos", default.qos, 0, 1),
        controllable=tuple(_controllable(table, item) for item in table.array("controllable")),
    )

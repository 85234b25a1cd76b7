"""The dashboard's configuration: the ``[dashboard]`` table of the controller's TOML file.

::

    [dashboard]
    listen = "127.0.0.1:8080"   # ADDR:PORT or [IPv6]:PORT
    token = ""                  # guards the data when set; beyond loopback, empty: one is made
    target_kw = 0               # contract or target demand; 0: not set
    warning = 0.9               # forecast >= warning * target_kw: level "warning"
    alarm = 1.0                 # forecast >= alarm * target_kw: level "alarm"
    max_streams = 256           # event streams open at once; beyond, 503

The controller reads the rest of the file (:mod:`hemsnet.controller.config`); this module reads
only that table, so ``hemsnet dashboard --config`` and ``hemsnet controller --config`` can share
one file.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from hemsnet.errors import ConfigError
from hemsnet.tomlconfig import TomlTable, read_toml

__all__ = [
    "DashboardConfig",
    "Listen",
    "load_dashboard",
    "parse_dashboard",
    "parse_listen",
    "secured",
]

_KEYS: Final = ("listen", "token", "target_kw", "warning", "alarm", "max_streams")
_PORT_MAX: Final = 65_535


@dataclass(frozen=True, slots=True)
class Listen:
    """An IP address and a TCP port to listen on (port 0: the kernel chooses)."""

    host: str
    port: int

    @property
    def loopback(self) -> bool:
        return ipaddress.ip_address(self.host).is_loopback

    def url(self, port: int | None = None) -> str:
        """``http://HOST:PORT/``, the IPv6 host in brackets; ``port`` overrides a port 0."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port if port is None else port}/"

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


DEFAULT_LISTEN: Final = Listen("127.0.0.1", 8080)


def parse_listen(text: str) -> Listen:
    """``ADDR:PORT`` (IPv4) or ``[ADDR]:PORT`` (IPv6); ``ValueError`` says what is wrong."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep or not host:
        raise ValueError(f"{text!r} is not ADDR:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)")
    bracketed = host.startswith("[") and host.endswith("]")
    host = host[1:-1] if bracketed else host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{text!r}: {host!r} is not an IP address") from None
    if address.version == 6 and not bracketed:
        raise ValueError(f"{text!r}: write an IPv6 address in brackets, [{host}]:PORT")
    if not port_text.isdigit() or int(port_text) > _PORT_MAX:
        raise ValueError(f"{text!r}: the port {port_text!r} is not a number 0..{_PORT_MAX}")
    return Listen(str(address), int(port_text))


@dataclass(frozen=True, slots=True)
class DashboardConfig:
    """Where the dashboard listens, its token, and the demand target with its levels."""

    listen: Listen = DEFAULT_LISTEN
    token: str = ""
    target_kw: float = 0.0
    warning: float = 0.9
    alarm: float = 1.0
    max_streams: int = 256

    @property
    def target(self) -> float | None:
        """The target demand in kW, ``None`` when not set."""
        return self.target_kw or None

    def url(self, port: int | None = None) -> str:
        """The URL to open the page at, with the token when one is needed."""
        url = self.listen.url(port)
        return f"{url}?token={quote(self.token, safe='')}" if self.token else url


def secured(config: DashboardConfig) -> DashboardConfig:
    """The config to serve with: bound beyond loopback without a token, one is generated
    (printed in the URL line at start, docs/dashboard.md D2)."""
    if config.token or config.listen.loopback:
        return config
    return replace(config, token=secrets.token_urlsafe(24))


def parse_dashboard(data: Mapping[str, Any], source: str = "config") -> DashboardConfig:
    """The ``[dashboard]`` table of a parsed TOML document (defaults when absent).

    Other tables of the document are the controller's and are not looked at. A ConfigError
    names ``source`` and the key.
    """
    value = data.get("dashboard", {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: dashboard: expected a table ([dashboard])")
    table = TomlTable(value, source, "dashboard", _KEYS)
    default = DashboardConfig()
    listen = default.listen
    if (text := table.raw("listen", str, "a string ADDR:PORT")) is not None:
        try:
            listen = parse_listen(text)
        except ValueError as exc:
            raise table.error("listen", str(exc)) from None
    token = table.raw("token", str, "a string") or ""
    if any(ch.isspace() or not ch.isprintable() for ch in token):
        raise table.error("token", "a token has no spaces or control characters")
    warning = table.number("warning", default.warning, 0.0, above=True)
    alarm = table.number("alarm", default.alarm, warning)
    return DashboardConfig(
        listen=listen,
        token=token,
        target_kw=table.number("target_kw", default.target_kw, 0.0),
        warning=warning,
        alarm=alarm,
        max_streams=table.integer("max_streams", default.max_streams, 1),
    )


def load_dashboard(path: Path) -> DashboardConfig:
    return parse_dashboard(read_toml(path), str(path))

"""The provider's Route A configuration (``hemsnet route-a --config route-a.toml``)::

[headend]
url = "http://127.0.0.1:8610"   # the utility's sharing API
token_file = "acme.token"       # the token the utility issued to this provider

[database]
url = "postgresql://provider@db.example/provider"   # or --db-url

[reconcile]
tolerance = 0                   # kWh two routes may differ by before it is reported

[[meter]]                       # a home's utility meter and its Route B key
home = "h0001"
meter = "UM-0001"               # the utility's meter ID (Route A)
route_b = "fe80::1"             # reading.meter of the home's Route B data
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from hemsnet.errors import ConfigError
from hemsnet.routea.headend.store import IDENTIFIER
from hemsnet.tomlconfig import TomlTable, read_toml

__all__ = ["MeterLink", "ProviderRouteA", "load_provider_route_a"]


@dataclass(frozen=True, slots=True)
class MeterLink:
    """A home's meter as both routes name it."""

    home: str
    meter: str
    route_b: str


@dataclass(frozen=True, slots=True)
class ProviderRouteA:
    headend_url: str
    token: str
    db_url: str
    tolerance: Decimal
    meters: tuple[MeterLink, ...]

    def __repr__(self) -> str:  # never show the token or the database's password
        return f"ProviderRouteA({self.headend_url!r}, {len(self.meters)} meters)"


def load_provider_route_a(path: Path) -> ProviderRouteA:
    source = str(path)
    root = TomlTable(read_toml(path), source, "", ("headend", "database", "reconcile", "meter"))
    head = root.table("headend", ("url", "token_file"))
    url = head.raw("url", str, "a string") or ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise head.error("url", f"{url!r} is not an http(s) URL of the head-end's API")
    token_file = head.raw("token_file", str, "a string")
    if token_file is None:
        raise head.error("token_file", "is required (the token the utility issued)")
    try:
        token = (path.parent / token_file).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise head.error("token_file", f"cannot read {token_file}: {exc}") from None
    if not token or not token.isprintable():
        raise head.error("token_file", f"{token_file} holds no usable token")
    database = root.table("database", ("url",))
    db_url = database.raw("url", str, "a string") or ""
    tolerance = root.table("reconcile", ("tolerance",)).number("tolerance", 0.0, 0.0, 1e6)
    meters = tuple(_link(t) for t in root.tables("meter", ("home", "meter", "route_b")))
    if len({(m.home, m.meter) for m in meters}) != len(meters):
        raise ConfigError(f"{source}: meter: a home's meter appears twice")
    return ProviderRouteA(url.rstrip("/"), token, db_url, Decimal(str(tolerance)), meters)


def _link(table: TomlTable) -> MeterLink:
    values = []
    for key in ("home", "meter", "route_b"):
        value = table.raw(key, str, "a string")
        if not value:
            raise table.error(key, "is required")
        if key != "route_b" and not IDENTIFIER.fullmatch(value):
            raise table.error(key, f"{value!r} is not 1 to 64 of [A-Za-z0-9_-]")
        values.append(str(value))
    return MeterLink(*values)

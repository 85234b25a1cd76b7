"""The head-end's configuration file (``hemsnet headend --config headend.toml``)::

    [headend]
    db = "headend.db"          # the MDMS's SQLite file (relative to this file's folder)
    interval = 300             # seconds between two collections of every meter
    history_days = 1           # past days of 30-minute history read back when incomplete
    timeout = 10               # seconds a meter has to answer one request

    [api]
    listen = "127.0.0.1:8610"  # the sharing API: ADDR:PORT or [IPv6]:PORT

    [[provider]]               # a HEMS provider the utility shares with
    name = "acme"
    token_file = "acme.token"  # its bearer token, one line, at least 32 characters

    [[meter]]                  # a meter on the utility network
    id = "UM-0001"             # the utility's meter ID
    address = "fe80::1"        # its address on the utility network
    iface = "util0"            # the head-end's interface to it
    class = "0288"             # "0288" (a home's low-voltage meter, the default) or "028F"

Tokens live in files of their own, never in this file, and are never logged.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hemsnet.devices.hv_meter_bidir import HV_METER_BIDIR_CLASS
from hemsnet.devices.lv_meter import LV_METER_CLASS
from hemsnet.errors import ConfigError
from hemsnet.routea.headend.store import IDENTIFIER
from hemsnet.tomlconfig import TomlTable, read_toml
from hemsnet.web.config import Listen, parse_listen

__all__ = ["HeadEndConfig", "MeterTarget", "ProviderToken", "load_headend"]

TOKEN_MIN: Final = 32
_CLASSES: Final = {"0288": LV_METER_CLASS, "028F": HV_METER_BIDIR_CLASS}


@dataclass(frozen=True, slots=True)
class MeterTarget:
    """A meter the head-end collects from: its utility ID and where it is."""

    meter_id: str
    address: str
    iface: str
    class_id: int


@dataclass(frozen=True, slots=True)
class ProviderToken:
    name: str
    token: str

    def __repr__(self) -> str:  # never show the secret
        return f"ProviderToken({self.name!r}, token=…)"


@dataclass(frozen=True, slots=True)
class HeadEndConfig:
    db: Path
    interval: float
    history_days: int
    timeout: float
    listen: Listen
    providers: tuple[ProviderToken, ...]
    meters: tuple[MeterTarget, ...]


def load_headend(path: Path) -> HeadEndConfig:
    """Read and check ``path``; a ConfigError names the file and the key."""
    source = str(path)
    root = TomlTable(read_toml(path), source, "", ("headend", "api", "provider", "meter"))
    here = path.parent
    head = root.table("headend", ("db", "interval", "history_days", "timeout"))
    db = head.raw("db", str, "a string") or "headend.db"
    api = root.table("api", ("listen",))
    listen_text = api.raw("listen", str, "a string") or "127.0.0.1:8610"
    try:
        listen = parse_listen(listen_text)
    except ValueError as exc:
        raise api.error("listen", str(exc)) from None
    providers = tuple(_provider(t, here) for t in root.tables("provider", ("name", "token_file")))
    meters = tuple(_meter(t) for t in root.tables("meter", ("id", "address", "iface", "class")))
    _unique(source, "provider", [p.name for p in providers])
    _unique(source, "meter", [m.meter_id for m in meters])
    return HeadEndConfig(
        db=here / db,
        interval=head.number("interval", 300.0, 0.0, 86_400.0, above=True),
        history_days=head.integer("history_days", 1, 0, 99),
        timeout=head.number("timeout", 10.0, 0.0, 180.0, above=True),
        listen=listen,
        providers=providers,
        meters=meters,
    )


def _identifier(table: TomlTable, key: str) -> str:
    value = table.raw(key, str, "a string")
    if value is None:
        raise table.error(key, "is required")
    if not IDENTIFIER.fullmatch(value):
        raise table.error(key, f"{value!r} is not 1 to 64 of [A-Za-z0-9_-]")
    return str(value)


def _provider(table: TomlTable, here: Path) -> ProviderToken:
    name = _identifier(table, "name")
    file = table.raw("token_file", str, "a string")
    if file is None:
        raise table.error("token_file", "is required (a file holding the provider's token)")
    try:
        token = (here / file).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise table.error("token_file", f"cannot read {file}: {exc}") from None
    if len(token) < TOKEN_MIN or not token.isprintable() or " " in token:
        raise table.error(
            "token_file", f"the token in {file} must be at least {TOKEN_MIN} printable "
            "characters without spaces (e.g. python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(32))')"
        )  # fmt: skip
    return ProviderToken(name, token)


def _meter(table: TomlTable) -> MeterTarget:
    meter_id = _identifier(table, "id")
    address = table.raw("address", str, "a string")
    if address is None:
        raise table.error("address", "is required")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise table.error("address", f"{address!r} is not an IP address") from None
    iface = table.raw("iface", str, "a string")
    if not iface:
        raise table.error("iface", "is required (the head-end's interface to the meter)")
    class_text = table.raw("class", str, "a string") or "0288"
    if class_text.upper() not in _CLASSES:
        raise table.error("class", f"{class_text!r} is not 0288 or 028F")
    return MeterTarget(meter_id, address, str(iface), _CLASSES[class_text.upper()])


def _unique(source: str, what: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ConfigError(f"{source}: {what}: {name!r} appears twice")
        seen.add(name)

"""``[routec]``: the controller's Route C uplink to the HEMS provider's broker (docs/route-c.md).

::

    [routec]
    url = "mqtts://provider.example:8883"   # the provider's broker; empty: no Route C
    home = "h0001"                  # the home ID: the MQTT user, client hemsnet-home-<home>
    password_file = "/run/credentials/hemsnet.service/routec"  # or HEMSNET_ROUTEC_PASSWORD
    ca_file = "/etc/hemsnet/provider-ca.pem"    # the CA of the broker's certificate
    cert_file = ""                  # optional TLS client certificate ...
    key_file = ""                   # ... and its key
    batch_size = 500                # records per batch, at most 500 (and 256 KiB)
    window = 4                      # batches in flight
    ack_timeout = 30.0              # s before an unacknowledged batch is sent again
    max_backlog = 500000            # records kept for the provider; past it the oldest go

Nothing here imports the MQTT client, so reading a config file does not load it. The password
is read here, never printed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from hemsnet.errors import ConfigError
from hemsnet.tomlconfig import TomlTable
from hemsnet.uplink.config import Broker, parse_broker

__all__ = ["PASSWORD_ENV", "RouteCConfig", "parse_routec"]

PASSWORD_ENV: Final = "HEMSNET_ROUTEC_PASSWORD"
_KEYS: Final = (
    *("url", "home", "password_file", "ca_file", "cert_file", "key_file"),
    *("batch_size", "window", "ack_timeout", "max_backlog"),
)
_HOME: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_BATCH_MAX: Final = 500  # the contract's most records in one batch
_BACKLOG_MIN: Final = 1000


@dataclass(frozen=True, slots=True)
class RouteCConfig:
    """Where the home's records go; ``broker`` None: no Route C. Times in seconds."""

    broker: Broker | None = None  # user = home, password, TLS files filled in
    home: str = ""
    batch_size: int = _BATCH_MAX
    window: int = 4
    ack_timeout: float = 30.0
    max_backlog: int = 500_000

    @property
    def client_id(self) -> str:
        return f"hemsnet-home-{self.home}"

    def topic(self, leaf: str) -> str:
        """``hemsnet/v1/home/<home>/<leaf>``, e.g. ``up/batch``."""
        return f"hemsnet/v1/home/{self.home}/{leaf}"


def parse_routec(
    data: Mapping[str, Any], source: str = "config", environ: Mapping[str, str] = os.environ
) -> RouteCConfig:
    """The ``[routec]`` table of a parsed TOML document (no Route C when absent or ``url`` is
    empty); a ConfigError names ``source`` and the key, never the password."""
    value = data.get("routec", {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: routec: expected a table ([routec])")
    table = TomlTable(value, source, "routec", _KEYS)
    default = RouteCConfig()
    tuned = RouteCConfig(
        batch_size=table.integer("batch_size", default.batch_size, 1, _BATCH_MAX),
        window=table.integer("window", default.window, 1, 64),
        ack_timeout=table.number("ack_timeout", default.ack_timeout, 0.1, 3600.0),
        max_backlog=table.integer("max_backlog", default.max_backlog, _BACKLOG_MIN),
    )
    if tuned.max_backlog < 2 * tuned.window * tuned.batch_size:
        raise table.error(
            "max_backlog",
            f"{tuned.max_backlog} is less than twice what may be in flight "
            f"(window x batch_size = {tuned.window * tuned.batch_size})",
        )
    url = table.raw("url", str, "a string mqtts://HOST:PORT")
    if not url:
        return tuned
    try:
        broker = parse_broker(url)
    except ValueError as exc:
        raise table.error("url", str(exc)) from None
    if broker.username or broker.password:
        raise table.error("url", "no user in the URL: the user is the home ID, see home")
    home = table.raw("home", str, "a home ID") or ""
    if not _HOME.match(home):
        raise table.error("home", f"{home!r} is not 1 to 64 letters, digits, _ and -")
    files = {key: _readable(table, key) for key in ("ca_file", "cert_file", "key_file")}
    if (files["cert_file"] is None) != (files["key_file"] is None):
        raise table.error("cert_file", "a client certificate needs its key_file, and back")
    if not broker.tls and any(files.values()):
        raise table.error("url", "TLS files are given: the URL must be mqtts://")
    broker = replace(
        broker,
        username=home,
        password=_password(table, environ),
        ca_file=files["ca_file"],
        cert_file=files["cert_file"],
        key_file=files["key_file"],
    )
    return replace(tuned, broker=broker, home=home)


def _readable(table: TomlTable, key: str) -> str | None:
    path = table.raw(key, str, "a path")
    if not path:
        return None
    if not os.access(path, os.R_OK):
        raise table.error(key, f"{path}: cannot be read")
    return str(path)


def _password(table: TomlTable, environ: Mapping[str, str]) -> str:
    if path := table.raw("password_file", str, "a path"):
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise table.error("password_file", f"{path}: {exc.strerror}") from None
    if password := environ.get(PASSWORD_ENV, ""):
        return password
    raise table.error("password_file", f"the home's password: give a file, or {PASSWORD_ENV}")

"""The HEMS provider's namespace as the real thing: its broker, its database, its service.

Where the model lets the HEMS controller reach the HEMS provider through the home gateway
(Route C [G.9958 I.1(3), 6.4.1, 6.4.2, 6.4.3]), the provider's namespace runs, instead of the
packet-counting endpoint: mosquitto with TLS (a CA made here with ``openssl``), a password per
user and the ACL of docs/route-c.md; a PostgreSQL server reached only through its Unix socket
in the run directory; and ``hemsnet provider``. The controller gets a ``[routec]`` table for
that broker. Everything lives in ``<run dir>/provider/`` and goes with the run directory.

PostgreSQL refuses to run as root: as root, ``initdb`` and the server run as the ``postgres``
user the Debian package creates (``setpriv``, which execs, so the pid ``up`` saves is the
server's own).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import secrets
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hemsnet.testbed.local_servers import (
    BROKER_ACCOUNT,
    DB_ROLE,
    SERVER_ACCOUNT,
    as_account,
    chown_to,
    init_database,
    run_tool,
    secret_file,
    server_bin,
)
from hemsnet.testbed.processes import Launch
from hemsnet.testbed.routec_path import BROKER_PORT, RouteC

__all__ = ["ACL", "ProviderStack", "prepare_stack", "stack_missing"]

PROVIDER_USER: Final = "provider"  # the provider service's MQTT user; no home may take it
DB_NAME: Final = "postgres"  # the database initdb makes: the testbed needs no other

# docs/route-c.md, "Identity" (the same lines as examples/routec/acl, which is not installed).
ACL: Final = f"""\
user {PROVIDER_USER}
topic read hemsnet/v1/home/+/up/#
topic write hemsnet/v1/home/+/down/#

pattern write hemsnet/v1/home/%u/up/#
pattern read hemsnet/v1/home/%u/down/#
"""


def stack_missing() -> str | None:
    """Why the real provider cannot run here (one line, with the fix), or None."""
    for tool, package in (("mosquitto", "mosquitto"), ("mosquitto_passwd", "mosquitto"),
                          ("openssl", "openssl")):  # fmt: skip
        if shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin") is None:
            return f"no {tool} (Debian package {package})"
    if server_bin() is None:
        return "no PostgreSQL server (Debian package postgresql)"
    if importlib.util.find_spec("psycopg") is None:
        return "no psycopg 3 (pip install 'hemsnet[provider]')"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_ACCOUNT)
        except KeyError:
            return f"no {SERVER_ACCOUNT!r} user for PostgreSQL, which refuses to run as root"
    return None


@dataclass(frozen=True, slots=True)
class ProviderStack:
    """A prepared provider: what to start, in two stages, and the controller's table."""

    route: RouteC
    folder: Path
    servers: tuple[Launch, ...]  # PostgreSQL and mosquitto
    service: Launch  # hemsnet provider, once both serve
    database_url: str

    def routec_table(self) -> str:
        """``[routec]`` for the controller's configuration (docs/route-c.md)."""
        return (
            f'[routec]\nurl = "{self.route.broker_url}"\nhome = "{self.route.home}"\n'
            f'password_file = "{self.folder / "home-password"}"\n'
            f'ca_file = "{self.folder / "ca.crt"}"\n'
        )


def prepare_stack(route: RouteC, folder: Path) -> ProviderStack:
    """Make the CA and the broker's certificate, the passwords, the broker's configuration
    and the database cluster in ``folder`` (new); what to start. RuntimeError names the
    tool that failed."""
    folder.mkdir(mode=0o755)
    _certificates(folder, route.broker_address)
    passwords = {route.home: secrets.token_urlsafe(24), PROVIDER_USER: secrets.token_urlsafe(24)}
    for user, file in ((route.home, "home-password"), (PROVIDER_USER, "provider-password")):
        secret_file(folder / file, passwords[user])
    secret_file(folder / "passwd", "".join(f"{u}:{p}\n" for u, p in passwords.items()))
    run_tool("mosquitto_passwd", "-U", str(folder / "passwd"))  # hashes it in place
    (folder / "acl").write_text(ACL)
    # As root mosquitto drops to its own user: the files it reads become that user's (not
    # the password files of the home and the provider: it has their hashes).
    broker_reads = ("passwd", "acl", "ca.crt", "server.crt", "server.key")
    drops_to_its_user = chown_to(BROKER_ACCOUNT, *(folder / name for name in broker_reads))
    (folder / "mosquitto.conf").write_text(_broker_config(folder, drops_to_its_user))
    database = init_database(folder / "postgres")
    as_server = as_account(SERVER_ACCOUNT)
    postgres = server_bin()
    assert postgres is not None, "stack_missing() is checked first"
    url = f"postgresql://{DB_ROLE}@/{DB_NAME}?host={database}"
    broker_url = f"mqtts://{PROVIDER_USER}@[{route.broker_address}]:{BROKER_PORT}"
    server = Launch(
        route.provider,
        ("-D", str(database / "data")),
        r"LOG:  database system is ready to accept connections",
        program=(*as_server, str(postgres / "postgres")),
        label="postgres",
        stop_signal=signal.SIGINT,  # fast shutdown: SIGTERM would wait for the clients
        logs_to_stderr=True,
    )
    config = ("-c", str(folder / "mosquitto.conf"))
    broker = Launch(
        route.provider,
        config,
        r"mosquitto version \S+ running",
        ("mosquitto",),
        "mosquitto",
        logs_to_stderr=True,
    )
    secret = ("--password-file", str(folder / "provider-password"), "--ca", str(folder / "ca.crt"))
    provider = ("hemsnet", "provider", "--broker", broker_url, *secret, "--db", url)
    service = Launch(
        route.provider, (*provider, "--workers", "1"), "hemsnet provider:", label="service"
    )
    return ProviderStack(route, folder, (server, broker), service, url)


def _broker_config(folder: Path, drops_to_its_user: bool) -> str:
    return (
        f"per_listener_settings false\nallow_anonymous false\n"
        f"password_file {folder / 'passwd'}\nacl_file {folder / 'acl'}\n"
        f"listener {BROKER_PORT}\ncafile {folder / 'ca.crt'}\n"
        f"certfile {folder / 'server.crt'}\nkeyfile {folder / 'server.key'}\n"
        "tls_version tlsv1.2\npersistence false\n"
        + ("" if drops_to_its_user else "user root\n")
        + "log_dest stderr\nlog_timestamp false\nlog_type error\nlog_type warning\n"
        "log_type notice\nlog_type information\n"
    )


def _certificates(folder: Path, address: str) -> None:
    """A CA, and the broker's certificate for ``address`` signed by it (valid 30 days)."""
    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    days = ("-days", "30")
    (folder / "san.ext").write_text(f"subjectAltName = IP:{address}\n")
    for args in (
        ("req", "-x509", *key, *days, "-keyout", "ca.key", "-out", "ca.crt",
         "-subj", "/CN=hemsnet testbed provider CA"),
        ("req", *key, "-keyout", "server.key", "-out", "server.csr", "-subj", f"/CN={address}"),
        ("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
         "-CAcreateserial", *days, "-extfile", "san.ext", "-out", "server.crt"),
    ):  # fmt: skip
        run_tool("openssl", *args, cwd=folder)
    for used in ("ca.key", "ca.srl", "server.csr", "san.ext"):
        (folder / used).unlink()  # the CA signs nothing else: its key goes

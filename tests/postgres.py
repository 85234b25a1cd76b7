"""A real PostgreSQL server for the tests: Debian's PostgreSQL (``initdb`` + ``pg_ctl``) in a
fresh data folder, on a free port of 127.0.0.1, trust authentication, started and stopped by the
tests. PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user
the Debian package creates (its data folder is outside pytest's root-only temporary folder).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

from hemsnet.testbed.local_servers import server_bin
from tests.broker import free_port

SERVER_USER: Final = "postgres"  # the account Debian's postgresql package creates
SUPERUSER: Final = "hemsnet"  # the database role the tests connect as
STARTED_WITHIN: Final = 30  # s for pg_ctl to see the server accept connections


class Postgres:
    """One server in one data folder; :meth:`stop` and :meth:`start` again keep port and data."""

    def __init__(self, bin_dir: Path, *, durable: bool = False) -> None:
        self.bin = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="hemsnet-pg-"))
        self.data = self.root / "data"
        self._as = self._server_account()
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.root}'\nmax_connections = 200\n"
            )
            if not durable:
                # A test server need not survive a crash, and is much faster without fsync.
                # A durable one (the benchmark's) loses no commit to `stop("immediate")`.
                conf.write("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def database(self, name: str) -> str:
        """Create database ``name`` and return its URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, name)
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def start(self) -> None:
        log = self.root / "server.log"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(log), "-w", "-t",
                  str(STARTED_WITHIN), "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` (clean) or ``immediate`` (as a crash would)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [*self._prefix(), str(self.bin / "pg_ctl"), "-D", str(self.data), "-m",
                 "immediate", "stop"],
                capture_output=True, check=False,
            )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            [*self._prefix(), str(self.bin / tool), *args],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}")

    def _prefix(self) -> list[str]:
        return [] if self._as is None else ["runuser", "-u", self._as, "--"]

    def _server_account(self) -> str | None:
        if os.geteuid() != 0:
            return None
        account = pwd.getpwnam(SERVER_USER)
        os.chown(self.root, account.pw_uid, account.pw_gid)
        return SERVER_USER


def postgres_missing() -> str | None:
    """Why a PostgreSQL server cannot run here, or ``None``."""
    if server_bin() is None:
        return "needs PostgreSQL: `make sysdeps` installs it (Debian package postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"as root, PostgreSQL runs as {SERVER_USER!r}, and there is no such user"
    return None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
    """One server for the whole session (starting one takes seconds); tests that stop or
    restart a server make their own with :func:`new_postgres`."""
    server = new_postgres()
    try:
        yield server
    finally:
        server.remove()


def new_postgres() -> Postgres:
    """A started server in a fresh data folder (skips the test where none can run)."""
    reason = postgres_missing()
    if reason is not None:
        pytest.skip(reason)
    bin_dir = server_bin()
    assert bin_dir is not None
    server = Postgres(bin_dir)
    try:
        server.start()
    except BaseException:
        server.remove()
        raise
    return server


_databases = iter(range(1, 1_000_000))


@pytest.fixture
def postgres(postgres_server: Postgres) -> str:
    """The URL of a new, empty database on the session's server."""
    return postgres_server.database(f"test_{next(_databases)}")

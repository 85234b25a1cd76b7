"""Running Debian's servers from hemsnet (the testbed's provider, the provider demo): the
PostgreSQL binaries and a cluster that listens only on its socket, secret files, and the
accounts the servers run as when hemsnet runs as root (PostgreSQL refuses root; mosquitto drops
to its own user)."""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path
from typing import Final

__all__ = [
    "BROKER_ACCOUNT",
    "DB_ROLE",
    "SERVER_ACCOUNT",
    "as_account",
    "chown_to",
    "init_database",
    "run_tool",
    "secret_file",
    "server_bin",
]

DB_ROLE: Final = "hemsnet"
SERVER_ACCOUNT: Final = "postgres"  # Debian's postgresql package makes it
BROKER_ACCOUNT: Final = "mosquitto"  # Debian's mosquitto package makes it


def server_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian keeps one per major version)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=_major)
    return found[-1].parent if found else None


def _major(path: Path) -> int:
    name = path.parent.parent.name
    return int(name) if name.isdigit() else 0


def init_database(folder: Path) -> Path:
    """A cluster in ``folder/data`` that listens on no network at all, only on its socket in
    ``folder``: nothing in the home can reach the provider's database (H18)."""
    folder.mkdir(mode=0o700)
    chown_to(SERVER_ACCOUNT, folder)
    postgres = server_bin()
    assert postgres is not None
    run_tool(*as_account(SERVER_ACCOUNT), str(postgres / "initdb"), "-D", str(folder / "data"),
         "-U", DB_ROLE, "--auth=trust", "-E", "UTF8")  # fmt: skip
    with (folder / "data" / "postgresql.conf").open("a") as conf:
        # A testbed's data lives in /run and need not survive a power cut: no fsync.
        conf.write(
            f"listen_addresses = ''\nunix_socket_directories = '{folder}'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            "log_line_prefix = ''\n"
        )
    return folder


def secret_file(path: Path, text: str) -> None:
    path.touch(mode=0o600)
    path.write_text(text)


def chown_to(account: str, *paths: Path) -> bool:
    """As root, give ``paths`` to ``account``; False when there is no such user (or we are
    not root: everything is ours already)."""
    if os.geteuid() != 0:
        return False
    try:
        entry = pwd.getpwnam(account)
    except KeyError:
        return False
    for path in paths:
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return True


def as_account(account: str) -> tuple[str, ...]:
    """The prefix that runs a command as ``account`` when we are root (it execs)."""
    if os.geteuid() != 0:
        return ()
    return ("setpriv", f"--reuid={account}", f"--regid={account}", "--init-groups", "--")


def run_tool(*command: str, cwd: Path | None = None) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)
    if done.returncode != 0:
        error = (done.stderr.strip().splitlines() or ["no output"])[-1]
        tool = command[command.index("--") + 1] if "--" in command else command[0]
        raise RuntimeError(f"{Path(tool).name} failed ({done.returncode}): {error}")

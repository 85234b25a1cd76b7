"""What ``homenet up`` made, kept as JSON in the run directory for ``check`` and ``down``.

The state is saved before each thing is made (a namespace is recorded, then created), so that
an ``up`` that dies half-way leaves a state from which ``down`` removes all of it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from hemsnet.errors import ConfigError

__all__ = [
    "RUN_ROOT",
    "ProcessRecord",
    "TestbedState",
    "check_name",
    "load_state",
    "run_dir",
    "save_state",
]

RUN_ROOT: Final = Path("/run/hemsnet")
_NAME: Final = re.compile(r"[a-z0-9]{1,16}")


@dataclass(frozen=True, slots=True)
class ProcessRecord:
    component: str
    argv: tuple[str, ...]
    pid: int
    started: int  # start time in clock ticks since boot (/proc/PID/stat): a reused pid differs
    stdout: str
    stderr: str
    stop_signal: int = 15  # SIGTERM; PostgreSQL's server gets SIGINT (fast shutdown)


@dataclass(slots=True)
class TestbedState:
    name: str
    started_at: datetime  # local wall-clock time, the controller's clock at speed 1
    configuration: str | None  # a reference configuration ("6.4.3") ...
    topology_file: str | None  # ... or the copy of a topology file in the run directory
    namespaces: list[str] = field(default_factory=list)
    processes: list[ProcessRecord] = field(default_factory=list)
    controller_db: str | None = None
    provider_db: str | None = None  # the provider's PostgreSQL, when it runs the real one
    route_c_home: str | None = None  # the home ID the controller sends as
    headend_db: str | None = None  # the head-end's MDMS file, when it runs the real head-end
    route_a_meter: str | None = None  # the meter ID the head-end collects as


def check_name(name: str) -> str:
    """A testbed name is 1-16 of [a-z0-9]: it prefixes every namespace name, and without a
    ``-`` in it no testbed's prefix can be the start of another's."""
    if not _NAME.fullmatch(name):
        raise ConfigError(f"testbed name {name!r}: use 1 to 16 characters of a-z and 0-9")
    return name


def run_dir(name: str) -> Path:
    return RUN_ROOT / f"homenet-{name}"


def save_state(state: TestbedState) -> None:
    path = run_dir(state.name) / "state.json"
    data = asdict(state)
    data["started_at"] = state.started_at.isoformat()
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(temporary, path)  # never a half-written state


def load_state(name: str) -> TestbedState | None:
    """The saved state of testbed ``name``; None when there is none."""
    path = run_dir(name) / "state.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text())
        return TestbedState(
            name=data["name"],
            started_at=datetime.fromisoformat(data["started_at"]),
            configuration=data["configuration"],
            topology_file=data["topology_file"],
            namespaces=list(data["namespaces"]),
            processes=[
                ProcessRecord(**{**record, "argv": tuple(record["argv"])})
                for record in data["processes"]
            ],
            controller_db=data["controller_db"],
            provider_db=data.get("provider_db"),
            route_c_home=data.get("route_c_home"),
            headend_db=data.get("headend_db"),
            route_a_meter=data.get("route_a_meter"),
        )
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: damaged testbed state ({exc})") from None

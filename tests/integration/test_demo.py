"""``make demo``'s entry point, ``hemsnet demo``: data on the dashboard within a minute, the
meter on MQTT with Home Assistant discovery (a real mosquitto), and a clean stop that leaves
nothing running and says ``offline``.

The demo needs no root; when the tests run as root it is started as ``nobody`` to prove it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.broker import Mosquitto, mosquitto, watch

__all__ = ["mosquitto"]  # the fixture, used by name

DAYS = 7
WITHIN = 60.0  # s: the promise, from start to data on the page
MIDNIGHT_FETCH = day_time(0, 7)  # the :05 fetch of the half-hour ending 00:00, and a margin


def _unprivileged() -> list[str]:
    """A command prefix that drops root, if this machine lets ``nobody`` run the venv."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        return []
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import hemsnet.cli.demo"],
        capture_output=True,
        check=False,
    )
    return prefix if probe.returncode == 0 else []


class Demo:
    def __init__(self, proc: subprocess.Popen[str], db: Path) -> None:
        self.proc = proc
        self.db = db
        self.lines: list[str] = []

    def wait_for_line(self, fragment: str, deadline: float) -> str:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())
            if fragment in line:
                return line.rstrip()
            if time.monotonic() > deadline:
                break
        assert self.proc.stderr is not None
        stderr = self.proc.stderr.read() if self.proc.poll() is not None else ""
        raise AssertionError(f"no line with {fragment!r} in time: {self.lines[-5:]} {stderr}")

    def get(self, url: str) -> Any:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return json.load(answer)


@pytest.fixture
def demo(mosquitto: Mosquitto) -> Iterator[Demo]:
    # Not pytest's tmp_path: its parents are closed to nobody.
    folder = Path(tempfile.mkdtemp(prefix="hemsnet-demo-test-"))
    folder.chmod(0o777)
    db = folder / "demo.db"
    command = [*_unprivileged(), sys.executable, "-m", "hemsnet", "demo"]
    command += ["--listen", "127.0.0.1:0", "--days", str(DAYS), "--db", str(db)]
    command += ["--mqtt", mosquitto.url]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield Demo(proc, db)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder)


def test_the_demo_shows_data_within_a_minute_and_stops_cleanly(
    demo: Demo, mosquitto: Mosquitto
) -> None:
    deadline = time.monotonic() + WITHIN
    url = demo.wait_for_line("hemsnet dashboard: http://", deadline).split()[-1]
    demo.wait_for_line("backfill done", deadline)
    with urllib.request.urlopen(url, timeout=10) as page:
        assert b"<html" in page.read().lower()
    # Yesterday's last half-hour ends at midnight; its demand is fetched at 00:05 [AIF 3.3.1].
    back = 2 if datetime.now().time() < MIDNIGHT_FETCH else 1
    yesterday = demo.get(
        f"{url}api/demand?date=" + (date.today() - timedelta(days=back)).isoformat()
    )
    assert all(slot["normal_kw"] is not None for slot in yesterday["slots"])
    energy = demo.get(f"{url}api/energy")
    full_days = [d for d in energy["days"] if d["complete"] and d["imported_kwh"]]
    assert len(full_days) >= DAYS - 1
    now = demo.get(f"{url}api/now")
    assert now["power_w"] and now["link"]["state"] == "up"
    assert time.monotonic() < deadline
    with urllib.request.urlopen(f"{url}metrics", timeout=10) as answer:
        families = {f.name: f for f in text_string_to_metric_families(answer.read().decode())}
    assert families["hemsnet_meter_energy_kwh"].samples[0].value > 0

    meter = "hemsnet/meter/__1"  # the store key ::1 as a topic level
    discovery = "homeassistant/sensor/hemsnet___1/energy_imported/config"
    wanted = (f"{meter}/power", f"{meter}/energy_imported", discovery)
    seen = asyncio.run(watch(mosquitto, lambda s: all(topic in s for topic in wanted)))
    assert int(seen[f"{meter}/power"]) == pytest.approx(now["power_w"], rel=0.5)
    assert float(seen[f"{meter}/energy_imported"]) > 0
    energy = json.loads(seen[discovery])
    assert energy["state_class"] == "total_increasing"

    port = int(url.rstrip("/").rsplit(":", 1)[1])
    demo.proc.send_signal(signal.SIGINT)
    assert demo.proc.wait(timeout=15) == 0
    assert demo.proc.stdout is not None
    assert "hemsnet demo: stopped;" in demo.proc.stdout.read()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 2):
        pass  # the dashboard is gone with it
    gone = asyncio.run(watch(mosquitto, lambda s: "hemsnet/status" in s))
    assert gone["hemsnet/status"] == b"offline"
    pgrep = ["pgrep", "-f", str(demo.db)]
    left = subprocess.run(pgrep, capture_output=True, text=True, check=False)
    assert left.stdout == ""  # no process of this demo is left

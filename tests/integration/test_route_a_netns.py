"""Route A over real UDP: ``hemsnet headend`` reads a ``hemsnet meter`` (0x0288, 600x) on a
utility link between two network namespaces into its MDMS file (A1)."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hemsnet.cli.main import main
from hemsnet.testbed.netns import Link, Namespaces

pytestmark = pytest.mark.netns

TOKEN = "acme-" + "t" * 40


def headend_config(tmp_path: Path, meter: Link, headend: Link) -> Path:
    (tmp_path / "acme.token").write_text(TOKEN + "\n")
    config = tmp_path / "headend.toml"
    config.write_text(
        '[headend]\ndb = "mdms.db"\ntimeout = 5\nhistory_days = 1\n\n'
        '[api]\nlisten = "127.0.0.1:8610"\n\n'
        '[[provider]]\nname = "acme"\ntoken_file = "acme.token"\n\n'
        f'[[meter]]\nid = "UM-0001"\naddress = "{meter.address}"\niface = "{headend.iface}"\n'
        'class = "0288"\n'
    )
    return config


def collect_once(headend: Link, config: Path) -> str:
    done = subprocess.run(
        ["ip", "netns", "exec", headend.netns, sys.executable, "-m", "hemsnet", "headend", "run",
         "--config", str(config), "--once"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def series_of(db: Path, series: str, day: date) -> list[tuple[str, int, Decimal]]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT measured_at, raw, value FROM reading WHERE meter_id = 'UM-0001' "
            "AND series = ? AND measured_at LIKE ? ORDER BY measured_at",
            (series, f"{day.isoformat()}%"),
        ).fetchall()
    return [(at, raw, Decimal(value)) for at, raw, value in rows]


FETCH = """
import json, sys, urllib.request
request = urllib.request.Request(
    "http://127.0.0.1:8610/v1/meters/UM-0001/readings?limit=100",
    headers={"Authorization": "Bearer " + sys.argv[1]},
)
print(urllib.request.urlopen(request, timeout=10).read().decode())
"""


def share_while_running(headend: Link, config: Path) -> dict[str, Any]:
    """Start ``hemsnet headend run``, fetch from its API inside its namespace, stop it."""
    run = subprocess.Popen(
        ["ip", "netns", "exec", headend.netns, sys.executable, "-m", "hemsnet", "headend", "run",
         "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert run.stdout is not None
        assert "sharing API on http://127.0.0.1:8610/" in run.stdout.readline()
        fetched = subprocess.run(
            ["ip", "netns", "exec", headend.netns, sys.executable, "-c", FETCH, TOKEN],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        run.send_signal(signal.SIGTERM)
        assert run.wait(10) == 0
        body: dict[str, Any] = json.loads(fetched.stdout)
        return body
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()


def newest(db: Path) -> datetime:
    with sqlite3.connect(db) as connection:
        (at,) = connection.execute("SELECT max(measured_at) FROM reading").fetchone()
    return datetime.fromisoformat(at)


def test_the_headend_collects_a_meter_over_the_utility_network(
    topology: Namespaces, tmp_path: Path
) -> None:
    meter_end, head_end = topology.link(topology.namespace("meter"), topology.namespace("he"))
    (tmp_path / "meter.toml").write_text('[meter]\nclass = "0288"\n')
    today = datetime.now().date()
    start = datetime(today.year, today.month, today.day) - timedelta(days=2)
    with (tmp_path / "meter.log").open("w") as log:
        meter = subprocess.Popen(
            ["ip", "netns", "exec", meter_end.netns, sys.executable, "-m", "hemsnet", "meter",
             "--iface", meter_end.iface, "--config", str(tmp_path / "meter.toml"),
             "--start", start.isoformat(), "--speed", "600", "--seed", "5"],
            stdout=subprocess.PIPE, stderr=log, text=True,
        )  # fmt: skip
        try:
            assert meter.stdout is not None
            banner = meter.stdout.readline()  # it serves once it has said so
            assert "028801" in banner, banner + (tmp_path / "meter.log").read_text()
            config = headend_config(tmp_path, meter_end, head_end)
            first = collect_once(head_end, config)
            assert first.startswith("UM-0001: ") and "new readings" in first
            # Installed two days ago, the meter has a full yesterday: the head-end read it back.
            db = tmp_path / "mdms.db"
            meter_today = newest(db).date()
            yesterday = meter_today - timedelta(days=1)
            normal = series_of(db, "energy_normal", yesterday)
            assert len(normal) == 48 and len(series_of(db, "energy_reverse", yesterday)) == 48
            assert normal[0][0] == f"{yesterday.isoformat()}T00:00:00"
            assert [v for _, _, v in normal] == sorted(v for _, _, v in normal)  # cumulative
            assert series_of(db, "energy_normal", meter_today)  # today's half-hours so far
            second = collect_once(head_end, config)  # later: only what is new, held ones kept
            assert second.startswith("UM-0001: ")
            assert series_of(db, "energy_normal", yesterday) == normal
            # The running head-end shares what it collected once the customer consented.
            grant = ["headend", "consent", "grant", "--config", str(config), "--meter", "UM-0001",
                     "--home", "h0001", "--provider", "acme", "--by", "customer h0001"]  # fmt: skip
            assert main(grant) == 0
            shared = share_while_running(head_end, config)
            assert (shared["home"], shared["readings"][0]["series"]) == ("h0001", "energy_normal")
            assert len(shared["readings"]) == 100
        finally:
            meter.kill()
            meter.wait()


def test_one_meter_serves_route_b_and_the_utility_network_from_the_same_registers(
    topology: Namespaces, tmp_path: Path
) -> None:
    """H21: ``hemsnet meter --iface B --iface U`` is one meter on two links: the controller's
    Get on Route B and the head-end's collection on the utility network read the same
    30-minute register (value and time), each answered on its own link."""
    meter_ns, he_ns, ctl_ns = (topology.namespace(n) for n in ("meter", "he", "ctl"))
    route_b, controller = topology.link(meter_ns, ctl_ns)
    utility, head_end = topology.link(meter_ns, he_ns)
    (tmp_path / "meter.toml").write_text('[meter]\nclass = "0288"\nmax_controllers = 2\n')
    start = (datetime.now() - timedelta(days=1)).replace(microsecond=0)
    with (tmp_path / "meter.log").open("w") as log:
        meter = subprocess.Popen(
            ["ip", "netns", "exec", meter_ns, sys.executable, "-m", "hemsnet", "meter",
             "--iface", route_b.iface, "--iface", utility.iface,
             "--config", str(tmp_path / "meter.toml"), "--start", start.isoformat(),
             "--seed", "7"],
            stdout=subprocess.PIPE, stderr=log, text=True,
        )  # fmt: skip
        try:
            assert meter.stdout is not None
            banner = meter.stdout.readline()
            assert f"on {route_b.iface} (" in banner and f", {utility.iface} (" in banner, banner
            got = subprocess.run(
                ["ip", "netns", "exec", ctl_ns, sys.executable, "-m", "hemsnet", "get",
                 "--iface", controller.iface, "--json", "--timeout", "5", route_b.address,
                 "028801", "EA"],
                capture_output=True, text=True, timeout=60, check=True,
            )  # fmt: skip
            (ea,) = json.loads(got.stdout)
            collect_once(head_end, headend_config(tmp_path, utility, head_end))
            at = datetime.fromisoformat(ea["value"]["at"])
            with sqlite3.connect(tmp_path / "mdms.db") as connection:
                raws = connection.execute(
                    "SELECT raw FROM reading WHERE series = 'energy_normal' AND measured_at = ?",
                    (at.isoformat(),),
                ).fetchall()
            assert raws == [(ea["value"]["value"],)]
            assert ea["value"]["value"] > 0  # a day of load: not a register that is still 0
        finally:
            meter.kill()
            meter.wait()
        assert "Traceback" not in (tmp_path / "meter.log").read_text()

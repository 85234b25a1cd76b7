"""``hemsnet conformance meter`` over real UDP between namespaces, against ``hemsnet meter``:
the start-up announcement seen, every clause judged, the reports written, exit 0."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from hemsnet.testbed.netns import Link, Namespaces, can_create_namespaces
from tests.tshark import compare, dissect, need_tshark, write_lua

pytestmark = pytest.mark.netns


@pytest.fixture
def cf_topology() -> Iterator[Namespaces]:
    """Namespaces named ``cf…``: apart from other suites' running at the same time."""
    reason = can_create_namespaces()
    if reason is not None:
        pytest.skip(reason)
    topo = Namespaces(f"cf{os.getpid() % 100000:05d}")
    try:
        yield topo
    finally:
        topo.close()


async def _spawn(link: Link, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        "ip", "netns", "exec", link.netns, sys.executable, "-m", "hemsnet", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


@pytest.mark.parametrize("meter_class", ["028F", "0288"])
def test_hemsnet_meter_conforms_over_real_udp(
    cf_topology: Namespaces, tmp_path: Path, meter_class: str
) -> None:
    meter_end, tester_end = cf_topology.link(
        cf_topology.namespace("meter"), cf_topology.namespace("tester")
    )
    report_json, report_xml = tmp_path / "report.json", tmp_path / "report.xml"
    capture = tmp_path / "run.pcapng"
    dumpcap_path = shutil.which("dumpcap")

    async def scenario() -> tuple[int, str, str]:
        dumpcap = None
        if dumpcap_path is not None:  # the run captured, for the dissector's test below
            dumpcap = await asyncio.create_subprocess_exec(
                "ip", "netns", "exec", tester_end.netns, dumpcap_path, "-i", tester_end.iface,
                "-w", str(capture), stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            assert dumpcap.stderr is not None
            while b"Capturing on" not in await asyncio.wait_for(dumpcap.stderr.readline(), 30):
                pass
        tester = await _spawn(
            tester_end, "conformance", "meter", "--iface", tester_end.iface, meter_end.address,
            "--class", meter_class, "--wait-startup", "30", "--silence-wait", "1",
            "--json", str(report_json), "--junit", str(report_xml),
        )  # fmt: skip
        meter = None
        try:
            assert tester.stderr is not None and tester.stdout is not None
            first = await asyncio.wait_for(tester.stderr.readline(), 30)
            assert b"checking meter" in first, first  # listening: now power the meter on
            # 600x: a half-hour of meter time every 3 s, the notification comes quickly
            meter = await _spawn(
                meter_end, "meter", "--iface", meter_end.iface, "--class", meter_class,
                "--speed", "600", "--seed", "5",
            )  # fmt: skip
            out, err = await asyncio.wait_for(tester.communicate(), 120)
            assert tester.returncode is not None
            if dumpcap is not None:
                dumpcap.send_signal(signal.SIGINT)  # it writes out the capture and leaves
                await asyncio.wait_for(dumpcap.wait(), 30)
            return tester.returncode, out.decode(), first.decode() + err.decode()
        finally:
            for proc in (tester, meter, dumpcap):
                if proc is not None and proc.returncode is None:
                    proc.kill()
                    await proc.wait()

    code, out, err = asyncio.run(scenario())
    assert code == 0, out + err
    assert "CONFORMS" in out
    doc: dict[str, Any] = json.loads(report_json.read_text())
    assert doc["conforms"] is True
    verdicts = {c["id"]: c["verdict"] for c in doc["clauses"]}
    assert verdicts["startup-announcement"] == "pass"
    assert verdicts["scheduled-notification"] == "pass"
    assert set(verdicts.values()) == {"pass"}
    suite = ElementTree.parse(report_xml).getroot()
    assert suite.get("failures") == "0" and int(suite.get("tests", "0")) == len(verdicts)
    assert "pass scheduled-notification" in err  # the progress, clause by clause
    # The capture of the run, in the generated dissector: every frame the tester and the
    # meter exchanged decodes as hemsnet decode --json does, the malformed probes flagged.
    need_tshark()
    dissected = dissect(capture, write_lua(tmp_path))
    assert len(dissected) > 100
    assert compare(dissected) > 100
    assert sum(f.malformed for f in dissected) == 5  # the tester's malformed probes


def test_hemsnet_controller_conforms_over_real_udp(cf_topology: Namespaces, tmp_path: Path) -> None:
    """``hemsnet conformance controller`` serves the watching meter; ``hemsnet controller`` runs
    against it, both at 600x: 75 minutes of meter time in 8 s. (0x0288: through the dongle,
    test_conformance_pty.py.)"""
    meter_class = "028F"
    meter_end, ctl_end = cf_topology.link(
        cf_topology.namespace("watch"), cf_topology.namespace("ctl")
    )
    report_json = tmp_path / "report.json"

    async def scenario() -> tuple[int, str, str]:
        watch = await _spawn(
            meter_end, "conformance", "controller", "--iface", meter_end.iface,
            "--class", meter_class, "--speed", "600", "--duration", "75", "--fault-at", "40",
            "--fault-minutes", "20",
            "--json", str(report_json),
        )  # fmt: skip
        controller = await _spawn(
            ctl_end, "controller", "--iface", ctl_end.iface, "--speed", "600",
            "--db", str(tmp_path / "ctl.db"),
        )  # fmt: skip
        try:
            out, err = await asyncio.wait_for(watch.communicate(), 120)
            assert watch.returncode is not None
            return watch.returncode, out.decode(), err.decode()
        finally:
            for proc in (watch, controller):
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()

    code, out, err = asyncio.run(scenario())
    assert code == 0, out + err
    doc: dict[str, Any] = json.loads(report_json.read_text())
    verdicts = {c["id"]: c["verdict"] for c in doc["clauses"]}
    assert set(verdicts.values()) == {"pass"}, out
    assert len(verdicts) == 12

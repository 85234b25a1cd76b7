"""``hemsnet conformance controller --pty``: the watching meter behind an emulated Wi-SUN dongle
on a pseudo-terminal, and ``hemsnet controller --dongle`` talking to it through SKSTACK IP."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hemsnet.cli.dongle import DEFAULT_ID, DEFAULT_PASSWORD

SPEED = "600"


def test_hemsnet_controller_through_a_dongle_conforms_with_a_low_voltage_meter(
    tmp_path: Path,
) -> None:
    for name, secret in (("id", DEFAULT_ID), ("pw", DEFAULT_PASSWORD)):
        (tmp_path / name).write_text(secret + "\n")
        (tmp_path / name).chmod(0o600)
    link, report = tmp_path / "wisun", tmp_path / "report.json"
    watch = subprocess.Popen(
        [sys.executable, "-m", "hemsnet", "conformance", "controller", "--pty", "--link",
         str(link), "--class", "0288", "--speed", SPEED, "--duration", "75", "--fault-at", "40",
         "--fault-minutes", "20",
         "--json", str(report)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    controller = None
    try:
        assert watch.stderr is not None
        lines = [watch.stderr.readline(), watch.stderr.readline()]
        assert "the dongle is" in lines[1], lines
        controller = subprocess.Popen(
            [sys.executable, "-m", "hemsnet", "controller", "--dongle", str(link),
             "--routeb-id-file", str(tmp_path / "id"), "--routeb-password-file",
             str(tmp_path / "pw"), "--db", str(tmp_path / "ctl.db"), "--speed", SPEED],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        out, err = watch.communicate(timeout=120)
    finally:
        for proc in (watch, controller):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    assert watch.returncode == 0, out + err
    verdicts = {c["id"]: c["verdict"] for c in json.loads(report.read_text())["clauses"]}
    assert set(verdicts.values()) == {"pass"}, out


def test_a_meter_through_a_dongle_conforms(tmp_path: Path) -> None:
    """``hemsnet conformance meter --dongle``: scan, join, then every clause, over SKSTACK IP."""
    for name, secret in (("id", DEFAULT_ID), ("pw", DEFAULT_PASSWORD)):
        (tmp_path / name).write_text(secret + "\n")
        (tmp_path / name).chmod(0o600)
    link, report = tmp_path / "wisun", tmp_path / "report.json"
    dongle = subprocess.Popen(
        [sys.executable, "-m", "hemsnet", "dongle", "--pty", "--link", str(link), "--speed",
         SPEED],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert dongle.stdout is not None
        assert "hemsnet dongle: SKSTACK IP" in dongle.stdout.readline()
        tester = subprocess.run(
            [sys.executable, "-m", "hemsnet", "conformance", "meter", "--dongle", str(link),
             "--routeb-id-file", str(tmp_path / "id"), "--routeb-password-file",
             str(tmp_path / "pw"), "--silence-wait", "1", "--json", str(report)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        dongle.kill()
        dongle.wait()
    assert tester.returncode == 0, tester.stdout + tester.stderr
    doc = json.loads(report.read_text())
    verdicts = {c["id"]: c["verdict"] for c in doc["clauses"]}
    assert verdicts["scheduled-notification"] == "pass"
    # The emulated meter announces itself as the dongle joins its PAN: seen at start-up.
    assert set(verdicts.values()) == {"pass"}
    assert doc["conforms"] is True

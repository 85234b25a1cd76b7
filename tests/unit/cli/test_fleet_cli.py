"""``hemsnet fleet``: what it refuses (one line, exit 2) and a simulation into a folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hemsnet.cli.main import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--homes", "0"], "--homes: give 1..100000"),
        (["--hours", "0", "--broker", "mqtt://h"], "--hours: give more than 0 and at most 744"),
        ([], "--mode backlog needs --broker"),
        (["--mode", "live"], "--mode live needs --broker"),
        (["--speed", "60", "--broker", "mqtt://h"], "--speed: a positive factor, for --mode live"),
        (["--broker", "http://h"], "--broker: 'http://h': the URL must start with mqtt://"),
        (
            ["--mode", "replay", "--broker", "mqtt://h"],
            "--mode replay sends what a --mode simulate left: give its --folder",
        ),
    ],
)
def test_refused(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fleet", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_simulate_leaves_a_store_per_home(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["fleet", "--mode", "simulate", "--homes", "3", "--hours", "1", "--folder"]
    assert main([*argv, str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["homes"] == 3 and result["records"] == 0  # nothing sent
    assert sorted(p.name for p in tmp_path.glob("*.db")) == ["h00000.db", "h00001.db", "h00002.db"]

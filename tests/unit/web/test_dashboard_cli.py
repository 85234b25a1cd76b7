"""``hemsnet dashboard``: errors through ``main``, and a real process serving a store."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from hemsnet.cli.main import main
from hemsnet.web.app import bind
from hemsnet.web.config import Listen
from tests.unit.web.stored import KEY, Stored


def test_a_missing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dashboard", "--db", str(tmp_path / "none.db"), "--listen", "127.0.0.1:0"]) == 2
    error = capsys.readouterr().err
    assert error == (
        f"hemsnet dashboard: no such database: {tmp_path / 'none.db'}; start the controller first\n"
    )
    assert not (tmp_path / "none.db").exists()


def test_a_port_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Stored(tmp_path / "hemsnet.db").close()
    with bind(Listen("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        code = main(
            ["dashboard", "--db", str(tmp_path / "hemsnet.db"), "--listen", f"127.0.0.1:{port}"]
        )
    assert code == 2
    error = capsys.readouterr().err
    assert error.startswith(f"hemsnet dashboard: cannot listen on 127.0.0.1:{port}: ")
    assert error.count("\n") == 1


def test_a_bad_listen_and_a_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["dashboard", "--db", "x.db", "--listen", "localhost:80"])
    assert caught.value.code == 2
    assert "'localhost' is not an IP address" in capsys.readouterr().err
    config = tmp_path / "ctl.toml"
    config.write_text("[dashboard]\nalarm = 0.5\n")
    assert main(["dashboard", "--db", "x.db", "--config", str(config)]) == 2
    assert "dashboard.alarm: 0.5 is out of range" in capsys.readouterr().err


def test_serves_until_interrupted_with_a_token_beyond_loopback(tmp_path: Path) -> None:
    Stored(tmp_path / "hemsnet.db").close()
    command = [sys.executable, "-m", "hemsnet", "dashboard", "--db", str(tmp_path / "hemsnet.db")]
    with subprocess.Popen(
        [*command, "--listen", "0.0.0.0:0"], stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the server listens
        found = re.fullmatch(r"hemsnet dashboard: http://0\.0\.0\.0:(\d+)/\?token=(\S+)\n", line)
        assert found is not None, line
        port, token = found.groups()
        url = f"http://127.0.0.1:{port}/api/meters?token={token}"
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert json.load(answer)["meters"][0]["key"] == KEY
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/meters", timeout=10)
        assert refused.value.code == 401
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0

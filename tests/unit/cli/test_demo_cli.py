"""``hemsnet demo``'s refusals: one line and exit 2, before anything starts."""

from __future__ import annotations

import socket

import pytest

from hemsnet.cli.main import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--listen", "0.0.0.0:8080"], "the demo serves this host only"),
        (["--days", "0"], "--days 0: give 1..45"),
        (["--days", "46"], "--days 46: give 1..45"),
    ],
)
def test_bad_options_are_refused(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", *argv]) == 2
    assert message in capsys.readouterr().err


def test_a_port_in_use_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        assert main(["demo", "--listen", f"127.0.0.1:{port}"]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err

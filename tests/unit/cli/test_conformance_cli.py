"""``hemsnet conformance`` and ``hemsnet dissector``: user errors are one line, exit 2."""

from __future__ import annotations

import pytest

from hemsnet.cli.main import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["conformance", "meter"], "give --iface IF ADDR, or --dongle PATH"),
        (["conformance", "meter", "fe80::1"], "give --iface IF ADDR, or --dongle PATH"),
        (["conformance", "meter", "--iface", "cf-none0", "fe80::1"], "no network interface"),
        (
            ["conformance", "meter", "--dongle", "/dev/null", "fe80::1"],
            "give --routeb-id-file FILE",
        ),
        (["conformance", "controller"], "give --iface IF or --pty"),
        (["conformance", "controller", "--iface", "x", "--pty"], "give --iface IF or --pty"),
        (
            ["conformance", "controller", "--pty", "--fault-at", "170", "--duration", "180"],
            "must end before --duration",
        ),
    ],
)
def test_a_user_error_is_one_line(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HEMSNET_ROUTEB_ID", raising=False)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(
    "argv",
    [
        ["conformance", "meter", "--wait-startup", "-1"],
        ["conformance", "meter", "--silence-wait", "x"],
        ["conformance", "controller", "--duration", "0"],
        ["conformance", "meter", "--class", "0281"],
    ],
)
def test_bad_numbers_and_choices_are_argparse_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_the_dissector_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dissector"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("-- ECHONET Lite dissector for Wireshark")
    assert "CLASSES[0x028F]" in out and "CLASSES[0x0288]" in out

"""``hemsnet headend consent`` and ``audit``, and the configuration's one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hemsnet.cli.main import main
from hemsnet.routea.headend.config import load_headend
from hemsnet.routea.provider_side.config import load_provider_route_a

TOKEN = "acme-" + "t" * 40
METER = '[[meter]]\nid = "UM-1"\naddress = "::1"\niface = "lo"\n'
PROVIDER = '[[provider]]\nname = "acme"\ntoken_file = "acme.token"\n'


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "acme.token").write_text(TOKEN + "\n")
    path = tmp_path / "headend.toml"
    path.write_text(f"{PROVIDER}\n{METER}")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_consent_is_granted_revoked_and_listed(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    who = ["--meter", "UM-1", "--provider", "acme", "--by", "customer h1"]
    code, out, _ = run(capsys, "headend", "consent", "grant", "--config", str(config),
                       "--home", "h1", *who)  # fmt: skip
    assert code == 0 and out.startswith("consent 1: UM-1 of home h1 to acme, on since ")
    code, _, err = run(capsys, "headend", "consent", "grant", "--config", str(config),
                       "--home", "h1", *who)  # fmt: skip
    assert code == 2 and "already on record" in err and len(err.splitlines()) == 1
    code, out, _ = run(capsys, "headend", "consent", "revoke", "--config", str(config), *who)
    assert code == 0 and "sharing stopped (what was shared before stays shared)" in out
    code, _, err = run(capsys, "headend", "consent", "revoke", "--config", str(config), *who)
    assert code == 2 and "no consent" in err and "consent list" in err
    code, out, _ = run(capsys, "headend", "consent", "list", "--config", str(config), "--json")
    [consent] = json.loads(out)
    assert (consent["on"], consent["granted_by"], consent["revoked_by"]) == (
        False, "customer h1", "customer h1"
    )  # fmt: skip
    code, out, _ = run(capsys, "headend", "audit", "--config", str(config))
    assert code == 0 and out == ""


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (f'{METER}[[provider]]\nname = "acme"\ntoken_file = "missing"\n', "cannot read"),
        (f'{METER}[[provider]]\nname = "acme"\ntoken_file = "short.token"\n', "at least 32"),
        ('[[meter]]\nid = "UM-1"\naddress = "meter"\niface = "lo"\n', "not an IP address"),
        (f'{METER}[[meter]]\nid = "UM-1"\naddress = "::2"\niface = "lo"\n', "appears twice"),
        (f'{METER}class = "0281"\n', "is not 0288 or 028F"),
        ("[headend]\nhistory_days = 100\n", "out of range"),
        ('[api]\nlisten = "::1:80"\n', "brackets"),
        ('[headend]\ninterval = "5m"\n', "expected a number"),
        ("[headed]\n", "did you mean 'headend'"),
    ],
)
def test_a_bad_configuration_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, error: str
) -> None:
    (tmp_path / "short.token").write_text("short")
    path = tmp_path / "headend.toml"
    path.write_text(text)
    code, _, err = run(capsys, "headend", "consent", "list", "--config", str(path))
    assert code == 2 and error in err and len(err.splitlines()) == 1, err


def test_run_without_meters_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "headend.toml"
    path.write_text("")
    code, _, err = run(capsys, "headend", "run", "--config", str(path), "--once")
    assert code == 2 and "no [[meter]]" in err


def test_the_examples_load(tmp_path: Path) -> None:
    examples = Path(__file__).parents[3] / "examples"
    (tmp_path / "acme.token").write_text(TOKEN)
    for name in ("headend.toml", "route-a.toml"):
        (tmp_path / name).write_text((examples / name).read_text())
    headend = load_headend(tmp_path / "headend.toml")
    assert [m.meter_id for m in headend.meters] == ["UM-0001"]
    assert "t" * 40 not in repr(headend)
    provider = load_provider_route_a(tmp_path / "route-a.toml")
    assert provider.meters[0].route_b == "fe80::21d:12ff:fe34:5678"
    assert "t" * 40 not in repr(provider)

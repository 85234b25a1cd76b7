"""``[routec]``: the Route C uplink's table of the controller's TOML file, and the TLS context
its broker gets (real certificate files made by openssl)."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hemsnet.cli.main import main
from hemsnet.errors import ConfigError
from hemsnet.uplink.config import Broker
from hemsnet.uplink.mqtt import MqttLink, tls_context
from hemsnet.uplink.routec_config import PASSWORD_ENV, RouteCConfig, parse_routec


def parsed(table: dict[str, Any], environ: dict[str, str] | None = None) -> RouteCConfig:
    return parse_routec({"routec": table}, "home.toml", environ or {})


@pytest.fixture
def password(tmp_path: Path) -> Path:
    path = tmp_path / "password"
    path.write_text("s3cret\n")
    return path


def test_no_table_or_no_url_is_no_route_c() -> None:
    assert parse_routec({}, environ={}) == RouteCConfig()
    assert parsed({"batch_size": 100}).broker is None


def test_a_full_table(password: Path, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("")
    config = parsed(
        {
            "url": "mqtts://provider.example",
            "home": "h0001",
            "password_file": str(password),
            "ca_file": str(ca),
            **{"batch_size": 200, "window": 8, "ack_timeout": 10, "max_backlog": 100_000},
        }
    )
    assert config == RouteCConfig(
        Broker("provider.example", 8883, True, "h0001", "s3cret", str(ca)),
        "h0001",
        batch_size=200,
        window=8,
        ack_timeout=10.0,
        max_backlog=100_000,
    )
    assert config.client_id == "hemsnet-home-h0001"
    assert config.topic("up/batch") == "hemsnet/v1/home/h0001/up/batch"
    assert "s3cret" not in str(config.broker)


def test_the_password_may_come_from_the_environment() -> None:
    config = parsed({"url": "mqtts://p", "home": "h1"}, {PASSWORD_ENV: "from-env"})
    assert config.broker is not None and config.broker.password == "from-env"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"url": "http://p", "home": "h1"}, "routec.url: 'http://p': the URL must start with"),
        ({"url": "mqtts://u:pw@p", "home": "h1"}, "routec.url: no user in the URL"),
        ({"url": "mqtts://p", "home": "h/1"}, "routec.home: 'h/1' is not 1 to 64 letters"),
        ({"url": "mqtts://p", "home": "h" * 65}, "is not 1 to 64 letters"),
        ({"url": "mqtts://p", "home": "h1"}, f"give a file, or {PASSWORD_ENV}"),
        ({"url": "mqtts://p", "home": "h1", "ca_file": "/nonexistent"}, "cannot be read"),
        ({"url": "mqtts://p", "home": "h1", "password_file": "/nonexistent"}, "No such file"),
        ({"batch_size": 501}, "routec.batch_size: 501 is out of range"),
        ({"max_backlog": 10}, "routec.max_backlog: 10 is out of range"),
        ({"window": 0}, "routec.window: 0 is out of range"),
        ({"window": 10, "max_backlog": 9999}, "9999 is less than twice what may be in flight"),
        ({"ack_timeout": 0}, "routec.ack_timeout: 0 is out of range"),
        ({"topic": "x"}, "routec.topic: unknown key"),
    ],
)
def test_what_is_wrong_is_named(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        parsed(table)


def test_a_client_certificate_needs_its_key_and_tls(password: Path) -> None:
    base = {"url": "mqtts://p", "home": "h1", "password_file": str(password)}
    with pytest.raises(ConfigError, match="needs its key_file"):
        parsed({**base, "cert_file": str(password)})
    with pytest.raises(ConfigError, match="must be mqtts://"):
        parsed({**base, "url": "mqtt://p", "ca_file": str(password)})


def test_tls_takes_the_ca_and_the_client_certificate(tmp_path: Path) -> None:
    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1")
    files = ("-keyout", "home.key", "-out", "home.crt", "-subj", "/CN=h1")
    subprocess.run(
        ["openssl", "req", "-x509", *key, *files],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    crt, key_file = str(tmp_path / "home.crt"), str(tmp_path / "home.key")
    broker = Broker("p", 8883, True, "h1", "pw", crt, crt, key_file)
    context = tls_context(broker)
    assert context is not None and context.verify_mode is ssl.CERT_REQUIRED
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "h1"),),)]
    assert tls_context(Broker("p", 1883)) is None
    with pytest.raises(ssl.SSLError):  # a certificate that is not its key's
        MqttLink(Broker("p", 8883, True, cert_file=crt, key_file=crt), client_id="t")


def test_the_controller_refuses_a_bad_routec_table_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "hemsnet.toml"
    config.write_text('[routec]\nurl = "mqtts://provider"\nhome = "no spaces"\n')
    assert main(["controller", "--config", str(config), "--iface", "lo"]) == 2
    assert capsys.readouterr().err == (
        f"hemsnet controller: {config}: routec.home: 'no spaces' is not 1 to 64 letters, "
        "digits, _ and -\n"
    )

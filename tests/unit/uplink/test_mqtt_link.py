"""The MQTT link's policy while the broker is away, and its URLs and ``[mqtt]`` table; the
broker itself is in tests/integration/test_mqtt.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from hemsnet.echonet.eoj import Eoj
from hemsnet.errors import ConfigError
from hemsnet.uplink.config import (
    Broker,
    Controllable,
    MqttConfig,
    parse_broker,
    parse_mqtt,
    with_url,
)
from hemsnet.uplink.mqtt import MqttLink


def link(limit: int = 3) -> MqttLink:
    return MqttLink(Broker("127.0.0.1", 1883), client_id="t", queue_limit=limit)


def test_while_away_a_retained_topic_keeps_its_latest_value_only() -> None:
    away = link()
    away.publish("a", "1", retain=True)
    away.publish("b", "x", retain=True)
    away.publish("a", "2", retain=True)
    assert away.retained("a") == b"2"
    assert away.retained("b") == b"x"
    assert away.dropped == 0


def test_while_away_events_queue_up_to_the_limit_and_the_oldest_go() -> None:
    away = link(limit=3)
    for n in range(5):
        away.publish("event", str(n))
    assert away.dropped == 2
    assert [m.payload for m in away._events] == [b"2", b"3", b"4"]


@pytest.mark.parametrize(
    ("text", "broker"),
    [
        ("mqtt://127.0.0.1", Broker("127.0.0.1", 1883)),
        ("mqtts://broker.lan:8884", Broker("broker.lan", 8884, tls=True)),
        ("mqtt://u:p%40ss@[::1]:1884/", Broker("::1", 1884, False, "u", "p@ss")),
    ],
)
def test_broker_urls(text: str, broker: Broker) -> None:
    assert parse_broker(text) == broker


def test_the_password_never_shows() -> None:
    assert str(parse_broker("mqtt://u:secret@h")) == "mqtt://u@h:1883"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("http://h", "mqtt:// or mqtts://"),
        ("mqtt://", "no host"),
        ("mqtt://h/topic", "no path"),
        ("mqtt://h:99999", "port"),
    ],
)
def test_bad_broker_urls(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_broker(text)


def test_the_mqtt_table(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret\n")
    config = parse_mqtt(
        {
            "mqtt": {
                "url": "mqtt://hems@10.0.0.2",
                "password_file": str(secret),
                "topic_prefix": "home/hems",
                "discovery_prefix": "",
                "qos": 0,
                "controllable": ["013001", "027D01@fe80::5:1"],
            }
        },
        "hemsnet.toml",
    )
    assert config.broker == Broker("10.0.0.2", 1883, False, "hems", "s3cret")
    assert (config.topic_prefix, config.discovery_prefix, config.qos) == ("home/hems", "", 0)
    aircon, battery = Eoj(0x01, 0x30, 0x01), Eoj(0x02, 0x7D, 0x01)
    assert config.controllable == (Controllable(aircon), Controllable(battery, "fe80::5:1"))
    assert config.allows("fe80::9", aircon)
    assert config.allows("fe80::5:1", battery)
    assert not config.allows("fe80::9", battery)
    # --mqtt names another broker: the password file still logs in
    assert with_url(config, "mqtt://hems@h2").broker == Broker("h2", 1883, False, "hems", "s3cret")


def test_no_table_no_mqtt() -> None:
    assert parse_mqtt({}) == MqttConfig()


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ({"url": "tcp://h"}, "hemsnet.toml: mqtt.url: 'tcp://h': the URL must start with"),
        ({"qos": 2}, "mqtt.qos: 2 is out of range"),
        ({"topic_prefix": "a/#"}, "mqtt.topic_prefix: 'a/#' is not a topic"),
        ({"controllable": ["0130"]}, "mqtt.controllable: '0130': an EOJ is 3 bytes"),
        ({"controllable": ["013000"]}, "name one object"),
        ({"password_file": "/nonexistent"}, "mqtt.password_file: /nonexistent:"),
        ({"uri": "mqtt://h"}, "mqtt.uri: unknown key (did you mean 'url'?)"),
    ],
)
def test_refusals_name_the_key(table: dict[str, object], says: str) -> None:
    with pytest.raises(ConfigError, match=f"^.*{says.replace('(', '.').replace(')', '.')}"):
        parse_mqtt({"mqtt": table}, "hemsnet.toml")


def test_unsent_counts_the_events_waiting_not_the_retained_states() -> None:
    away = link(limit=3)
    away.publish("state", "on", retain=True)
    assert away.unsent == 0
    for n in range(5):
        away.publish("event", str(n))
    assert away.unsent == 3

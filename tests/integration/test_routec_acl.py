"""Per-home credentials and the broker's ACL for Route C (docs/route-c.md, "Identity"), on a
real mosquitto with TLS, a password file and examples/routec/acl: a home publishes under its
own topics only, reads only its own acks, and cannot log in as another home."""

from __future__ import annotations

import asyncio
import ssl
from typing import Final

import aiomqtt
import pytest

from tests.broker import ROUTEC_USERS, WITHIN, ProviderBroker, provider_broker

__all__ = ["provider_broker"]  # the fixture, used by name

USERS: Final = ROUTEC_USERS
UP: Final = "hemsnet/v1/home/{}/up/batch"
ACK: Final = "hemsnet/v1/home/{}/down/ack"


def client(broker: ProviderBroker, user: str, password: str | None = None) -> aiomqtt.Client:
    return broker.client(user, USERS[user] if password is None else password)


async def received_until(messages: aiomqtt.Client, last_topic: str) -> list[tuple[str, bytes]]:
    """Every message up to the first on ``last_topic``, within WITHIN seconds."""
    got: list[tuple[str, bytes]] = []
    async with asyncio.timeout(WITHIN):
        async for message in messages.messages:
            assert isinstance(message.payload, bytes)
            got.append((message.topic.value, message.payload))
            if message.topic.value == last_topic:
                return got
    raise AssertionError("the subscription ended")


def test_a_home_reaches_the_provider_only_under_its_own_topics(
    provider_broker: ProviderBroker,
) -> None:
    async def main() -> list[tuple[str, bytes]]:
        async with (
            client(provider_broker, "provider") as provider,
            client(provider_broker, "h1") as h1,
        ):
            await provider.subscribe("hemsnet/v1/home/+/up/#", qos=1)
            await h1.publish(UP.format("h2"), b"forged", qos=1)  # refused by the ACL
            await h1.publish("hemsnet/v1/home/h2/up/state", b"forged", qos=1, retain=True)
            await h1.publish(UP.format("h1"), b"mine", qos=1)  # after them on one connection
            return await received_until(provider, UP.format("h1"))

    assert asyncio.run(main()) == [(UP.format("h1"), b"mine")]


def test_a_home_reads_its_own_acks_and_no_one_elses(provider_broker: ProviderBroker) -> None:
    async def main() -> list[tuple[str, bytes]]:
        async with (
            client(provider_broker, "provider") as provider,
            client(provider_broker, "h1") as h1,
        ):
            await h1.subscribe("hemsnet/#", qos=1)  # asks for all: gets only what it may read
            await h1.subscribe(ACK.format("h2"), qos=1)
            await h1.publish(ACK.format("h1"), b"self-ack", qos=1)  # a home cannot ack itself
            await provider.publish(ACK.format("h2"), b"for h2", qos=1)
            await provider.publish(ACK.format("h1"), b"for h1", qos=1)
            return await received_until(h1, ACK.format("h1"))

    assert asyncio.run(main()) == [(ACK.format("h1"), b"for h1")]


@pytest.mark.parametrize(
    ("user", "password"),
    [("h2", USERS["h1"]), ("h1", "guess"), ("", USERS["h1"])],
    ids=["another-home-with-my-password", "wrong-password", "no-user"],
)
def test_a_home_presenting_another_identity_is_refused(
    provider_broker: ProviderBroker, user: str, password: str
) -> None:
    async def main() -> None:
        async with provider_broker.client(user, password):
            pass

    with pytest.raises(aiomqtt.MqttError, match=r"[Nn]ot authori[sz]ed|[Bb]ad user"):
        asyncio.run(main())


def test_a_broker_not_signed_by_the_trusted_ca_is_refused(provider_broker: ProviderBroker) -> None:
    async def main() -> None:
        system_cas = ssl.create_default_context()  # not the provider's CA
        async with aiomqtt.Client(
            "127.0.0.1",
            provider_broker.port,
            username="h1",
            password=USERS["h1"],
            tls_context=system_cas,
        ):
            pass

    with pytest.raises(aiomqtt.MqttError, match="CERTIFICATE_VERIFY_FAILED"):
        asyncio.run(main())

"""A small hand-made topology for the testbed's unit tests: a meter and a TV on the home
network, a gateway routing home to the WAN, a provider on the WAN."""

from __future__ import annotations

from hemsnet.homenet import (
    Attachment,
    Component,
    ComponentKind,
    Network,
    NetworkKind,
    PathRule,
    Protocol,
    Route,
    Topology,
)

SMALL = Topology(
    name="small",
    configuration="6.4.1",
    components=(
        Component("meter", ComponentKind.SMART_METER),
        Component("tv", ComponentKind.NON_HEMS_APPLIANCE),
        Component("gw", ComponentKind.HOME_GATEWAY),
        Component("provider", ComponentKind.HEMS_PROVIDER),
    ),
    networks=(
        Network("home", NetworkKind.GENERAL_PURPOSE_HOME),
        Network("wan", NetworkKind.GENERAL_PURPOSE),
    ),
    attachments=(
        Attachment("meter", "home"),
        Attachment("tv", "home"),
        Attachment("gw", "home"),
        Attachment("gw", "wan"),
        Attachment("provider", "wan"),
    ),
    routes=(Route("gw", ("home", "wan")),),
)

#: Two forbidden paths: one on a shared link, one through the gateway; and one allowed.
SMALL_RULES = (
    PathRule("tv", "meter", Protocol.ECHONET_UNICAST, False, ("home",), "G.9958 3.2.1.5"),
    PathRule("meter", "provider", Protocol.ICMPV6, False, ("home", "wan"), "G.9958 6.4.1"),
    PathRule("meter", "provider", Protocol.ECHONET_MULTICAST, False, (), "G.9958 6.4.1"),
    PathRule("tv", "provider", Protocol.ECHONET_UNICAST, True, ("home", "wan"), "G.9958 6.4.1"),
)

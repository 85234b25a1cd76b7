"""Route A in the testbed, without namespaces: which meter the head-end reads over which
network, the meter's peers and interfaces, the head-end's configuration, token and consent
(H21, H22, H23)."""

from __future__ import annotations

import stat
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from hemsnet.homenet import CONFIGURATIONS, reference_topology
from hemsnet.meter.config import load_config
from hemsnet.routea.headend.config import load_headend
from hemsnet.routea.headend.store import MdmsStore, StoredReading
from hemsnet.testbed.address_plan import plan_addresses
from hemsnet.testbed.headend_stack import (
    MDMS_DB,
    TOKEN,
    grant_consent,
    headend_launch,
    write_headend_config,
)
from hemsnet.testbed.processes import METER_CONFIG, launches
from hemsnet.testbed.routea_check import HeadEndData, wait_for_headend_data
from hemsnet.testbed.routea_path import RouteA, meter_peers, route_a


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_the_headend_reads_the_meter_over_the_utility_network(configuration: str) -> None:
    """Every configuration has the meter - head-end path [G.9958 6.2(2)]."""
    topology = reference_topology(configuration)
    plan = plan_addresses(topology, "tb")
    route = route_a(topology, plan)
    with_controller = configuration != "6.2"
    assert route == RouteA(
        meter="meter",
        headend="headend",
        network="utility",
        meter_address=plan.port("meter", "utility").link_local,
        home="hems" if with_controller else "meter",  # the Route C home ID (H16)
        provider="provider",  # the model's provider in 6.4.x; where it has none, a name
    )


def test_a_model_without_a_headend_has_no_route_a() -> None:
    topology = reference_topology("6.4.3")
    plan = plan_addresses(topology, "tb")
    lacking = replace(
        topology,
        components=tuple(c for c in topology.components if c.name != "headend"),
        attachments=tuple(a for a in topology.attachments if a.component != "headend"),
    )
    assert route_a(lacking, plan) is None


@pytest.mark.parametrize(
    ("configuration", "peers"),
    [
        ("6.2", ["fe80::1:2%utility"]),
        ("6.4.3", ["fe80::2:2%routeb", "fe80::1:a%utility"]),
        ("6.4.1", ["fe80::2:2%home", "fe80::1:7%utility"]),
    ],
)
def test_the_meter_answers_its_controller_and_its_headend_only(
    configuration: str, peers: list[str], tmp_path: Path
) -> None:
    """H22: the meter's peers are fixed, so neither the head-end takes the controller's
    place nor a probe or an appliance either's; the meter's own loader accepts the table."""
    topology = reference_topology(configuration)
    plan = plan_addresses(topology, "tb")
    route = route_a(topology, plan)
    assert route is not None
    (tmp_path / "meter.toml").write_text(meter_peers(topology, plan, route))
    config = load_config(tmp_path / "meter.toml")
    assert list(config.controllers) == peers
    assert config.max_controllers == len(peers)
    assert config.meter_class == 0x028F  # the testbed's meter, as without Route A


@pytest.mark.parametrize(
    ("configuration", "ifaces"),
    [("6.2", ["utility"]), ("6.4.1", ["home", "utility"]), ("6.4.3", ["routeb", "utility"])],
)
def test_the_meter_serves_route_b_first_and_the_utility_network_too(
    configuration: str, ifaces: list[str], tmp_path: Path
) -> None:
    """H21: one meter process on both networks, Route B's interface first (its announcement
    and its controller's scope as before); the head-end is the head-end stack's, not an
    endpoint."""
    topology = reference_topology(configuration)
    route = route_a(topology, plan_addresses(topology, "tb"))
    first, last = launches(topology, tmp_path, route_a=route)
    (meter,) = [launch for launch in first if launch.component == "meter"]
    given = [meter.argv[i + 1] for i, arg in enumerate(meter.argv) if arg == "--iface"]
    assert given == ifaces
    assert meter.argv[-2:] == ("--config", str(tmp_path / METER_CONFIG))
    assert "headend" not in {launch.component for launch in first + last}
    # Without Route A, the meter is launched as it always was.
    before, _ = launches(topology, tmp_path)
    (plain,) = [launch for launch in before if launch.component == "meter"]
    assert plain.argv == ("hemsnet", "meter", "--iface", ifaces[0], "--seed", "1")
    assert any(launch.component == "headend" for launch in before)


def test_the_headend_config_loads_and_keeps_its_token_private(tmp_path: Path) -> None:
    topology = reference_topology("6.4.2")
    plan = plan_addresses(topology, "tb")
    route = route_a(topology, plan)
    assert route is not None
    folder = tmp_path / "headend"

    config_file = write_headend_config(route, folder)
    config = load_headend(config_file)  # the head-end's own loader, every key checked

    assert stat.S_IMODE((folder / TOKEN).stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert (folder / TOKEN).read_text().strip() not in config_file.read_text()
    assert config.db == folder / MDMS_DB
    assert config.listen.url(8610) == "http://127.0.0.1:8610/"  # loopback: on no network (H15)
    assert [p.name for p in config.providers] == ["provider"]
    assert [(m.meter_id, m.address, m.iface, m.class_id) for m in config.meters] == [
        ("meter", plan.port("meter", "utility").link_local, "utility", 0x028F)
    ]
    launch = headend_launch(route, config_file)
    assert (launch.component, launch.argv, launch.ready) == (
        "headend", ("hemsnet", "headend", "run", "--config", str(config_file)),
        "hemsnet headend:",
    )  # fmt: skip


def test_up_puts_the_consent_on_record(tmp_path: Path) -> None:
    """H23: sharing is on from up, for this meter and provider only, and the share is
    audited as every share is."""
    route = RouteA("meter", "headend", "utility", "fe80::1:1", "hems", "provider")
    write_headend_config(route, tmp_path / "headend")
    grant_consent(route, tmp_path / "headend")
    with MdmsStore(tmp_path / "headend" / MDMS_DB) as store:
        (consent,) = store.consents()
        assert (consent.meter_id, consent.home, consent.provider, consent.on) == (
            "meter", "hems", "provider", True,
        )  # fmt: skip
        assert consent.granted_by == "hemsnet homenet up"
        assert store.half_hours("meter") == (0, None)


def test_the_route_a_line_says_what_arrived() -> None:
    empty = HeadEndData("meter")
    assert empty.report() == "Route A: nothing from meter meter at the head-end since up"
    one = HeadEndData("meter", 1, datetime(2026, 12, 4, 9, 30))
    assert one.report() == (
        "Route A: 1 half-hour of meter meter at the head-end (latest 2026-12-04 09:30)"
    )


def test_the_check_waits_for_the_mdms_and_fails_the_line_without_data(tmp_path: Path) -> None:
    """The live check's Route A wait, on a real MDMS file: nothing is nothing (and a missing
    file is not created), a reading is seen at once."""
    db = tmp_path / MDMS_DB
    missing = wait_for_headend_data(db, HeadEndData("meter"), 0)
    assert missing.latest is None and not db.exists()
    with MdmsStore(db) as store:
        store.register_meters([("meter", 0x028F)])
    empty = wait_for_headend_data(db, HeadEndData("meter"), 0.3)
    assert (empty.half_hours, empty.latest) == (0, None)
    assert empty.report().startswith("Route A: nothing from meter meter")
    at = datetime(2026, 12, 4, 9, 30)
    with MdmsStore(db) as store:
        store.add_readings("meter", [StoredReading("energy_normal", at, 5, Decimal("0.5"))], at)
    seen = wait_for_headend_data(db, HeadEndData("meter"), 5)
    assert (seen.half_hours, seen.latest) == (1, at)

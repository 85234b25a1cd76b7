"""The six shipped topologies and the commented example conform to their configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from hemsnet.errors import ConfigError
from hemsnet.homenet import CONFIGURATIONS, ComponentKind, check, load_topology, reference_topology
from hemsnet.homenet.topology import NAME_PATTERN

EXAMPLE = Path(__file__).parents[3] / "examples" / "homenet.toml"


def test_table_1_has_six_configurations() -> None:
    assert CONFIGURATIONS == ("6.2", "6.3.1", "6.3.2", "6.4.1", "6.4.2", "6.4.3")


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_reference_topology_conforms(configuration: str) -> None:
    topology = reference_topology(configuration)
    assert topology.configuration == configuration
    assert check(topology) == []
    names = [c.name for c in topology.components] + [n.name for n in topology.networks]
    assert all(NAME_PATTERN.fullmatch(name) for name in names)


@pytest.mark.parametrize("configuration", CONFIGURATIONS[1:])
def test_reference_topology_has_a_controller_and_appliances(configuration: str) -> None:
    topology = reference_topology(configuration)
    assert len(topology.of_kind(ComponentKind.HEMS_CONTROLLER)) == 1
    assert all(c.device_class for c in topology.of_kind(ComponentKind.HEMS_APPLIANCE))
    assert topology.of_kind(ComponentKind.HEMS_APPLIANCE)


def test_unknown_reference_configuration_names_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"'6\.5' is not one of Table 1: 6\.2, 6\.3\.1"):
        reference_topology("6.5")


def test_example_file_loads_and_conforms() -> None:
    topology = load_topology(EXAMPLE)
    assert check(topology) == []
    assert topology == reference_topology(topology.configuration)

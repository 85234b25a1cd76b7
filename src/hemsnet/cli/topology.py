"""The home a ``hemsnet homenet`` command works on: a reference configuration or a file.

``paths`` and ``up`` take the same two ways of naming a topology, so they read it here, with
the same errors: a configuration that is not one of [G.9958 Table 1], a file that is missing, not
TOML or not a topology (each a one-line :class:`~hemsnet.errors.ConfigError` naming the file and
the key), or both or neither given.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hemsnet.cli.common import CliError
from hemsnet.homenet import CONFIGURATIONS, Topology, load_topology, reference_topology

__all__ = ["CONFIGURATION_NAMES", "add_topology_arguments", "topology_of"]

CONFIGURATION_NAMES = ", ".join(CONFIGURATIONS)


def add_topology_arguments(parser: argparse.ArgumentParser) -> None:
    """``CONFIG`` or ``--topology FILE``, read by :func:`topology_of`."""
    parser.add_argument(
        "configuration", nargs="?", metavar="CONFIG", help=f"one of {CONFIGURATION_NAMES}"
    )
    parser.add_argument(
        "--topology", type=Path, metavar="FILE", help="a topology TOML file instead of CONFIG"
    )


def topology_of(configuration: str | None, file: Path | None) -> Topology:
    """The reference topology of ``configuration``, or the topology in ``file``: one of them."""
    if file is None and configuration is not None:
        return reference_topology(configuration)
    if file is not None and configuration is None:
        return load_topology(file)
    raise CliError(
        f"give a configuration ({CONFIGURATION_NAMES}) or --topology FILE, not both or neither"
    )

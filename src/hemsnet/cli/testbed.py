"""``hemsnet homenet up``, ``down`` and the live ``check``: a G.9958 topology as real networks.

``up`` builds a reference configuration (or a topology file) from network namespaces, bridges
and veth links, loads the nftables rules generated from its expected paths and starts the real
processes (meter, controller, appliances, off-premises endpoints; in 6.4.x the HEMS provider's
broker, database and service, which the controller reaches over Route C). It checks the home against
G.9958 first and refuses one that does not conform, unless ``--nonconforming`` asks to build it
anyway. The live check probes every pair with every protocol and compares with the model;
``down`` removes it all.
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from pathlib import Path

from hemsnet.cli.common import EXIT_FAILED, EXIT_OK, CliError
from hemsnet.cli.configs import configs_of
from hemsnet.cli.topology import add_topology_arguments, topology_of
from hemsnet.errors import ConfigError
from hemsnet.homenet import Violation, check
from hemsnet.homenet.rules import STRUCTURE_CLAUSE
from hemsnet.testbed.lifecycle import AlreadyUp, bring_up, saved_topology, tear_down
from hemsnet.testbed.live_check import run_live_check
from hemsnet.testbed.processes import CONTROLLER_CONFIG, ProcessFailed
from hemsnet.testbed.state import check_name, load_state, run_dir
from hemsnet.tomlconfig import read_toml

__all__ = [
    "DEFAULT_NAME",
    "add_live_check_arguments",
    "add_name_argument",
    "add_testbed_commands",
    "live_check",
]

DEFAULT_NAME = "homenet"


def add_testbed_commands(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``up`` and ``down`` to the ``homenet`` actions."""
    up = actions.add_parser(
        "up",
        help="build a G.9958 configuration as live virtual networks (root)",
        description="Check the topology against G.9958 as 'check FILE' does, then build it as "
        "network namespaces joined by bridges and veth links, with the nftables rules its "
        "expected paths need, and start the meter, controller, appliances and off-premises "
        "endpoints in them; where the controller reaches the HEMS provider through the home "
        "gateway (6.4.x), the provider runs mosquitto (TLS), PostgreSQL and 'hemsnet provider' "
        "and the controller sends over Route C (needs mosquitto, PostgreSQL and psycopg; "
        "without them a one-line notice, and a packet-counting endpoint stands in). Prints "
        "what it built and the run directory; a failure removes everything again. "
        "A home that does not conform is refused (exit 2, its violations "
        "listed) unless --nonconforming is given.",
        epilog="example: sudo hemsnet homenet up 6.4.3 && sudo hemsnet homenet check",
    )
    add_topology_arguments(up)
    up.add_argument(
        "--nonconforming",
        action="store_true",
        help="build a home that breaks G.9958 rules anyway, for experiments; its violations are "
        "printed first (one that breaks the structural rules of G.9958 5 cannot be built)",
    )
    up.add_argument(
        "--controller-config",
        type=Path,
        metavar="FILE",
        help="TOML tables added to the controller's configuration, e.g. [demand] and "
        "[openadr] to reach a VTN in the HEMS provider's namespace through the home gateway",
    )
    add_name_argument(up)
    up.set_defaults(run=_run_up)
    down = actions.add_parser(
        "down",
        help="remove a testbed built by up: processes, namespaces, links, rules, run directory",
        description="Stop the testbed's processes and delete its namespaces (with their links, "
        "bridges and nftables tables) and its run directory; also removes leftovers of a "
        "crashed up found by name. Doing it twice is harmless.",
    )
    add_name_argument(down)
    down.set_defaults(run=_run_down)


def add_name_argument(parser: argparse.ArgumentParser) -> None:
    """``--name``: which testbed (``up``, ``down`` and the live ``check`` take it)."""
    parser.add_argument(
        "--name",
        type=_name,
        default=DEFAULT_NAME,
        help=f"the testbed's name, 1-16 of a-z 0-9; it prefixes its namespaces ({DEFAULT_NAME})",
    )


def add_live_check_arguments(parser: argparse.ArgumentParser) -> None:
    """The live ``check``'s options: ``--name`` and ``--wait``."""
    add_name_argument(parser)
    parser.add_argument(
        "--wait",
        type=_seconds,
        default=20.0,
        metavar="S",
        help="how long to wait for the controller's data to arrive in its store, and in the "
        "provider's database where there is Route C (20 s each)",
    )


def live_check(args: argparse.Namespace) -> int:
    """Probe the running testbed ``args.name``: exit 0 when what gets through is what the
    model expects and the controller stores data, 1 otherwise."""
    _require_root()
    state = load_state(args.name)
    if state is None:
        raise CliError(f"no testbed {args.name!r} is up (hemsnet homenet up CONFIG --name ...)")
    passed = run_live_check(state, saved_topology(state), data_seconds=args.wait, report=_print)
    _print("check passed" if passed else "check FAILED: the testbed differs from G.9958")
    return EXIT_OK if passed else EXIT_FAILED


def _run_up(args: argparse.Namespace) -> int:
    topology = topology_of(args.configuration, args.topology)
    violations = check(topology)
    if violations:
        source = args.topology or f"reference topology {topology.name}"
        headline = f"{source}: does not conform to G.9958 {topology.configuration}"
        _admit(violations, headline, nonconforming=args.nonconforming)
    extra = _controller_extra(args.controller_config)
    _require_root()
    try:
        bring_up(
            topology,
            args.name,
            topology_file=args.topology,
            report=_print,
            controller_extra=extra,
        )
    except AlreadyUp:
        raise CliError(
            f"testbed {args.name!r} is up already (hemsnet homenet down --name {args.name})"
        ) from None
    except (ProcessFailed, RuntimeError, OSError) as exc:
        raise CliError(f"up failed, everything removed again: {exc}", EXIT_FAILED) from None
    conformance = f", NOT conforming: {_count(violations)}" if violations else ""
    _print(f"testbed {args.name} ({topology.configuration}, {topology.name}{conformance}) is up; "
           f"run directory {run_dir(args.name)}")  # fmt: skip
    return EXIT_OK


def _controller_extra(path: Path | None) -> str:
    """The text of ``--controller-config``, refused at once when the controller would refuse
    it (a ConfigError naming the file and key)."""
    if path is None:
        return ""
    data = read_toml(path)
    clash = set(data) & set(tomllib.loads(CONTROLLER_CONFIG))
    if clash:
        raise ConfigError(f"{path}: the testbed sets [{'], ['.join(sorted(clash))}] itself")
    configs_of({**tomllib.loads(CONTROLLER_CONFIG), **data}, str(path))  # refused now, if so
    return path.read_text(encoding="utf-8")


def _admit(violations: list[Violation], headline: str, *, nonconforming: bool) -> None:
    """Refuse a home that breaks G.9958, listing why; with ``--nonconforming``, say so first.

    A home that breaks the structural rules [G.9958 5] (a name that refers to nothing or to two
    things, a router off a network it routes) is refused even then: it cannot be built.
    """
    unbuildable = any(v.clause == STRUCTURE_CLAUSE for v in violations)
    if nonconforming and not unbuildable:
        _print(f"WARNING: {headline}; building it anyway (--nonconforming), {_count(violations)}:")
        for violation in violations:
            _print(str(violation))
        return
    print(f"{headline}, {_count(violations)}:", file=sys.stderr)
    for violation in violations:
        print(violation, file=sys.stderr)
    if unbuildable:
        raise CliError(
            f"not built: a home that breaks the structural rules of {STRUCTURE_CLAUSE} cannot "
            "be built, even with --nonconforming"
        )
    raise CliError(
        "not built; --nonconforming builds a home that does not conform, for experiments"
    )


def _count(violations: list[Violation]) -> str:
    return f"{len(violations)} violation{'s' if len(violations) > 1 else ''}"


def _run_down(args: argparse.Namespace) -> int:
    _require_root()
    removed = tear_down(args.name)
    for line in removed:
        _print(f"removed {line}")
    _print(
        f"testbed {args.name} is down" if removed else f"no testbed {args.name!r}: nothing to do"
    )
    return EXIT_OK


def _require_root() -> None:
    if os.geteuid() != 0:
        raise CliError("needs root: it creates network namespaces, links and nftables rules")


def _name(text: str) -> str:
    try:
        return check_name(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"{text}: wait 0 to 3600 seconds")
    return value


def _print(line: str) -> None:
    print(line, flush=True)

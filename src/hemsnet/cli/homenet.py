"""``hemsnet homenet``: check a home network against ITU-T G.9958, show its expected paths."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hemsnet.cli.common import EXIT_FAILED, EXIT_OK
from hemsnet.cli.testbed import add_live_check_arguments, add_testbed_commands, live_check
from hemsnet.cli.topology import CONFIGURATION_NAMES, add_topology_arguments, topology_of
from hemsnet.homenet import PathRule, Protocol, check, diagram, expected_paths, load_topology

__all__ = ["format_paths", "register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "homenet",
        help="check a home network against ITU-T G.9958; show who may reach whom",
        description="Home networks for energy management as ITU-T G.9958 describes them: "
        f"the configurations of its Table 1 ({CONFIGURATION_NAMES}).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check_parser = actions.add_parser(
        "check",
        help="list every G.9958 rule a topology file breaks, or probe the running testbed",
        description="With FILE: print every rule of its configuration that the topology in "
        "FILE breaks; exit 0 when it conforms, 1 when it does not, 2 when FILE is unusable. "
        "Without FILE (root): probe the testbed 'up' built, every ordered pair of components "
        "with ECHONET Lite unicast, multicast and ICMPv6; print the observed matrix beside "
        "the expected one and check that the controller's store is filling and, in 6.4.x, that "
        "its readings reach the provider's database over Route C and that only the controller "
        "opens the provider's broker port; exit 1 on any difference.",
    )
    check_parser.add_argument(
        "file",
        type=Path,
        nargs="?",
        metavar="FILE",
        help="a topology TOML file (omit it to probe the running testbed)",
    )
    add_live_check_arguments(check_parser)
    check_parser.set_defaults(run=_run_check)
    paths_parser = actions.add_parser(
        "paths",
        help="show the communication matrix a configuration expects",
        description="For every ordered pair of components and every protocol: may packets "
        "get through, over which networks, and which clause says so.",
    )
    add_topology_arguments(paths_parser)
    output = paths_parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="one JSON object per path rule")
    output.add_argument("--mermaid", action="store_true", help="the topology as a Mermaid chart")
    paths_parser.set_defaults(run=_run_paths)
    add_testbed_commands(actions)


def _run_check(args: argparse.Namespace) -> int:
    if args.file is None:
        return live_check(args)
    topology = load_topology(args.file)
    violations = check(topology)
    for violation in violations:
        print(violation)
    if violations:
        return EXIT_FAILED
    print(f"{args.file}: conforms to G.9958 {topology.configuration}")
    return EXIT_OK


def format_paths(rules: list[PathRule]) -> str:
    """One aligned row per ordered pair: each protocol's verdict, the path, the clause."""
    by_pair: dict[tuple[str, str], dict[Protocol, PathRule]] = {}
    for rule in rules:
        by_pair.setdefault((rule.source, rule.target), {})[rule.protocol] = rule
    header = ["source", "target", *(p.value for p in Protocol), "via", "clause"]
    rows = [header]
    for (source, target), verdicts in by_pair.items():
        unicast = verdicts[Protocol.ECHONET_UNICAST]
        rows.append(
            [
                source,
                target,
                *("yes" if verdicts[p].allowed else "no" for p in Protocol),
                " > ".join(unicast.via) or "-",
                unicast.clause,
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _run_paths(args: argparse.Namespace) -> int:
    topology = topology_of(args.configuration, args.topology)
    if args.mermaid:
        print(diagram(topology), end="")
        return EXIT_OK
    rules = expected_paths(topology)
    if args.json:
        for rule in rules:
            record = {
                "source": rule.source,
                "target": rule.target,
                "protocol": rule.protocol.value,
                "allowed": rule.allowed,
                "via": list(rule.via),
                "clause": rule.clause,
            }
            print(json.dumps(record))
        return EXIT_OK
    print(f"{topology.name}: G.9958 {topology.configuration}, via = the networks crossed")
    print(format_paths(rules))
    return EXIT_OK

"""``up`` and ``down`` of a G.9958 testbed: networks, firewall, processes, run directory.

``up`` keeps its state in ``/run/hemsnet/homenet-<name>/state.json`` as it goes and takes
down whatever it made when any step fails. ``down`` works from that state and from the name
prefix (a namespace ``<name>`` or ``<name>-*`` with no state is a leftover of a crashed
``up``): it stops the processes, deletes the namespaces (their links, bridges and nft tables
go with them) and removes the run directory. Running it twice is harmless.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tomllib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from hemsnet.errors import ConfigError
from hemsnet.homenet import Topology, expected_paths, load_topology, reference_topology
from hemsnet.testbed.address_plan import AddressPlan, plan_addresses
from hemsnet.testbed.firewall import render_rulesets
from hemsnet.testbed.headend_stack import (
    MDMS_DB,
    grant_consent,
    headend_launch,
    write_headend_config,
)
from hemsnet.testbed.homenet_build import (
    build_networks,
    delete_namespaces,
    leftover_namespaces,
    load_rules,
    namespace_pids,
)
from hemsnet.testbed.processes import (
    CONTROLLER_CONFIG,
    METER_CONFIG,
    Launch,
    alive,
    launches,
    start,
    stop,
    wait_started,
)
from hemsnet.testbed.provider_stack import ProviderStack, prepare_stack, stack_missing
from hemsnet.testbed.routea_path import RouteA, meter_peers, route_a
from hemsnet.testbed.routec_path import RouteC, route_c
from hemsnet.testbed.state import TestbedState, load_state, run_dir, save_state

__all__ = ["AlreadyUp", "bring_up", "saved_topology", "tear_down"]

TOPOLOGY_COPY = "topology.toml"
HEADEND_FOLDER = "headend"


class AlreadyUp(Exception):
    """A testbed of that name exists (a state or namespaces)."""


def bring_up(
    topology: Topology,
    name: str,
    *,
    topology_file: Path | None,
    report: Callable[[str], None],
    controller_extra: str = "",
) -> TestbedState:
    """Build ``topology`` as testbed ``name``; on any failure, remove what was made.
    ``controller_extra``: TOML tables added to the controller's configuration."""
    if load_state(name) is not None or leftover_namespaces(name):
        raise AlreadyUp(name)
    plan = plan_addresses(topology, name)
    route = route_c(topology, plan)
    rulesets = render_rulesets(topology, plan, expected_paths(topology), route)
    provider = _real_provider(route, controller_extra, report)
    directory = run_dir(name)
    utility = route_a(topology, plan)
    first, last = launches(
        topology,
        directory,
        real_provider=None if provider is None else provider.provider,
        route_a=utility,
    )
    directory.mkdir(parents=True)
    state = TestbedState(
        name=name,
        started_at=datetime.now().replace(microsecond=0),
        configuration=None if topology_file else topology.configuration,
        topology_file=None if topology_file is None else TOPOLOGY_COPY,
    )
    try:
        save_state(state)
        if topology_file is not None:
            shutil.copyfile(topology_file, directory / TOPOLOGY_COPY)
        build_networks(plan, [c.name for c in topology.components], state)
        _describe(topology, plan, report)
        (directory / "firewall").mkdir()
        for component, ruleset in rulesets.items():
            (directory / "firewall" / f"{component}.nft").write_text(ruleset)
            load_rules(plan.namespace(component), ruleset)
            report(f"nft table inet hemsnet in {plan.namespace(component)}: "
                   f"{ruleset.count(' drop ')} drop rules")  # fmt: skip
        stack = None if provider is None else _prepare(provider, directory, report)
        routec = "" if stack is None else stack.routec_table()
        (directory / "controller.toml").write_text(
            f"{CONTROLLER_CONFIG}\n{controller_extra}\n{routec}"
        )
        if utility is not None:
            last.append(_prepare_headend(topology, plan, utility, directory, report))
            state.headend_db = str(directory / HEADEND_FOLDER / MDMS_DB)
            state.route_a_meter = utility.meter_id
        (directory / "logs").mkdir()
        # The provider's servers come up with the meter; its service with the controller.
        stages = (
            [first, last] if stack is None else [[*stack.servers, *first], [stack.service, *last]]
        )
        for stage in stages:
            _start_stage(stage, plan, state, report)
        if any(launch.argv[:2] == ("hemsnet", "controller") for launch in last):
            state.controller_db = str(directory / "controller.db")
        if stack is not None:
            state.provider_db = stack.database_url
            state.route_c_home = stack.route.home
        save_state(state)
    except BaseException:
        tear_down(name)
        raise
    return state


def _real_provider(
    route: RouteC | None, controller_extra: str, report: Callable[[str], None]
) -> RouteC | None:
    """The Route C whose provider runs the real provider, or None: no Route C, or the
    provider cannot run here (said in one line; the endpoint stands in, H20)."""
    if route is None:
        return None
    missing = stack_missing()
    if missing is not None:
        report(f"HEMS provider {route.provider}: {missing}; it runs the packet-counting endpoint "
               "instead, without Route C")  # fmt: skip
        return None
    if "routec" in tomllib.loads(controller_extra):
        raise ConfigError("--controller-config: the testbed sets [routec] itself (Route C to "
                          f"the provider in {route.provider}'s namespace)")  # fmt: skip
    return route


def _prepare(route: RouteC, directory: Path, report: Callable[[str], None]) -> ProviderStack:
    stack = prepare_stack(route, directory / "provider")
    report(f"HEMS provider {route.provider}: broker {route.broker_url} (TLS, CA "
           f"{stack.folder / 'ca.crt'}), PostgreSQL on its socket in {stack.folder / 'postgres'}"
           f", hemsnet provider; {route.controller} sends as home {route.home!r}")  # fmt: skip
    return stack


def _prepare_headend(
    topology: Topology,
    plan: AddressPlan,
    route: RouteA,
    directory: Path,
    report: Callable[[str], None],
) -> Launch:
    """The meter's peers, the head-end's configuration and the consent on record (H21-H23);
    the head-end starts with the controller, once the meter serves."""
    (directory / METER_CONFIG).write_text(meter_peers(topology, plan, route))
    folder = directory / HEADEND_FOLDER
    config = write_headend_config(route, folder)
    grant_consent(route, folder)
    report(f"utility head-end {route.headend}: hemsnet headend reads {route.meter} at "
           f"{route.meter_address} on {route.network}; MDMS {folder / MDMS_DB}; consent of "
           f"home {route.home!r} to {route.provider!r} on record")  # fmt: skip
    return headend_launch(route, config)


def _start_stage(
    stage: list[Launch], plan: AddressPlan, state: TestbedState, report: Callable[[str], None]
) -> None:
    """Start every process of ``stage`` and wait until all serve."""
    started = []
    for launch in stage:
        record = start(launch, plan.namespace(launch.component), run_dir(state.name) / "logs")
        state.processes.append(record)
        save_state(state)
        started.append((record, launch.ready))
    wait_started(started)
    for record, _ in started:
        report(f"process {record.pid} in {plan.namespace(record.component)}: "
               f"{' '.join(record.argv)}")  # fmt: skip


def tear_down(name: str) -> list[str]:
    """Remove testbed ``name``; what was removed, one line each (empty: there was nothing)."""
    removed = []
    state = load_state(name)
    namespaces = sorted({*(state.namespaces if state else ()), *leftover_namespaces(name)})
    if state is not None:
        running = [record for record in state.processes if alive(record)]
        killed = stop(running)
        removed += [f"process {r.pid} ({r.component})" for r in running]
        removed += [f"(process of {component} had to be killed)" for component in killed]
    # Anything else still in our namespaces (a crashed up's processes) is ours too.
    strays = [pid for namespace in namespaces for pid in namespace_pids(namespace)]
    _kill(strays)
    removed += [f"stray process {pid}" for pid in strays]
    delete_namespaces(namespaces)
    removed += [f"namespace {namespace}" for namespace in namespaces]
    directory = run_dir(name)
    if directory.exists():
        shutil.rmtree(directory)
        removed.append(f"run directory {directory}")
    return removed


def saved_topology(state: TestbedState) -> Topology:
    """The topology testbed ``state`` was built from."""
    if state.topology_file is not None:
        return load_topology(run_dir(state.name) / state.topology_file)
    assert state.configuration is not None, "a state names a configuration or a file"
    return reference_topology(state.configuration)


def _describe(topology: Topology, plan: AddressPlan, report: Callable[[str], None]) -> None:
    report(f"switch namespace {plan.switch}: bridges "
           + ", ".join(f"br-{n.name} ({n.kind.value})" for n in topology.networks))  # fmt: skip
    for network, prefix in plan.prefixes:
        report(f"routed prefix {prefix} on {network}")
    for component in topology.components:
        ports = ", ".join(
            f"{p.iface} {' '.join(p.addresses)}" for p in plan.ports_of(component.name)
        )
        forwarding = "forwarding on" if component.name in plan.routers else "forwarding off"
        report(f"namespace {plan.namespace(component.name)} ({component.kind.value}): "
               f"{ports or 'no links'}; {forwarding}")  # fmt: skip
    for route in plan.routes:
        report(f"route in {plan.namespace(route.component)}: {route.prefix} via {route.gateway} "
               f"dev {route.iface}")  # fmt: skip


def _kill(pids: list[int]) -> None:
    """SIGKILL processes left in our namespaces by an ``up`` that did not record them."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

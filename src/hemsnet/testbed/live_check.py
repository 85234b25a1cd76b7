"""The live check of a running testbed: the probe matrix against the model, then the data.

It passes when every probe arrived exactly where ``expected_paths`` says it must, and nowhere
it must not, and when the controller's store holds meter and appliance readings that arrived
after ``up``; where the HEMS provider runs the real provider, also when the provider's database
holds the home's readings and only the controller reaches the provider's broker (Route C);
where the head-end runs the real head-end, also when its MDMS holds the meter's 30-minute data
(Route A).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from hemsnet.homenet import Topology, expected_paths
from hemsnet.testbed.address_plan import AddressPlan, plan_addresses
from hemsnet.testbed.dataflow import DataFlow, wait_for_data
from hemsnet.testbed.matrix import differences, render_matrix
from hemsnet.testbed.probes import observe
from hemsnet.testbed.processes import controller_reads
from hemsnet.testbed.routea_check import HeadEndData, wait_for_headend_data
from hemsnet.testbed.routec_check import ProviderData, knock, wait_for_provider_data
from hemsnet.testbed.routec_path import BROKER_PORT, route_c
from hemsnet.testbed.state import TestbedState

__all__ = ["run_live_check"]


def run_live_check(
    state: TestbedState,
    topology: Topology,
    *,
    data_seconds: float,
    report: Callable[[str], None],
) -> bool:
    """Probe, compare, look at the store; True when all is as G.9958 expects."""
    plan = plan_addresses(topology, state.name)
    rules = expected_paths(topology)
    names = [c.name for c in topology.components]
    began = time.monotonic()
    observed = asyncio.run(
        observe(
            {name: plan.namespace(name) for name in names},
            {(r.source, r.target, r.protocol): r.allowed for r in rules},
        )
    )
    report(render_matrix(names, rules, observed))
    report(f"probed {len(rules)} paths in {time.monotonic() - began:.2f} s")
    passed = not differences(rules, observed)
    if state.controller_db is not None:
        meters, appliances = controller_reads(topology)
        flow = DataFlow(
            state.started_at,
            [a for meter in meters for a in plan.addresses_of(meter)],
            {name: plan.addresses_of(name) for name in appliances},
        )
        wait_for_data(Path(state.controller_db), flow, data_seconds)
        for line in flow.report():
            report(line)
        passed = passed and not flow.missing
    if state.provider_db is not None and state.route_c_home is not None:
        data = ProviderData(state.route_c_home, appliances=bool(controller_reads(topology)[1]))
        wait_for_provider_data(state.provider_db, data, data_seconds)
        report(data.report())
        passed = _broker_kept_to_the_controller(topology, plan, report) and passed
        passed = passed and data.complete
    if state.headend_db is not None and state.route_a_meter is not None:
        collected = wait_for_headend_data(
            Path(state.headend_db), HeadEndData(state.route_a_meter), data_seconds
        )
        report(collected.report())
        passed = passed and collected.latest is not None
    return passed


def _broker_kept_to_the_controller(
    topology: Topology, plan: AddressPlan, report: Callable[[str], None]
) -> bool:
    """Knock on the broker's port from every home component but the routers (H17)."""
    route = route_c(topology, plan)
    assert route is not None, "a testbed with the real provider has Route C"
    knockers = [
        c.name
        for c in topology.components
        if c.name not in (route.provider, *plan.routers) and plan.ports_of(c.name)
    ]
    opened = knock({name: plan.namespace(name) for name in knockers}, route.broker_address)
    wrong = [name for name, did in opened.items() if did != (name == route.controller)]
    others = [name for name in knockers if name != route.controller]
    kept_out = sum(not opened[name] for name in others)
    report(f"Route C: the broker's TCP port {BROKER_PORT} opens from {route.controller}: "
           f"{'yes' if opened[route.controller] else 'NO'}; from the {len(others)} other "
           f"components of the home: {len(others) - kept_out}")  # fmt: skip
    for name in wrong:
        verdict = "opened, but only the controller may (H17)" if opened[name] else "did not open"
        report(f"difference: TCP to the broker from {name}: {verdict}")
    return not wrong

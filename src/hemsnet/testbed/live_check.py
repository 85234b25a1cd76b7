"""The live check of a running testbed: the probe matrix against the model, then the data.

It passes when every probe arrived exactly where ``expected_paths`` says it must, and nowhere
it must not, and when the controller's store holds meter and appliance readings that arrived
after ``up``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from hemsnet.homenet import Topology, expected_paths
from hemsnet.testbed.address_plan import plan_addresses
from hemsnet.testbed.dataflow import DataFlow, wait_for_data
from hemsnet.testbed.matrix import differences, render_matrix
from hemsnet.testbed.probes import observe
from hemsnet.testbed.processes import controller_reads
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
    return passed
